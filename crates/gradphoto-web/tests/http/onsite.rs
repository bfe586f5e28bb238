//! The on-site days over HTTP, on both backends: the university admin adds sessions to the
//! plan (bad ones refused with the reason), a department secretary registers its students
//! who must be photographed (all or nothing: over capacity, someone registered already,
//! another department's student, after the deadline), and the desk numbers scanned codes
//! 1, 2, … (a rescan keeps its number; forged, empty, unregistered and already
//! photographed codes are refused; walk-ins only where the campaign takes them), on the
//! desk page and through the JSON API with a bearer token.

use gradphoto_app::auth::Staff;
use gradphoto_app::campaigns::{Campaign, CampaignInput};
use gradphoto_db::onsite::SessionRow;
use gradphoto_testkit::{Client, TestApp, backends};

use crate::support::{self, Demo, PW};

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

/// The campaign with its modes changed by `f`, saved as the university admin would.
async fn change_modes(t: &TestApp, campaign: i64, f: impl FnOnce(&mut CampaignInput)) {
    let c: Campaign = t
        .app
        .db
        .get_campaign(campaign)
        .await
        .expect("campaign")
        .try_into()
        .expect("valid");
    let mut input = CampaignInput::from_campaign(&c);
    f(&mut input);
    t.app
        .update_campaign(&staff(t, "uni1-admin").await, campaign, &input)
        .await
        .expect("campaign saved");
}

async fn sessions(t: &TestApp, d: &Demo) -> Vec<SessionRow> {
    t.app.db.campaign_sessions(d.c1).await.expect("sessions")
}

async fn status_and_body(r: reqwest::Response) -> (u16, String) {
    let s = r.status().as_u16();
    (s, r.text().await.unwrap_or_default())
}

async fn post(c: &Client, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
    status_and_body(c.post_form(path, fields).await).await
}

/// The demo's students of a department whom the campaign's rules say must be
/// photographed and who are not registered, by id.
async fn candidates(t: &TestApp, d: &Demo, dept: i64) -> Vec<i64> {
    use gradphoto_domain::eligibility::{Verdict, evaluate};
    let c: Campaign = t
        .app
        .db
        .get_campaign(d.c1)
        .await
        .expect("c")
        .try_into()
        .expect("v");
    let mut out = Vec::new();
    for s in t.app.db.all_students(d.u1).await.expect("students") {
        let facts = gradphoto_app::campaigns::facts_of(&s).expect("facts");
        if s.department_id == dept
            && evaluate(&c.rules, &facts).verdict == Verdict::Must
            && t.app
                .db
                .registration_of(d.c1, s.id)
                .await
                .expect("q")
                .is_none()
        {
            out.push(s.id);
        }
    }
    out
}

