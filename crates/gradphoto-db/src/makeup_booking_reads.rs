//! Reading make-up bookings (migration 0025): one by id or code, a student's, a branch's
//! day, the lists the sweep and the reminders walk, and the slots' counts. The writes —
//! taking, moving and ending places — are `makeup_bookings`.

use crate::makeup_bookings::{BY_ID, BookingRow, COLS};
use crate::rows::impl_from_row;
use crate::{Db, DbError, with_pool};

/// The slot's count as places are taken and given back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotCount {
    pub day: String,
    pub starts: String,
    pub booked: i64,
}
impl_from_row!(SlotCount {
    day,
    starts,
    booked
});

impl Db {
    pub async fn booking(&self, id: i64) -> Result<BookingRow, DbError> {
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(BY_ID.as_str()))
            .bind(id).fetch_one(p).await?),
        )
    }

    pub async fn booking_by_code(&self, code: &str) -> Result<Option<BookingRow>, DbError> {
        let sql = format!("SELECT {COLS} FROM makeup_bookings WHERE code = $1");
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(code).fetch_optional(p).await?),
        )
    }

    /// The numbers of a campaign checked in for a make-up booking (paid for as the
    /// booked service, never through the departments' settlement).
    pub async fn makeup_checkins(&self, campaign_id: i64) -> Result<Vec<i64>, DbError> {
        let rows: Vec<(i64,)> = with_pool!(self, p => sqlx::query_as(
            "SELECT checkin_id FROM makeup_bookings WHERE campaign_id = $1 AND checkin_id IS NOT NULL")
            .bind(campaign_id).fetch_all(p).await?);
        Ok(rows.into_iter().map(|(c,)| c).collect())
    }

    /// The booking a number was checked in for (a make-up at a branch), if any: the
    /// newest, when a student whose photo was never confirmed came back on a new booking
    /// (the number is the student's for the campaign, so both bookings name it).
    pub async fn booking_of_checkin(&self, checkin_id: i64) -> Result<Option<BookingRow>, DbError> {
        let sql = format!(
            "SELECT {COLS} FROM makeup_bookings WHERE checkin_id = $1 ORDER BY id DESC LIMIT 1"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(checkin_id).fetch_optional(p).await?),
        )
    }

    /// A booking's fee order (a service paid online), if any.
    pub async fn booking_order(
        &self,
        booking_id: i64,
    ) -> Result<Option<crate::payments::OrderRow>, DbError> {
        let sql = format!(
            "SELECT {} FROM orders WHERE booking_id = $1",
            crate::payments::ORDER_COLS
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(booking_id).fetch_optional(p).await?),
        )
    }

    /// Bookings still waiting, made before `made_before`, whose fee order is unpaid: the
    /// places held for a payment that did not come.
    pub async fn unpaid_bookings(&self, made_before: i64) -> Result<Vec<BookingRow>, DbError> {
        let cols = crate::rows::qualified(COLS, "b");
        let sql = format!(
            "SELECT {cols} FROM makeup_bookings b JOIN orders o ON o.booking_id = b.id \
             WHERE b.status = 'booked' AND o.status = 'pending' AND b.created_at < $1 \
             ORDER BY b.id"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(made_before).fetch_all(p).await?),
        )
    }

    /// Live bookings of days before `day` that are over without a photo: still waiting
    /// (nobody came), or attended with a number whose photo was never confirmed.
    pub async fn lapsed_bookings(&self, day: &str) -> Result<Vec<BookingRow>, DbError> {
        let cols = crate::rows::qualified(COLS, "b");
        let sql = format!(
            "SELECT {cols} FROM makeup_bookings b \
             LEFT JOIN onsite_checkins c ON c.id = b.checkin_id \
             WHERE b.day < $1 AND (b.status = 'booked' \
                OR (b.status = 'attended' AND (c.id IS NULL OR c.stage <> 'confirmed'))) \
             ORDER BY b.id"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(day).fetch_all(p).await?),
        )
    }

    /// Bookings still waiting on `day` that were not reminded yet: the day-before
    /// reminders to send.
    pub async fn bookings_to_remind(&self, day: &str) -> Result<Vec<BookingRow>, DbError> {
        let sql = format!(
            "SELECT {COLS} FROM makeup_bookings WHERE day = $1 AND status = 'booked' \
             AND reminded_at IS NULL ORDER BY id"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(day).fetch_all(p).await?),
        )
    }

    /// The student's live booking for a campaign, if any.
    pub async fn live_booking(
        &self,
        campaign_id: i64,
        student_id: i64,
    ) -> Result<Option<BookingRow>, DbError> {
        let sql = format!(
            "SELECT {COLS} FROM makeup_bookings WHERE campaign_id = $1 AND student_id = $2 \
             AND status IN ('booked', 'attended')"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(campaign_id).bind(student_id).fetch_optional(p).await?),
        )
    }

    /// An account's bookings, newest first.
    pub async fn account_bookings(&self, account_id: i64) -> Result<Vec<BookingRow>, DbError> {
        let sql =
            format!("SELECT {COLS} FROM makeup_bookings WHERE account_id = $1 ORDER BY id DESC");
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(account_id).fetch_all(p).await?),
        )
    }

    /// A branch's bookings on a day, by time: who is expected (and who came or did not).
    pub async fn branch_day_bookings(
        &self,
        branch_id: i64,
        day: &str,
    ) -> Result<Vec<BookingRow>, DbError> {
        let cols = crate::rows::qualified(COLS, "b");
        let sql = format!(
            "SELECT {cols} FROM makeup_bookings b JOIN branch_services s ON s.id = b.service_id \
             WHERE s.branch_id = $1 AND b.day = $2 AND b.status <> 'cancelled' \
             ORDER BY b.starts, s.id, b.id"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(branch_id).bind(day).fetch_all(p).await?),
        )
    }

    /// How many places are taken in a service's slots from `first` to `last` (inclusive).
    pub async fn slot_counts(
        &self,
        service_id: i64,
        first: &str,
        last: &str,
    ) -> Result<Vec<SlotCount>, DbError> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT day, starts, booked FROM makeup_slots WHERE service_id = $1 \
             AND day >= $2 AND day <= $3 ORDER BY day, starts")
            .bind(service_id).bind(first).bind(last).fetch_all(p).await?))
    }

    /// The live bookings of one slot, counted from the bookings themselves (a check of the
    /// slot's count).
    pub async fn live_in_slot(
        &self,
        service_id: i64,
        day: &str,
        starts: &str,
    ) -> Result<i64, DbError> {
        let (n,): (i64,) = with_pool!(self, p => sqlx::query_as(
            "SELECT COUNT(*) FROM makeup_bookings WHERE service_id = $1 AND day = $2 \
             AND starts = $3 AND status IN ('booked', 'attended')")
            .bind(service_id).bind(day).bind(starts).fetch_one(p).await?);
        Ok(n)
    }
}
