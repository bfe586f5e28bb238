//! Sign-in, session cookies, sign-out and login throttling.

use gradphoto_testkit::{Backend, TestApp, backends};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT_LANGUAGE, COOKIE};

use crate::support::{PW, api_login, cookie_value, raw, seed, set_cookies, token};

#[tokio::test]
async fn wrong_password_is_refused_with_a_bilingual_message() {
    let t = TestApp::spawn().await;
    seed(&t).await;
    let c = t.client();
    let r = c
        .post_form(
            "/login",
            &[("username", "uni1-admin"), ("password", "nope-nope-nope")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(c.cookie("gp_session").is_none());
    assert!(r.text().await.expect("body").contains("用户名或密码错误"));

    // The same page in English.
    let csrf = c.csrf().await;
    let r = c
        .http
        .post(format!("{}/login", t.url))
        .header(ACCEPT_LANGUAGE, "en-US,en;q=0.9")
        .form(&[
            ("username", "uni1-admin"),
            ("password", "nope"),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("Wrong username or password")
    );

    // The API carries both languages and a stable code; an unknown user looks the same.
    for user in ["uni1-admin", "no-such-user"] {
        let (s, v) = api_login(&t, user, "wrong-password").await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["error"]["code"], "auth.bad_credentials");
        assert_eq!(v["error"]["zh"], "用户名或密码错误");
        assert_eq!(v["error"]["en"], "Wrong username or password");
    }
}

#[tokio::test]
async fn sign_in_sets_an_http_only_same_site_cookie_and_sign_out_ends_it() {
    let t = TestApp::spawn().await;
    seed(&t).await;
    let c = t.client();
    let csrf = c.csrf().await;
    let r = c
        .http
        .post(format!("{}/login", t.url))
        .form(&[
            ("username", "uni1-admin"),
            ("password", PW),
            ("next", "/universities"),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .expect("POST /login");
    assert!(r.status().is_redirection(), "{}", r.status());
    assert_eq!(crate::support::location(&r), "/universities");
    let set = set_cookies(&r);
    let session = set
        .iter()
        .find(|c| c.starts_with("gp_session="))
        .expect("gp_session set")
        .clone();
    assert!(session.contains("HttpOnly"), "{session}");
    assert!(session.contains("SameSite=Lax"), "{session}");
    assert!(
        !session.contains("Secure"),
        "plain-http test config: {session}"
    );
    let old = cookie_value(&set, "gp_session").expect("value");
    assert!(old.len() >= 40, "a long random token");

    // The session works, as a cookie and as a bearer token.
    let (s, _) = c.get_text("/universities").await;
    assert_eq!(s, StatusCode::OK);

    let r = c.post_form("/logout", &[]).await;
    assert!(r.status().is_redirection());
    assert_eq!(crate::support::location(&r), "/login");
    let cleared = set_cookies(&r);
    assert!(
        cleared
            .iter()
            .any(|c| c.starts_with("gp_session=;") && c.contains("Max-Age=0")),
        "{cleared:?}"
    );

    // The old token no longer opens anything, even presented by hand.
    let r = raw()
        .get(format!("{}/universities", t.url))
        .header(COOKIE, format!("gp_session={old}"))
        .send()
        .await
        .expect("GET");
    assert!(r.status().is_redirection());
    assert!(crate::support::location(&r).starts_with("/login"));
    let r = raw()
        .get(format!("{}/api/me", t.url))
        .bearer_auth(&old)
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // API sign-out ends a bearer session too.
    let tok = token(&t, "uni1-sec1").await;
    let (s, _) = crate::support::api_get(&t, &tok, "/me").await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = crate::support::api(&t, &tok, reqwest::Method::DELETE, "/session", None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = crate::support::api_get(&t, &tok, "/me").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn secure_cookies_when_configured() {
    let t = TestApp::spawn_on(Backend::Sqlite, |c| c.security.cookie_secure = true).await;
    seed(&t).await;
    // A browser would not send Secure cookies over plain http, so carry them by hand.
    let r = raw()
        .get(format!("{}/login", t.url))
        .send()
        .await
        .expect("GET");
    let set = set_cookies(&r);
    let csrf_cookie = set
        .iter()
        .find(|c| c.starts_with("gp_csrf="))
        .expect("gp_csrf");
    assert!(csrf_cookie.contains("Secure") && csrf_cookie.contains("HttpOnly"));
    let csrf = cookie_value(&set, "gp_csrf").expect("csrf");
    let r = raw()
        .post(format!("{}/login", t.url))
        .header(COOKIE, format!("gp_csrf={csrf}"))
        .form(&[("username", "agency"), ("password", PW), ("csrf", &csrf)])
        .send()
        .await
        .expect("POST /login");
    assert!(r.status().is_redirection(), "{}", r.status());
    let session = set_cookies(&r)
        .into_iter()
        .find(|c| c.starts_with("gp_session="))
        .expect("gp_session");
    for attr in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
        assert!(session.contains(attr), "{attr} missing: {session}");
    }
    let r = raw()
        .get(format!("{}/lang/en?next=/", t.url))
        .send()
        .await
        .expect("GET");
    assert!(
        set_cookies(&r)
            .iter()
            .any(|c| c.starts_with("gp_lang=en") && c.contains("Secure"))
    );
}

#[tokio::test]
async fn repeated_failures_throttle_one_account_only() {
    for backend in backends() {
        let t = TestApp::spawn_on(backend, |_| {}).await;
        seed(&t).await;
        let max = t.app.config.security.login_max_failures;
        let c = t.client();
        for i in 0..max {
            let r = c
                .post_form(
                    "/login",
                    &[("username", "uni1-admin"), ("password", "wrong")],
                )
                .await;
            assert_eq!(
                r.status(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "{backend:?}: failure {i} is a plain refusal"
            );
        }
        // Now even the right password is refused, on the page and on the API.
        let r = c
            .post_form("/login", &[("username", "uni1-admin"), ("password", PW)])
            .await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "{backend:?}");
        assert!(c.cookie("gp_session").is_none());
        assert!(r.text().await.expect("body").contains("登录失败次数过多"));
        let (s, v) = api_login(&t, "uni1-admin", PW).await;
        assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{backend:?}");
        assert_eq!(v["error"]["code"], "auth.throttled");
        assert!(!v["error"]["en"].as_str().unwrap_or_default().is_empty());
        // Other accounts, from the same address, are not affected.
        t.login("uni1-sec1", PW).await;
        let (s, body) = api_login(&t, "uni2-admin", PW).await;
        assert_eq!(s, StatusCode::OK, "{backend:?}: {body}");
    }
}

/// A signed-in session is remembered for a second per server (a desk sends a request per
/// scan): a sign-out ends it at once on the server that took it, and within that second
/// on another server of the same database.
#[tokio::test]
async fn a_sign_out_reaches_another_server_within_a_second() {
    let t = TestApp::spawn_on(Backend::Sqlite, |_| {}).await;
    seed(&t).await;
    let beside = t.spawn_beside().await;
    let bearer = token(&t, "uni1-admin").await;
    let ask = |base: String| {
        let bearer = bearer.clone();
        async move {
            raw()
                .get(format!("{base}/api/me"))
                .bearer_auth(bearer)
                .send()
                .await
                .expect("GET")
                .status()
        }
    };
    assert_eq!(ask(t.url.clone()).await, StatusCode::OK);
    assert_eq!(
        ask(beside.url.clone()).await,
        StatusCode::OK,
        "remembered there"
    );
    let r = raw()
        .delete(format!("{}/api/session", t.url))
        .bearer_auth(&bearer)
        .send()
        .await
        .expect("logout");
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(
        ask(t.url.clone()).await,
        StatusCode::UNAUTHORIZED,
        "at once here"
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(
        ask(beside.url.clone()).await,
        StatusCode::UNAUTHORIZED,
        "within a second there"
    );
}
