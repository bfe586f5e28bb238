//! A small embedded migration runner: mirrored files per backend, applied in order, each in
//! its own transaction, with a checksum so an edited migration is caught instead of
//! silently diverging. On PostgreSQL an advisory lock serialises concurrent start-ups of
//! several `serve` processes.

use sha2::{Digest, Sha256};

use crate::{Db, DbError, now_ms};

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "spine",
        sqlite: include_str!("../migrations/sqlite/0001_spine.sql"),
        postgres: include_str!("../migrations/postgres/0001_spine.sql"),
    },
    Migration {
        version: 2,
        name: "registry",
        sqlite: include_str!("../migrations/sqlite/0002_registry.sql"),
        postgres: include_str!("../migrations/postgres/0002_registry.sql"),
    },
    Migration {
        version: 3,
        name: "registry_outbox",
        sqlite: include_str!("../migrations/sqlite/0003_registry_outbox.sql"),
        postgres: include_str!("../migrations/postgres/0003_registry_outbox.sql"),
    },
    Migration {
        version: 4,
        name: "registry_sessions",
        sqlite: include_str!("../migrations/sqlite/0004_registry_sessions.sql"),
        postgres: include_str!("../migrations/postgres/0004_registry_sessions.sql"),
    },
    Migration {
        version: 5,
        name: "registry_verification",
        sqlite: include_str!("../migrations/sqlite/0005_registry_verification.sql"),
        postgres: include_str!("../migrations/postgres/0005_registry_verification.sql"),
    },
    Migration {
        version: 6,
        name: "status_reports",
        sqlite: include_str!("../migrations/sqlite/0006_status_reports.sql"),
        postgres: include_str!("../migrations/postgres/0006_status_reports.sql"),
    },
    Migration {
        version: 7,
        name: "otp",
        sqlite: include_str!("../migrations/sqlite/0007_otp.sql"),
        postgres: include_str!("../migrations/postgres/0007_otp.sql"),
    },
    Migration {
        version: 8,
        name: "student_accounts",
        sqlite: include_str!("../migrations/sqlite/0008_student_accounts.sql"),
        postgres: include_str!("../migrations/postgres/0008_student_accounts.sql"),
    },
    Migration {
        version: 9,
        name: "online_entries",
        sqlite: include_str!("../migrations/sqlite/0009_online_entries.sql"),
        postgres: include_str!("../migrations/postgres/0009_online_entries.sql"),
    },
    Migration {
        version: 10,
        name: "online_photos",
        sqlite: include_str!("../migrations/sqlite/0010_online_photos.sql"),
        postgres: include_str!("../migrations/postgres/0010_online_photos.sql"),
    },
    Migration {
        version: 11,
        name: "payments",
        sqlite: include_str!("../migrations/sqlite/0011_payments.sql"),
        postgres: include_str!("../migrations/postgres/0011_payments.sql"),
    },
    Migration {
        version: 12,
        name: "payment_requests",
        sqlite: include_str!("../migrations/sqlite/0012_payment_requests.sql"),
        postgres: include_str!("../migrations/postgres/0012_payment_requests.sql"),
    },
    Migration {
        version: 13,
        name: "onsite",
        sqlite: include_str!("../migrations/sqlite/0013_onsite.sql"),
        postgres: include_str!("../migrations/postgres/0013_onsite.sql"),
    },
    Migration {
        version: 14,
        name: "onsite_registrations",
        sqlite: include_str!("../migrations/sqlite/0014_onsite_registrations.sql"),
        postgres: include_str!("../migrations/postgres/0014_onsite_registrations.sql"),
    },
    Migration {
        version: 15,
        name: "onsite_desk",
        sqlite: include_str!("../migrations/sqlite/0015_onsite_desk.sql"),
        postgres: include_str!("../migrations/postgres/0015_onsite_desk.sql"),
    },
    Migration {
        version: 16,
        name: "onsite_station",
        sqlite: include_str!("../migrations/sqlite/0016_onsite_station.sql"),
        postgres: include_str!("../migrations/postgres/0016_onsite_station.sql"),
    },
    Migration {
        version: 17,
        name: "onsite_settlements",
        sqlite: include_str!("../migrations/sqlite/0017_onsite_settlements.sql"),
        postgres: include_str!("../migrations/postgres/0017_onsite_settlements.sql"),
    },
    Migration {
        version: 18,
        name: "onsite_session_departments",
        sqlite: include_str!("../migrations/sqlite/0018_onsite_session_departments.sql"),
        postgres: include_str!("../migrations/postgres/0018_onsite_session_departments.sql"),
    },
    Migration {
        version: 19,
        name: "onsite_schedule",
        sqlite: include_str!("../migrations/sqlite/0019_onsite_schedule.sql"),
        postgres: include_str!("../migrations/postgres/0019_onsite_schedule.sql"),
    },
    Migration {
        version: 20,
        name: "onsite_offline",
        sqlite: include_str!("../migrations/sqlite/0020_onsite_offline.sql"),
        postgres: include_str!("../migrations/postgres/0020_onsite_offline.sql"),
    },
    Migration {
        version: 21,
        name: "in_service",
        sqlite: include_str!("../migrations/sqlite/0021_in_service.sql"),
        postgres: include_str!("../migrations/postgres/0021_in_service.sql"),
    },
    Migration {
        version: 22,
        name: "station_store",
        sqlite: include_str!("../migrations/sqlite/0022_station_store.sql"),
        postgres: include_str!("../migrations/postgres/0022_station_store.sql"),
    },
    Migration {
        version: 23,
        name: "desk_fees",
        sqlite: include_str!("../migrations/sqlite/0023_desk_fees.sql"),
        postgres: include_str!("../migrations/postgres/0023_desk_fees.sql"),
    },
    Migration {
        version: 24,
        name: "checkin_counters",
        sqlite: include_str!("../migrations/sqlite/0024_checkin_counters.sql"),
        postgres: include_str!("../migrations/postgres/0024_checkin_counters.sql"),
    },
    Migration {
        version: 25,
        name: "makeup",
        sqlite: include_str!("../migrations/sqlite/0025_makeup.sql"),
        postgres: include_str!("../migrations/postgres/0025_makeup.sql"),
    },
    Migration {
        version: 26,
        name: "session_notes_and_phones",
        sqlite: include_str!("../migrations/sqlite/0026_session_notes_and_phones.sql"),
        postgres: include_str!("../migrations/postgres/0026_session_notes_and_phones.sql"),
    },
    Migration {
        version: 27,
        name: "photo_downloads",
        sqlite: include_str!("../migrations/sqlite/0027_photo_downloads.sql"),
        postgres: include_str!("../migrations/postgres/0027_photo_downloads.sql"),
    },
    Migration {
        version: 28,
        name: "branch_sessions",
        sqlite: include_str!("../migrations/sqlite/0028_branch_sessions.sql"),
        postgres: include_str!("../migrations/postgres/0028_branch_sessions.sql"),
    },
    Migration {
        version: 29,
        name: "order_shipments",
        sqlite: include_str!("../migrations/sqlite/0029_order_shipments.sql"),
        postgres: include_str!("../migrations/postgres/0029_order_shipments.sql"),
    },
    Migration {
        version: 30,
        name: "booking_orders",
        sqlite: include_str!("../migrations/sqlite/0030_booking_orders.sql"),
        postgres: include_str!("../migrations/postgres/0030_booking_orders.sql"),
    },
    Migration {
        version: 31,
        name: "prints",
        sqlite: include_str!("../migrations/sqlite/0031_prints.sql"),
        postgres: include_str!("../migrations/postgres/0031_prints.sql"),
    },
    Migration {
        version: 32,
        name: "booking_reminders",
        sqlite: include_str!("../migrations/sqlite/0032_booking_reminders.sql"),
        postgres: include_str!("../migrations/postgres/0032_booking_reminders.sql"),
    },
    Migration {
        version: 33,
        name: "print_mail",
        sqlite: include_str!("../migrations/sqlite/0033_print_mail.sql"),
        postgres: include_str!("../migrations/postgres/0033_print_mail.sql"),
    },
];

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version BIGINT PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at BIGINT NOT NULL)";

