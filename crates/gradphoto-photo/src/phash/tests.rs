//! Tests of the face hash: the properties reuse detection relies on (near for the same
//! picture moved, rescaled, recompressed or darker; far for different people; mirrors
//! reported) and hashes pinned so that stored ones stay comparable.

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
