//! Make-up appointments over HTTP (issue 8), on both backends: the agency sets up branches,
//! services and the public calendar; a verified student books a slot, is refused a second
//! booking, a void branch and a slot past the deadline, moves and cancels before the
//! cutoff; the branch's day list shows who is expected; and 200 concurrent bookings for 20
//! places from two servers on one database take exactly 20, never two for one student.

use std::collections::BTreeSet;

use chrono::{Days, NaiveDate};
use gradphoto_testkit::{Client, TestApp, backends};

use crate::onsite_support::{change_modes, post, status_and_body};
use crate::support::{self, PW};

fn today() -> NaiveDate {
    gradphoto_app::online_entry::china_today()
}

/// Opens make-up shoots in the demo's first campaign: until 60 days from now, Beijing
/// branches only (seed 001).
async fn open_makeup(t: &TestApp, campaign: i64) {
    change_modes(t, campaign, |f| {
        f.makeup_deadline = (today() + Days::new(60)).to_string();
        f.makeup_cities = "北京".into();
    })
    .await;
}

/// A branch in `city` with one service of `capacity` places per 30-minute slot, open
/// every day but public holidays; its id and the service's.
async fn branch(t: &TestApp, admin: &Client, name: &str, city: &str, capacity: &str) -> (i64, i64) {
    let r = admin
        .post_form(
            "/branches",
            &[
                ("name", name),
                ("city", city),
                ("address", "体育场路497号"),
                ("phone", "010-0000"),
                ("active", "true"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303, "branch added");
    let id: i64 = support::location(&r)
        .trim_start_matches("/branches/")
        .parse()
        .expect("branch id");
    let r = admin
        .post_form(
            &format!("/branches/{id}/services"),
            &[
                ("name_zh", "普通"),
                ("name_en", "Ordinary"),
                ("place", "497-3"),
                ("price_yuan", "50"),
                ("open_days", "all_but_holidays"),
                ("windows", "09:00-11:30, 13:30-16:30"),
                ("slot_minutes", "30"),
                ("slot_capacity", capacity),
                ("cutoff_minutes", "120"),
                ("days_ahead", "30"),
                ("active", "true"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303, "service added");
    let service = t.app.db.branch_services(id).await.expect("services")[0].id;
    (id, service)
}

/// The free slots of `service` offered to the student with `phone`, from the day after
/// tomorrow (clear of the cutoff), as the page's buttons send them.
async fn free_slots(t: &TestApp, phone: &str, service: i64) -> Vec<String> {
    let account = t
        .app
        .db
        .student_account_by_phone(phone)
        .await
        .expect("q")
        .expect("account");
    let offer = t.app.makeup_offer(&account).await.expect("offer");
    let after = today() + Days::new(2);
    offer
        .services
        .iter()
        .find(|s| s.service.id == service)
        .expect("the service is offered")
        .days
        .iter()
        .filter(|(d, _)| *d >= after)
        .flat_map(|(d, slots)| {
            slots
                .iter()
                .filter(|x| x.free > 0)
                .map(move |x| format!("{d} {}", x.slot.starts.format("%H:%M")))
        })
        .collect()
}

/// The next `skip` (from `*from`) of a student who must be photographed and is not yet.
async fn uncollected(t: &TestApp, d: &support::Demo, from: &mut usize) -> usize {
    loop {
        let skip = *from;
        *from += 1;
        let (s, _) = support::must_student(t, d.c1, skip).await;
        if !t.app.db.is_collected(d.c1, s.id).await.expect("q") {
            return skip;
        }
    }
}

async fn book(c: &Client, service: i64, slot: &str) -> (u16, String) {
    post(
        c,
        "/student/makeup/book",
        &[("service_id", &service.to_string()), ("slot", slot)],
    )
    .await
}

#[tokio::test]
async fn a_student_books_moves_and_cancels_a_make_up_slot() {
    for backend in backends() {
        let t = TestApp::spawn_on(backend, |_| {}).await;
        let d = support::seed(&t).await;
        t.drain_jobs().await;
        let admin = t.login("agency", PW).await;
        let (beijing, ordinary) = branch(&t, &admin, "北京前门门市部", "北京", "2").await;
        let (_, shanghai) = branch(&t, &admin, "上海南京路门市部", "上海", "2").await;

        // Not offered while the campaign has no make-up deadline.
        let phone = "13800138301";
        let mut skip = 0;
        let at = uncollected(&t, &d, &mut skip).await;
        let (c, me) = support::verified_student(&t, &d, phone, at).await;
        change_modes(&t, d.c1, |f| f.makeup_deadline = String::new()).await;
        let (status, body) = c.get_text("/student/makeup").await;
        assert_eq!(status, 409, "{body}");
        assert!(body.contains("没有开放补拍"), "{body}");
        open_makeup(&t, d.c1).await;
        let (status, body) = c.get_text("/student/makeup").await;
        assert_eq!(status, 200, "{body}");
        assert!(
            body.contains(&format!("id=\"service-{ordinary}\"")),
            "{body}"
        );
        assert!(
            body.contains(&format!("id=\"service-{shanghai}-void\"")),
            "{body}"
        );
        assert!(body.contains("北京"), "the campaign's rule is shown");
        // The demo's branches too: Hangzhou's services are void for seed 001's campaign,
        // Beijing's are offered.
        for b in t.app.db.branches().await.expect("branches") {
            for s in t.app.db.branch_services(b.id).await.expect("services") {
                let void = body.contains(&format!("id=\"service-{}-void\"", s.id));
                assert_eq!(void, b.city != "北京", "{} {}", b.name, s.name_zh);
            }
        }

        // A Shanghai branch is void for this campaign; a slot past the deadline is refused.
        let slots = free_slots(&t, phone, ordinary).await;
        assert!(slots.len() > 3, "slots offered: {slots:?}");
        let (status, body) = book(&c, shanghai, &slots[0]).await;
        assert_eq!(status, 422, "{body}");
        assert!(
            body.contains("id=\"makeup-error\"") && body.contains("无效"),
            "{body}"
        );
        let late = format!("{} 09:00", today() + Days::new(61));
        let (status, _) = book(&c, ordinary, &late).await;
        assert_eq!(status, 422, "past the make-up deadline");
        let (status, _) = book(&c, ordinary, &format!("{} 12:00", today() + Days::new(3))).await;
        assert_eq!(status, 422, "not a slot of the service");

        // Booked: the page shows the time, place, code and rule; a text is sent.
        let r = c
            .post_form(
                "/student/makeup/book",
                &[("service_id", &ordinary.to_string()), ("slot", &slots[0])],
            )
            .await;
        assert_eq!(r.status(), 303);
        let code = support::location(&r)
            .rsplit_once("booked-")
            .map(|(_, c)| c.to_string())
            .expect("the booking's code");
        let (_, body) = c.get_text("/student/makeup").await;
        assert!(
            body.contains(&format!("id=\"booking-code\">{code}<")),
            "{body}"
        );
        assert!(body.contains("id=\"booking-bring\"") && body.contains("id=\"booking-rule\""));
        let (day, starts) = slots[0].split_once(' ').expect("slot");
        assert!(body.contains(&format!("{day} {starts}–")), "{body}");
        let inbox = t.app.sms.demo_inbox().expect("log provider");
        assert!(
            inbox
                .iter()
                .any(|m| m.phone == phone && m.text.contains(&code) && m.text.contains(day)),
            "the booking is texted"
        );

        // A second booking for the same campaign is refused; a full slot too.
        let (status, body) = book(&c, ordinary, &slots[1]).await;
        assert_eq!(status, 409, "{body}");
        assert!(
            body.contains("已预约") || body.contains("booked for"),
            "{body}"
        );
        let at = uncollected(&t, &d, &mut skip).await;
        let (other, _) = support::verified_student(&t, &d, "13800138302", at).await;
        let at = uncollected(&t, &d, &mut skip).await;
        let (third, _) = support::verified_student(&t, &d, "13800138303", at).await;
        assert_eq!(
            book(&other, ordinary, &slots[0]).await.0,
            303,
            "the second place"
        );
        let (status, body) = book(&third, ordinary, &slots[0]).await;
        assert_eq!(status, 409, "full: {body}");
        assert!(
            body.contains("约满") || body.contains("fully booked"),
            "{body}"
        );

        // The branch's day list shows both; nobody can be marked absent before the start.
        let ph = t.login("photographer", PW).await;
        let (status, body) = ph
            .get_text(&format!("/branches/{beijing}/day?day={day}"))
            .await;
        assert_eq!(status, 200, "{body}");
        assert!(
            body.contains(&format!("id=\"booking-{code}\"")) && body.contains(&me.student_no),
            "{body}"
        );
        assert!(!body.contains(&me.name), "the name is masked");
        let booking = t
            .app
            .db
            .booking_by_code(&code)
            .await
            .expect("q")
            .expect("row");
        let (status, _) = post(
            &ph,
            &format!("/branches/bookings/{}/no-show", booking.id),
            &[],
        )
        .await;
        assert_eq!(status, 422, "the slot has not begun");

        // Moved to another slot (the old place frees: the third student gets it), then
        // cancelled; then booked anew.
        let r = c
            .post_form(
                &format!("/student/makeup/{code}/move"),
                &[("slot", &slots[2])],
            )
            .await;
        assert_eq!(r.status(), 303);
        let moved = t
            .app
            .db
            .booking_by_code(&code)
            .await
            .expect("q")
            .expect("row");
        assert_eq!(format!("{} {}", moved.day, moved.starts), slots[2]);
        assert_eq!(
            book(&third, ordinary, &slots[0]).await.0,
            303,
            "the freed place"
        );
        assert_eq!(
            c.post_form(&format!("/student/makeup/{code}/cancel"), &[])
                .await
                .status(),
            303
        );
        assert_eq!(
            t.app
                .db
                .booking_by_code(&code)
                .await
                .expect("q")
                .expect("row")
                .status,
            "cancelled"
        );
        let (status, _) = post(&c, &format!("/student/makeup/{code}/cancel"), &[]).await;
        assert_eq!(status, 409, "cancelled once");
        assert_eq!(book(&c, ordinary, &slots[3]).await.0, 303, "booked anew");
        assert_eq!(
            t.app
                .db
                .live_in_slot(ordinary, day, starts)
                .await
                .expect("n"),
            2
        );

        // Another student's booking is not this one's to touch.
        let (status, _) = post(&other, &format!("/student/makeup/{code}/cancel"), &[]).await;
        assert_eq!(status, 404);
    }
}

#[tokio::test]
async fn the_agency_keeps_branches_and_the_public_calendar() {
    for backend in backends() {
        let t = TestApp::spawn_on(backend, |_| {}).await;
        support::seed(&t).await;
        let admin = t.login("agency", PW).await;

        // A service booked 180 days ahead reaches years the calendar may not list yet: each
        // such year is flagged on the branches page until it is entered.
        let (far, _) = branch(&t, &admin, "远期网点", "北京", "6").await;
        let svc = t.app.db.branch_services(far).await.expect("services")[0].id;
        let mut input = gradphoto_app::makeup_branches::ServiceInput::of(
            &t.app.db.service(svc).await.expect("s"),
        );
        input.days_ahead = "180".into();
        t.app
            .update_service(
                &crate::onsite_support::staff(&t, "agency").await,
                svc,
                &input,
            )
            .await
            .expect("updated");
        let (_, body) = admin.get_text("/branches").await;
        let listed: Vec<String> = t
            .app
            .db
            .public_days()
            .await
            .expect("days")
            .iter()
            .map(|d| d.day[..4].to_string())
            .collect();
        let from = today()
            .format("%Y")
            .to_string()
            .parse::<i32>()
            .expect("year");
        let to = (today() + Days::new(180))
            .format("%Y")
            .to_string()
            .parse::<i32>()
            .expect("year");
        for y in from..=to {
            let flagged = body.contains(&format!("id=\"calendar-gap-{y}\""));
            assert_eq!(flagged, !listed.contains(&y.to_string()), "{y}: {body}");
        }

        // The official days of 2026 are loaded; 2027 is entered from its notice.
        let (status, body) = admin.get_text("/branches/calendar?year=2026").await;
        assert_eq!(status, 200, "{body}");
        assert!(
            body.contains("2026-10-01 holiday 国庆节") && body.contains("2026-10-10 workday"),
            "{body}"
        );
        let r = admin
            .post_form(
                "/branches/calendar",
                &[
                    ("year", "2027"),
                    ("days", "2027-01-01 休 元旦\n2027-02-07 班 春节\n"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
        let (_, body) = admin.get_text("/branches/calendar?year=2027").await;
        assert!(body.contains("2027-02-07 workday 春节"), "{body}");

        // A bad line or a day of another year is refused with its reason; nothing changes.
        let (status, body) = post(
            &admin,
            "/branches/calendar",
            &[("year", "2027"), ("days", "2027-05-01 休\n2027-05-0x 休")],
        )
        .await;
        assert_eq!(status, 422, "{body}");
        assert!(
            body.contains("第 2 行") && body.contains("id=\"calendar-error\""),
            "{body}"
        );
        let (status, _) = post(
            &admin,
            "/branches/calendar",
            &[("year", "2027"), ("days", "2028-01-01 休")],
        )
        .await;
        assert_eq!(status, 422);
        let days = t.app.db.public_days().await.expect("days");
        assert_eq!(
            days.iter().filter(|d| d.day.starts_with("2027")).count(),
            2,
            "unchanged"
        );
        assert!(
            t.app
                .db
                .list_audit(None, 50)
                .await
                .expect("audit")
                .iter()
                .any(|a| a.action == "calendar.replace_year"),
            "audited"
        );

        // Bad service hours are refused on the form; a name taken is a conflict.
        let (id, _) = branch(&t, &admin, "北京前门门市部", "北京", "6").await;
        let (status, body) = post(
            &admin,
            &format!("/branches/{id}/services"),
            &[
                ("name_zh", "精修"),
                ("place", "497-2"),
                ("price_yuan", "100"),
                ("open_days", "working_days"),
                ("windows", "17:00-09:00"),
                ("slot_minutes", "30"),
                ("slot_capacity", "2"),
                ("cutoff_minutes", "120"),
                ("days_ahead", "14"),
            ],
        )
        .await;
        assert_eq!(status, 422, "{body}");
        assert!(body.contains("id=\"branch-error\""), "{body}");
        let (status, _) = post(
            &admin,
            "/branches",
            &[
                ("name", "北京前门门市部"),
                ("city", "北京"),
                ("address", "x"),
            ],
        )
        .await;
        assert_eq!(status, 409);

        // Only the agency: a photographer reads the day but not the calendar's editor;
        // a university admin sees none of it.
        let ph = t.login("photographer", PW).await;
        assert_eq!(ph.get_text(&format!("/branches/{id}/day")).await.0, 200);
        assert_eq!(
            post(&ph, "/branches/calendar", &[("year", "2027"), ("days", "")])
                .await
                .0,
            403
        );
        let uni = t.login("uni1-admin", PW).await;
        assert_eq!(uni.get_text("/branches").await.0, 403);
    }
}

/// 100 students each try two slots at once, half through each of two servers on one
/// database: 200 bookings for 20 places.
#[tokio::test]
async fn two_servers_never_overbook_or_book_a_student_twice() {
    const STUDENTS: usize = 100;
    for backend in backends() {
        let t = TestApp::spawn_on(backend, |_| {}).await;
        let d = support::seed(&t).await;
        t.drain_jobs().await;
        let beside = t.spawn_beside().await;
        let admin = t.login("agency", PW).await;
        let (_, service) = branch(&t, &admin, "北京前门门市部", "北京", "10").await;
        open_makeup(&t, d.c1).await;
        let mut students = Vec::new();
        let mut skip = 0;
        for i in 0..STUDENTS {
            let phone = format!("1390000{i:04}");
            // Ten students per loopback address: under the per-address limit of codes.
            let browser = Client::from_loopback(&t.url, 2 + u8::try_from(i / 10).expect("small"));
            let at = uncollected(&t, &d, &mut skip).await;
            let (c, me) = support::verified_student_in(&t, d.u1, d.c1, &phone, at, browser).await;
            // The same browser, sent to the second server.
            let there = c.at(&beside.url);
            students.push((c, there, me, phone));
        }
        let slots = free_slots(&t, &students[0].3, service).await;
        let (a, b) = (slots[0].clone(), slots[1].clone());
        let tasks: Vec<_> = students
            .iter()
            .flat_map(|(c, there, _, _)| [(c.clone(), a.clone()), (there.clone(), b.clone())])
            .map(|(c, slot)| tokio::spawn(async move { book(&c, service, &slot).await.0 }))
            .collect();
        let mut statuses = Vec::new();
        for task in tasks {
            statuses.push(task.await.expect("task"));
        }
        assert_eq!(
            statuses.iter().filter(|s| **s == 303).count(),
            20,
            "{statuses:?}"
        );
        assert!(
            statuses.iter().all(|s| *s == 303 || *s == 409),
            "{statuses:?}"
        );
        let mut live = BTreeSet::new();
        for (_, _, me, _) in &students {
            if let Some(b) = t.app.db.live_booking(d.c1, me.id).await.expect("q") {
                assert!(live.insert(me.id), "one booking per student");
                assert_eq!(b.service_id, service);
            }
        }
        assert_eq!(live.len(), 20);
        for slot in [&a, &b] {
            let (day, starts) = slot.split_once(' ').expect("slot");
            assert_eq!(
                t.app
                    .db
                    .live_in_slot(service, day, starts)
                    .await
                    .expect("n"),
                10,
                "{slot}"
            );
        }
        let (status, body) = status_and_body(students[0].1.get("/student/makeup").await).await;
        assert_eq!(
            status, 200,
            "the second server serves the same student: {body}"
        );
    }
}

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
        let account = t
            .app
            .db
            .student_account_by_phone(phone)
            .await
            .expect("q")
            .expect("a");
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
        let account = t
            .app
            .db
            .student_account_by_phone(phone)
            .await
            .expect("q")
            .expect("a");
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
        let other_account = t
            .app
            .db
            .student_account_by_phone("13800138602")
            .await
            .expect("q")
            .expect("a");
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
        let account = t
            .app
            .db
            .student_account_by_phone(phone)
            .await
            .expect("q")
            .expect("a");
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
