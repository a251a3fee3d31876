//! SQLite's single writer: one thread with its own connection takes the queued payout requests
//! and commits them together, one `BEGIN IMMEDIATE` transaction and one fsync per batch.
//!
//! Each request in a batch is decided in arrival order by `payout-core` against the facts as the
//! earlier ones left them (it reads them inside the same transaction), inside its own savepoint, and
//! gets its own answer and idempotency record. Answers go out only after the batch's `COMMIT`, so
//! an answered payout is durable and a crash mid-batch loses only requests that were never
//! answered; their clients resend them with the same key.
//!
//! Why a thread and rusqlite rather than sqlx: a payout is about fifteen statements, and through
//! sqlx each is a round trip to the connection's worker thread. That, not the fsync, bounded the
//! write path (a batching writer on sqlx measured no faster). Here the statements are prepared once
//! and run in a loop on the thread that owns the connection. What they are and how the payout is
//! decided is not written here: `payouts::create` runs on this connection through `Statements`.
//!
//! The batch takes the same in-process queue as every other SQLite write (`SqliteStore`'s write
//! lock, a fair FIFO), so settlement, sessions and approvals get their turn between batches.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::{mpsc, Arc};
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::{oneshot, Mutex};

use super::payouts::{create, Decide};
use super::statements::Rusqlite;
use super::{CreateOutcome, NewPayout, StoreError};
use crate::clock::Clock;

/// The most requests one transaction takes. Bounds how long the write lock is held at a time
/// (a few milliseconds), so others waiting for it are not kept long.
const MAX_BATCH: usize = 256;

type Answer = Result<CreateOutcome, StoreError>;

struct Job {
    new: NewPayout,
    clock: Arc<dyn Clock>,
    decide: Decide,
    reply: oneshot::Sender<Answer>,
}

/// The handle the store keeps; the thread stops when it is dropped.
pub(super) struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Database(e.to_string())
    }
}

impl Writer {
    /// Opens the writer's connection to the (migrated) database at `path` and starts its thread.
    /// `gate` is the store's in-process write queue.
    pub(super) fn start(path: &Path, gate: Arc<Mutex<()>>) -> Result<Writer, StoreError> {
        let conn = Connection::open(path)?;
        // The durability of every other write: WAL, synchronous=FULL, and a long wait for another
        // process's write lock rather than an error.
        conn.busy_timeout(Duration::from_secs(30))?;
        conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.set_prepared_statement_cache_capacity(32);
        let (jobs, queue) = mpsc::channel();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run(conn, &queue, &gate))
            .map_err(|e| StoreError::Database(format!("cannot start the SQLite writer: {e}")))?;
        Ok(Writer { jobs })
    }

    /// Queues one request and waits for its answer, which comes after its batch has committed.
    pub(super) async fn create(&self, new: NewPayout, clock: Arc<dyn Clock>, decide: Decide) -> Answer {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { new, clock, decide, reply })
            .map_err(|_| StoreError::Database("the SQLite writer has stopped".into()))?;
        answer.await.map_err(|_| StoreError::Database("the SQLite writer gave no answer".into()))?
    }
}

fn run(mut conn: Connection, queue: &mpsc::Receiver<Job>, gate: &Mutex<()>) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        batch.extend(queue.try_iter().take(MAX_BATCH - 1));
        let answers = {
            let _turn = gate.blocking_lock();
            write_batch(&mut conn, &batch).unwrap_or_else(|e| {
                // Nothing of the batch was committed: every request of it gets the error.
                batch.iter().map(|_| Err(StoreError::Database(e.to_string()))).collect()
            })
        };
        for (job, answer) in batch.into_iter().zip(answers) {
            // The client may have gone meanwhile; its answer is in the idempotency record.
            let _ = job.reply.send(answer);
        }
    }
}

/// One transaction for the whole batch. A request that fails (a constraint, say, or a panic in a
/// rule) is rolled back to its savepoint alone and answers with the error; the others are kept.
fn write_batch(conn: &mut Connection, batch: &[Job]) -> Result<Vec<Answer>, StoreError> {
    let mut tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut answers = Vec::with_capacity(batch.len());
    for job in batch {
        let mut one = tx.savepoint()?;
        let answer = catch_unwind(AssertUnwindSafe(|| create_one(&one, job))).unwrap_or_else(|_| {
            Err(StoreError::Database("a payout request panicked in the SQLite writer".into()))
        });
        match &answer {
            Ok(_) => one.commit()?,
            Err(e) => {
                // Undo what this request wrote. If even that fails, SQLite has aborted the whole
                // transaction (disk full, I/O): the batch fails with the request's own error.
                if one.rollback().and_then(|()| one.finish()).is_err() {
                    return Err(StoreError::Database(e.to_string()));
                }
            }
        }
        answers.push(answer);
    }
    tx.commit()?;
    Ok(answers)
}

/// One request, decided by the same code as PostgreSQL's (`payouts::create`), on this
/// connection. Its statements run synchronously on this thread, so the future is ready at once.
fn create_one(tx: &Connection, job: &Job) -> Answer {
    // "Now" is when the request is decided under the write lock.
    let at = job.clock.now();
    futures::executor::block_on(create(&mut Rusqlite(tx), &job.new, at, &job.decide))
}
