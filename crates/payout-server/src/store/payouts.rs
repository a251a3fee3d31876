//! Payouts: the facts an order is checked against, creating a payout, and reading them back
//! (workbench, records page, CSV export, detail).

use std::collections::VecDeque;

use async_trait::async_trait;
use futures::stream::{self, BoxStream, StreamExt};
use payout_core::api::{OperatorRef, PayoutDetail, PayoutStatus, PayoutView};
use payout_core::approval::{needs_approval, text_too_long};
use payout_core::facts::{AccountFacts, OperatorFacts, OrderFacts, OrderItem, OrderUsage, ShopFacts};
use payout_core::reasons::{fill_template, Reason, MAX_TEXT_CHARS};
use payout_core::time::business_day_bounds;
use payout_core::{AccountKind, Facts, Field, Qualification, Role, Time, Violation};
use sqlx::QueryBuilder;

use super::audit::Audit;
use super::idempotency::Seen;
use super::rows::{
    business_date, counted, money, named, payout_views, row, select_payouts, time, AccountRow, EventRow,
    OperatorRow, PayoutRow,
};
use super::{
    Actor, CreateOutcome, NewPayout, OrderContext, Page, PayoutFilter, PayoutKey, StoreError, StoredResponse,
};
use crate::clock::Clock;

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
}

/// Whose counted payouts of one business day to sum: the shop's (R-L4) or one operator's (R-L5).
#[derive(Clone, Copy)]
enum Counted {
    Shop,
    Operator(i64),
}

