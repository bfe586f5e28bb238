//! A one-page PDF of the sheet, written by hand: the format needs ~100 lines here, while a
//! PDF crate would bring fonts, compression and a parser the engine never uses.
//!
//! The page is exactly `sheet_mm`, so "actual size" printing puts every print at its
//! nominal size. The sheet JPEG is embedded as-is (`/DCTDecode`, no second lossy pass) and
//! stretched over the page; then everything outside the prints is painted white again, and
//! the cut marks and the label are drawn as vectors on top — crisp at any printer
//! resolution, and free of the JPEG's ringing around the thin raster marks.

use std::fmt::Write as _;

use super::{SheetError, check_student_no, label_text, layout};
use crate::decode::{self, Format, Limits};
use crate::spec::PrintSpec;

/// Largest sheet JPEG accepted, bytes.
const MAX_JPEG_BYTES: usize = 64 * 1024 * 1024;
/// Helvetica's cap height, per mille of the font size (Adobe's AFM).
const CAP_HEIGHT: f64 = 0.718;
/// Cut-mark grey, as in the raster sheet.
const MARK_GREY: &str = "0.502";
/// Label grey, as in the raster sheet.
const LABEL_GREY: &str = "0.188";

/// Helvetica advance widths for ASCII 32..=126 in 1/1000 em (Adobe's AFM; WinAnsi codes), to
/// size the label so that it stays between the cut marks.
const HELVETICA_WIDTHS: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278,
    278, // ' '..'/'
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584,
    556, // '0'..'?'
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722,
    778, // '@'..'O'
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469,
    556, // 'P'..'_'
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556,
    556, // '`'..'o'
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, // 'p'..'~'
];

/// The label as WinAnsi bytes (the encoding declared for the font): ASCII as is, `·` is
/// 0xB7, `×` is 0xD7.
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            '\u{b7}' => 0xB7,
            '\u{d7}' => 0xD7,
            c if c.is_ascii() => c as u8,
            _ => b'?',
        })
        .collect()
}

/// Width of WinAnsi `bytes` in Helvetica, 1/1000 em.
fn helvetica_width(bytes: &[u8]) -> u32 {
    bytes
        .iter()
        .map(|&b| match b {
            0x20..=0x7E => u32::from(HELVETICA_WIDTHS[usize::from(b - 0x20)]),
            0xB7 => 278,
            0xD7 => 584,
            _ => 1015,
        })
        .sum()
}

/// A PDF literal string: parentheses and backslashes escaped, other bytes outside
/// printable ASCII as octal, so the content stream stays ASCII.
pub(super) fn pdf_string(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() + 2);
    s.push('(');
    for &b in bytes {
        match b {
            b'(' | b')' | b'\\' => {
                s.push('\\');
                s.push(char::from(b));
            }
            0x20..=0x7E => s.push(char::from(b)),
            _ => {
                let _ = write!(s, "\\{b:03o}");
            }
        }
    }
    s.push(')');
    s
}

/// A number for the content stream: at most three decimals, no exponent, no "-0".
pub(super) fn num(v: f64) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_owned()
    } else {
        s.to_owned()
    }
}

/// mm → PDF points.
fn pt(mm: f32) -> f64 {
    f64::from(mm) * 72.0 / 25.4
}

/// Objects written in order, their byte offsets kept for the xref table.
struct Writer {
    buf: Vec<u8>,
    offsets: Vec<usize>,
}

impl Writer {
    fn object(&mut self, dict: &str, stream: Option<&[u8]>) {
        self.offsets.push(self.buf.len());
        let n = self.offsets.len();
        self.buf
            .extend_from_slice(format!("{n} 0 obj\n{dict}\n").as_bytes());
        if let Some(data) = stream {
            self.buf.extend_from_slice(b"stream\n");
            self.buf.extend_from_slice(data);
            self.buf.extend_from_slice(b"\nendstream\n");
        }
        self.buf.extend_from_slice(b"endobj\n");
    }
}

