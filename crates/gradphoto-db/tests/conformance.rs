//! One conformance suite, run on SQLite always and on PostgreSQL when
//! `GRADPHOTO_TEST_DATABASE_URL` is set. Each test gets its own fresh database.

use gradphoto_db::audit::NewAudit;
use gradphoto_db::campaigns::{CampaignWrite, EligibilityWrite};
use gradphoto_db::jobs::NewJob;
use gradphoto_db::students::{StudentFilter, StudentWrite};
use gradphoto_db::universities::NewUniversity;
use gradphoto_db::{Db, DbError, now_ms};

async fn backends() -> Vec<(Db, Option<tempfile::TempDir>)> {
    gradphoto_db::testing::fresh_databases().await
}

fn audit(action: &str) -> NewAudit {
    NewAudit {
        actor_name: "test".into(),
        action: action.into(),
        target_kind: "test".into(),
        ..Default::default()
    }
}

async fn university(db: &Db, code: &str) -> (i64, Vec<i64>) {
    let depts = vec![
        ("数学科学学院".to_string(), Some("MATH".to_string())),
        ("物理学院".to_string(), None),
    ];
    let u = db
        .create_university(&NewUniversity {
            code,
            name_zh: "测试大学",
            name_en: "Test University",
            departments: &depts,
            campuses: &["本部".to_string()],
        })
        .await
        .expect("university");
    let d = db.list_departments(u.id).await.expect("departments");
    (u.id, d.iter().map(|d| d.id).collect())
}

fn student(dept: i64, no: &str, hash: &str) -> StudentWrite {
    StudentWrite {
        department_id: dept,
        student_no: no.into(),
        name: format!("学生{no}"),
        id_type: "resident_id".into(),
        id_enc: vec![1, 2, 3],
        id_blind: format!("blind-{no}"),
        id_masked: "1101**********002X".into(),
        level: "master".into(),
        cert_type: "double".into(),
        grad_kind: "graduation".into(),
        expected_graduation: "2025-07".into(),
        overseas_class: false,
        master_to_phd: false,
        delayed: false,
        early_graduation_pending: false,
        prior_date: None,
        prior_level: None,
        campus: None,
        major: None,
        in_service: false,
        content_hash: hash.into(),
    }
}

#[tokio::test]
async fn migrations_are_idempotent_and_universities_unique() {
    for (db, _g) in backends().await {
        assert!(
            db.migrate().await.expect("re-migrate").is_empty(),
            "second run applies nothing"
        );
        let (u, depts) = university(&db, "10337").await;
        assert_eq!(depts.len(), 2);
        assert_eq!(db.list_campuses(u).await.expect("campuses").len(), 1);
        let dup = db
            .create_university(&NewUniversity {
                code: "10337",
                name_zh: "x",
                name_en: "x",
                departments: &[],
                campuses: &[],
            })
            .await;
        assert!(matches!(dup, Err(DbError::Conflict(_))), "{dup:?}");
        assert_eq!(
            db.find_university_by_code("10337")
                .await
                .expect("find")
                .map(|u| u.id),
            Some(u)
        );
        db.ping().await.expect("ping");
    }
}

#[tokio::test]
async fn audit_log_is_append_only() {
    for (db, _g) in backends().await {
        db.append_audit(&audit("x.create")).await.expect("append");
        let rows = db.list_audit(None, 10).await.expect("list");
        assert_eq!(rows.len(), 1);
        let (upd, del) = match &db {
            Db::Sqlite(s) => (
                sqlx::query("UPDATE audit_log SET action = 'forged'")
                    .execute(&s.pool)
                    .await
                    .map(|_| ()),
                sqlx::query("DELETE FROM audit_log")
                    .execute(&s.pool)
                    .await
                    .map(|_| ()),
            ),
            Db::Postgres(p) => (
                sqlx::query("UPDATE audit_log SET action = 'forged'")
                    .execute(p)
                    .await
                    .map(|_| ()),
                sqlx::query("DELETE FROM audit_log")
                    .execute(p)
                    .await
                    .map(|_| ()),
            ),
        };
        assert!(upd.is_err() && del.is_err(), "triggers must refuse change");
        assert_eq!(
            db.list_audit(None, 10).await.expect("list")[0].action,
            "x.create"
        );
    }
}

