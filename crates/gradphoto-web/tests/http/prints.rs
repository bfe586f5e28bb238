//! The prints and their chain of custody (issue 8), on both backends: the agency makes one
//! batch per department in student-number order and its PDF (cover, packing list, one
//! 6-inch page per student); hand-overs agency → graduate school → department are counted
//! and never exceed what the giver holds, and a form sent twice is recorded once; the
//! graduate school sees what it holds per department; a secretary gives a student their
//! sheet and a student confirms on their phone; a lost sheet is reprinted from the same
//! record; nobody is printed twice.

use gradphoto_testkit::{Client, TestApp, backends};

use crate::onsite_support::post;
use crate::support::{self, PW, attr};

/// A verified student of `department` whose photo the registry accepted: their client,
/// roster id and student number.
async fn accepted_student(
    t: &TestApp,
    d: &support::Demo,
    department: i64,
    phone: &str,
    skip: &mut usize,
) -> (Client, i64, String) {
    loop {
        let at = *skip;
        *skip += 1;
        let (s, _) = support::must_student(t, d.c1, at).await;
        if s.department_id != department || t.app.db.is_collected(d.c1, s.id).await.expect("q") {
            continue;
        }
        let (c, me) = support::verified_student(t, d, phone, at).await;
        support::registry_accepts(t, phone, support::standard_jpeg()).await;
        return (c, me.id, me.student_no);
    }
}

fn count(hay: &[u8], needle: &str) -> usize {
    hay.windows(needle.len())
        .filter(|w| *w == needle.as_bytes())
        .count()
}

async fn handover(c: &Client, batch: i64, stage: &str, sheets: &str, token: &str) -> (u16, String) {
    post(
        c,
        &format!("/prints/batches/{batch}/handover"),
        &[
            ("stage", stage),
            ("sheets", sheets),
            ("given_by", "王老师"),
            ("received_by", "李老师"),
            ("token", token),
        ],
    )
    .await
}

