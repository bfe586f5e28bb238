//! The prints (洗印版照片, issue 8; seed 001 §注意事项 2, seed 004 §七): every student whose
//! photo the registry accepted is owed a sheet of 8 two-inch prints. The agency prints
//! them in batches — one department's students in student-number order, one PDF per batch
//! with a cover page and packing list, ready for the lab — and each batch travels agency →
//! graduate school → department → student. Every hand-over is counted and audited, a
//! student confirms receipt on their phone, lost sheets are reported and reprinted from
//! the same record, and a student who already holds prints is never printed again
//! (seed 002).

use std::collections::BTreeMap;

use gradphoto_db::DbError;
use gradphoto_db::prints::{
    BatchCounts, HandoverRow, NewBatch, NewHandover, NewItem, PrintBatchRow, PrintItemRow,
};
use gradphoto_db::student_accounts::StudentAccount;
use gradphoto_domain::i18n::Msg;
use gradphoto_domain::policy::{Action, Resource, ResourceKind, Role};
use gradphoto_domain::prints::{Holder, Holdings, Stage};
use gradphoto_pdf::{Column, Document, PicturePage, Table};
use gradphoto_photo::PrintSpec;

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

fn holdings(c: &BatchCounts) -> Holdings {
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
    }
}

/// Each hand-over is recorded by the side that receives it, so it is counted once: the
/// graduate school records what it received from the agency; a department's secretary
/// what it received from the school (the school records it for a department that has no
/// secretary in gradphoto).
fn receiver_only() -> AppError {
    AppError::Forbidden(Msg::new(
        "prints.receiver_records",
        "交接由接收方登记：研究生院登记从图片社接收，院系登记从研究生院接收",
        "The receiving side records a hand-over: the graduate school what it received from the agency, the department what it received from the school",
    ))
}

fn prints_of(campaign: &Campaign, department_id: Option<i64>) -> Resource {
    match department_id {
        Some(d) => Resource::of_department(ResourceKind::Prints, campaign.university_id, d),
        None => Resource::of_university(ResourceKind::Prints, campaign.university_id),
    }
}

fn batch_lost() -> AppError {
    AppError::Conflict(Msg::new(
        "prints.batch_lost",
        "该批次已登记遗失，请补印后交接新批次",
        "This batch was reported lost; reprint it and hand over the new batch",
    ))
}

