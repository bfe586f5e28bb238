//! The student's orders and personal centre, on SQLite and PostgreSQL: the order is
//! listed with where it stands and what may be done (view, modify, pay), viewable
//! read-only, and no one else's; the phone number changes only when the current number
//! is typed right and the code sent to the new number comes back, never to a number
//! another account holds; afterwards the new number logs in to the same orders.

use gradphoto_testkit::{TestApp, backends};

use crate::support::{self, last_code};

#[tokio::test]
async fn my_orders_and_changing_the_phone_number() {
    for backend in backends() {
        let t = TestApp::spawn_on(backend, |c| c.sms.demo_inbox = true).await;
        let d = support::seed(&t).await;
        t.drain_jobs().await;
        let c = support::ordering_student(&t, d.u1, d.c1, "13500001111", 0)
            .await
            .0;
        let (status, page) = c.get_text("/student/orders").await;
        assert_eq!(status, 200);
        let at = page.find("id=\"order-").expect("an order") + "id=\"order-".len();
        let code: String = page[at..].split('"').next().expect("code").to_string();
        assert!(
            page.contains(&format!("id=\"view-{code}\""))
                && page.contains(&format!("id=\"modify-{code}\""))
                && page.contains(&format!("id=\"pay-{code}\"")),
            "{page}"
        );
        assert!(page.contains("data-progress=\"awaiting_payment\""));
        let (status, detail) = c.get_text(&format!("/student/orders/{code}")).await;
        assert_eq!(status, 200);
        assert!(detail.contains("id=\"order-detail\" data-status=\"pending\""));
        assert!(detail.contains("135****1111"), "the contact phone, masked");
        assert!(!detail.contains("13500001111"), "never in full");

        // Modify: the contact phone, checked; shown masked afterwards.
        let path = format!("/student/orders/{code}/contact");
        let r = c.post_form(&path, &[("contact_phone", "123")]).await;
        assert_eq!(r.status(), 422);
        assert!(r.text().await.expect("page").contains("id=\"order-error\""));
        let r = c
            .post_form(&path, &[("contact_phone", "13511112222")])
            .await;
        assert_eq!(r.status(), 303);
        let (_, detail) = c.get_text(&support::location(&r)).await;
        assert!(detail.contains("id=\"order-saved\"") && detail.contains("135****2222"));

        // Nobody else's order, and an empty list for a new student.
        let other = support::student(&t, "13600002222").await;
        assert_eq!(
            other.get_text(&format!("/student/orders/{code}")).await.0,
            404
        );
        let (_, page) = other.get_text("/student/orders").await;
        assert!(page.contains("id=\"orders-empty\""));
        assert_eq!(
            t.client().get_text("/student/orders").await.0,
            303,
            "log in first"
        );

        // The personal centre: details masked, consents with their times.
        let (status, page) = c.get_text("/student/account").await;
        assert_eq!(status, 200);
        assert!(page.contains("id=\"account-student\"") && page.contains("id=\"consents\""));
        assert!(
            page.contains("id=\"account-order-modify\""),
            "the order's details, to modify"
        );
        assert!(page.contains("135****1111"));

        let send = |old: &'static str, new: &'static str| {
            let c = &c;
            async move {
                c.post_form(
                    "/student/account/phone",
                    &[("action", "send"), ("old_phone", old), ("new_phone", new)],
                )
                .await
            }
        };
        assert_eq!(
            send("13900000000", "13700003333").await.status(),
            422,
            "wrong old"
        );
        assert_eq!(
            send("13500001111", "13500001111").await.status(),
            422,
            "same"
        );
        assert_eq!(
            send("13500001111", "12345").await.status(),
            422,
            "not a number"
        );
        let r = send("13500001111", "13700003333").await;
        assert_eq!(r.status(), 200);
        assert!(r.text().await.expect("page").contains("id=\"phone-code\""));
        let change = |new: &'static str, code: String| {
            let c = &c;
            async move {
                c.post_form(
                    "/student/account/phone",
                    &[
                        ("action", "change"),
                        ("old_phone", "13500001111"),
                        ("new_phone", new),
                        ("code", &code),
                    ],
                )
                .await
            }
        };
        let good = last_code(&t, "13700003333");
        let wrong = if good == "000000" { "111111" } else { "000000" };
        assert_eq!(change("13700003333", wrong.into()).await.status(), 422);
        // A number another account holds is refused even with its code.
        t.app
            .db
            .student_login("13800004444", &[], "127.0.0.1", "held-elsewhere", 60_000)
            .await
            .expect("another account");
        assert_eq!(send("13500001111", "13800004444").await.status(), 200);
        let theirs = last_code(&t, "13800004444");
        assert_eq!(change("13800004444", theirs).await.status(), 409);
        let r = change("13700003333", good.clone()).await;
        assert_eq!(r.status(), 303, "changed");
        let (_, page) = c.get_text(&support::location(&r)).await;
        assert!(page.contains("137****3333") && page.contains("id=\"account-notice\""));
        assert_eq!(change("13700003333", good).await.status(), 422, "used up");

        // The account (and its orders) now answers to the new number; the old number
        // is free (its next login would make a new, empty account). Logging in again
        // needs a code 60 s after the last, so the store is asked directly.
        let db = &t.app.db;
        let moved = db
            .student_account_by_phone("13700003333")
            .await
            .expect("db")
            .expect("account");
        let orders = db.orders_of_account(moved.id).await.expect("orders");
        assert_eq!(orders.len(), 1);
        assert_eq!(orders[0].code, code);
        assert!(
            db.student_account_by_phone("13500001111")
                .await
                .expect("db")
                .is_none()
        );
        let (_, page) = c.get_text("/student/orders").await;
        assert!(page.contains(&code), "the session goes on");
    }
}
