//! Payments from the providers' side: what their notifications and order queries say is
//! turned into a [`PaymentEvent`] and applied to the payment under the order's lock,
//! through the domain's one rule. Each provider module checks its own protocol first;
//! nothing reaches the store unverified.
//!
//! A deployment chooses `payments.mode`: `off`, `live` (WeChat Pay and/or Alipay with the
//! merchant's keys) or `sandbox` (the demo: this server's own clearly marked page plays the
//! payer and sends notifications signed with public test keys through the same doors).

pub mod alipay;
pub mod checkout;
pub mod refunds;
pub mod sandbox;
pub mod wechat;

use std::sync::Arc;

use gradphoto_domain::i18n::Msg;
use gradphoto_domain::payments::{
    Applied, Fen, OrderStatus, PaymentEvent, PaymentState, apply, order_status,
};
use gradphoto_pay::keys::{SigningKey, VerifyingKey};
use gradphoto_pay::wechat::{Merchant, PlatformKeys};
use secrecy::ExposeSecret;

use crate::config::PaymentsConfig;
use crate::{App, AppError};
use alipay::{Alipay, AlipayApi};
use wechat::{WechatApi, WechatPay};

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

/// A provider could not be reached or did not answer sensibly: logged with why; the
/// student is asked to try again later.
pub(crate) fn provider_down(provider: &str, why: impl std::fmt::Display) -> AppError {
    tracing::warn!(provider, %why, "payment provider unavailable");
    AppError::Unavailable(Msg::new(
        "pay.unavailable",
        "支付服务暂时不可用，请稍后再试",
        "The payment service is unavailable; please try again later",
    ))
}

/// How a student pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Wechat,
    Alipay,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Wechat => "wechat",
            Method::Alipay => "alipay",
        }
    }

    pub fn parse(s: &str) -> Option<Method> {
        match s {
            "wechat" => Some(Method::Wechat),
            "alipay" => Some(Method::Alipay),
            _ => None,
        }
    }

    /// The method a form names, or the refusal a payer reads.
    pub fn from_form(s: &str) -> Result<Method, AppError> {
        Method::parse(s).ok_or_else(method_unavailable)
    }
}

/// A way of paying this deployment does not offer (or no way at all).
pub fn method_unavailable() -> AppError {
    AppError::invalid(
        "pay.method_unavailable",
        "暂不支持该支付方式",
        "This way of paying is not offered",
    )
}

/// The configured providers.
#[derive(Debug, Clone, Default)]
pub struct Providers {
    pub wechat: Option<WechatPay>,
    pub alipay: Option<Alipay>,
    /// The demo's payer plays both providers.
    pub sandbox: bool,
}

/// Provider names on sandbox payments: a sandbox notification can never confirm a live
/// payment, nor the other way round.
pub const SANDBOX_WECHAT: &str = "sandbox-wechat";
pub const SANDBOX_ALIPAY: &str = "sandbox-alipay";

impl Providers {
    pub fn from_config(c: &PaymentsConfig, http: reqwest::Client) -> Result<Providers, AppError> {
        match c.mode.as_str() {
            "off" => Ok(Providers::default()),
            "sandbox" => Providers::sandbox(),
            "live" => Providers::live(c, http),
            other => Err(AppError::Config(format!(
                "payments.mode = {other:?} is not one of off, sandbox, live"
            ))),
        }
    }

    /// Both providers played by this server with the public test keys.
    pub fn sandbox() -> Result<Providers, AppError> {
        use gradphoto_pay::sandbox as k;
        let key = |pem: &str| {
            VerifyingKey::from_pem(pem).map_err(|e| AppError::Internal(format!("sandbox key: {e}")))
        };
        let mut platform = PlatformKeys::new();
        platform.insert(k::WECHAT_PLATFORM_SERIAL, key(k::WECHAT_PLATFORM_PUB)?);
        Ok(Providers {
            wechat: Some(WechatPay::new(
                SANDBOX_WECHAT,
                k::WECHAT_APPID,
                k::WECHAT_MCHID,
                k::WECHAT_API_V3_KEY,
                platform,
            )?),
            alipay: Some(Alipay {
                provider: SANDBOX_ALIPAY.into(),
                app_id: k::ALIPAY_APP_ID.into(),
                seller_id: k::ALIPAY_SELLER_ID.into(),
                alipay_key: key(k::ALIPAY_PLATFORM_PUB)?,
                api: None,
            }),
            sandbox: true,
        })
    }