#[tokio::test]
async fn prints_travel_from_the_lab_to_the_students() {
    for backend in backends() {
        let t = TestApp::spawn_on(backend, |_| {}).await;
        let d = support::seed(&t).await;
        t.drain_jobs().await;
        let (dept, other_dept) = (d.u1_depts[0], d.u1_depts[1]);
        let mut skip = 0;
        let mut students = Vec::new();
        for phone in ["13800138701", "13800138702", "13800138703"] {
            students.push(accepted_student(&t, &d, dept, phone, &mut skip).await);
        }
        let mut skip2 = 0;
        accepted_student(&t, &d, other_dept, "13800138704", &mut skip2).await;

        // The agency prints: one batch per department, in student-number order.
        let agency = t.login("agency", PW).await;
        let page = format!("/campaigns/{}/prints", d.c1);
        let (status, body) = agency.get_text(&page).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            attr(&body, &format!("prints-dept-{dept}"), "data-unprinted"),
            "3"
        );
        let r = agency.post_form(&page, &[]).await;
        assert_eq!(r.status(), 303);
        let batches = t.app.db.campaign_print_batches(d.c1).await.expect("q");
        let batch = batches
            .iter()
            .find(|b| b.department_id == dept)
            .expect("the department's batch")
            .clone();
        assert!(batches.iter().any(|b| b.department_id == other_dept));
        let items = t.app.db.print_items(batch.id).await.expect("items");
        let ours: Vec<&str> = items
            .iter()
            .filter(|i| students.iter().any(|s| s.1 == i.student_id))
            .map(|i| i.student_no.as_str())
            .collect();
        assert_eq!(ours.len(), 3);
        let numbers: Vec<&str> = items.iter().map(|i| i.student_no.as_str()).collect();
        let mut sorted = numbers.clone();
        sorted.sort_unstable();
        assert_eq!(numbers, sorted, "student-number order");
        let sheets = items.len();
        // Nobody is printed twice.
        let before = batches.len();
        let r = agency.post_form(&page, &[]).await;
        assert_eq!(support::location(&r), format!("{page}?made=0"));
        assert_eq!(
            t.app
                .db
                .campaign_print_batches(d.c1)
                .await
                .expect("q")
                .len(),
            before
        );

        // The PDF for the lab: the cover and packing list, then one page per sheet.
        let r = agency
            .get(&format!("/prints/batches/{}/pdf", batch.id))
            .await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "application/pdf");
        let pdf = r.bytes().await.expect("pdf").to_vec();
        assert!(pdf.starts_with(b"%PDF-"));
        assert_eq!(count(&pdf, "/Subtype /Image"), sheets, "one sheet each");
        assert!(
            count(&pdf, "/Type /Page\n") > sheets,
            "the cover before them"
        );

        // Agency → graduate school, recorded by the school that receives it (the agency
        // does not record it too): never more than the agency holds; once per form.
        let n = sheets.to_string();
        let too_many = (sheets + 1).to_string();
        let (status, _) = handover(&agency, batch.id, "school", &n, "T0").await;
        assert_eq!(status, 403, "the receiving side records it");
        let school = t.login("uni1-admin", PW).await;
        let (status, body) = handover(&school, batch.id, "school", &too_many, "T1").await;
        assert_eq!(status, 422, "{body}");
        assert!(body.contains("超过"), "{body}");
        assert_eq!(handover(&school, batch.id, "school", &n, "T1").await.0, 303);
        assert_eq!(
            handover(&school, batch.id, "school", &n, "T1").await.0,
            303,
            "the same form again"
        );
        assert_eq!(
            t.app.db.print_handovers(batch.id).await.expect("q").len(),
            1
        );

        // The graduate school sees what it holds for the department. The department (which
        // has a secretary) records receiving two sheets; the school may not record that for
        // it; the other department's secretary sees nothing of this batch.
        let (_, body) = school.get_text(&page).await;
        assert_eq!(
            attr(&body, &format!("prints-dept-{dept}"), "data-school"),
            n
        );
        let sec = t.login("uni1-sec1", PW).await;
        assert_eq!(
            handover(&school, batch.id, "department", "2", "T2").await.0,
            403
        );
        assert_eq!(
            handover(&sec, batch.id, "department", "2", "T2").await.0,
            303
        );
        let sec2 = t.login("uni1-sec2", PW).await;
        assert_eq!(
            sec2.get(&format!("/prints/batches/{}", batch.id))
                .await
                .status(),
            403
        );
        // A secretary may not declare the whole batch lost.
        let (status, _) = post(
            &sec,
            &format!("/prints/batches/{}/lost", batch.id),
            &[("reason", "找不到了")],
        )
        .await;
        assert_eq!(status, 403);

        // The department gives one student their sheet; another confirms on their phone;
        // the department holds nothing more, so the third cannot confirm yet.
        let item = |student: i64| {
            items
                .iter()
                .find(|i| i.student_id == student)
                .expect("item")
                .id
        };
        let r = sec
            .post_form(&format!("/prints/items/{}/given", item(students[0].1)), &[])
            .await;
        assert_eq!(r.status(), 303);
        let mine = item(students[1].1);
        let (_, body) = students[1].0.get_text("/student/account").await;
        assert_eq!(
            attr(&body, &format!("print-{mine}"), "data-state"),
            "on_way"
        );
        let r = students[1]
            .0
            .post_form(&format!("/student/prints/{mine}/received"), &[])
            .await;
        assert_eq!(r.status(), 303);
        let (_, body) = students[1].0.get_text("/student/account").await;
        assert_eq!(
            attr(&body, &format!("print-{mine}"), "data-state"),
            "received"
        );
        let third = item(students[2].1);
        let (status, body) = post(
            &students[2].0,
            &format!("/student/prints/{third}/received"),
            &[],
        )
        .await;
        assert_eq!(status, 409, "{body}");
        assert!(body.contains("院系尚未登记收到"), "{body}");

        // The third student's sheet is lost at the school; the agency reprints it.
        let (status, _) = post(
            &school,
            &format!("/prints/batches/{}/lost", batch.id),
            &[
                ("item", &third.to_string()),
                ("holder", "school"),
                ("reason", "研究生院遗失"),
            ],
        )
        .await;
        assert_eq!(status, 303);
        let h = t.app.db.print_counts(batch.id).await.expect("q");
        assert_eq!(
            (h.lost_at_school, h.lost_at_department, h.received),
            (1, 0, 2)
        );
        let (status, body) = post(
            &agency,
            &format!("/prints/batches/{}/reprint", batch.id),
            &[("reason", "研究生院遗失，补印")],
        )
        .await;
        assert_eq!(status, 303, "{body}");
        let reprint = t
            .app
            .db
            .campaign_print_batches(d.c1)
            .await
            .expect("q")
            .into_iter()
            .find(|b| b.reprint_of == Some(batch.id))
            .expect("the reprint");
        let again = t.app.db.print_items(reprint.id).await.expect("items");
        assert_eq!(
            again.iter().map(|i| i.student_id).collect::<Vec<_>>(),
            vec![students[2].1]
        );
        let (status, _) = post(
            &agency,
            &format!("/prints/batches/{}/reprint", batch.id),
            &[("reason", "again")],
        )
        .await;
        assert_eq!(status, 422, "the lost sheet is reprinted once");
        let audit = t.app.db.list_audit(Some(d.u1), 50).await.expect("audit");
        for action in [
            "prints.batch_create",
            "prints.handover",
            "prints.given",
            "prints.lost",
            "prints.reprint",
        ] {
            assert!(audit.iter().any(|a| a.action == action), "{action}");
        }
    }
}

