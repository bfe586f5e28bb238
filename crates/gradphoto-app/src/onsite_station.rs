//! The photographer's station and the student's confirmation on an on-site day. The
//! station calls the next number (lowest turn first), binds each photo — uploaded, from a
//! webcam, or from a tethered camera's hot folder — to the number at the camera, where
//! the photo engine checks and standardizes it at once; the student confirms the
//! standardized photo on a screen facing them, and a job hands exactly that photo to the
//! registry's outbox for exactly the code checked in as that number. Every step names
//! the number the person saw, and the store refuses it if the camera has moved on.

use bytes::Bytes;
use gradphoto_db::onsite::CheckinRow;
use gradphoto_db::onsite_station::{NewOnsitePhoto, OnsitePhotoRow, StationRefusal};
use gradphoto_db::outbox::OutboxRow;
use gradphoto_domain::i18n::Msg;
use gradphoto_domain::onsite::waiting_in_order;
use gradphoto_domain::onsite::{Place, Stage};
use gradphoto_domain::people::mask_name;
use gradphoto_domain::policy::{Action, Resource, ResourceKind};
use gradphoto_photo::Prepared;
use gradphoto_photo::report::Report;

use crate::auth::Staff;
use crate::desk::spec_for;
use crate::jobs::Job;
use crate::online_photos::{StoredReason, stored};
use crate::onsite_checkin::DeskQueue;
use crate::onsite_desk_fee::{Fee, unpaid_msg};
use crate::{App, AppError};

/// Where a photo came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Upload,
    Webcam,
    HotFolder,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Upload => "upload",
            Source::Webcam => "webcam",
            Source::HotFolder => "hot_folder",
        }
    }
    pub fn parse(s: &str) -> Source {
        match s {
            "webcam" => Source::Webcam,
            "hot_folder" => Source::HotFolder,
            _ => Source::Upload,
        }
    }
}

/// The number at the camera, as the station and the confirmation screen show it.
#[derive(Debug, Clone)]
pub struct AtCamera {
    pub checkin: CheckinRow,
    pub name_masked: String,
    pub student_no: String,
    pub photo: Option<OnsitePhotoRow>,
    /// The borderline reasons of the photo (a `review` verdict), to look at.
    pub reasons: Vec<StoredReason>,
    /// What the number owes at the desk: the confirmation waits while it is unpaid.
    pub fee: Fee,
    /// Every shot of the number, where the photographer chooses among them (the fine
    /// service at a branch); empty otherwise.
    pub shots: Vec<OnsitePhotoRow>,
}

/// A queue's state for the station, the call display and the confirmation screen.
#[derive(Debug, Clone)]
pub struct StationView {
    pub desk: DeskQueue,
    pub current: Option<AtCamera>,
    /// The next numbers to call, in order.
    pub next: Vec<i64>,
    pub waiting: usize,
    pub confirmed: usize,
    /// The queue is a branch's fine service: several shots are kept to choose from.
    pub choose_shots: bool,
}

/// What became of a photo at the station.
#[derive(Debug)]
pub enum Shot {
    /// Bound to the number; shown to the student to confirm.
    Bound(Box<OnsitePhotoRow>),
    /// Nothing could be made of it: the reasons, to retake.
    Refused(Box<Report>),
}

fn refusal(r: StationRefusal) -> AppError {
    AppError::Conflict(r.msg())
}

fn bad_photo_reasons(json: &str) -> Vec<StoredReason> {
    serde_json::from_str(json).unwrap_or_default()
}

impl App {
    /// The queue's state, for station staff.
    pub async fn station(&self, by: &Staff, queue_id: i64) -> Result<StationView, AppError> {
        let desk = self.desk_queue(by, queue_id).await?;
        let rows = self.db.onsite_queue_checkins(queue_id).await?;
        let places: Vec<Place> = rows
            .iter()
            .filter_map(|r| {
                Some(Place {
                    number: r.number,
                    turn: r.turn,
                    stage: Stage::parse(&r.stage)?,
                })
            })
            .collect();
        let choose_shots = self.queue_chooses_shots(&desk).await?;
        let current = match desk
            .queue
            .current_checkin
            .and_then(|id| rows.iter().find(|r| r.id == id))
        {
            Some(c) => Some(self.at_camera(&desk, c.clone(), choose_shots).await?),
            None => None,
        };
        Ok(StationView {
            next: waiting_in_order(&places, 5),
            waiting: places.iter().filter(|p| p.stage == Stage::Waiting).count(),
            confirmed: places
                .iter()
                .filter(|p| p.stage == Stage::Confirmed)
                .count(),
            desk,
            current,
            choose_shots,
        })
    }

    /// Whether the queue is a branch service that lets the photographer choose among
    /// several shots.
    async fn queue_chooses_shots(&self, desk: &DeskQueue) -> Result<bool, AppError> {
        let Some(branch) = desk.session.branch_id else {
            return Ok(false);
        };
        Ok(self
            .db
            .branch_services(branch)
            .await?
            .iter()
            .any(|s| s.name_zh == desk.queue.name && s.choose_shots != 0))
    }

