//! Alipay's open platform gateway (`alipay.trade.precreate`, `.query`, `.refund`) as it
//! checks an application's request: the common parameters (in the form body or the query
//! string), a known `app_id`, RSA2, a China-time timestamp within 15 minutes, then the
//! SHA256withRSA signature by the application's key over the sorted `k=v&…` content,
//! then the business fields. Answers are signed by Alipay's key over the exact JSON text
//! of the response object, and [`FakeAlipay::pay`] posts the signed `trade_status_sync`
//! notification a real payment would.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::rsa::{Signer, Verifier};
use super::{china, random_alnum};

const MAX_SKEW_SECS: i64 = 15 * 60;
const METHODS: [&str; 3] = [
    "alipay.trade.precreate",
    "alipay.trade.query",
    "alipay.trade.refund",
];
const BUYER_ID: &str = "2088102177846880";

/// The application whose requests the fake accepts.
#[derive(Debug, Clone)]
pub struct App {
    pub app_id: String,
    /// The merchant's Alipay user id (2088…), named in notifications.
    pub seller_id: String,
    /// The application's public key ("BEGIN PUBLIC KEY" PEM text).
    pub app_public_key_pem: String,
}

/// A trade created by `alipay.trade.precreate`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trade {
    pub out_trade_no: String,
    pub subject: String,
    /// In yuan with two decimals, "20.00".
    pub total_amount: String,
    /// Empty when the request named none.
    pub notify_url: String,
    pub qr_code: String,
    pub trade_no: String,
    /// WAIT_BUYER_PAY, TRADE_SUCCESS, or TRADE_CLOSED (once fully refunded).
    pub trade_status: String,
}

/// A refund accepted by `alipay.trade.refund`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlipayRefund {
    pub out_trade_no: String,
    pub out_request_no: String,
    pub refund_amount: String,
}

struct Entry {
    public: Trade,
    fen: i64,
    gmt_create: String,
    gmt_payment: Option<String>,
}

#[derive(Default)]
struct Book {
    trades: Vec<Entry>,
    refunds: Vec<(AlipayRefund, i64, Map<String, Value>)>,
    /// Every refusal, by its sub_code.
    refused: Vec<String>,
}

struct Inner {
    app: App,
    app_key: Verifier,
    alipay_key: Signer,
    book: Mutex<Book>,
    http: reqwest::Client,
}

/// A running fake; `url` is the gateway (`https://openapi.alipay.com/gateway.do`).
#[derive(Clone)]
pub struct FakeAlipay {
    pub url: String,
    inner: Arc<Inner>,
}

