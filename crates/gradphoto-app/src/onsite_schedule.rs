//! The day's plan and its publication: the registered students of each session put into
//! groups (组别) by major and student number, moved by hand where needed, and the
//! schedule published — a public page (no names: sessions, departments, groups and
//! majors), an XLSX and a PDF.

use gradphoto_db::onsite_registrations::PublicationRow;
use gradphoto_db::onsite_sessions::SessionRow;
use gradphoto_db::universities::UniversityRow;
use gradphoto_domain::i18n::{Lang, Msg};
use gradphoto_domain::onsite_plan::{Queued, assign_groups};
use gradphoto_domain::policy::{Action, Resource, ResourceKind};
use gradphoto_pdf::{Column, Document, Table, render};
use gradphoto_sheets::{Sheet, write_xlsx};

use crate::auth::Staff;
use crate::campaigns::Campaign;
use crate::{App, AppError};

/// Students per group unless the admin says otherwise.
pub const DEFAULT_GROUP_SIZE: i64 = 30;

/// One group of a session as the schedule shows it.
#[derive(Debug, Clone)]
pub struct GroupLine {
    pub no: i64,
    pub students: usize,
    /// The majors in the group, in order.
    pub majors: Vec<String>,
    /// The student numbers it runs from and to.
    pub first_no: String,
    pub last_no: String,
    /// The queue (room, camera) the group goes to where the session has several: the
    /// groups in order take the queues in turn (seed 001: 105、106). Empty with one queue.
    pub queue: String,
}

#[derive(Debug, Clone)]
pub struct ScheduleSession {
    pub row: SessionRow,
    /// Department names; empty: every department.
    pub departments: Vec<String>,
    pub registered: usize,
    pub groups: Vec<GroupLine>,
}

impl ScheduleSession {
    /// The place, with the session's note when it has one.
    pub fn place_text(&self, zh: bool) -> String {
        match (self.row.note.is_empty(), zh) {
            (true, _) => self.row.place.clone(),
            (false, true) => format!("{}（{}）", self.row.place, self.row.note),
            (false, false) => format!("{} ({})", self.row.place, self.row.note),
        }
    }

    /// Who the session is for, as the published table says it: its departments (or every
    /// department), and in-service students of any department on a weekend session open to
    /// them (seed 001: 其他学院在职同学可选择周六、日来校采集).
    pub fn departments_text(&self, zh: bool) -> String {
        let mut text = match (self.departments.is_empty(), zh) {
            (true, true) => "全部院系".to_string(),
            (true, false) => "Every department".to_string(),
            (false, true) => self.departments.join("、"),
            (false, false) => self.departments.join(", "),
        };
        if self.row.in_service_open && !self.departments.is_empty() {
            text.push_str(if zh {
                "；及各院系在职学生"
            } else {
                "; and in-service students of any department"
            });
        }
        text
    }
}

#[derive(Debug, Clone)]
pub struct Schedule {
    pub university: UniversityRow,
    pub campaign: Campaign,
    pub sessions: Vec<ScheduleSession>,
    pub publication: Option<PublicationRow>,
}

fn not_published() -> AppError {
    AppError::NotFound(Msg::new(
        "schedule.not_published",
        "现场采集安排尚未发布",
        "The on-site schedule is not published yet",
    ))
}

impl App {
    fn may_plan(&self, by: &Staff, campaign: &Campaign) -> Result<(), AppError> {
        by.may(
            Action::Update,
            Resource::of_university(ResourceKind::Onsite, campaign.university_id),
        )
    }

    /// Puts every registered student of the campaign into groups of `size`, per session,
    /// by major and student number. `keep`: only those without a group are placed, after
    /// the existing groups (hand moves stay); otherwise all are placed afresh.
    pub async fn build_groups(
        &self,
        by: &Staff,
        campaign_id: i64,
        size: i64,
        keep: bool,
    ) -> Result<usize, AppError> {
        let campaign: Campaign = self.db.get_campaign(campaign_id).await?.try_into()?;
        self.may_plan(by, &campaign)?;
        if !(1..=1000).contains(&size) {
            return Err(AppError::invalid(
                "schedule.group_size",
                "每组人数应在 1 至 1000 之间",
                "A group holds 1 to 1000 students",
            ));
        }
        let students = self.students_by_id(campaign.university_id).await?;
        let registrations = self.db.campaign_registrations(campaign.id).await?;
        let mut writes = Vec::new();
        for session in self.db.campaign_sessions(campaign.id).await? {
            let mine: Vec<_> = registrations
                .iter()
                .filter(|r| r.session_id == session.id)
                .collect();
            let first = if keep {
                mine.iter().filter_map(|r| r.group_no).max().unwrap_or(0) + 1
            } else {
                1
            };
            let queued: Vec<Queued<'_>> = mine
                .iter()
                .filter(|r| !keep || r.group_no.is_none())
                .filter_map(|r| {
                    let s = students.get(&r.student_id)?;
                    Some(Queued {
                        registration: r.id,
                        major: s.major.as_deref().unwrap_or(""),
                        student_no: &s.student_no,
                    })
                })
                .collect();
            writes.extend(assign_groups(
                &queued,
                usize::try_from(size).unwrap_or(1),
                first,
            ));
        }
        self.db.set_groups(&writes).await?;
        let mut audit = by.audit(
            "onsite.groups",
            "campaign",
            Some(campaign.id.to_string()),
            Some(campaign.university_id),
        );
        audit.after =
            Some(serde_json::json!({ "size": size, "keep": keep, "placed": writes.len() }));
        self.db.append_audit(&audit).await?;
        Ok(writes.len())
    }

