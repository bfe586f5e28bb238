//! Make-up bookings paid online (issue 8: "books one, pays … or is told to pay at the
//! branch"), on both backends in the sandbox: the place is held while the student pays,
//! the text goes out once paid, cancelling before the cutoff refunds in full, a place held
//! unpaid too long is released (and money arriving after that goes back), a past day's
//! booking nobody came for stops being live, and the branch's desk sees the fee paid.

use chrono::Days;
use gradphoto_db::makeup_bookings::{BookingOrder, NewBooking};
use gradphoto_testkit::{Client, TestApp, backends};

use crate::makeup_support::{
    account_of, book, branch_paying, free_slots, open_makeup, today, uncollected,
};
use crate::onsite_support::post;
use crate::support::{self, PW, attr, location};

/// Starts paying the booking `code` with WeChat Pay: the sandbox payer's page (a path).
async fn start_paying(c: &Client, code: &str) -> String {
    let r = c
        .post_form(
            &format!("/student/makeup/{code}/pay"),
            &[("method", "wechat")],
        )
        .await;
    assert_eq!(r.status(), 303, "the payment starts");
    let to = location(&r);
    assert!(to.starts_with("/student/pay/"), "{to}");
    let (status, page) = c.get_text(&to).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(
        attr(&page, "pay-back", "href"),
        "/student/makeup",
        "back to the booking"
    );
    let link = attr(&page, "sandbox-open", "href");
    link[link.find("/sandbox/").expect("a sandbox path")..].to_string()
}

async fn sandbox_pays(t: &TestApp, path: &str) {
    let r = t.client().post_form(path, &[("action", "pay")]).await;
    assert_eq!(r.status(), 303, "the sandbox payer pays");
}

/// The booking code shown on the student's booking page.
async fn live_code(c: &Client) -> (String, String) {
    let (status, body) = c.get_text("/student/makeup").await;
    assert_eq!(status, 200, "{body}");
    (attr(&body, "makeup-booking", "data-code"), body)
}

async fn ledger_events(t: &TestApp, code: &str) -> Vec<String> {
    let order = t
        .app
        .db
        .order_by_code(code)
        .await
        .expect("q")
        .expect("order");
    t.app
        .db
        .order_ledger(order.id)
        .await
        .expect("ledger")
        .into_iter()
        .map(|l| l.event)
        .collect()
}

