//! Information confirmation (信息确认): per school and graduation year a window (e.g.
//! 25 May – 5 Jun) in which a student sees the record and photo and either confirms them
//! or reports an error with a message; the school's department secretaries resolve the
//! reports by a deadline (e.g. 10 Jun); after it the record is frozen and the registry
//! takes no new photo for it. Dates are China's calendar days (UTC+8).

use chrono::NaiveDate;
use gradphoto_db::registry::{ConfirmationRow, RegStudentRow, WindowRow};
use serde::Serialize;

use crate::{Client, ClientKind, Registry, RegistryError, StudentSession};

/// Today in China, the calendar the windows are written in.
pub fn china_today() -> NaiveDate {
    gradphoto_domain::calendar::china_date(gradphoto_db::now_ms())
}

/// Where an enrolment stands with respect to its window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// No window set for the school and year: nothing to confirm yet.
    NoWindow,
    /// The window has not opened.
    Before,
    /// Students confirm or report.
    Open,
    /// The window closed; the school is resolving reports.
    Resolving,
    /// Past the resolution deadline: the record is frozen.
    Frozen,
}

/// A window as set by the school.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Window {
    pub opens_on: NaiveDate,
    pub closes_on: NaiveDate,
    pub resolve_by: NaiveDate,
}

impl Window {
    pub fn phase(&self, today: NaiveDate) -> Phase {
        if today < self.opens_on {
            Phase::Before
        } else if today <= self.closes_on {
            Phase::Open
        } else if today <= self.resolve_by {
            Phase::Resolving
        } else {
            Phase::Frozen
        }
    }

    fn from_row(r: &WindowRow) -> Result<Window, RegistryError> {
        let d = |s: &str| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map_err(|_| RegistryError::Internal(format!("stored date {s}")))
        };
        Ok(Window {
            opens_on: d(&r.opens_on)?,
            closes_on: d(&r.closes_on)?,
            resolve_by: d(&r.resolve_by)?,
        })
    }
}

/// A student's error report as the school sees it.
#[derive(Debug, Clone, Serialize)]
pub struct SchoolReport {
    pub id: i64,
    pub enrolment_id: String,
    pub department: String,
    pub message: String,
    pub created_at: i64,
    /// The date by which the school must resolve it.
    pub resolve_by: Option<NaiveDate>,
    pub resolution: Option<String>,
    pub resolution_note: Option<String>,
    pub resolved_at: Option<i64>,
}

/// How a school resolved a report.
pub const RESOLUTIONS: [&str; 3] = ["reshoot", "data_fixed", "no_change"];

fn graduation_year(s: &RegStudentRow) -> i64 {
    s.expected_graduation
        .get(..4)
        .and_then(|y| y.parse().ok())
        .unwrap_or(0)
}

fn school_of(client: &Client) -> Result<&str, RegistryError> {
    match (client.kind, client.school_code.as_deref()) {
        (ClientKind::School, Some(code)) => Ok(code),
        _ => Err(RegistryError::Forbidden(
            "only a school manages its verification",
        )),
    }
}

fn closed() -> RegistryError {
    RegistryError::invalid(
        "window",
        "不在信息确认时间内，无法确认或报告",
        "Outside the verification window: nothing can be confirmed or reported now",
    )
}

impl Registry {
    /// Sets (or moves) a school's window for one graduation year.
    pub async fn set_window(
        &self,
        client: &Client,
        year: i64,
        w: &Window,
    ) -> Result<Window, RegistryError> {
        let school = school_of(client)?;
        if !(w.opens_on <= w.closes_on && w.closes_on <= w.resolve_by) {
            return Err(RegistryError::invalid(
                "window",
                "日期顺序应为：开始 ≤ 结束 ≤ 处理截止",
                "Dates must run: opens ≤ closes ≤ resolve by",
            ));
        }
        if !(2000..=2100).contains(&year) {
            return Err(RegistryError::invalid(
                "graduation_year",
                "年份无效",
                "invalid year",
            ));
        }
        let f = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
        let row = self
            .db()
            .registry_put_window(
                school,
                year,
                &f(w.opens_on),
                &f(w.closes_on),
                &f(w.resolve_by),
            )
            .await?;
        Window::from_row(&row)
    }

    /// The window that applies to an enrolment, if the school set one.
    pub async fn window_of(&self, s: &RegStudentRow) -> Result<Option<Window>, RegistryError> {
        match self
            .db()
            .registry_window(&s.school_code, graduation_year(s))
            .await?
        {
            Some(r) => Ok(Some(Window::from_row(&r)?)),
            None => Ok(None),
        }
    }

    pub async fn phase_of(
        &self,
        s: &RegStudentRow,
        today: NaiveDate,
    ) -> Result<Phase, RegistryError> {
        Ok(self
            .window_of(s)
            .await?
            .map_or(Phase::NoWindow, |w| w.phase(today)))
    }

