//! Every operation in `/api/openapi.json` exists, and the operational endpoints answer.

use gradphoto_testkit::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{api, json, seed, token};

#[tokio::test]
async fn every_documented_operation_exists() {
    let t = TestApp::spawn().await;
    let d = seed(&t).await;
    let (s, b) = t.client().get_text("/api/openapi.json").await;
    assert_eq!(s, StatusCode::OK);
    let spec = json(&b);
    assert!(
        spec["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3."))
    );
    let paths = spec["paths"].as_object().expect("paths");
    assert!(paths.len() >= 10);
    let mut checked = 0;
    for (user, uid, cid) in [("agency", d.u2, d.c2), ("uni1-admin", d.u1, d.c1)] {
        for (path, ops) in paths {
            for (method, op) in ops.as_object().expect("operations") {
                let tok = token(&t, user).await;
                let concrete = path.replace(
                    "{id}",
                    &if path.starts_with("/campaigns") {
                        cid
                    } else {
                        uid
                    }
                    .to_string(),
                );
                let m = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
                let body: Option<Value> = match (method.as_str(), path.as_str()) {
                    ("post", "/session") => {
                        Some(json!({"username": user, "password": crate::support::PW}))
                    }
                    ("post", "/campaigns/{id}/status") => Some(json!({"to": "open"})),
                    ("post", "/universities/{id}/campaigns") => Some(
                        json!({"name": "x", "target_terms": "2024-07", "levels": ["master"], "makeup_deadline": "2024-09-01"}),
                    ),
                    _ if op.get("requestBody").is_some() => Some(json!({})),
                    _ => None,
                };
                let (s, b) = api(&t, &tok, m.clone(), &concrete, body).await;
                let no_route = s == StatusCode::METHOD_NOT_ALLOWED
                    || (s == StatusCode::NOT_FOUND && serde_json::from_str::<Value>(&b).is_err());
                assert!(
                    !no_route,
                    "{user}: {m} /api{concrete} answers {s} {b}: documented but not routed"
                );
                assert!(s.as_u16() < 500, "{user}: {m} /api{concrete}: {s} {b}");
                checked += 1;
            }
        }
    }
    assert!(checked >= 36, "{checked}");
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    let t = TestApp::spawn().await;
    let c = t.client();
    assert_eq!(c.get_text("/healthz").await.0, StatusCode::OK);
    assert_eq!(c.get_text("/readyz").await.0, StatusCode::OK);
    let _ = c.get_text("/login").await;
    let (s, m) = c.get_text("/metrics").await;
    assert_eq!(s, StatusCode::OK);
    assert!(m.contains("gradphoto_http_requests_total"), "{m}");
    assert!(m.contains("route=\"/login\""), "labelled by route: {m}");
    assert!(m.contains("gradphoto_jobs"), "{m}");
    // Unknown paths do not explode the label set.
    let _ = c.get_text("/no/such/path/12345").await;
    let (_, m) = c.get_text("/metrics").await;
    assert!(!m.contains("12345"));
}

#[tokio::test]
async fn malformed_json_gets_the_api_error_format() {
    let t = TestApp::spawn().await;
    seed(&t).await;
    let tok = token(&t, "uni1-admin").await;
    for (path, body) in [
        ("/session", "{not json"),
        ("/universities/1/campaigns", "{\"name\": 5}"),
    ] {
        let r = crate::support::raw()
            .post(format!("{}/api{path}", t.url))
            .bearer_auth(&tok)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("call");
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        let text = r.text().await.unwrap_or_default();
        assert_eq!(
            crate::support::code(&text),
            "request.bad_json",
            "{path}: {text}"
        );
        let v = json(&text);
        assert!(
            v["error"]["zh"]
                .as_str()
                .is_some_and(|z| z.contains("JSON"))
        );
    }
}
