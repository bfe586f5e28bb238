//! Make-up bookings on both backends (issue 8): 200 concurrent bookings for 20 places — on
//! PostgreSQL from two connection pools, as two server processes would have — take exactly
//! 20 places and never two for one student; cancelling gives a place back, moving takes the
//! new one before giving the old one back, and a booking ends only once.

use std::collections::BTreeSet;

use gradphoto_db::branches::{BranchWrite, ServiceWrite};
use gradphoto_db::makeup_bookings::{BookRefusal, NewBooking};
use gradphoto_db::{Db, DbOptions};

const STUDENTS: usize = 150;
const ATTEMPTS: usize = 200;
/// Two slots of ten places.
const CAPACITY: i64 = 10;
const SLOTS: [&str; 2] = ["09:00", "09:30"];

fn service() -> ServiceWrite {
    ServiceWrite {
        name_zh: "普通".into(),
        name_en: "Ordinary".into(),
        place: "体育场路497-3".into(),
        price_fen: 5000,
        open_days: "working_days".into(),
        windows: "09:00-11:30, 13:30-16:30".into(),
        slot_minutes: 30,
        slot_capacity: CAPACITY,
        cutoff_minutes: 120,
        days_ahead: 14,
        payment: "at_branch".into(),
        choose_shots: false,
        active: true,
    }
}

fn booking(
    code: String,
    campaign: i64,
    student: i64,
    account: i64,
    service: i64,
    starts: &str,
) -> NewBooking {
    NewBooking {
        code,
        campaign_id: campaign,
        student_id: student,
        account_id: account,
        service_id: service,
        day: "2027-05-20".into(),
        starts: starts.into(),
        ends: String::new(),
        price_fen: 5000,
        order: None,
    }
}

