//! The prints (洗印版照片, issue 8; seed 001 §注意事项 2, seed 004 §七): every student whose
//! photo the registry accepted is owed a sheet of 8 two-inch prints. The agency prints
//! them in batches — one department's students in student-number order, one PDF per batch
//! with a cover page and packing list, ready for the lab — and each batch travels agency →
//! graduate school → department → student. Every hand-over is counted and audited, a
//! student confirms receipt on their phone, lost sheets are reported and reprinted from
//! the same record, and a student who already holds prints is never printed again
//! (seed 002). The lab's PDF is `print_pdf`; the hand-overs, receipts and losses are
//! `print_custody`.

use std::collections::BTreeMap;

use gradphoto_db::DbError;
use gradphoto_db::prints::{
    BatchCounts, HandoverRow, NewBatch, NewItem, PrintBatchRow, PrintItemRow,
};
use gradphoto_domain::i18n::Msg;
use gradphoto_domain::policy::{Action, Resource, ResourceKind};
use gradphoto_domain::prints::Holdings;

use crate::auth::Staff;
use crate::campaigns::Campaign;
use crate::{App, AppError};

/// A batch with where its sheets are.
#[derive(Debug, Clone)]
pub struct BatchView {
    pub batch: PrintBatchRow,
    pub department: String,
    pub holdings: Holdings,
}

/// A department's prints in a campaign, summed over its batches.
#[derive(Debug, Clone, Default)]
pub struct DepartmentPrints {
    pub department_id: i64,
    pub department: String,
    /// Students whose accepted photo is not printed yet.
    pub unprinted: usize,
    pub printed: i64,
    pub at_agency: i64,
    pub at_school: i64,
    pub at_department: i64,
    /// Posted to students who have not confirmed yet.
    pub in_post: i64,
    pub received: i64,
    /// Received and still with the students (not handed in since).
    pub with_students: i64,
    /// Posted sheets handed in to the department by their students.
    pub returned: i64,
    pub lost: i64,
}

/// The prints page of a campaign: per department, and every batch.
#[derive(Debug, Clone)]
pub struct PrintsOverview {
    pub campaign: Campaign,
    pub departments: Vec<DepartmentPrints>,
    pub batches: Vec<BatchView>,
}

/// One batch with its sheets and hand-overs.
#[derive(Debug, Clone)]
pub struct BatchDetail {
    pub view: BatchView,
    pub campaign: Campaign,
    pub items: Vec<PrintItemRow>,
    pub handovers: Vec<HandoverRow>,
}

/// A hand-over as a form gives it.
#[derive(Debug, Clone, Default)]
pub struct HandoverInput {
    pub stage: String,
    pub sheets: String,
    pub given_by: String,
    pub received_by: String,
    /// The form's own random token: sending the same form twice records it once.
    pub token: String,
}

pub(crate) fn holdings(c: &BatchCounts) -> Holdings {
    Holdings {
        printed: c.sheets,
        to_school: c.to_school,
        to_department: c.to_department,
        received: c.received,
        lost_at_agency: c.lost_at_agency,
        lost_at_school: c.lost_at_school,
        lost_at_department: c.lost_at_department,
        mailed: c.mailed,
        shipped: c.shipped,
        returned: c.returned,
    }
}

/// Each hand-over is recorded by the side that receives it, so it is counted once: the
/// graduate school records what it received from the agency; a department's secretary
/// what it received from the school (the school records it for a department that has no
/// secretary in gradphoto).
pub(crate) fn receiver_only() -> AppError {
    AppError::Forbidden(Msg::new(
        "prints.receiver_records",
        "交接由接收方登记：研究生院登记从图片社接收，院系登记从研究生院接收",
        "The receiving side records a hand-over: the graduate school what it received from the agency, the department what it received from the school",
    ))
}

pub(crate) fn prints_of(campaign: &Campaign, department_id: Option<i64>) -> Resource {
    match department_id {
        Some(d) => Resource::of_department(ResourceKind::Prints, campaign.university_id, d),
        None => Resource::of_university(ResourceKind::Prints, campaign.university_id),
    }
}

pub(crate) fn batch_lost() -> AppError {
    AppError::Conflict(Msg::new(
        "prints.batch_lost",
        "该批次已登记遗失，请补印后交接新批次",
        "This batch was reported lost; reprint it and hand over the new batch",
    ))
}

pub(crate) fn required(value: &str, code: &str, zh: &str, en: &str) -> Result<String, AppError> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > 60 {
        return Err(AppError::invalid(code, zh, en));
    }
    Ok(v.to_string())
}