row! {
    pub(super) struct OrderRow {
        id: i64,
        source_app: String,
        paid_fen: i64,
        ordered_at: i64,
        online_paid: bool,
        cross_border: bool,
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

impl OperatorQuotaRow {
    /// The main account has no quota, so its day's use is never summed.
    pub(super) fn is_main(&self) -> bool {
        self.role == Role::Main.as_str()
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
    "SELECT id, source_app, paid_fen, ordered_at, online_paid, cross_border FROM orders \
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

/// The rows an order's facts are made of, as either driver read them in one transaction.
pub(super) struct FactRows {
    pub order: OrderRow,
    pub items: Vec<ItemRow>,
    pub shop: ShopRow,
    pub user: OperatorQuotaRow,
    /// The operator's counted sum of the day (a sub-account's; the main account has no quota).
    pub operator_used_fen: i64,
    pub usage: UsageRow,
    pub accounts: Vec<AccountFacts>,
    pub reasons: Vec<Reason>,
    pub shop_counted_fen: i64,
}

impl FactRows {
    /// The order's id, the facts the rules check, and the shop's selected account.
    pub(super) fn facts(self, order_no: &str) -> Result<(i64, Facts, AccountKind), StoreError> {
        let FactRows {
            order,
            items,
            shop,
            user,
            operator_used_fen,
            usage,
            accounts,
            reasons,
            shop_counted_fen,
        } = self;
        let operator = if user.is_main() {
            OperatorFacts::main()
        } else {
            OperatorFacts {
                role: Role::Sub,
                payout_enabled: user.payout_enabled,
                quota_enabled: user.quota_enabled,
                per_payout_limit: Some(money(user.per_payout_limit_fen)?),
                daily_limit: Some(money(user.daily_limit_fen)?),
                used_today: money(operator_used_fen)?,
            }
        };
        let items = items
            .into_iter()
            .map(|r| Ok(OrderItem { id: r.id, title: r.title, amount: money(r.amount_fen)? }))
            .collect::<Result<Vec<_>, StoreError>>()?;
        let facts = Facts {
            shop: ShopFacts {
                qualification: named(&shop.qualification, Qualification::parse)?,
                status: shop.status,
                accounts,
                name: shop.name,
                approval_threshold: shop.approval_threshold_fen.map(money).transpose()?,
                require_reason: shop.require_reason,
                reasons,
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
        Ok((order.id, facts, selected))
    }
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
    pub buyer_message: Option<String>,
}

/// Decides one request against `facts` at `at`: the rule engine, then R-F14 on the buyer message
/// the reason's template makes, then whether it waits for approval.
pub(super) fn plan(new: &NewPayout, facts: &Facts, at: Time, decide: &Decide) -> Plan {
    let reason = new.reason_id.and_then(|id| facts.shop.reasons.iter().find(|r| r.id == id));
    // Left out, the buyer message is the reason's template filled in, as the dialog shows it;
    // sent empty, there is none (the person cleared it on purpose).
    let buyer_message = match new.buyer_message.as_deref() {
        Some("") => None,
        Some(typed) => Some(typed.to_owned()),
        None => reason.and_then(|r| r.buyer_message_template.as_deref()).map(|template| {
            fill_template(template, &new.order_no, &new.amount.to_string(), &facts.shop.name)
        }),
    };
    let mut violations = decide(facts, at);
    // R-F14 holds for the message the buyer gets, also when the template made it.
    if violations.is_empty() && buyer_message.as_ref().is_some_and(|m| m.chars().count() > MAX_TEXT_CHARS) {
        violations.push(
            text_too_long("由模板生成的买家留言", "The buyer message the reason's template gives")
                .on(Field::BuyerMessage),
        );
    }
    if !violations.is_empty() {
        return Plan::Rejected(violations);
    }
    // A sub-account's payout at or above the threshold waits for the main account; it is counted
    // and reserves its amount all the same (SPEC §11.2).
    let status = if needs_approval(&facts.shop, &facts.operator, new.amount) {
        PayoutStatus::AwaitingApproval
    } else {
        PayoutStatus::Pending
    };
    Plan::Insert(Insert { status, reason: reason.cloned(), buyer_message })
}

impl Insert {
    /// The new payout as the API shows it (what `INSERT_PAYOUT` wrote, with the operator's names).
    pub(super) fn view(&self, new: &NewPayout, id: i64, at: Time) -> PayoutView {
        let reason = self.reason.as_ref();
        PayoutView {
            id,
            order_no: new.order_no.clone(),
            source_account: new.source_account,
            payout_type: new.payout_type,
            amount: new.amount,
            status: self.status,
            failure_reason: None,
            linked_item_id: new.linked_item_id.clone(),
            note: new.note.clone(),
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
            stuck: false,
        }
    }

    /// The audit row's target and detail.
    pub(super) fn audit(&self, new: &NewPayout, id: i64) -> (String, String) {
        let detail = format!(
            "order {} · {} · ¥{} · {} · {}",
            new.order_no,
            new.payout_type.as_str(),
            new.amount,
            new.source_account.as_str(),
            self.status.as_str()
        );
        (format!("payout:{id}"), detail)
    }
}

/// The stored answers: a refusal's 422 and a created payout's 201.
pub(super) fn rejected_answer(violations: &[Violation]) -> StoredResponse {
    crate::error::ApiError::Rejected(violations.to_vec()).to_stored()
}

pub(super) fn created_answer(view: &PayoutView) -> Result<StoredResponse, StoreError> {
    let body = serde_json::to_string(view).map_err(|e| StoreError::Database(e.to_string()))?;
    Ok(StoredResponse { status: 201, body })
}

for_each_store! {
    impl This {
        pub(in crate::store) async fn accounts(conn: &mut Conn, shop_id: i64) -> Result<Vec<AccountFacts>, StoreError> {
            sqlx::query_as::<_, AccountRow>(SELECT_ACCOUNTS)
                .bind(shop_id)
                .fetch_all(conn)
                .await?
                .into_iter()
                .map(AccountRow::facts)
                .collect()
        }

        async fn counted_today(conn: &mut Conn, shop_id: i64, whose: Counted, today: &str) -> Result<i64, StoreError> {
            Ok(match whose {
                Counted::Shop => sqlx::query_scalar(COUNTED_TODAY).bind(shop_id).bind(today).fetch_one(conn).await?,
                Counted::Operator(id) => {
                    sqlx::query_scalar(OPERATOR_COUNTED_TODAY).bind(shop_id).bind(today).bind(id).fetch_one(conn).await?
                }
            })
        }

        /// Loads every fact the rules need about `order_no` in the actor's shop, as of `now`.
        async fn load_facts(
            conn: &mut Conn,
            actor: &Actor,
            order_no: &str,
            now: Time,
        ) -> Result<Option<(i64, Facts, AccountKind)>, StoreError> {
            let shop_id = actor.shop_id;
            let Some(order) = sqlx::query_as::<_, OrderRow>(SELECT_ORDER)
                .bind(shop_id)
                .bind(order_no)
                .fetch_optional(&mut *conn)
                .await?
            else {
                return Ok(None);
            };
            let items = sqlx::query_as::<_, ItemRow>(SELECT_ITEMS).bind(shop_id).bind(order.id).fetch_all(&mut *conn).await?;
            let shop = sqlx::query_as::<_, ShopRow>(SELECT_SHOP).bind(shop_id).fetch_one(&mut *conn).await?;
            // The operator as stored now, not as the session remembered it: quota changes bind at once.
            let user =
                sqlx::query_as::<_, OperatorQuotaRow>(SELECT_OPERATOR).bind(shop_id).bind(actor.user_id).fetch_one(&mut *conn).await?;
            let today = business_date(now);
            let operator_used_fen = if user.is_main() {
                0
            } else {
                This::counted_today(conn, shop_id, Counted::Operator(actor.user_id), &today).await?
            };
            let usage = sqlx::query_as::<_, UsageRow>(ORDER_USAGE).bind(shop_id).bind(order.id).fetch_one(&mut *conn).await?;
            let rows = FactRows {
                order,
                items,
                shop,
                user,
                operator_used_fen,
                usage,
                accounts: This::accounts(conn, shop_id).await?,
                reasons: This::reasons(conn, shop_id, true).await?,
                shop_counted_fen: This::counted_today(conn, shop_id, Counted::Shop, &today).await?,
            };
            rows.facts(order_no).map(Some)
        }

        /// Decides and writes one payout in the caller's write transaction, which holds the
        /// shop's lock (PostgreSQL) or the database's (SQLite). Whatever the outcome, the caller
        /// commits: a refusal is recorded under its idempotency key, and the early answers wrote
        /// nothing. (SQLite's single writer does the same steps in `writer::create_one`.)
        // Unused on SQLite, whose single writer runs these steps (writer.rs).
        #[allow(dead_code)]
        pub(in crate::store) async fn create_in(
            tx: &mut Conn,
            new: &NewPayout,
            clock: &dyn Clock,
            decide: &Decide,
        ) -> Result<CreateOutcome, StoreError> {
            let actor = &new.actor;
            // "Now" is when this transaction holds the shop's lock, not when the request arrived:
            // the cooldown and the daily totals are measured against the moment the payout is
            // written.
            let at = clock.now();
            let key = new.key();
            match This::seen_key(&mut *tx, key).await? {
                Some(Seen::Same(stored)) => return Ok(CreateOutcome::Replayed(stored)),
                Some(Seen::Other) => return Ok(CreateOutcome::KeyReused),
                None => {}
            }
            let Some((order_id, facts, _)) = This::load_facts(&mut *tx, actor, &new.order_no, at).await? else {
                return Ok(CreateOutcome::OrderNotFound);
            };
            let insert = match plan(new, &facts, at, decide) {
                Plan::Rejected(violations) => {
                    // The rejection is the key's answer, recorded in the same transaction that
                    // decided it: a retry with this key gets this 422, never a payout created later.
                    This::record_key(&mut *tx, key, &rejected_answer(&violations), at).await?;
                    return Ok(CreateOutcome::Rejected(violations));
                }
                Plan::Insert(insert) => insert,
            };
            let reason = insert.reason.as_ref();
            let id: i64 = sqlx::query_scalar(INSERT_PAYOUT)
                .bind(actor.shop_id)
                .bind(order_id)
                .bind(&new.order_no)
                .bind(actor.user_id)
                .bind(new.source_account.as_str())
                .bind(new.payout_type.as_str())
                .bind(new.amount.to_fen())
                .bind(insert.status.as_str())
                .bind(&new.linked_item_id)
                .bind(&new.note)
                .bind(at.unix_millis())
                .bind(business_date(at))
                .bind(reason.map(|r| r.id))
                .bind(reason.map(|r| r.name_zh.as_str()))
                .bind(reason.and_then(|r| r.name_en.as_deref()))
                .bind(insert.buyer_message.as_deref())
                .fetch_one(&mut *tx)
                .await?;
            sqlx::query(RESERVE)
                .bind(new.amount.to_fen())
                .bind(actor.shop_id)
                .bind(new.source_account.as_str())
                .execute(&mut *tx)
                .await?;
            let payout = PayoutKey { shop_id: actor.shop_id, id };
            This::event(&mut *tx, payout, at, insert.status, &actor.username, None).await?;
            let (target, detail) = insert.audit(new, id);
            let audit = Audit { shop_id: actor.shop_id, at, actor: &actor.username, action: "payout.created", target: &target, detail: &detail };
            This::audit(&mut *tx, audit).await?;
            let view = insert.view(new, id, at);
            This::record_key(&mut *tx, key, &created_answer(&view)?, at).await?;
            Ok(CreateOutcome::Created(Box::new(view)))
        }

        pub(in crate::store) async fn payout_view(conn: &mut Conn, key: PayoutKey) -> Result<PayoutView, StoreError> {
            sqlx::query_as::<_, PayoutRow>(select_payouts!("WHERE p.shop_id = $1 AND p.id = $2"))
                .bind(key.shop_id)
                .bind(key.id)
                .fetch_one(conn)
                .await?
                .view()
        }

        /// `WHERE …` of the records filter, always scoped to one shop.
        fn push_filter(qb: &mut QueryBuilder<Db>, shop_id: i64, filter: &PayoutFilter) {
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
    }

    #[async_trait]
    impl PayoutStore for This {
        async fn order_context(&self, actor: &Actor, order_no: &str, now: Time) -> Result<Option<OrderContext>, StoreError> {
            // One read transaction, so the facts and the payout list are one consistent snapshot.
            let mut tx = self.begin_read().await?;
            let Some((order_id, facts, selected)) = This::load_facts(&mut tx, actor, order_no, now).await? else {
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

        async fn payouts_page(&self, shop_id: i64, filter: &PayoutFilter, page: u32, per_page: u32) -> Result<Page<PayoutView>, StoreError> {
            let mut tx = self.begin_read().await?;
            let mut count = QueryBuilder::new("SELECT COUNT(*) FROM payouts p");
            This::push_filter(&mut count, shop_id, filter);
            let total: i64 = count.build_query_scalar().fetch_one(&mut *tx).await?;
            let mut qb = QueryBuilder::new(select_payouts!());
            This::push_filter(&mut qb, shop_id, filter);
            qb.push(" ORDER BY p.created_at DESC, p.id DESC LIMIT ")
                .push_bind(i64::from(per_page))
                .push(" OFFSET ")
                .push_bind(i64::from(page.saturating_sub(1)) * i64::from(per_page));
            let rows = qb.build_query_as::<PayoutRow>().fetch_all(&mut *tx).await?;
            tx.commit().await?;
            Ok(Page { items: payout_views(rows)?, total: u64::try_from(total).unwrap_or(0) })
        }

        fn payouts_stream(&self, shop_id: i64, filter: PayoutFilter) -> BoxStream<'static, Result<PayoutView, StoreError>> {
            const BATCH: i64 = 500;
            let pool = self.pool.clone();
            // Keyset pagination on (created_at, id): each batch is one short query, so memory
            // stays bounded whatever the row count and no connection is held while the client
            // reads.
            let batches = stream::unfold(Some(None::<(i64, i64)>), move |cursor| {
                let pool = pool.clone();
                let filter = filter.clone();
                async move {
                    let cursor = cursor?;
                    let mut qb = QueryBuilder::new(select_payouts!());
                    This::push_filter(&mut qb, shop_id, &filter);
                    if let Some((created_at, id)) = cursor {
                        qb.push(" AND (p.created_at < ")
                            .push_bind(created_at)
                            .push(" OR (p.created_at = ")
                            .push_bind(created_at)
                            .push(" AND p.id < ")
                            .push_bind(id)
                            .push("))");
                    }
                    qb.push(" ORDER BY p.created_at DESC, p.id DESC LIMIT ").push_bind(BATCH);
                    let rows = match qb.build_query_as::<PayoutRow>().fetch_all(&pool).await {
                        Ok(rows) => rows,
                        Err(e) => return Some((Err(StoreError::from(e)), None)),
                    };
                    let batch = match rows.into_iter().map(PayoutRow::view).collect::<Result<VecDeque<_>, _>>() {
                        Ok(batch) => batch,
                        Err(e) => return Some((Err(e), None)),
                    };
                    let next = match batch.back() {
                        Some(last) if batch.len() as i64 == BATCH => Some(Some((last.created_at.unix_millis(), last.id))),
                        _ => None,
                    };
                    Some((Ok(batch), next))
                }
            });
            batches
                .flat_map(|batch| match batch {
                    Ok(rows) => stream::iter(rows.into_iter().map(Ok)).boxed(),
                    Err(e) => stream::once(async { Err(e) }).boxed(),
                })
                // Ends for good: a consumer that polls again after the end (gzip does) gets None,
                // not a panic.
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
