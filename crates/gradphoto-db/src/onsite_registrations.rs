//! Registrations for on-site sessions (migration 0014). A batch — a secretary's picks or
//! an imported 报名表 — is written all or nothing: in one transaction that locks the
//! session row (PostgreSQL `FOR UPDATE`; SQLite's `BEGIN IMMEDIATE` serialises writers),
//! counts who is registered, refuses the batch if it would pass the capacity, and inserts.
//! A student already registered in the campaign makes the batch a conflict naming them.

use crate::rows::impl_from_row;
use crate::{Db, DbError, now_ms, with_pool};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationRow {
    pub id: i64,
    pub campaign_id: i64,
    pub session_id: i64,
    pub student_id: i64,
    pub registered_by: String,
    pub created_at: i64,
    /// The group (组别) in the session, once the plan is built.
    pub group_no: Option<i64>,
    pub reminded_at: Option<i64>,
    /// The mobile number the 报名表 gave (migration 0026), for the reminder.
    pub phone: Option<String>,
}
impl_from_row!(RegistrationRow {
    id,
    campaign_id,
    session_id,
    student_id,
    registered_by,
    created_at,
    group_no,
    reminded_at,
    phone
});

const COLS: &str = "id, campaign_id, session_id, student_id, registered_by, created_at, group_no, reminded_at, phone";

/// Why a batch was not written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegisterRefusal {
    /// The session has `free` places left; the batch asked for more.
    Full { free: i64 },
    /// These students are registered in the campaign already.
    AlreadyRegistered(Vec<i64>),
}

