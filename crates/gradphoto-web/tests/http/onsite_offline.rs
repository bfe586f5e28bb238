//! The offline site, on both backends: a station takes a queue with its pack (the
//! server's desks then number nothing on it), checks in, photographs and confirms on its
//! own store with no server in the loop, and pushes back: every number once, photos bound
//! to their own numbers, confirmed ones on their way to the registry for their own codes.
//! Pushing again adds nothing; a code the server had numbered elsewhere meanwhile becomes
//! a conflict that an admin decides (audited); giving the queue back lets the server's
//! desk go on from the station's last number.

use std::sync::{Arc, OnceLock};

use gradphoto_domain::onsite_offline::{Pack, PushAnswer, PushOutcome};
use gradphoto_photo::Engine;
use gradphoto_station::{Shot, Station, StationError};
use gradphoto_testkit::{TestApp, backends};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::onsite_support::{fresh_codes, today_queues};
use crate::support::{self, PW};

pub(crate) fn engine() -> Arc<Engine> {
    static E: OnceLock<Arc<Engine>> = OnceLock::new();
    E.get_or_init(|| Arc::new(Engine::new().expect("embedded models")))
        .clone()
}

fn refusal(e: StationError) -> String {
    match e {
        StationError::Refused(m) => m.code,
        other => panic!("not a refusal: {other}"),
    }
}

