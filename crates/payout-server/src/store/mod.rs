//! The store: everything the handlers and the settlement worker keep in the database, behind
//! traits that say nothing about SQL dialects. Two stores implement them: [`sqlite::SqliteStore`]
//! (one file, the embedded default) and [`postgres::PgStore`] (any number of servers on one
//! PostgreSQL database).
//!
//! The code is split by resource — [`payouts`], [`settlement`], [`sessions`] (and the sign-in
//! throttle), [`quotas`], [`settings`] (and top-ups), [`audit`], [`reasons`], [`approvals`],
//! [`notifications`] (the buyer-notification outbox), [`reports`] — and each resource module holds
//! its trait, the one implementation both stores share, and beside it the few statements whose
//! SQLite and PostgreSQL spellings differ. The shared implementation is written once and compiled
//! for each driver by [`for_each_store!`], so the two stores cannot drift: the same statements run
//! in the same order against the same tables (`$1` placeholders work in both).
//!
//! What differs is how a write transaction is isolated (`begin_write`): SQLite's `BEGIN IMMEDIATE`
//! takes the database's one write lock; PostgreSQL starts every transaction that checks or moves a
//! shop's money or limits with `SELECT … FROM shops WHERE id = $1 FOR NO KEY UPDATE`, so shops never wait
//! for each other. Every method that changes money or limits is one transaction; nothing
//! half-written survives.

/// Writes the items once for each store, in modules `on_sqlite` and `on_postgres`. Inside, `Db`
/// is the sqlx driver, `Conn` its connection and `This` the store type;
/// `This::dialect(sqlite, postgres)` picks the statement for the driver where the two differ.
macro_rules! for_each_store {
    ($($body:tt)*) => {
        #[allow(unused_imports)]
        mod on_sqlite {
            use super::*;
            use sqlx::Sqlite as Db;
            use sqlx::SqliteConnection as Conn;
            use $crate::store::sqlite::SqliteStore as This;
            $($body)*
        }
        #[allow(unused_imports)]
        mod on_postgres {
            use super::*;
            use sqlx::Postgres as Db;
            use sqlx::PgConnection as Conn;
            use $crate::store::postgres::PgStore as This;
            $($body)*
        }
    };
}

pub mod demo;
pub mod postgres;
pub mod sqlite;

mod approvals;
mod audit;
mod idempotency;
mod keys;
mod notifications;
mod orders;
mod payouts;
mod people;
mod quotas;
mod reasons;
mod reports;
mod rows;
mod sessions;
mod settings;
mod settlement;
mod statements;
mod webhooks;
mod writer;

use std::sync::Arc;

use async_trait::async_trait;

pub use crate::domain::{Actor, Settlement};
pub use approvals::{ApprovalStore, DecideOutcome, Decision};
pub use audit::AuditStore;
use jiff::civil::Date;
pub use keys::{KeyStore, MovementOutcome, StoredKey};
pub use notifications::{Delivery, DueNotification, NotificationStore};
pub use orders::{OrderOutcome, OrderStore};
use payout_core::api::{PayoutStatus, PayoutView, QuotaView, TopUpView};
use payout_core::{AccountKind, Draft, Facts, Money, PayoutType, Time, Violation};
pub use payouts::{Decide, PayoutStore};
pub use people::{By, Created, NewPassword, NewShop, PeopleStore, Security, ShopListing, UserRef};
pub use quotas::QuotaStore;
pub use reasons::{ReasonSaved, ReasonStore};
pub use reports::{ReportStore, ShopFigures};
pub use sessions::{Checked, SessionStore, Throttle};
pub use settings::{SettingsChange, SettingsStore};
pub use settlement::{SettlementStore, STATUS_QUERY_OWNER};
pub use webhooks::{Attempt, DueDelivery, EndpointChange, NewEndpoint, WebhookStore};

/// A store failure. Never shown to clients; handlers turn it into a generic 500 and log it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(String),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
}

/// What sign-in needs to know about a username.
#[derive(Clone)]
pub struct Credentials {
    pub shop_id: i64,
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    /// Deactivated accounts cannot sign in (D9).
    pub active: bool,
    /// A one-time password: it stops working then, and must be changed first (SPEC §12.2).
    pub password_expires_at: Option<payout_core::Time>,
    /// Two-step verification's secret, when it is on.
    pub totp_secret: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("shop_id", &self.shop_id)
            .field("user_id", &self.user_id)
            .finish_non_exhaustive()
    }
}

