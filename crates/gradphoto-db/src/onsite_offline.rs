//! Offline stations (migration 0020): a station holds a queue for the day, and what it
//! pushes back is recorded once, by its own reference. A number whose code or student
//! the campaign had already numbered elsewhere is kept apart as a conflict.

use crate::onsite::{CHECKIN_COLS, CheckinRow, QUEUE_COLS, QueueRow};
use crate::onsite_station::NewOnsitePhoto;
use crate::rows::impl_from_row;
use crate::{Db, DbError, now_ms, with_pool, write_tx};

/// Why a queue could not be handed to a station; nothing was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HoldRefusal {
    /// Another station holds it.
    HeldBy(String),
    /// Numbers given here are not yet confirmed: finish or send them on first.
    Unfinished(i64),
}

/// What became of a pushed number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushStep {
    /// Recorded now with the station's number.
    Recorded(CheckinRow),
    /// Recorded by an earlier push.
    AlreadyHad(CheckinRow),
    /// The campaign had numbered this code or this student already: that check-in.
    NumberedElsewhere(CheckinRow),
    /// The station does not hold the queue (the holder, if any): nothing was recorded.
    NotHeld(Option<String>),
    /// The queue has this number already: a station that went on after losing its hold.
    NumberTaken,
    /// The reference was recorded for another number, code or queue: not this record.
    Mismatch,
}

/// A number the station handed out, to record.
#[derive(Debug, Clone)]
pub struct StationCheckin<'a> {
    pub campaign_id: i64,
    pub queue_id: i64,
    pub station: &'a str,
    /// The station's store: it must be the one holding the queue.
    pub store: &'a str,
    pub station_ref: &'a str,
    pub number: i64,
    pub turn: i64,
    pub code_id: &'a str,
    pub code_text: &'a str,
    pub student_id: i64,
    pub desk: &'a str,
    pub checked_in_at: i64,
}

/// A pushed number kept apart for an admin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConflictRow {
    pub id: i64,
    pub campaign_id: i64,
    pub queue_id: i64,
    pub station: String,
    pub station_ref: String,
    pub number: i64,
    pub code_text: String,
    pub student_id: Option<i64>,
    pub existing_checkin_id: Option<i64>,
    pub reason_code: String,
    pub reason_zh: String,
    pub reason_en: String,
    pub desk: String,
    pub checked_in_at: i64,
    pub photo_verdict: Option<String>,
    pub photo_reasons_json: Option<String>,
    pub photo_original_key: Option<String>,
    pub photo_standard_key: Option<String>,
    pub photo_background: Option<String>,
    pub photo_taken_by: Option<String>,
    pub photo_taken_at: Option<i64>,
    pub confirmed_at: Option<i64>,
    pub created_at: i64,
    pub resolution: Option<String>,
    pub resolution_note: Option<String>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<i64>,
}
impl_from_row!(ConflictRow {
    id,
    campaign_id,
    queue_id,
    station,
    station_ref,
    number,
    code_text,
    student_id,
    existing_checkin_id,
    reason_code,
    reason_zh,
    reason_en,
    desk,
    checked_in_at,
    photo_verdict,
    photo_reasons_json,
    photo_original_key,
    photo_standard_key,
    photo_background,
    photo_taken_by,
    photo_taken_at,
    confirmed_at,
    created_at,
    resolution,
    resolution_note,
    resolved_by,
    resolved_at
});

const CONFLICT_COLS: &str = "id, campaign_id, queue_id, station, station_ref, number, code_text, \
    student_id, existing_checkin_id, reason_code, reason_zh, reason_en, desk, checked_in_at, \
    photo_verdict, photo_reasons_json, photo_original_key, photo_standard_key, photo_background, \
    photo_taken_by, photo_taken_at, confirmed_at, created_at, resolution, resolution_note, \
    resolved_by, resolved_at";

