//! The department secretaries' queue of students' error reports (from the registry).

use serde::Serialize;

use crate::rows::impl_from_row;
use crate::{Db, DbError, now_ms, with_pool};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusReportRow {
    pub id: i64,
    pub university_id: i64,
    pub registry_report_id: i64,
    pub department_id: Option<i64>,
    pub student_id: Option<i64>,
    pub student_no: String,
    pub message: String,
    pub reported_at: i64,
    /// `YYYY-MM-DD`: resolve by this day.
    pub resolve_by: Option<String>,
    pub resolution: Option<String>,
    pub resolution_note: Option<String>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<i64>,
}
impl_from_row!(StatusReportRow {
    id,
    university_id,
    registry_report_id,
    department_id,
    student_id,
    student_no,
    message,
    reported_at,
    resolve_by,
    resolution,
    resolution_note,
    resolved_by,
    resolved_at
});

/// A report as pulled from the registry.
#[derive(Debug, Clone)]
pub struct NewStatusReport {
    pub registry_report_id: i64,
    pub department_id: Option<i64>,
    pub student_id: Option<i64>,
    pub student_no: String,
    pub message: String,
    pub reported_at: i64,
    pub resolve_by: Option<String>,
    pub resolution: Option<String>,
    pub resolution_note: Option<String>,
    pub resolved_at: Option<i64>,
}

const COLS: &str = "id, university_id, registry_report_id, department_id, student_id, student_no, message, \
    reported_at, resolve_by, resolution, resolution_note, resolved_by, resolved_at";

impl Db {
    /// The highest registry report id already pulled for a university.
    pub async fn last_status_report(&self, university_id: i64) -> Result<i64, DbError> {
        let (n,): (Option<i64>,) = with_pool!(self, p => sqlx::query_as(
            "SELECT MAX(registry_report_id) FROM status_reports WHERE university_id = $1")
            .bind(university_id).fetch_one(p).await?);
        Ok(n.unwrap_or(0))
    }

    /// Stores pulled reports; ones already there are left alone. Returns how many were new.
    pub async fn insert_status_reports(
        &self,
        university_id: i64,
        rows: &[NewStatusReport],
    ) -> Result<u64, DbError> {
        let mut n = 0;
        for r in rows {
            n += with_pool!(self, p => sqlx::query(
                "INSERT INTO status_reports (university_id, registry_report_id, department_id, student_id, \
                 student_no, message, reported_at, resolve_by, resolution, resolution_note, resolved_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                 ON CONFLICT (university_id, registry_report_id) DO NOTHING")
                .bind(university_id).bind(r.registry_report_id).bind(r.department_id).bind(r.student_id)
                .bind(&r.student_no).bind(&r.message).bind(r.reported_at).bind(&r.resolve_by)
                .bind(&r.resolution).bind(&r.resolution_note).bind(r.resolved_at)
                .execute(p).await?.rows_affected());
        }
        Ok(n)
    }

    /// A university's reports, optionally one department's, open ones first.
    pub async fn list_status_reports(
        &self,
        university_id: i64,
        department_id: Option<i64>,
    ) -> Result<Vec<StatusReportRow>, DbError> {
        let sql = format!(
            "SELECT {COLS} FROM status_reports WHERE university_id = $1 AND ($2 IS NULL OR department_id = $2) \
             ORDER BY (resolution IS NULL) DESC, resolve_by, id"
        );
        let sql = crate::students::cast_nulls(self, &sql);
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(university_id).bind(department_id).fetch_all(p).await?),
        )
    }

    pub async fn status_report(&self, id: i64) -> Result<StatusReportRow, DbError> {
        let sql = format!("SELECT {COLS} FROM status_reports WHERE id = $1");
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(id).fetch_one(p).await?),
        )
    }

    /// Records the resolution the registry accepted.
    pub async fn resolve_status_report(
        &self,
        id: i64,
        resolution: &str,
        note: Option<&str>,
        by: &str,
    ) -> Result<(), DbError> {
        with_pool!(self, p => sqlx::query(
            "UPDATE status_reports SET resolution = $1, resolution_note = $2, resolved_by = $3, resolved_at = $4 \
             WHERE id = $5")
            .bind(resolution).bind(note).bind(by).bind(now_ms()).bind(id).execute(p).await?.rows_affected());
        Ok(())
    }
}
