//! The life of a photo a student submits online (issue 5 step 4 onwards), as the student
//! sees it: checked by the engine and kept, or kept for a person at the agency to judge;
//! approved or rejected (with reasons and a date to resubmit by); replaced by a retake.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::i18n::Msg;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhotoStatus {
    /// The engine accepted it; it goes to the registry once the order is paid.
    Checked,
    /// Borderline: in the agency's review queue.
    InReview,
    /// Approved by the agency after review.
    Approved,
    /// Rejected by the agency: reasons and a resubmission date go with it.
    Rejected,
    /// A retake took its place.
    Superseded,
}

impl PhotoStatus {
    pub const ALL: [PhotoStatus; 5] = [
        PhotoStatus::Checked,
        PhotoStatus::InReview,
        PhotoStatus::Approved,
        PhotoStatus::Rejected,
        PhotoStatus::Superseded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PhotoStatus::Checked => "checked",
            PhotoStatus::InReview => "in_review",
            PhotoStatus::Approved => "approved",
            PhotoStatus::Rejected => "rejected",
            PhotoStatus::Superseded => "superseded",
        }
    }

    pub fn parse(s: &str) -> Option<PhotoStatus> {
        PhotoStatus::ALL.into_iter().find(|p| p.as_str() == s)
    }

    pub fn zh(self) -> &'static str {
        match self {
            PhotoStatus::Checked => "照片合格",
            PhotoStatus::InReview => "人工审核中",
            PhotoStatus::Approved => "审核通过",
            PhotoStatus::Rejected => "审核未通过",
            PhotoStatus::Superseded => "已被新照片替换",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            PhotoStatus::Checked => "Photo accepted",
            PhotoStatus::InReview => "Being reviewed",
            PhotoStatus::Approved => "Approved on review",
            PhotoStatus::Rejected => "Rejected on review",
            PhotoStatus::Superseded => "Replaced by a newer photo",
        }
    }

    /// Whether the photo may go on to the registry (once paid).
    pub fn is_good(self) -> bool {
        matches!(self, PhotoStatus::Checked | PhotoStatus::Approved)
    }

    /// The status of a new submission, from the engine's verdict (accept or review; a
    /// reject is never stored).
    pub fn of_new(needs_review: bool) -> PhotoStatus {
        if needs_review {
            PhotoStatus::InReview
        } else {
            PhotoStatus::Checked
        }
    }
}

/// The agency's decision on a photo in review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReviewDecision {
    Approve,
    /// What is wrong (shown to the student) and the last day to submit a new photo.
    Reject {
        reasons: String,
        resubmit_by: NaiveDate,
    },
}

/// The status a decision leads to, or why it cannot be taken: only a photo in review is
/// decided, a rejection says why, and its date is after today.
pub fn decide(
    from: PhotoStatus,
    decision: &ReviewDecision,
    today: NaiveDate,
) -> Result<PhotoStatus, Msg> {
    if from != PhotoStatus::InReview {
        return Err(Msg::new(
            "review.not_pending",
            format!("这张照片已不在审核中（{}）", from.zh()),
            format!("This photo is no longer in review ({})", from.en()),
        ));
    }
    match decision {
        ReviewDecision::Approve => Ok(PhotoStatus::Approved),
        ReviewDecision::Reject {
            reasons,
            resubmit_by,
        } => {
            if reasons.trim().is_empty() {
                return Err(Msg::new(
                    "review.reasons_required",
                    "退回照片须写明原因，学生据此重拍",
                    "A rejection must say why, so the student knows what to retake",
                ));
            }
            if *resubmit_by <= today {
                return Err(Msg::new(
                    "review.deadline_past",
                    "重新提交截止日期须晚于今天",
                    "The resubmission deadline must be after today",
                ));
            }
            Ok(PhotoStatus::Rejected)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn statuses_round_trip() {
        for s in PhotoStatus::ALL {
            assert_eq!(PhotoStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(PhotoStatus::parse("sent"), None);
        assert_eq!(PhotoStatus::of_new(true), PhotoStatus::InReview);
        assert_eq!(PhotoStatus::of_new(false), PhotoStatus::Checked);
        assert!(PhotoStatus::Approved.is_good() && !PhotoStatus::InReview.is_good());
    }

    #[test]
    fn only_a_photo_in_review_is_decided_and_a_rejection_says_why_and_until_when() {
        let today = d("2026-12-04");
        let reject = |r: &str, by: &str| ReviewDecision::Reject {
            reasons: r.into(),
            resubmit_by: d(by),
        };
        assert_eq!(
            decide(PhotoStatus::InReview, &ReviewDecision::Approve, today),
            Ok(PhotoStatus::Approved)
        );
        assert_eq!(
            decide(
                PhotoStatus::InReview,
                &reject("背景偏暗", "2026-12-11"),
                today
            ),
            Ok(PhotoStatus::Rejected)
        );
        for s in [
            PhotoStatus::Checked,
            PhotoStatus::Approved,
            PhotoStatus::Rejected,
            PhotoStatus::Superseded,
        ] {
            let e = decide(s, &ReviewDecision::Approve, today).expect_err("decided");
            assert_eq!(e.code, "review.not_pending");
        }
        let e = decide(PhotoStatus::InReview, &reject("  ", "2026-12-11"), today).expect_err("why");
        assert_eq!(e.code, "review.reasons_required");
        let e = decide(PhotoStatus::InReview, &reject("x", "2026-12-04"), today).expect_err("date");
        assert_eq!(e.code, "review.deadline_past");
    }
}
