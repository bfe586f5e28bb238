//! Live payments against local servers that speak WeChat Pay API v3 and Alipay's open
//! platform (testkit fakes, which check our signatures with their own code): the student's
//! order becomes a Native order or a precreated trade; the QR code is the provider's;
//! the provider's signed notification pays the order once (a duplicate credits nothing,
//! an altered one is refused with nothing changed); when no notification comes, the
//! student's "I have paid" and the query job ask the provider; a provider that cannot be
//! reached is said plainly and leaves nothing half-made.

use gradphoto_testkit::fakes::alipay::{self, FakeAlipay};
use gradphoto_testkit::fakes::wechat_pay::{self, FakeWechatPay};
use gradphoto_testkit::{Client, TestApp};

use crate::support;

const KEYS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../gradphoto-pay/testkeys");
const API_V3_KEY: &str = "live-test-apiv3-key-0123456789ab";
const APPID: &str = "wx8888888888888888";
const MCHID: &str = "1230000109";
const ALIPAY_APP: &str = "2021004100000001";
const SELLER: &str = "2088621900000001";

fn pem(name: &str) -> String {
    std::fs::read_to_string(format!("{KEYS}/{name}")).expect("test key")
}

async fn fakes() -> (FakeWechatPay, FakeAlipay) {
    let wx = FakeWechatPay::start(
        wechat_pay::Merchant {
            appid: APPID.into(),
            mchid: MCHID.into(),
            serial_no: "MERCHANT-SERIAL-1".into(),
            public_key_pem: pem("merchant.pub.pem"),
            api_v3_key: API_V3_KEY.as_bytes().to_vec(),
        },
        wechat_pay::Platform {
            serial: "PLATFORM-SERIAL-1".into(),
            private_key_pem: pem("platform.key.pem"),
        },
    )
    .await;
    let ap = FakeAlipay::start(
        alipay::App {
            app_id: ALIPAY_APP.into(),
            seller_id: SELLER.into(),
            app_public_key_pem: pem("alipay_app.pub.pem"),
        },
        &pem("alipay_platform.key.pem"),
    )
    .await;
    (wx, ap)
}

async fn live_app(wechat_endpoint: &str, alipay_gateway: &str) -> TestApp {
    TestApp::spawn_on(gradphoto_testkit::Backend::Sqlite, |c| {
        c.sms.demo_inbox = true;
        c.payments.mode = "live".into();
        c.payments.notify_base_url = format!("http://{}", c.listen);
        c.payments.query_after_minutes = 0;
        let w = &mut c.payments.wechat;
        w.enabled = true;
        w.endpoint = wechat_endpoint.into();
        w.appid = APPID.into();
        w.mchid = MCHID.into();
        w.merchant_serial_no = "MERCHANT-SERIAL-1".into();
        w.merchant_key_file = format!("{KEYS}/merchant.key.pem");
        w.api_v3_key = API_V3_KEY.to_string().into();
        w.platform_serial = "PLATFORM-SERIAL-1".into();
        w.platform_public_key_file = format!("{KEYS}/platform.pub.pem");
        let a = &mut c.payments.alipay;
        a.enabled = true;
        a.gateway = alipay_gateway.into();
        a.app_id = ALIPAY_APP.into();
        a.seller_id = SELLER.into();
        a.app_key_file = format!("{KEYS}/alipay_app.key.pem");
        a.alipay_public_key_file = format!("{KEYS}/alipay_platform.pub.pem");
    })
    .await
}

fn order_status(page: &str) -> String {
    let at = page
        .find("id=\"order-summary\" data-status=\"")
        .expect("an order")
        + "id=\"order-summary\" data-status=\"".len();
    page[at..].split('"').next().unwrap_or_default().to_string()
}

/// Starts a payment: the attempt's number (from the page's address) and the page.
async fn paying(c: &Client, method: &str) -> (String, String) {
    let (to, page) = support::pay_with(c, method).await;
    (to.trim_start_matches("/student/pay/").to_string(), page)
}

