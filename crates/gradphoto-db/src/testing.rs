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
    match std::env::var("GRADPHOTO_TEST_DATABASE_URL") {
        Ok(admin) if !admin.is_empty() => {
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
            let db = Db::connect(&format!("{base}/{name}"), &DbOptions::default())
                .await
                .expect("postgres");
            out.push((db, None));
        }
        _ => eprintln!("PostgreSQL variant skipped: GRADPHOTO_TEST_DATABASE_URL not set"),
    }
    out
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
