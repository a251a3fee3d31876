//! Settlement: claiming payouts for the rail under a lease, and recording what the rail said.

use std::collections::BTreeMap;

use async_trait::async_trait;
use payout_core::api::{PayoutStatus, SETTLEMENT_ACTOR};
use payout_core::notification::buyer_notification;
use payout_core::{AccountKind, Time};
use sqlx::QueryBuilder;

use super::audit::Audit;
use super::rows::{money, named};
use super::{Claimed, Lock, PayoutKey, Settlement, StoreError};

#[async_trait]
pub trait SettlementStore: Send + Sync + 'static {
    /// Claims up to `limit` payouts for `owner` until `lease_until`, in one transaction: every
    /// `pending` one (→ `processing`) and every `processing` one whose lease has expired.
    async fn claim(
        &self,
        owner: &str,
        limit: u32,
        now: Time,
        lease_until: Time,
    ) -> Result<Vec<Claimed>, StoreError>;
    /// Extends (or, with `lease_until` now, ends) `owner`'s leases on `payouts`.
    async fn renew(&self, owner: &str, payouts: &[PayoutKey], lease_until: Time) -> Result<(), StoreError>;
    /// Lets go of a claim, so that the payout is tried again (by anyone) from `retry_at`.
    async fn release(&self, owner: &str, payout: PayoutKey, retry_at: Time) -> Result<(), StoreError>;
    /// `processing` → final for each result `owner` still holds the claim of, moving the
    /// reservation (debit on success, release on failure): one transaction per shop, under the
    /// shop's lock. A payout settled already or claimed by another worker is skipped, so each is
    /// settled exactly once. Returns how many were settled.
    async fn settle(
        &self,
        owner: &str,
        results: &[(PayoutKey, Settlement)],
        now: Time,
    ) -> Result<usize, StoreError>;
    /// Takes the claim of a `processing` payout for `owner` whoever holds it, so the main account
    /// can ask the rail again about a stuck payout (SPEC §11.4). The previous owner's result is
    /// then skipped by `settle`. `None` when the payout is not processing.
    async fn take_over(
        &self,
        owner: &str,
        payout: PayoutKey,
        actor: &str,
        now: Time,
        lease_until: Time,
    ) -> Result<Option<Claimed>, StoreError>;
}

/// The claimable payouts, oldest first: `pending` ones, and `processing` ones whose lease has
/// expired or was given up (the worker does not start a second rail call for one of its own that
/// it still has at the rail). The condition repeats the partial index's, so only unfinished
/// payouts are read.
macro_rules! claimable {
    ($($tail:literal)?) => {
        concat!(
            "SELECT shop_id, id, amount_fen, source_account, status, claim_owner IS NOT NULL AS had_owner FROM payouts \
             WHERE status IN ('pending', 'processing') \
               AND (status = 'pending' OR claim_until IS NULL OR claim_until <= $1) \
             ORDER BY id LIMIT $2"
            $(, $tail)?
        )
    };
}
/// SQLite: the transaction holds the database's write lock, so no other worker is claiming.
const CLAIM_SQLITE: &str = claimable!();
/// PostgreSQL: rows another worker is claiming right now are skipped, not waited for, so any
/// number of workers split the queue.
const CLAIM_POSTGRES: &str = claimable!(" FOR UPDATE SKIP LOCKED");

#[derive(sqlx::FromRow)]
struct ClaimRow {
    shop_id: i64,
    id: i64,
    amount_fen: i64,
    source_account: String,
    status: String,
    had_owner: bool,
}

#[derive(sqlx::FromRow)]
struct HeldRow {
    amount_fen: i64,
    source_account: String,
    buyer_message: Option<String>,
}

