//! Alibaba Cloud SMS (Dysmsapi, API version 2017-05-25), `SendSms` over the RPC-style
//! API with signature version 1.0: the parameters, sorted by name and percent-encoded as
//! RFC 3986 says (only `A–Z a–z 0–9 - _ . ~` stay as they are), form the canonical query;
//! the string to sign is `GET&%2F&` + the encoded canonical query; the signature is
//! base64(HMAC-SHA1(AccessKeySecret + "&", string to sign)). Each request carries a fresh
//! `SignatureNonce` and a UTC `Timestamp`, which the service uses to refuse replays.

use std::collections::BTreeMap;

use base64::Engine as _;
use gradphoto_domain::i18n::Msg;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{SmsMessage, unavailable};
use crate::AppError;
use crate::config::AliyunSmsConfig;

/// RFC 3986 percent-encoding as the service expects it (UTF-8 bytes, upper-case hex).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The canonical query string: encoded `name=value` pairs sorted by name, joined by `&`.
pub fn canonical_query(params: &BTreeMap<String, String>) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The request's signature for `method` (the service uses GET) under `secret`.
pub fn sign(method: &str, params: &BTreeMap<String, String>, secret: &str) -> String {
    let to_sign = format!(
        "{method}&{}&{}",
        percent_encode("/"),
        percent_encode(&canonical_query(params))
    );
    let key = ring::hmac::Key::new(
        ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
        format!("{secret}&").as_bytes(),
    );
    let tag = ring::hmac::sign(&key, to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(tag.as_ref())
}

/// A configured client of the service.
#[derive(Clone)]
pub struct AliyunSms {
    http: reqwest::Client,
    endpoint: String,
    region: String,
    access_key_id: String,
    access_key_secret: SecretString,
    sign_name: String,
    code_template: String,
    reminder_template: String,
    makeup_template: String,
    makeup_reminder_template: String,
}

impl std::fmt::Debug for AliyunSms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AliyunSms")
            .field("endpoint", &self.endpoint)
            .field("access_key_id", &self.access_key_id)
            .field("sign_name", &self.sign_name)
            .finish_non_exhaustive()
    }
}

/// The service's answer (JSON). `Code` is "OK" on success.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Answer {
    code: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    request_id: String,
    #[serde(default)]
    biz_id: String,
}

impl AliyunSms {
    pub fn from_config(c: &AliyunSmsConfig, http: reqwest::Client) -> Result<AliyunSms, AppError> {
        let missing: Vec<&str> = [
            ("sms.aliyun.access_key_id", c.access_key_id.is_empty()),
            (
                "sms.aliyun.access_key_secret",
                c.access_key_secret.expose_secret().is_empty(),
            ),
            ("sms.aliyun.sign_name", c.sign_name.is_empty()),
            ("sms.aliyun.code_template", c.code_template.is_empty()),
        ]
        .into_iter()
        .filter(|(_, empty)| *empty)
        .map(|(k, _)| k)
        .collect();
        if !missing.is_empty() {
            return Err(AppError::Config(format!(
                "sms.provider = \"aliyun\" needs {}",
                missing.join(", ")
            )));
        }
        if !(c.endpoint.starts_with("https://") || c.endpoint.starts_with("http://")) {
            return Err(AppError::Config(format!(
                "sms.aliyun.endpoint = {:?} is not an http(s) URL",
                c.endpoint
            )));
        }
        Ok(AliyunSms {
            http,
            endpoint: c.endpoint.clone(),
            region: c.region.clone(),
            access_key_id: c.access_key_id.clone(),
            access_key_secret: c.access_key_secret.clone(),
            sign_name: c.sign_name.clone(),
            code_template: c.code_template.clone(),
            reminder_template: c.reminder_template.clone(),
            makeup_template: c.makeup_template.clone(),
            makeup_reminder_template: c.makeup_reminder_template.clone(),
        })
    }

    fn template(&self, message: &SmsMessage) -> &str {
        match message {
            SmsMessage::Code { .. } => &self.code_template,
            SmsMessage::OnsiteReminder { .. } => &self.reminder_template,
            SmsMessage::MakeupBooked { .. } => &self.makeup_template,
            SmsMessage::MakeupReminder { .. } => &self.makeup_reminder_template,
        }
    }

