//! Paying in the demo's sandbox, on the real router on SQLite and PostgreSQL (labelled DEV
//! photos; skipped when absent): once the order is confirmed the student picks WeChat Pay
//! or Alipay and is shown a QR code (the same one again on return); the sandbox payer,
//! marked as such, pays through the same notification checks as a real provider; the order
//! is paid once, the photo goes to the registry and the student follows it to "accepted
//! by the registry"; a paid order is not paid again and its photo is final. A payer who
//! gives up leaves the order unpaid and a new attempt possible.

use gradphoto_testkit::{Client, TestApp, backends};
use reqwest::multipart::{Form, Part};

use crate::support::{self, attr};

async fn upload(c: &Client, bytes: Vec<u8>) -> reqwest::Response {
    let form = Form::new()
        .part("photo", Part::bytes(bytes).file_name("me.jpg"))
        .text("csrf", c.csrf().await);
    c.http
        .post(format!("{}/student/photo", c.base))
        .multipart(form)
        .send()
        .await
        .expect("POST /student/photo")
}

#[tokio::test]
async fn pay_in_the_sandbox_and_follow_the_photo_to_the_registry() {
    let Some(dev) = gradphoto_testkit::photos_dev_dir() else {
        eprintln!("SKIPPED: the labelled DEV photos (../shared/photos/dev) are absent");
        return;
    };
    let read = |f: &str| std::fs::read(dev.join(f)).expect("DEV photo");
    for backend in backends() {
        let t = TestApp::spawn_on(backend, |c| {
            c.sms.demo_inbox = true;
            c.payments.mode = "sandbox".into();
        })
        .await;
        let d = support::seed(&t).await;
        t.drain_jobs().await;
        let (c, _) = support::verified_student(&t, &d, "13500001111", 0).await;
        assert_eq!(upload(&c, read("raw/A000369_raw.jpg")).await.status(), 303);
        let (_, page) = c.get_text("/student").await;
        assert_eq!(attr(&page, "progress", "data-progress"), "awaiting_payment");
        assert!(!page.contains("id=\"pay-wechat\""), "confirm first: {page}");
        let r = c.post_form("/student/pay", &[("method", "wechat")]).await;
        assert_eq!(r.status(), 422, "no order yet");
        let r = c
            .post_form("/student/order", &[("contact_phone", "13500001111")])
            .await;
        assert_eq!(r.status(), 303);
        let (_, page) = c.get_text("/student").await;
        assert!(page.contains("id=\"pay-wechat\"") && page.contains("id=\"pay-alipay\""));

        // WeChat Pay: a QR code of the sandbox payer's page, shown again on return.
        let (to, page) = support::pay_with(&c, "wechat").await;
        assert!(
            page.contains("id=\"sandbox-notice\"") && page.contains("<svg"),
            "{page}"
        );
        let sandbox = attr(&page, "sandbox-open", "href");
        assert!(sandbox.contains("/sandbox/pay/"), "{sandbox}");
        let (again, _) = support::pay_with(&c, "wechat").await;
        assert_eq!(again, to, "the same attempt while it is fresh");
        let sandbox_path = &sandbox[sandbox.find("/sandbox/").expect("path")..];
        let no = sandbox_path.trim_start_matches("/sandbox/pay/").to_string();

        // Another student cannot see this payment.
        let (other, _) = support::verified_student(&t, &d, "13600002222", 1).await;
        assert_eq!(other.get_text(&to).await.0, 404);

        // The payer gives up: the attempt is closed, the order still unpaid.
        let payer = t.client();
        let (status, page) = payer.get_text(sandbox_path).await;
        assert_eq!(status, 200);
        assert_eq!(attr(&page, "sandbox", "data-state"), "pending");
        let r = payer.post_form(sandbox_path, &[("action", "cancel")]).await;
        assert_eq!(r.status(), 303);
        let (_, page) = payer.get_text(sandbox_path).await;
        assert_eq!(attr(&page, "sandbox", "data-state"), "failed");
        let (_, page) = c.get_text("/student").await;
        assert_eq!(attr(&page, "order-summary", "data-status"), "pending");

        // Alipay this time: a new attempt, paid by the sandbox payer.
        let (to2, page) = support::pay_with(&c, "alipay").await;
        assert_ne!(to2, to);
        assert_eq!(attr(&page, "pay", "data-method"), "alipay");
        let sandbox2 = attr(&page, "sandbox-open", "href");
        let path2 = &sandbox2[sandbox2.find("/sandbox/").expect("path")..];
        let r = payer.post_form(path2, &[("action", "pay")]).await;
        assert_eq!(r.status(), 303);
        let (_, page) = payer.get_text(path2).await;
        assert_eq!(attr(&page, "sandbox", "data-state"), "confirmed");
        // Paying twice credits once.
        let r = payer.post_form(path2, &[("action", "pay")]).await;
        assert_eq!(r.status(), 303);
        let order = t
            .app
            .db
            .payment_by_trade_no(path2.trim_start_matches("/sandbox/pay/"))
            .await
            .expect("db")
            .expect("payment");
        let ledger = gradphoto_db::testing::ledger_events(&t.app.db, order.order_id).await;
        assert_eq!(
            ledger.iter().filter(|e| *e == "payment.confirmed").count(),
            1,
            "{ledger:?}"
        );
        assert_eq!(ledger.iter().filter(|e| *e == "order.paid").count(), 1);
        // The closed WeChat attempt cannot be paid any more.
        let r = payer.post_form(sandbox_path, &[("action", "pay")]).await;
        assert_eq!(r.status(), 409);
        let closed = t
            .app
            .db
            .payment_by_trade_no(&no)
            .await
            .expect("db")
            .expect("row");
        assert_eq!(closed.state, "failed");

        let (_, page) = c.get_text("/student").await;
        assert_eq!(attr(&page, "order-summary", "data-status"), "paid");
        assert!(!page.contains("id=\"pay-wechat\""), "paid: no more buttons");
        assert_eq!(attr(&page, "progress", "data-progress"), "sending");
        let r = c.post_form("/student/pay", &[("method", "wechat")]).await;
        assert_eq!(r.status(), 422, "already paid");

        // The worker sends the standard image to the registry, which accepts it.
        t.drain_jobs().await;
        let (_, page) = c.get_text("/student").await;
        assert_eq!(
            attr(&page, "progress", "data-progress"),
            "accepted",
            "{page}"
        );
        assert_eq!(attr(&page, "progress-accepted", "class"), "done");
        assert!(!page.contains("id=\"photo-submit\""), "the photo is final");
        let r = upload(&c, read("raw/A000369_raw.jpg")).await;
        assert_eq!(r.status(), 422);
        assert!(r.text().await.expect("body").contains("学信网"));
        let order = t.app.db.get_order(order.order_id).await.expect("order");
        let r = c
            .post_form(
                &format!("/student/orders/{}/contact", order.code),
                &[("contact_phone", "13511112222")],
            )
            .await;
        assert_eq!(r.status(), 422, "production started: the order is final");
    }
}

