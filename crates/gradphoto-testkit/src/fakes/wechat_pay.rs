//! WeChat Pay API v3 (Native payments) as the service checks a merchant's request: the
//! `WECHATPAY2-SHA256-RSA2048` Authorization of the merchant and serial it names, a
//! timestamp within ±300 s, the SHA256withRSA signature over
//! `METHOD\nPATH?QUERY\nTIMESTAMP\nNONCE\nBODY\n` by the merchant's key, a nonce never seen,
//! then the order's or refund's fields. Every answer to an authenticated request is signed
//! with the platform key as WeChat Pay signs its own (a SIGN_ERROR answer is not);
//! [`FakeWechatPay::pay`] sends the signed, AES-256-GCM encrypted `TRANSACTION.SUCCESS`
//! notification a real payment would.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::Response;
use base64::Engine as _;
use serde_json::{Value, json};

use super::rsa::{Signer, Verifier};
use super::{china, random_alnum};

const SCHEME: &str = "WECHATPAY2-SHA256-RSA2048";
const MAX_SKEW_SECS: i64 = 300;

/// The merchant whose requests the fake accepts.
#[derive(Debug, Clone)]
pub struct Merchant {
    pub appid: String,
    pub mchid: String,
    /// Serial number of the merchant's API certificate, as `serial_no` must name it.
    pub serial_no: String,
    /// The merchant's public key ("BEGIN PUBLIC KEY" PEM text).
    pub public_key_pem: String,
    /// The APIv3 key (32 bytes) that encrypts notifications.
    pub api_v3_key: Vec<u8>,
}

/// WeChat Pay's own signing identity, played by the fake.
#[derive(Debug, Clone)]
pub struct Platform {
    pub serial: String,
    /// "BEGIN PRIVATE KEY" (PKCS#8) PEM text.
    pub private_key_pem: String,
}

/// An order placed through `POST /v3/pay/transactions/native`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NativeOrder {
    pub out_trade_no: String,
    pub description: String,
    /// In fen.
    pub total: i64,
    pub notify_url: String,
    pub code_url: String,
    /// NOTPAY, SUCCESS or CLOSED.
    pub trade_state: String,
    /// Empty until paid.
    pub transaction_id: String,
}

/// A refund accepted through `POST /v3/refund/domestic/refunds`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    pub out_refund_no: String,
    pub out_trade_no: String,
    /// In fen.
    pub refund: i64,
    pub refund_id: String,
    pub status: String,
}

struct Order {
    public: NativeOrder,
    /// Assigned when the order is placed, published once it is paid.
    txn: String,
    success_time: Option<String>,
}

#[derive(Default)]
struct Book {
    orders: Vec<Order>,
    refunds: Vec<(Refund, Value)>,
    nonces: HashSet<String>,
    /// Every refusal, by its code.
    refused: Vec<String>,
}

struct Inner {
    merchant: Merchant,
    merchant_key: Verifier,
    platform_serial: String,
    platform_key: Signer,
    book: Mutex<Book>,
    http: reqwest::Client,
}

/// A running fake; its URL is the API base (`https://api.mch.weixin.qq.com` in production).
#[derive(Clone)]
pub struct FakeWechatPay {
    pub url: String,
    inner: Arc<Inner>,
}

