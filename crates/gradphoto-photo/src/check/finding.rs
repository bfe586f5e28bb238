//! Building findings, and the one rule for bands: inside is fine, a little outside is for a
//! person to judge (the detector's landmarks differ from a human's by a few pixels), further
//! out is a reject.

use crate::report::{Finding, Severity, Value};
use crate::spec::Band;

/// Shorthand for a finding.
pub(crate) fn finding(
    code: &'static str,
    severity: Severity,
    measured: impl Into<Value>,
    limit: impl Into<Value>,
    zh: String,
    en: String,
) -> Finding {
    Finding {
        code,
        severity,
        measured: measured.into(),
        limit: limit.into(),
        zh,
        en,
    }
}

/// Where a value lies relative to a band with a review margin on each side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Inside,
    Below(Severity),
    Above(Severity),
}

/// Inside the band, or below/above it — by at most `margin` a review, beyond it a reject.
pub(crate) fn side(value: f32, band: Band, margin: f32) -> Side {
    let sev = |over: f32| {
        if over <= margin {
            Severity::Review
        } else {
            Severity::Reject
        }
    };
    if value < band.min {
        Side::Below(sev(band.min - value))
    } else if value > band.max {
        Side::Above(sev(value - band.max))
    } else {
        Side::Inside
    }
}

/// `"180–300"`, the way a band is shown as a limit.
pub(crate) fn band_text(band: Band) -> String {
    format!("{}–{}", band.min, band.max)
}

/// A one-sided limit: `value` must be at least `ok`; between `reject` and `ok` a person
/// looks; below `reject` it fails. `None` when fine.
pub(crate) fn at_least(value: f32, ok: f32, reject: f32) -> Option<Severity> {
    if value >= ok {
        None
    } else if value >= reject {
        Some(Severity::Review)
    } else {
        Some(Severity::Reject)
    }
}

/// A one-sided limit: `value` must be at most `ok`; up to `reject` a person looks.
pub(crate) fn at_most(value: f32, ok: f32, reject: f32) -> Option<Severity> {
    if value <= ok {
        None
    } else if value <= reject {
        Some(Severity::Review)
    } else {
        Some(Severity::Reject)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_have_a_review_margin_then_reject() {
        let b = Band::new(180.0, 300.0);
        assert_eq!(side(180.0, b, 8.0), Side::Inside);
        assert_eq!(side(300.0, b, 8.0), Side::Inside);
        assert_eq!(side(175.0, b, 8.0), Side::Below(Severity::Review));
        assert_eq!(side(171.0, b, 8.0), Side::Below(Severity::Reject));
        assert_eq!(side(308.0, b, 8.0), Side::Above(Severity::Review));
        assert_eq!(side(309.0, b, 8.0), Side::Above(Severity::Reject));
    }

    #[test]
    fn one_sided_limits() {
        assert_eq!(at_least(40.0, 30.0, 15.0), None);
        assert_eq!(at_least(20.0, 30.0, 15.0), Some(Severity::Review));
        assert_eq!(at_least(10.0, 30.0, 15.0), Some(Severity::Reject));
        assert_eq!(at_most(4.0, 5.0, 8.0), None);
        assert_eq!(at_most(6.0, 5.0, 8.0), Some(Severity::Review));
        assert_eq!(at_most(9.0, 5.0, 8.0), Some(Severity::Reject));
    }
}
