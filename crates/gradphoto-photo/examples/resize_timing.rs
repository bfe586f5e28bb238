//! Resample timings for the standardizer's crop: typical regions to 480×640 (shrinking from
//! a DCT-scaled decode, from a full 12 MP decode, and enlarging a small photo). A measurement
//! to report, not a timed test.
//!
//! `cargo run --release -p gradphoto-photo --example resize_timing`

use gradphoto_photo::decode::Rgb;
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

/// Gradients and texture, so nothing is trivially uniform.
fn photo(w: u32, h: u32) -> Rgb {
    let mut data = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h {
        for x in 0..w {
            data.push((x * 255 / w) as u8);
            data.push((y * 255 / h) as u8);
            data.push(((x ^ y) & 0xFF) as u8);
        }
    }
    Rgb {
        width: w,
        height: h,
        data,
    }
}

fn main() {
    let runs = 31;
    let cases = [
        // (source size, region, label)
        (
            (1000, 1333),
            Rect {
                x: 120.4,
                y: 80.7,
                w: 750.0,
                h: 1000.0,
            },
            "750×1000 region of a 1/4-scale decode",
        ),
        (
            (3000, 4000),
            Rect {
                x: 400.3,
                y: 300.6,
                w: 2250.0,
                h: 3000.0,
            },
            "2250×3000 region of a 12 MP decode",
        ),
        (
            (360, 480),
            Rect {
                x: 30.2,
                y: 40.5,
                w: 300.0,
                h: 400.0,
            },
            "300×400 region, enlarged 1.6×",
        ),
        (
            (1000, 1333),
            Rect {
                x: -100.0,
                y: -200.0,
                w: 900.0,
                h: 1200.0,
            },
            "900×1200 region partly outside (fill)",
        ),
    ];
    for ((sw, sh), region, label) in cases {
        let src = photo(sw, sh);
        let ms = best_ms(runs, || {
            resample(&src, region, 480, 640, [100, 197, 255]).ok();
        });
        println!("{label:<42} -> 480×640  {ms:7.2} ms");
    }
}
