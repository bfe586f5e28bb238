//! What a check says: a verdict and every finding, each with a stable reason code, the value
//! measured, the limit it was held to, and a message in Chinese and English for the student.

use serde::Serialize;

/// The overall answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Every check passed.
    Accept,
    /// A person must look: a value is borderline, or something could not be judged.
    Review,
    /// At least one check failed clearly.
    Reject,
}

impl Verdict {
    /// `accept`, `review` or `reject`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Verdict::Accept => "accept",
            Verdict::Review => "review",
            Verdict::Reject => "reject",
        }
    }
}

/// How bad one finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Borderline or not judgeable: a person decides.
    Review,
    /// Clearly outside the standard.
    Reject,
}

/// A measured value or a limit: a number, or text when the quantity is not one number
/// (a size "600×800", a colour "RGB(255,255,255)").
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    /// A number (rounded for display by whoever shows it).
    Number(f64),
    /// Anything else.
    Text(String),
}

impl From<f32> for Value {
    fn from(v: f32) -> Value {
        // Two decimals are more than any check resolves; it keeps the JSON readable.
        Value::Number((f64::from(v) * 100.0).round() / 100.0)
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Value {
        Value::Number((v * 100.0).round() / 100.0)
    }
}
impl From<u32> for Value {
    fn from(v: u32) -> Value {
        Value::Number(f64::from(v))
    }
}
impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Text(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_owned())
    }
}

/// One failed (or borderline) check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Stable reason code, e.g. `face.too_small`. Codes are only ever added, never renamed.
    pub code: &'static str,
    /// Reject or review.
    pub severity: Severity,
    /// What was measured.
    pub measured: Value,
    /// The limit it was held to, e.g. "180–300".
    pub limit: Value,
    /// For the student, in Chinese: what is wrong and what to change.
    pub zh: String,
    /// The same in English.
    pub en: String,
}

/// Where the face is, in the checked image's displayed pixels. Given to the UI so it can draw
/// the guides, and to reuse detection.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FaceGeometry {
    /// Detector box `x1, y1, x2, y2`.
    pub bbox: [f32; 4],
    /// Left and right eye centres (image left first).
    pub eyes: [[f32; 2]; 2],
    /// Nose tip.
    pub nose: [f32; 2],
    /// Face width cheek to cheek, calibrated from the box.
    pub face_width: f32,
    /// Eye line: mean eye height.
    pub eye_line: f32,
    /// Head top (crown) row, found against the background; `None` when it cannot be seen.
    pub head_top: Option<f32>,
    /// Roll in degrees, positive when the right eye is lower.
    pub roll: f32,
}

impl FaceGeometry {
    /// The same geometry in an image `k` times as large (a reduced decode to the file's
    /// pixels, a detection copy to its source). Roll does not change with scale.
    pub fn scaled(&self, k: f32) -> FaceGeometry {
        let s = |p: [f32; 2]| [p[0] * k, p[1] * k];
        FaceGeometry {
            bbox: self.bbox.map(|v| v * k),
            eyes: self.eyes.map(s),
            nose: s(self.nose),
            face_width: self.face_width * k,
            eye_line: self.eye_line * k,
            head_top: self.head_top.map(|v| v * k),
            roll: self.roll,
        }
    }
}

/// Milliseconds spent per stage.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Timings {
    /// Header probe and decode.
    pub decode_ms: f64,
    /// Face detection.
    pub detect_ms: f64,
    /// The checks themselves.
    pub checks_ms: f64,
    /// Everything.
    pub total_ms: f64,
}

/// The result of checking one image.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Reject if any finding is a reject, else review if any is a review, else accept.
    pub verdict: Verdict,
    /// Every failing or borderline check, rejects first.
    pub reasons: Vec<Finding>,
    /// Displayed width and height of the image.
    pub size: Option<(u32, u32)>,
    /// The main face, when one was found.
    pub face: Option<FaceGeometry>,
    /// Perceptual hash of the main face, for reuse detection against other photos
    /// ([`crate::phash::is_near_duplicate`]).
    pub face_hash: Option<crate::phash::FaceHash>,
    /// Time per stage.
    pub timings: Timings,
}

impl Report {
    /// Builds the report from its findings: sorts them (rejects first, then by code) and
    /// derives the verdict, so the two can never disagree.
    pub fn from_findings(mut reasons: Vec<Finding>) -> Report {
        reasons.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.code.cmp(b.code)));
        reasons.dedup_by(|a, b| a.code == b.code);
        let verdict = match reasons.first().map(|f| f.severity) {
            Some(Severity::Reject) => Verdict::Reject,
            Some(Severity::Review) => Verdict::Review,
            None => Verdict::Accept,
        };
        Report {
            verdict,
            reasons,
            size: None,
            face: None,
            face_hash: None,
            timings: Timings::default(),
        }
    }

    /// Whether a finding with this code is present.
    pub fn has(&self, code: &str) -> bool {
        self.reasons.iter().any(|f| f.code == code)
    }
}
