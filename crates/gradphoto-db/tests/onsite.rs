//! Shooting numbers on both backends (issue 7): several desks — on PostgreSQL two
//! connection pools, as two server processes would have — scan 1,000 codes with
//! duplicates and rescans, across two queues of a session: every code has exactly one
//! number, a student never two, and each queue's numbers are exactly 1…N.

use std::collections::{BTreeMap, BTreeSet};

use gradphoto_db::onsite::NewCheckin;
use gradphoto_db::onsite_sessions::NewSession;
use gradphoto_db::{Db, DbOptions};

const STUDENTS: usize = 400;
const SCANS: usize = 1_000;
const DESKS: usize = 8;

#[tokio::test]
async fn concurrent_desks_give_each_code_one_number_and_numbers_without_gaps() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut urls = vec![format!("sqlite://{}", dir.path().join("t.db").display())];
    match gradphoto_db::testing::fresh_postgres_url().await {
        Some(url) => urls.push(url),
        None => eprintln!("PostgreSQL variant skipped: GRADPHOTO_TEST_DATABASE_URL not set"),
    }
    for url in urls {
        let db = Db::connect(&url, &DbOptions::default()).await.expect("db");
        // A second pool on the same database: another server process.
        let other = Db::connect(&url, &DbOptions::default())
            .await
            .expect("second pool");
        let (u, c) = gradphoto_db::testing::campaign_fixture(&db, "7").await;
        let students = gradphoto_db::testing::students_fixture(&db, &u, STUDENTS).await;
        let session = db
            .create_onsite_session(&NewSession {
                campaign_id: c.id,
                campus: "泉州校区",
                place: "新太阳学生活动中心105",
                day: "2027-04-20",
                starts: "09:30",
                ends: "12:00",
                capacity: 500,
                in_service_open: false,
            })
            .await
            .expect("session");
        let q1 = db
            .create_onsite_queue(session.id, "A")
            .await
            .expect("queue");
        let q2 = db
            .create_onsite_queue(session.id, "B")
            .await
            .expect("queue");
        // 1,000 scans of 400 codes (each at least twice: duplicates and rescans), shuffled
        // by a fixed stride, split among eight desks on the two pools and both queues.
        let scans: Vec<usize> = (0..SCANS).map(|i| (i * 7919) % STUDENTS).collect();
        let tasks: Vec<_> = (0..DESKS)
            .map(|desk| {
                let db = if desk % 2 == 0 {
                    db.clone()
                } else {
                    other.clone()
                };
                let queue = if desk % 4 < 2 { q1.id } else { q2.id };
                let mine: Vec<(usize, i64)> = scans
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| i % DESKS == desk)
                    .map(|(_, s)| (*s, students[*s]))
                    .collect();
                let campaign = c.id;
                tokio::spawn(async move {
                    let mut got = Vec::new();
                    for (s, student) in mine {
                        let code_id = format!("code-{s}");
                        let (row, _) = db
                            .onsite_check_in(&NewCheckin {
                                campaign_id: campaign,
                                queue_id: queue,
                                code_id: &code_id,
                                code_text: &format!("GPC1.{code_id}"),
                                student_id: student,
                                desk: &format!("desk-{desk}"),
                            })
                            .await
                            .expect("checked in");
                        got.push((code_id, row.queue_id, row.number));
                    }
                    got
                })
            })
            .collect();
        let mut answers: BTreeMap<String, BTreeSet<(i64, i64)>> = BTreeMap::new();
        for t in tasks {
            for (code, queue, number) in t.await.expect("desk") {
                answers.entry(code).or_default().insert((queue, number));
            }
        }
        assert_eq!(answers.len(), STUDENTS, "every code was numbered");
        for (code, got) in &answers {
            assert_eq!(got.len(), 1, "{code} was given {got:?}");
        }
        let mut total = 0;
        for q in [q1.id, q2.id] {
            let rows = db.onsite_queue_checkins(q).await.expect("rows");
            let numbers: Vec<i64> = rows.iter().map(|r| r.number).collect();
            let expected: Vec<i64> = (1..=i64::try_from(rows.len()).expect("n")).collect();
            assert_eq!(numbers, expected, "queue {q}: 1..N with no gap");
            let queue = db.onsite_queue(q).await.expect("queue");
            assert_eq!(queue.last_number, i64::try_from(rows.len()).expect("n"));
            total += rows.len();
        }
        assert_eq!(total, STUDENTS, "one check-in per student");

        // A rescan returns the same number; a re-issued code of the same student does not
        // get a second one.
        let (again, fresh) = db
            .onsite_check_in(&NewCheckin {
                campaign_id: c.id,
                queue_id: q2.id,
                code_id: "code-0",
                code_text: "GPC1.code-0",
                student_id: students[0],
                desk: "desk-x",
            })
            .await
            .expect("rescan");
        assert!(!fresh);
        assert_eq!(
            Some(&(again.queue_id, again.number)),
            answers["code-0"].iter().next()
        );
        let (same, fresh) = db
            .onsite_check_in(&NewCheckin {
                campaign_id: c.id,
                queue_id: q2.id,
                code_id: "code-0-reissued",
                code_text: "GPC1.code-0-reissued",
                student_id: students[0],
                desk: "desk-x",
            })
            .await
            .expect("reissued");
        assert!(!fresh);
        assert_eq!(same.id, again.id);
    }
}

