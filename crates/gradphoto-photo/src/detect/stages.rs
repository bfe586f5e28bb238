//! Stages 2 and 3: R-Net (24×24) re-scores and refines P-Net's proposals; O-Net (48×48)
//! scores them again, refines the box and places five landmarks. Both take every crop of
//! a stage in one batch, which is far cheaper than one run per crop.

use tract_onnx::prelude::*;

use super::nms::{Candidate, Overlap, nms};
use super::plans::Plans;
use super::resample::{Edge, Integral, Region, Rgb};
use super::{DetectError, Detector, Face, model_err};

const RNET_THRESHOLD: f32 = 0.7;
/// R-Net's NMS, IoU. The reference uses 0.7, which passes 5–7 boxes of the same face to
/// O-Net (its costliest stage, ~1 ms a box); at 0.5 it is 2–3 on a 12 MP portrait, with the
/// same verdicts on the DEV set and eye positions within 0.3 px (median) of before. Boxes of
/// two different faces overlap far less than that.
const RNET_NMS: f32 = 0.5;
const ONET_THRESHOLD: f32 = 0.8;
/// O-Net's NMS is by intersection over the smaller box: see [`Overlap::Min`].
const ONET_NMS: f32 = 0.7;

/// One stage's outputs for a batch, split by meaning (found by shape, not by position, so
/// that a re-exported model with another output order still reads correctly).
struct StageOutput {
    probs: Vec<f32>,
    offsets: Vec<[f32; 4]>,
    landmarks: Vec<[f32; 10]>,
}

/// The image as the later stages crop it: area averaging (as the reference's
/// `INTER_AREA`) for regions larger than the network input, bilinear for smaller ones.
pub(crate) struct Source<'a> {
    pub img: Rgb<'a>,
    pub integral: Integral,
}

/// Crops every box (inclusive pixel boxes, zero-padded outside the image) to `size`² and
/// runs the network on the batch.
fn run_stage(
    plans: &Plans,
    name: &'static str,
    src: &Source<'_>,
    boxes: &[Candidate],
    size: usize,
) -> Result<StageOutput, DetectError> {
    let n = boxes.len();
    let mut input = Vec::with_capacity(n * 3 * size * size);
    for b in boxes {
        let region = Region {
            x: b.x1,
            y: b.y1,
            w: b.width(),
            h: b.height(),
        };
        if region.w >= size as f32 {
            src.integral.crop_into(region, size, &mut input);
        } else {
            src.img
                .resample_into(region, size, size, Edge::Zero, 1, &mut input);
        }
    }
    let tensor = tract_ndarray::Array4::from_shape_vec((n, 3, size, size), input)
        .map_err(|e| DetectError::Model(format!("{name} input: {e}")))?
        .into_tensor();
    let plan = plans.get([n, 3, size, size])?;
    let outputs = plan.run(tvec!(tensor.into())).map_err(model_err(name))?;
    super::vector_state::clean();
    let mut out = StageOutput {
        probs: Vec::new(),
        offsets: Vec::new(),
        landmarks: Vec::new(),
    };
    for o in &outputs {
        let view = o.to_plain_array_view::<f32>().map_err(model_err(name))?;
        let shape = view.shape().to_vec();
        let rows = || {
            view.outer_iter()
                .map(|r| r.iter().copied().collect::<Vec<f32>>())
        };
        match shape.as_slice() {
            [m, 2] if *m == n => out.probs = rows().map(|r| r[1]).collect(),
            [m, 4] if *m == n => {
                out.offsets = rows().map(|r| [r[0], r[1], r[2], r[3]]).collect();
            }
            [m, 10] if *m == n => {
                out.landmarks = rows().map(|r| std::array::from_fn(|i| r[i])).collect();
            }
            other => return Err(DetectError::Model(format!("{name} output shape {other:?}"))),
        }
    }
    if out.probs.len() != n || out.offsets.len() != n {
        return Err(DetectError::Model(format!(
            "{name}: scores or offsets missing"
        )));
    }
    Ok(out)
}

impl Detector {
    /// R-Net: keeps proposals it also believes in, regressed and squared for O-Net.
    pub(crate) fn refine(
        &self,
        src: &Source<'_>,
        boxes: &[Candidate],
    ) -> Result<Vec<Candidate>, DetectError> {
        if boxes.is_empty() {
            return Ok(Vec::new());
        }
        let out = run_stage(&self.rnet, "R-Net", src, boxes, 24)?;
        let mut kept = Vec::new();
        for (i, b) in boxes.iter().enumerate() {
            if out.probs[i] > RNET_THRESHOLD {
                kept.push((
                    Candidate {
                        score: out.probs[i],
                        ..*b
                    },
                    out.offsets[i],
                ));
            }
        }
        let scored: Vec<Candidate> = kept.iter().map(|(b, _)| *b).collect();
        let keep = nms(&scored, RNET_NMS, Overlap::Union);
        Ok(keep
            .into_iter()
            .map(|i| kept[i].0.calibrate(kept[i].1).square())
            .collect())
    }

    /// O-Net: final faces with landmarks, in input pixels.
    pub(crate) fn output(
        &self,
        src: &Source<'_>,
        boxes: &[Candidate],
    ) -> Result<Vec<Face>, DetectError> {
        if boxes.is_empty() {
            return Ok(Vec::new());
        }
        let out = run_stage(&self.onet, "O-Net", src, boxes, 48)?;
        if out.landmarks.len() != boxes.len() {
            return Err(DetectError::Model("O-Net: landmarks missing".into()));
        }
        let mut faces = Vec::new();
        let mut finals = Vec::new();
        for (i, b) in boxes.iter().enumerate() {
            let score = out.probs[i];
            if score <= ONET_THRESHOLD {
                continue;
            }
            // Landmarks are fractions of the box O-Net saw (before its own regression).
            let l = &out.landmarks[i];
            let landmarks =
                std::array::from_fn(|k| [b.x1 + b.width() * l[k], b.y1 + b.height() * l[k + 5]]);
            let fin = Candidate { score, ..*b }.calibrate(out.offsets[i]);
            finals.push(fin);
            faces.push(Face {
                bbox: [fin.x1, fin.y1, fin.x2, fin.y2],
                score,
                landmarks,
            });
        }
        let keep = nms(&finals, ONET_NMS, Overlap::Min);
        Ok(keep.into_iter().map(|i| faces[i]).collect())
    }
}