    /// Moves one registered student to another group by hand.
    pub async fn move_to_group(
        &self,
        by: &Staff,
        session_id: i64,
        student_id: i64,
        group: i64,
    ) -> Result<(), AppError> {
        let (session, campaign) = self.onsite_session_of(by, session_id).await?;
        self.may_plan(by, &campaign)?;
        if group < 1 {
            return Err(AppError::invalid(
                "schedule.bad_group",
                "组别应为正整数",
                "A group is a whole number from 1",
            ));
        }
        let reg = self
            .db
            .registration_of(campaign.id, student_id)
            .await?
            .filter(|r| r.session_id == session.id)
            .ok_or_else(AppError::not_found)?;
        self.db.set_groups(&[(reg.id, group)]).await?;
        let mut audit = by.audit(
            "onsite.group_move",
            "onsite_registration",
            Some(reg.id.to_string()),
            Some(campaign.university_id),
        );
        audit.before = Some(serde_json::json!({ "group": reg.group_no }));
        audit.after = Some(serde_json::json!({ "group": group }));
        self.db.append_audit(&audit).await?;
        Ok(())
    }

    /// Publishes the schedule: students still without a group are placed after the
    /// existing groups, then the publication is recorded (published again, it is renewed).
    pub async fn publish_schedule(
        &self,
        by: &Staff,
        campaign_id: i64,
        group_size: i64,
    ) -> Result<PublicationRow, AppError> {
        self.build_groups(by, campaign_id, group_size, true).await?;
        let campaign: Campaign = self.db.get_campaign(campaign_id).await?.try_into()?;
        let row = self
            .db
            .publish_schedule(campaign.id, group_size, &by.row.username)
            .await?;
        let audit = by.audit(
            "onsite.publish",
            "campaign",
            Some(campaign.id.to_string()),
            Some(campaign.university_id),
        );
        self.db.append_audit(&audit).await?;
        Ok(row)
    }

    /// The schedule as the public sees it: only once published.
    pub async fn public_schedule(&self, campaign_id: i64) -> Result<Schedule, AppError> {
        let s = self.schedule_of(campaign_id).await?;
        if s.publication.is_none() {
            return Err(not_published());
        }
        Ok(s)
    }

    /// The schedule for the planners, published or not.
    pub async fn draft_schedule(&self, by: &Staff, campaign_id: i64) -> Result<Schedule, AppError> {
        let s = self.schedule_of(campaign_id).await?;
        by.may(
            Action::Read,
            Resource::of_university(ResourceKind::Onsite, s.campaign.university_id),
        )?;
        Ok(s)
    }