/// A refused request: HTTP status, error code, message.
type Refusal = (StatusCode, &'static str, String);

impl FakeWechatPay {
    /// Serves the fake on a random loopback port.
    pub async fn start(merchant: Merchant, platform: Platform) -> FakeWechatPay {
        assert_eq!(merchant.api_v3_key.len(), 32, "the APIv3 key is 32 bytes");
        let inner = Arc::new(Inner {
            merchant_key: Verifier::from_pem(&merchant.public_key_pem),
            merchant,
            platform_serial: platform.serial,
            platform_key: Signer::from_pem(&platform.private_key_pem),
            book: Mutex::default(),
            http: super::notifier(),
        });
        let router = axum::Router::new()
            .fallback(dispatch)
            .with_state(inner.clone());
        let url = super::serve(router).await;
        FakeWechatPay { url, inner }
    }

    /// The orders placed, oldest first.
    pub fn orders(&self) -> Vec<NativeOrder> {
        let book = self.inner.book();
        book.orders.iter().map(|o| o.public.clone()).collect()
    }

    /// The refunds accepted, oldest first (an idempotent repeat is not a new one).
    pub fn refunds(&self) -> Vec<Refund> {
        self.inner
            .book()
            .refunds
            .iter()
            .map(|(r, _)| r.clone())
            .collect()
    }

    /// The code of every refused request, in order ("SIGN_ERROR", "PARAM_ERROR", …).
    pub fn refused(&self) -> Vec<String> {
        self.inner.book().refused.clone()
    }

    /// The payer pays: the order becomes SUCCESS and the signed, encrypted
    /// `TRANSACTION.SUCCESS` notification is posted to its `notify_url` (again, for an
    /// order already paid: a repeated notification). Returns the notified server's
    /// answer (status, body).
    pub async fn pay(&self, out_trade_no: &str) -> (u16, String) {
        self.pay_silently(out_trade_no);
        let (url, total) = {
            let book = self.inner.book();
            let o = &book.order(out_trade_no).public;
            (o.notify_url.clone(), o.total)
        };
        let now = chrono::Utc::now().timestamp();
        let (headers, body) = self.notification(out_trade_no, "SUCCESS", total, now);
        let mut request = self.inner.http.post(url).body(body);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let answer = request.send().await.expect("the notification is delivered");
        let status = answer.status().as_u16();
        (status, answer.text().await.unwrap_or_default())
    }

    /// The payer pays, but no notification is sent (gradphoto must ask).
    pub fn pay_silently(&self, out_trade_no: &str) {
        let mut book = self.inner.book();
        let o = book.order_mut(out_trade_no);
        assert_ne!(
            o.public.trade_state, "CLOSED",
            "a closed order cannot be paid"
        );
        if o.public.trade_state != "SUCCESS" {
            o.public.trade_state = "SUCCESS".into();
            o.public.transaction_id = o.txn.clone();
            o.success_time = Some(rfc3339(chrono::Utc::now().timestamp()));
        }
    }

    /// The notification [`pay`](Self::pay) would send for `out_trade_no`, saying
    /// `trade_state` and `total` and signed at `timestamp` (Unix seconds), as (headers,
    /// body), without sending it.
    pub fn notification(
        &self,
        out_trade_no: &str,
        trade_state: &str,
        total: i64,
        timestamp: i64,
    ) -> (Vec<(String, String)>, String) {
        let plain = {
            let book = self.inner.book();
            let o = book.order(out_trade_no);
            let at = o.success_time.clone().unwrap_or_else(|| rfc3339(timestamp));
            self.inner
                .transaction(o, trade_state, total, &at)
                .to_string()
        };
        let nonce = random_alnum(12);
        let key =
            ring::aead::UnboundKey::new(&ring::aead::AES_256_GCM, &self.inner.merchant.api_v3_key)
                .map(ring::aead::LessSafeKey::new)
                .expect("AES-256 key");
        let mut sealed = plain.into_bytes();
        key.seal_in_place_append_tag(
            ring::aead::Nonce::try_assume_unique_for_key(nonce.as_bytes()).expect("12 bytes"),
            ring::aead::Aad::from(b"transaction"),
            &mut sealed,
        )
        .expect("seal");
        let body = json!({
            "id": format!("EV-{}", random_alnum(20)),
            "create_time": rfc3339(timestamp),
            "resource_type": "encrypt-resource",
            "event_type": "TRANSACTION.SUCCESS",
            "summary": "支付成功",
            "resource": {
                "original_type": "transaction",
                "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": base64::engine::general_purpose::STANDARD.encode(sealed),
                "associated_data": "transaction",
                "nonce": nonce,
            },
        })
        .to_string();
        let mut headers = self.inner.signed_headers(&body, timestamp);
        headers.push(("Content-Type".into(), "application/json".into()));
        (headers, body)
    }
}

fn rfc3339(timestamp: i64) -> String {
    chrono::DateTime::from_timestamp(timestamp, 0)
        .expect("a representable time")
        .with_timezone(&china())
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

impl Book {
    fn order(&self, out_trade_no: &str) -> &Order {
        self.orders
            .iter()
            .find(|o| o.public.out_trade_no == out_trade_no)
            .unwrap_or_else(|| panic!("no order {out_trade_no}"))
    }

    fn order_mut(&mut self, out_trade_no: &str) -> &mut Order {
        self.orders
            .iter_mut()
            .find(|o| o.public.out_trade_no == out_trade_no)
            .unwrap_or_else(|| panic!("no order {out_trade_no}"))
    }
}

async fn dispatch(
    State(s): State<Arc<Inner>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // As WeChat Pay does, answers are signed once the request's own signature held.
    let (outcome, signed) = match s.authenticate(&method, &uri, &headers, &body) {
        Ok(()) => (s.route(&method, &uri, &headers, &body), true),
        Err(refusal) => (Err(refusal), false),
    };
    let (status, body) = match outcome {
        Ok(v) => (StatusCode::OK, v),
        Err((status, code, message)) => {
            s.book().refused.push(code.to_string());
            (status, json!({ "code": code, "message": message }))
        }
    };
    let body = body.to_string();
    let mut r = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
        .header("Request-ID", random_alnum(32));
    if signed {
        for (name, value) in s.signed_headers(&body, chrono::Utc::now().timestamp()) {
            r = r.header(name, value);
        }
    }
    r.body(Body::from(body)).expect("response")
}

/// The fields of an Authorization header, all five present and none repeated.
fn parse_authorization(header: &str) -> Option<BTreeMap<&str, &str>> {
    let rest = header.strip_prefix(SCHEME)?.strip_prefix(' ')?;
    let mut fields = BTreeMap::new();
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=')?;
        let v = v.strip_prefix('"')?.strip_suffix('"')?;
        if fields.insert(k, v).is_some() {
            return None;
        }
    }
    ["mchid", "nonce_str", "signature", "timestamp", "serial_no"]
        .iter()
        .all(|k| fields.contains_key(k))
        .then_some(fields)
}

impl Inner {
    fn book(&self) -> std::sync::MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `Wechatpay-*` headers signing `body` at `timestamp`, as on answers and notifications.
    fn signed_headers(&self, body: &str, timestamp: i64) -> Vec<(String, String)> {
        let nonce = random_alnum(32);
        let signature = self
            .platform_key
            .sign(format!("{timestamp}\n{nonce}\n{body}\n").as_bytes());
        vec![
            ("Wechatpay-Timestamp".into(), timestamp.to_string()),
            ("Wechatpay-Nonce".into(), nonce),
            ("Wechatpay-Serial".into(), self.platform_serial.clone()),
            ("Wechatpay-Signature".into(), signature),
        ]
    }

    fn authenticate(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<(), Refusal> {
        let refuse = |why: &str| (StatusCode::UNAUTHORIZED, "SIGN_ERROR", why.to_string());
        let header = headers
            .get(header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .ok_or_else(|| refuse("缺少Authorization头"))?;
        let f = parse_authorization(header).ok_or_else(|| refuse("Authorization格式错误"))?;
        if f["mchid"] != self.merchant.mchid {
            return Err(refuse("商户号与请求者不符"));
        }
        if f["serial_no"] != self.merchant.serial_no {
            return Err(refuse("商户证书序列号错误"));
        }
        let Ok(ts) = f["timestamp"].parse::<i64>() else {
            return Err(refuse("时间戳格式错误"));
        };
        if (chrono::Utc::now().timestamp() - ts).abs() > MAX_SKEW_SECS {
            return Err(refuse("时间戳超出允许范围"));
        }
        let nonce = f["nonce_str"];
        if nonce.is_empty() || nonce.len() > 32 {
            return Err(refuse("随机串长度错误"));
        }
        let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
        let mut message = format!("{method}\n{path}\n{}\n{nonce}\n", f["timestamp"]).into_bytes();
        message.extend_from_slice(body);
        message.push(b'\n');
        if !self.merchant_key.verify(&message, f["signature"]) {
            return Err(refuse("签名错误"));
        }
        // The nonce counts once the signature holds (a forger cannot burn others' nonces).
        if !self.book().nonces.insert(nonce.to_string()) {
            return Err(refuse("随机串已使用（重放）"));
        }
        Ok(())
    }
}

mod endpoints;

#[cfg(test)]
mod tests;
