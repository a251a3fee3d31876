//! Payouts: the facts an order is checked against, creating a payout, and reading them back
//! (workbench, records page, CSV export, detail).

use async_trait::async_trait;
use futures::stream::{self, BoxStream, StreamExt};
use payout_core::api::{OperatorRef, PayoutDetail, PayoutStatus, PayoutView, COUNT_CAP};
use payout_core::approval::needs_approval;
use payout_core::facts::{AccountFacts, OperatorFacts, OrderFacts, OrderItem, OrderUsage, ShopFacts};
use payout_core::orders::mask_buyer_ref;
use payout_core::reasons::Reason;
use payout_core::time::business_day_bounds;
use payout_core::{AccountKind, Facts, Qualification, Role, ShopStatus, Time, Violation};
use sqlx::QueryBuilder;

use super::audit::{INSERT_AUDIT, INSERT_EVENT};
use super::idempotency::{record_json, Key, KeyRow, Recorded, Seen, INSERT_KEY, RECORD_FORMAT, SELECT_KEY};
use super::reasons::{ReasonRow, SELECT_REASONS};
use super::rows::{
    business_date, counted, money, named, payout_columns, payout_views, row, select_payouts, time,
    AccountRow, EventRow, OperatorRow, PayoutRow,
};
use super::statements::{args, Statements};
use super::webhooks::emit;
use super::{
    Actor, CreateOutcome, NewPayout, OrderContext, PayoutAnswer, PayoutFilter, PayoutKey, PayoutPage, RowKey,
    Seek, StoreError,
};
use crate::clock::Clock;
use payout_core::webhooks::EventType;

/// The index made for this combination of the records' filters (migrations/sqlite/0013): equality
/// on its leading columns, then the shown order.
fn records_index(filter: &PayoutFilter) -> &'static str {
    if filter.order_no.is_some() {
        return "payouts_by_order_no"; // a handful of rows, whatever else is asked
    }
    match (filter.status.is_some(), filter.payout_type.is_some(), filter.operator_id.is_some()) {
        (false, false, false) => "payouts_shop_created",
        (true, false, false) => "payouts_by_status",
        (false, true, false) => "payouts_by_type",
        (false, false, true) => "payouts_by_operator",
        (true, true, false) => "payouts_by_status_type",
        (true, false, true) => "payouts_by_status_operator",
        (false, true, true) => "payouts_by_type_operator",
        (true, true, true) => "payouts_by_status_type_operator",
    }
}

/// The rule engine's verdict on the facts as of an instant. Owned (with [`NewPayout`]), so a
/// request could be handed to a writer task that decides it later.
pub type Decide = std::sync::Arc<dyn Fn(&Facts, Time) -> Vec<Violation> + Send + Sync>;

#[async_trait]
pub trait PayoutStore: Send + Sync + 'static {
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
        new: NewPayout,
        clock: std::sync::Arc<dyn Clock>,
        decide: Decide,
    ) -> Result<CreateOutcome, StoreError>;
    /// A page of `per_page` records from `seek`, newest first.
    async fn payouts_page(
        &self,
        shop_id: i64,
        filter: &PayoutFilter,
        seek: Seek,
        per_page: u32,
    ) -> Result<PayoutPage, StoreError>;
    /// Every filtered row, newest first, in batches of bounded size (memory does not grow).
    fn payouts_stream(
        &self,
        shop_id: i64,
        filter: PayoutFilter,
    ) -> BoxStream<'static, Result<Vec<PayoutView>, StoreError>>;
    async fn payout_detail(&self, shop_id: i64, id: i64) -> Result<Option<PayoutDetail>, StoreError>;
    async fn operators(&self, shop_id: i64) -> Result<Vec<OperatorRef>, StoreError>;
}

row! {
    pub(super) struct OrderRow {
        id: i64,
        source_app: String,
        paid_fen: i64,
        ordered_at: i64,
        online_paid: bool,
        cross_border: bool,
        buyer_ref: Option<String>,
    }
}

row! {
    pub(super) struct ItemRow {
        id: String,
        title: String,
        amount_fen: i64,
    }
}

