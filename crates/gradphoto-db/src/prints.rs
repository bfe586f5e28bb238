//! Print batches and their chain of custody (migration 0031). A batch and its items are
//! written in one transaction; the one-live-item-per-student index refuses a student who
//! has prints already, so two batches made at once never print anyone twice. Every
//! hand-over, receipt and loss runs in one transaction that holds the batch (PostgreSQL
//! `FOR UPDATE`; SQLite's single writer), reads the batch's counts, asks the caller's rule
//! and only then writes — so counts cannot go negative, and a form sent twice (same token)
//! is recorded once.

use crate::rows::impl_from_row;
use crate::{Db, DbError, now_ms, with_pool, write_tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintBatchRow {
    pub id: i64,
    pub code: String,
    pub campaign_id: i64,
    pub department_id: i64,
    pub reprint_of: Option<i64>,
    pub reason: String,
    pub sheets: i64,
    pub lost_at: Option<i64>,
    pub lost_reason: Option<String>,
    pub created_at: i64,
    pub created_by: String,
    /// `hand` (agency → school → department → student) or `mail` (posted to each student).
    pub kind: String,
}
impl_from_row!(PrintBatchRow {
    id,
    code,
    campaign_id,
    department_id,
    reprint_of,
    reason,
    sheets,
    lost_at,
    lost_reason,
    created_at,
    created_by,
    kind
});

impl PrintBatchRow {
    pub fn mailed(&self) -> bool {
        self.kind == "mail"
    }
}

const BATCH_COLS: &str = "id, code, campaign_id, department_id, reprint_of, reason, sheets, \
    lost_at, lost_reason, created_at, created_by, kind";

/// A batch's counts as its hand-overs, receipts and losses add up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BatchCounts {
    pub batch_id: i64,
    pub sheets: i64,
    pub to_school: i64,
    pub to_department: i64,
    pub received: i64,
    pub lost_at_agency: i64,
    pub lost_at_school: i64,
    pub lost_at_department: i64,
    /// Posted and not reported lost (mail batches).
    pub shipped: i64,
    /// Posted sheets handed in to the department by their students, not reported lost.
    pub returned: i64,
    pub mailed: bool,
}
impl_from_row!(BatchCounts {
    batch_id,
    sheets,
    to_school,
    to_department,
    received,
    lost_at_agency,
    lost_at_school,
    lost_at_department,
    shipped,
    returned,
    mailed
});

/// Every batch's counts; [`COUNTS_OF`] is one batch's.
macro_rules! counts_sql {
    () => {
        "SELECT b.id AS batch_id, CAST(b.sheets AS BIGINT) AS sheets, \
    (b.kind = 'mail') AS mailed, \
    CAST((SELECT COUNT(*) FROM print_items i WHERE i.batch_id = b.id AND i.shipped_at IS NOT NULL AND i.lost_at IS NULL) AS BIGINT) AS shipped, \
    CAST((SELECT COUNT(*) FROM print_items i WHERE i.batch_id = b.id AND i.returned_at IS NOT NULL AND i.lost_at IS NULL) AS BIGINT) AS returned, \
    CAST((SELECT COUNT(*) FROM print_items i WHERE i.batch_id = b.id AND i.lost_holder = 'agency') AS BIGINT) AS lost_at_agency, \
    CAST((SELECT COUNT(*) FROM print_items i WHERE i.batch_id = b.id AND i.lost_holder = 'school') AS BIGINT) AS lost_at_school, \
    CAST((SELECT COUNT(*) FROM print_items i WHERE i.batch_id = b.id AND i.lost_holder = 'department') AS BIGINT) AS lost_at_department, \
    CAST(COALESCE((SELECT SUM(h.sheets) FROM print_handovers h WHERE h.batch_id = b.id AND h.stage = 'school'), 0) AS BIGINT) AS to_school, \
    CAST(COALESCE((SELECT SUM(h.sheets) FROM print_handovers h WHERE h.batch_id = b.id AND h.stage = 'department'), 0) AS BIGINT) AS to_department, \
    CAST((SELECT COUNT(*) FROM print_items i WHERE i.batch_id = b.id AND i.received_at IS NOT NULL) AS BIGINT) AS received \
    FROM print_batches b"
    };
}
const COUNTS: &str = counts_sql!();
const COUNTS_OF: &str = concat!(counts_sql!(), " WHERE b.id = $1");

