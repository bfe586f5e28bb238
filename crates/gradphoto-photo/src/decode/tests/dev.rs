//! The labelled DEV set in shared/, when present.

use super::*;

/// The DEV set from shared/, when present: every file gives the `file.*` code its label says
/// (or decodes), and the low-quality variants estimate lower than the same person's accept.
#[test]
fn dev_set_decodes_and_quality_ranks() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/photos/dev");
    let Ok(labels) = std::fs::read(dir.join("labels.json")) else {
        eprintln!("skipped: no DEV set at {}", dir.display());
        return;
    };
    let labels: Vec<serde_json::Value> = serde_json::from_slice(&labels).expect("labels.json");
    let mut quality = std::collections::BTreeMap::new();
    let (mut decoded, mut refused) = (0, 0);
    for label in &labels {
        let name = label["file"].as_str().expect("file");
        let bytes = std::fs::read(dir.join(name)).expect("read");
        // The decode-level expectation: the label's file.* reason, except that a PNG decodes
        // here (refusing a non-JPEG is the checks' `file.format`).
        let expect = label["reasons"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r.as_str())
            .find(|r| r.starts_with("file.") && *r != "file.format");
        match (decode(&bytes, &L, Some(240)), expect) {
            (Ok(_), None) => {
                let h = probe(&bytes, &L).expect("probe");
                let rgb = decode(&bytes, &L, None).unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!((rgb.width, rgb.height), h.display_size(), "{name}");
                let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
                quality.insert(stem.to_owned(), h.jpeg_quality);
                decoded += 1;
            }
            (Err(e), Some(code)) => {
                assert_eq!(e.code(), code, "{name}: {e}");
                refused += 1;
            }
            (got, want) => panic!("{name}: got {:?}, label {want:?}", got.map(|_| "an image")),
        }
    }
    let mut pairs = 0;
    for (name, q) in &quality {
        let Some(person) = name.strip_suffix("_low_quality_jpeg") else {
            continue;
        };
        let accept = quality[&format!("{person}_accept")];
        eprintln!("{person}: low {q:?} vs accept {accept:?}");
        assert!(q < &accept, "{name}: {q:?} not below accept {accept:?}");
        assert!(q.is_some_and(|q| q < 60), "{name}: {q:?}");
        pairs += 1;
    }
    eprintln!("DEV: {decoded} decoded, {refused} refused as labelled, {pairs} quality pairs");
    assert!(decoded > 0 && pairs > 0);
}