/// A conflict to keep: the pushed number, why, and its photo if any.
#[derive(Debug, Clone)]
pub struct NewConflict<'a> {
    pub campaign_id: i64,
    pub queue_id: i64,
    pub station: &'a str,
    pub station_ref: &'a str,
    pub number: i64,
    pub code_text: &'a str,
    pub student_id: Option<i64>,
    pub existing_checkin_id: Option<i64>,
    pub reason_code: &'a str,
    pub reason_zh: &'a str,
    pub reason_en: &'a str,
    pub desk: &'a str,
    pub checked_in_at: i64,
    pub photo: Option<NewOnsitePhoto<'a>>,
    pub photo_taken_at: Option<i64>,
    pub confirmed_at: Option<i64>,
}

/// What the pack needs to know of one roster student in a campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackFacts {
    pub student_id: i64,
    pub registered: bool,
    /// The session the student registered for.
    pub session_id: Option<i64>,
    pub collected: bool,
    pub number: Option<i64>,
    pub queue: Option<String>,
}

/// Moves a queue's counters past a recorded number and turn (never back).
macro_rules! advance_counters {
    ($tx:ident, $queue:expr, $number:expr, $turn:expr) => {
        sqlx::query(
            "UPDATE onsite_queues SET \
             last_number = CASE WHEN last_number < $1 THEN $1 ELSE last_number END, \
             last_turn = CASE WHEN last_turn < $2 THEN $2 ELSE last_turn END WHERE id = $3",
        )
        .bind($number)
        .bind($turn)
        .bind($queue)
        .execute(&mut *$tx)
        .await?;
    };
}

impl_from_row!(PackFacts {
    student_id,
    registered,
    session_id,
    collected,
    number,
    queue
});

fn lock_queue_sql(db: &Db) -> String {
    let base = format!("SELECT {QUEUE_COLS} FROM onsite_queues WHERE id = $1");
    match db {
        Db::Sqlite(_) => base,
        Db::Postgres(_) => format!("{base} FOR UPDATE"),
    }
}

impl Db {
    /// Hands a queue to an offline station's store for the day. Holding it again is a
    /// no-op for the same store; another store (even under the same station name) is
    /// refused, and so is a queue with numbers not yet confirmed (the station could not
    /// call them).
    pub async fn hold_queue(
        &self,
        queue_id: i64,
        station: &str,
        store: &str,
    ) -> Result<Result<QueueRow, HoldRefusal>, DbError> {
        let lock = lock_queue_sql(self);
        let hold_sql = format!(
            "UPDATE onsite_queues SET held_by = $1, held_store = $2, held_at = $3 WHERE id = $4 \
             RETURNING {QUEUE_COLS}"
        );
        let now = now_ms();
        Ok(write_tx!(self, tx => {
            let q: QueueRow = sqlx::query_as(sqlx::AssertSqlSafe(lock.as_str()))
                .bind(queue_id).fetch_one(&mut *tx).await?;
            let held_store: Option<String> =
                sqlx::query_scalar("SELECT held_store FROM onsite_queues WHERE id = $1")
                    .bind(queue_id).fetch_one(&mut *tx).await?;
            match q.held_by.as_deref() {
                Some(s) if s == station && held_store.as_deref() == Some(store) => Ok(q),
                Some(other) => Err(HoldRefusal::HeldBy(other.to_string())),
                None => {
                    let unfinished: i64 = sqlx::query_scalar(
                        "SELECT COUNT(*) FROM onsite_checkins WHERE queue_id = $1 AND stage <> 'confirmed'")
                        .bind(queue_id).fetch_one(&mut *tx).await?;
                    if unfinished > 0 {
                        Err(HoldRefusal::Unfinished(unfinished))
                    } else {
                        let q: QueueRow = sqlx::query_as(sqlx::AssertSqlSafe(hold_sql.as_str()))
                            .bind(station).bind(store).bind(now).bind(queue_id)
                            .fetch_one(&mut *tx).await?;
                        Ok(q)
                    }
                }
            }
        }))
    }

    /// The store holding a queue, if any.
    pub async fn queue_store(&self, queue_id: i64) -> Result<Option<String>, DbError> {
        Ok(with_pool!(self, p => sqlx::query_scalar(
            "SELECT held_store FROM onsite_queues WHERE id = $1")
            .bind(queue_id).fetch_one(p).await?))
    }

