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
//! and run in a loop on the thread that owns the connection.
//!
//! The batch takes the same in-process queue as every other SQLite write (`SqliteStore`'s write
//! lock, a fair FIFO), so settlement, sessions and approvals get their turn between batches.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::{mpsc, Arc};
use std::time::Duration;

use payout_core::{AccountKind, Facts, Time};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use tokio::sync::{oneshot, Mutex};

use super::audit::{INSERT_AUDIT, INSERT_EVENT};
use super::idempotency::{Key, KeyRow, Seen, INSERT_KEY, SELECT_KEY};
use super::payouts::{
    created_answer, plan, rejected_answer, Decide, FactRows, ItemRow, OperatorQuotaRow, OrderRow, Plan,
    ShopRow, UsageRow, COUNTED_TODAY, INSERT_PAYOUT, OPERATOR_COUNTED_TODAY, ORDER_USAGE, RESERVE,
    SELECT_ACCOUNTS, SELECT_ITEMS, SELECT_OPERATOR, SELECT_ORDER, SELECT_SHOP,
};
use super::reasons::{ReasonRow, SELECT_REASONS};
use super::rows::{business_date, AccountRow};
use super::{Actor, CreateOutcome, NewPayout, StoreError, StoredResponse};
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

/// The steps of `create_in` (payouts.rs), on this connection.
fn create_one(tx: &Connection, job: &Job) -> Answer {
    let new = &job.new;
    let actor = &new.actor;
    // "Now" is when the request is decided under the write lock.
    let at = job.clock.now();
    let key = new.key();
    let seen = tx
        .prepare_cached(SELECT_KEY)?
        .query_row(params![key.shop_id, key.user_id, key.key], KeyRow::from_sql_row)
        .optional()?;
    match seen.map(|row| row.seen(key.request_hash)) {
        Some(Seen::Same(stored)) => return Ok(CreateOutcome::Replayed(stored)),
        Some(Seen::Other) => return Ok(CreateOutcome::KeyReused),
        None => {}
    }
    let Some((order_id, facts, _)) = load_facts(tx, actor, &new.order_no, at)? else {
        return Ok(CreateOutcome::OrderNotFound);
    };
    let insert = match plan(new, &facts, at, &job.decide) {
        Plan::Rejected(violations) => {
            record_key(tx, key, &rejected_answer(&violations), at)?;
            return Ok(CreateOutcome::Rejected(violations));
        }
        Plan::Insert(insert) => insert,
    };
    let reason = insert.reason.as_ref();
    let id: i64 = tx.prepare_cached(INSERT_PAYOUT)?.query_row(
        params![
            actor.shop_id,
            order_id,
            new.order_no,
            actor.user_id,
            new.source_account.as_str(),
            new.payout_type.as_str(),
            new.amount.to_fen(),
            insert.status.as_str(),
            new.linked_item_id,
            new.note,
            at.unix_millis(),
            business_date(at),
            reason.map(|r| r.id),
            reason.map(|r| r.name_zh.as_str()),
            reason.and_then(|r| r.name_en.as_deref()),
            insert.buyer_message.as_deref(),
        ],
        |row| row.get(0),
    )?;
    tx.prepare_cached(RESERVE)?.execute(params![
        new.amount.to_fen(),
        actor.shop_id,
        new.source_account.as_str()
    ])?;
    tx.prepare_cached(INSERT_EVENT)?.execute(params![
        actor.shop_id,
        id,
        at.unix_millis(),
        insert.status.as_str(),
        actor.username,
        None::<&str>
    ])?;
    let (target, detail) = insert.audit(new, id);
    tx.prepare_cached(INSERT_AUDIT)?.execute(params![
        actor.shop_id,
        at.unix_millis(),
        actor.username,
        "payout.created",
        target,
        detail
    ])?;
    let view = insert.view(new, id, at);
    record_key(tx, key, &created_answer(&view)?, at)?;
    Ok(CreateOutcome::Created(Box::new(view)))
}

fn record_key(tx: &Connection, k: Key<'_>, response: &StoredResponse, at: Time) -> Result<(), StoreError> {
    tx.prepare_cached(INSERT_KEY)?.execute(params![
        k.shop_id,
        k.user_id,
        k.key,
        k.request_hash,
        i64::from(response.status),
        response.body,
        at.unix_millis()
    ])?;
    Ok(())
}

/// The statements of `load_facts` (payouts.rs), on this connection.
fn load_facts(
    tx: &Connection,
    actor: &Actor,
    order_no: &str,
    now: Time,
) -> Result<Option<(i64, Facts, AccountKind)>, StoreError> {
    let shop_id = actor.shop_id;
    let Some(order) = tx
        .prepare_cached(SELECT_ORDER)?
        .query_row(params![shop_id, order_no], OrderRow::from_sql_row)
        .optional()?
    else {
        return Ok(None);
    };
    let items = tx
        .prepare_cached(SELECT_ITEMS)?
        .query_map(params![shop_id, order.id], ItemRow::from_sql_row)?
        .collect::<Result<Vec<_>, _>>()?;
    let shop = tx.prepare_cached(SELECT_SHOP)?.query_row(params![shop_id], ShopRow::from_sql_row)?;
    let user = tx
        .prepare_cached(SELECT_OPERATOR)?
        .query_row(params![shop_id, actor.user_id], OperatorQuotaRow::from_sql_row)?;
    let today = business_date(now);
    let operator_used_fen = if user.is_main() {
        0
    } else {
        tx.prepare_cached(OPERATOR_COUNTED_TODAY)?
            .query_row(params![shop_id, today, actor.user_id], |row| row.get(0))?
    };
    let usage =
        tx.prepare_cached(ORDER_USAGE)?.query_row(params![shop_id, order.id], UsageRow::from_sql_row)?;
    let accounts = tx
        .prepare_cached(SELECT_ACCOUNTS)?
        .query_map(params![shop_id], AccountRow::from_sql_row)?
        .map(|row| row.map_err(StoreError::from).and_then(AccountRow::facts))
        .collect::<Result<Vec<_>, _>>()?;
    let reasons = tx
        .prepare_cached(SELECT_REASONS)?
        .query_map(params![shop_id], ReasonRow::from_sql_row)?
        .map(|row| row.map_err(StoreError::from))
        .filter(|row| row.as_ref().map_or(true, |r| r.active))
        .map(|row| row.and_then(ReasonRow::reason))
        .collect::<Result<Vec<_>, _>>()?;
    let shop_counted_fen =
        tx.prepare_cached(COUNTED_TODAY)?.query_row(params![shop_id, today], |row| row.get(0))?;
    let rows =
        FactRows { order, items, shop, user, operator_used_fen, usage, accounts, reasons, shop_counted_fen };
    rows.facts(order_no).map(Some)
}
