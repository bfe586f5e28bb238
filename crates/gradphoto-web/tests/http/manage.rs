//! Managing a university after it exists: departments, campuses, campaign edits — each
//! allowed to the right people only, each audited.

use gradphoto_testkit::TestApp;
use reqwest::StatusCode;

use crate::support::{PW, seed};

#[tokio::test]
async fn departments_and_campuses_are_added_by_admins_only_and_audited() {
    let t = TestApp::spawn().await;
    let d = seed(&t).await;
    let admin = t.login("uni1-admin", PW).await;
    let before = t.app.db.list_departments(d.u1).await.expect("depts").len();
    let r = admin
        .post_form(
            &format!("/universities/{}/departments", d.u1),
            &[("name", "未来技术学院"), ("code", "FT")],
        )
        .await;
    assert!(r.status().is_redirection(), "{}", r.status());
    let r = admin
        .post_form(
            &format!("/universities/{}/campuses", d.u1),
            &[("name", "昌平校区")],
        )
        .await;
    assert!(r.status().is_redirection(), "{}", r.status());
    let depts = t.app.db.list_departments(d.u1).await.expect("depts");
    assert_eq!(depts.len(), before + 1);
    assert!(
        depts
            .iter()
            .any(|x| x.name == "未来技术学院" && x.code.as_deref() == Some("FT"))
    );
    assert!(
        t.app
            .db
            .list_campuses(d.u1)
            .await
            .expect("campuses")
            .iter()
            .any(|c| c.name == "昌平校区")
    );
    let audit = t.app.db.list_audit(Some(d.u1), 5).await.expect("audit");
    assert!(
        audit
            .iter()
            .any(|a| a.action == "department.create" && a.actor_name == "uni1-admin")
    );
    assert!(audit.iter().any(|a| a.action == "campus.create"));
    // A duplicate is a clear conflict, not a server error.
    let r = admin
        .post_form(
            &format!("/universities/{}/departments", d.u1),
            &[("name", "未来技术学院")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    // Out of scope: a secretary, a photographer, another university's admin.
    for (user, uni) in [
        ("uni1-sec1", d.u1),
        ("photographer", d.u1),
        ("uni2-admin", d.u1),
    ] {
        let c = t.login(user, PW).await;
        let r = c
            .post_form(
                &format!("/universities/{uni}/departments"),
                &[("name", "越权学院")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{user}");
    }
    assert!(
        !t.app
            .db
            .list_departments(d.u1)
            .await
            .expect("depts")
            .iter()
            .any(|x| x.name == "越权学院")
    );
}

#[tokio::test]
async fn campaigns_are_edited_until_closed() {
    let t = TestApp::spawn().await;
    let d = seed(&t).await;
    let admin = t.login("uni1-admin", PW).await;
    let (s, form) = admin.get_text(&format!("/campaigns/{}/edit", d.c1)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        form.contains("2024-01, 2024-07"),
        "the form is filled in from the campaign"
    );
    let fields = [
        ("name", "2024届研究生图像采集（修订）"),
        ("cohort", "2024"),
        ("target_terms", "2024-01, 2024-07, 2024-12"),
        ("levels", "master"),
        ("levels", "doctor"),
        ("exclude_single_certificate", "true"),
        ("onsite_from", "2023-11-01"),
        ("onsite_to", "2023-11-06"),
        ("fee_yuan", "20"),
    ];
    let r = admin
        .post_form(&format!("/campaigns/{}/edit", d.c1), &fields)
        .await;
    assert!(r.status().is_redirection(), "{}", r.status());
    let c = t.app.db.get_campaign(d.c1).await.expect("campaign");
    assert_eq!(c.name, "2024届研究生图像采集（修订）");
    assert!(c.rules_json.contains("2024-12"));
    t.drain_jobs().await;
    // A bad value comes back as the form with the message, nothing saved.
    let r = admin
        .post_form(
            &format!("/campaigns/{}/edit", d.c1),
            &[
                ("name", "x"),
                ("target_terms", "2024-13"),
                ("levels", "master"),
                ("onsite_from", "2023-11-01"),
                ("onsite_to", "2023-11-02"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        t.app.db.get_campaign(d.c1).await.expect("campaign").name,
        "2024届研究生图像采集（修订）"
    );
    // Others may not.
    for user in ["uni1-sec1", "uni2-admin", "photographer"] {
        let c = t.login(user, PW).await;
        let r = c
            .post_form(&format!("/campaigns/{}/edit", d.c1), &fields)
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{user}");
        assert_eq!(
            c.get(&format!("/universities/{}/campaigns/new", d.u1))
                .await
                .status(),
            StatusCode::FORBIDDEN,
            "{user} gets no creation form"
        );
    }
    // Closed is final.
    let r = admin
        .post_form(&format!("/campaigns/{}/status", d.c1), &[("to", "closed")])
        .await;
    assert!(r.status().is_redirection());
    let r = admin
        .post_form(&format!("/campaigns/{}/edit", d.c1), &fields)
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn accounts_are_disabled_by_their_admins_and_passwords_changed_by_their_owners() {
    let t = TestApp::spawn().await;
    let d = seed(&t).await;
    let sec = t.login("uni1-sec1", PW).await;
    let sec_id = t
        .app
        .db
        .find_staff_by_username("uni1-sec1")
        .await
        .expect("db")
        .expect("sec")
        .id;
    let admin = t.login("uni1-admin", PW).await;
    let admin_id = t
        .app
        .db
        .find_staff_by_username("uni1-admin")
        .await
        .expect("db")
        .expect("admin")
        .id;
    // Another university's admin and a secretary may not disable anyone here.
    for user in ["uni2-admin", "uni1-sec2"] {
        let c = t.login(user, PW).await;
        let r = c
            .post_form(
                &format!("/staff/{sec_id}/disabled"),
                &[("disabled", "true")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{user}");
    }
    // A university admin cannot disable agency staff.
    let agency_id = t
        .app
        .db
        .find_staff_by_username("agency")
        .await
        .expect("db")
        .expect("agency")
        .id;
    let r = admin
        .post_form(
            &format!("/staff/{agency_id}/disabled"),
            &[("disabled", "true")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Nobody disables themselves.
    let r = admin
        .post_form(
            &format!("/staff/{admin_id}/disabled"),
            &[("disabled", "true")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // The admin disables the secretary: the session ends at once and sign-in is refused.
    let r = admin
        .post_form(
            &format!("/staff/{sec_id}/disabled"),
            &[("disabled", "true")],
        )
        .await;
    assert!(r.status().is_redirection(), "{}", r.status());
    assert!(
        sec.get(&format!("/universities/{}", d.u1))
            .await
            .status()
            .is_redirection(),
        "sent to sign in"
    );
    let c = t.client();
    let r = c
        .post_form("/login", &[("username", "uni1-sec1"), ("password", PW)])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = admin
        .post_form(
            &format!("/staff/{sec_id}/disabled"),
            &[("disabled", "false")],
        )
        .await;
    assert!(r.status().is_redirection());
    let again = t.login("uni1-sec1", PW).await;

    // Password change: the current password is checked; other sessions end.
    let r = again
        .post_form(
            "/account/password",
            &[("current", "wrong-password"), ("new", "a-new-password-1")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let other = t.login("uni1-sec1", PW).await;
    let r = again
        .post_form(
            "/account/password",
            &[("current", PW), ("new", "a-new-password-1")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        again.get(&format!("/universities/{}", d.u1)).await.status(),
        StatusCode::OK,
        "this session stays"
    );
    assert!(
        other
            .get(&format!("/universities/{}", d.u1))
            .await
            .status()
            .is_redirection(),
        "the other session ended"
    );
    t.login("uni1-sec1", "a-new-password-1").await;
    let actions: Vec<String> = t
        .app
        .db
        .list_audit(Some(d.u1), 50)
        .await
        .expect("audit")
        .into_iter()
        .map(|a| a.action)
        .collect();
    for a in ["staff.disable", "staff.enable", "staff.password"] {
        assert!(actions.iter().any(|x| x == a), "{a} audited");
    }
}
