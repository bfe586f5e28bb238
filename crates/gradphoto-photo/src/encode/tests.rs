//! Encoder tests: the file's structure, the quality read back from its tables, fidelity
//! through two independent decoders, odd sizes, bad input, and the size search.

use super::*;
use crate::decode::{Limits, decode, probe};

/// Smooth synthetic photo-like image: gradients and soft discs, no noise.
fn smooth(w: u32, h: u32) -> Rgb {
    let mut data = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h {
        for x in 0..w {
            let (fx, fy) = (x as f32 / w as f32, y as f32 / h as f32);
            let d = ((fx - 0.5).powi(2) + (fy - 0.4).powi(2)).sqrt();
            let disc = (1.0 - (d * 4.0).min(1.0)) * 80.0;
            data.push((60.0 + 120.0 * fx + disc) as u8);
            data.push((90.0 + 100.0 * fy + disc * 0.5) as u8);
            data.push((200.0 - 100.0 * fx * fy) as u8);
        }
    }
    Rgb {
        width: w,
        height: h,
        data,
    }
}

/// Gradients plus deterministic noise: a file whose size really depends on the quality.
fn textured(w: u32, h: u32) -> Rgb {
    let mut next = crate::testing::xorshift(0x1234_5678);
    let mut data = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h {
        for x in 0..w {
            let n = (next() % 24) as u8;
            data.push(((x * 200 / w) as u8).saturating_add(n));
            data.push(((y * 200 / h) as u8).saturating_add(n / 2));
            data.push((((x + y) * 100 / (w + h)) as u8).saturating_add(n));
        }
    }
    Rgb {
        width: w,
        height: h,
        data,
    }
}

fn psnr(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len());
    let mse = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2))
        .sum::<f64>()
        / a.len() as f64;
    10.0 * (255.0f64 * 255.0 / mse.max(1e-9)).log10()
}

/// Marker segments from SOI up to SOS: `(marker, body)`.
fn segments(jpeg: &[u8]) -> Vec<(u8, &[u8])> {
    assert_eq!(&jpeg[..2], &[0xFF, 0xD8]);
    let mut pos = 2;
    let mut out = Vec::new();
    loop {
        assert_eq!(jpeg[pos], 0xFF);
        let marker = jpeg[pos + 1];
        let len = usize::from(u16::from_be_bytes([jpeg[pos + 2], jpeg[pos + 3]]));
        out.push((marker, &jpeg[pos + 4..pos + 2 + len]));
        pos += 2 + len;
        if marker == 0xDA {
            return out;
        }
    }
}

#[test]
fn baseline_jfif_300_dpi_420() {
    let jpeg = encode(&smooth(480, 640), 85, 300).expect("encode");
    assert_eq!(&jpeg[jpeg.len() - 2..], &[0xFF, 0xD9]);
    let segs = segments(&jpeg);
    let markers: Vec<u8> = segs.iter().map(|s| s.0).collect();
    assert_eq!(markers, [0xE0, 0xDB, 0xC0, 0xC4, 0xDA]);
    // JFIF 1.01, units 1 (dpi), 300 × 300, no thumbnail.
    assert_eq!(segs[0].1, b"JFIF\0\x01\x01\x01\x01\x2C\x01\x2C\0\0");
    // SOF0: 8 bits, 640 high, 480 wide, Y 2×2, Cb and Cr 1×1.
    assert_eq!(
        segs[2].1,
        [8, 2, 128, 1, 224, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]
    );
    let h = probe(&jpeg, &Limits::default()).expect("probe");
    assert!(!h.progressive);
    assert_eq!((h.width, h.height, h.components), (480, 640, 3));
}

#[test]
fn dpi_zero_writes_aspect_only() {
    let jpeg = encode(&smooth(8, 8), 75, 0).expect("encode");
    assert_eq!(segments(&jpeg)[0].1, b"JFIF\0\x01\x01\x00\0\x01\0\x01\0\0");
}

#[test]
fn quality_reads_back_exactly() {
    let img = smooth(24, 20);
    for q in 1..=100 {
        let jpeg = encode(&img, q, 300).expect("encode");
        let h = probe(&jpeg, &Limits::default()).expect("probe");
        assert_eq!(h.jpeg_quality, Some(q));
    }
}

#[test]
fn decodes_faithfully_with_both_decoders() {
    let img = smooth(480, 640);
    let jpeg = encode(&img, 90, 300).expect("encode");
    let ours = decode(&jpeg, &Limits::default(), None).expect("decode");
    assert_eq!((ours.width, ours.height), (480, 640));
    let p = psnr(&img.data, &ours.data);
    assert!(p > 38.0, "jpeg-decoder PSNR {p:.1} dB");
    let theirs = image::load_from_memory(&jpeg).expect("image").to_rgb8();
    let p2 = psnr(&img.data, theirs.as_raw());
    assert!(p2 > 38.0, "image PSNR {p2:.1} dB");
    // Lower quality, lower fidelity, smaller file.
    let low = encode(&img, 60, 300).expect("encode");
    assert!(low.len() < jpeg.len());
    let p60 = psnr(
        &img.data,
        &decode(&low, &Limits::default(), None).expect("decode").data,
    );
    assert!(p60 > 33.0 && p60 < p, "q60 {p60:.1} dB vs q90 {p:.1} dB");
}

