//! The demo's universities report their rosters to the hosted registry through its API
//! (a job, once the server listens); a reported student can then sign in at the registry.
//! Reporting is the university's right, not a department secretary's; repeating a report
//! changes nothing.

use gradphoto_app::auth::Staff;
use gradphoto_testkit::{TestApp, backends};

async fn staff(t: &TestApp, username: &str) -> Staff {
    let row = t
        .app
        .db
        .find_staff_by_username(username)
        .await
        .expect("db")
        .expect("demo account");
    Staff::from_row(row, None).expect("role")
}

#[tokio::test]
async fn demo_rosters_reach_the_registry_and_students_sign_in() {
    for backend in backends() {
        let t = TestApp::spawn_on(backend, |_| {}).await;
        t.app.seed_demo().await.expect("demo");
        t.drain_jobs().await;
        let reg = t.app.registry().expect("hosted");
        let unis = t.app.db.list_universities().await.expect("universities");
        for u in &unis {
            let students = t.app.db.all_students(u.id).await.expect("students");
            assert!(!students.is_empty());
            for s in &students {
                let r = reg
                    .enrolment(&u.code, &s.student_no)
                    .await
                    .expect("reported");
                assert_eq!(
                    r.id_masked, s.id_masked,
                    "the registry keeps the masked form"
                );
                assert!(!r.name_masked.contains(&s.name) || s.name.chars().count() < 2);
            }
        }

        let gradphoto_app::demo::DemoStudent {
            school_code: code,
            id_number: id,
            name,
            ..
        } = t
            .app
            .demo_registry_student()
            .await
            .expect("db")
            .expect("a demo student");
        let c = t.client();
        let r = c
            .post_form(
                "/registry/sign-in",
                &[("school", &code), ("id_number", &id), ("name", &name)],
            )
            .await;
        assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
        let (_, body) = c.get_text("/registry/archive").await;
        assert!(body.contains("photo-check-"), "{body}");

        let u1 = unis[0].id;
        let sec = staff(&t, "uni1-sec1").await;
        assert!(
            t.app.report_to_registry(&sec, u1).await.is_err(),
            "a secretary may not report the whole school"
        );
        let admin = staff(&t, "uni1-admin").await;
        let again = t.app.report_to_registry(&admin, u1).await.expect("report");
        assert_eq!((again.inserted, again.updated), (0, 0));
        assert!(again.unchanged > 0);
    }
}
