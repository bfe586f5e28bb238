//! The agency's list of orders (issue 5, agency side): online orders and fees paid at the
//! on-site desk (issue 7), each with its school, campaign and student, the provider of the
//! confirmed payment, what was refunded, and where the student's photo stands (its
//! status, and the registry outbox row it was sent as). Filters are optional; the same
//! SQL runs on both backends.

use crate::rows::impl_from_row;
use crate::{Db, DbError, with_pool};

/// Which orders to list. Every `None` is "any".
#[derive(Debug, Clone, Default)]
pub struct OrderListFilter {
    pub university_id: Option<i64>,
    pub campaign_id: Option<i64>,
    /// `pending`, `paid` or `canceled`.
    pub status: Option<String>,
    /// A payment method (`wechat`, `alipay`): orders with a confirmed payment of its
    /// live or sandbox provider.
    pub method: Option<String>,
    /// Created at or after (Unix ms).
    pub created_from: Option<i64>,
    /// Created before (Unix ms).
    pub created_before: Option<i64>,
    /// Substring of the order code or the contact phone.
    pub search: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

/// One order as the agency's list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderListRow {
    pub id: i64,
    pub code: String,
    pub status: String,
    pub total_fen: i64,
    pub contact_phone: String,
    pub created_at: i64,
    pub paid_at: Option<i64>,
    pub university_id: i64,
    pub university_zh: String,
    pub university_en: String,
    pub campaign_id: i64,
    pub campaign_name: String,
    /// The roster student bound to the entry (plain, as the roster stores it).
    pub student_name: Option<String>,
    pub student_no: Option<String>,
    /// The provider of the newest confirmed payment (`wechat`, `sandbox-alipay`, …).
    pub provider: Option<String>,
    /// Confirmed payments and completed refunds, summed.
    pub paid_fen: i64,
    pub refunded_fen: i64,
    /// The entry's current (newest) photo.
    pub photo_status: Option<String>,
    /// The outbox row the photo was sent as (0 while being sent).
    pub outbox_id: Option<i64>,
    pub outbox_status: Option<String>,
    pub outbox_verdict: Option<String>,
    /// The shooting number whose fee this is, for a fee paid at the on-site desk.
    pub desk_number: Option<i64>,
}
impl_from_row!(OrderListRow {
    id,
    code,
    status,
    total_fen,
    contact_phone,
    created_at,
    paid_at,
    university_id,
    university_zh,
    university_en,
    campaign_id,
    campaign_name,
    student_name,
    student_no,
    provider,
    paid_fen,
    refunded_fen,
    photo_status,
    outbox_id,
    outbox_status,
    outbox_verdict,
    desk_number
});

/// What the whole filtered list adds up to (not just the page shown).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OrderTotals {
    pub orders: i64,
    pub paid_orders: i64,
    /// Confirmed payments of the listed orders.
    pub paid_fen: i64,
    /// Completed refunds of the listed orders.
    pub refunded_fen: i64,
}
impl_from_row!(OrderTotals {
    orders,
    paid_orders,
    paid_fen,
    refunded_fen
});

const PAID_FEN: &str = "CAST(COALESCE((SELECT SUM(p.amount_fen) FROM order_payments p \
    WHERE p.order_id = o.id AND p.state = 'confirmed'), 0) AS BIGINT)";
const REFUNDED_FEN: &str = "CAST(COALESCE((SELECT SUM(r.amount_fen) FROM order_refunds r \
    WHERE r.order_id = o.id AND r.state = 'done'), 0) AS BIGINT)";

/// The order with its online entry, on-site number or make-up booking (and the number the
/// booked student was given at the branch), campaign, school and student (an online order
/// has its student once the identity step bound one).
const JOINS: &str = "FROM orders o \
    LEFT JOIN online_entries e ON e.id = o.entry_id \
    LEFT JOIN makeup_bookings mb ON mb.id = o.booking_id \
    LEFT JOIN onsite_checkins ch ON ch.id = COALESCE(o.checkin_id, mb.checkin_id) \
    JOIN campaigns c ON c.id = COALESCE(e.campaign_id, ch.campaign_id, mb.campaign_id) \
    JOIN universities u ON u.id = c.university_id \
    LEFT JOIN students s ON s.id = COALESCE(e.student_id, ch.student_id, mb.student_id)";

/// The entry's current photo (the newest) and the outbox row it was sent as; for a fee
/// paid at the desk, the number's photo once the student confirmed it.
const PHOTO_JOINS: &str = "LEFT JOIN online_photos ph ON ph.id = \
        (SELECT MAX(x.id) FROM online_photos x WHERE x.entry_id = e.id) \
    LEFT JOIN registry_outbox ob ON ob.id = COALESCE(ph.outbox_id, ch.outbox_id)";

