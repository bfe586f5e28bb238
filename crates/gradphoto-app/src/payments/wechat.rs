//! WeChat Pay notifications (API v3): the one door through which a payment becomes
//! confirmed. A notification counts only when WeChat Pay's signature verifies with the
//! platform key its serial names, its timestamp is within ±300 s, its resource decrypts
//! under the APIv3 key, it names our app and merchant, and its amount is the payment's;
//! then it is applied under the order's lock, where a duplicate changes nothing and a
//! failure cannot overwrite a success. Anything else changes nothing and is refused.
//!
//! The sandbox payer of the demo sends its notifications through this same code, signed
//! and encrypted with test keys.

use std::sync::Arc;

use gradphoto_domain::payments::{Fen, PaymentEvent};
use gradphoto_pay::PayError;
use gradphoto_pay::wechat::{
    Merchant, Notification, PlatformKeys, SignedHeaders, Transaction, decrypt_resource,
};
use gradphoto_pay::wechat_api::{
    ErrorAnswer, NATIVE_PATH, NativeAnswer, NativeOrder, OrderAmount, REFUND_PATH, RefundAmount,
    RefundAnswer, RefundOrder, query_path,
};
use secrecy::{ExposeSecret, SecretSlice};

use super::{provider_down, refused};
use crate::{App, AppError};

/// One configured WeChat Pay merchant (or the sandbox playing one).
#[derive(Clone)]
pub struct WechatPay {
    /// `wechat`, or `sandbox` for the demo's payer: the provider name on payments it may
    /// confirm.
    pub provider: String,
    pub appid: String,
    pub mchid: String,
    api_v3_key: SecretSlice<u8>,
    platform: PlatformKeys,
    /// The merchant API; `None` for the sandbox, whose payer is this server's own page.
    api: Option<WechatApi>,
}

/// A client of WeChat Pay's merchant API.
#[derive(Clone)]
pub struct WechatApi {
    pub http: reqwest::Client,
    /// `https://api.mch.weixin.qq.com` (a local server in tests).
    pub endpoint: String,
    pub merchant: Arc<Merchant>,
    /// Where WeChat Pay posts notifications.
    pub notify_url: String,
}

impl std::fmt::Debug for WechatPay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WechatPay")
            .field("provider", &self.provider)
            .field("mchid", &self.mchid)
            .finish_non_exhaustive()
    }
}

impl WechatPay {
    pub fn new(
        provider: &str,
        appid: &str,
        mchid: &str,
        api_v3_key: &[u8],
        platform: PlatformKeys,
    ) -> Result<WechatPay, AppError> {
        if api_v3_key.len() != 32 {
            return Err(AppError::Config(
                "the WeChat Pay APIv3 key must be 32 bytes".into(),
            ));
        }
        Ok(WechatPay {
            provider: provider.into(),
            appid: appid.into(),
            mchid: mchid.into(),
            api_v3_key: SecretSlice::from(api_v3_key.to_vec()),
            platform,
            api: None,
        })
    }

    /// Talks to the merchant API (a live provider).
    pub fn with_api(mut self, api: WechatApi) -> WechatPay {
        self.api = Some(api);
        self
    }

    pub fn is_live(&self) -> bool {
        self.api.is_some()
    }

