//! The fake's checks can fail: requests signed here with the test merchant key are
//! accepted, altered, replayed, stale or foreign ones are refused, and what it signs
//! verifies with the platform's public key.

use super::*;
use crate::fakes::rsa::tests::{MERCHANT_KEY, MERCHANT_PUB, PLATFORM_KEY, PLATFORM_PUB};

const API_V3_KEY: &[u8; 32] = b"0123456789abcdef0123456789abcdef";
const MCHID: &str = "1900000001";
const SERIAL: &str = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1";
const PLATFORM_SERIAL: &str = "PUB_KEY_ID_0001";

async fn start() -> FakeWechatPay {
    FakeWechatPay::start(
        Merchant {
            appid: "wxd678efh567hg6787".into(),
            mchid: MCHID.into(),
            serial_no: SERIAL.into(),
            public_key_pem: MERCHANT_PUB.into(),
            api_v3_key: API_V3_KEY.to_vec(),
        },
        Platform {
            serial: PLATFORM_SERIAL.into(),
            private_key_pem: PLATFORM_KEY.into(),
        },
    )
    .await
}

fn order(no: &str, total: i64, notify_url: &str) -> String {
    json!({
        "appid": "wxd678efh567hg6787", "mchid": MCHID, "description": "毕业照",
        "out_trade_no": no, "notify_url": notify_url,
        "amount": { "total": total, "currency": "CNY" },
    })
    .to_string()
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Checks a `Wechatpay-*` signature as gradphoto must.
fn platform_signed(headers: &reqwest::header::HeaderMap, body: &str) -> bool {
    let h = |k: &str| headers.get(k).and_then(|v| v.to_str().ok()).unwrap_or("");
    h("Wechatpay-Serial") == PLATFORM_SERIAL
        && Verifier::from_pem(PLATFORM_PUB).verify(
            format!(
                "{}\n{}\n{body}\n",
                h("Wechatpay-Timestamp"),
                h("Wechatpay-Nonce")
            )
            .as_bytes(),
            h("Wechatpay-Signature"),
        )
}

/// A request as gradphoto sends it; the fields let a test spoil one thing.
#[derive(Clone)]
struct Req {
    method: &'static str,
    path: String,
    body: String,
    /// What the signature covers, when not the body sent.
    signed: Option<String>,
    timestamp: i64,
    nonce: String,
    key: &'static str,
    serial: &'static str,
}

impl Req {
    fn new(method: &'static str, path: &str, body: &str) -> Req {
        Req {
            method,
            path: path.into(),
            body: body.into(),
            signed: None,
            timestamp: now(),
            nonce: random_alnum(16),
            key: MERCHANT_KEY,
            serial: SERIAL,
        }
    }

    /// Sends it, checking the platform's signature on the answer.
    async fn send(&self, fake: &FakeWechatPay) -> (u16, Value) {
        let signed = self.signed.as_deref().unwrap_or(&self.body);
        let message = format!(
            "{}\n{}\n{}\n{}\n{signed}\n",
            self.method, self.path, self.timestamp, self.nonce
        );
        let signature = Signer::from_pem(self.key).sign(message.as_bytes());
        let auth = format!(
            "{SCHEME} mchid=\"{MCHID}\",nonce_str=\"{}\",signature=\"{signature}\",timestamp=\"{}\",serial_no=\"{}\"",
            self.nonce, self.timestamp, self.serial
        );
        let method = reqwest::Method::from_bytes(self.method.as_bytes()).expect("method");
        let mut r = crate::fakes::notifier()
            .request(method, format!("{}{}", fake.url, self.path))
            .header("Authorization", auth)
            .header("Accept", "application/json");
        if self.method == "POST" {
            r = r
                .header("Content-Type", "application/json")
                .body(self.body.clone());
        }
        let answer = r.send().await.expect("send");
        let status = answer.status().as_u16();
        let headers = answer.headers().clone();
        let text = answer.text().await.expect("body");
        // Signed once the request's signature held; a SIGN_ERROR answer is not.
        assert_eq!(platform_signed(&headers, &text), status != 401, "{text}");
        (status, serde_json::from_str(&text).expect("JSON"))
    }
}

const NATIVE: &str = "/v3/pay/transactions/native";

#[tokio::test]
async fn orders_are_accepted_only_when_signed_fresh_new_and_well_formed() {
    let fake = start().await;
    let body = order("GP1-0001", 2000, "https://gp.example/pay/wechat");
    let (status, first) = Req::new("POST", NATIVE, &body).send(&fake).await;
    assert_eq!(status, 200, "{first}");
    let code_url = first["code_url"].as_str().expect("code_url");
    assert!(code_url.starts_with("weixin://wxpay/bizpayurl?pr="));
    // The same order again: the same code.
    assert_eq!(
        Req::new("POST", NATIVE, &body).send(&fake).await,
        (200, first.clone())
    );

    let mut tampered = Req::new(
        "POST",
        NATIVE,
        &order("GP1-0001", 1, "https://gp.example/p"),
    );
    tampered.signed = Some(body.clone());
    let mut foreign_key = Req::new("POST", NATIVE, &body);
    foreign_key.key = PLATFORM_KEY;
    let mut stale = Req::new("POST", NATIVE, &body);
    stale.timestamp = now() - 301;
    let mut early = Req::new("POST", NATIVE, &body);
    early.timestamp = now() + 330; // room for the clock to move while the test runs
    let mut serial = Req::new("POST", NATIVE, &body);
    serial.serial = "0000";
    for r in [&tampered, &foreign_key, &stale, &early, &serial] {
        let (status, answer) = r.send(&fake).await;
        assert_eq!((status, answer["code"].as_str()), (401, Some("SIGN_ERROR")));
    }
    // A forgery did not burn its nonce; a genuine request with it is accepted once.
    let mut genuine = Req::new("POST", NATIVE, &body);
    genuine.nonce = tampered.nonce.clone();
    assert_eq!(genuine.send(&fake).await.0, 200);
    let (status, replay) = genuine.send(&fake).await;
    assert_eq!((status, replay["code"].as_str()), (401, Some("SIGN_ERROR")));

    let refusals = [
        (
            order("GP1-0001", 2100, "https://gp.example/p"),
            "INVALID_REQUEST",
        ),
        (order("ab", 2000, "https://gp.example/p"), "PARAM_ERROR"),
        (order("GP1-0002", 0, "https://gp.example/p"), "PARAM_ERROR"),
        (order("GP1-0002", 2000, "ftp://gp.example/p"), "PARAM_ERROR"),
        (
            order("GP1-0002", 2000, "https://gp.example/p?x=1"),
            "PARAM_ERROR",
        ),
        (
            body.replace("wxd678efh567hg6787", "wx0"),
            "APPID_MCHID_NOT_MATCH",
        ),
        (body.replace("\"CNY\"", "\"USD\""), "PARAM_ERROR"),
        (body.replace("毕业照", ""), "PARAM_ERROR"),
        ("[]".into(), "PARAM_ERROR"),
    ];
    for (body, code) in &refusals {
        let (status, answer) = Req::new("POST", NATIVE, body).send(&fake).await;
        assert_eq!(
            (status, answer["code"].as_str()),
            (400, Some(*code)),
            "{body}"
        );
    }
    let mut want = vec!["SIGN_ERROR"; 6];
    want.extend(refusals.iter().map(|(_, c)| *c));
    assert_eq!(fake.refused(), want);
    let orders = fake.orders();
    assert_eq!(orders.len(), 1);
    assert_eq!(
        (orders[0].total, orders[0].trade_state.as_str()),
        (2000, "NOTPAY")
    );
    assert_eq!(orders[0].code_url, code_url);
}

#[tokio::test]
async fn queries_and_refunds_follow_the_payment() {
    let fake = start().await;
    let query = |no: &str| format!("/v3/pay/transactions/out-trade-no/{no}?mchid={MCHID}");
    let refund = |no: &str, refund: i64, total: i64| {
        let body = json!({ "out_trade_no": "GP2-0001", "out_refund_no": no, "reason": "拍错了",
            "amount": { "refund": refund, "total": total, "currency": "CNY" } });
        Req::new("POST", "/v3/refund/domestic/refunds", &body.to_string())
    };
    let (status, unknown) = Req::new("GET", &query("GP2-0001"), "").send(&fake).await;
    assert_eq!(
        (status, unknown["code"].as_str()),
        (404, Some("ORDER_NOT_EXIST"))
    );
    let placed = Req::new(
        "POST",
        NATIVE,
        &order("GP2-0001", 2000, "http://127.0.0.1:9/n"),
    );
    assert_eq!(placed.send(&fake).await.0, 200);
    let (status, t) = Req::new("GET", &query("GP2-0001"), "").send(&fake).await;
    assert_eq!((status, t["trade_state"].as_str()), (200, Some("NOTPAY")));
    assert!(t.get("transaction_id").is_none());
    let (status, early) = refund("R1", 500, 2000).send(&fake).await;
    assert_eq!(
        (status, early["code"].as_str()),
        (400, Some("INVALID_REQUEST"))
    );

    fake.pay_silently("GP2-0001");
    let (_, t) = Req::new("GET", &query("GP2-0001"), "").send(&fake).await;
    assert_eq!(t["trade_state"], "SUCCESS");
    assert_eq!(t["amount"]["payer_total"], 2000);
    assert_eq!(
        t["transaction_id"].as_str(),
        Some(fake.orders()[0].transaction_id.as_str())
    );
    assert!(
        t["success_time"]
            .as_str()
            .is_some_and(|s| s.ends_with("+08:00"))
    );
    let wrong_mchid = Req::new(
        "GET",
        "/v3/pay/transactions/out-trade-no/GP2-0001?mchid=1",
        "",
    );
    assert_eq!(wrong_mchid.send(&fake).await.1["code"], "PARAM_ERROR");
    let (status, again) = placed.clone().send(&fake).await;
    assert_eq!(
        (status, again["code"].as_str()),
        (401, Some("SIGN_ERROR")),
        "a replay"
    );
    let (status, paid) = Req::new("POST", NATIVE, &placed.body).send(&fake).await;
    assert_eq!((status, paid["code"].as_str()), (400, Some("ORDERPAID")));

    let (status, r1) = refund("R1", 500, 2000).send(&fake).await;
    assert_eq!(
        (status, r1["status"].as_str()),
        (200, Some("SUCCESS")),
        "{r1}"
    );
    assert_eq!(r1["amount"]["refund"], 500);
    // Asked again: the same refund, not a second one.
    assert_eq!(refund("R1", 500, 2000).send(&fake).await, (200, r1.clone()));
    assert_eq!(
        refund("R1", 600, 2000).send(&fake).await.1["code"],
        "INVALID_REQUEST"
    );
    assert_eq!(
        refund("R2", 1600, 2000).send(&fake).await.1["code"],
        "INVALID_REQUEST"
    );
    assert_eq!(
        refund("R2", 100, 1000).send(&fake).await.1["code"],
        "PARAM_ERROR"
    );
    assert_eq!(refund("R2", 1500, 2000).send(&fake).await.0, 200);
    let refunds = fake.refunds();
    assert_eq!(
        refunds.iter().map(|r| r.refund).collect::<Vec<_>>(),
        [500, 1500]
    );
    assert_eq!(refunds[0].refund_id, r1["refund_id"].as_str().expect("id"));
}

fn open(body: &str) -> Value {
    let n: Value = serde_json::from_str(body).expect("JSON");
    let r = &n["resource"];
    assert_eq!(
        (r["algorithm"].as_str(), n["event_type"].as_str()),
        (Some("AEAD_AES_256_GCM"), Some("TRANSACTION.SUCCESS"))
    );
    let key = ring::aead::LessSafeKey::new(
        ring::aead::UnboundKey::new(&ring::aead::AES_256_GCM, API_V3_KEY).expect("key"),
    );
    let mut data = base64::engine::general_purpose::STANDARD
        .decode(r["ciphertext"].as_str().expect("ciphertext"))
        .expect("base64");
    let nonce = r["nonce"].as_str().expect("nonce").as_bytes();
    let plain = key
        .open_in_place(
            ring::aead::Nonce::try_assume_unique_for_key(nonce).expect("12 bytes"),
            ring::aead::Aad::from(r["associated_data"].as_str().expect("ad").as_bytes()),
            &mut data,
        )
        .expect("decrypts with the APIv3 key");
    serde_json::from_slice(plain).expect("transaction JSON")
}

#[tokio::test]
async fn a_payment_posts_a_signed_encrypted_notification() {
    type Seen = Arc<Mutex<Vec<(reqwest::header::HeaderMap, String)>>>;
    let seen = Seen::default();
    let receiver = axum::Router::new()
        .route(
            "/notify",
            axum::routing::post(
                |State(seen): State<Seen>, headers: HeaderMap, body: String| async move {
                    seen.lock().expect("lock").push((headers, body));
                    (StatusCode::OK, "received")
                },
            ),
        )
        .with_state(seen.clone());
    let notify_url = format!("{}/notify", crate::fakes::serve(receiver).await);
    let fake = start().await;
    let placed = Req::new("POST", NATIVE, &order("GP3-0001", 2000, &notify_url));
    assert_eq!(placed.send(&fake).await.0, 200);

    assert_eq!(fake.pay("GP3-0001").await, (200, "received".to_string()));
    let (headers, body) = seen.lock().expect("lock").pop().expect("notified");
    assert!(platform_signed(&headers, &body));
    let t = open(&body);
    assert_eq!(
        (t["trade_state"].as_str(), t["amount"]["total"].as_i64()),
        (Some("SUCCESS"), Some(2000))
    );
    assert_eq!(
        (t["mchid"].as_str(), t["out_trade_no"].as_str()),
        (Some(MCHID), Some("GP3-0001"))
    );
    let order = &fake.orders()[0];
    assert_eq!(
        (order.trade_state.as_str(), t["transaction_id"].as_str()),
        ("SUCCESS", Some(order.transaction_id.as_str()))
    );

    // Built but not sent, for a test to alter or age: signed at the time asked.
    let old = now() - 3600;
    let (h, body) = fake.notification("GP3-0001", "SUCCESS", 1, old);
    let map: reqwest::header::HeaderMap = h
        .iter()
        .map(|(k, v)| (k.parse().expect("name"), v.parse().expect("value")))
        .collect();
    assert!(platform_signed(&map, &body));
    assert_eq!(map["Wechatpay-Timestamp"], old.to_string().as_str());
    assert_eq!(open(&body)["amount"]["total"], 1);
    assert!(!platform_signed(
        &map,
        &body.replace("TRANSACTION", "REFUND")
    ));
}
