//! Issue 8 on a phone-sized screen, on `gradphoto demo`: a student who missed the on-site
//! day books an ordinary make-up slot at the Beijing branch (paid online when booking),
//! pays in the sandbox, is checked in at the branch's desk, photographed at its station and
//! confirms the photo; the registry accepts it; the next day (the acceptance is moved back
//! a day in the demo's database) the student downloads the electronic photo; the agency
//! prints the batch, the graduate school and the department record the hand-overs, and the
//! student confirms on the phone that the prints arrived.
//!
//! The branch's hours are set by the agency to the coming hour so that a slot is bookable
//! today whatever the time of the run; in the last hour of China's day, or on a public
//! holiday (read from the demo's calendar), that is impossible and the test says so and
//! stops.

use std::time::{Duration, Instant};

use anyhow::{Context as _, ensure};
use chrono::{Timelike, Utc};
use gradphoto_e2e::Browser;
use serde_json::json;

use super::student_online::code_from_registry;
use super::{
    PAGE_TIMEOUT, Server, demo_student, dev_dir, js, login_with, logout, wait_for_registry,
};

/// From the confirmation to the registry's verdict (debug build), and the station's engine.
const SLOW: Duration = Duration::from_secs(60);

/// `HH:MM` of a minute of the day.
fn hm(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// The value of `attr` on the first element matching `css`, if any.
async fn attr(b: &Browser, css: &str, attr: &str) -> anyhow::Result<Option<String>> {
    let v = js(
        b,
        "const e = document.querySelector(arguments[0]); return e ? e.getAttribute(arguments[1]) : null;",
        vec![json!(css), json!(attr)],
    )
    .await?;
    Ok(v.as_str().map(str::to_string))
}

/// Reloads `path` until `css` is on the page.
async fn wait_for(b: &Browser, server: &Server, path: &str, css: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + SLOW;
    loop {
        b.goto(&server.url(path)).await?;
        let found = js(
            b,
            "return !!document.querySelector(arguments[0]);",
            vec![json!(css)],
        )
        .await?;
        if found == json!(true) {
            return Ok(());
        }
        ensure!(
            Instant::now() < deadline,
            "{css} never appeared on {path}: {}",
            b.page_text().await?
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test]
async fn a_student_books_pays_is_photographed_at_the_branch_and_gets_photo_and_prints()
-> anyhow::Result<()> {
    let Some(dev) = dev_dir() else {
        eprintln!("SKIPPED: the labelled DEV photos (../shared/photos/dev) are absent");
        return Ok(());
    };
    // China's minute of the day now, and the window of the coming hour in 30-minute slots.
    let china = Utc::now() + chrono::Duration::hours(8);
    let now_min = china.hour() * 60 + china.minute();
    let start = (now_min / 30 + 1) * 30;
    if start + 60 > 24 * 60 - 1 {
        eprintln!("SKIPPED: too close to midnight in China for a make-up slot today");
        return Ok(());
    }
    let Some(b) = Browser::phone().await? else {
        return Ok(());
    };
    let data = tempfile::tempdir()?;
    let pii_key = gradphoto_app::pii::generate_key()?;
    let server = Server::run(data.path(), &pii_key, "demo")?;
    let pw = gradphoto_app::demo::DEMO_PASSWORD;
    let me = demo_student(&server)?;
    wait_for_registry(&server)?;
    let code = code_from_registry(&b, &server, &me.code, &me.id, &me.name).await?;
    let today = gradphoto_registry::china_today().to_string();

    // 1. The agency opens the Beijing branch's ordinary service for the coming hour.
    login_with(&b, &server, "agency", pw).await?;
    b.goto(&server.url("/branches")).await?;
    let branch = js(
        &b,
        "const a = Array.from(document.querySelectorAll('a[href^=\"/branches/\"]'))
            .find(a => a.textContent.includes('北京'));
         return a ? a.getAttribute('href') : null;",
        vec![],
    )
    .await?;
    let branch = branch.as_str().context("the Beijing branch")?.to_string();
    b.goto(&server.url(&branch)).await?;
    let service = js(
        &b,
        "const f = Array.from(document.querySelectorAll('form[action^=\"/branches/services/\"]'))
            .find(f => f.querySelector('input[name=place]').value === '一层');
         f.querySelector('input[name=windows]').value = arguments[0];
         f.querySelector('select[name=open_days]').value = 'all_but_holidays';
         f.querySelector('select[name=payment]').value = 'online';
         f.submit();
         return f.getAttribute('action').split('/').pop();",
        vec![json!(format!("{}-{}", hm(start), hm(start + 60)))],
    )
    .await?;
    let service: i64 = service
        .as_str()
        .and_then(|s| s.parse().ok())
        .context("the service's id")?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    logout(&b).await?;

    // 2. The student signs in by SMS, finds their record and binds the code.
    let phone = "13700009876";
    b.goto(&server.url("/lang/zh?next=/student/login")).await?;
    b.fill("#phone", phone).await?;
    b.click("#send-code").await?;
    b.wait_for_text("验证码已发送", PAGE_TIMEOUT).await?;
    b.click("#demo-inbox-link a").await?;
    let inbox = b.text("#sms-inbox").await?;
    let at = inbox.find("code is ").context("a code in the demo inbox")? + "code is ".len();
    let sms = inbox[at..at + 6].to_string();
    b.goto(&server.url("/student/login")).await?;
    b.fill("#phone", phone).await?;
    b.fill("#code", &sms).await?;
    b.click("#agree_terms").await?;
    b.click("#agree_face").await?;
    b.click("#student-login").await?;
    b.fill("#school", &me.code).await?;
    b.click("#school-submit").await?;
    b.fill("#id_number", &me.id).await?;
    b.select("#level", &me.level).await?;
    b.click("#identity-submit").await?;
    b.text("#verified-student").await?;
    b.fill("#code", &code).await?;
    b.click("#code-submit").await?;
    b.text("#photo-submit").await?;

    // 3. A slot today at the Beijing branch, booked and paid in the sandbox.
    b.goto(&server.url("/student/makeup")).await?;
    let slot = format!("#slot-{service}-{today}-{}", hm(start).replace(':', ""));
    if attr(&b, &slot, "id").await?.is_none() {
        let db = gradphoto_db::Db::connect(
            &format!("sqlite://{}", data.path().join("gradphoto.db").display()),
            &gradphoto_db::DbOptions::default(),
        )
        .await?;
        let holiday = db
            .public_days()
            .await?
            .iter()
            .any(|d| d.day == today && d.kind == "holiday");
        ensure!(holiday, "no slot today: {}", b.page_text().await?);
        eprintln!("SKIPPED: today is a public holiday in China; the branch is closed");
        return Ok(());
    }
    b.click(&slot).await?;
    b.text("#booking-pay").await?;
    let booking = attr(&b, "#makeup-booking", "data-code")
        .await?
        .context("the booking's code")?;
    b.click("#booking-pay-wechat").await?;
    b.text("#sandbox-notice").await?;
    b.click("#sandbox-open").await?;
    b.click("#sandbox-pay").await?;
    b.text("#sandbox-paid").await?;
    b.click("#sandbox-back").await?;
    b.text("#booking-paid").await?;
    ensure!(
        b.text("#booking-code").await? == booking,
        "the same booking"
    );

    // 4. At the branch: the photographer scans the code, photographs, the student confirms.
    login_with(&b, &server, "photographer", pw).await?;
    b.goto(&server.url(&format!("{branch}/desk"))).await?;
    b.fill("#code", &format!("{code}\n")).await?;
    b.text("#shooting-number").await?;
    ensure!(
        b.text("#booking-code").await?.trim() == booking,
        "checked in for the booking: {}",
        b.page_text().await?
    );
    ensure!(
        b.text("#fee-state").await?.contains("已支付"),
        "paid online: {}",
        b.page_text().await?
    );
    b.click("#link-station").await?;
    b.click("#call-next").await?;
    b.upload("#photo", &dev.join("raw/A000369_raw.jpg")).await?;
    b.click("#photo-submit").await?;
    let deadline = Instant::now() + SLOW;
    while js(
        &b,
        "return !!document.querySelector('#photo-verdict');",
        vec![],
    )
    .await
    .unwrap_or(json!(false))
        != json!(true)
    {
        ensure!(
            Instant::now() < deadline,
            "the photo's verdict: {}",
            b.page_text().await?
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    b.click("#link-confirm").await?;
    b.click("#confirm-photo-button").await?;
    b.wait_for_text("号照片已确认", PAGE_TIMEOUT).await?;
    logout(&b).await?;

    // 5. The registry accepts it; the student may download it from the next day.
    wait_for(&b, &server, "/student/account", "#photo-tomorrow").await?;
    let db = gradphoto_db::Db::connect(
        &format!("sqlite://{}", data.path().join("gradphoto.db").display()),
        &gradphoto_db::DbOptions::default(),
    )
    .await?;
    let moved = gradphoto_db::testing::exec(
        &db,
        "UPDATE registry_outbox SET updated_at = updated_at - 86400000 \
         WHERE status = 'answered' AND verdict = 'accepted'",
    )
    .await?;
    ensure!(moved >= 1, "an accepted photo to move back a day");
    b.goto(&server.url("/student/account")).await?;
    let download = js(
        &b,
        "return fetch('/student/account/photo.jpg').then(async r =>
            [r.status, r.headers.get('content-type'), (await r.arrayBuffer()).byteLength]);",
        vec![],
    )
    .await?;
    ensure!(
        download[0] == json!(200) && download[1] == json!("image/jpeg"),
        "the electronic photo: {download}"
    );
    ensure!(
        download[2].as_u64().unwrap_or(0) > 10_000,
        "a real image: {download}"
    );

    // 6. The agency prints the batch; the school and the department record the
    //    hand-overs; the student confirms the prints arrived.
    login_with(&b, &server, "agency", pw).await?;
    // The demo's campaigns are the first few ids.
    let campaigns: Vec<String> = (1..=4).map(|id| format!("/campaigns/{id}")).collect();
    let mut batch = None;
    'campaigns: for campaign in &campaigns {
        b.goto(&server.url(&format!("{campaign}/prints"))).await?;
        if attr(&b, "#prints-create", "id").await?.is_none() {
            continue;
        }
        b.click("#prints-create").await?;
        b.text("#prints-made").await?;
        let batches: Vec<String> = js(
            &b,
            "return Array.from(document.querySelectorAll('#prints-batches a')).map(a => a.getAttribute('href'));",
            vec![],
        )
        .await?
        .as_array()
        .context("batches")?
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
        for href in &batches {
            b.goto(&server.url(href)).await?;
            if b.text("#batch-items").await?.contains(&me.name) {
                batch = Some(href.clone());
                break 'campaigns;
            }
        }
    }
    let batch = batch.context("the student's batch")?;
    let sheets = attr(&b, "#batch-holdings", "data-agency")
        .await?
        .context("sheets")?;
    logout(&b).await?;
    let hand_over = |stage: &'static str, sheets: String| {
        let b = &b;
        async move {
            b.select("#stage", stage).await?;
            b.fill("#sheets", &sheets).await?;
            b.fill("#given_by", "王老师").await?;
            b.fill("#received_by", "李老师").await?;
            b.click("#handover-submit").await?;
            anyhow::Ok(())
        }
    };
    login_with(&b, &server, "uni1-admin", pw).await?;
    b.goto(&server.url(&batch)).await?;
    hand_over("school", sheets.clone()).await?;
    ensure!(
        attr(&b, "#batch-holdings", "data-school").await?.as_deref() == Some(sheets.as_str()),
        "the school holds the batch: {}",
        b.page_text().await?
    );
    // The department records what it received: its secretary, or the school for a
    // department without one.
    hand_over("department", sheets.clone()).await?;
    if attr(&b, "#batch-error", "id").await?.is_some() {
        logout(&b).await?;
        for secretary in ["uni1-sec1", "uni1-sec2"] {
            login_with(&b, &server, secretary, pw).await?;
            b.goto(&server.url(&batch)).await?;
            if attr(&b, "#handover-form", "id").await?.is_some() {
                hand_over("department", sheets.clone()).await?;
                break;
            }
            logout(&b).await?;
        }
    }
    ensure!(
        attr(&b, "#batch-holdings", "data-department")
            .await?
            .as_deref()
            == Some(sheets.as_str()),
        "the department holds the batch: {}",
        b.page_text().await?
    );
    b.goto(&server.url("/student/account")).await?;
    b.click("button[id^='print-'][id$='-received']").await?;
    let state = attr(&b, "#prints p[id^='print-']", "data-state").await?;
    ensure!(
        state.as_deref() == Some("received"),
        "prints received: {}",
        b.page_text().await?
    );
    b.close().await?;
    Ok(())
}