    /// Sends a signed request and returns the verified answer (status, body). An answer
    /// whose signature does not verify is treated as no answer.
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<String>,
    ) -> Result<(u16, Vec<u8>), AppError> {
        let api = self
            .api
            .as_ref()
            .ok_or_else(|| AppError::Internal("the sandbox has no merchant API".into()))?;
        let now = chrono::Utc::now().timestamp();
        let nonce = crate::pii::random_hex::<16>()?;
        let auth = api
            .merchant
            .authorization(
                method.as_str(),
                path,
                now,
                &nonce,
                body.as_deref().unwrap_or(""),
            )
            .map_err(|e| provider_down("wechat", e))?;
        let mut req = api
            .http
            .request(
                method,
                format!("{}{path}", api.endpoint.trim_end_matches('/')),
            )
            .header("Authorization", auth)
            .header("Accept", "application/json");
        if let Some(b) = body {
            req = req.header("Content-Type", "application/json").body(b);
        }
        let r = req.send().await.map_err(|e| provider_down("wechat", e))?;
        let status = r.status().as_u16();
        let header = |name: &str| {
            r.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        };
        let (timestamp, nonce, signature, serial) = (
            header("Wechatpay-Timestamp"),
            header("Wechatpay-Nonce"),
            header("Wechatpay-Signature"),
            header("Wechatpay-Serial"),
        );
        let bytes = r.bytes().await.map_err(|e| provider_down("wechat", e))?;
        if (200..300).contains(&status) {
            let h = SignedHeaders {
                timestamp: &timestamp,
                nonce: &nonce,
                signature: &signature,
                serial: &serial,
            };
            self.platform
                .verify(&h, &bytes, chrono::Utc::now().timestamp())
                .map_err(|e| provider_down("wechat", format!("answer not genuine: {e}")))?;
        }
        Ok((status, bytes.to_vec()))
    }

    /// Orders a Native payment: the `code_url` the payer scans.
    pub async fn native(
        &self,
        out_trade_no: &str,
        description: &str,
        amount: Fen,
    ) -> Result<String, AppError> {
        let api = self
            .api
            .as_ref()
            .ok_or_else(|| AppError::Internal("the sandbox has no merchant API".into()))?;
        let expire = (chrono::Utc::now() + chrono::Duration::hours(2))
            .with_timezone(&gradphoto_domain::calendar::china_offset())
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
        let body = NativeOrder {
            appid: self.appid.clone(),
            mchid: self.mchid.clone(),
            description: description.into(),
            out_trade_no: out_trade_no.into(),
            time_expire: Some(expire),
            notify_url: api.notify_url.clone(),
            amount: OrderAmount {
                total: amount.0,
                currency: "CNY".into(),
            },
        }
        .body()
        .map_err(|e| AppError::Internal(format!("WeChat Pay order: {e}")))?;
        let (status, bytes) = self
            .call(reqwest::Method::POST, NATIVE_PATH, Some(body))
            .await?;
        if status == 200 {
            let a: NativeAnswer = serde_json::from_slice(&bytes)
                .map_err(|e| provider_down("wechat", format!("answer: {e}")))?;
            return Ok(a.code_url);
        }
        Err(provider_refused("wechat", status, &bytes))
    }

    /// Refunds a payment (in full or part), idempotent on `out_refund_no`: `true` when
    /// the money went back, `false` while WeChat Pay is still processing it.
    pub async fn refund(
        &self,
        out_trade_no: &str,
        out_refund_no: &str,
        refund: Fen,
        total: Fen,
        reason: &str,
    ) -> Result<bool, AppError> {
        let body = serde_json::to_string(&RefundOrder {
            out_trade_no: out_trade_no.into(),
            out_refund_no: out_refund_no.into(),
            reason: reason.chars().take(80).collect(),
            amount: RefundAmount {
                refund: refund.0,
                total: total.0,
                currency: "CNY".into(),
            },
        })
        .map_err(|e| AppError::Internal(e.to_string()))?;
        let (status, bytes) = self
            .call(reqwest::Method::POST, REFUND_PATH, Some(body))
            .await?;
        if status != 200 {
            return Err(provider_refused("wechat", status, &bytes));
        }
        let a: RefundAnswer = serde_json::from_slice(&bytes)
            .map_err(|e| provider_down("wechat", format!("answer: {e}")))?;
        if a.out_refund_no != out_refund_no {
            return Err(provider_down(
                "wechat",
                "the answer is about another refund",
            ));
        }
        match a.status.as_str() {
            "SUCCESS" => Ok(true),
            "PROCESSING" => Ok(false),
            other => Err(provider_down("wechat", format!("refund {other}"))),
        }
    }

    /// Asks WeChat Pay about a payment; `None` when it does not know it.
    pub async fn query(&self, out_trade_no: &str) -> Result<Option<Transaction>, AppError> {
        let path = query_path(out_trade_no, &self.mchid)
            .map_err(|e| AppError::Internal(format!("WeChat Pay query: {e}")))?;
        let (status, bytes) = self.call(reqwest::Method::GET, &path, None).await?;
        match status {
            200 => {
                let t: Transaction = serde_json::from_slice(&bytes)
                    .map_err(|e| provider_down("wechat", format!("answer: {e}")))?;
                if t.appid != self.appid || t.mchid != self.mchid || t.out_trade_no != out_trade_no
                {
                    return Err(provider_down("wechat", "the answer is about another order"));
                }
                Ok(Some(t))
            }
            404 => Ok(None),
            _ => Err(provider_refused("wechat", status, &bytes)),
        }
    }

    /// The transaction a genuine notification carries, or why it is not genuine.
    pub fn open(
        &self,
        h: &SignedHeaders<'_>,
        body: &[u8],
        now: i64,
    ) -> Result<Option<Transaction>, AppError> {
        self.platform.verify(h, body, now).map_err(|e| match e {
            PayError::Stale(_) => refused("pay.stale", e),
            _ => refused("pay.signature", e),
        })?;
        let n: Notification =
            serde_json::from_slice(body).map_err(|e| refused("pay.malformed", e))?;
        if n.event_type != "TRANSACTION.SUCCESS" && n.resource.original_type != "transaction" {
            // Not about a payment (a refund, a complaint…): acknowledged, nothing to do.
            return Ok(None);
        }
        let plain = decrypt_resource(self.api_v3_key.expose_secret(), &n.resource)
            .map_err(|e| refused("pay.decrypt", e))?;
        let t: Transaction =
            serde_json::from_slice(&plain).map_err(|e| refused("pay.malformed", e))?;
        if t.appid != self.appid || t.mchid != self.mchid {
            return Err(refused(
                "pay.merchant",
                format!("appid {} mchid {}", t.appid, t.mchid),
            ));
        }
        Ok(Some(t))
    }
}