/// Twenty hand-overs of one sheet each, sent at once from two servers on one database,
/// for a batch whose agency holds fewer: exactly as many as it holds are recorded; and ten
/// copies of one form sent at once are recorded once.
#[tokio::test]
async fn concurrent_hand_overs_never_exceed_what_is_held() {
    use gradphoto_app::prints::HandoverInput;
    for backend in backends() {
        let t = TestApp::spawn_on(backend, |_| {}).await;
        let beside = t.spawn_beside().await;
        let d = support::seed(&t).await;
        t.drain_jobs().await;
        let mut skip = 0;
        for phone in ["13800138711", "13800138712", "13800138713"] {
            accepted_student(&t, &d, d.u1_depts[0], phone, &mut skip).await;
        }
        let agency = crate::onsite_support::staff(&t, "agency").await;
        let school = crate::onsite_support::staff(&t, "uni1-admin").await;
        let made = t
            .app
            .create_print_batches(&agency, d.c1)
            .await
            .expect("batches");
        let batch = made
            .iter()
            .find(|b| b.department_id == d.u1_depts[0])
            .expect("batch")
            .clone();
        assert!(batch.sheets >= 3 && batch.sheets < 20, "{}", batch.sheets);
        let input = |token: String| HandoverInput {
            stage: "school".into(),
            sheets: "1".into(),
            given_by: "王".into(),
            received_by: "李".into(),
            token,
        };
        // One form sent ten times at once.
        let copies = (0..10).map(|n| {
            let app = if n % 2 == 0 { &t.app } else { &beside.app };
            let (school, input) = (school.clone(), input("SAME".into()));
            async move { app.record_print_handover(&school, batch.id, &input).await }
        });
        let answers = futures::future::join_all(copies).await;
        assert!(answers.iter().all(Result::is_ok));
        assert_eq!(
            t.app.db.print_handovers(batch.id).await.expect("q").len(),
            1
        );
        // Twenty different forms for the rest.
        let tries = (0..20).map(|n| {
            let app = if n % 2 == 0 { &t.app } else { &beside.app };
            let (school, input) = (school.clone(), input(format!("T{n}")));
            async move { app.record_print_handover(&school, batch.id, &input).await }
        });
        let results = futures::future::join_all(tries).await;
        let recorded = t.app.db.print_handovers(batch.id).await.expect("q");
        assert_eq!(
            recorded.len() as i64,
            batch.sheets,
            "as many as were printed"
        );
        assert_eq!(
            results.iter().filter(|r| r.is_ok()).count() as i64,
            batch.sheets - 1
        );
        let c = t.app.db.print_counts(batch.id).await.expect("q");
        assert_eq!(c.to_school, c.sheets);
    }
}

