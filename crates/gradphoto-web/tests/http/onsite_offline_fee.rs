//! The fee paid at the desk (seed 001) at an offline site, on both backends. A station
//! cannot take an electronic payment with no network, and the student's on-the-spot
//! confirmation (务必当场核对确认) is not held back for it: the station's desk says so,
//! the confirmed photo goes to the registry after the push, and the fee stays owed on the
//! server — the desk can still show the payment code for that number, and the agency sees
//! it among what the department has to settle, and settles it.

use gradphoto_domain::onsite_offline::{Pack, PushOutcome};
use gradphoto_station::{Shot, Station};
use gradphoto_testkit::{TestApp, backends};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::onsite_offline::{engine, push};
use crate::onsite_support::{fresh_codes, post, today_queues};
use crate::support::{self, PW, location};

#[tokio::test]
async fn a_fee_owed_at_the_desk_stays_owed_after_an_offline_confirmation() {
    let Some(dev) = gradphoto_testkit::photos_dev_dir() else {
        eprintln!("SKIPPED: the labelled DEV photos (../shared/photos/dev) are absent");
        return;
    };
    let portrait = std::fs::read(dev.join("raw/A000369_raw.jpg")).expect("DEV portrait");
    for backend in backends() {
        let t = TestApp::spawn_on(backend, |c| c.payments.mode = "sandbox".into()).await;
        let d = support::seed(&t).await;
        t.drain_jobs().await;
        let fee_fen = t.app.db.get_campaign(d.c1).await.expect("c1").fee_fen;
        let a = today_queues(&t, &d).await[0].id;
        let token = support::token(&t, "photographer").await;
        let (student, code) = fresh_codes(&t, &d, &mut 0, 1).await.remove(0);

        // The pack says what each number owes at the desk.
        let dir = tempfile::tempdir().expect("dir");
        let station = Station::open(&dir.path().join("station.sqlite"), engine())
            .await
            .expect("open");
        let store = station.store_id().await.expect("store");
        let (status, body) = support::api(
            &t,
            &token,
            Method::POST,
            &format!("/onsite/queues/{a}/offline"),
            Some(json!({ "station": "laptop-105", "store": store })),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let pack: Pack = serde_json::from_str(&body).expect("pack");
        assert!(fee_fen > 0);
        assert_eq!(pack.fee_at_desk_fen, Some(fee_fen));
        station.store_pack(&t.url, &pack).await.expect("store");

        // Offline: numbered, photographed and confirmed; the desk is told the fee cannot
        // be taken now and stays owed.
        let c = station.check_in(&code, "desk").await.expect("check in");
        assert_eq!(c.row.number, 1);
        let (site, base) = serve_station(station.clone()).await;
        let page = site
            .get(format!("{base}/?key=k"))
            .send()
            .await
            .expect("desk")
            .text()
            .await
            .expect("body");
        assert!(
            page.contains("id=\"offline-fee\"") && page.contains("¥20.00"),
            "{page}"
        );
        assert_eq!(station.call_next().await.expect("call").number, 1);
        let Shot::Bound(p) = station
            .take_photo(1, portrait.clone(), "blue", "upload", "p")
            .await
            .expect("photo")
        else {
            panic!("the DEV portrait is refused");
        };
        station.confirm(1, p.id).await.expect("confirmed offline");

        // The push hands the photo over for its own code; the fee has no order yet.
        assert_eq!(push(&t, &token, a, &station).await, [PushOutcome::Recorded]);
        t.drain_jobs().await;
        let row = t.app.db.onsite_queue_checkins(a).await.expect("rows")[0].clone();
        assert_eq!(
            (row.student_id, row.stage.as_str()),
            (student.id, "confirmed")
        );
        let sent = t
            .app
            .db
            .outbox(row.outbox_id.expect("handed over"))
            .await
            .expect("outbox");
        assert_eq!(sent.code.trim(), code.trim());
        assert!(t.app.db.desk_order(row.id).await.expect("q").is_none());

        // Back online, the desk can still show the student the code to pay.
        let ph = t.login("photographer", PW).await;
        let pay = format!("/onsite/checkins/{}/fee/pay", row.id);
        let r = ph.post_form(&pay, &[("method", "wechat")]).await;
        assert_eq!(r.status(), 303);
        let fee_page = location(&r);
        let (status, page) = ph.get_text(&fee_page).await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("id=\"fee-qr\""), "{page}");
        let order = t
            .app
            .db
            .desk_order(row.id)
            .await
            .expect("q")
            .expect("an order for the number");
        assert_eq!(
            (order.total_fen, order.status.as_str()),
            (fee_fen, "pending")
        );

        // The student has gone: the agency sees the fee among what the department owes
        // and settles it with the department's other students.
        let agency = t.login("agency", PW).await;
        let fees = format!("/campaigns/{}/fees", d.c1);
        let dept = student.department_id;
        let (status, body) = agency.get_text(&fees).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.contains(&format!("id=\"settle-{dept}\"")), "{body}");
        let (status, body) = post(
            &agency,
            &format!("{fees}/{dept}"),
            &[("checkins", &row.id.to_string())],
        )
        .await;
        assert!(status == 303 || status == 200, "{status}: {body}");
        let settled = t.app.db.onsite_checkin(row.id).await.expect("q");
        assert!(settled.settlement_id.is_some(), "settled by the department");
        // Settled, the desk no longer takes it.
        let r = ph.post_form(&pay, &[("method", "wechat")]).await;
        assert_ne!(r.status(), 303, "a settled fee is not paid again");
    }
}

/// The station's pages on a random port, with a client that keeps the site's key.
async fn serve_station(station: Station) -> (reqwest::Client, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(gradphoto_web::offline_site::serve(
        station,
        "k".into(),
        None,
        listener,
    ));
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("client");
    (client, base)
}
