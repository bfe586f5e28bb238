//! WeChat Pay notifications (API v3): the one door through which a payment becomes
//! confirmed. A notification counts only when WeChat Pay's signature verifies with the
//! platform key its serial names, its timestamp is within ±300 s, its resource decrypts
//! under the APIv3 key, it names our app and merchant, and its amount is the payment's;
//! then it is applied under the order's lock, where a duplicate changes nothing and a
//! failure cannot overwrite a success. Anything else changes nothing and is refused.
//!
//! The sandbox payer of the demo sends its notifications through this same code, signed
//! and encrypted with test keys.

use gradphoto_domain::payments::{Fen, PaymentEvent};
use gradphoto_pay::PayError;
use gradphoto_pay::wechat::{
    Notification, PlatformKeys, SignedHeaders, Transaction, decrypt_resource,
};
use secrecy::{ExposeSecret, SecretSlice};

use super::refused;
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
        })
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
        let event = match t.trade_state.as_str() {
            "SUCCESS" => PaymentEvent::Confirmed {
                amount: Fen(t.amount.total),
            },
            "CLOSED" | "PAYERROR" | "REVOKED" => PaymentEvent::Failed,
            _ => return Ok(false),
        };
        self.apply_payment_news(&wx.provider, &t.out_trade_no, &t.transaction_id, event)
            .await
    }
}
