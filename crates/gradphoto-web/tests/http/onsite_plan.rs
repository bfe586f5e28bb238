//! The plan of the on-site days over HTTP, on both backends: the university admin adds
//! sessions (bad ones refused with the reason), groups and orders the registered students,
//! adjusts and publishes the plan; registered students are texted the day before, once.

use gradphoto_app::campaigns::Campaign;
use gradphoto_testkit::{TestApp, backends};

use crate::onsite_support::{post, sessions, staff};
use crate::support::{self, PW};

#[tokio::test]
async fn the_plan_is_grouped_adjusted_and_published() {
    for backend in backends() {
        let t = TestApp::spawn_on(backend, |_| {}).await;
        let d = support::seed(&t).await;
        t.drain_jobs().await;
        let anon = t.client();
        let public = format!("/schedule/{}", d.c1);
        assert_eq!(anon.get_text(&public).await.0, 404, "not before publishing");

        let admin = t.login("uni1-admin", PW).await;
        let groups = format!("/campaigns/{}/onsite/groups", d.c1);
        assert_eq!(
            admin
                .post_form(&groups, &[("group_size", "2")])
                .await
                .status(),
            303
        );
        let today = gradphoto_app::online_entry::china_today().to_string();
        let session = sessions(&t, &d)
            .await
            .into_iter()
            .find(|s| s.day == today)
            .expect("today's session");
        let regs = t.app.db.session_registrations(session.id).await.expect("q");
        assert!(regs.len() >= 3, "the demo registered some");
        // Groups of two, in order of major then student number.
        let mut placed = Vec::new();
        for r in &regs {
            let s = t.app.db.get_student(r.student_id).await.expect("s");
            placed.push((
                r.group_no.expect("grouped"),
                s.major.unwrap_or_default(),
                s.student_no,
            ));
        }
        placed.sort();
        let by_order: Vec<_> = {
            let mut v = placed.clone();
            v.sort_by(|a, b| (&a.1, &a.2).cmp(&(&b.1, &b.2)));
            v
        };
        assert_eq!(
            placed, by_order,
            "group numbers follow major and student number"
        );
        for g in 1..=placed.last().map_or(0, |p| p.0) {
            let n = placed.iter().filter(|p| p.0 == g).count();
            assert!((1..=2).contains(&n), "group {g} has {n}");
        }

        // Moved by hand; the secretary may neither move nor publish.
        let who = regs[0].student_id.to_string();
        let group = format!("/onsite/sessions/{}/group", session.id);
        assert_eq!(
            admin
                .post_form(&group, &[("student", &who), ("group", "9")])
                .await
                .status(),
            303
        );
        let moved = t
            .app
            .db
            .registration_of(d.c1, regs[0].student_id)
            .await
            .expect("q");
        assert_eq!(moved.and_then(|r| r.group_no), Some(9));
        let sec = t.login("uni1-sec1", PW).await;
        assert_eq!(
            post(&sec, &group, &[("student", &who), ("group", "1")])
                .await
                .0,
            403
        );
        let publish = format!("/campaigns/{}/onsite/publish", d.c1);
        assert_eq!(post(&sec, &publish, &[("group_size", "2")]).await.0, 403);

        // A note for what the table cannot say: the secretary may not write it, the
        // admin does; it is published beside the place.
        let note = format!("/onsite/sessions/{}/note", session.id);
        assert_eq!(post(&sec, &note, &[("note", "x")]).await.0, 403);
        assert_eq!(
            admin
                .post_form(&note, &[("note", "深圳同学由深研院教务处统一安排")])
                .await
                .status(),
            303
        );

        // Published: the public page (no names), XLSX and PDF.
        assert_eq!(
            admin
                .post_form(&publish, &[("group_size", "2")])
                .await
                .status(),
            303
        );
        let (status, body) = anon.get_text(&public).await;
        assert_eq!(status, 200, "{body}");
        assert!(
            body.contains(&session.place) && body.contains("组别"),
            "{body}"
        );
        assert!(
            body.contains(&format!(
                "{}（深圳同学由深研院教务处统一安排）",
                session.place
            )),
            "the note beside the place: {body}"
        );
        // The session has two queues (rooms): the groups take them in turn.
        let rooms: Vec<String> = t
            .app
            .db
            .campaign_queues(d.c1)
            .await
            .expect("queues")
            .into_iter()
            .filter(|q| q.session_id == session.id)
            .map(|q| q.name)
            .collect();
        assert_eq!(rooms.len(), 2, "the demo's 105 and 106");
        assert!(
            body.contains(&format!("id=\"group-{}-1\">1（{}）", session.id, rooms[0]))
                && body.contains(&format!("id=\"group-{}-2\">2（{}）", session.id, rooms[1])),
            "{body}"
        );
        let someone = t.app.db.get_student(regs[1].student_id).await.expect("s");
        assert!(!body.contains(&someone.name), "no names on the public page");
        anon.get(&format!("/lang/en?next={public}")).await;
        let (_, en) = anon.get_text(&public).await;
        assert!(en.contains("On-site photo schedule"), "{en}");
        let x = anon.get(&format!("{public}.xlsx")).await;
        assert_eq!(x.status(), 200);
        assert!(x.bytes().await.expect("xlsx").starts_with(b"PK"));
        let pdf = anon.get(&format!("{public}.pdf")).await;
        if std::path::Path::new("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc").exists() {
            assert_eq!(pdf.status(), 200);
            assert!(pdf.bytes().await.expect("pdf").starts_with(b"%PDF-"));
        } else {
            eprintln!("SKIPPED (schedule PDF): no CJK font; run scripts/fetch-fonts");
        }

        // The notice, written from the campaign's data, in both languages and as PDF.
        let notice = format!("{public}/notice");
        let (status, body) = anon.get_text(&notice).await;
        assert_eq!(status, 200, "{body}");
        assert!(
            body.contains("Who is photographed") && body.contains(&session.place),
            "{body}"
        );
        anon.get(&format!("/lang/zh?next={notice}")).await;
        let (_, body) = anon.get_text(&notice).await;
        let c: Campaign = t
            .app
            .db
            .get_campaign(d.c1)
            .await
            .expect("c")
            .try_into()
            .expect("v");
        assert!(
            body.contains("一、采集对象")
                && body.contains("不出示采集码者不予拍摄")
                && body.contains(&c.name),
            "{body}"
        );
        // Each part the issue names: the fee, what to wear (DESIGN's photo requirements),
        // the make-up path and the checking of the photo.
        let fee = format!("工本费 {} 元/人", c.fee_fen / 100);
        assert_eq!(c.fee_fen % 100, 0, "the demo's fee is whole yuan");
        for part in [
            "四、收费及服务",
            fee.as_str(),
            "五、采集要求",
            "常戴眼镜者应佩戴眼镜",
            "不穿蓝、紫、黄、绿、粉色衣服",
            "不戴耳环、项链",
            "六、补拍事宜",
            "七、其他事项",
        ] {
            assert!(body.contains(part), "the notice lacks {part}: {body}");
        }
        let pdf = anon.get(&format!("{notice}.pdf")).await;
        if std::path::Path::new("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc").exists() {
            assert_eq!(pdf.status(), 200);
            assert!(pdf.bytes().await.expect("pdf").starts_with(b"%PDF-"));
        }

        // A registered student sees the group.
        let (c, s) = support::verified_student(&t, &d, "13800138022", 0).await;
        let g = t
            .app
            .db
            .registration_of(d.c1, s.id)
            .await
            .expect("q")
            .and_then(|r| r.group_no)
            .expect("grouped");
        let (_, body) = c.get_text("/student").await;
        assert!(
            body.contains(&format!("id=\"onsite-group\">第{g}组")),
            "{body}"
        );
    }
}

