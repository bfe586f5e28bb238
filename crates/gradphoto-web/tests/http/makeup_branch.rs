//! At the branch (issue 8), on both backends: a booked student is checked in and numbered
//! at the branch's desk and photographed at its station; the fine service chooses among
//! several shots; an on-site number never confirmed moves to the branch.

use gradphoto_testkit::{TestApp, backends};

use crate::makeup_support::{account_of, branch, open_makeup, today, uncollected};
use crate::onsite_support::post;
use crate::support::{self, PW};

/// At the branch: the booked student's code is numbered in the booked service's queue of
/// the campaign's make-up session for today, the booking marked attended and the fee the
/// service's price; a student without a booking here today is refused, at the branch's desk
/// and at the queue's own desk alike; the make-up is never settled through the department.
#[tokio::test]
async fn a_booked_student_is_numbered_at_the_branch() {
    use gradphoto_db::makeup_bookings::NewBooking;
    for backend in backends() {
        let t = TestApp::spawn_on(backend, |c| c.payments.mode = "sandbox".into()).await;
        let d = support::seed(&t).await;
        t.drain_jobs().await;
        open_makeup(&t, d.c1).await;
        let admin = t.login("agency", PW).await;
        let (beijing, ordinary) = branch(&t, &admin, "北京前门门市部", "北京", "6").await;
        let school = t.app.db.get_university(d.u1).await.expect("u").code;
        let mut skip = 0;
        let mut students = Vec::new();
        for phone in ["13800138501", "13800138502"] {
            let at = uncollected(&t, &d, &mut skip).await;
            let (_, me) = support::verified_student(&t, &d, phone, at).await;
            let id = t.app.pii.decrypt(&me.id_enc).expect("id");
            let code = support::registry_code(&t, &school, &me, &id).await;
            students.push((me, code, phone));
        }
        // The first booked this morning (written here: booking is tested above).
        let (me, code, phone) = &students[0];
        let account = account_of(&t, phone).await;
        let today = today().to_string();
        let booked = t
            .app
            .db
            .book_slot(
                &NewBooking {
                    code: "MBTEST01".into(),
                    campaign_id: d.c1,
                    student_id: me.id,
                    account_id: account.id,
                    service_id: ordinary,
                    day: today.clone(),
                    starts: "09:00".into(),
                    ends: "09:30".into(),
                    price_fen: 5000,
                    order: None,
                },
                6,
            )
            .await
            .expect("db")
            .expect("booked");

        let ph = t.login("photographer", PW).await;
        let (status, body) = ph.get_text(&format!("/branches/{beijing}/desk")).await;
        assert_eq!(status, 200, "{body}");
        assert!(
            body.contains("autofocus") && body.contains(&me.student_no),
            "{body}"
        );
        let checkin = format!("/branches/{beijing}/checkin");
        let (status, body) = post(&ph, &checkin, &[("code", code)]).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("id=\"shooting-number\">1<"), "{body}");
        assert!(body.contains("id=\"booking-code\">MBTEST01<"), "{body}");
        assert!(
            body.contains("¥50.00"),
            "the service's price, not the campaign's fee: {body}"
        );
        let row = t.app.db.booking(booked.id).await.expect("row");
        assert_eq!(row.status, "attended");
        let number = t
            .app
            .db
            .onsite_checkin_of(d.c1, "-", me.id)
            .await
            .expect("q")
            .expect("numbered");
        assert_eq!(
            t.app
                .db
                .booking_of_checkin(number.id)
                .await
                .expect("q")
                .map(|b| b.id),
            Some(booked.id)
        );
        let queue = t.app.db.onsite_queue(number.queue_id).await.expect("queue");
        assert_eq!(queue.name, "普通");
        let session = t
            .app
            .db
            .onsite_session(queue.session_id)
            .await
            .expect("session");
        assert_eq!(
            (session.branch_id, session.day.as_str()),
            (Some(beijing), today.as_str())
        );
        assert!(
            !t.app
                .db
                .campaign_sessions(d.c1)
                .await
                .expect("q")
                .iter()
                .any(|s| s.id == session.id),
            "a branch's day is not an on-site session of the campaign's schedule"
        );
        // A rescan gives the same number; the station of the queue works as on site.
        let (_, body) = post(&ph, &checkin, &[("code", code)]).await;
        assert!(
            body.contains("id=\"shooting-number\">1<") && body.contains("id=\"checkin-again\""),
            "{body}"
        );
        assert_eq!(
            ph.get_text(&format!("/onsite/queues/{}/station", queue.id))
                .await
                .0,
            200
        );

        // Without a booking here today: refused at the branch's desk and at the queue's.
        let (other, other_code, _) = &students[1];
        let (status, body) = post(&ph, &checkin, &[("code", other_code)]).await;
        assert_eq!(status, 422, "{body}");
        assert!(
            body.contains("没有在本网点的补拍预约") || body.contains("no make-up booking"),
            "{body}"
        );
        let (status, _) = post(
            &ph,
            &format!("/onsite/queues/{}/checkin", queue.id),
            &[("code", other_code)],
        )
        .await;
        assert_eq!(status, 422);
        assert!(
            t.app
                .db
                .onsite_checkin_of(d.c1, "-", other.id)
                .await
                .expect("q")
                .is_none()
        );

        // Department staff cannot work a branch's desk.
        let sec = t.login("uni1-sec1", PW).await;
        assert_eq!(post(&sec, &checkin, &[("code", code)]).await.0, 403);
    }
}

