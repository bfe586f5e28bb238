//! The background: its colour against the campaign's, its evenness, and the clothing's
//! contrast with it. Judged from the area above the shoulders and beside the head (the DEV
//! notes: hair edges carry a trace of the original background, and clothing reaches the
//! bottom rows), so cells are summarised robustly rather than averaged.

use super::finding::{at_most, finding};
use super::pixels::{Area, colour_distance, luma, median_colour, px};
use crate::decode::Rgb;
use crate::report::{FaceGeometry, Finding};
use crate::spec::Spec;

/// RGB distance of the background's median colour from the campaign's.
const COLOUR_OK: f32 = 40.0;
const COLOUR_REJECT: f32 = 60.0;
/// 90th percentile of the cells' distance from the median colour: a gradient or shadow.
const GRADIENT_OK: f32 = 22.0;
const GRADIENT_REJECT: f32 = 35.0;
/// Median luma standard deviation inside a cell: texture or blotches.
const TEXTURE_OK: f32 = 8.0;
const TEXTURE_REJECT: f32 = 15.0;
/// Share of the clothing area that has the background's colour.
const CLOTHING_OK: f32 = 0.3;
const CLOTHING_REJECT: f32 = 0.5;
/// A clothing pixel this close to the background colour is indistinguishable from it.
const CLOTHING_SAME: f32 = 40.0;

/// The crown is at most this many face widths above the eye line (0.7–1.0 in practice).
const CROWN_MAX: f32 = 1.1;
/// Half the head's width with its hair, in face widths: beside it is background.
const HEAD_HALF_WIDTH: f32 = 0.75;

/// Where the background is: above the head, and beside it above the eyes. Without a face,
/// the top band and the upper side strips, where a standard portrait has background.
pub(crate) fn areas(img: &Rgb, g: Option<&FaceGeometry>) -> Vec<Area> {
    let (w, h) = (img.width as f32, img.height as f32);
    let m = (w / 120.0).max(2.0); // keep off the very edge (JPEG and resize ringing)
    let mut out = Vec::new();
    match g {
        Some(g) => {
            let cx = (g.eyes[0][0] + g.eyes[1][0]) / 2.0;
            // Above the crown — or above where a crown can be, when the measured one is
            // missing or pushed to the edge by a background too uneven to measure it.
            let top = g
                .head_top
                .unwrap_or(0.0)
                .max(g.eye_line - CROWN_MAX * g.face_width);
            out.extend(Area::clipped(img, m, m, w - m, top - 2.0 * m));
            let half = HEAD_HALF_WIDTH * g.face_width;
            out.extend(Area::clipped(img, m, m, cx - half, g.eye_line));
            out.extend(Area::clipped(img, cx + half, m, w - m, g.eye_line));
        }
        None => {
            out.extend(Area::clipped(img, m, m, w - m, h * 0.12));
            out.extend(Area::clipped(img, m, m, w * 0.12, h * 0.45));
            out.extend(Area::clipped(img, w * 0.88, m, w - m, h * 0.45));
        }
    }
    // Tiny slivers (a face near the edge) say nothing about the background.
    out.retain(|a| a.width() >= 4 && a.height() >= 4);
    out
}

/// The background's median colour, if any background is visible.
pub(crate) fn colour_of(img: &Rgb, areas: &[Area]) -> Option<[u8; 3]> {
    median_colour(img, areas, |_, _| true)
}

/// `background.color`.
pub(crate) fn colour(measured: [u8; 3], spec: &Spec) -> Option<Finding> {
    let d = colour_distance(measured, spec.background);
    let sev = at_most(d, COLOUR_OK, COLOUR_REJECT)?;
    let [r, g, b] = measured;
    let [sr, sg, sb] = spec.background;
    Some(finding(
        "background.color",
        sev,
        format!("RGB({r},{g},{b})"),
        format!("RGB({sr},{sg},{sb}) ±{COLOUR_OK}"),
        format!(
            "背景颜色不符合要求（实测 RGB({r},{g},{b})），须为 RGB({sr},{sg},{sb}) 的纯色背景。"
        ),
        format!(
            "The background colour is wrong (measured RGB({r},{g},{b})); it must be a plain RGB({sr},{sg},{sb})."
        ),
    ))
}

