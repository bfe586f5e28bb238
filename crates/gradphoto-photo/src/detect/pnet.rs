//! Stage 1: P-Net slides a 12×12 window (stride 2) over an image pyramid and proposes
//! face boxes. The smallest detectable face is 12 px at scale 1, so the first level is
//! scaled by `12 / min_face`; each further level shrinks by 0.709 (≈ 1/√2, area halved)
//! until the image is smaller than the window.

use tract_onnx::prelude::*;

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

impl Detector {
    /// All levels' proposals, regressed and squared, in input pixels.
    pub(crate) fn propose(
        &self,
        img: Rgb<'_>,
        min_face: f32,
    ) -> Result<Vec<Candidate>, DetectError> {
        let mut all = Vec::new();
        let min_side = img.width.min(img.height) as f32;
        for scale in scales(min_side, min_face) {
            all.extend(self.run_level(img, scale)?);
        }
        // As the reference: NMS across levels on the raw windows, then regress and square.
        let windows: Vec<Candidate> = all.iter().map(|(w, _)| *w).collect();
        let keep = nms(&windows, NMS_ALL, Overlap::Union);
        Ok(keep
            .into_iter()
            .map(|i| all[i].0.calibrate(all[i].1).square())
            .collect())
    }

    /// Runs P-Net on one pyramid level: windows above the threshold, thinned by NMS, each
    /// with its regression offsets (applied later, after NMS across levels).
    fn run_level(&self, img: Rgb<'_>, scale: f32) -> Result<Vec<Level>, DetectError> {
        let sw = (img.width as f32 * scale).ceil() as usize;
        let sh = (img.height as f32 * scale).ceil() as usize;
        if sw < WINDOW as usize || sh < WINDOW as usize {
            return Ok(Vec::new());
        }
        let mut input = Vec::with_capacity(3 * sw * sh);
        let whole = Region {
            x: 0.0,
            y: 0.0,
            w: img.width as f32,
            h: img.height as f32,
        };
        img.resample_into(whole, sw, sh, Edge::Clamp, PYRAMID_SAMPLES, &mut input);
        let tensor = tract_ndarray::Array4::from_shape_vec((1, 3, sh, sw), input)
            .map_err(|e| DetectError::Model(format!("P-Net input: {e}")))?
            .into_tensor();
        let plan = self.pnet.get([1, 3, sh, sw])?;
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
        let (h, w) = (probs.shape()[2], probs.shape()[3]);
        if offsets.shape()[2] != h || offsets.shape()[3] != w {
            return Err(DetectError::Model("P-Net outputs disagree in size".into()));
        }
        let mut out = Vec::new();
        for y in 0..h {
            for x in 0..w {
                let score = probs[[0, 1, y, x]];
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
                let off = [0, 1, 2, 3].map(|c| offsets[[0, c, y, x]]);
                out.push((window, off));
            }
        }
        let windows: Vec<Candidate> = out.iter().map(|(w, _)| *w).collect();
        let keep = nms(&windows, NMS_LEVEL, Overlap::Union);
        Ok(keep.into_iter().map(|i| out[i]).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pyramid_starts_at_min_face_and_stops_below_window() {
        let s = scales(480.0, 80.0);
        assert!((s[0] - 0.15).abs() < 1e-6);
        assert!(s.iter().all(|&x| 480.0 * x > WINDOW));
        assert!(480.0 * s[s.len() - 1] * FACTOR <= WINDOW);
        assert!(scales(10.0, 12.0).is_empty());
    }
}
