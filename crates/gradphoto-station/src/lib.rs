//! The offline site of an on-site day (issue 7). A station laptop takes its queue from the
//! server before the day with a *pack* (the masked students it may meet, the registry's
//! public keys and revocation list, the queue's counters), and then works with no network
//! on its own SQLite: check-in with shooting numbers, the camera, the student's
//! confirmation. When the network returns it pushes every number, once, by its own
//! reference (see `gradphoto_domain::onsite_offline`).
//!
//! The rules are the server's own, from the pure crates: a code is verified with
//! `gradphoto_registry_crypto`, matched by `online::code_mismatch`, admitted by
//! `onsite::may_check_in`, ordered by `onsite::waiting_in_order`, and every photo goes
//! through the same `gradphoto_photo` engine. Only the store is the station's.

/// `sqlx::FromRow` for SQLite rows by column name, without sqlx's derive macros (as in
/// `gradphoto-db`: they would build the SQLite driver again for the proc-macro host).
macro_rules! from_row {
    ($t:ident { $($f:ident),* $(,)? }) => {
        impl<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> for $t {
            fn from_row(r: &'r sqlx::sqlite::SqliteRow) -> Result<Self, sqlx::Error> {
                use sqlx::Row;
                Ok($t { $($f: r.try_get(stringify!($f))?),* })
            }
        }
    };
}
pub(crate) use from_row;

mod camera;
mod desk;
mod error;
mod sync;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use gradphoto_domain::onsite_offline::Pack;
use gradphoto_photo::Engine;
use gradphoto_registry_crypto::keys::PublicKeySet;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

pub use camera::{AtCamera, CameraView, MAX_PHOTO_BYTES, PhotoRow, Shot};
pub use desk::Checkin;
pub use error::{StationError, refused_form};
pub use sync::Pending;

const SCHEMA: &str = include_str!("../migrations/0001_station.sql");
const SCHEMA_VERSION: i64 = 1;

/// A check-in as the station stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckinRow {
    pub id: i64,
    pub number: i64,
    pub turn: i64,
    pub code_id: String,
    pub code_text: String,
    pub student_id: i64,
    pub stage: String,
    pub desk: String,
    pub checked_in_at: i64,
    pub photo_id: Option<i64>,
    pub confirmed_at: Option<i64>,
    pub version: i64,
    pub pushed_version: i64,
    pub push_outcome: Option<String>,
    pub push_note: Option<String>,
}

from_row!(CheckinRow {
    id,
    number,
    turn,
    code_id,
    code_text,
    student_id,
    stage,
    desk,
    checked_in_at,
    photo_id,
    confirmed_at,
    version,
    pushed_version,
    push_outcome,
    push_note
});

pub(crate) const CHECKIN_COLS: &str = "id, number, turn, code_id, code_text, student_id, stage, \
    desk, checked_in_at, photo_id, confirmed_at, version, pushed_version, push_outcome, push_note";

/// An offline station: its store, its pack, and the photo engine.
#[derive(Clone)]
pub struct Station {
    pool: SqlitePool,
    engine: Arc<Engine>,
    pack: Arc<tokio::sync::RwLock<Option<Loaded>>>,
}

/// The pack as the station uses it: the keys parsed once.
#[derive(Clone)]
struct Loaded {
    pack: Arc<Pack>,
    keys: Arc<PublicKeySet>,
    server: String,
}

pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Station {
    /// Opens (creating if need be) the station's store at `path`.
    pub async fn open(path: &Path, engine: Arc<Engine>) -> Result<Station, StationError> {
        let options = SqliteConnectOptions::from_str("sqlite://")
            .map_err(StationError::Store)?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .foreign_keys(true)
            .busy_timeout(std::time::Duration::from_secs(10));
        // One connection: a station is one laptop, and one writer keeps every step in order.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .map_err(StationError::Store)?;
        let version: i64 = sqlx::query_scalar("PRAGMA user_version")
            .fetch_one(&pool)
            .await?;
        if version == 0 {
            let mut tx = pool.begin().await?;
            sqlx::raw_sql(sqlx::AssertSqlSafe(SCHEMA))
                .execute(&mut *tx)
                .await?;
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "PRAGMA user_version = {SCHEMA_VERSION}"
            )))
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        } else if version != SCHEMA_VERSION {
            return Err(StationError::Pack(format!(
                "the store at {} is of version {version}; this program knows {SCHEMA_VERSION}",
                path.display()
            )));
        }
        let station = Station {
            pool,
            engine,
            pack: Arc::new(tokio::sync::RwLock::new(None)),
        };
        station.reload().await?;
        Ok(station)
    }

    async fn reload(&self) -> Result<(), StationError> {
        let row: Option<(String, String)> =
            sqlx::query_as("SELECT server, json FROM pack WHERE id = 1")
                .fetch_optional(&self.pool)
                .await?;
        let loaded = match row {
            Some((server, json)) => {
                let pack: Pack = serde_json::from_str(&json)
                    .map_err(|e| StationError::Pack(format!("stored pack: {e}")))?;
                let keys = PublicKeySet::from_json(&pack.keys_json)
                    .map_err(|e| StationError::Pack(format!("the pack's keys: {e}")))?;
                Some(Loaded {
                    pack: Arc::new(pack),
                    keys: Arc::new(keys),
                    server,
                })
            }
            None => None,
        };
        *self.pack.write().await = loaded;
        Ok(())
    }

    /// Stores a pack from `server`, all or nothing. A store already working for another
    /// queue or station refuses it; for the same queue the students and keys are
    /// replaced and the counters never go back.
    pub async fn store_pack(&self, server: &str, pack: &Pack) -> Result<(), StationError> {
        PublicKeySet::from_json(&pack.keys_json)
            .map_err(|e| StationError::Pack(format!("the pack's keys: {e}")))?;
        if let Some(old) = self.pack.read().await.as_ref()
            && (old.pack.queue.id != pack.queue.id
                || old.pack.station != pack.station
                || old.server != server)
        {
            return Err(StationError::Pack(format!(
                "this store works for queue {} ({}) of {} as station {}; use another --data folder",
                old.pack.queue.id, old.pack.queue.name, old.server, old.pack.station
            )));
        }
        let json = serde_json::to_string(pack).map_err(|e| StationError::Pack(e.to_string()))?;
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query(
            "INSERT INTO pack (id, server, json, stored_at) VALUES (1, $1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET server = excluded.server, json = excluded.json, \
             stored_at = excluded.stored_at",
        )
        .bind(server)
        .bind(&json)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        // Students this station numbered stay, whatever the new pack says: their rows
        // must still show.
        sqlx::query(
            "DELETE FROM students WHERE student_id NOT IN (SELECT student_id FROM checkins)",
        )
        .execute(&mut *tx)
        .await?;
        for s in &pack.students {
            let json = serde_json::to_string(s).map_err(|e| StationError::Pack(e.to_string()))?;
            sqlx::query(
                "INSERT INTO students (student_id, id_masked, json) VALUES ($1, $2, $3) \
                 ON CONFLICT (student_id) DO UPDATE SET id_masked = excluded.id_masked, \
                 json = excluded.json",
            )
            .bind(s.student_id)
            .bind(&s.id_masked)
            .bind(json)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO queue (id, server_queue_id, last_number, last_turn) VALUES (1, $1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET \
             last_number = MAX(queue.last_number, excluded.last_number), \
             last_turn = MAX(queue.last_turn, excluded.last_turn)",
        )
        .bind(pack.queue.id)
        .bind(pack.queue.last_number)
        .bind(pack.queue.last_turn)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.reload().await
    }

    /// The stored pack, and the server it came from.
    pub async fn pack(&self) -> Result<(Arc<Pack>, String), StationError> {
        self.pack
            .read()
            .await
            .as_ref()
            .map(|l| (l.pack.clone(), l.server.clone()))
            .ok_or(StationError::NoPack)
    }

    async fn loaded(&self) -> Result<Loaded, StationError> {
        self.pack.read().await.clone().ok_or(StationError::NoPack)
    }

    /// Every number in number order.
    pub async fn checkins(&self) -> Result<Vec<CheckinRow>, StationError> {
        let sql = format!("SELECT {CHECKIN_COLS} FROM checkins ORDER BY number");
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?)
    }
}