const LOCK_KEY: i64 = 0x6772_6164_7068;

fn checksum(sql: &str) -> String {
    let d = Sha256::digest(sql.as_bytes());
    d.iter().map(|b| format!("{b:02x}")).collect()
}

macro_rules! record {
    ($m:expr, $sql:expr, $ex:expr) => {
        sqlx::query(
            "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)",
        )
        .bind($m.version)
        .bind($m.name)
        .bind(checksum($sql))
        .bind(now_ms())
        .execute($ex)
        .await?
    };
}

/// Applies the migrations not yet applied, up to version `last`.
pub(crate) async fn run(db: &Db, last: i64) -> Result<Vec<String>, DbError> {
    let mut applied = Vec::new();
    match db {
        Db::Sqlite(sqlite) => {
            // One connection with foreign keys off, as SQLite's manual asks for a migration
            // that rebuilds a table others refer to (the switch is ignored inside a
            // transaction); every migration is checked with `foreign_key_check` before it
            // commits, and the connection is closed, never returned to the pool, so no
            // pooled connection keeps the switch off.
            let mut conn = sqlite.pool.acquire().await?;
            // Closed when dropped, however this ends (an error, or the future dropped).
            conn.close_on_drop();
            sqlx::query(CREATE_TABLE).execute(&mut *conn).await?;
            sqlx::query("PRAGMA foreign_keys = OFF")
                .execute(&mut *conn)
                .await?;
            let result: Result<(), DbError> = async {
                for m in MIGRATIONS.iter().filter(|m| m.version <= last) {
                    let mut tx = sqlx::Connection::begin_with(&mut *conn, "BEGIN IMMEDIATE").await?;
                    let have: Option<(String,)> =
                        sqlx::query_as("SELECT checksum FROM schema_migrations WHERE version = $1")
                            .bind(m.version)
                            .fetch_optional(&mut *tx)
                            .await?;
                    if verify(m, m.sqlite, have)? {
                        sqlx::raw_sql(m.sqlite).execute(&mut *tx).await?;
                        let broken = sqlx::query("PRAGMA foreign_key_check")
                            .fetch_all(&mut *tx)
                            .await?;
                        if !broken.is_empty() {
                            return Err(DbError::Migration(format!(
                                "migration {:04}_{} leaves {} rows whose foreign keys point nowhere",
                                m.version,
                                m.name,
                                broken.len()
                            )));
                        }
                        record!(m, m.sqlite, &mut *tx);
                        applied.push(format!("{:04}_{}", m.version, m.name));
                    }
                    tx.commit().await?;
                }
                Ok(())
            }
            .await;
            result?;
        }
        Db::Postgres(pool) => {
            let mut conn = pool.acquire().await?;
            sqlx::query("SELECT pg_advisory_lock($1)")
                .bind(LOCK_KEY)
                .execute(&mut *conn)
                .await?;
            let result: Result<(), DbError> = async {
                sqlx::query(CREATE_TABLE).execute(&mut *conn).await?;
                for m in MIGRATIONS.iter().filter(|m| m.version <= last) {
                    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
                    let have: Option<(String,)> =
                        sqlx::query_as("SELECT checksum FROM schema_migrations WHERE version = $1")
                            .bind(m.version)
                            .fetch_optional(&mut *tx)
                            .await?;
                    if verify(m, m.postgres, have)? {
                        sqlx::raw_sql(m.postgres).execute(&mut *tx).await?;
                        record!(m, m.postgres, &mut *tx);
                        applied.push(format!("{:04}_{}", m.version, m.name));
                    }
                    tx.commit().await?;
                }
                Ok(())
            }
            .await;
            sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(LOCK_KEY)
                .execute(&mut *conn)
                .await?;
            result?;
        }
    }
    for m in &applied {
        tracing::info!(migration = %m, "applied migration");
    }
    Ok(applied)
}

/// True when the migration still has to run; an error when it ran with different text.
fn verify(m: &Migration, sql: &str, have: Option<(String,)>) -> Result<bool, DbError> {
    match have {
        None => Ok(true),
        Some((sum,)) if sum == checksum(sql) => Ok(false),
        Some(_) => Err(DbError::Migration(format!(
            "migration {:04}_{} was changed after it was applied",
            m.version, m.name
        ))),
    }
}
