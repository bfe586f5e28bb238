//! Orders, payment attempts, refunds and the ledger (migration 0011). Every change to money
//! runs in one transaction that locks the order row first (PostgreSQL `FOR UPDATE`; SQLite
//! serialises writers with `BEGIN IMMEDIATE`), asks the caller's rule what to do, applies
//! it, recomputes the order's status from its sums, and appends what happened to the
//! ledger — so two notifications of the same payment arriving together credit it once.

use crate::rows::impl_from_row;
use crate::{Db, DbError, now_ms, write_tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRow {
    pub id: i64,
    pub code: String,
    /// The student's account (absent on a desk fee) and online entry (only on an online
    /// student's order).
    pub account_id: Option<i64>,
    pub entry_id: Option<i64>,
    /// The on-site number whose fee was paid at the desk (migration 0023).
    pub checkin_id: Option<i64>,
    /// The make-up booking paid online when it was made (migration 0030).
    pub booking_id: Option<i64>,
    pub total_fen: i64,
    pub status: String,
    pub contact_phone: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub paid_at: Option<i64>,
}
impl_from_row!(OrderRow {
    id,
    code,
    account_id,
    entry_id,
    checkin_id,
    booking_id,
    total_fen,
    status,
    contact_phone,
    created_at,
    updated_at,
    paid_at
});

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRow {
    pub id: i64,
    pub order_id: i64,
    pub provider: String,
    pub out_trade_no: String,
    pub amount_fen: i64,
    pub state: String,
    pub provider_txn: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub confirmed_at: Option<i64>,
    /// What the payer scans (empty until the provider answered).
    pub pay_url: String,
}
impl_from_row!(PaymentRow {
    id,
    order_id,
    provider,
    out_trade_no,
    amount_fen,
    state,
    provider_txn,
    created_at,
    updated_at,
    confirmed_at,
    pay_url
});

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerRow {
    pub id: i64,
    pub order_id: i64,
    pub at: i64,
    pub event: String,
    pub payment_id: Option<i64>,
    pub refund_id: Option<i64>,
    pub amount_fen: i64,
    pub detail: String,
}
impl_from_row!(LedgerRow {
    id,
    order_id,
    at,
    event,
    payment_id,
    refund_id,
    amount_fen,
    detail
});

/// The order's money as the status rule needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderMoney {
    pub total_fen: i64,
    pub confirmed_fen: i64,
    pub refunded_fen: i64,
}

/// What applying a payment event did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentApplied {
    pub payment: PaymentRow,
    pub order: OrderRow,
    /// False for a duplicate or an event that must not change anything.
    pub changed: bool,
}

pub(crate) const ORDER_COLS: &str = "id, code, account_id, entry_id, checkin_id, booking_id, \
    total_fen, status, contact_phone, created_at, updated_at, paid_at";
const PAYMENT_COLS: &str = "id, order_id, provider, out_trade_no, amount_fen, state, \
    provider_txn, created_at, updated_at, confirmed_at, pay_url";