#[tokio::test]
async fn sessions_and_login_throttling() {
    for (db, _g) in backends().await {
        let (u, depts) = university(&db, "10001").await;
        let s = db
            .create_staff(
                &gradphoto_db::accounts::NewStaff {
                    username: "sec",
                    display_name: "秘书",
                    password_hash: "h",
                    role: "department_secretary",
                    university_id: Some(u),
                    department_id: Some(depts[0]),
                },
                &audit("staff.create"),
            )
            .await
            .expect("staff");
        db.create_session("tok", s.id, 60_000, Some("127.0.0.1"))
            .await
            .expect("session");
        assert_eq!(
            db.session_account("tok")
                .await
                .expect("lookup")
                .map(|a| a.id),
            Some(s.id)
        );
        assert!(db.session_account("other").await.expect("lookup").is_none());
        db.create_session("old", s.id, -1, None)
            .await
            .expect("expired session");
        assert!(
            db.session_account("old").await.expect("lookup").is_none(),
            "expired"
        );
        db.delete_session("tok").await.expect("logout");
        assert!(db.session_account("tok").await.expect("lookup").is_none());

        let since = now_ms() - 60_000;
        for _ in 0..3 {
            db.record_login_attempt("sec", "10.0.0.1", false)
                .await
                .expect("attempt");
        }
        assert_eq!(
            db.failed_logins_since("sec", "10.0.0.1", since)
                .await
                .expect("count"),
            (3, 3)
        );
        db.record_login_attempt("sec", "10.0.0.2", true)
            .await
            .expect("ok");
        let (user_fails, _) = db
            .failed_logins_since("sec", "10.0.0.1", since)
            .await
            .expect("count");
        assert_eq!(user_fails, 0, "a success resets the per-account count");
        assert!(db.purge_expired(0).await.expect("purge") >= 1);
        // The account creation was audited in the same transaction.
        assert_eq!(
            db.list_audit(None, 10).await.expect("audit")[0].target_id,
            Some(s.id.to_string())
        );
    }
}

#[tokio::test]
async fn student_import_is_all_or_nothing_and_idempotent() {
    for (db, _g) in backends().await {
        let (u, depts) = university(&db, "10002").await;
        let rows = vec![
            student(depts[0], "001", "h1"),
            student(depts[1], "002", "h2"),
        ];
        let c = db
            .import_students(u, &rows, &audit("roster.import"))
            .await
            .expect("import");
        assert_eq!((c.inserted, c.updated, c.unchanged), (2, 0, 0));
        let again = db
            .import_students(u, &rows, &audit("roster.import"))
            .await
            .expect("again");
        assert_eq!((again.inserted, again.updated, again.unchanged), (0, 0, 2));
        let audits = db.list_audit(Some(u), 10).await.expect("audit").len();

        // A bad row (unknown department) after a good change rolls everything back.
        let bad = vec![
            student(depts[0], "001", "h1-changed"),
            student(999_999, "003", "h3"),
        ];
        assert!(
            db.import_students(u, &bad, &audit("roster.import"))
                .await
                .is_err()
        );
        let all = db.all_students(u).await.expect("all");
        assert_eq!(all.len(), 2);
        assert_eq!(
            all.iter()
                .find(|s| s.student_no == "001")
                .map(|s| s.content_hash.as_str()),
            Some("h1")
        );
        assert_eq!(
            db.list_audit(Some(u), 10).await.expect("audit").len(),
            audits,
            "no audit for a rolled back import"
        );

        let fixed = vec![
            student(depts[0], "001", "h1-changed"),
            student(depts[0], "003", "h3"),
        ];
        let c = db
            .import_students(u, &fixed, &audit("roster.import"))
            .await
            .expect("fixed");
        assert_eq!((c.inserted, c.updated, c.unchanged), (1, 1, 0));
        assert_eq!(db.count_students(u, None).await.expect("count"), 3);
        assert_eq!(
            db.count_students(u, Some(depts[1])).await.expect("count"),
            1
        );
        let found = db
            .list_students(&StudentFilter {
                university_id: u,
                department_id: Some(depts[0]),
                search: Some("00".into()),
                limit: 10,
                offset: 0,
            })
            .await
            .expect("list");
        assert_eq!(
            found
                .iter()
                .map(|s| s.student_no.as_str())
                .collect::<Vec<_>>(),
            ["001", "003"]
        );
        assert_eq!(
            db.find_students_by_blind("blind-003")
                .await
                .expect("blind")
                .len(),
            1
        );
    }
}