#[tokio::test]
async fn wechat_native_and_alipay_precreate_paid_by_notification_or_query() {
    let (wx, ap) = fakes().await;
    let t = live_app(&wx.url, &ap.url).await;
    let d = support::seed(&t).await;
    t.drain_jobs().await;
    let fee = t.app.db.get_campaign(d.c1).await.expect("campaign").fee_fen;

    // WeChat Pay: a Native order for the fee; its code_url is the QR code; shown again.
    let c = support::ordering_student(&t, d.u1, d.c1, "13500001111", 0)
        .await
        .0;
    let (no, page) = paying(&c, "wechat").await;
    assert!(!page.contains("sandbox-notice"), "live: no sandbox");
    let orders = wx.orders();
    assert_eq!(orders.len(), 1, "{:?}", wx.refused());
    assert_eq!(orders[0].out_trade_no, no);
    assert_eq!(orders[0].total, fee);
    assert_eq!(orders[0].notify_url, format!("{}/pay/notify/wechat", t.url));
    assert!(
        orders[0]
            .code_url
            .starts_with("weixin://wxpay/bizpayurl?pr=")
    );
    assert!(page.contains("<svg"), "{page}");
    let (again, _) = paying(&c, "wechat").await;
    assert_eq!(again, no);
    assert_eq!(wx.orders().len(), 1, "not ordered twice");

    // An altered notification is refused and changes nothing.
    let now = chrono::Utc::now().timestamp();
    let (headers, body) = wx.notification(&no, "SUCCESS", fee, now);
    let forged = body.replace("\"ciphertext\":\"", "\"ciphertext\":\"A");
    let mut req = support::raw().post(format!("{}/pay/notify/wechat", t.url));
    for (k, v) in &headers {
        req = req.header(k, v);
    }
    let r = req.body(forged).send().await.expect("notify");
    assert_eq!(r.status(), 400);
    assert!(r.text().await.expect("body").contains("FAIL"));
    let (_, page) = c.get_text("/student").await;
    assert_eq!(order_status(&page), "pending");
    // A stale one too.
    let (headers, body) = wx.notification(&no, "SUCCESS", fee, now - 600);
    let mut req = support::raw().post(format!("{}/pay/notify/wechat", t.url));
    for (k, v) in &headers {
        req = req.header(k, v);
    }
    assert_eq!(req.body(body).send().await.expect("notify").status(), 400);

    // The payer pays: WeChat Pay's notification is answered 2xx and pays the order; the
    // same notification again credits nothing.
    let (status, answer) = wx.pay(&no).await;
    assert!((200..300).contains(&status), "{status} {answer}");
    let (status, _) = wx.pay(&no).await;
    assert!((200..300).contains(&status));
    let (_, page) = c.get_text("/student").await;
    assert_eq!(order_status(&page), "paid");
    let payment = t
        .app
        .db
        .payment_by_trade_no(&no)
        .await
        .expect("db")
        .expect("row");
    let ledger = gradphoto_db::testing::ledger_events(&t.app.db, payment.order_id).await;
    assert_eq!(
        ledger.iter().filter(|e| *e == "payment.confirmed").count(),
        1,
        "{ledger:?}"
    );

    // Alipay, paid without a notification: the student's "I have paid" asks Alipay.
    let c2 = support::ordering_student(&t, d.u1, d.c1, "13600002222", 1)
        .await
        .0;
    let (no2, page) = paying(&c2, "alipay").await;
    let trades = ap.trades();
    assert_eq!(trades.len(), 1, "{:?}", ap.refused());
    assert_eq!(trades[0].out_trade_no, no2);
    assert_eq!(
        trades[0].total_amount,
        gradphoto_domain::payments::Fen(fee).yuan()
    );
    assert!(trades[0].qr_code.starts_with("https://qr.alipay.com/"));
    assert!(page.contains("<svg"));
    let r = c2.post_form("/student/pay/check", &[]).await;
    assert_eq!(r.status(), 303);
    let (_, page) = c2.get_text("/student").await;
    assert_eq!(order_status(&page), "pending", "not paid yet");
    ap.pay_silently(&no2);
    let r = c2.post_form("/student/pay/check", &[]).await;
    assert_eq!(r.status(), 303);
    let (_, page) = c2.get_text("/student").await;
    assert_eq!(order_status(&page), "paid");
    // Alipay's late notification is answered `success` and credits nothing more.
    let (status, answer) = ap.pay(&no2).await;
    assert_eq!((status, answer.as_str()), (200, "success"));
    // An altered one is answered `fail`.
    let mut form = ap.notification(&no2, "TRADE_SUCCESS", "0.01");
    for (k, v) in form.iter_mut() {
        if k == "total_amount" {
            *v = gradphoto_domain::payments::Fen(fee).yuan();
        }
    }
    let r = support::raw()
        .post(format!("{}/pay/notify/alipay", t.url))
        .form(&form)
        .send()
        .await
        .expect("notify");
    assert_eq!(r.status(), 400);
    assert_eq!(r.text().await.expect("body"), "fail");

    // WeChat Pay paid without a notification: the query job finds it.
    let c3 = support::ordering_student(&t, d.u1, d.c1, "13700003333", 2)
        .await
        .0;
    let (no3, _) = paying(&c3, "wechat").await;
    wx.pay_silently(&no3);
    assert_eq!(t.app.query_waiting_payments().await.expect("query"), 1);
    let (_, page) = c3.get_text("/student").await;
    assert_eq!(order_status(&page), "paid");

    // Refunds: only the agency's administrator; each payment once, under its own number,
    // at the provider that took it; asking again changes nothing.
    let staff = |name: &'static str| {
        let t = &t;
        async move {
            let row = t
                .app
                .db
                .find_staff_by_username(name)
                .await
                .expect("db")
                .expect("demo staff");
            gradphoto_app::auth::Staff::from_row(row, None).expect("role")
        }
    };
    let order = |no: String| {
        let t = &t;
        async move {
            let p = t
                .app
                .db
                .payment_by_trade_no(&no)
                .await
                .expect("db")
                .expect("payment");
            t.app.db.get_order(p.order_id).await.expect("order")
        }
    };
    let o1 = order(no.clone()).await;
    let photographer = staff("photographer").await;
    assert!(matches!(
        t.app
            .refund_order(&photographer, &o1.code, "重复支付")
            .await,
        Err(gradphoto_app::AppError::Forbidden(_))
    ));
    let agency = staff("agency").await;
    assert!(matches!(
        t.app.refund_order(&agency, &o1.code, " ").await,
        Err(gradphoto_app::AppError::Invalid(_))
    ));
    let refunds = t
        .app
        .refund_order(&agency, &o1.code, "学生重复支付")
        .await
        .expect("refund");
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0].state, "done");
    assert_eq!(refunds[0].out_refund_no, format!("R{no}"));
    assert_eq!(wx.refunds().len(), 1);
    assert_eq!(wx.refunds()[0].refund, fee);
    let again = t
        .app
        .refund_order(&agency, &o1.code, "学生重复支付")
        .await
        .expect("again");
    assert_eq!(again[0].id, refunds[0].id);
    assert_eq!(wx.refunds().len(), 1, "refunded once");
    assert_eq!(
        order(no.clone()).await.status,
        "pending",
        "no longer covered"
    );
    let ledger = gradphoto_db::testing::ledger_events(&t.app.db, o1.id).await;
    assert_eq!(
        ledger.iter().filter(|e| e.starts_with("refund.")).count(),
        2,
        "{ledger:?}"
    );
    let o2 = order(no2.clone()).await;
    let refunds = t
        .app
        .refund_order(&agency, &o2.code, "学校取消采集")
        .await
        .expect("refund");
    assert_eq!(refunds[0].state, "done");
    assert_eq!(ap.refunds().len(), 1);
    assert_eq!(ap.refunds()[0].out_request_no, format!("R{no2}"));

    assert!(wx.refused().is_empty(), "{:?}", wx.refused());
    assert!(ap.refused().is_empty(), "{:?}", ap.refused());
}

