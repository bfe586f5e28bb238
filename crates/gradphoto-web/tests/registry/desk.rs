//! The whole chain from the agency's desk to the student's registry page: the demo's
//! rosters reach the registry, a student's code is scanned at the desk (typed by a scanner,
//! or read from a photo of the QR code), a forged code is refused there, the photo is
//! standardized and delivered through the outbox, and the student sees it at the registry.

use gradphoto_testkit::{Client, TestApp, backends};
use reqwest::multipart::{Form, Part};

use crate::support;

async fn post(c: &Client, path: &str, form: Form) -> String {
    let form = form.text("csrf", c.csrf().await);
    let r = c
        .http
        .post(format!("{}{path}", c.base))
        .multipart(form)
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), 200, "{path}");
    r.text().await.expect("body")
}

#[tokio::test]
async fn desk_to_registry_end_to_end() {
    for backend in backends() {
        let t = TestApp::spawn_on(backend, |_| {}).await;
        t.app.seed_demo().await.expect("demo");
        t.drain_jobs().await;
        let reg = t.app.registry().expect("hosted");
        let gradphoto_app::demo::DemoStudent {
            school_code: school,
            id_number: id,
            name,
            ..
        } = t
            .app
            .demo_registry_student()
            .await
            .expect("db")
            .expect("student");
        let me = reg
            .find_enrolments(&school, &id, &name)
            .await
            .expect("q")
            .remove(0);
        let code = reg.code_for(me.id).await.expect("code").code;

        let desk = t
            .login("photographer", gradphoto_app::demo::DEMO_PASSWORD)
            .await;
        let (status, body) = desk.get_text("/desk").await;
        assert_eq!(status, 200, "{body}");

        // Scanned by a USB scanner (a typed field) and from a photo of the QR code.
        let body = post(&desk, "/desk/code", Form::new().text("code", code.clone())).await;
        assert!(
            body.contains("id=\"verified\"") && body.contains(&me.name_masked),
            "{body}"
        );
        let png = gradphoto_registry::qr::png(&code, 6).expect("png");
        let body = post(
            &desk,
            "/desk/code",
            Form::new()
                .text("code", "")
                .part("image", Part::bytes(png).file_name("code.png")),
        )
        .await;
        assert!(
            body.contains("id=\"verified\""),
            "read from the picture: {body}"
        );
        // Forged: refused at the desk, in both languages' terms.
        let forged = code.replacen("GPC1.", "GPC1.B", 1);
        let body = post(&desk, "/desk/code", Form::new().text("code", forged)).await;
        assert!(
            body.contains("id=\"desk-error\"") && !body.contains("id=\"verified\""),
            "{body}"
        );

        // A secretary has no desk.
        let sec = t
            .login("uni1-sec1", gradphoto_app::demo::DEMO_PASSWORD)
            .await;
        assert_eq!(sec.get_text("/desk").await.0, 403);

        // A picture that is no portrait: the reasons, nothing queued.
        let body = post(
            &desk,
            "/desk/photo",
            Form::new()
                .text("code", code.clone())
                .text("background", "blue")
                .part(
                    "photo",
                    Part::bytes(b"not an image".to_vec()).file_name("x.jpg"),
                ),
        )
        .await;
        assert!(body.contains("id=\"photo-reasons\""), "{body}");
        assert!(t.app.db.recent_outbox(10).await.expect("q").is_empty());

        let Some(dev) = support::dev_dir() else {
            eprintln!(
                "SKIPPED (the rest): the labelled DEV photos (../shared/photos/dev) are absent"
            );
            continue;
        };
        let raw = std::fs::read(dev.join("raw/A000369_raw.jpg")).expect("raw portrait");
        let body = post(
            &desk,
            "/desk/photo",
            Form::new()
                .text("code", code.clone())
                .text("background", "blue")
                .part("photo", Part::bytes(raw).file_name("shot.jpg")),
        )
        .await;
        assert!(body.contains("id=\"desk-notice\""), "{body}");
        t.drain_jobs().await;
        let rows = t.app.db.recent_outbox(10).await.expect("q");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].status, "answered");
        assert_eq!(
            rows[0].verdict.as_deref(),
            Some("accepted"),
            "{:?}",
            rows[0].result_json
        );
        let (_, body) = desk.get_text("/desk").await;
        assert!(body.contains(&format!("id=\"outbox-{}\"", rows[0].id)));

        // The student sees the photo at the registry.
        let student = t.client();
        let r = student
            .post_form(
                "/registry/sign-in",
                &[("school", &school), ("id_number", &id), ("name", &name)],
            )
            .await;
        assert_eq!(r.status(), 303);
        let (_, body) = student
            .get_text(&format!("/registry/enrolments/{}", me.id))
            .await;
        assert!(body.contains("id=\"registry-photo\""), "{body}");
        let photo = reg.photos_of(me.id).await.expect("photos");
        let r = student
            .get(&format!(
                "/registry/enrolments/{}/photo/{}.jpg",
                me.id, photo[0].id
            ))
            .await;
        assert_eq!(r.status(), 200);
        let jpeg = r.bytes().await.expect("jpeg");
        assert_eq!(&jpeg[..2], b"\xff\xd8");
        let check = t.app.engine.check(&jpeg, &Default::default());
        assert_eq!(check.size, Some((480, 640)), "the standard image");
    }
}