/// One student's sheet in a batch, with the student as the lists show them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintItemRow {
    pub id: i64,
    pub batch_id: i64,
    pub student_id: i64,
    pub outbox_id: i64,
    pub position: i64,
    pub received_at: Option<i64>,
    pub received_by: Option<String>,
    pub lost_at: Option<i64>,
    pub lost_reason: Option<String>,
    pub student_no: String,
    pub name: String,
    pub department_id: i64,
    pub photo_key: String,
    pub batch_code: String,
    /// A posted sheet: the order whose parcel carries it, when it was posted, and the
    /// parcel as the agency recorded it.
    pub order_id: Option<i64>,
    pub shipped_at: Option<i64>,
    pub order_code: Option<String>,
    pub carrier: Option<String>,
    pub tracking_no: Option<String>,
    /// A posted sheet the student handed in to the department (seed 004), and who there
    /// recorded it.
    pub returned_at: Option<i64>,
    pub returned_by: Option<String>,
    /// Replaced by a sheet of a later photo (the earlier one no longer serves).
    pub superseded_at: Option<i64>,
}

impl PrintItemRow {
    /// Neither lost nor superseded: the sheet the student holds or will.
    pub fn live(&self) -> bool {
        self.lost_at.is_none() && self.superseded_at.is_none()
    }
}
impl_from_row!(PrintItemRow {
    id,
    batch_id,
    student_id,
    outbox_id,
    position,
    received_at,
    received_by,
    lost_at,
    lost_reason,
    student_no,
    name,
    department_id,
    photo_key,
    batch_code,
    order_id,
    shipped_at,
    order_code,
    carrier,
    tracking_no,
    returned_at,
    returned_by,
    superseded_at
});

const ITEMS: &str = "SELECT i.id, i.batch_id, i.student_id, i.outbox_id, \
    CAST(i.position AS BIGINT) AS position, i.received_at, i.received_by, i.lost_at, \
    i.lost_reason, s.student_no, s.name, s.department_id, o.photo_key, b.code AS batch_code, \
    i.order_id, i.shipped_at, po.code AS order_code, ps.carrier, ps.tracking_no, \
    i.returned_at, i.returned_by, i.superseded_at \
    FROM print_items i JOIN students s ON s.id = i.student_id \
    JOIN registry_outbox o ON o.id = i.outbox_id \
    JOIN print_batches b ON b.id = i.batch_id \
    LEFT JOIN orders po ON po.id = i.order_id \
    LEFT JOIN order_shipments ps ON ps.order_id = i.order_id";

/// One recorded hand-over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandoverRow {
    pub id: i64,
    pub batch_id: i64,
    pub stage: String,
    pub sheets: i64,
    pub given_by: String,
    pub received_by: String,
    pub at: i64,
    pub recorded_by: String,
}
impl_from_row!(HandoverRow {
    id,
    batch_id,
    stage,
    sheets,
    given_by,
    received_by,
    at,
    recorded_by
});

const HANDOVER_COLS: &str = "id, batch_id, stage, CAST(sheets AS BIGINT) AS sheets, given_by, \
    received_by, at, recorded_by";

/// A batch to print: its students' sheets in print order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBatch {
    pub code: String,
    pub campaign_id: i64,
    pub department_id: i64,
    /// `hand` or `mail`.
    pub kind: &'static str,
    pub reprint_of: Option<i64>,
    pub reason: String,
    pub created_by: String,
    pub items: Vec<NewItem>,
}

/// One student's sheet: the photo the registry accepted and, when posted, the order whose
/// parcel carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewItem {
    pub student_id: i64,
    pub outbox_id: i64,
    pub order_id: Option<i64>,
}

/// A hand-over to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewHandover<'a> {
    pub batch_id: i64,
    pub stage: &'a str,
    pub sheets: i64,
    pub given_by: &'a str,
    pub received_by: &'a str,
    pub recorded_by: &'a str,
    pub token: &'a str,
}

