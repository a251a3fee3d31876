//! Settlement: claiming payouts for the rail under a lease, and recording what the rail said.

use std::collections::BTreeMap;

use async_trait::async_trait;
use payout_core::api::{PayoutStatus, SETTLEMENT_ACTOR};
use payout_core::notification::buyer_notification;
use payout_core::webhooks::EventType;
use payout_core::{AccountKind, Time};
use sqlx::QueryBuilder;

use super::audit::{Audit, Event, ROWS_PER_STATEMENT};
use super::rows::{money, named};
use super::{Claimed, Lock, PayoutKey, Settlement, StoreError, TakeOver};

/// How the owners of status queries' claims begin (the settlement workers' begin with `worker-`).
pub const STATUS_QUERY_OWNER: &str = "status-query-";

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
    /// When the oldest payout not yet final (pending or processing) was created, if any.
    async fn oldest_unsettled(&self) -> Result<Option<Time>, StoreError>;
    /// Reports the payouts that became stuck (`processing` since before `stuck_before`) once each:
    /// marked, and `payout.stuck` written for the shops that listen. Returns how many.
    async fn report_stuck(&self, stuck_before: Time, now: Time) -> Result<u64, StoreError>;
    /// Takes the claim of a stuck payout (`processing` since before `stuck_before`, strictly) for `owner`,
    /// whichever worker holds it, so the main account can ask the rail about it (SPEC §11.4); the
    /// previous owner's result is then skipped by `settle`. A claim another status query holds
    /// (an `owner` starting with [`STATUS_QUERY_OWNER`]) is not taken until its lease ends, so
    /// queries sent at once make one rail call.
    async fn take_over(
        &self,
        owner: &str,
        payout: PayoutKey,
        actor: &str,
        now: Time,
        lease_until: Time,
        stuck_before: Time,
    ) -> Result<TakeOver, StoreError>;
}