macro_rules! ledger {
    ($tx:expr, $order:expr, $event:expr, $payment:expr, $refund:expr, $amount:expr, $detail:expr) => {
        sqlx::query(
            "INSERT INTO order_ledger (order_id, at, event, payment_id, refund_id, amount_fen, detail) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind($order)
        .bind(now_ms())
        .bind($event)
        .bind($payment)
        .bind($refund)
        .bind($amount)
        .bind($detail)
        .execute($tx)
        .await?
    };
}

/// Recomputes an order's status from its sums with `settle` (inside the transaction that
/// holds the order's lock) and, when it changes, stores it with a ledger line.
macro_rules! settle_order {
    ($tx:expr, $order:expr, $settle:expr, $now:expr, $payment:expr, $refund:expr) => {{
        let order: &OrderRow = &$order;
        let (paid, refunded): (i64, i64) = sqlx::query_as(
            "SELECT \
             CAST(COALESCE((SELECT SUM(amount_fen) FROM order_payments WHERE order_id = $1 AND state = 'confirmed'), 0) AS BIGINT), \
             CAST(COALESCE((SELECT SUM(amount_fen) FROM order_refunds WHERE order_id = $1 AND state = 'done'), 0) AS BIGINT)")
            .bind(order.id).fetch_one($tx).await?;
        let status = $settle(&order.status, OrderMoney {
            total_fen: order.total_fen, confirmed_fen: paid, refunded_fen: refunded,
        });
        if status != order.status {
            sqlx::query(
                "UPDATE orders SET status = $2, updated_at = $3, \
                 paid_at = CASE WHEN $2 = 'paid' THEN $3 ELSE paid_at END WHERE id = $1")
                .bind(order.id).bind(&status).bind($now).execute($tx).await?;
            ledger!($tx, order.id, format!("order.{status}"), $payment, $refund, paid - refunded, "");
        }
    }};
}
pub(crate) use {ledger, settle_order};

impl Db {
    /// A new order, pending, with its first ledger line.
    pub async fn create_order(
        &self,
        code: &str,
        account_id: i64,
        entry_id: i64,
        total_fen: i64,
        contact_phone: &str,
    ) -> Result<OrderRow, DbError> {
        let now = now_ms();
        let sql = format!(
            "INSERT INTO orders (code, account_id, entry_id, total_fen, status, contact_phone, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, 'pending', $5, $6, $6) \
             RETURNING {ORDER_COLS}"
        );
        Ok(write_tx!(self, tx => {
            let row: OrderRow = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(code).bind(account_id).bind(entry_id).bind(total_fen)
                .bind(contact_phone).bind(now)
                .fetch_one(&mut *tx).await?;
            ledger!(&mut *tx, row.id, "order.created", None::<i64>, None::<i64>, total_fen, "");
            row
        }))
    }

    /// A new payment attempt for an order, in state `created`.
    pub async fn create_payment(
        &self,
        order_id: i64,
        provider: &str,
        out_trade_no: &str,
        amount_fen: i64,
    ) -> Result<PaymentRow, DbError> {
        let now = now_ms();
        let sql = format!(
            "INSERT INTO order_payments (order_id, provider, out_trade_no, amount_fen, state, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, 'created', $5, $5) \
             RETURNING {PAYMENT_COLS}"
        );
        Ok(write_tx!(self, tx => {
            let row: PaymentRow = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(order_id).bind(provider).bind(out_trade_no).bind(amount_fen).bind(now)
                .fetch_one(&mut *tx).await?;
            ledger!(&mut *tx, order_id, "payment.created", Some(row.id), None::<i64>, amount_fen, provider);
            row
        }))
    }

    /// Applies news about the payment `out_trade_no` under the order's lock. `judge` says
    /// the payment's new state (`None`: nothing changes); `settle` gives the order's status
    /// from its money afterwards. `event` and `detail` go to the ledger when something
    /// changed. A payment that does not exist is [`DbError::NotFound`].
    #[allow(clippy::too_many_arguments)]
    pub async fn apply_payment_event<E>(
        &self,
        out_trade_no: &str,
        provider_txn: Option<&str>,
        event: &str,
        detail: &str,
        judge: impl FnOnce(&PaymentRow) -> Result<Option<String>, E>,
        settle: impl FnOnce(&str, OrderMoney) -> String,
    ) -> Result<Result<PaymentApplied, E>, DbError> {
        let now = now_ms();
        let order_sql = format!("SELECT {ORDER_COLS} FROM orders WHERE id = $1");
        let order_lock_sql = format!("{order_sql} FOR UPDATE");
        let payment_sql =
            format!("SELECT {PAYMENT_COLS} FROM order_payments WHERE out_trade_no = $1");
        macro_rules! body {
            ($tx:ident, $order_sql:expr) => {{
                let (order_id,): (i64,) =
                    sqlx::query_as("SELECT order_id FROM order_payments WHERE out_trade_no = $1")
                        .bind(out_trade_no)
                        .fetch_one(&mut *$tx)
                        .await?;
                let order: OrderRow = sqlx::query_as(sqlx::AssertSqlSafe($order_sql))
                    .bind(order_id)
                    .fetch_one(&mut *$tx)
                    .await?;
                let payment: PaymentRow = sqlx::query_as(sqlx::AssertSqlSafe(payment_sql.as_str()))
                    .bind(out_trade_no)
                    .fetch_one(&mut *$tx)
                    .await?;
                match judge(&payment) {
                    Err(e) => Err(e),
                    Ok(None) => Ok(PaymentApplied {
                        payment,
                        order,
                        changed: false,
                    }),
                    Ok(Some(to)) => {
                        let confirmed = to == "confirmed";
                        sqlx::query(
                            "UPDATE order_payments SET state = $2, updated_at = $3, \
                             provider_txn = COALESCE($4, provider_txn), \
                             confirmed_at = CASE WHEN $5 THEN $3 ELSE confirmed_at END \
                             WHERE id = $1",
                        )
                        .bind(payment.id)
                        .bind(&to)
                        .bind(now)
                        .bind(provider_txn)
                        .bind(confirmed)
                        .execute(&mut *$tx)
                        .await?;
                        ledger!(
                            &mut *$tx,
                            order.id,
                            event,
                            Some(payment.id),
                            None::<i64>,
                            payment.amount_fen,
                            detail
                        );
                        settle_order!(&mut *$tx, order, settle, now, Some(payment.id), None::<i64>);
                        let order: OrderRow =
                            sqlx::query_as(sqlx::AssertSqlSafe(order_sql.as_str()))
                                .bind(order.id)
                                .fetch_one(&mut *$tx)
                                .await?;
                        let payment: PaymentRow =
                            sqlx::query_as(sqlx::AssertSqlSafe(payment_sql.as_str()))
                                .bind(out_trade_no)
                                .fetch_one(&mut *$tx)
                                .await?;
                        Ok(PaymentApplied {
                            payment,
                            order,
                            changed: true,
                        })
                    }
                }
            }};
        }
        Ok(match self {
            Db::Sqlite(_) => write_tx!(self, tx => body!(tx, order_sql.as_str())),
            Db::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                let out = body!(tx, order_lock_sql.as_str());
                tx.commit().await?;
                out
            }
        })
    }

    pub async fn order_payments(&self, order_id: i64) -> Result<Vec<PaymentRow>, DbError> {
        let sql =
            format!("SELECT {PAYMENT_COLS} FROM order_payments WHERE order_id = $1 ORDER BY id");
        Ok(
            crate::with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(order_id).fetch_all(p).await?),
        )
    }

    /// The entry's order that is not canceled (at most one is open at a time), if any.
    pub async fn order_for_entry(&self, entry_id: i64) -> Result<Option<OrderRow>, DbError> {
        let sql = format!(
            "SELECT {ORDER_COLS} FROM orders WHERE entry_id = $1 AND status <> 'canceled' \
             ORDER BY id DESC LIMIT 1"
        );
        Ok(
            crate::with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(entry_id).fetch_optional(p).await?),
        )
    }

    /// Changes an order's contact phone (not a canceled one's; the caller decides whether
    /// production has started).
    pub async fn set_order_contact(&self, id: i64, phone: &str) -> Result<(), DbError> {
        let n = crate::with_pool!(self, p => sqlx::query(
            "UPDATE orders SET contact_phone = $2, updated_at = $3 WHERE id = $1 AND status <> 'canceled'")
            .bind(id).bind(phone).bind(now_ms()).execute(p).await?.rows_affected());
        if n == 1 {
            Ok(())
        } else {
            Err(DbError::Conflict("order canceled".into()))
        }
    }

    pub async fn get_order(&self, id: i64) -> Result<OrderRow, DbError> {
        let sql = format!("SELECT {ORDER_COLS} FROM orders WHERE id = $1");
        Ok(
            crate::with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(id).fetch_one(p).await?),
        )
    }

    pub async fn order_ledger(&self, order_id: i64) -> Result<Vec<LedgerRow>, DbError> {
        Ok(crate::with_pool!(self, p => sqlx::query_as(
            "SELECT id, order_id, at, event, payment_id, refund_id, amount_fen, detail \
             FROM order_ledger WHERE order_id = $1 ORDER BY id")
            .bind(order_id).fetch_all(p).await?))
    }

    pub async fn payment_by_trade_no(
        &self,
        out_trade_no: &str,
    ) -> Result<Option<PaymentRow>, DbError> {
        let sql = format!("SELECT {PAYMENT_COLS} FROM order_payments WHERE out_trade_no = $1");
        Ok(
            crate::with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(out_trade_no).fetch_optional(p).await?),
        )
    }

    /// Keeps what the payer scans on an attempt the provider accepted.
    pub async fn set_payment_url(&self, id: i64, url: &str) -> Result<(), DbError> {
        crate::with_pool!(self, p => sqlx::query(
            "UPDATE order_payments SET pay_url = $2, updated_at = $3 WHERE id = $1")
            .bind(id).bind(url).bind(now_ms()).execute(p).await?.rows_affected());
        Ok(())
    }

    /// Issued attempts still waiting for their notification: last changed before
    /// `before_ms`, created after `since_ms` (older ones have expired at the provider).
    pub async fn payments_awaiting(
        &self,
        before_ms: i64,
        since_ms: i64,
        limit: i64,
    ) -> Result<Vec<PaymentRow>, DbError> {
        let sql = format!(
            "SELECT {PAYMENT_COLS} FROM order_payments WHERE state = 'pending' \
             AND updated_at < $1 AND created_at > $2 ORDER BY updated_at LIMIT $3"
        );
        Ok(
            crate::with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(before_ms).bind(since_ms).bind(limit).fetch_all(p).await?),
        )
    }

    /// A student's orders, newest first.
    pub async fn orders_of_account(&self, account_id: i64) -> Result<Vec<OrderRow>, DbError> {
        let sql = format!(
            "SELECT {ORDER_COLS} FROM orders WHERE account_id = $1 ORDER BY id DESC LIMIT 100"
        );
        Ok(
            crate::with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(account_id).fetch_all(p).await?),
        )
    }

    pub async fn order_by_code(&self, code: &str) -> Result<Option<OrderRow>, DbError> {
        let sql = format!("SELECT {ORDER_COLS} FROM orders WHERE code = $1");
        Ok(
            crate::with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(code).fetch_optional(p).await?),
        )
    }
}