impl App {
    /// The campaign's prints as `by` may see them: a secretary their department's only.
    pub async fn prints_overview(
        &self,
        by: &Staff,
        campaign_id: i64,
    ) -> Result<PrintsOverview, AppError> {
        let campaign = Campaign::try_from(self.db.get_campaign(campaign_id).await?)?;
        let only = by.actor.department_id;
        by.may(Action::Read, prints_of(&campaign, only))?;
        let names = self.department_names(campaign.university_id).await?;
        let counts: BTreeMap<i64, BatchCounts> = self
            .db
            .campaign_print_counts(campaign.id)
            .await?
            .into_iter()
            .map(|c| (c.batch_id, c))
            .collect();
        let mut departments: BTreeMap<i64, DepartmentPrints> = BTreeMap::new();
        let dept = |id: i64| -> DepartmentPrints {
            DepartmentPrints {
                department_id: id,
                department: names.get(&id).cloned().unwrap_or_default(),
                ..Default::default()
            }
        };
        for p in self.db.accepted_unprinted(campaign.id).await? {
            if only.is_none_or(|d| d == p.department_id) {
                departments
                    .entry(p.department_id)
                    .or_insert_with(|| dept(p.department_id))
                    .unprinted += 1;
            }
        }
        let mut batches = Vec::new();
        for b in self.db.campaign_print_batches(campaign.id).await? {
            if only.is_some_and(|d| d != b.department_id) {
                continue;
            }
            let h = counts.get(&b.id).map(holdings).unwrap_or_default();
            let d = departments
                .entry(b.department_id)
                .or_insert_with(|| dept(b.department_id));
            d.printed += h.printed;
            d.at_agency += h.at_agency();
            d.at_school += h.at_school();
            d.at_department += h.at_department();
            d.in_post += h.in_post();
            d.received += h.received;
            d.with_students += h.with_students();
            d.returned += h.returned;
            d.lost += h.lost();
            batches.push(BatchView {
                department: names.get(&b.department_id).cloned().unwrap_or_default(),
                batch: b,
                holdings: h,
            });
        }
        Ok(PrintsOverview {
            campaign,
            departments: departments.into_values().collect(),
            batches,
        })
    }

