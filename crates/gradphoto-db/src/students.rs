//! The roster: students of a university. ID numbers arrive here already encrypted, with
//! their blind index and masked form; this layer never sees a clear ID number.

use serde::Serialize;

use crate::audit::{NewAudit, insert_audit};
use crate::rows::impl_from_row;
use crate::{Db, DbError, now_ms, with_pool, write_tx};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StudentRow {
    pub id: i64,
    pub university_id: i64,
    pub department_id: i64,
    pub student_no: String,
    pub name: String,
    pub id_type: String,
    #[serde(skip)]
    pub id_enc: Vec<u8>,
    #[serde(skip)]
    pub id_blind: String,
    pub id_masked: String,
    pub level: String,
    pub cert_type: String,
    pub grad_kind: String,
    pub expected_graduation: String,
    pub overseas_class: bool,
    pub master_to_phd: bool,
    pub delayed: bool,
    pub early_graduation_pending: bool,
    pub prior_date: Option<String>,
    pub prior_level: Option<String>,
    pub campus: Option<String>,
    pub major: Option<String>,
    /// 学习方式: in-service (非全日制, 在职).
    pub in_service: bool,
    pub content_hash: String,
    pub created_at: i64,
    pub updated_at: i64,
}
impl_from_row!(StudentRow {
    id,
    university_id,
    department_id,
    student_no,
    name,
    id_type,
    id_enc,
    id_blind,
    id_masked,
    level,
    cert_type,
    grad_kind,
    expected_graduation,
    overseas_class,
    master_to_phd,
    delayed,
    early_graduation_pending,
    prior_date,
    prior_level,
    campus,
    major,
    in_service,
    content_hash,
    created_at,
    updated_at
});

/// A student as written by an import. `content_hash` covers every imported field (and
/// the clear ID number, hashed with a key) so that re-importing an unchanged row is a
/// no-op that can be detected without decrypting anything.
#[derive(Debug, Clone)]
pub struct StudentWrite {
    pub department_id: i64,
    pub student_no: String,
    pub name: String,
    pub id_type: String,
    pub id_enc: Vec<u8>,
    pub id_blind: String,
    pub id_masked: String,
    pub level: String,
    pub cert_type: String,
    pub grad_kind: String,
    pub expected_graduation: String,
    pub overseas_class: bool,
    pub master_to_phd: bool,
    pub delayed: bool,
    pub early_graduation_pending: bool,
    pub prior_date: Option<String>,
    pub prior_level: Option<String>,
    pub campus: Option<String>,
    pub major: Option<String>,
    pub in_service: bool,
    pub content_hash: String,
}

/// What an import changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportCounts {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
}

/// Which students to list.
#[derive(Debug, Clone, Default)]
pub struct StudentFilter {
    pub university_id: i64,
    pub department_id: Option<i64>,
    /// Substring of the student number or name.
    pub search: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

pub(crate) const STUDENT_COLS: &str = "id, university_id, department_id, student_no, name, id_type, id_enc, id_blind, id_masked, \
    level, cert_type, grad_kind, expected_graduation, overseas_class, master_to_phd, delayed, \
    early_graduation_pending, prior_date, prior_level, campus, major, in_service, content_hash, created_at, updated_at";

const UPDATE_SQL: &str = "UPDATE students SET department_id = $1, name = $2, id_type = $3, id_enc = $4, id_blind = $5, \
    id_masked = $6, level = $7, cert_type = $8, grad_kind = $9, expected_graduation = $10, overseas_class = $11, \
    master_to_phd = $12, delayed = $13, early_graduation_pending = $14, prior_date = $15, prior_level = $16, \
    campus = $17, major = $18, content_hash = $19, in_service = $20, updated_at = $21 WHERE id = $22";

const INSERT_SQL: &str = "INSERT INTO students (department_id, name, id_type, id_enc, id_blind, id_masked, level, cert_type, \
    grad_kind, expected_graduation, overseas_class, master_to_phd, delayed, early_graduation_pending, prior_date, \
    prior_level, campus, major, content_hash, in_service, updated_at, created_at, university_id, student_no) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)";

macro_rules! bind_write {
    ($q:expr, $s:expr) => {
        $q.bind($s.department_id)
            .bind(&$s.name)
            .bind(&$s.id_type)
            .bind(&$s.id_enc)
            .bind(&$s.id_blind)
            .bind(&$s.id_masked)
            .bind(&$s.level)
            .bind(&$s.cert_type)
            .bind(&$s.grad_kind)
            .bind(&$s.expected_graduation)
            .bind($s.overseas_class)
            .bind($s.master_to_phd)
            .bind($s.delayed)
            .bind($s.early_graduation_pending)
            .bind(&$s.prior_date)
            .bind(&$s.prior_level)
            .bind(&$s.campus)
            .bind(&$s.major)
            .bind(&$s.content_hash)
            .bind($s.in_service)
    };
}

impl Db {
    /// Writes a whole import in one transaction, matching rows by student number:
    /// unchanged rows are left alone, changed rows updated, new rows inserted. Either every
    /// row is written or none is. The audit entry commits with the data.
    pub async fn import_students(
        &self,
        university_id: i64,
        rows: &[StudentWrite],
        audit: &NewAudit,
    ) -> Result<ImportCounts, DbError> {
        let now = now_ms();
        let mut counts = ImportCounts::default();
        write_tx!(self, tx => {
            for s in rows {
                let existing: Option<(i64, String)> = sqlx::query_as(
                    "SELECT id, content_hash FROM students WHERE university_id = $1 AND student_no = $2")
                    .bind(university_id).bind(&s.student_no)
                    .fetch_optional(&mut *tx).await?;
                match existing {
                    Some((_, hash)) if hash == s.content_hash => counts.unchanged += 1,
                    Some((id, _)) => {
                        bind_write!(sqlx::query(UPDATE_SQL), s).bind(now).bind(id).execute(&mut *tx).await?;
                        counts.updated += 1;
                    }
                    None => {
                        bind_write!(sqlx::query(INSERT_SQL), s)
                            .bind(now).bind(now).bind(university_id).bind(&s.student_no)
                            .execute(&mut *tx).await?;
                        counts.inserted += 1;
                    }
                }
            }
            if counts.inserted + counts.updated > 0 {
                let mut a = audit.clone();
                a.after = Some(serde_json::json!({
                    "inserted": counts.inserted, "updated": counts.updated, "unchanged": counts.unchanged,
                }));
                insert_audit!(&mut *tx, &a);
            }
        });
        Ok(counts)
    }

