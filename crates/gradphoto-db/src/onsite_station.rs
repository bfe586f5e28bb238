//! The photographer's station (migration 0016): calling the next number, binding a photo
//! to the number at the camera, sending a number to the end, and the student's
//! confirmation. Each step runs in one transaction holding the queue's row (PostgreSQL
//! `FOR UPDATE`; SQLite's `BEGIN IMMEDIATE`), and checks the number the person saw on the
//! screen is still the queue's current one — so a photo can only ever be bound to the
//! number at the camera, and a confirmation only ever confirms the photo shown.

use crate::onsite::{CHECKIN_COLS, CheckinRow};
use crate::rows::impl_from_row;
use crate::{Db, DbError, now_ms, with_pool, write_tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnsitePhotoRow {
    pub id: i64,
    pub checkin_id: i64,
    pub verdict: String,
    pub reasons_json: String,
    pub original_key: String,
    pub standard_key: String,
    pub background: String,
    pub source: String,
    pub taken_by: String,
    pub taken_at: i64,
}
impl_from_row!(OnsitePhotoRow {
    id,
    checkin_id,
    verdict,
    reasons_json,
    original_key,
    standard_key,
    background,
    source,
    taken_by,
    taken_at
});

const PHOTO_COLS: &str = "id, checkin_id, verdict, reasons_json, original_key, standard_key, \
    background, source, taken_by, taken_at";

/// A stored photo to bind.
#[derive(Debug, Clone)]
pub struct NewOnsitePhoto<'a> {
    pub verdict: &'a str,
    pub reasons_json: &'a str,
    pub original_key: &'a str,
    pub standard_key: &'a str,
    pub background: &'a str,
    pub source: &'a str,
    pub taken_by: &'a str,
}

/// Why a station step was not taken; nothing was written.
pub use gradphoto_domain::onsite::CameraRefusal as StationRefusal;

type Step<T> = Result<Result<T, StationRefusal>, DbError>;

fn lock_sql(db: &Db) -> &'static str {
    match db {
        Db::Sqlite(_) => "SELECT current_checkin, last_turn FROM onsite_queues WHERE id = $1",
        Db::Postgres(_) => {
            "SELECT current_checkin, last_turn FROM onsite_queues WHERE id = $1 FOR UPDATE"
        }
    }
}

macro_rules! current_row {
    ($tx:ident, $current:expr) => {{
        match $current {
            Some(id) => {
                let sql = format!("SELECT {CHECKIN_COLS} FROM onsite_checkins WHERE id = $1");
                let r: Option<CheckinRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                    .bind(id)
                    .fetch_optional(&mut *$tx)
                    .await?;
                r
            }
            None => None,
        }
    }};
}

