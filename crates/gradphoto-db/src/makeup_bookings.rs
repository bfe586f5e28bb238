//! Make-up bookings (migration 0025). Taking a place is one transaction: the slot's row is
//! made if missing, its count raised only while below the capacity (a conditional UPDATE:
//! PostgreSQL re-reads the row after waiting for another writer's lock, SQLite has one
//! writer), and the booking inserted under the one-live-booking-per-student index. Any
//! refusal rolls the whole transaction back.

use crate::rows::impl_from_row;
use crate::{Db, DbError, now_ms, with_pool, write_tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingRow {
    pub id: i64,
    pub code: String,
    pub campaign_id: i64,
    pub student_id: i64,
    pub account_id: i64,
    pub service_id: i64,
    pub day: String,
    pub starts: String,
    pub ends: String,
    pub price_fen: i64,
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub updated_by: String,
}
impl_from_row!(BookingRow {
    id,
    code,
    campaign_id,
    student_id,
    account_id,
    service_id,
    day,
    starts,
    ends,
    price_fen,
    status,
    created_at,
    updated_at,
    updated_by
});

pub(crate) const COLS: &str = "id, code, campaign_id, student_id, account_id, service_id, day, starts, \
    ends, price_fen, status, created_at, updated_at, updated_by";

/// A booking to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBooking {
    pub code: String,
    pub campaign_id: i64,
    pub student_id: i64,
    pub account_id: i64,
    pub service_id: i64,
    pub day: String,
    pub starts: String,
    pub ends: String,
    pub price_fen: i64,
    /// The fee's order, made with the booking when the service is paid online.
    pub order: Option<BookingOrder>,
}

/// The order a booking paid online is made with (pending until the student pays).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingOrder {
    pub code: String,
    pub contact_phone: String,
}

/// Why a place was not taken (nothing was written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BookRefusal {
    /// Every place of the slot is taken.
    Full,
    /// The student holds this live booking for the campaign already.
    AlreadyBooked(Box<BookingRow>),
    /// The booking is no longer live (cancelled, attended, absent), so it cannot move.
    NotLive,
}

const ENSURE_SLOT: &str = "INSERT INTO makeup_slots (service_id, day, starts, booked) \
    VALUES ($1, $2, $3, 0) ON CONFLICT (service_id, day, starts) DO NOTHING";
const TAKE_PLACE: &str = "UPDATE makeup_slots SET booked = booked + 1 \
    WHERE service_id = $1 AND day = $2 AND starts = $3 AND booked < $4";
const GIVE_BACK: &str = "UPDATE makeup_slots SET booked = booked - 1 \
    WHERE service_id = $1 AND day = $2 AND starts = $3 AND booked > 0";

/// Takes one place of a slot in `$tx`; `false` when the slot is full.
macro_rules! take_place {
    ($tx:ident, $service:expr, $day:expr, $starts:expr, $capacity:expr) => {{
        sqlx::query(ENSURE_SLOT)
            .bind($service)
            .bind($day)
            .bind($starts)
            .execute(&mut *$tx)
            .await?;
        sqlx::query(TAKE_PLACE)
            .bind($service)
            .bind($day)
            .bind($starts)
            .bind($capacity)
            .execute(&mut *$tx)
            .await?
            .rows_affected()
            == 1
    }};
}

macro_rules! live_of {
    ($tx:ident, $campaign:expr, $student:expr) => {{
        let sql = format!(
            "SELECT {COLS} FROM makeup_bookings WHERE campaign_id = $1 AND student_id = $2 \
             AND status IN ('booked', 'attended')"
        );
        let row: Option<BookingRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind($campaign)
            .bind($student)
            .fetch_optional(&mut *$tx)
            .await?;
        row
    }};
}

