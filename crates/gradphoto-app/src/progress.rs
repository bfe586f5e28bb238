//! The progress dashboard of a campaign: per department, how many must be photographed,
//! how many are, how many are missing or exempt, and who is missing.

use gradphoto_db::progress::{DepartmentProgress, VerdictRow};
use gradphoto_domain::eligibility::Verdict;
use gradphoto_domain::i18n::Lang;
use gradphoto_domain::policy::{Action, Resource, ResourceKind};
use gradphoto_sheets::{Sheet, write_xlsx};

use crate::auth::Staff;
use crate::campaigns::Campaign;
use crate::roster::scoped_department;
use crate::{App, AppError};

/// The dashboard's data.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Progress {
    pub campaign: Campaign,
    pub departments: Vec<DepartmentProgress>,
    pub total: DepartmentProgress,
    /// Students who must be photographed and are not yet.
    pub missing: Vec<VerdictRow>,
}

fn sum(rows: &[DepartmentProgress]) -> DepartmentProgress {
    let mut t = DepartmentProgress {
        department_id: 0,
        department: String::new(),
        students: 0,
        eligible: 0,
        collected: 0,
        missing: 0,
        exempt: 0,
        not_yet: 0,
    };
    for r in rows {
        t.students += r.students;
        t.eligible += r.eligible;
        t.collected += r.collected;
        t.missing += r.missing;
        t.exempt += r.exempt;
        t.not_yet += r.not_yet;
    }
    t
}

impl App {
    /// Progress of a campaign, limited to one department for a secretary (or when asked).
    pub async fn progress(
        &self,
        by: &Staff,
        campaign_id: i64,
        department_id: Option<i64>,
    ) -> Result<Progress, AppError> {
        let campaign: Campaign = self.db.get_campaign(campaign_id).await?.try_into()?;
        let u = campaign.university_id;
        let department_id = scoped_department(by, department_id);
        let res = match department_id {
            Some(d) => Resource::of_department(ResourceKind::Progress, u, d),
            None => Resource::of_university(ResourceKind::Progress, u),
        };
        by.may(Action::Read, res)?;
        if let Some(d) = department_id {
            self.department_of(u, d).await?;
        }
        let departments = self
            .db
            .campaign_progress(campaign_id, u, department_id)
            .await?;
        let missing = self
            .db
            .campaign_students(
                campaign_id,
                u,
                department_id,
                Some(Verdict::Must.as_str()),
                true,
            )
            .await?;
        Ok(Progress {
            total: sum(&departments),
            campaign,
            departments,
            missing,
        })
    }

    /// Every student with verdict and reason, for the roster view of a campaign.
    pub async fn campaign_students(
        &self,
        by: &Staff,
        campaign_id: i64,
        department_id: Option<i64>,
        verdict: Option<Verdict>,
    ) -> Result<Vec<VerdictRow>, AppError> {
        let campaign: Campaign = self.db.get_campaign(campaign_id).await?.try_into()?;
        let u = campaign.university_id;
        let department_id = scoped_department(by, department_id);
        let res = match department_id {
            Some(d) => Resource::of_department(ResourceKind::Student, u, d),
            None => Resource::of_university(ResourceKind::Student, u),
        };
        by.may(Action::Read, res)?;
        Ok(self
            .db
            .campaign_students(
                campaign_id,
                u,
                department_id,
                verdict.map(|v| v.as_str()),
                false,
            )
            .await?)
    }

    /// The dashboard as XLSX: a summary sheet and the list of every student's status.
    pub async fn export_progress(
        &self,
        by: &Staff,
        campaign_id: i64,
        department_id: Option<i64>,
        lang: Lang,
    ) -> Result<Vec<u8>, AppError> {
        let p = self.progress(by, campaign_id, department_id).await?;
        let u = p.campaign.university_id;
        let department_id = scoped_department(by, department_id);
        by.may(
            Action::Export,
            match department_id {
                Some(d) => Resource::of_department(ResourceKind::Progress, u, d),
                None => Resource::of_university(ResourceKind::Progress, u),
            },
        )?;
        let zh = lang == Lang::Zh;
        let t = |z: &str, e: &str| if zh { z.to_string() } else { e.to_string() };
        let summary_headers = vec![
            t("院系", "Department"),
            t("学生", "Students"),
            t("须采集", "Must"),
            t("已采集", "Collected"),
            t("未采集", "Missing"),
            t("免采/不得采集", "Exempt"),
            t("暂不可采集", "Not yet"),
        ];
        let mut rows: Vec<Vec<String>> = p
            .departments
            .iter()
            .chain(std::iter::once(&p.total))
            .map(|d| {
                let name = if d.department_id == 0 {
                    t("合计", "Total")
                } else {
                    d.department.clone()
                };
                vec![
                    name,
                    d.students.to_string(),
                    d.eligible.to_string(),
                    d.collected.to_string(),
                    d.missing.to_string(),
                    d.exempt.to_string(),
                    d.not_yet.to_string(),
                ]
            })
            .collect();
        rows.truncate(p.departments.len() + 1);
        let students = self
            .db
            .campaign_students(campaign_id, u, department_id, None, false)
            .await?;
        let dept_names: std::collections::HashMap<i64, String> = p
            .departments
            .iter()
            .map(|d| (d.department_id, d.department.clone()))
            .collect();
        let list_headers = vec![
            t("学号", "Student number"),
            t("姓名", "Name"),
            t("院系", "Department"),
            t("证件号", "ID number"),
            t("结论", "Verdict"),
            t("原因", "Reason"),
            t("已采集", "Collected"),
        ];
        let list = students
            .iter()
            .map(|r| {
                let verdict = r.verdict.as_deref().and_then(Verdict::parse);
                vec![
                    r.student.student_no.clone(),
                    r.student.name.clone(),
                    dept_names
                        .get(&r.student.department_id)
                        .cloned()
                        .unwrap_or_default(),
                    r.student.id_masked.clone(),
                    verdict
                        .map(|v| if zh { v.zh() } else { v.en() })
                        .unwrap_or("")
                        .to_string(),
                    if zh {
                        r.reason_zh.clone()
                    } else {
                        r.reason_en.clone()
                    }
                    .unwrap_or_default(),
                    if r.collected {
                        t("是", "yes")
                    } else {
                        t("否", "no")
                    },
                ]
            })
            .collect();
        let bytes = write_xlsx(&[
            Sheet {
                name: t("进度", "Progress"),
                headers: summary_headers,
                rows,
            },
            Sheet {
                name: t("学生", "Students"),
                headers: list_headers,
                rows: list,
            },
        ])
        .map_err(|e| AppError::Internal(e.to_string()))?;
        self.db
            .append_audit(&by.audit(
                "progress.export",
                "campaign",
                Some(campaign_id.to_string()),
                Some(u),
            ))
            .await?;
        Ok(bytes)
    }
}
