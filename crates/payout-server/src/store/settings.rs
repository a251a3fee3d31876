//! The shop's payout settings (which account pays) and custody top-ups (SPEC D8).

use async_trait::async_trait;
use payout_core::api::{PayoutSettings, TopUpView};
use payout_core::{AccountKind, Money, Qualification, ShopStatus, Time};

use super::audit::Audit;
use super::idempotency::{Key, Recorded, Seen};
use super::rows::{money, named, TopUpRow};
use super::{Actor, Lock, NewTopUp, StoreError, TopUpOutcome};
use crate::views::source_account_view;

#[async_trait]
pub trait SettingsStore: Send + Sync + 'static {
    async fn settings(&self, shop_id: i64) -> Result<PayoutSettings, StoreError>;
    async fn settings_update(
        &self,
        actor: &Actor,
        change: &SettingsChange,
        now: Time,
    ) -> Result<(), StoreError>;
    /// One transaction: the idempotency key, the shop's status, the reference's uniqueness and
    /// the balance ceiling are all checked where the balance is raised (D8).
    async fn top_up(&self, new: NewTopUp<'_>, now: Time) -> Result<TopUpOutcome, StoreError>;
}

/// A validated settings change; `None` fields stay as they are.
#[derive(Clone, Copy, Debug)]
pub struct SettingsChange {
    pub source_account: AccountKind,
    /// `Some(None)` removes the threshold.
    pub approval_threshold: Option<Option<Money>>,
    pub require_reason: Option<bool>,
    pub require_two_factor: Option<bool>,
}

#[derive(sqlx::FromRow)]
struct SettingsRow {
    qualification: String,
    selected_source_account: String,
    approval_threshold_fen: Option<i64>,
    require_reason: bool,
    require_two_factor: bool,
}

fn threshold_text(fen: Option<i64>) -> String {
    fen.and_then(Money::from_fen).map_or_else(|| "none".to_owned(), |m| m.to_string())
}