row! {
    pub(super) struct ShopRow {
        name: String,
        qualification: String,
        status: String,
        selected_source_account: String,
        approval_threshold_fen: Option<i64>,
        require_reason: bool,
    }
}

row! {
    pub(super) struct OperatorQuotaRow {
        role: String,
        payout_enabled: bool,
        quota_enabled: bool,
        per_payout_limit_fen: i64,
        daily_limit_fen: i64,
    }
}

row! {
    pub(super) struct UsageRow {
        counted_fen: i64,
        counted_count: i64,
        last_created_at: Option<i64>,
        has_counted_shipping: bool,
        has_processing: bool,
    }
}

// The statements of creating a payout, shared by the sqlx stores and SQLite's single writer
// (`$N` placeholders first appear in ascending order, so both bind them by position).
pub(super) const SELECT_ORDER: &str =
    "SELECT id, source_app, paid_fen, ordered_at, online_paid, cross_border, buyer_ref FROM orders \
     WHERE shop_id = $1 AND order_no = $2";
pub(super) const SELECT_ITEMS: &str =
    "SELECT id, title, amount_fen FROM order_items WHERE shop_id = $1 AND order_id = $2 ORDER BY position";
pub(super) const SELECT_SHOP: &str =
    "SELECT name, qualification, status, selected_source_account, approval_threshold_fen, require_reason \
     FROM shops WHERE id = $1";
pub(super) const SELECT_OPERATOR: &str =
    "SELECT role, payout_enabled, quota_enabled, per_payout_limit_fen, daily_limit_fen FROM users \
     WHERE shop_id = $1 AND id = $2";
pub(super) const SELECT_ACCOUNTS: &str =
    "SELECT kind, opened, balance_fen, frozen_fen, reserved_fen FROM accounts WHERE shop_id = $1 ORDER BY kind";
/// The shop's and an operator's counted sums of a business day, kept by triggers on `payouts`
/// (migration `counted_days`): a few rows, however many payouts the day has.
pub(super) const COUNTED_TODAY: &str =
    "SELECT CAST(COALESCE(SUM(counted_fen), 0) AS BIGINT) FROM counted_days \
     WHERE shop_id = $1 AND business_date = $2";
pub(super) const OPERATOR_COUNTED_TODAY: &str =
    "SELECT CAST(COALESCE(SUM(counted_fen), 0) AS BIGINT) FROM counted_days \
     WHERE shop_id = $1 AND business_date = $2 AND operator_id = $3";
/// What the order has received: counted sum and count, the newest payout (D3), a counted shipping
/// payout (R-F10), one at the rail.
pub(super) const ORDER_USAGE: &str = concat!(
    "SELECT CAST(COALESCE(SUM(CASE WHEN ",
    counted!(),
    " THEN amount_fen END), 0) AS BIGINT) AS counted_fen, \
            COUNT(CASE WHEN ",
    counted!(),
    " THEN 1 END) AS counted_count, \
            MAX(created_at) AS last_created_at, \
            COUNT(CASE WHEN ",
    counted!(),
    " AND payout_type = 'shipping' THEN 1 END) > 0 AS has_counted_shipping, \
            COUNT(CASE WHEN status = 'processing' THEN 1 END) > 0 AS has_processing \
     FROM payouts WHERE shop_id = $1 AND order_id = $2"
);
pub(super) const INSERT_PAYOUT: &str =
    "INSERT INTO payouts (shop_id, order_id, order_no, operator_id, source_account, payout_type, amount_fen, \
                          status, linked_item_id, note, created_at, updated_at, business_date, \
                          reason_id, reason_name_zh, reason_name_en, buyer_message) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12, $13, $14, $15, $16) RETURNING id";
/// The CHECK on accounts refuses a reservation beyond the available balance, a last line of
/// defence behind R-F8.
pub(super) const RESERVE: &str =
    "UPDATE accounts SET reserved_fen = reserved_fen + $1 WHERE shop_id = $2 AND kind = $3";

