//! Registration for the on-site days (报名): a department secretary registers the students
//! of the department whom the campaign's rules say must be photographed, for one session,
//! before the deadline. A batch is written whole or not at all (the store refuses it if it
//! would pass the capacity or names someone registered already), so a refusal leaves the
//! session as it was and the secretary can correct the batch and send it again.

use gradphoto_db::onsite_registrations::{RegisterRefusal, RegistrationRow};
use gradphoto_db::onsite_sessions::SessionRow;
use gradphoto_db::students::StudentRow;
use gradphoto_domain::eligibility::{Verdict, evaluate};
use gradphoto_domain::i18n::Msg;
use gradphoto_domain::onsite_plan::{SessionFor, may_register_for, registration_open};
use gradphoto_domain::policy::{Action, Resource, ResourceKind};

use crate::auth::Staff;
use crate::campaigns::{Campaign, facts_of};
use crate::online_entry::china_today;
use crate::{App, AppError};

/// What the registration page of a session shows to one person: the students of their
/// scope (a secretary's department, or the whole university) registered for it, and those
/// who may still be registered.
#[derive(Debug, Clone)]
pub struct SessionRegistrations {
    pub session: SessionRow,
    pub campaign: Campaign,
    /// Why registration is closed, if it is.
    pub closed: Option<Msg>,
    /// Places left in the session (whole session, every department).
    pub free: i64,
    pub registered: Vec<(RegistrationRow, StudentRow)>,
    /// Students in scope who must be photographed and are not registered for any session.
    pub candidates: Vec<StudentRow>,
}

fn closed_error(m: Msg) -> AppError {
    AppError::Conflict(m)
}

impl App {
    fn registration_closed(&self, session: &SessionRow, campaign: &Campaign) -> Option<Msg> {
        let day = chrono::NaiveDate::parse_from_str(&session.day, "%Y-%m-%d").ok()?;
        registration_open(campaign.modes.registration_deadline, day, china_today()).err()
    }

    /// The roster students this person may register (a secretary: the department's), of
    /// one department when `department` is given.
    async fn students_in_scope(
        &self,
        by: &Staff,
        campaign: &Campaign,
        department: Option<i64>,
    ) -> Result<Vec<StudentRow>, AppError> {
        let all = self.db.all_students(campaign.university_id).await?;
        Ok(all
            .into_iter()
            .filter(|s| department.is_none_or(|d| d == s.department_id))
            .filter(|s| {
                by.may(
                    Action::Read,
                    Resource::of_department(ResourceKind::Onsite, s.university_id, s.department_id),
                )
                .is_ok()
            })
            .collect())
    }

    /// The registration page of a session, for one department or (`None`) every one the
    /// reader may see.
    pub async fn session_registrations(
        &self,
        by: &Staff,
        session_id: i64,
        department: Option<i64>,
    ) -> Result<SessionRegistrations, AppError> {
        let (session, campaign) = self.onsite_session_of(by, session_id).await?;
        let for_departments = self.session_departments(&session).await?;
        let students = self.students_in_scope(by, &campaign, department).await?;
        let everyone = self.db.campaign_registrations(campaign.id).await?;
        let taken = everyone
            .iter()
            .filter(|r| r.session_id == session.id)
            .count();
        let mut registered = Vec::new();
        let mut candidates = Vec::new();
        for s in students {
            match everyone.iter().find(|r| r.student_id == s.id) {
                Some(r) if r.session_id == session.id => registered.push((r.clone(), s)),
                Some(_) => {}
                None => {
                    let here = may_register_for(
                        s.department_id,
                        s.in_service,
                        SessionFor {
                            departments: &for_departments,
                            in_service_open: session.in_service_open,
                        },
                        campaign.modes.any_window,
                    );
                    if here.is_ok()
                        && evaluate(&campaign.rules, &facts_of(&s)?).verdict == Verdict::Must
                    {
                        candidates.push(s);
                    }
                }
            }
        }
        Ok(SessionRegistrations {
            closed: self.registration_closed(&session, &campaign),
            free: (session.capacity - i64::try_from(taken).unwrap_or(i64::MAX)).max(0),
            session,
            campaign,
            registered,
            candidates,
        })
    }

    /// Registers the chosen students for a session: all of them, or none with the reason.
    pub async fn register_students(
        &self,
        by: &Staff,
        session_id: i64,
        student_ids: &[i64],
    ) -> Result<Vec<RegistrationRow>, AppError> {
        self.register_students_with_phones(by, session_id, student_ids, &Default::default())
            .await
    }

