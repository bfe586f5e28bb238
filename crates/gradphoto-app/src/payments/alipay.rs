//! Alipay: asynchronous notifications (RSA2) and the merchant API. A notification counts
//! only when Alipay's signature over the sorted parameters verifies with Alipay's public
//! key and it names our `app_id` and `seller_id`; its `total_amount` must be the payment's.
//! The web edge answers the literal `success` only after this returned — after the commit —
//! so Alipay retries anything that failed.

use std::collections::BTreeMap;
use std::sync::Arc;

use gradphoto_domain::payments::{Fen, PaymentEvent};
use gradphoto_pay::alipay::verify_notification;
use gradphoto_pay::alipay_api::{Answer, PRECREATE, QUERY, REFUND, open_answer, signed_call};
use gradphoto_pay::keys::{SigningKey, VerifyingKey};

use super::{provider_down, refused};
use crate::{App, AppError};

/// One configured Alipay application (or the sandbox playing one).
#[derive(Debug, Clone)]
pub struct Alipay {
    /// `alipay`, or `sandbox-alipay`: the provider name on payments it may confirm.
    pub provider: String,
    pub app_id: String,
    /// The merchant's Alipay user id (2088…).
    pub seller_id: String,
    pub alipay_key: VerifyingKey,
    /// The open-platform API; `None` for the sandbox.
    pub api: Option<AlipayApi>,
}

/// A client of Alipay's gateway.
#[derive(Clone)]
pub struct AlipayApi {
    pub http: reqwest::Client,
    /// `https://openapi.alipay.com/gateway.do` (a local server in tests).
    pub gateway: String,
    pub app_key: Arc<SigningKey>,
    /// Where Alipay posts notifications.
    pub notify_url: String,
}

impl std::fmt::Debug for AlipayApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlipayApi")
            .field("gateway", &self.gateway)
            .finish_non_exhaustive()
    }
}

impl Alipay {
    pub fn is_live(&self) -> bool {
        self.api.is_some()
    }

    /// Calls `method` with `biz`; the answer's signature is checked before it is read.
    async fn call(&self, method: &str, biz: serde_json::Value) -> Result<Answer, AppError> {
        let api = self
            .api
            .as_ref()
            .ok_or_else(|| AppError::Internal("the sandbox has no Alipay gateway".into()))?;
        let timestamp = chrono::Utc::now()
            .with_timezone(&gradphoto_domain::calendar::china_offset())
            .format("%Y-%m-%d %H:%M:%S")
            .to_string();
        let notify = (method == PRECREATE).then_some(api.notify_url.as_str());
        let params = signed_call(&api.app_key, &self.app_id, method, &biz, notify, &timestamp)
            .map_err(|e| provider_down("alipay", e))?;
        let r = api
            .http
            .post(&api.gateway)
            .form(&params)
            .send()
            .await
            .map_err(|e| provider_down("alipay", e))?;
        let body = r.text().await.map_err(|e| provider_down("alipay", e))?;
        open_answer(&self.alipay_key, method, &body)
            .map_err(|e| provider_down("alipay", format!("answer not genuine: {e}")))
    }

    /// Precreates a trade: the `qr_code` the payer scans.
    pub async fn precreate(
        &self,
        out_trade_no: &str,
        subject: &str,
        amount: Fen,
    ) -> Result<String, AppError> {
        let a = self
            .call(
                PRECREATE,
                serde_json::json!({
                    "out_trade_no": out_trade_no,
                    "total_amount": amount.yuan(),
                    "subject": subject,
                    "timeout_express": "2h",
                }),
            )
            .await?;
        if a.ok() && a.get("out_trade_no") == out_trade_no && !a.get("qr_code").is_empty() {
            return Ok(a.get("qr_code").to_string());
        }
        Err(provider_down(
            "alipay",
            format!("{} {} {} {}", a.code, a.msg, a.sub_code, a.sub_msg),
        ))
    }

    /// Refunds a trade (in full or part), idempotent on `out_request_no`.
    pub async fn refund(
        &self,
        out_trade_no: &str,
        out_request_no: &str,
        amount: Fen,
        reason: &str,
    ) -> Result<(), AppError> {
        let a = self
            .call(
                REFUND,
                serde_json::json!({
                    "out_trade_no": out_trade_no,
                    "out_request_no": out_request_no,
                    "refund_amount": amount.yuan(),
                    "refund_reason": reason,
                }),
            )
            .await?;
        if a.ok() && a.get("out_trade_no") == out_trade_no {
            return Ok(());
        }
        Err(provider_down(
            "alipay",
            format!("{} {} {} {}", a.code, a.msg, a.sub_code, a.sub_msg),
        ))
    }

    /// Asks Alipay about a trade: what it means for the payment, with Alipay's trade
    /// number; `None` when there is nothing to change yet (unknown or waiting).
    pub async fn query(
        &self,
        out_trade_no: &str,
    ) -> Result<Option<(PaymentEvent, String)>, AppError> {
        let a = self
            .call(QUERY, serde_json::json!({ "out_trade_no": out_trade_no }))
            .await?;
        if !a.ok() {
            if a.sub_code == "ACQ.TRADE_NOT_EXIST" {
                return Ok(None);
            }
            return Err(provider_down(
                "alipay",
                format!("{} {} {}", a.code, a.sub_code, a.sub_msg),
            ));
        }
        if a.get("out_trade_no") != out_trade_no {
            return Err(provider_down("alipay", "the answer is about another trade"));
        }
        let event = trade_event(a.get("trade_status"), a.get("total_amount"))?;
        Ok(event.map(|e| (e, a.get("trade_no").to_string())))
    }
}

/// What a trade status means for the payment.
fn trade_event(status: &str, total_amount: &str) -> Result<Option<PaymentEvent>, AppError> {
    Ok(match status {
        "TRADE_SUCCESS" | "TRADE_FINISHED" => Some(PaymentEvent::Confirmed {
            amount: Fen::parse_yuan(total_amount)
                .ok_or_else(|| refused("pay.malformed", "total_amount"))?,
        }),
        "TRADE_CLOSED" => Some(PaymentEvent::Failed),
        _ => None,
    })
}

impl App {
    /// Handles a notification's form fields; `Ok(true)` when it changed a payment.
    pub async fn alipay_notification(
        &self,
        ap: &Alipay,
        params: &BTreeMap<String, String>,
    ) -> Result<bool, AppError> {
        verify_notification(&ap.alipay_key, params).map_err(|e| refused("pay.signature", e))?;
        let get = |k: &str| params.get(k).map(String::as_str).unwrap_or("");
        if get("app_id") != ap.app_id || get("seller_id") != ap.seller_id {
            return Err(refused(
                "pay.merchant",
                format!("app_id {} seller_id {}", get("app_id"), get("seller_id")),
            ));
        }
        let Some(event) = trade_event(get("trade_status"), get("total_amount"))? else {
            return Ok(false);
        };
        self.apply_payment_news(&ap.provider, get("out_trade_no"), get("trade_no"), event)
            .await
    }
}
