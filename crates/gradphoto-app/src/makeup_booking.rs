//! A student's make-up appointment (散拍/补拍, issue 8): a student signed in and verified
//! for a campaign (issue 5's login, identity and code) sees the free slots of the branches
//! that count for the campaign, books one, and cancels or moves it until the cutoff. The
//! booking is texted to them; capacity and the one booking per campaign hold in storage.
//! Paying for a booking and the sweep of unpaid and lapsed ones are `makeup_booking_money`.

use chrono::{Days, NaiveDate, NaiveTime};
use gradphoto_db::branches::{BranchRow, ServiceRow};
use gradphoto_db::makeup_bookings::{BookRefusal, BookingOrder, BookingRow, NewBooking};
use gradphoto_db::payments::OrderRow;
use gradphoto_db::student_accounts::StudentAccount;
use gradphoto_domain::calendar::china_date;
use gradphoto_domain::campaign::CampaignStatus;

use crate::campaigns::Campaign;
use gradphoto_domain::i18n::Msg;
use gradphoto_domain::makeup::booking::{
    BookingStatus, Terms, branch_counts, may_book, may_change, refund_rule,
};
use gradphoto_domain::makeup::slots::Slot;

use crate::makeup_branches::hours_of;
use crate::sms::SmsMessage;
use crate::{App, AppError};

/// A slot offered, with its free places.
#[derive(Debug, Clone)]
pub struct SlotOffer {
    pub slot: Slot,
    pub free: i64,
}

/// A service offered to the student, day by day.
#[derive(Debug, Clone)]
pub struct ServiceOffer {
    pub branch: BranchRow,
    pub service: ServiceRow,
    /// Whether photos from this branch count for the campaign (seed 001: Beijing only).
    pub counts: bool,
    /// Paid online when booking (otherwise at the branch).
    pub pays_online: bool,
    pub days: Vec<(NaiveDate, Vec<SlotOffer>)>,
}

/// A booking with where it is.
#[derive(Debug, Clone)]
pub struct BookingView {
    pub booking: BookingRow,
    pub status: BookingStatus,
    pub branch: BranchRow,
    pub service: ServiceRow,
    /// Whether it may still be cancelled or moved.
    pub changeable: bool,
    /// The fee's order where the service is paid online when booking.
    pub order: Option<OrderRow>,
    /// Until when (ms) an unpaid booking holds its place.
    pub pay_until: Option<i64>,
}

impl BookingView {
    /// Waiting for the student's payment (the place is held until `pay_until`).
    pub fn awaits_payment(&self) -> bool {
        self.status == BookingStatus::Booked
            && self.order.as_ref().is_some_and(|o| o.status == "pending")
    }
}

/// What the booking page shows.
#[derive(Debug, Clone)]
pub struct MakeupOffer {
    pub campaign: Campaign,
    pub live: Option<BookingView>,
    pub services: Vec<ServiceOffer>,
}

fn not_offered() -> AppError {
    AppError::Conflict(Msg::new(
        "makeup.not_offered",
        "本次采集没有开放补拍预约",
        "This campaign does not offer make-up appointments",
    ))
}

fn not_verified() -> AppError {
    AppError::Conflict(Msg::new(
        "makeup.not_verified",
        "请先完成身份验证并绑定采集码，再预约补拍",
        "Verify your identity and bind your collection code before booking a make-up shoot",
    ))
}

/// The booking was cancelled, attended or marked absent: nothing about it changes now.
pub(crate) fn not_live() -> AppError {
    AppError::Conflict(Msg::new(
        "makeup.not_live",
        "该预约已取消或已结束，不能更改",
        "This booking is cancelled or over; it cannot be changed",
    ))
}

fn full() -> AppError {
    AppError::Conflict(Msg::new(
        "makeup.full",
        "该时段已约满，请选择其他时段",
        "This slot is fully booked; choose another",
    ))
}

fn parse_slot(day: &str, starts: &str) -> Result<(NaiveDate, NaiveTime), AppError> {
    let bad = || {
        AppError::invalid(
            "makeup.slot",
            "所选时段无效",
            "The chosen slot is not valid",
        )
    };
    Ok((
        NaiveDate::parse_from_str(day.trim(), "%Y-%m-%d").map_err(|_| bad())?,
        NaiveTime::parse_from_str(starts.trim(), "%H:%M").map_err(|_| bad())?,
    ))
}