#[tokio::test]
async fn a_booking_paid_online_is_held_texted_refunded_and_released() {
    for backend in backends() {
        let t = TestApp::spawn_on(backend, |c| {
            c.payments.mode = "sandbox".into();
            c.sms.demo_inbox = true;
        })
        .await;
        let d = support::seed(&t).await;
        t.drain_jobs().await;
        open_makeup(&t, d.c1).await;
        let admin = t.login("agency", PW).await;
        let (_, online) = branch_paying(&t, &admin, "北京前门门市部", "北京", "1", "online").await;
        let mut skip = 0;
        let phone = "13800138601";
        let at = uncollected(&t, &d, &mut skip).await;
        let (c, _) = support::verified_student(&t, &d, phone, at).await;
        let slots = free_slots(&t, phone, online).await;
        let (_, body) = c.get_text("/student/makeup").await;
        assert!(
            body.contains("预约后在线支付"),
            "said before booking: {body}"
        );

        // Booked: the place is held while the student pays; no text yet.
        assert_eq!(book(&c, online, &slots[0]).await.0, 303);
        let (code, body) = live_code(&c).await;
        assert!(
            body.contains("id=\"booking-pay\"") && body.contains("id=\"booking-pay-wechat\""),
            "{body}"
        );
        let until = body
            .split("id=\"booking-pay-until\">")
            .nth(1)
            .and_then(|x| x.split('<').next())
            .unwrap_or_default();
        assert!(
            until.starts_with(&today().to_string()[..4]) && until.len() == 16,
            "pay by a time: {until:?}"
        );
        let texted = |t: &TestApp, code: &str| {
            t.app
                .sms
                .demo_inbox()
                .expect("inbox")
                .iter()
                .any(|m| m.phone == phone && m.text.contains(code))
        };
        assert!(!texted(&t, &code), "not texted before it is paid");
        let booking = t
            .app
            .db
            .booking_by_code(&code)
            .await
            .expect("q")
            .expect("b");
        let order = t
            .app
            .db
            .booking_order(booking.id)
            .await
            .expect("q")
            .expect("an order with the booking");
        assert_eq!((order.total_fen, order.status.as_str()), (5000, "pending"));

        // Paid in the sandbox: the page says so, the text goes out.
        let payer = start_paying(&c, &code).await;
        sandbox_pays(&t, &payer).await;
        let (_, body) = live_code(&c).await;
        assert!(body.contains("id=\"booking-paid\""), "{body}");
        assert!(!body.contains("id=\"booking-pay\""), "{body}");
        assert!(texted(&t, &code), "texted once paid");
        // "My orders" lists online orders; the booking's fee is shown with the booking.
        let (status, body) = c.get_text("/student/orders").await;
        assert_eq!(status, 200, "{body}");
        // The place is taken: another student sees the slot full.
        let other_phone = "13800138602";
        let at = uncollected(&t, &d, &mut skip).await;
        let (other, _) = support::verified_student(&t, &d, other_phone, at).await;
        assert!(
            !free_slots(&t, other_phone, online)
                .await
                .contains(&slots[0])
        );

        // Cancelled before the cutoff: refunded in full, the order closed, the place free.
        let (status, _) = post(&c, &format!("/student/makeup/{code}/cancel"), &[]).await;
        assert_eq!(status, 303);
        let order = t.app.db.get_order(order.id).await.expect("order");
        assert_eq!(order.status, "canceled");
        let events = ledger_events(&t, &order.code).await;
        assert!(
            events.iter().any(|e| e == "refund.done")
                && events.iter().any(|e| e == "order.canceled"),
            "{events:?}"
        );
        assert!(
            free_slots(&t, other_phone, online)
                .await
                .contains(&slots[0])
        );
        let (status, _) = post(
            &c,
            &format!("/student/makeup/{code}/pay"),
            &[("method", "wechat")],
        )
        .await;
        assert_eq!(status, 409, "a cancelled booking is not paid");

        // The other student books it and starts paying, but too slowly: the sweep asks
        // nothing of the sandbox and releases the place after the hold.
        assert_eq!(book(&other, online, &slots[0]).await.0, 303);
        let (code2, _) = live_code(&other).await;
        let payer2 = start_paying(&other, &code2).await;
        assert_eq!(t.app.sweep_makeup_bookings().await.expect("sweep"), (0, 0));
        let b2 = t
            .app
            .db
            .booking_by_code(&code2)
            .await
            .expect("q")
            .expect("b");
        let n = support::exec_with_id(
            &t.app.db,
            "UPDATE makeup_bookings SET created_at = created_at - 1860000 WHERE id = $1",
            b2.id,
        )
        .await;
        assert_eq!(n, 1);
        assert_eq!(t.app.sweep_makeup_bookings().await.expect("sweep"), (1, 0));
        let b2 = t.app.db.booking(b2.id).await.expect("b");
        assert_eq!(
            (b2.status.as_str(), b2.updated_by.as_str()),
            ("cancelled", "unpaid")
        );
        assert!(
            free_slots(&t, other_phone, online)
                .await
                .contains(&slots[0])
        );
        // The money arrives after all: it goes straight back; the booking stays released.
        sandbox_pays(&t, &payer2).await;
        let o2 = t.app.db.booking_order(b2.id).await.expect("q").expect("o");
        assert_eq!(o2.status, "canceled");
        let events = ledger_events(&t, &o2.code).await;
        assert!(events.iter().any(|e| e == "refund.done"), "{events:?}");
        assert!(!texted(&t, &code2), "a released booking is not texted");

        // A booking of yesterday nobody came for is over: the student may book again.
        let account = account_of(&t, other_phone).await;
        let yesterday = (today() - Days::new(1)).to_string();
        let old = t
            .app
            .db
            .book_slot(
                &NewBooking {
                    code: "MBOLD001".into(),
                    campaign_id: d.c1,
                    student_id: b2.student_id,
                    account_id: account.id,
                    service_id: online,
                    day: yesterday,
                    starts: "09:00".into(),
                    ends: "09:30".into(),
                    price_fen: 5000,
                    order: None,
                },
                1,
            )
            .await
            .expect("db")
            .expect("booked");
        assert_eq!(t.app.sweep_makeup_bookings().await.expect("sweep"), (0, 1));
        let old = t.app.db.booking(old.id).await.expect("b");
        assert_eq!(
            (old.status.as_str(), old.updated_by.as_str()),
            ("no_show", "lapsed")
        );
        assert_eq!(
            t.app.db.live_booking(d.c1, b2.student_id).await.expect("q"),
            None
        );
    }
}