/// One cell's summary.
struct Cell {
    mean: [u8; 3],
    luma_sd: f32,
}

/// Cells about 1/20 of the image wide, tiling the background areas.
fn cells(img: &Rgb, areas: &[Area]) -> Vec<Cell> {
    let size = (img.width / 20).max(4);
    let mut out = Vec::new();
    for a in areas {
        let mut y = a.y0;
        while y + size <= a.y1 {
            let mut x = a.x0;
            while x + size <= a.x1 {
                out.push(cell(img, x, y, size));
                x += size;
            }
            y += size;
        }
    }
    out
}

fn cell(img: &Rgb, x0: u32, y0: u32, size: u32) -> Cell {
    let (mut sum, mut l_sum, mut l_sq) = ([0u64; 3], 0.0f64, 0.0f64);
    for y in y0..y0 + size {
        for x in x0..x0 + size {
            let p = px(img, x, y);
            for c in 0..3 {
                sum[c] += u64::from(p[c]);
            }
            let l = f64::from(luma(p));
            l_sum += l;
            l_sq += l * l;
        }
    }
    let n = f64::from(size * size);
    let mean = sum.map(|s| (s as f64 / n).round() as u8);
    let m = l_sum / n;
    Cell {
        mean,
        luma_sd: (l_sq / n - m * m).max(0.0).sqrt() as f32,
    }
}

fn percentile(mut v: Vec<f32>, p: f32) -> Option<f32> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f32::total_cmp);
    let i = ((v.len() - 1) as f32 * p).round() as usize;
    v.get(i).copied()
}

/// `background.uneven`: a gradient or shadow (cells far from the median colour) or a
/// texture (cells that vary inside). Needs a few cells to say anything.
pub(crate) fn evenness(img: &Rgb, areas: &[Area], median: [u8; 3]) -> Option<Finding> {
    let cells = cells(img, areas);
    if cells.len() < 4 {
        return None;
    }
    let spread = percentile(
        cells
            .iter()
            .map(|c| colour_distance(c.mean, median))
            .collect(),
        0.9,
    )?;
    let texture = percentile(cells.iter().map(|c| c.luma_sd).collect(), 0.5)?;
    let by_spread = at_most(spread, GRADIENT_OK, GRADIENT_REJECT);
    let by_texture = at_most(texture, TEXTURE_OK, TEXTURE_REJECT);
    let sev = by_spread.max(by_texture)?;
    let (measured, limit) = if by_spread >= by_texture {
        (spread, GRADIENT_OK)
    } else {
        (texture, TEXTURE_OK)
    };
    Some(finding(
        "background.uneven",
        sev,
        measured,
        format!("≤ {limit}"),
        "背景不均匀（有明暗渐变、阴影或杂物），须为均匀的纯色背景。".into(),
        "The background is not even (a gradient, shadow or texture); it must be one plain colour."
            .into(),
    ))
}

/// `contrast.clothing`: clothing the colour of the background makes the portrait blend into
/// it (the registry asks for clothing that contrasts). Measured on the bottom tenth under
/// the face, which is clothing in a standard framing.
pub(crate) fn clothing(img: &Rgb, g: &FaceGeometry, background: [u8; 3]) -> Option<Finding> {
    let h = img.height as f32;
    let chin = g.eye_line + 0.8 * g.face_width;
    if chin >= h * 0.9 {
        return None; // no clothing in the frame to judge
    }
    let cx = (g.eyes[0][0] + g.eyes[1][0]) / 2.0;
    let area = Area::clipped(
        img,
        cx - 0.5 * g.face_width,
        h * 0.9,
        cx + 0.5 * g.face_width,
        h,
    )?;
    let same = super::pixels::fraction(img, area, |p| {
        colour_distance(p, background) <= CLOTHING_SAME
    });
    let sev = at_most(same, CLOTHING_OK, CLOTHING_REJECT)?;
    Some(finding(
        "contrast.clothing",
        sev,
        same,
        format!("≤ {CLOTHING_OK}"),
        "服装颜色与背景色过于接近，请换穿与背景颜色反差明显的服装。".into(),
        "Your clothing is too close to the background colour; please wear something that contrasts with it."
            .into(),
    ))
}