impl App {
    /// The student's campaign and roster student, once verified with a bound code.
    async fn makeup_student(&self, account: &StudentAccount) -> Result<(Campaign, i64), AppError> {
        let entry = self
            .db
            .current_online_entry(account.id)
            .await?
            .ok_or_else(not_verified)?;
        let (Some(student_id), Some(_)) = (entry.student_id, entry.code_id.as_ref()) else {
            return Err(not_verified());
        };
        let campaign = Campaign::try_from(self.db.get_campaign(entry.campaign_id).await?)?;
        if campaign.status != CampaignStatus::Open || campaign.modes.makeup_deadline.is_none() {
            return Err(not_offered());
        }
        Ok((campaign, student_id))
    }

    async fn booking_view(&self, booking: BookingRow, now: i64) -> Result<BookingView, AppError> {
        let service = self.db.service(booking.service_id).await?;
        let branch = self.db.branch(service.branch_id).await?;
        let status = BookingStatus::parse(&booking.status)
            .ok_or_else(|| AppError::Internal(format!("booking {} status", booking.id)))?;
        let slot = slot_of(&booking)?;
        let cutoff = u32::try_from(service.cutoff_minutes).unwrap_or(0);
        let order = self.db.booking_order(booking.id).await?;
        let pay_until = order
            .as_ref()
            .filter(|o| o.status == "pending")
            .map(|_| booking.created_at + self.config.payments.booking_hold_minutes * 60_000);
        Ok(BookingView {
            changeable: status == BookingStatus::Booked && may_change(now, &slot, cutoff).is_ok(),
            status,
            booking,
            branch,
            service,
            order,
            pay_until,
        })
    }

    /// The booking page: the student's live booking, and every open service's free slots
    /// from today until the make-up deadline (or the service's horizon).
    pub async fn makeup_offer(&self, account: &StudentAccount) -> Result<MakeupOffer, AppError> {
        let (campaign, student_id) = self.makeup_student(account).await?;
        let now = gradphoto_db::now_ms();
        let live = match self.db.live_booking(campaign.id, student_id).await? {
            Some(b) => Some(self.booking_view(b, now).await?),
            None => None,
        };
        let (calendar, _) = self.public_calendar().await?;
        let today = china_date(now);
        let mut services = Vec::new();
        for (branch, service) in self.db.open_services().await? {
            let hours = hours_of(&service)?;
            let mut last = today + Days::new(u64::try_from(service.days_ahead).unwrap_or(14));
            if let Some(deadline) = campaign.modes.makeup_deadline {
                last = last.min(deadline);
            }
            let days = u32::try_from((last - today).num_days() + 1).unwrap_or(0);
            let taken = self
                .db
                .slot_counts(service.id, &today.to_string(), &last.to_string())
                .await?;
            let mut by_day: Vec<(NaiveDate, Vec<SlotOffer>)> = Vec::new();
            for slot in hours.slots(&calendar, today, days) {
                if gradphoto_domain::makeup::booking::slot_start_ms(&slot) <= now {
                    continue;
                }
                let (day, starts) = (
                    slot.day.to_string(),
                    slot.starts.format("%H:%M").to_string(),
                );
                let booked = taken
                    .iter()
                    .find(|c| c.day == day && c.starts == starts)
                    .map_or(0, |c| c.booked);
                let offer = SlotOffer {
                    slot,
                    free: (service.slot_capacity - booked).max(0),
                };
                match by_day.last_mut() {
                    Some((d, slots)) if *d == slot.day => slots.push(offer),
                    _ => by_day.push((slot.day, vec![offer])),
                }
            }
            services.push(ServiceOffer {
                pays_online: self.pays_online(&service),
                counts: branch_counts(&campaign.modes.makeup_cities, &branch.city),
                branch,
                service,
                days: by_day,
            });
        }
        Ok(MakeupOffer {
            campaign,
            live,
            services,
        })
    }

