//! Conflicts from offline stations, for a campaign's admins: listed with what is needed to
//! decide them, and decided once (audited).

use gradphoto_db::onsite::{CheckinRow, QueueRow};
use gradphoto_db::onsite_offline::ConflictRow;
use gradphoto_db::onsite_station::NewOnsitePhoto;
use gradphoto_domain::i18n::Msg;
use gradphoto_domain::people::mask_name;
use gradphoto_domain::policy::{Action, Resource, ResourceKind};

use crate::auth::Staff;
use crate::{App, AppError};

/// A campaign's offline stations, for its admins.
#[derive(Debug, Clone)]
pub struct OfflineStations {
    pub campaign: crate::campaigns::Campaign,
    /// Queues held by a station now.
    pub held: Vec<QueueRow>,
    pub conflicts: Vec<Conflict>,
}

/// A conflict with what the admin needs to decide it.
#[derive(Debug, Clone)]
pub struct Conflict {
    pub row: ConflictRow,
    pub queue: String,
    pub student_no: Option<String>,
    pub name_masked: Option<String>,
    /// The number the server already had, with its queue's name.
    pub existing: Option<(CheckinRow, String)>,
}

/// The decisions an admin can take on a conflict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// The number the server had stands; the station's number is void.
    KeepExisting,
    /// The station's confirmed photo is used for the existing number's code.
    UseStationPhoto,
    /// The student, who has no number on the server (the station had lost its hold, or
    /// its number was taken), gets the queue's next number, with the station's photo and
    /// confirmation.
    NewNumber,
}

impl Resolution {
    pub fn parse(s: &str) -> Option<Resolution> {
        match s {
            "existing" => Some(Resolution::KeepExisting),
            "station" => Some(Resolution::UseStationPhoto),
            "new_number" => Some(Resolution::NewNumber),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Resolution::KeepExisting => "existing",
            Resolution::UseStationPhoto => "station",
            Resolution::NewNumber => "new_number",
        }
    }
}

impl App {
    /// A campaign's offline stations: the queues they hold and the conflicts they
    /// pushed, for its admins.
    pub async fn offline_stations(
        &self,
        by: &Staff,
        campaign_id: i64,
    ) -> Result<OfflineStations, AppError> {
        let campaign = self.campaign(by, campaign_id).await?;
        by.may(
            Action::Read,
            Resource::of_university(ResourceKind::Onsite, campaign.university_id),
        )?;
        let held = self
            .db
            .campaign_queues(campaign_id)
            .await?
            .into_iter()
            .filter(|q| q.held_by.is_some())
            .collect();
        let mut conflicts = Vec::new();
        for c in self.db.campaign_conflicts(campaign_id).await? {
            let student = match c.student_id {
                Some(id) => Some(self.db.get_student(id).await?),
                None => None,
            };
            let existing = match c.existing_checkin_id {
                Some(id) => {
                    let row = self.db.onsite_checkin(id).await?;
                    let queue = self.db.onsite_queue(row.queue_id).await?;
                    Some((row, queue.name))
                }
                None => None,
            };
            let queue = self.db.onsite_queue(c.queue_id).await?.name;
            conflicts.push(Conflict {
                row: c,
                queue,
                student_no: student.as_ref().map(|s| s.student_no.clone()),
                name_masked: student.as_ref().map(|s| mask_name(&s.name)),
                existing,
            });
        }
        Ok(OfflineStations {
            campaign,
            held,
            conflicts,
        })
    }

    /// An admin decides a conflict; audited. Using the station's photo needs a photo the
    /// student confirmed at the station, and an existing number not yet confirmed: it
    /// then goes to the registry for the existing number's own code.
    pub async fn resolve_station_conflict(
        &self,
        by: &Staff,
        conflict_id: i64,
        resolution: Resolution,
        note: &str,
    ) -> Result<ConflictRow, AppError> {
        let c = self.db.onsite_conflict(conflict_id).await?;
        let campaign = self.db.get_campaign(c.campaign_id).await?;
        by.may(
            Action::Update,
            Resource::of_university(ResourceKind::Onsite, campaign.university_id),
        )?;
        let closed = || {
            AppError::Conflict(Msg::new(
                "station.conflict_closed",
                "该冲突已处理",
                "This conflict was resolved already",
            ))
        };
        if c.resolved_at.is_some() {
            return Err(closed());
        }
        if resolution == Resolution::NewNumber {
            return self
                .renumber_conflict(by, &c, campaign.university_id, note)
                .await;
        }
        // What using the station's photo needs, checked before anything is decided.
        let use_photo = if resolution == Resolution::UseStationPhoto {
            let cannot = |zh: &str, en: &str| {
                AppError::Conflict(Msg::new("station.cannot_use_photo", zh, en))
            };
            let (Some(existing_id), Some(confirmed_at)) = (c.existing_checkin_id, c.confirmed_at)
            else {
                return Err(cannot(
                    "只有学生在采集站确认过照片、且服务器已有该学生号码的冲突才能采用采集站的照片",
                    "The station's photo can be used only when the student confirmed it there and the server has the student's number",
                ));
            };
            if c.photo_verdict.is_none()
                || c.photo_original_key.is_none()
                || c.photo_standard_key.is_none()
            {
                return Err(cannot("采集站没有这张照片", "The station sent no photo"));
            }
            if self.db.onsite_checkin(existing_id).await?.stage == "confirmed" {
                return Err(cannot(
                    "服务器上的号码已确认照片；如要改用采集站的照片，须先重新开放该号",
                    "The server's number has a confirmed photo: reopen it first to use the station's",
                ));
            }
            Some((existing_id, confirmed_at))
        } else {
            None
        };
        // Closed first, so two admins cannot both act on it; the decision's effect follows.
        let row = self
            .db
            .resolve_conflict(
                conflict_id,
                resolution.as_str(),
                note.trim(),
                &by.row.username,
            )
            .await?
            .ok_or_else(closed)?;
        if let Some((existing_id, confirmed_at)) = use_photo {
            self.bind_conflict_photo(&c, existing_id, Some(confirmed_at))
                .await?;
        }
        let mut audit = by.audit(
            "onsite.conflict_resolve",
            "onsite_conflict",
            Some(conflict_id.to_string()),
            Some(campaign.university_id),
        );
        audit.after = Some(serde_json::json!({
            "resolution": resolution.as_str(), "note": note.trim(),
            "station": c.station, "number": c.number, "existing_checkin_id": c.existing_checkin_id,
        }));
        self.db.append_audit(&audit).await?;
        Ok(row)
    }