/// A refused call: code, msg, sub_code, sub_msg.
type Refusal = (&'static str, &'static str, &'static str, String);

fn missing(sub_code: &'static str, sub_msg: &str) -> Refusal {
    (
        "40001",
        "Missing Required Arguments",
        sub_code,
        sub_msg.into(),
    )
}

fn invalid(sub_code: &'static str, sub_msg: impl Into<String>) -> Refusal {
    ("40002", "Invalid Arguments", sub_code, sub_msg.into())
}

/// China time as Alipay writes it, "yyyy-MM-dd HH:mm:ss".
fn china_now() -> String {
    chrono::Utc::now()
        .with_timezone(&china())
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// What RSA2 signs: the parameters but `sign` (and `sign_type` when `skip_sign_type`),
/// non-empty, sorted by name, `k=v` joined by `&`, raw values.
fn content(params: &BTreeMap<String, String>, skip_sign_type: bool) -> String {
    params
        .iter()
        .filter(|(k, v)| *k != "sign" && !(skip_sign_type && *k == "sign_type") && !v.is_empty())
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

impl FakeAlipay {
    /// Serves the fake on a random loopback port, signing with Alipay's private key
    /// ("BEGIN PRIVATE KEY" PEM text).
    pub async fn start(app: App, alipay_private_key_pem: &str) -> FakeAlipay {
        let inner = Arc::new(Inner {
            app_key: Verifier::from_pem(&app.app_public_key_pem),
            app,
            alipay_key: Signer::from_pem(alipay_private_key_pem),
            book: Mutex::default(),
            http: super::notifier(),
        });
        let router = axum::Router::new()
            .route("/gateway.do", axum::routing::post(gateway))
            .with_state(inner.clone());
        let url = format!("{}/gateway.do", super::serve(router).await);
        FakeAlipay { url, inner }
    }

    /// The trades created, oldest first.
    pub fn trades(&self) -> Vec<Trade> {
        let book = self.inner.book();
        book.trades.iter().map(|t| t.public.clone()).collect()
    }

    /// The refunds accepted, oldest first (an idempotent repeat is not a new one).
    pub fn refunds(&self) -> Vec<AlipayRefund> {
        let book = self.inner.book();
        book.refunds.iter().map(|(r, _, _)| r.clone()).collect()
    }

    /// The sub_code of every refused call, in order ("isv.invalid-signature", …).
    pub fn refused(&self) -> Vec<String> {
        self.inner.book().refused.clone()
    }

    /// The buyer pays: TRADE_SUCCESS, and the signed notification is posted to the
    /// trade's `notify_url` (again, for a trade already paid: a repeated notification).
    /// Returns the notified server's answer (status, body).
    pub async fn pay(&self, out_trade_no: &str) -> (u16, String) {
        self.pay_silently(out_trade_no);
        let (url, total) = {
            let book = self.inner.book();
            let t = &book.trade(out_trade_no).public;
            (t.notify_url.clone(), t.total_amount.clone())
        };
        assert!(
            !url.is_empty(),
            "trade {out_trade_no} was created without notify_url"
        );
        let fields = self.notification(out_trade_no, "TRADE_SUCCESS", &total);
        let answer = self
            .inner
            .http
            .post(url)
            .form(&fields)
            .send()
            .await
            .expect("the notification is delivered");
        let status = answer.status().as_u16();
        (status, answer.text().await.unwrap_or_default())
    }

    /// The buyer pays, but no notification is sent (gradphoto must ask).
    pub fn pay_silently(&self, out_trade_no: &str) {
        let mut book = self.inner.book();
        let t = book.trade_mut(out_trade_no);
        assert_ne!(
            t.public.trade_status, "TRADE_CLOSED",
            "a closed trade cannot be paid"
        );
        // Paid already: nothing changes (so `pay` again repeats the notification).
        if t.public.trade_status == "WAIT_BUYER_PAY" {
            t.public.trade_status = "TRADE_SUCCESS".into();
            t.gmt_payment = Some(china_now());
        }
    }

    /// The signed notification fields [`pay`](Self::pay) would post, saying
    /// `trade_status` and `total_amount`, for a test to alter or replay.
    pub fn notification(
        &self,
        out_trade_no: &str,
        trade_status: &str,
        total_amount: &str,
    ) -> Vec<(String, String)> {
        let book = self.inner.book();
        let t = book.trade(out_trade_no);
        let now = china_now();
        let mut p: BTreeMap<String, String> = [
            ("notify_time", now.as_str()),
            ("notify_type", "trade_status_sync"),
            ("app_id", &self.inner.app.app_id),
            ("seller_id", &self.inner.app.seller_id),
            ("charset", "utf-8"),
            ("version", "1.0"),
            ("out_trade_no", out_trade_no),
            ("trade_no", &t.public.trade_no),
            ("trade_status", trade_status),
            ("total_amount", total_amount),
            ("receipt_amount", total_amount),
            ("buyer_id", BUYER_ID),
            ("gmt_create", &t.gmt_create),
            ("gmt_payment", t.gmt_payment.as_deref().unwrap_or(&now)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        p.insert("notify_id".into(), random_alnum(34).to_lowercase());
        let sign = self.inner.alipay_key.sign(content(&p, true).as_bytes());
        p.insert("sign_type".into(), "RSA2".into());
        p.insert("sign".into(), sign);
        p.into_iter().collect()
    }
}

impl Book {
    fn trade(&self, out_trade_no: &str) -> &Entry {
        self.trades
            .iter()
            .find(|t| t.public.out_trade_no == out_trade_no)
            .unwrap_or_else(|| panic!("no trade {out_trade_no}"))
    }

    fn trade_mut(&mut self, out_trade_no: &str) -> &mut Entry {
        self.trades
            .iter_mut()
            .find(|t| t.public.out_trade_no == out_trade_no)
            .unwrap_or_else(|| panic!("no trade {out_trade_no}"))
    }
}

async fn gateway(
    State(s): State<Arc<Inner>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let body: &[u8] = if form { &body } else { &[] };
    let mut params = BTreeMap::new();
    let mut repeated = None;
    for (k, v) in form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes())
        .chain(form_urlencoded::parse(body))
    {
        if params.insert(k.to_string(), v.into_owned()).is_some() {
            repeated = Some(k.into_owned());
        }
    }
    let method = params.get("method").map(String::as_str).unwrap_or("");
    let key = if METHODS.contains(&method) {
        format!("{}_response", method.replace('.', "_"))
    } else {
        "error_response".to_string()
    };
    let outcome = match repeated {
        Some(k) => Err(invalid("isv.invalid-parameter", format!("参数重复：{k}"))),
        None => s.check(&params).and_then(|biz| s.call(&params, &biz)),
    };
    let answer = match outcome {
        Ok(mut fields) => {
            fields.insert("code".into(), json!("10000"));
            fields.insert("msg".into(), json!("Success"));
            fields
        }
        Err((code, msg, sub_code, sub_msg)) => {
            s.book().refused.push(sub_code.to_string());
            let v = json!({ "code": code, "msg": msg, "sub_code": sub_code, "sub_msg": sub_msg });
            v.as_object().cloned().unwrap_or_default()
        }
    };
    // The signature covers the response object's text exactly as it stands in the body.
    let text = Value::Object(answer).to_string();
    let sign = Value::String(s.alipay_key.sign(text.as_bytes()));
    let body = format!("{{{}:{text},\"sign\":{sign}}}", Value::String(key));
    (
        [(header::CONTENT_TYPE, "application/json;charset=utf-8")],
        body,
    )
        .into_response()
}

impl Inner {
    fn book(&self) -> std::sync::MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The common parameters and the signature; the business content when they hold.
    fn check(&self, p: &BTreeMap<String, String>) -> Result<Value, Refusal> {
        let get = |k: &str| p.get(k).map(String::as_str).unwrap_or("");
        for (k, sub_code, sub_msg) in [
            ("method", "isv.missing-method", "缺少方法名参数"),
            ("sign", "isv.missing-signature", "缺少签名参数"),
            (
                "sign_type",
                "isv.missing-signature-type",
                "缺少签名类型参数",
            ),
            ("app_id", "isv.missing-app-id", "缺少appId参数"),
            ("timestamp", "isv.missing-timestamp", "缺少时间戳参数"),
            ("version", "isv.missing-version", "缺少版本参数"),
        ] {
            if get(k).is_empty() {
                return Err(missing(sub_code, sub_msg));
            }
        }
        if get("app_id") != self.app.app_id {
            return Err(invalid("isv.invalid-app-id", "无效的AppID参数"));
        }
        if !METHODS.contains(&get("method")) {
            return Err(invalid("isv.invalid-method", "不存在的方法名"));
        }
        if !get("format").is_empty() && !get("format").eq_ignore_ascii_case("JSON") {
            return Err(invalid("isv.invalid-format", "无效的数据格式"));
        }
        if !get("charset").eq_ignore_ascii_case("utf-8") {
            return Err(invalid("isv.invalid-charset", "字符集错误"));
        }
        if get("sign_type") != "RSA2" {
            return Err(invalid("isv.invalid-signature-type", "无效签名类型"));
        }
        let fresh = chrono::NaiveDateTime::parse_from_str(get("timestamp"), "%Y-%m-%d %H:%M:%S")
            .ok()
            .and_then(|t| t.and_local_timezone(china()).single())
            .is_some_and(|t| {
                (chrono::Utc::now() - t.to_utc()).num_seconds().abs() <= MAX_SKEW_SECS
            });
        if !fresh {
            return Err(invalid("isv.invalid-timestamp", "非法的时间戳参数"));
        }
        if get("version") != "1.0" {
            return Err(invalid("isv.invalid-parameter", "version：仅支持1.0"));
        }
        let signed = content(p, false);
        if !self.app_key.verify(signed.as_bytes(), get("sign")) {
            return Err(invalid(
                "isv.invalid-signature",
                format!(
                    "验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配，网关生成的验签字符串为：{signed}"
                ),
            ));
        }
        let notify_url = get("notify_url");
        if !notify_url.is_empty()
            && !notify_url.starts_with("http://")
            && !notify_url.starts_with("https://")
        {
            return Err(invalid(
                "isv.invalid-parameter",
                "notify_url：须为http(s)地址",
            ));
        }
        serde_json::from_str::<Value>(get("biz_content"))
            .ok()
            .filter(Value::is_object)
            .ok_or_else(|| invalid("isv.invalid-parameter", "biz_content：须为JSON对象"))
    }
}

mod trades;

#[cfg(test)]
mod tests;
