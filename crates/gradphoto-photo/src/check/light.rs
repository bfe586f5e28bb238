//! Light and focus on the face: too dark, too bright, lit from one side, out of focus.
//! When no face was found (an overexposed face often is not) the area where a standard
//! portrait has its face stands in, so exposure is still judged.

use super::finding::{at_least, at_most, finding};
use super::pixels::{Area, laplacian_variance, mean_luma};
use crate::decode::Rgb;
use crate::report::{FaceGeometry, Finding};

/// Mean face luma (0–255).
const DARK_OK: f32 = 70.0;
const DARK_REJECT: f32 = 50.0;
/// Share of the face clipped to white (every channel ≥ 250).
const CLIPPED_OK: f32 = 0.1;
const CLIPPED_REJECT: f32 = 0.25;
/// Darker half's mean luma over the brighter half's.
const EVEN_OK: f32 = 0.7;
const EVEN_REJECT: f32 = 0.55;
/// Laplacian variance of the face at the standard's scale.
const SHARP_OK: f32 = 25.0;
const SHARP_REJECT: f32 = 12.0;

/// The skin of the face: the inner box, without hair above and background beside.
pub(crate) fn face_area(img: &Rgb, g: Option<&FaceGeometry>) -> Option<Area> {
    let (w, h) = (img.width as f32, img.height as f32);
    match g {
        Some(g) => {
            let [x1, y1, x2, y2] = g.bbox;
            let (bw, bh) = (x2 - x1, y2 - y1);
            Area::clipped(
                img,
                x1 + 0.2 * bw,
                y1 + 0.25 * bh,
                x2 - 0.2 * bw,
                y2 - 0.1 * bh,
            )
        }
        None => Area::clipped(img, w * 0.3, h * 0.25, w * 0.7, h * 0.55),
    }
}

/// `exposure.dark` and `exposure.bright`.
pub(crate) fn exposure(img: &Rgb, face: Area) -> Option<Finding> {
    let mean = mean_luma(img, face);
    if let Some(sev) = at_least(mean, DARK_OK, DARK_REJECT) {
        return Some(finding(
            "exposure.dark",
            sev,
            mean,
            format!("≥ {DARK_OK}"),
            "照片过暗（面部曝光不足），请在光线充足处重新拍摄。".into(),
            "The photo is too dark (the face is underexposed). Take it again in good light.".into(),
        ));
    }
    let clipped = super::pixels::fraction(img, face, |p| p.iter().all(|&c| c >= 250));
    let sev = at_most(clipped, CLIPPED_OK, CLIPPED_REJECT)?;
    Some(finding(
        "exposure.bright",
        sev,
        clipped,
        format!("≤ {CLIPPED_OK}"),
        "照片过亮（面部曝光过度、细节丢失），请减弱光线后重新拍摄。".into(),
        "The photo is too bright (the face is overexposed and loses detail). Take it again with less light."
            .into(),
    ))
}

/// `exposure.uneven`: the left and right halves of the face, split at the eyes' midpoint.
pub(crate) fn evenness(img: &Rgb, face: Area, g: &FaceGeometry) -> Option<Finding> {
    let mid = ((g.eyes[0][0] + g.eyes[1][0]) / 2.0).round() as u32;
    if mid <= face.x0 + 2 || mid + 2 >= face.x1 {
        return None;
    }
    let left = mean_luma(img, Area { x1: mid, ..face });
    let right = mean_luma(img, Area { x0: mid, ..face });
    let ratio = left.min(right) / left.max(right).max(1.0);
    let sev = at_least(ratio, EVEN_OK, EVEN_REJECT)?;
    Some(finding(
        "exposure.uneven",
        sev,
        ratio,
        format!("≥ {EVEN_OK}"),
        "面部光线不均匀（一侧明显偏暗），请使光线均匀照在脸上。".into(),
        "The light on the face is uneven (one side is much darker). Light your face evenly.".into(),
    ))
}

/// `sharpness.blurry`: the Laplacian's variance over the face. The caller passes the image
/// at (about) the standard's scale, so that every photo is judged at the size it will have.
pub(crate) fn sharpness(img: &Rgb, face: Area) -> Option<Finding> {
    let v = laplacian_variance(img, face);
    let sev = at_least(v, SHARP_OK, SHARP_REJECT)?;
    Some(finding(
        "sharpness.blurry",
        sev,
        v,
        format!("≥ {SHARP_OK}"),
        "照片模糊（未对焦或晃动），请保持相机稳定、对焦清晰后重新拍摄。".into(),
        "The photo is blurred (out of focus or shaken). Hold the camera still and focus, then take it again."
            .into(),
    ))
}
