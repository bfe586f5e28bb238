//! Prints by mail for an online order (issue 8), on both backends: the student gives the
//! address (checked, all or nothing) and may change it until the agency records the
//! parcel; then the student sees the carrier and tracking number and the address is fixed.

use gradphoto_testkit::{TestApp, backends};

use crate::onsite_support::post;
use crate::support::{self, PW};

#[tokio::test]
async fn the_student_gives_an_address_and_the_agency_ships() {
    for backend in backends() {
        let t = TestApp::spawn_on(backend, |c| c.payments.mode = "sandbox".into()).await;
        let d = support::seed(&t).await;
        t.drain_jobs().await;
        let phone = "13800138701";
        let (c, _) = support::ordering_student(&t, d.u1, d.c1, phone, 0).await;
        let account = t
            .app
            .db
            .student_account_by_phone(phone)
            .await
            .expect("q")
            .expect("a");
        let code = t.app.my_orders(&account).await.expect("orders")[0]
            .order
            .code
            .clone();
        let page = format!("/student/orders/{code}");
        let (status, body) = c.get_text(&page).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("id=\"shipping-form\""), "{body}");

        // Refused whole with the reason; then saved and shown.
        let shipping = format!("{page}/shipping");
        let (status, body) = post(
            &c,
            &shipping,
            &[
                ("recipient", "张三"),
                ("phone", "13800138701"),
                ("address", "北京"),
            ],
        )
        .await;
        assert_eq!(status, 422, "{body}");
        assert!(body.contains("id=\"order-error\""), "{body}");
        let order = t
            .app
            .db
            .order_by_code(&code)
            .await
            .expect("q")
            .expect("order");
        assert!(
            t.app.db.shipment(order.id).await.expect("q").is_none(),
            "nothing written"
        );
        let address = "北京市海淀区颐和园路5号";
        let r = c
            .post_form(
                &shipping,
                &[
                    ("recipient", "张三"),
                    ("phone", "138 0013 8701"),
                    ("address", address),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
        let (_, body) = c.get_text(&page).await;
        assert!(body.contains(address), "{body}");

        // The agency sees it on the order list and records the parcel; others may not.
        let uni = t.login("uni1-admin", PW).await;
        let ship = format!("/orders/{code}/ship");
        assert_eq!(
            post(
                &uni,
                &ship,
                &[("carrier", "顺丰"), ("tracking_no", "SF1234567890")]
            )
            .await
            .0,
            403
        );
        let agency = t.login("agency", PW).await;
        let (_, list) = agency.get_text(&format!("/orders?q={code}")).await;
        assert!(
            list.contains(&format!("id=\"shipment-{code}\"")) && list.contains(address),
            "{list}"
        );
        assert_eq!(
            post(
                &agency,
                &ship,
                &[("carrier", "顺丰"), ("tracking_no", "SF 12")]
            )
            .await
            .0,
            422
        );
        // Not before it is paid (the sandbox payer pays it).
        let ok = [("carrier", "顺丰"), ("tracking_no", "SF1234567890")];
        assert_eq!(post(&agency, &ship, &ok).await.0, 422);
        let (_, pay) = support::pay_with(&c, "wechat").await;
        let sandbox = support::attr(&pay, "sandbox-open", "href");
        let path = &sandbox[sandbox.find("/sandbox/").expect("path")..];
        assert_eq!(
            t.client()
                .post_form(path, &[("action", "pay")])
                .await
                .status(),
            303
        );
        let (_, list) = uni.get_text(&format!("/orders?q={code}")).await;
        assert!(
            !list.contains(address),
            "only the agency sees the address: {list}"
        );
        let r = agency
            .post_form(
                &ship,
                &[("carrier", "顺丰"), ("tracking_no", "SF1234567890")],
            )
            .await;
        assert_eq!(r.status(), 303);

        // The student sees the parcel; the address can no longer change.
        let (_, body) = c.get_text(&page).await;
        assert!(
            body.contains("id=\"shipment-tracking\"") && body.contains("SF1234567890"),
            "{body}"
        );
        assert!(!body.contains("id=\"shipping-form\""), "{body}");
        let (status, _) = post(
            &c,
            &shipping,
            &[
                ("recipient", "张三"),
                ("phone", "13800138701"),
                ("address", "上海市黄浦区南京东路1号"),
            ],
        )
        .await;
        assert_eq!(status, 409);
        assert_eq!(
            t.app
                .db
                .shipment(order.id)
                .await
                .expect("q")
                .expect("row")
                .address,
            address
        );
        let audit = t.app.db.list_audit(None, 20).await.expect("audit");
        assert!(audit.iter().any(|a| a.action == "order.ship"));
    }
}