impl Db {
    pub(crate) fn lock_batch_sql(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "SELECT id FROM print_batches WHERE id = $1",
            Db::Postgres(_) => "SELECT id FROM print_batches WHERE id = $1 FOR UPDATE",
        }
    }

    /// Writes a batch and its items. A student's live sheet from another campaign is
    /// superseded by the new one (the caller prints only students whose earlier photo no
    /// longer serves); a student who got a live sheet of this campaign meanwhile makes the
    /// whole batch fail with [`DbError::Conflict`]; nothing is written.
    pub async fn create_print_batch(&self, b: &NewBatch) -> Result<PrintBatchRow, DbError> {
        let now = now_ms();
        let sheets = i64::try_from(b.items.len()).unwrap_or(i64::MAX);
        let sql = format!(
            "INSERT INTO print_batches (code, campaign_id, department_id, reprint_of, reason, \
             sheets, created_at, created_by, kind) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             RETURNING {BATCH_COLS}"
        );
        Ok(write_tx!(self, tx => {
            let row: PrintBatchRow = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(&b.code).bind(b.campaign_id).bind(b.department_id).bind(b.reprint_of)
                .bind(&b.reason).bind(sheets).bind(now).bind(&b.created_by).bind(b.kind)
                .fetch_one(&mut *tx).await?;
            for (n, item) in b.items.iter().enumerate() {
                sqlx::query(
                    "UPDATE print_items SET superseded_at = $1 WHERE student_id = $2 \
                     AND lost_at IS NULL AND superseded_at IS NULL AND batch_id IN \
                     (SELECT id FROM print_batches WHERE campaign_id <> $3)")
                    .bind(now).bind(item.student_id).bind(b.campaign_id)
                    .execute(&mut *tx).await?;
                sqlx::query(
                    "INSERT INTO print_items (batch_id, student_id, outbox_id, position, order_id) \
                     VALUES ($1, $2, $3, $4, $5)")
                    .bind(row.id).bind(item.student_id).bind(item.outbox_id)
                    .bind(i64::try_from(n + 1).unwrap_or(i64::MAX)).bind(item.order_id)
                    .execute(&mut *tx).await?;
            }
            row
        }))
    }

    pub async fn print_batch(&self, id: i64) -> Result<PrintBatchRow, DbError> {
        let sql = format!("SELECT {BATCH_COLS} FROM print_batches WHERE id = $1");
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(id).fetch_one(p).await?),
        )
    }

    /// A campaign's batches, by department and age.
    pub async fn campaign_print_batches(
        &self,
        campaign_id: i64,
    ) -> Result<Vec<PrintBatchRow>, DbError> {
        let sql = format!(
            "SELECT {BATCH_COLS} FROM print_batches WHERE campaign_id = $1 \
             ORDER BY department_id, id"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(campaign_id).fetch_all(p).await?),
        )
    }

    /// The counts of every batch of a campaign.
    pub async fn campaign_print_counts(
        &self,
        campaign_id: i64,
    ) -> Result<Vec<BatchCounts>, DbError> {
        let sql = format!("{COUNTS} WHERE b.campaign_id = $1 ORDER BY b.id");
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(campaign_id).fetch_all(p).await?),
        )
    }

    pub async fn print_counts(&self, batch_id: i64) -> Result<BatchCounts, DbError> {
        Ok(with_pool!(self, p => sqlx::query_as(COUNTS_OF)
            .bind(batch_id).fetch_one(p).await?))
    }

    /// A batch's sheets in print order.
    pub async fn print_items(&self, batch_id: i64) -> Result<Vec<PrintItemRow>, DbError> {
        let sql = format!("{ITEMS} WHERE i.batch_id = $1 ORDER BY i.position");
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(batch_id).fetch_all(p).await?),
        )
    }

    pub async fn print_item(&self, id: i64) -> Result<PrintItemRow, DbError> {
        let sql = format!("{ITEMS} WHERE i.id = $1");
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(id).fetch_one(p).await?),
        )
    }

    /// A student's sheets in every batch, newest first.
    pub async fn student_print_items(&self, student_id: i64) -> Result<Vec<PrintItemRow>, DbError> {
        let sql = format!("{ITEMS} WHERE i.student_id = $1 ORDER BY i.id DESC");
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(student_id).fetch_all(p).await?),
        )
    }

    /// The batch's lost sheets not reprinted yet (their students hold no live sheet), in
    /// print order, as a reprint would print them.
    pub async fn lost_unreprinted(&self, batch_id: i64) -> Result<Vec<NewItem>, DbError> {
        let rows: Vec<(i64, i64, Option<i64>)> = with_pool!(self, p => sqlx::query_as(
            "SELECT i.student_id, i.outbox_id, i.order_id FROM print_items i \
             WHERE i.batch_id = $1 AND i.lost_at IS NOT NULL AND NOT EXISTS \
             (SELECT 1 FROM print_items x WHERE x.student_id = i.student_id AND x.lost_at IS NULL \
              AND x.superseded_at IS NULL) \
             ORDER BY i.position")
            .bind(batch_id).fetch_all(p).await?);
        Ok(rows
            .into_iter()
            .map(|(student_id, outbox_id, order_id)| NewItem {
                student_id,
                outbox_id,
                order_id,
            })
            .collect())
    }

    pub async fn print_handovers(&self, batch_id: i64) -> Result<Vec<HandoverRow>, DbError> {
        let sql =
            format!("SELECT {HANDOVER_COLS} FROM print_handovers WHERE batch_id = $1 ORDER BY id");
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(batch_id).fetch_all(p).await?),
        )
    }

    /// Records a hand-over if `check` allows it on the batch's counts; the same token
    /// again returns the hand-over it recorded (`Ok(Ok((row, false)))`), nothing added.
    pub async fn record_print_handover<E>(
        &self,
        h: &NewHandover<'_>,
        check: impl FnOnce(&BatchCounts) -> Result<(), E>,
    ) -> Result<Result<(HandoverRow, bool), E>, DbError> {
        let lock = self.lock_batch_sql();
        let by_token = format!("SELECT {HANDOVER_COLS} FROM print_handovers WHERE token = $1");
        let insert = format!(
            "INSERT INTO print_handovers (batch_id, stage, sheets, given_by, received_by, at, \
             recorded_by, token) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             RETURNING {HANDOVER_COLS}"
        );
        let now = now_ms();
        Ok(write_tx!(self, tx => {
            sqlx::query(lock).bind(h.batch_id).fetch_one(&mut *tx).await?;
            let seen: Option<HandoverRow> = sqlx::query_as(sqlx::AssertSqlSafe(by_token.as_str()))
                .bind(h.token).fetch_optional(&mut *tx).await?;
            match seen {
                Some(row) => Ok((row, false)),
                None => {
                    let c: BatchCounts = sqlx::query_as(COUNTS_OF)
                        .bind(h.batch_id).fetch_one(&mut *tx).await?;
                    match check(&c) {
                        Err(e) => Err(e),
                        Ok(()) => {
                            let row: HandoverRow = sqlx::query_as(sqlx::AssertSqlSafe(insert.as_str()))
                                .bind(h.batch_id).bind(h.stage).bind(h.sheets).bind(h.given_by)
                                .bind(h.received_by).bind(now).bind(h.recorded_by).bind(h.token)
                                .fetch_one(&mut *tx).await?;
                            Ok((row, true))
                        }
                    }
                }
            }
        }))
    }

    /// Records that the student of item `id` has their sheet (`by`: "student" or the
    /// staff member), if `check` allows it on the batch's counts and whether the sheet
    /// was posted; `Ok(Ok(false))` when it
    /// was recorded before, `DbError::Conflict` when the sheet is lost.
    pub async fn receive_print_item<E>(
        &self,
        id: i64,
        by: &str,
        check: impl FnOnce(&BatchCounts, bool) -> Result<(), E>,
    ) -> Result<Result<bool, E>, DbError> {
        let item = self.print_item(id).await?;
        let lock = self.lock_batch_sql();
        let now = now_ms();
        Ok(write_tx!(self, tx => {
            sqlx::query(lock).bind(item.batch_id).fetch_one(&mut *tx).await?;
            let (received, lost, shipped): (Option<i64>, Option<i64>, Option<i64>) = sqlx::query_as(
                "SELECT received_at, lost_at, shipped_at FROM print_items WHERE id = $1")
                .bind(id).fetch_one(&mut *tx).await?;
            if received.is_some() {
                Ok(false)
            } else if lost.is_some() {
                return Err(DbError::Conflict("print item lost".into()));
            } else {
                let c: BatchCounts = sqlx::query_as(COUNTS_OF)
                    .bind(item.batch_id).fetch_one(&mut *tx).await?;
                match check(&c, shipped.is_some()) {
                    Err(e) => Err(e),
                    Ok(()) => {
                        sqlx::query(
                            "UPDATE print_items SET received_at = $1, received_by = $2 WHERE id = $3")
                            .bind(now).bind(by).bind(id).execute(&mut *tx).await?;
                        Ok(true)
                    }
                }
            }
        }))
    }

    /// Records that the student of posted sheet `id` handed it in to the department
    /// (recorded by `by`; their receipt is implied). `Ok(false)` when recorded before;
    /// `DbError::Conflict` when the sheet is lost or was never posted.
    pub async fn return_print_item(&self, id: i64, by: &str) -> Result<bool, DbError> {
        let item = self.print_item(id).await?;
        let lock = self.lock_batch_sql();
        let now = now_ms();
        Ok(write_tx!(self, tx => {
            sqlx::query(lock).bind(item.batch_id).fetch_one(&mut *tx).await?;
            let (returned, lost, shipped): (Option<i64>, Option<i64>, Option<i64>) = sqlx::query_as(
                "SELECT returned_at, lost_at, shipped_at FROM print_items WHERE id = $1")
                .bind(id).fetch_one(&mut *tx).await?;
            if returned.is_some() {
                false
            } else if lost.is_some() || shipped.is_none() {
                return Err(DbError::Conflict("print item lost or not posted".into()));
            } else {
                sqlx::query(
                    "UPDATE print_items SET returned_at = $1, returned_by = $2, \
                     received_at = COALESCE(received_at, $1), \
                     received_by = COALESCE(received_by, 'student') WHERE id = $3")
                    .bind(now).bind(by).bind(id).execute(&mut *tx).await?;
                true
            }
        }))
    }

    /// Reports sheets of a batch lost: `plan` is given the batch's counts and its open
    /// sheets (neither received nor lost, in print order) and names the sheets lost and
    /// where (`agency`, `school`, `department`), or refuses. With `whole`, the batch
    /// itself is marked lost too. Returns the sheets now lost.
    pub async fn lose_print_items<E>(
        &self,
        batch_id: i64,
        reason: &str,
        whole: bool,
        plan: impl FnOnce(&BatchCounts, &[i64]) -> Result<Vec<(i64, &'static str)>, E>,
    ) -> Result<Result<Vec<i64>, E>, DbError> {
        let lock = self.lock_batch_sql();
        let now = now_ms();
        Ok(write_tx!(self, tx => {
            sqlx::query(lock).bind(batch_id).fetch_one(&mut *tx).await?;
            let open: Vec<(i64,)> = sqlx::query_as(
                "SELECT id FROM print_items WHERE batch_id = $1 AND received_at IS NULL \
                 AND lost_at IS NULL ORDER BY position")
                .bind(batch_id).fetch_all(&mut *tx).await?;
            let open: Vec<i64> = open.into_iter().map(|(id,)| id).collect();
            let c: BatchCounts = sqlx::query_as(COUNTS_OF)
                .bind(batch_id).fetch_one(&mut *tx).await?;
            match plan(&c, &open) {
                Err(e) => Err(e),
                Ok(lost) => {
                    for (id, holder) in &lost {
                        sqlx::query(
                            "UPDATE print_items SET lost_at = $1, lost_reason = $2, lost_holder = $3 \
                             WHERE id = $4 AND batch_id = $5 AND received_at IS NULL AND lost_at IS NULL")
                            .bind(now).bind(reason).bind(holder).bind(id).bind(batch_id)
                            .execute(&mut *tx).await?;
                    }
                    if whole {
                        sqlx::query(
                            "UPDATE print_batches SET lost_at = $1, lost_reason = $2 WHERE id = $3")
                            .bind(now).bind(reason).bind(batch_id).execute(&mut *tx).await?;
                    }
                    Ok(lost.into_iter().map(|(id, _)| id).collect())
                }
            }
        }))
    }
}
