//! The embedded store: one SQLite file in WAL mode, `synchronous=FULL` (an acknowledged payout
//! survives a crash). Every write is one `BEGIN IMMEDIATE` transaction, which takes SQLite's write
//! lock before the first read, so the facts a payout is checked against cannot change before it is
//! written. An in-process mutex queues writers so they wait in order instead of spinning on
//! SQLITE_BUSY.

use std::collections::VecDeque;
use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use futures::stream::{self, BoxStream, StreamExt};
use jiff::civil::Date;
use payout_core::api::{
    AuditEntry, OperatorRef, PayoutDetail, PayoutEvent, PayoutSettings, PayoutStatus, PayoutView, QuotaView,
    TopUpView, SETTLEMENT_ACTOR,
};
use payout_core::facts::{AccountFacts, OperatorFacts, OrderFacts, OrderItem, OrderUsage, ShopFacts};
use payout_core::time::business_day_bounds;
use payout_core::{AccountKind, Facts, Money, PayoutType, Qualification, Role, Time, Violation};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection, SqlitePool};
use tokio::sync::Mutex;

use super::demo::Seed;
use super::{
    Actor, Claimed, CreateOutcome, Credentials, GrantOutcome, NewPayout, NewTopUp, OrderContext, Page,
    PayoutFilter, Purged, QuotaChange, Settlement, Store, StoreError, StoredResponse, TopUpOutcome,
};
use crate::clock::Clock;
use crate::views::source_account_view;