for_each_store! {
    #[async_trait]
    impl SettingsStore for This {
        async fn settings(&self, shop_id: i64) -> Result<PayoutSettings, StoreError> {
            let mut tx = self.begin_read().await?;
            let shop = sqlx::query_as::<_, SettingsRow>(
                "SELECT qualification, selected_source_account, approval_threshold_fen, require_reason, require_two_factor FROM shops WHERE id = $1",
            )
            .bind(shop_id)
            .fetch_one(&mut *tx)
            .await?;
            let qualification = named(&shop.qualification, Qualification::parse)?;
            let accounts = crate::store::payouts::accounts(&mut *tx, shop_id).await?;
            let top_ups = sqlx::query_as::<_, TopUpRow>(
                "SELECT id, amount_fen, reference, actor, created_at FROM top_ups WHERE shop_id = $1 ORDER BY id DESC LIMIT 20",
            )
            .bind(shop_id)
            .fetch_all(&mut *tx)
            .await?;
            tx.commit().await?;
            let movements = crate::store::KeyStore::movements(self, shop_id).await?;
            Ok(PayoutSettings {
                qualification,
                selected_source_account: named(&shop.selected_source_account, AccountKind::parse)?,
                accounts: accounts.iter().map(|a| source_account_view(a, qualification)).collect(),
                top_ups: top_ups.into_iter().map(TopUpRow::view).collect::<Result<_, _>>()?,
                approval_threshold: shop.approval_threshold_fen.map(money).transpose()?,
                require_reason: shop.require_reason,
                require_two_factor: shop.require_two_factor,
                movements,
            })
        }

        async fn settings_update(&self, actor: &Actor, change: &SettingsChange, now: Time) -> Result<(), StoreError> {
            let mut tx = self.begin_write(Lock::Shop(actor.shop_id)).await?;
            let old = sqlx::query_as::<_, SettingsRow>(
                "SELECT qualification, selected_source_account, approval_threshold_fen, require_reason, require_two_factor FROM shops WHERE id = $1",
            )
            .bind(actor.shop_id)
            .fetch_one(&mut *tx)
            .await?;
            let threshold = match change.approval_threshold {
                Some(new) => new.map(Money::to_fen),
                None => old.approval_threshold_fen,
            };
            let require_reason = change.require_reason.unwrap_or(old.require_reason);
            let require_two_factor = change.require_two_factor.unwrap_or(old.require_two_factor);
            sqlx::query(
                "UPDATE shops SET selected_source_account = $1, approval_threshold_fen = $2, require_reason = $3, \
                                  require_two_factor = $4 WHERE id = $5",
            )
            .bind(change.source_account.as_str())
            .bind(threshold)
            .bind(require_reason)
            .bind(require_two_factor)
            .bind(actor.shop_id)
            .execute(&mut *tx)
            .await?;
            let detail = format!(
                "source account {} → {}; approval threshold {} → {}; reason required {} → {}; two-step verification required {} → {}",
                old.selected_source_account,
                change.source_account.as_str(),
                threshold_text(old.approval_threshold_fen),
                threshold_text(threshold),
                old.require_reason,
                require_reason,
                old.require_two_factor,
                require_two_factor,
            );
            let target = format!("shop:{}", actor.shop_id);
            let audit = Audit {
                shop_id: actor.shop_id,
                at: now,
                actor: &actor.username,
                action: "settings.updated",
                target: &target,
                detail: &detail,
            };
            This::audit(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(())
        }

        async fn top_up(&self, new: NewTopUp<'_>, now: Time) -> Result<TopUpOutcome, StoreError> {
            let actor = new.actor;
            let shop_id = actor.shop_id;
            let mut tx = self.begin_write(Lock::Shop(shop_id)).await?;
            let key = Key { shop_id, user_id: actor.user_id, key: new.idempotency_key, request_hash: &new.request_hash };
            match This::seen_key(&mut tx, key).await? {
                Some(Seen::Same(Recorded::TopUpCreated { top_up })) => {
                    return tx.finish(TopUpOutcome::Created { top_up, replayed: true }).await;
                }
                // A key first used for a payout: another request.
                Some(Seen::Same(_)) => return tx.finish(TopUpOutcome::KeyReused).await,
                Some(Seen::Other) => return tx.finish(TopUpOutcome::KeyReused).await,
                None => {}
            }
            let status: String =
                sqlx::query_scalar("SELECT status FROM shops WHERE id = $1").bind(shop_id).fetch_one(&mut *tx).await?;
            if !named(&status, ShopStatus::parse)?.is_active() {
                return tx.finish(TopUpOutcome::ShopNotActive).await;
            }
            let used: Option<i64> = sqlx::query_scalar("SELECT id FROM top_ups WHERE shop_id = $1 AND reference = $2")
                .bind(shop_id)
                .bind(new.reference)
                .fetch_optional(&mut *tx)
                .await?;
            if used.is_some() {
                return tx.finish(TopUpOutcome::ReferenceUsed).await;
            }
            let balance: i64 =
                sqlx::query_scalar("SELECT balance_fen FROM accounts WHERE shop_id = $1 AND kind = 'custody'")
                    .bind(shop_id)
                    .fetch_one(&mut *tx)
                    .await?;
            let balance = money(balance)?;
            if balance.checked_add(new.amount).is_none_or(|after| after > new.ceiling) {
                return tx.finish(TopUpOutcome::AboveCeiling { balance }).await;
            }
            sqlx::query(
                "UPDATE accounts SET balance_fen = balance_fen + $1, opened = TRUE WHERE shop_id = $2 AND kind = 'custody'",
            )
            .bind(new.amount.to_fen())
            .bind(shop_id)
            .execute(&mut *tx)
            .await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO top_ups (shop_id, amount_fen, reference, actor, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(shop_id)
            .bind(new.amount.to_fen())
            .bind(new.reference)
            .bind(&actor.username)
            .bind(now.unix_millis())
            .fetch_one(&mut *tx)
            .await?;
            let detail = format!("custody top-up ¥{}, reference {}", new.amount, new.reference);
            let target = format!("top_up:{id}");
            let audit = Audit { shop_id, at: now, actor: &actor.username, action: "custody.topped_up", target: &target, detail: &detail };
            This::audit(&mut tx, audit).await?;
            let view = TopUpView {
                id,
                amount: new.amount,
                reference: new.reference.to_owned(),
                actor: actor.username.clone(),
                created_at: now,
            };
            This::record_key(&mut tx, key, &Recorded::TopUpCreated { top_up: view.clone() }, now).await?;
            tx.commit().await?;
            Ok(TopUpOutcome::Created { top_up: view, replayed: false })
        }
    }
}
