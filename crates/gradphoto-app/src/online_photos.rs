//! The online student's photo (seed 003 §提交照片): the upload is standardized at once and
//! the answer — the standard image, or the reasons and what to change — comes back in the
//! same request. Accepted and borderline results are kept (the newest counts; retakes are
//! unlimited); borderline ones wait in the agency's review queue, where a person approves
//! or rejects them with reasons and a date to resubmit by.

use bytes::Bytes;
use gradphoto_db::online_photos::{NewOnlinePhoto, OnlinePhotoRow, ReviewWrite};
use gradphoto_db::student_accounts::StudentAccount;
use gradphoto_domain::i18n::Msg;
use gradphoto_domain::online_photo::{PhotoStatus, ReviewDecision, decide};
use gradphoto_domain::policy::Role;
use gradphoto_photo::report::Report;
use gradphoto_photo::{Prepared, Spec};
use serde::{Deserialize, Serialize};

use crate::auth::Staff;
use crate::online_entry::{OnlineState, Step, china_today};
use crate::{App, AppError};

/// The background the standard image is judged against. Campaigns do not choose one yet;
/// the registry's default is light blue.
const BACKGROUND: &str = "blue";

/// A reason as stored with the photo and shown again later.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredReason {
    pub code: String,
    pub zh: String,
    pub en: String,
}

pub(crate) fn stored(report: &Report) -> Vec<StoredReason> {
    report
        .reasons
        .iter()
        .map(|r| StoredReason {
            code: r.code.to_string(),
            zh: r.zh.clone(),
            en: r.en.clone(),
        })
        .collect()
}

/// The answer to one upload.
#[derive(Debug)]
pub enum Submitted {
    /// Kept: accepted, or in the review queue. The reasons are the borderline ones.
    Kept(Box<OnlinePhotoRow>),
    /// Nothing could be made: the reasons, to retake.
    Refused(Box<Report>),
}

/// A photo in the review queue with whom it belongs to (masked).
#[derive(Debug, Clone)]
pub struct ReviewItem {
    pub photo: OnlinePhotoRow,
    pub reasons: Vec<StoredReason>,
    pub school: String,
    pub name_masked: String,
    pub student_no: String,
}

pub fn reasons_of(row: &OnlinePhotoRow) -> Vec<StoredReason> {
    serde_json::from_str(&row.reasons_json).unwrap_or_default()
}

fn reviewers_only(by: &Staff) -> Result<(), AppError> {
    if matches!(by.actor.role, Role::AgencyAdmin | Role::AgencyPhotographer) {
        Ok(())
    } else {
        Err(AppError::Forbidden(Msg::new(
            "review.forbidden",
            "只有图片社的工作人员可以审核照片",
            "Only the photo agency's staff review photos",
        )))
    }
}

impl App {
    /// Step 4: checks and standardizes the upload; keeps it unless nothing could be made.
    pub async fn online_submit_photo(
        &self,
        account: &StudentAccount,
        bytes: Vec<u8>,
    ) -> Result<Submitted, AppError> {
        let state = self.online_state(account).await?;
        let entry = match (&state.step, &state.entry) {
            (Step::Photo, Some(e)) => e.clone(),
            _ => {
                return Err(AppError::invalid(
                    "online.verify_first",
                    "请先完成学校、学生信息验证并绑定采集码",
                    "Verify your school and identity and bind your code first",
                ));
            }
        };
        // A photo on its way to (or accepted by) the registry is final; one the registry
        // turned down is retaken, and the new one is sent in its place.
        let current = self.db.current_online_photo(entry.id).await?;
        let outbox = self.online_outbox(current.as_ref()).await?;
        let turned_down = outbox
            .as_ref()
            .is_some_and(|o| o.status == "refused" || o.verdict.as_deref() == Some("rejected"));
        if current.is_some_and(|p| p.outbox_id.is_some()) && !turned_down {
            return Err(AppError::invalid(
                "photo.already_sent",
                "照片已提交学信网，不能再更换",
                "Your photo was sent to the registry and can no longer be changed",
            ));
        }
        if bytes.is_empty() {
            return Err(AppError::invalid(
                "upload.empty",
                "请选择照片",
                "Choose a photo",
            ));
        }
        let engine = self.engine.clone();
        let original = Bytes::from(bytes);
        let input = original.clone();
        let prepared =
            tokio::task::spawn_blocking(move || engine.prepare(&input, &Spec::default()))
                .await
                .map_err(|e| AppError::Internal(format!("standardize: {e}")))?;
        let (made, needs_review) = match prepared {
            Prepared::Accept(s) => (s, false),
            Prepared::Review(s) => (s, true),
            Prepared::Reject(report) => return Ok(Submitted::Refused(report)),
        };
        let stem = format!("online/{}/{}", entry.id, crate::pii::random_hex::<8>()?);
        let (original_key, standard_key) =
            (format!("{stem}-upload"), format!("{stem}-standard.jpg"));
        let put = |key: String, data: Bytes| async move {
            self.blobs
                .put(&key, data)
                .await
                .map_err(|e| AppError::Internal(format!("storing the photo: {e}")))
        };
        put(original_key.clone(), original).await?;
        put(standard_key.clone(), Bytes::from(made.jpeg)).await?;
        let reasons = serde_json::to_string(&stored(&made.report))
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let row = self
            .db
            .insert_online_photo(&NewOnlinePhoto {
                entry_id: entry.id,
                status: PhotoStatus::of_new(needs_review).as_str(),
                reasons_json: &reasons,
                original_key: &original_key,
                standard_key: &standard_key,
                background: BACKGROUND,
            })
            .await?;
        if !needs_review {
            self.queue_hand_over(entry.id).await?;
        }
        Ok(Submitted::Kept(Box::new(row)))
    }