#[tokio::test]
async fn the_branch_desk_sees_a_fee_paid_online() {
    for backend in backends() {
        let t = TestApp::spawn_on(backend, |c| c.payments.mode = "sandbox".into()).await;
        let d = support::seed(&t).await;
        t.drain_jobs().await;
        open_makeup(&t, d.c1).await;
        let admin = t.login("agency", PW).await;
        let (beijing, online) =
            branch_paying(&t, &admin, "北京前门门市部", "北京", "4", "online").await;
        let school = t.app.db.get_university(d.u1).await.expect("u").code;
        let mut skip = 0;
        let phone = "13800138611";
        let at = uncollected(&t, &d, &mut skip).await;
        let (c, me) = support::verified_student(&t, &d, phone, at).await;
        let id = t.app.pii.decrypt(&me.id_enc).expect("id");
        let code = support::registry_code(&t, &school, &me, &id).await;
        let account = account_of(&t, phone).await;
        // Booked for this morning (booking over HTTP is tested above), paid online.
        t.app
            .db
            .book_slot(
                &NewBooking {
                    code: "MBPAID01".into(),
                    campaign_id: d.c1,
                    student_id: me.id,
                    account_id: account.id,
                    service_id: online,
                    day: today().to_string(),
                    starts: "09:00".into(),
                    ends: "09:30".into(),
                    price_fen: 5000,
                    order: Some(BookingOrder {
                        code: "GBTEST0001".into(),
                        contact_phone: phone.into(),
                    }),
                },
                4,
            )
            .await
            .expect("db")
            .expect("booked");
        let payer = start_paying(&c, "MBPAID01").await;
        sandbox_pays(&t, &payer).await;

        let ph = t.login("photographer", PW).await;
        let (status, body) = post(
            &ph,
            &format!("/branches/{beijing}/checkin"),
            &[("code", &code)],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("id=\"shooting-number\">1<"), "{body}");
        assert!(
            body.contains("id=\"fee-state\"") && body.contains("补拍费已支付"),
            "paid online, nothing to pay at the desk: {body}"
        );
        assert!(!body.contains("id=\"fee-pay-wechat\""), "{body}");

        // The day ends with the photo never confirmed: the booking stops being live and
        // the fee goes back (no photo came of it).
        let booking = t
            .app
            .db
            .booking_by_code("MBPAID01")
            .await
            .expect("q")
            .expect("b");
        assert_eq!(booking.status, "attended");
        let yesterday = (today() - Days::new(1)).to_string();
        let n = support::exec_with_id(
            &t.app.db,
            &format!("UPDATE makeup_bookings SET day = '{yesterday}' WHERE id = $1"),
            booking.id,
        )
        .await;
        assert_eq!(n, 1);
        assert_eq!(t.app.sweep_makeup_bookings().await.expect("sweep"), (0, 1));
        let booking = t.app.db.booking(booking.id).await.expect("b");
        assert_eq!(
            (booking.status.as_str(), booking.updated_by.as_str()),
            ("no_show", "unconfirmed")
        );
        let events = ledger_events(&t, "GBTEST0001").await;
        assert!(
            events.iter().any(|e| e == "refund.done")
                && events.iter().any(|e| e == "order.canceled"),
            "{events:?}"
        );
    }
}

