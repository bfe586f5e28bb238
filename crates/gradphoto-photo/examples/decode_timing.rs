//! Decode timings for a 12-megapixel JPEG (a DEV photo upscaled to 3000×4000): full size and
//! with DCT scaling for detection. A measurement to report, not a timed test.
//!
//! `cargo run --release -p gradphoto-photo --example decode_timing [PHOTO.jpg] [OUT.jpg]`
//! writes the 12 MP file to OUT (default /tmp/gradphoto-12mp.jpg) so `djpeg` can be timed on
//! the same bytes.

use gradphoto_photo::decode::{Limits, decode, probe};
use std::time::Instant;

fn median_ms(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut t: Vec<f64> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[runs / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let src = args.next().unwrap_or_else(|| {
        format!(
            "{}/../../../shared/photos/dev/A000369_accept.jpg",
            env!("CARGO_MANIFEST_DIR")
        )
    });
    let out = args
        .next()
        .unwrap_or_else(|| "/tmp/gradphoto-12mp.jpg".into());
    let img = image::load_from_memory(&std::fs::read(&src)?)?.to_rgb8();
    let big = image::imageops::resize(&img, 3000, 4000, image::imageops::FilterType::Triangle);
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 90).encode_image(&big)?;
    std::fs::write(&out, &bytes)?;
    let limits = Limits::default();
    let h = probe(&bytes, &limits)?;
    println!(
        "{out}: {}x{}, {} KB, quality {:?}",
        h.width,
        h.height,
        bytes.len() / 1024,
        h.jpeg_quality
    );
    let runs = 15;
    let p = median_ms(runs, || {
        probe(&bytes, &limits).ok();
    });
    println!("probe                      {p:8.3} ms");
    for max_side in [None, Some(1500), Some(640), Some(400)] {
        let mut size = (0, 0);
        let ms = median_ms(runs, || {
            if let Ok(rgb) = decode(&bytes, &limits, max_side) {
                size = (rgb.width, rgb.height);
            }
        });
        println!(
            "decode max_side {:>5}      {ms:8.1} ms  -> {}x{}",
            max_side.map_or("none".into(), |n| n.to_string()),
            size.0,
            size.1
        );
    }
    // The same photo tagged EXIF orientation 6 (a phone held upright): the cost of the turn.
    let mut turned = bytes[..2].to_vec();
    let tiff: [u8; 26] = [
        b'M', b'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0,
    ];
    turned.extend_from_slice(&[0xFF, 0xE1, 0, 34]);
    turned.extend_from_slice(b"Exif\0\0");
    turned.extend_from_slice(&tiff);
    turned.extend_from_slice(&bytes[2..]);
    for max_side in [None, Some(640)] {
        let ms = median_ms(runs, || {
            decode(&turned, &limits, max_side).ok();
        });
        println!(
            "decode orientation 6 {:>5} {ms:8.1} ms",
            max_side.map_or("none".into(), |n| n.to_string())
        );
    }
    // For comparison: the `image` crate's JPEG path (zune-jpeg, no DCT scaling).
    let ms = median_ms(runs, || {
        image::load_from_memory(&bytes).ok();
    });
    println!("image/zune-jpeg full        {ms:8.1} ms");
    let small = std::fs::read(&src)?;
    let ms = median_ms(runs, || {
        decode(&small, &limits, None).ok();
    });
    println!("decode {src} (as sent) {ms:8.2} ms");
    Ok(())
}
