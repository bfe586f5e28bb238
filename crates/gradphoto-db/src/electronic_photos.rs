//! The electronic photo (migration 0027): a student's standard image as the registry
//! accepted it — the outbox row's photo, found through the codes the student was
//! photographed under in a campaign (on site or online) — and the log of its downloads.

use crate::rows::impl_from_row;
use crate::{Db, DbError, now_ms, with_pool};

/// A student's photo accepted by the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedPhoto {
    pub student_id: i64,
    pub student_no: String,
    pub department_id: i64,
    pub photo_key: String,
    /// When the registry's acceptance was recorded.
    pub accepted_at: i64,
    pub outbox_id: i64,
}
impl_from_row!(AcceptedPhoto {
    student_id,
    student_no,
    department_id,
    photo_key,
    accepted_at,
    outbox_id
});

/// One logged download as the log shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadLine {
    pub id: i64,
    pub campaign_id: i64,
    pub student_id: Option<i64>,
    /// The department zipped, or the student's department.
    pub department_id: Option<i64>,
    pub who_kind: String,
    pub who: String,
    pub files: i64,
    pub created_at: i64,
    pub student_no: Option<String>,
    pub student_name: Option<String>,
}
impl_from_row!(DownloadLine {
    id,
    campaign_id,
    student_id,
    department_id,
    who_kind,
    who,
    files,
    created_at,
    student_no,
    student_name
});

/// A download to log: a student's own, or a department's zip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDownload<'a> {
    pub campaign_id: i64,
    pub student_id: Option<i64>,
    pub department_id: Option<i64>,
    pub who_kind: &'a str,
    pub who: &'a str,
    pub files: i64,
}

const ACCEPTED: &str = "SELECT s.id AS student_id, s.student_no, s.department_id, \
    o.photo_key, o.updated_at AS accepted_at, o.id AS outbox_id \
    FROM registry_outbox o \
    JOIN (SELECT student_id, code_id FROM onsite_checkins WHERE campaign_id = $1 \
          UNION SELECT student_id, code_id FROM online_entries WHERE campaign_id = $1 \
          AND code_id IS NOT NULL AND student_id IS NOT NULL) k ON k.code_id = o.code_id \
    JOIN students s ON s.id = k.student_id \
    WHERE o.status = 'answered' AND o.verdict = 'accepted'";

/// The newest accepted photo of each student, in student-number order.
fn newest_per_student(mut rows: Vec<AcceptedPhoto>) -> Vec<AcceptedPhoto> {
    rows.sort_by(|a, b| {
        a.student_no
            .cmp(&b.student_no)
            .then(b.outbox_id.cmp(&a.outbox_id))
    });
    rows.dedup_by(|later, first| later.student_id == first.student_id);
    rows
}

impl Db {
    /// The student's newest photo accepted by the registry in the campaign, if any.
    pub async fn accepted_photo_of(
        &self,
        campaign_id: i64,
        student_id: i64,
    ) -> Result<Option<AcceptedPhoto>, DbError> {
        let sql = format!("{ACCEPTED} AND s.id = $2");
        let rows: Vec<AcceptedPhoto> = with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(campaign_id).bind(student_id).fetch_all(p).await?);
        Ok(newest_per_student(rows).into_iter().next())
    }

    /// The newest accepted photo of each student of the campaign who holds no prints yet:
    /// no live sheet (not lost, not superseded) from this campaign, nor from an earlier one
    /// whose photo still serves (seed 002) — a student this campaign says must be
    /// photographed again (`must`: the earlier image is void, DESIGN §2) is printed anew —
    /// nor a parcel posted before sheets were recorded.
    pub async fn accepted_unprinted(
        &self,
        campaign_id: i64,
    ) -> Result<Vec<AcceptedPhoto>, DbError> {
        let sql = format!(
            "{ACCEPTED} AND NOT EXISTS (SELECT 1 FROM print_items pi \
             JOIN print_batches pb ON pb.id = pi.batch_id \
             WHERE pi.student_id = s.id AND pi.lost_at IS NULL AND pi.superseded_at IS NULL \
             AND (pb.campaign_id = $1 OR NOT EXISTS (SELECT 1 FROM eligibility e \
                WHERE e.campaign_id = $1 AND e.student_id = s.id AND e.verdict = 'must'))) \
             AND NOT EXISTS (SELECT 1 FROM online_entries le JOIN orders lo ON lo.entry_id = le.id \
             JOIN order_shipments ls ON ls.order_id = lo.id WHERE le.student_id = s.id \
             AND ls.shipped_at IS NOT NULL \
             AND NOT EXISTS (SELECT 1 FROM print_items x WHERE x.order_id = lo.id))"
        );
        let rows: Vec<AcceptedPhoto> = with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(campaign_id).fetch_all(p).await?);
        Ok(newest_per_student(rows))
    }

    /// The students of the campaign whose prints are posted to them (seed 004), each with
    /// the order whose parcel carries them: a paid online order with an address (the
    /// newest, should there be two). An unpaid one is not posted; its student's prints
    /// come through the department.
    pub async fn mail_orders(&self, campaign_id: i64) -> Result<Vec<(i64, i64)>, DbError> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT me.student_id, MAX(mo.id) FROM online_entries me \
             JOIN orders mo ON mo.entry_id = me.id \
             JOIN order_shipments ms ON ms.order_id = mo.id \
             WHERE me.campaign_id = $1 AND me.student_id IS NOT NULL AND mo.status = 'paid' \
             GROUP BY me.student_id")
            .bind(campaign_id).fetch_all(p).await?))
    }

    /// The newest accepted photo of each student of a department in the campaign.
    pub async fn accepted_photos_of_department(
        &self,
        campaign_id: i64,
        department_id: i64,
    ) -> Result<Vec<AcceptedPhoto>, DbError> {
        let sql = format!("{ACCEPTED} AND s.department_id = $2");
        let rows: Vec<AcceptedPhoto> = with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(campaign_id).bind(department_id).fetch_all(p).await?);
        Ok(newest_per_student(rows))
    }

    pub async fn log_photo_download(&self, d: &NewDownload<'_>) -> Result<(), DbError> {
        with_pool!(self, p => sqlx::query(
            "INSERT INTO photo_downloads (campaign_id, student_id, department_id, who_kind, who, \
             files, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(d.campaign_id).bind(d.student_id).bind(d.department_id).bind(d.who_kind)
            .bind(d.who).bind(d.files).bind(now_ms()).execute(p).await?.rows_affected());
        Ok(())
    }

    /// A campaign's logged downloads, newest first (at most `limit`), each with the
    /// student it was of (a student's own) and the department it concerns; only
    /// `department`'s when given.
    pub async fn photo_downloads(
        &self,
        campaign_id: i64,
        department: Option<i64>,
        limit: i64,
    ) -> Result<Vec<DownloadLine>, DbError> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT d.id, d.campaign_id, d.student_id, \
             COALESCE(d.department_id, s.department_id) AS department_id, d.who_kind, d.who, \
             d.files, d.created_at, s.student_no, s.name AS student_name \
             FROM photo_downloads d LEFT JOIN students s ON s.id = d.student_id \
             WHERE d.campaign_id = $1 \
             AND ($2 IS NULL OR COALESCE(d.department_id, s.department_id) = $2) \
             ORDER BY d.id DESC LIMIT $3")
            .bind(campaign_id).bind(department).bind(limit).fetch_all(p).await?))
    }
}