#[tokio::test]
async fn secretaries_register_their_students_for_a_session() {
    for backend in backends() {
        let t = TestApp::spawn_on(backend, |_| {}).await;
        let d = support::seed(&t).await;
        let admin = t.login("uni1-admin", PW).await;
        let plan = format!("/campaigns/{}/onsite", d.c1);

        // The demo's plan: a session today and one in a week.
        let (status, body) = admin.get_text(&plan).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("id=\"session-form\""), "the admin may add");
        let before = sessions(&t, &d).await;
        assert_eq!(before.len(), 2, "the demo's two sessions");

        // A bad session is refused with its reason, the form kept as typed.
        let c: Campaign = t
            .app
            .db
            .get_campaign(d.c1)
            .await
            .expect("c")
            .try_into()
            .expect("v");
        let window = c.modes.onsite.expect("the demo has on-site days");
        let outside = (window.to + chrono::Days::new(1)).to_string();
        let day = window.to.to_string();
        let mut fields = vec![
            ("campus", "厦门校区"),
            ("place", "图书馆报告厅"),
            ("day", outside.as_str()),
            ("starts", "09:30"),
            ("ends", "12:00"),
            ("capacity", "2"),
            ("queues", "A"),
        ];
        let (status, body) = post(&admin, &plan, &fields).await;
        assert_eq!(status, 422, "{body}");
        assert!(
            body.contains("id=\"onsite-error\"") && body.contains("图书馆报告厅"),
            "{body}"
        );
        assert_eq!(sessions(&t, &d).await.len(), 2, "nothing written");
        fields[2].1 = day.as_str();
        let r = admin.post_form(&plan, &fields).await;
        assert_eq!(r.status(), 303);
        let small = sessions(&t, &d)
            .await
            .into_iter()
            .find(|s| s.place == "图书馆报告厅")
            .expect("the new session");
        assert_eq!((small.capacity, small.day.as_str()), (2, day.as_str()));

        // A secretary reads the plan but cannot add to it.
        let sec = t.login("uni1-sec1", PW).await;
        let (status, body) = sec.get_text(&plan).await;
        assert_eq!(status, 200, "{body}");
        assert!(!body.contains("id=\"session-form\""));
        assert_eq!(post(&sec, &plan, &fields).await.0, 403);

        // The registration page lists the department's candidates only.
        let mine = candidates(&t, &d, d.u1_depts[0]).await;
        let theirs = candidates(&t, &d, d.u1_depts[1]).await;
        assert!(mine.len() >= 3 && !theirs.is_empty(), "{mine:?} {theirs:?}");
        let page = format!("/onsite/sessions/{}", small.id);
        let (status, body) = sec.get_text(&page).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.contains(&format!("id=\"pick-{}\"", mine[0])), "{body}");
        assert!(!body.contains(&format!("id=\"pick-{}\"", theirs[0])));

        // Over capacity: three for two places, nobody registered.
        let register = format!("{page}/register");
        let (a, b, c3) = (
            mine[0].to_string(),
            mine[1].to_string(),
            mine[2].to_string(),
        );
        let (status, body) = post(
            &sec,
            &register,
            &[("student", &a), ("student", &b), ("student", &c3)],
        )
        .await;
        assert_eq!(status, 409, "{body}");
        assert!(body.contains("id=\"registration-error\""), "{body}");
        let regs = |id| {
            let db = t.app.db.clone();
            async move { db.session_registrations(id).await.expect("q").len() }
        };
        assert_eq!(regs(small.id).await, 0);
        // Another department's student: refused whole.
        let other = theirs[0].to_string();
        assert_eq!(
            post(&sec, &register, &[("student", &a), ("student", &other)])
                .await
                .0,
            403
        );
        assert_eq!(regs(small.id).await, 0);
        // Two fit.
        let r = sec
            .post_form(&register, &[("student", &a), ("student", &b)])
            .await;
        assert_eq!(r.status(), 303);
        assert_eq!(regs(small.id).await, 2);
        let (_, body) = sec.get_text(&page).await;
        assert!(
            body.contains(&format!("id=\"registered-{}\"", mine[0])),
            "{body}"
        );
        // Registered already (in this campaign): refused, naming the student.
        let later = before
            .iter()
            .find(|s| s.day != window.from.to_string())
            .expect("the later session");
        let (status, body) = post(
            &sec,
            &format!("/onsite/sessions/{}/register", later.id),
            &[("student", &a), ("student", &c3)],
        )
        .await;
        assert_eq!(status, 409, "{body}");
        assert_eq!(regs(later.id).await, 0);
        // Taken off, then the place is free again.
        let r = sec
            .post_form(&format!("{page}/unregister"), &[("student", &b)])
            .await;
        assert_eq!(r.status(), 303);
        assert_eq!(regs(small.id).await, 1);

        // A session for another department: not offered to this secretary's students,
        // and refused if named — unless the campaign allows another window of the table.
        let theirs_dept = d.u1_depts[1].to_string();
        let mut other_fields = fields.clone();
        other_fields[1].1 = "化学楼";
        other_fields[5].1 = "10";
        other_fields.push(("departments", &theirs_dept));
        assert_eq!(admin.post_form(&plan, &other_fields).await.status(), 303);
        let (_, body) = admin.get_text(&plan).await;
        assert!(body.contains("化学楼"), "{body}");
        let chem = sessions(&t, &d)
            .await
            .into_iter()
            .find(|s| s.place == "化学楼")
            .expect("the other department's session");
        let chem_page = format!("/onsite/sessions/{}", chem.id);
        let (_, body) = sec.get_text(&chem_page).await;
        assert!(
            !body.contains(&format!("id=\"pick-{}\"", mine[2])),
            "{body}"
        );
        let (status, body) =
            post(&sec, &format!("{chem_page}/register"), &[("student", &c3)]).await;
        assert_eq!(status, 422, "{body}");
        change_modes(&t, d.c1, |f| f.any_window = true).await;
        let (_, body) = sec.get_text(&chem_page).await;
        assert!(body.contains(&format!("id=\"pick-{}\"", mine[2])), "{body}");

        // After the deadline nothing changes.
        let yesterday =
            (gradphoto_app::online_entry::china_today() - chrono::Days::new(1)).to_string();
        change_modes(&t, d.c1, |f| f.registration_deadline = yesterday).await;
        let (status, body) = post(&sec, &register, &[("student", &c3)]).await;
        assert_eq!(status, 409, "{body}");
        assert!(body.contains("id=\"registration-closed\""), "{body}");
        assert_eq!(
            post(&sec, &format!("{page}/unregister"), &[("student", &a)])
                .await
                .0,
            409
        );
        assert_eq!(regs(small.id).await, 1);
        // And the audit log holds who registered whom.
        let audit = t.app.db.list_audit(Some(d.u1), 50).await.expect("audit");
        assert!(
            audit
                .iter()
                .any(|a| a.action == "onsite.register" && a.actor_name == "uni1-sec1")
        );
    }
}