    /// The checks of a slot of `service` for `campaign`, as of `now`.
    async fn checked_slot(
        &self,
        campaign: &Campaign,
        service: &ServiceRow,
        day: &str,
        starts: &str,
        now: i64,
    ) -> Result<(BranchRow, Slot), AppError> {
        let branch = self.db.branch(service.branch_id).await?;
        if service.active == 0 || branch.active == 0 {
            return Err(AppError::Conflict(Msg::new(
                "makeup.service_closed",
                "该服务暂停预约",
                "This service takes no bookings at present",
            )));
        }
        let (day, starts) = parse_slot(day, starts)?;
        let (calendar, _) = self.public_calendar().await?;
        let hours = hours_of(service)?;
        let slot = hours
            .slots_on(&calendar, day)
            .into_iter()
            .find(|s| s.starts == starts)
            .ok_or_else(|| {
                AppError::invalid(
                    "makeup.closed_then",
                    "网点在该时间不营业（周末、节假日或非营业时段）",
                    "The branch is not open then (weekend, public holiday or outside its hours)",
                )
            })?;
        let terms = Terms {
            deadline: campaign.modes.makeup_deadline,
            cities: &campaign.modes.makeup_cities,
        };
        may_book(now, &slot, &branch.city, &terms).map_err(AppError::Invalid)?;
        let horizon = china_date(now) + Days::new(u64::try_from(service.days_ahead).unwrap_or(14));
        if slot.day > horizon {
            return Err(AppError::invalid(
                "makeup.too_far",
                format!("该服务最多可提前 {} 天预约", service.days_ahead),
                format!(
                    "This service is booked at most {} days ahead",
                    service.days_ahead
                ),
            ));
        }
        Ok((branch, slot))
    }

    /// Books a slot for the signed-in student; texts them the time, place and code.
    pub async fn book_makeup(
        &self,
        account: &StudentAccount,
        service_id: i64,
        day: &str,
        starts: &str,
    ) -> Result<BookingView, AppError> {
        let (campaign, student_id) = self.makeup_student(account).await?;
        if self.db.is_collected(campaign.id, student_id).await? {
            return Err(AppError::Conflict(Msg::new(
                "makeup.collected",
                "您在本次采集中已完成拍摄，无需补拍",
                "You were photographed in this campaign already; no make-up shoot is needed",
            )));
        }
        let now = gradphoto_db::now_ms();
        let service = self.db.service(service_id).await.map_err(|e| match e {
            gradphoto_db::DbError::NotFound => AppError::not_found(),
            other => other.into(),
        })?;
        let (branch, slot) = self
            .checked_slot(&campaign, &service, day, starts, now)
            .await?;
        let new = NewBooking {
            code: format!("MB{}", crate::pii::random_hex::<5>()?.to_uppercase()),
            campaign_id: campaign.id,
            student_id,
            account_id: account.id,
            service_id,
            day: slot.day.to_string(),
            starts: slot.starts.format("%H:%M").to_string(),
            ends: slot.ends.format("%H:%M").to_string(),
            price_fen: service.price_fen,
            order: if self.pays_online(&service) {
                Some(BookingOrder {
                    code: format!(
                        "GB{}{}",
                        crate::online_entry::china_today().format("%Y%m%d"),
                        crate::pii::random_hex::<4>()?.to_uppercase()
                    ),
                    contact_phone: account.phone.clone(),
                })
            } else {
                None
            },
        };
        let row = match self.db.book_slot(&new, service.slot_capacity).await? {
            Ok(row) => row,
            Err(BookRefusal::Full) => return Err(full()),
            Err(BookRefusal::AlreadyBooked(b)) => {
                return Err(AppError::Conflict(Msg::new(
                    "makeup.already_booked",
                    format!(
                        "您已预约 {} {}，如需更改请改期或取消原预约",
                        b.day, b.starts
                    ),
                    format!(
                        "You are booked for {} {} already; move or cancel that booking to change it",
                        b.day, b.starts
                    ),
                )));
            }
            Err(BookRefusal::NotLive) => {
                return Err(AppError::Internal("new booking not live".into()));
            }
        };
        // A booking paid online is texted once paid (an unpaid one may yet be released).
        if new.order.is_none() {
            self.text_booking(&row, &branch, &service, &account.phone)
                .await;
        }
        self.booking_view(row, now).await
    }

    /// Whether bookings of `service` are paid online when made: the service says so, it
    /// costs something, and this deployment takes payments (otherwise the fee is paid at
    /// the branch's desk).
    pub fn pays_online(&self, service: &ServiceRow) -> bool {
        service.payment == "online" && service.price_fen > 0 && !self.payments.methods().is_empty()
    }

    /// Texts the student their booking's time, place and code.
    pub(crate) async fn text_booking(
        &self,
        b: &BookingRow,
        branch: &BranchRow,
        service: &ServiceRow,
        phone: &str,
    ) {
        let message = SmsMessage::MakeupBooked {
            time: format!("{} {}", b.day, b.starts),
            place: format!("{} {}", branch.address, service.place),
            code: b.code.clone(),
        };
        if let Err(e) = self.sms.send(phone, &message).await {
            // The booking stands; the page shows everything the text would.
            tracing::warn!(booking = b.id, error = %e, "booking text not sent");
        }
    }

