//! The store interface. Handlers and the settlement worker speak only this trait, which says
//! nothing about SQL dialects, so a PostgreSQL store (per-shop `SELECT … FOR UPDATE` where SQLite
//! uses `BEGIN IMMEDIATE`) can sit beside [`sqlite::SqliteStore`] without touching them.
//!
//! Every method that changes money or limits is one transaction; nothing half-written survives.

pub mod demo;
pub mod sqlite;

use async_trait::async_trait;

pub use crate::auth::Actor;
use crate::clock::Clock;
use futures::stream::BoxStream;
use jiff::civil::Date;
use payout_core::api::{
    AuditEntry, OperatorRef, PayoutDetail, PayoutSettings, PayoutStatus, PayoutView, QuotaView, TopUpView,
};
use payout_core::{AccountKind, Facts, Money, PayoutType, Time, Violation};

/// A store failure. Never shown to clients; handlers turn it into a generic 500 and log it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(String),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
}

/// What sign-in needs to know about a username.
#[derive(Clone, Debug)]
pub struct Credentials {
    pub user_id: i64,
    pub password_hash: String,
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

/// A validated payout to create. The store reads the clock and loads the facts inside its
/// transaction and asks `decide` (the rule engine) for the verdict, so the check and the write see
/// the same state and the same instant, however long the transaction waited for the write lock.
pub struct NewPayout<'a> {
    pub actor: &'a Actor,
    pub order_no: &'a str,
    pub source_account: AccountKind,
    pub payout_type: PayoutType,
    pub amount: Money,
    pub linked_item_id: Option<String>,
    pub note: Option<String>,
    pub idempotency_key: &'a str,
    /// Hash of the request body: the same key with another body is refused.
    pub request_hash: String,
}

/// A stored answer to replay for a repeated idempotency key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    pub body: String,
}

#[derive(Debug)]
pub enum CreateOutcome {
    Created(PayoutView),
    /// The rules said no; nothing was written but the idempotency record.
    Rejected(Vec<Violation>),
    /// The key was seen before with the same body: the first answer, verbatim.
    Replayed(StoredResponse),
    /// The key was seen before with a different body.
    KeyReused,
    /// No such order in the actor's shop (R-E1).
    OrderNotFound,
}

/// A payout a settlement worker has claimed: it alone asks the rail about it until its lease
/// ends.
#[derive(Clone, Debug)]
pub struct Claimed {
    pub id: i64,
    pub amount: Money,
    pub source_account: AccountKind,
    /// The claim was taken over from a worker whose lease expired (a crashed server): the rail is
    /// asked again with the same reference.
    pub taken_over: bool,
}

/// What a top-up came to (SPEC D8).
#[derive(Debug)]
pub enum TopUpOutcome {
    Created(TopUpView),
    /// The key was seen before with the same body: the first answer, verbatim.
    Replayed(StoredResponse),
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
}

