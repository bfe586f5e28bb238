//! Prints by mail for an online order (issue 8, seed 004), on both backends: the student
//! gives the address (checked, all or nothing) and may change it until the prints are
//! made; the agency prints the sheet in a mail batch of its own, posts it and records the
//! parcel; the student sees the carrier and tracking number and confirms receipt, then hands
//! the prints in to the department, which passes them on to the graduate school. A sheet
//! lost in the post frees the address again and is reprinted and posted anew.

use gradphoto_testkit::{Client, TestApp, backends};

use crate::onsite_support::post;
use crate::support::{self, PW, attr};

async fn give_address(c: &Client, shipping: &str, address: &str) -> u16 {
    post(
        c,
        shipping,
        &[
            ("recipient", "张三"),
            ("phone", "13800138701"),
            ("address", address),
        ],
    )
    .await
    .0
}

/// The first online order of the student signed in with `phone`.
async fn first_order(t: &TestApp, phone: &str) -> gradphoto_db::payments::OrderRow {
    let account = crate::makeup_support::account_of(t, phone).await;
    t.app.my_orders(&account).await.expect("orders")[0]
        .order
        .clone()
}

#[tokio::test]
async fn the_student_gives_an_address_and_the_agency_posts_the_printed_sheet() {
    for backend in backends() {
        let t = TestApp::spawn_on(backend, |c| c.payments.mode = "sandbox".into()).await;
        let d = support::seed(&t).await;
        t.drain_jobs().await;
        let phone = "13800138701";
        let (c, _) = support::ordering_student(&t, d.u1, d.c1, phone, 0).await;
        let code = first_order(&t, phone).await.code;
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
        // Not before the prints are made; until then the address may still change.
        let (status, body) = post(&agency, &ship, &ok).await;
        assert_eq!(status, 422, "{body}");
        assert!(body.contains("尚未洗印"), "{body}");
        support::registry_accepts(&t, phone, support::standard_jpeg()).await;
        assert_eq!(
            give_address(&c, &shipping, "北京市海淀区颐和园路6号").await,
            303
        );
        let address = "北京市海淀区颐和园路6号";

        // The agency prints: the student's sheet goes into a mail batch of their own
        // department, and the address is fixed from then on.
        let prints = format!("/campaigns/{}/prints", d.c1);
        assert_eq!(agency.post_form(&prints, &[]).await.status(), 303);
        let batches = t.app.db.campaign_print_batches(d.c1).await.expect("q");
        let mail: Vec<_> = batches.iter().filter(|b| b.mailed()).collect();
        assert_eq!(mail.len(), 1, "{batches:?}");
        let batch = mail[0].clone();
        let items = t.app.db.print_items(batch.id).await.expect("items");
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].order_id, Some(order.id));
        let item = items[0].id;
        assert_eq!(
            give_address(&c, &shipping, "上海市黄浦区南京东路1号").await,
            409,
            "the prints are made"
        );
        let (_, body) = c.get_text(&page).await;
        assert!(!body.contains("id=\"shipping-form\""), "{body}");
        let (_, body) = c.get_text("/student/account").await;
        assert_eq!(
            attr(&body, &format!("print-{item}"), "data-state"),
            "printed"
        );
        // Nothing reaches the school before a student hands it in; the student cannot
        // confirm before it is posted.
        let (status, _) = post(
            &uni,
            &format!("/prints/batches/{}/handover", batch.id),
            &[
                ("stage", "school"),
                ("sheets", "1"),
                ("given_by", "王"),
                ("received_by", "李"),
                ("token", "T1"),
            ],
        )
        .await;
        assert_eq!(status, 422);
        let received = format!("/student/prints/{item}/received");
        assert_ne!(c.post_form(&received, &[]).await.status(), 303);
        let r = agency
            .get(&format!("/prints/batches/{}/pdf", batch.id))
            .await;
        assert_eq!(r.status(), 200);
        assert!(r.bytes().await.expect("pdf").starts_with(b"%PDF-"));

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
        assert_eq!(
            give_address(&c, &shipping, "上海市黄浦区南京东路1号").await,
            409
        );
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
        let (_, body) = c.get_text("/student/account").await;
        assert_eq!(
            attr(&body, &format!("print-{item}"), "data-state"),
            "posted"
        );
        assert!(body.contains("SF1234567890"), "{body}");
        let batch_page = format!("/prints/batches/{}", batch.id);
        let (_, body) = agency.get_text(&batch_page).await;
        assert_eq!(attr(&body, "batch-holdings", "data-post"), "1");

        // Lost in the post: only the agency reports it (the sheet, or every open sheet of
        // the batch: all the agency's, the batch itself stays live); the student may
        // correct the address before the reprint, which is posted anew.
        let lost = format!("/prints/batches/{}/lost", batch.id);
        let report = [
            ("item", item.to_string()),
            ("holder", "agency".to_string()),
            ("reason", "快递丢件".to_string()),
        ];
        let report: Vec<(&str, &str)> = report.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(post(&uni, &lost, &report).await.0, 403);
        assert_eq!(post(&uni, &lost, &[("reason", "快递丢件")]).await.0, 403);
        assert_eq!(
            agency
                .post_form(&lost, &[("reason", "快递丢件")])
                .await
                .status(),
            303
        );
        assert!(
            t.app
                .db
                .print_batch(batch.id)
                .await
                .expect("q")
                .lost_at
                .is_none()
        );
        let (_, body) = agency.get_text(&batch_page).await;
        assert_eq!(
            (
                attr(&body, "batch-holdings", "data-agency"),
                attr(&body, "batch-holdings", "data-post"),
                attr(&body, "batch-holdings", "data-lost"),
            ),
            ("0".into(), "0".into(), "1".into())
        );
        let (_, body) = c.get_text(&page).await;
        assert!(body.contains("id=\"shipping-form\""), "{body}");
        assert!(
            !body.contains("id=\"shipment-tracking\""),
            "the lost parcel is not shown as on its way: {body}"
        );
        let moved = "上海市黄浦区南京东路1号";
        assert_eq!(give_address(&c, &shipping, moved).await, 303);
        let r = agency
            .post_form(
                &format!("/prints/batches/{}/reprint", batch.id),
                &[("reason", "快递丢件")],
            )
            .await;
        assert_eq!(r.status(), 303);
        let reprint = t
            .app
            .db
            .campaign_print_batches(d.c1)
            .await
            .expect("q")
            .into_iter()
            .find(|b| b.reprint_of == Some(batch.id))
            .expect("the reprint");
        assert!(reprint.mailed());
        let again = t.app.db.print_items(reprint.id).await.expect("items");
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].order_id, Some(order.id));
        assert_eq!(
            give_address(&c, &shipping, "北京市海淀区颐和园路5号").await,
            409
        );
        let r = agency
            .post_form(
                &ship,
                &[("carrier", "EMS"), ("tracking_no", "EMS9876543210")],
            )
            .await;
        assert_eq!(r.status(), 303);
        let (_, body) = c.get_text("/student/account").await;
        let new_item = again[0].id;
        assert_eq!(
            attr(&body, &format!("print-{new_item}"), "data-state"),
            "posted"
        );
        assert!(body.contains("EMS9876543210"), "{body}");
        assert_eq!(attr(&body, &format!("print-{item}"), "data-state"), "lost");
        let r = c
            .post_form(&format!("/student/prints/{new_item}/received"), &[])
            .await;
        assert_eq!(r.status(), 303);
        let (_, body) = c.get_text("/student/account").await;
        assert_eq!(
            attr(&body, &format!("print-{new_item}"), "data-state"),
            "received"
        );
        // Seed 004: the student hands the prints in to the department (recorded there,
        // not by the agency), which passes them on to the graduate school.
        let dept = batch.department_id;
        let recorder = match d.u1_depts.iter().position(|x| *x == dept) {
            Some(0) => "uni1-sec1",
            Some(1) => "uni1-sec2",
            _ => "uni1-admin",
        };
        let recorder = t.login(recorder, PW).await;
        let returned = format!("/prints/items/{new_item}/returned");
        assert_eq!(post(&agency, &returned, &[]).await.0, 403);
        assert_eq!(recorder.post_form(&returned, &[]).await.status(), 303);
        assert_eq!(
            recorder.post_form(&returned, &[]).await.status(),
            303,
            "recorded once"
        );
        let (_, body) = c.get_text("/student/account").await;
        assert_eq!(
            attr(&body, &format!("print-{new_item}"), "data-state"),
            "returned"
        );
        let to_school = |n: &'static str, token: &'static str| {
            let uni = &uni;
            let path = format!("/prints/batches/{}/handover", reprint.id);
            async move {
                post(
                    uni,
                    &path,
                    &[
                        ("stage", "school"),
                        ("sheets", n),
                        ("given_by", "研秘"),
                        ("received_by", "研究生院"),
                        ("token", token),
                    ],
                )
                .await
                .0
            }
        };
        assert_eq!(to_school("2", "R1").await, 422, "only what was handed in");
        assert_eq!(to_school("1", "R1").await, 303);
        let (_, body) = uni
            .get_text(&format!("/prints/batches/{}", reprint.id))
            .await;
        assert_eq!(attr(&body, "batch-holdings", "data-school"), "1");
        assert_eq!(attr(&body, "batch-holdings", "data-department"), "0");
        let shipment = t.app.db.shipment(order.id).await.expect("q").expect("row");
        assert_eq!(
            (shipment.address.as_str(), shipment.tracking_no.as_deref()),
            (moved, Some("EMS9876543210"))
        );
        let (_, body) = agency
            .get_text(&format!("/campaigns/{}/prints", d.c1))
            .await;
        assert_eq!(
            attr(&body, &format!("prints-dept-{dept}"), "data-returned"),
            "1"
        );
        assert_eq!(
            attr(&body, &format!("prints-dept-{dept}"), "data-received"),
            "1"
        );
        assert_eq!(
            attr(&body, &format!("prints-dept-{dept}"), "data-lost"),
            "1"
        );
        let audit = t.app.db.list_audit(None, 50).await.expect("audit");
        for action in [
            "order.ship",
            "prints.batch_create",
            "prints.lost",
            "prints.reprint",
            "prints.returned",
            "prints.handover",
        ] {
            assert!(audit.iter().any(|a| a.action == action), "{action}");
        }
    }
}