#[tokio::test]
async fn paying_online_needs_payments_set_up() {
    let t = TestApp::spawn().await;
    support::seed(&t).await;
    let admin = t.login("agency", PW).await;
    let r = admin
        .post_form(
            "/branches",
            &[
                ("name", "北京前门门市部"),
                ("city", "北京"),
                ("address", "前门大街1号"),
                ("active", "true"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let id = location(&r);
    let (status, body) = post(
        &admin,
        &format!("{id}/services"),
        &[
            ("name_zh", "普通"),
            ("place", "1楼"),
            ("price_yuan", "50"),
            ("open_days", "working_days"),
            ("windows", "09:00-11:30"),
            ("slot_minutes", "30"),
            ("slot_capacity", "2"),
            ("cutoff_minutes", "120"),
            ("days_ahead", "14"),
            ("payment", "online"),
            ("active", "true"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("网上支付需要"), "{body}");
}

/// The day before, in the daytime, each booking waiting for tomorrow is texted once; one
/// still waiting for its online payment is not.
#[tokio::test]
async fn tomorrows_bookings_are_reminded_once() {
    for backend in backends() {
        let t = TestApp::spawn_on(backend, |c| {
            c.payments.mode = "sandbox".into();
            c.sms.demo_inbox = true;
        })
        .await;
        let d = support::seed(&t).await;
        t.drain_jobs().await;
        open_makeup(&t, d.c1).await;
        let admin = t.login("agency", PW).await;
        let (_, online) = branch_paying(&t, &admin, "北京前门门市部", "北京", "4", "online").await;
        let mut skip = 0;
        let tomorrow = (today() + Days::new(1)).to_string();
        let mut codes = Vec::new();
        for (n, phone) in ["13800138621", "13800138622"].into_iter().enumerate() {
            let at = uncollected(&t, &d, &mut skip).await;
            let (c, me) = support::verified_student(&t, &d, phone, at).await;
            let account = account_of(&t, phone).await;
            let code = format!("MBREM00{n}");
            t.app
                .db
                .book_slot(
                    &NewBooking {
                        code: code.clone(),
                        campaign_id: d.c1,
                        student_id: me.id,
                        account_id: account.id,
                        service_id: online,
                        day: tomorrow.clone(),
                        starts: "09:00".into(),
                        ends: "09:30".into(),
                        price_fen: 5000,
                        order: Some(BookingOrder {
                            code: format!("GBREM000{n}"),
                            contact_phone: phone.into(),
                        }),
                    },
                    4,
                )
                .await
                .expect("db")
                .expect("booked");
            codes.push((code, c));
        }
        // The first pays; the second does not (yet).
        let payer = start_paying(&codes[0].1, &codes[0].0).await;
        sandbox_pays(&t, &payer).await;

        let day_start = gradphoto_domain::calendar::china_date_start_ms(today());
        let reminders = |t: &TestApp, code: &str| {
            t.app
                .sms
                .demo_inbox()
                .expect("inbox")
                .iter()
                .filter(|m| m.text.contains(code) && m.text.contains("明天补拍"))
                .count()
        };
        assert_eq!(
            t.app
                .send_makeup_reminders_at(day_start + 7 * 3_600_000)
                .await
                .expect("early"),
            0,
            "not before 09:00"
        );
        assert_eq!(
            t.app
                .send_makeup_reminders_at(day_start + 10 * 3_600_000)
                .await
                .expect("sent"),
            1
        );
        assert_eq!(
            t.app
                .send_makeup_reminders_at(day_start + 11 * 3_600_000)
                .await
                .expect("again"),
            0,
            "once"
        );
        assert_eq!(reminders(&t, &codes[0].0), 1);
        assert_eq!(reminders(&t, &codes[1].0), 0, "unpaid: not reminded");
    }
}