    /// [`App::register_students`] with the mobile numbers a 报名表 gave, by student id.
    pub async fn register_students_with_phones(
        &self,
        by: &Staff,
        session_id: i64,
        student_ids: &[i64],
        phones: &std::collections::HashMap<i64, String>,
    ) -> Result<Vec<RegistrationRow>, AppError> {
        let (session, campaign) = self.onsite_session_of(by, session_id).await?;
        // After the deadline a university or agency admin may still register a late
        // student up to the day itself (seed 004 has no walk-ins: otherwise they could not
        // be photographed); audited. Secretaries may not.
        let mut late = false;
        if let Some(m) = self.registration_closed(&session, &campaign) {
            let admin = by
                .may(
                    Action::Update,
                    Resource::of_university(ResourceKind::Onsite, campaign.university_id),
                )
                .is_ok();
            let day = chrono::NaiveDate::parse_from_str(&session.day, "%Y-%m-%d").ok();
            if !admin || day.is_none_or(|d| d < china_today()) {
                return Err(closed_error(m));
            }
            late = true;
        }
        let mut ids: Vec<i64> = student_ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            return Err(AppError::invalid(
                "registration.none_chosen",
                "请选择要报名的学生",
                "Choose the students to register",
            ));
        }
        let for_departments = self.session_departments(&session).await?;
        let mut students = Vec::with_capacity(ids.len());
        for id in &ids {
            let s = match self.db.get_student(*id).await {
                Ok(s) if s.university_id == campaign.university_id => s,
                Ok(_) | Err(gradphoto_db::DbError::NotFound) => {
                    return Err(AppError::invalid(
                        "registration.unknown_student",
                        "所选学生不在本校名单中",
                        "A chosen student is not on this university's roster",
                    ));
                }
                Err(e) => return Err(e.into()),
            };
            by.may(
                Action::Create,
                Resource::of_department(ResourceKind::Onsite, s.university_id, s.department_id),
            )?;
            if let Err(m) = may_register_for(
                s.department_id,
                s.in_service,
                SessionFor {
                    departments: &for_departments,
                    in_service_open: session.in_service_open,
                },
                campaign.modes.any_window,
            ) {
                return Err(AppError::Invalid(Msg::new(
                    m.code,
                    format!("{}（{}）：{}", s.name, s.student_no, m.zh),
                    format!("{} ({}): {}", s.name, s.student_no, m.en),
                )));
            }
            let decision = evaluate(&campaign.rules, &facts_of(&s)?);
            if decision.verdict != Verdict::Must {
                return Err(AppError::Invalid(Msg::new(
                    "registration.not_eligible",
                    format!(
                        "{}（{}）不能报名：{}",
                        s.name, s.student_no, decision.reason.zh
                    ),
                    format!(
                        "{} ({}) cannot be registered: {}",
                        s.name, s.student_no, decision.reason.en
                    ),
                )));
            }
            students.push(s);
        }
        let rows = match self
            .db
            .register_for_session_with_phones(
                campaign.id,
                session.id,
                &ids,
                &ids.iter()
                    .map(|id| phones.get(id).cloned())
                    .collect::<Vec<_>>(),
                &by.row.username,
            )
            .await?
        {
            Ok(rows) => rows,
            Err(RegisterRefusal::Full { free }) => {
                return Err(AppError::Conflict(Msg::new(
                    "registration.full",
                    format!(
                        "该场次只剩 {free} 个名额，本次选择了 {} 人，未报名任何学生；请减少人数或选择其他场次",
                        ids.len()
                    ),
                    format!(
                        "This session has {free} places left and {} students were chosen; nobody was registered. Choose fewer, or another session",
                        ids.len()
                    ),
                )));
            }
            Err(RegisterRefusal::AlreadyRegistered(who)) => {
                let names = students
                    .iter()
                    .filter(|s| who.contains(&s.id))
                    .map(|s| format!("{} {}", s.student_no, s.name))
                    .collect::<Vec<_>>()
                    .join("、");
                return Err(AppError::Conflict(Msg::new(
                    "registration.already",
                    format!("以下学生已报名本次采集的场次，未报名任何学生：{names}"),
                    format!(
                        "These students are registered for a session of this campaign already; nobody was registered: {names}"
                    ),
                )));
            }
        };
        let mut audit = by.audit(
            "onsite.register",
            "onsite_session",
            Some(session.id.to_string()),
            Some(campaign.university_id),
        );
        audit.after = Some(serde_json::json!({ "students": ids, "after_deadline": late }));
        self.db.append_audit(&audit).await?;
        Ok(rows)
    }

    /// The on-site session a verified student is registered for, with their group once
    /// the plan is built, to show them the day, time and place.
    pub async fn student_onsite_session(
        &self,
        state: &crate::online_entry::OnlineState,
    ) -> Result<Option<(SessionRow, Option<i64>)>, AppError> {
        let (Some(c), Some(s)) = (&state.campaign, &state.student) else {
            return Ok(None);
        };
        match self.db.registration_of(c.id, s.id).await? {
            Some(r) => Ok(Some((
                self.db.onsite_session(r.session_id).await?,
                r.group_no,
            ))),
            None => Ok(None),
        }
    }

    /// Takes a student off a session before registration closes.
    pub async fn unregister_student(
        &self,
        by: &Staff,
        session_id: i64,
        student_id: i64,
    ) -> Result<(), AppError> {
        let (session, campaign) = self.onsite_session_of(by, session_id).await?;
        if let Some(m) = self.registration_closed(&session, &campaign) {
            return Err(closed_error(m));
        }
        let s = self.db.get_student(student_id).await?;
        by.may(
            Action::Delete,
            Resource::of_department(ResourceKind::Onsite, s.university_id, s.department_id),
        )?;
        if !self.db.unregister_from_session(session.id, s.id).await? {
            return Err(AppError::not_found());
        }
        let mut audit = by.audit(
            "onsite.unregister",
            "onsite_session",
            Some(session.id.to_string()),
            Some(campaign.university_id),
        );
        audit.before = Some(serde_json::json!({ "student": s.id }));
        self.db.append_audit(&audit).await?;
        Ok(())
    }
}
