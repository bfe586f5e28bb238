//! WeChat Pay notifications against the real store, on SQLite and PostgreSQL, with the
//! repository's test keys: a genuine notification pays the order; the same one again
//! changes nothing; forged (another key), altered, stale, unknown-serial, wrong-merchant,
//! wrong-amount, wrongly-encrypted and unknown-trade notifications are refused and change
//! nothing; the ledger shows one credit. The same for Alipay's RSA2 notifications.

use gradphoto_app::App;
use gradphoto_app::config::Config;
use std::collections::BTreeMap;

use gradphoto_app::payments::alipay::Alipay;
use gradphoto_app::payments::wechat::WechatPay;
use gradphoto_db::Db;
use gradphoto_pay::alipay::sign_notification;
use gradphoto_pay::keys::{SigningKey, VerifyingKey};
use gradphoto_pay::wechat::{PlatformKeys, SignedHeaders, encrypt_resource, sign_response};

const PLATFORM_KEY: &str = include_str!("../../gradphoto-pay/testkeys/platform.key.pem");
const PLATFORM_PUB: &str = include_str!("../../gradphoto-pay/testkeys/platform.pub.pem");
const OTHER_KEY: &str = include_str!("../../gradphoto-pay/testkeys/merchant.key.pem");
const API_V3_KEY: &[u8; 32] = b"0123456789abcdef0123456789abcdef";
const SERIAL: &str = "PUB_KEY_ID_0001";
const NOW: i64 = 1_800_000_000;

async fn apps() -> Vec<(App, tempfile::TempDir)> {
    let mut out = Vec::new();
    for pg in [false, true] {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut c = Config {
            data_dir: dir.path().to_path_buf(),
            ..Config::default()
        };
        c.security.allow_generated_key = true;
        c.worker.enabled = false;
        if pg {
            let Some(url) = gradphoto_db::testing::fresh_postgres_url().await else {
                eprintln!("PostgreSQL variant skipped: GRADPHOTO_TEST_DATABASE_URL not set");
                continue;
            };
            c.database.url = url;
        }
        out.push((App::start(c).await.expect("start"), dir));
    }
    out
}

/// A pending order of 20 yuan with a payment `GP1-1` of `provider`.
async fn order(db: &Db, provider: &str) -> i64 {
    gradphoto_db::testing::order_fixture(db, "1", provider, "GP1-1").await
}

fn wx() -> WechatPay {
    let mut keys = PlatformKeys::new();
    keys.insert(SERIAL, VerifyingKey::from_pem(PLATFORM_PUB).expect("pub"));
    WechatPay::new("wechat", "wx0001", "1900000001", API_V3_KEY, keys).expect("wx")
}

/// A notification body for a transaction, encrypted with `key`.
fn body(key: &[u8], out_trade_no: &str, total: i64, mchid: &str) -> Vec<u8> {
    let t = serde_json::json!({
        "appid": "wx0001", "mchid": mchid, "out_trade_no": out_trade_no,
        "transaction_id": "4200000001", "trade_type": "NATIVE", "trade_state": "SUCCESS",
        "success_time": "2027-01-15T10:00:00+08:00",
        "amount": { "total": total, "payer_total": total, "currency": "CNY" },
    });
    let r = encrypt_resource(
        key,
        "abcdefghijkl",
        "transaction",
        "transaction",
        t.to_string().as_bytes(),
    )
    .expect("seal");
    serde_json::json!({
        "id": "EV-1", "create_time": "2027-01-15T10:00:01+08:00",
        "event_type": "TRANSACTION.SUCCESS", "resource_type": "encrypt-resource",
        "summary": "支付成功", "resource": r,
    })
    .to_string()
    .into_bytes()
}

struct Signed {
    ts: String,
    nonce: String,
    sig: String,
    serial: String,
}

