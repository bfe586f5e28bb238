//! An offline site with the real binary: `gradphoto station prepare` while the server is
//! up; then the server goes down and `gradphoto station serve` runs the day on the
//! laptop — the desk page numbers scanned codes, the camera calls a number, a photo
//! dropped into the hot folder is bound to it, the student confirms on the confirmation
//! page; `push` fails cleanly while the server is down, then, with the server back,
//! records everything, and a second push sends nothing; `release` gives the queue back.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The station's page server, killed when the test ends however it ends.
struct Serving(Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn station(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_gradphoto"))
        .arg("station")
        .args(args)
        .env("GRADPHOTO_STATION_USER", "photographer")
        .env(
            "GRADPHOTO_STATION_PASSWORD",
            gradphoto_app::demo::DEMO_PASSWORD,
        )
        .output()
        .expect("run gradphoto station")
}

fn text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

async fn wait_until(what: &str, mut cond: impl AsyncFnMut() -> bool) {
    for _ in 0..300 {
        if cond().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting: {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offline_site_works_with_the_server_down_and_pushes_once_it_is_back() {
    let Some(dev) = gradphoto_testkit::photos_dev_dir() else {
        eprintln!("SKIPPED: the labelled DEV photos (../shared/photos/dev) are absent");
        return;
    };
    let portrait = std::fs::read(dev.join("raw/A000369_raw.jpg")).expect("DEV portrait");
    let backend = gradphoto_testkit::backends().remove(0);
    let mut t = gradphoto_testkit::TestApp::spawn_on(backend, |_| {}).await;
    t.app.seed_demo().await.expect("demo");
    t.drain_jobs().await;
    let db = t.app.db.clone();
    let students = t.app.demo_registry_students(60).await.expect("db");
    let school = db
        .find_university_by_code(&students[0].school_code)
        .await
        .expect("db")
        .expect("the demo student's university");
    let campaign = db.list_campaigns(Some(school.id)).await.expect("campaigns")[0].clone();
    let today = gradphoto_app::online_entry::china_today().to_string();
    let session = db
        .campaign_sessions(campaign.id)
        .await
        .expect("sessions")
        .into_iter()
        .find(|s| s.day == today)
        .expect("today's session");
    let queues: Vec<_> = db
        .campaign_queues(campaign.id)
        .await
        .expect("queues")
        .into_iter()
        .filter(|q| q.session_id == session.id)
        .collect();
    let queue = queues[0].id;

    // Live codes of demo students; the desk decides which of them it may number.
    let reg = t.app.registry().expect("hosted");
    let mut codes = Vec::new();
    for s in &students {
        let Some(e) = reg
            .find_enrolments(&s.school_code, &s.id_number, &s.name)
            .await
            .expect("q")
            .into_iter()
            .next()
        else {
            continue;
        };
        codes.push(reg.code_for(e.id).await.expect("code").code);
    }

    // Before the day: the station takes the queue.
    let data = tempfile::tempdir().expect("dir");
    let data_s = data.path().to_str().expect("path").to_string();
    let o = station(&[
        "prepare",
        "--server",
        &t.url,
        "--queue",
        &queue.to_string(),
        "--station",
        "laptop-1",
        "--data",
        &data_s,
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("ready"), "{}", text(&o));
    assert_eq!(
        db.onsite_queue(queue).await.expect("q").held_by.as_deref(),
        Some("laptop-1")
    );

    // The server goes down; the site goes on.
    t.stop_serving();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("free port")
        .local_addr()
        .expect("addr")
        .port();
    let hot = tempfile::tempdir().expect("hot folder");
    let _serving = Serving(
        Command::new(env!("CARGO_BIN_EXE_gradphoto"))
            .args([
                "station",
                "serve",
                "--data",
                &data_s,
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--folder",
                hot.path().to_str().expect("path"),
                "--poll-ms",
                "100",
                "--key",
                "site-key-1",
            ])
            .stdout(Stdio::null())
            .spawn()
            .expect("start the station's pages"),
    );
    let site = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("client");
    wait_until("the station's pages", async || {
        http.get(&site).send().await.is_ok()
    })
    .await;
    // Without the key a device on the venue's network gets nothing; the printed address
    // (with the key) lets a screen in, and its cookie keeps it in.
    assert_eq!(http.get(&site).send().await.expect("GET").status(), 401);
    let r = http
        .get(format!("{site}/?key=site-key-1"))
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), 200);
    let get = async |path: &str| {
        let r = http
            .get(format!("{site}{path}"))
            .header("accept-language", "en")
            .send()
            .await
            .expect("GET");
        (r.status().as_u16(), r.text().await.expect("body"))
    };
    let post = async |path: &str, form: &[(&str, &str)]| {
        let r = http
            .post(format!("{site}{path}"))
            .header("accept-language", "en")
            .form(form)
            .send()
            .await
            .expect("POST");
        (r.status().as_u16(), r.text().await.expect("body"))
    };

    // The desk numbers two codes 1 and 2 (codes the pack cannot number are refused
    // with a reason and skipped); a rescan answers with the same number.
    let mut numbered = Vec::new();
    for code in &codes {
        let (status, body) = post("/checkin", &[("code", code)]).await;
        if status == 200 {
            assert!(
                body.contains(&format!("id=\"checkin-number\">{}<", numbered.len() + 1)),
                "{body}"
            );
            numbered.push(code.clone());
            if numbered.len() == 2 {
                break;
            }
        } else {
            assert_eq!(status, 422, "{body}");
            assert!(body.contains("id=\"checkin-error\""), "{body}");
        }
    }
    assert_eq!(numbered.len(), 2, "two demo students numbered offline");
    let (status, body) = post("/checkin", &[("code", &numbered[0])]).await;
    assert_eq!(status, 200);
    assert!(body.contains("id=\"checkin-number\">1<"), "{body}");
    assert!(body.contains("Checked in before"), "{body}");

    // A form from another site is refused.
    let r = http
        .post(format!("{site}/camera/call"))
        .header("origin", "http://evil.example")
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), 403);

    // Number 1 at the camera; the hot folder's photo is bound to it.
    let (status, body) = post("/camera/call", &[]).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("id=\"camera-number\">1<"), "{body}");
    std::fs::write(hot.path().join("IMG_0001.jpg"), &portrait).expect("write");
    wait_until("the photo bound to number 1", async || {
        get("/camera").await.1.contains("id=\"camera-photo\"")
    })
    .await;
    let (_, body) = get("/confirm").await;
    let photo = body
        .split("name=\"photo\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("the photo to confirm")
        .to_string();
    let (status, body) = post("/confirm", &[("number", "1"), ("photo", &photo)]).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("id=\"confirm-done\""), "{body}");
    let (status, body) = post("/confirm", &[("number", "1"), ("photo", &photo)]).await;
    assert_eq!(status, 409, "confirmed once: {body}");
    let (_, body) = get("/display").await;
    assert!(body.contains("id=\"display-next\">2"), "{body}");
    // The desk reads codes with the camera too (the browser's detector, offline).
    let (_, body) = get("/").await;
    assert!(
        body.contains("id=\"scan-start\"") && body.contains("/static/scan.js"),
        "{body}"
    );
    let (status, js) = get("/static/scan.js").await;
    assert_eq!(status, 200);
    assert!(js.contains("BarcodeDetector"));

    // The shooting sheet prints at the site, with the confirmation beside number 1.
    let r = http
        .get(format!("{site}/sheet.pdf"))
        .send()
        .await
        .expect("GET");
    if std::path::Path::new(gradphoto_pdf::DEFAULT_FONT_PATH).exists() {
        assert_eq!(r.status(), 200);
        assert!(r.bytes().await.expect("pdf").starts_with(b"%PDF-"));
    } else {
        eprintln!("the CJK font is absent: the sheet is refused with the reason");
        assert_eq!(r.status(), 503);
    }

    // Pushing while the server is down fails and loses nothing.
    let push = || station(&["push", "--data", &data_s]);
    let o = push();
    assert!(!o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("reaching the server"), "{}", text(&o));

    // The server is back: everything arrives once.
    t.serve_again().await;
    let o = push();
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("2 recorded"), "{}", text(&o));
    t.drain_jobs().await;
    let rows = db.onsite_queue_checkins(queue).await.expect("rows");
    assert_eq!(rows.iter().map(|r| r.number).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(rows[0].stage, "confirmed");
    assert!(rows[0].outbox_id.is_some_and(|o| o > 0), "on its way");
    assert_eq!(rows[0].code_text.trim(), numbered[0].trim());
    let o = push();
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("pushed 0 numbers"), "{}", text(&o));
    assert_eq!(
        db.onsite_queue_checkins(queue).await.expect("rows").len(),
        2
    );

    // The queue goes back to the server's desks.
    let o = station(&["release", "--data", &data_s]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(db.onsite_queue(queue).await.expect("q").held_by, None);
}
