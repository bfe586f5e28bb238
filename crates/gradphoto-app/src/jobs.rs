//! Background jobs: what they are, how they are queued, and the worker that runs them.
//! The worker runs inside `serve` by default and alone as `gradphoto worker`; several may
//! run at once against one database. Every job is idempotent, because a lease that runs
//! out (a killed process) hands the job to another worker.

use std::time::Duration;

use gradphoto_db::jobs::{JobRow, NewJob};
use gradphoto_db::now_ms;
use serde::{Deserialize, Serialize};

use crate::makeup_booking_money::{CLOSED_REFUND_REASON, system_refund};
use crate::{App, AppError};

/// The jobs gradphoto knows. Serialized as the job's payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Job {
    /// Re-evaluate every student's eligibility in a campaign.
    RefreshEligibility { campaign_id: i64 },
    /// Remove expired sessions and old login attempts.
    PurgeExpired,
    /// Deliver one outbox photo to the registry.
    DeliverPhoto { outbox_id: i64 },
    /// Queue delivery again for every outbox photo still pending.
    SweepOutbox,
    /// Report a university's roster to the registry (the demo queues it at start-up).
    ReportToRegistry { university_id: i64 },
    /// Pull a university's new error reports from the registry into the secretaries' queue.
    SyncStatusReports { university_id: i64 },
    /// Send an online entry's photo to the registry once its order is paid and its photo
    /// good.
    HandOverOnline { entry_id: i64 },
    /// Ask the providers about payments whose notification has not come.
    QueryPayments,
    /// Send a confirmed on-site number's photo to the registry.
    HandOverOnsite { checkin_id: i64 },
    /// Text the students registered for tomorrow's on-site sessions and those booked at a
    /// branch tomorrow.
    OnsiteReminders,
    /// Release make-up places held unpaid too long, and end past days' bookings that
    /// produced no photo.
    SweepBookings,
    /// Refund what was paid for a closed booking order (a refund the provider could not
    /// take at once).
    RefundClosedOrder { order_id: i64 },
}

impl Job {
    fn kind(&self) -> &'static str {
        match self {
            Job::RefreshEligibility { .. } => "refresh_eligibility",
            Job::PurgeExpired => "purge_expired",
            Job::DeliverPhoto { .. } => "deliver_photo",
            Job::SweepOutbox => "sweep_outbox",
            Job::ReportToRegistry { .. } => "report_to_registry",
            Job::SyncStatusReports { .. } => "sync_status_reports",
            Job::HandOverOnline { .. } => "hand_over_online",
            Job::QueryPayments => "query_payments",
            Job::HandOverOnsite { .. } => "hand_over_onsite",
            Job::OnsiteReminders => "onsite_reminders",
            Job::SweepBookings => "sweep_bookings",
            Job::RefundClosedOrder { .. } => "refund_closed_order",
        }
    }

    /// Attempts before the queue gives up. A delivery keeps trying for hours (backoff is
    /// capped at 10 minutes; 40 attempts ≈ 6 h), and the sweep picks it up after that.
    fn max_attempts(&self) -> i64 {
        match self {
            Job::DeliverPhoto { .. }
            | Job::HandOverOnline { .. }
            | Job::HandOverOnsite { .. }
            | Job::RefundClosedOrder { .. } => 40,
            _ => 5,
        }
    }

    /// Jobs with the same key collapse while one is waiting: ten imports in a row cause
    /// one re-evaluation, not ten.
    fn dedupe_key(&self) -> Option<String> {
        match self {
            Job::RefreshEligibility { campaign_id } => {
                Some(format!("refresh_eligibility:{campaign_id}"))
            }
            Job::PurgeExpired => Some("purge_expired".into()),
            Job::DeliverPhoto { outbox_id } => Some(format!("deliver_photo:{outbox_id}")),
            Job::SweepOutbox => Some("sweep_outbox".into()),
            Job::ReportToRegistry { university_id } => {
                Some(format!("report_to_registry:{university_id}"))
            }
            Job::SyncStatusReports { university_id } => {
                Some(format!("sync_status_reports:{university_id}"))
            }
            Job::HandOverOnline { entry_id } => Some(format!("hand_over_online:{entry_id}")),
            Job::QueryPayments => Some("query_payments".into()),
            Job::HandOverOnsite { checkin_id } => Some(format!("hand_over_onsite:{checkin_id}")),
            Job::OnsiteReminders => Some("onsite_reminders".into()),
            Job::SweepBookings => Some("sweep_bookings".into()),
            Job::RefundClosedOrder { order_id } => Some(format!("refund_closed_order:{order_id}")),
        }
    }
}

/// What one pass of the worker did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Drained {
    pub done: usize,
    pub failed: usize,
}

impl App {
    /// Queues a job and wakes the in-process worker.
    pub async fn enqueue(&self, job: Job) -> Result<(), AppError> {
        let payload = serde_json::to_string(&job).map_err(|e| AppError::Internal(e.to_string()))?;
        self.db
            .enqueue_job(&NewJob {
                kind: job.kind().into(),
                payload,
                dedupe_key: job.dedupe_key(),
                run_at: now_ms(),
                max_attempts: job.max_attempts(),
            })
            .await?;
        self.job_signal.notify_one();
        Ok(())
    }

