//! SMS login codes: issuing one under the send limits and checking one under the attempt
//! limit, each as one transaction in which the phone is locked, so that concurrent
//! requests for one phone (two tabs, two server processes) are decided one at a time.
//!
//! The store counts and writes; the decisions are callbacks from the caller (the domain's
//! OTP policy), so no limit is coded here. Times are passed in, so tests choose the clock.

use crate::{Db, DbError, write_tx};

/// What has been sent recently, counted at `now` inside the issuing transaction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OtpCounts {
    /// When the last code for this phone (any purpose) was created.
    pub last_to_phone_at: Option<i64>,
    pub phone_last_hour: i64,
    pub phone_today: i64,
    pub ip_last_hour: i64,
    pub ip_today: i64,
    pub platform_today: i64,
}

/// The phone's newest code for a purpose, as the check sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtpCodeRow {
    pub id: i64,
    pub code_hash: String,
    pub created_at: i64,
    pub attempts: i64,
    pub used_at: Option<i64>,
}

/// What the caller's judgement asks the check to record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtpMark {
    /// Nothing to record (no code, expired, out of attempts).
    Nothing,
    /// A wrong attempt: count it.
    Wrong,
    /// The right code: use it up, so it cannot log in twice.
    Used,
}

const HOUR_MS: i64 = 3_600_000;

impl Db {
    /// Locks the phone for the rest of the transaction (PostgreSQL; SQLite's write
    /// transaction already holds the one write lock).
    async fn lock_phone_pg(
        tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
        phone: &str,
    ) -> Result<(), DbError> {
        sqlx::query("INSERT INTO otp_phones (phone) VALUES ($1) ON CONFLICT DO NOTHING")
            .bind(phone)
            .execute(&mut **tx)
            .await?;
        sqlx::query("SELECT phone FROM otp_phones WHERE phone = $1 FOR UPDATE")
            .bind(phone)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Counts what was sent, asks `decide`, and when it agrees stores the new code (which
    /// voids the phone's older codes: only the newest is ever checked). Returns the new
    /// code's id, or the refusal `decide` gave.
    #[allow(clippy::too_many_arguments)]
    pub async fn otp_issue<E>(
        &self,
        phone: &str,
        purpose: &str,
        ip: &str,
        code_hash: &str,
        now: i64,
        day_start: i64,
        decide: impl FnOnce(&OtpCounts) -> Result<(), E>,
    ) -> Result<Result<i64, E>, DbError> {
        macro_rules! body {
            ($tx:ident) => {{
                let (last, phone_hour, phone_day): (Option<i64>, i64, i64) = sqlx::query_as(
                    "SELECT MAX(created_at), \
                     COALESCE(SUM(CASE WHEN created_at > $2 THEN 1 ELSE 0 END), 0), \
                     COALESCE(SUM(CASE WHEN created_at >= $3 THEN 1 ELSE 0 END), 0) \
                     FROM otp_codes WHERE phone = $1 AND created_at > $4",
                )
                .bind(phone)
                .bind(now - HOUR_MS)
                .bind(day_start)
                .bind(now - 25 * HOUR_MS)
                .fetch_one(&mut *$tx)
                .await?;
                let (ip_hour, ip_day): (i64, i64) = sqlx::query_as(
                    "SELECT COALESCE(SUM(CASE WHEN created_at > $2 THEN 1 ELSE 0 END), 0), \
                     COALESCE(SUM(CASE WHEN created_at >= $3 THEN 1 ELSE 0 END), 0) \
                     FROM otp_codes WHERE ip = $1 AND created_at > $4",
                )
                .bind(ip)
                .bind(now - HOUR_MS)
                .bind(day_start)
                .bind(now - 25 * HOUR_MS)
                .fetch_one(&mut *$tx)
                .await?;
                let (platform,): (i64,) =
                    sqlx::query_as("SELECT COUNT(*) FROM otp_codes WHERE created_at >= $1")
                        .bind(day_start)
                        .fetch_one(&mut *$tx)
                        .await?;
                let counts = OtpCounts {
                    last_to_phone_at: last,
                    phone_last_hour: phone_hour,
                    phone_today: phone_day,
                    ip_last_hour: ip_hour,
                    ip_today: ip_day,
                    platform_today: platform,
                };
                match decide(&counts) {
                    Err(e) => Err(e),
                    Ok(()) => {
                        let (id,): (i64,) = sqlx::query_as(
                            "INSERT INTO otp_codes (phone, purpose, ip, code_hash, created_at) \
                             VALUES ($1, $2, $3, $4, $5) RETURNING id",
                        )
                        .bind(phone)
                        .bind(purpose)
                        .bind(ip)
                        .bind(code_hash)
                        .bind(now)
                        .fetch_one(&mut *$tx)
                        .await?;
                        Ok(id)
                    }
                }
            }};
        }
        Ok(match self {
            Db::Sqlite(_) => write_tx!(self, tx => body!(tx)),
            Db::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                Db::lock_phone_pg(&mut tx, phone).await?;
                let out = body!(tx);
                tx.commit().await?;
                out
            }
        })
    }

    /// Records that the provider did not take the message. The code still counts against
    /// the limits (a failing number must not become a way round them).
    pub async fn otp_mark_failed(&self, id: i64) -> Result<(), DbError> {
        crate::with_pool!(self, p => sqlx::query("UPDATE otp_codes SET status = 'failed', used_at = created_at WHERE id = $1")
            .bind(id).execute(p).await?.rows_affected());
        Ok(())
    }

    /// Reads the phone's newest code for `purpose`, asks `judge` what to record, records it
    /// and returns the judgement — all under the phone's lock, so two simultaneous right
    /// answers log in once and simultaneous wrong ones each count.
    pub async fn otp_check<T>(
        &self,
        phone: &str,
        purpose: &str,
        now: i64,
        judge: impl FnOnce(Option<&OtpCodeRow>) -> (T, OtpMark),
    ) -> Result<T, DbError> {
        macro_rules! body {
            ($tx:ident) => {{
                let row: Option<(i64, String, i64, i64, Option<i64>)> = sqlx::query_as(
                    "SELECT id, code_hash, created_at, attempts, used_at FROM otp_codes \
                     WHERE phone = $1 AND purpose = $2 ORDER BY created_at DESC, id DESC LIMIT 1",
                )
                .bind(phone)
                .bind(purpose)
                .fetch_optional(&mut *$tx)
                .await?;
                let row = row.map(|(id, code_hash, created_at, attempts, used_at)| OtpCodeRow {
                    id,
                    code_hash,
                    created_at,
                    attempts,
                    used_at,
                });
                let (out, mark) = judge(row.as_ref());
                if let Some(r) = &row {
                    match mark {
                        OtpMark::Nothing => {}
                        OtpMark::Wrong => {
                            sqlx::query("UPDATE otp_codes SET attempts = attempts + 1 WHERE id = $1")
                                .bind(r.id)
                                .execute(&mut *$tx)
                                .await?;
                        }
                        OtpMark::Used => {
                            sqlx::query("UPDATE otp_codes SET used_at = $2 WHERE id = $1")
                                .bind(r.id)
                                .bind(now)
                                .execute(&mut *$tx)
                                .await?;
                        }
                    }
                }
                out
            }};
        }
        Ok(match self {
            Db::Sqlite(_) => write_tx!(self, tx => body!(tx)),
            Db::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                Db::lock_phone_pg(&mut tx, phone).await?;
                let out = body!(tx);
                tx.commit().await?;
                out
            }
        })
    }
}
