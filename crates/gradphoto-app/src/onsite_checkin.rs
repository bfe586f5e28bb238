//! The check-in desk of an on-site day: a scanned collection code is verified offline
//! against the registry's cached keys, matched to the one roster student whose school,
//! level, graduation year, masked name and masked ID it carries, checked against the
//! campaign (eligible, not photographed, registered or a walk-in where allowed), and given
//! the queue's next shooting number (拍摄号). Scanning the same code again answers with the
//! number it already has, wherever it was numbered.

use gradphoto_db::onsite::{CheckinChecks, CheckinRow, NewCheckin, QueueRow};
use gradphoto_db::onsite_sessions::SessionRow;
use gradphoto_db::students::StudentRow;
use gradphoto_domain::campaign::{CampaignStatus, Modes};
use gradphoto_domain::eligibility::{Verdict, evaluate};
use gradphoto_domain::i18n::Msg;
use gradphoto_domain::online::{self, CodeFacts};
use gradphoto_domain::onsite::{
    CheckinFacts, code_of_other_school, may_check_in, no_code, not_eligible_because,
    registered_elsewhere, session_label,
};
use gradphoto_domain::policy::{Action, Resource, ResourceKind};

use crate::auth::Staff;
use crate::campaigns::{Campaign, facts_of};
use crate::online_entry::roster_facts;
use crate::onsite_desk_fee::Fee;
use crate::{App, AppError};

/// A numbered student, as the desk shows them.
#[derive(Debug, Clone)]
pub struct Checkin {
    pub row: CheckinRow,
    /// `false` when the code had its number already (a rescan).
    pub new: bool,
    /// The queue the number belongs to (a rescan may name another queue than the desk's),
    /// for its id and name: its counters are as read before the scan.
    pub queue: QueueRow,
    pub student: StudentRow,
    pub department: String,
    /// Numbered without registering (the campaign admits walk-ins).
    pub walk_in: bool,
    /// What the number owes at the desk.
    pub fee: Fee,
}

/// How a scan ended: a new number or a rescan, a walk-in, and the booked service's price
/// where the number is a make-up at a branch.
#[derive(Debug, Clone, Copy)]
struct How {
    new: bool,
    walk_in: bool,
    booked_fen: Option<i64>,
}

/// A queue with its session and campaign: where a desk works.
#[derive(Debug, Clone)]
pub struct DeskQueue {
    pub queue: QueueRow,
    pub session: SessionRow,
    pub campaign: Campaign,
}

/// Who may check students in on a queue: staff of its campaign's university (or the
/// agency).
fn may_use_desk(by: &Staff, desk: &DeskQueue) -> Result<(), AppError> {
    by.may(
        Action::Create,
        Resource::of_university(ResourceKind::Onsite, desk.campaign.university_id),
    )?;
    Ok(())
}

/// The desk refused because the campaign is not open.
pub(crate) fn campaign_not_open() -> Msg {
    Msg::new(
        "checkin.campaign_not_open",
        "本次采集未处于开放状态，不能签到",
        "This campaign is not open; nobody can be checked in",
    )
}

fn refused(code: &str, zh: String, en: String) -> AppError {
    AppError::Invalid(Msg::new(code, zh, en))
}

impl App {
    /// The queue a desk works on, for those who may check students in.
    pub async fn desk_queue(&self, by: &Staff, queue_id: i64) -> Result<DeskQueue, AppError> {
        let desk = self.read_desk_queue(queue_id).await?;
        may_use_desk(by, &desk)?;
        Ok(desk)
    }

    /// The queue with its session and campaign, as stored now.
    pub(crate) async fn read_desk_queue(&self, queue_id: i64) -> Result<DeskQueue, AppError> {
        let queue = self.db.onsite_queue(queue_id).await?;
        let session = self.db.onsite_session(queue.session_id).await?;
        let campaign: Campaign = self
            .db
            .get_campaign(session.campaign_id)
            .await?
            .try_into()?;
        Ok(DeskQueue {
            queue,
            session,
            campaign,
        })
    }