#[test]
fn textured_image_survives_with_image_crate() {
    let img = textured(200, 150);
    let jpeg = encode(&img, 95, 300).expect("encode");
    let theirs = image::load_from_memory(&jpeg).expect("image").to_rgb8();
    let p = psnr(&img.data, theirs.as_raw());
    assert!(p > 30.0, "PSNR {p:.1} dB");
}

#[test]
fn odd_sizes_pad_by_edge_replication() {
    for (w, h) in [
        (1, 1),
        (1, 17),
        (17, 1),
        (15, 16),
        (16, 15),
        (33, 47),
        (8, 9),
    ] {
        // Uniform colour, so any padding error shows up as a wrong edge pixel.
        let rgb = Rgb {
            width: w,
            height: h,
            data: [30u8, 140, 220].repeat((w * h) as usize),
        };
        let jpeg = encode(&rgb, 90, 300).expect("encode");
        for decoded in [
            decode(&jpeg, &Limits::default(), None)
                .expect("decode")
                .data,
            image::load_from_memory(&jpeg)
                .expect("image")
                .to_rgb8()
                .into_raw(),
        ] {
            assert_eq!(decoded.len(), rgb.data.len(), "{w}×{h}");
            for (i, (&a, &b)) in decoded.iter().zip(&rgb.data).enumerate() {
                assert!(a.abs_diff(b) <= 3, "{w}×{h} byte {i}: {a} vs {b}");
            }
        }
    }
}

#[test]
fn bad_input_is_an_error() {
    let ok = smooth(4, 4);
    let e = |w, h, data: Vec<u8>| {
        encode(
            &Rgb {
                width: w,
                height: h,
                data,
            },
            80,
            300,
        )
    };
    assert_eq!(
        e(0, 4, vec![]),
        Err(EncodeError::Empty {
            width: 0,
            height: 4
        })
    );
    assert!(matches!(
        e(4, 4, vec![0; 47]),
        Err(EncodeError::Buffer { .. })
    ));
    assert!(matches!(
        e(u32::MAX, u32::MAX, vec![]),
        Err(EncodeError::Buffer { expected: None, .. })
    ));
    assert!(matches!(
        e(70_000, 1, vec![0; 210_000]),
        Err(EncodeError::TooLarge { .. })
    ));
    assert!(matches!(
        encode(&ok, 0, 300),
        Err(EncodeError::Quality { .. })
    ));
    assert!(matches!(
        encode(&ok, 101, 300),
        Err(EncodeError::Quality { .. })
    ));
    assert!(matches!(
        encode_to_fit(&ok, 300, 90, 60, 1000),
        Err(EncodeError::Quality { .. })
    ));
}

#[test]
fn fit_picks_the_highest_quality_under_the_limit() {
    let img = textured(480, 640);
    let sizes: Vec<usize> = (60..=95)
        .map(|q| encode(&img, q, 300).expect("encode").len())
        .collect();
    // Limits between the q60 and q95 sizes, and at exact sizes (the boundary is inclusive).
    let mut limits = vec![sizes[0], sizes[35], sizes[20], sizes[20] - 1, sizes[7] + 1];
    limits.extend((1..8).map(|k| sizes[0] + (sizes[35] - sizes[0]) * k / 8));
    for max in limits {
        let (got, counts) = fit(&img, 300, 60, 95, max).expect("fit");
        let want = (60..=95u8)
            .rev()
            .find(|&q| sizes[usize::from(q - 60)] <= max)
            .expect("q60 fits");
        assert_eq!(got.quality, want, "limit {max}");
        assert_eq!(got.bytes, encode(&img, want, 300).expect("encode"));
        assert!(counts <= 3, "{counts} counts for limit {max}");
    }
}

#[test]
fn fit_ends_of_the_range() {
    let img = textured(160, 120);
    let all = encode_to_fit(&img, 300, 60, 95, usize::MAX).expect("fit");
    assert_eq!(all.quality, 95);
    // Nothing fits: the floor, for the caller to judge.
    let none = encode_to_fit(&img, 300, 60, 95, 100).expect("fit");
    assert_eq!(none.quality, 60);
    assert_eq!(none.bytes, encode(&img, 60, 300).expect("encode"));
    let one = encode_to_fit(&img, 300, 75, 75, 1).expect("fit");
    assert_eq!(one.quality, 75);
}