#[tokio::test]
async fn campaign_status_eligibility_and_progress() {
    for (db, _g) in backends().await {
        let (u, depts) = university(&db, "10003").await;
        let rows = vec![
            student(depts[0], "001", "a"),
            student(depts[0], "002", "b"),
            student(depts[1], "003", "c"),
        ];
        db.import_students(u, &rows, &audit("roster.import"))
            .await
            .expect("import");
        let w = CampaignWrite {
            name: "2025届".into(),
            cohort: "2025".into(),
            rules_json: "{}".into(),
            modes_json: "{}".into(),
            fee_fen: 2000,
            contacts: "".into(),
        };
        let c = db
            .create_campaign(u, &w, &audit("campaign.create"))
            .await
            .expect("campaign");
        assert_eq!(c.status, "draft");
        let open = db
            .set_campaign_status(c.id, "draft", "open", &audit("campaign.open"))
            .await
            .expect("open");
        assert_eq!(open.status, "open");
        let again = db
            .set_campaign_status(c.id, "draft", "open", &audit("campaign.open"))
            .await;
        assert!(
            matches!(again, Err(DbError::Conflict(_))),
            "compare-and-set"
        );

        let students = db.all_students(u).await.expect("students");
        let v = |i: usize, verdict: &str| EligibilityWrite {
            student_id: students[i].id,
            verdict: verdict.into(),
            reason_code: "r".into(),
            reason_zh: "原因".into(),
            reason_en: "reason".into(),
        };
        db.replace_eligibility(c.id, &[v(0, "must"), v(1, "must"), v(2, "must_not")])
            .await
            .expect("verdicts");
        assert!(
            db.record_collection(c.id, students[0].id, "onsite")
                .await
                .expect("collect")
        );
        assert!(
            !db.record_collection(c.id, students[0].id, "onsite")
                .await
                .expect("collect twice"),
            "idempotent"
        );
        let p = db.campaign_progress(c.id, u, None).await.expect("progress");
        assert_eq!(p.len(), 2);
        assert_eq!(
            (
                p[0].students,
                p[0].eligible,
                p[0].collected,
                p[0].missing,
                p[0].exempt
            ),
            (2, 2, 1, 1, 0)
        );
        assert_eq!((p[1].students, p[1].eligible, p[1].exempt), (1, 0, 1));
        let only = db
            .campaign_progress(c.id, u, Some(depts[1]))
            .await
            .expect("one dept");
        assert_eq!(only.len(), 1);
        let missing = db
            .campaign_students(c.id, u, None, Some("must"), true)
            .await
            .expect("missing");
        assert_eq!(
            missing
                .iter()
                .map(|r| r.student.student_no.as_str())
                .collect::<Vec<_>>(),
            ["002"]
        );
        let all = db
            .campaign_students(c.id, u, Some(depts[0]), None, false)
            .await
            .expect("all");
        assert_eq!(all.len(), 2);
        assert!(all[0].collected && !all[1].collected);
        // Re-evaluation replaces, never duplicates.
        db.replace_eligibility(c.id, &[v(0, "need_not")])
            .await
            .expect("replace");
        let p = db.campaign_progress(c.id, u, None).await.expect("progress");
        assert_eq!((p[0].eligible, p[0].exempt), (0, 1));
    }
}

fn job(key: Option<&str>, run_at: i64, max: i64) -> NewJob {
    NewJob {
        kind: "test".into(),
        payload: "{}".into(),
        dedupe_key: key.map(String::from),
        run_at,
        max_attempts: max,
    }
}

