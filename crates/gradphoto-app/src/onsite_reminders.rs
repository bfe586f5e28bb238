//! The day-before reminder of an on-site session, by text message through the SMS
//! provider of issue 5: to each registered student who has a phone on record (those who
//! signed in to the student site), once — the registration is claimed before sending and
//! released if the send fails, so two workers never text a student twice. Texts go out
//! in the daytime only (09:00–20:00 China time; the hourly job catches up in the morning)
//! and only for campaigns that are open.

use gradphoto_domain::calendar::{china_date, china_day_start_ms};
use gradphoto_domain::campaign::CampaignStatus;

use crate::sms::SmsMessage;
use crate::{App, AppError};

impl App {
    /// Sends the reminders of tomorrow's sessions (China time); the number sent.
    pub async fn send_onsite_reminders(&self) -> Result<usize, AppError> {
        self.send_onsite_reminders_at(gradphoto_db::now_ms()).await
    }

    /// [`App::send_onsite_reminders`] as if it were `now` (tests pick the hour).
    pub async fn send_onsite_reminders_at(&self, now: i64) -> Result<usize, AppError> {
        if !daytime(now) {
            return Ok(0);
        }
        let tomorrow = china_date(now) + chrono::Days::new(1);
        let mut sent = 0;
        for session in self.db.sessions_on(&tomorrow.to_string()).await? {
            let status = self.db.get_campaign(session.campaign_id).await?.status;
            if CampaignStatus::parse(&status) != Some(CampaignStatus::Open) {
                continue;
            }
            for r in self.db.session_registrations(session.id).await? {
                if r.reminded_at.is_some() {
                    continue;
                }
                let Some(phone) = self
                    .db
                    .phone_of_student(r.campaign_id, r.student_id)
                    .await?
                else {
                    continue;
                };
                if !self.db.mark_reminded(r.id).await? {
                    continue;
                }
                let message = SmsMessage::OnsiteReminder {
                    day: session.day.clone(),
                    time: format!("{}–{}", session.starts, session.ends),
                    place: format!("{} {}", session.campus, session.place),
                    group: r.group_no.map(|g| format!("，第{g}组")).unwrap_or_default(),
                };
                match self.sms.send(&phone, &message).await {
                    Ok(()) => sent += 1,
                    Err(e) => {
                        tracing::warn!(registration = r.id, error = %e, "reminder not sent");
                        self.db.unmark_reminded(r.id).await?;
                    }
                }
            }
        }
        Ok(sent)
    }
}

/// Whether `now_ms` is between 09:00 and 20:00 in China, when a reminder may be sent.
pub(crate) fn daytime(now_ms: i64) -> bool {
    let hour = (now_ms - china_day_start_ms(now_ms)) / 3_600_000;
    (9..20).contains(&hour)
}

#[cfg(test)]
mod tests {
    #[test]
    fn reminders_wait_for_the_daytime_in_china() {
        // 2026-12-04 00:30 UTC is 08:30 in Beijing; 01:00 UTC is 09:00; 12:00 UTC is 20:00.
        let at = |h: i64, m: i64| 1_796_342_400_000 + h * 3_600_000 + m * 60_000;
        assert!(!super::daytime(at(0, 30)));
        assert!(super::daytime(at(1, 0)));
        assert!(super::daytime(at(11, 59)));
        assert!(!super::daytime(at(12, 0)));
    }
}