    /// Prints every accepted photo not printed yet, in student-number order: per
    /// department, one batch handed over through the graduate school and one of the
    /// sheets posted to their students (an online order with an address, seed 004).
    /// Returns the new batches (none when everyone has prints).
    pub async fn create_print_batches(
        &self,
        by: &Staff,
        campaign_id: i64,
    ) -> Result<Vec<PrintBatchRow>, AppError> {
        let campaign = Campaign::try_from(self.db.get_campaign(campaign_id).await?)?;
        by.may(Action::Create, prints_of(&campaign, None))?;
        let mailed: BTreeMap<i64, i64> = self
            .db
            .mail_orders(campaign.id)
            .await?
            .into_iter()
            .collect();
        let mut batches: BTreeMap<(i64, &'static str), Vec<NewItem>> = BTreeMap::new();
        for p in self.db.accepted_unprinted(campaign.id).await? {
            let order_id = mailed.get(&p.student_id).copied();
            let kind = if order_id.is_some() { MAIL } else { HAND };
            batches
                .entry((p.department_id, kind))
                .or_default()
                .push(NewItem {
                    student_id: p.student_id,
                    outbox_id: p.outbox_id,
                    order_id,
                });
        }
        let mut made = Vec::new();
        for ((department_id, kind), items) in batches {
            let batch = NewBatch {
                code: batch_code(kind, campaign.id, department_id)?,
                campaign_id: campaign.id,
                department_id,
                kind,
                reprint_of: None,
                reason: String::new(),
                created_by: by.row.username.clone(),
                items,
            };
            let row = self.write_batch(&batch).await?;
            let after = serde_json::json!({
                "campaign_id": campaign.id, "department_id": department_id, "sheets": row.sheets,
                "kind": kind,
            });
            self.audit_print(by, "prints.batch_create", &row.code, &campaign, after)
                .await?;
            made.push(row);
        }
        Ok(made)
    }

    async fn write_batch(&self, batch: &NewBatch) -> Result<PrintBatchRow, AppError> {
        self.db
            .create_print_batch(batch)
            .await
            .map_err(|e| match e {
                DbError::Conflict(_) => AppError::Conflict(Msg::new(
                    "prints.printed_meanwhile",
                    "有学生的照片刚刚已被另一批次洗印，请刷新后重试",
                    "Some of these students were just printed in another batch; reload and try again",
                )),
                other => other.into(),
            })
    }

    /// Audits `action` on the batch `code` of `campaign`'s school, with what it did.
    pub(crate) async fn audit_print(
        &self,
        by: &Staff,
        action: &str,
        code: &str,
        campaign: &Campaign,
        after: serde_json::Value,
    ) -> Result<(), AppError> {
        let mut audit = by.audit(
            action,
            "print_batch",
            Some(code.to_string()),
            Some(campaign.university_id),
        );
        audit.after = Some(after);
        Ok(self.db.append_audit(&audit).await?)
    }

    /// A sheet with its batch and campaign, once `by` may do `action` on the batch.
    pub(crate) async fn item_for(
        &self,
        by: &Staff,
        item_id: i64,
        action: Action,
    ) -> Result<(PrintItemRow, BatchView, Campaign), AppError> {
        let item = self.db.print_item(item_id).await.map_err(|e| match e {
            DbError::NotFound => AppError::not_found(),
            other => other.into(),
        })?;
        let (view, campaign) = self.batch_for(by, item.batch_id, action).await?;
        Ok((item, view, campaign))
    }

    /// A batch, its campaign and where its sheets are, once `by` may do `action` on it.
    pub(crate) async fn batch_for(
        &self,
        by: &Staff,
        batch_id: i64,
        action: Action,
    ) -> Result<(BatchView, Campaign), AppError> {
        let batch = self.db.print_batch(batch_id).await.map_err(|e| match e {
            DbError::NotFound => AppError::not_found(),
            other => other.into(),
        })?;
        let campaign = Campaign::try_from(self.db.get_campaign(batch.campaign_id).await?)?;
        by.may(action, prints_of(&campaign, Some(batch.department_id)))?;
        let h = holdings(&self.db.print_counts(batch.id).await?);
        let department = self
            .department_names(campaign.university_id)
            .await?
            .remove(&batch.department_id)
            .unwrap_or_default();
        Ok((
            BatchView {
                batch,
                department,
                holdings: h,
            },
            campaign,
        ))
    }

    pub async fn print_batch_detail(
        &self,
        by: &Staff,
        batch_id: i64,
    ) -> Result<BatchDetail, AppError> {
        let (view, campaign) = self.batch_for(by, batch_id, Action::Read).await?;
        Ok(BatchDetail {
            items: self.db.print_items(batch_id).await?,
            handovers: self.db.print_handovers(batch_id).await?,
            view,
            campaign,
        })
    }

    /// Orders the reprint of a batch's lost sheets from the same record: a new batch of
    /// those students (who hold no other prints), audited.
    pub async fn reprint_lost(
        &self,
        by: &Staff,
        batch_id: i64,
        reason: &str,
    ) -> Result<PrintBatchRow, AppError> {
        let (view, campaign) = self.batch_for(by, batch_id, Action::Read).await?;
        by.may(Action::Create, prints_of(&campaign, None))?;
        let reason = required(
            reason,
            "prints.reason",
            "请填写补印原因",
            "Say why the sheets are reprinted",
        )?;
        let items = self.db.lost_unreprinted(batch_id).await?;
        let kind = if view.batch.mailed() { MAIL } else { HAND };
        if items.is_empty() {
            return Err(AppError::invalid(
                "prints.nothing_lost",
                "该批次没有待补印的遗失照片",
                "No lost sheet of this batch is waiting for a reprint",
            ));
        }
        let row = self
            .write_batch(&NewBatch {
                code: batch_code(kind, campaign.id, view.batch.department_id)?,
                campaign_id: campaign.id,
                department_id: view.batch.department_id,
                kind,
                reprint_of: Some(batch_id),
                reason: reason.clone(),
                created_by: by.row.username.clone(),
                items,
            })
            .await?;
        self.audit_print(
            by,
            "prints.reprint",
            &row.code,
            &campaign,
            serde_json::json!({
                "of": view.batch.code, "sheets": row.sheets, "reason": reason,
            }),
        )
        .await?;
        Ok(row)
    }
}

const HAND: &str = "hand";
const MAIL: &str = "mail";

/// A batch's code: `P` (handed over) or `M` (posted), the campaign, the department and a
/// random suffix (two batches of one department are told apart; codes go on parcels).
fn batch_code(kind: &str, campaign_id: i64, department_id: i64) -> Result<String, AppError> {
    let letter = if kind == MAIL { 'M' } else { 'P' };
    Ok(format!(
        "{letter}{campaign_id}-{department_id}-{}",
        crate::pii::random_hex::<2>()?.to_uppercase()
    ))
}
