//! Decodes one file once and prints the peak resident memory: the memory half of the budget
//! (≤ 150 MB for a 12 MP photo). Linux only (reads /proc/self/status).
//!
//! `cargo run --release -p gradphoto-photo --example decode_once FILE [MAX_SIDE [REPEAT]]`
//!
//! With REPEAT, decodes that many times more and prints the median time: a loop to run
//! under `perf record`.

use gradphoto_photo::decode::{Limits, decode};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let file = args.next().ok_or("usage: decode_once FILE [MAX_SIDE]")?;
    let max_side = args.next().map(|s| s.parse::<u32>()).transpose()?;
    let repeat = args.next().map(|s| s.parse::<usize>()).transpose()?;
    let bytes = std::fs::read(&file)?;
    let rgb = decode(&bytes, &Limits::default(), max_side)?;
    if let Some(n) = repeat.filter(|&n| n > 0) {
        let mut ms: Vec<f64> = (0..n)
            .map(|_| {
                let t = std::time::Instant::now();
                let _ = decode(&bytes, &Limits::default(), max_side);
                t.elapsed().as_secs_f64() * 1000.0
            })
            .collect();
        ms.sort_by(f64::total_cmp);
        println!("median of {n}: {:.2} ms", ms[n / 2]);
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let peak = status
        .lines()
        .find(|l| l.starts_with("VmHWM"))
        .unwrap_or("VmHWM: unknown");
    println!(
        "{file} max_side {max_side:?} -> {}x{}; {peak}",
        rgb.width, rgb.height
    );
    Ok(())
}