/// Loads every fact the rules need about `order_no` in the actor's shop, as of `now`: the order's
/// id, the facts, and the shop's selected account. One function for every path (the workbench's
/// read, PostgreSQL's create, SQLite's single writer), so all see the facts the same way.
pub(super) async fn load_facts<S: Statements>(
    s: &mut S,
    actor: &Actor,
    order_no: &str,
    now: Time,
) -> Result<Option<(i64, Facts, AccountKind)>, StoreError> {
    let shop_id = actor.shop_id;
    let Some(order) = s.optional::<OrderRow>(SELECT_ORDER, &args![shop_id, order_no]).await? else {
        return Ok(None);
    };
    let items = s.all::<ItemRow>(SELECT_ITEMS, &args![shop_id, order.id]).await?;
    let shop = s.one::<ShopRow>(SELECT_SHOP, &args![shop_id]).await?;
    // The operator as stored now, not as the session remembered it: quota changes bind at once.
    let user = s.one::<OperatorQuotaRow>(SELECT_OPERATOR, &args![shop_id, actor.user_id]).await?;
    let today = business_date(now);
    let role = named(&user.role, Role::parse)?;
    let operator_used_fen = match role {
        // The main account has no quota, so its day's use is never summed.
        Role::Main => 0,
        Role::Sub => s.scalar(OPERATOR_COUNTED_TODAY, &args![shop_id, &today, actor.user_id]).await?,
    };
    let usage = s.one::<UsageRow>(ORDER_USAGE, &args![shop_id, order.id]).await?;
    let accounts = accounts(s, shop_id).await?;
    let reasons = s.all::<ReasonRow>(SELECT_REASONS, &args![shop_id]).await?;
    let shop_counted_fen = s.scalar(COUNTED_TODAY, &args![shop_id, &today]).await?;

    let operator = match role {
        Role::Main => OperatorFacts::main(),
        Role::Sub => OperatorFacts {
            role: Role::Sub,
            payout_enabled: user.payout_enabled,
            quota_enabled: user.quota_enabled,
            per_payout_limit: Some(money(user.per_payout_limit_fen)?),
            daily_limit: Some(money(user.daily_limit_fen)?),
            used_today: money(operator_used_fen)?,
        },
    };
    let items = items
        .into_iter()
        .map(|r| Ok(OrderItem { id: r.id, title: r.title, amount: money(r.amount_fen)? }))
        .collect::<Result<Vec<_>, StoreError>>()?;
    let facts = Facts {
        shop: ShopFacts {
            qualification: named(&shop.qualification, Qualification::parse)?,
            status: named(&shop.status, ShopStatus::parse)?,
            accounts,
            name: shop.name,
            approval_threshold: shop.approval_threshold_fen.map(money).transpose()?,
            require_reason: shop.require_reason,
            // What a draft may name (R-F13): the active ones, in the shop's order.
            reasons: reasons
                .into_iter()
                .filter(|r| r.active)
                .map(ReasonRow::reason)
                .collect::<Result<_, _>>()?,
        },
        operator,
        order: OrderFacts {
            order_no: order_no.to_owned(),
            source_app: order.source_app,
            paid_amount: money(order.paid_fen)?,
            ordered_at: time(order.ordered_at),
            online_paid: order.online_paid,
            cross_border: order.cross_border,
            items,
            buyer: order.buyer_ref.as_deref().map(mask_buyer_ref),
        },
        usage: OrderUsage {
            counted_total: money(usage.counted_fen)?,
            counted_count: u32::try_from(usage.counted_count).unwrap_or(u32::MAX),
            last_created_at: usage.last_created_at.map(time),
            has_counted_shipping: usage.has_counted_shipping,
            has_processing: usage.has_processing,
        },
        shop_counted_today: money(shop_counted_fen)?,
    };
    let selected = named(&shop.selected_source_account, AccountKind::parse)?;
    Ok(Some((order.id, facts, selected)))
}

/// The shop's two accounts' money.
pub(super) async fn accounts<S: Statements>(
    s: &mut S,
    shop_id: i64,
) -> Result<Vec<AccountFacts>, StoreError> {
    s.all::<AccountRow>(SELECT_ACCOUNTS, &args![shop_id]).await?.into_iter().map(AccountRow::facts).collect()
}

