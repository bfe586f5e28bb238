//! The plan of a campaign's on-site days: its sessions (campus, place, day, time window,
//! capacity) with their queues, and how full each is. The university admin (or the
//! agency) defines sessions; secretaries and the desk read the plan.

use gradphoto_db::onsite::QueueRow;
use gradphoto_db::onsite_sessions::{NewSession, SessionRow};
use gradphoto_domain::onsite_plan::{SessionForm, session_spec};
use gradphoto_domain::policy::{Action, Resource, ResourceKind};

use crate::auth::Staff;
use crate::campaigns::Campaign;
use crate::{App, AppError};

/// One session of the plan, with its queues and counts.
#[derive(Debug, Clone)]
pub struct SessionView {
    pub row: SessionRow,
    pub queues: Vec<QueueView>,
    /// Students registered for it (报名).
    pub registered: i64,
    /// The departments it is for; empty: every department.
    pub departments: Vec<i64>,
}

impl SessionView {
    pub fn free(&self) -> i64 {
        (self.row.capacity - self.registered).max(0)
    }
}

#[derive(Debug, Clone)]
pub struct QueueView {
    pub row: QueueRow,
    /// Numbers handed out so far.
    pub checked_in: i64,
}

/// A campaign and its sessions.
#[derive(Debug, Clone)]
pub struct OnsitePlan {
    pub campaign: Campaign,
    pub sessions: Vec<SessionView>,
}

impl App {
    /// The campaign's sessions, for everyone who may read the plan.
    pub async fn onsite_plan(&self, by: &Staff, campaign_id: i64) -> Result<OnsitePlan, AppError> {
        let campaign: Campaign = self.db.get_campaign(campaign_id).await?.try_into()?;
        by.may(
            Action::Read,
            Resource::of_university(ResourceKind::Onsite, campaign.university_id),
        )?;
        let rows = self.db.campaign_sessions(campaign_id).await?;
        let queues = self.db.campaign_queues(campaign_id).await?;
        let registered = self.db.campaign_registration_counts(campaign_id).await?;
        let checked = self.db.campaign_checkin_counts(campaign_id).await?;
        let assigned = self.db.campaign_session_departments(campaign_id).await?;
        let count = |pairs: &[(i64, i64)], id: i64| {
            pairs.iter().find(|(k, _)| *k == id).map_or(0, |(_, n)| *n)
        };
        let sessions = rows
            .into_iter()
            .map(|row| SessionView {
                queues: queues
                    .iter()
                    .filter(|q| q.session_id == row.id)
                    .map(|q| QueueView {
                        checked_in: count(&checked, q.id),
                        row: q.clone(),
                    })
                    .collect(),
                registered: count(&registered, row.id),
                departments: assigned
                    .iter()
                    .filter(|(s, _)| *s == row.id)
                    .map(|(_, d)| *d)
                    .collect(),
                row,
            })
            .collect();
        Ok(OnsitePlan { campaign, sessions })
    }

    /// Adds a session with its queues to the campaign's on-site days, for `departments`
    /// (none: every department).
    pub async fn create_onsite_session(
        &self,
        by: &Staff,
        campaign_id: i64,
        form: &SessionForm<'_>,
        departments: &[i64],
    ) -> Result<SessionRow, AppError> {
        let campaign: Campaign = self.db.get_campaign(campaign_id).await?.try_into()?;
        by.may(
            Action::Create,
            Resource::of_university(ResourceKind::Onsite, campaign.university_id),
        )?;
        let spec = session_spec(form, campaign.modes.onsite).map_err(AppError::Invalid)?;
        let own = self.db.list_departments(campaign.university_id).await?;
        let mut departments = departments.to_vec();
        departments.sort_unstable();
        departments.dedup();
        if departments.iter().any(|d| !own.iter().any(|o| o.id == *d)) {
            return Err(AppError::invalid(
                "session.unknown_department",
                "所选院系不属于本校",
                "A chosen department is not of this university",
            ));
        }
        let day = spec.day.to_string();
        let starts = spec.starts.format("%H:%M").to_string();
        let ends = spec.ends.format("%H:%M").to_string();
        let (row, queues) = self
            .db
            .create_onsite_session_for(
                &NewSession {
                    campaign_id,
                    campus: &spec.campus,
                    place: &spec.place,
                    day: &day,
                    starts: &starts,
                    ends: &ends,
                    capacity: spec.capacity,
                    in_service_open: spec.in_service_open,
                },
                &spec.queues,
                &departments,
            )
            .await?;
        let mut audit = by.audit(
            "onsite.session_create",
            "onsite_session",
            Some(row.id.to_string()),
            Some(campaign.university_id),
        );
        audit.after = Some(serde_json::json!({
            "campaign_id": campaign_id, "campus": row.campus, "place": row.place, "day": row.day,
            "starts": row.starts, "ends": row.ends, "capacity": row.capacity,
            "queues": queues.iter().map(|q| q.name.clone()).collect::<Vec<_>>(),
            "departments": departments, "in_service_open": row.in_service_open,
        }));
        self.db.append_audit(&audit).await?;
        Ok(row)
    }

