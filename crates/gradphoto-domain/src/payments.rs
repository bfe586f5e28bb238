//! Money, modelled as pretix does: an order has a total; payment attempts and refunds are
//! rows of their own, each with its own state; the order is paid exactly when the confirmed
//! payments minus the completed refunds cover the total. These are the rules every change
//! passes through — the storage layer applies them under a row lock and writes each change
//! to an append-only ledger.

use serde::{Deserialize, Serialize};

use crate::i18n::Msg;

/// An amount in fen (分, 0.01 yuan): integers only, never floating point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Fen(pub i64);

impl Fen {
    /// `"20.00"`, as Alipay's `total_amount` and the pages show it.
    pub fn yuan(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", a / 100, a % 100)
    }

    /// Parses `"20"`, `"20.5"` or `"20.00"` (at most two decimals, not negative).
    pub fn parse_yuan(s: &str) -> Option<Fen> {
        let s = s.trim();
        let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
        if whole.is_empty()
            || frac.len() > 2
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let w: i64 = whole.parse().ok()?;
        let f: i64 = if frac.is_empty() {
            0
        } else {
            format!("{frac:0<2}").parse().ok()?
        };
        w.checked_mul(100)?.checked_add(f).map(Fen)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Waiting for payment.
    Pending,
    Paid,
    /// Given up before payment (by the student, or expired).
    Canceled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentState {
    /// Made here; the provider has not been asked yet.
    Created,
    /// The provider knows it (a QR code is shown); waiting for the payer.
    Pending,
    /// The provider says the money arrived.
    Confirmed,
    /// The provider says it failed or closed it.
    Failed,
    /// Abandoned here before any money moved.
    Canceled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundState {
    /// Asked of the provider; not yet done.
    Created,
    Done,
    Failed,
}

macro_rules! strings {
    ($t:ident { $($v:ident => $s:literal),* $(,)? }) => {
        impl $t {
            pub const ALL: &'static [$t] = &[$($t::$v),*];
            pub fn as_str(self) -> &'static str {
                match self { $($t::$v => $s),* }
            }
            pub fn parse(s: &str) -> Option<$t> {
                match s { $($s => Some($t::$v),)* _ => None }
            }
        }
    };
}
strings!(OrderStatus { Pending => "pending", Paid => "paid", Canceled => "canceled" });
strings!(PaymentState {
    Created => "created",
    Pending => "pending",
    Confirmed => "confirmed",
    Failed => "failed",
    Canceled => "canceled",
});
strings!(RefundState { Created => "created", Done => "done", Failed => "failed" });

impl OrderStatus {
    pub fn zh(self) -> &'static str {
        match self {
            OrderStatus::Pending => "待支付",
            OrderStatus::Paid => "已支付",
            OrderStatus::Canceled => "已取消",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            OrderStatus::Pending => "Awaiting payment",
            OrderStatus::Paid => "Paid",
            OrderStatus::Canceled => "Canceled",
        }
    }
}

/// What happens to a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentEvent {
    /// The provider accepted the request (QR code issued).
    Issued,
    /// The provider reports the money arrived, for `amount`.
    Confirmed { amount: Fen },
    /// The provider reports failure or closure.
    Failed,
    /// Abandoned here.
    Canceled,
}

/// The outcome of applying an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The state changes to this.
    To(PaymentState),
    /// Nothing to do: the same news again (a duplicate notification), or news that must
    /// not overwrite what is known (a failure after a success).
    Unchanged,
}

/// The one rule for a payment's state. A confirmation is idempotent; a failure never
/// overwrites a success; money that arrives for a payment given up here is still
/// confirmed (it was taken, and will be refunded if the order no longer needs it); the
/// amount must be the payment's.
pub fn apply(state: PaymentState, amount: Fen, event: PaymentEvent) -> Result<Applied, Msg> {
    use PaymentState as S;
    Ok(match (state, event) {
        (S::Confirmed, PaymentEvent::Confirmed { amount: a }) if a == amount => Applied::Unchanged,
        (_, PaymentEvent::Confirmed { amount: a }) if a != amount => {
            return Err(Msg::new(
                "payment.amount_mismatch",
                format!("支付金额 {} 与订单金额 {} 不符", a.yuan(), amount.yuan()),
                format!(
                    "The amount paid ({}) is not the payment's ({})",
                    a.yuan(),
                    amount.yuan()
                ),
            ));
        }
        (_, PaymentEvent::Confirmed { .. }) => Applied::To(S::Confirmed),
        (S::Confirmed, _) => Applied::Unchanged,
        (S::Created, PaymentEvent::Issued) => Applied::To(S::Pending),
        (S::Pending, PaymentEvent::Issued) => Applied::Unchanged,
        (S::Created | S::Pending, PaymentEvent::Failed) => Applied::To(S::Failed),
        (S::Created | S::Pending, PaymentEvent::Canceled) => Applied::To(S::Canceled),
        (S::Failed | S::Canceled, _) => Applied::Unchanged,
    })
}

/// Whether confirmed payments minus completed refunds cover the total.
pub fn covers(total: Fen, confirmed: Fen, refunded: Fen) -> bool {
    confirmed.0 - refunded.0 >= total.0
}

