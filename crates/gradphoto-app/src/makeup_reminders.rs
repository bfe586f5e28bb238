//! The day-before reminder of a make-up booking (issue 8), by text message to the phone
//! of the account that booked, once: the booking is claimed before sending and released if
//! the send fails, so two workers never text a student twice. Like the on-site reminders,
//! texts go out between 09:00 and 20:00 China time and only for open campaigns; a booking
//! still waiting for its online payment is not reminded (it may yet be released).

use gradphoto_domain::calendar::china_date;
use gradphoto_domain::campaign::CampaignStatus;

use crate::onsite_reminders::daytime;
use crate::sms::SmsMessage;
use crate::{App, AppError};

impl App {
    /// Sends the reminders of tomorrow's make-up bookings (China time); the number sent.
    pub async fn send_makeup_reminders(&self) -> Result<usize, AppError> {
        self.send_makeup_reminders_at(gradphoto_db::now_ms()).await
    }

    /// [`App::send_makeup_reminders`] as if it were `now` (tests pick the hour).
    pub async fn send_makeup_reminders_at(&self, now: i64) -> Result<usize, AppError> {
        if !daytime(now) {
            return Ok(0);
        }
        let tomorrow = china_date(now) + chrono::Days::new(1);
        let mut sent = 0;
        for b in self.db.bookings_to_remind(&tomorrow.to_string()).await? {
            let status = self.db.get_campaign(b.campaign_id).await?.status;
            if CampaignStatus::parse(&status) != Some(CampaignStatus::Open) {
                continue;
            }
            if self
                .db
                .booking_order(b.id)
                .await?
                .is_some_and(|o| o.status != "paid")
            {
                continue;
            }
            let Some(phone) = self.db.account_phone(b.account_id).await? else {
                continue;
            };
            if !self.db.mark_booking_reminded(&b).await? {
                continue;
            }
            let service = self.db.service(b.service_id).await?;
            let branch = self.db.branch(service.branch_id).await?;
            let message = SmsMessage::MakeupReminder {
                time: format!("{} {}–{}", b.day, b.starts, b.ends),
                place: format!("{} {} {}", branch.name, branch.address, service.place),
                code: b.code.clone(),
            };
            match self.sms.send(&phone, &message).await {
                Ok(()) => sent += 1,
                Err(e) => {
                    tracing::warn!(booking = b.id, error = %e, "booking reminder not sent");
                    self.db.unmark_booking_reminded(b.id).await?;
                }
            }
        }
        Ok(sent)
    }
}
