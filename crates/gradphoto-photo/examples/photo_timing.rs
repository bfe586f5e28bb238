//! Times the photo engine on real files, for `bench/photo_vs_peer/run`: a measurement to
//! report, not a timed test. Prints one JSON object per line.
//!
//! ```text
//! photo_timing [--job JOB] [--iters N] [--warmup N] FILE|DIR...
//!     one thread; per file the median (and min) of N runs per stage, and the peak RSS
//! photo_timing --threads T [--job JOB] [--iters N] FILE|DIR...
//!     batch: every file N times, shared out over T threads with one engine; photos/s
//! photo_timing --jobs
//!     the jobs, the main one first
//! ```
//!
//! Jobs, with the default [`Spec`]: `standardize` is [`Engine::standardize`] (its check of
//! the output included), `check` is [`Engine::check`].
//!
//! The time per photo is measured around the one call. For `standardize`, the split into
//! stages comes from the engine's public pieces timed alone on the same input right after
//! it, with the standardizer's sizes — decode reduced to ≥ 960 px, detect on a ≤ 640 px copy
//! (resample + MTCNN), `encode_to_fit` of the output — and the check of the output from the
//! result's report; `rest` is what remains (source checks, placement, warp).
//!
//! A directory stands for its `*_raw_big.jpg` files (the DEV set's 12-megapixel portraits),
//! or for all its JPEGs when it has none. Peak RSS is the process's VmHWM from
//! /proc/self/status (Linux): run one file per process to read that photo's peak.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use gradphoto_photo::decode::decode;
use gradphoto_photo::resize::{Rect, resample};
use gradphoto_photo::{Engine, Spec, Standardized, encode};
// The standardizer's sizes, for the split into stages: the engine's own constants.
use gradphoto_photo::{DETECT_SIDE, MAX_QUALITY, MIN_FACE_FRACTION, WORK_SIDE};
use serde_json::json;

/// The binary's allocator (`gradphoto`): the engine is timed as it runs there.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// What is timed.
#[derive(Clone, Copy)]
enum Job {
    /// [`Engine::standardize`].
    Standardize,
    /// [`Engine::check`].
    Check,
}

impl Job {
    /// Every job, the main one first (`--jobs` prints these names).
    const ALL: [Job; 2] = [Job::Standardize, Job::Check];

