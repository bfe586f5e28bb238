//! Issue 7's day in the browser, on `gradphoto demo`: the university admin adds a session
//! to the plan; a department secretary registers two students for it; the photographer's
//! desk numbers two codes typed into the scan field as a wedge scanner does (Enter
//! submits; a rescan keeps its number); the station calls number 1 and the call display
//! shows it; a portrait dropped into the hot folder watched by `gradphoto station watch`
//! appears on the open station page, bound to number 1 with its verdict, and a retake
//! with the webcam (Chromium's fake camera fed a portrait) replaces it; the student
//! pays the fee at the desk in the payment sandbox and confirms the photo on the
//! confirmation screen; the session's progress counts it; the call display, left open,
//! redraws live when the photographer calls the next number; the admin publishes the plan
//! and anyone reads the schedule and the notice.

use std::time::{Duration, Instant};

use anyhow::{Context as _, ensure};
use gradphoto_e2e::Browser;
use serde_json::json;

use super::student_online::code_from_registry;
use super::{
    PAGE_TIMEOUT, Server, demo_student, demo_student_after, dev_dir, gradphoto, js, login_with,
    logout, set_date, wait_for_registry,
};

/// The station's photo: the hot folder's poll, the upload, the engine (debug build).
const PHOTO_TIMEOUT: Duration = Duration::from_secs(40);

/// A still picture as a short Y4M video (4:2:0, BT.601), which Chromium's fake camera
/// plays in a loop (`--use-file-for-fake-video-capture`).
fn y4m_of(jpeg: &[u8]) -> anyhow::Result<Vec<u8>> {
    let rgb =
        gradphoto_photo::decode::decode(jpeg, &gradphoto_photo::decode::Limits::default(), None)?;
    let (w, h) = (rgb.width & !1, rgb.height & !1);
    let px = |x: u32, y: u32| {
        let i = ((y * rgb.width + x) * 3) as usize;
        let c = |k: usize| f32::from(rgb.data[i + k]);
        (c(0), c(1), c(2))
    };
    let clamp = |v: f32| v.round().clamp(0.0, 255.0) as u8;
    let mut frame = Vec::with_capacity((w * h * 3 / 2) as usize);
    for y in 0..h {
        for x in 0..w {
            let (r, g, b) = px(x, y);
            frame.push(clamp(16.0 + 0.2568 * r + 0.5041 * g + 0.0979 * b));
        }
    }
    let mut u = Vec::with_capacity((w * h / 4) as usize);
    let mut v = Vec::with_capacity((w * h / 4) as usize);
    for y in (0..h).step_by(2) {
        for x in (0..w).step_by(2) {
            let (r, g, b) = px(x, y);
            u.push(clamp(128.0 - 0.1482 * r - 0.2910 * g + 0.4392 * b));
            v.push(clamp(128.0 + 0.4392 * r - 0.3678 * g - 0.0714 * b));
        }
    }
    frame.extend(u);
    frame.extend(v);
    let mut out = format!("YUV4MPEG2 W{w} H{h} F10:1 Ip A1:1 C420jpeg\n").into_bytes();
    for _ in 0..10 {
        out.extend_from_slice(b"FRAME\n");
        out.extend_from_slice(&frame);
    }
    Ok(out)
}

/// The href of the link matching `link` in the plan's row that mentions `place`.
async fn link_in_row(b: &Browser, place: &str, link: &str) -> anyhow::Result<String> {
    let v = js(
        b,
        "const row = Array.from(document.querySelectorAll('#sessions tbody tr'))
            .find(r => r.textContent.includes(arguments[0]));
         const a = row && row.querySelector(arguments[1]);
         return a ? a.getAttribute('href') : null;",
        vec![json!(place), json!(link)],
    )
    .await?;
    v.as_str()
        .map(str::to_string)
        .with_context(|| format!("{link} in the row of {place}"))
}

/// `gradphoto station`, stopped if the test ends early.
struct Station(std::process::Child);

