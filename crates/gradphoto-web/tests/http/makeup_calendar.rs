//! The agency's branches, services and public calendar over HTTP (issue 8), on both
//! backends.

use chrono::Days;
use gradphoto_testkit::{TestApp, backends};

use crate::makeup_support::{branch, today};
use crate::onsite_support::post;
use crate::support::{self, PW};

#[tokio::test]
async fn the_agency_keeps_branches_and_the_public_calendar() {
    for backend in backends() {
        let t = TestApp::spawn_on(backend, |_| {}).await;
        support::seed(&t).await;
        let admin = t.login("agency", PW).await;

        // A service booked 180 days ahead reaches years the calendar may not list yet: each
        // such year is flagged on the branches page until it is entered.
        let (far, _) = branch(&t, &admin, "远期网点", "北京", "6").await;
        let svc = t.app.db.branch_services(far).await.expect("services")[0].id;
        let mut input = gradphoto_app::makeup_branches::ServiceInput::of(
            &t.app.db.service(svc).await.expect("s"),
        );
        input.days_ahead = "180".into();
        t.app
            .update_service(
                &crate::onsite_support::staff(&t, "agency").await,
                svc,
                &input,
            )
            .await
            .expect("updated");
        let (_, body) = admin.get_text("/branches").await;
        let listed: Vec<String> = t
            .app
            .db
            .public_days()
            .await
            .expect("days")
            .iter()
            .map(|d| d.day[..4].to_string())
            .collect();
        let from = today()
            .format("%Y")
            .to_string()
            .parse::<i32>()
            .expect("year");
        let to = (today() + Days::new(180))
            .format("%Y")
            .to_string()
            .parse::<i32>()
            .expect("year");
        for y in from..=to {
            let flagged = body.contains(&format!("id=\"calendar-gap-{y}\""));
            assert_eq!(flagged, !listed.contains(&y.to_string()), "{y}: {body}");
        }

        // The official days of 2026 are loaded; 2027 is entered from its notice.
        let (status, body) = admin.get_text("/branches/calendar?year=2026").await;
        assert_eq!(status, 200, "{body}");
        assert!(
            body.contains("2026-10-01 holiday 国庆节") && body.contains("2026-10-10 workday"),
            "{body}"
        );
        let r = admin
            .post_form(
                "/branches/calendar",
                &[
                    ("year", "2027"),
                    ("days", "2027-01-01 休 元旦\n2027-02-07 班 春节\n"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
        let (_, body) = admin.get_text("/branches/calendar?year=2027").await;
        assert!(body.contains("2027-02-07 workday 春节"), "{body}");

        // A bad line or a day of another year is refused with its reason; nothing changes.
        let (status, body) = post(
            &admin,
            "/branches/calendar",
            &[("year", "2027"), ("days", "2027-05-01 休\n2027-05-0x 休")],
        )
        .await;
        assert_eq!(status, 422, "{body}");
        assert!(
            body.contains("第 2 行") && body.contains("id=\"calendar-error\""),
            "{body}"
        );
        let (status, _) = post(
            &admin,
            "/branches/calendar",
            &[("year", "2027"), ("days", "2028-01-01 休")],
        )
        .await;
        assert_eq!(status, 422);
        let days = t.app.db.public_days().await.expect("days");
        assert_eq!(
            days.iter().filter(|d| d.day.starts_with("2027")).count(),
            2,
            "unchanged"
        );
        assert!(
            t.app
                .db
                .list_audit(None, 50)
                .await
                .expect("audit")
                .iter()
                .any(|a| a.action == "calendar.replace_year"),
            "audited"
        );

        // Bad service hours are refused on the form; a name taken is a conflict.
        let (id, _) = branch(&t, &admin, "北京前门门市部", "北京", "6").await;
        let (status, body) = post(
            &admin,
            &format!("/branches/{id}/services"),
            &[
                ("name_zh", "精修"),
                ("place", "497-2"),
                ("price_yuan", "100"),
                ("open_days", "working_days"),
                ("windows", "17:00-09:00"),
                ("slot_minutes", "30"),
                ("slot_capacity", "2"),
                ("cutoff_minutes", "120"),
                ("days_ahead", "14"),
            ],
        )
        .await;
        assert_eq!(status, 422, "{body}");
        assert!(body.contains("id=\"branch-error\""), "{body}");
        let (status, _) = post(
            &admin,
            "/branches",
            &[
                ("name", "北京前门门市部"),
                ("city", "北京"),
                ("address", "x"),
            ],
        )
        .await;
        assert_eq!(status, 409);

        // Only the agency: a photographer reads the day but not the calendar's editor;
        // a university admin sees none of it.
        let ph = t.login("photographer", PW).await;
        assert_eq!(ph.get_text(&format!("/branches/{id}/day")).await.0, 200);
        assert_eq!(
            post(&ph, "/branches/calendar", &[("year", "2027"), ("days", "")])
                .await
                .0,
            403
        );
        let uni = t.login("uni1-admin", PW).await;
        assert_eq!(uni.get_text("/branches").await.0, 403);
    }
}