macro_rules! book_body {
    ($tx:ident, $b:expr, $capacity:expr, $now:expr) => {{
        if let Some(live) = live_of!($tx, $b.campaign_id, $b.student_id) {
            Err(BookRefusal::AlreadyBooked(Box::new(live)))
        } else if !take_place!($tx, $b.service_id, &$b.day, &$b.starts, $capacity) {
            Err(BookRefusal::Full)
        } else {
            let sql = format!(
                "INSERT INTO makeup_bookings (code, campaign_id, student_id, account_id, \
                 service_id, day, starts, ends, price_fen, status, created_at, updated_at, \
                 updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'booked', $10, $10, \
                 'student') RETURNING {COLS}"
            );
            let made: BookingRow = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(&$b.code)
                .bind($b.campaign_id)
                .bind($b.student_id)
                .bind($b.account_id)
                .bind($b.service_id)
                .bind(&$b.day)
                .bind(&$b.starts)
                .bind(&$b.ends)
                .bind($b.price_fen)
                .bind($now)
                .fetch_one(&mut *$tx)
                .await?;
            if let Some(o) = &$b.order {
                let (order_id,): (i64,) = sqlx::query_as(
                    "INSERT INTO orders (code, account_id, booking_id, total_fen, status, \
                     contact_phone, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, 'pending', $5, $6, $6) RETURNING id",
                )
                .bind(&o.code)
                .bind($b.account_id)
                .bind(made.id)
                .bind($b.price_fen)
                .bind(&o.contact_phone)
                .bind($now)
                .fetch_one(&mut *$tx)
                .await?;
                crate::payments::ledger!(
                    &mut *$tx,
                    order_id,
                    "order.created",
                    None::<i64>,
                    None::<i64>,
                    $b.price_fen,
                    format!("booking {}", made.code)
                );
            }
            Ok(made)
        }
    }};
}

/// Both slots of a move, in one order (on PostgreSQL locked in it, `FOR UPDATE` added), so
/// two students moving into each other's slots at once wait instead of deadlocking.
const SLOTS_IN_ORDER: &str = "SELECT booked FROM makeup_slots WHERE service_id = $1 \
    AND ((day = $2 AND starts = $3) OR (day = $4 AND starts = $5)) ORDER BY day, starts";

macro_rules! move_body {
    ($tx:ident, $lock:expr, $slots:expr, $id:expr, $day:expr, $starts:expr, $ends:expr, $capacity:expr, $now:expr) => {{
        let current: BookingRow = sqlx::query_as(sqlx::AssertSqlSafe($lock))
            .bind($id)
            .fetch_one(&mut *$tx)
            .await?;
        if current.status == "booked" {
            sqlx::query(ENSURE_SLOT)
                .bind(current.service_id)
                .bind($day)
                .bind($starts)
                .execute(&mut *$tx)
                .await?;
            let _locked: Vec<(i64,)> = sqlx::query_as(sqlx::AssertSqlSafe($slots))
                .bind(current.service_id)
                .bind(&current.day)
                .bind(&current.starts)
                .bind($day)
                .bind($starts)
                .fetch_all(&mut *$tx)
                .await?;
        }
        if current.status != "booked" {
            Err(BookRefusal::NotLive)
        } else if !take_place!($tx, current.service_id, $day, $starts, $capacity) {
            Err(BookRefusal::Full)
        } else {
            sqlx::query(GIVE_BACK)
                .bind(current.service_id)
                .bind(&current.day)
                .bind(&current.starts)
                .execute(&mut *$tx)
                .await?;
            let sql = format!(
                "UPDATE makeup_bookings SET day = $1, starts = $2, ends = $3, updated_at = $4, \
                 updated_by = 'student', reminded_at = NULL WHERE id = $5 RETURNING {COLS}"
            );
            let moved: BookingRow = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                .bind($day)
                .bind($starts)
                .bind($ends)
                .bind($now)
                .bind($id)
                .fetch_one(&mut *$tx)
                .await?;
            Ok(moved)
        }
    }};
}

/// Runs `$body` in a write transaction that commits only if the body's result is `Ok`.
macro_rules! tx_if_ok {
    ($db:expr, $tx:ident, $lock:ident => $body:expr) => {
        match $db {
            Db::Sqlite(sqlite) => {
                let _writer = sqlite.write_turn().await;
                let mut $tx = sqlite.pool.begin_with("BEGIN IMMEDIATE").await?;
                let $lock = BY_ID.as_str();
                let out = $body;
                if out.is_ok() {
                    $tx.commit().await?;
                }
                out
            }
            Db::Postgres(pool) => {
                let mut $tx = pool.begin().await?;
                let locked = format!("{} FOR UPDATE", BY_ID.as_str());
                let $lock = locked.as_str();
                let out = $body;
                if out.is_ok() {
                    $tx.commit().await?;
                }
                out
            }
        }
    };
}

