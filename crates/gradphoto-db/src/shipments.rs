//! Prints mailed to an online student (migration 0029): the address, editable until the
//! parcel is shipped, and the carrier and tracking number.

use crate::rows::impl_from_row;
use crate::{Db, DbError, now_ms, with_pool};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShipmentRow {
    pub order_id: i64,
    pub recipient: String,
    pub phone: String,
    pub address: String,
    pub carrier: Option<String>,
    pub tracking_no: Option<String>,
    pub shipped_at: Option<i64>,
    pub shipped_by: Option<String>,
    pub updated_at: i64,
}
impl_from_row!(ShipmentRow {
    order_id,
    recipient,
    phone,
    address,
    carrier,
    tracking_no,
    shipped_at,
    shipped_by,
    updated_at
});

const COLS: &str = "order_id, recipient, phone, address, carrier, tracking_no, shipped_at, \
    shipped_by, updated_at";

impl Db {
    pub async fn shipment(&self, order_id: i64) -> Result<Option<ShipmentRow>, DbError> {
        let sql = format!("SELECT {COLS} FROM order_shipments WHERE order_id = $1");
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(order_id).fetch_optional(p).await?),
        )
    }

    /// Sets the address of an order's parcel unless it was shipped; `false` when shipped.
    pub async fn set_shipping_address(
        &self,
        order_id: i64,
        recipient: &str,
        phone: &str,
        address: &str,
    ) -> Result<bool, DbError> {
        let n = with_pool!(self, p => sqlx::query(
            "INSERT INTO order_shipments (order_id, recipient, phone, address, updated_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (order_id) DO UPDATE SET \
             recipient = excluded.recipient, phone = excluded.phone, address = excluded.address, \
             updated_at = excluded.updated_at WHERE order_shipments.shipped_at IS NULL")
            .bind(order_id).bind(recipient).bind(phone).bind(address).bind(now_ms())
            .execute(p).await?.rows_affected());
        Ok(n == 1)
    }

    /// Records the parcel as shipped (or corrects its tracking number); `false` when the
    /// order has no address.
    pub async fn ship(
        &self,
        order_id: i64,
        carrier: &str,
        tracking_no: &str,
        by: &str,
    ) -> Result<bool, DbError> {
        let now = now_ms();
        let n = with_pool!(self, p => sqlx::query(
            "UPDATE order_shipments SET carrier = $1, tracking_no = $2, \
             shipped_at = COALESCE(shipped_at, $3), shipped_by = $4, updated_at = $3 \
             WHERE order_id = $5")
            .bind(carrier).bind(tracking_no).bind(now).bind(by).bind(order_id)
            .execute(p).await?.rows_affected());
        Ok(n == 1)
    }
}
