//! The fake's checks can fail: calls signed here with the test application key are
//! accepted, altered, foreign, stale or malformed ones refused by their sub_code, and
//! everything it signs verifies with Alipay's public key.

use super::*;
use crate::fakes::rsa::tests::{ALIPAY_KEY, ALIPAY_PUB, APP_KEY, APP_PUB};

const APP_ID: &str = "2021000000000001";
const SELLER_ID: &str = "2088101106499364";

async fn start() -> FakeAlipay {
    let app = App {
        app_id: APP_ID.into(),
        seller_id: SELLER_ID.into(),
        app_public_key_pem: APP_PUB.into(),
    };
    FakeAlipay::start(app, ALIPAY_KEY).await
}

/// A call's parameters, signed with `key` as gradphoto signs them.
fn signed(
    method: &str,
    biz: Value,
    key: &str,
    tweak: impl FnOnce(&mut BTreeMap<String, String>),
) -> BTreeMap<String, String> {
    let mut p: BTreeMap<String, String> = [
        ("app_id", APP_ID),
        ("method", method),
        ("format", "JSON"),
        ("charset", "utf-8"),
        ("sign_type", "RSA2"),
        ("timestamp", &china_now()),
        ("version", "1.0"),
        ("biz_content", &biz.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    tweak(&mut p);
    let sign = Signer::from_pem(key).sign(content(&p, false).as_bytes());
    p.insert("sign".into(), sign);
    p
}

fn precreate(no: &str, amount: &str) -> BTreeMap<String, String> {
    let biz = json!({ "out_trade_no": no, "total_amount": amount, "subject": "毕业照" });
    signed("alipay.trade.precreate", biz, APP_KEY, |_| {})
}

/// Posts the parameters (those named in `in_query` go in the query string) and returns
/// the response object, after checking Alipay's signature over its exact text.
async fn send_split(fake: &FakeAlipay, p: &BTreeMap<String, String>, in_query: &[&str]) -> Value {
    let (query, form): (Vec<_>, Vec<_>) =
        p.iter().partition(|(k, _)| in_query.contains(&k.as_str()));
    let query: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(query)
        .finish();
    let body = crate::fakes::notifier()
        .post(format!("{}?{query}", fake.url))
        .form(&form)
        .send()
        .await
        .expect("send")
        .text()
        .await
        .expect("body");
    let whole: Value = serde_json::from_str(&body).expect("JSON");
    let key = whole
        .as_object()
        .and_then(|o| o.keys().find(|k| *k != "sign"))
        .expect("key")
        .clone();
    let start = body.find(':').expect("colon") + 1;
    let end = body.rfind(",\"sign\":").expect("sign");
    assert!(body.starts_with(&format!("{{\"{key}\":")));
    assert!(Verifier::from_pem(ALIPAY_PUB).verify(
        &body.as_bytes()[start..end],
        whole["sign"].as_str().expect("sign")
    ));
    let method = p
        .get("method")
        .map(|m| m.replace('.', "_"))
        .unwrap_or_default();
    if METHODS.iter().any(|m| m.replace('.', "_") == method) {
        assert_eq!(key, format!("{method}_response"));
    }
    whole[&key].clone()
}

async fn send(fake: &FakeAlipay, p: &BTreeMap<String, String>) -> Value {
    send_split(fake, p, &[]).await
}

fn sub_code(v: &Value) -> &str {
    v["sub_code"].as_str().unwrap_or("")
}

#[tokio::test]
async fn calls_are_accepted_only_when_signed_by_the_app_fresh_and_well_formed() {
    let fake = start().await;
    let first = send(&fake, &precreate("GP1_1", "20.00")).await;
    assert_eq!(
        (first["code"].as_str(), first["msg"].as_str()),
        (Some("10000"), Some("Success"))
    );
    let qr = first["qr_code"].as_str().expect("qr_code");
    assert!(qr.starts_with("https://qr.alipay.com/"));
    // Again, even with the common parameters in the query string: the same code.
    let common = [
        "app_id",
        "method",
        "format",
        "charset",
        "sign_type",
        "timestamp",
        "version",
        "sign",
    ];
    assert_eq!(
        send_split(&fake, &precreate("GP1_1", "20"), &common).await,
        first
    );

    let mut tampered = precreate("GP1_1", "20.00");
    tampered.insert(
        "biz_content".into(),
        json!({ "out_trade_no": "GP1_1", "total_amount": "0.01", "subject": "毕业照" }).to_string(),
    );
    let tampered = send(&fake, &tampered).await;
    assert_eq!(
        (tampered["code"].as_str(), sub_code(&tampered)),
        (Some("40002"), "isv.invalid-signature")
    );
    assert!(
        tampered["sub_msg"]
            .as_str()
            .is_some_and(|m| m.contains("app_id=2021000000000001&biz_content="))
    );

    let biz = || json!({ "out_trade_no": "GP1_1" });
    let query = "alipay.trade.query";
    let at = |minutes: i64| {
        (chrono::Utc::now().with_timezone(&china()) - chrono::Duration::minutes(minutes))
            .format("%Y-%m-%d %H:%M:%S")
            .to_string()
    };
    let cases: Vec<(BTreeMap<String, String>, &str)> = vec![
        (
            signed(query, biz(), ALIPAY_KEY, |_| {}),
            "isv.invalid-signature",
        ),
        (
            signed(query, biz(), APP_KEY, |p| {
                p.insert("sign_type".into(), "RSA".into());
            }),
            "isv.invalid-signature-type",
        ),
        (
            signed(query, biz(), APP_KEY, |p| {
                p.insert("app_id".into(), "2021000000000002".into());
            }),
            "isv.invalid-app-id",
        ),
        (
            signed(query, biz(), APP_KEY, |p| {
                p.insert("timestamp".into(), at(16));
            }),
            "isv.invalid-timestamp",
        ),
        (
            signed(query, biz(), APP_KEY, |p| {
                p.insert("timestamp".into(), at(-16));
            }),
            "isv.invalid-timestamp",
        ),
        (
            signed(query, biz(), APP_KEY, |p| {
                p.insert("timestamp".into(), "2026/01/01 10:00".into());
            }),
            "isv.invalid-timestamp",
        ),
        (
            signed(query, biz(), APP_KEY, |p| {
                p.insert("charset".into(), "GBK".into());
            }),
            "isv.invalid-charset",
        ),
        (
            signed(query, biz(), APP_KEY, |p| {
                p.remove("version");
            }),
            "isv.missing-version",
        ),
        (
            signed("alipay.trade.pay", biz(), APP_KEY, |_| {}),
            "isv.invalid-method",
        ),
        (
            signed(query, json!("GP1_1"), APP_KEY, |_| {}),
            "isv.invalid-parameter",
        ),
        (
            signed(query, json!({ "out_trade_no": "GP9_9" }), APP_KEY, |_| {}),
            "ACQ.TRADE_NOT_EXIST",
        ),
        (precreate("GP1_1", "20.01"), "ACQ.CONTEXT_INCONSISTENT"),
        (precreate("GP1-2", "20.00"), "ACQ.INVALID_PARAMETER"),
        (precreate("GP1_2", "20.001"), "ACQ.INVALID_PARAMETER"),
        (precreate("GP1_2", "0.00"), "ACQ.INVALID_PARAMETER"),
    ];
    for (p, want) in &cases {
        assert_eq!(sub_code(&send(&fake, p).await), *want, "{p:?}");
    }
    let mut unsigned = precreate("GP1_2", "20.00");
    unsigned.remove("sign");
    let unsigned = send(&fake, &unsigned).await;
    assert_eq!(
        (unsigned["code"].as_str(), sub_code(&unsigned)),
        (Some("40001"), "isv.missing-signature")
    );
    // Only the signature in the query string, the rest in the body: accepted.
    assert_eq!(
        sub_code(&send_split(&fake, &precreate("GP1_2", "20.00"), &["sign"]).await),
        ""
    );
    // A parameter both in the query string and in the body: ambiguous, refused.
    let mut twice = precreate("GP1_3", "20.00");
    twice.insert("app_id".into(), APP_ID.into());
    let query_too = form_urlencoded::Serializer::new(String::new())
        .append_pair("app_id", APP_ID)
        .finish();
    let answer = crate::fakes::notifier()
        .post(format!("{}?{query_too}", fake.url))
        .form(&twice)
        .send()
        .await
        .expect("send")
        .text()
        .await
        .expect("body");
    assert!(answer.contains("isv.invalid-parameter"), "{answer}");
    // Fourteen minutes off is within the window.
    let fine = signed(query, biz(), APP_KEY, |p| {
        p.insert("timestamp".into(), at(14));
    });
    assert_eq!(send(&fake, &fine).await["trade_status"], "WAIT_BUYER_PAY");

    let mut want: Vec<&str> = vec!["isv.invalid-signature"];
    want.extend(cases.iter().map(|(_, c)| *c));
    want.extend(["isv.missing-signature", "isv.invalid-parameter"]);
    assert_eq!(fake.refused(), want);
    let trades = fake.trades();
    assert_eq!(
        trades
            .iter()
            .map(|t| t.out_trade_no.as_str())
            .collect::<Vec<_>>(),
        ["GP1_1", "GP1_2"]
    );
    assert_eq!(
        (trades[0].total_amount.as_str(), trades[0].qr_code.as_str()),
        ("20.00", qr)
    );
}

#[tokio::test]
async fn payments_notify_and_refunds_are_bounded_and_idempotent() {
    type Seen = Arc<Mutex<Vec<BTreeMap<String, String>>>>;
    let seen = Seen::default();
    let receiver =
        axum::Router::new()
            .route(
                "/notify",
                axum::routing::post(
                    |State(seen): State<Seen>,
                     axum::Form(f): axum::Form<BTreeMap<String, String>>| async move {
                        seen.lock().expect("lock").push(f);
                        "success"
                    },
                ),
            )
            .with_state(seen.clone());
    let notify_url = format!("{}/notify", crate::fakes::serve(receiver).await);
    let fake = start().await;
    let biz = json!({ "out_trade_no": "GP2_1", "total_amount": "20.00", "subject": "毕业照" });
    let p = signed("alipay.trade.precreate", biz, APP_KEY, |p| {
        p.insert("notify_url".into(), notify_url.clone());
    });
    assert_eq!(send(&fake, &p).await["code"], "10000");
    let refund = |no: &str, amount: &str| {
        let biz = json!({ "out_trade_no": "GP2_1", "refund_amount": amount, "out_request_no": no });
        signed("alipay.trade.refund", biz, APP_KEY, |_| {})
    };
    let query = || {
        signed(
            "alipay.trade.query",
            json!({ "out_trade_no": "GP2_1" }),
            APP_KEY,
            |_| {},
        )
    };
    assert_eq!(
        sub_code(&send(&fake, &refund("R1", "5.00")).await),
        "ACQ.TRADE_STATUS_ERROR"
    );

    assert_eq!(fake.pay("GP2_1").await, (200, "success".to_string()));
    let n = seen.lock().expect("lock").pop().expect("notified");
    let alipay = Verifier::from_pem(ALIPAY_PUB);
    assert!(alipay.verify(content(&n, true).as_bytes(), &n["sign"]));
    assert!(
        !alipay.verify(content(&n, false).as_bytes(), &n["sign"]),
        "sign_type is not signed"
    );
    assert_eq!(
        (n["trade_status"].as_str(), n["total_amount"].as_str()),
        ("TRADE_SUCCESS", "20.00")
    );
    assert_eq!(
        (
            n["app_id"].as_str(),
            n["seller_id"].as_str(),
            n["sign_type"].as_str()
        ),
        (APP_ID, SELLER_ID, "RSA2")
    );
    // Paying again repeats the notification, as Alipay retries one not answered `success`.
    assert_eq!(fake.pay("GP2_1").await.0, 200);
    let repeat = seen.lock().expect("lock").pop().expect("notified again");
    assert_eq!(repeat["trade_no"], n["trade_no"]);
    let t = send(&fake, &query()).await;
    assert_eq!(
        (t["trade_status"].as_str(), t["trade_no"].as_str()),
        (Some("TRADE_SUCCESS"), Some(n["trade_no"].as_str()))
    );
    assert_eq!(sub_code(&send(&fake, &p).await), "ACQ.TRADE_HAS_SUCCESS");

    let r1 = send(&fake, &refund("R1", "5.00")).await;
    assert_eq!(
        (r1["fund_change"].as_str(), r1["refund_fee"].as_str()),
        (Some("Y"), Some("5.00")),
        "{r1}"
    );
    let again = send(&fake, &refund("R1", "5.00")).await;
    assert_eq!(again["fund_change"], "N");
    assert_eq!(again["gmt_refund_pay"], r1["gmt_refund_pay"]);
    assert_eq!(
        sub_code(&send(&fake, &refund("R1", "6.00")).await),
        "ACQ.CONTEXT_INCONSISTENT"
    );
    assert_eq!(
        sub_code(&send(&fake, &refund("R2", "15.01")).await),
        "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL"
    );
    assert_eq!(
        send(&fake, &refund("R2", "15.00")).await["refund_fee"],
        "20.00"
    );
    assert_eq!(send(&fake, &query()).await["trade_status"], "TRADE_CLOSED");
    assert_eq!(send(&fake, &refund("R1", "5.00")).await["fund_change"], "N");
    let refunds = fake.refunds();
    assert_eq!(
        refunds
            .iter()
            .map(|r| r.refund_amount.as_str())
            .collect::<Vec<_>>(),
        ["5.00", "15.00"]
    );

    // Built but not sent, for a test to alter or replay.
    let forged: BTreeMap<String, String> = fake
        .notification("GP2_1", "TRADE_SUCCESS", "0.01")
        .into_iter()
        .collect();
    assert!(alipay.verify(content(&forged, true).as_bytes(), &forged["sign"]));
    let mut altered = forged.clone();
    altered.insert("total_amount".into(), "20.00".into());
    assert!(!alipay.verify(content(&altered, true).as_bytes(), &altered["sign"]));
}