#[tokio::test]
async fn an_unreachable_provider_is_said_plainly_and_leaves_no_open_attempt() {
    // Nothing listens on port 9 of the loopback.
    let t = live_app("http://127.0.0.1:9", "http://127.0.0.1:9/gateway.do").await;
    let d = support::seed(&t).await;
    t.drain_jobs().await;
    let c = support::ordering_student(&t, d.u1, d.c1, "13500001111", 0)
        .await
        .0;
    for method in ["wechat", "alipay"] {
        let r = c.post_form("/student/pay", &[("method", method)]).await;
        assert_eq!(r.status(), 503, "{method}");
        let body = r.text().await.expect("body");
        assert!(body.contains("支付服务暂时不可用"), "{body}");
    }
    let (_, page) = c.get_text("/student").await;
    assert_eq!(order_status(&page), "pending");
    let account = t
        .app
        .db
        .student_account_by_phone("13500001111")
        .await
        .expect("db")
        .expect("account");
    let order = t
        .app
        .db
        .orders_of_account(account.id)
        .await
        .expect("orders")
        .remove(0);
    let attempts = t.app.db.order_payments(order.id).await.expect("payments");
    assert_eq!(attempts.len(), 2);
    assert!(
        attempts.iter().all(|p| p.state == "canceled"),
        "{attempts:?}"
    );
}

#[tokio::test]
async fn live_mode_without_keys_does_not_start() {
    let dir = tempfile::tempdir().expect("dir");
    let mut config = gradphoto_testkit::test_config(dir.path());
    config.payments.mode = "live".into();
    config.payments.notify_base_url = "https://pay.example.edu.cn".into();
    config.payments.wechat.enabled = true;
    let Err(e) = gradphoto_app::App::start(config).await else {
        panic!("started without keys");
    };
    assert!(e.to_string().contains("payments.wechat.appid"), "{e}");
}
