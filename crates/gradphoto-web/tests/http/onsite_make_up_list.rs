//! The make-up list of a session once it is over (issue 7): besides registered no-shows,
//! the students checked in whose photo was never confirmed, and — in a walk-in campaign,
//! where nobody registers — the students of the session's departments who must be
//! photographed and were seen nowhere; all in the secretary's XLSX with the reason.

use gradphoto_testkit::{TestApp, backends};

use crate::onsite_support::{change_modes, post, staff};
use crate::support::{self, PW};

#[tokio::test]
async fn an_ended_session_lists_the_unconfirmed_and_the_never_seen() {
    for backend in backends() {
        let t = TestApp::spawn_on(backend, |_| {}).await;
        let d = support::seed(&t).await;
        t.drain_jobs().await;
        change_modes(&t, d.c1, |f| f.walk_ins = true).await;
        let dept = d.u1_depts[1];
        let today = gradphoto_app::online_entry::china_today().to_string();
        // A session of the second department that ended a minute after midnight.
        let session = t
            .app
            .create_onsite_session(
                &staff(&t, "uni1-admin").await,
                d.c1,
                &gradphoto_domain::onsite_plan::SessionForm {
                    campus: "泉州校区",
                    place: "图书馆",
                    day: &today,
                    starts: "00:00",
                    ends: "00:01",
                    capacity: "50",
                    queues: "A",
                    in_service_open: false,
                },
                &[dept],
            )
            .await
            .expect("session");
        let queue = t
            .app
            .db
            .campaign_queues(d.c1)
            .await
            .expect("queues")
            .into_iter()
            .find(|q| q.session_id == session.id)
            .expect("its queue");
        // One student of the department checks in as a walk-in and is never photographed.
        let school = t.app.db.get_university(d.u1).await.expect("u").code;
        let mut walked_in = None;
        for skip in 0..400 {
            let (s, id) = support::must_student(&t, d.c1, skip).await;
            if s.department_id == dept
                && !t.app.db.is_collected(d.c1, s.id).await.expect("q")
                && t.app
                    .db
                    .registration_of(d.c1, s.id)
                    .await
                    .expect("q")
                    .is_none()
            {
                let code = support::registry_code(&t, &school, &s, &id).await;
                walked_in = Some((s, code));
                break;
            }
        }
        let (s, code) = walked_in.expect("an unregistered student of the department");
        let desk = t.login("photographer", PW).await;
        let (status, body) = post(
            &desk,
            &format!("/onsite/queues/{}/checkin", queue.id),
            &[("code", &code)],
        )
        .await;
        assert_eq!(status, 200, "{body}");

        let p = t
            .app
            .session_progress(&staff(&t, "uni1-sec2").await, session.id)
            .await
            .expect("progress");
        if !p.over {
            eprintln!(
                "SKIPPED (make-up list): the session ends at 00:01 China time and it is not yet past"
            );
            return;
        }
        assert_eq!(
            p.unconfirmed.iter().map(|x| x.id).collect::<Vec<_>>(),
            vec![s.id]
        );
        assert!(!p.not_seen.is_empty(), "the department's other students");
        assert!(
            p.not_seen
                .iter()
                .all(|x| x.department_id == dept && x.id != s.id)
        );
        for x in &p.not_seen {
            assert!(
                t.app
                    .db
                    .registration_of(d.c1, x.id)
                    .await
                    .expect("q")
                    .is_none()
            );
            assert!(!t.app.db.is_collected(d.c1, x.id).await.expect("q"));
        }
        let sec = t.login("uni1-sec2", PW).await;
        let (_, body) = sec
            .get_text(&format!("/onsite/sessions/{}/progress", session.id))
            .await;
        assert!(
            body.contains("id=\"unconfirmed\"") && body.contains("id=\"not-seen\""),
            "{body}"
        );
        let x = sec
            .get(&format!("/onsite/sessions/{}/no-shows.xlsx", session.id))
            .await;
        assert_eq!(x.status(), 200);
        let grid = gradphoto_sheets::read_grid(
            &x.bytes().await.expect("xlsx"),
            &gradphoto_sheets::Limits::default(),
        )
        .expect("readable");
        assert_eq!(grid.len(), 1 + p.make_up().len());
        assert!(
            grid.iter()
                .any(|r| r.contains(&s.student_no) && r.iter().any(|c| c.contains("照片未确认")))
        );
    }
}

