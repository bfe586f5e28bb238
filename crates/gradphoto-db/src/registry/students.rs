//! The registry's copy of student status (学籍), as reported by each school.

use serde::Serialize;

use crate::rows::impl_from_row;
use crate::{Db, DbError, now_ms, with_pool, write_tx};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegStudentRow {
    pub id: i64,
    pub school_code: String,
    pub enrolment_id: String,
    pub level: String,
    /// `YYYY-MM`.
    pub expected_graduation: String,
    pub department: String,
    pub name_masked: String,
    pub id_masked: String,
    #[serde(skip)]
    pub person_hash: String,
    #[serde(skip)]
    pub name_hash: String,
    pub reported_at: i64,
    pub updated_at: i64,
}
impl_from_row!(RegStudentRow {
    id,
    school_code,
    enrolment_id,
    level,
    expected_graduation,
    department,
    name_masked,
    id_masked,
    person_hash,
    name_hash,
    reported_at,
    updated_at
});

/// One student as a school reports it, already reduced to masked forms and keyed hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegStudentWrite {
    pub enrolment_id: String,
    pub level: String,
    pub expected_graduation: String,
    pub department: String,
    pub name_masked: String,
    pub id_masked: String,
    pub person_hash: String,
    pub name_hash: String,
}

/// What a report changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ReportCounts {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
}

const COLS: &str = "id, school_code, enrolment_id, level, expected_graduation, department, name_masked, \
    id_masked, person_hash, name_hash, reported_at, updated_at";

impl Db {
    /// Writes a school's report in one transaction, matching by enrolment id. A student
    /// whose identity (person or name hash) changes keeps the row: the school corrected
    /// its data, and the codes already issued stay bound to the enrolment.
    pub async fn registry_report_students(
        &self,
        school_code: &str,
        rows: &[RegStudentWrite],
    ) -> Result<ReportCounts, DbError> {
        let now = now_ms();
        let mut counts = ReportCounts::default();
        let select = format!(
            "SELECT {COLS} FROM registry_students WHERE school_code = $1 AND enrolment_id = $2"
        );
        write_tx!(self, tx => {
            for s in rows {
                let existing: Option<RegStudentRow> = sqlx::query_as(sqlx::AssertSqlSafe(select.as_str()))
                    .bind(school_code).bind(&s.enrolment_id)
                    .fetch_optional(&mut *tx).await?;
                match existing {
                    Some(e) if same(&e, s) => counts.unchanged += 1,
                    Some(e) => {
                        sqlx::query("UPDATE registry_students SET level = $1, expected_graduation = $2, \
                            department = $3, name_masked = $4, id_masked = $5, person_hash = $6, name_hash = $7, \
                            updated_at = $8 WHERE id = $9")
                            .bind(&s.level).bind(&s.expected_graduation).bind(&s.department)
                            .bind(&s.name_masked).bind(&s.id_masked).bind(&s.person_hash).bind(&s.name_hash)
                            .bind(now).bind(e.id).execute(&mut *tx).await?;
                        counts.updated += 1;
                    }
                    None => {
                        sqlx::query("INSERT INTO registry_students (school_code, enrolment_id, level, \
                            expected_graduation, department, name_masked, id_masked, person_hash, name_hash, \
                            reported_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)")
                            .bind(school_code).bind(&s.enrolment_id).bind(&s.level).bind(&s.expected_graduation)
                            .bind(&s.department).bind(&s.name_masked).bind(&s.id_masked).bind(&s.person_hash)
                            .bind(&s.name_hash).bind(now).execute(&mut *tx).await?;
                        counts.inserted += 1;
                    }
                }
            }
        });
        Ok(counts)
    }

    pub async fn registry_student(&self, id: i64) -> Result<RegStudentRow, DbError> {
        let sql = format!("SELECT {COLS} FROM registry_students WHERE id = $1");
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(id).fetch_one(p).await?),
        )
    }

    pub async fn registry_student_by_enrolment(
        &self,
        school_code: &str,
        enrolment_id: &str,
    ) -> Result<Option<RegStudentRow>, DbError> {
        let sql = format!(
            "SELECT {COLS} FROM registry_students WHERE school_code = $1 AND enrolment_id = $2"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(school_code).bind(enrolment_id).fetch_optional(p).await?),
        )
    }

    /// A person's enrolments at one school (a master's student may also hold the
    /// bachelor's record), for the student's sign-in.
    pub async fn registry_students_of_person(
        &self,
        school_code: &str,
        person_hash: &str,
    ) -> Result<Vec<RegStudentRow>, DbError> {
        let sql = format!(
            "SELECT {COLS} FROM registry_students WHERE school_code = $1 AND person_hash = $2 ORDER BY id"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(school_code).bind(person_hash).fetch_all(p).await?),
        )
    }
}

fn same(e: &RegStudentRow, s: &RegStudentWrite) -> bool {
    e.level == s.level
        && e.expected_graduation == s.expected_graduation
        && e.department == s.department
        && e.name_masked == s.name_masked
        && e.id_masked == s.id_masked
        && e.person_hash == s.person_hash
        && e.name_hash == s.name_hash
}
