//! The interface language: Accept-Language, then the switch's cookie, which wins.

use gradphoto_testkit::TestApp;
use reqwest::StatusCode;
use reqwest::header::ACCEPT_LANGUAGE;

use crate::support::{PW, location, seed};

#[tokio::test]
async fn accept_language_then_the_switch_cookie() {
    let t = TestApp::spawn().await;
    let d = seed(&t).await;
    let c = t.login("uni1-admin", PW).await;
    let page = format!("{}/universities/{}", t.url, d.u1);
    let get = |lang: &'static str| {
        let c = &c;
        let page = page.clone();
        async move {
            let r = c
                .http
                .get(page)
                .header(ACCEPT_LANGUAGE, lang)
                .send()
                .await
                .expect("GET");
            assert_eq!(r.status(), StatusCode::OK);
            r.text().await.expect("body")
        }
    };
    let en = get("en-US,en;q=0.9").await;
    assert!(
        en.contains("Campaigns") && en.contains("Roster"),
        "English page"
    );
    assert!(!en.contains("采集任务</h2>"));
    let zh = get("zh-CN,zh;q=0.9").await;
    assert!(zh.contains("采集任务") && !zh.contains(">Campaigns<"));
    // The login page too, signed out.
    let r = t
        .client()
        .http
        .get(format!("{}/login", t.url))
        .header(ACCEPT_LANGUAGE, "en")
        .send()
        .await
        .expect("GET");
    assert!(r.text().await.expect("body").contains("Sign in"));

    // The switch sets the cookie and goes back; the cookie beats the browser's header.
    let r = c.get("/lang/zh?next=/").await;
    assert!(r.status().is_redirection());
    assert_eq!(location(&r), "/");
    assert_eq!(c.cookie("gp_lang").as_deref(), Some("zh"));
    let zh = get("en").await;
    assert!(zh.contains("采集任务") && !zh.contains(">Campaigns<"));
    // And the other way round; an outside `next` is not followed.
    let r = c.get("/lang/en?next=https://evil.example/").await;
    assert_eq!(location(&r), "/");
    let en = get("zh-CN").await;
    assert!(en.contains("Campaigns"));
}