#[tokio::test]
async fn without_a_provider_there_is_no_sandbox_and_no_payment() {
    let t = TestApp::spawn().await;
    assert!(t.app.payments.methods().is_empty());
    let payer = t.client();
    let (status, _) = payer
        .get_text("/sandbox/pay/GP20261204000001ABCDEF_1")
        .await;
    assert_eq!(status, 404);
    let r = payer
        .post_form(
            "/sandbox/pay/GP20261204000001ABCDEF_1",
            &[("action", "pay")],
        )
        .await;
    assert_eq!(r.status(), 404);
    let r = support::raw()
        .post(format!("{}/pay/notify/wechat", t.url))
        .body("{}")
        .send()
        .await
        .expect("notify");
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn a_photo_the_registry_turns_down_is_retaken_and_sent_again() {
    let Some(dev) = gradphoto_testkit::photos_dev_dir() else {
        eprintln!("SKIPPED: the labelled DEV photos (../shared/photos/dev) are absent");
        return;
    };
    let read = |f: &str| std::fs::read(dev.join(f)).expect("DEV photo");
    let t = TestApp::spawn_on(gradphoto_testkit::Backend::Sqlite, |c| {
        c.sms.demo_inbox = true;
        c.payments.mode = "sandbox".into();
    })
    .await;
    let d = support::seed(&t).await;
    t.drain_jobs().await;
    // A kept photo the registry's own check will refuse (no face in it): written directly,
    // as no photo the engine keeps here would be turned down.
    let (c, _) = support::verified_student(&t, &d, "13500001111", 0).await;
    let account = t
        .app
        .db
        .student_account_by_phone("13500001111")
        .await
        .expect("db")
        .expect("account");
    let entry = t
        .app
        .db
        .current_online_entry(account.id)
        .await
        .expect("db")
        .expect("entry");
    t.app
        .blobs
        .put("fixture/no-face.jpg", read("H001042_no_face.jpg").into())
        .await
        .expect("blob");
    t.app
        .db
        .insert_online_photo(&gradphoto_db::online_photos::NewOnlinePhoto {
            entry_id: entry.id,
            status: "checked",
            reasons_json: "[]",
            original_key: "fixture/no-face.jpg",
            standard_key: "fixture/no-face.jpg",
            background: "blue",
        })
        .await
        .expect("photo");
    let r = c
        .post_form("/student/order", &[("contact_phone", "13500001111")])
        .await;
    assert_eq!(r.status(), 303);
    let (_, page) = support::pay_with(&c, "wechat").await;
    let href = attr(&page, "sandbox-open", "href");
    let path = &href[href.find("/sandbox/").expect("path")..];
    assert_eq!(
        t.client()
            .post_form(path, &[("action", "pay")])
            .await
            .status(),
        303
    );
    t.drain_jobs().await;
    let (_, page) = c.get_text("/student").await;
    assert_eq!(
        attr(&page, "progress", "data-progress"),
        "registry_rejected"
    );
    assert_eq!(attr(&page, "progress-accepted", "class"), "bad");
    assert!(page.contains("id=\"photo-submit\""), "a retake is offered");

    // The retake goes to the registry in its place, already paid for.
    assert_eq!(upload(&c, read("raw/A000369_raw.jpg")).await.status(), 303);
    t.drain_jobs().await;
    let (_, page) = c.get_text("/student").await;
    assert_eq!(
        attr(&page, "progress", "data-progress"),
        "accepted",
        "{page}"
    );
    let sent = t
        .app
        .db
        .current_online_photo(entry.id)
        .await
        .expect("db")
        .expect("photo");
    assert!(sent.outbox_id.is_some_and(|id| id > 0));
}
