//! `gradphoto photo …`: the photo engine from the command line — check finished photos,
//! standardize portraits, over single files or whole folders, one photo per core, with a
//! progress bar on a terminal. Exit status 1 when any photo is rejected, so scripts can
//! stop on it.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use gradphoto_photo::{Engine, PrintSpec, Report, Spec, Verdict, spec};
use serde::Serialize;

#[derive(Subcommand)]
pub enum PhotoCmd {
    /// Judge finished standard photos: verdict and every failing reason. FILE may be a folder.
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// One JSON object per file instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        opts: Opts,
    },
    /// Make the 480×640 standard image from a portrait (a folder: every JPEG/PNG in it).
    Standardize {
        input: PathBuf,
        /// Output file, or folder when the input is a folder.
        #[arg(short, long)]
        output: PathBuf,
        /// Also write the print sheet (8 prints on 6-inch) as JPEG here; a PDF is written
        /// next to it. Single files only.
        #[arg(long)]
        sheet: Option<PathBuf>,
        /// Student number printed in the sheet's margin (defaults to the file name).
        #[arg(long)]
        student_no: Option<String>,
        /// One JSON object per file instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        opts: Opts,
    },
}

#[derive(Args)]
pub struct Opts {
    /// Background colour: blue (RGB 100,197,255), white, grey (240), or R,G,B.
    #[arg(long, default_value = "blue")]
    background: String,
    /// Photos processed at once (default: one per core).
    #[arg(long)]
    jobs: Option<usize>,
}

impl Opts {
    fn spec(&self) -> anyhow::Result<Spec> {
        let rgb = match self.background.as_str() {
            "blue" => spec::LIGHT_BLUE,
            "white" => spec::WHITE,
            "grey" | "gray" => spec::LIGHT_GREY,
            other => {
                let parts: Vec<u8> = other
                    .split(',')
                    .map(|p| p.trim().parse::<u8>())
                    .collect::<Result<_, _>>()
                    .with_context(|| {
                        format!("--background {other}: expected blue, white, grey or R,G,B")
                    })?;
                match parts[..] {
                    [r, g, b] => [r, g, b],
                    _ => bail!("--background {other}: expected three numbers R,G,B"),
                }
            }
        };
        Ok(Spec::with_background(rgb))
    }

    fn jobs(&self) -> usize {
        self.jobs
            .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
            .unwrap_or(1)
            .max(1)
    }
}

/// Runs a `photo` subcommand; returns the process exit code.
pub fn run(cmd: PhotoCmd) -> anyhow::Result<i32> {
    let engine = Engine::new().context("loading the face models")?;
    match cmd {
        PhotoCmd::Check { files, json, opts } => {
            let spec = opts.spec()?;
            let inputs = expand(&files)?;
            let results = for_each(
                &inputs,
                opts.jobs(),
                |path| match std::fs::read(path) {
                    Ok(bytes) => Ok(engine.check(&bytes, &spec)),
                    Err(e) => Err(format!("{}: {e}", path.display())),
                },
                |path, res| print_check(path, res, json),
            );
            Ok(exit_code(&results))
        }
        PhotoCmd::Standardize {
            input,
            output,
            sheet,
            student_no,
            json,
            opts,
        } => {
            let spec = opts.spec()?;
            if input.is_dir() {
                if sheet.is_some() {
                    bail!("--sheet takes a single input file");
                }
                std::fs::create_dir_all(&output)
                    .with_context(|| format!("creating {}", output.display()))?;
                let inputs = expand(std::slice::from_ref(&input))?;
                let results = for_each(
                    &inputs,
                    opts.jobs(),
                    |path| {
                        let name = path
                            .file_stem()
                            .map(|s| s.to_string_lossy().into_owned())
                            .unwrap_or_default();
                        standardize_one(
                            &engine,
                            path,
                            &output.join(format!("{name}.jpg")),
                            None,
                            &spec,
                        )
                    },
                    |path, res| print_check(path, res, json),
                );
                Ok(exit_code(&results))
            } else {
                let no = student_no.unwrap_or_else(|| {
                    input
                        .file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_default()
                });
                let sheet = sheet.as_deref().map(|p| (p, no.as_str()));
                let res = standardize_one(&engine, &input, &output, sheet, &spec);
                print_check(&input, &res, json);
                Ok(exit_code(&[res]))
            }
        }
    }
}

fn exit_code(results: &[Result<Report, String>]) -> i32 {
    if results.iter().any(|r| r.is_err()) {
        2
    } else if results
        .iter()
        .any(|r| matches!(r, Ok(r) if r.verdict == Verdict::Reject))
    {
        1
    } else {
        0
    }
}