    /// Checks a scanned code in on a queue.
    pub async fn check_in(
        &self,
        by: &Staff,
        queue_id: i64,
        code_text: &str,
    ) -> Result<Checkin, AppError> {
        // Read at most a moment ago (see `desk_memo`): what the scan decides on is checked
        // again where it is written.
        let desk = self.remembered_desk_queue(queue_id).await?;
        may_use_desk(by, &desk)?;
        let DeskQueue {
            queue,
            campaign,
            session,
        } = desk;
        let text = code_text.trim();
        if text.is_empty() {
            return Err(AppError::Invalid(no_code()));
        }
        // A queue numbers only on its session's day: a desk left on yesterday's queue, or
        // opened on next week's, cannot start a second line of numbers.
        let today = crate::online_entry::china_today().to_string();
        if session.day != today {
            return Err(AppError::Conflict(Msg::new(
                "checkin.not_today",
                format!(
                    "该队列属于 {} 的场次，今天（{today}）不能在此签到",
                    session.day
                ),
                format!(
                    "This queue belongs to the session of {}; nobody can be checked in on it today ({today})",
                    session.day
                ),
            )));
        }
        // A hold seen a moment ago may have been released since: asked again.
        if queue.held_by.is_some()
            && let Some(station) = self.db.onsite_queue(queue.id).await?.held_by
        {
            return Err(AppError::Conflict(crate::onsite_offline::held_msg(
                &station,
            )));
        }
        if campaign.status != CampaignStatus::Open {
            return Err(AppError::Conflict(campaign_not_open()));
        }
        let verified = self.verify_code(text).await?;
        let code_id = verified.id.to_string();
        let (student, checks) = self
            .student_of_code_with_checks(&campaign, &verified.claims, &code_id)
            .await?;
        // At a branch the booking stands for the registration: only a student booked here
        // for this day is numbered.
        let booking = match session.branch_id {
            Some(branch) => Some(
                self.booking_here(&campaign, student.id, branch, &session.day, &queue.name)
                    .await?,
            ),
            None => None,
        };
        if let Some(id) = checks.existing {
            let mut row = self.db.onsite_checkin(id).await?;
            // Numbered on another day and never confirmed, now booked here for a make-up:
            // the number moves to this queue (the next one here) and starts again.
            let mut new = false;
            if let Some(b) = &booking
                && row.queue_id != queue.id
                && row.stage != "confirmed"
                && let Some(moved) = self.db.move_checkin_to_queue(row.id, queue.id).await?
            {
                let mut audit = by.audit(
                    "onsite.moved_to_branch",
                    "onsite_checkin",
                    Some(row.id.to_string()),
                    Some(campaign.university_id),
                );
                audit.before =
                    Some(serde_json::json!({ "queue_id": row.queue_id, "number": row.number }));
                audit.after = Some(
                    serde_json::json!({ "queue_id": moved.queue_id, "number": moved.number, "booking": b.code }),
                );
                self.db.append_audit(&audit).await?;
                row = moved;
                new = true;
            }
            // A number given here whose booking was not marked (the server stopped between
            // the two writes) is linked on the rescan.
            if let Some(b) = &booking
                && b.status == "booked"
                && row.queue_id == queue.id
            {
                self.db
                    .attend_booking(b.id, row.id, &by.row.username)
                    .await?;
            }
            // The student's code was re-issued after they were numbered: the number stays
            // theirs and its photo will go under the code they show now (the old one is
            // revoked at the registry). Not once the photo was handed over.
            if row.code_id != code_id
                && let Some(rebound) = self.db.rebind_checkin_code(id, &code_id, text).await?
            {
                let mut audit = by.audit(
                    "onsite.code_reissued",
                    "onsite_checkin",
                    Some(id.to_string()),
                    Some(campaign.university_id),
                );
                audit.before = Some(serde_json::json!({ "code_id": row.code_id }));
                audit.after = Some(serde_json::json!({ "code_id": rebound.code_id }));
                self.db.append_audit(&audit).await?;
                row = rebound;
            }
            return self
                .checkin_view(
                    row,
                    &queue,
                    &campaign,
                    student,
                    How {
                        new,
                        walk_in: false,
                        booked_fen: booking.map(|b| b.price_fen),
                    },
                )
                .await;
        }
        let registered = checks.registered || booking.is_some();
        // The campaign's settings as stored now, read with the checks (the remembered
        // campaign may be a moment old).
        let modes = modes_now(&checks)?;
        // Registered for another session: numbered here only where the campaign lets
        // students come to another window of the table (seed 001) or takes walk-ins — the
        // day's capacity was planned on the registration.
        if let Some(other) = checks.registered_session
            && other != queue.session_id
            && booking.is_none()
            && !modes.any_window
            && !modes.walk_ins
        {
            let x = self.db.onsite_session(other).await?;
            let label = session_label(&x.day, &x.starts, &x.ends, &x.campus, &x.place);
            return Err(AppError::Invalid(registered_elsewhere(&label)));
        }
        // A registered student does not depend on the campaign taking walk-ins.
        let walk_ins = registered || modes.walk_ins;
        let decision = evaluate(&campaign.rules, &facts_of(&student)?);
        let facts = CheckinFacts {
            eligible: decision.verdict == Verdict::Must,
            photographed: checks.collected || checks.code_photographed,
            registered,
            walk_ins,
        };
        // Refused with the rule's own reason, so the desk can tell the student why.
        may_check_in(facts).map_err(|m| {
            AppError::Invalid(if facts.eligible {
                m
            } else {
                not_eligible_because(&decision.reason)
            })
        })?;
        let (row, new) = self
            .db
            .onsite_check_in(&NewCheckin {
                campaign_id: campaign.id,
                queue_id: queue.id,
                code_id: &code_id,
                code_text: text,
                student_id: student.id,
                desk: &by.row.username,
            })
            .await?;
        if let (Some(b), true) = (&booking, new) {
            self.db
                .attend_booking(b.id, row.id, &by.row.username)
                .await?;
        }
        let how = How {
            new,
            walk_in: new && !checks.registered && booking.is_none(),
            booked_fen: booking.map(|b| b.price_fen),
        };
        self.checkin_view(row, &queue, &campaign, student, how)
            .await
    }