    /// The photo that counts for the student's current entry.
    pub async fn online_current_photo(
        &self,
        state: &OnlineState,
    ) -> Result<Option<OnlinePhotoRow>, AppError> {
        match &state.entry {
            Some(e) => Ok(self.db.current_online_photo(e.id).await?),
            None => Ok(None),
        }
    }

    /// The standard image of the student's current photo.
    pub async fn online_photo_image(&self, account: &StudentAccount) -> Result<Vec<u8>, AppError> {
        let state = self.online_state(account).await?;
        let photo = self
            .online_current_photo(&state)
            .await?
            .ok_or_else(AppError::not_found)?;
        self.blob_bytes(&photo.standard_key).await
    }

    /// The agency's queue of photos a person must judge, oldest first.
    pub async fn review_queue(&self, by: &Staff) -> Result<Vec<ReviewItem>, AppError> {
        reviewers_only(by)?;
        let mut out = Vec::new();
        for photo in self.db.online_review_queue(100).await? {
            let entry = self.db.online_entry(photo.entry_id).await?;
            let campaign = self.db.get_campaign(entry.campaign_id).await?;
            let school = self
                .db
                .get_university(campaign.university_id)
                .await?
                .name_zh;
            let (name_masked, student_no) = match entry.student_id {
                Some(id) => {
                    let s = self.db.get_student(id).await?;
                    (gradphoto_domain::people::mask_name(&s.name), s.student_no)
                }
                None => (String::new(), String::new()),
            };
            out.push(ReviewItem {
                reasons: reasons_of(&photo),
                photo,
                school,
                name_masked,
                student_no,
            });
        }
        Ok(out)
    }

    /// One of a queued photo's images for the reviewer: the upload or the standard image.
    pub async fn review_image(
        &self,
        by: &Staff,
        photo_id: i64,
        standard: bool,
    ) -> Result<Vec<u8>, AppError> {
        reviewers_only(by)?;
        let photo = self.db.get_online_photo(photo_id).await?;
        self.blob_bytes(if standard {
            &photo.standard_key
        } else {
            &photo.original_key
        })
        .await
    }

    /// Approves or rejects a photo in review.
    pub async fn review_photo(
        &self,
        by: &Staff,
        photo_id: i64,
        decision: &ReviewDecision,
    ) -> Result<OnlinePhotoRow, AppError> {
        reviewers_only(by)?;
        let photo = self.db.get_online_photo(photo_id).await?;
        let from = PhotoStatus::parse(&photo.status)
            .ok_or_else(|| AppError::Internal(format!("photo {photo_id} status")))?;
        let to = decide(from, decision, china_today()).map_err(AppError::Invalid)?;
        let (reasons, resubmit_by) = match decision {
            ReviewDecision::Approve => (None, None),
            ReviewDecision::Reject {
                reasons,
                resubmit_by,
            } => (
                Some(reasons.trim().to_string()),
                Some(resubmit_by.to_string()),
            ),
        };
        let mut audit = by.audit(
            "photo.review",
            "online_photo",
            Some(photo_id.to_string()),
            None,
        );
        audit.after = Some(serde_json::json!({
            "status": to.as_str(), "reasons": reasons, "resubmit_by": resubmit_by,
        }));
        let row = self
            .db
            .review_online_photo(
                photo_id,
                &ReviewWrite {
                    to: to.as_str(),
                    by: &by.row.username,
                    reasons: reasons.as_deref(),
                    resubmit_by: resubmit_by.as_deref(),
                },
                &audit,
            )
            .await
            .map_err(|e| match e {
                gradphoto_db::DbError::Conflict(_) => AppError::Conflict(Msg::new(
                    "review.not_pending",
                    "这张照片已被处理或已被学生替换",
                    "This photo was decided already or replaced by the student",
                )),
                other => other.into(),
            })?;
        if to.is_good() {
            self.queue_hand_over(row.entry_id).await?;
        }
        Ok(row)
    }
}