/// Standardizes one file: the report of the output on success (written atomically: a
/// temporary file renamed into place), or the refusal.
fn standardize_one(
    engine: &Engine,
    input: &Path,
    output: &Path,
    sheet: Option<(&Path, &str)>,
    spec: &Spec,
) -> Result<Report, String> {
    let bytes = std::fs::read(input).map_err(|e| format!("{}: {e}", input.display()))?;
    match engine.standardize(&bytes, spec) {
        Err(refused) => Ok(*refused),
        Ok(std) => {
            write_atomic(output, &std.jpeg)?;
            if let Some((path, no)) = sheet {
                let s = gradphoto_photo::print_sheet(&std.image, no, &PrintSpec::default())
                    .map_err(|e| format!("print sheet: {e}"))?;
                write_atomic(path, &s.jpeg)?;
                write_atomic(&path.with_extension("pdf"), &s.pdf)?;
            }
            // The report is the output's check; its total is the whole standardization.
            let mut report = std.report;
            report.timings.total_ms = std.total_ms;
            Ok(report)
        }
    }
}

/// Writes through a temporary file in the same folder and renames it into place, so a reader
/// never sees half a file. The temporary file is created readable by the owner only (0600),
/// which the registry's key ring relies on.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let err = |e: std::io::Error| format!("{}: {e}", path.display());
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(err)?;
    tmp.write_all(bytes).map_err(err)?;
    tmp.persist(path).map_err(|e| err(e.error))?;
    Ok(())
}

/// Files as given; folders replaced by their JPEG and PNG files (sorted, not recursive).
fn expand(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(p)
                .with_context(|| format!("reading {}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| {
                    f.is_file()
                        && f.extension().is_some_and(|x| {
                            let x = x.to_string_lossy().to_ascii_lowercase();
                            matches!(x.as_str(), "jpg" | "jpeg" | "png")
                        })
                })
                .collect();
            found.sort();
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// Runs `work` over the inputs on `jobs` threads and hands each result to `emit` in input
/// order (so output is stable whatever finishes first), with a progress bar on a terminal.
fn for_each<T: Send>(
    inputs: &[PathBuf],
    jobs: usize,
    work: impl Fn(&Path) -> T + Sync,
    mut emit: impl FnMut(&Path, &T),
) -> Vec<T> {
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel::<(usize, T)>();
    let progress = Progress::new(inputs.len());
    std::thread::scope(|s| {
        for _ in 0..jobs.min(inputs.len().max(1)) {
            let tx = tx.clone();
            let (next, work) = (&next, &work);
            s.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = inputs.get(i) else { break };
                    if tx.send((i, work(path))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut pending: Vec<Option<T>> = inputs.iter().map(|_| None).collect();
        let mut out = Vec::with_capacity(inputs.len());
        let mut emitted = 0;
        for (i, res) in rx {
            pending[i] = Some(res);
            progress.tick();
            while let Some(r) = pending.get_mut(emitted).and_then(Option::take) {
                progress.clear();
                emit(&inputs[emitted], &r);
                out.push(r);
                emitted += 1;
            }
        }
        progress.clear();
        out
    })
}

/// A one-line progress bar on stderr, only when stderr is a terminal (never in logs/CI).
struct Progress {
    total: usize,
    done: AtomicUsize,
    enabled: bool,
}

impl Progress {
    fn new(total: usize) -> Progress {
        Progress {
            total,
            done: AtomicUsize::new(0),
            enabled: total > 1 && std::io::stderr().is_terminal(),
        }
    }

    fn tick(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if self.enabled {
            let width = 30;
            let filled = done * width / self.total.max(1);
            eprint!(
                "\r[{}{}] {done}/{} photos",
                "#".repeat(filled),
                "-".repeat(width - filled),
                self.total
            );
        }
    }

    fn clear(&self) {
        if self.enabled {
            eprint!("\r\x1b[2K");
        }
    }
}

#[derive(Serialize)]
struct JsonLine<'a> {
    file: String,
    #[serde(flatten)]
    report: Option<&'a Report>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

fn print_check(path: &Path, res: &Result<Report, String>, json: bool) {
    let file = path.display().to_string();
    if json {
        let line = match res {
            Ok(r) => JsonLine {
                file,
                report: Some(r),
                error: None,
            },
            Err(e) => JsonLine {
                file,
                report: None,
                error: Some(e),
            },
        };
        println!("{}", serde_json::to_string(&line).unwrap_or_default());
        return;
    }
    match res {
        Err(e) => println!("error   {e}"),
        Ok(r) => {
            println!(
                "{:<7} {file}  ({:.0} ms)",
                r.verdict.as_str(),
                r.timings.total_ms
            );
            for f in &r.reasons {
                let measured = serde_json::to_string(&f.measured).unwrap_or_default();
                let limit = serde_json::to_string(&f.limit).unwrap_or_default();
                println!("    {:<20} {measured} (limit {limit})", f.code);
                println!("        {}", f.en);
                println!("        {}", f.zh);
            }
        }
    }
}
