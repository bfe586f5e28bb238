//! A print batch's chain of custody (issue 8; seed 001 §注意事项 2, seed 004 §七): the
//! hand-overs agency → graduate school → department, each recorded once by the side that
//! receives; the student's sheet given by the department or confirmed on their phone (a
//! posted sheet once posted, and handed in to the department where the school collects
//! them); losses reported where they happened.

use gradphoto_db::DbError;
use gradphoto_db::prints::{HandoverRow, NewHandover, PrintItemRow};
use gradphoto_db::student_accounts::StudentAccount;
use gradphoto_domain::i18n::Msg;
use gradphoto_domain::policy::{Action, Role};
use gradphoto_domain::prints::{Holder, Stage};

use crate::auth::Staff;
use crate::prints::{HandoverInput, batch_lost, holdings, receiver_only, required};
use crate::{App, AppError};

impl App {
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
            self.audit_print(
                by,
                "prints.handover",
                &view.batch.code,
                &campaign,
                serde_json::json!({
                    "stage": stage.as_str(), "sheets": sheets, "given_by": given_by,
                    "received_by": received_by,
                }),
            )
            .await?;
        }
        Ok(row)
    }

    /// The department gives a student their sheet (recorded by the secretary).
    pub async fn give_prints(&self, by: &Staff, item_id: i64) -> Result<(), AppError> {
        let (item, view, campaign) = self.item_for(by, item_id, Action::Update).await?;
        if view.batch.mailed() {
            return Err(AppError::Conflict(Msg::new(
                "prints.mailed_receipt",
                "邮寄的照片由学生本人确认收到",
                "Posted prints are confirmed by their student",
            )));
        }
        let new = self.receive(item_id, &by.row.username).await?;
        if new {
            self.audit_print(
                by,
                "prints.given",
                &view.batch.code,
                &campaign,
                serde_json::json!({ "student_no": item.student_no }),
            )
            .await?;
        }
        Ok(())
    }

    /// The department records that a student handed in their posted sheet (seed 004:
    /// 学生收到纸质照片后请尽快转交本单位研秘): recorded by the department's secretary or the
    /// graduate school. Audited.
    pub async fn record_prints_returned(&self, by: &Staff, item_id: i64) -> Result<(), AppError> {
        let (item, view, campaign) = self.item_for(by, item_id, Action::Update).await?;
        if !view.batch.mailed()
            || !matches!(
                by.actor.role,
                Role::DepartmentSecretary | Role::UniversityAdmin
            )
        {
            return Err(AppError::Forbidden(Msg::new(
                "prints.returned_by",
                "学生交回的邮寄照片由院系或研究生院登记",
                "The department or the graduate school records posted prints a student handed in",
            )));
        }
        let new = self
            .db
            .return_print_item(item_id, &by.row.username)
            .await
            .map_err(|e| match e {
                DbError::Conflict(_) => AppError::Conflict(Msg::new(
                    "prints.not_posted",
                    "该照片尚未寄出或已登记遗失",
                    "These prints were not posted yet or were reported lost",
                )),
                other => other.into(),
            })?;
        if new {
            self.audit_print(
                by,
                "prints.returned",
                &view.batch.code,
                &campaign,
                serde_json::json!({ "student_no": item.student_no }),
            )
            .await?;
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
                // A mail batch's open sheets are all the agency's (unposted or in the
                // post); the batch itself stays live, so sheets students handed in still
                // go on to the school.
                let mailed = view.batch.mailed();
                self.db
                    .lose_print_items(batch_id, &reason, !mailed, |c, open| {
                        if open.is_empty() {
                            return Err(Msg::new(
                                "prints.lose_count",
                                "没有可登记为遗失的照片",
                                "There are no sheets that could be reported lost",
                            ));
                        }
                        if mailed {
                            return Ok(open
                                .iter()
                                .map(|id| (*id, Holder::Agency.as_str()))
                                .collect());
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
        self.audit_print(
            by,
            "prints.lost",
            &view.batch.code,
            &campaign,
            serde_json::json!({
                "sheets": lost.len(), "whole_batch": item.is_none(), "reason": reason,
            }),
        )
        .await?;
        Ok(lost.len())
    }
}
