//! Face detection with landmarks (MTCNN, run in pure Rust with tract).
