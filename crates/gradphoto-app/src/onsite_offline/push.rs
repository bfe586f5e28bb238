//! Recording what a station pushes: every number once, verified and judged again here.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use bytes::Bytes;
use gradphoto_db::onsite_offline::{NewConflict, PushStep, StationCheckin};
use gradphoto_db::onsite_station::NewOnsitePhoto;
use gradphoto_domain::i18n::Msg;
use gradphoto_domain::onsite_offline::{PushAnswer, PushCheckin, PushOutcome, PushPhoto};
use gradphoto_photo::report::Verdict as PhotoVerdict;

use super::{MAX_NUMBER, conflict_msg, station_name, store_id};
use crate::auth::Staff;
use crate::desk::spec_for;
use crate::onsite_checkin::DeskQueue;
use crate::{App, AppError};

/// A pushed photo once its images are stored.
struct Stored {
    photo: PushPhoto,
    original_key: String,
    standard_key: String,
}

impl Stored {
    fn as_new(&self) -> NewOnsitePhoto<'_> {
        NewOnsitePhoto {
            verdict: &self.photo.verdict,
            reasons_json: &self.photo.reasons_json,
            original_key: &self.original_key,
            standard_key: &self.standard_key,
            background: &self.photo.background,
            source: &self.photo.source,
            taken_by: &self.photo.taken_by,
        }
    }
}

impl App {
    /// Records what a station pushes: every number once, each with its own answer. One
    /// bad number does not stop the others.
    pub async fn station_push(
        &self,
        by: &Staff,
        queue_id: i64,
        station: &str,
        store: &str,
        items: &[PushCheckin],
    ) -> Result<Vec<PushAnswer>, AppError> {
        let station = station_name(station)?;
        let store = store_id(store)?;
        let desk = self.desk_queue(by, queue_id).await?;
        let mut answers = Vec::with_capacity(items.len());
        for item in items {
            let (outcome, why) = self.push_one(&desk, &station, &store, item).await?;
            let (zh, en) = why.map(|m| (m.zh, m.en)).unwrap_or_default();
            answers.push(PushAnswer {
                reference: item.reference.clone(),
                outcome,
                zh,
                en,
            });
        }
        Ok(answers)
    }

