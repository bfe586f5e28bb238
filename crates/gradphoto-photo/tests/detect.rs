//! Face detector tests: synthetic images always; the labelled DEV photos when
//! `../shared/photos/dev` (next to the workspace) is present, skipped with a message if not.

mod common;
use common::dev_dir;

use std::path::Path;
use std::sync::OnceLock;
use std::time::Instant;

use gradphoto_photo::detect::{DetectError, Detector, Face};
use image::{ImageReader, RgbImage};

/// Eyes must land this close (px) to the labels: other detectors differ by up to ~10 px.
const EYE_TOLERANCE: f32 = 15.0;

fn detector() -> &'static Detector {
    static DETECTOR: OnceLock<Detector> = OnceLock::new();
    DETECTOR.get_or_init(|| Detector::new().expect("embedded models load"))
}

fn load_rgb(path: &Path) -> RgbImage {
    ImageReader::open(path)
        .and_then(|r| r.with_guessed_format())
        .expect("open test image")
        .decode()
        .expect("decode test image")
        .to_rgb8()
}

fn detect(img: &RgbImage, min_face: f32) -> Vec<Face> {
    detector()
        .detect(img.as_raw(), img.width(), img.height(), min_face)
        .expect("detect runs")
}

struct Accept {
    file: String,
    eyes: [[f32; 2]; 2],
}

/// Every `check` file labelled as an accept (`accept` and `accept_alt`), with its eyes.
fn accepts(dir: &Path) -> Vec<Accept> {
    let text = std::fs::read_to_string(dir.join("labels.json")).expect("read labels.json");
    let labels: Vec<serde_json::Value> = serde_json::from_str(&text).expect("labels.json parses");
    labels
        .iter()
        .filter(|l| l["mode"] == "check" && l["expect"] == "accept")
        .map(|l| {
            let eye = |i: usize| {
                let p = &l["eyes"][i];
                [0, 1].map(|k| p[k].as_f64().expect("eye coordinate") as f32)
            };
            Accept {
                file: l["file"].as_str().expect("file name").to_owned(),
                eyes: [eye(0), eye(1)],
            }
        })
        .collect()
}

fn dist(a: [f32; 2], b: [f32; 2]) -> f32 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
}

fn median(v: &mut [f32]) -> f32 {
    v.sort_by(f32::total_cmp);
    v[v.len() / 2]
}

#[test]
fn dev_accepts_have_one_face_with_eyes_on_the_labels() {
    let Some(dir) = dev_dir() else {
        eprintln!("SKIPPED: DEV photos not found (../shared/photos/dev); set GRADPHOTO_PHOTOS_DEV");
        return;
    };
    let accepts = accepts(&dir);
    assert!(
        accepts.len() >= 20,
        "expected the DEV accepts, found {}",
        accepts.len()
    );
    let mut errors = Vec::new();
    let mut failures = Vec::new();
    for a in &accepts {
        let faces = detect(&load_rgb(&dir.join(&a.file)), 40.0);
        if faces.len() != 1 {
            failures.push(format!("{}: {} faces", a.file, faces.len()));
            continue;
        }
        for (k, label) in a.eyes.iter().enumerate() {
            let e = dist(faces[0].landmarks[k], *label);
            if e > EYE_TOLERANCE {
                failures.push(format!("{}: eye {k} off by {e:.1} px", a.file));
            }
            errors.push(e);
        }
    }
    if !errors.is_empty() {
        let max = errors.iter().copied().fold(0.0f32, f32::max);
        println!(
            "DEV accepts: {} files, {} eyes, eye error median {:.2} px, max {:.2} px",
            accepts.len(),
            errors.len(),
            median(&mut errors),
            max
        );
    }
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
}

/// The DEV `multiple_faces` files paste a second, smaller person (face ≈ 110 px) in a
/// lower corner: both must be found.
#[test]
fn dev_multiple_faces_have_at_least_two() {
    let Some(dir) = dev_dir() else {
        eprintln!("SKIPPED: DEV photos not found (../shared/photos/dev); set GRADPHOTO_PHOTOS_DEV");
        return;
    };
    let text = std::fs::read_to_string(dir.join("labels.json")).expect("read labels.json");
    let labels: Vec<serde_json::Value> = serde_json::from_str(&text).expect("labels.json parses");
    let files: Vec<&str> = labels
        .iter()
        .filter(|l| l["variant"] == "multiple_faces")
        .filter_map(|l| l["file"].as_str())
        .collect();
    assert!(
        !files.is_empty(),
        "no multiple_faces file in the DEV labels"
    );
    for file in files {
        let n = detect(&load_rgb(&dir.join(file)), 40.0).len();
        println!("{file}: {n} faces");
        assert!(n >= 2, "{file}: {n} faces");
    }
}

#[test]
fn uniform_blue_has_no_face() {
    let img = RgbImage::from_pixel(480, 640, image::Rgb([100, 197, 255]));
    assert!(detect(&img, 40.0).is_empty());
}

