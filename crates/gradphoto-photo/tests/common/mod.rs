//! What the photo tests share: where the labelled DEV photos are.

use std::path::{Path, PathBuf};

/// The DEV set: `$GRADPHOTO_PHOTOS_DEV`, else `shared/photos/dev` in the nearest ancestor of
/// this crate that has one (the workspace's parent in a normal checkout). `None` when absent:
/// the caller prints that it skips.
pub fn dev_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("GRADPHOTO_PHOTOS_DEV") {
        return Some(PathBuf::from(dir));
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|a| a.join("shared/photos/dev"))
        .find(|d| d.join("labels.json").is_file())
}
