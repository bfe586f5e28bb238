//! Rows of `online_photos`: what a student submitted online, and the agency's review.

use crate::audit::{NewAudit, insert_audit};
use crate::rows::impl_from_row;
use crate::{Db, DbError, now_ms, with_pool, write_tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnlinePhotoRow {
    pub id: i64,
    pub entry_id: i64,
    pub status: String,
    pub reasons_json: String,
    pub original_key: String,
    pub standard_key: String,
    pub background: String,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<i64>,
    pub review_reasons: Option<String>,
    pub resubmit_by: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// The registry outbox row it was sent as (0 while being sent).
    pub outbox_id: Option<i64>,
}
impl_from_row!(OnlinePhotoRow {
    id,
    entry_id,
    status,
    reasons_json,
    original_key,
    standard_key,
    background,
    reviewed_by,
    reviewed_at,
    review_reasons,
    resubmit_by,
    created_at,
    updated_at,
    outbox_id
});

/// A new submission, its images already stored.
#[derive(Debug, Clone)]
pub struct NewOnlinePhoto<'a> {
    pub entry_id: i64,
    pub status: &'a str,
    pub reasons_json: &'a str,
    pub original_key: &'a str,
    pub standard_key: &'a str,
    pub background: &'a str,
}

/// A decision on a photo in review.
#[derive(Debug, Clone)]
pub struct ReviewWrite<'a> {
    pub to: &'a str,
    pub by: &'a str,
    pub reasons: Option<&'a str>,
    pub resubmit_by: Option<&'a str>,
}

const COLS: &str = "id, entry_id, status, reasons_json, original_key, standard_key, background, \
    reviewed_by, reviewed_at, review_reasons, resubmit_by, created_at, updated_at, outbox_id";

impl Db {
    /// Stores a submission and, in the same transaction, marks the entry's earlier photos
    /// superseded: the newest is the one that counts.
    pub async fn insert_online_photo(
        &self,
        p: &NewOnlinePhoto<'_>,
    ) -> Result<OnlinePhotoRow, DbError> {
        let now = now_ms();
        let sql = format!(
            "INSERT INTO online_photos (entry_id, status, reasons_json, original_key, \
             standard_key, background, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING {COLS}"
        );
        Ok(write_tx!(self, tx => {
            sqlx::query(
                "UPDATE online_photos SET status = 'superseded', updated_at = $2 \
                 WHERE entry_id = $1 AND status <> 'superseded'")
                .bind(p.entry_id).bind(now).execute(&mut *tx).await?;
            sqlx::query_as::<_, OnlinePhotoRow>(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(p.entry_id).bind(p.status).bind(p.reasons_json).bind(p.original_key)
                .bind(p.standard_key).bind(p.background).bind(now)
                .fetch_one(&mut *tx).await?
        }))
    }

    /// The entry's photo that counts (the newest), if any.
    pub async fn current_online_photo(
        &self,
        entry_id: i64,
    ) -> Result<Option<OnlinePhotoRow>, DbError> {
        let sql = format!(
            "SELECT {COLS} FROM online_photos WHERE entry_id = $1 ORDER BY id DESC LIMIT 1"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(entry_id).fetch_optional(p).await?),
        )
    }

    pub async fn get_online_photo(&self, id: i64) -> Result<OnlinePhotoRow, DbError> {
        let sql = format!("SELECT {COLS} FROM online_photos WHERE id = $1");
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(id).fetch_one(p).await?),
        )
    }

    /// Photos waiting for a person, oldest first.
    pub async fn online_review_queue(&self, limit: i64) -> Result<Vec<OnlinePhotoRow>, DbError> {
        let sql = format!(
            "SELECT {COLS} FROM online_photos WHERE status = 'in_review' ORDER BY id LIMIT $1"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(limit).fetch_all(p).await?),
        )
    }

    /// Records a review decision, only if the photo is still in review (two reviewers, or
    /// a retake meanwhile, make the second a [`DbError::Conflict`]), with its audit entry.
    pub async fn review_online_photo(
        &self,
        id: i64,
        w: &ReviewWrite<'_>,
        audit: &NewAudit,
    ) -> Result<OnlinePhotoRow, DbError> {
        let now = now_ms();
        let sql = format!(
            "UPDATE online_photos SET status = $2, reviewed_by = $3, reviewed_at = $4, \
             review_reasons = $5, resubmit_by = $6, updated_at = $4 \
             WHERE id = $1 AND status = 'in_review' RETURNING {COLS}"
        );
        Ok(write_tx!(self, tx => {
            let row: Option<OnlinePhotoRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(id).bind(w.to).bind(w.by).bind(now).bind(w.reasons).bind(w.resubmit_by)
                .fetch_optional(&mut *tx).await?;
            let Some(row) = row else {
                return Err(DbError::Conflict("photo no longer in review".into()));
            };
            insert_audit!(&mut *tx, audit);
            row
        }))
    }

    /// Claims a good photo for sending to the registry: `true` for the one caller that
    /// may send it (the mark is 0 until the outbox row exists).
    pub async fn claim_online_photo_for_registry(&self, id: i64) -> Result<bool, DbError> {
        let n = with_pool!(self, p => sqlx::query(
            "UPDATE online_photos SET outbox_id = 0, updated_at = $2 WHERE id = $1 \
             AND outbox_id IS NULL AND status IN ('checked', 'approved')")
            .bind(id).bind(now_ms()).execute(p).await?.rows_affected());
        Ok(n == 1)
    }

    /// Records the outbox row a claimed photo was sent as; `None` releases the claim
    /// (the send failed and will be tried again).
    pub async fn set_online_photo_outbox(
        &self,
        id: i64,
        outbox_id: Option<i64>,
    ) -> Result<(), DbError> {
        with_pool!(self, p => sqlx::query(
            "UPDATE online_photos SET outbox_id = $2, updated_at = $3 WHERE id = $1 AND outbox_id = 0")
            .bind(id).bind(outbox_id).bind(now_ms()).execute(p).await?.rows_affected());
        Ok(())
    }
}
