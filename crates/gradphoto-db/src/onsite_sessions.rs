//! On-site sessions (migration 0013): a campus, place, day and time window with its
//! capacity, created with its queues; a change is refused when it would drop below the
//! students registered or move the day of students already numbered, and a change of what
//! the reminder says owes the reminder again. A branch's make-up day is a session too.

use crate::onsite::{QUEUE_COLS, QueueRow};
use crate::rows::impl_from_row;
use crate::{Db, DbError, now_ms, with_pool, write_tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub id: i64,
    pub campaign_id: i64,
    pub campus: String,
    pub place: String,
    pub day: String,
    pub starts: String,
    pub ends: String,
    pub capacity: i64,
    pub created_at: i64,
    /// Open to in-service students of any department besides its own departments.
    pub in_service_open: bool,
    /// What the table alone cannot say (migration 0026), shown wherever the session is.
    pub note: String,
    /// A branch's make-up day for the campaign (migration 0028), not an on-site day.
    pub branch_id: Option<i64>,
}
impl_from_row!(SessionRow {
    id,
    campaign_id,
    campus,
    place,
    day,
    starts,
    ends,
    capacity,
    created_at,
    in_service_open,
    note,
    branch_id
});

/// A session to create.
#[derive(Debug, Clone)]
pub struct NewSession<'a> {
    pub campaign_id: i64,
    pub campus: &'a str,
    pub place: &'a str,
    pub day: &'a str,
    pub starts: &'a str,
    pub ends: &'a str,
    pub capacity: i64,
    pub in_service_open: bool,
}

/// Why a session change was not written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionChangeRefusal {
    /// This many students are registered: the capacity cannot go below.
    Registered(i64),
    /// Students were numbered on its day: the day cannot change.
    Numbered,
}