#[tokio::test]
async fn a_session_never_holds_more_than_its_capacity_and_a_student_registers_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut urls = vec![format!("sqlite://{}", dir.path().join("r.db").display())];
    match gradphoto_db::testing::fresh_postgres_url().await {
        Some(url) => urls.push(url),
        None => eprintln!("PostgreSQL variant skipped: GRADPHOTO_TEST_DATABASE_URL not set"),
    }
    for url in urls {
        let db = Db::connect(&url, &DbOptions::default()).await.expect("db");
        let other = Db::connect(&url, &DbOptions::default())
            .await
            .expect("second pool");
        let (u, c) = gradphoto_db::testing::campaign_fixture(&db, "8").await;
        let students = gradphoto_db::testing::students_fixture(&db, &u, 200).await;
        let new_session = |capacity| NewSession {
            campaign_id: c.id,
            campus: "厦门校区",
            place: "106",
            day: "2027-04-21",
            starts: "13:00",
            ends: "17:30",
            capacity,
            in_service_open: false,
        };
        let small = db.create_onsite_session(&new_session(20)).await.expect("s");
        let big = db
            .create_onsite_session(&new_session(500))
            .await
            .expect("s");

        // 200 students try for 20 places at once, from two pools.
        let tasks: Vec<_> = students
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let db = if i % 2 == 0 {
                    db.clone()
                } else {
                    other.clone()
                };
                let (campaign, session, student) = (c.id, small.id, *s);
                tokio::spawn(async move {
                    db.register_for_session(campaign, session, &[student], "secretary")
                        .await
                        .expect("db")
                        .is_ok()
                })
            })
            .collect();
        let mut won = 0;
        for t in tasks {
            if t.await.expect("task") {
                won += 1;
            }
        }
        assert_eq!(won, 20, "exactly the capacity");
        let registered = db.session_registrations(small.id).await.expect("list");
        assert_eq!(registered.len(), 20);

        // Once per campaign: a registered student cannot be put in another session, and
        // the whole batch that names them is refused.
        let first = registered[0].student_id;
        let free: Vec<i64> = students
            .iter()
            .copied()
            .filter(|s| !registered.iter().any(|r| r.student_id == *s))
            .take(3)
            .collect();
        let refused = db
            .register_for_session(c.id, big.id, &[free[0], first], "secretary")
            .await
            .expect("db");
        assert_eq!(
            refused,
            Err(
                gradphoto_db::onsite_registrations::RegisterRefusal::AlreadyRegistered(vec![first])
            )
        );
        assert!(
            db.registration_of(c.id, free[0])
                .await
                .expect("db")
                .is_none(),
            "all or nothing"
        );

        // A batch larger than what is left is refused whole, with what is free.
        let tiny = db.create_onsite_session(&new_session(2)).await.expect("s");
        let refused = db
            .register_for_session(c.id, tiny.id, &free, "secretary")
            .await
            .expect("db");
        assert_eq!(
            refused,
            Err(gradphoto_db::onsite_registrations::RegisterRefusal::Full { free: 2 })
        );
        assert!(
            db.session_registrations(tiny.id)
                .await
                .expect("db")
                .is_empty()
        );
        let ok = db
            .register_for_session(c.id, tiny.id, &free[..2], "secretary")
            .await
            .expect("db")
            .expect("fits");
        assert_eq!(ok.len(), 2);
    }
}