macro_rules! register_body {
    ($tx:ident, $lock:expr, $campaign:expr, $session:expr, $students:expr, $phones:expr, $by:expr, $now:expr) => {{
        let (capacity,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe($lock))
            .bind($session)
            .fetch_one(&mut *$tx)
            .await?;
        let (taken,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM onsite_registrations WHERE session_id = $1")
                .bind($session)
                .fetch_one(&mut *$tx)
                .await?;
        let mut already = Vec::new();
        for s in $students {
            let hit: Option<(i64,)> = sqlx::query_as(
                "SELECT id FROM onsite_registrations WHERE campaign_id = $1 AND student_id = $2",
            )
            .bind($campaign)
            .bind(*s)
            .fetch_optional(&mut *$tx)
            .await?;
            if hit.is_some() {
                already.push(*s);
            }
        }
        let asked = i64::try_from($students.len()).unwrap_or(i64::MAX);
        if !already.is_empty() {
            Err(RegisterRefusal::AlreadyRegistered(already))
        } else if taken + asked > capacity {
            Err(RegisterRefusal::Full {
                free: (capacity - taken).max(0),
            })
        } else {
            let insert = format!(
                "INSERT INTO onsite_registrations (campaign_id, session_id, student_id, \
                 registered_by, created_at, phone) VALUES ($1, $2, $3, $4, $5, $6) RETURNING {COLS}"
            );
            let mut rows = Vec::new();
            for (i, s) in $students.iter().enumerate() {
                let phone: Option<&str> =
                    $phones.get(i).and_then(|p: &Option<String>| p.as_deref());
                let r: RegistrationRow = sqlx::query_as(sqlx::AssertSqlSafe(insert.as_str()))
                    .bind($campaign)
                    .bind($session)
                    .bind(*s)
                    .bind($by)
                    .bind($now)
                    .bind(phone)
                    .fetch_one(&mut *$tx)
                    .await?;
                rows.push(r);
            }
            Ok(rows)
        }
    }};
}

impl Db {
    /// Registers `students` for a session of `campaign_id`, all or none.
    pub async fn register_for_session(
        &self,
        campaign_id: i64,
        session_id: i64,
        students: &[i64],
        by: &str,
    ) -> Result<Result<Vec<RegistrationRow>, RegisterRefusal>, DbError> {
        self.register_for_session_with_phones(campaign_id, session_id, students, &[], by)
            .await
    }

    /// [`Db::register_for_session`] with each student's mobile number from the 报名表
    /// (`phones[i]` for `students[i]`; missing: none).
    pub async fn register_for_session_with_phones(
        &self,
        campaign_id: i64,
        session_id: i64,
        students: &[i64],
        phones: &[Option<String>],
        by: &str,
    ) -> Result<Result<Vec<RegistrationRow>, RegisterRefusal>, DbError> {
        let now = now_ms();
        let plain = "SELECT capacity FROM onsite_sessions WHERE id = $1";
        let locked = "SELECT capacity FROM onsite_sessions WHERE id = $1 FOR UPDATE";
        // A refusal rolls the transaction back (nothing was written) by not committing.
        Ok(match self {
            Db::Sqlite(sqlite) => {
                let _writer = sqlite.write_turn().await;
                let mut tx = sqlite.pool.begin_with("BEGIN IMMEDIATE").await?;
                let out = register_body!(
                    tx,
                    plain,
                    campaign_id,
                    session_id,
                    students,
                    phones,
                    by,
                    now
                );
                if out.is_ok() {
                    tx.commit().await?;
                }
                out
            }
            Db::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                let out = register_body!(
                    tx,
                    locked,
                    campaign_id,
                    session_id,
                    students,
                    phones,
                    by,
                    now
                );
                if out.is_ok() {
                    tx.commit().await?;
                }
                out
            }
        })
    }

    /// Who is registered for a session, in order of registration.
    pub async fn session_registrations(
        &self,
        session_id: i64,
    ) -> Result<Vec<RegistrationRow>, DbError> {
        let sql =
            format!("SELECT {COLS} FROM onsite_registrations WHERE session_id = $1 ORDER BY id");
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(session_id).fetch_all(p).await?),
        )
    }

    /// Takes a student off a session; `false` when they were not registered for it.
    pub async fn unregister_from_session(
        &self,
        session_id: i64,
        student_id: i64,
    ) -> Result<bool, DbError> {
        let done = with_pool!(self, p => sqlx::query(
            "DELETE FROM onsite_registrations WHERE session_id = $1 AND student_id = $2")
            .bind(session_id).bind(student_id).execute(p).await?.rows_affected());
        Ok(done == 1)
    }

    /// The campaign's registered students, with the session each is registered for.
    pub async fn campaign_registrations(
        &self,
        campaign_id: i64,
    ) -> Result<Vec<RegistrationRow>, DbError> {
        let sql = format!(
            "SELECT {COLS} FROM onsite_registrations WHERE campaign_id = $1 ORDER BY session_id, id"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(campaign_id).fetch_all(p).await?),
        )
    }

    /// A student's registration in a campaign, if any.
    pub async fn registration_of(
        &self,
        campaign_id: i64,
        student_id: i64,
    ) -> Result<Option<RegistrationRow>, DbError> {
        let sql = format!(
            "SELECT {COLS} FROM onsite_registrations WHERE campaign_id = $1 AND student_id = $2"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(campaign_id).bind(student_id).fetch_optional(p).await?),
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicationRow {
    pub campaign_id: i64,
    pub group_size: i64,
    pub published_by: String,
    pub published_at: i64,
}
impl_from_row!(PublicationRow {
    campaign_id,
    group_size,
    published_by,
    published_at
});

impl Db {
    /// Writes the groups of a campaign's registrations, (registration, group) pairs, in
    /// one transaction.
    pub async fn set_groups(&self, groups: &[(i64, i64)]) -> Result<(), DbError> {
        crate::write_tx!(self, tx => {
            for (id, g) in groups {
                sqlx::query("UPDATE onsite_registrations SET group_no = $1 WHERE id = $2")
                    .bind(*g).bind(*id).execute(&mut *tx).await?;
            }
        });
        Ok(())
    }

    /// Records (or renews) the publication of a campaign's schedule.
    pub async fn publish_schedule(
        &self,
        campaign_id: i64,
        group_size: i64,
        by: &str,
    ) -> Result<PublicationRow, DbError> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "INSERT INTO onsite_publications (campaign_id, group_size, published_by, published_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (campaign_id) DO UPDATE SET \
             group_size = EXCLUDED.group_size, published_by = EXCLUDED.published_by, \
             published_at = EXCLUDED.published_at \
             RETURNING campaign_id, group_size, published_by, published_at")
            .bind(campaign_id).bind(group_size).bind(by).bind(now_ms())
            .fetch_one(p).await?))
    }

    pub async fn publication(&self, campaign_id: i64) -> Result<Option<PublicationRow>, DbError> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT campaign_id, group_size, published_by, published_at FROM onsite_publications \
             WHERE campaign_id = $1")
            .bind(campaign_id).fetch_optional(p).await?))
    }

    /// The phone of the student account bound to a student in a campaign (students who
    /// never signed in have none).
    pub async fn phone_of_student(
        &self,
        campaign_id: i64,
        student_id: i64,
    ) -> Result<Option<String>, DbError> {
        // The number the department gave, else the one the student signs in with.
        let given: Option<(String,)> = with_pool!(self, p => sqlx::query_as(
            "SELECT phone FROM onsite_registrations WHERE campaign_id = $1 AND student_id = $2 \
             AND phone IS NOT NULL")
            .bind(campaign_id).bind(student_id).fetch_optional(p).await?);
        if let Some((phone,)) = given {
            return Ok(Some(phone));
        }
        let hit: Option<(String,)> = with_pool!(self, p => sqlx::query_as(
            "SELECT a.phone FROM online_entries e JOIN student_accounts a ON a.id = e.account_id \
             WHERE e.campaign_id = $1 AND e.student_id = $2 ORDER BY e.updated_at DESC LIMIT 1")
            .bind(campaign_id).bind(student_id).fetch_optional(p).await?);
        Ok(hit.map(|(p,)| p))
    }

    /// Sessions on a day (`YYYY-MM-DD`), of every campaign.
    pub async fn sessions_on(
        &self,
        day: &str,
    ) -> Result<Vec<crate::onsite_sessions::SessionRow>, DbError> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT id, campaign_id, campus, place, day, starts, ends, capacity, created_at, in_service_open, note, branch_id \
             FROM onsite_sessions WHERE day = $1 ORDER BY id")
            .bind(day).fetch_all(p).await?))
    }

    /// Releases a reminder claim after a failed send, for the next pass to try again.
    pub async fn unmark_reminded(&self, registration_id: i64) -> Result<(), DbError> {
        with_pool!(self, p => sqlx::query(
            "UPDATE onsite_registrations SET reminded_at = NULL WHERE id = $1")
            .bind(registration_id).execute(p).await?.rows_affected());
        Ok(())
    }

    /// Marks a registration reminded; `false` if it already was (another worker sent it).
    pub async fn mark_reminded(&self, registration_id: i64) -> Result<bool, DbError> {
        let n = with_pool!(self, p => sqlx::query(
            "UPDATE onsite_registrations SET reminded_at = $1 WHERE id = $2 AND reminded_at IS NULL")
            .bind(now_ms()).bind(registration_id).execute(p).await?.rows_affected());
        Ok(n == 1)
    }
}
