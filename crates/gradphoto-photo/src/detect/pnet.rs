//! Stage 1: P-Net slides a 12×12 window (stride 2) over an image pyramid and proposes
//! face boxes. The smallest detectable face is 12 px at scale 1, so the first level is
//! scaled by `12 / min_face`; each further level shrinks by 0.709 (≈ 1/√2, area halved)
//! until the image is smaller than the window.
//!
//! All levels are scanned in one run, packed on one canvas (see `canvas`). Only windows
//! wholly inside a level are read: P-Net pools in ceil mode, so a level alone of odd width
//! or height also yields a last window hanging one pixel past its edge, which the canvas
//! cannot reproduce; those edge windows are not proposed.

use tract_onnx::prelude::*;

use super::canvas::{Canvas, Spot, pack};
use super::nms::{Candidate, Overlap, nms};
use super::resample::{Edge, Region, Rgb};
use super::{DetectError, Detector, model_err};

const WINDOW: f32 = 12.0;
const STRIDE: f32 = 2.0;
const FACTOR: f32 = 0.709;
/// Face probability a window needs to become a proposal.
const THRESHOLD: f32 = 0.6;
/// Per-level NMS, IoU. As in the wheel's detector and facenet: within one level, proposals
/// a stride apart are near duplicates, and thinning them early keeps R-Net's batch small.
const NMS_LEVEL: f32 = 0.5;
/// NMS across levels, IoU: 0.5 as within a level (the reference's 0.7 sent R-Net 29–45 %
/// more boxes of the same face on the 12 MP DEV portraits).
const NMS_ALL: f32 = 0.5;

/// Supersampling cap per axis for pyramid levels (see `resample`): 2 tames the worst
/// aliasing at a fraction of the cost of full area averaging.
const PYRAMID_SAMPLES: usize = 2;

/// A P-Net window and its regression offsets.
type Level = (Candidate, [f32; 4]);

/// The pyramid's scales for an image whose shorter side is `min_side`.
pub(crate) fn scales(min_side: f32, min_face: f32) -> Vec<f32> {
    let m = WINDOW / min_face;
    let mut side = min_side * m;
    let mut scale = m;
    let mut out = Vec::new();
    while side > WINDOW {
        out.push(scale);
        side *= FACTOR;
        scale *= FACTOR;
    }
    out
}

/// P-Net's two output maps over one input, row-major `h × w`: face probability and the
/// four regression offsets per window.
struct Maps {
    w: usize,
    h: usize,
    probs: Vec<f32>,
    offsets: [Vec<f32>; 4],
}

/// The pyramid as scanned: each level's scale and size, their spots on the canvas, and
/// P-Net's maps over the canvas.
struct Pyramid {
    levels: Vec<(f32, (usize, usize))>,
    canvas: Canvas,
    maps: Maps,
}

/// Windows of P-Net's 12-pixel side at stride 2 lying wholly inside `n` pixels.
fn windows_in(n: usize) -> usize {
    if n < WINDOW as usize {
        0
    } else {
        (n - WINDOW as usize) / STRIDE as usize + 1
    }
}

impl Detector {
    /// All levels' proposals, regressed and squared, in input pixels.
    pub(crate) fn propose(
        &self,
        img: Rgb<'_>,
        min_face: f32,
    ) -> Result<Vec<Candidate>, DetectError> {
        let Some(Pyramid {
            levels,
            canvas,
            maps,
        }) = self.scan_pyramid(img, min_face)?
        else {
            return Ok(Vec::new());
        };
        let mut all = Vec::new();
        for (&(scale, _), spot) in levels.iter().zip(&canvas.spots) {
            all.extend(level_windows(&maps, spot, scale)?);
        }
        // As the reference: NMS across levels on the raw windows, then regress and square.
        let windows: Vec<Candidate> = all.iter().map(|(w, _)| *w).collect();
        let keep = nms(&windows, NMS_ALL, Overlap::Union);
        Ok(keep
            .into_iter()
            .map(|i| all[i].0.calibrate(all[i].1).square())
            .collect())
    }