#[tokio::test]
async fn the_desk_numbers_scanned_codes_in_order() {
    for backend in backends() {
        let t = TestApp::spawn_on(backend, |_| {}).await;
        let d = support::seed(&t).await;
        t.drain_jobs().await;
        let school = t.app.db.get_university(d.u1).await.expect("u").code;
        let today = gradphoto_app::online_entry::china_today().to_string();
        let session = sessions(&t, &d)
            .await
            .into_iter()
            .find(|s| s.day == today)
            .expect("the demo's session today");
        let queues = t.app.db.campaign_queues(d.c1).await.expect("queues");
        let queue = queues
            .iter()
            .find(|q| q.session_id == session.id)
            .expect("a queue");
        let desk = t.login("photographer", PW).await;
        let page = format!("/onsite/queues/{}/desk", queue.id);
        let checkin = format!("/onsite/queues/{}/checkin", queue.id);
        let (status, body) = desk.get_text(&page).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("id=\"code\"") && body.contains("autofocus"));

        // Students registered (the demo registered the first department) and not.
        let mut registered = Vec::new();
        let mut unregistered = Vec::new();
        for skip in 0..60 {
            let (s, id) = support::must_student(&t, d.c1, skip).await;
            if t.app.db.is_collected(d.c1, s.id).await.expect("q") {
                continue;
            }
            let reg = t.app.db.registration_of(d.c1, s.id).await.expect("q");
            let code = support::registry_code(&t, &school, &s, &id).await;
            match reg {
                Some(_) if registered.len() < 2 => registered.push((s, code)),
                None if unregistered.is_empty() => unregistered.push((s, code)),
                _ => {}
            }
            if registered.len() == 2 && !unregistered.is_empty() {
                break;
            }
        }
        assert!(
            registered.len() == 2 && unregistered.len() == 1,
            "demo students"
        );

        // The wedge scanner types the code and presses Enter: number 1, then 2.
        let (status, body) = post(&desk, &checkin, &[("code", &registered[0].1)]).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("id=\"shooting-number\">1<"), "{body}");
        assert!(body.contains(&registered[0].0.student_no));
        assert!(!body.contains(&registered[0].0.name), "the name is masked");
        let (_, body) = post(&desk, &checkin, &[("code", &registered[1].1)]).await;
        assert!(body.contains("id=\"shooting-number\">2<"), "{body}");
        // A rescan keeps the number, even at the other queue's desk.
        let other = queues
            .iter()
            .find(|q| q.session_id == session.id && q.id != queue.id)
            .expect("two queues");
        let (status, body) = post(
            &desk,
            &format!("/onsite/queues/{}/checkin", other.id),
            &[("code", &format!("  {}\n", registered[0].1))],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert!(
            body.contains("id=\"shooting-number\">1<") && body.contains("id=\"other-queue\""),
            "{body}"
        );

        // A queue of another day's session numbers nobody today.
        let later = queues
            .iter()
            .find(|q| q.session_id != session.id)
            .expect("the later session's queue");
        let (status, body) = post(
            &desk,
            &format!("/onsite/queues/{}/checkin", later.id),
            &[("code", &registered[1].1)],
        )
        .await;
        assert_eq!(status, 409, "{body}");
        assert!(body.contains("id=\"checkin-error\""), "{body}");

        // No code, a forged code: refused, no number spent.
        let (status, body) = post(&desk, &checkin, &[("code", " ")]).await;
        assert_eq!(status, 422);
        assert!(
            body.contains("不出示采集码") || body.contains("No collection code"),
            "{body}"
        );
        let forged = registered[1].1.replacen("GPC1.", "GPC1.B", 1);
        assert_eq!(post(&desk, &checkin, &[("code", &forged)]).await.0, 422);

        // A walk-in: numbered while the campaign takes walk-ins, refused once it does not.
        change_modes(&t, d.c1, |f| f.walk_ins = false).await;
        let (status, body) = post(&desk, &checkin, &[("code", &unregistered[0].1)]).await;
        assert_eq!(status, 422, "{body}");
        assert!(body.contains("id=\"checkin-error\""), "{body}");
        change_modes(&t, d.c1, |f| f.walk_ins = true).await;
        let (status, body) = post(&desk, &checkin, &[("code", &unregistered[0].1)]).await;
        assert_eq!(status, 200, "{body}");
        assert!(
            body.contains("id=\"shooting-number\">3<"),
            "no number was spent on refusals: {body}"
        );

        // Numbers 1..3, one per code.
        let rows = t.app.db.onsite_queue_checkins(queue.id).await.expect("q");
        assert_eq!(
            rows.iter().map(|r| r.number).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );

        // Photographed already in this campaign (recorded as collected): refused.
        let mut late = None;
        for skip in 0..200 {
            let (s, id) = support::must_student(&t, d.c1, skip).await;
            if t.app
                .db
                .onsite_checkin_of(d.c1, "-", s.id)
                .await
                .expect("q")
                .is_none()
                && !t.app.db.is_collected(d.c1, s.id).await.expect("q")
            {
                late = Some((s, id));
                break;
            }
        }
        let (s, id) = late.expect("a student not yet numbered");
        t.app
            .db
            .record_collection(d.c1, s.id, "online")
            .await
            .expect("recorded");
        let code = support::registry_code(&t, &school, &s, &id).await;
        let (status, body) = post(&desk, &checkin, &[("code", &code)]).await;
        assert_eq!(status, 422, "{body}");
        assert!(body.contains("已拍摄并确认"), "{body}");

        // Nobody but desk staff checks students in.
        let sec = t.login("uni1-sec1", PW).await;
        assert_eq!(sec.get_text(&page).await.0, 403);
        assert_eq!(
            post(&sec, &checkin, &[("code", &registered[0].1)]).await.0,
            403
        );
    }
}