#[test]
fn four_tiled_portraits_give_four_faces() {
    let Some(dir) = dev_dir() else {
        eprintln!("SKIPPED: DEV photos not found (../shared/photos/dev); set GRADPHOTO_PHOTOS_DEV");
        return;
    };
    let first = accepts(&dir).into_iter().next().expect("an accept");
    let src = load_rgb(&dir.join(&first.file));
    let (w, h) = (src.width() / 2, src.height() / 2);
    let small = image::imageops::resize(&src, w, h, image::imageops::FilterType::Triangle);
    let mut tiled = RgbImage::new(w * 2, h * 2);
    for (tx, ty) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
        image::imageops::replace(&mut tiled, &small, i64::from(tx * w), i64::from(ty * h));
    }
    let faces = detect(&tiled, 40.0);
    assert_eq!(faces.len(), 4, "faces: {faces:?}");
    // One face per tile.
    let mut tiles: Vec<(u32, u32)> = faces
        .iter()
        .map(|f| {
            let cx = (f.bbox[0] + f.bbox[2]) / 2.0;
            let cy = (f.bbox[1] + f.bbox[3]) / 2.0;
            (u32::from(cx >= w as f32), u32::from(cy >= h as f32))
        })
        .collect();
    tiles.sort_unstable();
    assert_eq!(tiles, vec![(0, 0), (0, 1), (1, 0), (1, 1)]);
}

/// The stats say what the detection did: the same faces, and each stage passing on no
/// more boxes than it was given; an image with no face stops after P-Net.
#[test]
fn detection_stats_follow_the_boxes_through_the_stages() {
    let blue = RgbImage::from_pixel(480, 640, image::Rgb([100, 197, 255]));
    let (faces, stats) = detector()
        .detect_with_stats(blue.as_raw(), 480, 640, 40.0)
        .expect("detect");
    assert!(faces.is_empty());
    assert_eq!((stats.proposals, stats.refined, stats.faces), (0, 0, 0));
    let Some(dir) = dev_dir() else {
        eprintln!("SKIPPED: DEV photos not found (../shared/photos/dev); set GRADPHOTO_PHOTOS_DEV");
        return;
    };
    let first = accepts(&dir).into_iter().next().expect("an accept");
    let img = load_rgb(&dir.join(&first.file));
    let (faces, stats) = detector()
        .detect_with_stats(img.as_raw(), img.width(), img.height(), 40.0)
        .expect("detect");
    assert_eq!(faces, detect(&img, 40.0));
    assert_eq!(stats.faces, faces.len());
    assert!(stats.faces >= 1, "{stats:?}");
    assert!(
        stats.proposals >= stats.refined && stats.refined >= stats.faces,
        "{stats:?}"
    );
    assert!(stats.pnet_ms > 0.0 && stats.rnet_ms > 0.0 && stats.onet_ms > 0.0);
}

#[test]
fn inconsistent_input_is_an_input_error() {
    let d = detector();
    assert!(matches!(
        d.detect(&[0; 10], 4, 4, 40.0),
        Err(DetectError::Input(_))
    ));
    assert!(matches!(
        d.detect(&[0; 48], 4, 4, 5.0),
        Err(DetectError::Input(_))
    ));
    assert!(matches!(
        d.detect(&[0; 48], 4, 4, f32::NAN),
        Err(DetectError::Input(_))
    ));
    assert!(matches!(
        d.detect(&[], u32::MAX, u32::MAX, 40.0),
        Err(DetectError::Input(_))
    ));
    // Smaller than P-Net's window: nothing to find, not an error.
    assert!(
        d.detect(&[0; 48], 4, 4, 40.0)
            .expect("tiny image")
            .is_empty()
    );
}

/// Not a timed test: prints the per-image detection time (meaningful with `--release`).
#[test]
fn report_detection_time_480x640_min_face_80() {
    let Some(dir) = dev_dir() else {
        eprintln!("SKIPPED: DEV photos not found (../shared/photos/dev); set GRADPHOTO_PHOTOS_DEV");
        return;
    };
    let images: Vec<RgbImage> = accepts(&dir)
        .iter()
        .map(|a| load_rgb(&dir.join(&a.file)))
        .collect();
    // Warm the per-size P-Net plans so that the figure is the steady state.
    detect(&images[0], 80.0);
    let mut ms = Vec::new();
    for img in &images {
        let t = Instant::now();
        detect(img, 80.0);
        ms.push(t.elapsed().as_secs_f32() * 1000.0);
    }
    let max = ms.iter().copied().fold(0.0f32, f32::max);
    println!(
        "detect 480x640, min_face 80, {} images ({}): median {:.1} ms, max {:.1} ms",
        ms.len(),
        if cfg!(debug_assertions) {
            "debug build"
        } else {
            "release build"
        },
        median(&mut ms),
        max
    );
}
