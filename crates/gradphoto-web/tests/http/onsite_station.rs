//! The station, the confirmation screen and the call display over HTTP, on both backends:
//! numbers are called lowest turn first; a photo is bound only to the number at the
//! camera (a page showing another number is refused); a bad photo is answered with its
//! reasons and bound to nothing; the student confirms exactly the photo shown; the
//! confirmed photo reaches the registry for exactly that number's code; a confirmed
//! number takes no new photo until an admin reopens it (audited); a latecomer keeps the
//! number and goes to the end; the live stream reports the state.

use gradphoto_testkit::{Client, TestApp, backends};
use reqwest::multipart::{Form, Part};

use crate::onsite_support::{confirm_on_screen, fresh_codes, post, today_queue};
use crate::support::{self, PW};

async fn post_photo(c: &Client, path: &str, number: i64, photo: Vec<u8>) -> (u16, String) {
    let form = Form::new()
        .text("csrf", c.csrf().await)
        .text("number", number.to_string())
        .text("background", "blue")
        .part("photo", Part::bytes(photo).file_name("shot.jpg"));
    let r = c
        .http
        .post(format!("{}{path}", c.base))
        .multipart(form)
        .send()
        .await
        .expect("POST");
    let s = r.status().as_u16();
    (s, r.text().await.unwrap_or_default())
}

