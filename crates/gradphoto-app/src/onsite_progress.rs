//! The live progress of an on-site session, per department: registered, checked in,
//! photographed, confirmed, and — once the session is over — the no-shows, whom the
//! department secretary sends to a make-up shoot. Walk-ins (numbered in the session's
//! queues without registering for it) are counted apart, and a student registered here but
//! numbered at another session is counted there only (here: "elsewhere"). Once the session is over, the
//! make-up list also holds those checked in whose photo was never confirmed, and — where
//! the campaign takes walk-ins, so nobody registers — the students of the session's
//! departments who must be photographed and were seen nowhere.

use std::collections::{HashMap, HashSet};

use gradphoto_db::onsite::CheckinRow;
use gradphoto_db::onsite_sessions::SessionRow;
use gradphoto_db::students::StudentRow;
use gradphoto_domain::calendar::china_minute;
use gradphoto_domain::i18n::Lang;
use gradphoto_domain::onsite_plan::session_over;
use gradphoto_domain::policy::{Action, Resource, ResourceKind};
use gradphoto_sheets::{Sheet, write_xlsx};

use gradphoto_domain::eligibility::{Verdict, evaluate};

use crate::auth::Staff;
use crate::campaigns::{Campaign, facts_of};
use crate::{App, AppError};

/// The counts of one department (or the total).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub registered: usize,
    pub checked_in: usize,
    pub photographed: usize,
    pub confirmed: usize,
    /// Registered and not checked in: no-shows once the session is over.
    pub absent: usize,
    pub walk_ins: usize,
    /// Registered here but numbered at another session (another window of the table, or
    /// a branch): counted there, neither checked in nor absent here.
    pub elsewhere: usize,
}

#[derive(Debug, Clone)]
pub struct DepartmentCounts {
    pub department_id: i64,
    pub department: String,
    pub counts: Counts,
}

#[derive(Debug, Clone)]
pub struct SessionProgress {
    pub session: SessionRow,
    pub campaign: Campaign,
    /// The session has ended: the absent are no-shows.
    pub over: bool,
    pub departments: Vec<DepartmentCounts>,
    pub total: Counts,
    /// Registered students (in the reader's scope) who did not check in, by department
    /// and student number.
    pub absent: Vec<StudentRow>,
    /// Once over: checked in at this session, photo never confirmed.
    pub unconfirmed: Vec<StudentRow>,
    /// Once over, in a walk-in campaign: students of the session's departments who must be
    /// photographed, registered nowhere, numbered nowhere and not collected.
    pub not_seen: Vec<StudentRow>,
}

impl SessionProgress {
    /// Everyone the department should send to a make-up shoot, with why (a stable code).
    pub fn make_up(&self) -> Vec<(&'static str, &StudentRow)> {
        self.absent
            .iter()
            .map(|s| ("absent", s))
            .chain(self.unconfirmed.iter().map(|s| ("unconfirmed", s)))
            .chain(self.not_seen.iter().map(|s| ("not_seen", s)))
            .collect()
    }
}

fn count(c: &mut Counts, checkin: Option<&CheckinRow>) {
    if let Some(k) = checkin {
        c.checked_in += 1;
        if matches!(k.stage.as_str(), "photographed" | "confirmed") {
            c.photographed += 1;
        }
        if k.stage == "confirmed" {
            c.confirmed += 1;
        }
    }
}

