//! Cross-site request forgery: every state-changing page route refuses a form without
//! the right token or from another origin, and changes nothing; the API takes a bearer
//! token without CSRF but a cookie session only with `X-CSRF-Token`.

use gradphoto_testkit::TestApp;
use reqwest::StatusCode;
use reqwest::header::ORIGIN;
use serde_json::json;

use crate::support::{PW, api, code, post_file_without_csrf, seed, token};

/// What the refused requests could have changed.
#[derive(Debug, PartialEq, Eq)]
struct Snapshot {
    universities: usize,
    students_u1: i64,
    campaigns_u1: usize,
    campaign_status: String,
    staff: usize,
    audit: usize,
    departments_u1: usize,
    campuses_u1: usize,
    campaign_name: String,
    staff_state: Vec<(String, bool, String)>,
}

async fn snapshot(t: &TestApp, u1: i64, c1: i64) -> Snapshot {
    let db = &t.app.db;
    Snapshot {
        universities: db.list_universities().await.expect("db").len(),
        students_u1: db.count_students(u1, None).await.expect("db"),
        campaigns_u1: db.list_campaigns(Some(u1)).await.expect("db").len(),
        campaign_status: db.get_campaign(c1).await.expect("db").status,
        staff: db.list_staff(None).await.expect("db").len(),
        audit: db.list_audit(None, 10_000).await.expect("db").len(),
        departments_u1: db.list_departments(u1).await.expect("db").len(),
        campuses_u1: db.list_campuses(u1).await.expect("db").len(),
        campaign_name: db.get_campaign(c1).await.expect("db").name,
        staff_state: db
            .list_staff(None)
            .await
            .expect("db")
            .into_iter()
            .map(|a| (a.username, a.disabled, a.password_hash))
            .collect(),
    }
}

fn campaign_form() -> Vec<(&'static str, &'static str)> {
    vec![
        ("name", "伪造的采集任务"),
        ("target_terms", "2024-07"),
        ("levels", "master"),
        ("onsite_from", "2024-05-01"),
        ("onsite_to", "2024-05-03"),
    ]
}