    async fn push_one(
        &self,
        desk: &DeskQueue,
        station: &str,
        store: &str,
        item: &PushCheckin,
    ) -> Result<(PushOutcome, Option<Msg>), AppError> {
        let campaign = &desk.campaign;
        let photo_of_item = item.photo.as_ref().is_none_or(|p| {
            p.reference
                .starts_with(&format!("{}/photo/", item.reference))
        });
        if !item.reference.starts_with(&format!("{station}/{store}/"))
            || !photo_of_item
            || !(1..=MAX_NUMBER).contains(&item.number)
            || !(1..=MAX_NUMBER * 2).contains(&item.turn)
        {
            return Err(AppError::invalid(
                "station.reference",
                "推送的记录不属于该采集站",
                "A pushed record does not belong to this station",
            ));
        }
        let mut photo = match &item.photo {
            Some(p) => Some(self.store_pushed_photo(desk, p).await?),
            None => None,
        };
        // The photo is judged here again, and the server's verdict is the one kept.
        let mut photo_refused = false;
        if let Some(p) = photo.as_mut() {
            match self
                .judge_pushed(&p.photo.background, &p.standard_key)
                .await?
            {
                Some((verdict, reasons)) => {
                    p.photo.verdict = verdict.into();
                    p.photo.reasons_json = reasons;
                }
                None => photo_refused = true,
            }
        }
        let photo = photo;
        let keep_apart = |why: Msg, student: Option<i64>, existing: Option<i64>| {
            let photo = photo.as_ref();
            async move {
                self.db
                    .record_conflict(&NewConflict {
                        campaign_id: campaign.id,
                        queue_id: desk.queue.id,
                        station,
                        station_ref: &item.reference,
                        number: item.number,
                        code_text: &item.code_text,
                        student_id: student,
                        existing_checkin_id: existing,
                        reason_code: &why.code,
                        reason_zh: &why.zh,
                        reason_en: &why.en,
                        desk: &item.desk,
                        checked_in_at: item.checked_in_at,
                        photo: photo.map(Stored::as_new),
                        photo_taken_at: photo.map(|p| p.photo.taken_at),
                        confirmed_at: item.confirmed_at.filter(|_| photo.is_some()),
                    })
                    .await?;
                Ok::<_, AppError>((PushOutcome::Conflict, Some(why)))
            }
        };
        // The code, verified again with the server's keys: a code revoked since the pack
        // was made, or one that names someone else, goes to an admin.
        let verified = match self.verify_code(&item.code_text).await {
            Ok(v) => v,
            Err(AppError::Invalid(why)) => return keep_apart(why, None, None).await,
            Err(e) => return Err(e),
        };
        let student = match self.student_of_code(campaign, &verified.claims).await {
            Ok(s) => s,
            Err(AppError::Invalid(why) | AppError::Conflict(why)) => {
                return keep_apart(why, None, None).await;
            }
            Err(e) => return Err(e),
        };
        if student.id != item.student_id {
            let why = conflict_msg(
                "station.other_student",
                "采集站记录的学生与采集码不符",
                "The student the station recorded is not the one the code names",
            );
            return keep_apart(why, Some(student.id), None).await;
        }
        if photo_refused {
            let why = conflict_msg(
                "station.photo_refused",
                "采集站的照片未通过服务器的照片检查",
                "The station's photo does not pass the server's photo check",
            );
            return keep_apart(why, Some(student.id), None).await;
        }
        let code_id = verified.id.to_string();
        // A number new to the server meets the desk's own rules as of now: the campaign
        // open, the student not photographed meanwhile (online, or at another desk).
        if self
            .db
            .checkin_by_station_ref(&item.reference)
            .await?
            .is_none()
        {
            if campaign.status != gradphoto_domain::campaign::CampaignStatus::Open {
                let why = conflict_msg(
                    "checkin.campaign_not_open",
                    "推送时本次采集已不在开放状态",
                    "The campaign was no longer open when the station pushed",
                );
                return keep_apart(why, Some(student.id), None).await;
            }
            let checks = self
                .db
                .checkin_checks(campaign.id, student.id, &code_id)
                .await?;
            if checks.existing.is_none() && (checks.collected || checks.code_photographed) {
                let why = conflict_msg(
                    "checkin.already_photographed",
                    "该学生在本次采集中已拍摄（网上或其他采集台），采集站的号待管理员处理",
                    "This student was photographed in this campaign already (online or at another desk); the station's number waits for an admin",
                );
                return keep_apart(why, Some(student.id), None).await;
            }
        }
        let step = self
            .db
            .record_station_checkin(&StationCheckin {
                campaign_id: campaign.id,
                queue_id: desk.queue.id,
                station,
                store,
                station_ref: &item.reference,
                number: item.number,
                turn: item.turn,
                code_id: &code_id,
                code_text: item.code_text.trim(),
                student_id: student.id,
                desk: &item.desk,
                checked_in_at: item.checked_in_at,
            })
            .await?;
        let (row, outcome) = match step {
            PushStep::Recorded(row) => (row, PushOutcome::Recorded),
            PushStep::AlreadyHad(row) => (row, PushOutcome::AlreadyHad),
            PushStep::NumberedElsewhere(existing) => {
                let queue = self.db.onsite_queue(existing.queue_id).await?;
                let why = conflict_msg(
                    "station.numbered_elsewhere",
                    format!(
                        "该学生已在 {} 队列领取 {} 号；采集站的 {} 号待管理员处理",
                        queue.name, existing.number, item.number
                    ),
                    format!(
                        "This student already has number {} at queue {}; the station's number {} waits for an admin",
                        existing.number, queue.name, item.number
                    ),
                );
                return keep_apart(why, Some(student.id), Some(existing.id)).await;
            }
            PushStep::NotHeld(holder) => {
                let why = conflict_msg(
                    "station.not_held",
                    format!(
                        "推送时该队列已不由本采集站持有（{}）",
                        holder.as_deref().unwrap_or("已交还")
                    ),
                    format!(
                        "The queue was no longer held by this station when it pushed ({})",
                        holder.as_deref().unwrap_or("released")
                    ),
                );
                return keep_apart(why, Some(student.id), None).await;
            }
            PushStep::NumberTaken => {
                let why = conflict_msg(
                    "station.number_taken",
                    format!("该队列的 {} 号已被使用", item.number),
                    format!("Number {} of this queue is taken", item.number),
                );
                return keep_apart(why, Some(student.id), None).await;
            }
            PushStep::Mismatch => {
                return Err(AppError::invalid(
                    "station.reference",
                    "推送的记录与服务器上同一编号的记录不符",
                    "A pushed record does not match what the server recorded under its reference",
                ));
            }
        };
        // A number confirmed by an earlier push whose hand-over was never queued (the
        // process stopped in between) is queued now; the job itself runs once.
        if outcome == PushOutcome::AlreadyHad && row.stage == "confirmed" && row.outbox_id.is_none()
        {
            self.queue_onsite_hand_over(&row).await?;
        }
        if let (Some(p), true) = (&photo, row.stage != "confirmed") {
            let confirmed = self
                .db
                .record_station_photo(
                    row.id,
                    &p.photo.reference,
                    &p.as_new(),
                    p.photo.taken_at,
                    item.confirmed_at,
                )
                .await?;
            if let Some(row) = confirmed {
                self.queue_onsite_hand_over(&row).await?;
            }
        }
        Ok((outcome, None))
    }

