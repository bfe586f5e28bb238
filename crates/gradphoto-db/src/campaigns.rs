//! Campaigns, the stored eligibility verdicts of their students, and collections (a student
//! photographed in a campaign; written by the collection flows of later issues).

use serde::Serialize;

use crate::audit::{NewAudit, insert_audit};
use crate::rows::impl_from_row;
use crate::{Db, DbError, now_ms, with_pool, write_tx};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CampaignRow {
    pub id: i64,
    pub university_id: i64,
    pub name: String,
    pub cohort: String,
    pub rules_json: String,
    pub modes_json: String,
    pub fee_fen: i64,
    pub contacts: String,
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
}
impl_from_row!(CampaignRow {
    id,
    university_id,
    name,
    cohort,
    rules_json,
    modes_json,
    fee_fen,
    contacts,
    status,
    created_at,
    updated_at
});

#[derive(Debug, Clone)]
pub struct CampaignWrite {
    pub name: String,
    pub cohort: String,
    pub rules_json: String,
    pub modes_json: String,
    pub fee_fen: i64,
    pub contacts: String,
}

/// One stored verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EligibilityWrite {
    pub student_id: i64,
    pub verdict: String,
    pub reason_code: String,
    pub reason_zh: String,
    pub reason_en: String,
}

const COLS: &str = "id, university_id, name, cohort, rules_json, modes_json, fee_fen, contacts, status, created_at, updated_at";

impl Db {
    pub async fn create_campaign(
        &self,
        university_id: i64,
        c: &CampaignWrite,
        audit: &NewAudit,
    ) -> Result<CampaignRow, DbError> {
        let now = now_ms();
        let sql = format!(
            "INSERT INTO campaigns (university_id, name, cohort, rules_json, modes_json, fee_fen, contacts, status, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'draft', $8, $8) RETURNING {COLS}"
        );
        Ok(write_tx!(self, tx => {
            let row: CampaignRow = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(university_id).bind(&c.name).bind(&c.cohort).bind(&c.rules_json).bind(&c.modes_json)
                .bind(c.fee_fen).bind(&c.contacts).bind(now)
                .fetch_one(&mut *tx).await?;
            let mut a = audit.clone();
            a.target_id = Some(row.id.to_string());
            insert_audit!(&mut *tx, &a);
            row
        }))
    }

    /// Replaces a campaign's editable fields; the caller checked it is still a draft or open.
    pub async fn update_campaign(
        &self,
        id: i64,
        c: &CampaignWrite,
        audit: &NewAudit,
    ) -> Result<CampaignRow, DbError> {
        let sql = format!(
            "UPDATE campaigns SET name = $1, cohort = $2, rules_json = $3, modes_json = $4, fee_fen = $5, contacts = $6, updated_at = $7 \
             WHERE id = $8 RETURNING {COLS}"
        );
        Ok(write_tx!(self, tx => {
            let row: CampaignRow = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(&c.name).bind(&c.cohort).bind(&c.rules_json).bind(&c.modes_json).bind(c.fee_fen)
                .bind(&c.contacts).bind(now_ms()).bind(id)
                .fetch_one(&mut *tx).await?;
            insert_audit!(&mut *tx, audit);
            row
        }))
    }

    /// Moves a campaign from `from` to `to`; fails with `Conflict` if another request
    /// changed the status first (compare-and-set, so two admins cannot both open it).
    pub async fn set_campaign_status(
        &self,
        id: i64,
        from: &str,
        to: &str,
        audit: &NewAudit,
    ) -> Result<CampaignRow, DbError> {
        let sql = format!(
            "UPDATE campaigns SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4 RETURNING {COLS}"
        );
        Ok(write_tx!(self, tx => {
            let row: Option<CampaignRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(to).bind(now_ms()).bind(id).bind(from)
                .fetch_optional(&mut *tx).await?;
            let Some(row) = row else {
                return Err(DbError::Conflict("campaign status changed concurrently".into()));
            };
            insert_audit!(&mut *tx, audit);
            row
        }))
    }

    pub async fn get_campaign(&self, id: i64) -> Result<CampaignRow, DbError> {
        let sql = format!("SELECT {COLS} FROM campaigns WHERE id = $1");
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(id).fetch_one(p).await?),
        )
    }

    pub async fn list_campaigns(
        &self,
        university_id: Option<i64>,
    ) -> Result<Vec<CampaignRow>, DbError> {
        Ok(match university_id {
            Some(u) => {
                let sql = format!(
                    "SELECT {COLS} FROM campaigns WHERE university_id = $1 ORDER BY id DESC"
                );
                with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(u).fetch_all(p).await?)
            }
            None => {
                let sql = format!("SELECT {COLS} FROM campaigns ORDER BY id DESC");
                with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).fetch_all(p).await?)
            }
        })
    }

    /// Replaces every stored verdict of a campaign in one transaction, so the dashboard
    /// never shows half of an evaluation.
    pub async fn replace_eligibility(
        &self,
        campaign_id: i64,
        rows: &[EligibilityWrite],
    ) -> Result<(), DbError> {
        let now = now_ms();
        write_tx!(self, tx => {
            sqlx::query("DELETE FROM eligibility WHERE campaign_id = $1").bind(campaign_id).execute(&mut *tx).await?;
            for r in rows {
                sqlx::query("INSERT INTO eligibility (campaign_id, student_id, verdict, reason_code, reason_zh, reason_en, computed_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7)")
                    .bind(campaign_id).bind(r.student_id).bind(&r.verdict).bind(&r.reason_code)
                    .bind(&r.reason_zh).bind(&r.reason_en).bind(now)
                    .execute(&mut *tx).await?;
            }
        });
        Ok(())
    }

    /// Whether a student's photo was collected in a campaign (by any channel).
    pub async fn is_collected(&self, campaign_id: i64, student_id: i64) -> Result<bool, DbError> {
        let hit: Option<(i64,)> = with_pool!(self, p => sqlx::query_as(
            "SELECT id FROM collections WHERE campaign_id = $1 AND student_id = $2")
            .bind(campaign_id).bind(student_id).fetch_optional(p).await?);
        Ok(hit.is_some())
    }

    /// Records that a student was photographed in a campaign; idempotent.
    pub async fn record_collection(
        &self,
        campaign_id: i64,
        student_id: i64,
        channel: &str,
    ) -> Result<bool, DbError> {
        let n = with_pool!(self, p => sqlx::query(
            "INSERT INTO collections (campaign_id, student_id, channel, collected_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (campaign_id, student_id) DO NOTHING")
            .bind(campaign_id).bind(student_id).bind(channel).bind(now_ms())
            .execute(p).await?.rows_affected());
        Ok(n == 1)
    }
}