#[tokio::test]
async fn the_registration_sheet_is_downloaded_filled_in_and_imported_whole() {
    for backend in backends() {
        let t = TestApp::spawn_on(backend, |_| {}).await;
        let d = support::seed(&t).await;
        let today = gradphoto_app::online_entry::china_today().to_string();
        let later = sessions(&t, &d)
            .await
            .into_iter()
            .find(|s| s.day != today)
            .expect("the demo's later session");
        let sec = t.login("uni1-sec1", PW).await;
        let r = sec
            .get(&format!("/onsite/sessions/{}/template.xlsx", later.id))
            .await;
        assert_eq!(r.status(), 200);
        let bytes = r.bytes().await.expect("xlsx");
        let grid = gradphoto_sheets::read_grid(&bytes, &gradphoto_sheets::Limits::default())
            .expect("a sheet");
        assert_eq!(grid[0][0], "学号");
        let mine = candidates(&t, &d, d.u1_depts[0]).await;
        assert_eq!(
            grid.len() - 1,
            mine.len(),
            "one row per candidate of the department"
        );

        // Two marked, one with a typo: refused row by row, nobody registered.
        // Trailing blank cells are not read back: pad each row to the five columns.
        let mut rows: Vec<Vec<String>> = grid[1..]
            .iter()
            .map(|r| {
                let mut r = r.clone();
                r.resize(5, String::new());
                r
            })
            .collect();
        rows[0][4] = "是".into();
        rows[1][4] = "是".into();
        rows[2][4] = "也许".into();
        let sheet = |rows: &[Vec<String>]| {
            gradphoto_sheets::write_xlsx(&[gradphoto_sheets::Sheet {
                name: "报名表".into(),
                headers: grid[0].clone(),
                rows: rows.to_vec(),
            }])
            .expect("xlsx")
        };
        let upload = |file: Vec<u8>| {
            let sec = &sec;
            let path = format!("/onsite/sessions/{}/import", later.id);
            async move {
                let form = reqwest::multipart::Form::new()
                    .text("csrf", sec.csrf().await)
                    .part(
                        "file",
                        reqwest::multipart::Part::bytes(file).file_name("报名表.xlsx"),
                    );
                let r = sec
                    .http
                    .post(format!("{}{path}", sec.base))
                    .multipart(form)
                    .send()
                    .await
                    .expect("POST");
                let s = r.status().as_u16();
                (s, r.text().await.unwrap_or_default())
            }
        };
        let (status, body) = upload(sheet(&rows)).await;
        assert_eq!(status, 422, "{body}");
        assert!(body.contains("也许"), "the row's mistake is named: {body}");
        let regs = t.app.db.session_registrations(later.id).await.expect("q");
        assert!(regs.is_empty());

        // Corrected: both registered at once.
        rows[2][4] = String::new();
        let (status, body) = upload(sheet(&rows)).await;
        assert_eq!(status, 303, "{body}");
        let regs = t.app.db.session_registrations(later.id).await.expect("q");
        assert_eq!(regs.len(), 2);
        // A student of another department in the sheet: refused whole.
        let theirs = candidates(&t, &d, d.u1_depts[1]).await;
        let other = t.app.db.get_student(theirs[0]).await.expect("s");
        let (status, body) = upload(sheet(&[
            vec![
                other.student_no.clone(),
                String::new(),
                String::new(),
                String::new(),
                "是".into(),
            ],
            {
                let mut r = rows[3].clone();
                r[4] = "是".into();
                r
            },
        ]))
        .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(
            t.app
                .db
                .session_registrations(later.id)
                .await
                .expect("q")
                .len(),
            2
        );
    }
}