/// A student registered for one session comes to another: refused where the campaign takes
/// students only in their window (seed 004), numbered where it allows another window of
/// the table (seed 001: 可在表中其他时间内参加) — and then counted once: at the session
/// that numbered them (a walk-in there), and as "elsewhere" — neither checked in nor absent
/// — at the one they registered for.
#[tokio::test]
async fn a_student_registered_for_another_session_is_refused_or_counted_once() {
    for backend in backends() {
        let t = TestApp::spawn_on(backend, |_| {}).await;
        let d = support::seed(&t).await;
        t.drain_jobs().await;
        change_modes(&t, d.c1, |f| {
            f.walk_ins = false;
            f.any_window = false;
        })
        .await;
        let dept = d.u1_depts[1];
        let today = gradphoto_app::online_entry::china_today().to_string();
        let admin = staff(&t, "uni1-admin").await;
        let mut sessions = Vec::new();
        for place in ["图书馆", "体育馆"] {
            let s = t
                .app
                .create_onsite_session(
                    &admin,
                    d.c1,
                    &gradphoto_domain::onsite_plan::SessionForm {
                        campus: "泉州校区",
                        place,
                        day: &today,
                        starts: "00:00",
                        ends: "23:59",
                        capacity: "50",
                        queues: "A",
                        in_service_open: false,
                    },
                    &[dept],
                )
                .await
                .expect("session");
            sessions.push(s.id);
        }
        let queue_of = |session: i64| {
            let db = t.app.db.clone();
            async move {
                db.campaign_queues(d.c1)
                    .await
                    .expect("queues")
                    .into_iter()
                    .find(|q| q.session_id == session)
                    .expect("its queue")
                    .id
            }
        };
        let school = t.app.db.get_university(d.u1).await.expect("u").code;
        let mut found = None;
        for skip in 0..400 {
            let (s, id) = support::must_student(&t, d.c1, skip).await;
            if s.department_id == dept
                && !t.app.db.is_collected(d.c1, s.id).await.expect("q")
                && t.app
                    .db
                    .registration_of(d.c1, s.id)
                    .await
                    .expect("q")
                    .is_none()
            {
                found = Some((s, id));
                break;
            }
        }
        let (s, id) = found.expect("an unregistered student of the department");
        t.app
            .register_students(&admin, sessions[0], &[s.id])
            .await
            .expect("registered for the first session");
        let code = support::registry_code(&t, &school, &s, &id).await;
        let desk = t.login("photographer", PW).await;
        let checkin = format!("/onsite/queues/{}/checkin", queue_of(sessions[1]).await);
        // Not where the campaign takes students only in the window they registered for
        // (seed 004): the desk names that session.
        let (status, body) = post(&desk, &checkin, &[("code", &code)]).await;
        assert_eq!(status, 422, "{body}");
        assert!(
            body.contains("报名的是") && body.contains("图书馆"),
            "{body}"
        );
        // Where it lets them come to another window of the table (seed 001), they are.
        change_modes(&t, d.c1, |f| f.any_window = true).await;
        let (status, body) = post(&desk, &checkin, &[("code", &code)]).await;
        assert_eq!(status, 200, "{body}");

        let here = t
            .app
            .session_progress(&admin, sessions[0])
            .await
            .expect("progress");
        assert_eq!(
            (
                here.total.registered,
                here.total.checked_in,
                here.total.absent,
                here.total.elsewhere
            ),
            (1, 0, 0, 1),
            "{:?}",
            here.total
        );
        assert!(here.absent.is_empty(), "not a no-show");
        let there = t
            .app
            .session_progress(&admin, sessions[1])
            .await
            .expect("progress");
        assert_eq!(
            (
                there.total.registered,
                there.total.checked_in,
                there.total.walk_ins
            ),
            (0, 1, 1),
            "{:?}",
            there.total
        );
    }
}