pub(crate) static BY_ID: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| format!("SELECT {COLS} FROM makeup_bookings WHERE id = $1"));

impl Db {
    /// Takes a place in the slot for the student, unless the slot is full or the student
    /// holds a live booking for the campaign already. A race lost on the index (another
    /// process booked the same student a moment earlier) is reported as that booking.
    pub async fn book_slot(
        &self,
        b: &NewBooking,
        capacity: i64,
    ) -> Result<Result<BookingRow, BookRefusal>, DbError> {
        let now = now_ms();
        let out = async {
            Ok::<_, DbError>(tx_if_ok!(self, tx, _lock => book_body!(tx, b, capacity, now)))
        }
        .await;
        match out {
            Err(DbError::Conflict(c)) if c.contains("makeup_bookings") || c.contains("UNIQUE") => {
                match self.live_booking(b.campaign_id, b.student_id).await? {
                    Some(live) => Ok(Err(BookRefusal::AlreadyBooked(Box::new(live)))),
                    None => Err(DbError::Conflict(c)),
                }
            }
            other => other,
        }
    }

    /// Moves a live booking to another slot of its service, taking the new place before
    /// giving the old one back, in one transaction.
    pub async fn move_booking(
        &self,
        id: i64,
        day: &str,
        starts: &str,
        ends: &str,
        capacity: i64,
    ) -> Result<Result<BookingRow, BookRefusal>, DbError> {
        let now = now_ms();
        let slots = match self {
            Db::Sqlite(_) => SLOTS_IN_ORDER.to_string(),
            Db::Postgres(_) => format!("{SLOTS_IN_ORDER} FOR UPDATE"),
        };
        let slots = slots.as_str();
        Ok(
            tx_if_ok!(self, tx, lock => move_body!(tx, lock, slots, id, day, starts, ends, capacity, now)),
        )
    }

    /// Ends a live booking as `status` (cancelled or no-show by whoever is named in `by`;
    /// attended), giving its place back unless the student came. `None` when the booking
    /// was not live, so nothing changed.
    pub async fn end_booking(
        &self,
        id: i64,
        status: &str,
        by: &str,
    ) -> Result<Option<BookingRow>, DbError> {
        self.end_booking_if(id, status, by, false).await
    }

    /// Releases a booking held for a payment that did not come, as cancelled by
    /// "unpaid": `None` when it is no longer waiting or its order was paid meanwhile.
    pub async fn release_unpaid_booking(&self, id: i64) -> Result<Option<BookingRow>, DbError> {
        self.end_booking_if(id, "cancelled", "unpaid", true).await
    }

