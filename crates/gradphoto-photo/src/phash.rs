//! Reuse detection: a perceptual hash of the face, so the registry can flag a photo that is
//! a near-duplicate of another — the student's admission photo, another degree's photo, or
//! one photo submitted for two students.
//!
//! The same photo comes back re-encoded, rescaled, re-framed by a few pixels and percent,
//! slightly rotated, brighter or darker. So the face is first put in a canonical frame: the
//! similarity transform (rotation, scale, shift) that best maps the five detected landmarks
//! onto a fixed template — all five rather than the two eyes alone, because one landmark's
//! jitter then moves the frame less. In that frame three squares are cut (inner face, face,
//! head), each resampled to 32×32 grey; of each square's DCT the 64 lowest frequencies other
//! than DC give one bit each, their sign (pHash): 192 bits. Signs of low frequencies survive
//! recompression, resampling, blur and any brightness or contrast change; three scales make
//! one unlucky crop matter less.
//!
//! Hashes are compared by Hamming distance. A mirrored photo is caught too: mirroring flips
//! the sign of exactly the coefficients with an odd horizontal frequency, so
//! [`FaceHash::mirrored`] is a bit mask, no second hash.
//!
//! The hash changes with any change to this algorithm (template, crops, frequencies):
//! stored hashes must then be recomputed.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::decode::Rgb;
use crate::detect::Face;

mod grey;

use grey::Grey;

/// Bits in a [`FaceHash`].
pub const HASH_BITS: u32 = 64 * WORDS as u32;

/// Largest [`distance`] at which two hashes are the same photo. On the DEV set (20 people,
/// MTCNN landmarks, `tests/phash.rs`) the same photo re-encoded at quality 20, blurred, or
/// re-framed (shifted, rescaled, rolled ±1.5°, re-encoded) stays at ≤ 31 of 192 bits
/// (median 11), and two different people are ≥ 43 apart (median 76): the threshold sits in
/// the middle of that gap. Among many thousands of students, unrelated look-alike pairs
/// will fall under it now and then: a match is a reason to look, not a verdict.
pub const NEAR_DUPLICATE_MAX: u32 = 37;

/// Hash words, one per crop.
const WORDS: usize = 3;
/// Side of the grey patch the DCT runs on.
const N: usize = 32;
/// Highest DCT frequency per axis that the 64 bits reach (the 64 lowest frequencies by
/// `u + v` end on the diagonal `u + v = 10`).
const MAX_FREQ: usize = 10;

/// Where the five landmarks sit in the canonical frame (unit: eye distance; origin between
/// the eyes; y down): a mirror-symmetric version of the ArcFace 112×112 template. Symmetric,
/// so that the frame of a mirrored photo is the mirror of the frame.
const TEMPLATE: [[f32; 2]; 5] = [
    [-0.5, 0.0],
    [0.5, 0.0],
    [0.0, 0.57],
    [-0.41, 1.155],
    [0.41, 1.155],
];

/// A square in the canonical frame.
#[derive(Debug, Clone, Copy)]
struct Crop {
    /// Side, eye distances.
    side: f32,
    /// Centre below the eye line, eye distances.
    centre_y: f32,
}

/// Inner face (brows to chin, cheek to cheek), face with forehead and jaw, and head with
/// hair and collar: the inner crop ignores the background and hair, the outer ones add the
/// outline that tells similar faces apart.
const CROPS: [Crop; WORDS] = [
    Crop {
        side: 2.4,
        centre_y: 0.55,
    },
    Crop {
        side: 3.2,
        centre_y: 0.6,
    },
    Crop {
        side: 4.0,
        centre_y: 0.7,
    },
];

/// A perceptual hash of one face: 192 bits. Serialised as 48 lowercase hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct FaceHash([u64; WORDS]);

/// A string that is not a [`FaceHash`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a face hash is {} hex digits", WORDS * 16)]
pub struct ParseFaceHashError;

