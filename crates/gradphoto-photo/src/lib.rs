//! The photo engine: every photo that reaches the registry passes through it. Pure and
//! synchronous — bytes in, a verdict, a standard image or a print sheet out — so that the
//! upload handler, the photographer station and batch jobs all call the same code. No
//! tokio, no files, no database.

pub mod decode;
pub mod detect;
pub mod encode;
pub mod quality;
pub mod report;
pub mod resize;
pub mod spec;

pub use report::{Finding, Report, Severity, Value, Verdict};
pub use spec::{Band, PrintSpec, Spec};