pub struct SqliteStore {
    pool: SqlitePool,
    /// Queues this process's writers; `BEGIN IMMEDIATE` still guards against other processes.
    write_lock: Mutex<()>,
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

fn money(fen: i64) -> Result<Money, StoreError> {
    Money::from_fen(fen).ok_or_else(|| StoreError::Corrupt(format!("amount out of range: {fen} fen")))
}

fn time(ms: i64) -> Time {
    Time::from_unix_millis(ms)
}

/// A text column that holds one of an enum's names (`aggregate`, `pending`, …).
fn named<T>(row: &SqliteRow, index: usize, parse: fn(&str) -> Option<T>) -> Result<T, StoreError> {
    let text: String = row.try_get(index)?;
    parse(&text).ok_or_else(|| StoreError::Corrupt(format!("unexpected value {text:?} in column {index}")))
}

fn business_date(t: Time) -> String {
    t.business_date().to_string()
}

/// `SELECT <payout columns> FROM payouts p JOIN users u …` as a literal, so every payout query is
/// static SQL (sqlx 0.9 refuses strings built at run time unless audited).
macro_rules! select_payouts {
    ($($rest:literal)*) => {
        concat!(
            "SELECT p.id, p.order_no, p.source_account, p.payout_type, p.amount_fen, p.status, \
             p.failure_reason, p.linked_item_id, p.note, p.operator_id, u.username, u.display_name, \
             p.created_at, p.updated_at FROM payouts p JOIN users u ON u.id = p.operator_id"
            $(, " ", $rest)*
        )
    };
}

fn payout_from_row(row: &SqliteRow) -> Result<PayoutView, StoreError> {
    Ok(PayoutView {
        id: row.try_get(0)?,
        order_no: row.try_get(1)?,
        source_account: named(row, 2, AccountKind::parse)?,
        payout_type: named(row, 3, PayoutType::parse)?,
        amount: money(row.try_get(4)?)?,
        status: named(row, 5, PayoutStatus::parse)?,
        failure_reason: row.try_get(6)?,
        linked_item_id: row.try_get(7)?,
        note: row.try_get(8)?,
        operator: OperatorRef {
            id: row.try_get(9)?,
            username: row.try_get(10)?,
            display_name: row.try_get(11)?,
        },
        created_at: time(row.try_get(12)?),
        updated_at: time(row.try_get(13)?),
    })
}

/// `WHERE …` of the records filter, always scoped to one shop.
fn push_filter(qb: &mut QueryBuilder<Sqlite>, shop_id: i64, filter: &PayoutFilter) {
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

async fn audit(
    conn: &mut SqliteConnection,
    shop_id: i64,
    at: Time,
    actor: &str,
    action: &str,
    target: &str,
    detail: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_log (shop_id, at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(shop_id)
    .bind(at.unix_millis())
    .bind(actor)
    .bind(action)
    .bind(target)
    .bind(detail)
    .execute(conn)
    .await?;
    Ok(())
}

async fn event(
    conn: &mut SqliteConnection,
    payout_id: i64,
    at: Time,
    status: PayoutStatus,
    actor: &str,
    reason: Option<&str>,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO payout_events (payout_id, at, status, actor, reason) VALUES (?, ?, ?, ?, ?)")
        .bind(payout_id)
        .bind(at.unix_millis())
        .bind(status.as_str())
        .bind(actor)
        .bind(reason)
        .execute(conn)
        .await?;
    Ok(())
}

async fn accounts(conn: &mut SqliteConnection, shop_id: i64) -> Result<Vec<AccountFacts>, StoreError> {
    let rows = sqlx::query(
        "SELECT kind, opened, balance_fen, frozen_fen, reserved_fen FROM accounts WHERE shop_id = ? ORDER BY kind",
    )
    .bind(shop_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(AccountFacts {
                kind: named(r, 0, AccountKind::parse)?,
                opened: r.try_get(1)?,
                balance: money(r.try_get(2)?)?,
                frozen: money(r.try_get(3)?)?,
                reserved: money(r.try_get(4)?)?,
            })
        })
        .collect()
}

/// Whose counted payouts of one business day to sum: the shop's (R-L4) or one operator's (R-L5).
#[derive(Clone, Copy)]
enum Counted {
    Shop,
    Operator,
}

async fn counted_today(
    conn: &mut SqliteConnection,
    whose: Counted,
    id: i64,
    today: &str,
) -> Result<Money, StoreError> {
    let sql = match whose {
        Counted::Shop => {
            "SELECT COALESCE(SUM(amount_fen), 0) FROM payouts WHERE shop_id = ? AND business_date = ? AND status != 'failed'"
        }
        Counted::Operator => {
            "SELECT COALESCE(SUM(amount_fen), 0) FROM payouts WHERE operator_id = ? AND business_date = ? AND status != 'failed'"
        }
    };
    money(sqlx::query_scalar(sql).bind(id).bind(today).fetch_one(conn).await?)
}

/// Loads every fact the rules need about `order_no` in the actor's shop, as of `now`.
async fn load_facts(
    conn: &mut SqliteConnection,
    actor: &Actor,
    order_no: &str,
    now: Time,
) -> Result<Option<(i64, Facts, AccountKind)>, StoreError> {
    let Some(order) = sqlx::query(
        "SELECT id, source_app, paid_fen, ordered_at, online_paid, cross_border FROM orders WHERE shop_id = ? AND order_no = ?",
    )
    .bind(actor.shop_id)
    .bind(order_no)
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let order_id: i64 = order.try_get(0)?;
    let items =
        sqlx::query("SELECT id, title, amount_fen FROM order_items WHERE order_id = ? ORDER BY position")
            .bind(order_id)
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| Ok(OrderItem { id: r.try_get(0)?, title: r.try_get(1)?, amount: money(r.try_get(2)?)? }))
            .collect::<Result<Vec<_>, StoreError>>()?;

    let shop = sqlx::query("SELECT qualification, status, selected_source_account FROM shops WHERE id = ?")
        .bind(actor.shop_id)
        .fetch_one(&mut *conn)
        .await?;

    // The operator as stored now, not as the session remembered it: quota changes bind at once.
    let user = sqlx::query(
        "SELECT role, payout_enabled, per_payout_limit_fen, daily_limit_fen, quota_enabled FROM users WHERE id = ?",
    )
    .bind(actor.user_id)
    .fetch_one(&mut *conn)
    .await?;
    let role: String = user.try_get(0)?;
    let today = business_date(now);
    let operator = if role == "main" {
        OperatorFacts::main()
    } else {
        OperatorFacts {
            role: Role::Sub,
            payout_enabled: user.try_get(1)?,
            quota_enabled: user.try_get(4)?,
            per_payout_limit: Some(money(user.try_get(2)?)?),
            daily_limit: Some(money(user.try_get(3)?)?),
            used_today: counted_today(conn, Counted::Operator, actor.user_id, &today).await?,
        }
    };

    let usage = sqlx::query(
        "SELECT COALESCE(SUM(CASE WHEN status != 'failed' THEN amount_fen END), 0), \
                COUNT(CASE WHEN status != 'failed' THEN 1 END), \
                MAX(created_at), \
                COALESCE(MAX(status != 'failed' AND payout_type = 'shipping'), 0), \
                COALESCE(MAX(status = 'processing'), 0) \
         FROM payouts WHERE order_id = ?",
    )
    .bind(order_id)
    .fetch_one(&mut *conn)
    .await?;
    let usage = OrderUsage {
        counted_total: money(usage.try_get(0)?)?,
        counted_count: u32::try_from(usage.try_get::<i64, _>(1)?).unwrap_or(u32::MAX),
        last_created_at: usage.try_get::<Option<i64>, _>(2)?.map(time),
        has_counted_shipping: usage.try_get(3)?,
        has_processing: usage.try_get(4)?,
    };
    let source_app: String = order.try_get(1)?;
    let facts = Facts {
        shop: ShopFacts {
            qualification: named(&shop, 0, Qualification::parse)?,
            status: shop.try_get(1)?,
            accounts: accounts(conn, actor.shop_id).await?,
        },
        operator,
        order: OrderFacts {
            order_no: order_no.to_owned(),
            source_app,
            paid_amount: money(order.try_get(2)?)?,
            ordered_at: time(order.try_get(3)?),
            online_paid: order.try_get(4)?,
            cross_border: order.try_get(5)?,
            items,
        },
        usage,
        shop_counted_today: counted_today(conn, Counted::Shop, actor.shop_id, &today).await?,
    };
    let selected = named(&shop, 2, AccountKind::parse)?;
    Ok(Some((order_id, facts, selected)))
}

async fn payout_view(conn: &mut SqliteConnection, id: i64) -> Result<PayoutView, StoreError> {
    payout_from_row(&sqlx::query(select_payouts!("WHERE p.id = ?")).bind(id).fetch_one(conn).await?)
}

/// Ends a transaction that wrote nothing (an early answer) with an explicit rollback, so the
/// connection goes back to the pool clean instead of being closed by the pool's guard.
async fn finish<T>(tx: sqlx::Transaction<'static, Sqlite>, value: T) -> Result<T, StoreError> {
    tx.rollback().await?;
    Ok(value)
}

/// A sub-account's row, for the grant checks of D6/D7.
struct SubAccount {
    username: String,
    payout_enabled: bool,
    manage_quotas: bool,
    quota_enabled: bool,
    per_payout_limit_fen: i64,
    daily_limit_fen: i64,
}

async fn sub_account(
    conn: &mut SqliteConnection,
    shop_id: i64,
    id: i64,
) -> Result<Option<SubAccount>, StoreError> {
    let row = sqlx::query(
        "SELECT username, payout_enabled, manage_quotas, quota_enabled, per_payout_limit_fen, daily_limit_fen \
         FROM users WHERE id = ? AND shop_id = ? AND role = 'sub'",
    )
    .bind(id)
    .bind(shop_id)
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        Ok(SubAccount {
            username: r.try_get(0)?,
            payout_enabled: r.try_get(1)?,
            manage_quotas: r.try_get(2)?,
            quota_enabled: r.try_get(3)?,
            per_payout_limit_fen: r.try_get(4)?,
            daily_limit_fen: r.try_get(5)?,
        })
    })
    .transpose()
}

