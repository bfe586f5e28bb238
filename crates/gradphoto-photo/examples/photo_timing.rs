//! Times the photo engine on real files, for `bench/photo_vs_peer/run`: a measurement to
//! report, not a timed test. Prints one JSON object per line.
//!
//! ```text
//! photo_timing [--job check] [--iters N] [--warmup N] FILE|DIR...
//!     one thread; per file the median (and min) of N runs per stage, and the peak RSS
//! photo_timing --threads T [--job check] [--iters N] FILE|DIR...
//!     batch: every file N times, shared out over T threads with one engine; photos/s
//! ```
//!
//! `--job check` is [`Engine::check`] with the default [`Spec`]; `--jobs` lists the jobs, the
//! main one first.
//!
//! A directory stands for its `*_raw_big.jpg` files (the DEV set's 12-megapixel portraits),
//! or for all its JPEGs when it has none. Peak RSS is the process's VmHWM from
//! /proc/self/status (Linux): run one file per process to read that photo's peak.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use gradphoto_photo::{Engine, Spec};
use serde_json::json;

/// What is timed.
#[derive(Clone, Copy)]
enum Job {
    /// [`Engine::check`].
    Check,
}

impl Job {
    /// Every job, the main one first (`--jobs` prints these names).
    const ALL: [Job; 1] = [Job::Check];

    fn name(self) -> &'static str {
        match self {
            Job::Check => "check",
        }
    }
}

struct Args {
    job: Job,
    iters: usize,
    warmup: usize,
    threads: Option<usize>,
    files: Vec<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        job: Job::ALL[0],
        iters: 15,
        warmup: 1,
        threads: None,
        files: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--iters" => args.iters = parse(&value("--iters")?)?,
            "--warmup" => args.warmup = parse(&value("--warmup")?)?,
            "--threads" => args.threads = Some(parse(&value("--threads")?)?),
            "--job" => {
                let name = value("--job")?;
                args.job = Job::ALL
                    .into_iter()
                    .find(|j| j.name() == name)
                    .ok_or(format!("unknown job {name}\n{USAGE}"))?;
            }
            "--jobs" => {
                let names: Vec<&str> = Job::ALL.iter().map(|j| j.name()).collect();
                println!("{}", names.join(" "));
                std::process::exit(0);
            }
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

/// One run's stage times, in milliseconds, and what came out.
#[derive(Clone)]
struct Sample {
    /// Measured around the call.
    total: f64,
    /// The engine's own split (`Report::timings`).
    decode: f64,
    detect: f64,
    checks: f64,
    verdict: &'static str,
    reasons: Vec<&'static str>,
}

/// The job being timed, once.
fn run_once(engine: &Engine, spec: &Spec, job: Job, bytes: &[u8]) -> Sample {
    let start = Instant::now();
    match job {
        Job::Check => {
            let report = engine.check(bytes, spec);
            let total = start.elapsed().as_secs_f64() * 1000.0;
            Sample {
                total,
                decode: report.timings.decode_ms,
                detect: report.timings.detect_ms,
                checks: report.timings.checks_ms,
                verdict: report.verdict.as_str(),
                reasons: report.reasons.iter().map(|f| f.code).collect(),
            }
        }
    }
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

fn per_file(engine: &Engine, args: &Args) -> Result<(), String> {
    let spec = Spec::default();
    for path in &args.files {
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        for _ in 0..args.warmup {
            run_once(engine, &spec, args.job, &bytes);
        }
        let samples: Vec<Sample> = (0..args.iters)
            .map(|_| run_once(engine, &spec, args.job, &bytes))
            .collect();
        let col = |f: fn(&Sample) -> f64| samples.iter().map(f).collect::<Vec<f64>>();
        let totals = col(|s| s.total);
        let min_total = totals.iter().copied().fold(f64::INFINITY, f64::min);
        let last = &samples[samples.len() - 1];
        let line = json!({
            "engine": "rust",
            "job": args.job.name(),
            "file": path.display().to_string(),
            "bytes": bytes.len(),
            "iters": args.iters,
            "verdict": last.verdict,
            "reasons": last.reasons,
            "decode_ms": round2(median(col(|s| s.decode))),
            "detect_ms": round2(median(col(|s| s.detect))),
            "checks_ms": round2(median(col(|s| s.checks))),
            "total_ms": round2(median(totals)),
            "total_min_ms": round2(min_total),
            "peak_rss_mib": peak_rss_mib().map(round2),
        });
        println!("{line}");
    }
    Ok(())
}

fn batch(engine: &Engine, args: &Args, threads: usize) -> Result<(), String> {
    let spec = Spec::default();
    let inputs = args
        .files
        .iter()
        .map(|p| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display())))
        .collect::<Result<Vec<Vec<u8>>, String>>()?;
    // Warm up once per file (P-Net plans are built per input size on first use).
    for bytes in &inputs {
        run_once(engine, &spec, args.job, bytes);
    }
    let jobs = inputs.len() * args.iters;
    let next = AtomicUsize::new(0);
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= jobs {
                        break;
                    }
                    run_once(engine, &spec, args.job, &inputs[i % inputs.len()]);
                }
            });
        }
    });
    let seconds = start.elapsed().as_secs_f64();
    let line = json!({
        "engine": "rust",
        "job": args.job.name(),
        "batch": true,
        "threads": threads,
        "files": inputs.len(),
        "photos": jobs,
        "seconds": round2(seconds),
        "photos_per_s": round2(jobs as f64 / seconds),
        "peak_rss_mib": peak_rss_mib().map(round2),
    });
    println!("{line}");
    Ok(())
}

fn main() -> Result<(), String> {
    let args = parse_args()?;
    let engine = Engine::new().map_err(|e| e.to_string())?;
    match args.threads {
        None => per_file(&engine, &args),
        Some(t) => batch(&engine, &args, t),
    }
}
