//! Alibaba Cloud SMS (Dysmsapi 2017-05-25, `SendSms`, RPC signature 1.0) as the service
//! checks a request: known AccessKeyId, the fixed protocol parameters, a timestamp within
//! 15 minutes, a nonce never seen before, the HMAC-SHA1 signature over the canonical
//! query, then the signature name, template, number and template parameters.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::routing::get;
use base64::Engine as _;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// RFC 3986: everything but the unreserved characters is encoded.
const RFC3986: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A message the fake accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    pub phone: String,
    pub sign_name: String,
    pub template: String,
    pub params: serde_json::Value,
}

/// What the fake expects of its one account.
#[derive(Debug, Clone)]
pub struct Account {
    pub access_key_id: String,
    pub access_key_secret: String,
    pub sign_name: String,
    pub templates: Vec<String>,
}

#[derive(Default)]
struct Book {
    delivered: Vec<Delivered>,
    nonces: HashSet<String>,
    /// Every refusal, by its code.
    refused: Vec<String>,
    /// Numbers for which the service answers with its own rate limit.
    limited: HashSet<String>,
}

#[derive(Clone)]
struct Shared {
    account: Account,
    book: Arc<Mutex<Book>>,
}

/// A running fake; its URL is the endpoint to configure.
#[derive(Clone)]
pub struct FakeAliyunSms {
    pub url: String,
    shared: Shared,
}

impl FakeAliyunSms {
    pub async fn start(account: Account) -> FakeAliyunSms {
        let shared = Shared {
            account,
            book: Arc::default(),
        };
        let router = axum::Router::new()
            .route("/", get(send_sms))
            .with_state(shared.clone());
        let url = format!("{}/", super::serve(router).await);
        FakeAliyunSms { url, shared }
    }

    fn book(&self) -> std::sync::MutexGuard<'_, Book> {
        self.shared.book.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn delivered(&self) -> Vec<Delivered> {
        self.book().delivered.clone()
    }

    pub fn refused(&self) -> Vec<String> {
        self.book().refused.clone()
    }

    /// From now on the service answers `isv.BUSINESS_LIMIT_CONTROL` for `phone`.
    pub fn limit(&self, phone: &str) {
        self.book().limited.insert(phone.to_string());
    }
}

fn answer(status: StatusCode, code: &str, message: &str) -> (StatusCode, Json<serde_json::Value>) {
    (
        status,
        Json(serde_json::json!({
            "Code": code,
            "Message": message,
            "RequestId": "F655A8D5-B967-440B-8683-DAD6FF8DE990",
        })),
    )
}

fn signature(params: &BTreeMap<String, String>, secret: &str) -> String {
    let enc = |s: &str| utf8_percent_encode(s, RFC3986).to_string();
    let mut canonical = String::new();
    for (k, v) in params.iter().filter(|(k, _)| k.as_str() != "Signature") {
        if !canonical.is_empty() {
            canonical.push('&');
        }
        canonical.push_str(&enc(k));
        canonical.push('=');
        canonical.push_str(&enc(v));
    }
    let to_sign = format!("GET&%2F&{}", enc(&canonical));
    let key = ring::hmac::Key::new(
        ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
        format!("{secret}&").as_bytes(),
    );
    base64::engine::general_purpose::STANDARD.encode(ring::hmac::sign(&key, to_sign.as_bytes()))
}

async fn send_sms(
    State(s): State<Shared>,
    RawQuery(query): RawQuery,
) -> (StatusCode, Json<serde_json::Value>) {
    let (status, body) = judge(&s, query.as_deref().unwrap_or(""));
    if let Some(code) = body.get("Code").and_then(|c| c.as_str())
        && code != "OK"
    {
        s.book
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .refused
            .push(code.to_string());
    }
    (status, body)
}

fn judge(s: &Shared, query: &str) -> (StatusCode, Json<serde_json::Value>) {
    let mut p = BTreeMap::new();
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        if p.insert(k.to_string(), v.to_string()).is_some() {
            return answer(
                StatusCode::BAD_REQUEST,
                "InvalidParameter",
                "repeated parameter",
            );
        }
    }
    let get = |k: &str| p.get(k).map(String::as_str).unwrap_or("");
    if get("AccessKeyId") != s.account.access_key_id {
        return answer(
            StatusCode::NOT_FOUND,
            "InvalidAccessKeyId.NotFound",
            "Specified access key is not found.",
        );
    }
    for (k, want) in [
        ("Action", "SendSms"),
        ("Version", "2017-05-25"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("Format", "JSON"),
    ] {
        if get(k) != want {
            return answer(
                StatusCode::BAD_REQUEST,
                "InvalidParameter",
                &format!("{k} must be {want}"),
            );
        }
    }
    let Ok(at) = chrono::NaiveDateTime::parse_from_str(get("Timestamp"), "%Y-%m-%dT%H:%M:%SZ")
    else {
        return answer(
            StatusCode::BAD_REQUEST,
            "InvalidTimeStamp.Format",
            "Specified time stamp is not valid.",
        );
    };
    let skew = (chrono::Utc::now().naive_utc() - at).num_seconds().abs();
    if skew > 15 * 60 {
        return answer(
            StatusCode::BAD_REQUEST,
            "InvalidTimeStamp.Expired",
            "Specified time stamp or date value is expired.",
        );
    }
    let want = signature(&p, &s.account.access_key_secret);
    if get("Signature") != want {
        return answer(
            StatusCode::BAD_REQUEST,
            "SignatureDoesNotMatch",
            "Specified signature is not matched with our calculation.",
        );
    }
    // The nonce counts once the signature holds (a forger cannot burn others' nonces).
    let nonce = get("SignatureNonce").to_string();
    let mut book = s.book.lock().unwrap_or_else(|p| p.into_inner());
    if nonce.is_empty() || !book.nonces.insert(nonce) {
        return answer(
            StatusCode::BAD_REQUEST,
            "SignatureNonceUsed",
            "Specified signature nonce was used already.",
        );
    }
    if get("SignName") != s.account.sign_name {
        return answer(StatusCode::OK, "isv.SMS_SIGNATURE_ILLEGAL", "签名不合法");
    }
    if !s.account.templates.iter().any(|t| t == get("TemplateCode")) {
        return answer(StatusCode::OK, "isv.SMS_TEMPLATE_ILLEGAL", "模板不合法");
    }
    let phone = get("PhoneNumbers");
    if phone.len() != 11 || !phone.starts_with('1') || !phone.bytes().all(|b| b.is_ascii_digit()) {
        return answer(StatusCode::OK, "isv.MOBILE_NUMBER_ILLEGAL", "非法手机号");
    }
    let Ok(params) = serde_json::from_str::<serde_json::Value>(get("TemplateParam")) else {
        return answer(StatusCode::OK, "isv.INVALID_JSON_PARAM", "JSON参数不合法");
    };
    if book.limited.contains(phone) {
        return answer(
            StatusCode::OK,
            "isv.BUSINESS_LIMIT_CONTROL",
            "触发号码天级流控",
        );
    }
    book.delivered.push(Delivered {
        phone: phone.to_string(),
        sign_name: get("SignName").to_string(),
        template: get("TemplateCode").to_string(),
        params,
    });
    (
        StatusCode::OK,
        Json(serde_json::json!({
            "Code": "OK",
            "Message": "OK",
            "BizId": format!("{}^0", book.delivered.len()),
            "RequestId": "F655A8D5-B967-440B-8683-DAD6FF8DE990",
        })),
    )
}
