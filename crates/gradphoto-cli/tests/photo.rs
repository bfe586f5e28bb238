//! `gradphoto photo …` as an operator runs it: JSON lines, exit status, folders, outputs.

use std::path::PathBuf;
use std::process::{Command, Output};

fn gradphoto(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gradphoto"))
        .args(args)
        .output()
        .expect("run gradphoto")
}

fn json_lines(o: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}

fn dev_dir() -> Option<PathBuf> {
    gradphoto_e2e::photos_dev_dir()
}

#[test]
fn check_reports_unreadable_files_as_json_and_exits_non_zero() {
    let dir = tempfile::tempdir().expect("tempdir");
    let html = dir.path().join("photo.jpg");
    std::fs::write(&html, "<html>404 Not Found</html>").expect("write");
    let empty = dir.path().join("empty.jpg");
    std::fs::write(&empty, b"").expect("write");
    let o = gradphoto(&[
        "photo",
        "check",
        "--json",
        dir.path().to_str().expect("utf-8"),
    ]);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let lines = json_lines(&o);
    assert_eq!(lines.len(), 2);
    for line in &lines {
        assert_eq!(line["verdict"], "reject");
        let reason = &line["reasons"][0];
        assert_eq!(reason["code"], "file.unreadable");
        assert!(reason["zh"].as_str().is_some_and(|s| !s.is_empty()));
        assert!(reason["en"].as_str().is_some_and(|s| !s.is_empty()));
        assert!(line["timings"]["total_ms"].is_number());
    }
    // Folder order is file-name order, whatever finishes first.
    assert!(
        lines[0]["file"]
            .as_str()
            .is_some_and(|f| f.ends_with("empty.jpg"))
    );
}

#[test]
fn a_missing_file_is_an_error_not_a_verdict() {
    let o = gradphoto(&["photo", "check", "/nonexistent/photo.jpg"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stdout).contains("error"));
}

#[test]
fn a_bad_background_option_is_refused() {
    let o = gradphoto(&["photo", "check", "--background", "1,2", "x.jpg"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--background"));
}

#[test]
fn dev_accept_passes_and_a_raw_portrait_is_standardized_with_a_print_sheet() {
    let Some(dev) = dev_dir() else {
        eprintln!("SKIPPED: the labelled DEV photos (../shared/photos/dev) are absent");
        return;
    };
    let accept = dev.join("A000369_accept.jpg");
    let o = gradphoto(&["photo", "check", accept.to_str().expect("utf-8")]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("accept"));

    let out_dir = tempfile::tempdir().expect("tempdir");
    let out = out_dir.path().join("std.jpg");
    let sheet = out_dir.path().join("sheet.jpg");
    let raw = dev.join("raw/A000369_raw.jpg");
    let o = gradphoto(&[
        "photo",
        "standardize",
        raw.to_str().expect("utf-8"),
        "-o",
        out.to_str().expect("utf-8"),
        "--sheet",
        sheet.to_str().expect("utf-8"),
        "--student-no",
        "2023012345",
        "--json",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert_eq!(json_lines(&o)[0]["verdict"], "accept");
    // The written standard image passes `check` on its own.
    let o = gradphoto(&["photo", "check", "--json", out.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(json_lines(&o)[0]["verdict"], "accept");
    assert!(
        std::fs::read(&sheet)
            .expect("sheet jpeg")
            .starts_with(&[0xFF, 0xD8])
    );
    assert!(
        std::fs::read(sheet.with_extension("pdf"))
            .expect("sheet pdf")
            .starts_with(b"%PDF-")
    );
}