impl Signed {
    fn new(key: &str, at: i64, body: &[u8]) -> Signed {
        let k = SigningKey::from_pem(key).expect("key");
        Signed {
            ts: at.to_string(),
            nonce: "n-1".into(),
            sig: sign_response(&k, at, "n-1", body).expect("sign"),
            serial: SERIAL.into(),
        }
    }
    fn headers(&self) -> SignedHeaders<'_> {
        SignedHeaders {
            timestamp: &self.ts,
            nonce: &self.nonce,
            signature: &self.sig,
            serial: &self.serial,
        }
    }
}

#[tokio::test]
async fn notifications_pay_once_and_attacks_change_nothing() {
    for (app, _dir) in apps().await {
        let o = order(&app.db, "wechat").await;
        let wx = wx();
        let attempt = |h: &Signed, b: &[u8]| {
            let wx = wx.clone();
            let app = app.clone();
            let (h, b) = (
                Signed {
                    ts: h.ts.clone(),
                    nonce: h.nonce.clone(),
                    sig: h.sig.clone(),
                    serial: h.serial.clone(),
                },
                b.to_vec(),
            );
            async move { app.wechat_notification(&wx, &h.headers(), &b, NOW).await }
        };
        let code =
            |r: Result<bool, gradphoto_app::AppError>| r.expect_err("refused").message().code;

        let good = body(API_V3_KEY, "GP1-1", 2000, "1900000001");
        // Forged: signed by a key that is not WeChat Pay's.
        assert_eq!(
            code(attempt(&Signed::new(OTHER_KEY, NOW, &good), &good).await),
            "pay.signature"
        );
        // Altered after signing.
        let s = Signed::new(PLATFORM_KEY, NOW, &good);
        let mut altered = good.clone();
        let at = altered.len() - 3;
        altered[at] ^= 1;
        assert_eq!(code(attempt(&s, &altered).await), "pay.signature");
        // Stale: signed ten minutes ago, or from the future.
        for t in [NOW - 600, NOW + 600] {
            let old = Signed::new(PLATFORM_KEY, t, &good);
            assert_eq!(code(attempt(&old, &good).await), "pay.stale");
        }
        // An unknown platform serial.
        let mut unknown = Signed::new(PLATFORM_KEY, NOW, &good);
        unknown.serial = "PUB_KEY_ID_9999".into();
        assert_eq!(code(attempt(&unknown, &good).await), "pay.signature");
        // Genuinely signed, but: another merchant, another amount, another APIv3 key,
        // a trade we never made.
        for (b, want) in [
            (
                body(API_V3_KEY, "GP1-1", 2000, "1900000999"),
                "pay.merchant",
            ),
            (
                body(API_V3_KEY, "GP1-1", 1, "1900000001"),
                "payment.amount_mismatch",
            ),
            (
                body(
                    b"fedcba9876543210fedcba9876543210",
                    "GP1-1",
                    2000,
                    "1900000001",
                ),
                "pay.decrypt",
            ),
            (
                body(API_V3_KEY, "GP9-9", 2000, "1900000001"),
                "pay.unknown_trade",
            ),
        ] {
            let s = Signed::new(PLATFORM_KEY, NOW, &b);
            assert_eq!(code(attempt(&s, &b).await), want);
        }
        let order_row = app.db.get_order(o).await.expect("order");
        assert_eq!(
            order_row.status, "pending",
            "nothing above changed the order"
        );
        assert_eq!(app.db.order_ledger(o).await.expect("ledger").len(), 2);

        // The genuine one pays; the same again is acknowledged and changes nothing.
        let s = Signed::new(PLATFORM_KEY, NOW, &good);
        assert!(attempt(&s, &good).await.expect("applied"));
        assert!(!attempt(&s, &good).await.expect("duplicate"));
        let order_row = app.db.get_order(o).await.expect("order");
        assert_eq!(order_row.status, "paid");
        let ledger = gradphoto_db::testing::ledger_events(&app.db, o).await;
        assert_eq!(
            ledger,
            [
                "order.created",
                "payment.created",
                "payment.confirmed",
                "order.paid"
            ]
        );
    }
}

