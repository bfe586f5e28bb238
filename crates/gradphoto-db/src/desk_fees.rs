//! Fees paid at the on-site desk (migration 0023): one order per number, made when the
//! desk first asks for a QR code, then paid through the same payment attempts, ledger and
//! status rule as an online order.

use crate::payments::{ORDER_COLS, OrderRow, ledger};
use crate::{Db, DbError, now_ms, with_pool, write_tx};

impl Db {
    /// The fee order of a number, if the desk made one.
    pub async fn desk_order(&self, checkin_id: i64) -> Result<Option<OrderRow>, DbError> {
        let sql = format!("SELECT {ORDER_COLS} FROM orders WHERE checkin_id = $1");
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(checkin_id).fetch_optional(p).await?),
        )
    }

    /// The number's fee order, made pending (with its first ledger line) unless it
    /// exists: two desks asking at once get the same order.
    pub async fn create_desk_order(
        &self,
        code: &str,
        checkin_id: i64,
        total_fen: i64,
    ) -> Result<OrderRow, DbError> {
        let now = now_ms();
        let insert = format!(
            "INSERT INTO orders (code, checkin_id, total_fen, status, contact_phone, \
             created_at, updated_at) VALUES ($1, $2, $3, 'pending', '', $4, $4) \
             ON CONFLICT (checkin_id) DO NOTHING RETURNING {ORDER_COLS}"
        );
        let read = format!("SELECT {ORDER_COLS} FROM orders WHERE checkin_id = $1");
        Ok(write_tx!(self, tx => {
            let made: Option<OrderRow> = sqlx::query_as(sqlx::AssertSqlSafe(insert.as_str()))
                .bind(code).bind(checkin_id).bind(total_fen).bind(now)
                .fetch_optional(&mut *tx).await?;
            match made {
                Some(row) => {
                    ledger!(&mut *tx, row.id, "order.created", None::<i64>, None::<i64>, total_fen, "desk");
                    row
                }
                None => sqlx::query_as(sqlx::AssertSqlSafe(read.as_str()))
                    .bind(checkin_id).fetch_one(&mut *tx).await?,
            }
        }))
    }

    /// The desk fee orders of a campaign's numbers.
    pub async fn campaign_desk_orders(&self, campaign_id: i64) -> Result<Vec<OrderRow>, DbError> {
        let cols = crate::rows::qualified(ORDER_COLS, "o");
        let sql = format!(
            "SELECT {cols} FROM orders o JOIN onsite_checkins c ON c.id = o.checkin_id \
             WHERE c.campaign_id = $1 ORDER BY o.id"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(campaign_id).fetch_all(p).await?),
        )
    }
}
