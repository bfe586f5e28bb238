//! The online student's photo and the agency's review, on the real router with the real
//! engine, on SQLite and PostgreSQL (labelled DEV photos; skipped when absent): a photo
//! with no face and a file that is no image get the reasons; a portrait is standardized
//! and shown; a slightly dim one goes to review, replacing the first; the agency rejects
//! it (reasons and date required) and the student reads why; a retake in review is
//! approved, once; then the order is confirmed with a contact phone, once per entry.

use gradphoto_testkit::{Client, TestApp, backends};
use reqwest::multipart::{Form, Part};

use crate::support::{self, PW};

async fn upload(c: &Client, bytes: Vec<u8>, name: &str) -> reqwest::Response {
    let form = Form::new()
        .part("photo", Part::bytes(bytes).file_name(name.to_string()))
        .text("csrf", c.csrf().await);
    c.http
        .post(format!("{}/student/photo", c.base))
        .multipart(form)
        .send()
        .await
        .expect("POST /student/photo")
}

/// `bytes` decoded, every channel scaled to `percent`, encoded again.
fn dimmed(bytes: &[u8], percent: u32) -> Vec<u8> {
    let limits = gradphoto_photo::decode::Limits::default();
    let mut img = gradphoto_photo::decode::decode(bytes, &limits, Some(1200)).expect("decode");
    for p in img.data.iter_mut() {
        *p = u8::try_from(u32::from(*p) * percent / 100).unwrap_or(u8::MAX);
    }
    gradphoto_photo::encode::encode(&img, 92, 300).expect("encode")
}

fn status_of(page: &str) -> String {
    let at = page.find("data-status=\"").expect("a photo status") + "data-status=\"".len();
    page[at..].split('"').next().unwrap_or_default().to_string()
}

