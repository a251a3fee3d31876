//! The buyer-notification outbox (SPEC §11.3). A row is written in the transaction that records a
//! payout `succeeded` (`settlement.rs`); the notification worker takes due rows, delivers them and
//! marks them delivered. Delivery is at least once: a row is taken by pushing its
//! `next_attempt_at` a lease ahead, so a server that dies mid-delivery leaves it to be taken
//! again when the lease ends.

use async_trait::async_trait;
use payout_core::Time;

use sqlx::QueryBuilder;

use super::audit::ROWS_PER_STATEMENT;
use super::{Lock, PayoutKey, StoreError};

/// A notification to deliver.
#[derive(Clone, Debug)]
pub struct DueNotification {
    pub shop_id: i64,
    pub id: i64,
    pub payout: PayoutKey,
    pub text: String,
    /// Attempts so far, this one included.
    pub attempts: i64,
}

#[async_trait]
pub trait NotificationStore: Send + Sync + 'static {
    /// D12: gives up the notifications still undelivered that were written before `before` (24 h
    /// ago): marked failed, and their payouts show it. Returns how many.
    async fn notifications_give_up(&self, before: Time, now: Time) -> Result<u64, StoreError>;
    /// Undelivered notifications not given up, across shops (the backlog metric).
    async fn notifications_backlog(&self) -> Result<i64, StoreError>;
    /// Takes up to `limit` undelivered notifications due at `now`, each until `lease_until`.
    async fn notifications_take(
        &self,
        now: Time,
        lease_until: Time,
        limit: u32,
    ) -> Result<Vec<DueNotification>, StoreError>;
    /// Records a round's outcomes in one transaction: the delivered ones are marked and stamp
    /// their payout's `buyer_notified_at` (first delivery wins); a failed one is due again at its
    /// `retry_at`.
    async fn notifications_record(
        &self,
        outcomes: &[(DueNotification, Delivery)],
        now: Time,
    ) -> Result<(), StoreError>;
}

/// What one delivery attempt came to.
#[derive(Clone, Debug)]
pub enum Delivery {
    Delivered,
    Failed { error: String, retry_at: Time },
}

#[derive(sqlx::FromRow)]
struct DueRow {
    shop_id: i64,
    id: i64,
    payout_id: i64,
    text: String,
    attempts: i64,
}

macro_rules! due {
    ($($tail:literal)?) => {
        concat!(
            "SELECT shop_id, id, payout_id, text, attempts FROM notifications \
             WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $2"
            $(, $tail)?
        )
    };
}
/// SQLite: the write transaction holds the database's one write lock.
const DUE_SQLITE: &str = due!();
/// PostgreSQL: rows another server is taking right now are skipped.
const DUE_POSTGRES: &str = due!(" FOR UPDATE SKIP LOCKED");

for_each_store! {
    #[async_trait]
    impl NotificationStore for This {
        async fn notifications_give_up(&self, before: Time, now: Time) -> Result<u64, StoreError> {
            let mut tx = self.begin_write(Lock::Rows).await?;
            let given_up = sqlx::query_as::<_, (i64, i64)>(
                "UPDATE notifications SET failed_at = $1 WHERE delivered_at IS NULL AND failed_at IS NULL AND created_at <= $2 \
                 RETURNING shop_id, payout_id",
            )
            .bind(now.unix_millis())
            .bind(before.unix_millis())
            .fetch_all(&mut *tx)
            .await?;
            for chunk in given_up.chunks(ROWS_PER_STATEMENT) {
                let mut qb = QueryBuilder::<Db>::new("UPDATE payouts SET buyer_notification_failed_at = ");
                qb.push_bind(now.unix_millis()).push(" WHERE ");
                This::push_keys(&mut qb, chunk.iter().map(|(shop_id, id)| PayoutKey { shop_id: *shop_id, id: *id }));
                qb.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(given_up.len() as u64)
        }

        async fn notifications_backlog(&self) -> Result<i64, StoreError> {
            Ok(sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE delivered_at IS NULL AND failed_at IS NULL")
                .fetch_one(&self.pool)
                .await?)
        }

        async fn notifications_take(&self, now: Time, lease_until: Time, limit: u32) -> Result<Vec<DueNotification>, StoreError> {
            let mut tx = self.begin_write(Lock::Rows).await?;
            let rows = sqlx::query_as::<_, DueRow>(This::dialect(DUE_SQLITE, DUE_POSTGRES))
                .bind(now.unix_millis())
                .bind(i64::from(limit))
                .fetch_all(&mut *tx)
                .await?;
            let due: Vec<DueNotification> = rows
                .into_iter()
                .map(|row| DueNotification {
                    shop_id: row.shop_id,
                    id: row.id,
                    payout: PayoutKey { shop_id: row.shop_id, id: row.payout_id },
                    text: row.text,
                    attempts: row.attempts + 1,
                })
                .collect();
            for chunk in due.chunks(ROWS_PER_STATEMENT) {
                let mut qb = QueryBuilder::<Db>::new("UPDATE notifications SET attempts = attempts + 1, next_attempt_at = ");
                qb.push_bind(lease_until.unix_millis()).push(" WHERE ");
                This::push_keys(&mut qb, chunk.iter().map(|n| PayoutKey { shop_id: n.shop_id, id: n.id }));
                qb.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(due)
        }

        async fn notifications_record(&self, outcomes: &[(DueNotification, Delivery)], now: Time) -> Result<(), StoreError> {
            if outcomes.is_empty() {
                return Ok(());
            }
            let mut tx = self.begin_write(Lock::Rows).await?;
            let delivered: Vec<&DueNotification> =
                outcomes.iter().filter(|(_, d)| matches!(d, Delivery::Delivered)).map(|(n, _)| n).collect();
            for chunk in delivered.chunks(ROWS_PER_STATEMENT) {
                let mut qb = QueryBuilder::<Db>::new("UPDATE notifications SET last_error = NULL, delivered_at = ");
                qb.push_bind(now.unix_millis()).push(" WHERE delivered_at IS NULL AND ");
                This::push_keys(&mut qb, chunk.iter().map(|n| PayoutKey { shop_id: n.shop_id, id: n.id }));
                qb.build().execute(&mut *tx).await?;
                let mut qb = QueryBuilder::<Db>::new("UPDATE payouts SET buyer_notified_at = ");
                qb.push_bind(now.unix_millis()).push(" WHERE buyer_notified_at IS NULL AND ");
                This::push_keys(&mut qb, chunk.iter().map(|n| n.payout));
                qb.build().execute(&mut *tx).await?;
            }
            // Failures are the exception; each keeps its own error and pause.
            for (n, delivery) in outcomes {
                let Delivery::Failed { error, retry_at } = delivery else { continue };
                sqlx::query("UPDATE notifications SET next_attempt_at = $1, last_error = $2 WHERE shop_id = $3 AND id = $4 AND delivered_at IS NULL")
                    .bind(retry_at.unix_millis())
                    .bind(error)
                    .bind(n.shop_id)
                    .bind(n.id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(())
        }
    }
}
