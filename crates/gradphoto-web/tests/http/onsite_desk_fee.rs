//! The fee paid at the desk (seed 001: 现场交费，只接受电子支付), on both backends: the
//! desk offers WeChat Pay and Alipay codes for a number just given; the photographer may
//! shoot, but the student's confirmation is refused until the fee is paid; the sandbox
//! payer pays it through the providers' own notification; the confirmed photo then goes
//! to the registry; the fee is credited once however often it is paid or asked for; the
//! department's settlement never charges it again; the reconciliation names the order.

use gradphoto_testkit::{Client, TestApp, backends};
use reqwest::multipart::{Form, Part};

use crate::onsite_support::{confirm_on_screen, fresh_codes, post, today_queue};
use crate::support::{self, PW, attr, location};

async fn post_photo(c: &Client, path: &str, number: i64, photo: Vec<u8>) -> u16 {
    let form = Form::new()
        .text("csrf", c.csrf().await)
        .text("number", number.to_string())
        .text("background", "blue")
        .part("photo", Part::bytes(photo).file_name("shot.jpg"));
    c.http
        .post(format!("{}{path}", c.base))
        .multipart(form)
        .send()
        .await
        .expect("POST")
        .status()
        .as_u16()
}

#[tokio::test]
async fn the_fee_is_paid_at_the_desk_before_the_student_confirms() {
    let Some(dev) = gradphoto_testkit::photos_dev_dir() else {
        eprintln!("SKIPPED: the labelled DEV photos (../shared/photos/dev) are absent");
        return;
    };
    let portrait = std::fs::read(dev.join("raw/A000369_raw.jpg")).expect("DEV portrait");
    for backend in backends() {
        let t = TestApp::spawn_on(backend, |c| c.payments.mode = "sandbox".into()).await;
        let d = support::seed(&t).await;
        t.drain_jobs().await;
        // The demo's first campaign is seed 001's: electronic payment at the desk.
        let modes = t.app.db.get_campaign(d.c1).await.expect("c1").modes_json;
        assert!(modes.contains("\"fee_at_desk\":true"), "{modes}");
        let q = today_queue(&t, &d).await;
        let ph = t.login("photographer", PW).await;

        // A student is numbered: the desk shows the fee unpaid with both ways to pay.
        let (student, code) = fresh_codes(&t, &d, &mut 0, 1).await.remove(0);
        let checkin_url = format!("/onsite/queues/{q}/checkin");
        let (status, body) = post(&ph, &checkin_url, &[("code", &code)]).await;
        assert_eq!(status, 200, "{body}");
        assert!(
            body.contains("id=\"fee-state\"")
                && body.contains("id=\"fee-pay-wechat\"")
                && body.contains("id=\"fee-pay-alipay\"")
                && body.contains("¥20.00"),
            "{body}"
        );
        let one = t
            .app
            .db
            .onsite_queue_checkins(q)
            .await
            .expect("q")
            .into_iter()
            .find(|c| c.student_id == student.id)
            .expect("numbered");
        assert!(t.app.db.desk_order(one.id).await.expect("q").is_none());

        // The photographer shoots; the station says the fee is unpaid.
        let station = format!("/onsite/queues/{q}/station");
        assert_eq!(
            ph.post_form(&format!("{station}/call"), &[]).await.status(),
            303
        );
        assert_eq!(
            post_photo(
                &ph,
                &format!("{station}/photo"),
                one.number,
                portrait.clone()
            )
            .await,
            303
        );
        let (_, body) = ph.get_text(&station).await;
        assert!(body.contains("id=\"current-fee\""), "{body}");
        let photo = t
            .app
            .db
            .station_current(q)
            .await
            .expect("q")
            .and_then(|c| c.photo_id)
            .expect("bound");

        // The student cannot confirm yet: the screen says why and offers no button; a
        // confirmation sent anyway is refused and nothing goes to the registry.
        let confirm = format!("/onsite/queues/{q}/confirm");
        let (_, body) = ph.get_text(&confirm).await;
        assert!(
            body.contains("id=\"confirm-unpaid\"") && !body.contains("id=\"confirm-photo-button\""),
            "{body}"
        );
        let (status, body) = post(
            &ph,
            &confirm,
            &[
                ("number", &one.number.to_string()),
                ("photo", &photo.to_string()),
            ],
        )
        .await;
        assert_eq!(status, 409, "{body}");
        assert!(
            body.contains("尚未支付") || body.contains("not paid"),
            "{body}"
        );
        let still = t.app.db.onsite_checkin(one.id).await.expect("q");
        assert_eq!(still.stage, "photographed");
        assert!(!t.app.db.is_collected(d.c1, student.id).await.expect("q"));

        // Someone of another university cannot take this number's fee.
        let other = t.login("uni2-admin", PW).await;
        let pay = format!("/onsite/checkins/{}/fee/pay", one.id);
        let (status, _) = post(&other, &pay, &[("method", "wechat")]).await;
        assert_eq!(status, 403);
        assert!(t.app.db.desk_order(one.id).await.expect("q").is_none());

        // Alipay first: the payer gives up, and the page says the code is closed and
        // offers a new one instead of waiting for ever.
        let r = ph.post_form(&pay, &[("method", "alipay")]).await;
        assert_eq!(r.status(), 303);
        let closed_page = location(&r);
        let (_, page) = ph.get_text(&closed_page).await;
        let sandbox = attr(&page, "sandbox-open", "href");
        let path = &sandbox[sandbox.find("/sandbox/").expect("a sandbox path")..];
        let (_, payer_page) = t.client().get_text(path).await;
        assert!(
            !payer_page.contains("id=\"sandbox-back\""),
            "no way back to a student's page for a desk fee: {payer_page}"
        );
        assert_eq!(
            t.client()
                .post_form(path, &[("action", "cancel")])
                .await
                .status(),
            303
        );
        let (_, page) = ph.get_text(&closed_page).await;
        assert!(
            page.contains("id=\"fee-closed\"")
                && page.contains("id=\"fee-pay-wechat\"")
                && !page.contains("http-equiv=\"refresh\""),
            "{page}"
        );
        // Nobody of another university sees the fee page or asks about it.
        assert_eq!(other.get_text(&closed_page).await.0, 403);
        let (status, _) = post(
            &other,
            &format!("/onsite/checkins/{}/fee/check", one.id),
            &[],
        )
        .await;
        assert_eq!(status, 403);

        // WeChat Pay at the desk: the code to scan, the same one when asked again.
        let r = ph.post_form(&pay, &[("method", "wechat")]).await;
        assert_eq!(r.status(), 303);
        let fee_page = location(&r);
        assert!(
            fee_page.starts_with(&format!("/onsite/checkins/{}/fee/GD", one.id)),
            "{fee_page}"
        );
        let r = ph.post_form(&pay, &[("method", "wechat")]).await;
        assert_eq!(location(&r), fee_page, "the same attempt while it is fresh");
        let (status, page) = ph.get_text(&fee_page).await;
        assert_eq!(status, 200, "{page}");
        assert!(
            page.contains("id=\"fee-qr\"")
                && page.contains("<svg")
                && page.contains("http-equiv=\"refresh\"")
                && page.contains(&format!("id=\"fee-number\">{}<", one.number)),
            "{page}"
        );
        assert_eq!(attr(&page, "desk-fee", "data-method"), "wechat");
        let order = t
            .app
            .db
            .desk_order(one.id)
            .await
            .expect("q")
            .expect("an order for the number");
        assert_eq!(
            fee_page,
            format!("/onsite/checkins/{}/fee/{}_2", one.id, order.code)
        );
        assert_eq!(
            (order.total_fen, order.status.as_str(), order.entry_id),
            (2000, "pending", None)
        );

        // The payer pays in the sandbox: WeChat Pay's signed, encrypted notification
        // marks it paid; paying again credits nothing more.
        let sandbox = attr(&page, "sandbox-open", "href");
        let path = &sandbox[sandbox.find("/sandbox/").expect("a sandbox path")..];
        let payer = t.client();
        assert_eq!(
            payer.post_form(path, &[("action", "pay")]).await.status(),
            303
        );
        assert_eq!(
            payer.post_form(path, &[("action", "pay")]).await.status(),
            303
        );
        let order = t.app.db.get_order(order.id).await.expect("q");
        assert_eq!(order.status, "paid");
        let ledger = gradphoto_db::testing::ledger_events(&t.app.db, order.id).await;
        assert_eq!(
            ledger.iter().filter(|e| *e == "payment.confirmed").count(),
            1,
            "{ledger:?}"
        );
        let (_, page) = ph.get_text(&fee_page).await;
        assert!(
            page.contains("id=\"fee-paid\"") && !page.contains("http-equiv=\"refresh\""),
            "{page}"
        );
        // Asking the provider (the sandbox has nobody to ask) and paying again change
        // nothing; a paid fee is not paid twice.
        let r = ph
            .post_form(
                &format!("/onsite/checkins/{}/fee/check", one.id),
                &[("no", fee_page.rsplit('/').next().unwrap_or_default())],
            )
            .await;
        assert_eq!(location(&r), fee_page);
        let (status, body) = post(&ph, &pay, &[("method", "alipay")]).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(
            t.app.db.order_payments(order.id).await.expect("q").len(),
            2,
            "the closed Alipay attempt and the paid WeChat Pay one, nothing more"
        );

        // A rescan at the desk says the fee is paid; the student confirms; the photo
        // goes to the registry for exactly this number's code.
        let (_, body) = post(&ph, &checkin_url, &[("code", &code)]).await;
        assert!(
            body.contains("id=\"fee-state\"") && !body.contains("id=\"fee-pay-wechat\""),
            "{body}"
        );
        let (_, body) = ph.get_text(&confirm).await;
        assert!(body.contains("id=\"confirm-photo-button\""), "{body}");
        let body = confirm_on_screen(&ph, q, one.number, photo).await;
        assert!(body.contains("id=\"confirm-done\""), "{body}");
        t.drain_jobs().await;
        let row = t.app.db.onsite_checkin(one.id).await.expect("q");
        let outbox = t
            .app
            .db
            .outbox(row.outbox_id.expect("handed over"))
            .await
            .expect("outbox");
        assert_eq!(outbox.code.trim(), code.trim());
        assert!(t.app.db.is_collected(d.c1, student.id).await.expect("q"));

        // The agency's fees page: paid at the desk, nothing to settle for this student;
        // the reconciliation names the order.
        let agency = t.login("agency", PW).await;
        let fees = format!("/campaigns/{}/fees", d.c1);
        let (status, body) = agency.get_text(&fees).await;
        assert_eq!(status, 200, "{body}");
        let dept = student.department_id;
        assert!(
            body.contains("class=\"desk-paid\">1<") && body.contains(&order.code),
            "{body}"
        );
        assert!(
            !body.contains(&format!("id=\"settle-{dept}\"")),
            "nothing left to settle: {body}"
        );
        let (status, _) = post(
            &agency,
            &format!("{fees}/{dept}"),
            &[("checkins", &one.id.to_string())],
        )
        .await;
        assert_eq!(status, 409, "a fee paid at the desk is not settled again");
        assert!(
            t.app
                .db
                .campaign_settlements(d.c1)
                .await
                .expect("q")
                .is_empty()
        );
        // The agency's order list shows the fee with its number.
        let (_, list) = agency.get_text("/orders").await;
        assert!(
            list.contains(&format!("id=\"desk-order-{}\"", order.code)),
            "{list}"
        );
        let x = agency.get(&format!("{fees}.xlsx")).await;
        assert_eq!(x.status(), 200);
        let bytes = x.bytes().await.expect("xlsx");
        let grid = gradphoto_sheets::read_grid(&bytes, &gradphoto_sheets::Limits::default())
            .expect("the reconciliation");
        let col = grid[0]
            .iter()
            .position(|h| h.contains("现场电子支付") || h.contains("Paid at the desk"))
            .expect("a column for fees paid at the desk");
        let row = grid
            .iter()
            .find(|r| r.get(col).is_some_and(|v| v == "20.00"))
            .unwrap_or_else(|| panic!("a department paid 20.00 at the desk: {grid:?}"));
        assert_eq!(row.last().map(String::as_str), Some("0.00"), "{grid:?}");
    }
}