/// The station's steps and a department's settlement on both backends: a photo binds only
/// to the number at the camera, confirming needs the photo shown, and two admins marking
/// the same department paid at once (from two pools) settle each check-in exactly once.
#[tokio::test]
async fn station_steps_and_settlements_hold_under_concurrency() {
    use gradphoto_db::onsite_settlements::{NewSettlement, SettleRefusal};
    use gradphoto_db::onsite_station::{NewOnsitePhoto, StationRefusal};
    let dir = tempfile::tempdir().expect("tempdir");
    let mut urls = vec![format!("sqlite://{}", dir.path().join("s.db").display())];
    match gradphoto_db::testing::fresh_postgres_url().await {
        Some(url) => urls.push(url),
        None => eprintln!("PostgreSQL variant skipped: GRADPHOTO_TEST_DATABASE_URL not set"),
    }
    for url in urls {
        let db = Db::connect(&url, &DbOptions::default()).await.expect("db");
        let other = Db::connect(&url, &DbOptions::default())
            .await
            .expect("pool");
        let (u, c) = gradphoto_db::testing::campaign_fixture(&db, "8").await;
        let students = gradphoto_db::testing::students_fixture(&db, &u, 4).await;
        let (session, queues) = db
            .create_onsite_session_with_queues(
                &NewSession {
                    campaign_id: c.id,
                    campus: "厦门校区",
                    place: "图书馆",
                    day: "2027-04-21",
                    starts: "09:30",
                    ends: "12:00",
                    capacity: 10,
                    in_service_open: false,
                },
                &["1".to_string()],
            )
            .await
            .expect("session");
        assert_eq!(session.capacity, 10);
        let q = queues[0].id;
        for (i, s) in students.iter().enumerate() {
            db.onsite_check_in(&NewCheckin {
                campaign_id: c.id,
                queue_id: q,
                code_id: &format!("c{i}"),
                code_text: &format!("GPC1.c{i}"),
                student_id: *s,
                desk: "d",
            })
            .await
            .expect("numbered");
        }
        let photo = |key: &'static str| NewOnsitePhoto {
            verdict: "accept",
            reasons_json: "[]",
            original_key: key,
            standard_key: key,
            background: "blue",
            source: "upload",
            taken_by: "t",
        };
        // Nobody called yet: a photo for 1 is refused.
        assert_eq!(
            db.bind_station_photo(q, 1, &photo("a")).await.expect("db"),
            Err(StationRefusal::NotCurrent(None))
        );
        // Confirm numbers 1..3, each through call, photo, confirmation.
        for n in 1..=3 {
            let called = db.call_next(q).await.expect("db").expect("called");
            assert_eq!(called.number, n);
            assert_eq!(
                db.bind_station_photo(q, n + 1, &photo("x"))
                    .await
                    .expect("db"),
                Err(StationRefusal::NotCurrent(Some(n))),
                "never to another number"
            );
            let (row, p) = db
                .bind_station_photo(q, n, &photo("p"))
                .await
                .expect("db")
                .expect("bound");
            assert_eq!(row.photo_id, Some(p.id));
            assert_eq!(
                db.confirm_station_photo(q, n, p.id + 100)
                    .await
                    .expect("db"),
                Err(StationRefusal::NoSuchPhoto)
            );
            db.confirm_station_photo(q, n, p.id)
                .await
                .expect("db")
                .expect("confirmed");
        }
        let dept = db.list_departments(u.id).await.expect("d")[0].id;
        let confirmed: Vec<i64> = db
            .onsite_queue_checkins(q)
            .await
            .expect("q")
            .into_iter()
            .filter(|r| r.stage == "confirmed")
            .map(|r| r.id)
            .collect();
        assert_eq!(confirmed.len(), 3);
        // Shown two of the three: refused, nothing written.
        let partial = NewSettlement {
            campaign_id: c.id,
            department_id: dept,
            checkins: &confirmed[..2],
            fee_fen: 2000,
            note: "",
            by: "agency",
        };
        assert_eq!(
            db.settle_department(&partial).await.expect("db"),
            Err(SettleRefusal::Changed(3))
        );
        // Two admins at once, from two pools: exactly one settles.
        let shown = confirmed.clone();
        let tasks: Vec<_> = [db.clone(), other.clone()]
            .into_iter()
            .map(|d| {
                let shown = shown.clone();
                let campaign = c.id;
                tokio::spawn(async move {
                    d.settle_department(&NewSettlement {
                        campaign_id: campaign,
                        department_id: dept,
                        checkins: &shown,
                        fee_fen: 2000,
                        note: "班长代收",
                        by: "agency",
                    })
                    .await
                    .expect("db")
                })
            })
            .collect();
        let mut ok = Vec::new();
        for t in tasks {
            if let Ok(row) = t.await.expect("task") {
                ok.push(row);
            }
        }
        assert_eq!(ok.len(), 1, "settled once");
        assert_eq!((ok[0].students, ok[0].amount_fen), (3, 6000));
        assert_eq!(db.campaign_settlements(c.id).await.expect("q").len(), 1);
        let settled = db
            .onsite_queue_checkins(q)
            .await
            .expect("q")
            .into_iter()
            .filter(|r| r.settlement_id == Some(ok[0].id))
            .count();
        assert_eq!(settled, 3);

        // A confirmed number handed over but not yet sent, then reopened for a retake:
        // its photo is withdrawn from the outbox (never sent), a sent one is left alone.
        let (first, second) = (confirmed[0], confirmed[1]);
        let mut rows = Vec::new();
        for id in [first, second] {
            assert!(db.claim_checkin_for_registry(id).await.expect("claim"));
            let out = db
                .insert_outbox("CODE", &format!("code-{id}"), "k", "blue", "onsite")
                .await
                .expect("outbox");
            db.set_checkin_outbox(id, Some(out.id))
                .await
                .expect("bound");
            rows.push(out.id);
        }
        assert!(
            db.outbox_finish(rows[1], "answered", Some("accepted"), "{}")
                .await
                .expect("sent")
        );
        for id in [first, second] {
            let again = db.reopen_checkin(id).await.expect("db").expect("reopened");
            assert_eq!((again.stage.as_str(), again.outbox_id), ("waiting", None));
        }
        assert_eq!(db.outbox(rows[0]).await.expect("row").status, "withdrawn");
        assert_eq!(db.outbox(rows[1]).await.expect("row").status, "answered");
        assert!(
            db.pending_outbox(10)
                .await
                .expect("pending")
                .iter()
                .all(|o| o.id != rows[0])
        );
    }
}