    /// A university's roster by student id (the on-site lists join against it).
    pub(crate) async fn students_by_id(
        &self,
        university_id: i64,
    ) -> Result<std::collections::HashMap<i64, gradphoto_db::students::StudentRow>, AppError> {
        Ok(self
            .db
            .all_students(university_id)
            .await?
            .into_iter()
            .map(|s| (s.id, s))
            .collect())
    }

    /// A university's department names by id.
    pub(crate) async fn department_names(
        &self,
        university_id: i64,
    ) -> Result<std::collections::HashMap<i64, String>, AppError> {
        Ok(self
            .db
            .list_departments(university_id)
            .await?
            .into_iter()
            .map(|d| (d.id, d.name))
            .collect())
    }

    /// The departments a session is for (empty: every department).
    pub(crate) async fn session_departments(
        &self,
        session: &SessionRow,
    ) -> Result<Vec<i64>, AppError> {
        Ok(self
            .db
            .campaign_session_departments(session.campaign_id)
            .await?
            .into_iter()
            .filter(|(s, _)| *s == session.id)
            .map(|(_, d)| d)
            .collect())
    }

    /// The university a session belongs to (the registration page lists its departments).
    pub async fn onsite_session_university(
        &self,
        by: &Staff,
        session_id: i64,
    ) -> Result<i64, AppError> {
        Ok(self
            .onsite_session_of(by, session_id)
            .await?
            .1
            .university_id)
    }

    /// A session and its campaign, after checking the reader may see the plan.
    /// Sets what a session's row in the table cannot say (e.g. 深圳: 由深研院教务处统一安排;
    /// 具体时间另行通知); shown beside its place wherever the session is published. Audited.
    pub async fn set_session_note(
        &self,
        by: &Staff,
        session_id: i64,
        note: &str,
    ) -> Result<SessionRow, AppError> {
        let (before, campaign) = self.onsite_session_of(by, session_id).await?;
        by.may(
            Action::Update,
            Resource::of_university(ResourceKind::Onsite, campaign.university_id),
        )?;
        let note = note.trim();
        if note.chars().count() > 200 {
            return Err(AppError::invalid(
                "session.note_long",
                "备注最多 200 字",
                "The note is at most 200 characters",
            ));
        }
        let row = self.db.set_session_note(session_id, note).await?;
        let mut audit = by.audit(
            "onsite.session_note",
            "onsite_session",
            Some(session_id.to_string()),
            Some(campaign.university_id),
        );
        audit.before = Some(serde_json::json!({ "note": before.note }));
        audit.after = Some(serde_json::json!({ "note": row.note }));
        self.db.append_audit(&audit).await?;
        Ok(row)
    }