impl Drop for Station {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn text_of(b: &Browser, css: &str) -> anyhow::Result<String> {
    Ok(b.text(css).await?.trim().to_string())
}

#[tokio::test]
async fn onsite_day_from_registration_to_confirmation() -> anyhow::Result<()> {
    let started = Instant::now();
    let Some(dev) = dev_dir() else {
        eprintln!("SKIPPED: the labelled DEV photos (../shared/photos/dev) are absent");
        return Ok(());
    };
    // The station's webcam is Chromium's fake camera, fed a portrait as a Y4M video.
    let feed = tempfile::tempdir()?;
    let camera = feed.path().join("webcam.y4m");
    std::fs::write(
        &camera,
        y4m_of(&std::fs::read(dev.join("raw/A000369_raw.jpg"))?)?,
    )?;
    let switches = [
        "--use-fake-ui-for-media-stream".to_string(),
        "--use-fake-device-for-media-stream".to_string(),
        "--autoplay-policy=no-user-gesture-required".to_string(),
        format!("--use-file-for-fake-video-capture={}", camera.display()),
    ];
    let Some(b) = Browser::start_with((1280, 900), &switches).await? else {
        return Ok(());
    };
    let data = tempfile::tempdir()?;
    let pii_key = gradphoto_app::pii::generate_key()?;
    let server = Server::run(data.path(), &pii_key, "demo")?;
    let pw = gradphoto_app::demo::DEMO_PASSWORD;
    let first = demo_student(&server)?;
    let second = demo_student_after(&server, "another student, for a second phone:")?;
    wait_for_registry(&server)?;
    let code1 = code_from_registry(&b, &server, &first.code, &first.id, &first.name).await?;
    let code2 = code_from_registry(&b, &server, &second.code, &second.id, &second.name).await?;

    // 1. The university admin adds a session for today to the plan.
    login_with(&b, &server, "uni1-admin", pw).await?;
    b.click("a.campaign-link").await?;
    b.click("#onsite-plan").await?;
    let plan = b.current_url().await?;
    b.fill("#campus", "厦门校区").await?;
    b.fill("#place", "图书馆一楼报告厅").await?;
    set_date(&b, "#day", Some(gradphoto_registry::china_today())).await?;
    set_date(&b, "#starts", Some("08:00")).await?;
    set_date(&b, "#ends", Some("23:59")).await?;
    b.fill("#capacity", "50").await?;
    b.fill("#queues", "201").await?;
    b.click("#add-session").await?;
    b.wait_for_text("图书馆一楼报告厅", PAGE_TIMEOUT).await?;
    logout(&b).await?;

    // 2. A department secretary registers two students for it.
    login_with(&b, &server, "uni1-sec1", pw).await?;
    b.goto(&plan).await?;
    let register = link_in_row(&b, "图书馆一楼报告厅", "a[id^='register-']").await?;
    let session: i64 = register
        .rsplit('/')
        .next()
        .and_then(|s| s.parse().ok())
        .context("session id")?;
    b.goto(&server.url(&register)).await?;
    js(
        &b,
        "Array.from(document.querySelectorAll('#candidates input[type=checkbox]'))
            .slice(0, 2).forEach(c => c.click());",
        vec![],
    )
    .await?;
    b.click("#register-submit").await?;
    b.wait_for_text("已报名 2 名学生", PAGE_TIMEOUT).await?;
    let rows = js(
        &b,
        "return document.querySelectorAll('#registered tbody tr').length;",
        vec![],
    )
    .await?;
    ensure!(rows == json!(2), "two registered: {}", b.page_text().await?);
    logout(&b).await?;

    // 3. The desk numbers the codes as a wedge scanner types them (Enter submits).
    login_with(&b, &server, "photographer", pw).await?;
    b.goto(&plan).await?;
    let desk = link_in_row(&b, "图书馆一楼报告厅", "a[id^='desk-']").await?;
    let queue: i64 = desk
        .split('/')
        .nth(3)
        .and_then(|s| s.parse().ok())
        .context("queue id")?;
    b.goto(&server.url(&desk)).await?;
    b.fill("#code", &format!("{code1}\n")).await?;
    b.wait_for_text("已取号", PAGE_TIMEOUT).await?;
    ensure!(text_of(&b, "#shooting-number").await? == "1");
    b.fill("#code", &format!("{code2}\n")).await?;
    b.wait_for_text("已取号", PAGE_TIMEOUT).await?;
    ensure!(text_of(&b, "#shooting-number").await? == "2");
    b.fill("#code", &format!("{code1}\n")).await?;
    b.wait_for_text("此前已取号", PAGE_TIMEOUT).await?;
    ensure!(
        text_of(&b, "#shooting-number").await? == "1",
        "a rescan keeps 1"
    );

    // 4. The station calls number 1; the call display shows it and 2 next.
    b.click("#link-station").await?;
    b.click("#call-next").await?;
    ensure!(text_of(&b, "#current-number").await? == "1");
    b.goto(&server.url(&format!("/onsite/queues/{queue}/display")))
        .await?;
    ensure!(text_of(&b, "#display-current").await? == "1");
    ensure!(text_of(&b, "#display-next").await?.contains('2'));

    // 5. A portrait dropped into the camera's folder appears on the open station page.
    let folder = data.path().join("camera");
    std::fs::create_dir_all(&folder)?;
    let mut station = Station(
        gradphoto(data.path(), &pii_key)
            .args([
                "station",
                "watch",
                "--server",
                &server.url(""),
                "--queue",
                &queue.to_string(),
                "--folder",
                folder.to_str().context("path")?,
                "--user",
                "photographer",
                "--poll-ms",
                "200",
                "--max-files",
                "1",
            ])
            .env("GRADPHOTO_STATION_PASSWORD", pw)
            .spawn()
            .context("starting gradphoto station")?,
    );
    b.goto(&server.url(&format!("/onsite/queues/{queue}/station")))
        .await?;
    ensure!(
        b.page_text().await?.contains("当前拍摄"),
        "{}",
        b.page_text().await?
    );
    // Written under a hidden name, then renamed, as camera software does.
    let portrait = std::fs::read(dev.join("raw/A000369_raw.jpg"))?;
    std::fs::write(folder.join(".IMG_0001.jpg"), &portrait)?;
    std::fs::rename(folder.join(".IMG_0001.jpg"), folder.join("IMG_0001.jpg"))?;
    let deadline = Instant::now() + PHOTO_TIMEOUT;
    loop {
        // The page reloads itself when the photo is bound: a check during the reload
        // counts as "not yet".
        let found = js(
            &b,
            "return !!document.querySelector('#photo-verdict');",
            vec![],
        )
        .await
        .unwrap_or(json!(false));
        if found == json!(true) {
            break;
        }
        ensure!(
            Instant::now() < deadline,
            "the photo never appeared on the station page: {}",
            b.page_text().await?
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    ensure!(text_of(&b, "#current-number").await? == "1");
    let status = station.0.wait()?;
    ensure!(status.success(), "gradphoto station ended with {status}");

    // The photographer retakes with the webcam: the shot is bound to number 1 too.
    let hot_folder_photo = js(
        &b,
        "return document.querySelector('#current-photo').getAttribute('data-photo');",
        vec![],
    )
    .await?;
    b.click("#webcam-start").await?;
    let deadline = Instant::now() + PAGE_TIMEOUT;
    loop {
        let live = js(
            &b,
            // Live, and showing the portrait (not the blank first frame).
            "const v = document.querySelector('#webcam');
             if (!v || v.videoWidth === 0 || document.querySelector('#webcam-take').hidden) return false;
             const c = document.createElement('canvas');
             c.width = v.videoWidth; c.height = v.videoHeight;
             const g = c.getContext('2d'); g.drawImage(v, 0, 0);
             const p = g.getImageData(5, 5, 1, 1).data;
             return p[0] + p[1] + p[2] > 150;",
            vec![],
        )
        .await?;
        if live == json!(true) {
            break;
        }
        ensure!(
            Instant::now() < deadline,
            "the webcam never showed the portrait: {}",
            js(&b, "const v = document.querySelector('#webcam'); const c = document.createElement('canvas'); c.width = v.videoWidth; c.height = v.videoHeight; const g = c.getContext('2d'); g.drawImage(v, 0, 0); return [v.videoWidth, v.videoHeight, Array.from(g.getImageData(5, 5, 1, 1).data), Array.from(g.getImageData(v.videoWidth/2, v.videoHeight/2, 1, 1).data), v.readyState, v.paused, v.currentTime];", vec![]).await?
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    b.click("#webcam-take").await?;
    let deadline = Instant::now() + PHOTO_TIMEOUT;
    loop {
        let shown = js(
            &b,
            "const p = document.querySelector('#current-photo'); return p && document.querySelector('#photo-verdict') ? p.getAttribute('data-photo') : null;",
            vec![],
        )
        .await
        .unwrap_or(json!(null));
        if !shown.is_null() && shown != hot_folder_photo {
            break;
        }
        ensure!(
            Instant::now() < deadline,
            "the webcam shot never appeared: {}",
            js(&b, "return document.documentElement.outerHTML;", vec![]).await?
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    ensure!(text_of(&b, "#current-number").await? == "1");
    ensure!(
        b.page_text().await?.contains("webcam"),
        "{}",
        b.page_text().await?
    );

    // 6. The student confirms on the screen facing them, once the fee is paid at the
    //    desk (seed 001: electronic payment only): a rescan offers WeChat Pay, whose code
    //    the sandbox payer "scans" and pays.
    b.click("#link-confirm").await?;
    let confirm_screen = b.current_url().await?;
    ensure!(text_of(&b, "#confirm-number").await? == "1");
    let unpaid = js(
        &b,
        "return !!document.querySelector('#confirm-unpaid') && !document.querySelector('#confirm-photo-button');",
        vec![],
    )
    .await?;
    ensure!(unpaid == json!(true), "{}", b.page_text().await?);
    b.goto(&server.url(&desk)).await?;
    b.fill("#code", &format!("{code1}\n")).await?;
    b.wait_for_text("此前已取号", PAGE_TIMEOUT).await?;
    b.click("#fee-pay-wechat").await?;
    b.wait_for_text("现场缴费", PAGE_TIMEOUT).await?;
    let fee_page = b.current_url().await?;
    let payer = js(
        &b,
        "return document.querySelector('#sandbox-open').getAttribute('href');",
        vec![],
    )
    .await?;
    let payer = payer.as_str().context("the sandbox payer's address")?;
    b.goto(payer).await?;
    b.click("#sandbox-pay").await?;
    b.wait_for_text("付款成功", PAGE_TIMEOUT).await?;
    b.goto(&fee_page).await?;
    b.wait_for_text("已支付", PAGE_TIMEOUT).await?;
    b.goto(&confirm_screen).await?;
    b.click("#confirm-photo-button").await?;
    b.wait_for_text("号照片已确认", PAGE_TIMEOUT).await?;

    // 7. The session's progress counts it.
    b.goto(&server.url(&format!("/onsite/sessions/{session}/progress")))
        .await?;
    let confirmed = js(
        &b,
        "return document.querySelector('#progress-total').children[4].textContent.trim();",
        vec![],
    )
    .await?;
    ensure!(confirmed == json!("1"), "{}", b.page_text().await?);

    // 8. The call display redraws live, with no reload: it stays open on the TV while the
    //    photographer (another browser) calls number 2.
    b.goto(&server.url(&format!("/onsite/queues/{queue}/display")))
        .await?;
    // Number 1 is done (confirmed): nobody is at the camera; 2 waits.
    ensure!(text_of(&b, "#display-current").await? != "2");
    ensure!(text_of(&b, "#display-next").await?.contains('2'));
    js(&b, "window.stayedOpen = true; return true;", vec![]).await?;
    let photographer = gradphoto_testkit::Client::new(&server.url(""));
    let r = photographer
        .post_form(
            "/login",
            &[
                ("username", "photographer"),
                ("password", pw),
                ("next", "/"),
            ],
        )
        .await;
    ensure!(
        r.status().is_redirection(),
        "photographer sign-in: {}",
        r.status()
    );
    let r = photographer
        .post_form(&format!("/onsite/queues/{queue}/station/call"), &[])
        .await;
    ensure!(r.status().is_redirection(), "call next: {}", r.status());
    let deadline = Instant::now() + PAGE_TIMEOUT;
    loop {
        let shown = js(
            &b,
            "return [window.stayedOpen === true, document.querySelector('#display-current').textContent.trim()];",
            vec![],
        )
        .await?;
        if shown == json!([true, "2"]) {
            break;
        }
        ensure!(
            shown[0] == json!(true),
            "the display reloaded instead of redrawing"
        );
        ensure!(
            Instant::now() < deadline,
            "the display never showed 2: {}",
            b.page_text().await?
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The display is a bare page for a TV: sign out from the home page.
    b.goto(&server.url("/")).await?;
    logout(&b).await?;

    // 9. The admin publishes the plan; anyone reads the schedule and the notice.
    login_with(&b, &server, "uni1-admin", pw).await?;
    b.goto(&plan).await?;
    b.click("#publish-schedule").await?;
    b.wait_for_text("已发布", PAGE_TIMEOUT).await?;
    b.click("#schedule-link").await?;
    let schedule = b.current_url().await?;
    logout(&b).await?;
    b.goto(&schedule).await?;
    ensure!(
        b.page_text().await?.contains("图书馆一楼报告厅"),
        "the public schedule: {}",
        b.page_text().await?
    );
    b.click("#notice-link").await?;
    b.wait_for_text("一、采集对象", PAGE_TIMEOUT).await?;
    eprintln!("onsite day: {:.1} s", started.elapsed().as_secs_f64());
    b.close().await?;
    Ok(())
}