/// The order's status from its money: paid when covered; a paid order whose cover a
/// refund removed goes back to pending; a canceled order stays canceled.
pub fn order_status(
    current: OrderStatus,
    total: Fen,
    confirmed: Fen,
    refunded: Fen,
) -> OrderStatus {
    match current {
        OrderStatus::Canceled => OrderStatus::Canceled,
        _ if covers(total, confirmed, refunded) => OrderStatus::Paid,
        _ => OrderStatus::Pending,
    }
}

/// A refund may not take back more than was paid and not yet refunded.
pub fn may_refund(amount: Fen, confirmed: Fen, refunded_or_pending: Fen) -> Result<(), Msg> {
    if amount.0 <= 0 {
        return Err(Msg::new(
            "refund.amount",
            "退款金额须大于零",
            "A refund must be for more than zero",
        ));
    }
    if amount.0 > confirmed.0 - refunded_or_pending.0 {
        return Err(Msg::new(
            "refund.too_much",
            format!(
                "退款金额 {} 超过可退金额 {}",
                amount.yuan(),
                Fen(confirmed.0 - refunded_or_pending.0).yuan()
            ),
            format!(
                "The refund ({}) is more than can be refunded ({})",
                amount.yuan(),
                Fen(confirmed.0 - refunded_or_pending.0).yuan()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use PaymentState as S;

    #[test]
    fn yuan_both_ways() {
        assert_eq!(Fen(2000).yuan(), "20.00");
        assert_eq!(Fen(5).yuan(), "0.05");
        assert_eq!(Fen(-150).yuan(), "-1.50");
        assert_eq!(Fen::parse_yuan("20"), Some(Fen(2000)));
        assert_eq!(Fen::parse_yuan("20.5"), Some(Fen(2050)));
        assert_eq!(Fen::parse_yuan(" 0.05 "), Some(Fen(5)));
        for bad in ["", ".5", "1.234", "-1", "1e3", "１", "20.00.0"] {
            assert_eq!(Fen::parse_yuan(bad), None, "{bad}");
        }
    }

    #[test]
    fn strings_round_trip() {
        for s in S::ALL {
            assert_eq!(S::parse(s.as_str()), Some(*s));
        }
        for s in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(s.as_str()), Some(*s));
        }
        for s in RefundState::ALL {
            assert_eq!(RefundState::parse(s.as_str()), Some(*s));
        }
    }

    #[test]
    fn confirmation_is_idempotent_and_a_failure_never_overwrites_it() {
        let a = Fen(2000);
        let ok = PaymentEvent::Confirmed { amount: a };
        for from in [S::Created, S::Pending, S::Failed, S::Canceled] {
            assert_eq!(
                apply(from, a, ok),
                Ok(Applied::To(S::Confirmed)),
                "{from:?}"
            );
        }
        assert_eq!(apply(S::Confirmed, a, ok), Ok(Applied::Unchanged));
        for e in [
            PaymentEvent::Failed,
            PaymentEvent::Canceled,
            PaymentEvent::Issued,
        ] {
            assert_eq!(apply(S::Confirmed, a, e), Ok(Applied::Unchanged), "{e:?}");
        }
        assert_eq!(
            apply(S::Created, a, PaymentEvent::Issued),
            Ok(Applied::To(S::Pending))
        );
        assert_eq!(
            apply(S::Pending, a, PaymentEvent::Failed),
            Ok(Applied::To(S::Failed))
        );
        assert_eq!(
            apply(S::Failed, a, PaymentEvent::Canceled),
            Ok(Applied::Unchanged)
        );
        let e = apply(S::Pending, a, PaymentEvent::Confirmed { amount: Fen(1) })
            .expect_err("wrong amount");
        assert_eq!(e.code, "payment.amount_mismatch");
        // A wrong amount is refused even for a confirmed payment.
        assert!(apply(S::Confirmed, a, PaymentEvent::Confirmed { amount: Fen(1) }).is_err());
    }

    #[test]
    fn an_order_is_paid_exactly_when_covered() {
        let t = Fen(2000);
        assert_eq!(
            order_status(OrderStatus::Pending, t, Fen(0), Fen(0)),
            OrderStatus::Pending
        );
        assert_eq!(
            order_status(OrderStatus::Pending, t, Fen(2000), Fen(0)),
            OrderStatus::Paid
        );
        assert_eq!(
            order_status(OrderStatus::Paid, t, Fen(2000), Fen(2000)),
            OrderStatus::Pending
        );
        assert_eq!(
            order_status(OrderStatus::Pending, t, Fen(4000), Fen(2000)),
            OrderStatus::Paid
        );
        assert_eq!(
            order_status(OrderStatus::Canceled, t, Fen(2000), Fen(0)),
            OrderStatus::Canceled
        );
        assert_eq!(
            order_status(OrderStatus::Pending, Fen(0), Fen(0), Fen(0)),
            OrderStatus::Paid
        );
    }

    #[test]
    fn refunds_are_bounded_by_what_was_paid() {
        assert!(may_refund(Fen(2000), Fen(2000), Fen(0)).is_ok());
        assert_eq!(
            may_refund(Fen(1), Fen(2000), Fen(2000))
                .expect_err("all refunded")
                .code,
            "refund.too_much"
        );
        assert_eq!(
            may_refund(Fen(0), Fen(2000), Fen(0))
                .expect_err("zero")
                .code,
            "refund.amount"
        );
    }
}
