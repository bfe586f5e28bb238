//! Refunds, asked by the agency (a student who paid twice, an order that will not be
//! produced): the refund row is written first under the order's lock — its number
//! (`R` + the payment's number) makes asking again return the same refund, and the domain
//! bounds it by what was paid and not yet refunded — then the provider is asked with the
//! same number, so a retry after a timeout cannot refund twice. The sandbox refunds at
//! once.

use gradphoto_db::refunds::RefundRow;
use gradphoto_domain::i18n::Msg;
use gradphoto_domain::payments::{Fen, may_refund};
use gradphoto_domain::policy::Role;

use super::Provider;
use crate::auth::Staff;
use crate::{App, AppError};

fn agency_only(by: &Staff) -> Result<(), AppError> {
    if by.actor.role == Role::AgencyAdmin {
        Ok(())
    } else {
        Err(AppError::Forbidden(Msg::new(
            "refund.forbidden",
            "只有图片社管理员可以退款",
            "Only the photo agency's administrators refund",
        )))
    }
}

impl App {
    /// Refunds every confirmed payment of the order `code` in full; returns the refunds.
    pub async fn refund_order(
        &self,
        by: &Staff,
        code: &str,
        reason: &str,
    ) -> Result<Vec<RefundRow>, AppError> {
        agency_only(by)?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(AppError::invalid(
                "refund.reason",
                "请填写退款原因",
                "Say why the money goes back",
            ));
        }
        let order = self.db.order_by_code(code.trim()).await?.ok_or_else(|| {
            AppError::NotFound(Msg::new("order.not_found", "未找到该订单", "No such order"))
        })?;
        let audit = by.audit("order.refund", "order", Some(order.code.clone()), None);
        let out = self.refund_confirmed(&order, reason, &audit).await?;
        if out.is_empty() {
            return Err(AppError::invalid(
                "refund.nothing_paid",
                "该订单没有已确认的付款",
                "The order has no confirmed payment",
            ));
        }
        Ok(out)
    }

    /// Refunds every confirmed payment of `order` in full, each audited as `audit` says
    /// (who asked: the agency, or the student's own cancellation); empty when nothing was
    /// paid.
    pub(crate) async fn refund_confirmed(
        &self,
        order: &gradphoto_db::payments::OrderRow,
        reason: &str,
        audit: &gradphoto_db::audit::NewAudit,
    ) -> Result<Vec<RefundRow>, AppError> {
        let confirmed: Vec<_> = self
            .db
            .order_payments(order.id)
            .await?
            .into_iter()
            .filter(|p| p.state == "confirmed")
            .collect();
        let mut out = Vec::new();
        for p in confirmed {
            let no = format!("R{}", p.out_trade_no);
            let (refund, _) = self
                .db
                .request_refund(order.id, p.id, &no, p.amount_fen, reason, |room| {
                    may_refund(
                        Fen(p.amount_fen),
                        Fen(room.confirmed_fen),
                        Fen(room.refunded_or_pending_fen),
                    )
                })
                .await?
                .map_err(AppError::Invalid)?;
            if refund.state != "created" {
                out.push(refund);
                continue;
            }
            let done = self.ask_refund(&p, &no, reason).await?;
            let refund = if done {
                self.db.finish_refund(&no, true, super::settle).await?.0
            } else {
                refund
            };
            let mut audit = audit.clone();
            audit.after = Some(serde_json::json!({
                "refund": no, "amount_fen": p.amount_fen, "state": refund.state, "reason": reason,
            }));
            self.db.append_audit(&audit).await?;
            out.push(refund);
        }
        Ok(out)
    }

    /// Asks the payment's provider to refund it: `true` when the money went back.
    async fn ask_refund(
        &self,
        p: &gradphoto_db::payments::PaymentRow,
        no: &str,
        reason: &str,
    ) -> Result<bool, AppError> {
        let amount = Fen(p.amount_fen);
        match self.payments.by_name(&p.provider) {
            Some(x) if !x.is_live() => Ok(true),
            Some(Provider::Wechat(w)) => {
                w.refund(&p.out_trade_no, no, amount, amount, reason).await
            }
            Some(Provider::Alipay(a)) => {
                a.refund(&p.out_trade_no, no, amount, reason).await?;
                Ok(true)
            }
            None => Err(AppError::Unavailable(Msg::new(
                "refund.provider_off",
                "该付款的支付方式已停用，无法原路退款",
                "The way this was paid is no longer configured, so it cannot be refunded",
            ))),
        }
    }
}
