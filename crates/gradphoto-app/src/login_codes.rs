//! The student's SMS login code (seed 003 step 1): send one under the limits of the
//! domain's [`OtpPolicy`], and check one. Codes are 6 random digits, stored only as a
//! keyed hash (HMAC under the deployment's key), so a copy of the database does not let
//! anyone try the million candidates offline.

use gradphoto_db::otp::OtpMark;
use gradphoto_domain::calendar::china_day_start_ms;
use gradphoto_domain::otp::{CheckOutcome, LiveCode, OtpPolicy, SendHistory, normalize_phone};

use crate::{App, AppError};

pub const LOGIN: &str = "login";

fn random_code() -> Result<String, AppError> {
    // Rejection sampling keeps the six digits uniform.
    loop {
        let b = crate::pii::random_bytes::<4>()?;
        let n = u32::from_be_bytes(b);
        if n < 4_294_000_000 {
            return Ok(format!("{:06}", n % 1_000_000));
        }
    }
}

impl App {
    fn code_hash(&self, phone: &str, purpose: &str, code: &str) -> String {
        self.pii.keyed_hash(&["otp", phone, purpose, code])
    }

    /// Sends a login code to `phone` unless a limit says no. The answer is the same
    /// whether or not the phone belongs to anyone the platform knows.
    pub async fn send_login_code(&self, phone: &str, ip: &str) -> Result<(), AppError> {
        self.send_code_at(phone, LOGIN, ip, gradphoto_db::now_ms())
            .await
    }

    pub(crate) async fn send_code_at(
        &self,
        phone: &str,
        purpose: &str,
        ip: &str,
        now: i64,
    ) -> Result<(), AppError> {
        let phone = normalize_phone(phone).map_err(AppError::Invalid)?;
        let policy = OtpPolicy::default();
        let code = random_code()?;
        let hash = self.code_hash(&phone, purpose, &code);
        let decided = self
            .db
            .otp_issue(
                &phone,
                purpose,
                ip,
                &hash,
                now,
                china_day_start_ms(now),
                |c| {
                    let n = |x: i64| u32::try_from(x).unwrap_or(u32::MAX);
                    policy.may_send(&SendHistory {
                        since_last_to_phone_secs: c.last_to_phone_at.map(|t| (now - t) / 1000),
                        phone_last_hour: n(c.phone_last_hour),
                        phone_today: n(c.phone_today),
                        ip_last_hour: n(c.ip_last_hour),
                        ip_today: n(c.ip_today),
                        platform_today: n(c.platform_today),
                    })
                },
            )
            .await?;
        let id = decided.map_err(|r| AppError::Throttled(r.message()))?;
        let message = crate::sms::SmsMessage::Code { code };
        if let Err(e) = self.sms.send(&phone, &message).await {
            self.db.otp_mark_failed(id).await?;
            return Err(e);
        }
        Ok(())
    }

    /// Checks a login code; on success returns the normalised phone, and the code is used
    /// up. A wrong code counts against the five attempts.
    pub async fn check_login_code(&self, phone: &str, code: &str) -> Result<String, AppError> {
        self.check_code_at(phone, LOGIN, code, gradphoto_db::now_ms())
            .await
    }

    pub(crate) async fn check_code_at(
        &self,
        phone: &str,
        purpose: &str,
        code: &str,
        now: i64,
    ) -> Result<String, AppError> {
        let phone = normalize_phone(phone).map_err(AppError::Invalid)?;
        let code = code.trim();
        let policy = OtpPolicy::default();
        let hash = self.code_hash(&phone, purpose, code);
        let outcome = self
            .db
            .otp_check(&phone, purpose, now, |row| {
                let live = row.map(|r| LiveCode {
                    age_secs: (now - r.created_at) / 1000,
                    attempts: u32::try_from(r.attempts).unwrap_or(u32::MAX),
                    used: r.used_at.is_some(),
                });
                let matches = row.is_some_and(|r| r.code_hash == hash);
                let outcome = policy.check(live, matches);
                let mark = match outcome {
                    CheckOutcome::Valid => OtpMark::Used,
                    CheckOutcome::Wrong { .. } => OtpMark::Wrong,
                    _ => OtpMark::Nothing,
                };
                (outcome, mark)
            })
            .await?;
        match outcome.message() {
            None => Ok(phone),
            Some(m) => Err(AppError::Invalid(m)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits() {
        for _ in 0..200 {
            let c = random_code().expect("code");
            assert_eq!(c.len(), 6);
            assert!(c.bytes().all(|b| b.is_ascii_digit()));
        }
    }
}