#[tokio::test]
async fn photos_bind_to_the_number_at_the_camera_and_the_student_confirms() {
    let Some(dev) = gradphoto_testkit::photos_dev_dir() else {
        eprintln!("SKIPPED: the labelled DEV photos (../shared/photos/dev) are absent");
        return;
    };
    let portrait = std::fs::read(dev.join("raw/A000369_raw.jpg")).expect("DEV portrait");
    for backend in backends() {
        let t = TestApp::spawn_on(backend, |_| {}).await;
        let d = support::seed(&t).await;
        t.drain_jobs().await;
        let q = today_queue(&t, &d).await;
        let session_id = t.app.db.onsite_queue(q).await.expect("queue").session_id;
        let ph = t.login("photographer", PW).await;

        // Three students checked in: numbers 1, 2, 3.
        let codes = fresh_codes(&t, &d, &mut 0, 3).await;
        for (_, code) in &codes {
            let (status, body) = post(
                &ph,
                &format!("/onsite/queues/{q}/checkin"),
                &[("code", code)],
            )
            .await;
            assert_eq!(status, 200, "{body}");
        }

        let station = format!("/onsite/queues/{q}/station");
        let (status, body) = ph.get_text(&station).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("id=\"camera-free\""), "{body}");

        // Number 1 is called; nothing else until it is finished.
        assert_eq!(
            ph.post_form(&format!("{station}/call"), &[]).await.status(),
            303
        );
        let (_, body) = ph.get_text(&station).await;
        assert!(body.contains("id=\"current-number\">1<"), "{body}");
        let (status, body) = post(&ph, &format!("{station}/call"), &[]).await;
        assert_eq!(status, 409, "{body}");

        // The live stream reports number 1 at the camera and 2, 3 next.
        let r = ph
            .http
            .get(format!("{}/onsite/queues/{q}/events", ph.base))
            .send()
            .await
            .expect("events");
        assert_eq!(r.status(), 200);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap_or("")
                .starts_with("text/event-stream")
        );
        let mut r = r;
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(5), r.chunk())
            .await
            .expect("an event in time")
            .expect("read")
            .expect("a chunk");
        let text = String::from_utf8_lossy(&chunk).to_string();
        assert!(
            text.contains("event: state")
                && text.contains("\"current\":1")
                && text.contains("\"next\":[2,3]"),
            "{text}"
        );
        drop(r);

        // A photo for a number that is not at the camera: refused, nothing stored.
        let photo_url = format!("{station}/photo");
        let (status, body) = post_photo(&ph, &photo_url, 2, portrait.clone()).await;
        assert_eq!(status, 409, "{body}");
        assert!(body.contains("id=\"station-error\""), "{body}");
        // Not a portrait: the reasons, bound to nothing.
        let (status, body) = post_photo(&ph, &photo_url, 1, b"not an image".to_vec()).await;
        assert_eq!(status, 422, "{body}");
        assert!(body.contains("id=\"photo-reasons\""), "{body}");
        let one = t
            .app
            .db
            .station_current(q)
            .await
            .expect("q")
            .expect("1 at the camera");
        assert_eq!((one.number, one.photo_id), (1, None));

        // The portrait: checked, standardized, bound to number 1.
        let (status, body) = post_photo(&ph, &photo_url, 1, portrait.clone()).await;
        assert_eq!(status, 303, "{body}");
        let one = t.app.db.station_current(q).await.expect("q").expect("1");
        let photo_id = one.photo_id.expect("bound");
        assert_eq!(one.stage, "photographed");
        let (_, body) = ph.get_text(&station).await;
        assert!(
            body.contains(&format!("data-photo=\"{photo_id}\"")),
            "{body}"
        );
        let img = ph
            .get(&format!(
                "/onsite/queues/{q}/photos/{photo_id}-standard.jpg"
            ))
            .await;
        assert_eq!(img.status(), 200);
        let jpeg = img.bytes().await.expect("bytes");
        assert!(jpeg.starts_with(&[0xFF, 0xD8]));

        // The confirmation screen shows number 1 and that photo; confirming another photo
        // id, or another number, is refused.
        let confirm = format!("/onsite/queues/{q}/confirm");
        let (_, body) = ph.get_text(&confirm).await;
        assert!(body.contains("id=\"confirm-number\">1<"), "{body}");
        assert!(
            body.contains(&format!("name=\"photo\" value=\"{photo_id}\"")),
            "{body}"
        );
        let wrong = (photo_id + 1000).to_string();
        assert_eq!(
            post(&ph, &confirm, &[("number", "1"), ("photo", &wrong)])
                .await
                .0,
            409
        );
        let pid = photo_id.to_string();
        assert_eq!(
            post(&ph, &confirm, &[("number", "2"), ("photo", &pid)])
                .await
                .0,
            409
        );
        let body = confirm_on_screen(&ph, q, 1, photo_id).await;
        assert!(body.contains("id=\"confirm-done\">1 "), "{body}");

        // Confirmed: no new photo for number 1, and it reaches the registry for its code.
        assert_eq!(
            post_photo(&ph, &photo_url, 1, portrait.clone()).await.0,
            409
        );
        t.drain_jobs().await;
        let row = t
            .app
            .db
            .onsite_queue_checkins(q)
            .await
            .expect("q")
            .into_iter()
            .find(|c| c.number == 1)
            .expect("1");
        let outbox = t
            .app
            .db
            .outbox(row.outbox_id.expect("handed over"))
            .await
            .expect("outbox");
        assert_eq!(outbox.code.trim(), codes[0].1.trim(), "number 1's own code");
        assert_eq!(outbox.status, "answered", "delivered to the registry");
        assert!(t.app.db.is_collected(d.c1, codes[0].0.id).await.expect("q"));

        // The fee of number 1, collected by the class liaison: the agency marks the
        // department received, naming exactly the students shown; nobody else may.
        let dept = codes[0].0.department_id;
        let fees = format!("/campaigns/{}/fees", d.c1);
        let settle = format!("{fees}/{dept}");
        let uni = t.login("uni1-admin", PW).await;
        let (status, body) = uni.get_text(&fees).await;
        assert_eq!(status, 200, "{body}");
        assert!(
            body.contains(&format!("id=\"fees-{dept}\"")) && !body.contains("id=\"settle-"),
            "{body}"
        );
        let shown = row.id.to_string();
        assert_eq!(post(&uni, &settle, &[("checkins", &shown)]).await.0, 403);
        let agency = t.login("agency", PW).await;
        let (_, body) = agency.get_text(&fees).await;
        assert!(
            body.contains(&format!("name=\"checkins\" value=\"{shown}\"")),
            "{body}"
        );
        let wrong = (row.id + 1).to_string();
        assert_eq!(post(&agency, &settle, &[("checkins", &wrong)]).await.0, 409);
        assert_eq!(
            agency
                .post_form(&settle, &[("checkins", &shown), ("note", "班长转账")])
                .await
                .status(),
            303
        );
        assert_eq!(
            post(&agency, &settle, &[("checkins", &shown)]).await.0,
            409,
            "settled once"
        );
        let done = t.app.db.campaign_settlements(d.c1).await.expect("q");
        assert_eq!(
            (done.len(), done[0].students, done[0].amount_fen),
            (1, 1, 2000)
        );
        let x = agency.get(&format!("{fees}.xlsx")).await;
        assert_eq!(x.status(), 200);
        assert!(x.bytes().await.expect("xlsx").starts_with(b"PK"));

        // The shooting sheet, with number 1's confirmation beside its row.
        let sheet = ph.get(&format!("/onsite/queues/{q}/sheet.pdf")).await;
        if std::path::Path::new(gradphoto_pdf_font()).exists() {
            assert_eq!(sheet.status(), 200);
            let pdf = sheet.bytes().await.expect("pdf");
            assert!(pdf.starts_with(b"%PDF-"));
            match pdftotext(&pdf) {
                Some(text) => {
                    assert!(text.contains("全国高校毕业生信息采集学生名单"), "{text}");
                    assert!(text.contains(&codes[0].0.student_no), "{text}");
                    assert!(text.contains("已确认"), "{text}");
                }
                None => eprintln!("SKIPPED (sheet text): pdftotext is not installed"),
            }
        } else {
            eprintln!("SKIPPED (shooting sheet): no CJK font; run scripts/fetch-fonts");
            assert_eq!(sheet.status(), 503, "a missing font is said, not a crash");
        }

        // Number 2 is not there: it keeps its number and goes after 3.
        assert_eq!(
            ph.post_form(&format!("{station}/call"), &[]).await.status(),
            303
        );
        assert_eq!(
            post(&ph, &format!("{station}/skip"), &[("number", "2")])
                .await
                .0,
            303
        );
        assert_eq!(
            ph.post_form(&format!("{station}/call"), &[]).await.status(),
            303
        );
        let now = t
            .app
            .db
            .station_current(q)
            .await
            .expect("q")
            .expect("at camera");
        assert_eq!(now.number, 3, "3 before the latecomer");
        assert_eq!(
            post(&ph, &format!("{station}/skip"), &[("number", "3")])
                .await
                .0,
            303
        );
        assert_eq!(
            ph.post_form(&format!("{station}/call"), &[]).await.status(),
            303
        );
        let now = t
            .app
            .db
            .station_current(q)
            .await
            .expect("q")
            .expect("at camera");
        assert_eq!(now.number, 2, "then 2, at the end");

        // The session's progress: three checked in, one confirmed; the secretary sees
        // only the department's row and can export the students not yet arrived.
        let staff = |name: &'static str| {
            let db = t.app.db.clone();
            async move {
                gradphoto_app::auth::Staff::from_row(
                    db.find_staff_by_username(name)
                        .await
                        .expect("db")
                        .expect("account"),
                    None,
                )
                .expect("role")
            }
        };
        let all = t
            .app
            .session_progress(&staff("uni1-admin").await, session_id)
            .await
            .expect("progress");
        assert_eq!(
            (
                all.total.checked_in,
                all.total.photographed,
                all.total.confirmed
            ),
            (3, 1, 1),
            "{:?}",
            all.total
        );
        let registered = t
            .app
            .db
            .session_registrations(session_id)
            .await
            .expect("q")
            .len();
        assert_eq!(all.total.registered, registered);
        assert_eq!(
            all.total.absent + all.total.checked_in - all.total.walk_ins + all.total.elsewhere,
            registered,
            "every registered student is checked in here or elsewhere, or absent"
        );
        let mine = t
            .app
            .session_progress(&staff("uni1-sec1").await, session_id)
            .await
            .expect("progress");
        assert!(
            mine.departments
                .iter()
                .all(|x| x.department_id == d.u1_depts[0])
        );
        assert!(mine.absent.iter().all(|x| x.department_id == d.u1_depts[0]));
        let sec = t.login("uni1-sec1", PW).await;
        let (status, body) = sec
            .get_text(&format!("/onsite/sessions/{}/progress", session_id))
            .await;
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("id=\"progress-total\""), "{body}");
        let x = sec
            .get(&format!("/onsite/sessions/{}/no-shows.xlsx", session_id))
            .await;
        assert_eq!(x.status(), 200);
        assert!(x.bytes().await.expect("xlsx").starts_with(b"PK"));

        // Reopening needs an admin and a reason; it is audited.
        let reopen = format!("/onsite/checkins/{}/reopen", row.id);
        assert_eq!(post(&ph, &reopen, &[("reason", "闭眼")]).await.0, 403);
        let admin = t.login("uni1-admin", PW).await;
        assert_eq!(post(&admin, &reopen, &[("reason", " ")]).await.0, 422);
        assert_eq!(
            admin
                .post_form(&reopen, &[("reason", "闭眼，重拍")])
                .await
                .status(),
            303
        );
        let again = t.app.db.onsite_checkin(row.id).await.expect("row");
        assert_eq!((again.stage.as_str(), again.number), ("waiting", 1));
        let audit = t.app.db.list_audit(Some(d.u1), 20).await.expect("audit");
        assert!(
            audit
                .iter()
                .any(|a| a.action == "onsite.reopen" && a.actor_name == "uni1-admin")
        );

        // The call display is a page of its own.
        let (status, body) = ph.get_text(&format!("/onsite/queues/{q}/display")).await;
        assert_eq!(status, 200);
        assert!(body.contains("id=\"display-current\">2<"), "{body}");
    }
}

fn gradphoto_pdf_font() -> &'static str {
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
}

/// The text of a PDF through poppler's pdftotext, when it is installed.
fn pdftotext(pdf: &[u8]) -> Option<String> {
    let dir = tempfile::tempdir().ok()?;
    let path = dir.path().join("s.pdf");
    std::fs::write(&path, pdf).ok()?;
    let out = std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).to_string())
}
