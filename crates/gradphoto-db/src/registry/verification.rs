//! Verification windows and the students' confirmations and error reports.

use serde::Serialize;

use crate::rows::impl_from_row;
use crate::{Db, DbError, now_ms, with_pool};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WindowRow {
    pub school_code: String,
    pub graduation_year: i64,
    /// `YYYY-MM-DD`, inclusive.
    pub opens_on: String,
    pub closes_on: String,
    pub resolve_by: String,
    pub updated_at: i64,
}
impl_from_row!(WindowRow {
    school_code,
    graduation_year,
    opens_on,
    closes_on,
    resolve_by,
    updated_at
});

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfirmationRow {
    pub id: i64,
    pub student_id: i64,
    /// `confirmed` or `reported`.
    pub kind: String,
    pub message: Option<String>,
    /// The photo the student saw when confirming or reporting.
    pub photo_id: Option<i64>,
    pub created_at: i64,
    /// For reports: `reshoot`, `data_fixed` or `no_change`, once resolved.
    pub resolution: Option<String>,
    pub resolution_note: Option<String>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<i64>,
}
impl_from_row!(ConfirmationRow {
    id,
    student_id,
    kind,
    message,
    photo_id,
    created_at,
    resolution,
    resolution_note,
    resolved_by,
    resolved_at
});

const WCOLS: &str = "school_code, graduation_year, opens_on, closes_on, resolve_by, updated_at";
const CCOLS: &str = "id, student_id, kind, message, photo_id, created_at, resolution, resolution_note, resolved_by, resolved_at";

impl Db {
    pub async fn registry_put_window(
        &self,
        school_code: &str,
        year: i64,
        opens_on: &str,
        closes_on: &str,
        resolve_by: &str,
    ) -> Result<WindowRow, DbError> {
        let sql = format!(
            "INSERT INTO registry_windows ({WCOLS}) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (school_code, graduation_year) DO UPDATE SET opens_on = excluded.opens_on, \
             closes_on = excluded.closes_on, resolve_by = excluded.resolve_by, updated_at = excluded.updated_at \
             RETURNING {WCOLS}"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(school_code).bind(year).bind(opens_on).bind(closes_on).bind(resolve_by).bind(now_ms())
            .fetch_one(p).await?),
        )
    }

    pub async fn registry_window(
        &self,
        school_code: &str,
        year: i64,
    ) -> Result<Option<WindowRow>, DbError> {
        let sql = format!(
            "SELECT {WCOLS} FROM registry_windows WHERE school_code = $1 AND graduation_year = $2"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(school_code).bind(year).fetch_optional(p).await?),
        )
    }

    pub async fn registry_add_confirmation(
        &self,
        student_id: i64,
        kind: &str,
        message: Option<&str>,
        photo_id: Option<i64>,
    ) -> Result<ConfirmationRow, DbError> {
        let sql = format!(
            "INSERT INTO registry_confirmations (student_id, kind, message, photo_id, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING {CCOLS}"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(student_id).bind(kind).bind(message).bind(photo_id).bind(now_ms())
            .fetch_one(p).await?),
        )
    }

    /// An enrolment's confirmations and reports, newest first.
    pub async fn registry_confirmations_of(
        &self,
        student_id: i64,
    ) -> Result<Vec<ConfirmationRow>, DbError> {
        let sql = format!(
            "SELECT {CCOLS} FROM registry_confirmations WHERE student_id = $1 ORDER BY id DESC"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(student_id).fetch_all(p).await?),
        )
    }

    pub async fn registry_confirmation(&self, id: i64) -> Result<ConfirmationRow, DbError> {
        let sql = format!("SELECT {CCOLS} FROM registry_confirmations WHERE id = $1");
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(id).fetch_one(p).await?),
        )
    }

    /// A school's error reports after `after_id`, oldest first, with the enrolment.
    pub async fn registry_school_reports(
        &self,
        school_code: &str,
        after_id: i64,
    ) -> Result<Vec<(ConfirmationRow, String, String)>, DbError> {
        let sql = "SELECT c.id, c.student_id, c.kind, c.message, c.photo_id, c.created_at, c.resolution, \
             c.resolution_note, c.resolved_by, c.resolved_at, s.enrolment_id, s.department \
             FROM registry_confirmations c JOIN registry_students s ON s.id = c.student_id \
             WHERE s.school_code = $1 AND c.kind = 'reported' AND c.id > $2 ORDER BY c.id LIMIT 1000";
        let rows: Vec<ReportJoin> = with_pool!(self, p => sqlx::query_as(sql)
            .bind(school_code).bind(after_id).fetch_all(p).await?);
        Ok(rows
            .into_iter()
            .map(|r| {
                (
                    ConfirmationRow {
                        id: r.id,
                        student_id: r.student_id,
                        kind: r.kind,
                        message: r.message,
                        photo_id: r.photo_id,
                        created_at: r.created_at,
                        resolution: r.resolution,
                        resolution_note: r.resolution_note,
                        resolved_by: r.resolved_by,
                        resolved_at: r.resolved_at,
                    },
                    r.enrolment_id,
                    r.department,
                )
            })
            .collect())
    }

    /// Resolves a report once: a resolved report is not changed again.
    pub async fn registry_resolve_report(
        &self,
        id: i64,
        resolution: &str,
        note: Option<&str>,
        by: &str,
    ) -> Result<bool, DbError> {
        let n = with_pool!(self, p => sqlx::query(
            "UPDATE registry_confirmations SET resolution = $1, resolution_note = $2, resolved_by = $3, \
             resolved_at = $4 WHERE id = $5 AND kind = 'reported' AND resolution IS NULL")
            .bind(resolution).bind(note).bind(by).bind(now_ms()).bind(id)
            .execute(p).await?.rows_affected());
        Ok(n == 1)
    }
}

struct ReportJoin {
    id: i64,
    student_id: i64,
    kind: String,
    message: Option<String>,
    photo_id: Option<i64>,
    created_at: i64,
    resolution: Option<String>,
    resolution_note: Option<String>,
    resolved_by: Option<String>,
    resolved_at: Option<i64>,
    enrolment_id: String,
    department: String,
}
impl_from_row!(ReportJoin {
    id,
    student_id,
    kind,
    message,
    photo_id,
    created_at,
    resolution,
    resolution_note,
    resolved_by,
    resolved_at,
    enrolment_id,
    department
});
