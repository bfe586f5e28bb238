//! Times the photo engine on real files, for `bench/photo_vs_peer/run`: a measurement to
//! report, not a timed test. Prints one JSON object per line.
//!
//! ```text
//! photo_timing [--iters N] [--warmup N] [--min-face PX] FILE|DIR...
//!     one thread; per file the median (and min) of N runs per stage, and the peak RSS
//! photo_timing --threads T [--iters N] FILE|DIR...
//!     batch: every file N times, shared out over T threads with one detector; photos/s
//! ```
//!
//! A directory stands for its `*_raw_big.jpg` files (the DEV set's 12-megapixel portraits),
//! or for all its JPEGs when it has none. Peak RSS is the process's VmHWM from
//! /proc/self/status (Linux): run one file per process to read that photo's peak.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use gradphoto_photo::decode::{Limits, decode};
use gradphoto_photo::detect::Detector;
use serde_json::json;

/// What `run_once` does, for the report.
const JOB: &str = "decode (1/4 scale) + detect";

/// Longer side the detection decode keeps at least (a 4000-px photo decodes at 1/4 scale).
const DETECT_MAX_SIDE: u32 = 640;

struct Args {
    iters: usize,
    warmup: usize,
    threads: Option<usize>,
    min_face: f32,
    files: Vec<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        iters: 15,
        warmup: 1,
        threads: None,
        min_face: 40.0,
        files: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--iters" => args.iters = parse(&value("--iters")?)?,
            "--warmup" => args.warmup = parse(&value("--warmup")?)?,
            "--threads" => args.threads = Some(parse(&value("--threads")?)?),
            "--min-face" => args.min_face = parse(&value("--min-face")?)?,
            "-h" | "--help" => return Err(USAGE.into()),
            flag if flag.starts_with("--") => return Err(format!("unknown flag {flag}\n{USAGE}")),
            path => args.files.extend(expand(Path::new(path))?),
        }
    }
    if args.files.is_empty() {
        return Err(format!("no input files\n{USAGE}"));
    }
    if args.iters == 0 || args.threads == Some(0) {
        return Err("--iters and --threads must be at least 1".into());
    }
    Ok(args)
}

const USAGE: &str =
    "usage: photo_timing [--iters N] [--warmup N] [--threads T] [--min-face PX] FILE|DIR...";

fn parse<T: std::str::FromStr>(s: &str) -> Result<T, String> {
    s.parse().map_err(|_| format!("not a number: {s}"))
}

/// A file as is; a directory as its `*_raw_big.jpg` files, else all its JPEGs, sorted.
fn expand(path: &Path) -> Result<Vec<PathBuf>, String> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut all: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| e.eq_ignore_ascii_case("jpg") || e.eq_ignore_ascii_case("jpeg"))
        })
        .collect();
    all.sort();
    let big: Vec<PathBuf> = all
        .iter()
        .filter(|p| p.to_string_lossy().ends_with("_raw_big.jpg"))
        .cloned()
        .collect();
    Ok(if big.is_empty() { all } else { big })
}

/// One run's stage times, in milliseconds.
#[derive(Clone, Copy)]
struct Sample {
    decode: f64,
    detect: f64,
    total: f64,
    faces: usize,
    size: (u32, u32),
}

fn ms(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1000.0
}

/// The job being timed.
fn run_once(detector: &Detector, bytes: &[u8], min_face: f32) -> Result<Sample, String> {
    let start = Instant::now();
    let rgb =
        decode(bytes, &Limits::default(), Some(DETECT_MAX_SIDE)).map_err(|e| e.to_string())?;
    let decode_ms = ms(start);
    let t = Instant::now();
    let faces = detector
        .detect(&rgb.data, rgb.width, rgb.height, min_face)
        .map_err(|e| e.to_string())?;
    let detect_ms = ms(t);
    Ok(Sample {
        decode: decode_ms,
        detect: detect_ms,
        total: ms(start),
        faces: faces.len(),
        size: (rgb.width, rgb.height),
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Peak resident memory of this process so far, MiB (VmHWM); `None` off Linux.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn per_file(detector: &Detector, args: &Args) -> Result<(), String> {
    for path in &args.files {
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        for _ in 0..args.warmup {
            run_once(detector, &bytes, args.min_face)?;
        }
        let samples = (0..args.iters)
            .map(|_| run_once(detector, &bytes, args.min_face))
            .collect::<Result<Vec<Sample>, String>>()?;
        let col = |f: fn(&Sample) -> f64| samples.iter().map(f).collect::<Vec<f64>>();
        let totals = col(|s| s.total);
        let min_total = totals.iter().copied().fold(f64::INFINITY, f64::min);
        let last = samples[samples.len() - 1];
        let line = json!({
            "engine": "rust",
            "job": JOB,
            "file": path.display().to_string(),
            "bytes": bytes.len(),
            "iters": args.iters,
            "decoded": [last.size.0, last.size.1],
            "faces": last.faces,
            "decode_ms": round2(median(col(|s| s.decode))),
            "detect_ms": round2(median(col(|s| s.detect))),
            "rest_ms": round2(median(col(|s| s.total - s.decode - s.detect))),
            "total_ms": round2(median(totals)),
            "total_min_ms": round2(min_total),
            "peak_rss_mib": peak_rss_mib().map(round2),
        });
        println!("{line}");
    }
    Ok(())
}

fn batch(detector: &Detector, args: &Args, threads: usize) -> Result<(), String> {
    let inputs = args
        .files
        .iter()
        .map(|p| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display())))
        .collect::<Result<Vec<Vec<u8>>, String>>()?;
    // Warm up once per file (P-Net plans are built per input size on first use).
    for bytes in &inputs {
        run_once(detector, bytes, args.min_face)?;
    }
    let jobs = inputs.len() * args.iters;
    let next = AtomicUsize::new(0);
    let start = Instant::now();
    let results: Vec<Result<usize, String>> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut done = 0;
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= jobs {
                            return Ok(done);
                        }
                        run_once(detector, &inputs[i % inputs.len()], args.min_face)?;
                        done += 1;
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_else(|_| Err("worker panicked".into())))
            .collect()
    });
    let seconds = start.elapsed().as_secs_f64();
    let done: usize = results.into_iter().sum::<Result<usize, String>>()?;
    let line = json!({
        "engine": "rust",
        "batch": true,
        "threads": threads,
        "files": inputs.len(),
        "photos": done,
        "seconds": round2(seconds),
        "photos_per_s": round2(done as f64 / seconds),
        "peak_rss_mib": peak_rss_mib().map(round2),
    });
    println!("{line}");
    Ok(())
}

fn main() -> Result<(), String> {
    let args = parse_args()?;
    let detector = Detector::new().map_err(|e| e.to_string())?;
    match args.threads {
        None => per_file(&detector, &args),
        Some(t) => batch(&detector, &args, t),
    }
}