    fn name(self) -> &'static str {
        match self {
            Job::Standardize => "standardize",
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

/// One run: the time around the call, the split into stages, and what came out.
#[derive(Clone, Default)]
struct Sample {
    total: f64,
    stages: Vec<(&'static str, f64)>,
    verdict: &'static str,
    reasons: Vec<&'static str>,
    out_bytes: Option<usize>,
    /// FNV-1a of the output file: two builds that should differ only in speed must agree.
    out_hash: Option<String>,
    quality: Option<u8>,
}

/// 64-bit FNV-1a, in hex: enough to tell two outputs apart, with no dependency.
fn fnv1a(bytes: &[u8]) -> String {
    let h = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{h:016x}")
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

/// The job once; with `split`, also the stages (see the module documentation).
fn run_once(engine: &Engine, spec: &Spec, job: Job, bytes: &[u8], split: bool) -> Sample {
    let start = Instant::now();
    match job {
        Job::Check => {
            let report = engine.check(bytes, spec);
            let total = ms(start);
            let t = &report.timings;
            Sample {
                total,
                stages: vec![
                    ("decode", t.decode_ms),
                    ("detect", t.detect_ms),
                    ("checks", t.checks_ms),
                ],
                verdict: report.verdict.as_str(),
                reasons: report.reasons.iter().map(|f| f.code).collect(),
                ..Sample::default()
            }
        }
        Job::Standardize => match engine.standardize(bytes, spec) {
            Ok(done) => {
                let total = ms(start);
                let stages = if split {
                    standardize_stages(engine, spec, bytes, &done, total).unwrap_or_default()
                } else {
                    Vec::new()
                };
                Sample {
                    total,
                    stages,
                    verdict: done.report.verdict.as_str(),
                    out_bytes: Some(done.jpeg.len()),
                    out_hash: Some(fnv1a(&done.jpeg)),
                    quality: Some(done.quality),
                    ..Sample::default()
                }
            }
            Err(report) => Sample {
                total: ms(start),
                verdict: report.verdict.as_str(),
                reasons: report.reasons.iter().map(|f| f.code).collect(),
                ..Sample::default()
            },
        },
    }
}

/// The standardizer's stages, each timed alone with the public API.
fn standardize_stages(
    engine: &Engine,
    spec: &Spec,
    bytes: &[u8],
    done: &Standardized,
    total: f64,
) -> Option<Vec<(&'static str, f64)>> {
    let t = Instant::now();
    let src = decode(bytes, engine.limits(), Some(WORK_SIDE)).ok()?;
    let decode_ms = ms(t);

    let t = Instant::now();
    let k = (DETECT_SIDE as f32 / src.width.max(src.height) as f32).min(1.0);
    let (w, h) = (
        (src.width as f32 * k).round().max(1.0) as u32,
        (src.height as f32 * k).round().max(1.0) as u32,
    );
    let whole = Rect {
        x: 0.0,
        y: 0.0,
        w: src.width as f32,
        h: src.height as f32,
    };
    let view = resample(&src, whole, w, h, [0, 0, 0]).ok()?;
    let resize_ms = ms(t);
    let min_face = (w.min(h) as f32 * MIN_FACE_FRACTION).max(12.0);
    let (_, d) = engine
        .detector()
        .detect_with_stats(&view.data, view.width, view.height, min_face)
        .ok()?;
    let detect_ms = ms(t);

    let t = Instant::now();
    encode::encode_to_fit(
        &done.image,
        spec.dpi,
        spec.min_quality,
        MAX_QUALITY,
        spec.target_bytes.1,
    )
    .ok()?;
    let encode_ms = ms(t);

    // The standardizer's own check of its output (which reuses the face it found).
    let check_ms = done.report.timings.total_ms;
    let rest = total - decode_ms - detect_ms - encode_ms - check_ms;
    Some(vec![
        ("decode", decode_ms),
        ("detect", detect_ms),
        // The parts of "detect": the copy it runs on, then the three networks.
        ("detect.resize", resize_ms),
        ("detect.pnet", d.pnet_ms),
        ("detect.rnet", d.rnet_ms),
        ("detect.onet", d.onet_ms),
        // Boxes passed on (counts, not ms; medians like the rest).
        ("boxes.pnet_to_rnet", d.proposals as f64),
        ("boxes.rnet_to_onet", d.refined as f64),
        ("encode", encode_ms),
        ("check_output", check_ms),
        ("rest", rest),
    ])
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
            run_once(engine, &spec, args.job, &bytes, false);
        }
        let samples: Vec<Sample> = (0..args.iters)
            .map(|_| run_once(engine, &spec, args.job, &bytes, true))
            .collect();
        let totals: Vec<f64> = samples.iter().map(|s| s.total).collect();
        let min_total = totals.iter().copied().fold(f64::INFINITY, f64::min);
        let last = &samples[samples.len() - 1];
        let mut line = json!({
            "engine": "rust",
            "job": args.job.name(),
            "file": path.display().to_string(),
            "bytes": bytes.len(),
            "iters": args.iters,
            "verdict": last.verdict,
            "reasons": last.reasons,
            "out_bytes": last.out_bytes,
            "out_hash": last.out_hash,
            "quality": last.quality,
            "total_ms": round2(median(totals)),
            "total_min_ms": round2(min_total),
            "peak_rss_mib": peak_rss_mib().map(round2),
        });
        // Stage medians, in the engine's order (a refused run has none).
        for (k, (name, _)) in last.stages.iter().enumerate() {
            let values: Vec<f64> = samples
                .iter()
                .filter_map(|s| s.stages.get(k).map(|st| st.1))
                .collect();
            // Counts are named as they are; times carry their unit.
            let key = if name.starts_with("boxes.") {
                (*name).to_string()
            } else {
                format!("{name}_ms")
            };
            line[key] = json!(round2(median(values)));
        }
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
        run_once(engine, &spec, args.job, bytes, false);
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
                    run_once(engine, &spec, args.job, &inputs[i % inputs.len()], false);
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
