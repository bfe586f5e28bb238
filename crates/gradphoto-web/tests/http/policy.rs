//! Access policy at the HTTP edge: every demo role against its own and other tenants'
//! resources, on pages and the API, reads and writes. Out of scope is 403 (or 404 where
//! the code hides existence); in scope succeeds.

use std::collections::{HashMap, HashSet};

use gradphoto_testkit::{Client, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{Demo, PW, api, api_get, json, seed, token};

const ROLES: [&str; 9] = [
    "registry",
    "agency",
    "photographer",
    "uni1-admin",
    "uni1-sec1",
    "uni1-sec2",
    "uni2-admin",
    "uni2-sec1",
    "uni2-sec2",
];

fn refused(s: StatusCode) -> bool {
    s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND
}

/// Which university (1 or 2) a tenant role belongs to; None for platform roles.
fn tenant(user: &str) -> Option<u8> {
    user.strip_prefix("uni")
        .and_then(|r| r.chars().next())
        .and_then(|c| c.to_digit(10))
        .map(|d| d as u8)
}

/// Who may read each kind of page, for a resource of university `u`.
fn may_read(user: &str, what: &str, u: u8) -> bool {
    let own = tenant(user) == Some(u);
    let admin = user.ends_with("-admin") && own;
    let sec = user.contains("-sec") && own;
    match what {
        "university"
        | "campaign_students"
        | "api_university"
        | "api_students"
        | "api_campaigns"
        | "api_campaign"
        | "api_campaign_students" => {
            matches!(user, "registry" | "agency" | "photographer") || admin || sec
        }
        "roster_export" | "campaign" | "progress_export" | "api_progress" => {
            matches!(user, "registry" | "agency") || admin || sec
        }
        _ => unreachable!("{what}"),
    }
}

fn read_paths(d: &Demo, u: u8) -> Vec<(&'static str, String)> {
    let (uid, cid, dept) = if u == 1 {
        (d.u1, d.c1, d.u1_depts[1])
    } else {
        (d.u2, d.c2, d.u2_depts[1])
    };
    vec![
        ("university", format!("/universities/{uid}")),
        (
            "university",
            format!("/universities/{uid}?department={dept}"),
        ),
        ("roster_export", format!("/universities/{uid}/roster.xlsx")),
        ("campaign", format!("/campaigns/{cid}")),
        ("campaign", format!("/campaigns/{cid}?department={dept}")),
        ("campaign_students", format!("/campaigns/{cid}/students")),
        ("progress_export", format!("/campaigns/{cid}/progress.xlsx")),
        ("api_university", format!("/api/universities/{uid}")),
        (
            "api_students",
            format!("/api/universities/{uid}/students?department={dept}"),
        ),
        (
            "api_campaigns",
            format!("/api/universities/{uid}/campaigns"),
        ),
        ("api_campaign", format!("/api/campaigns/{cid}")),
        ("api_progress", format!("/api/campaigns/{cid}/progress")),
        (
            "api_campaign_students",
            format!("/api/campaigns/{cid}/students"),
        ),
    ]
}

async fn get(t: &TestApp, c: &Client, tok: &str, path: &str) -> (StatusCode, String) {
    match path.strip_prefix("/api") {
        Some(p) => api_get(t, tok, p).await,
        None => c.get_text(path).await,
    }
}

#[tokio::test]
async fn every_role_reads_only_its_own_tenant() {
    let t = TestApp::spawn().await;
    let d = seed(&t).await;
    let mut sessions = Vec::new();
    for user in ROLES {
        sessions.push((user, t.login(user, PW).await, token(&t, user).await));
    }
    let mut failures = Vec::new();
    for (user, c, tok) in &sessions {
        for u in [1u8, 2] {
            for (what, path) in read_paths(&d, u) {
                let (s, _) = get(&t, c, tok, &path).await;
                let want = may_read(user, what, u);
                let ok = if want {
                    s == StatusCode::OK
                } else {
                    refused(s)
                };
                if !ok {
                    failures.push(format!(
                        "{user} GET {path}: {s}, expected {}",
                        if want { "200" } else { "403/404" }
                    ));
                }
            }
        }
        // Platform pages.
        let may_staff = matches!(*user, "agency" | "uni1-admin" | "uni2-admin");
        let may_audit = matches!(*user, "agency" | "registry" | "uni1-admin" | "uni2-admin");
        for (path, want) in [
            ("/staff", may_staff),
            ("/audit", may_audit),
            ("/universities", true),
        ] {
            let (s, _) = c.get_text(path).await;
            if want != (s == StatusCode::OK) || (!want && !refused(s)) {
                failures.push(format!("{user} GET {path}: {s}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // University staff see only their own university in lists, and nothing of the other
    // one on the staff and audit pages.
    for (user, c, tok) in &sessions {
        let Some(u) = tenant(user) else { continue };
        let (own, other) = if u == 1 { (d.u1, d.u2) } else { (d.u2, d.u1) };
        let (_, b) = api_get(&t, tok, "/universities").await;
        let ids: Vec<i64> = json(&b)
            .as_array()
            .expect("array")
            .iter()
            .map(|x| x["id"].as_i64().unwrap_or(0))
            .collect();
        assert_eq!(ids, vec![own], "{user}");
        let (_, html) = c.get_text("/universities").await;
        assert!(
            !html.contains(&format!("/universities/{other}\"")),
            "{user} sees the other university"
        );
        if user.ends_with("-admin") {
            let other_prefix = if u == 1 { "uni2-" } else { "uni1-" };
            for path in ["/staff", "/audit"] {
                let (_, html) = c.get_text(path).await;
                assert!(
                    !html.contains(other_prefix),
                    "{user} {path} shows {other_prefix} accounts"
                );
            }
        }
    }
}

/// Student numbers and names per department of university 1.
async fn roster_by_department(t: &TestApp, u: i64) -> HashMap<i64, Vec<(String, String)>> {
    let mut m: HashMap<i64, Vec<(String, String)>> = HashMap::new();
    for s in t.app.db.all_students(u).await.expect("students") {
        m.entry(s.department_id)
            .or_default()
            .push((s.student_no, s.name));
    }
    m
}

#[tokio::test]
async fn a_secretary_never_sees_another_department() {
    let t = TestApp::spawn().await;
    let d = seed(&t).await;
    let by_dept = roster_by_department(&t, d.u1).await;
    let own_dept = d.u1_depts[0];
    let own: &Vec<(String, String)> = &by_dept[&own_dept];
    assert!(!own.is_empty());
    let own_names: HashSet<&str> = own.iter().map(|(_, n)| n.as_str()).collect();
    let others: Vec<&(String, String)> = by_dept
        .iter()
        .filter(|(k, _)| **k != own_dept)
        .flat_map(|(_, v)| v)
        .collect();
    assert!(others.len() > 50);
    let sec = t.login("uni1-sec1", PW).await;
    let tok = token(&t, "uni1-sec1").await;

    let check_html = |path: String, html: String| {
        for (no, name) in &others {
            // As a table cell or a JSON string; a search box may echo what was typed.
            assert!(
                !html.contains(&format!(">{no}<"))
                    && !html.contains(&format!("\"student_no\":\"{no}\"")),
                "{path} shows student {no} of another department"
            );
            if !own_names.contains(name.as_str()) {
                assert!(
                    !html.contains(&format!(">{name}<")),
                    "{path} shows {name} of another department"
                );
            }
        }
    };
    let mut pages = vec![
        format!("/universities/{}", d.u1),
        format!("/campaigns/{}", d.c1),
        format!("/campaigns/{}/students", d.c1),
    ];
    for &other in &d.u1_depts[1..] {
        pages.push(format!("/universities/{}?department={other}", d.u1));
        pages.push(format!("/campaigns/{}?department={other}", d.c1));
        pages.push(format!("/campaigns/{}/students?department={other}", d.c1));
    }
    for (no, _) in others.iter().take(5) {
        pages.push(format!("/universities/{}?q={no}", d.u1));
    }
    for p in pages {
        let (s, html) = sec.get_text(&p).await;
        assert_eq!(s, StatusCode::OK, "{p}");
        check_html(p, html);
    }
    // The own department does show up.
    let (_, html) = sec.get_text(&format!("/universities/{}", d.u1)).await;
    assert!(html.contains(own[0].0.as_str()));

    // API: whatever department is asked for, only the own department comes back.
    for &asked in &d.u1_depts {
        for p in [
            format!(
                "/universities/{}/students?department={asked}&limit=1000",
                d.u1
            ),
            format!("/campaigns/{}/students?department={asked}", d.c1),
            format!("/campaigns/{}/progress?department={asked}", d.c1),
        ] {
            let (s, b) = api_get(&t, &tok, &p).await;
            assert_eq!(s, StatusCode::OK, "{p}: {b}");
            check_html(p.clone(), b.clone());
            let v = json(&b);
            let rows: Vec<&serde_json::Value> = match v.as_array() {
                Some(a) => a.iter().collect(),
                None => v["departments"]
                    .as_array()
                    .expect("departments")
                    .iter()
                    .collect(),
            };
            assert!(!rows.is_empty(), "{p}");
            for r in rows {
                let dept = r["department_id"]
                    .as_i64()
                    .or(r["student"]["department_id"].as_i64());
                assert_eq!(dept, Some(own_dept), "{p}");
            }
        }
    }
    let (_, b) = api_get(&t, &tok, &format!("/universities/{}", d.u1)).await;
    let depts = json(&b)["departments"]
        .as_array()
        .expect("departments")
        .len();
    assert_eq!(depts, 1, "a secretary sees only their department");

    // Exports are held to the department too.
    for p in [
        format!(
            "/universities/{}/roster.xlsx?department={}",
            d.u1, d.u1_depts[1]
        ),
        format!("/universities/{}/roster.xlsx", d.u1),
    ] {
        let r = sec.get(&p).await;
        assert_eq!(r.status(), StatusCode::OK, "{p}");
        let bytes = r.bytes().await.expect("bytes");
        let grid = gradphoto_sheets::read_grid(&bytes, &gradphoto_sheets::Limits::default())
            .expect("xlsx");
        assert_eq!(grid.len() - 1, own.len(), "{p}: only the own department");
        let own_nos: HashSet<&str> = own.iter().map(|(n, _)| n.as_str()).collect();
        assert!(
            grid[1..].iter().all(|r| own_nos.contains(r[0].as_str())),
            "{p}"
        );
    }
    let r = sec
        .get(&format!(
            "/campaigns/{}/progress.xlsx?department={}",
            d.c1, d.u1_depts[1]
        ))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let bytes = r.bytes().await.expect("bytes");
    let grid =
        gradphoto_sheets::read_grid(&bytes, &gradphoto_sheets::Limits::default()).expect("xlsx");
    assert_eq!(grid.len(), 3, "header, own department, total: {grid:?}");
}

#[tokio::test]
async fn writes_out_of_scope_are_refused_and_change_nothing() {
    let t = TestApp::spawn().await;
    let d = seed(&t).await;
    let db = &t.app.db;
    let csv =
        crate::support::gbk_csv(&gradphoto_domain::sample::sample_universities()[0].roster[..3]);
    let campaign = [
        ("name", "越权采集任务"),
        ("target_terms", "2024-07"),
        ("levels", "master"),
        ("onsite_from", "2024-05-01"),
        ("onsite_to", "2024-05-03"),
    ];
    let campaign_json = json!({"name": "越权", "target_terms": "2024-07", "levels": ["master"], "onsite_from": "2024-05-01", "onsite_to": "2024-05-03"});
    let state = || async {
        (
            db.count_students(d.u1, None).await.expect("db"),
            db.count_students(d.u2, None).await.expect("db"),
            db.list_campaigns(None)
                .await
                .expect("db")
                .iter()
                .map(|c| (c.id, c.status.clone()))
                .collect::<Vec<_>>(),
            db.list_staff(None).await.expect("db").len(),
            db.list_universities().await.expect("db").len(),
        )
    };
    let before = state().await;
    let mut failures = Vec::new();
    for user in ROLES {
        let c = t.login(user, PW).await;
        let tok = token(&t, user).await;
        for u in [1u8, 2] {
            let (uid, cid, dept) = if u == 1 {
                (d.u1, d.c1, d.u1_depts[0])
            } else {
                (d.u2, d.c2, d.u2_depts[0])
            };
            // Only the agency and the university's own admin write here; here every
            // write is expected to be refused except for those two.
            let may = user == "agency" || (user.ends_with("-admin") && tenant(user) == Some(u));
            if may {
                continue;
            }
            let mut results = vec![
                (
                    "import page",
                    c.post_file(
                        &format!("/universities/{uid}/roster"),
                        "file",
                        "r.csv",
                        csv.clone(),
                    )
                    .await
                    .status(),
                ),
                (
                    "create campaign page",
                    c.post_form(&format!("/universities/{uid}/campaigns"), &campaign)
                        .await
                        .status(),
                ),
                (
                    "close campaign page",
                    c.post_form(&format!("/campaigns/{cid}/status"), &[("to", "closed")])
                        .await
                        .status(),
                ),
                (
                    "create secretary",
                    c.post_form(
                        "/staff",
                        &[
                            ("username", &format!("x-{user}-{u}")),
                            ("display_name", "x"),
                            ("password", "long-enough-password"),
                            ("role", "department_secretary"),
                            ("scope", &format!("d:{uid}:{dept}")),
                        ],
                    )
                    .await
                    .status(),
                ),
            ];
            let raw = crate::support::raw();
            let r = raw
                .post(format!("{}/api/universities/{uid}/roster", t.url))
                .bearer_auth(&tok)
                .body(csv.clone())
                .send()
                .await
                .expect("POST");
            results.push(("import API", r.status()));
            results.push((
                "create campaign API",
                api(
                    &t,
                    &tok,
                    Method::POST,
                    &format!("/universities/{uid}/campaigns"),
                    Some(campaign_json.clone()),
                )
                .await
                .0,
            ));
            results.push((
                "close campaign API",
                api(
                    &t,
                    &tok,
                    Method::POST,
                    &format!("/campaigns/{cid}/status"),
                    Some(json!({"to": "closed"})),
                )
                .await
                .0,
            ));
            for (what, s) in results {
                if !refused(s) {
                    failures.push(format!("{user} {what} at university {u}: {s}"));
                }
            }
        }
        if user != "agency" {
            let s = c
                .post_form(
                    "/universities",
                    &[
                        ("code", "19998"),
                        ("name_zh", "越权大学"),
                        ("departments", "甲院"),
                    ],
                )
                .await
                .status();
            if !refused(s) {
                failures.push(format!("{user} create university: {s}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(state().await, before, "nothing changed");

    // In scope: the admin creates a campaign and a secretary, and closes the campaign.
    let admin = t.login("uni1-admin", PW).await;
    let r = admin
        .post_form(&format!("/universities/{}/campaigns", d.u1), &campaign)
        .await;
    assert!(r.status().is_redirection(), "{}", r.status());
    let r = admin
        .post_form(
            "/staff",
            &[
                ("username", "uni1-sec3"),
                ("display_name", "新秘书"),
                ("password", "long-enough-password"),
                ("role", "department_secretary"),
                ("scope", &format!("d:{}:{}", d.u1, d.u1_depts[2])),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("已创建账号 uni1-sec3")
    );
    let r = admin
        .post_form(&format!("/campaigns/{}/status", d.c1), &[("to", "closed")])
        .await;
    assert!(r.status().is_redirection(), "{}", r.status());
    assert_eq!(db.get_campaign(d.c1).await.expect("db").status, "closed");
}

#[tokio::test]
async fn a_university_admin_cannot_create_platform_accounts() {
    let t = TestApp::spawn().await;
    let d = seed(&t).await;
    let admin = t.login("uni1-admin", PW).await;
    for role in ["agency_admin", "registry_operator", "agency_photographer"] {
        let name = format!("escalated-{role}").replace('_', "-");
        let r = admin
            .post_form(
                "/staff",
                &[
                    ("username", name.as_str()),
                    ("display_name", "x"),
                    ("password", "long-enough-password"),
                    ("role", role),
                    ("scope", &format!("u:{}", d.u1)),
                ],
            )
            .await;
        assert!(refused(r.status()), "{role}: {}", r.status());
        assert!(
            t.app
                .db
                .find_staff_by_username(&name)
                .await
                .expect("db")
                .is_none(),
            "a university admin created a platform-wide {role}"
        );
    }
}

/// ID numbers are shown in full to the registry only, and each such read is audited.
#[tokio::test]
async fn only_the_registry_sees_full_id_numbers() {
    let t = TestApp::spawn().await;
    let d = seed(&t).await;
    let sample = &gradphoto_domain::sample::sample_universities()[0];
    let students =
        gradphoto_domain::roster::validate_grid(&sample.roster, &sample.department_refs())
            .expect("valid");
    let numbers: Vec<String> = students.iter().map(|s| s.id.number().to_string()).collect();
    let page = format!("/universities/{}?q=", d.u1);
    let registry = t.login("registry", PW).await;
    let (s, html) = registry.get_text(&page).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        numbers.iter().any(|n| html.contains(n.as_str())),
        "the registry sees full numbers"
    );
    let audited = t.app.db.list_audit(Some(d.u1), 20).await.expect("audit");
    assert!(
        audited
            .iter()
            .any(|a| a.action == "student.reveal_ids" && a.actor_name == "registry")
    );
    for user in ["agency", "photographer", "uni1-admin", "uni1-sec1"] {
        let c = t.login(user, PW).await;
        let (_, html) = c.get_text(&page).await;
        assert!(
            !numbers.iter().any(|n| html.contains(n.as_str())),
            "{user} sees masked numbers only"
        );
        let tok = crate::support::token(&t, user).await;
        let (_, body) = crate::support::api_get(
            &t,
            &tok,
            &format!("/universities/{}/students?limit=1000", d.u1),
        )
        .await;
        assert!(
            !numbers.iter().any(|n| body.contains(n.as_str())),
            "{user} API"
        );
    }
}