impl Db {
    /// The number at the camera and its queue's row, read together.
    pub async fn station_current(&self, queue_id: i64) -> Result<Option<CheckinRow>, DbError> {
        let sql = format!(
            "SELECT {} FROM onsite_checkins c JOIN onsite_queues q ON q.current_checkin = c.id \
             WHERE q.id = $1",
            crate::rows::qualified(CHECKIN_COLS, "c")
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(queue_id).fetch_optional(p).await?),
        )
    }

    /// Calls the waiting number with the lowest turn to the camera. Refused while the
    /// number at the camera is neither confirmed nor sent to the end.
    pub async fn call_next(&self, queue_id: i64) -> Step<CheckinRow> {
        let lock = lock_sql(self);
        let next_sql = format!(
            "SELECT {CHECKIN_COLS} FROM onsite_checkins WHERE queue_id = $1 AND stage = 'waiting' \
             ORDER BY turn LIMIT 1"
        );
        let call_sql = format!(
            "UPDATE onsite_checkins SET stage = 'called', updated_at = $1 WHERE id = $2 \
             RETURNING {CHECKIN_COLS}"
        );
        let now = now_ms();
        Ok(write_tx!(self, tx => {
            let (current, _): (Option<i64>, i64) = sqlx::query_as(lock)
                .bind(queue_id).fetch_one(&mut *tx).await?;
            let at_camera = current_row!(tx, current);
            match at_camera {
                Some(c) if c.stage != "confirmed" => Err(StationRefusal::Busy(c.number)),
                _ => {
                    let next: Option<CheckinRow> = sqlx::query_as(sqlx::AssertSqlSafe(next_sql.as_str()))
                        .bind(queue_id).fetch_optional(&mut *tx).await?;
                    match next {
                        None => Err(StationRefusal::Empty),
                        Some(n) => {
                            let called: CheckinRow = sqlx::query_as(sqlx::AssertSqlSafe(call_sql.as_str()))
                                .bind(now).bind(n.id).fetch_one(&mut *tx).await?;
                            sqlx::query("UPDATE onsite_queues SET current_checkin = $1 WHERE id = $2")
                                .bind(called.id).bind(queue_id).execute(&mut *tx).await?;
                            Ok(called)
                        }
                    }
                }
            }
        }))
    }

    /// Sends the number at the camera to the end of the queue (the student is not there,
    /// or the photographer skips it): it keeps its number and gets the next turn. A
    /// photographed but unconfirmed number may go too; its photo stays until replaced.
    pub async fn send_current_to_end(&self, queue_id: i64, number: i64) -> Step<CheckinRow> {
        let lock = lock_sql(self);
        let move_sql = format!(
            "UPDATE onsite_checkins SET stage = 'waiting', turn = $1, updated_at = $2 WHERE id = $3 \
             RETURNING {CHECKIN_COLS}"
        );
        let now = now_ms();
        Ok(write_tx!(self, tx => {
            let (current, last_turn): (Option<i64>, i64) = sqlx::query_as(lock)
                .bind(queue_id).fetch_one(&mut *tx).await?;
            let at_camera = current_row!(tx, current);
            match at_camera {
                Some(c) if c.number == number && c.stage != "confirmed" => {
                    let moved: CheckinRow = sqlx::query_as(sqlx::AssertSqlSafe(move_sql.as_str()))
                        .bind(last_turn + 1).bind(now).bind(c.id).fetch_one(&mut *tx).await?;
                    sqlx::query("UPDATE onsite_queues SET last_turn = $1, current_checkin = NULL WHERE id = $2")
                        .bind(last_turn + 1).bind(queue_id).execute(&mut *tx).await?;
                    Ok(moved)
                }
                Some(c) if c.number == number => Err(StationRefusal::Confirmed),
                other => Err(StationRefusal::NotCurrent(other.map(|c| c.number))),
            }
        }))
    }

    /// Binds a stored photo to `number`, which must be the number at the camera and not
    /// confirmed; it becomes the number's photo (a retake replaces the earlier one).
    pub async fn bind_station_photo(
        &self,
        queue_id: i64,
        number: i64,
        p: &NewOnsitePhoto<'_>,
    ) -> Step<(CheckinRow, OnsitePhotoRow)> {
        let lock = lock_sql(self);
        let insert_sql = format!(
            "INSERT INTO onsite_photos (checkin_id, verdict, reasons_json, original_key, \
             standard_key, background, source, taken_by, taken_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {PHOTO_COLS}"
        );
        let bind_sql = format!(
            "UPDATE onsite_checkins SET stage = 'photographed', photo_id = $1, updated_at = $2 \
             WHERE id = $3 RETURNING {CHECKIN_COLS}"
        );
        let now = now_ms();
        Ok(write_tx!(self, tx => {
            let (current, _): (Option<i64>, i64) = sqlx::query_as(lock)
                .bind(queue_id).fetch_one(&mut *tx).await?;
            let at_camera = current_row!(tx, current);
            match at_camera {
                Some(c) if c.number == number && c.stage == "confirmed" => Err(StationRefusal::Confirmed),
                Some(c) if c.number == number => {
                    let photo: OnsitePhotoRow = sqlx::query_as(sqlx::AssertSqlSafe(insert_sql.as_str()))
                        .bind(c.id).bind(p.verdict).bind(p.reasons_json).bind(p.original_key)
                        .bind(p.standard_key).bind(p.background).bind(p.source).bind(p.taken_by).bind(now)
                        .fetch_one(&mut *tx).await?;
                    let row: CheckinRow = sqlx::query_as(sqlx::AssertSqlSafe(bind_sql.as_str()))
                        .bind(photo.id).bind(now).bind(c.id).fetch_one(&mut *tx).await?;
                    Ok((row, photo))
                }
                other => Err(StationRefusal::NotCurrent(other.map(|c| c.number))),
            }
        }))
    }

    /// The student confirms the photo shown (务必当场核对确认): `number` must be at the
    /// camera with `photo_id` as its photo. The number is confirmed and leaves the camera;
    /// its hand-over to the registry's outbox is the caller's next step.
    pub async fn confirm_station_photo(
        &self,
        queue_id: i64,
        number: i64,
        photo_id: i64,
    ) -> Step<CheckinRow> {
        let lock = lock_sql(self);
        let confirm_sql = format!(
            "UPDATE onsite_checkins SET stage = 'confirmed', confirmed_at = $1, updated_at = $1 \
             WHERE id = $2 RETURNING {CHECKIN_COLS}"
        );
        let now = now_ms();
        Ok(write_tx!(self, tx => {
            let (current, _): (Option<i64>, i64) = sqlx::query_as(lock)
                .bind(queue_id).fetch_one(&mut *tx).await?;
            let at_camera = current_row!(tx, current);
            match at_camera {
                Some(c) if c.number == number && c.stage == "confirmed" => Err(StationRefusal::Confirmed),
                Some(c) if c.number == number && c.stage == "photographed" && c.photo_id == Some(photo_id) => {
                    let row: CheckinRow = sqlx::query_as(sqlx::AssertSqlSafe(confirm_sql.as_str()))
                        .bind(now).bind(c.id).fetch_one(&mut *tx).await?;
                    sqlx::query("UPDATE onsite_queues SET current_checkin = NULL WHERE id = $1")
                        .bind(queue_id).execute(&mut *tx).await?;
                    Ok(row)
                }
                Some(c) if c.number == number => Err(StationRefusal::NoSuchPhoto),
                other => Err(StationRefusal::NotCurrent(other.map(|c| c.number))),
            }
        }))
    }

    /// Every photo taken of a check-in, oldest first (the fine service's shots to choose from).
    pub async fn checkin_photos(&self, checkin_id: i64) -> Result<Vec<OnsitePhotoRow>, DbError> {
        let sql =
            format!("SELECT {PHOTO_COLS} FROM onsite_photos WHERE checkin_id = $1 ORDER BY id");
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(checkin_id).fetch_all(p).await?),
        )
    }

    /// Makes `photo_id`, one of the shots of `number` at the camera, its photo (the fine
    /// service: the photographer chooses among several shots). Not once confirmed.
    pub async fn choose_station_photo(
        &self,
        queue_id: i64,
        number: i64,
        photo_id: i64,
    ) -> Step<CheckinRow> {
        let lock = lock_sql(self);
        let choose_sql = format!(
            "UPDATE onsite_checkins SET stage = 'photographed', photo_id = $1, updated_at = $2 \
             WHERE id = $3 RETURNING {CHECKIN_COLS}"
        );
        let now = now_ms();
        Ok(write_tx!(self, tx => {
            let (current, _): (Option<i64>, i64) = sqlx::query_as(lock)
                .bind(queue_id).fetch_one(&mut *tx).await?;
            let at_camera = current_row!(tx, current);
            match at_camera {
                Some(c) if c.number == number && c.stage == "confirmed" => Err(StationRefusal::Confirmed),
                Some(c) if c.number == number => {
                    let owner: Option<(i64,)> = sqlx::query_as(
                        "SELECT checkin_id FROM onsite_photos WHERE id = $1")
                        .bind(photo_id).fetch_optional(&mut *tx).await?;
                    if owner != Some((c.id,)) {
                        Err(StationRefusal::NoSuchPhoto)
                    } else {
                        let row: CheckinRow = sqlx::query_as(sqlx::AssertSqlSafe(choose_sql.as_str()))
                            .bind(photo_id).bind(now).bind(c.id).fetch_one(&mut *tx).await?;
                        Ok(row)
                    }
                }
                other => Err(StationRefusal::NotCurrent(other.map(|c| c.number))),
            }
        }))
    }

    /// Takes a confirmed check-in for its hand-over: `true` for exactly one caller.
    pub async fn claim_checkin_for_registry(&self, checkin_id: i64) -> Result<bool, DbError> {
        let n = with_pool!(self, p => sqlx::query(
            "UPDATE onsite_checkins SET outbox_id = 0 WHERE id = $1 AND stage = 'confirmed' \
             AND outbox_id IS NULL")
            .bind(checkin_id).execute(p).await?.rows_affected());
        Ok(n == 1)
    }

    /// Records the outbox row of a handed-over check-in, or (`None`) releases the claim
    /// after a failed attempt so the next one can try.
    pub async fn set_checkin_outbox(
        &self,
        checkin_id: i64,
        outbox_id: Option<i64>,
    ) -> Result<(), DbError> {
        with_pool!(self, p => sqlx::query("UPDATE onsite_checkins SET outbox_id = $1 WHERE id = $2")
            .bind(outbox_id).bind(checkin_id).execute(p).await?.rows_affected());
        Ok(())
    }

    /// Reopens a confirmed number for a retake: to the end of its queue, unconfirmed,
    /// and its photo withdrawn from the outbox if it was not sent yet.
    pub async fn reopen_checkin(&self, checkin_id: i64) -> Step<CheckinRow> {
        let row_sql = format!("SELECT {CHECKIN_COLS} FROM onsite_checkins WHERE id = $1");
        let reopen_sql = format!(
            "UPDATE onsite_checkins SET stage = 'waiting', turn = $1, confirmed_at = NULL, \
             outbox_id = NULL, updated_at = $2 WHERE id = $3 RETURNING {CHECKIN_COLS}"
        );
        let lock = lock_sql(self);
        let now = now_ms();
        Ok(write_tx!(self, tx => {
            let c: CheckinRow = sqlx::query_as(sqlx::AssertSqlSafe(row_sql.as_str()))
                .bind(checkin_id).fetch_one(&mut *tx).await?;
            let (_, last_turn): (Option<i64>, i64) = sqlx::query_as(lock)
                .bind(c.queue_id).fetch_one(&mut *tx).await?;
            if c.stage != "confirmed" {
                Err(StationRefusal::NoSuchPhoto)
            } else {
                // The photo the student now rejects must not reach the registry: its row
                // is withdrawn unless the sender already delivered it (then the retake
                // replaces it there).
                if let Some(outbox) = c.outbox_id {
                    sqlx::query("UPDATE registry_outbox SET status = 'withdrawn', \
                                 last_error = 'reopened for a retake', updated_at = $1 \
                                 WHERE id = $2 AND status = 'pending'")
                        .bind(now).bind(outbox).execute(&mut *tx).await?;
                }
                let row: CheckinRow = sqlx::query_as(sqlx::AssertSqlSafe(reopen_sql.as_str()))
                    .bind(last_turn + 1).bind(now).bind(c.id).fetch_one(&mut *tx).await?;
                sqlx::query("UPDATE onsite_queues SET last_turn = $1 WHERE id = $2")
                    .bind(last_turn + 1).bind(c.queue_id).execute(&mut *tx).await?;
                Ok(row)
            }
        }))
    }

    /// Moves an unconfirmed number to another queue with that queue's next number and turn
    /// (a student numbered on an on-site day who left before confirming, now at a branch
    /// for a make-up): it starts again there, waiting, with no photo. `None` when it was
    /// confirmed or handed over meanwhile, or is in that queue already.
    pub async fn move_checkin_to_queue(
        &self,
        checkin_id: i64,
        queue_id: i64,
    ) -> Result<Option<CheckinRow>, DbError> {
        let lock = match self {
            Db::Sqlite(_) => "SELECT last_number, last_turn FROM onsite_queues WHERE id = $1",
            Db::Postgres(_) => {
                "SELECT last_number, last_turn FROM onsite_queues WHERE id = $1 FOR UPDATE"
            }
        };
        let move_sql = format!(
            "UPDATE onsite_checkins SET queue_id = $1, number = $2, turn = $3, stage = 'waiting', \
             photo_id = NULL, updated_at = $4 WHERE id = $5 AND queue_id <> $1 \
             AND stage <> 'confirmed' AND outbox_id IS NULL RETURNING {CHECKIN_COLS}"
        );
        let now = now_ms();
        Ok(write_tx!(self, tx => {
            let (last_number, last_turn): (i64, i64) = sqlx::query_as(lock)
                .bind(queue_id).fetch_one(&mut *tx).await?;
            // It leaves the camera of its old queue, if it was there.
            sqlx::query("UPDATE onsite_queues SET current_checkin = NULL WHERE current_checkin = $1")
                .bind(checkin_id).execute(&mut *tx).await?;
            let moved: Option<CheckinRow> = sqlx::query_as(sqlx::AssertSqlSafe(move_sql.as_str()))
                .bind(queue_id).bind(last_number + 1).bind(last_turn + 1).bind(now).bind(checkin_id)
                .fetch_optional(&mut *tx).await?;
            if moved.is_some() {
                sqlx::query("UPDATE onsite_queues SET last_number = $1, last_turn = $2 WHERE id = $3")
                    .bind(last_number + 1).bind(last_turn + 1).bind(queue_id)
                    .execute(&mut *tx).await?;
            }
            moved
        }))
    }

    /// Binds a check-in to the student's re-issued code, unless its photo was handed over
    /// to the outbox already; `None` when nothing changed.
    pub async fn rebind_checkin_code(
        &self,
        checkin_id: i64,
        code_id: &str,
        code_text: &str,
    ) -> Result<Option<CheckinRow>, DbError> {
        let sql = format!(
            "UPDATE onsite_checkins SET code_id = $1, code_text = $2, updated_at = $3 \
             WHERE id = $4 AND outbox_id IS NULL AND code_id <> $1 RETURNING {CHECKIN_COLS}"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(code_id).bind(code_text.trim()).bind(now_ms()).bind(checkin_id)
            .fetch_optional(p).await?),
        )
    }

    pub async fn onsite_photo(&self, id: i64) -> Result<OnsitePhotoRow, DbError> {
        let sql = format!("SELECT {PHOTO_COLS} FROM onsite_photos WHERE id = $1");
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(id).fetch_one(p).await?),
        )
    }

    pub async fn onsite_checkin(&self, id: i64) -> Result<CheckinRow, DbError> {
        let sql = format!("SELECT {CHECKIN_COLS} FROM onsite_checkins WHERE id = $1");
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(id).fetch_one(p).await?),
        )
    }
}
