//! Paying an order (seed 003 §支付): the student picks WeChat Pay or Alipay; a payment
//! attempt is recorded first (its number unique, so a retry cannot make a second), then the
//! provider is asked for the QR code the payer scans. Coming back to the page shows the
//! same code while it is fresh. When no notification comes, the provider is asked (the
//! `query_payments` job, and the student's "I have paid" button).

use gradphoto_db::DbError;
use gradphoto_db::payments::{OrderRow, PaymentRow};
use gradphoto_db::student_accounts::StudentAccount;
use gradphoto_domain::i18n::Msg;
use gradphoto_domain::payments::{Fen, PaymentEvent};

use super::wechat::transaction_event;
use super::{Method, Provider};
use crate::{App, AppError};

/// A QR code stays on offer this long; after that a new attempt is ordered (the
/// providers' own expiry is two hours).
const REUSE_MS: i64 = 90 * 60_000;
/// Issued attempts older than this have expired at the provider (both are ordered with a
/// two-hour expiry) and are not queried any more.
const QUERY_HORIZON_MS: i64 = 3 * 3_600_000;

/// What the payment page shows.
#[derive(Debug, Clone)]
pub struct Checkout {
    pub order: OrderRow,
    pub payment: PaymentRow,
    pub method: Method,
    /// What the payer scans: WeChat Pay's `code_url`, Alipay's `qr_code`, or the sandbox
    /// payer's page (a path on this server).
    pub pay_url: String,
}

fn not_payable(code: &str, zh: &str, en: &str) -> AppError {
    AppError::Invalid(Msg::new(code, zh, en))
}

impl App {
    /// Starts (or shows again) a payment of the student's open order with `method`.
    pub async fn online_pay(
        &self,
        account: &StudentAccount,
        method: Method,
    ) -> Result<Checkout, AppError> {
        let state = self.online_state(account).await?;
        let order = self.online_order(&state).await?.ok_or_else(|| {
            not_payable(
                "order.confirm_first",
                "请先确认订单",
                "Confirm your order first",
            )
        })?;
        self.pay_order(order, method, "毕业生图像采集 Graduation photo")
            .await
    }

    /// Starts (or shows again) a payment of a pending order with `method`: the online
    /// student's order or a fee at the on-site desk. `subject` is what the payer's app
    /// shows.
    pub(crate) async fn pay_order(
        &self,
        order: OrderRow,
        method: Method,
        subject: &str,
    ) -> Result<Checkout, AppError> {
        if order.status != "pending" {
            return Err(not_payable(
                "order.already_paid",
                "该订单已支付",
                "This order is already paid",
            ));
        }
        let provider = match method {
            Method::Wechat => self.payments.wechat.as_ref().map(|w| w.provider.clone()),
            Method::Alipay => self.payments.alipay.as_ref().map(|a| a.provider.clone()),
        }
        .ok_or_else(super::method_unavailable)?;
        let now = gradphoto_db::now_ms();
        let attempts = self.db.order_payments(order.id).await?;
        if let Some(p) = attempts.iter().rev().find(|p| {
            p.provider == provider
                && p.state == "pending"
                && !p.pay_url.is_empty()
                && p.amount_fen == order.total_fen
                && now - p.created_at < REUSE_MS
        }) {
            return Ok(Checkout {
                order: order.clone(),
                payment: p.clone(),
                method,
                pay_url: p.pay_url.clone(),
            });
        }
        // Letters, digits and `_` only: the rule both providers share.
        let out_trade_no = format!("{}_{}", order.code, attempts.len() + 1);
        let payment = match self
            .db
            .create_payment(order.id, &provider, &out_trade_no, order.total_fen)
            .await
        {
            Ok(p) => p,
            // A second click raced this one to the same number: show what it made.
            Err(DbError::Conflict(_)) => {
                return Err(AppError::Conflict(Msg::new(
                    "pay.in_progress",
                    "正在创建支付，请刷新页面",
                    "A payment is being created; reload the page",
                )));
            }
            Err(e) => return Err(e.into()),
        };
        let amount = Fen(order.total_fen);
        let asked = match method {
            Method::Wechat => match &self.payments.wechat {
                Some(w) if w.is_live() => w.native(&out_trade_no, subject, amount).await,
                _ => Ok(sandbox_url(&out_trade_no)),
            },
            Method::Alipay => match &self.payments.alipay {
                Some(a) if a.is_live() => a.precreate(&out_trade_no, subject, amount).await,
                _ => Ok(sandbox_url(&out_trade_no)),
            },
        };
        let pay_url = match asked {
            Ok(url) => url,
            Err(e) => {
                // The attempt is closed so it is neither shown nor queried.
                self.apply_payment_news(&provider, &out_trade_no, "", PaymentEvent::Canceled)
                    .await?;
                return Err(e);
            }
        };
        self.apply_payment_news(&provider, &out_trade_no, "", PaymentEvent::Issued)
            .await?;
        self.db.set_payment_url(payment.id, &pay_url).await?;
        let payment = self
            .db
            .payment_by_trade_no(&out_trade_no)
            .await?
            .ok_or_else(|| AppError::Internal("the payment vanished".into()))?;
        Ok(Checkout {
            order,
            payment,
            method,
            pay_url,
        })
    }

