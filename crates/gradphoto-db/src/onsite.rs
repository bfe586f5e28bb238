//! On-site queues and check-ins (migration 0013; sessions are `onsite_sessions`). The
//! shooting number is handed out together with the check-in, only while the queue is not
//! held by an offline station and the campaign is open: PostgreSQL advances the queue's
//! counter under its row lock and inserts in one transaction; SQLite (one writer) reads the
//! next number and inserts in one statement, its trigger moving the counter (migration
//! 0024). Two desks scanning the same code at once collide on a unique key; the loser's
//! write (its counter step included) rolls back and it reads the winner's number — so
//! numbers stay 1..N with no gap and a code has exactly one.

use crate::rows::impl_from_row;
use crate::sqlite_numbering::Numbered;
use crate::{Db, DbError, now_ms, with_pool, write_tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueRow {
    pub id: i64,
    pub session_id: i64,
    pub name: String,
    pub last_number: i64,
    pub last_turn: i64,
    pub created_at: i64,
    /// The check-in at the camera now, if any.
    pub current_checkin: Option<i64>,
    /// The offline station holding the queue (migration 0020): nothing is numbered on it here.
    pub held_by: Option<String>,
}
impl_from_row!(QueueRow {
    id,
    session_id,
    name,
    last_number,
    last_turn,
    created_at,
    current_checkin,
    held_by
});

/// See [`Db::checkin_checks`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckinChecks {
    /// The check-in the code or its student already has in the campaign.
    pub existing: Option<i64>,
    pub registered: bool,
    /// The session the student registered for (in the same query: the desk's hot path).
    pub registered_session: Option<i64>,
    pub collected: bool,
    pub code_photographed: bool,
    /// The campaign's modes as stored now (whether it takes walk-ins), read with the rest
    /// so a scan never decides on a remembered campaign nor pays a round trip for it.
    pub campaign_modes_json: String,
}
impl_from_row!(CheckinChecks {
    existing,
    registered,
    registered_session,
    collected,
    code_photographed,
    campaign_modes_json
});

/// The columns of [`CheckinChecks`] for the student `s.id` and the code `$code`.
fn checks_cols(code: &str) -> String {
    format!(
        "(SELECT c.id FROM onsite_checkins c WHERE c.campaign_id = $1 \
           AND (c.code_id = {code} OR c.student_id = s.id) ORDER BY c.id LIMIT 1) AS existing, \
         EXISTS (SELECT 1 FROM onsite_registrations r WHERE r.campaign_id = $1 \
           AND r.student_id = s.id) AS registered, \
         (SELECT r.session_id FROM onsite_registrations r WHERE r.campaign_id = $1 \
           AND r.student_id = s.id LIMIT 1) AS registered_session, \
         EXISTS (SELECT 1 FROM collections k WHERE k.campaign_id = $1 \
           AND k.student_id = s.id) AS collected, \
         EXISTS (SELECT 1 FROM registry_outbox o WHERE o.code_id = {code} \
           AND (o.status = 'pending' OR (o.status = 'answered' AND o.verdict = 'accepted'))) \
           AS code_photographed, \
         (SELECT m.modes_json FROM campaigns m WHERE m.id = $1) AS campaign_modes_json"
    )
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckinRow {
    pub id: i64,
    pub campaign_id: i64,
    pub queue_id: i64,
    pub number: i64,
    pub turn: i64,
    pub code_id: String,
    pub code_text: String,
    pub student_id: i64,
    pub stage: String,
    pub desk: String,
    pub checked_in_at: i64,
    pub updated_at: i64,
    /// The latest photo taken for this number.
    pub photo_id: Option<i64>,
    pub confirmed_at: Option<i64>,
    /// The outbox row the confirmed photo went to (0 while it is being handed over).
    pub outbox_id: Option<i64>,
    /// The department settlement that covers this student's fee, once paid.
    pub settlement_id: Option<i64>,
}
impl_from_row!(CheckinRow {
    id,
    campaign_id,
    queue_id,
    number,
    turn,
    code_id,
    code_text,
    student_id,
    stage,
    desk,
    checked_in_at,
    updated_at,
    photo_id,
    confirmed_at,
    outbox_id,
    settlement_id
});

/// A scanned, verified code to number.
#[derive(Debug, Clone)]
pub struct NewCheckin<'a> {
    pub campaign_id: i64,
    pub queue_id: i64,
    pub code_id: &'a str,
    pub code_text: &'a str,
    pub student_id: i64,
    pub desk: &'a str,
}

pub(crate) const QUEUE_COLS: &str =
    "id, session_id, name, last_number, last_turn, created_at, current_checkin, held_by";
pub(crate) const CHECKIN_COLS: &str = "id, campaign_id, queue_id, number, turn, code_id, \
    code_text, student_id, stage, desk, checked_in_at, updated_at, photo_id, confirmed_at, outbox_id, \
    settlement_id";

/// How often a check-in that lost a race to a unique key is tried again (the retry reads
/// the winner's row, so one retry is enough; more only guard against a pathological run).
const RETRIES: usize = 5;

