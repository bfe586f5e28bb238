//! The agency's side of the registry link: credentials (encrypted by the caller), the
//! cached key set, and the outbox of photos waiting for or answered by the registry.

use serde::Serialize;

use crate::rows::impl_from_row;
use crate::{Db, DbError, now_ms, with_pool};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxRow {
    pub id: i64,
    pub code: String,
    pub code_id: String,
    /// The standardized photo in the agency's object store.
    pub photo_key: String,
    pub background: String,
    /// `pending` (to deliver), `answered` (the registry gave a verdict) or `refused` (the
    /// registry refused the submission itself: a revoked code, …; a person must act).
    pub status: String,
    /// `accepted` or `rejected`, once answered.
    pub verdict: Option<String>,
    pub result_json: Option<String>,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}
impl_from_row!(OutboxRow {
    id,
    code,
    code_id,
    photo_key,
    background,
    status,
    verdict,
    result_json,
    attempts,
    last_error,
    created_by,
    created_at,
    updated_at
});

const COLS: &str = "id, code, code_id, photo_key, background, status, verdict, result_json, attempts, \
    last_error, created_by, created_at, updated_at";

/// A cached copy of the registry's key set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedKeys {
    pub keys_json: String,
    pub etag: Option<String>,
    pub fetched_at: i64,
}

impl Db {
    pub async fn registry_credential(&self, scope: &str) -> Result<Option<Vec<u8>>, DbError> {
        let row: Option<(Vec<u8>,)> = with_pool!(self, p => sqlx::query_as(
            "SELECT token_enc FROM registry_credentials WHERE scope = $1").bind(scope).fetch_optional(p).await?);
        Ok(row.map(|r| r.0))
    }

    pub async fn put_registry_credential(
        &self,
        scope: &str,
        token_enc: &[u8],
    ) -> Result<(), DbError> {
        with_pool!(self, p => sqlx::query(
            "INSERT INTO registry_credentials (scope, token_enc, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (scope) DO UPDATE SET token_enc = excluded.token_enc, updated_at = excluded.updated_at")
            .bind(scope).bind(token_enc).bind(now_ms()).execute(p).await?.rows_affected());
        Ok(())
    }

    pub async fn cached_registry_keys(&self, url: &str) -> Result<Option<CachedKeys>, DbError> {
        let row: Option<(String, Option<String>, i64)> = with_pool!(self, p => sqlx::query_as(
            "SELECT keys_json, etag, fetched_at FROM registry_key_cache WHERE url = $1")
            .bind(url).fetch_optional(p).await?);
        Ok(row.map(|(keys_json, etag, fetched_at)| CachedKeys {
            keys_json,
            etag,
            fetched_at,
        }))
    }

    pub async fn cache_registry_keys(
        &self,
        url: &str,
        keys_json: &str,
        etag: Option<&str>,
    ) -> Result<(), DbError> {
        with_pool!(self, p => sqlx::query(
            "INSERT INTO registry_key_cache (url, keys_json, etag, fetched_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (url) DO UPDATE SET keys_json = excluded.keys_json, etag = excluded.etag, \
             fetched_at = excluded.fetched_at")
            .bind(url).bind(keys_json).bind(etag).bind(now_ms()).execute(p).await?.rows_affected());
        Ok(())
    }

    /// Marks the cached keys fresh again (the registry answered 304 Not Modified).
    pub async fn touch_registry_keys(&self, url: &str) -> Result<(), DbError> {
        with_pool!(self, p => sqlx::query("UPDATE registry_key_cache SET fetched_at = $1 WHERE url = $2")
            .bind(now_ms()).bind(url).execute(p).await?.rows_affected());
        Ok(())
    }

    /// Adds a photo to the outbox (its file is already stored).
    pub async fn insert_outbox(
        &self,
        code: &str,
        code_id: &str,
        photo_key: &str,
        background: &str,
        created_by: &str,
    ) -> Result<OutboxRow, DbError> {
        let now = now_ms();
        let sql = format!(
            "INSERT INTO registry_outbox (code, code_id, photo_key, background, status, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 'pending', $5, $6, $6) RETURNING {COLS}"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(code).bind(code_id).bind(photo_key).bind(background).bind(created_by).bind(now)
            .fetch_one(p).await?),
        )
    }

    pub async fn outbox(&self, id: i64) -> Result<OutboxRow, DbError> {
        let sql = format!("SELECT {COLS} FROM registry_outbox WHERE id = $1");
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(id).fetch_one(p).await?),
        )
    }

    /// Rows still to deliver, oldest first.
    pub async fn pending_outbox(&self, limit: i64) -> Result<Vec<OutboxRow>, DbError> {
        let sql = format!(
            "SELECT {COLS} FROM registry_outbox WHERE status = 'pending' ORDER BY id LIMIT $1"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(limit).fetch_all(p).await?),
        )
    }

    /// The latest rows, newest first.
    pub async fn recent_outbox(&self, limit: i64) -> Result<Vec<OutboxRow>, DbError> {
        let sql = format!("SELECT {COLS} FROM registry_outbox ORDER BY id DESC LIMIT $1");
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(limit).fetch_all(p).await?),
        )
    }

    /// The outbox rows for one code, newest first (the desk shows a student's history).
    pub async fn outbox_for_code(&self, code_id: &str) -> Result<Vec<OutboxRow>, DbError> {
        let sql = format!("SELECT {COLS} FROM registry_outbox WHERE code_id = $1 ORDER BY id DESC");
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(code_id).fetch_all(p).await?),
        )
    }

    /// Records a failed attempt; the row stays pending.
    /// Whether a photo for this code is on its way to the registry or was accepted there:
    /// such a student is photographed and is not numbered again. A photo the registry
    /// rejected or refused does not count.
    pub async fn code_photographed(&self, code_id: &str) -> Result<bool, DbError> {
        let hit: Option<(i64,)> = with_pool!(self, p => sqlx::query_as(
            "SELECT id FROM registry_outbox WHERE code_id = $1 \
             AND (status = 'pending' OR (status = 'answered' AND verdict = 'accepted')) LIMIT 1")
            .bind(code_id).fetch_optional(p).await?);
        Ok(hit.is_some())
    }

    pub async fn outbox_attempt_failed(&self, id: i64, error: &str) -> Result<(), DbError> {
        with_pool!(self, p => sqlx::query(
            "UPDATE registry_outbox SET attempts = attempts + 1, last_error = $1, updated_at = $2 \
             WHERE id = $3 AND status = 'pending'")
            .bind(error).bind(now_ms()).bind(id).execute(p).await?.rows_affected());
        Ok(())
    }

    /// Records the registry's answer (`answered` with a verdict, or `refused`). Only a
    /// pending row changes: an answer is final and never overwritten.
    pub async fn outbox_finish(
        &self,
        id: i64,
        status: &str,
        verdict: Option<&str>,
        result_json: &str,
    ) -> Result<bool, DbError> {
        let n = with_pool!(self, p => sqlx::query(
            "UPDATE registry_outbox SET status = $1, verdict = $2, result_json = $3, attempts = attempts + 1, \
             last_error = NULL, updated_at = $4 WHERE id = $5 AND status = 'pending'")
            .bind(status).bind(verdict).bind(result_json).bind(now_ms()).bind(id)
            .execute(p).await?.rows_affected());
        Ok(n == 1)
    }
}
