//! The print sheet for the lab: every photographed student is owed `copies` prints (8
//! two-inch prints on a 6-inch sheet by default). [`layout`] computes where everything goes,
//! [`render`] draws the sheet as pixels, [`pdf`] wraps the encoded sheet in a one-page PDF
//! of the exact paper size with vector cut marks and text, so that the lab's printer
//! neither rescales the photos nor blurs the marks.
//!
//! The student number comes from outside (a roster, a form) and ends up on paper and in a
//! PDF string, so it is validated here: printable ASCII, at most
//! [`MAX_STUDENT_NO_LEN`] characters.

mod font;
mod layout;
mod pdf;
mod resample;

pub use layout::{
    MAX_COPIES, MAX_DPI, MAX_SHEET_MM, MAX_SHEET_PIXELS, MIN_DPI, Mark, MmRect, PxRect,
    SheetLayout, layout,
};
pub use pdf::pdf;

use crate::decode::Rgb;
use crate::spec::PrintSpec;

/// Longest student number accepted (Chinese student numbers have 8–14 characters).
pub const MAX_STUDENT_NO_LEN: usize = 32;
/// Largest input photo, in pixels (the decoder's own default limit).
const MAX_PHOTO_PIXELS: u64 = 50_000_000;
/// Cut-mark colour: visible to the cutter, unobtrusive if a sliver remains on a print.
const MARK_GREY: [u8; 3] = [128, 128, 128];
/// Label colour.
const LABEL_INK: [u8; 3] = [48, 48, 48];

/// Why no sheet could be made. Every input problem is reported, never panicked on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SheetError {
    /// A number in the print spec is unusable (zero, negative, absurd, too many pixels).
    #[error("print spec: {0}")]
    Spec(String),
    /// The prints, with their cut-mark gaps and the label, do not fit on the sheet.
    #[error(
        "{copies} prints of {}×{} mm do not fit on a {}×{} mm sheet with 1 mm gaps and the label",
        photo_mm.0, photo_mm.1, sheet_mm.0, sheet_mm.1
    )]
    DoesNotFit {
        /// Copies asked for.
        copies: u32,
        /// One print, mm.
        photo_mm: (f32, f32),
        /// The sheet, mm.
        sheet_mm: (f32, f32),
    },
    /// The student number is empty, too long or not printable ASCII.
    #[error("student number: {0}")]
    StudentNo(String),
    /// Even the bare student number is wider than the margin under one print.
    #[error("the label {0:?} does not fit in the margin under one print")]
    LabelTooWide(String),
    /// The photo buffer is inconsistent or too large.
    #[error("photo: {0}")]
    Photo(String),
    /// The sheet JPEG handed to [`pdf`] is not a colour JPEG of the sheet's size.
    #[error("sheet JPEG: {0}")]
    Jpeg(String),
}

/// Refuses a student number that could not be printed or that would need more than
/// escaping in a PDF string.
fn check_student_no(no: &str) -> Result<(), SheetError> {
    let bad = |msg: &str| Err(SheetError::StudentNo(msg.to_owned()));
    if no.trim().is_empty() {
        return bad("empty");
    }
    if no.len() > MAX_STUDENT_NO_LEN {
        return bad(&format!(
            "{} characters, at most {MAX_STUDENT_NO_LEN}",
            no.chars().count()
        ));
    }
    if !no.bytes().all(|b| (b' '..=b'~').contains(&b)) {
        return bad("only printable ASCII is allowed");
    }
    if no.trim() != no {
        return bad("leading or trailing space");
    }
    Ok(())
}

/// Refuses a photo whose buffer does not match its size, or that is empty or huge.
fn check_photo(photo: &Rgb) -> Result<(), SheetError> {
    let pixels = u64::from(photo.width) * u64::from(photo.height);
    if pixels == 0 || pixels > MAX_PHOTO_PIXELS {
        return Err(SheetError::Photo(format!(
            "{}×{} is empty or over {MAX_PHOTO_PIXELS} pixels",
            photo.width, photo.height
        )));
    }
    if photo.data.len() as u64 != pixels * 3 {
        return Err(SheetError::Photo(format!(
            "{} bytes for {}×{} RGB8",
            photo.data.len(),
            photo.width,
            photo.height
        )));
    }
    Ok(())
}

