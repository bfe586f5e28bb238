//! The job queue: a table, claimed with `FOR UPDATE SKIP LOCKED` on PostgreSQL and a single
//! `UPDATE … RETURNING` on SQLite (whose one writer makes that atomic). A claim is a lease:
//! a worker killed mid-job leaves the job to be claimed again when the lease runs out, so
//! every job must be idempotent.

use serde::Serialize;

use crate::rows::impl_from_row;
use crate::{Db, DbError, now_ms, with_pool};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobRow {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    pub dedupe_key: Option<String>,
    pub status: String,
    pub attempts: i64,
    pub max_attempts: i64,
    pub run_at: i64,
    pub locked_until: Option<i64>,
    pub last_error: Option<String>,
}
impl_from_row!(JobRow {
    id,
    kind,
    payload,
    dedupe_key,
    status,
    attempts,
    max_attempts,
    run_at,
    locked_until,
    last_error
});

#[derive(Debug, Clone)]
pub struct NewJob {
    pub kind: String,
    pub payload: String,
    /// While a job with this key is queued or running, enqueueing another is a no-op.
    pub dedupe_key: Option<String>,
    pub run_at: i64,
    pub max_attempts: i64,
}

/// Queue counts by status, for /metrics and the "no job left behind" test check.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct JobCounts {
    pub queued: i64,
    pub running: i64,
    pub done: i64,
    pub failed: i64,
}

const COLS: &str = "id, kind, payload, dedupe_key, status, attempts, max_attempts, run_at, locked_until, last_error";

const CLAIM_SQLITE: &str = "UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_until = $1, updated_at = $2
    WHERE id = (SELECT id FROM jobs
                WHERE (status = 'queued' AND run_at <= $2) OR (status = 'running' AND locked_until < $2)
                ORDER BY run_at, id LIMIT 1)
    RETURNING ";

const CLAIM_PG: &str = "UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_until = $1, updated_at = $2
    WHERE id = (SELECT id FROM jobs
                WHERE (status = 'queued' AND run_at <= $2) OR (status = 'running' AND locked_until < $2)
                ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
    RETURNING ";

impl Db {
    /// Enqueues a job; returns its id, or `None` when an active job has the same dedupe key.
    pub async fn enqueue_job(&self, j: &NewJob) -> Result<Option<i64>, DbError> {
        let now = now_ms();
        let id: Option<(i64,)> = with_pool!(self, p => sqlx::query_as(
            "INSERT INTO jobs (kind, payload, dedupe_key, status, attempts, max_attempts, run_at, created_at, updated_at) \
             VALUES ($1, $2, $3, 'queued', 0, $4, $5, $6, $6) \
             ON CONFLICT (dedupe_key) WHERE status IN ('queued', 'running') DO NOTHING RETURNING id")
            .bind(&j.kind).bind(&j.payload).bind(&j.dedupe_key).bind(j.max_attempts).bind(j.run_at).bind(now)
            .fetch_optional(p).await?);
        Ok(id.map(|(i,)| i))
    }

    /// Claims the next runnable job for `lease_ms`, or `None` when there is nothing to do.
    pub async fn claim_job(&self, now: i64, lease_ms: i64) -> Result<Option<JobRow>, DbError> {
        Ok(match self {
            Db::Sqlite(s) => {
                let p = &s.pool;
                sqlx::query_as(sqlx::AssertSqlSafe(format!("{CLAIM_SQLITE}{COLS}")))
                    .bind(now + lease_ms)
                    .bind(now)
                    .fetch_optional(p)
                    .await?
            }
            Db::Postgres(p) => {
                sqlx::query_as(sqlx::AssertSqlSafe(format!("{CLAIM_PG}{COLS}")))
                    .bind(now + lease_ms)
                    .bind(now)
                    .fetch_optional(p)
                    .await?
            }
        })
    }

    /// Marks a claimed job done. Only the holder of the current lease may: a worker whose
    /// lease ran out and was re-claimed gets `false` and must not report success.
    pub async fn complete_job(&self, id: i64, attempts: i64) -> Result<bool, DbError> {
        let n = with_pool!(self, p => sqlx::query(
            "UPDATE jobs SET status = 'done', locked_until = NULL, updated_at = $1 WHERE id = $2 AND status = 'running' AND attempts = $3")
            .bind(now_ms()).bind(id).bind(attempts).execute(p).await?.rows_affected());
        Ok(n == 1)
    }

    /// Records a failure: back to the queue at `retry_at`, or `failed` for good when the
    /// attempts are used up.
    pub async fn fail_job(
        &self,
        id: i64,
        attempts: i64,
        error: &str,
        retry_at: i64,
    ) -> Result<(), DbError> {
        with_pool!(self, p => {
            sqlx::query(
                "UPDATE jobs SET status = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END, \
                 run_at = $1, locked_until = NULL, last_error = $2, updated_at = $3 \
                 WHERE id = $4 AND status = 'running' AND attempts = $5")
                .bind(retry_at).bind(error).bind(now_ms()).bind(id).bind(attempts).execute(p).await?;
        });
        Ok(())
    }

    pub async fn job_counts(&self) -> Result<JobCounts, DbError> {
        let rows: Vec<(String, i64)> = with_pool!(self, p => sqlx::query_as(
            "SELECT status, COUNT(*) FROM jobs GROUP BY status").fetch_all(p).await?);
        let mut c = JobCounts::default();
        for (s, n) in rows {
            match s.as_str() {
                "queued" => c.queued = n,
                "running" => c.running = n,
                "done" => c.done = n,
                "failed" => c.failed = n,
                _ => {}
            }
        }
        Ok(c)
    }

    pub async fn get_job(&self, id: i64) -> Result<JobRow, DbError> {
        let sql = format!("SELECT {COLS} FROM jobs WHERE id = $1");
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(id).fetch_one(p).await?),
        )
    }
}