    /// [`Resolution::NewNumber`]: only for a conflict whose code and student are sound
    /// and who has no number in the campaign. The number is given first (the desk's own
    /// numbering, so 1..N stays without a gap), then the conflict is closed.
    async fn renumber_conflict(
        &self,
        by: &Staff,
        c: &ConflictRow,
        university_id: i64,
        note: &str,
    ) -> Result<ConflictRow, AppError> {
        let cannot =
            |zh: &str, en: &str| AppError::Conflict(Msg::new("station.cannot_renumber", zh, en));
        let (Some(student_id), None, true) = (
            c.student_id,
            c.existing_checkin_id,
            matches!(
                c.reason_code.as_str(),
                "station.not_held" | "station.number_taken"
            ),
        ) else {
            return Err(cannot(
                "只有采集站失去队列或号码被占用、且学生在服务器上还没有号码的冲突才能重新编号",
                "Only a conflict from a station that lost its queue or its number, for a student with no number on the server, can be given a new number",
            ));
        };
        let campaign: crate::campaigns::Campaign =
            self.db.get_campaign(c.campaign_id).await?.try_into()?;
        let verified = self.verify_code(&c.code_text).await?;
        let student = self.student_of_code(&campaign, &verified.claims).await?;
        if student.id != student_id {
            return Err(cannot(
                "采集码与采集站记录的学生不符",
                "The code does not name the student the station recorded",
            ));
        }
        let desk = format!("{} (renumbered)", c.station);
        let (row, new) = self
            .db
            .onsite_check_in(&gradphoto_db::onsite::NewCheckin {
                campaign_id: c.campaign_id,
                queue_id: c.queue_id,
                code_id: &verified.id.to_string(),
                code_text: c.code_text.trim(),
                student_id,
                desk: &desk,
            })
            .await?;
        if !new {
            return Err(cannot(
                &format!("该学生已有 {} 号", row.number),
                &format!("The student has number {} already", row.number),
            ));
        }
        let closed = self
            .db
            .resolve_conflict(
                c.id,
                Resolution::NewNumber.as_str(),
                note.trim(),
                &by.row.username,
            )
            .await?
            .ok_or_else(|| {
                AppError::Conflict(Msg::new(
                    "station.conflict_closed",
                    "该冲突已处理",
                    "This conflict was resolved already",
                ))
            })?;
        self.bind_conflict_photo(c, row.id, c.confirmed_at).await?;
        let mut audit = by.audit(
            "onsite.conflict_resolve",
            "onsite_conflict",
            Some(c.id.to_string()),
            Some(university_id),
        );
        audit.after = Some(serde_json::json!({
            "resolution": Resolution::NewNumber.as_str(), "note": note.trim(),
            "station": c.station, "number": c.number, "new_number": row.number,
        }));
        self.db.append_audit(&audit).await?;
        Ok(closed)
    }

    /// Binds a conflict's photo (if the station sent one) to a server number, confirmed
    /// when the student confirmed it at the station, and queues its hand-over then.
    async fn bind_conflict_photo(
        &self,
        c: &ConflictRow,
        checkin_id: i64,
        confirmed_at: Option<i64>,
    ) -> Result<(), AppError> {
        let (Some(verdict), Some(original_key), Some(standard_key)) = (
            c.photo_verdict.as_deref(),
            c.photo_original_key.as_deref(),
            c.photo_standard_key.as_deref(),
        ) else {
            return Ok(());
        };
        let photo = NewOnsitePhoto {
            verdict,
            reasons_json: c.photo_reasons_json.as_deref().unwrap_or("[]"),
            original_key,
            standard_key,
            background: c.photo_background.as_deref().unwrap_or("blue"),
            source: "offline_station",
            taken_by: c.photo_taken_by.as_deref().unwrap_or(""),
        };
        if let Some(confirmed) = self
            .db
            .record_station_photo(
                checkin_id,
                &format!("{}#conflict", c.station_ref),
                &photo,
                c.photo_taken_at.unwrap_or(c.created_at),
                confirmed_at,
            )
            .await?
        {
            self.queue_onsite_hand_over(&confirmed).await?;
        }
        Ok(())
    }
}