impl FaceHash {
    /// The hash the horizontally mirrored photo would have.
    pub fn mirrored(&self) -> FaceHash {
        let mask = odd_horizontal_mask();
        FaceHash(self.0.map(|w| w ^ mask))
    }
}

impl fmt::Display for FaceHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|w| write!(f, "{w:016x}"))
    }
}

impl FromStr for FaceHash {
    type Err = ParseFaceHashError;
    fn from_str(s: &str) -> Result<FaceHash, ParseFaceHashError> {
        if s.len() != WORDS * 16 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ParseFaceHashError);
        }
        let mut words = [0u64; WORDS];
        for (i, w) in words.iter_mut().enumerate() {
            *w = u64::from_str_radix(&s[i * 16..(i + 1) * 16], 16)
                .map_err(|_| ParseFaceHashError)?;
        }
        Ok(FaceHash(words))
    }
}

impl From<FaceHash> for String {
    fn from(h: FaceHash) -> String {
        h.to_string()
    }
}

impl TryFrom<String> for FaceHash {
    type Error = ParseFaceHashError;
    fn try_from(s: String) -> Result<FaceHash, ParseFaceHashError> {
        s.parse()
    }
}

/// Hashes the face `face` (as [`crate::detect::Detector`] found it) in `rgb`. Never
/// panics: degenerate landmarks fall back to the box, pixels outside the image repeat the
/// border, and a buffer shorter than `width × height × 3` reads as black.
pub fn face_hash(rgb: &Rgb, face: &Face) -> FaceHash {
    let frame = Frame::of(face);
    let grey = Grey::of(rgb, &frame);
    FaceHash(CROPS.map(|crop| sign_bits(&low_dct(&patch(&grey, &frame, crop)))))
}

/// Differing bits, 0..=[`HASH_BITS`].
pub fn distance(a: &FaceHash, b: &FaceHash) -> u32 {
    a.0.iter()
        .zip(&b.0)
        .map(|(x, y)| (x ^ y).count_ones())
        .sum()
}

/// Whether `a` and `b` are the same photo (up to re-encoding, rescaling, small crops and
/// shifts, brightness): [`distance`] ≤ [`NEAR_DUPLICATE_MAX`].
pub fn is_near_duplicate(a: &FaceHash, b: &FaceHash) -> bool {
    distance(a, b) <= NEAR_DUPLICATE_MAX
}

/// Whether `b` is `a` mirrored (forbidden: it swaps the parting and every asymmetry): the
/// mirror is a near-duplicate, and closer than the photo as it is (a near-symmetric face is
/// a near-duplicate both ways; then it is reported as the plain duplicate).
pub fn is_mirrored_duplicate(a: &FaceHash, b: &FaceHash) -> bool {
    let m = distance(&a.mirrored(), b);
    m <= NEAR_DUPLICATE_MAX && m < distance(a, b)
}

/// The canonical frame in image coordinates: image point = `origin + scale · R · (a, b)`,
/// where `R` turns the frame's x axis onto `axis`.
struct Frame {
    origin: [f32; 2],
    axis: [f32; 2],
    scale: f32,
}