/// Decides and writes one payout at `at` in the caller's write transaction, which holds the
/// shop's lock (PostgreSQL) or the database's (SQLite's single writer). Whatever the outcome, the
/// caller commits: a refusal is recorded under its idempotency key, and the early answers wrote
/// nothing. The one path by which a payout is created, on either store.
pub(super) async fn create<S: Statements>(
    s: &mut S,
    new: &NewPayout,
    at: Time,
    decide: &Decide,
) -> Result<CreateOutcome, StoreError> {
    let actor = &new.actor;
    let key = new.key();
    let seen = s.optional::<KeyRow>(SELECT_KEY, &args![key.shop_id, key.user_id, key.key]).await?;
    match seen.map(|row| row.seen(key.request_hash)).transpose()? {
        Some(Seen::Same(recorded)) => return replayed(recorded),
        Some(Seen::Other) => return Ok(CreateOutcome::KeyReused),
        None => {}
    }
    let Some((order_id, facts, _)) = load_facts(s, actor, &new.draft.order_no, at).await? else {
        return Ok(CreateOutcome::OrderNotFound);
    };
    let insert = match plan(new, &facts, at, decide) {
        Plan::Rejected(violations) => {
            // The refusal is the key's answer, recorded in the same transaction that decided it: a
            // retry with this key gets this refusal, never a payout created later.
            record_key(s, key, &Recorded::PayoutRejected { violations: violations.clone() }, at).await?;
            return Ok(CreateOutcome::Answered {
                answer: PayoutAnswer::Rejected(violations),
                replayed: false,
            });
        }
        Plan::Insert(insert) => insert,
    };
    let d = &new.draft;
    let reason = insert.reason.as_ref();
    let id = s
        .scalar(
            INSERT_PAYOUT,
            &args![
                actor.shop_id,
                order_id,
                &d.order_no,
                actor.user_id,
                d.source_account.as_str(),
                d.payout_type.as_str(),
                d.amount.to_fen(),
                insert.status.as_str(),
                d.linked_item_id.as_deref(),
                d.note.as_deref(),
                at.unix_millis(),
                business_date(at).as_str(),
                reason.map(|r| r.id),
                reason.map(|r| r.name_zh.as_str()),
                reason.and_then(|r| r.name_en.as_deref()),
                insert.buyer_message.as_deref(),
            ],
        )
        .await?;
    s.execute(RESERVE, &args![d.amount.to_fen(), actor.shop_id, d.source_account.as_str()]).await?;
    let event =
        args![actor.shop_id, id, at.unix_millis(), insert.status.as_str(), &actor.username, None::<&str>];
    s.execute(INSERT_EVENT, &event).await?;
    let (target, detail) = insert.audit(new, id);
    let audit = args![actor.shop_id, at.unix_millis(), &actor.username, "payout.created", &target, &detail];
    s.execute(INSERT_AUDIT, &audit).await?;
    let view = insert.view(new, id, at);
    // The merchant's systems hear of it in the same transaction (SPEC §12.6).
    emit(s, actor.shop_id, EventType::Created, std::slice::from_ref(&view), at).await?;
    if insert.status == PayoutStatus::AwaitingApproval {
        emit(s, actor.shop_id, EventType::AwaitingApproval, std::slice::from_ref(&view), at).await?;
    }
    let view = Box::new(view);
    record_key(s, key, &Recorded::PayoutCreated { payout: view.clone() }, at).await?;
    Ok(CreateOutcome::Answered { answer: PayoutAnswer::Created(view), replayed: false })
}

/// A payout request's first answer, given again.
fn replayed(recorded: Recorded) -> Result<CreateOutcome, StoreError> {
    let answer = match recorded {
        Recorded::PayoutCreated { payout } => PayoutAnswer::Created(payout),
        Recorded::PayoutRejected { violations } => PayoutAnswer::Rejected(violations),
        // Its key was used for a top-up: a different request (the fingerprints differ in kind, so
        // this does not happen unless the stored record is wrong).
        Recorded::TopUpCreated { .. } => return Ok(CreateOutcome::KeyReused),
    };
    Ok(CreateOutcome::Answered { answer, replayed: true })
}

async fn record_key<S: Statements>(
    s: &mut S,
    key: Key<'_>,
    recorded: &Recorded,
    at: Time,
) -> Result<(), StoreError> {
    let json = record_json(recorded)?;
    let row =
        args![key.shop_id, key.user_id, key.key, key.request_hash, RECORD_FORMAT, &json, at.unix_millis()];
    s.execute(INSERT_KEY, &row).await?;
    Ok(())
}

