//! The money of make-up bookings paid online (issue 8): the student pays a booking's order,
//! the booking is texted once the money is confirmed, and a booking that ends without a
//! photo — released unpaid after the hold, cancelled before the cutoff, or lapsed — gets
//! its money back, retried by a job until the provider takes the refund. The sweep job
//! releases and ends bookings.

use gradphoto_db::payments::OrderRow;
use gradphoto_db::student_accounts::StudentAccount;
use gradphoto_domain::calendar::china_date;
use gradphoto_domain::makeup::booking::BookingStatus;

use crate::makeup_booking::not_live;
use crate::{App, AppError};

impl App {
    /// Starts (or shows again) the payment of the student's booking `code` with `method`.
    pub async fn makeup_pay(
        &self,
        account: &StudentAccount,
        code: &str,
        method: crate::payments::Method,
    ) -> Result<crate::payments::checkout::Checkout, AppError> {
        let b = self.my_booking(account, code).await?;
        if b.status != "booked" {
            return Err(not_live());
        }
        let order = self
            .db
            .booking_order(b.id)
            .await?
            .filter(|o| o.status != "canceled")
            .ok_or_else(|| {
                AppError::invalid(
                    "makeup.pay_at_branch",
                    "该预约的费用到店支付",
                    "This booking's fee is paid at the branch",
                )
            })?;
        self.pay_order(order, method, "毕业生图像补拍预约 Make-up photo booking")
            .await
    }

    /// What happens once money for a booking's order is confirmed (`changed`: this
    /// notification confirmed it; a provider's resend does not): a booking still held is
    /// texted to the student once; one released meanwhile (unpaid too long, or cancelled)
    /// gets its money back — again at every resend until the refund went through.
    pub(crate) async fn booking_money_arrived(
        &self,
        order: &OrderRow,
        changed: bool,
    ) -> Result<(), AppError> {
        let Some(booking_id) = order.booking_id else {
            return Ok(());
        };
        match order.status.as_str() {
            "paid" if changed => {
                let b = self.db.booking(booking_id).await?;
                if b.status == "booked" {
                    let service = self.db.service(b.service_id).await?;
                    let branch = self.db.branch(service.branch_id).await?;
                    self.text_booking(&b, &branch, &service, &order.contact_phone)
                        .await;
                }
            }
            "canceled" => self.refund_closed_order(order, "system").await?,
            _ => {}
        }
        Ok(())
    }

    /// Refunds what was paid for a closed booking order, audited as `actor`; when the
    /// provider cannot take it now, a job tries again (the refund's number makes every
    /// try the same refund).
    pub(crate) async fn refund_closed_order(
        &self,
        order: &OrderRow,
        actor: &str,
    ) -> Result<(), AppError> {
        let mut audit = system_refund(order);
        audit.actor_name = actor.to_string();
        if let Err(e) = self
            .refund_confirmed(order, CLOSED_REFUND_REASON, &audit)
            .await
        {
            tracing::warn!(order = order.id, error = %e, "refund not taken; a job retries it");
            self.enqueue(crate::jobs::Job::RefundClosedOrder { order_id: order.id })
                .await?;
        }
        Ok(())
    }

    /// The bookings' sweep (a job): places held for a payment that did not come are
    /// released (after asking the providers once more), and bookings of past days that
    /// ended without a photo stop being live, so the student may book again — a booking
    /// nobody came for as a no-show, one whose number was never confirmed likewise (the
    /// day list says which). Returns (released, lapsed).
    pub async fn sweep_makeup_bookings(&self) -> Result<(usize, usize), AppError> {
        let now = gradphoto_db::now_ms();
        let hold = self.config.payments.booking_hold_minutes.max(1) * 60_000;
        let mut released = 0;
        for b in self.db.unpaid_bookings(now - hold).await? {
            if let Some(order) = self.db.booking_order(b.id).await? {
                for p in self.db.order_payments(order.id).await? {
                    if let Err(e) = self.query_payment(&p).await {
                        tracing::warn!(payment = p.id, error = %e, "payment query failed");
                    }
                }
                if self.db.get_order(order.id).await?.status == "paid" {
                    continue;
                }
            }
            if self.db.release_unpaid_booking(b.id).await?.is_some() {
                released += 1;
                // Nothing was paid, unless a payment is confirmed after this: then its
                // notification refunds it.
                if let Some(order) = self.db.booking_order(b.id).await? {
                    self.refund_closed_order(&order, "system").await?;
                }
            }
        }
        let today = china_date(now).to_string();
        let mut lapsed = 0;
        for b in self.db.lapsed_bookings(&today).await? {
            let ended = if b.status == BookingStatus::Booked.as_str() {
                self.db
                    .end_booking(b.id, BookingStatus::NoShow.as_str(), "lapsed")
                    .await?
                    .is_some()
            } else {
                let ended = self
                    .db
                    .end_unconfirmed_attendance(b.id, "unconfirmed")
                    .await?;
                // No photo came of it: what was paid goes back.
                if ended && let Some(order) = self.db.booking_order(b.id).await? {
                    self.refund_closed_order(&order, "system").await?;
                }
                ended
            };
            lapsed += usize::from(ended);
        }
        Ok((released, lapsed))
    }
}

/// Why a closed booking order's money goes back (the refund's reason, both languages).
pub(crate) const CLOSED_REFUND_REASON: &str =
    "补拍预约已取消或未完成，款项原路退回 Booking cancelled or not completed; money returned";

/// The audit entry of a refund the system makes.
pub(crate) fn system_refund(order: &OrderRow) -> gradphoto_db::audit::NewAudit {
    gradphoto_db::audit::NewAudit {
        actor_name: "system".into(),
        action: "order.refund".into(),
        target_kind: "order".into(),
        target_id: Some(order.code.clone()),
        ..Default::default()
    }
}