/// What an idempotency key already answered.
enum Seen {
    /// Same body: replay this.
    Same(StoredResponse),
    /// Another body under the same key.
    Other,
}

async fn seen_key(
    conn: &mut SqliteConnection,
    user_id: i64,
    key: &str,
    request_hash: &str,
) -> Result<Option<Seen>, StoreError> {
    let seen = sqlx::query(
        "SELECT request_hash, status_code, response FROM idempotency_keys WHERE user_id = ? AND key = ?",
    )
    .bind(user_id)
    .bind(key)
    .fetch_optional(conn)
    .await?;
    let Some(seen) = seen else { return Ok(None) };
    let hash: String = seen.try_get(0)?;
    if hash != request_hash {
        return Ok(Some(Seen::Other));
    }
    let status: i64 = seen.try_get(1)?;
    Ok(Some(Seen::Same(StoredResponse {
        status: u16::try_from(status).unwrap_or(500),
        body: seen.try_get(2)?,
    })))
}

async fn record_key(
    conn: &mut SqliteConnection,
    user_id: i64,
    key: &str,
    request_hash: &str,
    response: &StoredResponse,
    now: Time,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO idempotency_keys (user_id, key, request_hash, status_code, response, created_at) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(user_id)
    .bind(key)
    .bind(request_hash)
    .bind(i64::from(response.status))
    .bind(&response.body)
    .bind(now.unix_millis())
    .execute(conn)
    .await?;
    Ok(())
}