    /// Checks in the code in a picture (a phone or laptop camera at the desk).
    pub async fn check_in_image(
        &self,
        by: &Staff,
        queue_id: i64,
        image: Vec<u8>,
    ) -> Result<Checkin, AppError> {
        // Who may use the desk is asked before the picture is decoded.
        self.desk_queue(by, queue_id).await?;
        let text = self.read_code_image(image).await?;
        self.check_in(by, queue_id, &text).await
    }

    /// The one roster student a code names in the campaign's university.
    pub(crate) async fn student_of_code(
        &self,
        campaign: &Campaign,
        claims: &gradphoto_registry_crypto::code::CodeClaims,
    ) -> Result<StudentRow, AppError> {
        let (university, _) = self.school(campaign.university_id).await?;
        if claims.school_code != university.code {
            return Err(AppError::Invalid(code_of_other_school(&claims.school_code)));
        }
        let candidates = self
            .db
            .find_students_by_masked_id(university.id, &claims.id_masked)
            .await?
            .into_iter()
            .map(|s| (s, ()))
            .collect();
        Ok(the_one_named(&university, claims, candidates)?.0)
    }

    /// The one roster student a code names, with what the desk must know of them and the
    /// code in the campaign, read together (one round trip on every scan).
    async fn student_of_code_with_checks(
        &self,
        campaign: &Campaign,
        claims: &gradphoto_registry_crypto::code::CodeClaims,
        code_id: &str,
    ) -> Result<(StudentRow, CheckinChecks), AppError> {
        let (university, _) = self.school(campaign.university_id).await?;
        if claims.school_code != university.code {
            return Err(AppError::Invalid(code_of_other_school(&claims.school_code)));
        }
        let candidates = self
            .db
            .code_candidates_with_checks(campaign.id, university.id, &claims.id_masked, code_id)
            .await?;
        the_one_named(&university, claims, candidates)
    }
}