    /// Gives a held queue back to the server's desks: by its own store (`Some`), or by an
    /// admin whoever holds it (`None`). `false` when it was not so held.
    pub async fn release_queue(&self, queue_id: i64, store: Option<&str>) -> Result<bool, DbError> {
        let n = match store {
            Some(store) => with_pool!(self, p => sqlx::query(
                "UPDATE onsite_queues SET held_by = NULL, held_store = NULL, held_at = NULL \
                 WHERE id = $1 AND held_store = $2")
                .bind(queue_id).bind(store).execute(p).await?.rows_affected()),
            None => with_pool!(self, p => sqlx::query(
                "UPDATE onsite_queues SET held_by = NULL, held_store = NULL, held_at = NULL \
                 WHERE id = $1 AND held_by IS NOT NULL")
                .bind(queue_id).execute(p).await?.rows_affected()),
        };
        Ok(n == 1)
    }

    /// Per roster student of a university: registered, collected, and numbered in the
    /// campaign, for a station's pack.
    pub async fn pack_facts(
        &self,
        campaign_id: i64,
        university_id: i64,
    ) -> Result<Vec<PackFacts>, DbError> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT s.id AS student_id, \
             EXISTS (SELECT 1 FROM onsite_registrations r WHERE r.campaign_id = $1 AND r.student_id = s.id) AS registered, \
             (SELECT r.session_id FROM onsite_registrations r WHERE r.campaign_id = $1 AND r.student_id = s.id LIMIT 1) AS session_id, \
             EXISTS (SELECT 1 FROM collections k WHERE k.campaign_id = $1 AND k.student_id = s.id) AS collected, \
             c.number AS number, q.name AS queue \
             FROM students s \
             LEFT JOIN onsite_checkins c ON c.campaign_id = $1 AND c.student_id = s.id \
             LEFT JOIN onsite_queues q ON q.id = c.queue_id \
             WHERE s.university_id = $2 ORDER BY s.id")
            .bind(campaign_id).bind(university_id).fetch_all(p).await?))
    }

    /// Records a number a station handed out, once. The station must hold the queue; a
    /// code or student numbered elsewhere in the campaign is not recorded (the caller
    /// keeps it as a conflict). The queue's counters move past the station's numbers.
    pub async fn record_station_checkin(
        &self,
        c: &StationCheckin<'_>,
    ) -> Result<PushStep, DbError> {
        let lock = lock_queue_sql(self);
        let by_ref = format!("SELECT {CHECKIN_COLS} FROM onsite_checkins WHERE station_ref = $1");
        let existing_sql = format!(
            "SELECT {CHECKIN_COLS} FROM onsite_checkins WHERE campaign_id = $1 \
             AND (code_id = $2 OR student_id = $3) ORDER BY id LIMIT 1"
        );
        let insert_sql = format!(
            "INSERT INTO onsite_checkins (campaign_id, queue_id, number, turn, code_id, code_text, \
             student_id, stage, desk, checked_in_at, updated_at, station_ref) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'waiting', $8, $9, $10, $11) RETURNING {CHECKIN_COLS}"
        );
        let now = now_ms();
        Ok(write_tx!(self, tx => {
            let q: QueueRow = sqlx::query_as(sqlx::AssertSqlSafe(lock.as_str()))
                .bind(c.queue_id).fetch_one(&mut *tx).await?;
            let had: Option<CheckinRow> = sqlx::query_as(sqlx::AssertSqlSafe(by_ref.as_str()))
                .bind(c.station_ref).fetch_optional(&mut *tx).await?;
            let held_store: Option<String> =
                sqlx::query_scalar("SELECT held_store FROM onsite_queues WHERE id = $1")
                    .bind(c.queue_id).fetch_one(&mut *tx).await?;
            if let Some(row) = had {
                // The same reference must name the same number of the same code: anything
                // else is not this station's record.
                if row.queue_id == c.queue_id && row.code_id == c.code_id
                    && row.student_id == c.student_id && row.number == c.number {
                    PushStep::AlreadyHad(row)
                } else {
                    PushStep::Mismatch
                }
            } else if q.held_by.as_deref() != Some(c.station)
                || held_store.as_deref() != Some(c.store) {
                PushStep::NotHeld(q.held_by)
            } else {
                let existing: Option<CheckinRow> =
                    sqlx::query_as(sqlx::AssertSqlSafe(existing_sql.as_str()))
                        .bind(c.campaign_id).bind(c.code_id).bind(c.student_id)
                        .fetch_optional(&mut *tx).await?;
                let taken: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM onsite_checkins WHERE queue_id = $1 AND number = $2")
                    .bind(c.queue_id).bind(c.number).fetch_optional(&mut *tx).await?;
                match (existing, taken) {
                    (Some(row), _) => PushStep::NumberedElsewhere(row),
                    (None, Some(_)) => PushStep::NumberTaken,
                    (None, None) => {
                        let row: CheckinRow = sqlx::query_as(sqlx::AssertSqlSafe(insert_sql.as_str()))
                            .bind(c.campaign_id).bind(c.queue_id).bind(c.number).bind(c.turn)
                            .bind(c.code_id).bind(c.code_text).bind(c.student_id).bind(c.desk)
                            .bind(c.checked_in_at).bind(now).bind(c.station_ref)
                            .fetch_one(&mut *tx).await?;
                        advance_counters!(tx, c.queue_id, c.number, c.turn);
                        PushStep::Recorded(row)
                    }
                }
            }
        }))
    }

    /// Keeps a station's number apart as a conflict, once (a second push only adds the
    /// photo and confirmation it did not have). `true` when new.
    pub async fn record_conflict(&self, c: &NewConflict<'_>) -> Result<bool, DbError> {
        let insert_sql = "INSERT INTO onsite_conflicts (campaign_id, queue_id, station, station_ref, \
             number, code_text, student_id, existing_checkin_id, reason_code, reason_zh, reason_en, \
             desk, checked_in_at, photo_verdict, photo_reasons_json, photo_original_key, \
             photo_standard_key, photo_background, photo_taken_by, photo_taken_at, confirmed_at, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
             $16, $17, $18, $19, $20, $21, $22) \
             ON CONFLICT (station_ref) DO NOTHING";
        let photo_sql = "UPDATE onsite_conflicts SET photo_verdict = $1, photo_reasons_json = $2, \
             photo_original_key = $3, photo_standard_key = $4, photo_background = $5, \
             photo_taken_by = $6, photo_taken_at = $7, confirmed_at = $8 \
             WHERE station_ref = $9 AND resolved_at IS NULL";
        let p = c.photo.as_ref();
        let now = now_ms();
        Ok(write_tx!(self, tx => {
            let n = sqlx::query(insert_sql)
                .bind(c.campaign_id).bind(c.queue_id).bind(c.station).bind(c.station_ref)
                .bind(c.number).bind(c.code_text).bind(c.student_id).bind(c.existing_checkin_id)
                .bind(c.reason_code).bind(c.reason_zh).bind(c.reason_en).bind(c.desk)
                .bind(c.checked_in_at).bind(p.map(|p| p.verdict)).bind(p.map(|p| p.reasons_json))
                .bind(p.map(|p| p.original_key)).bind(p.map(|p| p.standard_key))
                .bind(p.map(|p| p.background)).bind(p.map(|p| p.taken_by)).bind(c.photo_taken_at)
                .bind(c.confirmed_at).bind(now)
                .execute(&mut *tx).await?.rows_affected();
            // The number was handed out at the site: the queue's counter moves past it,
            // so the server never gives it again (even after the hold was taken back).
            advance_counters!(tx, c.queue_id, c.number, c.number);
            if n == 0 && let Some(p) = p {
                sqlx::query(photo_sql)
                    .bind(p.verdict).bind(p.reasons_json).bind(p.original_key).bind(p.standard_key)
                    .bind(p.background).bind(p.taken_by).bind(c.photo_taken_at).bind(c.confirmed_at)
                    .bind(c.station_ref).execute(&mut *tx).await?;
            }
            n == 1
        }))
    }

    /// Binds a station's photo to a recorded number, once per photo reference, and
    /// confirms the number when the student confirmed it at the station. A confirmed
    /// number is left as it is. The row when this call confirmed it (the caller hands it
    /// over to the registry).
    pub async fn record_station_photo(
        &self,
        checkin_id: i64,
        photo_ref: &str,
        p: &NewOnsitePhoto<'_>,
        taken_at: i64,
        confirmed_at: Option<i64>,
    ) -> Result<Option<CheckinRow>, DbError> {
        let row_sql = format!("SELECT {CHECKIN_COLS} FROM onsite_checkins WHERE id = $1");
        let insert_sql = "INSERT INTO onsite_photos (checkin_id, verdict, reasons_json, original_key, \
             standard_key, background, source, taken_by, taken_at, station_ref) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id";
        let bind_sql = format!(
            "UPDATE onsite_checkins SET photo_id = $1, stage = $2, confirmed_at = $3, updated_at = $4 \
             WHERE id = $5 RETURNING {CHECKIN_COLS}"
        );
        let now = now_ms();
        Ok(write_tx!(self, tx => {
            let c: CheckinRow = sqlx::query_as(sqlx::AssertSqlSafe(row_sql.as_str()))
                .bind(checkin_id).fetch_one(&mut *tx).await?;
            if c.stage == "confirmed" {
                None
            } else {
                let known: Option<(i64, i64)> =
                    sqlx::query_as("SELECT id, checkin_id FROM onsite_photos WHERE station_ref = $1")
                        .bind(photo_ref).fetch_optional(&mut *tx).await?;
                let photo_id = match known {
                    Some((_, other)) if other != checkin_id => {
                        return Err(DbError::Conflict(format!(
                            "photo {photo_ref} belongs to another check-in"
                        )));
                    }
                    Some((id, _)) => id,
                    None => sqlx::query_scalar(insert_sql)
                        .bind(checkin_id).bind(p.verdict).bind(p.reasons_json).bind(p.original_key)
                        .bind(p.standard_key).bind(p.background).bind(p.source).bind(p.taken_by)
                        .bind(taken_at).bind(photo_ref)
                        .fetch_one(&mut *tx).await?,
                };
                // An unconfirmed photo waits for the student at the server's station.
                let stage = if confirmed_at.is_some() { "confirmed" } else { "waiting" };
                let row: CheckinRow = sqlx::query_as(sqlx::AssertSqlSafe(bind_sql.as_str()))
                    .bind(photo_id).bind(stage).bind(confirmed_at).bind(now).bind(checkin_id)
                    .fetch_one(&mut *tx).await?;
                confirmed_at.map(|_| row)
            }
        }))
    }

    /// The check-in a station reference was recorded as, if any.
    pub async fn checkin_by_station_ref(
        &self,
        station_ref: &str,
    ) -> Result<Option<CheckinRow>, DbError> {
        let sql = format!("SELECT {CHECKIN_COLS} FROM onsite_checkins WHERE station_ref = $1");
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(station_ref).fetch_optional(p).await?),
        )
    }

    pub async fn campaign_conflicts(&self, campaign_id: i64) -> Result<Vec<ConflictRow>, DbError> {
        let sql = format!(
            "SELECT {CONFLICT_COLS} FROM onsite_conflicts WHERE campaign_id = $1 ORDER BY id"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(campaign_id).fetch_all(p).await?),
        )
    }

    pub async fn onsite_conflict(&self, id: i64) -> Result<ConflictRow, DbError> {
        let sql = format!("SELECT {CONFLICT_COLS} FROM onsite_conflicts WHERE id = $1");
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(id).fetch_one(p).await?),
        )
    }

    /// Closes an open conflict with the admin's decision; `None` if it was closed already.
    pub async fn resolve_conflict(
        &self,
        id: i64,
        resolution: &str,
        note: &str,
        by: &str,
    ) -> Result<Option<ConflictRow>, DbError> {
        let sql = format!(
            "UPDATE onsite_conflicts SET resolution = $1, resolution_note = $2, resolved_by = $3, \
             resolved_at = $4 WHERE id = $5 AND resolved_at IS NULL RETURNING {CONFLICT_COLS}"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(resolution).bind(note).bind(by).bind(now_ms()).bind(id)
            .fetch_optional(p).await?),
        )
    }
}