#[tokio::test]
async fn job_queue_claims_leases_and_retries() {
    for (db, _g) in backends().await {
        let now = now_ms();
        let a = db
            .enqueue_job(&job(Some("k"), now, 2))
            .await
            .expect("enqueue");
        assert!(a.is_some());
        assert!(
            db.enqueue_job(&job(Some("k"), now, 2))
                .await
                .expect("dedupe")
                .is_none(),
            "deduplicated while queued"
        );
        db.enqueue_job(&job(None, now + 3_600_000, 2))
            .await
            .expect("future job");

        let j = db
            .claim_job(now, 1_000)
            .await
            .expect("claim")
            .expect("a job");
        assert_eq!(
            (j.id, j.attempts, j.status.as_str()),
            (a.unwrap_or_default(), 1, "running")
        );
        assert!(
            db.claim_job(now, 1_000).await.expect("claim").is_none(),
            "leased and future jobs are not claimable"
        );
        // The lease runs out: another worker takes it over; the first may not complete it.
        let j2 = db
            .claim_job(now + 2_000, 1_000)
            .await
            .expect("claim")
            .expect("expired lease");
        assert_eq!((j2.id, j2.attempts), (j.id, 2));
        assert!(
            !db.complete_job(j.id, j.attempts)
                .await
                .expect("stale complete")
        );
        db.fail_job(j2.id, j2.attempts, "boom", now)
            .await
            .expect("fail");
        assert_eq!(
            db.get_job(j.id).await.expect("job").status,
            "failed",
            "attempts used up"
        );
        assert!(
            db.enqueue_job(&job(Some("k"), now, 2))
                .await
                .expect("requeue")
                .is_some(),
            "dedupe only while active"
        );

        let k = db
            .claim_job(now + 5_000, 1_000)
            .await
            .expect("claim")
            .expect("job");
        db.fail_job(k.id, k.attempts, "transient", now + 10_000)
            .await
            .expect("fail");
        assert_eq!(db.get_job(k.id).await.expect("job").status, "queued");
        assert!(
            db.claim_job(now + 5_000, 1_000)
                .await
                .expect("claim")
                .is_none(),
            "backoff respected"
        );
        let k2 = db
            .claim_job(now + 10_000, 1_000)
            .await
            .expect("claim")
            .expect("retry");
        assert!(db.complete_job(k2.id, k2.attempts).await.expect("complete"));
        let counts = db.job_counts().await.expect("counts");
        assert_eq!(
            (counts.queued, counts.running, counts.done, counts.failed),
            (1, 0, 1, 1)
        );
    }
}

#[tokio::test]
async fn concurrent_claims_never_hand_out_a_job_twice() {
    for (db, _g) in backends().await {
        let now = now_ms();
        for _ in 0..40 {
            db.enqueue_job(&job(None, now, 3)).await.expect("enqueue");
        }
        let mut handles = Vec::new();
        for _ in 0..4 {
            let db = db.clone();
            handles.push(tokio::spawn(async move {
                let mut got = Vec::new();
                while let Some(j) = db.claim_job(now_ms(), 60_000).await.expect("claim") {
                    got.push(j.id);
                }
                got
            }));
        }
        let mut all = Vec::new();
        for h in handles {
            all.extend(h.await.expect("join"));
        }
        let n = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!((n, all.len()), (40, 40));
    }
}

fn reg_student(no: &str, person: &str) -> gradphoto_db::registry::RegStudentWrite {
    gradphoto_db::registry::RegStudentWrite {
        enrolment_id: no.into(),
        level: "bachelor".into(),
        expected_graduation: "2027-06".into(),
        department: "数学科学学院".into(),
        name_masked: "张*".into(),
        id_masked: "1101**********0011".into(),
        person_hash: person.into(),
        name_hash: "n".into(),
    }
}

