//! The on-site fee paid at the desk (seed 001: 现场交费，每套 20 元，只接受电子支付). Where
//! the campaign says so, each number's fee is an order of its own, paid by the student
//! scanning a WeChat Pay or Alipay code shown at the desk (or on the confirmation screen),
//! through the same payment attempts, notifications, queries and ledger as an online
//! order. The student's confirmation — which sends the photo to the registry — waits
//! until the fee is paid; nothing else does, so the queue keeps moving.

use gradphoto_db::onsite::CheckinRow;
use gradphoto_db::payments::OrderRow;
use gradphoto_domain::i18n::Msg;
use gradphoto_domain::payments::Fen;

use crate::auth::Staff;
use crate::campaigns::Campaign;
use crate::onsite_checkin::DeskQueue;
use crate::payments::Method;
use crate::payments::checkout::Checkout;
use crate::{App, AppError};

/// What a number owes at the desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fee {
    /// The campaign collects no fee at the desk (class liaisons collect it, or it is free).
    NotAtDesk,
    Unpaid {
        fen: i64,
    },
    Paid {
        fen: i64,
    },
}

impl Fee {
    pub fn is_unpaid(self) -> bool {
        matches!(self, Fee::Unpaid { .. })
    }
    pub fn is_paid(self) -> bool {
        matches!(self, Fee::Paid { .. })
    }
    /// The amount, as the pages show it ("20.00").
    pub fn yuan(self) -> String {
        match self {
            Fee::NotAtDesk => String::new(),
            Fee::Unpaid { fen } | Fee::Paid { fen } => Fen(fen).yuan(),
        }
    }
}

/// A number's fee with what the desk needs to take it.
#[derive(Debug, Clone)]
pub struct DeskFee {
    pub desk: DeskQueue,
    pub checkin: CheckinRow,
    /// The student as the desk may show them.
    pub name_masked: String,
    pub student_no: String,
    pub fee: Fee,
    pub order: Option<OrderRow>,
    /// The ways of paying this deployment offers.
    pub methods: Vec<Method>,
}

/// The confirmation refused while the fee is unpaid.
pub fn unpaid_msg(fen: i64) -> Msg {
    let yuan = Fen(fen).yuan();
    Msg::new(
        "fee.unpaid",
        format!("该号的拍摄费（¥{yuan}）尚未支付：请学生扫码支付后再确认照片"),
        format!(
            "The fee for this number (¥{yuan}) is not paid yet: the student pays by scanning the code, then confirms the photo"
        ),
    )
}

impl App {
    /// Whether the campaign's students pay a fee at the desk: the campaign says so, the
    /// fee is not zero, and this deployment takes electronic payments (without them the
    /// fee is settled per department, as in seed 004).
    pub fn takes_fee_at_desk(&self, campaign: &Campaign) -> bool {
        campaign.modes.fee_at_desk && campaign.fee_fen > 0 && !self.payments.methods().is_empty()
    }

    /// What a number pays at the desk, if it pays there: a make-up at a branch pays its
    /// booked service's price (where payments are taken); an on-site number the
    /// campaign's fee where the campaign takes it at the desk.
    pub(crate) fn price_at_desk(&self, campaign: &Campaign, booked: Option<i64>) -> Option<i64> {
        match booked {
            Some(fen) => (fen > 0 && !self.payments.methods().is_empty()).then_some(fen),
            None => self.takes_fee_at_desk(campaign).then_some(campaign.fee_fen),
        }
    }

    /// A stored number's price at the desk and its fee order. Its booking is looked up
    /// only where it may have one (`at_branch`: it is in a branch's make-up session, or the
    /// caller does not know): on-site numbers, the desk's and the station's hot path, ask
    /// nothing more. A booking paid online when it was made brings its own order.
    async fn price_and_order(
        &self,
        campaign: &Campaign,
        checkin: &CheckinRow,
        at_branch: bool,
    ) -> Result<(Option<i64>, Option<OrderRow>), AppError> {
        let booked = if at_branch {
            self.db.booking_of_checkin(checkin.id).await?
        } else {
            None
        };
        let price = self.price_at_desk(campaign, booked.as_ref().map(|b| b.price_fen));
        if price.is_none() || checkin.settlement_id.is_some() {
            return Ok((price, None));
        }
        if let Some(b) = &booked
            && let Some(o) = self.db.booking_order(b.id).await?
            && o.status != "canceled"
        {
            return Ok((price, Some(o)));
        }
        Ok((price, self.db.desk_order(checkin.id).await?))
    }

    /// What the number `checkin` owes at the desk of `campaign` (`at_branch`: see
    /// [`App::price_and_order`]).
    pub(crate) async fn fee_of(
        &self,
        campaign: &Campaign,
        checkin: &CheckinRow,
        at_branch: bool,
    ) -> Result<Fee, AppError> {
        let (price, order) = self.price_and_order(campaign, checkin, at_branch).await?;
        Ok(fee_from(price, checkin, order.as_ref()))
    }

