//! The PostgreSQL store, for shops that outgrow one machine: any number of server processes on
//! one database, sharing nothing else.
//!
//! Transactions run at READ COMMITTED. Every one that checks or moves a shop's money or limits
//! starts with `SELECT … FROM shops WHERE id = $1 FOR NO KEY UPDATE`: the shop's row lock serializes that
//! shop's payouts, grants and settlements across every server, and each statement after it sees
//! everything committed before — the facts a payout is checked against cannot change before it is
//! written. Two shops never wait for each other. Reads that must agree with themselves (an order
//! and its payouts) run in one REPEATABLE READ, READ ONLY snapshot.

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres};

use std::sync::Arc;

use super::{begin_detached, CreateOutcome, Decide, Lock, NewPayout, StoreError, Tx};
use crate::clock::Clock;

/// Connections per server: the payout path and the settlement worker at once. Six servers fit
/// PostgreSQL's default `max_connections` of 100; more need a larger setting (docs/scaling.md).
const POOL_SIZE: u32 = 16;

pub struct PgStore {
    pub(super) pool: PgPool,
}

impl PgStore {
    /// Connects to `url` (`postgres://USER:PASSWORD@HOST:PORT/DB`) and applies the migrations;
    /// sqlx holds an advisory lock meanwhile, so servers starting together apply them once.
    pub async fn connect(url: &str) -> Result<PgStore, StoreError> {
        let options: PgConnectOptions =
            url.parse().map_err(|e| StoreError::Database(format!("--database-url: {e}")))?;
        let options = options.application_name("payout-server");
        let pool = PgPoolOptions::new()
            .max_connections(POOL_SIZE)
            .acquire_timeout(Duration::from_secs(30))
            // A connection returned inside a transaction is closed (PostgreSQL rolls back).
            .after_release(super::clean_after_release::<Postgres>)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(PgStore { pool })
    }

    /// One transaction per payout, under the shop's lock: shops are written side by side.
    pub(super) async fn create_payout(
        &self,
        new: NewPayout,
        clock: Arc<dyn Clock>,
        decide: Decide,
    ) -> Result<CreateOutcome, StoreError> {
        let mut tx = self.begin_write(Lock::Shop(new.actor.shop_id)).await?;
        // "Now" is when this transaction holds the shop's lock, not when the request arrived: the
        // cooldown and the daily totals are measured against the moment the payout is written.
        let outcome = super::payouts::create(&mut *tx, &new, clock.now(), &decide).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    /// A write transaction holding `lock` before anything is read.
    pub(super) async fn begin_write(&self, lock: Lock) -> Result<Tx<'_, Postgres>, StoreError> {
        let mut tx = Tx::new(begin_detached(&self.pool, "BEGIN").await?, None);
        match lock {
            // FOR NO KEY UPDATE: it excludes every other money transaction of the shop as
            // FOR UPDATE would, but not the key-share locks that foreign-key checks take on the
            // shop's row — so a claim writing a payout's event, which does not take the shop's
            // lock, can never deadlock with a settlement that holds it.
            Lock::Shop(shop_id) => {
                sqlx::query("SELECT id FROM shops WHERE id = $1 FOR NO KEY UPDATE")
                    .bind(shop_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            }
            // Blocks another seeding (and every write to shops) until this one commits; the next
            // then finds the store no longer empty.
            Lock::Seeding => {
                sqlx::query("LOCK TABLE shops IN SHARE ROW EXCLUSIVE MODE").execute(&mut *tx).await?;
            }
            Lock::Rows => {}
        }
        Ok(tx)
    }

    /// A read transaction: one consistent snapshot.
    pub(super) async fn begin_read(&self) -> Result<Tx<'_, Postgres>, StoreError> {
        let tx = begin_detached(&self.pool, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY").await?;
        Ok(Tx::new(tx, None))
    }

    /// Whether this is the SQLite store (for what only SQLite has, e.g. `INDEXED BY`).
    pub(super) const IS_SQLITE: bool = false;

    /// The PostgreSQL spelling, where the two stores' statements differ.
    pub(super) const fn dialect(_sqlite: &'static str, postgres: &'static str) -> &'static str {
        postgres
    }

    /// `= ANY($n)` with the values as one array: PostgreSQL hashes a bound array, where a list of
    /// hundreds of parameters is compared one by one for every row the plan reads (an import's
    /// lookups grew with the table: 0.4 s each at 30,000 items, planned on stale statistics).
    pub(super) fn push_in<T>(qb: &mut sqlx::QueryBuilder<Postgres>, values: Vec<T>)
    where
        T: for<'q> sqlx::Encode<'q, Postgres>
            + sqlx::Type<Postgres>
            + sqlx::postgres::PgHasArrayType
            + Send
            + 'static,
    {
        qb.push(" = ANY(").push_bind(values).push(")");
    }
}