impl Frame {
    /// The least-squares similarity from [`TEMPLATE`] onto the landmarks (closed form, in
    /// complex numbers: z = Σ conj(P)·Q / Σ |P|² on centred points). If the landmarks are
    /// degenerate (not finite, or collapsed to a few pixels), the box instead: eyes at 40 %
    /// of its height, eye distance 42 % of its width (MTCNN's proportions).
    fn of(face: &Face) -> Frame {
        let n = TEMPLATE.len() as f32;
        let mean = |pts: &[[f32; 2]]| {
            pts.iter()
                .fold([0.0, 0.0], |a, p| [a[0] + p[0] / n, a[1] + p[1] / n])
        };
        let (pm, qm) = (mean(&TEMPLATE), mean(&face.landmarks));
        let (mut re, mut im, mut norm) = (0.0f32, 0.0f32, 0.0f32);
        for (p, q) in TEMPLATE.iter().zip(&face.landmarks) {
            let (px, py) = (p[0] - pm[0], p[1] - pm[1]);
            let (qx, qy) = (q[0] - qm[0], q[1] - qm[1]);
            re += px * qx + py * qy;
            im += px * qy - py * qx;
            norm += px * px + py * py;
        }
        let (zr, zi) = (re / norm, im / norm);
        let scale = (zr * zr + zi * zi).sqrt();
        if scale.is_finite() && scale >= 4.0 {
            return Frame {
                origin: [
                    qm[0] - (zr * pm[0] - zi * pm[1]),
                    qm[1] - (zr * pm[1] + zi * pm[0]),
                ],
                axis: [zr / scale, zi / scale],
                scale,
            };
        }
        let b = face.bbox.map(|v| if v.is_finite() { v } else { 0.0 });
        Frame {
            origin: [(b[0] + b[2]) / 2.0, b[1] + (b[3] - b[1]) * 0.4],
            axis: [1.0, 0.0],
            scale: ((b[2] - b[0]) * 0.42).max(1.0),
        }
    }

    /// Image coordinates (index space, pixel centres at integers) of frame point `(a, b)`.
    fn to_image(&self, a: f32, b: f32) -> (f32, f32) {
        let [cx, sy] = self.axis;
        (
            self.origin[0] + self.scale * (a * cx - b * sy) - 0.5,
            self.origin[1] + self.scale * (a * sy + b * cx) - 0.5,
        )
    }
}

/// The crop as an `N × N` grey patch, each pixel the mean of k × k bilinear samples over the
/// area it covers (k grows with the reduction, so that fine texture does not alias into the
/// low frequencies differently at every shift).
fn patch(grey: &Grey, frame: &Frame, crop: Crop) -> [[f32; N]; N] {
    let cell = crop.side * frame.scale / N as f32;
    let k = (cell.ceil() as usize).clamp(1, 8);
    let step = crop.side / (N * k) as f32;
    let (a0, b0) = (-crop.side / 2.0, crop.centre_y - crop.side / 2.0);
    let mut out = [[0f32; N]; N];
    // A row of samples at a time: first their positions (a loop the compiler vectorises),
    // then their luma. Each cell still adds its samples row by row, left to right, so the
    // sums are exactly those of sampling cell by cell.
    let (mut xs, mut ys) = (vec![0f32; N * k], vec![0f32; N * k]);
    let mut samples = vec![0f32; N * k];
    for (j, row) in out.iter_mut().enumerate() {
        let mut acc = [0f32; N];
        for sj in 0..k {
            let b = b0 + ((j * k + sj) as f32 + 0.5) * step;
            for (m, (x, y)) in xs.iter_mut().zip(ys.iter_mut()).enumerate() {
                let a = a0 + (m as f32 + 0.5) * step;
                (*x, *y) = frame.to_image(a, b);
            }
            grey.sample_row(&xs, &ys, &mut samples);
            for (acc, cell) in acc.iter_mut().zip(samples.chunks_exact(k)) {
                for &v in cell {
                    *acc += v;
                }
            }
        }
        for (v, a) in row.iter_mut().zip(acc) {
            *v = a / (k * k) as f32;
        }
    }
    out
}

/// The `(u, v)` frequencies of the 64 bits: all but DC, lowest `u + v` first, then by `u`
/// (`u` horizontal).
fn frequencies() -> [(usize, usize); 64] {
    let mut out = [(0, 0); 64];
    let mut n = 0;
    for s in 1..=2 * MAX_FREQ {
        for u in 0..=s.min(MAX_FREQ) {
            if s - u <= MAX_FREQ && n < 64 {
                out[n] = (u, s - u);
                n += 1;
            }
        }
    }
    out
}

/// The bits whose coefficient has an odd horizontal frequency: those a mirror negates.
fn odd_horizontal_mask() -> u64 {
    frequencies()
        .iter()
        .enumerate()
        .filter(|(_, (u, _))| u % 2 == 1)
        .fold(0, |m, (i, _)| m | 1 << i)
}