#[tokio::test]
async fn forms_without_the_token_are_refused_and_change_nothing() {
    let t = TestApp::spawn().await;
    let d = seed(&t).await;
    let agency = t.login("agency", PW).await;
    let admin = t.login("uni1-admin", PW).await;
    let admin_id = t
        .app
        .db
        .find_staff_by_username("uni1-admin")
        .await
        .expect("db")
        .expect("admin")
        .id;
    let before = snapshot(&t, d.u1, d.c1).await;
    let roster =
        crate::support::gbk_csv(&gradphoto_domain::sample::sample_universities()[0].roster[..3]);

    let university = [
        ("code", "19999"),
        ("name_zh", "伪造大学"),
        ("departments", "甲院"),
    ];
    let staff = [
        ("username", "forged-admin"),
        ("display_name", "x"),
        ("password", "long-enough-password"),
        ("role", "agency_admin"),
        ("scope", ""),
    ];
    let refused = [
        (
            "POST /universities",
            agency
                .post_form_without_csrf("/universities", &university)
                .await,
        ),
        (
            "POST /universities/{id}/roster",
            post_file_without_csrf(
                &admin,
                &format!("/universities/{}/roster", d.u1),
                "r.csv",
                roster.clone(),
            )
            .await,
        ),
        (
            "POST /universities/{id}/campaigns",
            admin
                .post_form_without_csrf(
                    &format!("/universities/{}/campaigns", d.u1),
                    &campaign_form(),
                )
                .await,
        ),
        (
            "POST /campaigns/{id}/status",
            admin
                .post_form_without_csrf(&format!("/campaigns/{}/status", d.c1), &[("to", "closed")])
                .await,
        ),
        (
            "POST /staff",
            agency.post_form_without_csrf("/staff", &staff).await,
        ),
        (
            "POST /universities/{id}/departments",
            admin
                .post_form_without_csrf(
                    &format!("/universities/{}/departments", d.u1),
                    &[("name", "伪造学院")],
                )
                .await,
        ),
        (
            "POST /universities/{id}/campuses",
            admin
                .post_form_without_csrf(
                    &format!("/universities/{}/campuses", d.u1),
                    &[("name", "伪造校区")],
                )
                .await,
        ),
        (
            "POST /campaigns/{id}/edit",
            admin
                .post_form_without_csrf(&format!("/campaigns/{}/edit", d.c1), &campaign_form())
                .await,
        ),
        (
            "POST /staff/{id}/disabled",
            agency
                .post_form_without_csrf(
                    &format!("/staff/{}/disabled", admin_id),
                    &[("disabled", "true")],
                )
                .await,
        ),
        (
            "POST /account/password",
            admin
                .post_form_without_csrf(
                    "/account/password",
                    &[("current", PW), ("new", "forged-password-123")],
                )
                .await,
        ),
        (
            "POST /logout",
            admin.post_form_without_csrf("/logout", &[]).await,
        ),
        (
            "POST /login",
            admin
                .post_form_without_csrf("/login", &[("username", "agency"), ("password", PW)])
                .await,
        ),
    ];
    for (route, r) in refused {
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{route}");
        let body = r.text().await.expect("body");
        assert!(body.contains("表单已过期或来源不明"), "{route}: {body}");
    }
    assert_eq!(snapshot(&t, d.u1, d.c1).await, before, "nothing changed");
    // The forged logout did not end the session.
    let (s, _) = admin.get_text(&format!("/universities/{}", d.u1)).await;
    assert_eq!(s, StatusCode::OK);

    // A wrong (well-formed) token and a foreign Origin are refused just the same.
    let wrong = "A".repeat(32);
    let r = agency
        .http
        .post(format!("{}/universities", t.url))
        .form(&[university.as_slice(), &[("csrf", wrong.as_str())]].concat())
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let good = agency.csrf().await;
    let r = agency
        .http
        .post(format!("{}/universities", t.url))
        .header(ORIGIN, "https://evil.example")
        .form(&[university.as_slice(), &[("csrf", good.as_str())]].concat())
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = admin
        .http
        .post(format!("{}/campaigns/{}/status", t.url, d.c1))
        .header(ORIGIN, "http://127.0.0.1.evil.example")
        .form(&[("to", "closed"), ("csrf", admin.csrf().await.as_str())])
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        snapshot(&t, d.u1, d.c1).await,
        before,
        "still nothing changed"
    );

    // The right token from the same origin goes through.
    let r = agency
        .http
        .post(format!("{}/universities", t.url))
        .header(ORIGIN, t.url.as_str())
        .form(&[university.as_slice(), &[("csrf", good.as_str())]].concat())
        .send()
        .await
        .expect("POST");
    assert!(r.status().is_redirection(), "{}", r.status());
    assert_eq!(
        t.app.db.list_universities().await.expect("db").len(),
        before.universities + 1
    );
}

#[tokio::test]
async fn the_api_needs_the_csrf_header_with_a_cookie_but_not_with_a_bearer_token() {
    let t = TestApp::spawn().await;
    let d = seed(&t).await;
    let body = json!({
        "name": "API 采集任务", "target_terms": "2024-07", "levels": ["master"],
        "onsite_from": "2024-05-01", "onsite_to": "2024-05-03"
    });
    let path = format!("/universities/{}/campaigns", d.u1);
    let count = || async { t.app.db.list_campaigns(Some(d.u1)).await.expect("db").len() };
    let n0 = count().await;

    // Bearer: no CSRF needed.
    let tok = token(&t, "uni1-admin").await;
    let (s, b) = api(&t, &tok, reqwest::Method::POST, &path, Some(body.clone())).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(count().await, n0 + 1);

    // Cookie session without the header: refused, nothing created.
    let c = t.login("uni1-admin", PW).await;
    let r = c
        .http
        .post(format!("{}/api{path}", t.url))
        .json(&body)
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(code(&r.text().await.expect("body")), "csrf.invalid");
    // Nor does a bearer header next to the cookie lift the requirement.
    let r = c
        .http
        .post(format!("{}/api{path}", t.url))
        .bearer_auth(&tok)
        .json(&body)
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(count().await, n0 + 1);

    // With the header it works.
    let r = c
        .http
        .post(format!("{}/api{path}", t.url))
        .header("x-csrf-token", c.csrf().await)
        .json(&body)
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(count().await, n0 + 2);
}