    /// A payment of the student's own order, to show its QR code again.
    pub async fn online_payment(
        &self,
        account: &StudentAccount,
        out_trade_no: &str,
    ) -> Result<Checkout, AppError> {
        let missing =
            || AppError::NotFound(Msg::new("pay.not_found", "未找到该支付", "No such payment"));
        let payment = self
            .db
            .payment_by_trade_no(out_trade_no)
            .await?
            .ok_or_else(missing)?;
        let order = self.db.get_order(payment.order_id).await?;
        if order.account_id != Some(account.id) {
            return Err(missing());
        }
        let method = self
            .payments
            .by_name(&payment.provider)
            .ok_or_else(missing)?
            .method();
        Ok(Checkout {
            pay_url: payment.pay_url.clone(),
            order,
            payment,
            method,
        })
    }

    /// Asks the provider about an issued payment and applies what it says; `Ok(true)`
    /// when that changed the payment. The sandbox has nobody to ask.
    pub async fn query_payment(&self, p: &PaymentRow) -> Result<bool, AppError> {
        if p.state != "pending" {
            return Ok(false);
        }
        let Some(provider) = self.payments.by_name(&p.provider).filter(|x| x.is_live()) else {
            return Ok(false);
        };
        let (event, txn) = match provider {
            Provider::Wechat(w) => {
                let Some(t) = w.query(&p.out_trade_no).await? else {
                    return Ok(false);
                };
                let Some(event) = transaction_event(&t) else {
                    return Ok(false);
                };
                (event, t.transaction_id)
            }
            Provider::Alipay(a) => match a.query(&p.out_trade_no).await? {
                Some(found) => found,
                None => return Ok(false),
            },
        };
        self.apply_payment_news(&p.provider, &p.out_trade_no, &txn, event)
            .await
    }

    /// The student's "I have paid": asks the providers about the order's waiting attempts.
    pub async fn online_check_payment(&self, account: &StudentAccount) -> Result<bool, AppError> {
        let state = self.online_state(account).await?;
        let Some(order) = self.online_order(&state).await? else {
            return Ok(false);
        };
        let mut changed = false;
        for p in self.db.order_payments(order.id).await? {
            changed |= self.query_payment(&p).await?;
        }
        Ok(changed)
    }

    /// The student's "I have paid" on one of their payments (an online order's or a
    /// booking's): asks the providers about its order's waiting attempts.
    pub async fn check_my_payment(
        &self,
        account: &StudentAccount,
        out_trade_no: &str,
    ) -> Result<OrderRow, AppError> {
        let c = self.online_payment(account, out_trade_no).await?;
        for p in self.db.order_payments(c.order.id).await? {
            self.query_payment(&p).await?;
        }
        Ok(self.db.get_order(c.order.id).await?)
    }

    /// The `query_payments` job: every attempt that waited longer than
    /// `payments.query_after_minutes` for its notification is asked about. One provider
    /// being down does not stop the others.
    pub async fn query_waiting_payments(&self) -> Result<usize, AppError> {
        let now = gradphoto_db::now_ms();
        let wait = self.config.payments.query_after_minutes.max(0) * 60_000;
        let waiting = self
            .db
            .payments_awaiting(now - wait, now - QUERY_HORIZON_MS, 200)
            .await?;
        let mut changed = 0;
        for p in &waiting {
            match self.query_payment(p).await {
                Ok(true) => changed += 1,
                Ok(false) => {}
                Err(e) => tracing::warn!(payment = p.id, error = %e, "payment query failed"),
            }
        }
        Ok(changed)
    }
}

/// The sandbox payer's page for an attempt.
pub fn sandbox_url(out_trade_no: &str) -> String {
    format!("/sandbox/pay/{out_trade_no}")
}
