//! Legacy Excel (.xls) files over HTTP, on both backends: a university admin imports a
//! roster saved by Excel 97–2003, and the department secretary imports the 报名表 as such
//! a file (both made by `gradphoto-sheets/tests/fixtures/make_xls.py`). The student
//! numbers keep their leading zeros, the ID number its X, and the two students marked 是
//! are registered at once, the first with the mobile number the reminder will go to.

use gradphoto_testkit::{TestApp, backends};

use crate::onsite_support::sessions;
use crate::support::{self, PW};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../gradphoto-sheets/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[tokio::test]
async fn a_roster_and_a_registration_sheet_saved_as_xls_are_imported() {
    for backend in backends() {
        let t = TestApp::spawn_on(backend, |_| {}).await;
        let d = support::seed(&t).await;

        // The roster: three new students of the first department.
        let admin = t.login("uni1-admin", PW).await;
        let r = admin
            .post_file(
                &format!("/universities/{}/roster", d.u1),
                "file",
                "名单.xls",
                fixture("roster.xls"),
            )
            .await;
        let status = r.status();
        let body = r.text().await.unwrap_or_default();
        assert!(
            status.is_success() || status.is_redirection(),
            "{status}: {body}"
        );
        let students = t.app.db.all_students(d.u1).await.expect("students");
        let new: Vec<_> = ["0240001", "0240002", "0240003"]
            .iter()
            .map(|no| {
                students
                    .iter()
                    .find(|s| s.student_no == *no)
                    .unwrap_or_else(|| panic!("{no} imported with its leading zero"))
            })
            .collect();
        assert_eq!(new[0].name, "欧阳娜");
        assert_eq!(
            t.app.pii.decrypt(&new[0].id_enc).expect("id"),
            "11010119990101103X"
        );
        assert!(new.iter().all(|s| s.department_id == d.u1_depts[0]));

        // The registration sheet, for the demo's later session.
        let today = gradphoto_app::online_entry::china_today().to_string();
        let later = sessions(&t, &d)
            .await
            .into_iter()
            .find(|s| s.day != today)
            .expect("the demo's later session");
        let sec = t.login("uni1-sec1", PW).await;
        let r = sec
            .post_file(
                &format!("/onsite/sessions/{}/import", later.id),
                "file",
                "报名表.xls",
                fixture("registration.xls"),
            )
            .await;
        let status = r.status().as_u16();
        assert_eq!(status, 303, "{}", r.text().await.unwrap_or_default());
        let regs = t.app.db.session_registrations(later.id).await.expect("q");
        let mut who: Vec<i64> = regs.iter().map(|r| r.student_id).collect();
        who.sort_unstable();
        assert_eq!(who, [new[0].id, new[1].id], "the two marked 是");
        let first = regs
            .iter()
            .find(|r| r.student_id == new[0].id)
            .expect("first");
        assert_eq!(first.phone.as_deref(), Some("13800138777"));
    }
}