    /// Changes a session's place, day, times or capacity (the day within the campaign's
    /// on-site days; the capacity not below its registrations; the day not once anyone was
    /// numbered). Registered students are reminded again of a new day or time. Audited.
    pub async fn update_onsite_session(
        &self,
        by: &Staff,
        session_id: i64,
        form: &SessionForm<'_>,
    ) -> Result<SessionRow, AppError> {
        let (before, campaign) = self.onsite_session_of(by, session_id).await?;
        by.may(
            Action::Update,
            Resource::of_university(ResourceKind::Onsite, campaign.university_id),
        )?;
        let spec = session_spec(form, campaign.modes.onsite).map_err(AppError::Invalid)?;
        let (day, starts, ends) = (
            spec.day.to_string(),
            spec.starts.format("%H:%M").to_string(),
            spec.ends.format("%H:%M").to_string(),
        );
        let row = self
            .db
            .update_onsite_session(
                session_id,
                &NewSession {
                    campaign_id: campaign.id,
                    campus: &spec.campus,
                    place: &spec.place,
                    day: &day,
                    starts: &starts,
                    ends: &ends,
                    capacity: spec.capacity,
                    in_service_open: before.in_service_open,
                },
            )
            .await?
            .map_err(|r| {
                AppError::Conflict(match r {
                    gradphoto_db::onsite_sessions::SessionChangeRefusal::Registered(n) => {
                        gradphoto_domain::i18n::Msg::new(
                            "session.capacity_below",
                            format!("已有 {n} 人报名，名额不能少于 {n}"),
                            format!(
                                "{n} students are registered: the capacity cannot be below {n}"
                            ),
                        )
                    }
                    gradphoto_db::onsite_sessions::SessionChangeRefusal::Numbered => {
                        gradphoto_domain::i18n::Msg::new(
                            "session.day_numbered",
                            "该场次已有学生取号，日期不能再改",
                            "Students were numbered in this session: its day cannot change",
                        )
                    }
                })
            })?;
        let mut audit = by.audit(
            "onsite.session_update",
            "onsite_session",
            Some(session_id.to_string()),
            Some(campaign.university_id),
        );
        let json = |r: &SessionRow| {
            serde_json::json!({
                "campus": r.campus, "place": r.place, "day": r.day, "starts": r.starts,
                "ends": r.ends, "capacity": r.capacity,
            })
        };
        audit.before = Some(json(&before));
        audit.after = Some(json(&row));
        self.db.append_audit(&audit).await?;
        Ok(row)
    }

    /// Deletes a session made by mistake: only while nobody is registered for it or
    /// numbered in it. Audited.
    pub async fn delete_onsite_session(&self, by: &Staff, session_id: i64) -> Result<(), AppError> {
        let (row, campaign) = self.onsite_session_of(by, session_id).await?;
        by.may(
            Action::Delete,
            Resource::of_university(ResourceKind::Onsite, campaign.university_id),
        )?;
        if !self.db.delete_empty_onsite_session(session_id).await? {
            return Err(AppError::Conflict(gradphoto_domain::i18n::Msg::new(
                "session.in_use",
                "该场次已有学生报名或签到，不能删除",
                "Students are registered for or numbered in this session; it cannot be deleted",
            )));
        }
        let mut audit = by.audit(
            "onsite.session_delete",
            "onsite_session",
            Some(session_id.to_string()),
            Some(campaign.university_id),
        );
        audit.before = Some(serde_json::json!({
            "campus": row.campus, "place": row.place, "day": row.day, "starts": row.starts,
            "ends": row.ends, "capacity": row.capacity,
        }));
        self.db.append_audit(&audit).await?;
        Ok(())
    }

    /// Adds a queue (another camera) to a session, e.g. when a second room opens. Audited.
    pub async fn add_onsite_queue(
        &self,
        by: &Staff,
        session_id: i64,
        name: &str,
    ) -> Result<gradphoto_db::onsite::QueueRow, AppError> {
        let (_, campaign) = self.onsite_session_of(by, session_id).await?;
        by.may(
            Action::Create,
            Resource::of_university(ResourceKind::Onsite, campaign.university_id),
        )?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 40 {
            return Err(AppError::invalid(
                "session.queue_name",
                "请填写队列名称（如房间号），最多 40 字",
                "Name the queue (e.g. the room), at most 40 characters",
            ));
        }
        let queue = self
            .db
            .create_onsite_queue(session_id, name)
            .await
            .map_err(|e| match e {
                gradphoto_db::DbError::Conflict(_) => {
                    AppError::Conflict(gradphoto_domain::i18n::Msg::new(
                        "session.queue_taken",
                        "该场次已有同名队列",
                        "The session has a queue of that name already",
                    ))
                }
                other => other.into(),
            })?;
        let mut audit = by.audit(
            "onsite.queue_add",
            "onsite_session",
            Some(session_id.to_string()),
            Some(campaign.university_id),
        );
        audit.after = Some(serde_json::json!({ "queue": queue.name }));
        self.db.append_audit(&audit).await?;
        Ok(queue)
    }

    pub(crate) async fn onsite_session_of(
        &self,
        by: &Staff,
        session_id: i64,
    ) -> Result<(SessionRow, Campaign), AppError> {
        let row = self.db.onsite_session(session_id).await?;
        let campaign: Campaign = self.db.get_campaign(row.campaign_id).await?.try_into()?;
        by.may(
            Action::Read,
            Resource::of_university(ResourceKind::Onsite, campaign.university_id),
        )?;
        Ok((row, campaign))
    }
}
