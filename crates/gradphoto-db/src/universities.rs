//! Universities (tenants), their departments and campuses.

use serde::Serialize;

use crate::rows::impl_from_row;
use crate::{Db, DbError, now_ms, with_pool, write_tx};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UniversityRow {
    pub id: i64,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub created_at: i64,
}
impl_from_row!(UniversityRow {
    id,
    code,
    name_zh,
    name_en,
    created_at
});

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DepartmentRow {
    pub id: i64,
    pub university_id: i64,
    pub name: String,
    pub code: Option<String>,
}
impl_from_row!(DepartmentRow {
    id,
    university_id,
    name,
    code
});

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CampusRow {
    pub id: i64,
    pub university_id: i64,
    pub name: String,
}
impl_from_row!(CampusRow {
    id,
    university_id,
    name
});

#[derive(Debug, Clone)]
pub struct NewUniversity<'a> {
    pub code: &'a str,
    pub name_zh: &'a str,
    pub name_en: &'a str,
    /// (name, optional code)
    pub departments: &'a [(String, Option<String>)],
    pub campuses: &'a [String],
}

const UNI_COLS: &str = "id, code, name_zh, name_en, created_at";

impl Db {
    /// Creates a university with its departments and campuses in one transaction.
    pub async fn create_university(&self, u: &NewUniversity<'_>) -> Result<UniversityRow, DbError> {
        let now = now_ms();
        let row = write_tx!(self, tx => {
            let row: UniversityRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "INSERT INTO universities (code, name_zh, name_en, created_at) VALUES ($1, $2, $3, $4) RETURNING {UNI_COLS}")))
                .bind(u.code).bind(u.name_zh).bind(u.name_en).bind(now)
                .fetch_one(&mut *tx).await?;
            for (name, code) in u.departments {
                sqlx::query("INSERT INTO departments (university_id, name, code) VALUES ($1, $2, $3)")
                    .bind(row.id).bind(name).bind(code)
                    .execute(&mut *tx).await?;
            }
            for name in u.campuses {
                sqlx::query("INSERT INTO campuses (university_id, name) VALUES ($1, $2)")
                    .bind(row.id).bind(name)
                    .execute(&mut *tx).await?;
            }
            row
        });
        Ok(row)
    }

    pub async fn list_universities(&self) -> Result<Vec<UniversityRow>, DbError> {
        let sql = format!("SELECT {UNI_COLS} FROM universities ORDER BY code");
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).fetch_all(p).await?),
        )
    }

    pub async fn get_university(&self, id: i64) -> Result<UniversityRow, DbError> {
        let sql = format!("SELECT {UNI_COLS} FROM universities WHERE id = $1");
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(id).fetch_one(p).await?),
        )
    }

    pub async fn find_university_by_code(
        &self,
        code: &str,
    ) -> Result<Option<UniversityRow>, DbError> {
        let sql = format!("SELECT {UNI_COLS} FROM universities WHERE code = $1");
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(code).fetch_optional(p).await?),
        )
    }

    pub async fn list_departments(
        &self,
        university_id: i64,
    ) -> Result<Vec<DepartmentRow>, DbError> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT id, university_id, name, code FROM departments WHERE university_id = $1 ORDER BY id")
            .bind(university_id).fetch_all(p).await?))
    }

    pub async fn get_department(&self, id: i64) -> Result<DepartmentRow, DbError> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT id, university_id, name, code FROM departments WHERE id = $1")
            .bind(id).fetch_one(p).await?))
    }

    /// Adds a department and its audit entry in one transaction.
    pub async fn add_department_audited(
        &self,
        university_id: i64,
        name: &str,
        code: Option<&str>,
        audit: &crate::audit::NewAudit,
    ) -> Result<DepartmentRow, DbError> {
        Ok(write_tx!(self, tx => {
            let row: DepartmentRow = sqlx::query_as(
                "INSERT INTO departments (university_id, name, code) VALUES ($1, $2, $3) RETURNING id, university_id, name, code")
                .bind(university_id).bind(name).bind(code).fetch_one(&mut *tx).await?;
            let mut a = audit.clone();
            a.target_id = Some(row.id.to_string());
            crate::audit::insert_audit!(&mut *tx, &a);
            row
        }))
    }

    /// Adds a campus and its audit entry in one transaction.
    pub async fn add_campus_audited(
        &self,
        university_id: i64,
        name: &str,
        audit: &crate::audit::NewAudit,
    ) -> Result<CampusRow, DbError> {
        Ok(write_tx!(self, tx => {
            let row: CampusRow = sqlx::query_as(
                "INSERT INTO campuses (university_id, name) VALUES ($1, $2) RETURNING id, university_id, name")
                .bind(university_id).bind(name).fetch_one(&mut *tx).await?;
            let mut a = audit.clone();
            a.target_id = Some(row.id.to_string());
            crate::audit::insert_audit!(&mut *tx, &a);
            row
        }))
    }

    pub async fn list_campuses(&self, university_id: i64) -> Result<Vec<CampusRow>, DbError> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT id, university_id, name FROM campuses WHERE university_id = $1 ORDER BY id")
            .bind(university_id).fetch_all(p).await?))
    }
}
