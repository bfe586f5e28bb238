//! Encoder timings and sizes on the DEV photos (decoded to RGB, 480×640): one encode at a
//! fixed quality, the fit search for the registry's 40 KB, and the `image` crate's encoder
//! at the same quality for comparison. Then the standardizer's path on the same photos
//! made large (upscaled to 1500×2000): crop and shrink to 480×640, then fit. A measurement
//! to report, not a timed test.
//!
//! `cargo run --release -p gradphoto-photo --example encode_timing [DIR] [MAX_BYTES]`
//! (DIR defaults to shared/photos/dev; its `*_accept.jpg` files are used).

use gradphoto_photo::decode::{Limits, Rgb, decode};
use gradphoto_photo::encode::{encode, encode_to_fit};
use gradphoto_photo::resize::{Rect, resample};
use std::time::Instant;

/// Fastest of `runs`: on a shared machine the other runs measure the neighbours' load.
fn best_ms(runs: usize, mut f: impl FnMut()) -> f64 {
    (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64() * 1000.0
        })
        .fold(f64::INFINITY, f64::min)
}

/// PSNR of `jpeg` decoded against `rgb`, in dB.
fn psnr(rgb: &Rgb, jpeg: &[u8]) -> Result<f64, Box<dyn std::error::Error>> {
    let back = decode(jpeg, &Limits::default(), None)?;
    let mse = rgb
        .data
        .iter()
        .zip(&back.data)
        .map(|(&a, &b)| (f64::from(a) - f64::from(b)).powi(2))
        .sum::<f64>()
        / rgb.data.len() as f64;
    Ok(10.0 * (255.0f64.powi(2) / mse.max(1e-9)).log10())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .unwrap_or_else(|| format!("{}/../../../shared/photos/dev", env!("CARGO_MANIFEST_DIR")));
    let max_bytes: usize = args.next().map_or(Ok(40 * 1024), |s| s.parse())?;
    let mut files: Vec<_> = std::fs::read_dir(&dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with("_accept.jpg"))
        .collect();
    files.sort();
    let runs = 21;
    let mut totals = (0.0, 0.0, 0.0);
    println!(
        "{:<22} {:>9} {:>9} {:>7} {:>10} {:>9} {:>7} {:>10} {:>10}",
        "file", "q90 ms", "q90 KB", "dB", "image q90", "KB", "dB", "fit ms", "fit q/KB"
    );
    for path in &files {
        let rgb: Rgb = decode(&std::fs::read(path)?, &Limits::default(), None)?;
        let mut ours = Vec::new();
        let t_enc = best_ms(runs, || ours = encode(&rgb, 90, 300).unwrap_or_default());
        let mut theirs = Vec::new();
        let t_img = best_ms(runs, || {
            theirs.clear();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut theirs, 90)
                .encode(
                    &rgb.data,
                    rgb.width,
                    rgb.height,
                    image::ExtendedColorType::Rgb8,
                )
                .ok();
        });
        let mut fit = None;
        let t_fit = best_ms(runs, || {
            fit = encode_to_fit(&rgb, 300, 60, 95, max_bytes).ok();
        });
        let fit = fit.ok_or("fit failed")?;
        totals.0 += t_enc;
        totals.1 += t_img;
        totals.2 += t_fit;
        println!(
            "{:<22} {t_enc:9.2} {:9.1} {:7.2} {t_img:10.2} {:9.1} {:7.2} {t_fit:10.2} {:>6}/{:.1}",
            path.file_name().map_or("".into(), |n| n.to_string_lossy()),
            ours.len() as f64 / 1024.0,
            psnr(&rgb, &ours)?,
            theirs.len() as f64 / 1024.0,
            psnr(&rgb, &theirs)?,
            fit.quality,
            fit.bytes.len() as f64 / 1024.0,
        );
    }
    let n = files.len().max(1) as f64;
    println!(
        "mean: encode q90 {:.2} ms, image crate q90 {:.2} ms, encode_to_fit(60..=95, {max_bytes}) {:.2} ms",
        totals.0 / n,
        totals.1 / n,
        totals.2 / n
    );
    println!(
        "\nstandardizer path: 1500×2000, region 1200×1600 → 480×640, fit 60..=95 ≤ {max_bytes}"
    );
    let (mut t_resize, mut t_fit2) = (0.0, 0.0);
    for path in &files {
        let rgb: Rgb = decode(&std::fs::read(path)?, &Limits::default(), None)?;
        let raw = image::RgbImage::from_raw(rgb.width, rgb.height, rgb.data).ok_or("size")?;
        let big = image::imageops::resize(&raw, 1500, 2000, image::imageops::FilterType::Triangle);
        let big = Rgb {
            width: 1500,
            height: 2000,
            data: big.into_raw(),
        };
        let region = Rect {
            x: 150.4,
            y: 180.6,
            w: 1200.0,
            h: 1600.0,
        };
        let mut small = None;
        let t_r = best_ms(runs, || {
            small = resample(&big, region, 480, 640, [100, 197, 255]).ok()
        });
        let small = small.ok_or("resample failed")?;
        let mut fit = None;
        let t_f = best_ms(runs, || {
            fit = encode_to_fit(&small, 300, 60, 95, max_bytes).ok();
        });
        let fit = fit.ok_or("fit failed")?;
        t_resize += t_r;
        t_fit2 += t_f;
        println!(
            "{:<22} resample {t_r:6.2} ms  fit {t_f:6.2} ms  q{} {:.1} KB",
            path.file_name().map_or("".into(), |n| n.to_string_lossy()),
            fit.quality,
            fit.bytes.len() as f64 / 1024.0,
        );
    }
    println!(
        "mean: resample {:.2} ms, encode_to_fit {:.2} ms",
        t_resize / n,
        t_fit2 / n
    );
    Ok(())
}
