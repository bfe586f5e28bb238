//! Decoding tests on images built here (the `image` crate encodes them) and on the DEV set.

use super::*;
use image::{ExtendedColorType, ImageEncoder, RgbImage};

mod dev;
mod robust;

/// A textured, asymmetric test image: gradients plus deterministic noise, so that JPEG at
/// different qualities really differs.
pub(super) fn textured(w: u32, h: u32) -> RgbImage {
    let mut next = crate::testing::xorshift(0x1234_5678);
    RgbImage::from_fn(w, h, |x, y| {
        let n = (next() % 40) as u8;
        image::Rgb([
            ((x * 200 / w) as u8).saturating_add(n),
            ((y * 200 / h) as u8).saturating_add(n),
            (((x + y) * 100 / (w + h)) as u8).saturating_add(n),
        ])
    })
}

pub(super) fn jpeg(img: &RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode(
            img.as_raw(),
            img.width(),
            img.height(),
            ExtendedColorType::Rgb8,
        )
        .expect("encode jpeg");
    out
}

pub(super) fn png(raw: &[u8], w: u32, h: u32, color: ExtendedColorType) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(raw, w, h, color)
        .expect("encode png");
    out
}

/// Inserts an APP1 EXIF segment with one orientation tag right after SOI.
pub(super) fn with_orientation(jpeg: &[u8], o: u16, big_endian: bool) -> Vec<u8> {
    type Writers = (fn(u16) -> [u8; 2], fn(u32) -> [u8; 4]);
    let (u16b, u32b): Writers = if big_endian {
        (u16::to_be_bytes, u32::to_be_bytes)
    } else {
        (u16::to_le_bytes, u32::to_le_bytes)
    };
    let mut tiff = Vec::new();
    tiff.extend_from_slice(if big_endian { b"MM" } else { b"II" });
    tiff.extend_from_slice(&u16b(42));
    tiff.extend_from_slice(&u32b(8));
    tiff.extend_from_slice(&u16b(1));
    tiff.extend_from_slice(&u16b(0x0112));
    tiff.extend_from_slice(&u16b(3));
    tiff.extend_from_slice(&u32b(1));
    tiff.extend_from_slice(&u16b(o));
    tiff.extend_from_slice(&[0, 0]);
    tiff.extend_from_slice(&u32b(0));
    let mut seg = b"Exif\0\0".to_vec();
    seg.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((seg.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&seg);
    out.extend_from_slice(&jpeg[2..]);
    out
}

pub(super) fn pixel(img: &Rgb, x: u32, y: u32) -> [u8; 3] {
    let i = ((y * img.width + x) * 3) as usize;
    [img.data[i], img.data[i + 1], img.data[i + 2]]
}

pub(super) fn close(a: [u8; 3], b: [u8; 3]) -> bool {
    a.iter().zip(b).all(|(&x, y)| x.abs_diff(y) <= 24)
}

pub(super) const L: Limits = Limits {
    max_bytes: 20 * 1024 * 1024,
    max_width: 12_000,
    max_height: 12_000,
    max_pixels: 50_000_000,
};

#[test]
fn default_limits_are_the_documented_ones() {
    assert_eq!(Limits::default(), L);
}

#[test]
fn jpeg_header_and_pixels() {
    let img = textured(64, 48);
    let bytes = jpeg(&img, 90);
    let h = probe(&bytes, &L).expect("probe");
    assert_eq!(
        (
            h.format,
            h.width,
            h.height,
            h.orientation,
            h.progressive,
            h.components
        ),
        (Format::Jpeg, 64, 48, 1, false, 3)
    );
    let rgb = decode(&bytes, &L, None).expect("decode");
    assert_eq!(
        (rgb.width, rgb.height, rgb.data.len()),
        (64, 48, 64 * 48 * 3)
    );
    let px = img.get_pixel(10, 10).0;
    assert!(close(pixel(&rgb, 10, 10), px));
}

#[test]
fn grayscale_jpeg_decodes_to_rgb() {
    let raw: Vec<u8> = (0..32 * 16).map(|i| (i % 32 * 8) as u8).collect();
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 90)
        .encode(&raw, 32, 16, ExtendedColorType::L8)
        .expect("encode");
    assert_eq!(probe(&bytes, &L).expect("probe").components, 1);
    let rgb = decode(&bytes, &L, None).expect("decode");
    let p = pixel(&rgb, 20, 5);
    assert!(
        p[0] == p[1] && p[1] == p[2] && p[0].abs_diff(160) < 12,
        "{p:?}"
    );
}

/// Quadrants: top-left red, top-right green, bottom-left blue, bottom-right white; 32×16.
pub(super) fn quadrants() -> RgbImage {
    RgbImage::from_fn(32, 16, |x, y| {
        image::Rgb(match (x < 16, y < 8) {
            (true, true) => [255, 0, 0],
            (false, true) => [0, 255, 0],
            (true, false) => [0, 0, 255],
            (false, false) => [255, 255, 255],
        })
    })
}

