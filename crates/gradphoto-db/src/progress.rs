//! Progress of a campaign per department, from the stored verdicts and collections.

use serde::Serialize;

use crate::rows::impl_from_row;
use crate::students::STUDENT_COLS;
use crate::{Db, DbError, with_pool};

/// Counts for one department. `eligible` counts students who must be photographed;
/// `exempt` those who need not or must not; `not_yet` those not judgeable yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DepartmentProgress {
    pub department_id: i64,
    pub department: String,
    pub students: i64,
    pub eligible: i64,
    pub collected: i64,
    pub missing: i64,
    pub exempt: i64,
    pub not_yet: i64,
}
impl_from_row!(DepartmentProgress {
    department_id,
    department,
    students,
    eligible,
    collected,
    missing,
    exempt,
    not_yet
});

/// A student with their verdict in a campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerdictRow {
    pub student: crate::students::StudentRow,
    pub verdict: Option<String>,
    pub reason_code: Option<String>,
    pub reason_zh: Option<String>,
    pub reason_en: Option<String>,
    pub collected: bool,
}

struct VerdictCols {
    verdict: Option<String>,
    reason_code: Option<String>,
    reason_zh: Option<String>,
    reason_en: Option<String>,
    collected: bool,
}
impl_from_row!(VerdictCols {
    verdict,
    reason_code,
    reason_zh,
    reason_en,
    collected
});

const PROGRESS_SQL: &str = "SELECT d.id AS department_id, d.name AS department,
    COUNT(s.id) AS students,
    COALESCE(SUM(CASE WHEN e.verdict = 'must' THEN 1 ELSE 0 END), 0) AS eligible,
    COALESCE(SUM(CASE WHEN e.verdict = 'must' AND c.id IS NOT NULL THEN 1 ELSE 0 END), 0) AS collected,
    COALESCE(SUM(CASE WHEN e.verdict = 'must' AND c.id IS NULL THEN 1 ELSE 0 END), 0) AS missing,
    COALESCE(SUM(CASE WHEN e.verdict IN ('need_not', 'must_not') THEN 1 ELSE 0 END), 0) AS exempt,
    COALESCE(SUM(CASE WHEN e.verdict = 'not_yet' THEN 1 ELSE 0 END), 0) AS not_yet
  FROM departments d
  LEFT JOIN students s ON s.department_id = d.id
  LEFT JOIN eligibility e ON e.student_id = s.id AND e.campaign_id = $1
  LEFT JOIN collections c ON c.student_id = s.id AND c.campaign_id = $1
  WHERE d.university_id = $2 AND ($3 IS NULL OR d.id = $3)
  GROUP BY d.id, d.name ORDER BY d.id";

impl Db {
    pub async fn campaign_progress(
        &self,
        campaign_id: i64,
        university_id: i64,
        department_id: Option<i64>,
    ) -> Result<Vec<DepartmentProgress>, DbError> {
        let sql = match self {
            Db::Sqlite(_) => PROGRESS_SQL.to_string(),
            Db::Postgres(_) => PROGRESS_SQL
                .replace("($3 IS NULL", "($3::BIGINT IS NULL")
                // SUM over BIGINT yields NUMERIC on PostgreSQL; keep every count an i64.
                .replace("COUNT(s.id) AS", "COUNT(s.id)::BIGINT AS")
                .replace(", 0) AS", ", 0)::BIGINT AS"),
        };
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(campaign_id).bind(university_id).bind(department_id).fetch_all(p).await?),
        )
    }

    /// Students of a university (optionally one department) with their verdict in the
    /// campaign; `verdict` filters (e.g. `must`), `missing_only` keeps those not collected.
    pub async fn campaign_students(
        &self,
        campaign_id: i64,
        university_id: i64,
        department_id: Option<i64>,
        verdict: Option<&str>,
        missing_only: bool,
    ) -> Result<Vec<VerdictRow>, DbError> {
        let cols: String = STUDENT_COLS
            .split(',')
            .map(|c| format!("s.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {cols}, e.verdict, e.reason_code, e.reason_zh, e.reason_en, (c.id IS NOT NULL) AS collected \
             FROM students s \
             LEFT JOIN eligibility e ON e.student_id = s.id AND e.campaign_id = $1 \
             LEFT JOIN collections c ON c.student_id = s.id AND c.campaign_id = $1 \
             WHERE s.university_id = $2 AND ($3 IS NULL OR s.department_id = $3) \
             AND ($4 IS NULL OR e.verdict = $4) AND ($5 = FALSE OR c.id IS NULL) \
             ORDER BY s.department_id, s.student_no"
        );
        let sql = match self {
            Db::Sqlite(_) => sql,
            Db::Postgres(_) => sql
                .replace("($3 IS NULL", "($3::BIGINT IS NULL")
                .replace("($4 IS NULL", "($4::TEXT IS NULL"),
        };
        Ok(with_pool!(self, p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).bind(campaign_id).bind(university_id).bind(department_id)
                .bind(verdict).bind(missing_only).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                let student = sqlx::FromRow::from_row(r)?;
                let v: VerdictCols = sqlx::FromRow::from_row(r)?;
                out.push(VerdictRow { student, verdict: v.verdict, reason_code: v.reason_code,
                    reason_zh: v.reason_zh, reason_en: v.reason_en, collected: v.collected });
            }
            out
        }))
    }
}