impl Db {
    /// The queues of the campaign's sessions, by session and name.
    pub async fn campaign_queues(&self, campaign_id: i64) -> Result<Vec<QueueRow>, DbError> {
        let sql = format!(
            "SELECT q.{} FROM onsite_queues q JOIN onsite_sessions s ON s.id = q.session_id \
             WHERE s.campaign_id = $1 ORDER BY q.session_id, q.name",
            QUEUE_COLS.replace(", ", ", q.")
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(campaign_id).fetch_all(p).await?),
        )
    }

    /// The departments each of the campaign's sessions is for: (session, department).
    pub async fn campaign_session_departments(
        &self,
        campaign_id: i64,
    ) -> Result<Vec<(i64, i64)>, DbError> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT d.session_id, d.department_id FROM onsite_session_departments d \
             JOIN onsite_sessions s ON s.id = d.session_id WHERE s.campaign_id = $1 \
             ORDER BY d.session_id, d.department_id")
            .bind(campaign_id).fetch_all(p).await?))
    }

    /// How many students are registered for each of the campaign's sessions.
    pub async fn campaign_registration_counts(
        &self,
        campaign_id: i64,
    ) -> Result<Vec<(i64, i64)>, DbError> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT session_id, COUNT(*) FROM onsite_registrations WHERE campaign_id = $1 \
             GROUP BY session_id")
            .bind(campaign_id).fetch_all(p).await?))
    }

    /// How many codes each of the campaign's queues has numbered.
    pub async fn campaign_checkin_counts(
        &self,
        campaign_id: i64,
    ) -> Result<Vec<(i64, i64)>, DbError> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT queue_id, COUNT(*) FROM onsite_checkins WHERE campaign_id = $1 \
             GROUP BY queue_id")
            .bind(campaign_id).fetch_all(p).await?))
    }

    pub async fn create_onsite_queue(
        &self,
        session_id: i64,
        name: &str,
    ) -> Result<QueueRow, DbError> {
        let sql = format!(
            "INSERT INTO onsite_queues (session_id, name, created_at) VALUES ($1, $2, $3) \
             RETURNING {QUEUE_COLS}"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(session_id).bind(name).bind(now_ms())
            .fetch_one(p).await?),
        )
    }

    /// The check-in of a code (or of its student) in a campaign, if there is one.
    pub async fn onsite_checkin_of(
        &self,
        campaign_id: i64,
        code_id: &str,
        student_id: i64,
    ) -> Result<Option<CheckinRow>, DbError> {
        let sql = format!(
            "SELECT {CHECKIN_COLS} FROM onsite_checkins WHERE campaign_id = $1 \
             AND (code_id = $2 OR student_id = $3) ORDER BY id LIMIT 1"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(campaign_id).bind(code_id).bind(student_id)
            .fetch_optional(p).await?),
        )
    }

    /// Numbers a code: its existing check-in in the campaign (`false`), or a new one with
    /// the queue's next number (`true`). The new number and its check-in are written in
    /// one transaction, so a number is spent only if its check-in commits; a code or
    /// student numbered meanwhile (the unique keys refuse the insert, and the number is
    /// rolled back with it) is answered with that check-in.
    pub async fn onsite_check_in(&self, c: &NewCheckin<'_>) -> Result<(CheckinRow, bool), DbError> {
        let mut last = None;
        for _ in 0..RETRIES {
            match self.try_check_in(c).await {
                Err(DbError::Conflict(why)) => {
                    if let Some(row) = self
                        .onsite_checkin_of(c.campaign_id, c.code_id, c.student_id)
                        .await?
                    {
                        return Ok((row, false));
                    }
                    last = Some(why);
                }
                other => return other.map(|row| (row, true)),
            }
        }
        Err(DbError::Conflict(last.unwrap_or_default()))
    }

    async fn try_check_in(&self, c: &NewCheckin<'_>) -> Result<CheckinRow, DbError> {
        /// Why the numbering wrote nothing: the queue's hold, or else the campaign.
        fn not_numbered(held: Option<String>) -> DbError {
            match held {
                Some(station) => DbError::Held(station),
                None => DbError::CampaignNotOpen,
            }
        }
        let now = now_ms();
        if let Db::Sqlite(sqlite) = self {
            // One statement: the next number read from the queue and the check-in written
            // together (the trigger of migration 0024 moves the counters); SQLite's one
            // writer makes the read and the write one step. Concurrent scans share one
            // commit (see `sqlite_numbering`).
            return match sqlite.numbering.number(&sqlite.writer, c, now).await? {
                Numbered::Row(row) => Ok(row),
                Numbered::NotNumbered { held_by } => Err(not_numbered(held_by)),
            };
        }
        let insert_sql = format!(
            "INSERT INTO onsite_checkins (campaign_id, queue_id, number, turn, code_id, code_text, \
             student_id, stage, desk, checked_in_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'waiting', $8, $9, $9) RETURNING {CHECKIN_COLS}"
        );
        Ok(write_tx!(self, tx => {
            // A queue held by an offline station numbers only there, and a campaign
            // closed meanwhile numbers nobody.
            let next: Option<(i64, i64)> = sqlx::query_as(
                "UPDATE onsite_queues SET last_number = last_number + 1, \
                 last_turn = last_turn + 1 WHERE id = $1 AND held_by IS NULL \
                 AND EXISTS (SELECT 1 FROM campaigns k WHERE k.id = $2 AND k.status = 'open') \
                 RETURNING last_number, last_turn")
                .bind(c.queue_id).bind(c.campaign_id).fetch_optional(&mut *tx).await?;
            let Some((number, turn)) = next else {
                let held: Option<String> =
                    sqlx::query_scalar("SELECT held_by FROM onsite_queues WHERE id = $1")
                        .bind(c.queue_id).fetch_one(&mut *tx).await?;
                return Err(not_numbered(held));
            };
            let row: CheckinRow = sqlx::query_as(sqlx::AssertSqlSafe(insert_sql.as_str()))
                .bind(c.campaign_id).bind(c.queue_id).bind(number).bind(turn)
                .bind(c.code_id).bind(c.code_text).bind(c.student_id).bind(c.desk).bind(now)
                .fetch_one(&mut *tx).await?;
            row
        }))
    }

    /// Every check-in of a campaign (the day's progress).
    pub async fn campaign_checkins(&self, campaign_id: i64) -> Result<Vec<CheckinRow>, DbError> {
        let sql = format!(
            "SELECT {CHECKIN_COLS} FROM onsite_checkins WHERE campaign_id = $1 ORDER BY queue_id, number"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(campaign_id).fetch_all(p).await?),
        )
    }

    /// What a scan must know besides the roster, in one round trip (the desk asks on every
    /// scan, and on SQLite each query is a hop to the connection's thread): the check-in
    /// the code or student already has, whether the student is registered for a session of the campaign, recorded as
    /// photographed in it, and whether a photo bound to the code is on its way to the
    /// registry or accepted there.
    pub async fn checkin_checks(
        &self,
        campaign_id: i64,
        student_id: i64,
        code_id: &str,
    ) -> Result<CheckinChecks, DbError> {
        let (existing, registered, registered_session, collected, code_photographed, modes): (
            Option<i64>,
            bool,
            Option<i64>,
            bool,
            bool,
            String,
        ) = with_pool!(self, p => sqlx::query_as(
                "SELECT \
                 (SELECT id FROM onsite_checkins WHERE campaign_id = $1 \
                   AND (code_id = $3 OR student_id = $2) ORDER BY id LIMIT 1), \
                 EXISTS (SELECT 1 FROM onsite_registrations WHERE campaign_id = $1 AND student_id = $2), \
                 (SELECT session_id FROM onsite_registrations WHERE campaign_id = $1 AND student_id = $2 LIMIT 1), \
                 EXISTS (SELECT 1 FROM collections WHERE campaign_id = $1 AND student_id = $2), \
                 EXISTS (SELECT 1 FROM registry_outbox WHERE code_id = $3 \
                   AND (status = 'pending' OR (status = 'answered' AND verdict = 'accepted'))), \
                 (SELECT modes_json FROM campaigns WHERE id = $1)")
                .bind(campaign_id).bind(student_id).bind(code_id).fetch_one(p).await?);
        Ok(CheckinChecks {
            existing,
            registered,
            registered_session,
            collected,
            code_photographed,
            campaign_modes_json: modes,
        })
    }

    /// The university's students with this masked ID (the candidates a code names), each
    /// with what a scan of the code must know in the campaign, in one round trip.
    pub async fn code_candidates_with_checks(
        &self,
        campaign_id: i64,
        university_id: i64,
        id_masked: &str,
        code_id: &str,
    ) -> Result<Vec<(crate::students::StudentRow, CheckinChecks)>, DbError> {
        let cols = crate::rows::qualified(crate::students::STUDENT_COLS, "s");
        let sql = format!(
            "SELECT {cols}, {} FROM students s WHERE s.university_id = $2 AND s.id_masked = $3 \
             ORDER BY s.id",
            checks_cols("$4")
        );
        with_pool!(self, p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(campaign_id).bind(university_id).bind(id_masked).bind(code_id)
                .fetch_all(p).await?;
            rows.iter()
                .map(|r| {
                    use sqlx::FromRow;
                    Ok((
                        crate::students::StudentRow::from_row(r)?,
                        CheckinChecks::from_row(r)?,
                    ))
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()
                .map_err(DbError::from)
        })
    }

    /// A queue's check-ins in number order.
    pub async fn onsite_queue_checkins(&self, queue_id: i64) -> Result<Vec<CheckinRow>, DbError> {
        let sql = format!(
            "SELECT {CHECKIN_COLS} FROM onsite_checkins WHERE queue_id = $1 ORDER BY number"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(queue_id).fetch_all(p).await?),
        )
    }

    pub async fn onsite_queue(&self, id: i64) -> Result<QueueRow, DbError> {
        let sql = format!("SELECT {QUEUE_COLS} FROM onsite_queues WHERE id = $1");
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(id).fetch_one(p).await?),
        )
    }
}