/// A size in mm as written on the label: "35", or "35.5".
fn mm_text(mm: f32) -> String {
    if mm.fract() == 0.0 {
        format!("{mm:.0}")
    } else {
        format!("{mm:.1}")
    }
}

/// The label printed under the first print: "2023012345  ·  35×49 mm  ·  8/8", or only
/// the student number when the full text is wider than the print (long numbers on small
/// prints). The raster and the PDF use the same text.
fn label_text(no: &str, spec: &PrintSpec, l: &SheetLayout) -> Result<String, SheetError> {
    let full = format!(
        "{no}  \u{b7}  {}\u{d7}{} mm  \u{b7}  {n}/{n}",
        mm_text(spec.photo_mm.0),
        mm_text(spec.photo_mm.1),
        n = l.prints.len()
    );
    [full, no.to_owned()]
        .into_iter()
        .find(|t| font::covers(t) && font::width(t, l.label_dot) <= l.label.w)
        .ok_or_else(|| SheetError::LabelTooWide(no.to_owned()))
}

/// The sheet as pixels at `spec.dpi`: `spec.copies` prints of `photo` (the standard image,
/// scaled with a Catmull-Rom filter to cover `photo_mm`, centred, excess cut evenly) on
/// white, grey cut marks at every print corner (in the gaps, never on a print), and the
/// label with the student number in the bottom margin.
pub fn render(photo: &Rgb, student_no: &str, spec: &PrintSpec) -> Result<Rgb, SheetError> {
    check_student_no(student_no)?;
    check_photo(photo)?;
    let l = layout(spec)?;
    let label = label_text(student_no, spec, &l)?;
    let print = resample::cover(photo, l.photo_px.0, l.photo_px.1);

    let (w, h) = l.sheet_px;
    let stride = w as usize * 3;
    let mut data = vec![255u8; stride * h as usize];
    let print_stride = print.width as usize * 3;
    for p in &l.prints {
        for (row, src) in print.data.chunks_exact(print_stride).enumerate() {
            let at = (p.y as usize + row) * stride + p.x as usize * 3;
            data[at..at + print_stride].copy_from_slice(src);
        }
    }
    for m in &l.marks {
        let r = m.rect;
        for y in r.y..r.bottom() {
            let at = y as usize * stride + r.x as usize * 3;
            for px in data[at..at + r.w as usize * 3].chunks_exact_mut(3) {
                px.copy_from_slice(&MARK_GREY);
            }
        }
    }
    font::draw(
        &mut data,
        w,
        &label,
        (l.label.x, l.label.y),
        l.label_dot,
        LABEL_INK,
    );
    Ok(Rgb {
        width: w,
        height: h,
        data,
    })
}

#[cfg(test)]
mod tests;

/// The lab's files for one student: the sheet as a JPEG and as a one-page PDF.
#[derive(Debug, Clone)]
pub struct PrintSheet {
    /// The sheet at the print resolution, JPEG quality 95, with the dpi in its header.
    pub jpeg: Vec<u8>,
    /// The same sheet on a page of the paper's exact size, with vector marks and text.
    pub pdf: Vec<u8>,
    /// Sheet width in pixels.
    pub width: u32,
    /// Sheet height in pixels.
    pub height: u32,
}

/// Quality of the sheet JPEG: it goes to a photo printer, not through a size limit.
const SHEET_QUALITY: u8 = 95;

/// Renders, encodes and wraps the sheet: what the CLI and the print queue hand to the lab.
pub fn print_sheet(
    photo: &Rgb,
    student_no: &str,
    spec: &PrintSpec,
) -> Result<PrintSheet, SheetError> {
    let sheet = render(photo, student_no, spec)?;
    let dpi = u16::try_from(spec.dpi).map_err(|_| SheetError::Spec(format!("dpi {}", spec.dpi)))?;
    let jpeg = crate::encode::encode(&sheet, SHEET_QUALITY, dpi)
        .map_err(|e| SheetError::Jpeg(e.to_string()))?;
    let pdf = pdf(&jpeg, sheet.width, sheet.height, student_no, spec)?;
    Ok(PrintSheet {
        jpeg,
        pdf,
        width: sheet.width,
        height: sheet.height,
    })
}