    fn live(c: &PaymentsConfig, http: reqwest::Client) -> Result<Providers, AppError> {
        let base = c.notify_base_url.trim_end_matches('/');
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            return Err(AppError::Config(
                "payments.mode = \"live\" needs payments.notify_base_url (https://…)".into(),
            ));
        }
        if base.starts_with("http://") {
            tracing::warn!(
                notify_base_url = base,
                "payment notifications over plain http: the providers require https"
            );
        }
        let mut p = Providers::default();
        let w = &c.wechat;
        if w.enabled {
            need(&[
                ("payments.wechat.appid", &w.appid),
                ("payments.wechat.mchid", &w.mchid),
                ("payments.wechat.merchant_serial_no", &w.merchant_serial_no),
                ("payments.wechat.merchant_key_file", &w.merchant_key_file),
                ("payments.wechat.platform_serial", &w.platform_serial),
                (
                    "payments.wechat.platform_public_key_file",
                    &w.platform_public_key_file,
                ),
            ])?;
            let mut platform = PlatformKeys::new();
            platform.insert(
                &w.platform_serial,
                read_key(&w.platform_public_key_file, VerifyingKey::from_pem)?,
            );
            let merchant = Merchant {
                mchid: w.mchid.clone(),
                serial_no: w.merchant_serial_no.clone(),
                key: read_key(&w.merchant_key_file, SigningKey::from_pem)?,
            };
            p.wechat = Some(
                WechatPay::new(
                    "wechat",
                    &w.appid,
                    &w.mchid,
                    w.api_v3_key.expose_secret().as_bytes(),
                    platform,
                )?
                .with_api(WechatApi {
                    http: http.clone(),
                    endpoint: w.endpoint.clone(),
                    merchant: Arc::new(merchant),
                    notify_url: format!("{base}/pay/notify/wechat"),
                }),
            );
        }
        let a = &c.alipay;
        if a.enabled {
            need(&[
                ("payments.alipay.app_id", &a.app_id),
                ("payments.alipay.seller_id", &a.seller_id),
                ("payments.alipay.app_key_file", &a.app_key_file),
                (
                    "payments.alipay.alipay_public_key_file",
                    &a.alipay_public_key_file,
                ),
            ])?;
            p.alipay = Some(Alipay {
                provider: "alipay".into(),
                app_id: a.app_id.clone(),
                seller_id: a.seller_id.clone(),
                alipay_key: read_key(&a.alipay_public_key_file, VerifyingKey::from_pem)?,
                api: Some(AlipayApi {
                    http,
                    gateway: a.gateway.clone(),
                    app_key: Arc::new(read_key(&a.app_key_file, SigningKey::from_pem)?),
                    notify_url: format!("{base}/pay/notify/alipay"),
                }),
            });
        }
        if p.wechat.is_none() && p.alipay.is_none() {
            return Err(AppError::Config(
                "payments.mode = \"live\" needs payments.wechat or payments.alipay enabled".into(),
            ));
        }
        Ok(p)
    }

    /// The methods offered to students, in the order shown.
    pub fn methods(&self) -> Vec<Method> {
        let mut m = Vec::new();
        if self.wechat.is_some() {
            m.push(Method::Wechat);
        }
        if self.alipay.is_some() {
            m.push(Method::Alipay);
        }
        m
    }

    /// The provider whose name a payment carries (live or sandbox).
    pub fn by_name(&self, provider: &str) -> Option<Provider<'_>> {
        if let Some(w) = self.wechat.as_ref().filter(|w| w.provider == provider) {
            Some(Provider::Wechat(w))
        } else {
            self.alipay
                .as_ref()
                .filter(|a| a.provider == provider)
                .map(Provider::Alipay)
        }
    }
}

/// The order's status from its money after a change: the domain's one rule, as the
/// store's settle step asks for it.
pub(crate) fn settle(status: &str, m: gradphoto_db::payments::OrderMoney) -> String {
    order_status(
        OrderStatus::parse(status).unwrap_or(OrderStatus::Pending),
        Fen(m.total_fen),
        Fen(m.confirmed_fen),
        Fen(m.refunded_fen),
    )
    .as_str()
    .to_string()
}

/// A configured provider, found by the name stored on a payment.
#[derive(Debug, Clone, Copy)]
pub enum Provider<'a> {
    Wechat(&'a WechatPay),
    Alipay(&'a Alipay),
}

impl Provider<'_> {
    /// Whether it talks to the real provider (not the sandbox).
    pub fn is_live(&self) -> bool {
        match self {
            Provider::Wechat(w) => w.is_live(),
            Provider::Alipay(a) => a.is_live(),
        }
    }

    pub fn method(&self) -> Method {
        match self {
            Provider::Wechat(_) => Method::Wechat,
            Provider::Alipay(_) => Method::Alipay,
        }
    }
}

fn need(keys: &[(&str, &String)]) -> Result<(), AppError> {
    let missing: Vec<&str> = keys
        .iter()
        .filter(|(_, v)| v.is_empty())
        .map(|(k, _)| *k)
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(AppError::Config(format!(
            "payments need {}",
            missing.join(", ")
        )))
    }
}

fn read_key<T>(
    path: &str,
    parse: impl FnOnce(&str) -> Result<T, gradphoto_pay::PayError>,
) -> Result<T, AppError> {
    let pem = std::fs::read_to_string(path)
        .map_err(|e| AppError::Config(format!("reading the key {path}: {e}")))?;
    parse(&pem).map_err(|e| AppError::Config(format!("the key {path}: {e}")))
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
                settle,
            )
            .await
            .map_err(|e| match e {
                gradphoto_db::DbError::NotFound => refused("pay.unknown_trade", out_trade_no),
                other => other.into(),
            })?
            .map_err(|m| refused(&m.code, &m.en))?;
        // An online order's photo goes to the registry once paid; a desk fee's goes when
        // the student confirms it at the station.
        if let (true, "paid", Some(entry_id)) = (
            applied.changed,
            applied.order.status.as_str(),
            applied.order.entry_id,
        ) {
            self.queue_hand_over(entry_id).await?;
        }
        if matches!(event, PaymentEvent::Confirmed { .. }) {
            self.booking_money_arrived(&applied.order, applied.changed)
                .await?;
        }
        Ok(applied.changed)
    }
}