    async fn end_booking_if(
        &self,
        id: i64,
        status: &str,
        by: &str,
        unpaid_only: bool,
    ) -> Result<Option<BookingRow>, DbError> {
        let order_lock = match self {
            Db::Sqlite(_) => "SELECT status FROM orders WHERE booking_id = $1",
            Db::Postgres(_) => "SELECT status FROM orders WHERE booking_id = $1 FOR UPDATE",
        };
        let now = now_ms();
        let out: Result<BookingRow, BookRefusal> = tx_if_ok!(self, tx, lock => {
            let current: BookingRow = sqlx::query_as(sqlx::AssertSqlSafe(lock))
                .bind(id).fetch_one(&mut *tx).await?;
            // Released for want of payment only while its order is still unpaid: the order
            // is locked (PostgreSQL; SQLite has one writer) as a payment's confirmation
            // locks it, so a payment and a release never both succeed.
            let paid_meanwhile = if unpaid_only {
                let status: Option<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(order_lock))
                    .bind(id).fetch_optional(&mut *tx).await?;
                status.is_some_and(|(s,)| s != "pending")
            } else {
                false
            };
            if current.status != "booked" || paid_meanwhile {
                Err(BookRefusal::NotLive)
            } else {
                if status != "attended" {
                    sqlx::query(GIVE_BACK)
                        .bind(current.service_id).bind(&current.day).bind(&current.starts)
                        .execute(&mut *tx).await?;
                }
                let sql = format!(
                    "UPDATE makeup_bookings SET status = $1, updated_at = $2, updated_by = $3 \
                     WHERE id = $4 RETURNING {COLS}"
                );
                let row: BookingRow = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                    .bind(status).bind(now).bind(by).bind(id).fetch_one(&mut *tx).await?;
                // A cancelled booking's fee order is closed with it (any money paid is
                // refunded by the caller); a no-show's fee is kept.
                if status == "cancelled" {
                    let closed: Option<(i64, i64)> = sqlx::query_as(
                        "UPDATE orders SET status = 'canceled', updated_at = $2 \
                         WHERE booking_id = $1 AND status <> 'canceled' RETURNING id, total_fen")
                        .bind(id).bind(now).fetch_optional(&mut *tx).await?;
                    if let Some((order_id, fen)) = closed {
                        crate::payments::ledger!(&mut *tx, order_id, "order.canceled",
                            None::<i64>, None::<i64>, fen, format!("booking {} {by}", row.code));
                    }
                }
                Ok(row)
            }
        });
        Ok(out.ok())
    }

    /// Records that a booked student came and was numbered as `checkin_id`; `false` when
    /// the booking was no longer waiting (attended already, cancelled, absent).
    pub async fn attend_booking(
        &self,
        id: i64,
        checkin_id: i64,
        by: &str,
    ) -> Result<bool, DbError> {
        let n = with_pool!(self, p => sqlx::query(
            "UPDATE makeup_bookings SET status = 'attended', checkin_id = $1, updated_at = $2, \
             updated_by = $3 WHERE id = $4 AND status = 'booked'")
            .bind(checkin_id).bind(now_ms()).bind(by).bind(id).execute(p).await?.rows_affected());
        Ok(n == 1)
    }

    /// Ends an attended booking whose number was never confirmed as a no-show (by `by`),
    /// so the student may book again, and closes its fee order (the caller refunds what
    /// was paid: no photo came of it); `false` when it was not in that state.
    pub async fn end_unconfirmed_attendance(&self, id: i64, by: &str) -> Result<bool, DbError> {
        let now = now_ms();
        Ok(write_tx!(self, tx => {
            let n = sqlx::query(
                "UPDATE makeup_bookings SET status = 'no_show', updated_at = $1, updated_by = $2 \
                 WHERE id = $3 AND status = 'attended' AND NOT EXISTS (SELECT 1 FROM \
                 onsite_checkins c WHERE c.id = makeup_bookings.checkin_id AND c.stage = 'confirmed')")
                .bind(now).bind(by).bind(id).execute(&mut *tx).await?.rows_affected();
            if n == 1 {
                let closed: Option<(i64, i64)> = sqlx::query_as(
                    "UPDATE orders SET status = 'canceled', updated_at = $2 \
                     WHERE booking_id = $1 AND status <> 'canceled' RETURNING id, total_fen")
                    .bind(id).bind(now).fetch_optional(&mut *tx).await?;
                if let Some((order_id, fen)) = closed {
                    crate::payments::ledger!(&mut *tx, order_id, "order.canceled",
                        None::<i64>, None::<i64>, fen, format!("booking {id} {by}"));
                }
            }
            n == 1
        }))
    }

    /// Claims the reminder of booking `b` as it was read, before it is sent; `false` when
    /// another worker has, or the booking was moved or ended meanwhile (the text would
    /// name a time it no longer holds).
    pub async fn mark_booking_reminded(&self, b: &BookingRow) -> Result<bool, DbError> {
        let n = with_pool!(self, p => sqlx::query(
            "UPDATE makeup_bookings SET reminded_at = $1 WHERE id = $2 AND reminded_at IS NULL \
             AND day = $3 AND starts = $4 AND status = 'booked'")
            .bind(now_ms()).bind(b.id).bind(&b.day).bind(&b.starts)
            .execute(p).await?.rows_affected());
        Ok(n == 1)
    }

    /// Gives the claim back when the text could not be sent (the next run tries again).
    pub async fn unmark_booking_reminded(&self, id: i64) -> Result<(), DbError> {
        with_pool!(self, p => sqlx::query(
            "UPDATE makeup_bookings SET reminded_at = NULL WHERE id = $1")
            .bind(id).execute(p).await?.rows_affected());
        Ok(())
    }
}