#[tokio::test]
async fn registered_students_are_texted_the_day_before_once() {
    for backend in backends() {
        let t = TestApp::spawn_on(backend, |_| {}).await;
        let d = support::seed(&t).await;
        t.drain_jobs().await;
        let phone = "13800138023";
        let (_c, s) = support::verified_student(&t, &d, phone, 0).await;
        let today = gradphoto_app::online_entry::china_today();
        let tomorrow = (today + chrono::Days::new(1)).to_string();
        let admin = staff(&t, "uni1-admin").await;
        let session = t
            .app
            .create_onsite_session(
                &admin,
                d.c1,
                &gradphoto_domain::onsite_plan::SessionForm {
                    campus: "厦门校区",
                    place: "图书馆报告厅",
                    day: &tomorrow,
                    starts: "13:00",
                    ends: "17:30",
                    capacity: "20",
                    queues: "",
                    in_service_open: false,
                },
                &[],
            )
            .await
            .expect("tomorrow's session");
        if let Some(r) = t.app.db.registration_of(d.c1, s.id).await.expect("q") {
            t.app
                .db
                .unregister_from_session(r.session_id, s.id)
                .await
                .expect("moved");
        }
        t.app
            .db
            .register_for_session(d.c1, session.id, &[s.id], "uni1-sec1")
            .await
            .expect("db")
            .expect("registered");
        // Not at night (07:00 China time), then at 10:00.
        let seven_am = gradphoto_domain::calendar::china_date_start_ms(today) + 7 * 3_600_000;
        let ten_am = seven_am + 3 * 3_600_000;
        assert_eq!(
            t.app
                .send_onsite_reminders_at(seven_am)
                .await
                .expect("night"),
            0
        );
        assert_eq!(
            t.app.send_onsite_reminders_at(ten_am).await.expect("sent"),
            1
        );
        let inbox = t.app.sms.demo_inbox().expect("the log provider");
        let text = inbox
            .iter()
            .find(|m| m.phone == phone && m.text.contains("图书馆报告厅"))
            .expect("the reminder in the inbox");
        assert!(
            text.text.contains(&tomorrow) && text.text.contains("13:00"),
            "{}",
            text.text
        );
        assert_eq!(
            t.app.send_onsite_reminders_at(ten_am).await.expect("sent"),
            0,
            "once"
        );
    }
}

