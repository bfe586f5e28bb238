//! The online student's verification on the real router, on SQLite and PostgreSQL (seed
//! 003 §验证信息): an unknown school and a school without an open campaign are told so;
//! an ID number the roster does not have gets the seed's two causes; the right one finds
//! the student (masked); a code of another student, a forged code and one bound from
//! another phone are refused; the student's own code binds from a photo of its QR code;
//! failed lookups lock the entry for a day after ten.

use gradphoto_testkit::{Client, TestApp, backends};
use reqwest::multipart::{Form, Part};

use crate::support::{self, PW};

async fn code_form(c: &Client, form: Form) -> reqwest::Response {
    let form = form.text("csrf", c.csrf().await);
    c.http
        .post(format!("{}/student/code", c.base))
        .multipart(form)
        .send()
        .await
        .expect("POST /student/code")
}

async fn body(r: reqwest::Response) -> String {
    r.text().await.expect("body")
}

#[tokio::test]
async fn school_identity_and_code() {
    for backend in backends() {
        let t = TestApp::spawn_on(backend, |c| c.sms.demo_inbox = true).await;
        let d = support::seed(&t).await;
        t.drain_jobs().await;
        let u1 = t.app.db.get_university(d.u1).await.expect("u1");
        let u2 = t.app.db.get_university(d.u2).await.expect("u2");
        let admin2 = t.login("uni2-admin", PW).await;
        let r = admin2
            .post_form(&format!("/campaigns/{}/status", d.c2), &[("to", "closed")])
            .await;
        assert!(r.status().is_redirection() || r.status() == 200, "closed");

        let c = support::student(&t, "13600001111").await;
        let (status, page) = c.get_text("/student").await;
        assert_eq!(status, 200);
        assert!(
            page.contains("id=\"school-submit\""),
            "the school step first"
        );
        assert!(page.contains(&u1.name_zh), "the open school is offered");

        let r = c
            .post_form("/student/school", &[("school", "不存在的大学")])
            .await;
        assert_eq!(r.status(), 422);
        assert!(body(r).await.contains("未找到该学校"));
        let r = c
            .post_form("/student/school", &[("school", &u2.name_zh)])
            .await;
        assert_eq!(r.status(), 422);
        assert!(body(r).await.contains("您的学校未开放采集任务"));
        // English names and spacing are forgiven.
        let r = c
            .post_form(
                "/student/school",
                &[("school", &format!("  {} ", u1.name_en.to_uppercase()))],
            )
            .await;
        assert_eq!(r.status(), 303);
        let (_, page) = c.get_text("/student").await;
        assert!(page.contains("id=\"identity-submit\""), "{page}");

        let (me, my_id) = support::must_student(&t, d.c1, 0).await;
        let (other, other_id) = support::must_student(&t, d.c1, 1).await;
        let r = c
            .post_form(
                "/student/identity",
                &[("id_number", "110101199001010000"), ("level", &me.level)],
            )
            .await;
        assert_eq!(r.status(), 422);
        let text = body(r).await;
        assert!(
            text.contains("提前毕业") && text.contains("港澳台"),
            "{text}"
        );
        let wrong_level = if me.level == "master" {
            "doctor"
        } else {
            "master"
        };
        let r = c
            .post_form(
                "/student/identity",
                &[("id_number", &my_id), ("level", wrong_level)],
            )
            .await;
        assert_eq!(r.status(), 422, "right number, wrong level: not found");
        // Typed with spaces and in lower case: the same number.
        let typed = format!(" {} ", my_id.to_lowercase());
        let r = c
            .post_form(
                "/student/identity",
                &[("id_number", &typed), ("level", &me.level)],
            )
            .await;
        assert_eq!(r.status(), 303);
        let (_, page) = c.get_text("/student").await;
        let name_masked = gradphoto_domain::people::mask_name(&me.name);
        assert!(page.contains(&name_masked) && page.contains(&me.id_masked));
        assert!(!page.contains(&my_id), "the clear ID number is not shown");
        assert!(page.contains("id=\"code-submit\""));

        let other_code = support::registry_code(&t, &u1.code, &other, &other_id).await;
        let r = code_form(&c, Form::new().text("code", other_code)).await;
        assert_eq!(r.status(), 422);
        assert!(body(r).await.contains("该采集码不属于您"));
        let my_code = support::registry_code(&t, &u1.code, &me, &my_id).await;
        let mut forged = my_code.clone();
        let last = forged.pop().expect("non-empty");
        forged.push(if last == 'A' { 'B' } else { 'A' });
        let r = code_form(&c, Form::new().text("code", forged)).await;
        assert_eq!(r.status(), 422, "a forged code");
        let r = code_form(
            &c,
            Form::new().part(
                "image",
                Part::bytes(b"not a picture".to_vec()).file_name("x.png"),
            ),
        )
        .await;
        assert_eq!(r.status(), 422, "no code in that picture");

        let png = gradphoto_registry::qr::png(&my_code, 6).expect("png");
        let r = code_form(
            &c,
            Form::new().part("image", Part::bytes(png).file_name("code.png")),
        )
        .await;
        assert_eq!(r.status(), 303);
        let (_, page) = c.get_text("/student").await;
        assert!(page.contains("id=\"code-bound\""), "{page}");

        // The same student from another phone: verified, but the code stays with the first.
        let c2 = support::student(&t, "13600002222").await;
        c2.post_form("/student/school", &[("school", &u1.name_zh)])
            .await;
        let r = c2
            .post_form(
                "/student/identity",
                &[("id_number", &my_id), ("level", &me.level)],
            )
            .await;
        assert_eq!(r.status(), 303);
        let r = code_form(&c2, Form::new().text("code", my_code.clone())).await;
        assert_eq!(r.status(), 409);
        assert!(body(r).await.contains("另一个手机号"));

        // Ten failed lookups, then the entry waits, even for the right number.
        for i in 0..10 {
            let r = c2.post_form("/student/identity/restart", &[]).await;
            assert_eq!(r.status(), 303);
            let r = c2
                .post_form(
                    "/student/identity",
                    &[("id_number", &format!("X{i:08}")), ("level", &me.level)],
                )
                .await;
            assert_eq!(r.status(), 422);
        }
        let r = c2
            .post_form(
                "/student/identity",
                &[("id_number", &my_id), ("level", &me.level)],
            )
            .await;
        assert_eq!(r.status(), 429);
        assert!(body(r).await.contains("24 小时"));
    }
}
