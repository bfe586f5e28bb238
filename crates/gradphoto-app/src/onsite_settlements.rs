//! On-site fees collected by the class liaisons and settled per department (seed 004):
//! per department, the students photographed and confirmed, the fee each, what was
//! settled and what is due; the agency's admin marks a department paid (exactly the
//! students shown; audited) and exports the reconciliation. Where students pay at the
//! desk (seed 001), what they paid there is shown beside it and is never settled again.

use std::collections::HashMap;

use gradphoto_db::onsite::CheckinRow;
use gradphoto_db::onsite_settlements::{NewSettlement, SettleRefusal, SettlementRow};
use gradphoto_db::payments::OrderRow;
use gradphoto_db::students::StudentRow;
use gradphoto_domain::i18n::{Lang, Msg};
use gradphoto_domain::policy::{Action, Resource, ResourceKind, Role};
use gradphoto_sheets::{Sheet, write_xlsx};

use crate::auth::Staff;
use crate::campaigns::Campaign;
use crate::{App, AppError};

/// One department's fees.
#[derive(Debug, Clone)]
pub struct DepartmentFees {
    pub department_id: i64,
    pub department: String,
    /// Confirmed check-ins (and reopened ones already settled) with their students, by
    /// student number.
    pub photographed: Vec<(CheckinRow, StudentRow)>,
    /// Numbers whose fee was paid at the desk but whose photo is not confirmed (yet, or
    /// again after a reopen): money received for nobody photographed, to follow up.
    pub paid_waiting: Vec<(CheckinRow, StudentRow)>,
    pub settlements: Vec<SettlementRow>,
    /// The paid desk fee orders of its check-ins, by check-in.
    pub paid_at_desk: HashMap<i64, OrderRow>,
}

impl DepartmentFees {
    /// The check-ins covered neither by a settlement nor by a fee paid at the desk.
    pub fn unsettled(&self) -> Vec<i64> {
        self.photographed
            .iter()
            .filter(|(c, _)| c.settlement_id.is_none() && !self.paid_at_desk.contains_key(&c.id))
            .map(|(c, _)| c.id)
            .collect()
    }
    pub fn settled_fen(&self) -> i64 {
        self.settlements.iter().map(|s| s.amount_fen).sum()
    }
    /// What its students paid at the desk.
    pub fn desk_fen(&self) -> i64 {
        self.paid_at_desk.values().map(|o| o.total_fen).sum()
    }
    /// The desk order that paid a check-in's fee, if any.
    pub fn desk_order(&self, checkin_id: &i64) -> Option<&OrderRow> {
        self.paid_at_desk.get(checkin_id)
    }
    /// Whether a check-in's fee was received twice: settled by the department and paid at
    /// the desk (a code paid after the settlement). One of the two is to be refunded.
    pub fn paid_twice(&self, c: &CheckinRow) -> bool {
        c.settlement_id.is_some() && self.paid_at_desk.contains_key(&c.id)
    }
}

#[derive(Debug, Clone)]
pub struct Fees {
    pub campaign: Campaign,
    /// Students pay at the desk (the campaign says so and payments are configured).
    pub at_desk: bool,
    pub departments: Vec<DepartmentFees>,
}

impl App {
    /// The campaign's on-site fees per department, as this person may see them.
    pub async fn onsite_fees(&self, by: &Staff, campaign_id: i64) -> Result<Fees, AppError> {
        let campaign: Campaign = self.db.get_campaign(campaign_id).await?.try_into()?;
        by.may(
            Action::Read,
            Resource::of_university(ResourceKind::Onsite, campaign.university_id),
        )?;
        let students = self.students_by_id(campaign.university_id).await?;
        let names = self.department_names(campaign.university_id).await?;
        let settlements = self.db.campaign_settlements(campaign.id).await?;
        let mut desk_paid: HashMap<i64, OrderRow> = HashMap::new();
        for o in self.db.campaign_desk_orders(campaign.id).await? {
            if let (Some(c), "paid") = (o.checkin_id, o.status.as_str()) {
                desk_paid.insert(c, o);
            }
        }
        let mut per: HashMap<i64, DepartmentFees> = HashMap::new();
        // Make-ups at a branch pay their service there, not through the department.
        let makeups: std::collections::HashSet<i64> = self
            .db
            .makeup_checkins(campaign.id)
            .await?
            .into_iter()
            .collect();
        for c in self.db.campaign_checkins(campaign.id).await? {
            if makeups.contains(&c.id) {
                continue;
            }
            // A reopened number that was settled stays on the department's list; one paid
            // at the desk and not confirmed is listed apart.
            let listed = c.stage == "confirmed" || c.settlement_id.is_some();
            if !listed && !desk_paid.contains_key(&c.id) {
                continue;
            }
            let Some(s) = students.get(&c.student_id) else {
                continue;
            };
            if by
                .may(
                    Action::Read,
                    Resource::of_department(ResourceKind::Onsite, s.university_id, s.department_id),
                )
                .is_err()
            {
                continue;
            }
            let d = per
                .entry(s.department_id)
                .or_insert_with(|| DepartmentFees {
                    department_id: s.department_id,
                    department: names.get(&s.department_id).cloned().unwrap_or_default(),
                    photographed: Vec::new(),
                    paid_waiting: Vec::new(),
                    settlements: settlements
                        .iter()
                        .filter(|x| x.department_id == s.department_id)
                        .cloned()
                        .collect(),
                    paid_at_desk: HashMap::new(),
                });
            if let Some(o) = desk_paid.remove(&c.id) {
                d.paid_at_desk.insert(c.id, o);
            }
            if listed {
                d.photographed.push((c, s.clone()));
            } else {
                d.paid_waiting.push((c, s.clone()));
            }
        }
        let mut departments: Vec<DepartmentFees> = per.into_values().collect();
        for d in &mut departments {
            d.photographed
                .sort_by(|a, b| a.1.student_no.cmp(&b.1.student_no));
            d.paid_waiting
                .sort_by(|a, b| a.1.student_no.cmp(&b.1.student_no));
        }
        departments.sort_by(|a, b| a.department.cmp(&b.department));
        Ok(Fees {
            at_desk: self.takes_fee_at_desk(&campaign),
            campaign,
            departments,
        })
    }