/// An order with everything the rules need, plus its payouts for the workbench.
#[derive(Clone, Debug)]
pub struct OrderContext {
    pub facts: Facts,
    /// The order's payouts, newest first.
    pub payouts: Vec<PayoutView>,
    pub selected_source_account: AccountKind,
}

/// Filters of the records page and the CSV export (SPEC §8).
#[derive(Clone, Debug, Default)]
pub struct PayoutFilter {
    pub order_no: Option<String>,
    pub status: Option<PayoutStatus>,
    pub payout_type: Option<PayoutType>,
    pub operator_id: Option<i64>,
    /// Business days, inclusive.
    pub from: Option<Date>,
    pub to: Option<Date>,
}

/// Where a page of records starts. Deep pages go by cursor: a short walk from a row, in the order
/// shown, whatever page it is (an offset would read every row before it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seek {
    /// The `n`th page (1-based), by offset: for clients that count pages; slow far from the start.
    Page(u32),
    /// The rows just older than this one: the next page.
    Older(RowKey),
    /// The rows just newer than this one: the previous page.
    Newer(RowKey),
}

/// A payout's place in the newest-first order of the records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowKey {
    pub created_at: Time,
    pub id: i64,
}

/// One page of records: the rows, how many match (exact up to [`payout_core::api::COUNT_CAP`]),
/// and whether there are older and newer rows beyond it.
pub struct PayoutPage {
    pub items: Vec<PayoutView>,
    pub total: u64,
    pub total_exact: bool,
    pub older: bool,
    pub newer: bool,
}

/// A parsed payout to create. The store reads the clock and loads the facts inside its
/// transaction and asks `decide` (the rule engine) for the verdict, so the check and the write see
/// the same state and the same instant, however long the transaction waited for the write lock.
pub struct NewPayout {
    pub actor: Actor,
    pub draft: Draft,
    pub idempotency_key: String,
    /// The request's fingerprint: the same key with another request is refused.
    pub request_hash: String,
}

impl NewPayout {
    /// The idempotency key the request carries, with its fingerprint.
    pub(in crate::store) fn key(&self) -> idempotency::Key<'_> {
        idempotency::Key {
            shop_id: self.actor.shop_id,
            user_id: self.actor.user_id,
            key: &self.idempotency_key,
            request_hash: &self.request_hash,
        }
    }
}

/// What was decided about a payout request.
#[derive(Debug)]
pub enum PayoutAnswer {
    Created(Box<PayoutView>),
    /// The rules said no; nothing was written but the idempotency record.
    Rejected(Vec<Violation>),
}

#[derive(Debug)]
pub enum CreateOutcome {
    /// Decided now, or (`replayed`) the first decision under this idempotency key, given again.
    Answered { answer: PayoutAnswer, replayed: bool },
    /// The key was seen before with another request.
    KeyReused,
    /// No such order in the actor's shop (R-E1).
    OrderNotFound,
}

/// A payout a settlement worker has claimed: it alone asks the rail about it until its lease
/// ends.
#[derive(Clone, Debug)]
pub struct Claimed {
    pub key: PayoutKey,
    pub amount: Money,
    pub source_account: AccountKind,
    /// The claim was taken over from a worker whose lease expired (a crashed server).
    pub taken_over: bool,
    /// It was `processing` already: a transfer may have reached the rail, so the rail is asked
    /// for its status before anything is sent.
    pub at_rail: bool,
    /// Whom the rail pays: the order's buyer (SPEC §12.3).
    pub buyer_ref: Option<String>,
}

/// What asking to take over a payout's claim for a status query came to (SPEC §11.4).
#[derive(Debug)]
pub enum TakeOver {
    Taken(Claimed),
    /// No such payout in the shop.
    NotFound,
    /// Not `processing`, or not for long enough to be stuck: the worker is still on it.
    NotStuck(PayoutStatus),
    /// Another status query of it is running.
    Busy,
}