/// The fine service at a branch: every shot of the number is kept and the photographer
/// chooses the one the student is shown and confirms; a queue of another service offers
/// no choice.
#[tokio::test]
async fn the_fine_service_chooses_among_several_shots() {
    use gradphoto_db::makeup_bookings::NewBooking;
    use gradphoto_db::onsite_station::NewOnsitePhoto;
    for backend in backends() {
        let t = TestApp::spawn_on(backend, |_| {}).await;
        let d = support::seed(&t).await;
        t.drain_jobs().await;
        open_makeup(&t, d.c1).await;
        let admin = t.login("agency", PW).await;
        let (beijing, _) = branch(&t, &admin, "北京前门门市部", "北京", "6").await;
        let r = admin
            .post_form(
                &format!("/branches/{beijing}/services"),
                &[
                    ("name_zh", "精修"),
                    ("name_en", "Fine"),
                    ("place", "497-2"),
                    ("price_yuan", "100"),
                    ("open_days", "working_days"),
                    ("windows", "09:00-17:00"),
                    ("slot_minutes", "60"),
                    ("slot_capacity", "2"),
                    ("cutoff_minutes", "120"),
                    ("days_ahead", "30"),
                    ("choose_shots", "true"),
                    ("active", "true"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
        let fine = t.app.db.branch_services(beijing).await.expect("services")[1].clone();
        assert_eq!((fine.name_zh.as_str(), fine.choose_shots), ("精修", 1));

        let school = t.app.db.get_university(d.u1).await.expect("u").code;
        let mut skip = 0;
        let at = uncollected(&t, &d, &mut skip).await;
        let phone = "13800138601";
        let (_, me) = support::verified_student(&t, &d, phone, at).await;
        let id = t.app.pii.decrypt(&me.id_enc).expect("id");
        let code = support::registry_code(&t, &school, &me, &id).await;
        let account = account_of(&t, phone).await;
        t.app
            .db
            .book_slot(
                &NewBooking {
                    code: "MBFINE01".into(),
                    campaign_id: d.c1,
                    student_id: me.id,
                    account_id: account.id,
                    service_id: fine.id,
                    day: today().to_string(),
                    starts: "09:00".into(),
                    ends: "10:00".into(),
                    price_fen: 10000,
                    order: None,
                },
                2,
            )
            .await
            .expect("db")
            .expect("booked");
        let ph = t.login("photographer", PW).await;
        let (status, body) = post(
            &ph,
            &format!("/branches/{beijing}/checkin"),
            &[("code", &code)],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let number = t
            .app
            .db
            .onsite_checkin_of(d.c1, "-", me.id)
            .await
            .expect("q")
            .expect("numbered");
        let q = number.queue_id;
        assert_eq!(t.app.db.onsite_queue(q).await.expect("queue").name, "精修");
        assert_eq!(
            ph.post_form(&format!("/onsite/queues/{q}/station/call"), &[])
                .await
                .status(),
            303
        );
        // Three shots (written here: the photo engine is tested on its own).
        let mut shots = Vec::new();
        for n in 0..3 {
            let key = format!("test/shot{n}.jpg");
            let (_, photo) = t
                .app
                .db
                .bind_station_photo(
                    q,
                    number.number,
                    &NewOnsitePhoto {
                        verdict: "accept",
                        reasons_json: "[]",
                        original_key: &key,
                        standard_key: &key,
                        background: "blue",
                        source: "upload",
                        taken_by: "photographer",
                    },
                )
                .await
                .expect("db")
                .expect("bound");
            shots.push(photo.id);
        }
        let (_, body) = ph.get_text(&format!("/onsite/queues/{q}/station")).await;
        assert!(body.contains("id=\"shots\""), "{body}");
        assert!(
            body.contains(&format!("id=\"choose-{}\"", shots[0])),
            "{body}"
        );
        let choose = format!("/onsite/queues/{q}/station/choose");
        let n = number.number.to_string();
        let r = ph
            .post_form(&choose, &[("number", &n), ("photo", &shots[0].to_string())])
            .await;
        assert_eq!(r.status(), 303);
        let row = t.app.db.onsite_checkin(number.id).await.expect("row");
        assert_eq!(row.photo_id, Some(shots[0]));
        let (_, body) = ph.get_text(&format!("/onsite/queues/{q}/confirm")).await;
        assert!(
            body.contains(&format!("name=\"photo\" value=\"{}\"", shots[0])),
            "the chosen one: {body}"
        );
        // A student booked for the ordinary service is not numbered at the fine service's
        // desk (it would charge the wrong price).
        let at = uncollected(&t, &d, &mut skip).await;
        let (_, other) = support::verified_student(&t, &d, "13800138602", at).await;
        let other_id = t.app.pii.decrypt(&other.id_enc).expect("id");
        let other_code = support::registry_code(&t, &school, &other, &other_id).await;
        let other_account = account_of(&t, "13800138602").await;
        let ordinary = t.app.db.branch_services(beijing).await.expect("services")[0].clone();
        t.app
            .db
            .book_slot(
                &NewBooking {
                    code: "MBORD01".into(),
                    campaign_id: d.c1,
                    student_id: other.id,
                    account_id: other_account.id,
                    service_id: ordinary.id,
                    day: today().to_string(),
                    starts: "09:00".into(),
                    ends: "09:30".into(),
                    price_fen: 5000,
                    order: None,
                },
                6,
            )
            .await
            .expect("db")
            .expect("booked");
        let (status, body) = post(
            &ph,
            &format!("/onsite/queues/{q}/checkin"),
            &[("code", &other_code)],
        )
        .await;
        assert_eq!(status, 422, "{body}");
        assert!(body.contains("普通"), "{body}");

        // Another number's photo, or another number: refused.
        let (status, _) = post(&ph, &choose, &[("number", &n), ("photo", "999999")]).await;
        assert_eq!(status, 409);
        let (status, _) = post(
            &ph,
            &choose,
            &[("number", "99"), ("photo", &shots[1].to_string())],
        )
        .await;
        assert_eq!(status, 409);
    }
}

/// A student numbered on the on-site day who left before confirming, and then booked a
/// make-up at a branch: the branch's desk moves the number to its queue (the next number
/// there), marks the booking attended, and the student is photographed there.
#[tokio::test]
async fn an_unconfirmed_onsite_number_moves_to_the_branch() {
    use gradphoto_db::makeup_bookings::NewBooking;
    for backend in backends() {
        let t = TestApp::spawn_on(backend, |_| {}).await;
        let d = support::seed(&t).await;
        t.drain_jobs().await;
        open_makeup(&t, d.c1).await;
        let admin = t.login("agency", PW).await;
        let (beijing, ordinary) = branch(&t, &admin, "北京前门门市部", "北京", "6").await;
        let school = t.app.db.get_university(d.u1).await.expect("u").code;
        let mut skip = 0;
        let at = uncollected(&t, &d, &mut skip).await;
        let phone = "13800138801";
        let (_, me) = support::verified_student(&t, &d, phone, at).await;
        let id = t.app.pii.decrypt(&me.id_enc).expect("id");
        let code = support::registry_code(&t, &school, &me, &id).await;
        // Numbered at today's on-site queue, never photographed.
        let onsite = crate::onsite_support::today_queue(&t, &d).await;
        let ph = t.login("photographer", PW).await;
        let (status, body) = post(
            &ph,
            &format!("/onsite/queues/{onsite}/checkin"),
            &[("code", &code)],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let first = t
            .app
            .db
            .onsite_checkin_of(d.c1, "-", me.id)
            .await
            .expect("q")
            .expect("numbered");
        assert_eq!(first.queue_id, onsite);
        // Booked at the branch and scanned there: moved, numbered 1 in the branch's queue.
        let account = account_of(&t, phone).await;
        let booked = t
            .app
            .db
            .book_slot(
                &NewBooking {
                    code: "MBMOVE01".into(),
                    campaign_id: d.c1,
                    student_id: me.id,
                    account_id: account.id,
                    service_id: ordinary,
                    day: today().to_string(),
                    starts: "09:00".into(),
                    ends: "09:30".into(),
                    price_fen: 5000,
                    order: None,
                },
                6,
            )
            .await
            .expect("db")
            .expect("booked");
        let (status, body) = post(
            &ph,
            &format!("/branches/{beijing}/checkin"),
            &[("code", &code)],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert!(
            body.contains("id=\"shooting-number\">1<") && !body.contains("id=\"checkin-again\""),
            "{body}"
        );
        let moved = t.app.db.onsite_checkin(first.id).await.expect("row");
        assert_ne!(moved.queue_id, onsite);
        assert_eq!((moved.number, moved.stage.as_str()), (1, "waiting"));
        assert_eq!(
            t.app
                .db
                .onsite_queue(moved.queue_id)
                .await
                .expect("q")
                .last_number,
            1
        );
        assert_eq!(
            t.app.db.booking(booked.id).await.expect("b").status,
            "attended"
        );
        assert_eq!(
            t.app
                .db
                .booking_of_checkin(first.id)
                .await
                .expect("q")
                .map(|b| b.id),
            Some(booked.id)
        );
        let audit = t.app.db.list_audit(Some(d.u1), 20).await.expect("audit");
        assert!(audit.iter().any(|a| a.action == "onsite.moved_to_branch"));
        // A rescan answers the same number there.
        let (_, body) = post(
            &ph,
            &format!("/branches/{beijing}/checkin"),
            &[("code", &code)],
        )
        .await;
        assert!(
            body.contains("id=\"shooting-number\">1<") && body.contains("id=\"checkin-again\""),
            "{body}"
        );
    }
}