/// The photo's status as the list reads it: a confirmed on-site photo counts as checked.
const PHOTO_STATUS: &str = "CASE WHEN ch.id IS NULL THEN ph.status \
    WHEN ch.stage = 'confirmed' THEN 'checked' END";

/// The filters, shared by the page and the totals.
const FILTERS: &str = "WHERE ($1 IS NULL OR c.university_id = $1) \
    AND ($2 IS NULL OR c.id = $2) \
    AND ($3 IS NULL OR o.status = $3) \
    AND ($4 IS NULL OR EXISTS (SELECT 1 FROM order_payments p WHERE p.order_id = o.id \
        AND p.state = 'confirmed' AND (p.provider = $4 OR p.provider = 'sandbox-' || $4))) \
    AND ($5 IS NULL OR o.created_at >= $5) \
    AND ($6 IS NULL OR o.created_at < $6) \
    AND ($7 IS NULL OR UPPER(o.code) LIKE $7 OR o.contact_phone LIKE $7)";

/// PostgreSQL cannot infer the type of a parameter used only in `$n IS NULL`; give it one.
fn typed(db: &Db, sql: &str) -> String {
    match db {
        Db::Sqlite(_) => sql.to_string(),
        Db::Postgres(_) => sql
            .replace("($1 IS NULL", "($1::BIGINT IS NULL")
            .replace("($2 IS NULL", "($2::BIGINT IS NULL")
            .replace("($3 IS NULL", "($3::TEXT IS NULL")
            .replace("($4 IS NULL", "($4::TEXT IS NULL")
            .replace("($5 IS NULL", "($5::BIGINT IS NULL")
            .replace("($6 IS NULL", "($6::BIGINT IS NULL")
            .replace("($7 IS NULL", "($7::TEXT IS NULL"),
    }
}

impl OrderListFilter {
    /// `%text%` for LIKE, upper-cased (order codes are) and without LIKE's wildcards.
    fn pattern(&self) -> Option<String> {
        self.search
            .as_ref()
            .map(|s| format!("%{}%", s.replace(['%', '_'], "").to_uppercase()))
    }
}

impl Db {
    /// One page of orders, newest first.
    pub async fn list_orders(&self, f: &OrderListFilter) -> Result<Vec<OrderListRow>, DbError> {
        let sql = typed(
            self,
            &format!(
                "SELECT o.id, o.code, o.status, o.total_fen, o.contact_phone, o.created_at, \
                 o.paid_at, u.id AS university_id, u.name_zh AS university_zh, \
                 u.name_en AS university_en, c.id AS campaign_id, c.name AS campaign_name, \
                 s.name AS student_name, s.student_no, \
                 (SELECT p.provider FROM order_payments p WHERE p.order_id = o.id \
                  AND p.state = 'confirmed' ORDER BY p.id DESC LIMIT 1) AS provider, \
                 {PAID_FEN} AS paid_fen, {REFUNDED_FEN} AS refunded_fen, \
                 {PHOTO_STATUS} AS photo_status, \
                 COALESCE(ph.outbox_id, ch.outbox_id) AS outbox_id, \
                 ob.status AS outbox_status, ob.verdict AS outbox_verdict, \
                 ch.number AS desk_number \
                 {JOINS} {PHOTO_JOINS} {FILTERS} \
                 ORDER BY o.created_at DESC, o.id DESC LIMIT $8 OFFSET $9"
            ),
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(f.university_id).bind(f.campaign_id).bind(&f.status).bind(&f.method)
            .bind(f.created_from).bind(f.created_before).bind(f.pattern())
            .bind(f.limit).bind(f.offset)
            .fetch_all(p).await?),
        )
    }

    /// How many orders the filter matches and what they add up to.
    pub async fn order_totals(&self, f: &OrderListFilter) -> Result<OrderTotals, DbError> {
        let sql = typed(
            self,
            &format!(
                "SELECT COUNT(*) AS orders, \
                 CAST(COALESCE(SUM(CASE WHEN t.status = 'paid' THEN 1 ELSE 0 END), 0) AS BIGINT) \
                   AS paid_orders, \
                 CAST(COALESCE(SUM(t.paid_fen), 0) AS BIGINT) AS paid_fen, \
                 CAST(COALESCE(SUM(t.refunded_fen), 0) AS BIGINT) AS refunded_fen \
                 FROM (SELECT o.status, {PAID_FEN} AS paid_fen, {REFUNDED_FEN} AS refunded_fen \
                 {JOINS} {FILTERS}) t"
            ),
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(f.university_id).bind(f.campaign_id).bind(&f.status).bind(&f.method)
            .bind(f.created_from).bind(f.created_before).bind(f.pattern())
            .fetch_one(p).await?),
        )
    }
}
