//! The registry's student sessions and the sign-in attempts that throttle guessing.

use crate::{Db, DbError, now_ms, with_pool};

/// A signed-in student: a person at one school.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegSession {
    pub school_code: String,
    pub person_hash: String,
    pub expires_at: i64,
}

impl Db {
    pub async fn registry_create_session(
        &self,
        token_hash: &str,
        school_code: &str,
        person_hash: &str,
        ttl_ms: i64,
    ) -> Result<(), DbError> {
        let now = now_ms();
        with_pool!(self, p => sqlx::query(
            "INSERT INTO registry_sessions (token_hash, school_code, person_hash, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)")
            .bind(token_hash).bind(school_code).bind(person_hash).bind(now).bind(now + ttl_ms)
            .execute(p).await?.rows_affected());
        Ok(())
    }

    /// The live session with this token hash.
    pub async fn registry_session(&self, token_hash: &str) -> Result<Option<RegSession>, DbError> {
        let row: Option<(String, String, i64)> = with_pool!(self, p => sqlx::query_as(
            "SELECT school_code, person_hash, expires_at FROM registry_sessions \
             WHERE token_hash = $1 AND expires_at > $2")
            .bind(token_hash).bind(now_ms()).fetch_optional(p).await?);
        Ok(
            row.map(|(school_code, person_hash, expires_at)| RegSession {
                school_code,
                person_hash,
                expires_at,
            }),
        )
    }

    pub async fn registry_delete_session(&self, token_hash: &str) -> Result<(), DbError> {
        with_pool!(self, p => sqlx::query("DELETE FROM registry_sessions WHERE token_hash = $1 OR expires_at < $2")
            .bind(token_hash).bind(now_ms()).execute(p).await?.rows_affected());
        Ok(())
    }

    pub async fn registry_record_sign_in(
        &self,
        ip: &str,
        person_hash: &str,
        success: bool,
    ) -> Result<(), DbError> {
        with_pool!(self, p => sqlx::query(
            "INSERT INTO registry_sign_in_attempts (ip, person_hash, at, success) VALUES ($1, $2, $3, $4)")
            .bind(ip).bind(person_hash).bind(now_ms()).bind(success).execute(p).await?.rows_affected());
        Ok(())
    }

    /// Failed sign-ins since `since`: (for this person, from this address).
    pub async fn registry_failed_sign_ins(
        &self,
        ip: &str,
        person_hash: &str,
        since: i64,
    ) -> Result<(i64, i64), DbError> {
        let (person,): (i64,) = with_pool!(self, p => sqlx::query_as(
            "SELECT COUNT(*) FROM registry_sign_in_attempts WHERE person_hash = $1 AND at >= $2 AND NOT success")
            .bind(person_hash).bind(since).fetch_one(p).await?);
        let (addr,): (i64,) = with_pool!(self, p => sqlx::query_as(
            "SELECT COUNT(*) FROM registry_sign_in_attempts WHERE ip = $1 AND at >= $2 AND NOT success")
            .bind(ip).bind(since).fetch_one(p).await?);
        Ok((person, addr))
    }

    /// Schools known to the registry (code, name), for the sign-in form.
    pub async fn registry_schools(&self) -> Result<Vec<(String, String)>, DbError> {
        let rows: Vec<(Option<String>, String)> = with_pool!(self, p => sqlx::query_as(
            "SELECT school_code, name FROM registry_clients WHERE kind = 'school' ORDER BY school_code")
            .fetch_all(p).await?);
        Ok(rows
            .into_iter()
            .filter_map(|(c, n)| Some((c?, n)))
            .collect())
    }
}
