//! The store interface. Handlers and the settlement worker speak only this trait, which says
//! nothing about SQL dialects, so a PostgreSQL store (per-shop `SELECT … FOR UPDATE` where SQLite
//! uses `BEGIN IMMEDIATE`) can sit beside [`sqlite::SqliteStore`] without touching them.
//!
//! Every method that changes money or limits is one transaction; nothing half-written survives.

pub mod demo;
pub mod sqlite;

use async_trait::async_trait;

use crate::clock::Clock;
use futures::stream::BoxStream;
use jiff::civil::Date;
use payout_core::api::{
    AuditEntry, OperatorRef, PayoutDetail, PayoutSettings, PayoutStatus, PayoutView, QuotaView, TopUpView,
};
use payout_core::{AccountKind, Facts, Money, PayoutType, Qualification, Role, Time, Violation};

/// A store failure. Never shown to clients; handlers turn it into a generic 500 and log it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(String),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
}

/// The signed-in person, as the session resolves it.
#[derive(Clone, Debug)]
pub struct Actor {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// Sub-accounts: payout permission switched on (R-P1).
    pub payout_enabled: bool,
    pub manage_quotas: bool,
    pub shop_id: i64,
    pub shop_name: String,
    pub qualification: Qualification,
    pub shop_status: String,
    pub csrf_token: String,
}

impl Actor {
    /// R-P1: the main account, or a sub-account with payout permission.
    pub fn may_pay(&self) -> bool {
        self.role == Role::Main || self.payout_enabled
    }

    pub fn may_manage_quotas(&self) -> bool {
        self.role == Role::Main || self.manage_quotas
    }

    pub fn may_manage_settings(&self) -> bool {
        self.role == Role::Main
    }
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

/// A payout the settlement worker still has to finish.
#[derive(Clone, Debug)]
pub struct Unfinished {
    pub id: i64,
    pub amount: Money,
    pub source_account: AccountKind,
    pub status: PayoutStatus,
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
    /// Writes a whole data set in one transaction.
    async fn seed(&self, seed: &demo::Seed) -> Result<(), StoreError>;

    /// Records the first answer to an idempotency key (a rejection; creations record their own
    /// inside their transaction). A key already recorded keeps its first answer.
    async fn remember(
        &self,
        user_id: i64,
        key: &str,
        request_hash: &str,
        response: &StoredResponse,
        now: Time,
    ) -> Result<(), StoreError>;

    async fn credentials(&self, username: &str) -> Result<Option<Credentials>, StoreError>;
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
    async fn quota_update(
        &self,
        actor: &Actor,
        sub_account_id: i64,
        change: QuotaChange,
        now: Time,
    ) -> Result<Option<QuotaView>, StoreError>;

    async fn settings(&self, shop_id: i64) -> Result<PayoutSettings, StoreError>;
    async fn settings_update(&self, actor: &Actor, account: AccountKind, now: Time)
        -> Result<(), StoreError>;
    async fn top_up(
        &self,
        actor: &Actor,
        amount: Money,
        reference: &str,
        now: Time,
    ) -> Result<TopUpView, StoreError>;
    async fn audit_page(
        &self,
        shop_id: i64,
        page: u32,
        per_page: u32,
    ) -> Result<Page<AuditEntry>, StoreError>;

    /// Payouts not yet final, oldest first, skipping `exclude` (those already in flight).
    async fn unfinished(&self, exclude: &[i64], limit: u32) -> Result<Vec<Unfinished>, StoreError>;
    /// `pending` → `processing` for each id, in one transaction; returns the ids it moved (one no
    /// longer pending is left alone).
    async fn mark_processing(&self, ids: &[i64], now: Time) -> Result<Vec<i64>, StoreError>;
    /// `processing` → final for each result, in one transaction, moving the reservation (debit on
    /// success, release on failure). A payout that is not processing any more is skipped, so each
    /// is settled exactly once. Returns how many were settled.
    async fn settle(&self, results: &[(i64, Settlement)], now: Time) -> Result<usize, StoreError>;
}