fn required(value: &str, code: &str, zh: &str, en: &str) -> Result<String, AppError> {
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
            let mut audit = by.audit(
                "prints.batch_create",
                "print_batch",
                Some(row.code.clone()),
                Some(campaign.university_id),
            );
            audit.after = Some(serde_json::json!({
                "campaign_id": campaign.id, "department_id": department_id, "sheets": row.sheets,
                "kind": kind,
            }));
            self.db.append_audit(&audit).await?;
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

    /// A batch, its campaign and where its sheets are, once `by` may do `action` on it.
    async fn batch_for(
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

    /// The batch as one PDF for the lab: a cover page, the packing list, then each
    /// student's sheet (8 × 35×49 mm on 6-inch paper, student number in the margin) on a
    /// page of the paper's size, in the packing list's order. Returned with the batch's
    /// code, which names the file.
    pub async fn print_batch_pdf(
        &self,
        by: &Staff,
        batch_id: i64,
    ) -> Result<(String, Vec<u8>), AppError> {
        let d = self.print_batch_detail(by, batch_id).await?;
        // The lab's file, for the agency and the school (it holds every sheet's photo).
        by.may(Action::Export, prints_of(&d.campaign, None))?;
        let school = self.school(d.campaign.university_id).await?.0;
        let mut photos = Vec::with_capacity(d.items.len());
        for item in &d.items {
            photos.push((
                item.student_no.clone(),
                self.blob_bytes(&item.photo_key).await?,
            ));
        }
        let font = self.pdf_font()?;
        let b = d.view.batch.clone();
        let head = vec![
            (
                "学校 University",
                format!("{}（{}）", school.name_zh, school.code),
            ),
            ("院系 Department", d.view.department.clone()),
            ("采集 Campaign", d.campaign.name.clone()),
            ("批次 Batch", b.code.clone()),
            ("张数 Sheets", b.sheets.to_string()),
            (
                "规格 Format",
                "每张 6 英寸相纸 8 张 2 寸照片（35×49 mm） 8 two-inch prints per 6-inch sheet"
                    .to_string(),
            ),
            (
                "生成 Made",
                format!(
                    "{} {}",
                    gradphoto_domain::calendar::china_minute(b.created_at),
                    b.created_by
                ),
            ),
        ];
        let reprint = b.reprint_of.map(|_| b.reason.clone());
        let mailed = b.mailed();
        // The last column: a signature for a hand-over, the parcel's address by post.
        let mut rows: Vec<[String; 4]> = Vec::with_capacity(d.items.len());
        for i in &d.items {
            let last = match i.order_id {
                Some(order) if mailed => match self.db.shipment(order).await? {
                    Some(x) => format!(
                        "{} {} {} · {}",
                        x.recipient,
                        x.phone,
                        x.address,
                        i.order_code.as_deref().unwrap_or("")
                    ),
                    None => String::new(),
                },
                _ => String::new(),
            };
            rows.push([
                i.position.to_string(),
                i.student_no.clone(),
                i.name.clone(),
                last,
            ]);
        }
        tokio::task::spawn_blocking(move || {
            let spec = PrintSpec::default();
            let mut doc = Document::new(format!("洗印版照片 Print batch {}", b.code));
            for (k, v) in &head {
                doc.paragraph(format!("{k}：{v}"));
            }
            if let Some(reason) = reprint {
                doc.paragraph(format!("补印 Reprint：{reason}"));
            }
            if mailed {
                doc.paragraph("邮寄：每张相纸按装箱单的地址寄给学生本人，寄出后在系统中登记快递单号。By post: each sheet goes to its student at the address in the packing list; record each parcel's tracking number in gradphoto.");
            } else {
                doc.paragraph("交接：图片社 → 研究生院 → 院系 → 学生，每次交接请在系统中登记张数、交接人与接收人。Hand-over: agency → graduate school → department → student; record each hand-over in gradphoto.");
            }
            doc.space(12.0);
            doc.heading("装箱单 Packing list");
            let last = if mailed {
                Column::new("收件人 · 订单 Mail to · order", 230.0)
            } else {
                Column::new("签收 Received", 140.0)
            };
            let mut t = Table::new(vec![
                Column::new("序号 No.", 50.0).center(),
                Column::new("学号 Student no.", 140.0),
                Column::new("姓名 Name", if mailed { 90.0 } else { 150.0 }),
                last,
            ]);
            for row in &rows {
                t.row(row.iter().map(String::as_str));
            }
            doc.table(t);
            let (w, h) = spec.sheet_mm;
            let pt = |mm: f32| mm * 72.0 / 25.4;
            for (no, bytes) in &photos {
                let photo = gradphoto_photo::decode::decode(
                    bytes,
                    &gradphoto_photo::decode::Limits::default(),
                    None,
                )
                .map_err(|e| AppError::Internal(format!("print photo {no}: {e}")))?;
                let sheet = gradphoto_photo::print_sheet(&photo, no, &spec)
                    .map_err(|e| AppError::Internal(format!("print sheet {no}: {e}")))?;
                doc.picture(PicturePage {
                    width_pt: pt(w),
                    height_pt: pt(h),
                    jpeg: sheet.jpeg,
                    width_px: sheet.width,
                    height_px: sheet.height,
                });
            }
            gradphoto_pdf::render(&doc, &font)
                .map(|bytes| (b.code, bytes))
                .map_err(|e| AppError::Internal(format!("print batch PDF: {e}")))
        })
        .await
        .map_err(|e| AppError::Internal(format!("print batch PDF task: {e}")))?
    }

    /// Records a hand-over of the batch's sheets: agency → graduate school (the agency or
    /// the school records it), graduate school → department (the school or the
    /// department). The count may not exceed what the giver holds; the same form sent
    /// twice is recorded once.
    pub async fn record_print_handover(
        &self,
        by: &Staff,
        batch_id: i64,
        input: &HandoverInput,
    ) -> Result<HandoverRow, AppError> {
        let stage = Stage::parse(input.stage.trim()).ok_or_else(|| {
            AppError::invalid(
                "prints.stage",
                "请选择交接环节",
                "Choose which hand-over this is",
            )
        })?;
        let (view, campaign) = self.batch_for(by, batch_id, Action::Update).await?;
        let department = view.batch.department_id;
        let receives = match (stage, by.actor.role) {
            (Stage::ToSchool, Role::UniversityAdmin) => true,
            (Stage::ToDepartment, Role::DepartmentSecretary) => true,
            (Stage::ToDepartment, Role::UniversityAdmin) => !self
                .db
                .list_staff(Some(campaign.university_id))
                .await?
                .iter()
                .any(|s| {
                    s.role == Role::DepartmentSecretary.as_str()
                        && s.department_id == Some(department)
                        && !s.disabled
                }),
            _ => false,
        };
        if !receives {
            return Err(receiver_only());
        }
        if view.batch.lost_at.is_some() {
            return Err(batch_lost());
        }
        let sheets: i64 = input.sheets.trim().parse().map_err(|_| {
            AppError::invalid(
                "prints.count",
                "请填写交接张数",
                "Give the number of sheets",
            )
        })?;
        let given_by = required(
            &input.given_by,
            "prints.given_by",
            "请填写交接人",
            "Name who handed them over",
        )?;
        let received_by = required(
            &input.received_by,
            "prints.received_by",
            "请填写接收人",
            "Name who received them",
        )?;
        let token = required(
            &input.token,
            "prints.token",
            "表单已失效，请刷新页面",
            "The form has expired; reload the page",
        )?;
        let (row, new) = self
            .db
            .record_print_handover(
                &NewHandover {
                    batch_id,
                    stage: stage.as_str(),
                    sheets,
                    given_by: &given_by,
                    received_by: &received_by,
                    recorded_by: &by.row.username,
                    token: &token,
                },
                |c| holdings(c).may_hand_over(stage, sheets),
            )
            .await?
            .map_err(AppError::Invalid)?;
        if new {
            let mut audit = by.audit(
                "prints.handover",
                "print_batch",
                Some(view.batch.code.clone()),
                Some(campaign.university_id),
            );
            audit.after = Some(serde_json::json!({
                "stage": stage.as_str(), "sheets": sheets, "given_by": given_by,
                "received_by": received_by,
            }));
            self.db.append_audit(&audit).await?;
        }
        Ok(row)
    }

    /// The department gives a student their sheet (recorded by the secretary).
    pub async fn give_prints(&self, by: &Staff, item_id: i64) -> Result<(), AppError> {
        let item = self.db.print_item(item_id).await.map_err(|e| match e {
            DbError::NotFound => AppError::not_found(),
            other => other.into(),
        })?;
        let (view, campaign) = self.batch_for(by, item.batch_id, Action::Update).await?;
        if view.batch.mailed() {
            return Err(AppError::Conflict(Msg::new(
                "prints.mailed_receipt",
                "邮寄的照片由学生本人确认收到",
                "Posted prints are confirmed by their student",
            )));
        }
        let new = self.receive(item_id, &by.row.username).await?;
        if new {
            let mut audit = by.audit(
                "prints.given",
                "print_batch",
                Some(view.batch.code.clone()),
                Some(campaign.university_id),
            );
            audit.after = Some(serde_json::json!({ "student_no": item.student_no }));
            self.db.append_audit(&audit).await?;
        }
        Ok(())
    }

    async fn receive(&self, item_id: i64, by: &str) -> Result<bool, AppError> {
        self.db
            .receive_print_item(item_id, by, |c, shipped| holdings(c).may_receive(shipped))
            .await
            .map_err(|e| match e {
                DbError::Conflict(_) => AppError::Conflict(Msg::new(
                    "prints.item_lost",
                    "该照片已登记遗失，将补印",
                    "These prints were reported lost; they will be reprinted",
                )),
                other => other.into(),
            })?
            .map_err(AppError::Conflict)
    }

    /// The signed-in student's sheets (this and earlier campaigns), newest first.
    pub async fn my_prints(&self, account: &StudentAccount) -> Result<Vec<PrintItemRow>, AppError> {
        let Some(entry) = self.db.current_online_entry(account.id).await? else {
            return Ok(Vec::new());
        };
        let Some(student_id) = entry.student_id else {
            return Ok(Vec::new());
        };
        Ok(self.db.student_print_items(student_id).await?)
    }

    /// The student confirms on their phone that they have their prints.
    pub async fn confirm_my_prints(
        &self,
        account: &StudentAccount,
        item_id: i64,
    ) -> Result<(), AppError> {
        if !self
            .my_prints(account)
            .await?
            .iter()
            .any(|i| i.id == item_id)
        {
            return Err(AppError::not_found());
        }
        self.receive(item_id, "student").await?;
        Ok(())
    }

    /// Reports sheets lost: one student's (`item`) where it was lost (`holder`: a
    /// secretary reports for the department, the school for itself or a department, the
    /// agency anywhere), or — by the agency or the school only — the whole batch's sheets
    /// not yet with their students, each where it was. They can then be reprinted.
    pub async fn report_prints_lost(
        &self,
        by: &Staff,
        batch_id: i64,
        item: Option<i64>,
        holder: &str,
        reason: &str,
    ) -> Result<usize, AppError> {
        let (view, campaign) = self.batch_for(by, batch_id, Action::Update).await?;
        let reason = required(
            reason,
            "prints.reason",
            "请填写遗失情况",
            "Say what was lost and how",
        )?;
        let role = by.actor.role;
        let lost = match item {
            Some(item) => {
                let holder = match (holder.trim(), role) {
                    ("", Role::DepartmentSecretary) => Holder::Department,
                    ("", Role::UniversityAdmin) => Holder::School,
                    ("", _) => Holder::Agency,
                    (h, _) => Holder::parse(h).ok_or_else(|| {
                        AppError::invalid(
                            "prints.holder",
                            "请选择遗失地点",
                            "Say where it was lost",
                        )
                    })?,
                };
                // A posted sheet is the agency's until its student has it.
                let may = match role {
                    _ if view.batch.mailed() => {
                        role == Role::AgencyAdmin && holder == Holder::Agency
                    }
                    Role::AgencyAdmin => true,
                    Role::UniversityAdmin => holder != Holder::Agency,
                    _ => holder == Holder::Department,
                };
                if !may {
                    return Err(AppError::Forbidden(Msg::new(
                        "prints.lost_elsewhere",
                        "只能登记在本单位遗失的照片",
                        "Report only sheets lost where you hold them",
                    )));
                }
                self.db
                    .lose_print_items(batch_id, &reason, false, |c, open| {
                        if !open.contains(&item) {
                            return Err(Msg::new(
                                "prints.not_open",
                                "该照片已领取或已登记遗失",
                                "These prints were received or reported lost already",
                            ));
                        }
                        holdings(c).may_lose(holder, 1)?;
                        Ok(vec![(item, holder.as_str())])
                    })
                    .await?
            }
            None => {
                let reports = match role {
                    Role::AgencyAdmin => true,
                    Role::UniversityAdmin => !view.batch.mailed(),
                    _ => false,
                };
                if !reports {
                    return Err(AppError::Forbidden(Msg::new(
                        "prints.batch_lost_by",
                        "整批遗失由图片社或研究生院登记",
                        "The agency or the graduate school reports a whole batch lost",
                    )));
                }
                self.db
                    .lose_print_items(batch_id, &reason, true, |c, open| {
                        if open.is_empty() {
                            return Err(Msg::new(
                                "prints.lose_count",
                                "没有可登记为遗失的照片",
                                "There are no sheets that could be reported lost",
                            ));
                        }
                        // Each open sheet is where the counts say: the department's
                        // first, then the school's, then the agency's.
                        let h = holdings(c);
                        let mut at = [
                            (Holder::Department, h.at_department()),
                            (Holder::School, h.at_school()),
                            (Holder::Agency, h.at(Holder::Agency)),
                        ]
                        .into_iter()
                        .flat_map(|(x, n)| {
                            std::iter::repeat_n(x.as_str(), usize::try_from(n).unwrap_or(0))
                        });
                        Ok(open
                            .iter()
                            .map(|id| (*id, at.next().unwrap_or(Holder::Agency.as_str())))
                            .collect())
                    })
                    .await?
            }
        }
        .map_err(AppError::Invalid)?;
        let mut audit = by.audit(
            "prints.lost",
            "print_batch",
            Some(view.batch.code.clone()),
            Some(campaign.university_id),
        );
        audit.after = Some(serde_json::json!({
            "sheets": lost.len(), "whole_batch": item.is_none(), "reason": reason,
        }));
        self.db.append_audit(&audit).await?;
        Ok(lost.len())
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
        let mut audit = by.audit(
            "prints.reprint",
            "print_batch",
            Some(row.code.clone()),
            Some(campaign.university_id),
        );
        audit.after = Some(serde_json::json!({
            "of": view.batch.code, "sheets": row.sheets, "reason": reason,
        }));
        self.db.append_audit(&audit).await?;
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