const ALIPAY_KEY: &str = include_str!("../../gradphoto-pay/testkeys/alipay_platform.key.pem");
const ALIPAY_PUB: &str = include_str!("../../gradphoto-pay/testkeys/alipay_platform.pub.pem");
const APP_KEY: &str = include_str!("../../gradphoto-pay/testkeys/alipay_app.key.pem");

fn alipay_form(
    amount: &str,
    app_id: &str,
    seller_id: &str,
    trade: &str,
) -> BTreeMap<String, String> {
    [
        ("notify_time", "2027-01-15 10:00:01"),
        ("notify_type", "trade_status_sync"),
        ("notify_id", "ac05099524730693a8b330c5ecf72da9786"),
        ("charset", "utf-8"),
        ("version", "1.0"),
        ("trade_no", "2027011522001400000000000001"),
        ("out_trade_no", trade),
        ("trade_status", "TRADE_SUCCESS"),
        ("total_amount", amount),
        ("app_id", app_id),
        ("seller_id", seller_id),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn signed(key: &str, mut form: BTreeMap<String, String>) -> BTreeMap<String, String> {
    sign_notification(&SigningKey::from_pem(key).expect("key"), &mut form).expect("sign");
    form
}

#[tokio::test]
async fn alipay_notifications_pay_once_and_attacks_change_nothing() {
    for (app, _dir) in apps().await {
        let o = order(&app.db, "alipay").await;
        let ap = Alipay {
            provider: "alipay".into(),
            app_id: "2021000000000001".into(),
            seller_id: "2088101106499364".into(),
            alipay_key: VerifyingKey::from_pem(ALIPAY_PUB).expect("pub"),
            api: None,
        };
        let code =
            |r: Result<bool, gradphoto_app::AppError>| r.expect_err("refused").message().code;
        let good = || alipay_form("20.00", "2021000000000001", "2088101106499364", "GP1-1");

        // Forged (our own key, not Alipay's), altered after signing, no signature.
        assert_eq!(
            code(app.alipay_notification(&ap, &signed(APP_KEY, good())).await),
            "pay.signature"
        );
        let mut altered = signed(ALIPAY_KEY, good());
        altered.insert("total_amount".into(), "0.01".into());
        assert_eq!(
            code(app.alipay_notification(&ap, &altered).await),
            "pay.signature"
        );
        assert_eq!(
            code(app.alipay_notification(&ap, &good()).await),
            "pay.signature"
        );
        // Genuinely signed, but another app, another seller, another amount, unknown trade.
        for (form, want) in [
            (
                alipay_form("20.00", "2021000000000999", "2088101106499364", "GP1-1"),
                "pay.merchant",
            ),
            (
                alipay_form("20.00", "2021000000000001", "2088000000000000", "GP1-1"),
                "pay.merchant",
            ),
            (
                alipay_form("19.99", "2021000000000001", "2088101106499364", "GP1-1"),
                "payment.amount_mismatch",
            ),
            (
                alipay_form("20.00", "2021000000000001", "2088101106499364", "GP9-9"),
                "pay.unknown_trade",
            ),
        ] {
            assert_eq!(
                code(
                    app.alipay_notification(&ap, &signed(ALIPAY_KEY, form))
                        .await
                ),
                want
            );
        }
        assert_eq!(app.db.get_order(o).await.expect("order").status, "pending");

        let genuine = signed(ALIPAY_KEY, good());
        assert!(
            app.alipay_notification(&ap, &genuine)
                .await
                .expect("applied")
        );
        assert!(
            !app.alipay_notification(&ap, &genuine)
                .await
                .expect("duplicate")
        );
        // A later "closed" for the same trade cannot undo the success.
        let mut closed = good();
        closed.insert("trade_status".into(), "TRADE_CLOSED".into());
        assert!(
            !app.alipay_notification(&ap, &signed(ALIPAY_KEY, closed))
                .await
                .expect("ignored")
        );
        assert_eq!(app.db.get_order(o).await.expect("order").status, "paid");
        let confirmed = app
            .db
            .order_ledger(o)
            .await
            .expect("ledger")
            .iter()
            .filter(|l| l.event == "payment.confirmed")
            .count();
        assert_eq!(confirmed, 1);
    }
}
