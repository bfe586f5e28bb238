//! Seed 001's weekend days, on both backends: a session for some departments that is also
//! open to in-service (非全日制) students of every other department. A secretary sees and
//! may register their in-service students for it, and not their full-time ones.

use gradphoto_app::campaigns::Campaign;
use gradphoto_db::Db;
use gradphoto_domain::eligibility::{Verdict, evaluate};
use gradphoto_testkit::{TestApp, backends};

use crate::support::{self, PW};

/// The demo's students of a department who must be photographed and are not registered.
async fn candidates(t: &TestApp, campaign: i64, university: i64, dept: i64) -> Vec<i64> {
    let c: Campaign = t
        .app
        .db
        .get_campaign(campaign)
        .await
        .expect("c")
        .try_into()
        .expect("v");
    let mut out = Vec::new();
    for s in t.app.db.all_students(university).await.expect("students") {
        let facts = gradphoto_app::campaigns::facts_of(&s).expect("facts");
        if s.department_id == dept
            && evaluate(&c.rules, &facts).verdict == Verdict::Must
            && t.app
                .db
                .registration_of(campaign, s.id)
                .await
                .expect("q")
                .is_none()
        {
            out.push(s.id);
        }
    }
    out
}

/// Marks a student in-service, as a roster with 学习方式 = 非全日制 does.
async fn set_in_service(db: &Db, student: i64) {
    let n = support::exec_with_id(
        db,
        "UPDATE students SET in_service = TRUE WHERE id = $1",
        student,
    )
    .await;
    assert_eq!(n, 1);
}

#[tokio::test]
async fn a_weekend_session_takes_in_service_students_of_other_departments() {
    for backend in backends() {
        let t = TestApp::spawn_on(backend, |_| {}).await;
        let d = support::seed(&t).await;
        let admin = t.login("uni1-admin", PW).await;
        let plan = format!("/campaigns/{}/onsite", d.c1);
        let c: Campaign = t
            .app
            .db
            .get_campaign(d.c1)
            .await
            .expect("c")
            .try_into()
            .expect("v");
        let day = c.modes.onsite.expect("on-site days").to.to_string();
        let other_dept = d.u1_depts[1].to_string();
        let r = admin
            .post_form(
                &plan,
                &[
                    ("campus", "泉州校区"),
                    ("place", "周末场"),
                    ("day", &day),
                    ("starts", "09:30"),
                    ("ends", "17:30"),
                    ("capacity", "50"),
                    ("queues", "105"),
                    ("departments", &other_dept),
                    ("in_service_open", "1"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
        let weekend = t
            .app
            .db
            .campaign_sessions(d.c1)
            .await
            .expect("sessions")
            .into_iter()
            .find(|s| s.place == "周末场")
            .expect("the weekend session");
        assert!(weekend.in_service_open);
        let (_, body) = admin.get_text(&plan).await;
        assert!(
            body.contains("and in-service students of any department")
                || body.contains("及各院系在职学生"),
            "{body}"
        );

        // uni1-sec1's department is not the session's: full-time students are not offered.
        let mine = candidates(&t, d.c1, d.u1, d.u1_depts[0]).await;
        assert!(mine.len() >= 2, "{mine:?}");
        let sec = t.login("uni1-sec1", PW).await;
        let page = format!("/onsite/sessions/{}", weekend.id);
        let (_, body) = sec.get_text(&page).await;
        assert!(
            !body.contains(&format!("id=\"pick-{}\"", mine[0])),
            "{body}"
        );

        // An in-service student of that department is.
        set_in_service(&t.app.db, mine[0]).await;
        let (_, body) = sec.get_text(&page).await;
        assert!(body.contains(&format!("id=\"pick-{}\"", mine[0])), "{body}");
        assert!(
            !body.contains(&format!("id=\"pick-{}\"", mine[1])),
            "{body}"
        );
        let register = format!("{page}/register");
        let r = sec
            .post_form(&register, &[("student", &mine[1].to_string())])
            .await;
        assert_eq!(r.status(), 422, "a full-time student of another department");
        let r = sec
            .post_form(&register, &[("student", &mine[0].to_string())])
            .await;
        assert_eq!(r.status(), 303);
        let reg = t
            .app
            .db
            .registration_of(d.c1, mine[0])
            .await
            .expect("q")
            .expect("registered");
        assert_eq!(reg.session_id, weekend.id);
    }
}