for_each_store! {
    #[async_trait]
    impl SettlementStore for This {
        async fn claim(&self, owner: &str, limit: u32, now: Time, lease_until: Time) -> Result<Vec<Claimed>, StoreError> {
            let mut tx = self.begin_write(Lock::Rows).await?;
            let rows = sqlx::query_as::<_, ClaimRow>(This::dialect(CLAIM_SQLITE, CLAIM_POSTGRES))
                .bind(now.unix_millis())
                .bind(i64::from(limit))
                .fetch_all(&mut *tx)
                .await?;
            let mut claimed = Vec::with_capacity(rows.len());
            for row in rows {
                let key = PayoutKey { shop_id: row.shop_id, id: row.id };
                let processing = named(&row.status, PayoutStatus::parse)? == PayoutStatus::Processing;
                // A claim let go after failed attempts has no owner: trying it again is no takeover.
                let taken_over = processing && row.had_owner;
                // `updated_at` stays the moment it went `processing`: the stuck clock (SPEC §11.4)
                // does not restart when a claim is taken over.
                sqlx::query(
                    "UPDATE payouts SET status = 'processing', claim_owner = $1, claim_until = $2, \
                            updated_at = CASE WHEN status = 'pending' THEN $3 ELSE updated_at END \
                     WHERE shop_id = $4 AND id = $5",
                )
                .bind(owner)
                .bind(lease_until.unix_millis())
                .bind(now.unix_millis())
                .bind(key.shop_id)
                .bind(key.id)
                .execute(&mut *tx)
                .await?;
                let target = format!("payout:{}", key.id);
                let audit = |action, detail| Audit {
                    shop_id: key.shop_id,
                    at: now,
                    actor: SETTLEMENT_ACTOR,
                    action,
                    target: &target,
                    detail,
                };
                if taken_over {
                    let detail = "claim taken over after its lease expired; asking the rail again";
                    This::audit(&mut tx, audit("payout.claim_taken_over", detail)).await?;
                } else if !processing {
                    This::event(&mut tx, key, now, PayoutStatus::Processing, SETTLEMENT_ACTOR, None).await?;
                    This::audit(&mut tx, audit("payout.processing", "handed to the payment rail")).await?;
                }
                claimed.push(Claimed {
                    key,
                    amount: money(row.amount_fen)?,
                    source_account: named(&row.source_account, AccountKind::parse)?,
                    taken_over,
                });
            }
            tx.commit().await?;
            Ok(claimed)
        }

        async fn renew(&self, owner: &str, payouts: &[PayoutKey], lease_until: Time) -> Result<(), StoreError> {
            if payouts.is_empty() {
                return Ok(());
            }
            let mut tx = self.begin_write(Lock::Rows).await?;
            for chunk in payouts.chunks(400) {
                // Rows another transaction holds (a settlement recording them final) are skipped on
                // PostgreSQL, not waited for: renewing a payout being settled is pointless, and
                // waiting could close a lock cycle with that settlement.
                let mut qb = QueryBuilder::<Db>::new("UPDATE payouts SET claim_until = ");
                qb.push_bind(lease_until.unix_millis())
                    .push(" WHERE (shop_id, id) IN (SELECT shop_id, id FROM payouts WHERE claim_owner = ")
                    .push_bind(owner)
                    .push(" AND status = 'processing' AND (shop_id, id) IN (VALUES ");
                let mut list = qb.separated(", ");
                for key in chunk {
                    list.push("(").push_bind_unseparated(key.shop_id).push_unseparated(", ");
                    list.push_bind_unseparated(key.id).push_unseparated(")");
                }
                qb.push(")").push(This::dialect("", " FOR UPDATE SKIP LOCKED")).push(")");
                qb.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(())
        }

        async fn release(&self, owner: &str, payout: PayoutKey, retry_at: Time) -> Result<(), StoreError> {
            let mut tx = self.begin_write(Lock::Rows).await?;
            sqlx::query(
                "UPDATE payouts SET claim_owner = NULL, claim_until = $1 \
                 WHERE shop_id = $2 AND id = $3 AND claim_owner = $4 AND status = 'processing'",
            )
            .bind(retry_at.unix_millis())
            .bind(payout.shop_id)
            .bind(payout.id)
            .bind(owner)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(())
        }

        async fn settle(&self, owner: &str, results: &[(PayoutKey, Settlement)], now: Time) -> Result<usize, StoreError> {
            let mut by_shop: BTreeMap<i64, Vec<&(PayoutKey, Settlement)>> = BTreeMap::new();
            for result in results {
                by_shop.entry(result.0.shop_id).or_default().push(result);
            }
            let mut settled = 0;
            for (shop_id, results) in by_shop {
                let mut tx = self.begin_write(Lock::Shop(shop_id)).await?;
                let shop_name: String = sqlx::query_scalar("SELECT name FROM shops WHERE id = $1")
                    .bind(shop_id)
                    .fetch_one(&mut *tx)
                    .await?;
                for (key, outcome) in results {
                    let held = sqlx::query_as::<_, HeldRow>(
                        "SELECT amount_fen, source_account, buyer_message FROM payouts \
                         WHERE shop_id = $1 AND id = $2 AND status = 'processing' AND claim_owner = $3",
                    )
                    .bind(key.shop_id)
                    .bind(key.id)
                    .bind(owner)
                    .fetch_optional(&mut *tx)
                    .await?;
                    let Some(held) = held else { continue };
                    let (status, reason, debit) = match outcome {
                        Settlement::Succeeded => (PayoutStatus::Succeeded, None, held.amount_fen),
                        Settlement::Failed { reason } => (PayoutStatus::Failed, Some(reason.as_str()), 0),
                    };
                    // Still ours when written: a claim (which takes no shop lock) may have taken it
                    // over since the read; then the new owner settles it, not us.
                    let ours = sqlx::query(
                        "UPDATE payouts SET status = $1, failure_reason = $2, updated_at = $3, claim_owner = NULL, claim_until = NULL \
                         WHERE shop_id = $4 AND id = $5 AND status = 'processing' AND claim_owner = $6",
                    )
                    .bind(status.as_str())
                    .bind(reason)
                    .bind(now.unix_millis())
                    .bind(key.shop_id)
                    .bind(key.id)
                    .bind(owner)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if ours == 0 {
                        continue;
                    }
                    // Success turns the reservation into a debit; failure only releases it.
                    sqlx::query(
                        "UPDATE accounts SET balance_fen = balance_fen - $1, reserved_fen = reserved_fen - $2 \
                         WHERE shop_id = $3 AND kind = $4",
                    )
                    .bind(debit)
                    .bind(held.amount_fen)
                    .bind(key.shop_id)
                    .bind(&held.source_account)
                    .execute(&mut *tx)
                    .await?;
                    This::event(&mut tx, *key, now, status, SETTLEMENT_ACTOR, reason).await?;
                    if status == PayoutStatus::Succeeded {
                        // The outbox row commits with `succeeded` or not at all (SPEC §11.3).
                        let text = buyer_notification(&shop_name, money(held.amount_fen)?, held.buyer_message.as_deref());
                        sqlx::query(
                            "INSERT INTO notifications (shop_id, payout_id, text, created_at, next_attempt_at) VALUES ($1, $2, $3, $4, $4)",
                        )
                        .bind(key.shop_id)
                        .bind(key.id)
                        .bind(text)
                        .bind(now.unix_millis())
                        .execute(&mut *tx)
                        .await?;
                    }
                    let action = format!("payout.{}", status.as_str());
                    let target = format!("payout:{}", key.id);
                    let audit = Audit {
                        shop_id: key.shop_id,
                        at: now,
                        actor: SETTLEMENT_ACTOR,
                        action: &action,
                        target: &target,
                        detail: reason.unwrap_or(""),
                    };
                    This::audit(&mut tx, audit).await?;
                    settled += 1;
                }
                tx.commit().await?;
            }
            Ok(settled)
        }

        async fn take_over(&self, owner: &str, payout: PayoutKey, actor: &str, now: Time, lease_until: Time) -> Result<Option<Claimed>, StoreError> {
            let mut tx = self.begin_write(Lock::Rows).await?;
            let held = sqlx::query_as::<_, HeldRow>(
                "UPDATE payouts SET claim_owner = $1, claim_until = $2 \
                 WHERE shop_id = $3 AND id = $4 AND status = 'processing' \
                 RETURNING amount_fen, source_account, buyer_message",
            )
            .bind(owner)
            .bind(lease_until.unix_millis())
            .bind(payout.shop_id)
            .bind(payout.id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(held) = held else {
                return tx.finish(None).await;
            };
            let target = format!("payout:{}", payout.id);
            let audit = Audit {
                shop_id: payout.shop_id,
                at: now,
                actor,
                action: "payout.status_query",
                target: &target,
                detail: "asked the payment rail again about a stuck payout",
            };
            This::audit(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(Some(Claimed {
                key: payout,
                amount: money(held.amount_fen)?,
                source_account: named(&held.source_account, AccountKind::parse)?,
                taken_over: true,
            }))
        }
    }
}
