//! The queue, session and campaign a check-in reads on every scan, kept in memory for a
//! moment. A busy desk scans several codes a second; each read is a round trip to the
//! database (on SQLite, to the connection's thread and back), and these rows change
//! rarely. What a scan decides on them is safe to decide on a read this fresh: the
//! numbering itself refuses a queue an offline station holds (the update carries
//! `held_by IS NULL`), and a session's day or a campaign closed a moment ago changes
//! nothing already numbered. A change made through this process (a campaign's settings
//! or status) is seen at once; another server process sees it within the moment. The
//! counters in the remembered queue are not used.

use std::collections::HashMap;

use crate::onsite_checkin::DeskQueue;
use crate::{App, AppError};

/// How long a read stays in use.
const FRESH_MS: i64 = 2_000;

#[derive(Debug, Default)]
pub struct DeskMemo(std::sync::RwLock<HashMap<i64, (DeskQueue, i64)>>);

impl App {
    /// Forgets every remembered queue: the next scan reads them again.
    pub(crate) fn forget_desk_queues(&self) {
        self.desk_memo
            .0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
    }

    /// The queue with its session and campaign, read at most [`FRESH_MS`] ago.
    pub(crate) async fn remembered_desk_queue(&self, queue_id: i64) -> Result<DeskQueue, AppError> {
        let now = gradphoto_db::now_ms();
        {
            let memo = self
                .desk_memo
                .0
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some((desk, at)) = memo.get(&queue_id)
                && now - at < FRESH_MS
            {
                return Ok(desk.clone());
            }
        }
        let desk = self.read_desk_queue(queue_id).await?;
        let mut memo = self
            .desk_memo
            .0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Queues of days long gone are not kept.
        memo.retain(|_, (_, at)| now - *at < FRESH_MS);
        memo.insert(queue_id, (desk.clone(), now));
        Ok(desk)
    }
}
