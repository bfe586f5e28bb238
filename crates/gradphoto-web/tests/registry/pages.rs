//! The student's pages at the registry: sign in by school + ID number + name (the same
//! refusal for every mismatch, throttled), see only one's own records, view the code as a
//! QR code, download it, and re-issue it (the old code is then revoked).

use gradphoto_registry::{ClientKind, ReportedStudent};
use gradphoto_testkit::{TestApp, backends};

use crate::support;

fn student(no: &str, name: &str, id: &str) -> ReportedStudent {
    support::student("bachelor", "经济学院", no, name, id)
}

#[tokio::test]
async fn a_student_signs_in_and_fetches_the_code() {
    for backend in backends() {
        let t = TestApp::spawn_on(backend, |_| {}).await;
        let reg = t.app.registry().expect("hosted");
        let (school, _) = reg
            .register_client("厦门大学", ClientKind::School, Some("10384"))
            .await
            .expect("school");
        reg.report_students(
            &school,
            &[
                student("20230001", "陈小红", "350203200101011234"),
                student("20230002", "林大伟", "350203200202025678"),
            ],
        )
        .await
        .expect("report");
        let other = reg.enrolment("10384", "20230002").await.expect("other");

        let c = t.client();
        let (status, body) = c.get_text("/registry/archive").await;
        assert_eq!(status, 303, "signed out: sent to the sign-in form ({body})");
        let (status, body) = c.get_text("/registry/sign-in").await;
        assert_eq!(status, 200);
        assert!(body.contains("厦门大学（10384）"), "{body}");

        // A wrong name: the one refusal, no hint which field was wrong.
        let r = c
            .post_form(
                "/registry/sign-in",
                &[
                    ("school", "10384"),
                    ("id_number", "350203200101011234"),
                    ("name", "陈小"),
                ],
            )
            .await;
        assert_eq!(r.status(), 200);
        let body = r.text().await.expect("body");
        assert!(body.contains("id=\"sign-in-error\""), "{body}");

        let r = c
            .post_form(
                "/registry/sign-in",
                &[
                    ("school", "10384"),
                    ("id_number", "350203200101011234"),
                    ("name", "陈小红"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
        let (_, body) = c.get_text("/registry/archive").await;
        assert!(
            body.contains("陈*红") && body.contains("3502**********1234"),
            "{body}"
        );
        assert!(!body.contains("林"), "only one's own records");
        let me = reg.enrolment("10384", "20230001").await.expect("me");
        let (status, body) = c.get_text(&format!("/registry/enrolments/{}", me.id)).await;
        assert_eq!(status, 200);
        assert!(body.contains("id=\"photo-status\""), "{body}");
        let (status, _) = c
            .get_text(&format!("/registry/enrolments/{}/code", other.id))
            .await;
        assert_eq!(status, 404, "another student's code is not reachable");

        // The code page: QR as SVG, the text, PNG and SVG downloads.
        let (status, body) = c
            .get_text(&format!("/registry/enrolments/{}/code", me.id))
            .await;
        assert_eq!(status, 200);
        assert!(body.contains("<svg"), "{body}");
        let first = reg.code_for(me.id).await.expect("code");
        assert!(body.contains(&first.code));
        let r = c
            .get(&format!("/registry/enrolments/{}/code.png", me.id))
            .await;
        assert_eq!(r.status(), 200);
        assert!(
            r.headers()["content-disposition"]
                .to_str()
                .expect("ascii")
                .contains("attachment")
        );
        assert_eq!(&r.bytes().await.expect("png")[..8], b"\x89PNG\r\n\x1a\n");
        let r = c
            .get(&format!("/registry/enrolments/{}/code.svg", me.id))
            .await;
        assert_eq!(r.headers()["content-type"], "image/svg+xml");

        // Re-issue: a new code, the old one revoked in the published keys.
        let r = c
            .post_form(&format!("/registry/enrolments/{}/code/reissue", me.id), &[])
            .await;
        assert_eq!(r.status(), 303);
        let (_, body) = c
            .get_text(&format!(
                "/registry/enrolments/{}/code?reissued=true",
                me.id
            ))
            .await;
        assert!(body.contains("id=\"reissued\""));
        let now = reg.code_for(me.id).await.expect("code");
        assert_ne!(now.id, first.id);
        assert!(body.contains(&now.code));
        let keys = reg.public_keys().await.expect("keys");
        assert!(keys.revoked.contains(&first.id));

        // Sign out; then guessing is throttled after five failures.
        let r = c.post_form("/registry/sign-out", &[]).await;
        assert_eq!(r.status(), 303);
        assert_eq!(c.get_text("/registry/archive").await.0, 303);
        for _ in 0..5 {
            c.post_form(
                "/registry/sign-in",
                &[
                    ("school", "10384"),
                    ("id_number", "350203200202025678"),
                    ("name", "猜"),
                ],
            )
            .await;
        }
        let r = c
            .post_form(
                "/registry/sign-in",
                &[
                    ("school", "10384"),
                    ("id_number", "350203200202025678"),
                    ("name", "林大伟"),
                ],
            )
            .await;
        let body = r.text().await.expect("body");
        assert!(
            body.contains("15"),
            "throttled even with the right name: {body}"
        );
    }
}