pub(crate) async fn push(
    t: &TestApp,
    token: &str,
    queue: i64,
    station: &Station,
) -> Vec<PushOutcome> {
    let pending = station.pending().await.expect("pending");
    let store = station.store_id().await.expect("store");
    let mut out = Vec::new();
    for p in &pending {
        let sent = station.with_images(p).await.expect("images");
        let (status, body) = support::api(
            t,
            token,
            Method::POST,
            &format!("/onsite/queues/{queue}/offline/push"),
            Some(json!({ "station": "laptop-105", "store": store, "checkins": [sent.checkin] })),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let answers: Vec<PushAnswer> =
            serde_json::from_value(support::json(&body)["answers"].clone()).expect("answers");
        assert_eq!(answers.len(), 1);
        assert_eq!(answers[0].reference, p.checkin.reference);
        station.record_answer(p, &answers[0]).await.expect("record");
        out.push(answers[0].outcome);
    }
    out
}

#[tokio::test]
async fn an_offline_station_works_alone_and_pushes_once() {
    let Some(dev) = gradphoto_testkit::photos_dev_dir() else {
        eprintln!("SKIPPED: the labelled DEV photos (../shared/photos/dev) are absent");
        return;
    };
    let portrait = std::fs::read(dev.join("raw/A000369_raw.jpg")).expect("DEV portrait");
    for backend in backends() {
        let t = TestApp::spawn_on(backend, |_| {}).await;
        let d = support::seed(&t).await;
        t.drain_jobs().await;
        let queues = today_queues(&t, &d).await;
        let (a, b) = (queues[0].id, queues[1].id);
        let ph = t.login("photographer", PW).await;
        let token = support::token(&t, "photographer").await;

        // Six students with live codes, none photographed yet.
        let mut skip = 0;
        let students = fresh_codes(&t, &d, &mut skip, 6).await;
        // The last one is numbered at the other queue before the pack is made.
        let r = ph
            .post_form(
                &format!("/onsite/queues/{b}/checkin"),
                &[("code", &students[4].1)],
            )
            .await;
        assert_eq!(r.status(), 200);

        // The station takes queue A; another station cannot (nor another laptop under
        // the same name), and the server's desk numbers nothing on it any more.
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
        assert_eq!((pack.queue.id, pack.queue.last_number), (a, 0));
        assert!(!body.contains(&students[0].0.name), "names are masked");
        let (status, body) = support::api(
            &t,
            &token,
            Method::POST,
            &format!("/onsite/queues/{a}/offline"),
            Some(json!({ "station": "laptop-x", "store": "00112233aabbccdd" })),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert_eq!(support::code(&body), "onsite.queue_held");
        let (status, body) = support::api(
            &t,
            &token,
            Method::POST,
            &format!("/onsite/queues/{a}/offline"),
            Some(json!({ "station": "laptop-105", "store": "00112233aabbccdd" })),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::CONFLICT,
            "same name, another store: {body}"
        );
        let r = ph
            .post_form(
                &format!("/onsite/queues/{a}/checkin"),
                &[("code", &students[0].1)],
            )
            .await;
        assert_eq!(r.status(), 409);
        assert!(r.text().await.unwrap_or_default().contains("laptop-105"));

        // After the pack, student 3 is numbered at queue B too: the station cannot know.
        let r = ph
            .post_form(
                &format!("/onsite/queues/{b}/checkin"),
                &[("code", &students[3].1)],
            )
            .await;
        assert_eq!(r.status(), 200);

        // The station on its own store.
        station.store_pack(&t.url, &pack).await.expect("store");
        let mut numbers = Vec::new();
        for (_, code) in &students[..4] {
            let c = station.check_in(code, "desk").await.expect("check in");
            assert!(c.new);
            numbers.push(c.row.number);
        }
        assert_eq!(numbers, [1, 2, 3, 4]);
        // Number 5's student is photographed online before the station pushes.
        let five = station.check_in(&students[5].1, "desk").await.expect("5");
        assert_eq!(five.row.number, 5);
        t.app
            .db
            .record_collection(d.c1, students[5].0.id, "online")
            .await
            .expect("collected online");
        let again = station
            .check_in(&students[1].1, "desk")
            .await
            .expect("rescan");
        assert_eq!((again.row.number, again.new), (2, false));
        let elsewhere = station.check_in(&students[4].1, "desk").await.unwrap_err();
        assert_eq!(refusal(elsewhere), "checkin.numbered_elsewhere");
        let mut forged = students[0].1.clone();
        let last = forged.pop().expect("char");
        forged.push(if last == 'A' { 'B' } else { 'A' });
        assert!(station.check_in(&forged, "desk").await.is_err(), "forged");
        assert_eq!(
            refusal(station.check_in("  ", "desk").await.unwrap_err()),
            "checkin.no_code"
        );

        // Number 1 photographed and confirmed; 2 photographed, not yet confirmed; 3 waits;
        // 4 photographed and confirmed (its code has a number at B on the server).
        assert_eq!(station.call_next().await.expect("call").number, 1);
        assert_eq!(
            refusal(
                station
                    .take_photo(2, portrait.clone(), "blue", "upload", "p")
                    .await
                    .unwrap_err()
            ),
            "station.not_current"
        );
        let Shot::Bound(p1) = station
            .take_photo(1, portrait.clone(), "blue", "upload", "p")
            .await
            .expect("photo")
        else {
            panic!("the DEV portrait is refused");
        };
        assert_eq!(
            refusal(station.call_next().await.unwrap_err()),
            "station.busy"
        );
        station.confirm(1, p1.id).await.expect("confirm");
        assert_eq!(
            refusal(
                station
                    .take_photo(1, portrait.clone(), "blue", "upload", "p")
                    .await
                    .unwrap_err()
            ),
            "station.nobody_called"
        );
        assert_eq!(station.call_next().await.expect("call").number, 2);
        let Shot::Bound(p2) = station
            .take_photo(2, portrait.clone(), "blue", "upload", "p")
            .await
            .expect("photo")
        else {
            panic!("refused");
        };
        station.send_to_end(2).await.expect("to the end");
        assert_eq!(station.call_next().await.expect("call").number, 3);
        station.send_to_end(3).await.expect("to the end");
        assert_eq!(station.call_next().await.expect("call").number, 4);
        let Shot::Bound(p4) = station
            .take_photo(4, portrait.clone(), "blue", "upload", "p")
            .await
            .expect("photo")
        else {
            panic!("refused");
        };
        station.confirm(4, p4.id).await.expect("confirm");

        // The push: three recorded, two conflicts (numbered elsewhere, photographed).
        let outcomes = push(&t, &token, a, &station).await;
        assert_eq!(
            outcomes,
            [
                PushOutcome::Recorded,
                PushOutcome::Recorded,
                PushOutcome::Recorded,
                PushOutcome::Conflict,
                PushOutcome::Conflict
            ]
        );
        let conflicts = t.app.db.campaign_conflicts(d.c1).await.expect("c");
        assert_eq!(
            conflicts
                .iter()
                .map(|c| c.reason_code.as_str())
                .collect::<Vec<_>>(),
            ["station.numbered_elsewhere", "checkin.already_photographed"]
        );
        assert!(station.pending().await.expect("pending").is_empty());
        t.drain_jobs().await;
        let rows = t.app.db.onsite_queue_checkins(a).await.expect("rows");
        assert_eq!(rows.iter().map(|r| r.number).collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(rows[0].stage, "confirmed");
        let sent = t
            .app
            .db
            .outbox(rows[0].outbox_id.expect("number 1 handed over"))
            .await
            .expect("outbox");
        assert_eq!(
            sent.code.trim(),
            students[0].1.trim(),
            "number 1's own code"
        );
        assert!(rows[1].photo_id.is_some() && rows[1].stage == "waiting");
        assert!(rows[2].photo_id.is_none() && rows[2].outbox_id.is_none());
        assert!(
            t.app
                .db
                .is_collected(d.c1, students[0].0.id)
                .await
                .expect("q")
        );
        assert!(
            !t.app
                .db
                .is_collected(d.c1, students[1].0.id)
                .await
                .expect("q")
        );
        assert_eq!(t.app.db.onsite_queue(a).await.expect("q").last_number, 5);

        // Pushing everything again (answers lost on the way) adds nothing.
        assert_eq!(station.checkins().await.expect("rows").len(), 5);
        sqlx_reset_pushed(&dir.path().join("station.sqlite")).await;
        let outcomes = push(&t, &token, a, &station).await;
        assert_eq!(
            outcomes,
            [
                PushOutcome::AlreadyHad,
                PushOutcome::AlreadyHad,
                PushOutcome::AlreadyHad,
                PushOutcome::Conflict,
                PushOutcome::Conflict
            ]
        );
        t.drain_jobs().await;
        assert_eq!(
            t.app.db.onsite_queue_checkins(a).await.expect("rows").len(),
            3
        );
        assert_eq!(t.app.db.campaign_conflicts(d.c1).await.expect("c").len(), 2);
        // A record sent again under its reference but changed is not taken.
        sqlx_reset_pushed(&dir.path().join("station.sqlite")).await;
        let first = station.pending().await.expect("pending").remove(0);
        let mut forged = station.with_images(&first).await.expect("images");
        forged.checkin.number = 99;
        let (status, body) = support::api(
            &t,
            &token,
            Method::POST,
            &format!("/onsite/queues/{a}/offline/push"),
            Some(json!({ "station": "laptop-105", "store": store, "checkins": [forged.checkin] })),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(support::code(&body), "station.reference");
        push(&t, &token, a, &station).await;
        let code0 = t.app.db.onsite_queue_checkins(a).await.expect("rows")[0]
            .code_id
            .clone();
        assert_eq!(t.app.db.outbox_for_code(&code0).await.expect("o").len(), 1);

        // Number 2 is confirmed later at the station: only that is pushed.
        // Called again after going to the end, number 2 is retaken before confirming.
        assert_eq!(station.call_next().await.expect("call").number, 5);
        station.send_to_end(5).await.expect("to the end");
        assert_eq!(station.call_next().await.expect("call").number, 2);
        assert_eq!(
            refusal(station.confirm(2, p2.id).await.unwrap_err()),
            "station.no_photo"
        );
        let Shot::Bound(p2) = station
            .take_photo(2, portrait.clone(), "blue", "upload", "p")
            .await
            .expect("photo")
        else {
            panic!("refused");
        };
        station.confirm(2, p2.id).await.expect("confirm");
        assert_eq!(station.pending().await.expect("p").len(), 1);
        assert_eq!(
            push(&t, &token, a, &station).await,
            [PushOutcome::AlreadyHad]
        );
        t.drain_jobs().await;
        let two = &t.app.db.onsite_queue_checkins(a).await.expect("rows")[1];
        assert_eq!(two.stage, "confirmed");
        assert!(two.outbox_id.is_some_and(|o| o > 0));

        // The conflict, for an admin: the student confirmed the station's photo, and the
        // number at B has none, so the station's photo may be used for B's code.
        let admin = t.login("uni1-admin", PW).await;
        let page = format!("/campaigns/{}/onsite/stations", d.c1);
        let (status, body) = admin.get_text(&page).await;
        assert_eq!(status, 200, "{body}");
        let conflict = t
            .app
            .db
            .campaign_conflicts(d.c1)
            .await
            .expect("c")
            .remove(0);
        assert!(
            body.contains(&format!("id=\"conflict-{}-station\"", conflict.id)),
            "{body}"
        );
        assert!(body.contains(&format!("id=\"held-{a}\"")), "{body}");
        let resolve = format!("/onsite/conflicts/{}/resolve", conflict.id);
        let r = ph
            .post_form(&resolve, &[("resolution", "station"), ("note", "x")])
            .await;
        assert_eq!(r.status(), 403, "a photographer does not decide");
        let r = admin
            .post_form(&resolve, &[("resolution", "station"), ("note", "核对证件")])
            .await;
        assert_eq!(r.status(), 303);
        let r = admin
            .post_form(&resolve, &[("resolution", "existing"), ("note", "")])
            .await;
        assert_eq!(r.status(), 409, "decided once");
        t.drain_jobs().await;
        let at_b = t
            .app
            .db
            .onsite_checkin(conflict.existing_checkin_id.expect("B's number"))
            .await
            .expect("row");
        assert_eq!((at_b.queue_id, at_b.stage.as_str()), (b, "confirmed"));
        let sent = t
            .app
            .db
            .outbox(at_b.outbox_id.expect("sent"))
            .await
            .expect("o");
        assert_eq!(
            sent.code.trim(),
            students[3].1.trim(),
            "B's number's own code"
        );
        let audit = t.app.db.list_audit(Some(d.u1), 30).await.expect("audit");
        assert!(audit.iter().any(|x| x.action == "onsite.conflict_resolve"));
        assert!(audit.iter().any(|x| x.action == "onsite.station_hold"));

        // Given back, queue A numbers on the server after the station's last number.
        let (status, body) = support::api(
            &t,
            &token,
            Method::POST,
            &format!("/onsite/queues/{a}/offline/release"),
            Some(json!({ "station": "laptop-105", "store": "00112233aabbccdd" })),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            support::json(&body)["released"],
            Value::Bool(false),
            "not its store"
        );
        let (status, body) = support::api(
            &t,
            &token,
            Method::POST,
            &format!("/onsite/queues/{a}/offline/release"),
            Some(json!({ "station": "laptop-105", "store": store })),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(support::json(&body)["released"], Value::Bool(true));
        let (_, code) = fresh_codes(&t, &d, &mut skip, 1).await.remove(0);
        let r = ph
            .post_form(&format!("/onsite/queues/{a}/checkin"), &[("code", &code)])
            .await;
        let status = r.status();
        assert_eq!(status, 200, "{}", r.text().await.unwrap_or_default());
        let rows = t.app.db.onsite_queue_checkins(a).await.expect("rows");
        assert_eq!(rows.last().expect("row").number, 6, "after the station's 5");

        // The station, not knowing, numbers one more student after the release: its push
        // is a conflict, and an admin gives the student the queue's next number.
        let (late, late_code) = fresh_codes(&t, &d, &mut skip, 1).await.remove(0);
        let at_station = station.check_in(&late_code, "desk").await.expect("offline");
        assert_eq!(at_station.row.number, 6, "the station's own next number");
        assert_eq!(push(&t, &token, a, &station).await, [PushOutcome::Conflict]);
        let lost = t
            .app
            .db
            .campaign_conflicts(d.c1)
            .await
            .expect("c")
            .into_iter()
            .find(|c| c.student_id == Some(late.id))
            .expect("the late conflict");
        assert_eq!(lost.reason_code, "station.not_held");
        let (_, body) = admin.get_text(&page).await;
        assert!(
            body.contains(&format!("id=\"conflict-{}-new-number\"", lost.id)),
            "{body}"
        );
        let r = admin
            .post_form(
                &format!("/onsite/conflicts/{}/resolve", lost.id),
                &[("resolution", "new_number"), ("note", "")],
            )
            .await;
        assert_eq!(r.status(), 303);
        let renumbered = t
            .app
            .db
            .onsite_checkin_of(d.c1, "", late.id)
            .await
            .expect("q")
            .expect("numbered");
        assert_eq!((renumbered.queue_id, renumbered.number), (a, 7));
    }
}

/// Forgets, in the station's store, that anything was pushed: a station whose answers
/// were lost pushes everything again.
async fn sqlx_reset_pushed(path: &std::path::Path) {
    let url = format!("sqlite://{}", path.display());
    let pool = sqlx::SqlitePool::connect(&url).await.expect("open");
    sqlx::query("UPDATE checkins SET pushed_version = 0")
        .execute(&pool)
        .await
        .expect("reset");
    pool.close().await;
}