    /// The pyramid's levels (scale and size), packed on one canvas and scanned in one run;
    /// `None` when no level holds a window.
    fn scan_pyramid(&self, img: Rgb<'_>, min_face: f32) -> Result<Option<Pyramid>, DetectError> {
        let min_side = img.width.min(img.height) as f32;
        let levels: Vec<(f32, (usize, usize))> = scales(min_side, min_face)
            .into_iter()
            .map(|scale| (scale, level_size(img, scale)))
            .filter(|&(_, (w, h))| windows_in(w) > 0 && windows_in(h) > 0)
            .collect();
        if levels.is_empty() {
            return Ok(None);
        }
        let sizes: Vec<(usize, usize)> = levels.iter().map(|l| l.1).collect();
        let canvas = pack(&sizes);
        let plane = canvas.width * canvas.height;
        // Between the levels: mid-grey (0 after normalisation); no window read there is kept.
        let mut input = vec![0.0f32; 3 * plane];
        let mut level = Vec::new();
        for (&(_, (w, h)), spot) in levels.iter().zip(&canvas.spots) {
            level.clear();
            resample_level(img, w, h, &mut level);
            for c in 0..3 {
                let rows = level[c * w * h..(c + 1) * w * h].chunks_exact(w);
                for (y, row) in rows.enumerate() {
                    let at = c * plane + (spot.y + y) * canvas.width + spot.x;
                    input[at..at + w].copy_from_slice(row);
                }
            }
        }
        let maps = self.scan(input, canvas.width, canvas.height)?;
        Ok(Some(Pyramid {
            levels,
            canvas,
            maps,
        }))
    }

    /// Runs P-Net on a `w × h` planar input.
    fn scan(&self, input: Vec<f32>, w: usize, h: usize) -> Result<Maps, DetectError> {
        let tensor = tract_ndarray::Array4::from_shape_vec((1, 3, h, w), input)
            .map_err(|e| DetectError::Model(format!("P-Net input: {e}")))?
            .into_tensor();
        let plan = self.pnet.get([1, 3, h, w])?;
        let outputs = plan.run(tvec!(tensor.into())).map_err(model_err("P-Net"))?;
        super::vector_state::clean();
        let (mut offsets, mut probs) = (None, None);
        for o in &outputs {
            let view = o
                .to_plain_array_view::<f32>()
                .map_err(model_err("P-Net output"))?;
            match view.shape() {
                [1, 4, _, _] => offsets = Some(view),
                [1, 2, _, _] => probs = Some(view),
                other => return Err(DetectError::Model(format!("P-Net output shape {other:?}"))),
            }
        }
        let (Some(offsets), Some(probs)) = (offsets, probs) else {
            return Err(DetectError::Model("P-Net outputs missing".into()));
        };
        let (mh, mw) = (probs.shape()[2], probs.shape()[3]);
        if offsets.shape()[2] != mh || offsets.shape()[3] != mw {
            return Err(DetectError::Model("P-Net outputs disagree in size".into()));
        }
        let channel = |view: &tract_ndarray::ArrayViewD<f32>, c: usize| {
            view.index_axis(tract_ndarray::Axis(1), c)
                .iter()
                .copied()
                .collect::<Vec<f32>>()
        };
        Ok(Maps {
            w: mw,
            h: mh,
            probs: channel(&probs, 1),
            offsets: [0, 1, 2, 3].map(|c| channel(&offsets, c)),
        })
    }
}

/// A level's size in pixels at `scale`.
fn level_size(img: Rgb<'_>, scale: f32) -> (usize, usize) {
    (
        (img.width as f32 * scale).ceil() as usize,
        (img.height as f32 * scale).ceil() as usize,
    )
}

/// The whole image resampled to `w × h`, appended to `out` as three planes.
fn resample_level(img: Rgb<'_>, w: usize, h: usize, out: &mut Vec<f32>) {
    let whole = Region {
        x: 0.0,
        y: 0.0,
        w: img.width as f32,
        h: img.height as f32,
    };
    img.resample_into(whole, w, h, Edge::Clamp, PYRAMID_SAMPLES, out);
}

