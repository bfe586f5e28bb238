//! Department settlements of on-site fees (migration 0017). Marking a department paid
//! covers exactly the confirmed, unsettled check-ins the agency was shown: in one
//! transaction the current set is read (locked on PostgreSQL, `BEGIN IMMEDIATE` on
//! SQLite) and compared with the shown one, so two admins marking at once, or a student
//! confirmed meanwhile, can never settle a check-in twice or one nobody looked at.

use crate::rows::impl_from_row;
use crate::{Db, DbError, now_ms, with_pool, write_tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettlementRow {
    pub id: i64,
    pub campaign_id: i64,
    pub department_id: i64,
    pub students: i64,
    pub amount_fen: i64,
    pub note: String,
    pub marked_by: String,
    pub marked_at: i64,
}
impl_from_row!(SettlementRow {
    id,
    campaign_id,
    department_id,
    students,
    amount_fen,
    note,
    marked_by,
    marked_at
});

const COLS: &str =
    "id, campaign_id, department_id, students, amount_fen, note, marked_by, marked_at";

/// Why a settlement was not recorded; nothing was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettleRefusal {
    /// No confirmed student of the department is waiting to be settled.
    Nothing,
    /// The unsettled students are not the ones shown (now this many).
    Changed(usize),
}

/// A settlement to record.
#[derive(Debug, Clone)]
pub struct NewSettlement<'a> {
    pub campaign_id: i64,
    pub department_id: i64,
    /// The check-ins the agency was shown, any order.
    pub checkins: &'a [i64],
    pub fee_fen: i64,
    pub note: &'a str,
    pub by: &'a str,
}

impl Db {
    pub async fn settle_department(
        &self,
        n: &NewSettlement<'_>,
    ) -> Result<Result<SettlementRow, SettleRefusal>, DbError> {
        let base = "SELECT c.id FROM onsite_checkins c JOIN students s ON s.id = c.student_id \
             WHERE c.campaign_id = $1 AND s.department_id = $2 AND c.stage = 'confirmed' \
             AND c.settlement_id IS NULL \
             AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.checkin_id = c.id AND o.status = 'paid') \
             AND NOT EXISTS (SELECT 1 FROM makeup_bookings b WHERE b.checkin_id = c.id) \
             ORDER BY c.id";
        let select = match self {
            Db::Sqlite(_) => base.to_string(),
            Db::Postgres(_) => format!("{base} FOR UPDATE OF c"),
        };
        let insert = format!(
            "INSERT INTO onsite_settlements (campaign_id, department_id, students, amount_fen, \
             note, marked_by, marked_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {COLS}"
        );
        let mut shown: Vec<i64> = n.checkins.to_vec();
        shown.sort_unstable();
        shown.dedup();
        let now = now_ms();
        Ok(write_tx!(self, tx => {
            let now_ids: Vec<(i64,)> = sqlx::query_as(sqlx::AssertSqlSafe(select.as_str()))
                .bind(n.campaign_id).bind(n.department_id).fetch_all(&mut *tx).await?;
            let now_ids: Vec<i64> = now_ids.into_iter().map(|(i,)| i).collect();
            if now_ids.is_empty() {
                Err(SettleRefusal::Nothing)
            } else if now_ids != shown {
                Err(SettleRefusal::Changed(now_ids.len()))
            } else {
                let count = i64::try_from(now_ids.len()).unwrap_or(i64::MAX);
                let row: SettlementRow = sqlx::query_as(sqlx::AssertSqlSafe(insert.as_str()))
                    .bind(n.campaign_id).bind(n.department_id).bind(count)
                    .bind(count.saturating_mul(n.fee_fen)).bind(n.note).bind(n.by).bind(now)
                    .fetch_one(&mut *tx).await?;
                for id in &now_ids {
                    sqlx::query("UPDATE onsite_checkins SET settlement_id = $1 WHERE id = $2")
                        .bind(row.id).bind(*id).execute(&mut *tx).await?;
                }
                Ok(row)
            }
        }))
    }

    /// A campaign's settlements, by department and time.
    pub async fn campaign_settlements(
        &self,
        campaign_id: i64,
    ) -> Result<Vec<SettlementRow>, DbError> {
        let sql = format!(
            "SELECT {COLS} FROM onsite_settlements WHERE campaign_id = $1 ORDER BY department_id, id"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(campaign_id).fetch_all(p).await?),
        )
    }
}
