//! Printable PDF reports with Chinese text: the shooting sheet
//! 《全国高校毕业生信息采集学生名单》, the published schedule and the campaign notice.
//!
//! PURE: a [`Document`] and a [`Font`] (its bytes read by the caller) in, PDF bytes out.
//! No files, no clock, no async, and no other gradphoto crate, so the server, the CLI and
//! the offline station print identical sheets, and the tests need no fixtures but a font.
//!
//! The model is deliberately small — a title, headings, paragraphs, tables with a repeated
//! header row, A4 portrait or landscape, "第 N 页 / 共 M 页" footers — because reports are
//! what gradphoto prints. Text is set in one embedded, subset TrueType font that covers
//! Chinese, Latin and digits; by default WenQuanYi Micro Hei from Debian's
//! `fonts-wqy-microhei` ([`DEFAULT_FONT_PATH`], installed by `scripts/fetch-fonts`).
//!
//! ```no_run
//! use gradphoto_pdf::{Column, DEFAULT_FONT_PATH, Document, Font, Table, render};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let font = Font::from_bytes(std::fs::read(DEFAULT_FONT_PATH)?)?;
//! let mut sheet = Table::new(vec![
//!     Column::new("拍摄号", 1.0).center(),
//!     Column::new("姓名", 2.0),
//!     Column::new("学生签名", 2.0),
//! ])
//! .min_row_height(28.0);
//! sheet.row(["1", "张三", ""]);
//! let mut doc = Document::new("全国高校毕业生信息采集学生名单").landscape();
//! doc.table(sheet);
//! let pdf: Vec<u8> = render(&doc, &font)?;
//! # Ok(())
//! # }
//! ```

mod font;
mod layout;
mod model;
pub mod shooting_sheet;
mod wrap;
mod writer;

pub use font::{DEFAULT_FONT_PATH, Font};
pub use model::{Align, Block, Column, Document, Orientation, Overflow, PicturePage, Style, Table};

/// Why a font was refused or a document could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// The bytes are not a font `ttf-parser` can read.
    #[error("the font file could not be read: {0}")]
    FontParse(String),
    /// The font has CFF outlines; only TrueType (`glyf`) fonts are embedded.
    #[error("the font has no TrueType (glyf) outlines; use a TrueType CJK font")]
    NotTrueType,
    /// The font's licence flags forbid embedding it in documents.
    #[error("the font's licence does not allow embedding it")]
    NotEmbeddable,
    /// The font lacks Chinese (or Latin) characters, so reports would print empty boxes.
    #[error("the font has no Chinese characters; a CJK font is needed")]
    NoCjk,
    /// The subsetter could not cut the font down to the glyphs used.
    #[error("the font could not be subset for embedding: {0}")]
    Subset(String),
    /// A table cannot be laid out; `table` is its index among the document's blocks.
    #[error("table {table}: {reason}")]
    InvalidTable {
        /// Index of the table among the document's blocks.
        table: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// A size in the document's [`Style`] makes no sense.
    #[error("invalid style: {0}")]
    InvalidStyle(&'static str),
}

/// Lays `doc` out on A4 pages in `font` and returns the PDF file's bytes.
///
/// Characters the font lacks print as an empty box; check names beforehand with
/// [`Font::missing_chars`] where that matters.
pub fn render(doc: &Document, font: &Font) -> Result<Vec<u8>, PdfError> {
    writer::write(doc, font)
}
