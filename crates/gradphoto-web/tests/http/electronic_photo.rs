//! The electronic photo (issue 8), on both backends: the student downloads their standard
//! image from the personal centre from the day after the registry accepted it; the
//! department's zip named by student number only where the campaign allows it; every
//! download logged.

use gradphoto_db::Db;
use gradphoto_testkit::{TestApp, backends};

use crate::onsite_support::change_modes;
use crate::support::{self, PW};

/// Moves the registry's acceptance of outbox row `id` back by a day, as if it were
/// yesterday's.
async fn accepted_yesterday(db: &Db, id: i64) {
    let n = support::exec_with_id(
        db,
        "UPDATE registry_outbox SET updated_at = updated_at - 86400000 WHERE id = $1",
        id,
    )
    .await;
    assert_eq!(n, 1);
}

#[tokio::test]
async fn the_student_and_the_department_download_the_electronic_photo() {
    for backend in backends() {
        let t = TestApp::spawn_on(backend, |_| {}).await;
        let d = support::seed(&t).await;
        t.drain_jobs().await;
        // A student of the first department (whose secretary is uni1-sec1), not yet
        // photographed, signed in with the identity and code bound.
        let mut skip = 0;
        let (c, me) = loop {
            let (s, _) = support::must_student(&t, d.c1, skip).await;
            if s.department_id == d.u1_depts[0]
                && !t.app.db.is_collected(d.c1, s.id).await.expect("q")
            {
                break support::verified_student(&t, &d, "13800138401", skip).await;
            }
            skip += 1;
        };
        let (_, body) = c.get_text("/student/account").await;
        assert!(body.contains("id=\"photo-not-yet\""), "{body}");
        assert_eq!(c.get("/student/account/photo.jpg").await.status(), 404);

        // The registry accepts the photo sent for the student's code (written here: the
        // sending is tested with the registry): downloadable from tomorrow.
        let jpeg = b"\xFF\xD8 the standard image".to_vec();
        let outbox = support::registry_accepts(&t, "13800138401", jpeg.clone()).await;
        let (_, body) = c.get_text("/student/account").await;
        assert!(body.contains("id=\"photo-tomorrow\""), "{body}");
        assert_eq!(c.get("/student/account/photo.jpg").await.status(), 404);

        // The next day: the download, named by student number, logged.
        accepted_yesterday(&t.app.db, outbox).await;
        let (_, body) = c.get_text("/student/account").await;
        assert!(body.contains("id=\"photo-download\""), "{body}");
        let r = c.get("/student/account/photo.jpg").await;
        assert_eq!(r.status(), 200);
        let disposition = r.headers()["content-disposition"]
            .to_str()
            .expect("ascii")
            .to_string();
        assert!(
            disposition.contains(&format!("{}.jpg", me.student_no)),
            "{disposition}"
        );
        assert_eq!(r.bytes().await.expect("bytes").to_vec(), jpeg);
        let log = t
            .app
            .db
            .photo_downloads(d.c1, None, 100)
            .await
            .expect("log");
        assert_eq!(
            (log.len(), log[0].who_kind.as_str(), log[0].student_id),
            (1, "student", Some(me.id))
        );

        // The department's zip: refused while the campaign does not allow it, then the
        // secretary's own department, named by student number, logged and audited.
        let sec = t.login("uni1-sec1", PW).await;
        let zip = format!("/campaigns/{}/photos.zip", d.c1);
        assert_eq!(sec.get(&zip).await.status(), 403);
        change_modes(&t, d.c1, |f| f.department_downloads = true).await;
        let r = sec.get(&zip).await;
        assert_eq!(r.status(), 200);
        let bytes = r.bytes().await.expect("zip");
        assert!(bytes.starts_with(b"PK"));
        assert!(
            String::from_utf8_lossy(&bytes).contains(&format!("{}.jpg", me.student_no)),
            "the student's file in the zip"
        );
        let log = t
            .app
            .db
            .photo_downloads(d.c1, None, 100)
            .await
            .expect("log");
        assert_eq!(
            (log[0].who_kind.as_str(), log[0].department_id, log[0].files),
            ("staff", Some(d.u1_depts[0]), 1)
        );
        let audit = t.app.db.list_audit(Some(d.u1), 20).await.expect("audit");
        assert!(
            audit
                .iter()
                .any(|a| a.action == "photo.department_download")
        );

        // Another department's secretary gets their own department (not this student);
        // a department of another university is not found.
        let other = t.login("uni1-sec2", PW).await;
        let r = other
            .get(&format!("{zip}?department={}", d.u1_depts[0]))
            .await;
        assert_eq!(r.status(), 200);
        let theirs = r.bytes().await.expect("zip");
        assert!(!String::from_utf8_lossy(&theirs).contains(&format!("{}.jpg", me.student_no)));
        let admin = t.login("uni1-admin", PW).await;
        assert_eq!(
            admin
                .get(&format!("{zip}?department={}", d.u2_depts[0]))
                .await
                .status(),
            404
        );

        // The log: the school sees every download, a secretary their department's only.
        let page = format!("/campaigns/{}/downloads", d.c1);
        let (status, body) = admin.get_text(&page).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body.matches("data-kind=\"staff\"").count(), 2, "{body}");
        assert_eq!(body.matches("data-kind=\"student\"").count(), 1, "{body}");
        assert!(body.contains(&me.student_no), "{body}");
        let (status, body) = other.get_text(&page).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body.matches("data-kind=\"staff\"").count(), 1, "{body}");
        assert!(!body.contains(&me.student_no), "{body}");
        let (_, body) = sec.get_text(&page).await;
        assert_eq!(body.matches("data-kind=").count(), 2, "{body}");
        let outsider = t.login("uni2-admin", PW).await;
        assert_eq!(outsider.get(&page).await.status(), 403);
    }
}
