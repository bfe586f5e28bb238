//! Checks on the file and the image as a whole: format, size, colour depth, JPEG quality.
//! They need no face and run first.

use super::finding::finding;
use super::pixels::px;
use crate::decode::{DecodeError, Format, Header, Rgb};
use crate::report::{Finding, Severity};
use crate::spec::Spec;

/// A file that could not be decoded: its own code (`file.unreadable`, `file.format`,
/// `file.too_many_pixels`) and the decoder's message.
pub(crate) fn undecodable(e: &DecodeError) -> Finding {
    let (measured, limit) = match e {
        DecodeError::TooManyPixels {
            width,
            height,
            max_pixels,
            ..
        } => (format!("{width}×{height}"), format!("≤ {max_pixels} px")),
        DecodeError::TooLarge { bytes, max_bytes } => {
            (format!("{bytes} B"), format!("≤ {max_bytes} B"))
        }
        _ => (e.code().to_owned(), "JPEG".to_owned()),
    };
    finding(e.code(), Severity::Reject, measured, limit, e.zh(), e.en())
}

/// `file.format`: the registry takes baseline JPEG only. A PNG decodes (so the other checks
/// still run and the student learns everything at once) but cannot be accepted. A
/// progressive JPEG is refused too: the standard says baseline.
pub(crate) fn format(header: &Header) -> Option<Finding> {
    match (header.format, header.progressive) {
        (Format::Jpeg, false) => None,
        (Format::Jpeg, true) => Some(finding(
            "file.format",
            Severity::Reject,
            "progressive JPEG",
            "baseline JPEG",
            "照片须为基线（baseline）JPEG，不能是渐进式 JPEG，请重新导出后上传。".into(),
            "The photo must be a baseline JPEG, not a progressive one; please export it again."
                .into(),
        )),
        (Format::Png, _) => Some(finding(
            "file.format",
            Severity::Reject,
            "PNG",
            "JPEG",
            "照片须为 JPG 格式，当前为 PNG，请转换为 JPG 后上传。".into(),
            "The photo must be a JPG; this one is a PNG. Please convert it to JPG.".into(),
        )),
    }
}

/// `image.size`: exactly the standard's width × height.
pub(crate) fn size(width: u32, height: u32, spec: &Spec) -> Option<Finding> {
    if (width, height) == (spec.width, spec.height) {
        return None;
    }
    let (sw, sh) = (spec.width, spec.height);
    Some(finding(
        "image.size",
        Severity::Reject,
        format!("{width}×{height}"),
        format!("{sw}×{sh}"),
        format!("照片尺寸为 {width}×{height} 像素，须为宽 {sw} × 高 {sh} 像素。"),
        format!("The photo is {width}×{height} pixels; it must be {sw} wide × {sh} high."),
    ))
}

/// `jpeg.quality_low`: quality estimated from the quantisation tables, not from the file
/// size (which depends on the content).
pub(crate) fn quality(header: &Header, spec: &Spec) -> Option<Finding> {
    let q = header.jpeg_quality?;
    if q >= spec.min_quality {
        return None;
    }
    let min = spec.min_quality;
    Some(finding(
        "jpeg.quality_low",
        Severity::Reject,
        u32::from(q),
        format!("≥ {min}"),
        format!("JPEG 压缩质量过低（约 {q}），须不低于 {min}，请用原图重新导出。"),
        format!(
            "The JPEG is compressed too hard (quality about {q}; at least {min} is required). Please export it again from the original."
        ),
    ))
}

/// Mean chroma (max − min channel) above which an image has colour. JPEG chroma noise in a
/// grey image stays below 1–2; a real colour portrait on light blue is far above 20.
const GREY_MAX_CHROMA: f32 = 3.0;

/// `image.grayscale`: a 1-channel JPEG, or three channels that are (nearly) equal everywhere.
pub(crate) fn grayscale(header: &Header, img: &Rgb) -> Option<Finding> {
    // Every 4th pixel in each direction is plenty for a mean over a whole photo.
    let mut sum = 0u64;
    let mut n = 0u64;
    for y in (0..img.height).step_by(4) {
        for x in (0..img.width).step_by(4) {
            let p = px(img, x, y);
            let (mx, mn) = (p.iter().max(), p.iter().min());
            if let (Some(&mx), Some(&mn)) = (mx, mn) {
                sum += u64::from(mx - mn);
                n += 1;
            }
        }
    }
    let chroma = if n == 0 { 0.0 } else { sum as f32 / n as f32 };
    if header.components >= 3 && chroma > GREY_MAX_CHROMA {
        return None;
    }
    Some(finding(
        "image.grayscale",
        Severity::Reject,
        chroma,
        format!("> {GREY_MAX_CHROMA}"),
        "照片为黑白（灰度）图像，须为 24 位彩色照片。".into(),
        "The photo is black and white (greyscale); it must be a 24-bit colour photo.".into(),
    ))
}
