//! Issue 4's chain in the browser, on `gradphoto demo` (which hosts the registry and
//! reports its rosters to it): a student signs in at the registry and fetches the code;
//! the photographer scans it at the desk (typed like a USB scanner, Enter submits) and
//! hands in a portrait, which is standardized and delivered; the university office opens
//! the verification window; the student sees the photo there and confirms it.

use std::time::{Duration, Instant};

use anyhow::{Context as _, ensure};
use gradphoto_e2e::Browser;
use serde_json::json;

use super::{
    DemoStudent, PAGE_TIMEOUT, Server, demo_student, dev_dir, id_in_url, js, login_with, logout,
    set_date, wait_for_registry,
};

#[tokio::test]
async fn student_code_desk_registry_and_confirmation() -> anyhow::Result<()> {
    let started = Instant::now();
    let Some(dev) = dev_dir() else {
        eprintln!("SKIPPED: the labelled DEV photos (../shared/photos/dev) are absent");
        return Ok(());
    };
    let Some(b) = Browser::start((1280, 900)).await? else {
        return Ok(());
    };
    let data = tempfile::tempdir()?;
    let pii_key = gradphoto_app::pii::generate_key()?;
    let server = Server::run(data.path(), &pii_key, "demo")?;
    let demo_pw = gradphoto_app::demo::DEMO_PASSWORD;

    let DemoStudent { code, id, name, .. } = demo_student(&server)?;

    // 1. The student signs in at the registry. The rosters are reported by a job once the
    // server listens: wait for both in the log (failed sign-ins would be throttled).
    wait_for_registry(&server)?;
    b.goto(&server.url("/lang/zh?next=/registry/sign-in"))
        .await?;
    b.select("#school", &code).await?;
    b.fill("#id_number", &id).await?;
    b.fill("#name", &name).await?;
    b.click("#sign-in-submit").await?;
    ensure!(
        b.current_url().await?.contains("/registry/archive"),
        "not signed in: {}",
        b.page_text().await?
    );
    b.click("a[id^='photo-check-']").await?;
    let enrolment = id_in_url(&b).await?;
    // The graduation year, from "school · level · YYYY-MM · …" on the page.
    let page = b.page_text().await?;
    let grad_year = page
        .split(|c: char| !(c.is_ascii_digit() || c == '-'))
        .find(|w| w.len() == 7 && w.as_bytes()[4] == b'-')
        .map(|w| w[..4].to_string())
        .context("the graduation month on the page")?;
    b.click("#view-code").await?;
    b.wait_for_text("请提前保存采集码", PAGE_TIMEOUT).await?;
    let code_text = js(
        &b,
        "return document.querySelector('#code-text').textContent;",
        vec![],
    )
    .await?
    .as_str()
    .unwrap_or_default()
    .trim()
    .to_string();
    ensure!(code_text.starts_with("GPC1."), "code text {code_text:?}");
    ensure!(
        js(
            &b,
            "return !!document.querySelector('#code-qr svg');",
            vec![]
        )
        .await?
            == json!(true),
        "the QR code is shown"
    );
    b.click("#registry-sign-out").await?;

    // 2. The photographer scans the code at the desk and hands in a portrait.
    login_with(&b, &server, "photographer", demo_pw).await?;
    b.click("#nav-desk").await?;
    b.fill("#code", &format!("{code_text}\n")).await?;
    b.wait_for_text("采集码有效", PAGE_TIMEOUT).await?;
    b.upload("#photo", &dev.join("raw/A000369_raw.jpg")).await?;
    b.click("#submit-photo").await?;
    b.wait_for_text("已进入发送学信网的队列", Duration::from_secs(20))
        .await?;
    // The server's worker delivers it; the desk's list shows the registry's answer.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        b.goto(&server.url("/desk")).await?;
        if b.page_text().await?.contains("学信网已接收") {
            break;
        }
        ensure!(
            Instant::now() < deadline,
            "the photo was not accepted: {}",
            b.page_text().await?
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    logout(&b).await?;

    // 3. The university office opens the verification window in the campaign that
    // collects this year's graduates; saving sends it to the registry.
    login_with(&b, &server, "uni1-admin", demo_pw).await?;
    b.click(&format!("a.campaign-link[data-terms*='{grad_year}']"))
        .await?;
    b.click("#edit-campaign").await?;
    let today = gradphoto_registry::china_today();
    let opens = today - chrono::Duration::days(1);
    let closes = today + chrono::Duration::days(3);
    set_date(&b, "#verify_from", Some(opens)).await?;
    set_date(&b, "#verify_to", Some(closes)).await?;
    set_date(
        &b,
        "#verify_resolve_by",
        Some(today + chrono::Duration::days(6)),
    )
    .await?;
    b.click("#campaign-submit").await?;
    b.wait_for_text(&format!("{opens}–{closes}"), PAGE_TIMEOUT)
        .await?;
    logout(&b).await?;

    // 4. The student sees the photo in the window and confirms it.
    b.goto(&server.url("/registry/sign-in")).await?;
    b.select("#school", &code).await?;
    b.fill("#id_number", &id).await?;
    b.fill("#name", &name).await?;
    b.click("#sign-in-submit").await?;
    b.goto(&server.url(&format!("/registry/enrolments/{enrolment}")))
        .await?;
    b.wait_for_text("已采集", PAGE_TIMEOUT).await?;
    let loaded = js(
        &b,
        "const i = document.querySelector('#registry-photo'); return !!i && i.complete && i.naturalWidth;",
        vec![],
    )
    .await?;
    ensure!(
        loaded == json!(480),
        "the standard photo is shown: {loaded}"
    );
    b.click("#confirm").await?;
    b.wait_for_text("已确认。感谢！", PAGE_TIMEOUT).await?;
    b.wait_for_text("已确认无误", PAGE_TIMEOUT).await?;

    b.close().await?;
    drop(server);
    eprintln!("registry browser scenario took {:?}", started.elapsed());
    Ok(())
}
