//! Signed-in staff as every request reads them, kept in memory for a second. A desk
//! scanning codes sends a request per scan, and on SQLite each read is a hop to a
//! connection's thread and back; the session behind a token changes only when someone
//! signs out, changes a password or disables an account. Those happen through [`App`]
//! and forget every remembered session at once, so in this process they take effect on
//! the next request; another server process (or the CLI) sees them within [`FRESH`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use gradphoto_db::accounts::StaffRow;

use crate::App;

/// How long a read stays in use.
const FRESH: Duration = Duration::from_secs(1);

/// Beyond this many remembered tokens the stale ones are dropped before adding one.
const KEEP: usize = 4096;

#[derive(Debug, Default)]
pub struct SessionMemo {
    entries: std::sync::RwLock<HashMap<String, (StaffRow, Instant)>>,
    /// Moves on each forgetting: a read begun before it is not remembered after it.
    generation: AtomicU64,
}

impl SessionMemo {
    fn fresh(&self, token_hash: &str) -> Option<StaffRow> {
        let entries = self
            .entries
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        entries
            .get(token_hash)
            .filter(|(_, at)| at.elapsed() < FRESH)
            .map(|(row, _)| row.clone())
    }

    /// Remembers a row read from `read_at` on (the second counts from before the query).
    fn put(&self, token_hash: &str, row: &StaffRow, generation: u64, read_at: Instant) {
        let mut entries = self
            .entries
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if self.generation.load(Ordering::SeqCst) != generation {
            return;
        }
        if entries.len() >= KEEP {
            entries.retain(|_, (_, at)| at.elapsed() < FRESH);
        }
        entries.insert(token_hash.to_string(), (row.clone(), read_at));
    }
}

impl App {
    /// Forgets every remembered session: the next request of each reads it again.
    pub(crate) fn forget_sessions(&self) {
        let memo = &self.session_memo;
        let mut entries = memo
            .entries
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        memo.generation.fetch_add(1, Ordering::SeqCst);
        entries.clear();
    }

    /// The account signed in with the token of this hash, read at most [`FRESH`] ago.
    pub(crate) async fn remembered_session(
        &self,
        token_hash: &str,
    ) -> Result<Option<StaffRow>, crate::AppError> {
        let memo = &self.session_memo;
        if let Some(row) = memo.fresh(token_hash) {
            return Ok(Some(row));
        }
        let generation = memo.generation.load(Ordering::SeqCst);
        let read_at = Instant::now();
        let row = self.db.session_account(token_hash).await?;
        if let Some(r) = &row {
            memo.put(token_hash, r, generation, read_at);
        }
        Ok(row)
    }
}
