//! Approval above a threshold (SPEC §11.2): the main account's queue, its decisions, and the
//! expiry of payouts nobody decided in time. Every decision is one transaction under the shop's
//! lock, conditional on the payout still awaiting approval, so two decisions sent at once give
//! one decision and one `409`, and no decision interleaves with a payout being checked.

use std::collections::BTreeMap;

use async_trait::async_trait;
use payout_core::api::{PayoutStatus, PayoutView};
use payout_core::approval::{APPROVED, EXPIRED, SYSTEM_ACTOR};
use payout_core::webhooks::EventType;
use payout_core::{ShopStatus, Time};

use super::audit::Audit;
use super::rows::{named, payout_views, select_payouts, PayoutRow};
use super::{Actor, Lock, Page, PayoutKey, StoreError};

/// What the main account decided.
#[derive(Clone, Debug)]
pub enum Decision {
    Approve,
    /// With the reason the agent will see (already checked: R-A1).
    Reject(String),
}

#[derive(Debug)]
pub enum DecideOutcome {
    Decided(Box<PayoutView>),
    /// No such payout in the actor's shop.
    NotFound,
    /// Decided already (by someone else, or it expired): its status now.
    NotAwaiting(PayoutStatus),
    /// The shop is not active: nothing may be paid (R-E6), so nothing may be approved.
    ShopNotActive,
}

#[async_trait]
pub trait ApprovalStore: Send + Sync + 'static {
    /// Payouts awaiting approval, oldest first.
    async fn approvals_page(
        &self,
        shop_id: i64,
        page: u32,
        per_page: u32,
    ) -> Result<Page<PayoutView>, StoreError>;
    /// Approves (→ `pending`) or rejects (→ `rejected`, reservation released) one payout. A payout
    /// created at or before `expired_before` is expired instead, and answered as not awaiting.
    async fn decide(
        &self,
        actor: &Actor,
        id: i64,
        decision: &Decision,
        expired_before: Time,
        now: Time,
    ) -> Result<DecideOutcome, StoreError>;
    /// Rejects as expired every payout still awaiting approval that was created at or before
    /// `expired_before`, one transaction per shop. Returns how many.
    async fn expire_approvals(&self, expired_before: Time, now: Time) -> Result<u64, StoreError>;
}

#[derive(sqlx::FromRow)]
struct AwaitingRow {
    status: String,
    amount_fen: i64,
    source_account: String,
    created_at: i64,
}

#[derive(sqlx::FromRow)]
struct DueRow {
    shop_id: i64,
    id: i64,
}

