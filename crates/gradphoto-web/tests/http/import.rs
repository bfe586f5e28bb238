//! Roster import over HTTP: GBK CSV with Chinese headers, all-or-nothing rejection with
//! row numbers, idempotent re-import, update by student number, refused file types and
//! sizes, and ID numbers that never leave the server unmasked.

use gradphoto_app::auth::StaffInput;
use gradphoto_domain::policy::Role;
use gradphoto_domain::sample::{fixed, sample_roster_with_one_bad_row, sample_universities};
use gradphoto_testkit::{Backend, TestApp, backends};
use reqwest::StatusCode;

use crate::support::{api_get, gbk_csv, json, leaked, location, raw, token};

const LIMIT: usize = 16 * 1024;

/// An app with one agency admin and a university shaped like sample university A, created
/// through the page form.
async fn world(backend: Backend) -> (TestApp, i64) {
    let t = TestApp::spawn_on(backend, |c| c.limits.upload_max_bytes = LIMIT).await;
    t.app
        .create_staff_unchecked(
            None,
            &StaffInput {
                username: "agency".into(),
                display_name: "图片社".into(),
                password: crate::support::PW.into(),
                role: Role::AgencyAdmin,
                university_id: None,
                department_id: None,
            },
        )
        .await
        .expect("agency account");
    let a = &sample_universities()[0];
    let depts: Vec<String> = a
        .departments
        .iter()
        .map(|(n, c)| match c {
            Some(c) => format!("{n},{c}"),
            None => n.clone(),
        })
        .collect();
    let c = t.login("agency", crate::support::PW).await;
    let r = c
        .post_form(
            "/universities",
            &[
                ("code", "19901"),
                ("name_zh", "测试大学"),
                ("name_en", "Test University"),
                ("departments", &depts.join("\n")),
                ("campuses", &a.campuses.join("\n")),
            ],
        )
        .await;
    assert!(r.status().is_redirection(), "{}", r.status());
    let id = location(&r)
        .rsplit('/')
        .next()
        .and_then(|s| s.parse().ok())
        .expect("redirect to the university");
    (t, id)
}