    /// The photographer chooses which of the number's shots the student is shown (the
    /// fine service); not once confirmed.
    pub async fn station_choose(
        &self,
        by: &Staff,
        queue_id: i64,
        number: i64,
        photo_id: i64,
    ) -> Result<CheckinRow, AppError> {
        let desk = self.desk_queue(by, queue_id).await?;
        if !self.queue_chooses_shots(&desk).await? {
            return Err(AppError::invalid(
                "station.no_choice",
                "该队列不提供多张挑选",
                "This queue does not offer a choice of shots",
            ));
        }
        self.db
            .choose_station_photo(queue_id, number, photo_id)
            .await?
            .map_err(refusal)
    }

    async fn at_camera(
        &self,
        desk: &DeskQueue,
        checkin: CheckinRow,
        choose_shots: bool,
    ) -> Result<AtCamera, AppError> {
        let shots = if choose_shots {
            self.db.checkin_photos(checkin.id).await?
        } else {
            Vec::new()
        };
        let fee = self
            .fee_of(&desk.campaign, &checkin, desk.session.branch_id.is_some())
            .await?;
        let student = self.db.get_student(checkin.student_id).await?;
        let photo = match checkin.photo_id {
            Some(id) => Some(self.db.onsite_photo(id).await?),
            None => None,
        };
        Ok(AtCamera {
            name_masked: mask_name(&student.name),
            student_no: student.student_no,
            reasons: photo
                .as_ref()
                .map(|p| bad_photo_reasons(&p.reasons_json))
                .unwrap_or_default(),
            photo,
            checkin,
            fee,
            shots,
        })
    }

    /// Calls the next number to the camera.
    pub async fn station_call_next(
        &self,
        by: &Staff,
        queue_id: i64,
    ) -> Result<CheckinRow, AppError> {
        let desk = self.desk_queue(by, queue_id).await?;
        if let Some(station) = &desk.queue.held_by {
            return Err(AppError::Conflict(crate::onsite_offline::held_msg(station)));
        }
        self.db.call_next(queue_id).await?.map_err(refusal)
    }

    /// Sends the number at the camera to the end of the queue (过号排至最后).
    pub async fn station_send_to_end(
        &self,
        by: &Staff,
        queue_id: i64,
        number: i64,
    ) -> Result<CheckinRow, AppError> {
        self.desk_queue(by, queue_id).await?;
        self.db
            .send_current_to_end(queue_id, number)
            .await?
            .map_err(refusal)
    }

    /// Checks and standardizes a photo and binds it to `number`, which must be the number
    /// at the camera. A photo that cannot be made standard is answered with its reasons
    /// and bound to nothing.
    pub async fn station_photo(
        &self,
        by: &Staff,
        queue_id: i64,
        number: i64,
        photo: Vec<u8>,
        background: &str,
        source: Source,
    ) -> Result<Shot, AppError> {
        self.desk_queue(by, queue_id).await?;
        if photo.is_empty() {
            return Err(AppError::invalid(
                "upload.empty",
                "请选择照片",
                "Choose a photo",
            ));
        }
        // Refuse early, before the engine's work, when the number is not at the camera.
        match self.db.station_current(queue_id).await? {
            Some(c) if c.number == number && c.stage != "confirmed" => {}
            Some(c) if c.number == number => return Err(refusal(StationRefusal::Confirmed)),
            other => return Err(refusal(StationRefusal::NotCurrent(other.map(|c| c.number)))),
        }
        let engine = self.engine.clone();
        let original = Bytes::from(photo);
        let input = original.clone();
        let spec = spec_for(background);
        let prepared = tokio::task::spawn_blocking(move || engine.prepare(&input, &spec))
            .await
            .map_err(|e| AppError::Internal(format!("standardize: {e}")))?;
        let (made, verdict) = match prepared {
            Prepared::Accept(s) => (s, "accept"),
            Prepared::Review(s) => (s, "review"),
            Prepared::Reject(report) => return Ok(Shot::Refused(report)),
        };
        let stem = format!(
            "onsite/{queue_id}/{number}-{}",
            crate::pii::random_hex::<8>()?
        );
        let (original_key, standard_key) =
            (format!("{stem}-upload"), format!("{stem}-standard.jpg"));
        for (key, data) in [
            (&original_key, original),
            (&standard_key, Bytes::from(made.jpeg)),
        ] {
            self.blobs
                .put(key, data)
                .await
                .map_err(|e| AppError::Internal(format!("storing the photo: {e}")))?;
        }
        let reasons = serde_json::to_string(&stored(&made.report))
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let (_, row) = self
            .db
            .bind_station_photo(
                queue_id,
                number,
                &NewOnsitePhoto {
                    verdict,
                    reasons_json: &reasons,
                    original_key: &original_key,
                    standard_key: &standard_key,
                    background,
                    source: source.as_str(),
                    taken_by: &by.row.username,
                },
            )
            .await?
            .map_err(refusal)?;
        Ok(Shot::Bound(Box::new(row)))
    }

