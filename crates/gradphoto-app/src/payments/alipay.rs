//! Alipay asynchronous notifications (RSA2): a notification counts only when Alipay's
//! signature over the sorted parameters verifies with Alipay's public key and it names our
//! `app_id` and `seller_id`; its `total_amount` must be the payment's. The web edge answers
//! the literal `success` only after this returned — after the commit — so Alipay retries
//! anything that failed.

use std::collections::BTreeMap;

use gradphoto_domain::payments::{Fen, PaymentEvent};
use gradphoto_pay::alipay::verify_notification;
use gradphoto_pay::keys::VerifyingKey;

use super::refused;
use crate::{App, AppError};

/// One configured Alipay application (or the sandbox playing one).
#[derive(Debug, Clone)]
pub struct Alipay {
    /// `alipay`, or `sandbox`: the provider name on payments it may confirm.
    pub provider: String,
    pub app_id: String,
    /// The merchant's Alipay user id (2088…).
    pub seller_id: String,
    pub alipay_key: VerifyingKey,
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
        let amount = Fen::parse_yuan(get("total_amount"))
            .ok_or_else(|| refused("pay.malformed", "total_amount"))?;
        let event = match get("trade_status") {
            "TRADE_SUCCESS" | "TRADE_FINISHED" => PaymentEvent::Confirmed { amount },
            "TRADE_CLOSED" => PaymentEvent::Failed,
            _ => return Ok(false),
        };
        self.apply_payment_news(&ap.provider, get("out_trade_no"), get("trade_no"), event)
            .await
    }
}
