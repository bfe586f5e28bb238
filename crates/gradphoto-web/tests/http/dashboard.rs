//! A campaign created through the page form, opened, its jobs drained: the dashboard's
//! totals equal what the eligibility engine says about the imported rows, and the XLSX
//! export downloads and parses.

use std::collections::HashMap;

use gradphoto_domain::campaign::Rules;
use gradphoto_domain::eligibility::{Verdict, evaluate};
use gradphoto_domain::people::Level;
use gradphoto_domain::roster::validate_grid;
use gradphoto_domain::sample::sample_universities;
use gradphoto_domain::term::YearMonth;
use gradphoto_testkit::{TestApp, backends};
use reqwest::StatusCode;

use crate::support::{PW, api_get, json, location, seed, token};

#[derive(Debug, Default, PartialEq, Eq, Clone, Copy)]
struct Counts {
    students: i64,
    eligible: i64,
    exempt: i64,
    not_yet: i64,
}

fn counts_of(v: &serde_json::Value) -> Counts {
    let n = |k: &str| v[k].as_i64().expect(k);
    Counts {
        students: n("students"),
        eligible: n("eligible"),
        exempt: n("exempt"),
        not_yet: n("not_yet"),
    }
}

#[tokio::test]
async fn dashboard_totals_match_the_eligibility_engine() {
    for backend in backends() {
        let t = TestApp::spawn_on(backend, |_| {}).await;
        let d = seed(&t).await;
        let admin = t.login("uni1-admin", PW).await;
        let form = [
            ("name", "2024年7月毕业研究生图像采集"),
            ("cohort", "2024届"),
            ("target_terms", "2024-07"),
            ("levels", "master"),
            ("levels", "doctor"),
            ("prior_void_on_or_before", "2023-07-31"),
            ("exclude_single_certificate", "true"),
            ("exclude_overseas_class", "true"),
            ("onsite_from", "2024-05-06"),
            ("onsite_to", "2024-05-10"),
            ("fee_yuan", "20"),
            ("contacts", "研究生院 010-00000000"),
        ];
        let r = admin
            .post_form(&format!("/universities/{}/campaigns", d.u1), &form)
            .await;
        assert!(r.status().is_redirection(), "{backend:?}: {}", r.status());
        let page = location(&r);
        let id: i64 = page
            .trim_start_matches("/campaigns/")
            .parse()
            .expect("campaign id");
        let r = admin
            .post_form(&format!("/campaigns/{id}/status"), &[("to", "open")])
            .await;
        assert!(r.status().is_redirection());
        t.drain_jobs().await;
        assert_eq!(
            t.app.db.job_counts().await.expect("db").queued,
            0,
            "no job left behind"
        );

        // Independently: the sample roster through the domain's validator and engine.
        let a = &sample_universities()[0];
        let students = validate_grid(&a.roster, &a.department_refs()).expect("sample roster valid");
        let rules = Rules {
            target_terms: vec![YearMonth::parse("2024-07").expect("month")],
            levels: vec![Level::Master, Level::Doctor],
            prior_void_on_or_before: gradphoto_domain::term::parse_date("2023-07-31"),
            exclude_single_certificate: true,
            exclude_overseas_class: true,
            international_only: false,
        };
        let mut per_dept: HashMap<String, Counts> = HashMap::new();
        let mut total = Counts::default();
        for s in &students {
            let v = evaluate(&rules, &s.facts()).verdict;
            for c in [
                per_dept.entry(s.department.clone()).or_default(),
                &mut total,
            ] {
                c.students += 1;
                match v {
                    Verdict::Must => c.eligible += 1,
                    Verdict::NeedNot | Verdict::MustNot => c.exempt += 1,
                    Verdict::NotYet => c.not_yet += 1,
                }
            }
        }
        assert!(
            total.eligible > 0 && total.exempt > 0,
            "a non-trivial campaign: {total:?}"
        );

        let tok = token(&t, "uni1-admin").await;
        let (s, b) = api_get(&t, &tok, &format!("/campaigns/{id}/progress")).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let p = json(&b);
        assert_eq!(p["campaign"]["status"], "open");
        assert_eq!(counts_of(&p["total"]), total, "{backend:?}");
        assert_eq!(p["total"]["collected"], 0);
        assert_eq!(p["total"]["missing"].as_i64(), Some(total.eligible));
        for dp in p["departments"].as_array().expect("departments") {
            let name = dp["department"].as_str().expect("name");
            let want = per_dept.get(name).copied().unwrap_or_default();
            assert_eq!(counts_of(dp), want, "{backend:?} {name}");
        }
        assert_eq!(
            p["missing"].as_array().map(|m| m.len() as i64),
            Some(total.eligible)
        );

        // The page's chart shows collected/eligible for every department.
        let (s, html) = admin.get_text(&page).await;
        assert_eq!(s, StatusCode::OK);
        for (name, c) in &per_dept {
            assert!(
                html.contains(&format!(">0/{}</text>", c.eligible)),
                "{name}: {c:?}"
            );
        }

        // The export downloads as XLSX and parses; its total row matches.
        let r = admin.get(&format!("/campaigns/{id}/progress.xlsx")).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(
            r.headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok()),
            Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        );
        assert!(
            r.headers()
                .get(reqwest::header::CONTENT_DISPOSITION)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains("attachment")),
        );
        let grid =
            gradphoto_sheets::read_grid(&r.bytes().await.expect("bytes"), &Default::default())
                .expect("xlsx parses");
        assert_eq!(grid[0][0], "院系");
        let last = grid.last().expect("total row");
        assert_eq!(last[0], "合计");
        assert_eq!(last[1], total.students.to_string());
        assert_eq!(last[2], total.eligible.to_string());
        assert_eq!(last[5], total.exempt.to_string());
        assert_eq!(
            grid.len(),
            a.departments.len() + 2,
            "header, departments, total"
        );
    }
}
