//! Reuse detection on the labelled DEV photos, when `../shared/photos/dev` (next to the
//! workspace) or `$GRADPHOTO_PHOTOS_DEV` is present; skipped with a message if not.
//!
//! Every DEV variant of a person is made from the same source photo, so the pairs that must
//! be near-duplicates are the person's `accept.jpg` against its `low_quality_jpeg` (quality
//! 20), `blurry` (σ = 5) and `accept_alt` (re-framed: shifted, rescaled, rolled,
//! re-encoded); every pair of different people's `accept.jpg` must not be. The distance
//! distributions are printed (`cargo test --test phash -- --nocapture`).

mod common;
use common::dev_dir;

use std::collections::BTreeMap;
use std::path::Path;

use gradphoto_photo::decode::{Limits, Rgb, decode};
use gradphoto_photo::detect::Detector;
use gradphoto_photo::phash::{
    FaceHash, HASH_BITS, NEAR_DUPLICATE_MAX, distance, face_hash, is_mirrored_duplicate,
    is_near_duplicate,
};

/// Variants that are the accept photo degraded or re-framed, and must be flagged.
const MUST_MATCH: [&str; 3] = ["low_quality_jpeg", "blurry", "accept_alt"];

struct Item {
    identity: String,
    variant: String,
    hash: FaceHash,
}

fn hash_of(detector: &Detector, rgb: &Rgb) -> Option<FaceHash> {
    let faces = detector
        .detect(&rgb.data, rgb.width, rgb.height, 48.0)
        .expect("detect runs");
    faces.first().map(|f| face_hash(rgb, f))
}

/// Every decodable DEV photo of one main person with a detected face (file-level defects
/// and `multiple_faces` left out), hashed with its best face.
fn load(dir: &Path, detector: &Detector) -> Vec<Item> {
    let text = std::fs::read_to_string(dir.join("labels.json")).expect("read labels.json");
    let labels: Vec<serde_json::Value> = serde_json::from_str(&text).expect("labels.json parses");
    let mut items = Vec::new();
    for l in &labels {
        let (Some(file), Some(identity), Some(variant)) = (
            l["file"].as_str(),
            l["identity"].as_str(),
            l["variant"].as_str(),
        ) else {
            continue;
        };
        if variant == "multiple_faces" {
            continue;
        }
        let bytes = std::fs::read(dir.join(file)).expect("read photo");
        let Ok(rgb) = decode(&bytes, &Limits::default(), Some(1200)) else {
            continue;
        };
        let Some(hash) = hash_of(detector, &rgb) else {
            continue;
        };
        items.push(Item {
            identity: identity.to_owned(),
            variant: variant.to_owned(),
            hash,
        });
    }
    items
}

fn summary(v: &mut [u32]) -> String {
    v.sort_unstable();
    let q = |p: usize| v[(v.len() - 1) * p / 100];
    format!(
        "n={} min={} p5={} median={} p95={} max={}",
        v.len(),
        v[0],
        q(5),
        q(50),
        q(95),
        v[v.len() - 1]
    )
}

fn mirror(rgb: &Rgb) -> Rgb {
    let w = rgb.width as usize;
    let data = rgb
        .data
        .chunks_exact(w * 3)
        .flat_map(|row| row.chunks_exact(3).rev().flatten().copied())
        .collect();
    Rgb {
        width: rgb.width,
        height: rgb.height,
        data,
    }
}