    /// The student's booking `code`, if it is theirs.
    pub(crate) async fn my_booking(
        &self,
        account: &StudentAccount,
        code: &str,
    ) -> Result<BookingRow, AppError> {
        match self.db.booking_by_code(code.trim()).await? {
            Some(b) if b.account_id == account.id => Ok(b),
            _ => Err(AppError::not_found()),
        }
    }

    fn changeable(b: &BookingRow, service: &ServiceRow, now: i64) -> Result<(), AppError> {
        if b.status != "booked" {
            return Err(not_live());
        }
        may_change(
            now,
            &slot_of(b)?,
            u32::try_from(service.cutoff_minutes).unwrap_or(0),
        )
        .map_err(AppError::Invalid)
    }

    /// Cancels the student's booking before the cutoff; the place is free again.
    pub async fn cancel_makeup(
        &self,
        account: &StudentAccount,
        code: &str,
    ) -> Result<BookingRow, AppError> {
        let b = self.my_booking(account, code).await?;
        let service = self.db.service(b.service_id).await?;
        Self::changeable(&b, &service, gradphoto_db::now_ms())?;
        let ended = self
            .db
            .end_booking(b.id, BookingStatus::Cancelled.as_str(), "student")
            .await?
            .ok_or_else(not_live)?;
        // Before the cutoff the money goes back in full (the rule shown before paying).
        if let Some(order) = self.db.booking_order(b.id).await? {
            self.refund_closed_order(&order, &format!("student:{}", account.id))
                .await?;
        }
        Ok(ended)
    }

    /// Moves the student's booking to another slot of the same service, before the cutoff.
    pub async fn move_makeup(
        &self,
        account: &StudentAccount,
        code: &str,
        day: &str,
        starts: &str,
    ) -> Result<BookingView, AppError> {
        let b = self.my_booking(account, code).await?;
        let campaign = Campaign::try_from(self.db.get_campaign(b.campaign_id).await?)?;
        // A booking moves only while its campaign still takes make-up bookings.
        if campaign.status != CampaignStatus::Open || campaign.modes.makeup_deadline.is_none() {
            return Err(not_offered());
        }
        let service = self.db.service(b.service_id).await?;
        let now = gradphoto_db::now_ms();
        Self::changeable(&b, &service, now)?;
        let (_, slot) = self
            .checked_slot(&campaign, &service, day, starts, now)
            .await?;
        let moved = self
            .db
            .move_booking(
                b.id,
                &slot.day.to_string(),
                &slot.starts.format("%H:%M").to_string(),
                &slot.ends.format("%H:%M").to_string(),
                service.slot_capacity,
            )
            .await?;
        match moved {
            Ok(row) => {
                // The new time is texted as the booking was (one paid online, once paid);
                // the day-before reminder is owed again for the new day.
                let waits_for_payment = self
                    .db
                    .booking_order(row.id)
                    .await?
                    .is_some_and(|o| o.status != "paid");
                if !waits_for_payment {
                    let branch = self.db.branch(service.branch_id).await?;
                    self.text_booking(&row, &branch, &service, &account.phone)
                        .await;
                }
                self.booking_view(row, now).await
            }
            Err(BookRefusal::Full) => Err(full()),
            Err(_) => Err(not_live()),
        }
    }

    /// Every booking of the student's account, newest first.
    pub async fn my_makeup_bookings(
        &self,
        account: &StudentAccount,
    ) -> Result<Vec<BookingView>, AppError> {
        let now = gradphoto_db::now_ms();
        let mut out = Vec::new();
        for b in self.db.account_bookings(account.id).await? {
            out.push(self.booking_view(b, now).await?);
        }
        Ok(out)
    }
}

/// The slot a stored booking holds.
pub fn slot_of(b: &BookingRow) -> Result<Slot, AppError> {
    let bad = || AppError::Internal(format!("booking {} slot", b.id));
    Ok(Slot {
        day: NaiveDate::parse_from_str(&b.day, "%Y-%m-%d").map_err(|_| bad())?,
        starts: NaiveTime::parse_from_str(&b.starts, "%H:%M").map_err(|_| bad())?,
        ends: NaiveTime::parse_from_str(&b.ends, "%H:%M").map_err(|_| bad())?,
    })
}

/// The refund rule of a service, shown before paying.
pub fn service_refund_rule(service: &ServiceRow) -> Msg {
    refund_rule(u32::try_from(service.cutoff_minutes).unwrap_or(0))
}
