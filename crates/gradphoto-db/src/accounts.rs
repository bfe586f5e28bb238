//! Staff accounts, server-side sessions and login attempts (for throttling).
//!
//! Session tokens are stored only as their SHA-256 hash, so a database leak does not
//! hand out live sessions.

use serde::Serialize;

use crate::audit::{NewAudit, insert_audit};
use crate::rows::impl_from_row;
use crate::{Db, DbError, now_ms, with_pool, write_tx};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StaffRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    #[serde(skip)]
    pub password_hash: String,
    pub role: String,
    pub university_id: Option<i64>,
    pub department_id: Option<i64>,
    pub disabled: bool,
    pub created_at: i64,
}
impl_from_row!(StaffRow {
    id,
    username,
    display_name,
    password_hash,
    role,
    university_id,
    department_id,
    disabled,
    created_at
});

#[derive(Debug, Clone)]
pub struct NewStaff<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub role: &'a str,
    pub university_id: Option<i64>,
    pub department_id: Option<i64>,
}

const STAFF_COLS: &str = "id, username, display_name, password_hash, role, university_id, department_id, disabled, created_at";

impl Db {
    /// Creates an account and records it in the audit log, atomically.
    pub async fn create_staff(
        &self,
        s: &NewStaff<'_>,
        audit: &NewAudit,
    ) -> Result<StaffRow, DbError> {
        let sql = format!(
            "INSERT INTO staff_accounts (username, display_name, password_hash, role, university_id, department_id, disabled, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, FALSE, $7) RETURNING {STAFF_COLS}"
        );
        let row = write_tx!(self, tx => {
            let row: StaffRow = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(s.username).bind(s.display_name).bind(s.password_hash).bind(s.role)
                .bind(s.university_id).bind(s.department_id).bind(now_ms())
                .fetch_one(&mut *tx).await?;
            let mut a = audit.clone();
            a.target_id = Some(row.id.to_string());
            insert_audit!(&mut *tx, &a);
            row
        });
        Ok(row)
    }

    pub async fn find_staff_by_username(
        &self,
        username: &str,
    ) -> Result<Option<StaffRow>, DbError> {
        let sql = format!("SELECT {STAFF_COLS} FROM staff_accounts WHERE username = $1");
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(username).fetch_optional(p).await?),
        )
    }

    pub async fn get_staff(&self, id: i64) -> Result<StaffRow, DbError> {
        let sql = format!("SELECT {STAFF_COLS} FROM staff_accounts WHERE id = $1");
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(id).fetch_one(p).await?),
        )
    }

    /// Accounts of one university, or all accounts when `None`.
    pub async fn list_staff(&self, university_id: Option<i64>) -> Result<Vec<StaffRow>, DbError> {
        Ok(match university_id {
            Some(u) => {
                let sql = format!(
                    "SELECT {STAFF_COLS} FROM staff_accounts WHERE university_id = $1 ORDER BY username"
                );
                with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(u).fetch_all(p).await?)
            }
            None => {
                let sql = format!("SELECT {STAFF_COLS} FROM staff_accounts ORDER BY username");
                with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).fetch_all(p).await?)
            }
        })
    }

    pub async fn set_staff_password(
        &self,
        id: i64,
        password_hash: &str,
        audit: &NewAudit,
    ) -> Result<(), DbError> {
        write_tx!(self, tx => {
            let n = sqlx::query("UPDATE staff_accounts SET password_hash = $1 WHERE id = $2")
                .bind(password_hash).bind(id).execute(&mut *tx).await?.rows_affected();
            if n == 0 { return Err(DbError::NotFound); }
            insert_audit!(&mut *tx, audit);
        });
        Ok(())
    }

    /// Disables or re-enables an account; disabling also ends its sessions.
    pub async fn set_staff_disabled(
        &self,
        id: i64,
        disabled: bool,
        audit: &NewAudit,
    ) -> Result<(), DbError> {
        write_tx!(self, tx => {
            let n = sqlx::query("UPDATE staff_accounts SET disabled = $1 WHERE id = $2")
                .bind(disabled).bind(id).execute(&mut *tx).await?.rows_affected();
            if n == 0 { return Err(DbError::NotFound); }
            if disabled {
                sqlx::query("DELETE FROM sessions WHERE account_id = $1").bind(id).execute(&mut *tx).await?;
            }
            insert_audit!(&mut *tx, audit);
        });
        Ok(())
    }

    /// Ends every session of an account except the one with `keep` (its token hash).
    pub async fn end_other_sessions(&self, account_id: i64, keep: &str) -> Result<u64, DbError> {
        Ok(
            with_pool!(self, p => sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND token_hash <> $2")
            .bind(account_id).bind(keep).execute(p).await?.rows_affected()),
        )
    }

    // ---- sessions ----

    pub async fn create_session(
        &self,
        token_hash: &str,
        account_id: i64,
        ttl_ms: i64,
        ip: Option<&str>,
    ) -> Result<(), DbError> {
        let now = now_ms();
        with_pool!(self, p => {
            sqlx::query("INSERT INTO sessions (token_hash, account_id, created_at, expires_at, ip) VALUES ($1, $2, $3, $4, $5)")
                .bind(token_hash).bind(account_id).bind(now).bind(now + ttl_ms).bind(ip)
                .execute(p).await?;
        });
        Ok(())
    }

    /// The account behind a live session, or `None` if unknown, expired or disabled.
    pub async fn session_account(&self, token_hash: &str) -> Result<Option<StaffRow>, DbError> {
        let sql = format!(
            "SELECT {} FROM sessions s JOIN staff_accounts a ON a.id = s.account_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND a.disabled = FALSE",
            crate::rows::qualified(STAFF_COLS, "a")
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(token_hash).bind(now_ms()).fetch_optional(p).await?),
        )
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<(), DbError> {
        with_pool!(self, p => { sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(p).await?; });
        Ok(())
    }

    /// Removes expired sessions and login attempts older than `keep_attempts_ms`.
    pub async fn purge_expired(&self, keep_attempts_ms: i64) -> Result<u64, DbError> {
        let now = now_ms();
        Ok(with_pool!(self, p => {
            let a = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now).execute(p).await?.rows_affected();
            let b = sqlx::query("DELETE FROM login_attempts WHERE at < $1").bind(now - keep_attempts_ms).execute(p).await?.rows_affected();
            a + b
        }))
    }

    // ---- login throttling ----

    pub async fn record_login_attempt(
        &self,
        username: &str,
        ip: &str,
        success: bool,
    ) -> Result<(), DbError> {
        with_pool!(self, p => {
            sqlx::query("INSERT INTO login_attempts (username, ip, at, success) VALUES ($1, $2, $3, $4)")
                .bind(username).bind(ip).bind(now_ms()).bind(success).execute(p).await?;
        });
        Ok(())
    }

    /// Failed attempts since `since_ms` for this username and for this IP address.
    pub async fn failed_logins_since(
        &self,
        username: &str,
        ip: &str,
        since_ms: i64,
    ) -> Result<(i64, i64), DbError> {
        Ok(with_pool!(self, p => {
            let (u,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM login_attempts WHERE username = $1 AND at >= $2 AND success = FALSE \
                 AND at > COALESCE((SELECT MAX(at) FROM login_attempts WHERE username = $1 AND success = TRUE), 0)")
                .bind(username).bind(since_ms).fetch_one(p).await?;
            let (i,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM login_attempts WHERE ip = $1 AND at >= $2 AND success = FALSE")
                .bind(ip).bind(since_ms).fetch_one(p).await?;
            (u, i)
        }))
    }
}