/// A one-page PDF of exactly `spec.sheet_mm` holding `sheet_jpeg` (the [`super::render`]
/// output, encoded by the caller, `width_px × height_px`, 3 components) at full page size,
/// with vector cut marks and the label in Helvetica (a base-14 font: nothing to embed).
pub fn pdf(
    sheet_jpeg: &[u8],
    width_px: u32,
    height_px: u32,
    student_no: &str,
    spec: &PrintSpec,
) -> Result<Vec<u8>, SheetError> {
    check_student_no(student_no)?;
    let l = layout(spec)?;
    if (width_px, height_px) != l.sheet_px {
        return Err(SheetError::Jpeg(format!(
            "{width_px}×{height_px} px, but the sheet is {}×{} px at {} dpi",
            l.sheet_px.0, l.sheet_px.1, l.dpi
        )));
    }
    let limits = Limits {
        max_bytes: MAX_JPEG_BYTES,
        max_width: width_px,
        max_height: height_px,
        max_pixels: u64::from(width_px) * u64::from(height_px),
    };
    let header = decode::probe(sheet_jpeg, &limits).map_err(|e| SheetError::Jpeg(e.to_string()))?;
    if header.format != Format::Jpeg {
        return Err(SheetError::Jpeg("not a JPEG".into()));
    }
    if (header.width, header.height) != (width_px, height_px) {
        return Err(SheetError::Jpeg(format!(
            "the JPEG is {}×{}, not {width_px}×{height_px}",
            header.width, header.height
        )));
    }
    if header.components != 3 {
        return Err(SheetError::Jpeg(format!(
            "{} colour components, expected 3 (RGB)",
            header.components
        )));
    }
    if header.orientation != 1 {
        // PDF viewers ignore EXIF: the page would show the pixels as stored.
        return Err(SheetError::Jpeg("EXIF orientation is set".into()));
    }
    let label = win_ansi(&label_text(student_no, spec, &l)?);

    let (page_w, page_h) = (pt(spec.sheet_mm.0), pt(spec.sheet_mm.1));
    // Sheet pixels → points, through the image as it is stretched over the page, so that the
    // vectors sit exactly on the raster.
    let sx = page_w / f64::from(width_px);
    let sy = page_h / f64::from(height_px);
    let x = |px: u32| num(f64::from(px) * sx);
    let y = |px: u32| num(page_h - f64::from(px) * sy);

    let mut c = String::new();
    let _ = writeln!(c, "q {} 0 0 {} 0 0 cm /Im1 Do Q", num(page_w), num(page_h));
    // White over everything but the prints (even-odd: each print rectangle is a hole).
    let _ = writeln!(c, "1 g 0 0 {} {} re", num(page_w), num(page_h));
    for p in &l.prints {
        let _ = writeln!(
            c,
            "{} {} {} {} re",
            x(p.x),
            y(p.bottom()),
            num(f64::from(p.w) * sx),
            num(f64::from(p.h) * sy)
        );
    }
    c.push_str("f*\n");
    let _ = writeln!(
        c,
        "{MARK_GREY} G {} w 0 J",
        num(f64::from(l.mark_width()) * sx)
    );
    for m in &l.marks {
        let [(x0, y0), (x1, y1)] = m.line;
        let _ = writeln!(c, "{} {} m {} {} l", x(x0), y(y0), x(x1), y(y1));
    }
    c.push_str("S\n");
    let box_w = f64::from(l.label.w) * sx;
    let box_h = f64::from(l.label.h) * sy;
    let size = (box_h / CAP_HEIGHT).min(box_w * 1000.0 / f64::from(helvetica_width(&label).max(1)));
    let _ = writeln!(
        c,
        "BT /F1 {} Tf {LABEL_GREY} g {} {} Td {} Tj ET",
        num(size),
        x(l.label.x),
        y(l.label.bottom()),
        pdf_string(&label)
    );

    let mut w = Writer {
        buf: Vec::with_capacity(sheet_jpeg.len() + c.len() + 2048),
        offsets: Vec::new(),
    };
    // The second line marks the file as binary for transfer programs (PDF 32000 §7.5.2).
    w.buf.extend_from_slice(b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n");
    w.object("<< /Type /Catalog /Pages 2 0 R >>", None);
    w.object("<< /Type /Pages /Kids [3 0 R] /Count 1 >>", None);
    w.object(
        &format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {} {}] \
             /Resources << /XObject << /Im1 4 0 R >> /Font << /F1 5 0 R >> >> /Contents 6 0 R >>",
            num(page_w),
            num(page_h)
        ),
        None,
    );
    w.object(
        &format!(
            "<< /Type /XObject /Subtype /Image /Width {width_px} /Height {height_px} \
             /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode /Length {} >>",
            sheet_jpeg.len()
        ),
        Some(sheet_jpeg),
    );
    w.object(
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        None,
    );
    w.object(&format!("<< /Length {} >>", c.len()), Some(c.as_bytes()));
    w.object(
        &format!(
            "<< /Title {} /Producer (gradphoto) >>",
            pdf_string(student_no.as_bytes())
        ),
        None,
    );

    let xref = w.buf.len();
    let n = w.offsets.len() + 1;
    let mut tail = format!("xref\n0 {n}\n0000000000 65535 f \n");
    for off in &w.offsets {
        // Each entry is exactly 20 bytes, its end of line included.
        let _ = writeln!(tail, "{off:010} 00000 n ");
    }
    let _ = write!(
        tail,
        "trailer\n<< /Size {n} /Root 1 0 R /Info 7 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    );
    w.buf.extend_from_slice(tail.as_bytes());
    Ok(w.buf)
}
