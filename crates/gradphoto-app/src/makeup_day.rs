//! A branch's day (issue 8): who is expected, slot by slot, and who did not come. Branch
//! staff mark a booking absent once its slot has begun; the place is given back.

use chrono::NaiveDate;
use gradphoto_db::branches::{BranchRow, ServiceRow};
use gradphoto_db::makeup_bookings::BookingRow;
use gradphoto_domain::makeup::booking::{BookingStatus, may_mark_no_show};
use gradphoto_domain::people::mask_name;
use gradphoto_domain::policy::{Action, Resource, ResourceKind};

use crate::auth::Staff;
use crate::makeup_booking::slot_of;
use crate::{App, AppError};

/// One expected student on the branch's day list.
#[derive(Debug, Clone)]
pub struct Expected {
    pub booking: BookingRow,
    pub status: BookingStatus,
    pub service: ServiceRow,
    pub student_no: String,
    pub name_masked: String,
    pub school: String,
    pub campaign: String,
    /// Whether the slot has begun, so an absent student may be marked.
    pub begun: bool,
}

/// A branch's bookings on one day.
#[derive(Debug, Clone)]
pub struct BranchDay {
    pub branch: BranchRow,
    pub day: NaiveDate,
    pub expected: Vec<Expected>,
}

impl BranchDay {
    pub fn count(&self, status: BookingStatus) -> usize {
        self.expected.iter().filter(|e| e.status == status).count()
    }
}

impl App {
    pub async fn branch_day(
        &self,
        by: &Staff,
        branch_id: i64,
        day: NaiveDate,
    ) -> Result<BranchDay, AppError> {
        by.may(Action::Read, Resource::platform(ResourceKind::Booking))?;
        let branch = self.db.branch(branch_id).await?;
        let now = gradphoto_db::now_ms();
        let mut expected = Vec::new();
        for booking in self
            .db
            .branch_day_bookings(branch_id, &day.to_string())
            .await?
        {
            let service = self.db.service(booking.service_id).await?;
            let student = self.db.get_student(booking.student_id).await?;
            let campaign = self.db.get_campaign(booking.campaign_id).await?;
            let school = self.db.get_university(campaign.university_id).await?;
            let status = BookingStatus::parse(&booking.status)
                .ok_or_else(|| AppError::Internal(format!("booking {} status", booking.id)))?;
            expected.push(Expected {
                begun: may_mark_no_show(now, &slot_of(&booking)?).is_ok(),
                status,
                service,
                student_no: student.student_no,
                name_masked: mask_name(&student.name),
                school: school.name_zh,
                campaign: campaign.name,
                booking,
            });
        }
        Ok(BranchDay {
            branch,
            day,
            expected,
        })
    }

    /// Marks a booked student absent once the slot has begun; audited.
    pub async fn mark_no_show(&self, by: &Staff, booking_id: i64) -> Result<BookingRow, AppError> {
        by.may(Action::Update, Resource::platform(ResourceKind::Booking))?;
        let b = self.db.booking(booking_id).await?;
        may_mark_no_show(gradphoto_db::now_ms(), &slot_of(&b)?).map_err(AppError::Invalid)?;
        let row = self
            .db
            .end_booking(b.id, BookingStatus::NoShow.as_str(), &by.row.username)
            .await?
            .ok_or_else(crate::makeup_booking::not_live)?;
        let mut audit = by.audit(
            "makeup.no_show",
            "makeup_booking",
            Some(b.id.to_string()),
            None,
        );
        audit.after = Some(serde_json::json!({ "code": b.code, "day": b.day, "starts": b.starts }));
        self.db.append_audit(&audit).await?;
        Ok(row)
    }
}
