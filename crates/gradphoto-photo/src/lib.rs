//! The photo engine: every photo that reaches the registry passes through it. Pure and
//! synchronous — bytes in, a verdict, a standard image or a print sheet out — so that the
//! upload handler, the photographer station and batch jobs all call the same code. No
//! tokio, no files, no database.

mod check;
pub mod decode;
pub mod detect;
pub mod encode;
mod engine;
mod floor;
pub mod phash;
pub mod quality;
pub mod report;
pub mod resize;
pub mod sheet;
pub mod spec;
mod standardize;
#[cfg(test)]
mod testing;

pub use engine::{Engine, MIN_FACE_FRACTION};
pub use report::{Finding, Report, Severity, Value, Verdict};
pub use sheet::{PrintSheet, SheetError, print_sheet};
pub use spec::{Band, PrintSpec, Spec};
pub use standardize::{DETECT_SIDE, MAX_QUALITY, MAX_UPSCALE, Prepared, Standardized, WORK_SIDE};
