//! The department secretaries' queue (issue 2's roles) of students' error reports from the
//! registry's verification window: pulled from the registry's API with the school's token,
//! routed to the student's department, resolved by the secretary (or the university office)
//! before the registry's deadline — the resolution goes back to the registry first, and is
//! recorded here only once the registry took it.

use gradphoto_db::status_reports::{NewStatusReport, StatusReportRow};
use gradphoto_domain::i18n::Msg;
use gradphoto_domain::policy::{Action, Resource, ResourceKind};

use crate::auth::Staff;
use crate::registry_link::unreachable_registry;
use crate::roster::scoped_department;
use crate::{App, AppError};

/// The resolutions a secretary may choose, as the registry names them.
pub const RESOLUTIONS: [&str; 3] = ["reshoot", "data_fixed", "no_change"];

impl App {
    /// Pulls a university's new reports from the registry; returns how many were new.
    pub async fn sync_status_reports(&self, university_id: i64) -> Result<u64, AppError> {
        let uni = self.db.get_university(university_id).await?;
        let token = self.registry_token(&format!("school:{}", uni.code)).await?;
        let base = self.registry_base()?;
        let after = self.db.last_status_report(university_id).await?;
        let r = self
            .http
            .get(format!("{base}/v1/reports?after={after}"))
            .bearer_auth(&token)
            .send()
            .await
            .map_err(unreachable_registry)?;
        let status = r.status();
        let v: serde_json::Value = r
            .json()
            .await
            .map_err(|e| AppError::Internal(format!("registry answer: {e}")))?;
        if !status.is_success() {
            return Err(AppError::Internal(format!(
                "registry answered HTTP {status}: {v}"
            )));
        }
        let departments = self.db.list_departments(university_id).await?;
        let students = self.db.all_students(university_id).await?;
        let mut rows = Vec::new();
        for r in v["reports"].as_array().cloned().unwrap_or_default() {
            let no = r["enrolment_id"].as_str().unwrap_or_default().to_string();
            let student = students.iter().find(|s| s.student_no == no);
            // Routed by the roster's department; by the registry's department name when the
            // student is no longer on the roster.
            let department_id = student.map(|s| s.department_id).or_else(|| {
                departments
                    .iter()
                    .find(|d| Some(d.name.as_str()) == r["department"].as_str())
                    .map(|d| d.id)
            });
            rows.push(NewStatusReport {
                registry_report_id: r["id"].as_i64().unwrap_or_default(),
                department_id,
                student_id: student.map(|s| s.id),
                student_no: no,
                message: r["message"].as_str().unwrap_or_default().to_string(),
                reported_at: r["created_at"].as_i64().unwrap_or_default(),
                resolve_by: r["resolve_by"].as_str().map(str::to_owned),
                resolution: r["resolution"].as_str().map(str::to_owned),
                resolution_note: r["resolution_note"].as_str().map(str::to_owned),
                resolved_at: r["resolved_at"].as_i64(),
            });
        }
        let n = self.db.insert_status_reports(university_id, &rows).await?;
        if n > 0 {
            tracing::info!(university = %uni.code, new = n, "error reports pulled from the registry");
        }
        Ok(n)
    }

    /// The queue: a secretary sees their department's reports only.
    pub async fn status_reports(
        &self,
        by: &Staff,
        university_id: i64,
        department_id: Option<i64>,
    ) -> Result<Vec<StatusReportRow>, AppError> {
        let department_id = scoped_department(by, department_id);
        let res = match department_id {
            Some(d) => Resource::of_department(ResourceKind::StatusReport, university_id, d),
            None => Resource::of_university(ResourceKind::StatusReport, university_id),
        };
        by.may(Action::Read, res)?;
        Ok(self
            .db
            .list_status_reports(university_id, department_id)
            .await?)
    }

    /// Resolves one report: first at the registry (which refuses after its deadline), then
    /// here, audited.
    pub async fn resolve_status_report(
        &self,
        by: &Staff,
        id: i64,
        resolution: &str,
        note: &str,
    ) -> Result<StatusReportRow, AppError> {
        let row = self.db.status_report(id).await?;
        let res = match row.department_id {
            Some(d) => Resource::of_department(ResourceKind::StatusReport, row.university_id, d),
            None => Resource::of_university(ResourceKind::StatusReport, row.university_id),
        };
        by.may(Action::Update, res)?;
        if !RESOLUTIONS.contains(&resolution) {
            return Err(AppError::invalid(
                "report.resolution",
                "请选择处理结果：需要重拍、信息已更正或无需更改",
                "Choose a resolution: re-shoot needed, data fixed, or no change",
            ));
        }
        if row.resolution.is_some() {
            return Err(AppError::Conflict(Msg::new(
                "report.resolved",
                "该报告已处理",
                "This report was already resolved",
            )));
        }
        let note = note.trim();
        let uni = self.db.get_university(row.university_id).await?;
        let token = self.registry_token(&format!("school:{}", uni.code)).await?;
        let base = self.registry_base()?;
        let r = self
            .http
            .post(format!(
                "{base}/v1/reports/{}/resolution",
                row.registry_report_id
            ))
            .bearer_auth(&token)
            .json(&serde_json::json!({
                "resolution": resolution,
                "note": if note.is_empty() { None } else { Some(note) },
                "by": by.row.display_name,
            }))
            .send()
            .await
            .map_err(unreachable_registry)?;
        let status = r.status();
        if !status.is_success() {
            let v: serde_json::Value = r.json().await.unwrap_or_default();
            return Err(AppError::Conflict(Msg::new(
                "report.registry_refused",
                format!(
                    "学信网未接受处理结果：{}",
                    v["error"]["zh"].as_str().unwrap_or("")
                ),
                format!(
                    "The registry did not take the resolution: {}",
                    v["error"]["en"].as_str().unwrap_or("")
                ),
            )));
        }
        let note = if note.is_empty() { None } else { Some(note) };
        self.db
            .resolve_status_report(id, resolution, note, &by.row.display_name)
            .await?;
        let mut audit = by.audit(
            "status_report.resolve",
            "status_report",
            Some(id.to_string()),
            Some(row.university_id),
        );
        audit.after = Some(serde_json::json!({ "resolution": resolution, "note": note }));
        self.db.append_audit(&audit).await?;
        Ok(self.db.status_report(id).await?)
    }
}

impl App {
    /// Queues a pull of new reports for every university linked to the registry (the
    /// worker does this hourly; the queue page has a button for now).
    pub async fn queue_status_report_syncs(&self) -> Result<usize, AppError> {
        let mut n = 0;
        for u in self.db.list_universities().await? {
            if self
                .db
                .registry_credential(&format!("school:{}", u.code))
                .await?
                .is_some()
            {
                self.enqueue(crate::jobs::Job::SyncStatusReports {
                    university_id: u.id,
                })
                .await?;
                n += 1;
            }
        }
        Ok(n)
    }
}