#[test]
fn dev_same_photo_is_a_near_duplicate_and_different_people_are_not() {
    let Some(dir) = dev_dir() else {
        eprintln!("SKIPPED: DEV photos not found (../shared/photos/dev); set GRADPHOTO_PHOTOS_DEV");
        return;
    };
    let detector = Detector::new().expect("embedded models load");
    let items = load(&dir, &detector);
    let accepts: BTreeMap<&str, &Item> = items
        .iter()
        .filter(|i| i.variant == "accept")
        .map(|i| (i.identity.as_str(), i))
        .collect();
    assert!(accepts.len() >= 20, "{} accepts hashed", accepts.len());

    let mut failures = Vec::new();
    let mut same = Vec::new();
    let mut worst_same = Vec::new();
    let mut closest_different = Vec::new();
    let mut by_variant: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    for it in items.iter().filter(|i| i.variant != "accept") {
        let Some(a) = accepts.get(it.identity.as_str()) else {
            continue;
        };
        let d = distance(&a.hash, &it.hash);
        by_variant.entry(&it.variant).or_default().push(d);
        if MUST_MATCH.contains(&it.variant.as_str()) {
            same.push(d);
            worst_same.push((d, format!("{} {}", it.identity, it.variant)));
            if !is_near_duplicate(&a.hash, &it.hash) {
                failures.push(format!("{} {}: distance {d}", it.identity, it.variant));
            }
        }
    }
    let list: Vec<&Item> = accepts.values().copied().collect();
    let mut different = Vec::new();
    for (i, a) in list.iter().enumerate() {
        for b in &list[i + 1..] {
            let d = distance(&a.hash, &b.hash);
            different.push(d);
            closest_different.push((d, format!("{} vs {}", a.identity, b.identity)));
            if is_near_duplicate(&a.hash, &b.hash) {
                failures.push(format!("{} vs {}: distance {d}", a.identity, b.identity));
            }
        }
    }

    println!("face hash: {HASH_BITS} bits, near-duplicate at distance ≤ {NEAR_DUPLICATE_MAX}");
    println!(
        "same photo (accept vs {}): {}",
        MUST_MATCH.join(", "),
        summary(&mut same)
    );
    println!(
        "different people (accept pairs):  {}",
        summary(&mut different)
    );
    println!("gap: {} < d < {}", same[same.len() - 1], different[0]);
    worst_same.sort_unstable_by(|a, b| b.cmp(a));
    closest_different.sort_unstable();
    println!("farthest same-photo pairs: {:?}", &worst_same[..3]);
    println!("closest different pairs:   {:?}", &closest_different[..3]);
    println!("accept vs other variants of the same photo (not asserted):");
    for (variant, v) in &mut by_variant {
        v.sort_unstable();
        let flagged = v.iter().filter(|&&d| d <= NEAR_DUPLICATE_MAX).count();
        println!("  {variant:<18} {v:?}  flagged {flagged}/{}", v.len());
    }
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
}

/// A mirrored accept is reported as a mirrored duplicate of the accept.
#[test]
fn dev_mirrored_photo_is_reported() {
    let Some(dir) = dev_dir() else {
        eprintln!("SKIPPED: DEV photos not found (../shared/photos/dev); set GRADPHOTO_PHOTOS_DEV");
        return;
    };
    let detector = Detector::new().expect("embedded models load");
    let text = std::fs::read_to_string(dir.join("labels.json")).expect("read labels.json");
    let labels: Vec<serde_json::Value> = serde_json::from_str(&text).expect("labels.json parses");
    let mut failures = Vec::new();
    let (mut as_mirror, mut as_is) = (Vec::new(), Vec::new());
    let mut plain = 0;
    for file in labels
        .iter()
        .filter(|l| l["variant"] == "accept")
        .filter_map(|l| l["file"].as_str())
    {
        let bytes = std::fs::read(dir.join(file)).expect("read photo");
        let rgb = decode(&bytes, &Limits::default(), None).expect("accept decodes");
        let a = hash_of(&detector, &rgb).expect("a face");
        let m = hash_of(&detector, &mirror(&rgb)).expect("a face when mirrored");
        as_mirror.push(distance(&a.mirrored(), &m));
        as_is.push(distance(&a, &m));
        if !is_mirrored_duplicate(&a, &m) {
            if is_near_duplicate(&a, &m) {
                // Still flagged, as a plain duplicate (a near-symmetric face).
                plain += 1;
            } else {
                failures.push(format!("{file}: mirror not flagged"));
            }
        }
    }
    println!(
        "mirrored accept vs accept.mirrored(): {}",
        summary(&mut as_mirror)
    );
    println!(
        "mirrored accept vs accept as is:      {}",
        summary(&mut as_is)
    );
    println!("reported as plain duplicates instead of mirrored: {plain}");
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
}