#[tokio::test]
async fn roster_import_is_all_or_nothing_and_idempotent() {
    for backend in backends() {
        let (t, u) = world(backend).await;
        let c = t.login("agency", crate::support::PW).await;
        let tok = token(&t, "agency").await;
        let path = format!("/universities/{u}/roster");
        let count = || async { t.app.db.count_students(u, None).await.expect("db") };
        let (bad, bad_row) = sample_roster_with_one_bad_row();
        let good = fixed(&bad);
        let rows = good.len() - 1;
        // Full ID numbers of the rows that get imported: these must never come back.
        let numbers: Vec<String> = good[1..].iter().map(|r| r[3].clone()).collect();
        let mut bodies: Vec<(String, String)> = Vec::new();

        // One bad row: refused with its row number, nothing written.
        let r = c.post_file(&path, "file", "名单.csv", gbk_csv(&bad)).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{backend:?}");
        let html = r.text().await.expect("body");
        assert!(html.contains("导入未执行"), "{html}");
        assert!(
            html.contains(&format!("<td class=\"num\">{bad_row}</td>")),
            "row {bad_row} listed: {html}"
        );
        bodies.push(("rejected page".into(), html));
        assert_eq!(count().await, 0, "{backend:?}: nothing half-written");
        let r = raw()
            .post(format!("{}/api{path}", t.url))
            .bearer_auth(&tok)
            .body(gbk_csv(&bad))
            .send()
            .await
            .expect("POST");
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let b = r.text().await.expect("body");
        let v = json(&b);
        assert_eq!(v["error"]["code"], "roster.rejected");
        let listed: Vec<u64> = v["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .filter_map(|r| r["row"].as_u64())
            .collect();
        assert_eq!(listed, vec![bad_row as u64], "{b}");
        bodies.push(("rejected API".into(), b));

        // The corrected file, GBK with Chinese headers, imports.
        let file = gbk_csv(&good);
        assert!(std::str::from_utf8(&file).is_err(), "really GBK, not UTF-8");
        let r = c.post_file(&path, "file", "名单.csv", file.clone()).await;
        assert_eq!(r.status(), StatusCode::OK, "{backend:?}");
        let html = r.text().await.expect("body");
        assert!(
            html.contains(&format!("新增 {rows}, 更新 0, 未变 0")),
            "{html}"
        );
        bodies.push(("import page".into(), html));
        assert_eq!(count().await, rows as i64);

        // The same file again: nothing new, nothing updated.
        let r = raw()
            .post(format!("{}/api{path}", t.url))
            .bearer_auth(&tok)
            .header("x-filename", "again.csv")
            .body(file.clone())
            .send()
            .await
            .expect("POST");
        assert_eq!(r.status(), StatusCode::OK);
        let v: serde_json::Value = r.json().await.expect("json");
        assert_eq!(
            (
                v["inserted"].as_u64(),
                v["updated"].as_u64(),
                v["unchanged"].as_u64()
            ),
            (Some(0), Some(0), Some(rows as u64)),
            "{v}"
        );

        // The bad file once more, now over existing data: still nothing changes.
        let hashes = || async {
            t.app
                .db
                .all_students(u)
                .await
                .expect("db")
                .into_iter()
                .map(|s| (s.student_no, s.content_hash))
                .collect::<Vec<_>>()
        };
        let before = hashes().await;
        let r = c.post_file(&path, "file", "名单.csv", gbk_csv(&bad)).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(hashes().await, before);

        // A corrected row updates by student number.
        let mut changed = good.clone();
        let name_col = changed[0].iter().position(|h| h == "姓名").expect("姓名");
        changed[2][name_col] = "更正姓名".into();
        let no = changed[2][0].clone();
        let r = c
            .post_file(&path, "file", "更正.csv", gbk_csv(&changed))
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let html = r.text().await.expect("body");
        assert!(
            html.contains(&format!("新增 0, 更新 1, 未变 {}", rows - 1)),
            "{html}"
        );
        assert_eq!(count().await, rows as i64);
        let (s, b) = api_get(&t, &tok, &format!("/universities/{u}/students?q={no}")).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(json(&b)[0]["name"], "更正姓名", "{b}");
        bodies.push(("students API".into(), b));

        // A picture and a binary blob are refused clearly, in both languages.
        let png =
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89"
                .to_vec();
        let blob: Vec<u8> = (0..4000u32).map(|i| (i * 7919 % 251) as u8).collect();
        for (name, bytes) in [("photo.png", png), ("名单.csv", blob)] {
            let r = c.post_file(&path, "file", name, bytes.clone()).await;
            assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{name}");
            assert!(
                r.text()
                    .await
                    .expect("body")
                    .contains("id=\"import-error\""),
                "{name}"
            );
            let r = raw()
                .post(format!("{}/api{path}", t.url))
                .bearer_auth(&tok)
                .body(bytes)
                .send()
                .await
                .expect("POST");
            assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{name}");
            let v: serde_json::Value = r.json().await.expect("json");
            assert!(
                !v["error"]["zh"].as_str().unwrap_or_default().is_empty()
                    && !v["error"]["en"].as_str().unwrap_or_default().is_empty(),
                "{v}"
            );
            assert_eq!(count().await, rows as i64);
        }

        // Too large: over the configured limit, and far over it.
        for size in [LIMIT + 1, LIMIT + 512 * 1024] {
            let mut big = file.clone();
            big.resize(size, b' ');
            let r = c.post_file(&path, "file", "big.csv", big.clone()).await;
            assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE, "{size}");
            let html = r.text().await.expect("body");
            assert!(html.contains("过大"), "{size}: {html}");
            let r = raw()
                .post(format!("{}/api{path}", t.url))
                .bearer_auth(&tok)
                .body(big)
                .send()
                .await
                .expect("POST");
            assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE, "{size}");
            let v: serde_json::Value = r.json().await.expect("json");
            assert_eq!(v["error"]["code"], "upload.too_large");
            assert!(
                v["error"]["en"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("too large"),
                "{v}"
            );
            assert_eq!(count().await, rows as i64);
        }
        assert_eq!(t.app.db.all_students(u).await.expect("db").len(), rows);

        // No page or API response carries a full ID number.
        for p in [
            format!("/universities/{u}"),
            format!("/universities/{u}?q={no}"),
            "/audit".to_string(),
        ] {
            let (s, html) = c.get_text(&p).await;
            assert_eq!(s, StatusCode::OK, "{p}");
            bodies.push((p, html));
        }
        let (_, b) = api_get(&t, &tok, &format!("/universities/{u}/students?limit=1000")).await;
        assert_eq!(json(&b).as_array().map(Vec::len), Some(rows));
        bodies.push(("students API".into(), b));
        let r = c.get(&format!("/universities/{u}/roster.xlsx")).await;
        assert_eq!(r.status(), StatusCode::OK);
        let grid =
            gradphoto_sheets::read_grid(&r.bytes().await.expect("bytes"), &Default::default())
                .expect("xlsx");
        assert_eq!(grid.len(), rows + 1);
        bodies.push(("roster.xlsx".into(), format!("{grid:?}")));
        for (what, body) in &bodies {
            assert_eq!(
                leaked(body, &numbers),
                None,
                "{backend:?}: {what} shows a full ID number"
            );
        }
    }
}
