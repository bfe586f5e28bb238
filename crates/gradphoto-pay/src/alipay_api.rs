//! The Alipay open-platform calls gradphoto makes: `alipay.trade.precreate` (a `qr_code`
//! the payer scans), `alipay.trade.query` (when no notification came) and
//! `alipay.trade.refund` (idempotent on `out_request_no`). A call is the common parameters
//! plus a JSON `biz_content`, signed RSA2 with the application's key and posted as a form
//! to the gateway. The answer is `{"<method>_response": {…}, "sign": "…"}` where the
//! signature covers the response object's exact text, checked with Alipay's public key;
//! a success that is not signed is never believed.

use std::collections::BTreeMap;

use serde_json::value::RawValue;

use crate::PayError;
use crate::alipay::sign_request;
use crate::keys::{SigningKey, VerifyingKey};

pub const PRECREATE: &str = "alipay.trade.precreate";
pub const QUERY: &str = "alipay.trade.query";
pub const REFUND: &str = "alipay.trade.refund";

/// The signed form fields of a call. `timestamp` is China time, `yyyy-MM-dd HH:mm:ss`.
pub fn signed_call(
    key: &SigningKey,
    app_id: &str,
    method: &str,
    biz_content: &serde_json::Value,
    notify_url: Option<&str>,
    timestamp: &str,
) -> Result<BTreeMap<String, String>, PayError> {
    let mut p: BTreeMap<String, String> = [
        ("app_id", app_id),
        ("method", method),
        ("format", "JSON"),
        ("charset", "utf-8"),
        ("sign_type", "RSA2"),
        ("timestamp", timestamp),
        ("version", "1.0"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    if let Some(url) = notify_url {
        p.insert("notify_url".into(), url.into());
    }
    p.insert("biz_content".into(), biz_content.to_string());
    sign_request(key, &mut p)?;
    Ok(p)
}

/// A call's answer, opened.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// `10000` is success; `40004` a business failure (see `sub_code`), others errors.
    pub code: String,
    pub msg: String,
    pub sub_code: String,
    pub sub_msg: String,
    /// Whether Alipay's signature covered it (always, when `code` is `10000`).
    pub signed: bool,
    pub fields: serde_json::Map<String, serde_json::Value>,
}

impl Answer {
    pub fn ok(&self) -> bool {
        self.code == "10000"
    }

    /// A field of the response object as text ("" when absent).
    pub fn get(&self, k: &str) -> &str {
        self.fields.get(k).and_then(|v| v.as_str()).unwrap_or("")
    }
}

/// Opens the gateway's answer to `method`: the response object's signature is checked
/// over its exact bytes. An unsigned answer is returned only as a failure.
pub fn open_answer(alipay: &VerifyingKey, method: &str, body: &str) -> Result<Answer, PayError> {
    let envelope: BTreeMap<String, &RawValue> =
        serde_json::from_str(body).map_err(|_| PayError::Malformed("answer JSON"))?;
    let name = format!("{}_response", method.replace('.', "_"));
    let raw = envelope
        .get(&name)
        .or_else(|| envelope.get("error_response"))
        .ok_or(PayError::Malformed("response object"))?;
    let signed = match envelope.get("sign") {
        Some(sign) => {
            let sign: String =
                serde_json::from_str(sign.get()).map_err(|_| PayError::Malformed("sign"))?;
            alipay.verify(raw.get().as_bytes(), &sign)?;
            true
        }
        None => false,
    };
    let fields: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(raw.get()).map_err(|_| PayError::Malformed("response object"))?;
    let text = |k: &str| {
        fields
            .get(k)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    };
    let answer = Answer {
        code: text("code"),
        msg: text("msg"),
        sub_code: text("sub_code"),
        sub_msg: text("sub_msg"),
        signed,
        fields,
    };
    if answer.ok() && !signed {
        return Err(PayError::BadSignature);
    }
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alipay::content;

    const APP_KEY: &str = include_str!("../testkeys/alipay_app.key.pem");
    const APP_PUB: &str = include_str!("../testkeys/alipay_app.pub.pem");
    const ALIPAY_KEY: &str = include_str!("../testkeys/alipay_platform.key.pem");
    const ALIPAY_PUB: &str = include_str!("../testkeys/alipay_platform.pub.pem");

    fn answer_body(inner: &str, key: &str) -> String {
        let sign = SigningKey::from_pem(key)
            .unwrap()
            .sign(inner.as_bytes())
            .unwrap();
        format!(r#"{{"alipay_trade_precreate_response":{inner},"sign":"{sign}"}}"#)
    }

    #[test]
    fn a_call_carries_the_common_parameters_and_verifies_with_the_app_key() {
        let biz = serde_json::json!({"out_trade_no": "GP1-1", "total_amount": "30.00", "subject": "采集"});
        let key = SigningKey::from_pem(APP_KEY).unwrap();
        let p = signed_call(
            &key,
            "2021000000000001",
            PRECREATE,
            &biz,
            Some("https://x/pay/notify/alipay"),
            "2026-12-04 15:00:00",
        )
        .unwrap();
        assert_eq!(p["sign_type"], "RSA2");
        assert_eq!(p["method"], PRECREATE);
        let public = VerifyingKey::from_pem(APP_PUB).unwrap();
        public
            .verify(content(&p, false).as_bytes(), &p["sign"])
            .unwrap();
        let mut altered = p.clone();
        altered.insert(
            "biz_content".into(),
            biz.to_string().replace("30.00", "0.01"),
        );
        assert!(
            public
                .verify(content(&altered, false).as_bytes(), &p["sign"])
                .is_err()
        );
    }

    #[test]
    fn an_answer_counts_only_with_alipays_signature_over_its_exact_text() {
        let alipay = VerifyingKey::from_pem(ALIPAY_PUB).unwrap();
        // Spacing and escaping as the gateway wrote them: the signature covers these bytes.
        let inner = r#"{"code":"10000","msg":"Success","out_trade_no":"GP1-1","qr_code":"https:\/\/qr.alipay.com\/bax1"}"#;
        let a = open_answer(&alipay, PRECREATE, &answer_body(inner, ALIPAY_KEY)).unwrap();
        assert!(a.ok() && a.signed);
        assert_eq!(a.get("qr_code"), "https://qr.alipay.com/bax1");

        let forged = answer_body(inner, APP_KEY);
        assert_eq!(
            open_answer(&alipay, PRECREATE, &forged),
            Err(PayError::BadSignature)
        );
        let altered = answer_body(inner, ALIPAY_KEY).replace("bax1", "bax2");
        assert_eq!(
            open_answer(&alipay, PRECREATE, &altered),
            Err(PayError::BadSignature)
        );
        let unsigned = format!(r#"{{"alipay_trade_precreate_response":{inner}}}"#);
        assert_eq!(
            open_answer(&alipay, PRECREATE, &unsigned),
            Err(PayError::BadSignature)
        );
    }

    #[test]
    fn an_unsigned_failure_is_read_as_a_failure() {
        let alipay = VerifyingKey::from_pem(ALIPAY_PUB).unwrap();
        let body = r#"{"error_response":{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-app-id"}}"#;
        let a = open_answer(&alipay, QUERY, body).unwrap();
        assert!(!a.ok() && !a.signed);
        assert_eq!(a.sub_code, "isv.invalid-app-id");
        assert!(open_answer(&alipay, QUERY, "<html>").is_err());
    }
}