    async fn schedule_of(&self, campaign_id: i64) -> Result<Schedule, AppError> {
        let campaign: Campaign = self.db.get_campaign(campaign_id).await?.try_into()?;
        let university = self.db.get_university(campaign.university_id).await?;
        let names = self.department_names(university.id).await?;
        let students = self.students_by_id(university.id).await?;
        let assigned = self.db.campaign_session_departments(campaign.id).await?;
        let registrations = self.db.campaign_registrations(campaign.id).await?;
        let queues = self.db.campaign_queues(campaign.id).await?;
        let mut sessions = Vec::new();
        for row in self.db.campaign_sessions(campaign.id).await? {
            let mine: Vec<_> = registrations
                .iter()
                .filter(|r| r.session_id == row.id)
                .collect();
            let mut by_group: std::collections::BTreeMap<
                i64,
                Vec<&gradphoto_db::students::StudentRow>,
            > = std::collections::BTreeMap::new();
            for r in &mine {
                if let (Some(g), Some(s)) = (r.group_no, students.get(&r.student_id)) {
                    by_group.entry(g).or_default().push(s);
                }
            }
            // In the order the queues were made, so a queue added later does not move
            // the groups already published.
            let mut mine: Vec<&gradphoto_db::onsite::QueueRow> =
                queues.iter().filter(|q| q.session_id == row.id).collect();
            mine.sort_by_key(|q| q.id);
            let rooms: Vec<&str> = mine.iter().map(|q| q.name.as_str()).collect();
            let groups = by_group
                .into_iter()
                .enumerate()
                .map(|(i, (no, mut list))| {
                    list.sort_by(|a, b| (&a.major, &a.student_no).cmp(&(&b.major, &b.student_no)));
                    let mut majors: Vec<String> = Vec::new();
                    for s in &list {
                        let m = s.major.clone().unwrap_or_default();
                        if !majors.contains(&m) {
                            majors.push(m);
                        }
                    }
                    GroupLine {
                        no,
                        students: list.len(),
                        first_no: list
                            .first()
                            .map(|s| s.student_no.clone())
                            .unwrap_or_default(),
                        last_no: list
                            .last()
                            .map(|s| s.student_no.clone())
                            .unwrap_or_default(),
                        majors,
                        queue: if rooms.len() > 1 {
                            rooms[i % rooms.len()].to_string()
                        } else {
                            String::new()
                        },
                    }
                })
                .collect();
            sessions.push(ScheduleSession {
                departments: assigned
                    .iter()
                    .filter(|(s, _)| *s == row.id)
                    .filter_map(|(_, d)| names.get(d).cloned())
                    .collect(),
                registered: mine.len(),
                groups,
                row,
            });
        }
        Ok(Schedule {
            publication: self.db.publication(campaign.id).await?,
            university,
            campaign,
            sessions,
        })
    }

    /// The published schedule as XLSX: one row per group.
    pub async fn schedule_xlsx(&self, campaign_id: i64, lang: Lang) -> Result<Vec<u8>, AppError> {
        let s = self.public_schedule(campaign_id).await?;
        let zh = lang == Lang::Zh;
        let t = |z: &str, e: &str| if zh { z.to_string() } else { e.to_string() };
        write_xlsx(&[Sheet {
            name: t("现场采集安排", "On-site schedule"),
            headers: vec![
                t("日期", "Day"),
                t("时间", "Time"),
                t("校区", "Campus"),
                t("地点", "Place"),
                t("院系", "Departments"),
                t("组别", "Group"),
                t("人数", "Students"),
                t("专业", "Majors"),
                t("学号范围", "Student numbers"),
            ],
            rows: schedule_rows(&s, zh),
        }])
        .map_err(|e| AppError::Internal(e.to_string()))
    }

    /// The published schedule as a PDF (Chinese).
    pub async fn schedule_pdf(&self, campaign_id: i64) -> Result<Vec<u8>, AppError> {
        let s = self.public_schedule(campaign_id).await?;
        let mut table = Table::new(vec![
            Column::new("日期", 1.3),
            Column::new("时间", 1.3),
            Column::new("校区", 1.2),
            Column::new("地点", 2.0),
            Column::new("院系", 3.0),
            Column::new("组别", 0.8).center(),
            Column::new("人数", 0.8).center(),
            Column::new("专业", 2.4),
            Column::new("学号范围", 2.2),
        ]);
        for r in schedule_rows(&s, true) {
            table.row(r);
        }
        let mut doc =
            Document::new(format!("{} 现场图像采集安排", s.university.name_zh)).landscape();
        doc.paragraph(s.campaign.name.clone())
            .paragraph("请按所在院系、组别的时间到场，严格按专业、学号先后顺序排队；携带采集码与身份证件，不出示采集码者不予拍摄。")
            .table(table);
        let font = self.pdf_font()?;
        tokio::task::spawn_blocking(move || render(&doc, &font))
            .await
            .map_err(|e| AppError::Internal(format!("PDF: {e}")))?
            .map_err(|e| AppError::Internal(format!("PDF: {e}")))
    }
}

/// One row per group (a session without groups yet: one row without a group).
fn schedule_rows(s: &Schedule, zh: bool) -> Vec<Vec<String>> {
    let sep = if zh { "、" } else { ", " };
    let mut rows = Vec::new();
    for x in &s.sessions {
        let base = vec![
            x.row.day.clone(),
            format!("{}–{}", x.row.starts, x.row.ends),
            x.row.campus.clone(),
            x.place_text(zh),
            x.departments_text(zh),
        ];
        if x.groups.is_empty() {
            let mut r = base.clone();
            r.extend([
                String::new(),
                x.registered.to_string(),
                String::new(),
                String::new(),
            ]);
            rows.push(r);
        }
        for g in &x.groups {
            let mut r = base.clone();
            r.extend([
                if g.queue.is_empty() {
                    g.no.to_string()
                } else if zh {
                    format!("{}（{}）", g.no, g.queue)
                } else {
                    format!("{} ({})", g.no, g.queue)
                },
                g.students.to_string(),
                g.majors.join(sep),
                format!("{}–{}", g.first_no, g.last_no),
            ]);
            rows.push(r);
        }
    }
    rows
}