/// A refusal by the provider: logged with its code; the student is told to try later.
fn provider_refused(provider: &str, status: u16, body: &[u8]) -> AppError {
    let e: ErrorAnswer = serde_json::from_slice(body).unwrap_or(ErrorAnswer {
        code: format!("HTTP {status}"),
        message: String::from_utf8_lossy(body).chars().take(200).collect(),
    });
    provider_down(provider, format!("{status} {}: {}", e.code, e.message))
}

/// What a transaction's state means for the payment.
pub(crate) fn transaction_event(t: &Transaction) -> Option<PaymentEvent> {
    match t.trade_state.as_str() {
        "SUCCESS" => Some(PaymentEvent::Confirmed {
            amount: Fen(t.amount.total),
        }),
        "CLOSED" | "PAYERROR" | "REVOKED" => Some(PaymentEvent::Failed),
        _ => None,
    }
}

impl App {
    /// Handles a notification; `Ok(true)` when it changed a payment, `Ok(false)` for a
    /// duplicate or news that changes nothing. An error means nothing was changed.
    pub async fn wechat_notification(
        &self,
        wx: &WechatPay,
        h: &SignedHeaders<'_>,
        body: &[u8],
        now: i64,
    ) -> Result<bool, AppError> {
        let Some(t) = wx.open(h, body, now)? else {
            return Ok(false);
        };
        let Some(event) = transaction_event(&t) else {
            return Ok(false);
        };
        self.apply_payment_news(&wx.provider, &t.out_trade_no, &t.transaction_id, event)
            .await
    }
}