/// The level at `spot` (scanned at `scale`): its windows above the threshold, thinned by
/// NMS, each with its regression offsets (applied later, after NMS across levels).
fn level_windows(maps: &Maps, spot: &Spot, scale: f32) -> Result<Vec<Level>, DetectError> {
    let (nx, ny) = (windows_in(spot.w), windows_in(spot.h));
    let (x0, y0) = (spot.x / STRIDE as usize, spot.y / STRIDE as usize);
    if x0 + nx > maps.w || y0 + ny > maps.h {
        return Err(DetectError::Model(format!(
            "P-Net output {}×{} does not cover a level at ({}, {})",
            maps.w, maps.h, spot.x, spot.y
        )));
    }
    let mut out = Vec::new();
    for y in 0..ny {
        for x in 0..nx {
            let i = (y0 + y) * maps.w + x0 + x;
            let score = maps.probs[i];
            if score <= THRESHOLD {
                continue;
            }
            // Window position back in input pixels, as the reference computes it.
            let (fx, fy) = (x as f32 * STRIDE + 1.0, y as f32 * STRIDE + 1.0);
            let window = Candidate {
                x1: (fx / scale).round(),
                y1: (fy / scale).round(),
                x2: ((fx + WINDOW) / scale).round(),
                y2: ((fy + WINDOW) / scale).round(),
                score,
            };
            let off = [0, 1, 2, 3].map(|c| maps.offsets[c][i]);
            out.push((window, off));
        }
    }
    let windows: Vec<Candidate> = out.iter().map(|(w, _)| *w).collect();
    let keep = nms(&windows, NMS_LEVEL, Overlap::Union);
    Ok(keep.into_iter().map(|i| out[i]).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every window wholly inside a level reads, on the packed canvas, what P-Net gives on
    /// that level alone: the same probability and offsets (up to float rounding, as tract
    /// may block the sums differently for another shape).
    #[test]
    fn the_canvas_scans_each_level_as_alone() {
        let detector = Detector::new().expect("models");
        let mut next = crate::testing::xorshift(0x5EED_1234);
        let (w, h) = (240usize, 320usize);
        let data: Vec<u8> = (0..w * h * 3)
            .map(|i| {
                let (x, y) = ((i / 3) % w, (i / 3) / w);
                ((x * 255 / w + y * 128 / h) as u32 + next() % 64) as u8
            })
            .collect();
        let img = Rgb {
            data: &data,
            width: w,
            height: h,
        };
        let Pyramid {
            levels,
            canvas,
            maps,
        } = detector
            .scan_pyramid(img, 30.0)
            .expect("scan")
            .expect("levels");
        assert!(levels.len() >= 5, "{levels:?}");
        let mut compared = 0;
        for (&(_, (lw, lh)), spot) in levels.iter().zip(&canvas.spots) {
            let mut input = Vec::new();
            resample_level(img, lw, lh, &mut input);
            let alone = detector.scan(input, lw, lh).expect("scan alone");
            let (x0, y0) = (spot.x / 2, spot.y / 2);
            for y in 0..windows_in(lh) {
                for x in 0..windows_in(lw) {
                    let (a, c) = (y * alone.w + x, (y0 + y) * maps.w + x0 + x);
                    assert!(
                        (alone.probs[a] - maps.probs[c]).abs() < 1e-4,
                        "{lw}×{lh} ({x}, {y})"
                    );
                    for k in 0..4 {
                        assert!((alone.offsets[k][a] - maps.offsets[k][c]).abs() < 1e-4);
                    }
                    compared += 1;
                }
            }
        }
        assert!(compared > 1000, "{compared} windows compared");
    }

    #[test]
    fn pyramid_starts_at_min_face_and_stops_below_window() {
        let s = scales(480.0, 80.0);
        assert!((s[0] - 0.15).abs() < 1e-6);
        assert!(s.iter().all(|&x| 480.0 * x > WINDOW));
        assert!(480.0 * s[s.len() - 1] * FACTOR <= WINDOW);
        assert!(scales(10.0, 12.0).is_empty());
    }
}