    /// The signed query of one request (every parameter, `Signature` included).
    pub fn signed_params(
        &self,
        phone: &str,
        message: &SmsMessage,
        timestamp: &str,
        nonce: &str,
    ) -> BTreeMap<String, String> {
        let mut p: BTreeMap<String, String> = [
            ("AccessKeyId", self.access_key_id.as_str()),
            ("Action", "SendSms"),
            ("Format", "JSON"),
            ("PhoneNumbers", phone),
            ("RegionId", self.region.as_str()),
            ("SignName", self.sign_name.as_str()),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", nonce),
            ("SignatureVersion", "1.0"),
            ("TemplateCode", self.template(message)),
            ("Timestamp", timestamp),
            ("Version", "2017-05-25"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        p.insert("TemplateParam".into(), message.params().to_string());
        let signature = sign("GET", &p, self.access_key_secret.expose_secret());
        p.insert("Signature".into(), signature);
        p
    }

    pub(super) async fn send(&self, phone: &str, message: &SmsMessage) -> Result<(), AppError> {
        if self.template(message).is_empty() {
            tracing::warn!("no approved template is configured for this message; not sent");
            return Err(AppError::Unavailable(unavailable()));
        }
        let timestamp = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let nonce = crate::pii::random_hex::<16>()?;
        let params = self.signed_params(phone, message, &timestamp, &nonce);
        // The query sent is the canonical one, `Signature` included.
        let url = format!("{}?{}", self.endpoint, canonical_query(&params));
        let response = self.http.get(&url).send().await.map_err(|e| {
            tracing::error!(error = %e, "Aliyun SMS unreachable");
            AppError::Unavailable(unavailable())
        })?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| {
            tracing::error!(error = %e, "Aliyun SMS answer cut off");
            AppError::Unavailable(unavailable())
        })?;
        let answer: Answer = serde_json::from_slice(&body).map_err(|e| {
            tracing::error!(%status, error = %e, "Aliyun SMS answer is not its JSON");
            AppError::Unavailable(unavailable())
        })?;
        refusal(&answer).map_or(Ok(()), Err)?;
        tracing::info!(
            phone = %gradphoto_domain::otp::mask_phone(phone),
            biz_id = %answer.biz_id,
            request_id = %answer.request_id,
            "SMS sent through Aliyun"
        );
        Ok(())
    }
}

/// What a non-OK answer means for the student: the service's own per-number limits and
/// numbers it will not serve are theirs to know; everything else (credentials, balance,
/// templates, signatures) is the operator's and is logged.
fn refusal(a: &Answer) -> Option<AppError> {
    match a.code.as_str() {
        "OK" => None,
        "isv.BUSINESS_LIMIT_CONTROL" | "isv.DAY_LIMIT_CONTROL" => {
            Some(AppError::Throttled(Msg::new(
                "sms.provider_limit",
                "该手机号接收短信过于频繁，请稍后再试",
                "This number has received too many messages; please try again later",
            )))
        }
        "isv.MOBILE_NUMBER_ILLEGAL"
        | "isv.BLACK_KEY_CONTROL_LIMIT"
        | "isv.MOBILE_COUNT_OVER_LIMIT" => Some(AppError::Invalid(Msg::new(
            "sms.number_refused",
            "短信服务无法向该手机号发送短信，请核对号码",
            "The SMS service cannot send to this number; please check it",
        ))),
        other => {
            tracing::error!(
                code = other,
                message = %a.message,
                request_id = %a.request_id,
                "Aliyun SMS refused the request"
            );
            Some(AppError::Unavailable(unavailable()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_keeps_only_the_unreserved_characters() {
        assert_eq!(percent_encode("a-Z_0.~"), "a-Z_0.~");
        assert_eq!(percent_encode("a b*c+/:"), "a%20b%2Ac%2B%2F%3A");
        assert_eq!(percent_encode("阿"), "%E9%98%BF");
    }

    /// The service's documented example request, signed here and, independently, by
    /// Python's `urllib.parse.quote(s, safe="~")` + `hmac` (the expected value below).
    #[test]
    fn the_documented_example_signs_as_an_independent_implementation_does() {
        let p: BTreeMap<String, String> = [
            ("AccessKeyId", "testid"),
            ("Action", "SendSms"),
            ("Format", "XML"),
            ("OutId", "123"),
            ("PhoneNumbers", "15300000001"),
            ("RegionId", "cn-hangzhou"),
            ("SignName", "阿里云短信测试专用"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "45e25e9b-0a6f-4070-8c85-2956eda1b466"),
            ("SignatureVersion", "1.0"),
            ("TemplateCode", "SMS_71390007"),
            ("TemplateParam", r#"{"customer":"test"}"#),
            ("Timestamp", "2017-07-12T02:42:19Z"),
            ("Version", "2017-05-25"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(
            sign("GET", &p, "testsecret"),
            "LxugEBqtL8lacmz/6I2QOoMzw+Y="
        );
        // One changed character changes the signature.
        let mut q = p.clone();
        q.insert("PhoneNumbers".into(), "15300000002".into());
        assert_ne!(
            sign("GET", &q, "testsecret"),
            "LxugEBqtL8lacmz/6I2QOoMzw+Y="
        );
    }

    #[test]
    fn missing_credentials_stop_the_start_and_are_named() {
        let c = crate::config::Config::default();
        let http = crate::registry_link::http_client().expect("client");
        let e = AliyunSms::from_config(&c.sms.aliyun, http).expect_err("nothing configured");
        let text = e.to_string();
        for key in [
            "access_key_id",
            "access_key_secret",
            "sign_name",
            "code_template",
        ] {
            assert!(text.contains(key), "{text}");
        }
    }

    #[test]
    fn refusals_are_sorted_into_the_students_and_the_operators() {
        let a = |code: &str| Answer {
            code: code.into(),
            message: String::new(),
            request_id: String::new(),
            biz_id: String::new(),
        };
        assert!(refusal(&a("OK")).is_none());
        assert!(matches!(
            refusal(&a("isv.BUSINESS_LIMIT_CONTROL")),
            Some(AppError::Throttled(_))
        ));
        assert!(matches!(
            refusal(&a("isv.MOBILE_NUMBER_ILLEGAL")),
            Some(AppError::Invalid(_))
        ));
        assert!(matches!(
            refusal(&a("SignatureDoesNotMatch")),
            Some(AppError::Unavailable(_))
        ));
    }
}