    async fn run_job(&self, row: &JobRow) -> Result<(), AppError> {
        let job: Job = serde_json::from_str(&row.payload).map_err(|e| {
            AppError::Internal(format!("job {} has an unreadable payload: {e}", row.id))
        })?;
        match job {
            Job::RefreshEligibility { campaign_id } => {
                let n = self.refresh_eligibility(campaign_id).await?;
                tracing::info!(campaign_id, students = n, "eligibility refreshed");
            }
            Job::PurgeExpired => {
                let n = self.db.purge_expired(7 * 24 * 3_600_000).await?;
                tracing::debug!(removed = n, "expired sessions purged");
            }
            Job::DeliverPhoto { outbox_id } => self.deliver_outbox(outbox_id).await?,
            Job::SweepOutbox => {
                let n = self.sweep_outbox().await?;
                tracing::debug!(pending = n, "outbox swept");
            }
            Job::ReportToRegistry { university_id } => {
                let audit = gradphoto_db::audit::NewAudit {
                    actor_name: "system".into(),
                    action: "registry.report".into(),
                    target_kind: "roster".into(),
                    university_id: Some(university_id),
                    ..Default::default()
                };
                self.send_report(university_id, audit).await?;
            }
            Job::SyncStatusReports { university_id } => {
                self.sync_status_reports(university_id).await?;
            }
            Job::HandOverOnline { entry_id } => {
                self.online_hand_over(entry_id).await?;
            }
            Job::HandOverOnsite { checkin_id } => {
                self.onsite_hand_over(checkin_id).await?;
            }
            Job::OnsiteReminders => {
                let n = self.send_onsite_reminders().await?;
                let m = self.send_makeup_reminders().await?;
                tracing::info!(onsite = n, makeup = m, "day-before reminders");
            }
            Job::SweepBookings => {
                let (released, lapsed) = self.sweep_makeup_bookings().await?;
                tracing::info!(released, lapsed, "make-up bookings swept");
            }
            Job::RefundClosedOrder { order_id } => {
                let order = self.db.get_order(order_id).await?;
                if order.status == "canceled" {
                    self.refund_confirmed(&order, CLOSED_REFUND_REASON, &system_refund(&order))
                        .await?;
                }
            }
            Job::QueryPayments => {
                let n = self.query_waiting_payments().await?;
                tracing::debug!(changed = n, "waiting payments queried");
            }
        }
        Ok(())
    }

    /// Claims and runs jobs until none is ready. Tests call this to drain the queue
    /// explicitly; the worker loop calls it after every wake-up.
    pub async fn run_ready_jobs(&self) -> Result<Drained, AppError> {
        let lease = self.config.worker.lease_seconds * 1000;
        let mut d = Drained::default();
        while let Some(row) = self.db.claim_job(now_ms(), lease).await? {
            match self.run_job(&row).await {
                Ok(()) => {
                    self.db.complete_job(row.id, row.attempts).await?;
                    d.done += 1;
                }
                Err(e) => {
                    // Exponential backoff: 2 s, 4 s, 8 s … capped at 10 minutes.
                    let backoff = (2_000i64 << row.attempts.clamp(0, 20)).min(600_000);
                    tracing::warn!(job = row.id, kind = %row.kind, attempt = row.attempts, error = %e, "job failed");
                    self.db
                        .fail_job(row.id, row.attempts, &e.to_string(), now_ms() + backoff)
                        .await?;
                    d.failed += 1;
                }
            }
        }
        Ok(d)
    }

    /// The worker loop: runs ready jobs, then sleeps until woken or the poll interval
    /// passes; stops when `shutdown` resolves.
    pub async fn run_worker(&self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        let poll = Duration::from_millis(self.config.worker.poll_interval_ms.max(50));
        let mut last_purge = 0i64;
        let mut last_query = 0i64;
        let mut last_sweep = 0i64;
        loop {
            // Every five minutes: unpaid bookings are released within minutes of their hold.
            if now_ms() - last_sweep > 300_000 {
                last_sweep = now_ms();
                if let Err(e) = self.enqueue(Job::SweepBookings).await {
                    tracing::warn!(error = %e, "could not queue the bookings' sweep");
                }
            }
            if self.payments.wechat.is_some() || self.payments.alipay.is_some() {
                let every = self.config.payments.query_after_minutes.max(1) * 60_000;
                if now_ms() - last_query > every {
                    last_query = now_ms();
                    if let Err(e) = self.enqueue(Job::QueryPayments).await {
                        tracing::warn!(error = %e, "could not queue the payment queries");
                    }
                }
            }
            if now_ms() - last_purge > 3_600_000 {
                last_purge = now_ms();
                if let Err(e) = self.enqueue(Job::PurgeExpired).await {
                    tracing::warn!(error = %e, "could not queue the purge job");
                }
                if let Err(e) = self.enqueue(Job::SweepOutbox).await {
                    tracing::warn!(error = %e, "could not queue the outbox sweep");
                }
                // Hourly: a session's reminders go out during the day before it.
                if let Err(e) = self.enqueue(Job::OnsiteReminders).await {
                    tracing::warn!(error = %e, "could not queue the on-site reminders");
                }
                if let Err(e) = self.queue_status_report_syncs().await {
                    tracing::warn!(error = %e, "could not queue the report syncs");
                }
            }
            if let Err(e) = self.run_ready_jobs().await {
                tracing::error!(error = %e, "worker pass failed");
            }
            tokio::select! {
                _ = &mut shutdown => break,
                _ = self.job_signal.notified() => {}
                _ = tokio::time::sleep(poll) => {}
            }
        }
        tracing::info!("worker stopped");
    }
}
