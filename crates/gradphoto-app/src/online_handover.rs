//! After payment and acceptance the student's standard image goes to the registry through
//! the outbox (issue 4), once: the photo is claimed first, so two triggers (a notification
//! and a review arriving together, two workers) send it once. The triggers — a payment
//! confirmed, a photo approved, a good photo submitted to a paid order — only queue the
//! `hand_over_online` job; the job checks everything again.
//!
//! The student's progress, as seed 003 and issue 5 name its steps, is read from the same
//! rows: [`Progress`].

use gradphoto_db::online_photos::OnlinePhotoRow;
use gradphoto_db::outbox::OutboxRow;
use gradphoto_db::payments::OrderRow;
use gradphoto_domain::online_photo::PhotoStatus;

use crate::jobs::Job;
use crate::{App, AppError};

/// Where a student's online collection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// No photo kept yet.
    NoPhoto,
    /// A person at the agency must look at the photo.
    InReview,
    /// The agency rejected it: retake (the reasons and deadline are on the photo).
    Rejected,
    /// The photo is good; the order is not paid yet.
    AwaitingPayment,
    /// Paid and good: being sent to the registry.
    Sending,
    /// Sent; the registry has not answered yet.
    Sent,
    /// The registry accepted it: done.
    AcceptedByRegistry,
    /// The registry rejected it (its reasons are in the outbox row).
    RejectedByRegistry,
}

impl Progress {
    pub fn of(
        photo: Option<&OnlinePhotoRow>,
        order: Option<&OrderRow>,
        outbox: Option<&OutboxRow>,
    ) -> Progress {
        Progress::from_parts(
            photo.map(|p| p.status.as_str()),
            order.is_some_and(|o| o.status == "paid"),
            outbox.map(|o| (o.status.as_str(), o.verdict.as_deref())),
        )
    }

    /// The same from the columns alone (the agency's order list reads them in one query):
    /// the current photo's status, whether the order is paid, and the outbox row's status
    /// and verdict once the photo was sent.
    pub fn from_parts(
        photo_status: Option<&str>,
        paid: bool,
        outbox: Option<(&str, Option<&str>)>,
    ) -> Progress {
        let Some(photo_status) = photo_status else {
            return Progress::NoPhoto;
        };
        if let Some((status, verdict)) = outbox {
            return match (status, verdict) {
                ("answered", Some("accepted")) => Progress::AcceptedByRegistry,
                ("answered", _) | ("refused", _) => Progress::RejectedByRegistry,
                _ => Progress::Sent,
            };
        }
        match PhotoStatus::parse(photo_status) {
            Some(PhotoStatus::InReview) => Progress::InReview,
            Some(PhotoStatus::Rejected) => Progress::Rejected,
            Some(s) if s.is_good() => {
                if paid {
                    Progress::Sending
                } else {
                    Progress::AwaitingPayment
                }
            }
            _ => Progress::NoPhoto,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Progress::NoPhoto => "no_photo",
            Progress::InReview => "in_review",
            Progress::Rejected => "rejected",
            Progress::AwaitingPayment => "awaiting_payment",
            Progress::Sending => "sending",
            Progress::Sent => "sent",
            Progress::AcceptedByRegistry => "accepted",
            Progress::RejectedByRegistry => "registry_rejected",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Progress::NoPhoto => "未提交照片",
            Progress::InReview => "人工审核中",
            Progress::Rejected => "审核未通过",
            Progress::AwaitingPayment => "待支付",
            Progress::Sending => "待报送学信网",
            Progress::Sent => "已报送学信网",
            Progress::AcceptedByRegistry => "学信网已接收",
            Progress::RejectedByRegistry => "学信网未接收",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Progress::NoPhoto => "No photo yet",
            Progress::InReview => "Being reviewed",
            Progress::Rejected => "Rejected on review",
            Progress::AwaitingPayment => "Awaiting payment",
            Progress::Sending => "Being sent to the registry",
            Progress::Sent => "Sent to the registry",
            Progress::AcceptedByRegistry => "Accepted by the registry",
            Progress::RejectedByRegistry => "Not accepted by the registry",
        }
    }
}

impl App {
    /// Sends the entry's good photo to the registry if its order is paid (the
    /// `hand_over_online` job). `Ok(None)` when there is nothing to send (yet).
    pub async fn online_hand_over(&self, entry_id: i64) -> Result<Option<OutboxRow>, AppError> {
        let Some(order) = self.db.order_for_entry(entry_id).await? else {
            return Ok(None);
        };
        if order.status != "paid" {
            return Ok(None);
        }
        let Some(photo) = self.db.current_online_photo(entry_id).await? else {
            return Ok(None);
        };
        let good = PhotoStatus::parse(&photo.status).is_some_and(|s| s.is_good());
        if !good || photo.outbox_id.is_some() {
            return Ok(None);
        }
        let entry = self.db.online_entry(entry_id).await?;
        let Some(code) = entry.code_text.as_deref() else {
            return Ok(None);
        };
        if !self.db.claim_online_photo_for_registry(photo.id).await? {
            return Ok(None);
        }
        let sent = async {
            let jpeg = self.blob_bytes(&photo.standard_key).await?;
            self.send_photo_to_registry("online", code, jpeg, &photo.background)
                .await
        }
        .await;
        match sent {
            Ok(row) => {
                self.db
                    .set_online_photo_outbox(photo.id, Some(row.id))
                    .await?;
                tracing::info!(entry = entry_id, outbox = row.id, "online photo sent");
                Ok(Some(row))
            }
            Err(e) => {
                self.db.set_online_photo_outbox(photo.id, None).await?;
                Err(e)
            }
        }
    }

    /// Queues the hand-over of an entry (idempotent; the job decides).
    pub(crate) async fn queue_hand_over(&self, entry_id: i64) -> Result<(), AppError> {
        self.enqueue(Job::HandOverOnline { entry_id }).await
    }

    /// The outbox row the entry's current photo was sent as.
    pub async fn online_outbox(
        &self,
        photo: Option<&OnlinePhotoRow>,
    ) -> Result<Option<OutboxRow>, AppError> {
        match photo.and_then(|p| p.outbox_id).filter(|id| *id > 0) {
            Some(id) => Ok(Some(self.db.outbox(id).await?)),
            None => Ok(None),
        }
    }
}
