//! Students' accounts for online collection: created at the first login, with the consents
//! given then, and their sessions.

use crate::{Db, DbError, now_ms, with_pool, write_tx};

/// A logged-in student.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StudentAccount {
    pub id: i64,
    pub phone: String,
}

impl Db {
    /// Logs a student in, in one transaction: the account (made on first login), the
    /// consents given on this login (a document version already accepted is kept as
    /// first given), and a new session.
    pub async fn student_login(
        &self,
        phone: &str,
        consents: &[(&str, &str)],
        ip: &str,
        token_hash: &str,
        ttl_ms: i64,
    ) -> Result<StudentAccount, DbError> {
        let now = now_ms();
        Ok(write_tx!(self, tx => {
            sqlx::query(
                "INSERT INTO student_accounts (phone, created_at, last_login_at) VALUES ($1, $2, $2) \
                 ON CONFLICT (phone) DO UPDATE SET last_login_at = excluded.last_login_at")
                .bind(phone).bind(now).execute(&mut *tx).await?;
            let (id,): (i64,) = sqlx::query_as("SELECT id FROM student_accounts WHERE phone = $1")
                .bind(phone).fetch_one(&mut *tx).await?;
            for (document, version) in consents {
                sqlx::query(
                    "INSERT INTO student_consents (account_id, document, version, accepted_at, ip) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account_id, document, version) DO NOTHING")
                    .bind(id).bind(document).bind(version).bind(now).bind(ip)
                    .execute(&mut *tx).await?;
            }
            sqlx::query(
                "INSERT INTO student_sessions (token_hash, account_id, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4)")
                .bind(token_hash).bind(id).bind(now).bind(now + ttl_ms)
                .execute(&mut *tx).await?;
            StudentAccount { id, phone: phone.to_string() }
        }))
    }

    /// The account of a live session.
    pub async fn student_session(
        &self,
        token_hash: &str,
    ) -> Result<Option<StudentAccount>, DbError> {
        let row: Option<(i64, String)> = with_pool!(self, p => sqlx::query_as(
            "SELECT a.id, a.phone FROM student_sessions s JOIN student_accounts a ON a.id = s.account_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2")
            .bind(token_hash).bind(now_ms()).fetch_optional(p).await?);
        Ok(row.map(|(id, phone)| StudentAccount { id, phone }))
    }

    /// The account of a phone number (11 digits), if it ever logged in.
    pub async fn student_account_by_phone(
        &self,
        phone: &str,
    ) -> Result<Option<StudentAccount>, DbError> {
        let row: Option<(i64, String)> = with_pool!(self, p => sqlx::query_as(
            "SELECT id, phone FROM student_accounts WHERE phone = $1")
            .bind(phone).fetch_optional(p).await?);
        Ok(row.map(|(id, phone)| StudentAccount { id, phone }))
    }

    /// Ends a session (and sweeps expired ones).
    pub async fn student_logout(&self, token_hash: &str) -> Result<(), DbError> {
        with_pool!(self, p => sqlx::query("DELETE FROM student_sessions WHERE token_hash = $1 OR expires_at < $2")
            .bind(token_hash).bind(now_ms()).execute(p).await?.rows_affected());
        Ok(())
    }

    /// The consents an account has given: (document, version, accepted_at).
    pub async fn student_consents(
        &self,
        account_id: i64,
    ) -> Result<Vec<(String, String, i64)>, DbError> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT document, version, accepted_at FROM student_consents WHERE account_id = $1 ORDER BY id")
            .bind(account_id).fetch_all(p).await?))
    }

    /// Moves an account to a new phone number (proven by a code sent to it). A number
    /// another account holds is a [`DbError::Conflict`].
    pub async fn change_student_phone(&self, account_id: i64, phone: &str) -> Result<(), DbError> {
        with_pool!(self, p => sqlx::query("UPDATE student_accounts SET phone = $2 WHERE id = $1")
            .bind(account_id).bind(phone).execute(p).await?.rows_affected());
        Ok(())
    }

    /// The phone a student account signs in with.
    pub async fn account_phone(&self, account_id: i64) -> Result<Option<String>, DbError> {
        let row: Option<(String,)> = with_pool!(self, p => sqlx::query_as(
            "SELECT phone FROM student_accounts WHERE id = $1")
            .bind(account_id).fetch_optional(p).await?);
        Ok(row.map(|(phone,)| phone))
    }
}
