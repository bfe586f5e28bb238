//! Shooting numbers on SQLite by group commit. SQLite writes one transaction at a time,
//! so a busy day's check-ins queue for the write lock; through sqlx each of them held it
//! for a round trip to a connection's thread and a commit of its own (measured with
//! `bench/checkin`: ~0.27 ms each at 16 desks, which capped a server near 3,700 numbers a
//! second however idle the cores). Here a scan puts its check-in on a list and waits for
//! the lock; whoever gets the lock takes the whole list and writes it in one transaction
//! on one blocking thread, with a connection of its own (rusqlite, on the same bundled
//! SQLite as sqlx), then hands each scan its own answer. Alone, a scan writes just itself;
//! under load, one commit numbers many.
//!
//! Each check-in is still one statement — the next number read from the queue and the row
//! inserted together (migration 0024's trigger moves the counters) — so numbers stay
//! exactly 1, 2, 3, … in the order written. A statement that breaks a unique key (the same
//! code scanned at two desks at once) fails alone, as SQLite undoes just that statement;
//! the others of the batch commit. If the commit itself fails, every scan of the batch
//! gets the error and nothing of it is written.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use tokio::sync::oneshot;

use crate::DbError;
use crate::onsite::{CHECKIN_COLS, CheckinRow, NewCheckin};

/// The numbering statement: the queue's next number and turn, for a queue no offline
/// station holds in a campaign that is open; no row when either is not so.
fn numbering_sql() -> String {
    format!(
        "INSERT INTO onsite_checkins (campaign_id, queue_id, number, turn, code_id, \
         code_text, student_id, stage, desk, checked_in_at, updated_at) \
         SELECT ?1, q.id, q.last_number + 1, q.last_turn + 1, ?3, ?4, ?5, 'waiting', \
         ?6, ?7, ?7 FROM onsite_queues q WHERE q.id = ?2 AND q.held_by IS NULL \
         AND EXISTS (SELECT 1 FROM campaigns k WHERE k.id = ?1 AND k.status = 'open') \
         RETURNING {CHECKIN_COLS}"
    )
}

/// What a numbering wrote: the row, or — nothing written — the queue's hold (`None`:
/// the campaign is not open).
pub(crate) enum Numbered {
    Row(CheckinRow),
    NotNumbered { held_by: Option<String> },
}

/// A check-in waiting for its batch.
struct Job {
    /// To take it back off the list (see [`TakeBack`]).
    id: u64,
    campaign_id: i64,
    queue_id: i64,
    code_id: String,
    code_text: String,
    student_id: i64,
    desk: String,
    now: i64,
    reply: oneshot::Sender<Result<Numbered, DbError>>,
}

/// The numbering writer of one SQLite database file.
#[derive(Debug)]
pub(crate) struct Numbering {
    path: PathBuf,
    busy_timeout: Duration,
    /// Check-ins waiting for the next batch.
    pending: Mutex<Vec<JobBox>>,
    /// The writer's connection between batches (`None` until first used, or after a
    /// batch that could not use it).
    conn: Mutex<Option<Connection>>,
    next_id: AtomicU64,
}

/// Takes a check-in back off the list when its caller is dropped before a batch took it.
struct TakeBack<'a> {
    numbering: &'a Numbering,
    id: u64,
}

impl Drop for TakeBack<'_> {
    fn drop(&mut self) {
        self.numbering
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|j| j.0.id != self.id);
    }
}

/// [`Job`] without a `Debug` of its own.
struct JobBox(Job);

impl std::fmt::Debug for JobBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "check-in of student {}", self.0.student_id)
    }
}

impl Numbering {
    pub(crate) fn new(path: PathBuf, busy_timeout: Duration) -> Numbering {
        Numbering {
            path,
            busy_timeout,
            pending: Mutex::new(Vec::new()),
            conn: Mutex::new(None),
            next_id: AtomicU64::new(0),
        }
    }

