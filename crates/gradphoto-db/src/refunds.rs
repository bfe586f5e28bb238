//! Refunds (migration 0011): asked once per refund number — the same number again returns
//! the refund already made, so a retried request cannot pay out twice — bounded by what
//! was paid, and finished once; each under the order's lock, with the order's status
//! recomputed and every change in the ledger.

use crate::payments::{ORDER_COLS, OrderMoney, OrderRow, ledger, settle_order};
use crate::rows::impl_from_row;
use crate::{Db, DbError, now_ms, write_tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRow {
    pub id: i64,
    pub order_id: i64,
    pub payment_id: i64,
    pub out_refund_no: String,
    pub amount_fen: i64,
    pub state: String,
    pub reason: String,
    pub created_at: i64,
    pub updated_at: i64,
}
impl_from_row!(RefundRow {
    id,
    order_id,
    payment_id,
    out_refund_no,
    amount_fen,
    state,
    reason,
    created_at,
    updated_at
});

/// What the bound on a new refund reads: confirmed payments, and refunds done or asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefundRoom {
    pub confirmed_fen: i64,
    pub refunded_or_pending_fen: i64,
}

const COLS: &str =
    "id, order_id, payment_id, out_refund_no, amount_fen, state, reason, created_at, updated_at";

/// Runs `$body` in a write transaction that first locks the order `$order_id`.
macro_rules! with_order_locked {
    ($db:expr, $order_id:expr, $tx:ident, $order:ident => $body:expr) => {{
        let lock = format!("SELECT {ORDER_COLS} FROM orders WHERE id = $1 FOR UPDATE");
        let plain = format!("SELECT {ORDER_COLS} FROM orders WHERE id = $1");
        match $db {
            Db::Sqlite(_) => write_tx!($db, $tx => {
                let $order: OrderRow = sqlx::query_as(sqlx::AssertSqlSafe(plain.as_str()))
                    .bind($order_id).fetch_one(&mut *$tx).await?;
                $body
            }),
            Db::Postgres(pool) => {
                let mut $tx = pool.begin().await?;
                let $order: OrderRow = sqlx::query_as(sqlx::AssertSqlSafe(lock.as_str()))
                    .bind($order_id).fetch_one(&mut *$tx).await?;
                let out = $body;
                $tx.commit().await?;
                out
            }
        }
    }};
}

impl Db {
    /// Asks for a refund of `amount_fen` of a payment, numbered `out_refund_no`. If that
    /// number exists, it is returned as it is (`false`: nothing new). Otherwise `check`
    /// judges the bound first.
    #[allow(clippy::too_many_arguments)]
    pub async fn request_refund<E>(
        &self,
        order_id: i64,
        payment_id: i64,
        out_refund_no: &str,
        amount_fen: i64,
        reason: &str,
        check: impl FnOnce(RefundRoom) -> Result<(), E>,
    ) -> Result<Result<(RefundRow, bool), E>, DbError> {
        let now = now_ms();
        let find = format!("SELECT {COLS} FROM order_refunds WHERE out_refund_no = $1");
        let insert = format!(
            "INSERT INTO order_refunds (order_id, payment_id, out_refund_no, amount_fen, state, \
             reason, created_at, updated_at) VALUES ($1, $2, $3, $4, 'created', $5, $6, $6) \
             RETURNING {COLS}"
        );
        Ok(with_order_locked!(self, order_id, tx, order => {
            let existing: Option<RefundRow> = sqlx::query_as(sqlx::AssertSqlSafe(find.as_str()))
                .bind(out_refund_no).fetch_optional(&mut *tx).await?;
            match existing {
                Some(r) if r.order_id != order.id => return Err(DbError::Conflict("refund number of another order".into())),
                Some(r) => Ok((r, false)),
                None => {
                    let (confirmed, taken): (i64, i64) = sqlx::query_as(
                        "SELECT \
                         CAST(COALESCE((SELECT SUM(amount_fen) FROM order_payments WHERE id = $1 AND order_id = $2 AND state = 'confirmed'), 0) AS BIGINT), \
                         CAST(COALESCE((SELECT SUM(amount_fen) FROM order_refunds WHERE payment_id = $1 AND state IN ('created', 'done')), 0) AS BIGINT)")
                        .bind(payment_id).bind(order.id).fetch_one(&mut *tx).await?;
                    match check(RefundRoom { confirmed_fen: confirmed, refunded_or_pending_fen: taken }) {
                        Err(e) => Err(e),
                        Ok(()) => {
                            let r: RefundRow = sqlx::query_as(sqlx::AssertSqlSafe(insert.as_str()))
                                .bind(order.id).bind(payment_id).bind(out_refund_no).bind(amount_fen)
                                .bind(reason).bind(now).fetch_one(&mut *tx).await?;
                            ledger!(&mut *tx, order.id, "refund.created", Some(payment_id), Some(r.id), amount_fen, reason);
                            Ok((r, true))
                        }
                    }
                }
            }
        }))
    }

    /// Records the provider's answer on a refund: `done` or `failed`, once. A refund
    /// already finished is left as it is (`false`).
    pub async fn finish_refund(
        &self,
        out_refund_no: &str,
        done: bool,
        settle: impl FnOnce(&str, OrderMoney) -> String,
    ) -> Result<(RefundRow, bool), DbError> {
        let now = now_ms();
        let find = format!("SELECT {COLS} FROM order_refunds WHERE out_refund_no = $1");
        let (order_id,): (i64,) = crate::with_pool!(self, p => sqlx::query_as(
            "SELECT order_id FROM order_refunds WHERE out_refund_no = $1")
            .bind(out_refund_no).fetch_one(p).await?);
        Ok(with_order_locked!(self, order_id, tx, order => {
            let r: RefundRow = sqlx::query_as(sqlx::AssertSqlSafe(find.as_str()))
                .bind(out_refund_no).fetch_one(&mut *tx).await?;
            if r.state != "created" {
                (r, false)
            } else {
                let to = if done { "done" } else { "failed" };
                sqlx::query("UPDATE order_refunds SET state = $2, updated_at = $3 WHERE id = $1")
                    .bind(r.id).bind(to).bind(now).execute(&mut *tx).await?;
                ledger!(&mut *tx, order.id, format!("refund.{to}"), Some(r.payment_id), Some(r.id), r.amount_fen, "");
                settle_order!(&mut *tx, order, settle, now, Some(r.payment_id), Some(r.id));
                let r: RefundRow = sqlx::query_as(sqlx::AssertSqlSafe(find.as_str()))
                    .bind(out_refund_no).fetch_one(&mut *tx).await?;
                (r, true)
            }
        }))
    }
}
