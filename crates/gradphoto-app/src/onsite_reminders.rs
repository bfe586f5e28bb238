//! The day-before reminder of an on-site session, by text message through the SMS
//! provider of issue 5: to each registered student who has a phone on record (those who
//! signed in to the student site), once — the registration is claimed before sending and
//! released if the send fails, so two workers never text a student twice.

use gradphoto_domain::calendar::china_date;

use crate::sms::SmsMessage;
use crate::{App, AppError};

impl App {
    /// Sends the reminders of tomorrow's sessions (China time); the number sent.
    pub async fn send_onsite_reminders(&self) -> Result<usize, AppError> {
        let tomorrow = china_date(gradphoto_db::now_ms()) + chrono::Days::new(1);
        let mut sent = 0;
        for session in self.db.sessions_on(&tomorrow.to_string()).await? {
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