#[tokio::test]
async fn upload_check_review() {
    let Some(dev) = gradphoto_testkit::photos_dev_dir() else {
        eprintln!("SKIPPED: the labelled DEV photos (../shared/photos/dev) are absent");
        return;
    };
    let read = |f: &str| std::fs::read(dev.join(f)).expect("DEV photo");
    for backend in backends() {
        let t = TestApp::spawn_on(backend, |c| c.sms.demo_inbox = true).await;
        let d = support::seed(&t).await;
        t.drain_jobs().await;
        let (c, me) = support::verified_student(&t, &d, "13500001111", 0).await;
        let (_, page) = c.get_text("/student").await;
        assert!(page.contains("id=\"photo-submit\""), "{page}");

        let r = upload(&c, read("H001042_no_face.jpg"), "no_face.jpg").await;
        assert_eq!(r.status(), 422);
        let body = r.text().await.expect("body");
        assert!(
            body.contains("photo-refused") && body.contains("face.none"),
            "{body}"
        );
        let r = upload(&c, b"GIF89a not really".to_vec(), "x.gif").await;
        assert_eq!(r.status(), 422);
        assert!(r.text().await.expect("body").contains("photo-refused"));
        assert_eq!(
            c.get_text("/student/photo/standard.jpg").await.0,
            404,
            "nothing kept"
        );

        let raw = read("raw/A000369_raw.jpg");
        let r = upload(&c, raw.clone(), "me.jpg").await;
        assert_eq!(r.status(), 303);
        let (_, page) = c.get_text("/student").await;
        assert_eq!(status_of(&page), "checked");
        let r = c.get("/student/photo/standard.jpg").await;
        assert_eq!(r.status(), 200);
        let jpeg = r.bytes().await.expect("jpeg");
        let header = gradphoto_photo::decode::probe(&jpeg, &Default::default()).expect("probe");
        assert_eq!((header.width, header.height), (480, 640));

        // A slightly dim retake: made, but borderline; it replaces the first.
        let r = upload(&c, dimmed(&raw, 85), "dim.jpg").await;
        assert_eq!(r.status(), 303);
        let (_, page) = c.get_text("/student").await;
        assert_eq!(status_of(&page), "in_review");
        assert!(page.contains("background.color"));

        let uni = t.login("uni1-admin", PW).await;
        assert_eq!(
            uni.get_text("/review").await.0,
            403,
            "schools do not review"
        );
        let agency = t.login("agency", PW).await;
        let (status, queue) = agency.get_text("/review").await;
        assert_eq!(status, 200);
        let name = gradphoto_domain::people::mask_name(&me.name);
        assert!(
            queue.contains(&name) && queue.contains(&me.student_no),
            "{queue}"
        );
        let at = queue.find("id=\"review-").expect("an item") + "id=\"review-".len();
        let id: i64 = queue[at..]
            .split('"')
            .next()
            .and_then(|s| s.parse().ok())
            .expect("photo id");
        for file in ["upload", "standard.jpg"] {
            let r = agency.get(&format!("/review/{id}/{file}")).await;
            assert_eq!(r.status(), 200);
            assert_eq!(
                r.headers()[reqwest::header::CONTENT_TYPE],
                "image/jpeg",
                "{file}"
            );
        }
        let path = format!("/review/{id}");
        let r = agency
            .post_form(
                &path,
                &[
                    ("decision", "reject"),
                    ("reasons", " "),
                    ("resubmit_by", "2099-01-01"),
                ],
            )
            .await;
        assert_eq!(r.status(), 422, "a rejection says why");
        let r = agency
            .post_form(
                &path,
                &[
                    ("decision", "reject"),
                    ("reasons", "背景偏暗，请在明亮处重拍"),
                    ("resubmit_by", "2000-01-01"),
                ],
            )
            .await;
        assert_eq!(r.status(), 422, "the date is after today");
        let r = agency
            .post_form(
                &path,
                &[
                    ("decision", "reject"),
                    ("reasons", "背景偏暗，请在明亮处重拍"),
                    ("resubmit_by", "2099-01-01"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
        let (_, page) = c.get_text("/student").await;
        assert_eq!(status_of(&page), "rejected");
        assert!(
            page.contains("背景偏暗") && page.contains("2099-01-01"),
            "{page}"
        );

        let r = upload(&c, dimmed(&raw, 85), "dim2.jpg").await;
        assert_eq!(r.status(), 303);
        let (_, queue) = agency.get_text("/review").await;
        let at = queue.find("id=\"review-").expect("an item") + "id=\"review-".len();
        let id2: i64 = queue[at..]
            .split('"')
            .next()
            .and_then(|s| s.parse().ok())
            .expect("photo id");
        assert_ne!(id, id2);
        let path = format!("/review/{id2}");
        let r = agency.post_form(&path, &[("decision", "approve")]).await;
        assert_eq!(r.status(), 303);
        let r = agency.post_form(&path, &[("decision", "approve")]).await;
        assert_eq!(r.status(), 422, "decided once");
        let (_, page) = c.get_text("/student").await;
        assert_eq!(status_of(&page), "approved");
        let (_, queue) = agency.get_text("/review").await;
        assert!(queue.contains("review-empty"));

        // The order: the campaign's fee, a contact phone that must be a number, one order
        // per entry whose contact may change while it is unpaid.
        let (_, page) = c.get_text("/student").await;
        assert!(page.contains("id=\"order-fee\""), "{page}");
        let r = c
            .post_form("/student/order", &[("contact_phone", "12345")])
            .await;
        assert_eq!(r.status(), 422);
        let r = c
            .post_form("/student/order", &[("contact_phone", "13500001111")])
            .await;
        assert_eq!(r.status(), 303);
        let (_, page) = c.get_text("/student").await;
        let code_of = |page: &str| {
            let at =
                page.find("id=\"order-code\">").expect("an order") + "id=\"order-code\">".len();
            page[at..].split('<').next().unwrap_or_default().to_string()
        };
        let first = code_of(&page);
        assert!(first.starts_with("GP"), "{first}");
        assert!(page.contains("135****1111") && page.contains("data-status=\"pending\""));
        let r = c
            .post_form("/student/order", &[("contact_phone", "13900002222")])
            .await;
        assert_eq!(r.status(), 303);
        let (_, page) = c.get_text("/student").await;
        assert_eq!(code_of(&page), first, "one order per entry");
        assert!(page.contains("139****2222"), "the contact changed");
    }
}
