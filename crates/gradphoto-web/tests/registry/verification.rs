//! Information confirmation at the registry: a school sets the window over the API; in it
//! a student confirms the photo or reports an error; the report reaches that school only,
//! which resolves it once; after the deadline the record is frozen (no confirming, no
//! resolving, no new photo).

use gradphoto_db::registry::NewRegPhoto;
use gradphoto_registry::{ClientKind, ReportedStudent, china_today};
use gradphoto_testkit::{TestApp, backends};

use crate::support;
use serde_json::{Value, json};

fn student(no: &str, name: &str, id: &str) -> ReportedStudent {
    support::student("master", "新闻传播学院", no, name, id)
}

#[tokio::test]
async fn window_confirm_report_resolve_and_freeze() {
    for backend in backends() {
        let t = TestApp::spawn_on(backend, |_| {}).await;
        let reg = t.app.registry().expect("hosted");
        let (_, school) = reg
            .register_client("复旦大学", ClientKind::School, Some("10246"))
            .await
            .expect("school");
        let (_, other_school) = reg
            .register_client("同济大学", ClientKind::School, Some("10247"))
            .await
            .expect("school");
        let (_, agency) = reg
            .register_client("中国图片社", ClientKind::Agency, None)
            .await
            .expect("agency");
        let school_client = reg.authenticate(&school).await.expect("auth");
        reg.report_students(
            &school_client,
            &[
                student("M1", "赵一", "310101199801011234"),
                student("M2", "钱二", "310101199802021234"),
            ],
        )
        .await
        .expect("report");
        let m1 = reg.enrolment("10246", "M1").await.expect("M1");
        let m2 = reg.enrolment("10246", "M2").await.expect("M2");
        // M1 has an accepted photo on record (stored directly: the intake is tested elsewhere).
        t.app
            .db
            .registry_insert_photo(&NewRegPhoto {
                student_id: Some(m1.id),
                person_hash: m1.person_hash.clone(),
                kind: "graduation".into(),
                verdict: "accepted".into(),
                reasons_json: "[]".into(),
                ..Default::default()
            })
            .await
            .expect("photo");

        let http = t.client().http;
        let url = |p: &str| format!("{}/registry/v1{p}", t.url);
        let today = china_today();
        let window = |from: i64, to: i64, by: i64| {
            json!({"graduation_year": 2027,
                   "opens_on": (today + chrono::Duration::days(from)).to_string(),
                   "closes_on": (today + chrono::Duration::days(to)).to_string(),
                   "resolve_by": (today + chrono::Duration::days(by)).to_string()})
        };
        let r = http
            .put(url("/windows"))
            .bearer_auth(&school)
            .json(&window(1, 0, 3))
            .send()
            .await
            .expect("put");
        assert_eq!(r.status(), 422, "closes before it opens");
        let r = http
            .put(url("/windows"))
            .bearer_auth(&school)
            .json(&window(-1, 1, 3))
            .send()
            .await
            .expect("put");
        assert_eq!(r.status(), 200);

        let sign_in = |name: &'static str, id: &'static str| {
            let c = t.client();
            async move {
                let r = c
                    .post_form(
                        "/registry/sign-in",
                        &[("school", "10246"), ("id_number", id), ("name", name)],
                    )
                    .await;
                assert_eq!(r.status(), 303);
                c
            }
        };
        let a = sign_in("赵一", "310101199801011234").await;
        let (_, body) = a.get_text(&format!("/registry/enrolments/{}", m1.id)).await;
        assert!(body.contains("id=\"confirm\""), "{body}");
        let r = a
            .post_form(&format!("/registry/enrolments/{}/confirm", m1.id), &[])
            .await;
        assert_eq!(r.status(), 303);
        let (_, body) = a
            .get_text(&format!("/registry/enrolments/{}?done=confirmed", m1.id))
            .await;
        assert!(
            body.contains("id=\"verify-notice\"") && body.contains("已确认无误"),
            "{body}"
        );

        // M2 has no photo yet: confirming is refused with the reason; reporting works.
        let b = sign_in("钱二", "310101199802021234").await;
        let r = b
            .post_form(&format!("/registry/enrolments/{}/confirm", m2.id), &[])
            .await;
        let body = r.text().await.expect("body");
        assert!(body.contains("id=\"verify-error\""), "{body}");
        let r = b
            .post_form(
                &format!("/registry/enrolments/{}/report", m2.id),
                &[("message", "我已在现场拍摄，但这里没有照片")],
            )
            .await;
        assert_eq!(r.status(), 303);

        // The report reaches its school only.
        let list: Value = http
            .get(url("/reports"))
            .bearer_auth(&school)
            .send()
            .await
            .expect("get")
            .json()
            .await
            .expect("json");
        let reports = list["reports"].as_array().expect("array");
        assert_eq!(reports.len(), 1);
        assert_eq!(reports[0]["enrolment_id"], "M2");
        assert_eq!(reports[0]["department"], "新闻传播学院");
        assert_eq!(
            reports[0]["resolve_by"],
            (today + chrono::Duration::days(3)).to_string()
        );
        let none: Value = http
            .get(url("/reports"))
            .bearer_auth(&other_school)
            .send()
            .await
            .expect("get")
            .json()
            .await
            .expect("json");
        assert_eq!(none["reports"].as_array().map(Vec::len), Some(0));
        let id = reports[0]["id"].as_i64().expect("id");
        let resolution =
            json!({"resolution": "reshoot", "note": "请到分社补拍", "by": "新闻学院研秘"});
        let r = http
            .post(url(&format!("/reports/{id}/resolution")))
            .bearer_auth(&other_school)
            .json(&resolution)
            .send()
            .await
            .expect("post");
        assert_eq!(r.status(), 404, "another school cannot resolve it");
        let r = http
            .post(url(&format!("/reports/{id}/resolution")))
            .bearer_auth(&school)
            .json(&resolution)
            .send()
            .await
            .expect("post");
        assert_eq!(r.status(), 204);
        let r = http
            .post(url(&format!("/reports/{id}/resolution")))
            .bearer_auth(&school)
            .json(&resolution)
            .send()
            .await
            .expect("post");
        assert_eq!(r.status(), 422, "resolved once");
        let (_, body) = b.get_text(&format!("/registry/enrolments/{}", m2.id)).await;
        assert!(body.contains("需要重拍"), "{body}");

        // After the deadline: frozen.
        let r = http
            .put(url("/windows"))
            .bearer_auth(&school)
            .json(&window(-20, -10, -5))
            .send()
            .await
            .expect("put");
        assert_eq!(r.status(), 200);
        let (_, body) = a.get_text(&format!("/registry/enrolments/{}", m1.id)).await;
        assert!(
            !body.contains("id=\"confirm\"") && body.contains("冻结"),
            "{body}"
        );
        let r = b
            .post_form(
                &format!("/registry/enrolments/{}/report", m2.id),
                &[("message", "再报一次")],
            )
            .await;
        assert!(
            r.text()
                .await
                .expect("body")
                .contains("id=\"verify-error\"")
        );
        let r = http
            .post(url(&format!("/reports/{id}/resolution")))
            .bearer_auth(&school)
            .json(&resolution)
            .send()
            .await
            .expect("post");
        assert_eq!(r.status(), 409, "frozen");
        // No new photo for a frozen record.
        let code_text = reg.code_for(m2.id).await.expect("code").code;
        let sealed = support::sealed_b64(&t, &code_text, b"late photo").await;
        let r = http
            .post(url("/photos"))
            .bearer_auth(&agency)
            .header("idempotency-key", "late-photo-1")
            .json(&json!({"code": code_text, "sealed": sealed}))
            .send()
            .await
            .expect("post");
        assert_eq!(r.status(), 409);
        let e: Value = r.json().await.expect("json");
        assert_eq!(e["error"]["code"], "record.frozen");
    }
}
