//! A student's error report in the verification window reaches only the secretary of the
//! student's department, who resolves it; the student sees the resolution at the registry.
//! The university office sets the window in its campaign and reports the roster from its
//! pages.

use gradphoto_app::campaigns::{Campaign, CampaignInput};
use gradphoto_testkit::{TestApp, backends};

use crate::support;

const PW: &str = gradphoto_app::demo::DEMO_PASSWORD;

#[tokio::test]
async fn a_report_reaches_only_the_right_secretary() {
    for backend in backends() {
        let t = TestApp::spawn_on(backend, |_| {}).await;
        t.app.seed_demo().await.expect("demo");
        t.drain_jobs().await;
        let db = &t.app.db;
        let sec1 = db
            .find_staff_by_username("uni1-sec1")
            .await
            .expect("db")
            .expect("sec1");
        let u1 = sec1.university_id.expect("university");
        let dept1 = sec1.department_id.expect("department");
        let uni = db.get_university(u1).await.expect("u1");

        // The office reports the roster again and sets the window from its pages.
        let admin = t.login("uni1-admin", PW).await;
        let r = admin
            .post_form(&format!("/universities/{u1}/registry-report"), &[])
            .await;
        assert_eq!(r.status(), 303);
        let today = gradphoto_registry::china_today();
        let day = |n: i64| (today + chrono::Duration::days(n)).to_string();
        let student = db
            .all_students(u1)
            .await
            .expect("students")
            .into_iter()
            .find(|s| s.department_id == dept1)
            .expect("a student of sec1's department");
        // The window belongs to the campaign that collects the student's graduation year;
        // the office sets it in the campaign's edit form, which sends it to the registry.
        let campaign = db
            .list_campaigns(Some(u1))
            .await
            .expect("campaigns")
            .into_iter()
            .find(|c| c.rules_json.contains(&student.expected_graduation[..4]))
            .expect("a campaign for the student's graduation year");
        let campaign: Campaign = campaign.try_into().expect("campaign");
        let mut f = CampaignInput::from_campaign(&campaign);
        let edit = format!("/campaigns/{}/edit", campaign.id);
        // Dates out of order: the form comes back with the message, nothing is sent.
        f.verify_from = day(2);
        f.verify_to = day(-1);
        f.verify_resolve_by = day(5);
        let pairs = support::campaign_form(&f);
        let fields: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = admin.post_form(&edit, &fields).await;
        assert_eq!(r.status(), 422);
        assert!(
            r.text()
                .await
                .expect("body")
                .contains("信息确认的结束日期早于开始日期")
        );
        f.verify_from = day(-1);
        f.verify_to = day(2);
        let pairs = support::campaign_form(&f);
        let fields: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = admin.post_form(&edit, &fields).await;
        assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
        let (_, body) = admin.get_text(&format!("/campaigns/{}", campaign.id)).await;
        assert!(body.contains(&format!("{}–{}", day(-1), day(2))), "{body}");

        // The student reports a problem at the registry.
        let reg = t.app.registry().expect("hosted");
        let id = t.app.pii.decrypt(&student.id_enc).expect("id");
        let me = reg
            .find_enrolments(&uni.code, &id, &student.name)
            .await
            .expect("q")
            .remove(0);
        let c = t.client();
        let r = c
            .post_form(
                "/registry/sign-in",
                &[
                    ("school", &uni.code),
                    ("id_number", &id),
                    ("name", &student.name),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
        let r = c
            .post_form(
                &format!("/registry/enrolments/{}/report", me.id),
                &[("message", "照片不是我本人")],
            )
            .await;
        assert_eq!(r.status(), 303);

        // Pulled into gradphoto (the hourly job, or the button).
        assert!(t.app.queue_status_report_syncs().await.expect("queue") >= 1);
        t.drain_jobs().await;
        let s1 = t.login("uni1-sec1", PW).await;
        let (status, body) = s1.get_text(&format!("/universities/{u1}/reports")).await;
        assert_eq!(status, 200);
        assert!(
            body.contains("照片不是我本人") && body.contains(&student.student_no),
            "{body}"
        );
        let s2 = t.login("uni1-sec2", PW).await;
        let (_, body) = s2.get_text(&format!("/universities/{u1}/reports")).await;
        assert!(
            !body.contains("照片不是我本人"),
            "another department's secretary must not see it"
        );
        let rows = db.list_status_reports(u1, Some(dept1)).await.expect("rows");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].resolve_by.as_deref(), Some(day(5).as_str()));
        // Nor resolve it.
        let r = s2
            .post_form(
                &format!("/status-reports/{}/resolve", rows[0].id),
                &[("resolution", "reshoot")],
            )
            .await;
        assert_eq!(r.status(), 403);

        let r = s1
            .post_form(
                &format!("/status-reports/{}/resolve", rows[0].id),
                &[("resolution", "reshoot"), ("note", "请到分社补拍")],
            )
            .await;
        assert_eq!(r.status(), 303);
        let r = s1
            .post_form(
                &format!("/status-reports/{}/resolve", rows[0].id),
                &[("resolution", "no_change")],
            )
            .await;
        assert_eq!(r.status(), 409, "resolved once");
        let (_, body) = c.get_text(&format!("/registry/enrolments/{}", me.id)).await;
        assert!(body.contains("需要重拍"), "{body}");
        // A second pull brings nothing twice.
        assert_eq!(t.app.sync_status_reports(u1).await.expect("sync"), 0);
    }
}