macro_rules! session_change {
    ($tx:ident, $read:expr, $update:expr, $id:expr, $s:expr) => {{
        let before: SessionRow = sqlx::query_as(sqlx::AssertSqlSafe($read))
            .bind($id)
            .fetch_one(&mut *$tx)
            .await?;
        let (registered,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM onsite_registrations WHERE session_id = $1")
                .bind($id)
                .fetch_one(&mut *$tx)
                .await?;
        let (numbered,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM onsite_checkins c JOIN onsite_queues q ON q.id = c.queue_id \
             WHERE q.session_id = $1",
        )
        .bind($id)
        .fetch_one(&mut *$tx)
        .await?;
        if $s.capacity < registered {
            Err(SessionChangeRefusal::Registered(registered))
        } else if numbered > 0 && $s.day != before.day {
            Err(SessionChangeRefusal::Numbered)
        } else {
            let row: SessionRow = sqlx::query_as(sqlx::AssertSqlSafe($update))
                .bind($s.campus)
                .bind($s.place)
                .bind($s.day)
                .bind($s.starts)
                .bind($s.ends)
                .bind($s.capacity)
                .bind($id)
                .fetch_one(&mut *$tx)
                .await?;
            // The reminder says the day, times and place: any change is reminded again.
            let shown = |r: &SessionRow| {
                (
                    r.day.clone(),
                    r.starts.clone(),
                    r.ends.clone(),
                    r.campus.clone(),
                    r.place.clone(),
                )
            };
            if shown(&row) != shown(&before) {
                sqlx::query(
                    "UPDATE onsite_registrations SET reminded_at = NULL WHERE session_id = $1",
                )
                .bind($id)
                .execute(&mut *$tx)
                .await?;
            }
            Ok(row)
        }
    }};
}

const SESSION_COLS: &str = "id, campaign_id, campus, place, day, starts, ends, capacity, \
    created_at, in_service_open, note, branch_id";

impl Db {
    pub async fn create_onsite_session(&self, s: &NewSession<'_>) -> Result<SessionRow, DbError> {
        let sql = format!(
            "INSERT INTO onsite_sessions (campaign_id, campus, place, day, starts, ends, capacity, \
             created_at, in_service_open) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             RETURNING {SESSION_COLS}"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(s.campaign_id).bind(s.campus).bind(s.place).bind(s.day).bind(s.starts)
            .bind(s.ends).bind(s.capacity).bind(now_ms()).bind(s.in_service_open)
            .fetch_one(p).await?),
        )
    }

    /// A session and its queues (and the departments it is for; none: every one),
    /// together or not at all.
    pub async fn create_onsite_session_with_queues(
        &self,
        s: &NewSession<'_>,
        queues: &[String],
    ) -> Result<(SessionRow, Vec<QueueRow>), DbError> {
        self.create_onsite_session_for(s, queues, &[]).await
    }

    pub async fn create_onsite_session_for(
        &self,
        s: &NewSession<'_>,
        queues: &[String],
        departments: &[i64],
    ) -> Result<(SessionRow, Vec<QueueRow>), DbError> {
        let now = now_ms();
        let session_sql = format!(
            "INSERT INTO onsite_sessions (campaign_id, campus, place, day, starts, ends, capacity, \
             created_at, in_service_open) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             RETURNING {SESSION_COLS}"
        );
        let queue_sql = format!(
            "INSERT INTO onsite_queues (session_id, name, created_at) VALUES ($1, $2, $3) \
             RETURNING {QUEUE_COLS}"
        );
        Ok(write_tx!(self, tx => {
            let row: SessionRow = sqlx::query_as(sqlx::AssertSqlSafe(session_sql.as_str()))
                .bind(s.campaign_id).bind(s.campus).bind(s.place).bind(s.day).bind(s.starts)
                .bind(s.ends).bind(s.capacity).bind(now).bind(s.in_service_open)
                .fetch_one(&mut *tx).await?;
            let mut made = Vec::new();
            for q in queues {
                let r: QueueRow = sqlx::query_as(sqlx::AssertSqlSafe(queue_sql.as_str()))
                    .bind(row.id).bind(q).bind(now)
                    .fetch_one(&mut *tx).await?;
                made.push(r);
            }
            for d in departments {
                sqlx::query("INSERT INTO onsite_session_departments (session_id, department_id) \
                     VALUES ($1, $2)")
                    .bind(row.id).bind(*d).execute(&mut *tx).await?;
            }
            (row, made)
        }))
    }

    /// The branch's make-up session of a campaign on a day with a queue per service name,
    /// made if missing (two desks at once get the same one).
    pub async fn ensure_branch_session(
        &self,
        s: &NewSession<'_>,
        branch_id: i64,
        queues: &[String],
    ) -> Result<(SessionRow, Vec<QueueRow>), DbError> {
        let now = now_ms();
        let insert = "INSERT INTO onsite_sessions (campaign_id, campus, place, day, starts, ends, \
             capacity, created_at, in_service_open, branch_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (campaign_id, branch_id, day) WHERE branch_id IS NOT NULL DO NOTHING";
        let read = format!(
            "SELECT {SESSION_COLS} FROM onsite_sessions WHERE campaign_id = $1 AND branch_id = $2 \
             AND day = $3"
        );
        let session: SessionRow = write_tx!(self, tx => {
            sqlx::query(insert)
                .bind(s.campaign_id).bind(s.campus).bind(s.place).bind(s.day).bind(s.starts)
                .bind(s.ends).bind(s.capacity).bind(now).bind(false).bind(branch_id)
                .execute(&mut *tx).await?;
            let row: SessionRow = sqlx::query_as(sqlx::AssertSqlSafe(read.as_str()))
                .bind(s.campaign_id).bind(branch_id).bind(s.day).fetch_one(&mut *tx).await?;
            for q in queues {
                sqlx::query("INSERT INTO onsite_queues (session_id, name, created_at) \
                             VALUES ($1, $2, $3) ON CONFLICT (session_id, name) DO NOTHING")
                    .bind(row.id).bind(q).bind(now).execute(&mut *tx).await?;
            }
            row
        });
        let sql =
            format!("SELECT {QUEUE_COLS} FROM onsite_queues WHERE session_id = $1 ORDER BY id");
        let made = with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(session.id).fetch_all(p).await?);
        Ok((session, made))
    }

    /// Changes a session's place, day, times or capacity, in one transaction that refuses
    /// (writing nothing) a capacity below its registrations or a new day once anyone was
    /// numbered in it. Its registrations are reminded again if the day or times changed.
    pub async fn update_onsite_session(
        &self,
        id: i64,
        s: &NewSession<'_>,
    ) -> Result<Result<SessionRow, SessionChangeRefusal>, DbError> {
        let read = format!("SELECT {SESSION_COLS} FROM onsite_sessions WHERE id = $1");
        let update = format!(
            "UPDATE onsite_sessions SET campus = $1, place = $2, day = $3, starts = $4, ends = $5, \
             capacity = $6 WHERE id = $7 RETURNING {SESSION_COLS}"
        );
        let out: Result<SessionRow, SessionChangeRefusal> = match self {
            Db::Sqlite(sqlite) => {
                let _writer = sqlite.write_turn().await;
                let mut tx = sqlite.pool.begin_with("BEGIN IMMEDIATE").await?;
                let out = session_change!(tx, read.as_str(), update.as_str(), id, s);
                if out.is_ok() {
                    tx.commit().await?;
                }
                out
            }
            Db::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                let locked = format!("{read} FOR UPDATE");
                let out = session_change!(tx, locked.as_str(), update.as_str(), id, s);
                if out.is_ok() {
                    tx.commit().await?;
                }
                out
            }
        };
        Ok(out)
    }

    /// Deletes a session that nobody is registered for or numbered in and no offline
    /// station holds or pushed conflicts to, with its queues and departments; `false`
    /// (nothing deleted) otherwise.
    pub async fn delete_empty_onsite_session(&self, id: i64) -> Result<bool, DbError> {
        Ok(write_tx!(self, tx => {
            let (used,): (i64,) = sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM onsite_registrations WHERE session_id = $1) + \
                 (SELECT COUNT(*) FROM onsite_checkins c JOIN onsite_queues q ON q.id = c.queue_id \
                  WHERE q.session_id = $1) + \
                 (SELECT COUNT(*) FROM onsite_queues WHERE session_id = $1 AND held_by IS NOT NULL) + \
                 (SELECT COUNT(*) FROM onsite_conflicts f JOIN onsite_queues q ON q.id = f.queue_id \
                  WHERE q.session_id = $1)")
                .bind(id).fetch_one(&mut *tx).await?;
            if used > 0 {
                false
            } else {
                sqlx::query("DELETE FROM onsite_session_departments WHERE session_id = $1")
                    .bind(id).execute(&mut *tx).await?;
                sqlx::query("DELETE FROM onsite_queues WHERE session_id = $1")
                    .bind(id).execute(&mut *tx).await?;
                sqlx::query("DELETE FROM onsite_sessions WHERE id = $1")
                    .bind(id).execute(&mut *tx).await?.rows_affected() == 1
            }
        }))
    }

    /// A campaign's on-site sessions (not the branches' make-up days) by day and time.
    pub async fn campaign_sessions(&self, campaign_id: i64) -> Result<Vec<SessionRow>, DbError> {
        let sql = format!(
            "SELECT {SESSION_COLS} FROM onsite_sessions WHERE campaign_id = $1 \
             AND branch_id IS NULL ORDER BY day, starts, campus, place, id"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(campaign_id).fetch_all(p).await?),
        )
    }

    /// Sets a session's note (empty: none).
    pub async fn set_session_note(&self, id: i64, note: &str) -> Result<SessionRow, DbError> {
        let sql =
            format!("UPDATE onsite_sessions SET note = $1 WHERE id = $2 RETURNING {SESSION_COLS}");
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(note).bind(id).fetch_one(p).await?),
        )
    }

    pub async fn onsite_session(&self, id: i64) -> Result<SessionRow, DbError> {
        let sql = format!("SELECT {SESSION_COLS} FROM onsite_sessions WHERE id = $1");
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(id).fetch_one(p).await?),
        )
    }
}
