//! At the branch (issue 8): a booked student is checked in, photographed and confirmed with
//! the same desk, station and confirmation screen as an on-site day. A branch's day for a
//! campaign is an on-site session of its own with a queue per service, made at the first
//! check-in; the desk numbers only students booked at this branch for today.

use gradphoto_db::branches::ServiceRow;
use gradphoto_db::makeup_bookings::BookingRow;
use gradphoto_db::onsite_sessions::NewSession;
use gradphoto_domain::i18n::Msg;
use gradphoto_domain::onsite::no_code;
use gradphoto_domain::policy::{Action, Resource, ResourceKind};

use crate::auth::Staff;
use crate::campaigns::Campaign;
use crate::makeup_branches::hours_of;
use crate::onsite_checkin::Checkin;
use crate::{App, AppError};

/// A booked student numbered at the branch.
#[derive(Debug, Clone)]
pub struct BranchCheckin {
    pub checkin: Checkin,
    pub booking: BookingRow,
    pub service: ServiceRow,
}

fn no_booking() -> AppError {
    AppError::Invalid(Msg::new(
        "makeup.no_booking",
        "该学生今天没有在本网点的补拍预约：请先预约",
        "This student has no make-up booking at this branch today: book first",
    ))
}

impl App {
    /// The student's live booking at `branch_id` on `day` for the campaign, for the
    /// service the queue `queue_name` serves (a number owes its booked service's price), at
    /// a branch the campaign still accepts; or the refusal.
    pub(crate) async fn booking_here(
        &self,
        campaign: &Campaign,
        student_id: i64,
        branch_id: i64,
        day: &str,
        queue_name: &str,
    ) -> Result<BookingRow, AppError> {
        let Some(b) = self.db.live_booking(campaign.id, student_id).await? else {
            return Err(no_booking());
        };
        let service = self.db.service(b.service_id).await?;
        if b.day != day || service.branch_id != branch_id {
            return Err(no_booking());
        }
        if service.name_zh != queue_name {
            return Err(AppError::Invalid(Msg::new(
                "makeup.other_service",
                format!("该学生预约的是“{}”，请在该服务的队列签到", service.name_zh),
                format!(
                    "This student booked “{}”: check them in at that service's queue",
                    service.name_en
                ),
            )));
        }
        let branch = self.db.branch(branch_id).await?;
        if !gradphoto_domain::makeup::booking::branch_counts(
            &campaign.modes.makeup_cities,
            &branch.city,
        ) {
            return Err(AppError::Invalid(Msg::new(
                "makeup.branch_void",
                "本次采集不认可本网点拍摄的照片",
                "This campaign does not accept photos taken at this branch",
            )));
        }
        Ok(b)
    }

    /// Checks a scanned code in at a branch: the student booked here today is numbered in
    /// the queue of the booked service of the campaign's make-up session for today.
    pub async fn branch_check_in(
        &self,
        by: &Staff,
        branch_id: i64,
        code_text: &str,
    ) -> Result<BranchCheckin, AppError> {
        by.may(Action::Update, Resource::platform(ResourceKind::Booking))?;
        let text = code_text.trim();
        if text.is_empty() {
            return Err(AppError::Invalid(no_code()));
        }
        let branch = self.db.branch(branch_id).await?;
        let today = crate::online_entry::china_today().to_string();
        let verified = self.verify_code(text).await?;
        let Some(university) = self
            .db
            .find_university_by_code(&verified.claims.school_code)
            .await?
        else {
            return Err(no_booking());
        };
        // The bookings expected here today of the code's school: the one of its student.
        let mut found = None;
        for b in self.db.branch_day_bookings(branch_id, &today).await? {
            if !matches!(b.status.as_str(), "booked" | "attended") {
                continue;
            }
            let campaign = Campaign::try_from(self.db.get_campaign(b.campaign_id).await?)?;
            if campaign.university_id != university.id {
                continue;
            }
            if let Ok(student) = self.student_of_code(&campaign, &verified.claims).await
                && student.id == b.student_id
            {
                found = Some((campaign, b));
                break;
            }
        }
        let (campaign, booking) = found.ok_or_else(no_booking)?;
        let service = self.db.service(booking.service_id).await?;
        let services = self.db.branch_services(branch_id).await?;
        // The session spans the branch's hours; its queues are the services.
        let mut windows = Vec::new();
        for s in &services {
            windows.extend(hours_of(s)?.windows);
        }
        let starts = windows.iter().map(|w| w.starts).min();
        let ends = windows.iter().map(|w| w.ends).max();
        let (starts, ends) = match (starts, ends) {
            (Some(a), Some(b)) => (a.format("%H:%M").to_string(), b.format("%H:%M").to_string()),
            _ => ("00:00".to_string(), "23:59".to_string()),
        };
        let names: Vec<String> = services.iter().map(|s| s.name_zh.clone()).collect();
        let (_, queues) = self
            .db
            .ensure_branch_session(
                &NewSession {
                    campaign_id: campaign.id,
                    campus: &branch.name,
                    place: &branch.address,
                    day: &today,
                    starts: &starts,
                    ends: &ends,
                    capacity: 100_000,
                    in_service_open: false,
                },
                branch_id,
                &names,
            )
            .await?;
        let queue = queues
            .iter()
            .find(|q| q.name == service.name_zh)
            .ok_or_else(|| AppError::Internal(format!("no queue for service {}", service.id)))?;
        let checkin = self.check_in(by, queue.id, text).await?;
        let booking = self.db.booking(booking.id).await?;
        Ok(BranchCheckin {
            checkin,
            booking,
            service,
        })
    }
}
