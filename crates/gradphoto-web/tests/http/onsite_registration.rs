//! Registration for the on-site days over HTTP, on both backends: a department secretary
//! registers its students who must be photographed (all or nothing: over capacity,
//! someone registered already, another department's student, after the deadline), by
//! picking them or by importing the registration sheet; a registered student sees the
//! session.

use gradphoto_app::campaigns::Campaign;
use gradphoto_testkit::{TestApp, backends};

use crate::onsite_support::{candidates, change_modes, post, sessions};
use crate::support::{self, PW};

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
        // The university's admin may still register a late student before the day,
        // recorded as after the deadline.
        let admin = t.login("uni1-admin", PW).await;
        let (status, body) = post(&admin, &register, &[("student", &c3)]).await;
        assert_eq!(status, 303, "{body}");
        assert_eq!(regs(small.id).await, 2);
        // And the audit log holds who registered whom.
        let audit = t.app.db.list_audit(Some(d.u1), 50).await.expect("audit");
        assert!(
            audit
                .iter()
                .any(|a| a.action == "onsite.register" && a.actor_name == "uni1-sec1")
        );
        assert!(audit.iter().any(|a| {
            a.action == "onsite.register"
                && a.actor_name == "uni1-admin"
                && a.after_json
                    .as_deref()
                    .is_some_and(|x| x.contains("\"after_deadline\":true"))
        }));
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
        // Trailing blank cells are not read back: pad each row to the six columns.
        let mut rows: Vec<Vec<String>> = grid[1..]
            .iter()
            .map(|r| {
                let mut r = r.clone();
                r.resize(6, String::new());
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

        // A mobile number that is not one is named too.
        rows[2][4] = String::new();
        rows[0][5] = "1380013".into();
        let (status, body) = upload(sheet(&rows)).await;
        assert_eq!(status, 422, "{body}");
        assert!(
            t.app
                .db
                .session_registrations(later.id)
                .await
                .expect("q")
                .is_empty()
        );

        // Corrected: both registered at once, the first with the mobile number the
        // reminder will go to.
        rows[0][5] = "138 0013 8777".into();
        let (status, body) = upload(sheet(&rows)).await;
        assert_eq!(status, 303, "{body}");
        let regs = t.app.db.session_registrations(later.id).await.expect("q");
        assert_eq!(regs.len(), 2);
        let first = regs
            .iter()
            .find(|r| r.phone.is_some())
            .expect("the number given");
        assert_eq!(first.phone.as_deref(), Some("13800138777"));
        assert_eq!(
            t.app
                .db
                .phone_of_student(d.c1, first.student_id)
                .await
                .expect("q")
                .as_deref(),
            Some("13800138777")
        );
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
