//! Decodes one file once and prints the peak resident memory: the memory half of the budget
//! (≤ 150 MB for a 12 MP photo). Linux only (reads /proc/self/status).
//!
//! `cargo run --release -p gradphoto-photo --example decode_once FILE [MAX_SIDE]`

use gradphoto_photo::decode::{Limits, decode};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let file = args.next().ok_or("usage: decode_once FILE [MAX_SIDE]")?;
    let max_side = args.next().map(|s| s.parse::<u32>()).transpose()?;
    let bytes = std::fs::read(&file)?;
    let rgb = decode(&bytes, &Limits::default(), max_side)?;
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