impl App {
    /// The answer to a scan. `desk` is the queue scanned at: a rescan numbered elsewhere
    /// reads its own queue, a number of this queue does not read it again.
    async fn checkin_view(
        &self,
        row: CheckinRow,
        desk: &QueueRow,
        campaign: &Campaign,
        student: StudentRow,
        how: How,
    ) -> Result<Checkin, AppError> {
        let How {
            new,
            walk_in,
            booked_fen,
        } = how;
        let queue = if row.queue_id == desk.id {
            desk.clone()
        } else {
            self.db.onsite_queue(row.queue_id).await?
        };
        let department = self
            .school(student.university_id)
            .await?
            .1
            .iter()
            .find(|d| d.id == student.department_id)
            .map(|d| d.name.clone())
            .unwrap_or_default();
        // A number given just now has no fee order yet, unless its booking was paid online.
        let fee = if new && booked_fen.is_none() {
            crate::onsite_desk_fee::fee_from(self.price_at_desk(campaign, booked_fen), &row, None)
        } else {
            // Rescanned at the desk of its own queue, it is a make-up exactly when booked.
            let at_branch = booked_fen.is_some() || row.queue_id != desk.id;
            self.fee_of(campaign, &row, at_branch).await?
        };
        Ok(Checkin {
            fee,
            row,
            new,
            queue,
            student,
            department,
            walk_in,
        })
    }

    /// A queue's numbers in order, for the desk's list.
    pub async fn queue_checkins(
        &self,
        by: &Staff,
        queue_id: i64,
    ) -> Result<Vec<CheckinRow>, AppError> {
        self.desk_queue(by, queue_id).await?;
        Ok(self.db.onsite_queue_checkins(queue_id).await?)
    }
}

/// The campaign's modes as the scan's checks read them.
fn modes_now(checks: &CheckinChecks) -> Result<Modes, AppError> {
    serde_json::from_str(&checks.campaign_modes_json)
        .map_err(|e| AppError::Internal(format!("the campaign's modes do not parse: {e}")))
}

/// Of the students with the code's masked ID, the one whose roster facts the code names,
/// with what came with them.
fn the_one_named<T>(
    university: &gradphoto_db::universities::UniversityRow,
    claims: &gradphoto_registry_crypto::code::CodeClaims,
    candidates: Vec<(StudentRow, T)>,
) -> Result<(StudentRow, T), AppError> {
    let from_code = CodeFacts {
        school_code: claims.school_code.clone(),
        level: claims.level,
        graduation_year: claims.graduation_year,
        name_masked: claims.name_masked.clone(),
        id_masked: claims.id_masked.clone(),
    };
    let mut found = Vec::new();
    for (s, more) in candidates {
        if online::code_mismatch(&from_code, &roster_facts(university, &s)?).is_none() {
            found.push((s, more));
        }
    }
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(refused(
            "checkin.not_on_roster",
            "该采集码对应的学生不在本校名单中，请学生联系院系核对学籍".into(),
            "The student this code names is not on the school's roster; the student should ask the department to check their record".into(),
        )),
        _ => Err(AppError::Conflict(Msg::new(
            "checkin.ambiguous",
            "名单中有多名学生与该采集码相符，请核对学生证件后由管理员处理",
            "Several roster students match this code; check the student's ID card and ask an admin",
        ))),
    }
}
