//! The embedded store: one SQLite file in WAL mode, `synchronous=FULL` (an acknowledged payout
//! survives a crash). Every write is one `BEGIN IMMEDIATE` transaction, which takes SQLite's write
//! lock before the first read, so the facts a payout is checked against cannot change before it is
//! written. An in-process mutex queues writers so they wait in order instead of spinning on
//! SQLITE_BUSY; other processes on the same file wait on the lock itself.

use std::path::Path;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool};
use std::sync::Arc;

use tokio::sync::Mutex;

use super::writer::Writer;
use super::{begin_detached, CreateOutcome, Decide, Lock, NewPayout, StoreError, Tx};
use crate::clock::Clock;

pub struct SqliteStore {
    pub(super) pool: SqlitePool,
    /// Queues this process's writers (the payout writer's batches among them); `BEGIN IMMEDIATE`
    /// still guards against other processes.
    write_lock: Arc<Mutex<()>>,
    /// Creates payouts in batches (`writer.rs`).
    writer: Writer,
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
        let writer = Writer::start(path, write_lock.clone())?;
        Ok(SqliteStore { pool, write_lock, writer })
    }

    /// Payouts are created by the single writer, many to a transaction.
    pub(super) async fn create_payout(
        &self,
        new: NewPayout,
        clock: Arc<dyn Clock>,
        decide: Decide,
    ) -> Result<CreateOutcome, StoreError> {
        self.writer.create(new, clock, decide).await
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

    /// Whether this is the SQLite store (for what only SQLite has, e.g. `INDEXED BY`).
    pub(super) const IS_SQLITE: bool = true;

    /// The SQLite spelling, where the two stores' statements differ.
    pub(super) const fn dialect(sqlite: &'static str, _postgres: &'static str) -> &'static str {
        sqlite
    }

    /// ` IN (…)` with one parameter per value (SQLite has no array parameters).
    pub(super) fn push_in<T>(qb: &mut sqlx::QueryBuilder<Sqlite>, values: Vec<T>)
    where
        T: for<'q> sqlx::Encode<'q, Sqlite> + sqlx::Type<Sqlite> + Send + 'static,
    {
        qb.push(" IN (");
        let mut list = qb.separated(", ");
        for value in values {
            list.push_bind(value);
        }
        qb.push(")");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{CreateOutcome, Store};
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
        // The pool runs its release hook in the background: an outside connection gets the write
        // lock once it has (a connection handed on inside its transaction would keep it for good).
        let mut outside = SqliteConnectOptions::new()
            .filename(&path)
            .busy_timeout(Duration::from_millis(100))
            .connect()
            .await
            .unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        let mut lock = sqlx::query("BEGIN IMMEDIATE").execute(&mut outside).await;
        while lock.is_err() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
            lock = sqlx::query("BEGIN IMMEDIATE").execute(&mut outside).await;
        }
        assert!(lock.is_ok(), "the write lock was freed: {lock:?}");
        sqlx::query("ROLLBACK").execute(&mut outside).await.unwrap();
        assert!(store.ping().await.is_ok(), "the pool still serves");
    }

    /// Every combination of the records' filters, with and without dates, from the start, by page
    /// and by cursor either way, is a search of an index in the order shown: never a scan of the
    /// shop's history, never a sort of it (what made a big shop's records take seconds).
    #[tokio::test]
    async fn every_records_query_searches_an_index_in_the_order_shown() {
        use crate::store::{PayoutFilter, RowKey, Seek};
        use payout_core::api::PayoutStatus;
        use payout_core::{PayoutType, Time};
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("plans.sqlite")).await.unwrap();
        let key = RowKey { created_at: Time::from_unix_millis(1_700_000_000_000), id: 7 };
        let day = payout_core::time::parse_business_date("2026-11-24");
        let mut checked = 0;
        for mask in 0..64u32 {
            let on = |bit: u32| mask & (1 << bit) != 0;
            let filter = PayoutFilter {
                order_no: on(0).then(|| "6920241100000000002".to_owned()),
                status: on(1).then_some(PayoutStatus::Failed),
                payout_type: on(2).then_some(PayoutType::Shipping),
                operator_id: on(3).then_some(2),
                from: if on(4) { day } else { None },
                to: if on(5) { day } else { None },
            };
            let mut queries = vec![SqliteStore::count_query(1, &filter).sql().as_str().to_owned()];
            for seek in [Seek::Page(1), Seek::Page(3), Seek::Older(key), Seek::Newer(key)] {
                let mut walk = sqlx::QueryBuilder::new("");
                SqliteStore::push_walk(&mut walk, 1, &filter, seek, 20, 21);
                queries.push(walk.sql().as_str().to_owned());
            }
            for sql in queries {
                let plan: Vec<String> = sqlx::query_as::<_, (i64, i64, i64, String)>(sqlx::AssertSqlSafe(
                    format!("EXPLAIN QUERY PLAN {sql}"),
                ))
                .fetch_all(&store.pool)
                .await
                .unwrap_or_else(|e| panic!("{filter:?}: {e}\n{sql}"))
                .into_iter()
                .map(|r| r.3)
                .collect();
                let all = plan.join(" | ");
                assert!(!all.contains("TEMP B-TREE"), "{filter:?} sorts: {all}\n{sql}");
                let search = plan
                    .iter()
                    .find(|d| d.starts_with("SEARCH p USING"))
                    .unwrap_or_else(|| panic!("{filter:?} does not search an index: {all}"));
                // Every equality asked for is a term of the search (else it is filtered row by row
                // along a longer walk): all of them, or the order number, which needs no other.
                let wanted: Vec<&str> = if filter.order_no.is_some() {
                    vec!["order_no=?"]
                } else {
                    [
                        (filter.status.is_some(), "status=?"),
                        (filter.payout_type.is_some(), "payout_type=?"),
                        (filter.operator_id.is_some(), "operator_id=?"),
                    ]
                    .into_iter()
                    .filter_map(|(on, term)| on.then_some(term))
                    .collect()
                };
                for term in wanted {
                    assert!(search.contains(term), "{filter:?}: {term} is not searched: {search}");
                }
                assert!(!plan.iter().any(|d| d.starts_with("SCAN p")), "{filter:?} scans: {all}");
                checked += 1;
            }
        }
        assert_eq!(checked, 64 * 5);
    }

    /// "Counted" is defined once, by payout-core: a database whose `payout_statuses` say otherwise
    /// is refused when the store opens, rather than summed its own way.
    #[tokio::test]
    async fn a_database_that_counts_otherwise_than_payout_core_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("counted.sqlite")).await.unwrap();
        assert!(store.check_counted().await.is_ok());
        sqlx::query("UPDATE payout_statuses SET counted = FALSE WHERE status = 'awaiting_approval'")
            .execute(&store.pool)
            .await
            .unwrap();
        let refused = store.check_counted().await.unwrap_err().to_string();
        assert!(refused.contains("payout_statuses"), "{refused}");
    }

    /// The single writer's batch: a request whose rule panics fails alone (the others of its
    /// batch are committed and answered), and the same idempotency key twice in one batch makes
    /// one payout, the second answer a replay of the first.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_batch_isolates_a_panicking_request_and_replays_a_repeated_key() {
        use crate::clock::SystemClock;
        use crate::store::demo::demo_seed;
        use crate::store::{Decide, NewPayout, PayoutAnswer, PayoutStore, SessionStore};
        use payout_core::Draft;
        use std::sync::atomic::{AtomicI64, Ordering};

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("batch.sqlite");
        let store = Arc::new(SqliteStore::open(&path).await.unwrap());
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let now = clock.now();
        store.seed(&demo_seed(now, &|p| p.to_owned())).await.unwrap();
        let credentials = store.credentials("lin.admin").await.unwrap().unwrap();
        store.session_create("t", &credentials, "c", now, now.plus_seconds(3600)).await.unwrap();
        let actor = store.session_actor("t", now).await.unwrap().unwrap();
        let new = |key: &str, order: &str| {
            let raw = payout_core::api::PayoutDraft {
                order_no: order.to_owned(),
                source_account: "aggregate".into(),
                payout_type: "other".into(),
                amount: "1.00".into(),
                ..Default::default()
            };
            NewPayout {
                actor: actor.clone(),
                draft: Draft::parse(&payout_core::Policy::default(), &raw).unwrap(),
                idempotency_key: key.to_owned(),
                request_hash: "same request".to_owned(),
            }
        };
        let allow: Decide = Arc::new(|_, _| vec![]);
        let panics: Decide = Arc::new(|_, _| panic!("a rule panicked"));
        // The first request's rule holds the writer inside a batch of its own until told to go on.
        let (entered, writer_holds) = tokio::sync::oneshot::channel::<()>();
        let (go, go_on) = std::sync::mpsc::channel::<()>();
        let (entered, go_on) = (std::sync::Mutex::new(Some(entered)), std::sync::Mutex::new(go_on));
        let holds: Decide = Arc::new(move |_, _| {
            if let Some(entered) = entered.lock().unwrap().take() {
                let _ = entered.send(());
            }
            let _ = go_on.lock().unwrap().recv_timeout(Duration::from_secs(10));
            vec![]
        });
        // The last request's rule notes how many payouts of "a" are committed: none, if "a" is in
        // the same transaction.
        let committed = Arc::new(AtomicI64::new(-1));
        let notes: Decide = {
            let (path, committed) = (path.clone(), committed.clone());
            Arc::new(move |_, _| {
                let reader = rusqlite::Connection::open(&path).unwrap();
                let query = "SELECT COUNT(*) FROM payouts WHERE order_no = '6920241100000000003' AND amount_fen = 100";
                committed.store(reader.query_row(query, [], |row| row.get(0)).unwrap(), Ordering::SeqCst);
                vec![]
            })
        };
        let first = {
            let (store, clock) = (store.clone(), clock.clone());
            let new = new("first", "6920241100000000001");
            tokio::spawn(async move { store.payout_create(new, clock, holds).await })
        };
        tokio::time::timeout(Duration::from_secs(10), writer_holds)
            .await
            .expect("the writer takes the first request")
            .unwrap();
        // Meanwhile four requests wait in the writer's queue: each is queued by its first poll.
        let mut batch = [
            store.payout_create(new("a", "6920241100000000003"), clock.clone(), allow.clone()),
            store.payout_create(new("b", "6920241100000000004"), clock.clone(), panics),
            store.payout_create(new("a", "6920241100000000003"), clock.clone(), allow),
            store.payout_create(new("c", "6920241100000000005"), clock.clone(), notes),
        ];
        for request in &mut batch {
            assert!(futures::poll!(request.as_mut()).is_pending(), "queued behind the first batch");
        }
        go.send(()).unwrap();
        assert!(matches!(
            first.await.unwrap(),
            Ok(CreateOutcome::Answered { answer: PayoutAnswer::Created(_), replayed: false })
        ));
        let [a, b, again, c] = batch;
        let (a, again) = (a.await, again.await);
        let (created, replayed) = match (a, again) {
            (
                Ok(created @ CreateOutcome::Answered { replayed: false, .. }),
                Ok(again @ CreateOutcome::Answered { replayed: true, .. }),
            )
            | (
                Ok(again @ CreateOutcome::Answered { replayed: true, .. }),
                Ok(created @ CreateOutcome::Answered { replayed: false, .. }),
            ) => match (created, again) {
                (
                    CreateOutcome::Answered { answer: PayoutAnswer::Created(view), .. },
                    CreateOutcome::Answered { answer: PayoutAnswer::Created(stored), .. },
                ) => (view, stored),
                other => panic!("the key sent twice: {other:?}"),
            },
            other => panic!("the key sent twice: {other:?}"),
        };
        assert_eq!(
            serde_json::to_string(&replayed).unwrap(),
            serde_json::to_string(&created).unwrap(),
            "the replay is the first answer"
        );
        assert!(b.await.is_err(), "the panicking request fails");
        assert!(
            matches!(c.await, Ok(CreateOutcome::Answered { answer: PayoutAnswer::Created(_), .. })),
            "the rest of the batch is kept"
        );
        assert_eq!(committed.load(Ordering::SeqCst), 0, "a and c were decided in one transaction");
        let payouts: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM payouts WHERE order_no IN \
             ('6920241100000000001', '6920241100000000003', '6920241100000000004', '6920241100000000005') \
             AND amount_fen = 100",
        )
        .fetch_one(&store.pool)
        .await
        .unwrap();
        assert_eq!(payouts, 3, "first, a and c; nothing of b");
    }
}
