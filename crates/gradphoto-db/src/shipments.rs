//! Prints mailed to an online student (migrations 0029, 0033): the address, editable until
//! the student's sheet is printed (and again once it is reported lost, before the reprint),
//! and the carrier and tracking number of the parcel that carries the sheet.

use crate::rows::impl_from_row;
use crate::{Db, DbError, now_ms, with_pool, write_tx};

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

    /// Sets the address of an order's parcel unless the order's student (`student_id`)
    /// holds a printed sheet that is not lost — for this parcel or through the department
    /// — or the parcel was posted before sheets were recorded; `false` when refused. The
    /// check and the write are one statement, so a batch made meanwhile is seen.
    pub async fn set_shipping_address(
        &self,
        order_id: i64,
        student_id: Option<i64>,
        recipient: &str,
        phone: &str,
        address: &str,
    ) -> Result<bool, DbError> {
        let n = with_pool!(self, p => sqlx::query(
            "INSERT INTO order_shipments (order_id, recipient, phone, address, updated_at) \
             SELECT $1, $2, $3, $4, $5 WHERE NOT EXISTS (SELECT 1 FROM print_items i \
                WHERE i.student_id = $6 AND i.lost_at IS NULL AND i.superseded_at IS NULL) \
             ON CONFLICT (order_id) DO UPDATE SET \
             recipient = excluded.recipient, phone = excluded.phone, address = excluded.address, \
             updated_at = excluded.updated_at \
             WHERE order_shipments.shipped_at IS NULL OR EXISTS (SELECT 1 FROM print_items i \
                WHERE i.order_id = order_shipments.order_id)")
            .bind(order_id).bind(recipient).bind(phone).bind(address).bind(now_ms())
            .bind(student_id)
            .execute(p).await?.rows_affected());
        Ok(n == 1)
    }

    /// Posts the order's printed sheet: records the parcel's carrier and tracking number
    /// (a correction keeps the sheet's posting time), under the lock of the sheet's batch
    /// so a loss and a posting never cross.
    pub async fn ship_print_item(
        &self,
        order_id: i64,
        carrier: &str,
        tracking_no: &str,
        by: &str,
    ) -> Result<Posting, DbError> {
        let lock = self.lock_batch_sql();
        let now = now_ms();
        let live = "SELECT id, batch_id, shipped_at FROM print_items \
            WHERE order_id = $1 AND lost_at IS NULL AND superseded_at IS NULL";
        Ok(write_tx!(self, tx => {
            let item: Option<(i64, i64, Option<i64>)> = sqlx::query_as(live)
                .bind(order_id).fetch_optional(&mut *tx).await?;
            let Some((_, batch_id, _)) = item else {
                return Ok(Posting::NotPrinted);
            };
            sqlx::query(lock).bind(batch_id).fetch_one(&mut *tx).await?;
            // Read again under the lock: reported lost meanwhile?
            let item: Option<(i64, i64, Option<i64>)> = sqlx::query_as(live)
                .bind(order_id).fetch_optional(&mut *tx).await?;
            let Some((item_id, _, shipped)) = item else {
                return Ok(Posting::NotPrinted);
            };
            let at = shipped.unwrap_or(now);
            let n = sqlx::query(
                "UPDATE order_shipments SET carrier = $1, tracking_no = $2, shipped_at = $3, \
                 shipped_by = $4, updated_at = $5 WHERE order_id = $6")
                .bind(carrier).bind(tracking_no).bind(at).bind(by).bind(now).bind(order_id)
                .execute(&mut *tx).await?.rows_affected();
            if n != 1 {
                return Ok(Posting::NoAddress);
            }
            sqlx::query("UPDATE print_items SET shipped_at = $1 WHERE id = $2")
                .bind(at).bind(item_id).execute(&mut *tx).await?;
            Posting::Posted
        }))
    }
}

/// What posting an order's sheet came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Posting {
    Posted,
    /// The order's sheet is not printed (or was reported lost and not reprinted yet).
    NotPrinted,
    NoAddress,
}