#[tokio::test]
async fn sessions_take_more_queues_and_empty_ones_are_deleted() {
    for backend in backends() {
        let t = TestApp::spawn_on(backend, |_| {}).await;
        let d = support::seed(&t).await;
        t.drain_jobs().await;
        let day = (gradphoto_app::online_entry::china_today() + chrono::Days::new(2)).to_string();
        let session = t
            .app
            .create_onsite_session(
                &staff(&t, "uni1-admin").await,
                d.c1,
                &gradphoto_domain::onsite_plan::SessionForm {
                    campus: "泉州校区",
                    place: "新太阳学生活动中心",
                    day: &day,
                    starts: "09:30",
                    ends: "12:00",
                    capacity: "40",
                    queues: "105",
                    in_service_open: false,
                },
                &[],
            )
            .await
            .expect("session");
        let queues = |t: &TestApp, id: i64| {
            let db = t.app.db.clone();
            async move {
                let mut names: Vec<String> = db
                    .campaign_queues(d.c1)
                    .await
                    .expect("queues")
                    .into_iter()
                    .filter(|q| q.session_id == id)
                    .map(|q| q.name)
                    .collect();
                names.sort();
                names
            }
        };
        let admin = t.login("uni1-admin", PW).await;
        let sec = t.login("uni1-sec1", PW).await;
        let add = format!("/onsite/sessions/{}/queues", session.id);
        assert_eq!(post(&sec, &add, &[("name", "106")]).await.0, 403);
        assert_eq!(
            admin.post_form(&add, &[("name", "106")]).await.status(),
            303
        );
        assert_eq!(
            post(&admin, &add, &[("name", "106")]).await.0,
            409,
            "the name is taken"
        );
        assert_eq!(post(&admin, &add, &[("name", " ")]).await.0, 422);
        assert_eq!(
            queues(&t, session.id).await,
            vec!["105".to_string(), "106".to_string()]
        );

        // Changed: another room and time, fewer places; a day outside the campaign's on-site
        // days is refused with the reason.
        let edit = format!("/onsite/sessions/{}/edit", session.id);
        let fields = |day: &str, capacity: &str| {
            vec![
                ("campus", "泉州校区".to_string()),
                ("place", "新太阳学生活动中心106".to_string()),
                ("day", day.to_string()),
                ("starts", "13:00".to_string()),
                ("ends", "17:30".to_string()),
                ("capacity", capacity.to_string()),
            ]
        };
        let send = |c: &gradphoto_testkit::Client, f: Vec<(&'static str, String)>| {
            let (c, edit) = (c.clone(), edit.clone());
            async move {
                let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
                post(&c, &edit, &pairs).await.0
            }
        };
        assert_eq!(send(&sec, fields(&day, "20")).await, 403);
        assert_eq!(send(&admin, fields(&day, "20")).await, 303);
        let changed = t.app.db.onsite_session(session.id).await.expect("row");
        assert_eq!(
            (
                changed.place.as_str(),
                changed.starts.as_str(),
                changed.capacity
            ),
            ("新太阳学生活动中心106", "13:00", 20)
        );
        assert_eq!(send(&admin, fields("2001-01-01", "20")).await, 422);

        // Empty: deleted (audited); the demo's session of today has registrations: kept.
        let delete = format!("/onsite/sessions/{}/delete", session.id);
        assert_eq!(post(&sec, &delete, &[]).await.0, 403);
        assert_eq!(admin.post_form(&delete, &[]).await.status(), 303);
        assert!(t.app.db.onsite_session(session.id).await.is_err(), "gone");
        assert!(queues(&t, session.id).await.is_empty());
        let today = gradphoto_app::online_entry::china_today().to_string();
        let busy = sessions(&t, &d)
            .await
            .into_iter()
            .find(|s| s.day == today)
            .expect("today's session");
        assert_eq!(
            post(&admin, &format!("/onsite/sessions/{}/delete", busy.id), &[])
                .await
                .0,
            409
        );
        // Its capacity cannot go below its registrations.
        let regs = t
            .app
            .db
            .session_registrations(busy.id)
            .await
            .expect("regs")
            .len();
        let below = (regs - 1).to_string();
        let busy_edit = format!("/onsite/sessions/{}/edit", busy.id);
        let (status, body) = post(
            &admin,
            &busy_edit,
            &[
                ("campus", &busy.campus),
                ("place", &busy.place),
                ("day", &busy.day),
                ("starts", &busy.starts),
                ("ends", &busy.ends),
                ("capacity", &below),
            ],
        )
        .await;
        assert_eq!(status, 409, "{body}");
        assert!(body.contains("id=\"registration-error\""), "{body}");
        let audit = t.app.db.list_audit(Some(d.u1), 20).await.expect("audit");
        assert!(audit.iter().any(|a| a.action == "onsite.session_delete"));
        assert!(audit.iter().any(|a| a.action == "onsite.queue_add"));
    }
}