#[test]
fn exif_orientation_is_applied() {
    const R: [u8; 3] = [255, 0, 0];
    const G: [u8; 3] = [0, 255, 0];
    const B: [u8; 3] = [0, 0, 255];
    const W: [u8; 3] = [255, 255, 255];
    let base = jpeg(&quadrants(), 95);
    // Expected displayed corners (top-left, top-right, bottom-left, bottom-right).
    for (o, size, corners) in [
        (1, (32, 16), [R, G, B, W]),
        (3, (32, 16), [W, B, G, R]),
        (6, (16, 32), [B, R, W, G]), // stored image turned 90° clockwise
        (8, (16, 32), [G, W, R, B]), // turned 90° anticlockwise
    ] {
        for big in [true, false] {
            let bytes = with_orientation(&base, o, big);
            assert_eq!(probe(&bytes, &L).expect("probe").orientation as u16, o);
            let rgb = decode(&bytes, &L, None).expect("decode");
            assert_eq!((rgb.width, rgb.height), size, "orientation {o}");
            let (w, h) = size;
            let got = [
                pixel(&rgb, 3, 3),
                pixel(&rgb, w - 4, 3),
                pixel(&rgb, 3, h - 4),
                pixel(&rgb, w - 4, h - 4),
            ];
            for (g, e) in got.iter().zip(corners) {
                assert!(close(*g, e), "orientation {o}: got {got:?}");
            }
        }
    }
}

#[test]
fn bad_orientation_values_read_as_1() {
    let base = jpeg(&quadrants(), 90);
    for o in [0, 9, 300] {
        let bytes = with_orientation(&base, o, true);
        assert_eq!(probe(&bytes, &L).expect("probe").orientation, 1);
    }
}

#[test]
fn quality_estimate_within_3() {
    let img = textured(128, 96);
    for q in [30u8, 50, 60, 75, 85, 95] {
        let est = probe(&jpeg(&img, q), &L)
            .expect("probe")
            .jpeg_quality
            .expect("quality");
        assert!(est.abs_diff(q) <= 3, "quality {q}: estimated {est}");
    }
}

#[test]
fn dct_scaling_picks_the_largest_reduction_keeping_max_side() {
    assert_eq!(jpeg::reduction(4000, 3000, Some(640)), 4);
    assert_eq!(jpeg::reduction(3000, 4000, Some(500)), 8);
    assert_eq!(jpeg::reduction(1600, 1200, Some(640)), 2);
    assert_eq!(jpeg::reduction(640, 480, Some(640)), 1);
    assert_eq!(jpeg::reduction(4000, 3000, None), 1);
    let bytes = jpeg(&textured(1600, 1200), 85);
    let half = decode(&bytes, &L, Some(640)).expect("decode");
    assert_eq!((half.width, half.height), (800, 600));
    let eighth = decode(&bytes, &L, Some(200)).expect("decode");
    assert_eq!((eighth.width, eighth.height), (200, 150));
    let full = decode(&bytes, &L, Some(2000)).expect("decode");
    assert_eq!((full.width, full.height), (1600, 1200));
    // Scaled pixels agree with the full decode (block averages of a smooth gradient).
    assert!(close(pixel(&eighth, 100, 75), pixel(&full, 804, 604)));
}

#[test]
fn png_colour_types_become_rgb8() {
    let (w, h) = (8u32, 4u32);
    let n = (w * h) as usize;
    let gray: Vec<u8> = (0..n).map(|i| (i * 8) as u8).collect();
    let rgb = decode(&png(&gray, w, h, ExtendedColorType::L8), &L, None).expect("L8");
    assert_eq!(pixel(&rgb, 1, 0), [8, 8, 8]);
    let rgba: Vec<u8> = (0..n).flat_map(|_| [0, 0, 0, 0]).collect();
    let out = decode(&png(&rgba, w, h, ExtendedColorType::Rgba8), &L, None).expect("RGBA");
    assert_eq!(pixel(&out, 2, 2), [255, 255, 255], "transparent → white");
    let rgb16: Vec<u8> = (0..n)
        .flat_map(|_| [0x1234u16, 0xABCD, 0xFFFF])
        .flat_map(u16::to_ne_bytes)
        .collect();
    let out = decode(&png(&rgb16, w, h, ExtendedColorType::Rgb16), &L, None).expect("RGB16");
    assert_eq!(pixel(&out, 0, 0), [0x12, 0xAB, 0xFF]);
    let bytes = png(&gray, w, h, ExtendedColorType::L8);
    let hd = probe(&bytes, &L).expect("probe");
    assert_eq!(
        (hd.format, hd.width, hd.height, hd.components),
        (Format::Png, w, h, 1)
    );
    assert_eq!(hd.jpeg_quality, None);
}

/// Made once with libjpeg-turbo's `cjpeg -progressive -quality 80` from the quadrant image, so
/// that the progressive path is tested without a progressive encoder in Rust.
#[test]
fn progressive_jpeg() {
    let bytes = include_bytes!("progressive_q80.jpg");
    let h = probe(bytes, &L).expect("probe");
    assert!(h.progressive);
    assert!(h.jpeg_quality.is_some_and(|q| q.abs_diff(80) <= 3), "{h:?}");
    let rgb = decode(bytes, &L, None).expect("decode");
    assert_eq!((rgb.width, rgb.height), (32, 16));
    assert!(close(pixel(&rgb, 3, 3), [255, 0, 0]));
    assert!(close(pixel(&rgb, 28, 12), [255, 255, 255]));
    // A file our decoder leaves to jpeg-decoder is turned too, exactly once.
    for o in 2..=8u16 {
        let turned = decode(&with_orientation(bytes, o, false), &L, None).expect("decode");
        let expected = super::orient::apply(rgb.clone(), o as u8);
        assert_eq!(turned, expected, "orientation {o}");
    }
}