    /// The student confirms the photo shown for `number`: it goes to the registry.
    pub async fn station_confirm(
        &self,
        by: &Staff,
        queue_id: i64,
        number: i64,
        photo_id: i64,
    ) -> Result<CheckinRow, AppError> {
        let desk = self.desk_queue(by, queue_id).await?;
        // The fee is owed by the number at the camera; any other number is refused below.
        if let Some(current) = self.db.station_current(queue_id).await?
            && current.number == number
            && let Fee::Unpaid { fen } = self
                .fee_of(&desk.campaign, &current, desk.session.branch_id.is_some())
                .await?
        {
            return Err(AppError::Conflict(unpaid_msg(fen)));
        }
        let row = self
            .db
            .confirm_station_photo(queue_id, number, photo_id)
            .await?
            .map_err(refusal)?;
        self.queue_onsite_hand_over(&row).await?;
        Ok(row)
    }

    /// A number just confirmed (here, by a station's push, or by an admin's decision):
    /// the student is recorded as photographed and the photo's hand-over is queued.
    pub(crate) async fn queue_onsite_hand_over(&self, row: &CheckinRow) -> Result<(), AppError> {
        self.db
            .record_collection(row.campaign_id, row.student_id, "onsite")
            .await?;
        self.enqueue(Job::HandOverOnsite { checkin_id: row.id })
            .await
    }

    /// Hands a confirmed number's photo to the registry's outbox (the `hand_over_onsite`
    /// job): the photo is the check-in's own, the code is the one checked in as that
    /// number. Idempotent: one caller claims the check-in; a failure releases it.
    pub async fn onsite_hand_over(&self, checkin_id: i64) -> Result<Option<OutboxRow>, AppError> {
        let checkin = self.db.onsite_checkin(checkin_id).await?;
        let Some(photo_id) = checkin.photo_id else {
            return Ok(None);
        };
        if checkin.stage != "confirmed" || !self.db.claim_checkin_for_registry(checkin.id).await? {
            return Ok(None);
        }
        let sent = async {
            let photo = self.db.onsite_photo(photo_id).await?;
            if photo.checkin_id != checkin.id {
                return Err(AppError::Internal(format!(
                    "photo {} is not check-in {}'s",
                    photo.id, checkin.id
                )));
            }
            let jpeg = self.blob_bytes(&photo.standard_key).await?;
            self.send_photo_to_registry("onsite", &checkin.code_text, jpeg, &photo.background)
                .await
        }
        .await;
        match sent {
            Ok(row) => {
                self.db.set_checkin_outbox(checkin.id, Some(row.id)).await?;
                Ok(Some(row))
            }
            Err(e) => {
                self.db.set_checkin_outbox(checkin.id, None).await?;
                Err(e)
            }
        }
    }

    /// An admin reopens a confirmed number for a retake, with the reason; audited. The
    /// number goes to the end of its queue and its next confirmed photo is sent again.
    pub async fn reopen_checkin(
        &self,
        by: &Staff,
        checkin_id: i64,
        reason: &str,
    ) -> Result<CheckinRow, AppError> {
        let before = self.db.onsite_checkin(checkin_id).await?;
        let campaign = self.db.get_campaign(before.campaign_id).await?;
        by.may(
            Action::Update,
            Resource::of_university(ResourceKind::Onsite, campaign.university_id),
        )?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(AppError::invalid(
                "station.reopen_reason",
                "请填写重新开放的原因",
                "Give the reason for reopening",
            ));
        }
        let row = self.db.reopen_checkin(checkin_id).await?.map_err(|_| {
            AppError::Conflict(Msg::new(
                "station.not_confirmed",
                "该号尚未确认，无需重新开放",
                "This number is not confirmed; there is nothing to reopen",
            ))
        })?;
        let mut audit = by.audit(
            "onsite.reopen",
            "onsite_checkin",
            Some(checkin_id.to_string()),
            Some(campaign.university_id),
        );
        audit.before = Some(serde_json::json!({
            "number": before.number, "photo_id": before.photo_id, "outbox_id": before.outbox_id,
            "confirmed_at": before.confirmed_at,
        }));
        audit.after = Some(serde_json::json!({ "reason": reason, "turn": row.turn }));
        self.db.append_audit(&audit).await?;
        Ok(row)
    }

    /// A station photo's image (`standard` or the upload), for station staff.
    pub async fn station_photo_image(
        &self,
        by: &Staff,
        queue_id: i64,
        photo_id: i64,
        standard: bool,
    ) -> Result<Vec<u8>, AppError> {
        self.desk_queue(by, queue_id).await?;
        let photo = self.db.onsite_photo(photo_id).await?;
        let checkin = self.db.onsite_checkin(photo.checkin_id).await?;
        if checkin.queue_id != queue_id {
            return Err(AppError::not_found());
        }
        self.blob_bytes(if standard {
            &photo.standard_key
        } else {
            &photo.original_key
        })
        .await
    }
}
