//! A student's online collection in one campaign: the school (campaign) chosen, the
//! roster student found, the collection code bound. Rows of `online_entries`.

use crate::rows::impl_from_row;
use crate::{Db, DbError, now_ms, with_pool, write_tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnlineEntryRow {
    pub id: i64,
    pub account_id: i64,
    pub campaign_id: i64,
    pub student_id: Option<i64>,
    pub code_id: Option<String>,
    pub code_text: Option<String>,
    pub identity_failures: i64,
    pub identity_failed_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}
impl_from_row!(OnlineEntryRow {
    id,
    account_id,
    campaign_id,
    student_id,
    code_id,
    code_text,
    identity_failures,
    identity_failed_at,
    created_at,
    updated_at
});

const COLS: &str = "id, account_id, campaign_id, student_id, code_id, code_text, \
    identity_failures, identity_failed_at, created_at, updated_at";

impl Db {
    /// The account's entry it touched last: where the student is in the steps.
    pub async fn current_online_entry(
        &self,
        account_id: i64,
    ) -> Result<Option<OnlineEntryRow>, DbError> {
        let sql = format!(
            "SELECT {COLS} FROM online_entries WHERE account_id = $1 \
             ORDER BY updated_at DESC, id DESC LIMIT 1"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(account_id).fetch_optional(p).await?),
        )
    }

    pub async fn online_entry(&self, id: i64) -> Result<OnlineEntryRow, DbError> {
        let sql = format!("SELECT {COLS} FROM online_entries WHERE id = $1");
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(id).fetch_one(p).await?),
        )
    }

    /// Starts (or returns to) the account's entry in a campaign, making it current.
    pub async fn choose_online_campaign(
        &self,
        account_id: i64,
        campaign_id: i64,
    ) -> Result<OnlineEntryRow, DbError> {
        let now = now_ms();
        let sql =
            format!("SELECT {COLS} FROM online_entries WHERE account_id = $1 AND campaign_id = $2");
        Ok(write_tx!(self, tx => {
            sqlx::query(
                "INSERT INTO online_entries (account_id, campaign_id, created_at, updated_at) \
                 VALUES ($1, $2, $3, $3) \
                 ON CONFLICT (account_id, campaign_id) DO UPDATE SET updated_at = excluded.updated_at")
                .bind(account_id).bind(campaign_id).bind(now).execute(&mut *tx).await?;
            sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(account_id).bind(campaign_id).fetch_one(&mut *tx).await?
        }))
    }

    /// Records the roster student an identity lookup found (clearing the failures), or a
    /// failed lookup (`student_id` None) — one statement either way.
    pub async fn record_identity_lookup(
        &self,
        entry_id: i64,
        student_id: Option<i64>,
    ) -> Result<(), DbError> {
        let now = now_ms();
        with_pool!(self, p => match student_id {
            Some(s) => sqlx::query(
                "UPDATE online_entries SET student_id = $2, identity_failures = 0, \
                 identity_failed_at = NULL, updated_at = $3 WHERE id = $1 AND code_id IS NULL")
                .bind(entry_id).bind(s).bind(now).execute(p).await?.rows_affected(),
            None => sqlx::query(
                "UPDATE online_entries SET identity_failures = identity_failures + 1, \
                 identity_failed_at = $2, updated_at = $2 WHERE id = $1")
                .bind(entry_id).bind(now).execute(p).await?.rows_affected(),
        });
        Ok(())
    }

    /// Binds a verified code to the entry's student. Another account holding the same
    /// student bound in this campaign is a [`DbError::Conflict`].
    pub async fn bind_online_code(
        &self,
        entry_id: i64,
        code_id: &str,
        code_text: &str,
    ) -> Result<(), DbError> {
        let now = now_ms();
        let n = with_pool!(self, p => sqlx::query(
            "UPDATE online_entries SET code_id = $2, code_text = $3, updated_at = $4 \
             WHERE id = $1 AND student_id IS NOT NULL")
            .bind(entry_id).bind(code_id).bind(code_text).bind(now)
            .execute(p).await?.rows_affected());
        if n == 1 {
            Ok(())
        } else {
            Err(DbError::NotFound)
        }
    }

    /// Goes back to the identity step (a wrong student found, or a new code after the
    /// registry re-issued one): the student, the code and the photos kept for them are
    /// let go together.
    pub async fn reset_online_identity(&self, entry_id: i64) -> Result<(), DbError> {
        let now = now_ms();
        write_tx!(self, tx => {
            sqlx::query(
                "UPDATE online_entries SET student_id = NULL, code_id = NULL, code_text = NULL, \
                 updated_at = $2 WHERE id = $1")
                .bind(entry_id).bind(now).execute(&mut *tx).await?;
            sqlx::query(
                "UPDATE online_photos SET status = 'superseded', updated_at = $2 \
                 WHERE entry_id = $1 AND status <> 'superseded'")
                .bind(entry_id).bind(now).execute(&mut *tx).await?;
        });
        Ok(())
    }
}