impl SqliteStore {
    async fn quota_view(&self, shop_id: i64, id: i64, now: Time) -> Result<GrantOutcome, StoreError> {
        let quotas = self.quotas(shop_id, now.business_date()).await?;
        Ok(quotas
            .into_iter()
            .find(|q| q.sub_account_id == id)
            .map_or(GrantOutcome::NotFound, GrantOutcome::Updated))
    }

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
            // The last line of defence behind cancel-safe writes: a connection that comes back
            // still inside a transaction (its task was dropped mid-way) is closed, which rolls the
            // transaction back, instead of being handed to the next request with SQLite's write
            // lock held.
            .after_release(|conn, _| {
                Box::pin(async move {
                    let clean = !sqlx::Connection::is_in_transaction(conn);
                    if !clean {
                        tracing::warn!("closing a pooled connection returned inside a transaction");
                    }
                    Ok(clean)
                })
            })
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(SqliteStore { pool, write_lock: Mutex::new(()) })
    }

    /// A write transaction that holds SQLite's write lock from its first statement.
    async fn begin_write(
        &self,
    ) -> Result<(tokio::sync::MutexGuard<'_, ()>, sqlx::Transaction<'static, Sqlite>), StoreError> {
        let guard = self.write_lock.lock().await;
        let tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        Ok((guard, tx))
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn is_empty(&self) -> Result<bool, StoreError> {
        let shops: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM shops").fetch_one(&self.pool).await?;
        Ok(shops == 0)
    }

    async fn seed(&self, seed: &Seed) -> Result<bool, StoreError> {
        let (_guard, mut tx) = self.begin_write().await?;
        let shops: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM shops").fetch_one(&mut *tx).await?;
        if shops > 0 {
            return finish(tx, false).await;
        }
        for shop in &seed.shops {
            let shop_id: i64 = sqlx::query_scalar(
                "INSERT INTO shops (name, qualification, status, selected_source_account) VALUES (?, ?, ?, ?) RETURNING id",
            )
            .bind(&shop.name)
            .bind(shop.qualification.as_str())
            .bind(&shop.status)
            .bind(shop.selected_source_account.as_str())
            .fetch_one(&mut *tx)
            .await?;
            for a in &shop.accounts {
                sqlx::query(
                    "INSERT INTO accounts (shop_id, kind, opened, balance_fen, frozen_fen, reserved_fen) VALUES (?, ?, ?, ?, ?, ?)",
                )
                .bind(shop_id)
                .bind(a.kind.as_str())
                .bind(a.opened)
                .bind(a.balance.to_fen())
                .bind(a.frozen.to_fen())
                .bind(a.reserved.to_fen())
                .execute(&mut *tx)
                .await?;
            }
            for u in &shop.users {
                sqlx::query(
                    "INSERT INTO users (shop_id, username, display_name, role, password_hash, payout_enabled, manage_quotas, per_payout_limit_fen, daily_limit_fen) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(shop_id)
                .bind(&u.username)
                .bind(&u.display_name)
                .bind(u.role.as_str())
                .bind(&u.password_hash)
                .bind(u.payout_enabled)
                .bind(u.manage_quotas)
                .bind(u.per_payout_limit.to_fen())
                .bind(u.daily_limit.to_fen())
                .execute(&mut *tx)
                .await?;
            }
            for o in &shop.orders {
                let order_id: i64 = sqlx::query_scalar(
                    "INSERT INTO orders (shop_id, order_no, source_app, paid_fen, ordered_at, online_paid, cross_border) \
                     VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                )
                .bind(shop_id)
                .bind(&o.order_no)
                .bind(&o.source_app)
                .bind(o.paid.to_fen())
                .bind(o.ordered_at.unix_millis())
                .bind(o.online_paid)
                .bind(o.cross_border)
                .fetch_one(&mut *tx)
                .await?;
                for (i, (title, amount)) in o.items.iter().enumerate() {
                    sqlx::query("INSERT INTO order_items (id, order_id, position, title, amount_fen) VALUES (?, ?, ?, ?, ?)")
                        .bind(format!("{}-{}", o.order_no, i + 1))
                        .bind(order_id)
                        .bind(i as i64)
                        .bind(title)
                        .bind(amount.to_fen())
                        .execute(&mut *tx)
                        .await?;
                }
                for p in &o.payouts {
                    let operator_id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = ?")
                        .bind(&p.operator)
                        .fetch_one(&mut *tx)
                        .await?;
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO payouts (shop_id, order_id, order_no, operator_id, source_account, payout_type, amount_fen, status, failure_reason, created_at, updated_at, business_date) \
                         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                    )
                    .bind(shop_id)
                    .bind(order_id)
                    .bind(&o.order_no)
                    .bind(operator_id)
                    .bind(p.source_account.as_str())
                    .bind(p.payout_type.as_str())
                    .bind(p.amount.to_fen())
                    .bind(p.status.as_str())
                    .bind(&p.failure_reason)
                    .bind(p.created_at.unix_millis())
                    .bind(p.created_at.plus_seconds(5).unix_millis())
                    .bind(business_date(p.created_at))
                    .fetch_one(&mut *tx)
                    .await?;
                    event(&mut tx, id, p.created_at, PayoutStatus::Pending, &p.operator, None).await?;
                    event(
                        &mut tx,
                        id,
                        p.created_at.plus_seconds(2),
                        PayoutStatus::Processing,
                        SETTLEMENT_ACTOR,
                        None,
                    )
                    .await?;
                    let reason = p.failure_reason.as_deref();
                    event(&mut tx, id, p.created_at.plus_seconds(5), p.status, SETTLEMENT_ACTOR, reason)
                        .await?;
                }
            }
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn credentials(&self, username: &str) -> Result<Option<Credentials>, StoreError> {
        let row = sqlx::query("SELECT id, password_hash FROM users WHERE username = ?")
            .bind(username)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok(Credentials { user_id: r.try_get(0)?, password_hash: r.try_get(1)? })).transpose()
    }

    async fn throttle_take(
        &self,
        keys: &[(String, u32)],
        now: Time,
        window_seconds: i64,
    ) -> Result<bool, StoreError> {
        let (_guard, mut tx) = self.begin_write().await?;
        let window_start = now.unix_millis() - window_seconds * 1000;
        for (key, limit) in keys {
            let count: Option<i64> =
                sqlx::query_scalar("SELECT count FROM sign_in_throttle WHERE key = ? AND window_start > ?")
                    .bind(key)
                    .bind(window_start)
                    .fetch_optional(&mut *tx)
                    .await?;
            if count.unwrap_or(0) >= i64::from(*limit) {
                return finish(tx, false).await;
            }
        }
        for (key, _) in keys {
            sqlx::query(
                "INSERT INTO sign_in_throttle (key, count, window_start) VALUES (?, 1, ?) \
                 ON CONFLICT (key) DO UPDATE SET \
                   count = CASE WHEN window_start > ? THEN count + 1 ELSE 1 END, \
                   window_start = CASE WHEN window_start > ? THEN window_start ELSE excluded.window_start END",
            )
            .bind(key)
            .bind(now.unix_millis())
            .bind(window_start)
            .bind(window_start)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn throttle_give_back(&self, keys: &[String]) -> Result<(), StoreError> {
        let (_guard, mut tx) = self.begin_write().await?;
        for key in keys {
            sqlx::query("UPDATE sign_in_throttle SET count = MAX(count - 1, 0) WHERE key = ?")
                .bind(key)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn throttle_clear(&self, key: &str) -> Result<(), StoreError> {
        let (_guard, mut tx) = self.begin_write().await?;
        sqlx::query("DELETE FROM sign_in_throttle WHERE key = ?").bind(key).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn purge(&self, now: Time, keys_before: Time, window_seconds: i64) -> Result<Purged, StoreError> {
        let (_guard, mut tx) = self.begin_write().await?;
        let sessions = sqlx::query("DELETE FROM sessions WHERE expires_at <= ?")
            .bind(now.unix_millis())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let idempotency_keys = sqlx::query("DELETE FROM idempotency_keys WHERE created_at < ?")
            .bind(keys_before.unix_millis())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let throttle = sqlx::query("DELETE FROM sign_in_throttle WHERE window_start <= ?")
            .bind(now.unix_millis() - window_seconds * 1000)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(Purged { sessions, idempotency_keys, throttle })
    }

    async fn session_create(
        &self,
        token_hash: &str,
        user_id: i64,
        csrf_token: &str,
        now: Time,
        expires_at: Time,
    ) -> Result<(), StoreError> {
        let (_guard, mut tx) = self.begin_write().await?;
        // Forget this user's expired sessions while we are here.
        sqlx::query("DELETE FROM sessions WHERE user_id = ? AND expires_at <= ?")
            .bind(user_id)
            .bind(now.unix_millis())
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)")
            .bind(token_hash)
            .bind(user_id)
            .bind(csrf_token)
            .bind(now.unix_millis())
            .bind(expires_at.unix_millis())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn session_actor(&self, token_hash: &str, now: Time) -> Result<Option<Actor>, StoreError> {
        let row = sqlx::query(
            "SELECT u.id, u.username, u.display_name, u.role, u.payout_enabled, u.manage_quotas, \
                    sh.id, sh.name, sh.qualification, sh.status, s.csrf_token \
             FROM sessions s JOIN users u ON u.id = s.user_id JOIN shops sh ON sh.id = u.shop_id \
             WHERE s.token_hash = ? AND s.expires_at > ?",
        )
        .bind(token_hash)
        .bind(now.unix_millis())
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let role: String = r.try_get(3)?;
        Ok(Some(Actor {
            user_id: r.try_get(0)?,
            username: r.try_get(1)?,
            display_name: r.try_get(2)?,
            role: if role == "main" { Role::Main } else { Role::Sub },
            payout_enabled: r.try_get(4)?,
            manage_quotas: r.try_get(5)?,
            shop_id: r.try_get(6)?,
            shop_name: r.try_get(7)?,
            qualification: named(&r, 8, Qualification::parse)?,
            shop_status: r.try_get(9)?,
            csrf_token: r.try_get(10)?,
        }))
    }

    async fn session_delete(&self, token_hash: &str) -> Result<(), StoreError> {
        let (_guard, mut tx) = self.begin_write().await?;
        sqlx::query("DELETE FROM sessions WHERE token_hash = ?").bind(token_hash).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn order_context(
        &self,
        actor: &Actor,
        order_no: &str,
        now: Time,
    ) -> Result<Option<OrderContext>, StoreError> {
        // One read transaction, so the facts and the payout list are one consistent snapshot.
        let mut tx = self.pool.begin().await?;
        let Some((order_id, facts, selected)) = load_facts(&mut tx, actor, order_no, now).await? else {
            return finish(tx, None).await;
        };
        let payouts =
            sqlx::query(select_payouts!("WHERE p.order_id = ? ORDER BY p.created_at DESC, p.id DESC"))
                .bind(order_id)
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(payout_from_row)
                .collect::<Result<Vec<_>, _>>()?;
        tx.commit().await?;
        Ok(Some(OrderContext { facts, payouts, selected_source_account: selected }))
    }

    async fn payout_create(
        &self,
        new: NewPayout<'_>,
        clock: &dyn Clock,
        decide: &(dyn for<'f> Fn(&'f Facts, Time) -> Vec<Violation> + Send + Sync),
    ) -> Result<CreateOutcome, StoreError> {
        let (_guard, mut tx) = self.begin_write().await?;
        // "Now" is when this transaction holds the write lock, not when the request arrived: the
        // cooldown and the daily totals are measured against the moment the payout is written.
        let at = clock.now();
        match seen_key(&mut tx, new.actor.user_id, new.idempotency_key, &new.request_hash).await? {
            Some(Seen::Same(stored)) => return finish(tx, CreateOutcome::Replayed(stored)).await,
            Some(Seen::Other) => return finish(tx, CreateOutcome::KeyReused).await,
            None => {}
        }
        let Some((order_id, facts, _)) = load_facts(&mut tx, new.actor, new.order_no, at).await? else {
            return finish(tx, CreateOutcome::OrderNotFound).await;
        };
        let violations = decide(&facts, at);
        if !violations.is_empty() {
            // The rejection is the key's answer, recorded in the same transaction that decided
            // it: a retry with this key gets this 422, never a payout created later.
            let stored = crate::error::ApiError::Rejected(violations.clone()).to_stored();
            record_key(&mut tx, new.actor.user_id, new.idempotency_key, &new.request_hash, &stored, at)
                .await?;
            tx.commit().await?;
            return Ok(CreateOutcome::Rejected(violations));
        }

        let now = at.unix_millis();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO payouts (shop_id, order_id, order_no, operator_id, source_account, payout_type, amount_fen, status, linked_item_id, note, created_at, updated_at, business_date) \
             VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(new.actor.shop_id)
        .bind(order_id)
        .bind(new.order_no)
        .bind(new.actor.user_id)
        .bind(new.source_account.as_str())
        .bind(new.payout_type.as_str())
        .bind(new.amount.to_fen())
        .bind(&new.linked_item_id)
        .bind(&new.note)
        .bind(now)
        .bind(now)
        .bind(business_date(at))
        .fetch_one(&mut *tx)
        .await?;
        // The CHECK on accounts refuses a reservation beyond the available balance, a last line of
        // defence behind R-F8.
        sqlx::query("UPDATE accounts SET reserved_fen = reserved_fen + ? WHERE shop_id = ? AND kind = ?")
            .bind(new.amount.to_fen())
            .bind(new.actor.shop_id)
            .bind(new.source_account.as_str())
            .execute(&mut *tx)
            .await?;
        event(&mut tx, id, at, PayoutStatus::Pending, &new.actor.username, None).await?;
        let detail = format!(
            "order {} · {} · ¥{} · {}",
            new.order_no,
            new.payout_type.as_str(),
            new.amount,
            new.source_account.as_str()
        );
        audit(
            &mut tx,
            new.actor.shop_id,
            at,
            &new.actor.username,
            "payout.created",
            &format!("payout:{id}"),
            &detail,
        )
        .await?;
        let view = payout_view(&mut tx, id).await?;
        let body = serde_json::to_string(&view).map_err(|e| StoreError::Database(e.to_string()))?;
        let stored = StoredResponse { status: 201, body };
        record_key(&mut tx, new.actor.user_id, new.idempotency_key, &new.request_hash, &stored, at).await?;
        tx.commit().await?;
        Ok(CreateOutcome::Created(view))
    }

    async fn payouts_page(
        &self,
        shop_id: i64,
        filter: &PayoutFilter,
        page: u32,
        per_page: u32,
    ) -> Result<Page<PayoutView>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let mut count = QueryBuilder::new("SELECT COUNT(*) FROM payouts p");
        push_filter(&mut count, shop_id, filter);
        let total: i64 = count.build_query_scalar().fetch_one(&mut *tx).await?;
        let mut qb = QueryBuilder::new(select_payouts!());
        push_filter(&mut qb, shop_id, filter);
        qb.push(" ORDER BY p.created_at DESC, p.id DESC LIMIT ")
            .push_bind(i64::from(per_page))
            .push(" OFFSET ")
            .push_bind(i64::from(page.saturating_sub(1)) * i64::from(per_page));
        let items = qb
            .build()
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(payout_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        tx.commit().await?;
        Ok(Page { items, total: u64::try_from(total).unwrap_or(0) })
    }

    fn payouts_stream(
        &self,
        shop_id: i64,
        filter: PayoutFilter,
    ) -> BoxStream<'static, Result<PayoutView, StoreError>> {
        const BATCH: i64 = 500;
        let pool = self.pool.clone();
        // Keyset pagination on (created_at, id): each batch is one short query, so memory stays
        // bounded whatever the row count and no connection is held while the client reads.
        let batches = stream::unfold(Some(None::<(i64, i64)>), move |cursor| {
            let pool = pool.clone();
            let filter = filter.clone();
            async move {
                let cursor = cursor?;
                let mut qb = QueryBuilder::new(select_payouts!());
                push_filter(&mut qb, shop_id, &filter);
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
                let rows = match qb.build().fetch_all(&pool).await {
                    Ok(rows) => rows,
                    Err(e) => return Some((Err(StoreError::from(e)), None)),
                };
                let batch = match rows.iter().map(payout_from_row).collect::<Result<VecDeque<_>, _>>() {
                    Ok(batch) => batch,
                    Err(e) => return Some((Err(e), None)),
                };
                let next = match batch.back() {
                    Some(last) if batch.len() as i64 == BATCH => {
                        Some(Some((last.created_at.unix_millis(), last.id)))
                    }
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
            // Ends for good: a consumer that polls again after the end (gzip does) gets None, not a panic.
            .fuse()
            .boxed()
    }

    async fn payout_detail(&self, shop_id: i64, id: i64) -> Result<Option<PayoutDetail>, StoreError> {
        let sql = select_payouts!("WHERE p.id = ? AND p.shop_id = ?");
        let mut tx = self.pool.begin().await?;
        let Some(row) = sqlx::query(sql).bind(id).bind(shop_id).fetch_optional(&mut *tx).await? else {
            return finish(tx, None).await;
        };
        let payout = payout_from_row(&row)?;
        let events = sqlx::query(
            "SELECT at, status, actor, reason FROM payout_events WHERE payout_id = ? ORDER BY id",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| {
            Ok(PayoutEvent {
                at: time(r.try_get(0)?),
                status: named(r, 1, PayoutStatus::parse)?,
                actor: r.try_get(2)?,
                reason: r.try_get(3)?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
        tx.commit().await?;
        Ok(Some(PayoutDetail { payout, events }))
    }

    async fn operators(&self, shop_id: i64) -> Result<Vec<OperatorRef>, StoreError> {
        let rows =
            sqlx::query("SELECT id, username, display_name FROM users WHERE shop_id = ? ORDER BY role, id")
                .bind(shop_id)
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| {
                Ok(OperatorRef { id: r.try_get(0)?, username: r.try_get(1)?, display_name: r.try_get(2)? })
            })
            .collect()
    }

    async fn quotas(&self, shop_id: i64, today: Date) -> Result<Vec<QuotaView>, StoreError> {
        let rows = sqlx::query(
            "SELECT u.id, u.username, u.display_name, u.quota_enabled, u.per_payout_limit_fen, u.daily_limit_fen, u.manage_quotas, u.payout_enabled, \
                    (SELECT COALESCE(SUM(p.amount_fen), 0) FROM payouts p \
                      WHERE p.operator_id = u.id AND p.business_date = ? AND p.status != 'failed') \
             FROM users u WHERE u.shop_id = ? AND u.role = 'sub' ORDER BY u.id",
        )
        .bind(today.to_string())
        .bind(shop_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(QuotaView {
                    sub_account_id: r.try_get(0)?,
                    username: r.try_get(1)?,
                    display_name: r.try_get(2)?,
                    enabled: r.try_get(3)?,
                    per_payout_limit: money(r.try_get(4)?)?,
                    daily_limit: money(r.try_get(5)?)?,
                    manage_quotas: r.try_get(6)?,
                    used_today: money(r.try_get(8)?)?,
                    payout_permission: r.try_get(7)?,
                })
            })
            .collect()
    }

    async fn quota_update(
        &self,
        actor: &Actor,
        sub_account_id: i64,
        change: QuotaChange,
        now: Time,
    ) -> Result<GrantOutcome, StoreError> {
        let (_guard, mut tx) = self.begin_write().await?;
        let Some(old) = sub_account(&mut tx, actor.shop_id, sub_account_id).await? else {
            return finish(tx, GrantOutcome::NotFound).await;
        };
        if actor.role == Role::Sub {
            // D6/D7, against the rows as they are now (a grant may have changed since sign-in).
            let me = sub_account(&mut tx, actor.shop_id, actor.user_id).await?;
            let Some(me) = me.filter(|me| me.manage_quotas) else {
                return finish(tx, GrantOutcome::NotAllowed).await;
            };
            if sub_account_id == actor.user_id || !old.payout_enabled {
                return finish(tx, GrantOutcome::NotAllowed).await;
            }
            // A manager whose own payout permission or quota is switched off has no limits to
            // hand on: it cannot grant more than it may use itself.
            let active = me.payout_enabled && me.quota_enabled;
            let own = |fen| if active { money(fen) } else { Ok(Money::ZERO) };
            let (own_per, own_daily) = (own(me.per_payout_limit_fen)?, own(me.daily_limit_fen)?);
            if change.per_payout_limit > own_per || change.daily_limit > own_daily {
                return finish(
                    tx,
                    GrantOutcome::AboveOwnLimit { per_payout_limit: own_per, daily_limit: own_daily },
                )
                .await;
            }
        }
        sqlx::query(
            "UPDATE users SET per_payout_limit_fen = ?, daily_limit_fen = ?, quota_enabled = ? WHERE id = ?",
        )
        .bind(change.per_payout_limit.to_fen())
        .bind(change.daily_limit.to_fen())
        .bind(change.enabled)
        .bind(sub_account_id)
        .execute(&mut *tx)
        .await?;
        let detail = format!(
            "{}: per-payout ¥{} → ¥{}, daily ¥{} → ¥{}, quota on {} → {}",
            old.username,
            money(old.per_payout_limit_fen)?,
            change.per_payout_limit,
            money(old.daily_limit_fen)?,
            change.daily_limit,
            old.quota_enabled,
            change.enabled
        );
        let target = format!("user:{sub_account_id}");
        audit(&mut tx, actor.shop_id, now, &actor.username, "quota.updated", &target, &detail).await?;
        tx.commit().await?;
        self.quota_view(actor.shop_id, sub_account_id, now).await
    }

    async fn permissions_update(
        &self,
        actor: &Actor,
        sub_account_id: i64,
        payout: bool,
        manage_quotas: bool,
        now: Time,
    ) -> Result<GrantOutcome, StoreError> {
        let (_guard, mut tx) = self.begin_write().await?;
        let Some(old) = sub_account(&mut tx, actor.shop_id, sub_account_id).await? else {
            return finish(tx, GrantOutcome::NotFound).await;
        };
        sqlx::query("UPDATE users SET payout_enabled = ?, manage_quotas = ? WHERE id = ?")
            .bind(payout)
            .bind(manage_quotas)
            .bind(sub_account_id)
            .execute(&mut *tx)
            .await?;
        let detail = format!(
            "{}: payout permission {} → {payout}, quota manager {} → {manage_quotas}",
            old.username, old.payout_enabled, old.manage_quotas
        );
        let target = format!("user:{sub_account_id}");
        audit(&mut tx, actor.shop_id, now, &actor.username, "permissions.updated", &target, &detail).await?;
        tx.commit().await?;
        self.quota_view(actor.shop_id, sub_account_id, now).await
    }

    async fn settings(&self, shop_id: i64) -> Result<PayoutSettings, StoreError> {
        let mut tx = self.pool.begin().await?;
        let shop = sqlx::query("SELECT qualification, selected_source_account FROM shops WHERE id = ?")
            .bind(shop_id)
            .fetch_one(&mut *tx)
            .await?;
        let qualification = named(&shop, 0, Qualification::parse)?;
        let accounts = accounts(&mut tx, shop_id).await?;
        let top_ups = sqlx::query(
            "SELECT id, amount_fen, reference, actor, created_at FROM top_ups WHERE shop_id = ? ORDER BY id DESC LIMIT 20",
        )
        .bind(shop_id)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| {
            Ok(TopUpView {
                id: r.try_get(0)?,
                amount: money(r.try_get(1)?)?,
                reference: r.try_get(2)?,
                actor: r.try_get(3)?,
                created_at: time(r.try_get(4)?),
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
        tx.commit().await?;
        Ok(PayoutSettings {
            qualification,
            selected_source_account: named(&shop, 1, AccountKind::parse)?,
            accounts: accounts.iter().map(|a| source_account_view(a, qualification)).collect(),
            top_ups,
        })
    }

    async fn settings_update(
        &self,
        actor: &Actor,
        account: AccountKind,
        now: Time,
    ) -> Result<(), StoreError> {
        let (_guard, mut tx) = self.begin_write().await?;
        let old: String = sqlx::query_scalar("SELECT selected_source_account FROM shops WHERE id = ?")
            .bind(actor.shop_id)
            .fetch_one(&mut *tx)
            .await?;
        sqlx::query("UPDATE shops SET selected_source_account = ? WHERE id = ?")
            .bind(account.as_str())
            .bind(actor.shop_id)
            .execute(&mut *tx)
            .await?;
        let detail = format!("source account {old} → {}", account.as_str());
        audit(
            &mut tx,
            actor.shop_id,
            now,
            &actor.username,
            "settings.updated",
            &format!("shop:{}", actor.shop_id),
            &detail,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn top_up(&self, new: NewTopUp<'_>, now: Time) -> Result<TopUpOutcome, StoreError> {
        let actor = new.actor;
        let (_guard, mut tx) = self.begin_write().await?;
        match seen_key(&mut tx, actor.user_id, new.idempotency_key, &new.request_hash).await? {
            Some(Seen::Same(stored)) => return finish(tx, TopUpOutcome::Replayed(stored)).await,
            Some(Seen::Other) => return finish(tx, TopUpOutcome::KeyReused).await,
            None => {}
        }
        let status: String = sqlx::query_scalar("SELECT status FROM shops WHERE id = ?")
            .bind(actor.shop_id)
            .fetch_one(&mut *tx)
            .await?;
        if status != "active" {
            return finish(tx, TopUpOutcome::ShopNotActive).await;
        }
        let used: Option<i64> =
            sqlx::query_scalar("SELECT id FROM top_ups WHERE shop_id = ? AND reference = ?")
                .bind(actor.shop_id)
                .bind(new.reference)
                .fetch_optional(&mut *tx)
                .await?;
        if used.is_some() {
            return finish(tx, TopUpOutcome::ReferenceUsed).await;
        }
        let balance: i64 =
            sqlx::query_scalar("SELECT balance_fen FROM accounts WHERE shop_id = ? AND kind = 'custody'")
                .bind(actor.shop_id)
                .fetch_one(&mut *tx)
                .await?;
        let balance = money(balance)?;
        if balance.checked_add(new.amount).is_none_or(|after| after > new.ceiling) {
            return finish(tx, TopUpOutcome::AboveCeiling { balance }).await;
        }
        sqlx::query("UPDATE accounts SET balance_fen = balance_fen + ?, opened = 1 WHERE shop_id = ? AND kind = 'custody'")
            .bind(new.amount.to_fen())
            .bind(actor.shop_id)
            .execute(&mut *tx)
            .await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO top_ups (shop_id, amount_fen, reference, actor, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(actor.shop_id)
        .bind(new.amount.to_fen())
        .bind(new.reference)
        .bind(&actor.username)
        .bind(now.unix_millis())
        .fetch_one(&mut *tx)
        .await?;
        let detail = format!("custody top-up ¥{}, reference {}", new.amount, new.reference);
        let target = format!("top_up:{id}");
        audit(&mut tx, actor.shop_id, now, &actor.username, "custody.topped_up", &target, &detail).await?;
        let view = TopUpView {
            id,
            amount: new.amount,
            reference: new.reference.to_owned(),
            actor: actor.username.clone(),
            created_at: now,
        };
        let body = serde_json::to_string(&view).map_err(|e| StoreError::Database(e.to_string()))?;
        let stored = StoredResponse { status: 201, body };
        record_key(&mut tx, actor.user_id, new.idempotency_key, &new.request_hash, &stored, now).await?;
        tx.commit().await?;
        Ok(TopUpOutcome::Created(view))
    }

    async fn audit_page(
        &self,
        shop_id: i64,
        page: u32,
        per_page: u32,
    ) -> Result<Page<AuditEntry>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE shop_id = ?")
            .bind(shop_id)
            .fetch_one(&mut *tx)
            .await?;
        let items = sqlx::query(
            "SELECT id, at, actor, action, target, detail FROM audit_log WHERE shop_id = ? ORDER BY id DESC LIMIT ? OFFSET ?",
        )
        .bind(shop_id)
        .bind(i64::from(per_page))
        .bind(i64::from(page.saturating_sub(1)) * i64::from(per_page))
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| {
            Ok(AuditEntry {
                id: r.try_get(0)?,
                at: time(r.try_get(1)?),
                actor: r.try_get(2)?,
                action: r.try_get(3)?,
                target: r.try_get(4)?,
                detail: r.try_get(5)?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
        tx.commit().await?;
        Ok(Page { items, total: u64::try_from(total).unwrap_or(0) })
    }

    async fn claim(
        &self,
        owner: &str,
        limit: u32,
        now: Time,
        lease_until: Time,
    ) -> Result<Vec<Claimed>, StoreError> {
        let (_guard, mut tx) = self.begin_write().await?;
        let rows = sqlx::query(
            "SELECT id, amount_fen, source_account, status, shop_id, claim_owner IS NOT NULL FROM payouts \
             WHERE status = 'pending' OR (status = 'processing' AND (claim_until IS NULL OR claim_until <= ?)) \
             ORDER BY id LIMIT ?",
        )
        .bind(now.unix_millis())
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?;
        let mut claimed = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: i64 = row.try_get(0)?;
            let processing = named(row, 3, PayoutStatus::parse)? == PayoutStatus::Processing;
            // A claim let go after failed attempts has no owner: trying it again is no takeover.
            let taken_over = processing && row.try_get::<bool, _>(5)?;
            let shop_id: i64 = row.try_get(4)?;
            sqlx::query(
                "UPDATE payouts SET status = 'processing', claim_owner = ?, claim_until = ?, updated_at = ? WHERE id = ?",
            )
            .bind(owner)
            .bind(lease_until.unix_millis())
            .bind(now.unix_millis())
            .bind(id)
            .execute(&mut *tx)
            .await?;
            let target = format!("payout:{id}");
            if taken_over {
                let detail = "claim taken over after its lease expired; asking the rail again";
                audit(&mut tx, shop_id, now, SETTLEMENT_ACTOR, "payout.claim_taken_over", &target, detail)
                    .await?;
            } else if !processing {
                event(&mut tx, id, now, PayoutStatus::Processing, SETTLEMENT_ACTOR, None).await?;
                let detail = "handed to the payment rail";
                audit(&mut tx, shop_id, now, SETTLEMENT_ACTOR, "payout.processing", &target, detail).await?;
            }
            claimed.push(Claimed {
                id,
                amount: money(row.try_get(1)?)?,
                source_account: named(row, 2, AccountKind::parse)?,
                taken_over,
            });
        }
        tx.commit().await?;
        Ok(claimed)
    }

    async fn renew(&self, owner: &str, ids: &[i64], lease_until: Time) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let (_guard, mut tx) = self.begin_write().await?;
        for chunk in ids.chunks(500) {
            let mut qb = QueryBuilder::<Sqlite>::new("UPDATE payouts SET claim_until = ");
            qb.push_bind(lease_until.unix_millis())
                .push(" WHERE claim_owner = ")
                .push_bind(owner)
                .push(" AND status = 'processing' AND id IN (");
            let mut list = qb.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            qb.push(")");
            qb.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn release(&self, owner: &str, id: i64, retry_at: Time) -> Result<(), StoreError> {
        let (_guard, mut tx) = self.begin_write().await?;
        sqlx::query(
            "UPDATE payouts SET claim_owner = NULL, claim_until = ? WHERE id = ? AND claim_owner = ? AND status = 'processing'",
        )
        .bind(retry_at.unix_millis())
        .bind(id)
        .bind(owner)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn settle(
        &self,
        owner: &str,
        results: &[(i64, Settlement)],
        now: Time,
    ) -> Result<usize, StoreError> {
        let (_guard, mut tx) = self.begin_write().await?;
        let mut settled = 0;
        for (id, outcome) in results {
            let row = sqlx::query(
                "SELECT shop_id, amount_fen, source_account FROM payouts WHERE id = ? AND status = 'processing' AND claim_owner = ?",
            )
            .bind(id)
            .bind(owner)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(row) = row else { continue };
            let shop_id: i64 = row.try_get(0)?;
            let amount: i64 = row.try_get(1)?;
            let account: String = row.try_get(2)?;
            let (status, reason, debit) = match outcome {
                Settlement::Succeeded => (PayoutStatus::Succeeded, None, amount),
                Settlement::Failed { reason } => (PayoutStatus::Failed, Some(reason.as_str()), 0),
            };
            // Success turns the reservation into a debit; failure only releases it.
            sqlx::query(
                "UPDATE accounts SET balance_fen = balance_fen - ?, reserved_fen = reserved_fen - ? WHERE shop_id = ? AND kind = ?",
            )
            .bind(debit)
            .bind(amount)
            .bind(shop_id)
            .bind(&account)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE payouts SET status = ?, failure_reason = ?, updated_at = ?, claim_owner = NULL, claim_until = NULL WHERE id = ?",
            )
            .bind(status.as_str())
            .bind(reason)
            .bind(now.unix_millis())
            .bind(id)
            .execute(&mut *tx)
            .await?;
            event(&mut tx, *id, now, status, SETTLEMENT_ACTOR, reason).await?;
            let action = format!("payout.{}", status.as_str());
            let target = format!("payout:{id}");
            audit(&mut tx, shop_id, now, SETTLEMENT_ACTOR, &action, &target, reason.unwrap_or("")).await?;
            settled += 1;
        }
        tx.commit().await?;
        Ok(settled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