/// Seed 002 and DESIGN §2: a student who holds prints from an earlier campaign is not
/// printed again while that photo still serves; a student the new campaign must photograph
/// again (the earlier image is void) is printed from the new photo, the earlier sheet
/// superseded.
#[tokio::test]
async fn an_earlier_campaigns_prints_stand_unless_the_photo_no_longer_serves() {
    for backend in backends() {
        let t = TestApp::spawn_on(backend, |_| {}).await;
        let d = support::seed(&t).await;
        t.drain_jobs().await;
        let mut skip = 0;
        let (c, student, _) =
            accepted_student(&t, &d, d.u1_depts[0], "13800138711", &mut skip).await;
        let agency = t.login("agency", PW).await;
        let first = format!("/campaigns/{}/prints", d.c1);
        assert_eq!(agency.post_form(&first, &[]).await.status(), 303);
        let earlier = t
            .app
            .db
            .student_print_items(student)
            .await
            .expect("q")
            .remove(0);

        // A later campaign of the same school; the student is photographed again in it.
        let c1: gradphoto_app::campaigns::Campaign = t
            .app
            .db
            .get_campaign(d.c1)
            .await
            .expect("campaign")
            .try_into()
            .expect("valid");
        let mut input = gradphoto_app::campaigns::CampaignInput::from_campaign(&c1);
        input.name = format!("{} 第二批", c1.name);
        let later = t
            .app
            .create_campaign(
                &crate::onsite_support::staff(&t, "uni1-admin").await,
                d.u1,
                &input,
            )
            .await
            .expect("created")
            .id;
        let db = &t.app.db;
        support::exec_with_id(
            db,
            &format!("UPDATE online_entries SET campaign_id = {later} WHERE student_id = $1"),
            student,
        )
        .await;
        let verdict = |v: &'static str| async move {
            support::exec_with_id(
                db,
                &format!("DELETE FROM eligibility WHERE campaign_id = {later} AND student_id = $1"),
                student,
            )
            .await;
            support::exec_with_id(
                db,
                &format!(
                    "INSERT INTO eligibility (campaign_id, student_id, verdict, reason_code, \
                     reason_zh, reason_en, computed_at) VALUES ({later}, $1, '{v}', 'test', \
                     '测试', 'test', 0)"
                ),
                student,
            )
            .await;
        };
        let page = format!("/campaigns/{later}/prints");

        // The earlier photo still serves: not printed again.
        verdict("may").await;
        let r = agency.post_form(&page, &[]).await;
        assert_eq!(support::location(&r), format!("{page}?made=0"));

        // It no longer serves: printed anew, the earlier sheet superseded; once only.
        verdict("must").await;
        let r = agency.post_form(&page, &[]).await;
        assert_eq!(support::location(&r), format!("{page}?made=1"));
        let items = t.app.db.student_print_items(student).await.expect("q");
        assert_eq!(items.len(), 2);
        let (new, old) = (&items[0], &items[1]);
        assert_eq!(old.id, earlier.id);
        assert!(old.superseded_at.is_some() && new.live(), "{items:?}");
        let r = agency.post_form(&page, &[]).await;
        assert_eq!(support::location(&r), format!("{page}?made=0"));
        let (_, body) = c.get_text("/student/account").await;
        assert_eq!(
            attr(&body, &format!("print-{}", old.id), "data-state"),
            "superseded"
        );
        assert_eq!(
            attr(&body, &format!("print-{}", new.id), "data-state"),
            "on_way"
        );
    }
}
