//! The queue, session and campaign a check-in reads on every scan, kept in memory for a
//! moment. A busy desk scans several codes a second; each read is a round trip to the
//! database (on SQLite, to the connection's thread and back), and these rows change
//! rarely. What matters is checked again where the number is written: the numbering
//! refuses a queue an offline station holds and a campaign that is not open; a walk-in
//! reads the campaign's settings afresh. A change made through this process (a campaign's
//! settings or status) is seen at once; another server process sees it within the
//! moment. The counters in the remembered queue are not used.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::onsite_checkin::DeskQueue;
use crate::{App, AppError};

/// How long a read stays in use.
const FRESH: Duration = Duration::from_secs(2);

#[derive(Debug, Default)]
pub struct DeskMemo {
    entries: std::sync::RwLock<HashMap<i64, (DeskQueue, Instant)>>,
    /// Moves on each forgetting: a read begun before it is not remembered after it.
    generation: AtomicU64,
}

impl App {
    /// Forgets every remembered queue: the next scan reads them again.
    pub(crate) fn forget_desk_queues(&self) {
        let memo = &self.desk_memo;
        let mut entries = memo
            .entries
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        memo.generation.fetch_add(1, Ordering::SeqCst);
        entries.clear();
    }

    /// The queue with its session and campaign, read at most [`FRESH`] ago.
    pub(crate) async fn remembered_desk_queue(&self, queue_id: i64) -> Result<DeskQueue, AppError> {
        let memo = &self.desk_memo;
        {
            let entries = memo
                .entries
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some((desk, at)) = entries.get(&queue_id)
                && at.elapsed() < FRESH
            {
                return Ok(desk.clone());
            }
        }
        let generation = memo.generation.load(Ordering::SeqCst);
        let desk = self.read_desk_queue(queue_id).await?;
        let mut entries = memo
            .entries
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if memo.generation.load(Ordering::SeqCst) == generation {
            // Queues of days long gone are not kept.
            entries.retain(|_, (_, at)| at.elapsed() < FRESH);
            entries.insert(queue_id, (desk.clone(), Instant::now()));
        }
        Ok(desk)
    }
}
