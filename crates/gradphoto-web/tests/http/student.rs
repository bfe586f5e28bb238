//! The online student's login on the real router, on SQLite and PostgreSQL: a code is
//! asked for (a bad number and a second ask within the minute are refused in both
//! languages' words), read from the demo inbox, refused without both consents, accepted
//! with them; the session shows the masked phone and ends at logout. Without the demo
//! switch the inbox does not exist.

use gradphoto_testkit::{TestApp, backends};

fn code_in(inbox: &str) -> String {
    let at = inbox.find("code is ").expect("a code in the inbox") + "code is ".len();
    inbox[at..at + 6].to_string()
}

#[tokio::test]
async fn phone_code_consents_session() {
    for backend in backends() {
        let t = TestApp::spawn_on(backend, |c| c.sms.demo_inbox = true).await;
        let c = t.client();
        let (status, body) = c.get_text("/student/login").await;
        assert_eq!(status, 200);
        assert!(
            body.contains("demo-inbox-link"),
            "the demo says where codes go"
        );

        let r = c
            .post_form("/student/login", &[("action", "send"), ("phone", "12345")])
            .await;
        assert_eq!(r.status(), 422);
        assert!(
            r.text()
                .await
                .expect("body")
                .contains("11 位中国大陆手机号")
        );
        let r = c
            .post_form(
                "/student/login",
                &[("action", "send"), ("phone", "139 0000 1111")],
            )
            .await;
        assert_eq!(r.status(), 200);
        assert!(r.text().await.expect("body").contains("验证码已发送"));
        let r = c
            .post_form(
                "/student/login",
                &[("action", "send"), ("phone", "13900001111")],
            )
            .await;
        assert_eq!(r.status(), 429);
        assert!(r.text().await.expect("body").contains("秒后再试"));

        let (status, inbox) = c.get_text("/demo/sms-inbox").await;
        assert_eq!(status, 200);
        assert!(inbox.contains("demo-warning") && inbox.contains("13900001111"));
        let code = code_in(&inbox);

        // Without the face-image consent: refused, and the code is not used up.
        let r = c
            .post_form(
                "/student/login",
                &[
                    ("action", "login"),
                    ("phone", "13900001111"),
                    ("code", &code),
                    ("agree_terms", "1"),
                ],
            )
            .await;
        assert_eq!(r.status(), 422);
        assert!(r.text().await.expect("body").contains("人脸图像处理授权"));
        let (status, _) = c.get_text("/student").await;
        assert_eq!(status, 303, "not logged in: sent to the login form");
        let r = c
            .post_form(
                "/student/login",
                &[
                    ("action", "login"),
                    ("phone", "13900001111"),
                    ("code", &code),
                    ("agree_terms", "1"),
                    ("agree_face", "1"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
        let (status, body) = c.get_text("/student").await;
        assert_eq!(status, 200);
        assert!(body.contains("139****1111"), "{body}");
        let account = t
            .app
            .db
            .student_account_by_phone("13900001111")
            .await
            .expect("db")
            .expect("made at the first login");
        let consents = t
            .app
            .db
            .student_consents(account.id)
            .await
            .expect("consents");
        let docs: Vec<&str> = consents.iter().map(|(d, _, _)| d.as_str()).collect();
        assert_eq!(docs, ["terms", "face"]);

        let r = c.post_form("/student/logout", &[]).await;
        assert_eq!(r.status(), 303);
        let (status, _) = c.get_text("/student").await;
        assert_eq!(status, 303, "logged out");
    }

    // Outside the demo the inbox is not there.
    let t = TestApp::spawn().await;
    let (status, _) = t.client().get_text("/demo/sms-inbox").await;
    assert_eq!(status, 404);
}
