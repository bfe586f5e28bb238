//! Make-up appointments over HTTP (issue 8), on both backends: a verified student books a
//! slot, is refused a second booking, a void branch and a slot past the deadline, moves
//! and cancels before the cutoff; and 200 concurrent bookings for 20 places from two
//! servers on one database take exactly 20, never two for one student.

use std::collections::BTreeSet;

use chrono::Days;
use gradphoto_testkit::{Client, TestApp, backends};

use crate::makeup_support::{
    account_of, book, branch, free_slots, open_makeup, today, uncollected,
};
use crate::onsite_support::{change_modes, post, status_and_body};
use crate::support::{self, PW, attr};

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
        let recommended = (today() + Days::new(30)).to_string();
        assert_eq!(
            attr(&body, "makeup-recommended", "id"),
            "makeup-recommended"
        );
        assert!(body.contains(&recommended), "{body}");
        // A recommended date after the deadline is refused.
        let campaign: gradphoto_app::campaigns::Campaign = t
            .app
            .db
            .get_campaign(d.c1)
            .await
            .expect("campaign")
            .try_into()
            .expect("valid");
        let mut late = gradphoto_app::campaigns::CampaignInput::from_campaign(&campaign);
        late.makeup_recommended_by = (today() + Days::new(61)).to_string();
        assert_eq!(
            late.validate().map(|_| ()).map_err(|e| e.message().code),
            Err("campaign.makeup_recommended".to_string())
        );
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

        // Moved to another slot (the old place frees: the third student gets it; the new
        // time is texted and reminded anew), then cancelled; then booked anew.
        assert!(t.app.db.mark_booking_reminded(&booking).await.expect("q"));
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
        assert!(
            !t.app.db.mark_booking_reminded(&booking).await.expect("q"),
            "a reminder read before the move would name the old time"
        );
        assert!(
            t.app.db.mark_booking_reminded(&moved).await.expect("q"),
            "reminded again for the new day"
        );
        let (new_day, new_starts) = slots[2].split_once(' ').expect("slot");
        let inbox = t.app.sms.demo_inbox().expect("log provider");
        assert!(
            inbox.iter().any(|m| m.phone == phone
                && m.text.contains(&code)
                && m.text.contains(&format!("{new_day} {new_starts}"))),
            "the new time is texted"
        );
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

        // Once a slot has begun, whoever did not come is marked absent at the branch
        // (here the second student's booking, its day moved into the past).
        let theirs = t
            .app
            .db
            .account_bookings(account_of(&t, "13800138302").await.id)
            .await
            .expect("q")
            .remove(0);
        support::exec_with_id(
            &t.app.db,
            "UPDATE makeup_bookings SET day = '2026-01-05' WHERE id = $1",
            theirs.id,
        )
        .await;
        let no_show = format!("/branches/bookings/{}/no-show", theirs.id);
        assert_eq!(ph.post_form(&no_show, &[]).await.status(), 303);
        let marked = t
            .app
            .db
            .booking_by_code(&theirs.code)
            .await
            .expect("q")
            .expect("row");
        assert_eq!(marked.status, "no_show");
        assert_eq!(post(&ph, &no_show, &[]).await.0, 409, "marked once");

        // Another student's booking is not this one's to touch.
        let (status, _) = post(&other, &format!("/student/makeup/{code}/cancel"), &[]).await;
        assert_eq!(status, 404);
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