    /// The agency's admin marks a department's fees received: exactly the check-ins it
    /// was shown, at the campaign's fee each.
    pub async fn settle_department(
        &self,
        by: &Staff,
        campaign_id: i64,
        department_id: i64,
        shown: &[i64],
        note: &str,
    ) -> Result<SettlementRow, AppError> {
        if by.actor.role != Role::AgencyAdmin {
            return Err(AppError::Forbidden(Msg::new(
                "settlement.forbidden",
                "只有图片社管理员可以确认收款",
                "Only the agency's admin marks fees received",
            )));
        }
        let campaign: Campaign = self.db.get_campaign(campaign_id).await?.try_into()?;
        by.may(
            Action::Update,
            Resource::of_department(ResourceKind::Onsite, campaign.university_id, department_id),
        )?;
        let row = self
            .db
            .settle_department(&NewSettlement {
                campaign_id,
                department_id,
                checkins: shown,
                fee_fen: campaign.fee_fen,
                note: note.trim(),
                by: &by.row.username,
            })
            .await?
            .map_err(|r| {
                AppError::Conflict(match r {
                    SettleRefusal::Nothing => Msg::new(
                        "settlement.nothing",
                        "该院系没有待结算的学生",
                        "Nobody of this department is waiting to be settled",
                    ),
                    SettleRefusal::Changed(n) => Msg::new(
                        "settlement.changed",
                        format!("待结算名单已变化（现为 {n} 人），请刷新核对后再确认"),
                        format!("The list to settle changed (now {n} students); reload, check it and confirm again"),
                    ),
                })
            })?;
        let mut audit = by.audit(
            "onsite.settle",
            "onsite_settlement",
            Some(row.id.to_string()),
            Some(campaign.university_id),
        );
        audit.after = Some(serde_json::json!({
            "department_id": department_id, "students": row.students, "amount_fen": row.amount_fen,
            "note": row.note,
        }));
        self.db.append_audit(&audit).await?;
        Ok(row)
    }

    /// The reconciliation: a summary per department and every photographed student.
    pub async fn export_fees(
        &self,
        by: &Staff,
        campaign_id: i64,
        lang: Lang,
    ) -> Result<Vec<u8>, AppError> {
        let f = self.onsite_fees(by, campaign_id).await?;
        let zh = lang == Lang::Zh;
        let t = |z: &str, e: &str| if zh { z.to_string() } else { e.to_string() };
        let yuan = |fen: i64| format!("{}.{:02}", fen / 100, fen % 100);
        let fee = f.campaign.fee_fen;
        let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        let summary = f
            .departments
            .iter()
            .map(|d| {
                let due = count(d.unsettled().len()).saturating_mul(fee);
                vec![
                    d.department.clone(),
                    d.photographed.len().to_string(),
                    yuan(count(d.photographed.len()).saturating_mul(fee)),
                    yuan(d.desk_fen()),
                    yuan(d.settled_fen()),
                    yuan(due),
                ]
            })
            .collect();
        let students = f
            .departments
            .iter()
            .flat_map(|d| {
                d.photographed
                    .iter()
                    .chain(&d.paid_waiting)
                    .map(move |(c, s)| {
                        vec![
                            d.department.clone(),
                            s.student_no.clone(),
                            s.name.clone(),
                            c.number.to_string(),
                            yuan(fee),
                            c.settlement_id.map(|i| i.to_string()).unwrap_or_default(),
                            d.desk_order(&c.id)
                                .map(|o| o.code.clone())
                                .unwrap_or_default(),
                            if d.paid_twice(c) {
                                t("重复收费，须退还一笔", "Paid twice: refund one")
                            } else if c.stage == "confirmed" {
                                t("已确认", "Confirmed")
                            } else {
                                t("已支付，照片未确认", "Paid, photo not confirmed")
                            },
                        ]
                    })
            })
            .collect();
        write_xlsx(&[
            Sheet {
                name: t("院系汇总", "Departments"),
                headers: vec![
                    t("院系", "Department"),
                    t("已拍摄确认", "Photographed"),
                    t("应收（元）", "Due (yuan)"),
                    t("现场电子支付（元）", "Paid at the desk (yuan)"),
                    t("已结算（元）", "Settled (yuan)"),
                    t("待结算（元）", "Outstanding (yuan)"),
                ],
                rows: summary,
            },
            Sheet {
                name: t("学生明细", "Students"),
                headers: vec![
                    t("院系", "Department"),
                    t("学号", "Student no."),
                    t("姓名", "Name"),
                    t("拍摄号", "Number"),
                    t("费用（元）", "Fee (yuan)"),
                    t("结算单号", "Settlement"),
                    t("现场支付订单号", "Desk payment order"),
                    t("状态", "State"),
                ],
                rows: students,
            },
        ])
        .map_err(|e| AppError::Internal(e.to_string()))
    }
}
