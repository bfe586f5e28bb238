//! Hostile input: truncation, random bytes, lying headers. Never a panic, never a big allocation.

use super::*;

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
}

#[test]
fn huge_png_header_is_refused_without_allocating() {
    let mut bytes = PNG_MAGIC.to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&30_000u32.to_be_bytes());
    ihdr.extend_from_slice(&30_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut bytes, b"IHDR", &ihdr);
    chunk(
        &mut bytes,
        b"IDAT",
        &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    chunk(&mut bytes, b"IEND", &[]);
    let start = std::time::Instant::now();
    let err = decode(&bytes, &L, None).expect_err("must refuse");
    assert!(
        matches!(err, DecodeError::TooManyPixels { width: 30_000, .. }),
        "{err:?}"
    );
    assert_eq!(err.code(), "file.too_many_pixels");
    assert!(start.elapsed() < std::time::Duration::from_millis(100));
    assert!(matches!(
        probe(&bytes, &L),
        Err(DecodeError::TooManyPixels { .. })
    ));
}

#[test]
fn huge_jpeg_frame_is_refused() {
    let mut bytes = jpeg(&textured(16, 16), 80);
    let sof = bytes
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("SOF0");
    bytes[sof + 5..sof + 9].copy_from_slice(&[0xEA, 0x60, 0xEA, 0x60]); // 60000 × 60000
    let err = decode(&bytes, &L, Some(640)).expect_err("must refuse");
    assert!(
        matches!(err, DecodeError::TooManyPixels { width: 60_000, .. }),
        "{err:?}"
    );
    // Within width and height limits but over the pixel count.
    bytes[sof + 5..sof + 9].copy_from_slice(&[0x2E, 0xE0, 0x2E, 0xE0]); // 12000 × 12000
    assert_eq!(
        probe(&bytes, &L).expect_err("pixels").code(),
        "file.too_many_pixels"
    );
}

#[test]
fn byte_limit_and_format_and_empty() {
    let bytes = jpeg(&textured(16, 16), 80);
    let small = Limits {
        max_bytes: 100,
        ..L
    };
    let err = probe(&bytes, &small).expect_err("too large");
    assert!(matches!(err, DecodeError::TooLarge { .. }));
    assert_eq!(err.code(), "file.too_many_pixels");
    assert!(matches!(decode(&[], &L, None), Err(DecodeError::Empty)));
    for other in [
        &b"GIF89a\x01\x00\x01\x00"[..],
        b"RIFF\0\0\0\0WEBPVP8 ",
        b"\0\0\0\x18ftypheic\0\0\0\0",
    ] {
        let err = decode(other, &L, None).expect_err("other format");
        assert_eq!(err.code(), "file.format");
    }
    for not_image in [&b"%PDF-1.7"[..], b"<html><body>404</body></html>", b"hello"] {
        let err = decode(not_image, &L, None).expect_err("not an image");
        assert!(matches!(err, DecodeError::NotImage));
        assert_eq!(err.code(), "file.unreadable");
    }
    for e in [
        DecodeError::Empty,
        DecodeError::Format,
        DecodeError::NotImage,
        DecodeError::Truncated,
        DecodeError::Unreadable("x".into()),
        err,
    ] {
        assert!(!e.zh().is_empty() && !e.en().is_empty() && !e.zh().contains('x'));
    }
}

/// Every prefix must give an error or an image, never a panic; short ones must be unreadable.
fn prefixes_never_panic(bytes: &[u8], header_len: usize) {
    let mut lens: Vec<usize> = (0..bytes.len().min(600)).collect();
    lens.extend([
        bytes.len() / 4,
        bytes.len() / 2,
        bytes.len() * 3 / 4,
        bytes.len() - 1,
    ]);
    for n in lens {
        let r = decode(&bytes[..n], &L, None);
        let _ = decode(&bytes[..n], &L, Some(8));
        if n < header_len {
            let err = r.expect_err("a header prefix cannot decode");
            assert_eq!(err.code(), "file.unreadable", "prefix {n}: {err:?}");
        }
    }
}

#[test]
fn truncated_jpeg_never_panics() {
    let bytes = with_orientation(&jpeg(&textured(40, 30), 85), 6, false);
    let sos = bytes
        .windows(2)
        .position(|w| w == [0xFF, 0xDA])
        .expect("SOS");
    prefixes_never_panic(&bytes, sos + 4);
}

#[test]
fn truncated_png_never_panics() {
    let img = textured(40, 30);
    let bytes = png(img.as_raw(), 40, 30, ExtendedColorType::Rgb8);
    prefixes_never_panic(&bytes, 33);
}

#[test]
fn random_bytes_never_panic() {
    let mut next = crate::testing::xorshift(0x9E37_79B9);
    let valid = jpeg(&textured(24, 24), 70);
    for round in 0..400 {
        let len = (next() % 2000) as usize;
        let mut bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        match round % 3 {
            0 => {}
            1 => bytes.splice(0..0, PNG_MAGIC).for_each(drop),
            _ => {
                // A valid JPEG with random bytes overwritten: exercises the decoder itself.
                bytes = valid.clone();
                for _ in 0..(1 + next() % 8) {
                    let i = next() as usize % bytes.len();
                    bytes[i] = next() as u8;
                }
            }
        }
        let _ = probe(&bytes, &L);
        let _ = decode(&bytes, &L, Some(8));
    }
}

/// A PNG's `eXIf` chunk (with or without the stray `Exif\0\0` prefix) turns the image too.
#[test]
fn png_exif_orientation() {
    let img = quadrants();
    let plain = png(img.as_raw(), 32, 16, image::ExtendedColorType::Rgb8);
    for prefix in [&b""[..], b"Exif\0\0"] {
        let jpeg_with = with_orientation(&jpeg(&img, 90), 6, false);
        // The TIFF block is what follows `Exif\0\0` in the APP1 segment built for JPEG.
        let start = jpeg_with
            .windows(6)
            .position(|w| w == b"Exif\0\0")
            .expect("exif")
            + 6;
        let mut exif = prefix.to_vec();
        exif.extend_from_slice(&jpeg_with[start..start + 26]);
        let mut bytes = plain[..33].to_vec();
        chunk(&mut bytes, b"eXIf", &exif);
        bytes.extend_from_slice(&plain[33..]);
        assert_eq!(probe(&bytes, &L).expect("probe").orientation, 6);
        let rgb = decode(&bytes, &L, None).expect("decode");
        assert_eq!((rgb.width, rgb.height), (16, 32));
        assert_eq!(
            pixel(&rgb, 15, 0),
            [255, 0, 0],
            "stored top-left ends top-right"
        );
    }
}

/// Junk between segments (some cameras write it) is skipped, as libjpeg does.
#[test]
fn junk_between_segments_is_tolerated() {
    let img = quadrants();
    let clean = jpeg(&img, 90);
    let dqt = clean
        .windows(2)
        .position(|w| w == [0xFF, 0xDB])
        .expect("DQT");
    let mut bytes = clean[..dqt].to_vec();
    bytes.extend_from_slice(&[0x00, 0x12, 0xFF, 0x00]);
    bytes.extend_from_slice(&clean[dqt..]);
    let h = probe(&bytes, &L).expect("probe");
    assert_eq!((h.width, h.height), (32, 16));
    let rgb = decode(&bytes, &L, None).expect("decode");
    assert_eq!(rgb, decode(&clean, &L, None).expect("clean"));
}
