//! Checks that the MTCNN weights are present before compiling, so that a missing download
//! is one clear message instead of three `include_bytes!` errors. The weights are embedded
//! (see `src/detect/mod.rs`) because the detector must need no file at run time.

use std::path::Path;

const MODELS: [&str; 3] = ["pnet.onnx", "rnet.onnx", "onet.onnx"];

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    let missing: Vec<&str> = MODELS
        .iter()
        .copied()
        .filter(|m| !dir.join(m).is_file())
        .collect();
    for m in MODELS {
        println!("cargo:rerun-if-changed=models/{m}");
    }
    println!("cargo:rerun-if-changed=build.rs");
    if !missing.is_empty() {
        eprintln!(
            "MTCNN model weights missing in crates/gradphoto-photo/models/: run scripts/fetch-models (missing: {})",
            missing.join(", ")
        );
        std::process::exit(1);
    }
}
