//! The buyer-notification outbox (SPEC §11.3). A row is written in the transaction that records a
//! payout `succeeded` (`settlement.rs`); the notification worker takes due rows, delivers them and
//! marks them delivered. Delivery is at least once: a row is taken by pushing its
//! `next_attempt_at` a lease ahead, so a server that dies mid-delivery leaves it to be taken
//! again when the lease ends.

use async_trait::async_trait;
use payout_core::Time;

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
    /// Takes up to `limit` undelivered notifications due at `now`, each until `lease_until`.
    async fn notifications_take(
        &self,
        now: Time,
        lease_until: Time,
        limit: u32,
    ) -> Result<Vec<DueNotification>, StoreError>;
    /// Marks one delivered and stamps its payout's `buyer_notified_at` (first delivery wins).
    async fn notification_delivered(&self, n: &DueNotification, now: Time) -> Result<(), StoreError>;
    /// Records a failed attempt; it is due again at `retry_at`.
    async fn notification_failed(
        &self,
        n: &DueNotification,
        error: &str,
        retry_at: Time,
    ) -> Result<(), StoreError>;
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
             WHERE delivered_at IS NULL AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $2"
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
        async fn notifications_take(&self, now: Time, lease_until: Time, limit: u32) -> Result<Vec<DueNotification>, StoreError> {
            let mut tx = self.begin_write(Lock::Rows).await?;
            let rows = sqlx::query_as::<_, DueRow>(This::dialect(DUE_SQLITE, DUE_POSTGRES))
                .bind(now.unix_millis())
                .bind(i64::from(limit))
                .fetch_all(&mut *tx)
                .await?;
            let mut due = Vec::with_capacity(rows.len());
            for row in rows {
                sqlx::query("UPDATE notifications SET next_attempt_at = $1, attempts = attempts + 1 WHERE shop_id = $2 AND id = $3")
                    .bind(lease_until.unix_millis())
                    .bind(row.shop_id)
                    .bind(row.id)
                    .execute(&mut *tx)
                    .await?;
                due.push(DueNotification {
                    shop_id: row.shop_id,
                    id: row.id,
                    payout: PayoutKey { shop_id: row.shop_id, id: row.payout_id },
                    text: row.text,
                    attempts: row.attempts + 1,
                });
            }
            tx.commit().await?;
            Ok(due)
        }

        async fn notification_delivered(&self, n: &DueNotification, now: Time) -> Result<(), StoreError> {
            let mut tx = self.begin_write(Lock::Rows).await?;
            sqlx::query("UPDATE notifications SET delivered_at = $1, last_error = NULL WHERE shop_id = $2 AND id = $3 AND delivered_at IS NULL")
                .bind(now.unix_millis())
                .bind(n.shop_id)
                .bind(n.id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE payouts SET buyer_notified_at = $1 WHERE shop_id = $2 AND id = $3 AND buyer_notified_at IS NULL")
                .bind(now.unix_millis())
                .bind(n.payout.shop_id)
                .bind(n.payout.id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(())
        }

        async fn notification_failed(&self, n: &DueNotification, error: &str, retry_at: Time) -> Result<(), StoreError> {
            let mut tx = self.begin_write(Lock::Rows).await?;
            sqlx::query("UPDATE notifications SET next_attempt_at = $1, last_error = $2 WHERE shop_id = $3 AND id = $4 AND delivered_at IS NULL")
                .bind(retry_at.unix_millis())
                .bind(error)
                .bind(n.shop_id)
                .bind(n.id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(())
        }
    }
}
