//! Collection codes: at most one live code per enrolment; re-issuing revokes the old one in
//! the same transaction, so there is never a moment with two live codes or none.

use serde::Serialize;

use crate::rows::impl_from_row;
use crate::{Db, DbError, now_ms, with_pool, write_tx};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegCodeRow {
    /// The code id (base64url), also in the signed payload.
    pub id: String,
    pub student_id: i64,
    /// The signing key's id.
    pub kid: String,
    /// The signed code text, as shown in the QR code.
    pub code: String,
    pub issued_at: i64,
    pub revoked_at: Option<i64>,
}
impl_from_row!(RegCodeRow {
    id,
    student_id,
    kid,
    code,
    issued_at,
    revoked_at
});

const COLS: &str = "id, student_id, kid, code, issued_at, revoked_at";

impl Db {
    /// The enrolment's live code, if one was issued.
    pub async fn registry_live_code(&self, student_id: i64) -> Result<Option<RegCodeRow>, DbError> {
        let sql = format!(
            "SELECT {COLS} FROM registry_codes WHERE student_id = $1 AND revoked_at IS NULL"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(student_id).fetch_optional(p).await?),
        )
    }

    pub async fn registry_code(&self, id: &str) -> Result<Option<RegCodeRow>, DbError> {
        let sql = format!("SELECT {COLS} FROM registry_codes WHERE id = $1");
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(id).fetch_optional(p).await?),
        )
    }

    /// Stores a newly signed code. With `replace`, the enrolment's live code (if any) is
    /// revoked first in the same transaction; without it, an existing live code is a
    /// [`DbError::Conflict`] (the caller lost a race and should read the live code).
    pub async fn registry_insert_code(
        &self,
        id: &str,
        student_id: i64,
        kid: &str,
        code: &str,
        replace: bool,
    ) -> Result<RegCodeRow, DbError> {
        let now = now_ms();
        let sql = format!(
            "INSERT INTO registry_codes (id, student_id, kid, code, issued_at) VALUES ($1, $2, $3, $4, $5) \
             RETURNING {COLS}"
        );
        Ok(write_tx!(self, tx => {
            if replace {
                sqlx::query("UPDATE registry_codes SET revoked_at = $1 WHERE student_id = $2 AND revoked_at IS NULL")
                    .bind(now).bind(student_id).execute(&mut *tx).await?;
            }
            sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(id).bind(student_id).bind(kid).bind(code).bind(now)
                .fetch_one(&mut *tx).await?
        }))
    }

    /// Every revoked code id, oldest first, for the published key set.
    pub async fn registry_revoked_code_ids(&self) -> Result<Vec<String>, DbError> {
        let rows: Vec<(String,)> = with_pool!(self, p => sqlx::query_as(
            "SELECT id FROM registry_codes WHERE revoked_at IS NOT NULL ORDER BY revoked_at, id")
            .fetch_all(p).await?);
        Ok(rows.into_iter().map(|r| r.0).collect())
    }
}