/// What a top-up came to (SPEC D8).
#[derive(Debug)]
pub enum TopUpOutcome {
    /// Recorded now, or (`replayed`) the first answer to this idempotency key.
    Created {
        top_up: TopUpView,
        replayed: bool,
    },
    KeyReused,
    /// The bank reference was already recorded for this shop.
    ReferenceUsed,
    /// The shop is not active (suspended shops cannot top up).
    ShopNotActive,
    /// The custody balance would pass the ceiling.
    AboveCeiling {
        balance: Money,
    },
}

/// What a quota or permission change came to (SPEC D6, D7).
#[derive(Debug)]
pub enum GrantOutcome {
    Updated(QuotaView),
    /// No such sub-account in the actor's shop.
    NotFound,
    /// D6: a quota manager may only set quotas of sub-accounts that hold payout permission, and
    /// never its own (D7).
    NotAllowed,
    /// D7: a quota manager cannot set a limit above its own.
    AboveOwnLimit {
        per_payout_limit: Money,
        daily_limit: Money,
    },
}

/// Rows removed by one housekeeping pass.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Purged {
    pub sessions: u64,
    pub idempotency_keys: u64,
    pub throttle: u64,
    /// Finished rows of the outboxes (notifications, webhook deliveries and events).
    pub outbox_rows: u64,
}

/// A page of rows and the total count behind the filter.
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
}

/// A validated custody top-up to record (SPEC D8).
pub struct NewTopUp<'a> {
    pub actor: &'a Actor,
    pub amount: Money,
    pub reference: &'a str,
    pub idempotency_key: &'a str,
    pub request_hash: String,
    /// The highest custody balance a top-up may reach.
    pub ceiling: Money,
}

/// Quota values already validated by `payout_core::quota::validate_quota`.
#[derive(Clone, Copy, Debug)]
pub struct QuotaChange {
    pub per_payout_limit: Money,
    pub daily_limit: Money,
    pub enabled: bool,
}

/// Identifies a payout: its shop and its id (the shop first, as in every key).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PayoutKey {
    pub shop_id: i64,
    pub id: i64,
}

/// What a write transaction locks before it reads anything (PostgreSQL; SQLite's
/// `BEGIN IMMEDIATE` takes the database's one write lock whatever is asked).
#[derive(Clone, Copy, Debug)]
pub enum Lock {
    /// The shop's row: every transaction that checks or moves the shop's money or limits, so
    /// each sees what the one before it wrote.
    Shop(i64),
    /// Only the rows the statements themselves touch (sessions, the throttle, claims, purges).
    Rows,
    /// The shops table: seeding an empty store, once among servers that start together.
    Seeding,
}

/// The whole store: every resource, plus what starting a server needs.
#[async_trait]
pub trait Store:
    PayoutStore
    + SettlementStore
    + SessionStore
    + QuotaStore
    + SettingsStore
    + AuditStore
    + ReasonStore
    + ApprovalStore
    + NotificationStore
    + ReportStore
    + PeopleStore
    + OrderStore
    + KeyStore
    + WebhookStore
{
    /// Answers once the database is reachable.
    async fn ping(&self) -> Result<(), StoreError>;
    /// Checks that the database's `payout_statuses` say what payout-core says is counted (SPEC §3),
    /// so the statuses' one definition is `PayoutStatus::is_counted` and SQL cannot disagree.
    async fn check_counted(&self) -> Result<(), StoreError>;
    /// True when no shop exists yet (the demo data loads only then).
    async fn is_empty(&self) -> Result<bool, StoreError>;
    /// Writes a whole data set in one transaction, only into an empty store (of several servers
    /// starting at once, one seeds). Returns whether it wrote.
    async fn seed(&self, seed: &demo::Seed) -> Result<bool, StoreError>;
}

/// Opens the store the configuration names: PostgreSQL when a database URL is given, else the
/// SQLite file. Migrations are applied (PostgreSQL takes an advisory lock for that, so servers
/// starting together apply them once).
pub async fn open(at: &crate::config::StoreArgs) -> Result<Arc<dyn Store>, StoreError> {
    let store: Arc<dyn Store> = match &at.database_url {
        Some(url) => Arc::new(postgres::PgStore::connect(url).await?),
        None => Arc::new(sqlite::SqliteStore::open(&at.db).await?),
    };
    store.check_counted().await?;
    Ok(store)
}

/// A transaction of either store; a SQLite write one also holds this process's place in the
/// writers' queue. It derefs to the driver's connection, so statements run on `&mut *tx`.
pub(crate) struct Tx<'a, DB: sqlx::Database> {
    tx: sqlx::Transaction<'static, DB>,
    _queued: Option<tokio::sync::MutexGuard<'a, ()>>,
}