    /// Stores a pushed photo's two images under keys made from its reference, so that
    /// pushing it again writes the same objects: nothing is left behind twice.
    async fn store_pushed_photo(
        &self,
        desk: &DeskQueue,
        p: &PushPhoto,
    ) -> Result<Stored, AppError> {
        let bad = || {
            AppError::invalid(
                "station.photo_data",
                "推送的照片数据无法读取",
                "A pushed photo's data cannot be read",
            )
        };
        let standard = B64.decode(p.standard_b64.as_bytes()).map_err(|_| bad())?;
        let original = B64.decode(p.original_b64.as_bytes()).map_err(|_| bad())?;
        if standard.is_empty()
            || original.is_empty()
            || !matches!(p.verdict.as_str(), "accept" | "review")
        {
            return Err(bad());
        }
        let stem: String = p
            .reference
            .chars()
            .map(|c| {
                if c.is_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let stem = format!("onsite/{}/offline/{stem}", desk.queue.id);
        let (original_key, standard_key) =
            (format!("{stem}-upload"), format!("{stem}-standard.jpg"));
        for (key, data) in [(&original_key, original), (&standard_key, standard)] {
            self.blobs
                .put(key, Bytes::from(data))
                .await
                .map_err(|e| AppError::Internal(format!("storing the photo: {e}")))?;
        }
        let mut kept = p.clone();
        kept.standard_b64.clear();
        kept.original_b64.clear();
        Ok(Stored {
            photo: kept,
            original_key,
            standard_key,
        })
    }

    /// The engine's verdict here on a station's standardized image, with its reasons
    /// (stored as the server's own); `None` when it rejects the image.
    async fn judge_pushed(
        &self,
        background: &str,
        standard_key: &str,
    ) -> Result<Option<(&'static str, String)>, AppError> {
        let jpeg = self.blob_bytes(standard_key).await?;
        let engine = self.engine.clone();
        let spec = spec_for(background);
        let report = tokio::task::spawn_blocking(move || engine.check(&jpeg, &spec))
            .await
            .map_err(|e| AppError::Internal(format!("check: {e}")))?;
        let verdict = match report.verdict {
            PhotoVerdict::Reject => return Ok(None),
            PhotoVerdict::Review => "review",
            PhotoVerdict::Accept => "accept",
        };
        let reasons = serde_json::to_string(&crate::online_photos::stored(&report))
            .map_err(|e| AppError::Internal(e.to_string()))?;
        Ok(Some((verdict, reasons)))
    }
}