    /// The student confirms the record and the photo the registry holds.
    pub async fn confirm(
        &self,
        session: &StudentSession,
        student_id: i64,
        today: NaiveDate,
    ) -> Result<ConfirmationRow, RegistryError> {
        let s = self.my_enrolment(session, student_id).await?;
        if self.phase_of(&s, today).await? != Phase::Open {
            return Err(closed());
        }
        let photo = self
            .photos_of(s.id)
            .await?
            .into_iter()
            .find(|p| p.verdict == "accepted")
            .ok_or_else(|| {
                RegistryError::invalid(
                    "photo",
                    "学信网尚无你的毕业图像，无法确认；如已拍摄，请等待图片社上传或报告问题",
                    "The registry holds no graduation photo of yours yet, so there is nothing to confirm; report a problem if you were photographed",
                )
            })?;
        Ok(self
            .db()
            .registry_add_confirmation(s.id, "confirmed", None, Some(photo.id))
            .await?)
    }

    /// The student reports an error; it reaches the school's department secretary.
    pub async fn report_error(
        &self,
        session: &StudentSession,
        student_id: i64,
        message: &str,
        today: NaiveDate,
    ) -> Result<ConfirmationRow, RegistryError> {
        let s = self.my_enrolment(session, student_id).await?;
        if self.phase_of(&s, today).await? != Phase::Open {
            return Err(closed());
        }
        let m = message.trim();
        if m.is_empty() || m.chars().count() > 500 || m.chars().any(|c| c.is_control() && c != '\n')
        {
            return Err(RegistryError::invalid(
                "message",
                "请说明问题（1–500 字）",
                "Describe the problem (1–500 characters)",
            ));
        }
        let photo = self
            .photos_of(s.id)
            .await?
            .into_iter()
            .find(|p| p.verdict == "accepted")
            .map(|p| p.id);
        Ok(self
            .db()
            .registry_add_confirmation(s.id, "reported", Some(m), photo)
            .await?)
    }

    /// An enrolment's confirmations and reports, newest first.
    pub async fn confirmations_of(
        &self,
        student_id: i64,
    ) -> Result<Vec<ConfirmationRow>, RegistryError> {
        Ok(self.db().registry_confirmations_of(student_id).await?)
    }

    /// A school's reports after `after_id`, for its secretaries' queue.
    pub async fn school_reports(
        &self,
        client: &Client,
        after_id: i64,
    ) -> Result<Vec<SchoolReport>, RegistryError> {
        let school = school_of(client)?;
        let mut out = Vec::new();
        for (c, enrolment_id, department) in
            self.db().registry_school_reports(school, after_id).await?
        {
            let student = self.db().registry_student(c.student_id).await?;
            let resolve_by = self.window_of(&student).await?.map(|w| w.resolve_by);
            out.push(SchoolReport {
                id: c.id,
                enrolment_id,
                department,
                message: c.message.unwrap_or_default(),
                created_at: c.created_at,
                resolve_by,
                resolution: c.resolution,
                resolution_note: c.resolution_note,
                resolved_at: c.resolved_at,
            });
        }
        Ok(out)
    }

    /// The school resolves a report, before its record freezes.
    pub async fn resolve_report(
        &self,
        client: &Client,
        report_id: i64,
        resolution: &str,
        note: Option<&str>,
        by: &str,
        today: NaiveDate,
    ) -> Result<(), RegistryError> {
        let school = school_of(client)?;
        if !RESOLUTIONS.contains(&resolution) {
            return Err(RegistryError::invalid(
                "resolution",
                "应为 reshoot、data_fixed 或 no_change",
                "must be reshoot, data_fixed or no_change",
            ));
        }
        let c = match self.db().registry_confirmation(report_id).await {
            Err(gradphoto_db::DbError::NotFound) => return Err(RegistryError::NotFound),
            other => other?,
        };
        let student = self.db().registry_student(c.student_id).await?;
        if student.school_code != school || c.kind != "reported" {
            return Err(RegistryError::NotFound);
        }
        if self.phase_of(&student, today).await? == Phase::Frozen {
            return Err(RegistryError::Frozen);
        }
        if !self
            .db()
            .registry_resolve_report(report_id, resolution, note.map(str::trim), by)
            .await?
        {
            return Err(RegistryError::invalid(
                "report",
                "该报告已处理",
                "This report was already resolved",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn phases_follow_the_dates_inclusively() {
        let w = Window {
            opens_on: d("2027-05-25"),
            closes_on: d("2027-06-05"),
            resolve_by: d("2027-06-10"),
        };
        assert_eq!(w.phase(d("2027-05-24")), Phase::Before);
        assert_eq!(w.phase(d("2027-05-25")), Phase::Open);
        assert_eq!(w.phase(d("2027-06-05")), Phase::Open);
        assert_eq!(w.phase(d("2027-06-06")), Phase::Resolving);
        assert_eq!(w.phase(d("2027-06-10")), Phase::Resolving);
        assert_eq!(w.phase(d("2027-06-11")), Phase::Frozen);
    }
}
