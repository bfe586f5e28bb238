//! Fresh databases for the tests of this crate and the crates above it: a temporary
//! SQLite file always, and a new PostgreSQL database when `GRADPHOTO_TEST_DATABASE_URL`
//! names a server (skipped with a message otherwise). Not used by the product.

use crate::{Db, DbOptions, now_ms};

/// One fresh database per backend. The `TempDir` keeps the SQLite file alive.
pub async fn fresh_databases() -> Vec<(Db, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let mut out = vec![(
        Db::connect(&url, &DbOptions::default())
            .await
            .expect("sqlite"),
        Some(dir),
    )];
    match fresh_postgres_url().await {
        Some(url) => {
            let db = Db::connect(&url, &DbOptions::default())
                .await
                .expect("postgres");
            out.push((db, None));
        }
        None => eprintln!("PostgreSQL variant skipped: GRADPHOTO_TEST_DATABASE_URL not set"),
    }
    out
}

/// The URL of a new, empty PostgreSQL database on the server `GRADPHOTO_TEST_DATABASE_URL`
/// names; `None` when it names none.
pub async fn fresh_postgres_url() -> Option<String> {
    let admin = std::env::var("GRADPHOTO_TEST_DATABASE_URL")
        .ok()
        .filter(|s| !s.is_empty())?;
    let name = format!("gp_db_{}", unique());
    let Db::Postgres(p) = Db::connect(&admin, &DbOptions::default())
        .await
        .expect("postgres admin")
    else {
        panic!("GRADPHOTO_TEST_DATABASE_URL must be a postgres:// URL");
    };
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&p)
        .await
        .expect("create db");
    p.close().await;
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
    Some(format!("{base}/{name}"))
}

/// A pending order of 20 yuan, for a new student of a new university (`n` keeps several
/// apart in one database), with one payment `out_trade_no` of `provider`. Returns the
/// order's id.
/// A university (code `9{n}`, one department) with an open campaign; (university,
/// campaign).
pub async fn campaign_fixture(
    db: &Db,
    n: &str,
) -> (
    crate::universities::UniversityRow,
    crate::campaigns::CampaignRow,
) {
    let u = db
        .create_university(&crate::universities::NewUniversity {
            code: &format!("9{n}"),
            name_zh: "测试大学",
            name_en: "Test University",
            departments: &[("学院".into(), None)],
            campuses: &[],
        })
        .await
        .expect("university");
    let audit = crate::audit::NewAudit {
        actor_id: None,
        actor_name: "test".into(),
        action: "campaign.create".into(),
        target_kind: "campaign".into(),
        target_id: None,
        university_id: Some(u.id),
        before: None,
        after: None,
        ip: None,
    };
    let c = db
        .create_campaign(
            u.id,
            &crate::campaigns::CampaignWrite {
                name: "c".into(),
                cohort: "2027".into(),
                rules_json: "{}".into(),
                modes_json: "{}".into(),
                fee_fen: 2000,
                contacts: String::new(),
            },
            &audit,
        )
        .await
        .expect("campaign");
    // Open, as a campaign is while its desks number students.
    let c = db
        .set_campaign_status(c.id, "draft", "open", &audit)
        .await
        .expect("campaign opened");
    (u, c)
}

/// `count` students of the fixture university `u` (numbers `S0000`…), written as an
/// import would; their ids in order.
pub async fn students_fixture(
    db: &Db,
    u: &crate::universities::UniversityRow,
    count: usize,
) -> Vec<i64> {
    let dept = db
        .list_departments(u.id)
        .await
        .expect("departments")
        .first()
        .expect("a department")
        .id;
    let rows: Vec<crate::students::StudentWrite> = (0..count)
        .map(|i| crate::students::StudentWrite {
            department_id: dept,
            student_no: format!("S{i:04}"),
            name: format!("学生{i}"),
            id_type: "resident".into(),
            id_enc: vec![0; 4],
            id_blind: format!("blind-{}-{i}", u.code),
            id_masked: "1101**********0000".into(),
            level: "bachelor".into(),
            cert_type: "graduation".into(),
            grad_kind: "graduate".into(),
            expected_graduation: "2027-06".into(),
            overseas_class: false,
            master_to_phd: false,
            delayed: false,
            early_graduation_pending: false,
            prior_date: None,
            prior_level: None,
            campus: None,
            major: None,
            in_service: false,
            content_hash: format!("h{i}"),
        })
        .collect();
    let audit = crate::audit::NewAudit {
        actor_name: "test".into(),
        action: "roster.import".into(),
        target_kind: "roster".into(),
        university_id: Some(u.id),
        ..Default::default()
    };
    db.import_students(u.id, &rows, &audit)
        .await
        .expect("import");
    db.all_students(u.id)
        .await
        .expect("students")
        .into_iter()
        .map(|s| s.id)
        .collect()
}

pub async fn order_fixture(db: &Db, n: &str, provider: &str, out_trade_no: &str) -> i64 {
    let (_, c) = campaign_fixture(db, n).await;
    let phone = format!("1380000{n:0>4}");
    let account = db
        .student_login(&phone, &[], "10.0.0.1", &format!("t{n}"), 60_000)
        .await
        .expect("account");
    let entry = db
        .choose_online_campaign(account.id, c.id)
        .await
        .expect("entry");
    let order = db
        .create_order(&format!("GP{n}"), account.id, entry.id, 2000, &phone)
        .await
        .expect("order");
    db.create_payment(order.id, provider, out_trade_no, 2000)
        .await
        .expect("payment");
    order.id
}

/// The events of an order's ledger, in order.
pub async fn ledger_events(db: &Db, order_id: i64) -> Vec<String> {
    db.order_ledger(order_id)
        .await
        .expect("ledger")
        .into_iter()
        .map(|l| l.event)
        .collect()
}

/// A name no other test process or call uses.
fn unique() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}_{}_{}",
        std::process::id(),
        now_ms(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Runs one statement as it is written: for tests that put the store where the product
/// never would (a photo accepted yesterday, in a demo server's own database).
pub async fn exec(db: &Db, sql: &str) -> Result<u64, crate::DbError> {
    Ok(match db {
        Db::Sqlite(s) => sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&s.pool)
            .await?
            .rows_affected(),
        Db::Postgres(p) => sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(p)
            .await?
            .rows_affected(),
    })
}
