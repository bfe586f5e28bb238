//! The WeChat Pay API v3 calls gradphoto makes, as request bodies and answers: Native
//! ordering (`POST /v3/pay/transactions/native`, answered with a `code_url` the payer
//! scans), the order query (`GET /v3/pay/transactions/out-trade-no/{no}?mchid=…`, when no
//! notification came) and refunds (`POST /v3/refund/domestic/refunds`, idempotent on
//! `out_refund_no`). Every answer is signed like a notification and checked with
//! [`crate::wechat::PlatformKeys::verify`] before it is read.

use serde::{Deserialize, Serialize};

use crate::PayError;

pub const NATIVE_PATH: &str = "/v3/pay/transactions/native";
pub const REFUND_PATH: &str = "/v3/refund/domestic/refunds";

/// The path (with query) of the order query for `out_trade_no`.
pub fn query_path(out_trade_no: &str, mchid: &str) -> Result<String, PayError> {
    check_trade_no(out_trade_no)?;
    if !mchid.bytes().all(|b| b.is_ascii_digit()) || mchid.is_empty() {
        return Err(PayError::Malformed("mchid"));
    }
    Ok(format!(
        "/v3/pay/transactions/out-trade-no/{out_trade_no}?mchid={mchid}"
    ))
}

/// WeChat Pay's rule for merchant numbers (6–32 of `A–Z a–z 0–9 _ - | *`); checked
/// before a number goes into a URL path.
pub fn check_trade_no(no: &str) -> Result<(), PayError> {
    let ok = (6..=32).contains(&no.len())
        && no
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'|' | b'*'));
    if ok {
        Ok(())
    } else {
        Err(PayError::Malformed("out_trade_no"))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderAmount {
    /// In fen.
    pub total: i64,
    pub currency: String,
}

/// `POST /v3/pay/transactions/native`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NativeOrder {
    pub appid: String,
    pub mchid: String,
    /// What the payer sees on their statement (≤ 127 bytes).
    pub description: String,
    pub out_trade_no: String,
    /// RFC 3339 with the offset, e.g. `2026-12-04T18:00:00+08:00`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_expire: Option<String>,
    pub notify_url: String,
    pub amount: OrderAmount,
}

impl NativeOrder {
    /// The body, after the checks WeChat Pay would make anyway (a clear error here beats a
    /// PARAM_ERROR from the provider).
    pub fn body(&self) -> Result<String, PayError> {
        check_trade_no(&self.out_trade_no)?;
        if self.description.is_empty() || self.description.len() > 127 {
            return Err(PayError::Malformed("description (1–127 bytes)"));
        }
        if self.amount.total <= 0 {
            return Err(PayError::Malformed("amount.total"));
        }
        serde_json::to_string(self).map_err(|_| PayError::Malformed("order"))
    }
}

/// The answer to a Native order.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct NativeAnswer {
    /// `weixin://wxpay/bizpayurl?pr=…`, shown as a QR code.
    pub code_url: String,
}

/// `POST /v3/refund/domestic/refunds`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefundOrder {
    pub out_trade_no: String,
    pub out_refund_no: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
    pub amount: RefundAmount,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundAmount {
    pub refund: i64,
    pub total: i64,
    pub currency: String,
}

/// The answer to a refund. `status`: SUCCESS, PROCESSING, CLOSED or ABNORMAL.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RefundAnswer {
    pub refund_id: String,
    pub out_refund_no: String,
    pub status: String,
}

/// An error answer (`{"code": "…", "message": "…"}`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ErrorAnswer {
    pub code: String,
    #[serde(default)]
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(no: &str, total: i64) -> NativeOrder {
        NativeOrder {
            appid: "wxd678efh567hg6787".into(),
            mchid: "1230000109".into(),
            description: "毕业生图像采集".into(),
            out_trade_no: no.into(),
            time_expire: None,
            notify_url: "https://pay.example.edu.cn/pay/notify/wechat".into(),
            amount: OrderAmount {
                total,
                currency: "CNY".into(),
            },
        }
    }

    #[test]
    fn a_native_order_is_the_documented_json() {
        let body = order("GP20261204000001AB12CD-1", 3000).body().unwrap();
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["amount"]["total"], 3000);
        assert_eq!(v["amount"]["currency"], "CNY");
        assert_eq!(v["out_trade_no"], "GP20261204000001AB12CD-1");
        assert!(v.get("time_expire").is_none());
    }

    #[test]
    fn numbers_and_amounts_outside_the_rules_are_refused_before_sending() {
        assert!(order("short", 3000).body().is_err());
        assert!(order("GP2026/../../v3/x", 3000).body().is_err());
        assert!(order("GP20261204000001", 0).body().is_err());
        assert!(query_path("GP2026?x=1&y", "1230000109").is_err());
        assert!(query_path("GP20261204000001", "12a").is_err());
        assert_eq!(
            query_path("GP20261204000001", "1230000109").unwrap(),
            "/v3/pay/transactions/out-trade-no/GP20261204000001?mchid=1230000109"
        );
    }
}
