//! The registry's HTTP API on the real router, on SQLite and PostgreSQL: tokens, the
//! cacheable key set, all-or-nothing reports, and the intake's status codes (created,
//! replayed, conflicting key, photo sealed for another code, revoked code).

use gradphoto_registry::ClientKind;
use gradphoto_testkit::{TestApp, backends};
use serde_json::{Value, json};

use crate::support;

fn student(no: &str, name: &str, id: &str) -> Value {
    json!({"enrolment_id": no, "level": "硕士", "expected_graduation": "2027-06",
           "department": "物理学院", "name": name, "id_number": id})
}

#[tokio::test]
async fn registry_api_reports_keys_and_intake() {
    for backend in backends() {
        let t = TestApp::spawn_on(backend, |_| {}).await;
        let reg = t.app.registry().expect("hosted");
        let (_, school) = reg
            .register_client("北京大学", ClientKind::School, Some("10001"))
            .await
            .expect("school");
        let (_, agency) = reg
            .register_client("中国图片社", ClientKind::Agency, None)
            .await
            .expect("agency");
        // A plain API client: no cookies, no CSRF, only the bearer token.
        let http = t.client().http;
        let url = |p: &str| format!("{}/registry/v1{p}", t.url);

        // Reports: a token is required; one bad row and nothing is stored.
        let body = json!({"students": [student("2301", "王小明", "110105200001011234")]});
        let r = http
            .put(url("/students"))
            .json(&body)
            .send()
            .await
            .expect("put");
        assert_eq!(r.status(), 401);
        let r = http
            .put(url("/students"))
            .bearer_auth(&agency)
            .json(&body)
            .send()
            .await
            .expect("put");
        assert_eq!(r.status(), 403);
        let bad = json!({"students": [student("2302", "李雷", "110105200001015678"),
                                      student("2303", "韩梅梅", "110105200001019999")
                                          .as_object().map(|o| { let mut o = o.clone(); o.insert("level".into(), json!("幼儿园")); o }).expect("obj")]});
        let r = http
            .put(url("/students"))
            .bearer_auth(&school)
            .json(&bad)
            .send()
            .await
            .expect("put");
        assert_eq!(r.status(), 422);
        let e: Value = r.json().await.expect("json");
        assert!(
            e["error"]["zh"]
                .as_str()
                .is_some_and(|s| s.contains("students[1].level")),
            "{e}"
        );
        assert!(
            reg.enrolment("10001", "2302").await.is_err(),
            "nothing stored"
        );
        let r = http
            .put(url("/students"))
            .bearer_auth(&school)
            .json(&body)
            .send()
            .await
            .expect("put");
        assert_eq!(r.status(), 200);
        let counts: Value = r.json().await.expect("json");
        assert_eq!(counts["inserted"], 1);

        // Keys: public, cacheable, revalidated by ETag.
        let r = http.get(url("/keys")).send().await.expect("keys");
        assert_eq!(r.status(), 200);
        assert!(
            r.headers()["cache-control"]
                .to_str()
                .expect("ascii")
                .contains("max-age=")
        );
        let etag = r.headers()["etag"].clone();
        let r = http
            .get(url("/keys"))
            .header("if-none-match", etag.clone())
            .send()
            .await
            .expect("keys");
        assert_eq!(r.status(), 304);

        // Intake.
        let wang = reg.enrolment("10001", "2301").await.expect("2301");
        let code_a = reg.code_for(wang.id).await.expect("code").code;
        let sealed = support::sealed_b64(&t, &code_a, b"not a photo").await;
        let submit = |key: &str, body: &Value| {
            http.post(url("/photos"))
                .bearer_auth(&agency)
                .header("idempotency-key", key)
                .json(body)
                .send()
        };
        let body = json!({"code": code_a, "sealed": sealed});
        let r = submit("agency-outbox-1", &body).await.expect("post");
        assert_eq!(r.status(), 201);
        let first: Value = r.json().await.expect("json");
        assert_eq!(first["verdict"], "rejected");
        assert!(first["reasons"].to_string().contains("file."), "{first}");
        let r = submit("agency-outbox-1", &body).await.expect("post");
        assert_eq!(r.status(), 200);
        let again: Value = r.json().await.expect("json");
        assert_eq!(again["photo_id"], first["photo_id"]);
        assert_eq!(again["replayed"], true);
        let other =
            json!({"code": code_a, "sealed": support::sealed_b64(&t, &code_a, b"another").await});
        assert_eq!(
            submit("agency-outbox-1", &other)
                .await
                .expect("post")
                .status(),
            409
        );
        let r = http
            .post(url("/photos"))
            .bearer_auth(&agency)
            .json(&body)
            .send()
            .await
            .expect("post");
        assert_eq!(r.status(), 422, "no idempotency key");

        // The key set changes when a code is revoked; the old ETag no longer matches.
        let code_b = reg.reissue_code(wang.id).await.expect("reissue").code;
        let r = http
            .get(url("/keys"))
            .header("if-none-match", etag)
            .send()
            .await
            .expect("keys");
        assert_eq!(r.status(), 200);
        let r = submit("agency-outbox-2", &body).await.expect("post");
        assert_eq!(r.status(), 422);
        let e: Value = r.json().await.expect("json");
        assert_eq!(e["error"]["code"], "code.revoked", "{e}");
        // Sealed for the old code, sent with the new one.
        let r = submit(
            "agency-outbox-3",
            &json!({"code": code_b, "sealed": sealed}),
        )
        .await
        .expect("post");
        assert_eq!(r.status(), 422);
        let e: Value = r.json().await.expect("json");
        assert_eq!(e["error"]["code"], "seal.wrong_code", "{e}");
        assert!(
            e["error"]["en"]
                .as_str()
                .is_some_and(|s| s.contains("another student")),
            "{e}"
        );
    }
}
