//! The server's side of an offline site (issue 7): a station laptop takes a queue for the
//! day with a pack of what it needs to work with no network, and later pushes back every
//! number it handed out, with its photo and the student's confirmation. Nothing pushed is
//! trusted blindly: the code is verified again with the server's keys and must name the
//! student the station said, and the photo passes the engine again before it can go to the
//! registry. A number the campaign had already given elsewhere, or one the server cannot
//! accept, is kept as a conflict for an admin and never merged on its own.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use bytes::Bytes;
use gradphoto_db::onsite::{CheckinRow, QueueRow};
use gradphoto_db::onsite_offline::{
    ConflictRow, HoldRefusal, NewConflict, PushStep, StationCheckin,
};
use gradphoto_db::onsite_station::NewOnsitePhoto;
use gradphoto_db::students::StudentFilter;
use gradphoto_domain::eligibility::{Verdict, evaluate};
use gradphoto_domain::i18n::Msg;
use gradphoto_domain::onsite_offline::{
    Numbered, Pack, PackQueue, PackSession, PackStudent, PushAnswer, PushCheckin, PushOutcome,
    PushPhoto,
};
use gradphoto_domain::people::mask_name;
use gradphoto_domain::policy::{Action, Resource, ResourceKind};
use gradphoto_photo::report::Verdict as PhotoVerdict;

use crate::auth::Staff;
use crate::campaigns::facts_of;
use crate::desk::spec_for;
use crate::jobs::Job;
use crate::onsite_checkin::DeskQueue;
use crate::{App, AppError};

/// Refusal of a desk or station step on a queue an offline station holds.
pub fn held_msg(station: &str) -> Msg {
    Msg::new(
        "onsite.queue_held",
        format!("该队列已交给离线采集站“{station}”，今天只能在该采集站签到和拍摄"),
        format!(
            "This queue is held by the offline station “{station}”: check-in and shooting happen there today"
        ),
    )
}

/// A station's name: what an operator typed, kept short and plain so it can appear in
/// references and messages.
fn station_name(s: &str) -> Result<String, AppError> {
    let s = s.trim();
    let ok = !s.is_empty()
        && s.chars().count() <= 40
        && s.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(s.to_string())
    } else {
        Err(AppError::invalid(
            "station.name",
            "采集站名称须为 1–40 个字母、数字、“-”、“_”或“.”",
            "A station's name is 1–40 letters, digits, “-”, “_” or “.”",
        ))
    }
}

/// A station store's id: the random hex the station made for its store.
fn store_id(s: &str) -> Result<String, AppError> {
    let s = s.trim();
    if (8..=64).contains(&s.len()) && s.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(s.to_ascii_lowercase())
    } else {
        Err(AppError::invalid(
            "station.store",
            "采集站的存储标识无效",
            "The station's store id is not valid",
        ))
    }
}

/// The largest number a station may push: far beyond any day's queue, far below overflow.
const MAX_NUMBER: i64 = 1_000_000;

fn conflict_msg(code: &str, zh: impl Into<String>, en: impl Into<String>) -> Msg {
    Msg::new(code, zh, en)
}

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

/// The decisions an admin can take on a conflict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// The number the server had stands; the station's number is void.
    KeepExisting,
    /// The station's confirmed photo is used for the existing number's code.
    UseStationPhoto,
}

impl Resolution {
    pub fn parse(s: &str) -> Option<Resolution> {
        match s {
            "existing" => Some(Resolution::KeepExisting),
            "station" => Some(Resolution::UseStationPhoto),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Resolution::KeepExisting => "existing",
            Resolution::UseStationPhoto => "station",
        }
    }
}