for_each_store! {
    impl This {
        /// `awaiting_approval` → `rejected` with `reason`, releasing the reservation; the caller
        /// holds the shop's lock and has seen the payout awaiting approval.
        async fn reject_one(
            conn: &mut Conn,
            key: PayoutKey,
            held: &AwaitingRow,
            by: &str,
            reason: &str,
            now: Time,
        ) -> Result<bool, StoreError> {
            let changed = sqlx::query(
                "UPDATE payouts SET status = 'rejected', reject_reason = $1, decided_by = $2, decided_at = $3, updated_at = $3 \
                 WHERE shop_id = $4 AND id = $5 AND status = 'awaiting_approval'",
            )
            .bind(reason)
            .bind(by)
            .bind(now.unix_millis())
            .bind(key.shop_id)
            .bind(key.id)
            .execute(&mut *conn)
            .await?
            .rows_affected();
            if changed == 0 {
                return Ok(false);
            }
            sqlx::query("UPDATE accounts SET reserved_fen = reserved_fen - $1 WHERE shop_id = $2 AND kind = $3")
                .bind(held.amount_fen)
                .bind(key.shop_id)
                .bind(&held.source_account)
                .execute(&mut *conn)
                .await?;
            This::event(&mut *conn, key, now, PayoutStatus::Rejected, by, Some(reason)).await?;
            let target = format!("payout:{}", key.id);
            let audit = Audit { shop_id: key.shop_id, at: now, actor: by, action: "payout.rejected", target: &target, detail: reason };
            This::audit(&mut *conn, audit).await?;
            This::emit_about(conn, key.shop_id, EventType::Rejected, &[key.id], now).await?;
            Ok(true)
        }

        async fn awaiting(conn: &mut Conn, key: PayoutKey) -> Result<Option<AwaitingRow>, StoreError> {
            Ok(sqlx::query_as::<_, AwaitingRow>(
                "SELECT status, amount_fen, source_account, created_at FROM payouts WHERE shop_id = $1 AND id = $2",
            )
            .bind(key.shop_id)
            .bind(key.id)
            .fetch_optional(conn)
            .await?)
        }
    }

    #[async_trait]
    impl ApprovalStore for This {
        async fn approvals_page(&self, shop_id: i64, page: u32, per_page: u32) -> Result<Page<PayoutView>, StoreError> {
            let mut tx = self.begin_read().await?;
            let total: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM payouts WHERE shop_id = $1 AND status = 'awaiting_approval'",
            )
            .bind(shop_id)
            .fetch_one(&mut *tx)
            .await?;
            let rows = sqlx::query_as::<_, PayoutRow>(select_payouts!(
                "WHERE p.shop_id = $1 AND p.status = 'awaiting_approval' ORDER BY p.created_at, p.id LIMIT $2 OFFSET $3"
            ))
            .bind(shop_id)
            .bind(i64::from(per_page))
            .bind(i64::from(page.saturating_sub(1)) * i64::from(per_page))
            .fetch_all(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(Page { items: payout_views(rows)?, total: u64::try_from(total).unwrap_or(0) })
        }

        async fn decide(&self, actor: &Actor, id: i64, decision: &Decision, expired_before: Time, now: Time) -> Result<DecideOutcome, StoreError> {
            let key = PayoutKey { shop_id: actor.shop_id, id };
            let mut tx = self.begin_write(Lock::Shop(actor.shop_id)).await?;
            let Some(held) = This::awaiting(&mut tx, key).await? else {
                return tx.finish(DecideOutcome::NotFound).await;
            };
            let status = named(&held.status, PayoutStatus::parse)?;
            if status != PayoutStatus::AwaitingApproval {
                return tx.finish(DecideOutcome::NotAwaiting(status)).await;
            }
            if held.created_at <= expired_before.unix_millis() {
                // Expired before anyone decided: record that, whatever was asked.
                This::reject_one(&mut tx, key, &held, SYSTEM_ACTOR, EXPIRED, now).await?;
                tx.commit().await?;
                return Ok(DecideOutcome::NotAwaiting(PayoutStatus::Rejected));
            }
            match decision {
                Decision::Reject(reason) => {
                    This::reject_one(&mut tx, key, &held, &actor.username, reason, now).await?;
                }
                Decision::Approve => {
                    let shop_status: String = sqlx::query_scalar("SELECT status FROM shops WHERE id = $1")
                        .bind(actor.shop_id)
                        .fetch_one(&mut *tx)
                        .await?;
                    if !named(&shop_status, ShopStatus::parse)?.is_active() {
                        return tx.finish(DecideOutcome::ShopNotActive).await;
                    }
                    // It was counted and reserved since it was created: approving moves no limit.
                    sqlx::query(
                        "UPDATE payouts SET status = 'pending', decided_by = $1, decided_at = $2, updated_at = $2 \
                         WHERE shop_id = $3 AND id = $4 AND status = 'awaiting_approval'",
                    )
                    .bind(&actor.username)
                    .bind(now.unix_millis())
                    .bind(key.shop_id)
                    .bind(key.id)
                    .execute(&mut *tx)
                    .await?;
                    This::event(&mut tx, key, now, PayoutStatus::Pending, &actor.username, Some(APPROVED)).await?;
                    let target = format!("payout:{id}");
                    let audit = Audit { shop_id: key.shop_id, at: now, actor: &actor.username, action: "payout.approved", target: &target, detail: "" };
                    This::audit(&mut tx, audit).await?;
                    This::emit_about(&mut tx, key.shop_id, EventType::Approved, &[key.id], now).await?;
                }
            }
            let view = This::payout_view(&mut tx, key).await?;
            tx.commit().await?;
            Ok(DecideOutcome::Decided(Box::new(view)))
        }

        async fn expire_approvals(&self, expired_before: Time, now: Time) -> Result<u64, StoreError> {
            let due = sqlx::query_as::<_, DueRow>(
                "SELECT shop_id, id FROM payouts WHERE status = 'awaiting_approval' AND created_at <= $1 ORDER BY created_at LIMIT 500",
            )
            .bind(expired_before.unix_millis())
            .fetch_all(&self.pool)
            .await?;
            let mut by_shop: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
            for row in due {
                by_shop.entry(row.shop_id).or_default().push(row.id);
            }
            let mut expired = 0;
            for (shop_id, ids) in by_shop {
                let mut tx = self.begin_write(Lock::Shop(shop_id)).await?;
                for id in ids {
                    let key = PayoutKey { shop_id, id };
                    // Read again under the lock: a decision may have come first.
                    let Some(held) = This::awaiting(&mut tx, key).await? else { continue };
                    if held.status == PayoutStatus::AwaitingApproval.as_str()
                        && This::reject_one(&mut tx, key, &held, SYSTEM_ACTOR, EXPIRED, now).await?
                    {
                        expired += 1;
                    }
                }
                tx.commit().await?;
            }
            Ok(expired)
        }
    }
}