/// What a create request comes to once its facts are loaded, before anything is written.
pub(super) enum Plan {
    /// The rules said no: the refusal is the idempotency key's answer.
    Rejected(Vec<Violation>),
    Insert(Insert),
}

/// A payout the rules allow, as it will be written.
pub(super) struct Insert {
    pub status: PayoutStatus,
    pub reason: Option<Reason>,
    /// What the buyer receives, its placeholders filled from this payout.
    pub buyer_message: Option<String>,
}

/// Decides one request against `facts` at `at`: the rule engine, then whether it waits for
/// approval.
pub(super) fn plan(new: &NewPayout, facts: &Facts, at: Time, decide: &Decide) -> Plan {
    let violations = decide(facts, at);
    if !violations.is_empty() {
        return Plan::Rejected(violations);
    }
    let d = &new.draft;
    let reason = d.reason_id.and_then(|id| facts.shop.reasons.iter().find(|r| r.id == id)).cloned();
    // A sub-account's payout at or above the threshold waits for the main account; it is counted
    // and reserves its amount all the same (SPEC §11.2).
    let status = if needs_approval(&facts.shop, &facts.operator, d.amount) {
        PayoutStatus::AwaitingApproval
    } else {
        PayoutStatus::Pending
    };
    Plan::Insert(Insert { status, reason, buyer_message: d.buyer_message_for(facts) })
}

impl Insert {
    /// The new payout as the API shows it (what `INSERT_PAYOUT` wrote, with the operator's names).
    pub(super) fn view(&self, new: &NewPayout, id: i64, at: Time) -> PayoutView {
        let reason = self.reason.as_ref();
        let d = &new.draft;
        PayoutView {
            id,
            order_no: d.order_no.clone(),
            source_account: d.source_account,
            payout_type: d.payout_type,
            amount: d.amount,
            status: self.status,
            failure_reason: None,
            linked_item_id: d.linked_item_id.clone(),
            note: d.note.clone(),
            operator: OperatorRef {
                id: new.actor.user_id,
                username: new.actor.username.clone(),
                display_name: new.actor.display_name.clone(),
            },
            created_at: at,
            updated_at: at,
            reason_id: reason.map(|r| r.id),
            reason_name_zh: reason.map(|r| r.name_zh.clone()),
            reason_name_en: reason.and_then(|r| r.name_en.clone()),
            buyer_message: self.buyer_message.clone(),
            decided_by: None,
            decided_at: None,
            reject_reason: None,
            buyer_notified_at: None,
            buyer_notification_failed_at: None,
            stuck: false,
        }
    }

    /// The audit row's target and detail.
    pub(super) fn audit(&self, new: &NewPayout, id: i64) -> (String, String) {
        let d = &new.draft;
        let detail = format!(
            "order {} · {} · ¥{} · {} · {}",
            d.order_no,
            d.payout_type.as_str(),
            d.amount,
            d.source_account.as_str(),
            self.status.as_str()
        );
        (format!("payout:{id}"), detail)
    }
}