/// The DCT-II coefficients of the patch at [`frequencies`] (unnormalised: only signs are
/// used).
fn low_dct(p: &[[f32; N]; N]) -> [f32; 64] {
    let mut cos = [[0f32; N]; MAX_FREQ + 1];
    for (u, row) in cos.iter_mut().enumerate() {
        for (x, c) in row.iter_mut().enumerate() {
            *c = (std::f32::consts::PI * (2 * x + 1) as f32 * u as f32 / (2 * N) as f32).cos();
        }
    }
    // Rows first: r[y][u] = Σx p[y][x] · cos[u][x].
    let mut r = [[0f32; MAX_FREQ + 1]; N];
    for (ry, row) in r.iter_mut().zip(p) {
        for (ru, cu) in ry.iter_mut().zip(&cos) {
            *ru = row.iter().zip(cu).map(|(a, b)| a * b).sum();
        }
    }
    frequencies().map(|(u, v)| r.iter().zip(&cos[v]).map(|(ry, c)| ry[u] * c).sum())
}

/// One bit per coefficient: set when positive. The sign, not a comparison with the median,
/// so that mirroring is an exact bit mask.
fn sign_bits(c: &[f32; 64]) -> u64 {
    c.iter()
        .enumerate()
        .fold(0, |acc, (i, &v)| if v > 0.0 { acc | 1 << i } else { acc })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A smooth random "portrait": a sum of Gaussian blobs from a seeded generator, as a
    /// function of continuous image coordinates, so that a moved copy is exact.
    struct Scene {
        blobs: Vec<([f32; 2], f32, [f32; 3])>,
    }

    impl Scene {
        fn new(seed: u64) -> Scene {
            let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
            let mut next = move || {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                (s >> 11) as f32 / (1u64 << 53) as f32
            };
            let blobs = (0..40)
                .map(|_| {
                    let c = [80.0 + next() * 320.0, 120.0 + next() * 420.0];
                    let r = 12.0 + next() * 60.0;
                    let col = [
                        next() * 200.0 - 100.0,
                        next() * 200.0 - 100.0,
                        next() * 200.0 - 100.0,
                    ];
                    (c, r, col)
                })
                .collect();
            Scene { blobs }
        }

        fn at(&self, x: f32, y: f32) -> [f32; 3] {
            let mut v = [128.0f32; 3];
            for (c, r, col) in &self.blobs {
                let d2 = ((x - c[0]).powi(2) + (y - c[1]).powi(2)) / (r * r);
                if d2 > 12.0 {
                    continue;
                }
                let g = (-d2).exp();
                for k in 0..3 {
                    v[k] += col[k] * g;
                }
            }
            v
        }

        /// The scene seen through `map` (output pixel → scene point), times `gain`.
        fn render(&self, w: u32, h: u32, gain: f32, map: impl Fn(f32, f32) -> (f32, f32)) -> Rgb {
            let mut data = Vec::with_capacity((w * h * 3) as usize);
            for y in 0..h {
                for x in 0..w {
                    let (sx, sy) = map(x as f32 + 0.5, y as f32 + 0.5);
                    for c in self.at(sx, sy) {
                        data.push((c * gain).round().clamp(0.0, 255.0) as u8);
                    }
                }
            }
            Rgb {
                width: w,
                height: h,
                data,
            }
        }
    }

    const LANDMARKS: [[f32; 2]; 5] = [
        [190.0, 270.0],
        [290.0, 270.0],
        [240.0, 327.0],
        [199.0, 385.0],
        [281.0, 385.0],
    ];

    fn face(landmarks: [[f32; 2]; 5]) -> Face {
        Face {
            bbox: [130.0, 190.0, 350.0, 440.0],
            score: 0.99,
            landmarks,
        }
    }

    fn base(seed: u64) -> FaceHash {
        face_hash(
            &Scene::new(seed).render(480, 640, 1.0, |x, y| (x, y)),
            &face(LANDMARKS),
        )
    }

    /// The hash of a fixed picture, pinned: stored hashes are compared with new ones, so a
    /// change to what the hash computes must be deliberate (and the stored hashes then
    /// recomputed), never a side effect of making it faster.
    #[test]
    fn the_hash_of_a_fixed_picture_does_not_drift() {
        let rgb = Rgb::from_fn(480, 640, |x, y| {
            [
                ((x * 7 + y * 3) % 256) as u8,
                ((x ^ y) % 256) as u8,
                ((x * y / 64) % 256) as u8,
            ]
        });
        let smooth = Scene::new(7).render(480, 640, 1.0, |x, y| (x, y));
        let hashes = [&rgb, &smooth].map(|img| face_hash(img, &face(LANDMARKS)).to_string());
        assert_eq!(
            hashes,
            [
                "1c9d321950db3c2bbd7d131d349fc93c1e8250c01aa31dff",
                "69a5db559c89eac4857cc33ad2a965e483595eb3533937e4"
            ]
        );
    }

    #[test]
    fn hex_and_serde_round_trip() {
        let h = base(1);
        let s = h.to_string();
        assert_eq!(s.len(), 48);
        assert!(
            s.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_eq!(s.parse::<FaceHash>(), Ok(h));
        let json = serde_json::to_string(&h).expect("serialise");
        assert_eq!(json, format!("\"{s}\""));
        assert_eq!(serde_json::from_str::<FaceHash>(&json).expect("parse"), h);
        for bad in [
            "",
            "00",
            &s[1..],
            &format!("{s}0"),
            &s.replace(&s[..1], "g"),
            "+0000000000000000000000000000000000000000000000",
            "é0000000000000000000000000000000000000000000000",
        ] {
            assert_eq!(bad.parse::<FaceHash>(), Err(ParseFaceHashError), "{bad:?}");
        }
        assert!(serde_json::from_str::<FaceHash>("\"xyz\"").is_err());
        assert_eq!(
            "F".repeat(48).parse::<FaceHash>(),
            Ok(FaceHash([u64::MAX; 3]))
        );
    }

    #[test]
    fn distance_is_a_metric_on_bits() {
        let (a, b) = (base(1), base(2));
        assert_eq!(distance(&a, &a), 0);
        assert_eq!(distance(&a, &b), distance(&b, &a));
        assert_eq!(
            distance(&FaceHash([0; 3]), &FaceHash([u64::MAX; 3])),
            HASH_BITS
        );
        assert_eq!(a.mirrored().mirrored(), a);
        // Half the 64 frequencies have an odd u... nearly: 30 of them do.
        assert_eq!(odd_horizontal_mask().count_ones(), 30);
    }

    #[test]
    fn the_same_picture_moved_rescaled_rotated_or_darker_stays_close() {
        let scene = Scene::new(7);
        let a = base(7);
        // Output pixel p shows scene point A⁻¹(p); landmarks move by A.
        let cases: [(&str, f32, f32, f32, [f32; 2]); 5] = [
            ("shift 5, 3 px", 1.0, 0.0, 1.0, [5.0, 3.0]),
            ("scale 4 %", 1.04, 0.0, 1.0, [-9.0, -11.0]),
            ("scale −5 %, shift", 0.95, 0.0, 1.0, [14.0, 6.0]),
            ("roll 1.5°", 1.0, 1.5, 1.0, [0.0, 0.0]),
            ("20 % darker", 1.0, 0.0, 0.8, [0.0, 0.0]),
        ];
        for (name, s, deg, gain, t) in cases {
            let (sin, cos) = deg.to_radians().sin_cos();
            let c = [240.0, 320.0];
            let fwd = |p: [f32; 2]| {
                let (x, y) = (p[0] - c[0], p[1] - c[1]);
                [
                    c[0] + s * (cos * x - sin * y) + t[0],
                    c[1] + s * (sin * x + cos * y) + t[1],
                ]
            };
            let inv = |x: f32, y: f32| {
                let (x, y) = ((x - t[0] - c[0]) / s, (y - t[1] - c[1]) / s);
                (c[0] + cos * x + sin * y, c[1] - sin * x + cos * y)
            };
            let img = scene.render(480, 640, gain, inv);
            let b = face_hash(&img, &face(LANDMARKS.map(fwd)));
            let d = distance(&a, &b);
            assert!(d <= NEAR_DUPLICATE_MAX / 2, "{name}: distance {d}");
        }
    }

    #[test]
    fn recompression_and_downscaling_stay_close() {
        let img = Scene::new(11).render(480, 640, 1.0, |x, y| (x, y));
        let a = face_hash(&img, &face(LANDMARKS));
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 20)
            .encode(&img.data, 480, 640, image::ExtendedColorType::Rgb8)
            .expect("encode");
        let back = image::load_from_memory(&jpeg).expect("decode").to_rgb8();
        let back = Rgb {
            width: 480,
            height: 640,
            data: back.into_raw(),
        };
        let d = distance(&a, &face_hash(&back, &face(LANDMARKS)));
        assert!(d <= NEAR_DUPLICATE_MAX / 2, "JPEG q20: {d}");
        let small = image::imageops::resize(
            &image::RgbImage::from_raw(480, 640, img.data.clone()).expect("image"),
            360,
            480,
            image::imageops::FilterType::Triangle,
        );
        let small = Rgb {
            width: 360,
            height: 480,
            data: small.into_raw(),
        };
        let d = distance(
            &a,
            &face_hash(&small, &face(LANDMARKS.map(|[x, y]| [x * 0.75, y * 0.75]))),
        );
        assert!(d <= NEAR_DUPLICATE_MAX / 2, "360×480: {d}");
    }

    #[test]
    fn different_pictures_are_far_apart() {
        let hashes: Vec<FaceHash> = (100..112).map(base).collect();
        for (i, a) in hashes.iter().enumerate() {
            for b in &hashes[i + 1..] {
                let d = distance(a, b);
                assert!(d > NEAR_DUPLICATE_MAX + 10, "distance {d}");
                assert!(!is_near_duplicate(a, b));
            }
        }
    }

    #[test]
    fn a_mirrored_picture_is_reported() {
        let scene = Scene::new(5);
        let a = base(5);
        let mirrored = scene.render(480, 640, 1.0, |x, y| (480.0 - x, y));
        // Mirrored, the image-left eye is the old right eye; mouth corners swap likewise.
        let m = LANDMARKS.map(|[x, y]| [480.0 - x, y]);
        let b = face_hash(&mirrored, &face([m[1], m[0], m[2], m[4], m[3]]));
        assert!(
            distance(&a.mirrored(), &b) <= 4,
            "{}",
            distance(&a.mirrored(), &b)
        );
        assert!(is_mirrored_duplicate(&a, &b));
        assert!(
            !is_near_duplicate(&a, &b),
            "a random scene is far from its mirror"
        );
        assert!(!is_mirrored_duplicate(&a, &a));
    }

    #[test]
    fn degenerate_input_does_not_panic() {
        let img = Scene::new(3).render(48, 64, 1.0, |x, y| (x * 10.0, y * 10.0));
        let nan = Face {
            bbox: [f32::NAN; 4],
            score: 0.5,
            landmarks: [[f32::NAN; 2]; 5],
        };
        let _ = face_hash(&img, &nan);
        let collapsed = face([[10.0, 10.0]; 5]);
        let _ = face_hash(&img, &collapsed);
        let far = face(LANDMARKS.map(|[x, y]| [x + 1e6, y - 1e6]));
        let _ = face_hash(&img, &far);
        let huge = face(LANDMARKS.map(|[x, y]| [x * 1e30, y * 1e30]));
        let _ = face_hash(&img, &huge);
        let empty = Rgb {
            width: 0,
            height: 0,
            data: Vec::new(),
        };
        let _ = face_hash(&empty, &face(LANDMARKS));
        let short = Rgb {
            width: 480,
            height: 640,
            data: vec![7; 10],
        };
        let _ = face_hash(&short, &face(LANDMARKS));
    }
}