impl App {
    /// Hands a queue to an offline station for the day and answers with its pack. Asking
    /// again (the same station, before the day ends) refreshes the pack.
    pub async fn station_pack(
        &self,
        by: &Staff,
        queue_id: i64,
        station: &str,
        store: &str,
    ) -> Result<Pack, AppError> {
        let station = station_name(station)?;
        let store = store_id(store)?;
        let DeskQueue {
            session, campaign, ..
        } = self.desk_queue(by, queue_id).await?;
        let today = crate::online_entry::china_today().to_string();
        if session.day < today {
            return Err(AppError::Conflict(Msg::new(
                "station.session_over",
                format!("该队列属于 {} 的场次，已经结束", session.day),
                format!(
                    "This queue belongs to the session of {}, which is over",
                    session.day
                ),
            )));
        }
        let (keys, keys_fetched_at) = self.registry_keys(false).await?;
        let queue = match self.db.hold_queue(queue_id, &station, &store).await? {
            Ok(q) => q,
            Err(HoldRefusal::HeldBy(other)) => return Err(AppError::Conflict(held_msg(&other))),
            Err(HoldRefusal::Unfinished(n)) => {
                return Err(AppError::Conflict(Msg::new(
                    "station.queue_unfinished",
                    format!("该队列还有 {n} 个号未确认，须先在此拍完或处理，才能交给离线采集站"),
                    format!(
                        "{n} numbers of this queue are not confirmed: finish them here before handing the queue to an offline station"
                    ),
                )));
            }
        };
        let university = self.db.get_university(campaign.university_id).await?;
        let departments = self.db.list_departments(university.id).await?;
        let facts = self.db.pack_facts(campaign.id, university.id).await?;
        let roster = self
            .db
            .list_students(&StudentFilter {
                university_id: university.id,
                department_id: None,
                search: None,
                limit: i64::MAX,
                offset: 0,
            })
            .await?;
        let facts: std::collections::HashMap<i64, _> =
            facts.into_iter().map(|f| (f.student_id, f)).collect();
        let mut students = Vec::new();
        for s in &roster {
            let Some(f) = facts.get(&s.id) else { continue };
            let eligible = evaluate(&campaign.rules, &facts_of(s)?).verdict == Verdict::Must;
            // Only students the desk could number, or must tell why not in their own terms.
            if !eligible && !f.registered && f.number.is_none() {
                continue;
            }
            let Some(year) = s.expected_graduation.get(..4).and_then(|y| y.parse().ok()) else {
                continue;
            };
            students.push(PackStudent {
                student_id: s.id,
                student_no: s.student_no.clone(),
                department: departments
                    .iter()
                    .find(|d| d.id == s.department_id)
                    .map(|d| d.name.clone())
                    .unwrap_or_default(),
                level: s.level.clone(),
                graduation_year: year,
                name_masked: mask_name(&s.name),
                id_masked: s.id_masked.clone(),
                eligible,
                registered: f.registered,
                photographed: f.collected,
                numbered_elsewhere: match (&f.queue, f.number) {
                    (Some(q), Some(n)) => Some(Numbered {
                        queue: q.clone(),
                        number: n,
                    }),
                    _ => None,
                },
            });
        }
        let mut audit = by.audit(
            "onsite.station_hold",
            "onsite_queue",
            Some(queue_id.to_string()),
            Some(campaign.university_id),
        );
        audit.after = Some(serde_json::json!({
            "station": station, "last_number": queue.last_number, "students": students.len(),
        }));
        self.db.append_audit(&audit).await?;
        Ok(Pack {
            station,
            made_at: gradphoto_db::now_ms(),
            campaign_id: campaign.id,
            campaign_name: campaign.name.clone(),
            walk_ins: campaign.modes.walk_ins,
            school_code: university.code.clone(),
            session: PackSession {
                id: session.id,
                campus: session.campus.clone(),
                place: session.place.clone(),
                day: session.day.clone(),
                starts: session.starts.clone(),
                ends: session.ends.clone(),
            },
            queue: PackQueue {
                id: queue.id,
                name: queue.name.clone(),
                last_number: queue.last_number,
                last_turn: queue.last_turn,
            },
            keys_json: keys.to_json(),
            keys_fetched_at,
            students,
        })
    }

    /// Gives a held queue back to the server's desks: by the store holding it (after its
    /// last push), or by an admin whoever holds it (a lost laptop). Audited.
    pub async fn release_station_queue(
        &self,
        by: &Staff,
        queue_id: i64,
        store: Option<&str>,
    ) -> Result<bool, AppError> {
        let desk = self.desk_queue(by, queue_id).await?;
        let store = store.map(store_id).transpose()?;
        if store.is_none() {
            by.may(
                Action::Update,
                Resource::of_university(ResourceKind::Onsite, desk.campaign.university_id),
            )?;
        }
        let released = self.db.release_queue(queue_id, store.as_deref()).await?;
        if released {
            let mut audit = by.audit(
                "onsite.station_release",
                "onsite_queue",
                Some(queue_id.to_string()),
                Some(desk.campaign.university_id),
            );
            audit.before = Some(serde_json::json!({ "station": desk.queue.held_by }));
            self.db.append_audit(&audit).await?;
        }
        Ok(released)
    }

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
            self.db
                .record_collection(campaign.id, row.student_id, "onsite")
                .await?;
            self.enqueue(Job::HandOverOnsite { checkin_id: row.id })
                .await?;
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
                self.db
                    .record_collection(campaign.id, row.student_id, "onsite")
                    .await?;
                self.enqueue(Job::HandOverOnsite { checkin_id: row.id })
                    .await?;
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
            let (Some(verdict), Some(original_key), Some(standard_key)) = (
                c.photo_verdict.as_deref(),
                c.photo_original_key.as_deref(),
                c.photo_standard_key.as_deref(),
            ) else {
                return Err(cannot("采集站没有这张照片", "The station sent no photo"));
            };
            if self.db.onsite_checkin(existing_id).await?.stage == "confirmed" {
                return Err(cannot(
                    "服务器上的号码已确认照片；如要改用采集站的照片，须先重新开放该号",
                    "The server's number has a confirmed photo: reopen it first to use the station's",
                ));
            }
            Some((
                existing_id,
                confirmed_at,
                verdict,
                original_key,
                standard_key,
            ))
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
        if let Some((existing_id, confirmed_at, verdict, original_key, standard_key)) = use_photo {
            let photo = NewOnsitePhoto {
                verdict,
                reasons_json: c.photo_reasons_json.as_deref().unwrap_or("[]"),
                original_key,
                standard_key,
                background: c.photo_background.as_deref().unwrap_or("blue"),
                source: "offline_station",
                taken_by: c.photo_taken_by.as_deref().unwrap_or(""),
            };
            if let Some(checkin) = self
                .db
                .record_station_photo(
                    existing_id,
                    &format!("{}#conflict", c.station_ref),
                    &photo,
                    c.photo_taken_at.unwrap_or(confirmed_at),
                    Some(confirmed_at),
                )
                .await?
            {
                self.db
                    .record_collection(campaign.id, checkin.student_id, "onsite")
                    .await?;
                self.enqueue(Job::HandOverOnsite {
                    checkin_id: checkin.id,
                })
                .await?;
            }
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
}