/// What the payment rail said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Settlement {
    Succeeded,
    Failed { reason: String },
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

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Answers once the database is reachable.
    async fn ping(&self) -> Result<(), StoreError>;
    /// True when no shop exists yet (the demo data loads only then).
    async fn is_empty(&self) -> Result<bool, StoreError>;
    /// Writes a whole data set in one transaction, only into an empty store (of several servers
    /// starting at once, one seeds). Returns whether it wrote.
    async fn seed(&self, seed: &demo::Seed) -> Result<bool, StoreError>;

    async fn credentials(&self, username: &str) -> Result<Option<Credentials>, StoreError>;
    /// The sign-in throttle: atomically, if every key is below its limit within the window,
    /// counts one more attempt on each and returns true; otherwise counts nothing and returns
    /// false. A window older than `window_seconds` starts again from zero.
    async fn throttle_take(
        &self,
        keys: &[(String, u32)],
        now: Time,
        window_seconds: i64,
    ) -> Result<bool, StoreError>;
    /// Gives back one counted attempt on each key (an attempt that was not a failed guess).
    async fn throttle_give_back(&self, keys: &[String]) -> Result<(), StoreError>;
    /// Forgets a key (a successful sign-in clears its account-and-address count).
    async fn throttle_clear(&self, key: &str) -> Result<(), StoreError>;
    /// Removes expired sessions, idempotency keys created before `keys_before`, and throttle
    /// records whose window has passed.
    async fn purge(&self, now: Time, keys_before: Time, window_seconds: i64) -> Result<Purged, StoreError>;
    async fn session_create(
        &self,
        token_hash: &str,
        user_id: i64,
        csrf_token: &str,
        now: Time,
        expires_at: Time,
    ) -> Result<(), StoreError>;
    /// The session's actor, if the session exists and has not expired at `now`.
    async fn session_actor(&self, token_hash: &str, now: Time) -> Result<Option<Actor>, StoreError>;
    async fn session_delete(&self, token_hash: &str) -> Result<(), StoreError>;

    /// The order (only in the actor's shop) with the facts as of `now`.
    async fn order_context(
        &self,
        actor: &Actor,
        order_no: &str,
        now: Time,
    ) -> Result<Option<OrderContext>, StoreError>;
    /// Serialized per shop: loads facts, asks `decide`, and when it returns no violation inserts
    /// the payout `pending`, reserves its amount, records event, audit and the idempotency answer.
    async fn payout_create(
        &self,
        new: NewPayout<'_>,
        clock: &dyn Clock,
        decide: &(dyn for<'f> Fn(&'f Facts, Time) -> Vec<Violation> + Send + Sync),
    ) -> Result<CreateOutcome, StoreError>;
    async fn payouts_page(
        &self,
        shop_id: i64,
        filter: &PayoutFilter,
        page: u32,
        per_page: u32,
    ) -> Result<Page<PayoutView>, StoreError>;
    /// Every filtered row, newest first, fetched in bounded batches (memory does not grow).
    fn payouts_stream(
        &self,
        shop_id: i64,
        filter: PayoutFilter,
    ) -> BoxStream<'static, Result<PayoutView, StoreError>>;
    async fn payout_detail(&self, shop_id: i64, id: i64) -> Result<Option<PayoutDetail>, StoreError>;
    async fn operators(&self, shop_id: i64) -> Result<Vec<OperatorRef>, StoreError>;

    async fn quotas(&self, shop_id: i64, today: Date) -> Result<Vec<QuotaView>, StoreError>;
    /// `None` when there is no such sub-account in the actor's shop.
    /// D6/D7 are checked inside the transaction against the stored rows of both accounts.
    async fn quota_update(
        &self,
        actor: &Actor,
        sub_account_id: i64,
        change: QuotaChange,
        now: Time,
    ) -> Result<GrantOutcome, StoreError>;
    /// The main account grants or revokes payout permission and the quota-manager role (D6).
    async fn permissions_update(
        &self,
        actor: &Actor,
        sub_account_id: i64,
        payout: bool,
        manage_quotas: bool,
        now: Time,
    ) -> Result<GrantOutcome, StoreError>;

    async fn settings(&self, shop_id: i64) -> Result<PayoutSettings, StoreError>;
    async fn settings_update(&self, actor: &Actor, account: AccountKind, now: Time)
        -> Result<(), StoreError>;
    /// One transaction: the idempotency key, the shop's status, the reference's uniqueness and
    /// the balance ceiling are all checked where the balance is raised (D8).
    async fn top_up(&self, new: NewTopUp<'_>, now: Time) -> Result<TopUpOutcome, StoreError>;
    async fn audit_page(
        &self,
        shop_id: i64,
        page: u32,
        per_page: u32,
    ) -> Result<Page<AuditEntry>, StoreError>;

    /// Claims up to `limit` payouts for `owner` until `lease_until`, in one transaction: every
    /// `pending` one (→ `processing`) and every `processing` one whose lease has expired.
    async fn claim(
        &self,
        owner: &str,
        limit: u32,
        now: Time,
        lease_until: Time,
    ) -> Result<Vec<Claimed>, StoreError>;
    /// Extends (or, with `lease_until` now, ends) `owner`'s leases on `ids`.
    async fn renew(&self, owner: &str, ids: &[i64], lease_until: Time) -> Result<(), StoreError>;
    /// Lets go of a claim, so that the payout is tried again (by anyone) from `retry_at`.
    async fn release(&self, owner: &str, id: i64, retry_at: Time) -> Result<(), StoreError>;
    /// `processing` → final for each result `owner` still holds the claim of, in one transaction,
    /// moving the reservation (debit on success, release on failure). A payout settled already or
    /// claimed by another worker is skipped, so each is settled exactly once. Returns how many
    /// were settled.
    async fn settle(
        &self,
        owner: &str,
        results: &[(i64, Settlement)],
        now: Time,
    ) -> Result<usize, StoreError>;
}
