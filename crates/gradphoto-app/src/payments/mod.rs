//! Payments from the providers' side: what their notifications (and, later, order
//! queries) say is turned into a [`PaymentEvent`] and applied to the payment under the
//! order's lock, through the domain's one rule. Each provider module checks its own
//! protocol first; nothing reaches the store unverified.

pub mod alipay;
pub mod wechat;

use gradphoto_domain::i18n::Msg;
use gradphoto_domain::payments::{
    Applied, Fen, OrderStatus, PaymentEvent, PaymentState, apply, order_status,
};

use crate::{App, AppError};

/// A provider's message refused: logged with why; the answer says only that nothing
/// changed.
pub(crate) fn refused(code: &str, why: impl std::fmt::Display) -> AppError {
    tracing::warn!(code, %why, "payment notification refused");
    AppError::Invalid(Msg::new(
        code,
        "支付通知无效，未作任何处理",
        "The payment notification is not valid; nothing was changed",
    ))
}

impl App {
    /// Applies verified news about the payment `out_trade_no` of `provider`: `Ok(true)`
    /// when it changed the payment, `Ok(false)` for a duplicate or news that must not
    /// change anything (a failure after a success).
    pub async fn apply_payment_news(
        &self,
        provider: &str,
        out_trade_no: &str,
        provider_txn: &str,
        event: PaymentEvent,
    ) -> Result<bool, AppError> {
        let applied = self
            .db
            .apply_payment_event(
                out_trade_no,
                Some(provider_txn),
                match event {
                    PaymentEvent::Confirmed { .. } => "payment.confirmed",
                    PaymentEvent::Failed => "payment.failed",
                    PaymentEvent::Canceled => "payment.canceled",
                    PaymentEvent::Issued => "payment.issued",
                },
                &format!("{provider} {provider_txn}"),
                |p| {
                    if p.provider != provider {
                        return Err(Msg::new(
                            "pay.provider",
                            "",
                            "a payment of another provider",
                        ));
                    }
                    let state = PaymentState::parse(&p.state)
                        .ok_or_else(|| Msg::new("pay.state", "", "an unknown stored state"))?;
                    Ok(match apply(state, Fen(p.amount_fen), event)? {
                        Applied::To(s) => Some(s.as_str().to_string()),
                        Applied::Unchanged => None,
                    })
                },
                |status, m| {
                    order_status(
                        OrderStatus::parse(status).unwrap_or(OrderStatus::Pending),
                        Fen(m.total_fen),
                        Fen(m.confirmed_fen),
                        Fen(m.refunded_fen),
                    )
                    .as_str()
                    .to_string()
                },
            )
            .await
            .map_err(|e| match e {
                gradphoto_db::DbError::NotFound => refused("pay.unknown_trade", out_trade_no),
                other => other.into(),
            })?
            .map_err(|m| refused(&m.code, &m.en))?;
        Ok(applied.changed)
    }
}