impl App {
    /// The progress of a session as this person may see it (a secretary: the department).
    pub async fn session_progress(
        &self,
        by: &Staff,
        session_id: i64,
    ) -> Result<SessionProgress, AppError> {
        let (session, campaign) = self.onsite_session_of(by, session_id).await?;
        let registered = self.db.session_registrations(session.id).await?;
        let checkins = self.db.campaign_checkins(campaign.id).await?;
        let queues: HashSet<i64> = self
            .db
            .campaign_queues(campaign.id)
            .await?
            .into_iter()
            .filter(|q| q.session_id == session.id)
            .map(|q| q.id)
            .collect();
        let by_student: HashMap<i64, &CheckinRow> =
            checkins.iter().map(|c| (c.student_id, c)).collect();
        let students = self.students_by_id(campaign.university_id).await?;
        let names = self.department_names(campaign.university_id).await?;
        let visible = |s: &StudentRow| {
            by.may(
                Action::Read,
                Resource::of_department(ResourceKind::Onsite, s.university_id, s.department_id),
            )
            .is_ok()
        };
        let mut per: HashMap<i64, Counts> = HashMap::new();
        let mut absent = Vec::new();
        let registered_ids: HashSet<i64> = registered.iter().map(|r| r.student_id).collect();
        for r in &registered {
            let Some(s) = students.get(&r.student_id).filter(|s| visible(s)) else {
                continue;
            };
            let c = per.entry(s.department_id).or_default();
            c.registered += 1;
            match by_student.get(&s.id).copied() {
                Some(k) if queues.contains(&k.queue_id) => count(c, Some(k)),
                Some(_) => c.elsewhere += 1,
                None => {
                    c.absent += 1;
                    absent.push(s.clone());
                }
            }
        }
        for k in checkins.iter().filter(|k| queues.contains(&k.queue_id)) {
            if registered_ids.contains(&k.student_id) {
                continue;
            }
            let Some(s) = students.get(&k.student_id).filter(|s| visible(s)) else {
                continue;
            };
            let c = per.entry(s.department_id).or_default();
            c.walk_ins += 1;
            count(c, Some(k));
        }
        let mut departments: Vec<DepartmentCounts> = per
            .into_iter()
            .map(|(id, counts)| DepartmentCounts {
                department_id: id,
                department: names.get(&id).cloned().unwrap_or_default(),
                counts,
            })
            .collect();
        departments.sort_by(|a, b| a.department.cmp(&b.department));
        let mut total = Counts::default();
        for d in &departments {
            let c = &d.counts;
            total.registered += c.registered;
            total.checked_in += c.checked_in;
            total.photographed += c.photographed;
            total.confirmed += c.confirmed;
            total.absent += c.absent;
            total.walk_ins += c.walk_ins;
            total.elsewhere += c.elsewhere;
        }
        let order = |a: &StudentRow, b: &StudentRow| {
            (a.department_id, &a.student_no).cmp(&(b.department_id, &b.student_no))
        };
        absent.sort_by(order);
        let over = session_over(
            &session.day,
            &session.ends,
            &china_minute(gradphoto_db::now_ms()),
        );
        let (mut unconfirmed, mut not_seen) = (Vec::new(), Vec::new());
        if over {
            for k in checkins.iter().filter(|k| queues.contains(&k.queue_id)) {
                if k.stage != "confirmed"
                    && let Some(s) = students.get(&k.student_id).filter(|s| visible(s))
                {
                    unconfirmed.push(s.clone());
                }
            }
            let departments = self.session_departments(&session).await?;
            if campaign.modes.walk_ins && !departments.is_empty() {
                let anywhere: HashSet<i64> = self
                    .db
                    .campaign_registrations(campaign.id)
                    .await?
                    .iter()
                    .map(|r| r.student_id)
                    .chain(checkins.iter().map(|k| k.student_id))
                    .collect();
                for s in students.values() {
                    if departments.contains(&s.department_id)
                        && visible(s)
                        && !anywhere.contains(&s.id)
                        && evaluate(&campaign.rules, &facts_of(s)?).verdict == Verdict::Must
                        && !self.db.is_collected(campaign.id, s.id).await?
                    {
                        not_seen.push(s.clone());
                    }
                }
            }
        }
        unconfirmed.sort_by(order);
        not_seen.sort_by(order);
        Ok(SessionProgress {
            over,
            unconfirmed,
            not_seen,
            session,
            campaign,
            departments,
            total,
            absent,
        })
    }
}

impl App {
    /// The registered students who did not check in, as an XLSX for the secretaries to
    /// send to a make-up shoot.
    pub async fn export_absent(
        &self,
        by: &Staff,
        session_id: i64,
        lang: Lang,
    ) -> Result<Vec<u8>, AppError> {
        let p = self.session_progress(by, session_id).await?;
        let zh = lang == Lang::Zh;
        let t = |z: &str, e: &str| if zh { z.to_string() } else { e.to_string() };
        let names: HashMap<i64, String> = p
            .departments
            .iter()
            .map(|d| (d.department_id, d.department.clone()))
            .collect();
        let why = |code: &str| match code {
            "absent" => t("已报名未到场", "Registered, did not come"),
            "unconfirmed" => t("已签到，照片未确认", "Checked in, photo not confirmed"),
            _ => t("未报名且未到场", "Not registered, not seen"),
        };
        let rows = p
            .make_up()
            .into_iter()
            .map(|(code, s)| {
                vec![
                    names.get(&s.department_id).cloned().unwrap_or_default(),
                    s.student_no.clone(),
                    s.name.clone(),
                    s.major.clone().unwrap_or_default(),
                    format!("{} {}–{}", p.session.day, p.session.starts, p.session.ends),
                    why(code),
                ]
            })
            .collect();
        write_xlsx(&[Sheet {
            name: t("未到学生", "No-shows"),
            headers: vec![
                t("院系", "Department"),
                t("学号", "Student no."),
                t("姓名", "Name"),
                t("专业", "Major"),
                t("场次", "Session"),
                t("原因", "Why"),
            ],
            rows,
        }])
        .map_err(|e| AppError::Internal(e.to_string()))
    }
}
