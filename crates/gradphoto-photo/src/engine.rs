//! The engine: one detector, loaded once, and the two operations every caller needs —
//! check a finished photo, and make a standard photo from a portrait. Upload handlers,
//! the photographer station, batch jobs and the CLI all go through here.

use std::time::Instant;

use crate::check::{self, Purpose};
use crate::decode::{self, DecodeError, Limits, Rgb};
use crate::detect::{DetectError, Detector, Face};
use crate::report::{Finding, Report, Severity, Timings};
use crate::spec::Spec;

/// Smallest face looked for, as a fraction of the image's shorter side. It drives the
/// detector's cost (on 480×640: 63 ms at 8 %, 36 ms at 12.5 %, 22 ms at 20 %, measured in
/// release), so it is set from what the checks need: a standard face is ≥ 180 px (37 %), a
/// face too small to pass is still ≥ ~100 px, and a second person in the frame matters when
/// the face is at least ~100 px (DEV: pasted faces ≈ 110 px, 23 %). 15 % (72 px) finds
/// all of them with room to spare.
pub const MIN_FACE_FRACTION: f32 = 0.15;

/// Holds the detector and the decode limits. Build once (loading the models takes tens of
/// milliseconds) and share: it is `Send + Sync`, and calls may run concurrently.
#[derive(Debug)]
pub struct Engine {
    detector: Detector,
    limits: Limits,
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

impl Engine {
    /// Loads the embedded face models with the default decode limits.
    pub fn new() -> Result<Engine, DetectError> {
        Engine::with_limits(Limits::default())
    }

    /// Loads the embedded face models with the given decode limits.
    pub fn with_limits(limits: Limits) -> Result<Engine, DetectError> {
        Ok(Engine {
            detector: Detector::new()?,
            limits,
        })
    }

    /// The decode limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The detector, for callers that need raw faces (reuse detection).
    pub fn detector(&self) -> &Detector {
        &self.detector
    }

    /// Judges `bytes` as a finished standard photo: every check, every failing reason.
    /// Never fails: an unreadable file is a report with `file.unreadable`.
    pub fn check(&self, bytes: &[u8], spec: &Spec) -> Report {
        self.judge(bytes, spec, None)
    }

    /// [`Engine::check`] of a photo whose faces are already known, in the file's pixels:
    /// the standardizer's output, whose one face is the source's face carried through the
    /// crop. Every other check runs on the decoded file as usual; detection, the costliest
    /// step, is not repeated (tests check such outputs with [`Engine::check`] as well).
    pub(crate) fn check_known(&self, bytes: &[u8], spec: &Spec, faces: &[Face]) -> Report {
        self.judge(bytes, spec, Some(faces))
    }

    fn judge(&self, bytes: &[u8], spec: &Spec, known: Option<&[Face]>) -> Report {
        let start = Instant::now();
        let mut timings = Timings::default();
        let header = match decode::probe(bytes, &self.limits) {
            Ok(h) => h,
            Err(e) => return undecodable(&e, start),
        };
        // Judged at the standard's scale: a larger photo is decoded reduced (in the DCT
        // domain for JPEG) so that the checks see what the registry would.
        let img = match decode::decode(bytes, &self.limits, Some(spec.width.max(spec.height))) {
            Ok(img) => img,
            Err(e) => return undecodable(&e, start),
        };
        timings.decode_ms = ms(start);
        let t = Instant::now();
        let display = header.display_size();
        let faces = match known {
            // Known faces are in the file's pixels; the checks see the decoded image.
            Some(known) => {
                let k = img.width as f32 / display.0 as f32;
                Ok(known.iter().map(|f| f.scaled(k)).collect())
            }
            None => self.faces(&img),
        };
        timings.detect_ms = ms(t);
        let t = Instant::now();
        let mut report = match faces {
            Ok(faces) => {
                let a = check::analyse(&img, &header, display, &faces, spec, Purpose::Finished);
                let mut r = Report::from_findings(a.findings);
                r.face_hash = a.main.map(|f| crate::phash::face_hash(&img, &f));
                // Geometry is reported in the file's displayed pixels.
                r.face = a
                    .face
                    .map(|g| g.scaled(display.0 as f32 / img.width as f32));
                r
            }
            Err(e) => Report::from_findings(vec![engine_failure(&e)]),
        };
        report.size = Some(display);
        timings.checks_ms = ms(t);
        timings.total_ms = ms(start);
        report.timings = timings;
        report
    }

    /// Faces in `img`, looking for any at least [`MIN_FACE_FRACTION`] of its shorter side.
    pub(crate) fn faces(&self, img: &Rgb) -> Result<Vec<Face>, DetectError> {
        let min_face = (img.width.min(img.height) as f32 * MIN_FACE_FRACTION)
            .max(crate::detect::MIN_FACE_LIMIT);
        self.detector
            .detect(&img.data, img.width, img.height, min_face)
    }
}

fn undecodable(e: &DecodeError, start: Instant) -> Report {
    let mut r = Report::from_findings(vec![check::undecodable(e)]);
    r.timings.total_ms = ms(start);
    r
}

/// The detector failing is a fault of ours, not of the photo: a person must look.
fn engine_failure(e: &DetectError) -> Finding {
    Finding {
        code: "engine.error",
        severity: Severity::Review,
        measured: e.to_string().into(),
        limit: "".into(),
        zh: "系统暂时无法完成人脸检测，照片将由工作人员人工审核。".into(),
        en: "The face check could not run; a member of staff will review the photo.".into(),
    }
}