    pub async fn list_students(&self, f: &StudentFilter) -> Result<Vec<StudentRow>, DbError> {
        let pattern = f
            .search
            .as_ref()
            .map(|s| format!("%{}%", s.replace(['%', '_'], "")));
        let sql = format!(
            "SELECT {STUDENT_COLS} FROM students WHERE university_id = $1 \
             AND ($2 IS NULL OR department_id = $2) \
             AND ($3 IS NULL OR student_no LIKE $3 OR name LIKE $3) \
             ORDER BY department_id, student_no LIMIT $4 OFFSET $5"
        );
        let sql = cast_nulls(self, &sql);
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(f.university_id).bind(f.department_id).bind(&pattern).bind(f.limit).bind(f.offset)
            .fetch_all(p).await?),
        )
    }

    pub async fn count_students(
        &self,
        university_id: i64,
        department_id: Option<i64>,
    ) -> Result<i64, DbError> {
        let sql = cast_nulls(
            self,
            "SELECT COUNT(*) FROM students WHERE university_id = $1 AND ($2 IS NULL OR department_id = $2)",
        );
        let (n,): (i64,) = with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(university_id).bind(department_id).fetch_one(p).await?);
        Ok(n)
    }

    /// Every student of a university, for eligibility and exports.
    pub async fn all_students(&self, university_id: i64) -> Result<Vec<StudentRow>, DbError> {
        let sql = format!(
            "SELECT {STUDENT_COLS} FROM students WHERE university_id = $1 ORDER BY department_id, student_no"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(university_id).fetch_all(p).await?),
        )
    }

    pub async fn get_student(&self, id: i64) -> Result<StudentRow, DbError> {
        let sql = format!("SELECT {STUDENT_COLS} FROM students WHERE id = $1");
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(id).fetch_one(p).await?),
        )
    }

    /// A university's students whose masked ID number is this one (what a collection code
    /// carries); the desk narrows them down by the code's other claims.
    pub async fn find_students_by_masked_id(
        &self,
        university_id: i64,
        id_masked: &str,
    ) -> Result<Vec<StudentRow>, DbError> {
        let sql = format!(
            "SELECT {STUDENT_COLS} FROM students WHERE university_id = $1 AND id_masked = $2 \
             ORDER BY id"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(university_id).bind(id_masked).fetch_all(p).await?),
        )
    }

    /// Students whose ID number has this blind index (the same person may appear at
    /// several universities or levels).
    pub async fn find_students_by_blind(&self, blind: &str) -> Result<Vec<StudentRow>, DbError> {
        let sql = format!("SELECT {STUDENT_COLS} FROM students WHERE id_blind = $1 ORDER BY id");
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(blind).fetch_all(p).await?),
        )
    }
}

/// PostgreSQL cannot infer the type of a parameter used only in `$n IS NULL`; give it one.
pub(crate) fn cast_nulls(db: &Db, sql: &str) -> String {
    match db {
        Db::Sqlite(_) => sql.to_string(),
        Db::Postgres(_) => sql
            .replace(
                "($2 IS NULL OR department_id = $2)",
                "($2::BIGINT IS NULL OR department_id = $2)",
            )
            .replace("($3 IS NULL OR", "($3::TEXT IS NULL OR"),
    }
}