#[tokio::test]
async fn registry_keyring_codes_and_idempotent_photos() {
    use gradphoto_db::registry::NewRegPhoto;
    for (db, _dir) in backends().await {
        // One key ring, whoever stores first; rotation only over the ring it read.
        assert_eq!(db.registry_keyring().await.expect("read"), None);
        assert_eq!(
            db.registry_init_keyring(b"first").await.expect("init"),
            b"first"
        );
        assert_eq!(
            db.registry_init_keyring(b"second").await.expect("init"),
            b"first"
        );
        assert!(matches!(
            db.registry_replace_keyring(b"stale", b"x").await,
            Err(DbError::Conflict(_))
        ));
        db.registry_replace_keyring(b"first", b"rotated")
            .await
            .expect("rotate");
        assert_eq!(
            db.registry_keyring().await.expect("read").as_deref(),
            Some(&b"rotated"[..])
        );

        // Clients: a new token replaces the old one.
        let c = db
            .registry_put_client("测试大学", "school", Some("10001"), "h1")
            .await
            .expect("client");
        let c2 = db
            .registry_put_client("测试大学", "school", Some("10001"), "h2")
            .await
            .expect("client");
        assert_eq!(c.id, c2.id);
        assert!(
            db.registry_client_by_token("h1")
                .await
                .expect("q")
                .is_none()
        );
        assert_eq!(
            db.registry_client_by_token("h2")
                .await
                .expect("q")
                .map(|c| c.id),
            Some(c.id)
        );

        // Reports match by enrolment id.
        let n = db
            .registry_report_students("10001", &[reg_student("S1", "p1"), reg_student("S2", "p2")])
            .await
            .expect("report");
        assert_eq!((n.inserted, n.updated, n.unchanged), (2, 0, 0));
        let mut changed = reg_student("S1", "p1");
        changed.department = "物理学院".into();
        let n = db
            .registry_report_students("10001", &[changed, reg_student("S2", "p2")])
            .await
            .expect("report");
        assert_eq!((n.inserted, n.updated, n.unchanged), (0, 1, 1));
        let s1 = db
            .registry_student_by_enrolment("10001", "S1")
            .await
            .expect("q")
            .expect("S1");
        assert_eq!(s1.department, "物理学院");
        assert_eq!(
            db.registry_students_of_person("10001", "p1")
                .await
                .expect("q")
                .len(),
            1
        );
        assert!(
            db.registry_students_of_person("10002", "p1")
                .await
                .expect("q")
                .is_empty()
        );

        // One live code per enrolment; re-issuing revokes the old one.
        db.registry_insert_code("A", s1.id, "sig-1", "GPC1.a", false)
            .await
            .expect("code");
        assert!(matches!(
            db.registry_insert_code("B", s1.id, "sig-1", "GPC1.b", false)
                .await,
            Err(DbError::Conflict(_))
        ));
        db.registry_insert_code("B", s1.id, "sig-1", "GPC1.b", true)
            .await
            .expect("reissue");
        assert_eq!(
            db.registry_live_code(s1.id).await.expect("q").map(|c| c.id),
            Some("B".into())
        );
        assert!(
            db.registry_code("A")
                .await
                .expect("q")
                .is_some_and(|c| c.revoked_at.is_some())
        );
        assert_eq!(
            db.registry_revoked_code_ids().await.expect("q"),
            vec!["A".to_string()]
        );

        // Idempotency: one record per client and key.
        let sub = NewRegPhoto {
            student_id: Some(s1.id),
            person_hash: "p1".into(),
            kind: "graduation".into(),
            code_id: Some("B".into()),
            client_id: Some(c.id),
            idempotency_key: Some("k1".into()),
            verdict: "accepted".into(),
            reasons_json: "[]".into(),
            ..Default::default()
        };
        let first = db.registry_insert_photo(&sub).await.expect("photo");
        assert!(matches!(
            db.registry_insert_photo(&sub).await,
            Err(DbError::Conflict(_))
        ));
        assert_eq!(
            db.registry_photo_by_key(c.id, "k1")
                .await
                .expect("q")
                .map(|p| p.id),
            Some(first.id)
        );
        // Earlier photos: the admission photo counts, the enrolment's own submission not.
        db.registry_insert_photo(&NewRegPhoto {
            person_hash: "p1".into(),
            kind: "admission".into(),
            verdict: "accepted".into(),
            reasons_json: "[]".into(),
            face_hash: Some("h".into()),
            ..Default::default()
        })
        .await
        .expect("seed");
        let earlier = db.registry_earlier_photos("p1", s1.id).await.expect("q");
        assert_eq!(
            earlier.iter().map(|p| p.kind.as_str()).collect::<Vec<_>>(),
            ["admission"]
        );
        assert_eq!(db.registry_photos_of(s1.id).await.expect("q").len(), 1);
    }
}