#[tokio::test]
async fn concurrent_bookings_never_pass_capacity_or_book_a_student_twice() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut urls = vec![format!("sqlite://{}", dir.path().join("t.db").display())];
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
        let students = gradphoto_db::testing::students_fixture(&db, &u, STUDENTS).await;
        let account = db
            .student_login("13800008888", &[], "10.0.0.1", "t8", 60_000)
            .await
            .expect("account");
        let branch = db
            .create_branch(&BranchWrite {
                name: "体育场路门市部".into(),
                city: "杭州".into(),
                address: "体育场路497号".into(),
                phone: "0571-0000000".into(),
                active: true,
            })
            .await
            .expect("branch");
        let svc = db
            .create_service(branch.id, &service())
            .await
            .expect("service");

        // 200 attempts by 150 students (50 try twice, in the other slot), alternating
        // between the two pools.
        let tasks: Vec<_> = (0..ATTEMPTS)
            .map(|i| {
                let db = if i % 2 == 0 {
                    db.clone()
                } else {
                    other.clone()
                };
                let b = booking(
                    format!("B{i:04}"),
                    c.id,
                    students[i % STUDENTS],
                    account.id,
                    svc.id,
                    SLOTS[(i / STUDENTS + i) % 2],
                );
                tokio::spawn(async move { db.book_slot(&b, CAPACITY).await })
            })
            .collect();
        let (mut booked, mut full, mut twice) = (Vec::new(), 0, 0);
        for t in tasks {
            match t.await.expect("task").expect("no storage error") {
                Ok(row) => booked.push(row),
                Err(BookRefusal::Full) => full += 1,
                Err(BookRefusal::AlreadyBooked(_)) => twice += 1,
                Err(BookRefusal::NotLive) => panic!("a new booking cannot be not live"),
            }
        }
        assert_eq!(booked.len(), 20, "{url}: exactly the 20 places");
        assert_eq!(booked.len() + full + twice, ATTEMPTS);
        let distinct: BTreeSet<i64> = booked.iter().map(|b| b.student_id).collect();
        assert_eq!(distinct.len(), 20, "{url}: no student twice");
        for s in SLOTS {
            assert_eq!(
                db.live_in_slot(svc.id, "2027-05-20", s)
                    .await
                    .expect("count"),
                CAPACITY
            );
        }
        let counts = db
            .slot_counts(svc.id, "2027-05-20", "2027-05-20")
            .await
            .expect("counts");
        assert_eq!(
            counts.iter().map(|c| c.booked).collect::<Vec<_>>(),
            [CAPACITY, CAPACITY]
        );

        // Cancel one: its place is free again and the student may book anew; a second
        // cancel changes nothing.
        let gone = &booked[0];
        let ended = db
            .end_booking(gone.id, "cancelled", "student")
            .await
            .expect("cancel");
        assert_eq!(ended.map(|b| b.status), Some("cancelled".to_string()));
        assert_eq!(
            db.end_booking(gone.id, "cancelled", "student")
                .await
                .expect("again"),
            None
        );
        assert_eq!(
            db.live_in_slot(svc.id, "2027-05-20", &gone.starts)
                .await
                .expect("n"),
            CAPACITY - 1
        );
        let again = booking(
            "B-again".into(),
            c.id,
            gone.student_id,
            account.id,
            svc.id,
            &gone.starts,
        );
        let rebooked = db
            .book_slot(&again, CAPACITY)
            .await
            .expect("db")
            .expect("rebooked");
        assert_eq!(rebooked.status, "booked");
        let twice = booking(
            "B-twice".into(),
            c.id,
            gone.student_id,
            account.id,
            svc.id,
            "10:00",
        );
        match db.book_slot(&twice, CAPACITY).await.expect("db") {
            Err(BookRefusal::AlreadyBooked(live)) => assert_eq!(live.id, rebooked.id),
            other => panic!("a second booking must be refused: {other:?}"),
        }

        // Moving into a full slot is refused and changes nothing; into a free one it moves.
        let other_slot = if rebooked.starts == SLOTS[0] {
            SLOTS[1]
        } else {
            SLOTS[0]
        };
        let refused = db
            .move_booking(rebooked.id, "2027-05-20", other_slot, "", CAPACITY)
            .await
            .expect("db");
        assert_eq!(refused, Err(BookRefusal::Full));
        let moved = db
            .move_booking(rebooked.id, "2027-05-21", "13:30", "14:00", CAPACITY)
            .await
            .expect("db")
            .expect("moved");
        assert_eq!(
            (moved.day.as_str(), moved.starts.as_str()),
            ("2027-05-21", "13:30")
        );
        assert_eq!(
            db.live_in_slot(svc.id, "2027-05-20", &rebooked.starts)
                .await
                .expect("n"),
            CAPACITY - 1
        );
        let counts = db
            .slot_counts(svc.id, "2027-05-20", "2027-05-21")
            .await
            .expect("counts");
        assert_eq!(counts.iter().map(|c| c.booked).sum::<i64>(), 20);

        // Attending keeps the place and ends the booking's changes; a no-show gives it back.
        let came = db
            .end_booking(booked[1].id, "attended", "branch")
            .await
            .expect("db")
            .expect("came");
        assert_eq!(came.status, "attended");
        assert_eq!(
            db.move_booking(came.id, "2027-05-22", "09:00", "09:30", CAPACITY)
                .await
                .expect("db"),
            Err(BookRefusal::NotLive)
        );
        db.end_booking(booked[2].id, "no_show", "branch")
            .await
            .expect("db")
            .expect("absent");
        let day = db
            .branch_day_bookings(branch.id, "2027-05-20")
            .await
            .expect("day list");
        assert_eq!(
            day.len(),
            19,
            "cancelled and moved bookings are not expected that day"
        );
        assert!(
            day.windows(2).all(|w| w[0].starts <= w[1].starts),
            "by time"
        );
        assert_eq!(
            db.account_bookings(account.id).await.expect("mine").len(),
            21
        );
    }
}

