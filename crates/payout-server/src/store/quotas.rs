//! Sub-accounts' quotas and grants (SPEC D6, D7): read with today's use, changed in one
//! transaction under the shop's lock, so a payout never sees half a grant.

use async_trait::async_trait;
use jiff::civil::Date;
use payout_core::api::QuotaView;
use payout_core::{Money, Role, Time};

use super::audit::Audit;
use super::rows::{counted, money};
use super::{Actor, GrantOutcome, Lock, QuotaChange, StoreError};

#[async_trait]
pub trait QuotaStore: Send + Sync + 'static {
    async fn quotas(&self, shop_id: i64, today: Date) -> Result<Vec<QuotaView>, StoreError>;
    /// D6/D7 are checked inside the transaction against the stored rows of both accounts.
    async fn quota_update(
        &self,
        actor: &Actor,
        sub_account_id: i64,
        change: QuotaChange,
        now: Time,
    ) -> Result<GrantOutcome, StoreError>;
    /// The main account grants or revokes payout permission and the quota-manager role (D6).
    async fn permissions_update(
        &self,
        actor: &Actor,
        sub_account_id: i64,
        payout: bool,
        manage_quotas: bool,
        now: Time,
    ) -> Result<GrantOutcome, StoreError>;
}

/// A sub-account's row, for the grant checks of D6/D7.
#[derive(sqlx::FromRow)]
struct SubAccount {
    username: String,
    payout_enabled: bool,
    manage_quotas: bool,
    quota_enabled: bool,
    per_payout_limit_fen: i64,
    daily_limit_fen: i64,
}

#[derive(sqlx::FromRow)]
struct QuotaRow {
    id: i64,
    username: String,
    display_name: String,
    quota_enabled: bool,
    per_payout_limit_fen: i64,
    daily_limit_fen: i64,
    manage_quotas: bool,
    payout_enabled: bool,
    used_today_fen: i64,
}

impl QuotaRow {
    fn view(self) -> Result<QuotaView, StoreError> {
        Ok(QuotaView {
            sub_account_id: self.id,
            username: self.username,
            display_name: self.display_name,
            enabled: self.quota_enabled,
            per_payout_limit: money(self.per_payout_limit_fen)?,
            daily_limit: money(self.daily_limit_fen)?,
            manage_quotas: self.manage_quotas,
            used_today: money(self.used_today_fen)?,
            payout_permission: self.payout_enabled,
        })
    }
}

for_each_store! {
    impl This {
        async fn sub_account(conn: &mut Conn, shop_id: i64, id: i64) -> Result<Option<SubAccount>, StoreError> {
            Ok(sqlx::query_as::<_, SubAccount>(
                "SELECT username, payout_enabled, manage_quotas, quota_enabled, per_payout_limit_fen, daily_limit_fen \
                 FROM users WHERE shop_id = $1 AND id = $2 AND role = 'sub'",
            )
            .bind(shop_id)
            .bind(id)
            .fetch_optional(conn)
            .await?)
        }

        async fn quota_view(&self, shop_id: i64, id: i64, now: Time) -> Result<GrantOutcome, StoreError> {
            let quotas = self.quotas(shop_id, now.business_date()).await?;
            Ok(quotas.into_iter().find(|q| q.sub_account_id == id).map_or(GrantOutcome::NotFound, GrantOutcome::Updated))
        }
    }

    #[async_trait]
    impl QuotaStore for This {
        async fn quotas(&self, shop_id: i64, today: Date) -> Result<Vec<QuotaView>, StoreError> {
            sqlx::query_as::<_, QuotaRow>(concat!(
                "SELECT u.id, u.username, u.display_name, u.quota_enabled, u.per_payout_limit_fen, u.daily_limit_fen, \
                        u.manage_quotas, u.payout_enabled, \
                        (SELECT CAST(COALESCE(SUM(p.amount_fen), 0) AS BIGINT) FROM payouts p \
                          WHERE p.shop_id = u.shop_id AND p.operator_id = u.id AND p.business_date = $1 AND p.",
                counted!(),
                ") AS used_today_fen \
                 FROM users u WHERE u.shop_id = $2 AND u.role = 'sub' ORDER BY u.id"
            ))
            .bind(today.to_string())
            .bind(shop_id)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(QuotaRow::view)
            .collect()
        }

        async fn quota_update(&self, actor: &Actor, sub_account_id: i64, change: QuotaChange, now: Time) -> Result<GrantOutcome, StoreError> {
            let mut tx = self.begin_write(Lock::Shop(actor.shop_id)).await?;
            let Some(old) = This::sub_account(&mut tx, actor.shop_id, sub_account_id).await? else {
                return tx.finish(GrantOutcome::NotFound).await;
            };
            if actor.role == Role::Sub {
                // D6/D7, against the rows as they are now (a grant may have changed since sign-in).
                let me = This::sub_account(&mut tx, actor.shop_id, actor.user_id).await?;
                let Some(me) = me.filter(|me| me.manage_quotas) else {
                    return tx.finish(GrantOutcome::NotAllowed).await;
                };
                if sub_account_id == actor.user_id || !old.payout_enabled {
                    return tx.finish(GrantOutcome::NotAllowed).await;
                }
                // A manager whose own payout permission or quota is switched off has no limits
                // to hand on: it cannot grant more than it may use itself.
                let active = me.payout_enabled && me.quota_enabled;
                let own = |fen| if active { money(fen) } else { Ok(Money::ZERO) };
                let (own_per, own_daily) = (own(me.per_payout_limit_fen)?, own(me.daily_limit_fen)?);
                if change.per_payout_limit > own_per || change.daily_limit > own_daily {
                    let above = GrantOutcome::AboveOwnLimit { per_payout_limit: own_per, daily_limit: own_daily };
                    return tx.finish(above).await;
                }
            }
            sqlx::query(
                "UPDATE users SET per_payout_limit_fen = $1, daily_limit_fen = $2, quota_enabled = $3 \
                 WHERE shop_id = $4 AND id = $5",
            )
            .bind(change.per_payout_limit.to_fen())
            .bind(change.daily_limit.to_fen())
            .bind(change.enabled)
            .bind(actor.shop_id)
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
            let audit = Audit {
                shop_id: actor.shop_id,
                at: now,
                actor: &actor.username,
                action: "quota.updated",
                target: &target,
                detail: &detail,
            };
            This::audit(&mut tx, audit).await?;
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
            let mut tx = self.begin_write(Lock::Shop(actor.shop_id)).await?;
            let Some(old) = This::sub_account(&mut tx, actor.shop_id, sub_account_id).await? else {
                return tx.finish(GrantOutcome::NotFound).await;
            };
            sqlx::query("UPDATE users SET payout_enabled = $1, manage_quotas = $2 WHERE shop_id = $3 AND id = $4")
                .bind(payout)
                .bind(manage_quotas)
                .bind(actor.shop_id)
                .bind(sub_account_id)
                .execute(&mut *tx)
                .await?;
            let detail = format!(
                "{}: payout permission {} → {payout}, quota manager {} → {manage_quotas}",
                old.username, old.payout_enabled, old.manage_quotas
            );
            let target = format!("user:{sub_account_id}");
            let audit = Audit {
                shop_id: actor.shop_id,
                at: now,
                actor: &actor.username,
                action: "permissions.updated",
                target: &target,
                detail: &detail,
            };
            This::audit(&mut tx, audit).await?;
            tx.commit().await?;
            self.quota_view(actor.shop_id, sub_account_id, now).await
        }
    }
}
