//! The agency's list of online orders, on SQLite and PostgreSQL: three students order
//! (two at the first university, one at the second), one pays in the sandbox and their
//! photo is sent; the agency sees all three with the right totals and filters them by
//! status, school, campaign, way of paying, date and code or phone; the first
//! university's admin sees only its two; a photographer is refused and a student is sent
//! to sign in; the XLSX export has the bilingual header, full names and masked phones,
//! and is audited; a filter that cannot be read is a 422 on the page.

use gradphoto_db::payments::OrderRow;
use gradphoto_domain::calendar::china_date;
use gradphoto_domain::payments::Fen;
use gradphoto_domain::people::mask_name;
use gradphoto_testkit::{Client, TestApp, backends};

use crate::support::{self, attr, location};

/// The codes of the orders listed on a page, in order.
fn codes(page: &str) -> Vec<String> {
    page.match_indices("<tr id=\"order-")
        .map(|(i, m)| {
            page[i + m.len()..]
                .split('"')
                .next()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

async fn listed(c: &Client, query: &str) -> Vec<String> {
    let (status, page) = c.get_text(&format!("/orders{query}")).await;
    assert_eq!(status, 200, "{query}: {page}");
    codes(&page)
}

/// The order the student with `phone` confirmed.
async fn order_of(t: &TestApp, phone: &str) -> OrderRow {
    let account = t
        .app
        .db
        .student_account_by_phone(phone)
        .await
        .expect("db")
        .expect("account");
    t.app
        .db
        .orders_of_account(account.id)
        .await
        .expect("orders")[0]
        .clone()
}

/// Pays the student's order with Alipay through the sandbox payer.
async fn pay_in_sandbox(t: &TestApp, c: &Client) {
    let r = c.post_form("/student/pay", &[("method", "alipay")]).await;
    assert_eq!(r.status(), 303);
    let (status, page) = c.get_text(&location(&r)).await;
    assert_eq!(status, 200, "{page}");
    let href = attr(&page, "sandbox-open", "href");
    let path = &href[href.find("/sandbox/").expect("sandbox path")..];
    let r = t.client().post_form(path, &[("action", "pay")]).await;
    assert_eq!(r.status(), 303);
}

/// The hand-over to the registry, as the job does it, without the registry: the photo is
/// claimed and recorded as sent.
async fn mark_sent(t: &TestApp, phone: &str) {
    let db = &t.app.db;
    let account = db
        .student_account_by_phone(phone)
        .await
        .expect("db")
        .expect("account");
    let entry = db
        .current_online_entry(account.id)
        .await
        .expect("db")
        .expect("entry");
    let photo = db
        .current_online_photo(entry.id)
        .await
        .expect("db")
        .expect("photo");
    assert!(
        db.claim_online_photo_for_registry(photo.id)
            .await
            .expect("claim")
    );
    let row = db
        .insert_outbox("code", "code-id", &photo.standard_key, "blue", "test")
        .await
        .expect("outbox");
    db.set_online_photo_outbox(photo.id, Some(row.id))
        .await
        .expect("sent");
}

#[tokio::test]
async fn the_agency_lists_filters_and_exports_online_orders() {
    for backend in backends() {
        let t = TestApp::spawn_on(backend, |c| {
            c.sms.demo_inbox = true;
            c.payments.mode = "sandbox".into();
        })
        .await;
        let d = support::seed(&t).await;
        t.drain_jobs().await;
        let fee1 = t.app.db.get_campaign(d.c1).await.expect("campaign").fee_fen;
        let fee2 = t.app.db.get_campaign(d.c2).await.expect("campaign").fee_fen;
        let (a, a_me) = support::ordering_student(&t, d.u1, d.c1, "13500001111", 0).await;
        let (_, b_me) = support::ordering_student(&t, d.u1, d.c1, "13500002222", 1).await;
        let (_, c_me) = support::ordering_student(&t, d.u2, d.c2, "13500003333", 0).await;
        let order_a = order_of(&t, "13500001111").await;
        let (oa, ob, oc) = (
            order_a.code.clone(),
            order_of(&t, "13500002222").await.code,
            order_of(&t, "13500003333").await.code,
        );
        pay_in_sandbox(&t, &a).await;
        mark_sent(&t, "13500001111").await;

        // The agency: all three, newest first, with the totals of what matched.
        let agency = t.login("agency", support::PW).await;
        let (status, page) = agency.get_text("/orders").await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(codes(&page), vec![oc.clone(), ob.clone(), oa.clone()]);
        assert_eq!(attr(&page, "orders-total", "data-orders"), "3");
        assert_eq!(attr(&page, "orders-total", "data-paid-orders"), "1");
        assert_eq!(
            attr(&page, "orders-total", "data-paid-fen"),
            fee1.to_string()
        );
        assert_eq!(attr(&page, &format!("order-{oa}"), "data-status"), "paid");
        assert_eq!(attr(&page, &format!("order-{oa}"), "data-progress"), "sent");
        assert_eq!(attr(&page, &format!("order-{oa}"), "data-sent"), "true");
        assert_eq!(
            attr(&page, &format!("order-{ob}"), "data-progress"),
            "awaiting_payment"
        );
        assert!(page.contains("class=\"table-wrap\"") && page.contains("id=\"nav-orders\""));
        // Names and phones are masked on the page; student numbers are shown.
        for me in [&a_me, &b_me, &c_me] {
            assert!(page.contains(&mask_name(&me.name)) && page.contains(&me.student_no));
            assert!(
                !page.contains(&format!(">{}<", me.name)),
                "{} unmasked",
                me.name
            );
        }
        assert!(page.contains("135****1111") && !page.contains("13500001111"));

        // Filters.
        assert_eq!(listed(&agency, "?status=paid").await, vec![oa.clone()]);
        assert_eq!(
            listed(&agency, "?status=pending").await,
            vec![oc.clone(), ob.clone()]
        );
        let u2 = format!("?university={}", d.u2);
        assert_eq!(listed(&agency, &u2).await, vec![oc.clone()]);
        let c1 = format!("?campaign={}", d.c1);
        assert_eq!(listed(&agency, &c1).await, vec![ob.clone(), oa.clone()]);
        assert_eq!(listed(&agency, "?provider=alipay").await, vec![oa.clone()]);
        assert!(listed(&agency, "?provider=wechat").await.is_empty());
        let q = format!("?q={}", ob[ob.len() - 8..].to_lowercase());
        assert_eq!(listed(&agency, &q).await, vec![ob.clone()]);
        assert_eq!(listed(&agency, "?q=13500003333").await, vec![oc.clone()]);
        let today = china_date(gradphoto_db::now_ms());
        let yesterday = today.pred_opt().expect("date");
        assert_eq!(
            listed(&agency, &format!("?from={today}&to={today}"))
                .await
                .len(),
            3
        );
        assert!(
            listed(&agency, &format!("?to={yesterday}"))
                .await
                .is_empty()
        );
        let (_, page) = agency
            .get_text(&format!("/orders?university={}&status=pending", d.u1))
            .await;
        assert_eq!(codes(&page), vec![ob.clone()]);
        assert_eq!(attr(&page, "orders-total", "data-paid-fen"), "0");
        let (_, page) = agency.get_text(&format!("/orders{u2}")).await;
        assert_eq!(attr(&page, "orders-total", "data-orders"), "1");
        assert_eq!(attr(&page, "orders-total", "data-paid-fen"), "0");
        assert!(page.contains(&Fen(fee2).yuan()), "{page}");

        // A filter that cannot be read: said on the page, in both languages, as a 422.
        for bad in [
            "?from=2025-13-45",
            "?to=yesterday",
            "?status=refunded",
            "?page=x",
        ] {
            let (status, page) = agency.get_text(&format!("/orders{bad}")).await;
            assert_eq!(status, 422, "{bad}");
            assert!(page.contains("id=\"orders-error\""), "{bad}: {page}");
            assert!(codes(&page).is_empty());
        }
        let (_, page) = agency.get_text("/orders?from=2025-13-45").await;
        assert!(page.contains("日期格式应为 YYYY-MM-DD"), "{page}");
        assert_eq!(agency.get("/lang/en?next=/orders").await.status(), 303);
        let (_, page) = agency.get_text("/orders?status=refunded").await;
        assert!(page.contains("Unknown order status: refunded"), "{page}");
        let (_, page) = agency.get_text("/orders").await;
        assert!(page.contains("3 orders, 1 paid") && page.contains("Alipay (sandbox)"));
        let r = agency.get("/orders.xlsx?status=refunded").await;
        assert_eq!(r.status(), 422);

        // The export: every match, bilingual header, full names, masked phones; audited.
        let r = agency.get("/orders.xlsx").await;
        assert_eq!(r.status(), 200);
        assert!(
            r.headers()[reqwest::header::CONTENT_TYPE]
                .to_str()
                .expect("type")
                .contains("spreadsheetml")
        );
        let grid =
            gradphoto_sheets::read_grid(&r.bytes().await.expect("bytes"), &Default::default())
                .expect("the export opens");
        assert_eq!(grid.len(), 4, "{grid:?}");
        let header = &grid[0];
        for h in [
            "订单号 Order",
            "状态 Status",
            "金额（元）Amount (yuan)",
            "姓名 Name",
        ] {
            assert!(header.iter().any(|c| c == h), "{h} in {header:?}");
        }
        let col = |h: &str| header.iter().position(|c| c.starts_with(h)).expect(h);
        let row_a = grid.iter().find(|r| r[0] == oa).expect("order A");
        assert_eq!(row_a[col("姓名")], a_me.name);
        assert_eq!(row_a[col("学号")], a_me.student_no);
        assert_eq!(row_a[col("联系电话")], "135****1111");
        assert_eq!(row_a[col("状态")], "已支付 Paid");
        assert_eq!(row_a[col("金额")], Fen(fee1).yuan());
        assert_eq!(row_a[col("支付方式")], "支付宝（沙箱） Alipay (sandbox)");
        assert_eq!(row_a[col("已报送学信网")], "是 yes");
        assert_eq!(row_a[col("下单时间")].len(), "2025-06-01 09:30".len());
        let audit = t.app.db.list_audit(None, 20).await.expect("audit");
        let exported = audit
            .iter()
            .find(|a| a.action == "orders.export" && a.actor_name == "agency")
            .expect("the export is audited");
        let after = exported.after_json.as_deref().unwrap_or_default();
        assert!(after.contains("\"rows\":3"), "{after}");

        // Paging: the totals are of every match, whichever page is shown.
        let (_, page) = agency.get_text("/orders?page=2").await;
        assert!(codes(&page).is_empty());
        assert_eq!(attr(&page, "orders-total", "data-orders"), "3");

        // A refund, from the list by the agency's administrator (a reason is required),
        // is counted apart from what was received; the order is no longer paid.
        let (_, page) = agency.get_text("/orders").await;
        assert!(page.contains(&format!("id=\"refund-{oa}\"")), "{page}");
        let path = format!("/orders/{oa}/refund");
        assert_eq!(
            agency.post_form(&path, &[("reason", " ")]).await.status(),
            422
        );
        let r = agency.post_form(&path, &[("reason", "学生申请退款")]).await;
        assert_eq!(r.status(), 303);
        assert_eq!(location(&r), format!("/orders?q={oa}"));
        let (_, page) = agency.get_text("/orders").await;
        assert!(
            !page.contains(&format!("id=\"refund-{oa}\"")),
            "refunded once"
        );
        let school = t.login("uni1-admin", support::PW).await;
        let r = school.post_form(&path, &[("reason", "x")]).await;
        assert_eq!(r.status(), 403, "only the agency refunds");
        assert_eq!(attr(&page, "orders-total", "data-paid-orders"), "0");
        assert_eq!(
            attr(&page, "orders-total", "data-paid-fen"),
            fee1.to_string()
        );
        assert_eq!(
            attr(&page, "orders-total", "data-refunded-fen"),
            fee1.to_string()
        );
        assert_eq!(
            attr(&page, &format!("order-{oa}"), "data-status"),
            "pending"
        );

        // The first university's admin: its two orders only, and no other school's.
        let uni1 = t.login("uni1-admin", support::PW).await;
        let (status, page) = uni1.get_text("/orders").await;
        assert_eq!(status, 200);
        assert_eq!(codes(&page), vec![ob.clone(), oa.clone()]);
        assert!(page.contains("id=\"nav-orders\""));
        assert_eq!(uni1.get(&format!("/orders{u2}")).await.status(), 403);
        let r = uni1.get("/orders.xlsx").await;
        assert_eq!(r.status(), 200);
        let grid =
            gradphoto_sheets::read_grid(&r.bytes().await.expect("bytes"), &Default::default())
                .expect("the export opens");
        assert_eq!(grid.len(), 3, "{grid:?}");
        assert!(grid.iter().all(|r| r[0] != oc));

        // Others: a photographer is refused, a student is sent to sign in.
        let photographer = t.login("photographer", support::PW).await;
        assert_eq!(photographer.get("/orders").await.status(), 403);
        assert_eq!(photographer.get("/orders.xlsx").await.status(), 403);
        let (_, home) = photographer.get_text("/").await;
        assert!(!home.contains("id=\"nav-orders\""));
        let r = a.get("/orders").await;
        assert_eq!(r.status(), 303);
        assert!(location(&r).starts_with("/login"), "{}", location(&r));
    }
}
