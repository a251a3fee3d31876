//! The audit log and the payout events: written inside the transaction whose change they record,
//! so a change and its record commit together or not at all.

use async_trait::async_trait;
use payout_core::api::{AuditEntry, PayoutStatus};
use payout_core::Time;

use super::rows::AuditRow;
use super::{Page, StoreError};
use sqlx::QueryBuilder;

#[async_trait]
pub trait AuditStore: Send + Sync + 'static {
    async fn audit_page(
        &self,
        shop_id: i64,
        page: u32,
        per_page: u32,
    ) -> Result<Page<AuditEntry>, StoreError>;
}

/// One audit row: who did what to which target.
pub(super) struct Audit<'a> {
    pub shop_id: i64,
    pub at: Time,
    pub actor: &'a str,
    pub action: &'a str,
    pub target: &'a str,
    pub detail: &'a str,
}

/// Rows per multi-row statement: six parameters each, far under either driver's limit.
pub(super) const ROWS_PER_STATEMENT: usize = 500;

/// One step of a payout's lifecycle, for [`events`](on_sqlite) written many to a statement.
pub(super) struct Event<'a> {
    pub key: crate::store::PayoutKey,
    pub at: Time,
    pub status: PayoutStatus,
    pub actor: &'a str,
    pub reason: Option<&'a str>,
}

pub(super) const INSERT_AUDIT: &str =
    "INSERT INTO audit_log (shop_id, at, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5, $6)";
pub(super) const INSERT_EVENT: &str =
    "INSERT INTO payout_events (shop_id, payout_id, at, status, actor, reason) VALUES ($1, $2, $3, $4, $5, $6)";

for_each_store! {
    impl This {
        pub(in crate::store) async fn audit(conn: &mut Conn, a: Audit<'_>) -> Result<(), StoreError> {
            sqlx::query(INSERT_AUDIT)
            .bind(a.shop_id)
            .bind(a.at.unix_millis())
            .bind(a.actor)
            .bind(a.action)
            .bind(a.target)
            .bind(a.detail)
            .execute(conn)
            .await?;
            Ok(())
        }

        /// Audit rows, many to a statement (settlement records a whole batch at once).
        pub(in crate::store) async fn audits(conn: &mut Conn, audits: &[Audit<'_>]) -> Result<(), StoreError> {
            for chunk in audits.chunks(ROWS_PER_STATEMENT) {
                let mut qb = QueryBuilder::<Db>::new("INSERT INTO audit_log (shop_id, at, actor, action, target, detail) ");
                qb.push_values(chunk, |mut row, a| {
                    row.push_bind(a.shop_id)
                        .push_bind(a.at.unix_millis())
                        .push_bind(a.actor)
                        .push_bind(a.action)
                        .push_bind(a.target)
                        .push_bind(a.detail);
                });
                qb.build().execute(&mut *conn).await?;
            }
            Ok(())
        }

        /// Payout events, many to a statement.
        pub(in crate::store) async fn events(conn: &mut Conn, events: &[Event<'_>]) -> Result<(), StoreError> {
            for chunk in events.chunks(ROWS_PER_STATEMENT) {
                let mut qb = QueryBuilder::<Db>::new("INSERT INTO payout_events (shop_id, payout_id, at, status, actor, reason) ");
                qb.push_values(chunk, |mut row, e| {
                    row.push_bind(e.key.shop_id)
                        .push_bind(e.key.id)
                        .push_bind(e.at.unix_millis())
                        .push_bind(e.status.as_str())
                        .push_bind(e.actor)
                        .push_bind(e.reason);
                });
                qb.build().execute(&mut *conn).await?;
            }
            Ok(())
        }

        /// One step of a payout's lifecycle.
        pub(in crate::store) async fn event(
            conn: &mut Conn,
            key: crate::store::PayoutKey,
            at: Time,
            status: PayoutStatus,
            actor: &str,
            reason: Option<&str>,
        ) -> Result<(), StoreError> {
            sqlx::query(INSERT_EVENT)
            .bind(key.shop_id)
            .bind(key.id)
            .bind(at.unix_millis())
            .bind(status.as_str())
            .bind(actor)
            .bind(reason)
            .execute(conn)
            .await?;
            Ok(())
        }
    }

    #[async_trait]
    impl AuditStore for This {
        async fn audit_page(&self, shop_id: i64, page: u32, per_page: u32) -> Result<Page<AuditEntry>, StoreError> {
            let mut tx = self.begin_read().await?;
            let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE shop_id = $1")
                .bind(shop_id)
                .fetch_one(&mut *tx)
                .await?;
            let items = sqlx::query_as::<_, AuditRow>(
                "SELECT id, at, actor, action, target, detail FROM audit_log WHERE shop_id = $1 \
                 ORDER BY id DESC LIMIT $2 OFFSET $3",
            )
            .bind(shop_id)
            .bind(i64::from(per_page))
            .bind(i64::from(page.saturating_sub(1)) * i64::from(per_page))
            .fetch_all(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(Page { items: items.into_iter().map(AuditEntry::from).collect(), total: u64::try_from(total).unwrap_or(0) })
        }
    }
}