impl<'a, DB: sqlx::Database> Tx<'a, DB> {
    fn new(tx: sqlx::Transaction<'static, DB>, queued: Option<tokio::sync::MutexGuard<'a, ()>>) -> Self {
        Tx { tx, _queued: queued }
    }

    pub(crate) async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await?;
        Ok(())
    }

    /// Ends a transaction that wrote nothing (an early answer) with an explicit rollback, so the
    /// connection goes back to the pool clean instead of being closed by the pool's guard.
    pub(crate) async fn finish<T>(self, value: T) -> Result<T, StoreError> {
        self.tx.rollback().await?;
        Ok(value)
    }
}

impl<DB: sqlx::Database> std::ops::Deref for Tx<'_, DB> {
    type Target = DB::Connection;
    fn deref(&self) -> &DB::Connection {
        &self.tx
    }
}

impl<DB: sqlx::Database> std::ops::DerefMut for Tx<'_, DB> {
    fn deref_mut(&mut self) -> &mut DB::Connection {
        &mut self.tx
    }
}

/// The pools' `after_release` hook, the last line of defence behind cancel-safe transactions: a
/// connection that comes back still inside a transaction (its task was dropped mid-way) is closed,
/// which rolls the transaction back, instead of being handed to the next request with its locks.
fn clean_after_release<DB: sqlx::Database>(
    conn: &mut DB::Connection,
    _: sqlx::pool::PoolConnectionMetadata,
) -> futures::future::BoxFuture<'_, Result<bool, sqlx::Error>> {
    Box::pin(async move {
        let clean = !sqlx::Connection::is_in_transaction(conn);
        if !clean {
            tracing::warn!("closing a pooled connection returned inside a transaction");
        }
        Ok(clean)
    })
}

/// `pool.begin_with(statement)` in a task of its own. A future dropped while `BEGIN` is in flight
/// (a client that hung up on a GET) would otherwise leave PostgreSQL's session inside a
/// transaction that nothing rolls back, and the pool would hand that connection to the next
/// request (sqlx #4393, in 0.8.6 and 0.9.0). The task always finishes the `BEGIN`; if nobody waits
/// for it any more, dropping its `Transaction` queues the rollback.
async fn begin_detached<DB: sqlx::Database>(
    pool: &sqlx::Pool<DB>,
    statement: &'static str,
) -> Result<sqlx::Transaction<'static, DB>, StoreError> {
    let pool = pool.clone();
    tokio::spawn(async move { pool.begin_with(statement).await })
        .await
        .map_err(|e| StoreError::Database(format!("begin: {e}")))?
        .map_err(StoreError::from)
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Database(e.to_string())
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        StoreError::Database(e.to_string())
    }
}

for_each_store! {
    #[async_trait]
    impl Store for This {
        async fn ping(&self) -> Result<(), StoreError> {
            sqlx::query("SELECT 1").execute(&self.pool).await?;
            Ok(())
        }

        async fn check_counted(&self) -> Result<(), StoreError> {
            let rows: Vec<(String, bool)> = sqlx::query_as("SELECT status, counted FROM payout_statuses ORDER BY status")
                .fetch_all(&self.pool)
                .await?;
            let mut expected: Vec<(String, bool)> =
                PayoutStatus::ALL.iter().map(|s| (s.as_str().to_owned(), s.is_counted())).collect();
            expected.sort();
            if rows != expected {
                return Err(StoreError::Corrupt(format!(
                    "payout_statuses says {rows:?}, payout-core says {expected:?}: a change of what is counted needs a migration"
                )));
            }
            Ok(())
        }

        async fn is_empty(&self) -> Result<bool, StoreError> {
            let shops: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM shops").fetch_one(&self.pool).await?;
            Ok(shops == 0)
        }

        async fn seed(&self, seed: &demo::Seed) -> Result<bool, StoreError> {
            let mut tx = self.begin_write(Lock::Seeding).await?;
            let shops: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM shops").fetch_one(&mut *tx).await?;
            if shops > 0 {
                return tx.finish(false).await;
            }
            This::write_seed(&mut tx, seed).await?;
            tx.commit().await?;
            Ok(true)
        }
    }
}