for_each_store! {
    impl This {
        pub(in crate::store) async fn payout_view(conn: &mut Conn, key: PayoutKey) -> Result<PayoutView, StoreError> {
            sqlx::query_as::<_, PayoutRow>(select_payouts!("WHERE p.shop_id = $1 AND p.id = $2"))
                .bind(key.shop_id)
                .bind(key.id)
                .fetch_one(conn)
                .await?
                .view()
        }

        /// `WHERE …` of the records filter, always scoped to one shop.
        /// `FROM payouts p` and the filter. On SQLite the index is named: the one made for this
        /// combination of filters (see migrations/sqlite/0013), so the planner cannot pick one whose
        /// order does not match and scan a shop's whole history for a page. PostgreSQL's planner
        /// has the statistics to choose it.
        fn push_records_from(qb: &mut QueryBuilder<Db>, shop_id: i64, filter: &PayoutFilter) {
            qb.push(" FROM payouts p");
            if This::IS_SQLITE {
                qb.push(" INDEXED BY ").push(records_index(filter));
            }
            qb.push(" WHERE p.shop_id = ").push_bind(shop_id);
            if let Some(order_no) = &filter.order_no {
                qb.push(" AND p.order_no = ").push_bind(order_no.clone());
            }
            if let Some(status) = filter.status {
                qb.push(" AND p.status = ").push_bind(status.as_str());
            }
            if let Some(kind) = filter.payout_type {
                qb.push(" AND p.payout_type = ").push_bind(kind.as_str());
            }
            if let Some(operator) = filter.operator_id {
                qb.push(" AND p.operator_id = ").push_bind(operator);
            }
            if let Some(from) = filter.from {
                qb.push(" AND p.created_at >= ").push_bind(business_day_bounds(from).0.unix_millis());
            }
            if let Some(to) = filter.to {
                qb.push(" AND p.created_at < ").push_bind(business_day_bounds(to).1.unix_millis());
            }
        }

        /// How many payouts match, up to one past [`COUNT_CAP`].
        pub(crate) fn count_query(shop_id: i64, filter: &PayoutFilter) -> QueryBuilder<Db> {
            let mut count = QueryBuilder::new("SELECT COUNT(*) FROM (SELECT 1");
            This::push_records_from(&mut count, shop_id, filter);
            count.push(" LIMIT ").push_bind(COUNT_CAP as i64 + 1).push(") matching");
            count
        }

        /// Up to `limit` filtered payouts from `seek`, in the order walked (newest first, but
        /// oldest first towards newer rows), with their operators: the page is cut in a subquery
        /// first, so the join never reorders the walk; only the page's rows are sorted again.
        pub(crate) fn records_query(shop_id: i64, filter: &PayoutFilter, seek: Seek, per_page: u32, limit: u32) -> QueryBuilder<Db> {
            let mut qb = QueryBuilder::new(concat!("SELECT ", payout_columns!(), " FROM ("));
            let order = This::push_walk(&mut qb, shop_id, filter, seek, per_page, limit);
            qb.push(") p JOIN users u ON u.shop_id = p.shop_id AND u.id = p.operator_id").push(order);
            qb
        }

        /// The walk itself: `SELECT * FROM payouts p … LIMIT`. Returns its `ORDER BY`.
        pub(crate) fn push_walk(qb: &mut QueryBuilder<Db>, shop_id: i64, filter: &PayoutFilter, seek: Seek, per_page: u32, limit: u32) -> &'static str {
            qb.push("SELECT *");
            This::push_records_from(qb, shop_id, filter);
            let order = match seek {
                Seek::Page(_) => " ORDER BY p.created_at DESC, p.id DESC",
                Seek::Older(key) => {
                    qb.push(" AND (p.created_at, p.id) < (").push_bind(key.created_at.unix_millis()).push(", ").push_bind(key.id).push(")");
                    " ORDER BY p.created_at DESC, p.id DESC"
                }
                Seek::Newer(key) => {
                    qb.push(" AND (p.created_at, p.id) > (").push_bind(key.created_at.unix_millis()).push(", ").push_bind(key.id).push(")");
                    " ORDER BY p.created_at, p.id"
                }
            };
            qb.push(order).push(" LIMIT ").push_bind(i64::from(limit));
            if let Seek::Page(page) = seek {
                qb.push(" OFFSET ").push_bind(i64::from(page.saturating_sub(1)) * i64::from(per_page));
            }
            order
        }
    }

    #[async_trait]
    impl PayoutStore for This {
        async fn order_context(&self, actor: &Actor, order_no: &str, now: Time) -> Result<Option<OrderContext>, StoreError> {
            // One read transaction, so the facts and the payout list are one consistent snapshot.
            let mut tx = self.begin_read().await?;
            let Some((order_id, facts, selected)) = load_facts(&mut *tx, actor, order_no, now).await? else {
                return tx.finish(None).await;
            };
            let payouts = sqlx::query_as::<_, PayoutRow>(select_payouts!(
                "WHERE p.shop_id = $1 AND p.order_id = $2 ORDER BY p.created_at DESC, p.id DESC"
            ))
            .bind(actor.shop_id)
            .bind(order_id)
            .fetch_all(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(Some(OrderContext { facts, payouts: payout_views(payouts)?, selected_source_account: selected }))
        }

        async fn payout_create(&self, new: NewPayout, clock: std::sync::Arc<dyn Clock>, decide: Decide) -> Result<CreateOutcome, StoreError> {
            self.create_payout(new, clock, decide).await
        }

        async fn payouts_page(&self, shop_id: i64, filter: &PayoutFilter, seek: Seek, per_page: u32) -> Result<PayoutPage, StoreError> {
            let mut tx = self.begin_read().await?;
            // Counted only as far as the cap: a count of a shop's whole history on every page is
            // what made a big shop's records slow.
            let matching: i64 = This::count_query(shop_id, filter).build_query_scalar().fetch_one(&mut *tx).await?;
            let mut rows = This::records_query(shop_id, filter, seek, per_page, per_page + 1)
                .build_query_as::<PayoutRow>()
                .fetch_all(&mut *tx)
                .await?;
            tx.commit().await?;
            let more = rows.len() > per_page as usize;
            rows.truncate(per_page as usize);
            if matches!(seek, Seek::Newer(_)) {
                rows.reverse();
            }
            let (older, newer) = match seek {
                Seek::Page(page) => (more, page > 1),
                Seek::Older(_) => (more, true),
                Seek::Newer(_) => (true, more),
            };
            let matching = u64::try_from(matching).unwrap_or(0);
            Ok(PayoutPage {
                items: payout_views(rows)?,
                total: matching.min(COUNT_CAP),
                total_exact: matching <= COUNT_CAP,
                older,
                newer,
            })
        }

        fn payouts_stream(&self, shop_id: i64, filter: PayoutFilter) -> BoxStream<'static, Result<Vec<PayoutView>, StoreError>> {
            const BATCH: u32 = 1_000;
            let pool = self.pool.clone();
            // The records' own walk, a batch at a time: each batch is one short query, so memory
            // stays bounded whatever the row count and no connection is held while the client reads.
            stream::unfold(Some(Seek::Page(1)), move |seek| {
                let (pool, filter) = (pool.clone(), filter.clone());
                async move {
                    let seek = seek?;
                    let rows = match This::records_query(shop_id, &filter, seek, BATCH, BATCH).build_query_as::<PayoutRow>().fetch_all(&pool).await {
                        Ok(rows) => rows,
                        Err(e) => return Some((Err(StoreError::from(e)), None)),
                    };
                    let full = rows.len() == BATCH as usize;
                    let batch = match payout_views(rows) {
                        Ok(batch) => batch,
                        Err(e) => return Some((Err(e), None)),
                    };
                    let next = batch.last().filter(|_| full).map(|last| Seek::Older(RowKey { created_at: last.created_at, id: last.id }));
                    Some((Ok(batch), next))
                }
            })
            // Ends for good: a consumer that polls again after the end (gzip does) gets None, not
            // a panic.
            .fuse()
            .boxed()
        }

        async fn payout_detail(&self, shop_id: i64, id: i64) -> Result<Option<PayoutDetail>, StoreError> {
            let mut tx = self.begin_read().await?;
            let Some(row) = sqlx::query_as::<_, PayoutRow>(select_payouts!("WHERE p.shop_id = $1 AND p.id = $2"))
                .bind(shop_id)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
            else {
                return tx.finish(None).await;
            };
            let events = sqlx::query_as::<_, EventRow>(
                "SELECT at, status, actor, reason FROM payout_events WHERE shop_id = $1 AND payout_id = $2 ORDER BY id",
            )
            .bind(shop_id)
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(Some(PayoutDetail {
                payout: row.view()?,
                events: events.into_iter().map(EventRow::view).collect::<Result<_, _>>()?,
            }))
        }

        async fn operators(&self, shop_id: i64) -> Result<Vec<OperatorRef>, StoreError> {
            let rows = sqlx::query_as::<_, OperatorRow>(
                "SELECT id, username, display_name FROM users WHERE shop_id = $1 ORDER BY role, id",
            )
            .bind(shop_id)
            .fetch_all(&self.pool)
            .await?;
            Ok(rows.into_iter().map(OperatorRef::from).collect())
        }
    }
}