#[tokio::test]
async fn prints_made_for_the_department_are_not_posted_too() {
    for backend in backends() {
        let t = TestApp::spawn_on(backend, |c| c.payments.mode = "sandbox".into()).await;
        let d = support::seed(&t).await;
        t.drain_jobs().await;
        let phone = "13800138702";
        let (c, me) = support::ordering_student(&t, d.u1, d.c1, phone, 0).await;
        let order = first_order(&t, phone).await;
        let shipping = format!("/student/orders/{}/shipping", order.code);
        let address = |a: &'static str| {
            let (c, shipping) = (&c, &shipping);
            async move {
                post(
                    c,
                    shipping,
                    &[("recipient", "张三"), ("phone", phone), ("address", a)],
                )
                .await
            }
        };
        // An address on an order never paid: nothing is posted for it, so the agency
        // prints the student with the department's batch.
        assert_eq!(address("北京市海淀区颐和园路5号").await.0, 303);
        support::registry_accepts(&t, phone, support::standard_jpeg()).await;
        let agency = t.login("agency", PW).await;
        let prints = format!("/campaigns/{}/prints", d.c1);
        assert_eq!(agency.post_form(&prints, &[]).await.status(), 303);
        let batches = t.app.db.campaign_print_batches(d.c1).await.expect("q");
        assert!(!batches.is_empty() && batches.iter().all(|b| !b.mailed()));
        // The address can no longer change: the sheet comes through the department, and
        // the write itself refuses it (a form checked just before the batch was made).
        let (status, body) = address("上海市黄浦区南京东路1号").await;
        assert_eq!(status, 409, "{body}");
        assert!(body.contains("不再邮寄"), "{body}");
        assert!(
            !t.app
                .db
                .set_shipping_address(
                    order.id,
                    Some(me.id),
                    "张三",
                    phone,
                    "上海市黄浦区南京东路1号"
                )
                .await
                .expect("q")
        );
        assert_eq!(
            t.app
                .db
                .shipment(order.id)
                .await
                .expect("q")
                .expect("row")
                .address,
            "北京市海淀区颐和园路5号"
        );
    }
}