/// The claimable payouts, oldest first: `pending` ones, and `processing` ones whose lease has
/// expired or was given up (the worker does not start a second rail call for one of its own that
/// it still has at the rail). The condition repeats the partial index's, so only unfinished
/// payouts are read.
macro_rules! claimable {
    ($($tail:literal)?) => {
        concat!(
            "SELECT shop_id, id, amount_fen, source_account, status, claim_owner IS NOT NULL AS had_owner, \
                    (SELECT o.buyer_ref FROM orders o WHERE o.shop_id = payouts.shop_id AND o.id = payouts.order_id) AS buyer_ref \
             FROM payouts \
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
    buyer_ref: Option<String>,
}

#[derive(sqlx::FromRow)]
struct HeldRow {
    amount_fen: i64,
    source_account: String,
    buyer_ref: Option<String>,
}

/// A payout `settle` recorded, as its `UPDATE … RETURNING` gives it back.
#[derive(sqlx::FromRow)]
struct SettledRow {
    id: i64,
    amount_fen: i64,
    source_account: String,
    buyer_message: Option<String>,
    status: String,
    failure_reason: Option<String>,
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
            // One statement per step for the whole batch, not per payout: at thousands of payouts
            // a second, per-row statements held the write lock longer than creating them did.
            let mut claimed = Vec::with_capacity(rows.len());
            let mut fresh = Vec::new();
            // What the audit log says of each: a takeover, or handed to the rail (a claim let go
            // after failed attempts is neither).
            let mut noted = Vec::new();
            for row in &rows {
                let key = PayoutKey { shop_id: row.shop_id, id: row.id };
                let processing = named(&row.status, PayoutStatus::parse)? == PayoutStatus::Processing;
                // A claim let go after failed attempts has no owner: trying it again is no takeover.
                let taken_over = processing && row.had_owner;
                if taken_over {
                    noted.push((key, "payout.claim_taken_over", "claim taken over after its lease expired; asking the rail again"));
                } else if !processing {
                    fresh.push(key);
                    noted.push((key, "payout.processing", "handed to the payment rail"));
                }
                claimed.push(Claimed {
                    key,
                    amount: money(row.amount_fen)?,
                    source_account: named(&row.source_account, AccountKind::parse)?,
                    taken_over,
                    at_rail: processing,
                    buyer_ref: row.buyer_ref.clone(),
                });
            }
            for chunk in claimed.chunks(ROWS_PER_STATEMENT) {
                // `updated_at` stays the moment it went `processing`: the stuck clock (SPEC §11.4)
                // does not restart when a claim is taken over.
                let mut qb = QueryBuilder::<Db>::new("UPDATE payouts SET status = 'processing', claim_owner = ");
                qb.push_bind(owner)
                    .push(", claim_until = ")
                    .push_bind(lease_until.unix_millis())
                    .push(", updated_at = CASE WHEN status = 'pending' THEN ")
                    .push_bind(now.unix_millis())
                    .push(" ELSE updated_at END WHERE ");
                This::push_keys(&mut qb, chunk.iter().map(|c| c.key));
                qb.build().execute(&mut *tx).await?;
            }
            let events: Vec<Event> = fresh
                .iter()
                .map(|&key| Event { key, at: now, status: PayoutStatus::Processing, actor: SETTLEMENT_ACTOR, reason: None })
                .collect();
            This::events(&mut tx, &events).await?;
            let targets: Vec<String> = noted.iter().map(|(key, _, _)| format!("payout:{}", key.id)).collect();
            let audits: Vec<Audit> = noted
                .iter()
                .zip(&targets)
                .map(|(&(key, action, detail), target)| Audit { shop_id: key.shop_id, at: now, actor: SETTLEMENT_ACTOR, action, target, detail })
                .collect();
            This::audits(&mut tx, &audits).await?;
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
                // The batch's results in one statement per step. Only rows still ours are
                // changed and returned: a claim (which takes no shop lock) may have taken one over
                // since; then the new owner settles it, not us.
                let mut done = Vec::with_capacity(results.len());
                for chunk in results.chunks(ROWS_PER_STATEMENT) {
                    let mut qb = QueryBuilder::<Db>::new(
                        "UPDATE payouts SET status = r.column2, failure_reason = r.column3, claim_owner = NULL, claim_until = NULL, updated_at = ",
                    );
                    qb.push_bind(now.unix_millis()).push(" FROM (");
                    qb.push_values(chunk, |mut row, (key, outcome)| {
                        let (status, reason) = match outcome {
                            Settlement::Succeeded => (PayoutStatus::Succeeded, None),
                            Settlement::Failed { reason } => (PayoutStatus::Failed, Some(reason.clone())),
                        };
                        row.push_bind(key.id).push_bind(status.as_str()).push_bind(reason);
                    });
                    qb.push(") AS r WHERE payouts.shop_id = ")
                        .push_bind(shop_id)
                        .push(" AND payouts.id = r.column1 AND payouts.status = 'processing' AND payouts.claim_owner = ")
                        .push_bind(owner)
                        .push(" RETURNING id, amount_fen, source_account, buyer_message, status, failure_reason");
                    done.extend(qb.build_query_as::<SettledRow>().fetch_all(&mut *tx).await?);
                }
                // Success turns the reservation into a debit; failure only releases it.
                let mut by_account: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
                for row in &done {
                    let (debit, release) = by_account.entry(row.source_account.as_str()).or_default();
                    if row.status == PayoutStatus::Succeeded.as_str() {
                        *debit += row.amount_fen;
                    }
                    *release += row.amount_fen;
                }
                for (kind, (debit, release)) in by_account {
                    sqlx::query(
                        "UPDATE accounts SET balance_fen = balance_fen - $1, reserved_fen = reserved_fen - $2 \
                         WHERE shop_id = $3 AND kind = $4",
                    )
                    .bind(debit)
                    .bind(release)
                    .bind(shop_id)
                    .bind(kind)
                    .execute(&mut *tx)
                    .await?;
                }
                let mut events = Vec::with_capacity(done.len());
                let mut notifications = Vec::new();
                let mut audits = Vec::with_capacity(done.len());
                for row in &done {
                    let key = PayoutKey { shop_id, id: row.id };
                    let status = named(&row.status, PayoutStatus::parse)?;
                    events.push(Event { key, at: now, status, actor: SETTLEMENT_ACTOR, reason: row.failure_reason.as_deref() });
                    if status == PayoutStatus::Succeeded {
                        // The outbox row commits with `succeeded` or not at all (SPEC §11.3).
                        let text = buyer_notification(&shop_name, money(row.amount_fen)?, row.buyer_message.as_deref());
                        notifications.push((row.id, text));
                    }
                    audits.push((format!("payout.{}", status.as_str()), format!("payout:{}", row.id), row.failure_reason.as_deref().unwrap_or("")));
                }
                This::events(&mut tx, &events).await?;
                for chunk in notifications.chunks(ROWS_PER_STATEMENT) {
                    let mut qb = QueryBuilder::<Db>::new("INSERT INTO notifications (shop_id, payout_id, text, created_at, next_attempt_at) ");
                    qb.push_values(chunk, |mut row, (id, text)| {
                        row.push_bind(shop_id).push_bind(*id).push_bind(text).push_bind(now.unix_millis()).push_bind(now.unix_millis());
                    });
                    qb.build().execute(&mut *tx).await?;
                }
                let audits: Vec<Audit> = audits
                    .iter()
                    .map(|(action, target, detail)| Audit { shop_id, at: now, actor: SETTLEMENT_ACTOR, action, target, detail })
                    .collect();
                This::audits(&mut tx, &audits).await?;
                // The merchant's systems hear of it in the same transaction (SPEC §12.6).
                for (event, status) in [(EventType::Succeeded, PayoutStatus::Succeeded), (EventType::Failed, PayoutStatus::Failed)] {
                    let ids: Vec<i64> = done.iter().filter(|r| r.status == status.as_str()).map(|r| r.id).collect();
                    This::emit_about(&mut tx, shop_id, event, &ids, now).await?;
                }
                settled += done.len();
                tx.commit().await?;
            }
            Ok(settled)
        }

        async fn oldest_unsettled(&self) -> Result<Option<Time>, StoreError> {
            let oldest: Option<i64> = sqlx::query_scalar("SELECT MIN(created_at) FROM payouts WHERE status IN ('pending', 'processing')")
                .fetch_one(&self.pool)
                .await?;
            Ok(oldest.map(Time::from_unix_millis))
        }

        async fn report_stuck(&self, stuck_before: Time, now: Time) -> Result<u64, StoreError> {
            let mut tx = self.begin_write(Lock::Rows).await?;
            let stuck = sqlx::query_as::<_, (i64, i64)>(
                "UPDATE payouts SET stuck_reported_at = $1 WHERE (shop_id, id) IN \
                   (SELECT shop_id, id FROM payouts WHERE status = 'processing' AND updated_at < $2 AND stuck_reported_at IS NULL LIMIT 500) \
                 RETURNING shop_id, id",
            )
            .bind(now.unix_millis())
            .bind(stuck_before.unix_millis())
            .fetch_all(&mut *tx)
            .await?;
            let mut by_shop: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
            for (shop_id, id) in &stuck {
                by_shop.entry(*shop_id).or_default().push(*id);
            }
            for (shop_id, ids) in by_shop {
                This::emit_about(&mut tx, shop_id, EventType::Stuck, &ids, now).await?;
            }
            tx.commit().await?;
            Ok(stuck.len() as u64)
        }

        async fn take_over(&self, owner: &str, payout: PayoutKey, actor: &str, now: Time, lease_until: Time, stuck_before: Time) -> Result<TakeOver, StoreError> {
            let mut tx = self.begin_write(Lock::Rows).await?;
            let held = sqlx::query_as::<_, HeldRow>(
                "UPDATE payouts SET claim_owner = $1, claim_until = $2 \
                 WHERE shop_id = $3 AND id = $4 AND status = 'processing' AND updated_at < $5 \
                   AND (claim_owner IS NULL OR claim_owner NOT LIKE $6 OR claim_until <= $7) \
                 RETURNING amount_fen, source_account, \
                   (SELECT o.buyer_ref FROM orders o WHERE o.shop_id = payouts.shop_id AND o.id = payouts.order_id) AS buyer_ref",
            )
            .bind(owner)
            .bind(lease_until.unix_millis())
            .bind(payout.shop_id)
            .bind(payout.id)
            .bind(stuck_before.unix_millis())
            .bind(format!("{STATUS_QUERY_OWNER}%"))
            .bind(now.unix_millis())
            .fetch_optional(&mut *tx)
            .await?;
            let Some(held) = held else {
                let status: Option<String> = sqlx::query_scalar("SELECT status FROM payouts WHERE shop_id = $1 AND id = $2")
                    .bind(payout.shop_id)
                    .bind(payout.id)
                    .fetch_optional(&mut *tx)
                    .await?;
                let outcome = match status.map(|s| named(&s, PayoutStatus::parse)).transpose()? {
                    None => TakeOver::NotFound,
                    Some(PayoutStatus::Processing) => {
                        let updated_at: i64 = sqlx::query_scalar("SELECT updated_at FROM payouts WHERE shop_id = $1 AND id = $2")
                            .bind(payout.shop_id)
                            .bind(payout.id)
                            .fetch_one(&mut *tx)
                            .await?;
                        if updated_at < stuck_before.unix_millis() { TakeOver::Busy } else { TakeOver::NotStuck(PayoutStatus::Processing) }
                    }
                    Some(status) => TakeOver::NotStuck(status),
                };
                return tx.finish(outcome).await;
            };
            let target = format!("payout:{}", payout.id);
            let audit = Audit {
                shop_id: payout.shop_id,
                at: now,
                actor,
                action: "payout.status_query",
                target: &target,
                detail: "asked the payment rail about a stuck payout",
            };
            This::audit(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(TakeOver::Taken(Claimed {
                key: payout,
                amount: money(held.amount_fen)?,
                source_account: named(&held.source_account, AccountKind::parse)?,
                taken_over: true,
                at_rail: true,
                buyer_ref: held.buyer_ref,
            }))
        }
    }
}