    /// A number's fee, for desk staff.
    pub async fn desk_fee(&self, by: &Staff, checkin_id: i64) -> Result<DeskFee, AppError> {
        let checkin = self.db.onsite_checkin(checkin_id).await?;
        let desk = self.desk_queue(by, checkin.queue_id).await?;
        let (price, order) = self
            .price_and_order(&desk.campaign, &checkin, desk.session.branch_id.is_some())
            .await?;
        let fee = fee_from(price, &checkin, order.as_ref());
        let student = self.db.get_student(checkin.student_id).await?;
        Ok(DeskFee {
            name_masked: gradphoto_domain::people::mask_name(&student.name),
            student_no: student.student_no,
            order,
            methods: self.payments.methods(),
            desk,
            checkin,
            fee,
        })
    }

    /// Starts (or shows again) the payment of a number's fee with `method`: the code the
    /// student scans.
    pub async fn desk_fee_pay(
        &self,
        by: &Staff,
        checkin_id: i64,
        method: Method,
    ) -> Result<Checkout, AppError> {
        let f = self.desk_fee(by, checkin_id).await?;
        let fen = match f.fee {
            Fee::NotAtDesk => {
                return Err(AppError::invalid(
                    "fee.not_at_desk",
                    "本次采集不在签到台收费",
                    "This campaign does not take fees at the desk",
                ));
            }
            Fee::Paid { .. } => {
                return Err(AppError::invalid(
                    "order.already_paid",
                    "该号的拍摄费已支付",
                    "This number's fee is already paid",
                ));
            }
            Fee::Unpaid { fen } => fen,
        };
        if f.checkin.settlement_id.is_some() {
            return Err(AppError::invalid(
                "fee.settled",
                "该生的费用已由院系结算，无需再付",
                "This student's fee was settled by the department; nothing more to pay",
            ));
        }
        let order = match f.order {
            Some(o) => o,
            None => {
                let suffix = crate::pii::random_hex::<3>()?.to_ascii_uppercase();
                let code = format!(
                    "GD{}{:06}{suffix}",
                    crate::online_entry::china_today().format("%Y%m%d"),
                    f.checkin.id
                );
                self.db.create_desk_order(&code, f.checkin.id, fen).await?
            }
        };
        let what = if self.db.booking_of_checkin(f.checkin.id).await?.is_some() {
            "毕业生图像补拍费 Make-up photo fee"
        } else {
            "毕业生图像现场采集费 On-site photo fee"
        };
        self.pay_order(order, method, what).await
    }

    /// The payment of a number's fee with the trade number `out_trade_no`, to show its
    /// code again.
    pub async fn desk_fee_payment(
        &self,
        by: &Staff,
        checkin_id: i64,
        out_trade_no: &str,
    ) -> Result<(DeskFee, Checkout), AppError> {
        let f = self.desk_fee(by, checkin_id).await?;
        let missing =
            || AppError::NotFound(Msg::new("pay.not_found", "未找到该支付", "No such payment"));
        let order = f.order.clone().ok_or_else(missing)?;
        let payment = self
            .db
            .payment_by_trade_no(out_trade_no)
            .await?
            .filter(|p| p.order_id == order.id)
            .ok_or_else(missing)?;
        let method = self
            .payments
            .by_name(&payment.provider)
            .ok_or_else(missing)?
            .method();
        let c = Checkout {
            pay_url: payment.pay_url.clone(),
            order,
            payment,
            method,
        };
        Ok((f, c))
    }

    /// The desk's "has it been paid?": asks the providers about the fee's waiting
    /// attempts; `Ok(true)` when that changed one.
    pub async fn desk_fee_check(&self, by: &Staff, checkin_id: i64) -> Result<bool, AppError> {
        let f = self.desk_fee(by, checkin_id).await?;
        let Some(order) = f.order else {
            return Ok(false);
        };
        let mut changed = false;
        for p in self.db.order_payments(order.id).await? {
            changed |= self.query_payment(&p).await?;
        }
        Ok(changed)
    }
}

/// What a number owes, given its price at the desk (`None`: it pays elsewhere) and its fee
/// order (`None` where the desk made none).
pub(crate) fn fee_from(price: Option<i64>, checkin: &CheckinRow, order: Option<&OrderRow>) -> Fee {
    let Some(fen) = price else {
        return Fee::NotAtDesk;
    };
    // Collected by the department after all (a number pushed by an offline station).
    if checkin.settlement_id.is_some() {
        return Fee::Paid { fen };
    }
    match order {
        Some(o) if o.status == "paid" => Fee::Paid { fen: o.total_fen },
        Some(o) => Fee::Unpaid { fen: o.total_fen },
        None => Fee::Unpaid { fen },
    }
}