    /// Numbers a check-in. `write_turn` is this process's SQLite write lock, shared with
    /// every other write transaction, so a batch never waits in SQLite's busy handler for
    /// another writer of this process.
    ///
    /// Dropped (the client went away) before its batch was taken, the check-in is taken
    /// back off the list and never written; once taken, it is written with its batch, and
    /// the lock is held until the batch is done, whoever is waiting for it.
    pub(crate) async fn number(
        self: &Arc<Self>,
        write_turn: &Arc<tokio::sync::Mutex<()>>,
        c: &NewCheckin<'_>,
        now: i64,
    ) -> Result<Numbered, DbError> {
        let (reply, answer) = oneshot::channel();
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(JobBox(Job {
                id,
                campaign_id: c.campaign_id,
                queue_id: c.queue_id,
                code_id: c.code_id.to_string(),
                code_text: c.code_text.to_string(),
                student_id: c.student_id,
                desk: c.desk.to_string(),
                now,
                reply,
            }));
        let _unless_taken = TakeBack {
            numbering: self,
            id,
        };
        let turn = Arc::clone(write_turn).lock_owned().await;
        // Every holder of the lock takes the whole list, so ours is either taken by a
        // holder before us (its answer comes on the channel) or by us now.
        let jobs: Vec<Job> =
            std::mem::take(&mut *self.pending.lock().unwrap_or_else(PoisonError::into_inner))
                .into_iter()
                .map(|j| j.0)
                .collect();
        if jobs.is_empty() {
            drop(turn);
        } else {
            let me = Arc::clone(self);
            // The lock and the connection go with the batch: they come free when it is
            // written, even if this caller is gone by then.
            let batch = tokio::task::spawn_blocking(move || {
                let conn = me
                    .conn
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take();
                let conn = me.write_batch(conn, jobs);
                *me.conn.lock().unwrap_or_else(PoisonError::into_inner) = conn;
                drop(turn);
            });
            if let Err(e) = batch.await {
                // Its answers were not all sent; ours, if it was in another batch, was.
                tracing::error!(error = %e, "the numbering batch failed");
            }
        }
        answer
            .await
            .map_err(|_| DbError::Embedded("the numbering batch ended without an answer".into()))?
    }

    /// Writes a batch in one transaction and answers each job; gives back the connection
    /// for the next batch (`None` when it could not be opened, or is left in a
    /// transaction).
    fn write_batch(&self, conn: Option<Connection>, jobs: Vec<Job>) -> Option<Connection> {
        let conn = match conn.map_or_else(|| self.open(), Ok) {
            Ok(c) => c,
            Err(e) => {
                for j in jobs {
                    let _ = j.reply.send(Err(embedded(&e)));
                }
                return None;
            }
        };
        match write_all(&conn, &jobs) {
            Ok(answers) => {
                for (j, a) in jobs.into_iter().zip(answers) {
                    let _ = j.reply.send(a);
                }
            }
            Err(e) => {
                // Not committed: nothing of the batch was written.
                let _ = conn.execute_batch("ROLLBACK");
                for j in jobs {
                    let _ = j.reply.send(Err(embedded(&e)));
                }
            }
        }
        conn.is_autocommit().then_some(conn)
    }

    fn open(&self) -> Result<Connection, rusqlite::Error> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(self.busy_timeout)?;
        // As the pool's connections have them (these are per connection).
        conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")?;
        Ok(conn)
    }
}

/// The batch's statements in one transaction: each job's answer, or the error that stops
/// the whole batch (then the caller rolls back).
fn write_all(
    conn: &Connection,
    jobs: &[Job],
) -> Result<Vec<Result<Numbered, DbError>>, rusqlite::Error> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let mut answers = Vec::with_capacity(jobs.len());
    {
        let mut insert = conn.prepare_cached(&numbering_sql())?;
        let mut held = conn.prepare_cached("SELECT held_by FROM onsite_queues WHERE id = ?1")?;
        for j in jobs {
            let row = insert
                .query_row(
                    params![
                        j.campaign_id,
                        j.queue_id,
                        j.code_id,
                        j.code_text,
                        j.student_id,
                        j.desk,
                        j.now
                    ],
                    checkin_row,
                )
                .map(Numbered::Row);
            answers.push(match row {
                Ok(n) => Ok(n),
                Err(rusqlite::Error::QueryReturnedNoRows) => {
                    match held
                        .query_row(params![j.queue_id], |r| r.get::<_, Option<String>>(0))
                        .optional()?
                    {
                        Some(held_by) => Ok(Numbered::NotNumbered { held_by }),
                        // The queue was deleted meanwhile.
                        None => Err(DbError::NotFound),
                    }
                }
                // This statement alone was undone (a unique key: the same code or student
                // numbered a moment ago; or another constraint); the batch goes on.
                Err(e) if is_unique_violation(&e) => Err(DbError::Conflict(e.to_string())),
                Err(e) if is_constraint(&e) => Err(embedded(&e)),
                Err(e) => return Err(e),
            });
        }
    }
    conn.execute_batch("COMMIT")?;
    Ok(answers)
}

fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _)
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    )
}

fn is_constraint(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation
    )
}

fn embedded(e: &rusqlite::Error) -> DbError {
    DbError::Embedded(e.to_string())
}

/// A row of [`CHECKIN_COLS`].
fn checkin_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CheckinRow> {
    Ok(CheckinRow {
        id: r.get(0)?,
        campaign_id: r.get(1)?,
        queue_id: r.get(2)?,
        number: r.get(3)?,
        turn: r.get(4)?,
        code_id: r.get(5)?,
        code_text: r.get(6)?,
        student_id: r.get(7)?,
        stage: r.get(8)?,
        desk: r.get(9)?,
        checked_in_at: r.get(10)?,
        updated_at: r.get(11)?,
        photo_id: r.get(12)?,
        confirmed_at: r.get(13)?,
        outbox_id: r.get(14)?,
        settlement_id: r.get(15)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::onsite_sessions::NewSession;
    use crate::{Db, DbOptions};

    fn job(
        campaign_id: i64,
        queue_id: i64,
        code: &str,
        student_id: i64,
    ) -> (Job, oneshot::Receiver<Result<Numbered, DbError>>) {
        let (reply, answer) = oneshot::channel();
        let j = Job {
            id: 0,
            campaign_id,
            queue_id,
            code_id: code.into(),
            code_text: format!("GPC1.{code}"),
            student_id,
            desk: "desk".into(),
            now: 1,
            reply,
        };
        (j, answer)
    }

    /// A database at `path` with an open campaign (university `tag`), `n` of its students
    /// and a session for them.
    async fn fixture(
        path: &std::path::Path,
        tag: &str,
        n: usize,
    ) -> (
        Db,
        crate::campaigns::CampaignRow,
        Vec<i64>,
        crate::onsite_sessions::SessionRow,
    ) {
        let url = format!("sqlite://{}", path.display());
        let db = Db::connect(&url, &DbOptions::default()).await.expect("db");
        let (u, c) = crate::testing::campaign_fixture(&db, tag).await;
        let students = crate::testing::students_fixture(&db, &u, n).await;
        let session = db
            .create_onsite_session(&NewSession {
                campaign_id: c.id,
                campus: "泉州校区",
                place: "105",
                day: "2027-04-20",
                starts: "09:30",
                ends: "12:00",
                capacity: 500,
                in_service_open: false,
            })
            .await
            .expect("session");
        (db, c, students, session)
    }

    /// One batch with a check-in of each kind: each gets its own answer, and only the
    /// ones that were numbered are written, numbered in the batch's order.
    #[tokio::test]
    async fn a_batch_answers_each_check_in_on_its_own() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (db, c, students, session) = fixture(&dir.path().join("n.db"), "9", 3).await;
        let open = db.create_onsite_queue(session.id, "A").await.expect("q");
        let held = db.create_onsite_queue(session.id, "B").await.expect("q");
        db.hold_queue(held.id, "laptop-105", "00aa")
            .await
            .expect("db")
            .expect("held");

        let numbering = Numbering::new(dir.path().join("n.db"), Duration::from_secs(5));
        let (a, ra) = job(c.id, open.id, "a", students[0]);
        let (b, rb) = job(c.id, held.id, "b", students[1]);
        // The same student as `a` under another code: a unique key, undone alone.
        let (dup, rdup) = job(c.id, open.id, "a2", students[0]);
        let (d, rd) = job(c.id, open.id, "d", students[2]);
        let conn = numbering.write_batch(None, vec![a, b, dup, d]);
        assert!(conn.is_some(), "the connection is kept for the next batch");

        let number = |r: Result<Numbered, DbError>| match r {
            Ok(Numbered::Row(row)) => (row.code_id, row.number),
            Ok(Numbered::NotNumbered { held_by }) => panic!("not numbered ({held_by:?})"),
            Err(e) => panic!("{e}"),
        };
        assert_eq!(number(ra.await.expect("answer")), ("a".into(), 1));
        match rb.await.expect("answer") {
            Ok(Numbered::NotNumbered { held_by }) => {
                assert_eq!(held_by.as_deref(), Some("laptop-105"));
            }
            _ => panic!("a held queue numbers nobody"),
        }
        assert!(matches!(
            rdup.await.expect("answer"),
            Err(DbError::Conflict(_))
        ));
        assert_eq!(number(rd.await.expect("answer")), ("d".into(), 2));
        let rows = db.onsite_queue_checkins(open.id).await.expect("rows");
        assert_eq!(
            rows.iter()
                .map(|r| (r.code_id.as_str(), r.number))
                .collect::<Vec<_>>(),
            [("a", 1), ("d", 2)]
        );
        assert_eq!(db.onsite_queue(open.id).await.expect("q").last_number, 2);
        assert!(
            db.onsite_queue_checkins(held.id)
                .await
                .expect("rows")
                .is_empty()
        );

        // A campaign no longer open numbers nobody; the answer says so.
        let audit = crate::audit::NewAudit {
            actor_id: None,
            actor_name: "test".into(),
            action: "campaign.close".into(),
            target_kind: "campaign".into(),
            target_id: None,
            university_id: None,
            before: None,
            after: None,
            ip: None,
        };
        db.set_campaign_status(c.id, "open", "closed", &audit)
            .await
            .expect("closed");
        let (e, re) = job(c.id, open.id, "e", students[1]);
        numbering.write_batch(conn, vec![e]);
        assert!(matches!(
            re.await.expect("answer"),
            Ok(Numbered::NotNumbered { held_by: None })
        ));
    }

    /// Through [`Numbering::number`]: many scans at once, duplicates among them, each
    /// answered; a scan dropped while it waited for the lock is never written.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_scans_are_numbered_in_shared_batches_and_a_dropped_one_is_not() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (db, c, students, session) = fixture(&dir.path().join("c.db"), "8", 41).await;
        let q = db.create_onsite_queue(session.id, "A").await.expect("q");
        let numbering = Arc::new(Numbering::new(
            dir.path().join("c.db"),
            Duration::from_secs(5),
        ));
        let turn = Arc::new(tokio::sync::Mutex::new(()));

        // Dropped while another writer holds the lock: taken back off the list.
        let held = Arc::clone(&turn).lock_owned().await;
        let code = "gone".to_string();
        let gone = NewCheckin {
            campaign_id: c.id,
            queue_id: q.id,
            code_id: &code,
            code_text: &code,
            student_id: students[40],
            desk: "desk",
        };
        let waited = tokio::time::timeout(
            Duration::from_millis(100),
            numbering.number(&turn, &gone, 1),
        )
        .await;
        assert!(waited.is_err(), "it waited for the lock");
        assert!(numbering.pending.lock().expect("list").is_empty());
        drop(held);

        // Forty students, each scanned twice at once (the second under another code).
        let tasks: Vec<_> = (0..80)
            .map(|i| {
                let (numbering, turn) = (Arc::clone(&numbering), Arc::clone(&turn));
                let (campaign, queue, student) = (c.id, q.id, students[i % 40]);
                tokio::spawn(async move {
                    let code = format!("code-{i}");
                    let c = NewCheckin {
                        campaign_id: campaign,
                        queue_id: queue,
                        code_id: &code,
                        code_text: &code,
                        student_id: student,
                        desk: "desk",
                    };
                    numbering.number(&turn, &c, 2).await
                })
            })
            .collect();
        let (mut numbered, mut clashed) = (Vec::new(), 0);
        for t in tasks {
            match t.await.expect("task") {
                Ok(Numbered::Row(row)) => numbered.push(row.number),
                Err(DbError::Conflict(_)) => clashed += 1,
                _ => panic!("neither numbered nor a clash"),
            }
        }
        numbered.sort_unstable();
        assert_eq!(numbered, (1..=40).collect::<Vec<i64>>());
        assert_eq!(clashed, 40);
        let rows = db.onsite_queue_checkins(q.id).await.expect("rows");
        assert_eq!(rows.len(), 40);
        assert!(rows.iter().all(|r| r.code_id != "gone"), "the dropped scan");
    }

    /// A batch that cannot be written (here: no database file to open) answers every
    /// check-in with the error and writes nothing.
    #[tokio::test]
    async fn a_batch_that_fails_answers_every_check_in_with_the_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let numbering = Numbering::new(dir.path().join("missing.db"), Duration::from_secs(1));
        let (a, ra) = job(1, 1, "a", 1);
        let (b, rb) = job(1, 1, "b", 2);
        assert!(numbering.write_batch(None, vec![a, b]).is_none());
        for r in [ra, rb] {
            assert!(matches!(
                r.await.expect("answer"),
                Err(DbError::Embedded(_))
            ));
        }
    }
}
