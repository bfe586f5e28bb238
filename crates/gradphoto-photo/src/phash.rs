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
mod tests;