/// Two students moving into each other's slots at the same moment, over and over, from two
/// pools: every move succeeds (no deadlock on PostgreSQL) and the counts stay those of the
/// bookings.
#[tokio::test]
async fn crossing_moves_neither_deadlock_nor_drift() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut urls = vec![format!("sqlite://{}", dir.path().join("t.db").display())];
    if let Some(url) = gradphoto_db::testing::fresh_postgres_url().await {
        urls.push(url);
    }
    for url in urls {
        let db = Db::connect(&url, &DbOptions::default()).await.expect("db");
        let other = Db::connect(&url, &DbOptions::default())
            .await
            .expect("second pool");
        let (u, c) = gradphoto_db::testing::campaign_fixture(&db, "9").await;
        let students = gradphoto_db::testing::students_fixture(&db, &u, 2).await;
        let account = db
            .student_login("13800009999", &[], "10.0.0.1", "t9", 60_000)
            .await
            .expect("account");
        let branch = db
            .create_branch(&BranchWrite {
                name: "交叉网点".into(),
                city: "北京".into(),
                address: "x".into(),
                phone: String::new(),
                active: true,
            })
            .await
            .expect("branch");
        let svc = db
            .create_service(branch.id, &service())
            .await
            .expect("service");
        let a = db
            .book_slot(
                &booking(
                    "BX-A".into(),
                    c.id,
                    students[0],
                    account.id,
                    svc.id,
                    SLOTS[0],
                ),
                2,
            )
            .await
            .expect("db")
            .expect("a");
        let b = db
            .book_slot(
                &booking(
                    "BX-B".into(),
                    c.id,
                    students[1],
                    account.id,
                    svc.id,
                    SLOTS[1],
                ),
                2,
            )
            .await
            .expect("db")
            .expect("b");
        for round in 0..20 {
            let (to_a, to_b) = if round % 2 == 0 {
                (SLOTS[1], SLOTS[0])
            } else {
                (SLOTS[0], SLOTS[1])
            };
            let (d1, d2) = (db.clone(), other.clone());
            let ta =
                tokio::spawn(async move { d1.move_booking(a.id, "2027-05-20", to_a, "", 2).await });
            let tb =
                tokio::spawn(async move { d2.move_booking(b.id, "2027-05-20", to_b, "", 2).await });
            ta.await
                .expect("task")
                .expect("no deadlock")
                .expect("moved");
            tb.await
                .expect("task")
                .expect("no deadlock")
                .expect("moved");
        }
        for s in SLOTS {
            assert_eq!(
                db.live_in_slot(svc.id, "2027-05-20", s).await.expect("n"),
                1
            );
        }
        let counts = db
            .slot_counts(svc.id, "2027-05-20", "2027-05-20")
            .await
            .expect("counts");
        assert_eq!(counts.iter().map(|c| c.booked).collect::<Vec<_>>(), [1, 1]);
    }
}

#[tokio::test]
async fn a_year_of_the_public_calendar_is_replaced_all_at_once() {
    for (db, _dir) in gradphoto_db::testing::fresh_databases().await {
        let official = db.public_days().await.expect("days");
        assert!(
            official
                .iter()
                .any(|d| d.day == "2026-10-01" && d.kind == "holiday"),
            "loaded by the migration"
        );
        assert!(
            official
                .iter()
                .any(|d| d.day == "2026-10-10" && d.kind == "workday")
        );
        let days = vec![
            (
                "2027-01-01".to_string(),
                "holiday".to_string(),
                "元旦".to_string(),
            ),
            (
                "2027-02-06".to_string(),
                "workday".to_string(),
                "春节".to_string(),
            ),
        ];
        db.replace_public_year(2027, &days, "admin")
            .await
            .expect("2027");
        db.replace_public_year(2027, &days[..1], "admin")
            .await
            .expect("again");
        let all = db.public_days().await.expect("days");
        let y2027: Vec<_> = all.iter().filter(|d| d.day.starts_with("2027")).collect();
        assert_eq!(y2027.len(), 1);
        assert_eq!(y2027[0].updated_by, "admin");
        assert_eq!(all.len(), official.len() + 1, "2026 untouched");
        let bad = vec![(
            "2027-03-01".to_string(),
            "sometimes".to_string(),
            String::new(),
        )];
        assert!(
            db.replace_public_year(2027, &bad, "admin").await.is_err(),
            "CHECK refuses it"
        );
        assert_eq!(
            db.public_days().await.expect("days").len(),
            all.len(),
            "nothing half-written"
        );
    }
}