#[tokio::test]
async fn a_registered_student_sees_the_session() {
    let t = TestApp::spawn_on(backends().remove(0), |_| {}).await;
    let d = support::seed(&t).await;
    t.drain_jobs().await;
    let (c, s) = support::verified_student(&t, &d, "13800138021", 0).await;
    let reg = t.app.db.registration_of(d.c1, s.id).await.expect("q");
    let (status, body) = c.get_text("/student").await;
    assert_eq!(status, 200);
    let session = t
        .app
        .db
        .onsite_session(
            reg.expect("the demo registered the first students")
                .session_id,
        )
        .await
        .expect("session");
    assert!(
        body.contains("id=\"onsite-registration\"") && body.contains(&session.place),
        "{body}"
    );
    // Taken off the session: the page no longer says so.
    t.app
        .db
        .unregister_from_session(session.id, s.id)
        .await
        .expect("taken off");
    let (_, body) = c.get_text("/student").await;
    assert!(!body.contains("id=\"onsite-registration\""));
}

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
        assert_eq!(t.app.send_onsite_reminders().await.expect("sent"), 1);
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
            t.app.send_onsite_reminders().await.expect("sent"),
            0,
            "once"
        );
    }
}

#[tokio::test]
async fn the_desk_api_numbers_codes_with_a_bearer_token() {
    use reqwest::{Method, StatusCode};
    use serde_json::json;
    for backend in backends() {
        let t = TestApp::spawn_on(backend, |_| {}).await;
        let d = support::seed(&t).await;
        t.drain_jobs().await;
        let school = t.app.db.get_university(d.u1).await.expect("u").code;
        let today = gradphoto_app::online_entry::china_today().to_string();
        let session = sessions(&t, &d)
            .await
            .into_iter()
            .find(|s| s.day == today)
            .expect("the demo's session today");
        let queues: Vec<_> = t
            .app
            .db
            .campaign_queues(d.c1)
            .await
            .expect("queues")
            .into_iter()
            .filter(|q| q.session_id == session.id)
            .collect();
        assert_eq!(queues.len(), 2, "the demo's queues 105 and 106");
        let path = |q: i64| format!("/onsite/queues/{q}/checkins");

        // Two students who may be numbered (registered, or walk-ins: the demo takes them).
        let mut codes = Vec::new();
        for skip in 0..60 {
            let (s, id) = support::must_student(&t, d.c1, skip).await;
            if !t.app.db.is_collected(d.c1, s.id).await.expect("q") {
                codes.push((
                    s.clone(),
                    support::registry_code(&t, &school, &s, &id).await,
                ));
            }
            if codes.len() == 2 {
                break;
            }
        }
        assert_eq!(codes.len(), 2, "demo students");
        let tok = support::token(&t, "photographer").await;
        let scan = |q: i64, code: &str| {
            let (t, tok, path, body) = (&t, &tok, path(q), json!({ "code": code }));
            async move { support::api(t, tok, Method::POST, &path, Some(body)).await }
        };

        // Number 1, then 2, answered 201 with who was numbered.
        let (s, b) = scan(queues[0].id, &codes[0].1).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        let v = support::json(&b);
        assert_eq!(v["number"], 1, "{b}");
        assert_eq!(v["new"], true);
        assert_eq!(v["queue_id"], queues[0].id);
        assert_eq!(v["queue"], queues[0].name.as_str());
        assert_eq!(v["student_no"], codes[0].0.student_no.as_str());
        assert_eq!(
            v["name_masked"],
            gradphoto_domain::people::mask_name(&codes[0].0.name).as_str()
        );
        assert!(!b.contains(&codes[0].0.name), "the name is masked: {b}");
        assert!(v["department"].as_str().is_some_and(|d| !d.is_empty()));
        assert!(v["walk_in"].is_boolean());
        let (s, b) = scan(queues[0].id, &codes[1].1).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        assert_eq!(support::json(&b)["number"], 2, "{b}");

        // A rescan, at the other queue's desk: the number it has, in its queue, 200.
        let (s, b) = scan(queues[1].id, &format!(" {}\n", codes[0].1)).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let v = support::json(&b);
        assert_eq!(
            (v["number"].clone(), v["new"].clone()),
            (json!(1), json!(false))
        );
        assert_eq!(v["queue_id"], queues[0].id);

        // Refusals in the API's error format; no number spent on them.
        let forged = codes[1].1.replacen("GPC1.", "GPC1.B", 1);
        let (s, b) = scan(queues[0].id, &forged).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        let v = support::json(&b);
        assert!(support::code(&b).starts_with("code."), "{b}");
        assert!(v["error"]["zh"].is_string() && v["error"]["en"].is_string());
        let (s, b) = scan(queues[0].id, " ").await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        let (s, b) = support::api(
            &t,
            &tok,
            Method::POST,
            &path(queues[0].id),
            Some(json!({ "text": codes[0].1 })),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert_eq!(support::code(&b), "request.bad_json");
        let rows = t
            .app
            .db
            .onsite_queue_checkins(queues[0].id)
            .await
            .expect("q");
        assert_eq!(
            rows.iter().map(|r| r.number).collect::<Vec<_>>(),
            vec![1, 2]
        );

        // A token that is no session: 401 in JSON. No credentials at all: refused like
        // every state-changing request without a bearer token (the CSRF check, 403).
        // A secretary's token: 403.
        let (s, b) = support::api(
            &t,
            "not-a-session",
            Method::POST,
            &path(queues[0].id),
            Some(json!({ "code": codes[0].1 })),
        )
        .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{b}");
        assert!(!support::code(&b).is_empty(), "{b}");
        let r = support::raw()
            .post(format!("{}/api{}", t.url, path(queues[0].id)))
            .json(&json!({ "code": codes[0].1 }))
            .send()
            .await
            .expect("call");
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let b = r.text().await.unwrap_or_default();
        assert_eq!(support::code(&b), "csrf.invalid", "{b}");
        let sec = support::token(&t, "uni1-sec1").await;
        let (s, b) = support::api(
            &t,
            &sec,
            Method::POST,
            &path(queues[0].id),
            Some(json!({ "code": codes[0].1 })),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    }
}
