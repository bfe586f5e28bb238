//! The demo's sandbox payer (`payments.mode = "sandbox"`): it plays WeChat Pay or Alipay
//! for a sandbox payment — the provider's notification is built, signed and (for WeChat
//! Pay) encrypted with the public test keys, and handed to the same verification as a real
//! one. No money moves; the page that offers it says so. A live deployment has no sandbox
//! providers, so this refuses.

use std::collections::BTreeMap;

use gradphoto_domain::i18n::Msg;
use gradphoto_pay::keys::SigningKey;
use gradphoto_pay::sandbox as k;
use gradphoto_pay::wechat::{
    Amount, Notification, SignedHeaders, Transaction, encrypt_resource, sign_response,
};

use super::{SANDBOX_ALIPAY, SANDBOX_WECHAT};
use crate::{App, AppError};

fn not_sandbox() -> AppError {
    AppError::NotFound(Msg::new(
        "pay.sandbox_only",
        "沙箱付款仅用于演示",
        "The sandbox payer exists only in the demo",
    ))
}

fn sandbox_key(pem: &str) -> Result<SigningKey, AppError> {
    SigningKey::from_pem(pem).map_err(|e| AppError::Internal(format!("sandbox key: {e}")))
}

impl App {
    /// A sandbox payment, for the sandbox payer's page.
    pub async fn sandbox_payment(
        &self,
        out_trade_no: &str,
    ) -> Result<gradphoto_db::payments::PaymentRow, AppError> {
        if !self.payments.sandbox {
            return Err(not_sandbox());
        }
        self.db
            .payment_by_trade_no(out_trade_no)
            .await?
            .filter(|p| p.provider == SANDBOX_WECHAT || p.provider == SANDBOX_ALIPAY)
            .ok_or_else(not_sandbox)
    }

    /// Plays the payer of the sandbox payment `out_trade_no`: `paid` pays it, otherwise
    /// the payer gives up and the provider closes it. `Ok(true)` when that changed it.
    pub async fn sandbox_pay(&self, out_trade_no: &str, paid: bool) -> Result<bool, AppError> {
        if !self.payments.sandbox {
            return Err(not_sandbox());
        }
        let p = self.sandbox_payment(out_trade_no).await?;
        if paid && (p.state == "failed" || p.state == "canceled") {
            // As at the providers: a closed trade cannot be paid.
            return Err(AppError::Conflict(Msg::new(
                "pay.closed",
                "该笔付款已关闭，请返回重新发起支付",
                "This payment is closed; go back and start a new one",
            )));
        }
        let now = chrono::Utc::now();
        let txn = format!("SANDBOX{}{:08}", now.format("%Y%m%d%H%M%S"), p.id);
        match p.provider.as_str() {
            SANDBOX_WECHAT => {
                let wx = self.payments.wechat.as_ref().ok_or_else(not_sandbox)?;
                let t = Transaction {
                    appid: wx.appid.clone(),
                    mchid: wx.mchid.clone(),
                    out_trade_no: p.out_trade_no.clone(),
                    transaction_id: txn,
                    trade_state: if paid { "SUCCESS" } else { "CLOSED" }.into(),
                    amount: Amount {
                        total: p.amount_fen,
                        payer_total: Some(p.amount_fen),
                        currency: "CNY".into(),
                    },
                    success_time: paid.then(|| now.to_rfc3339()),
                };
                let plain =
                    serde_json::to_vec(&t).map_err(|e| AppError::Internal(e.to_string()))?;
                let nonce = crate::pii::random_hex::<6>()?;
                let resource = encrypt_resource(
                    k::WECHAT_API_V3_KEY,
                    &nonce,
                    "transaction",
                    "transaction",
                    &plain,
                )
                .map_err(|e| AppError::Internal(format!("sandbox: {e}")))?;
                let body = serde_json::to_vec(&Notification {
                    id: format!("sandbox-{}", crate::pii::random_hex::<8>()?),
                    create_time: now.to_rfc3339(),
                    event_type: if paid {
                        "TRANSACTION.SUCCESS"
                    } else {
                        "TRANSACTION.CLOSED"
                    }
                    .into(),
                    resource_type: "encrypt-resource".into(),
                    resource,
                    summary: "沙箱支付 sandbox".into(),
                })
                .map_err(|e| AppError::Internal(e.to_string()))?;
                let ts = now.timestamp();
                let header_nonce = crate::pii::random_hex::<16>()?;
                let signature = sign_response(
                    &sandbox_key(k::WECHAT_PLATFORM_KEY)?,
                    ts,
                    &header_nonce,
                    &body,
                )
                .map_err(|e| AppError::Internal(format!("sandbox: {e}")))?;
                let ts = ts.to_string();
                let h = SignedHeaders {
                    timestamp: &ts,
                    nonce: &header_nonce,
                    signature: &signature,
                    serial: k::WECHAT_PLATFORM_SERIAL,
                };
                self.wechat_notification(wx, &h, &body, now.timestamp())
                    .await
            }
            SANDBOX_ALIPAY => {
                let ap = self.payments.alipay.as_ref().ok_or_else(not_sandbox)?;
                let china = now.with_timezone(&gradphoto_domain::calendar::china_offset());
                let at = china.format("%Y-%m-%d %H:%M:%S").to_string();
                let total = gradphoto_domain::payments::Fen(p.amount_fen).yuan();
                let mut params: BTreeMap<String, String> = [
                    ("notify_time", at.as_str()),
                    ("notify_type", "trade_status_sync"),
                    ("notify_id", &crate::pii::random_hex::<16>()?),
                    ("app_id", &ap.app_id),
                    ("seller_id", &ap.seller_id),
                    ("charset", "utf-8"),
                    ("version", "1.0"),
                    ("out_trade_no", &p.out_trade_no),
                    ("trade_no", &txn),
                    (
                        "trade_status",
                        if paid {
                            "TRADE_SUCCESS"
                        } else {
                            "TRADE_CLOSED"
                        },
                    ),
                    ("total_amount", &total),
                    ("gmt_payment", at.as_str()),
                ]
                .into_iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect();
                gradphoto_pay::alipay::sign_notification(
                    &sandbox_key(k::ALIPAY_PLATFORM_KEY)?,
                    &mut params,
                )
                .map_err(|e| AppError::Internal(format!("sandbox: {e}")))?;
                self.alipay_notification(ap, &params).await
            }
            _ => Err(not_sandbox()),
        }
    }
}
