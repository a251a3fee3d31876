//! The embedded store: one SQLite file in WAL mode, `synchronous=FULL` (an acknowledged payout
//! survives a crash). Every write is one `BEGIN IMMEDIATE` transaction, which takes SQLite's write
//! lock before the first read, so the facts a payout is checked against cannot change before it is
//! written. An in-process mutex queues writers so they wait in order instead of spinning on
//! SQLITE_BUSY; other processes on the same file wait on the lock itself.
//!
//! Payouts are created by one writer task that takes every request queued meanwhile and commits
//! them together, the way ledger databases go past the per-transaction ceiling: each request is
//! decided in order, inside a savepoint, against the facts as the ones before it in the batch
//! left them (they are in the same transaction), and gets its own answer and idempotency record;
//! the batch costs one fsync. Nothing is answered before the commit, so a crash mid-batch loses
//! only requests that had no answer yet (their clients retry with the same key).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Acquire, Sqlite, SqlitePool};
use tokio::sync::{mpsc, oneshot, Mutex};

use super::{begin_detached, CreateOutcome, Decide, Lock, NewPayout, StoreError, Tx};
use crate::clock::Clock;

/// Requests one batch takes at most.
const MAX_BATCH: usize = 256;
/// Requests waiting for the writer at most; more wait to be queued.
const QUEUE: usize = 4096;

pub struct SqliteStore {
    pub(super) pool: SqlitePool,
    /// Queues this process's writers; `BEGIN IMMEDIATE` still guards against other processes.
    write_lock: Arc<Mutex<()>>,
    /// The payout writer's queue.
    creates: mpsc::Sender<CreateJob>,
}

/// A payout request waiting for the writer, and where its answer goes.
struct CreateJob {
    new: NewPayout,
    clock: Arc<dyn Clock>,
    decide: Decide,
    answer: oneshot::Sender<Result<CreateOutcome, StoreError>>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and applies the migrations.
    pub async fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Database(format!("cannot create {}: {e}", dir.display())))?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            // A connection returned inside a transaction is closed, not handed on with
            // SQLite's write lock held.
            .after_release(super::clean_after_release::<Sqlite>)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        let write_lock = Arc::new(Mutex::new(()));
        let (creates, queue) = mpsc::channel(QUEUE);
        // Ends when the store (the queue's only sender) is dropped.
        tokio::spawn(write_batches(pool.clone(), write_lock.clone(), queue));
        Ok(SqliteStore { pool, write_lock, creates })
    }

    /// Queues a payout for the writer and waits for its answer, which comes after the batch's
    /// commit.
    pub(super) async fn create(
        &self,
        new: NewPayout,
        clock: Arc<dyn Clock>,
        decide: Decide,
    ) -> Result<CreateOutcome, StoreError> {
        let (answer, answered) = oneshot::channel();
        let stopped = || StoreError::Database("the payout writer has stopped".into());
        self.creates.send(CreateJob { new, clock, decide, answer }).await.map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())?
    }

    /// A write transaction that holds SQLite's write lock from its first statement (the lock is
    /// the whole database's, whatever `Lock` asks for).
    pub(super) async fn begin_write(&self, _lock: Lock) -> Result<Tx<'_, Sqlite>, StoreError> {
        let queued = self.write_lock.lock().await;
        let tx = begin_detached(&self.pool, "BEGIN IMMEDIATE").await?;
        Ok(Tx::new(tx, Some(queued)))
    }

    /// A read transaction: one consistent snapshot of the database.
    pub(super) async fn begin_read(&self) -> Result<Tx<'_, Sqlite>, StoreError> {
        Ok(Tx::new(begin_detached(&self.pool, "BEGIN").await?, None))
    }

    /// The SQLite spelling, where the two stores' statements differ.
    pub(super) const fn dialect(sqlite: &'static str, _postgres: &'static str) -> &'static str {
        sqlite
    }
}

/// The payout writer: takes the first queued request and every one queued behind it (up to
/// [`MAX_BATCH`]), decides and writes them in order in one transaction, commits, then answers.
async fn write_batches(pool: SqlitePool, write_lock: Arc<Mutex<()>>, mut queue: mpsc::Receiver<CreateJob>) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        let outcomes = write_batch(&pool, &write_lock, &jobs).await;
        for (job, outcome) in jobs.drain(..).zip(outcomes) {
            // A client that hung up has no one waiting; its payout stands under its key.
            let _ = job.answer.send(outcome);
        }
    }
}

/// One transaction for the whole batch; each request in a savepoint of its own, so one that
/// fails (a store error) is rolled back alone and answered with its error, the rest commit.
async fn write_batch(
    pool: &SqlitePool,
    write_lock: &Mutex<()>,
    jobs: &[CreateJob],
) -> Vec<Result<CreateOutcome, StoreError>> {
    let all_failed = |e: &StoreError| jobs.iter().map(|_| Err(StoreError::Database(e.to_string()))).collect();
    let _queued = write_lock.lock().await;
    let mut tx = match begin_detached(pool, "BEGIN IMMEDIATE").await {
        Ok(tx) => tx,
        Err(e) => return all_failed(&e),
    };
    let mut outcomes = Vec::with_capacity(jobs.len());
    for job in jobs {
        let outcome = async {
            let mut savepoint = tx.begin().await?;
            match SqliteStore::create_in(&mut savepoint, &job.new, &*job.clock, &job.decide).await {
                Ok(outcome) => {
                    savepoint.commit().await?;
                    Ok(outcome)
                }
                Err(e) => {
                    savepoint.rollback().await?;
                    Err(e)
                }
            }
        }
        .await;
        outcomes.push(outcome);
    }
    match tx.commit().await {
        Ok(()) => outcomes,
        Err(e) => all_failed(&StoreError::from(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;
    use sqlx::{ConnectOptions, Connection};

    /// The pool guard: a connection whose task was dropped inside a transaction (here, the
    /// transaction is leaked on purpose while it holds SQLite's write lock) is closed when it
    /// returns to the pool, which rolls back and frees the lock, instead of being handed to the
    /// next request with the lock held.
    #[tokio::test]
    async fn a_connection_returned_inside_a_transaction_is_closed_not_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("guard.sqlite");
        let store = SqliteStore::open(&path).await.unwrap();
        let mut conn = store.pool.acquire().await.unwrap();
        let tx = conn.begin_with("BEGIN IMMEDIATE").await.unwrap();
        std::mem::forget(tx);
        drop(conn);
        // Give the pool a moment to run its release hook.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut outside = SqliteConnectOptions::new()
            .filename(&path)
            .busy_timeout(Duration::from_millis(500))
            .connect()
            .await
            .unwrap();
        let lock = sqlx::query("BEGIN IMMEDIATE").execute(&mut outside).await;
        assert!(lock.is_ok(), "the write lock was freed: {lock:?}");
        sqlx::query("ROLLBACK").execute(&mut outside).await.unwrap();
        assert!(store.ping().await.is_ok(), "the pool still serves");
    }
}
