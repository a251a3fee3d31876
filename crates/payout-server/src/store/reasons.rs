//! The shop's payout reasons (SPEC §11.1): listed for the dialog and the reasons page, added,
//! edited, reordered and switched off by the main account.

use async_trait::async_trait;
use payout_core::reasons::{Reason, ValidReason};
use payout_core::{PayoutType, Time};

use super::audit::Audit;
use super::rows::{named, row};
use super::{Actor, Lock, StoreError};

#[async_trait]
pub trait ReasonStore: Send + Sync + 'static {
    /// Every reason of the shop, active or not, in its order.
    async fn reasons_list(&self, shop_id: i64) -> Result<Vec<Reason>, StoreError>;
    /// Adds a reason at its position (default: last).
    async fn reason_create(
        &self,
        actor: &Actor,
        reason: &ValidReason,
        now: Time,
    ) -> Result<Reason, StoreError>;
    /// Changes a reason of the actor's shop; `None` when it has no such reason.
    async fn reason_update(
        &self,
        actor: &Actor,
        id: i64,
        reason: &ValidReason,
        now: Time,
    ) -> Result<Option<Reason>, StoreError>;
}

row! {
    pub(super) struct ReasonRow {
        id: i64,
        name_zh: String,
        name_en: Option<String>,
        payout_type: String,
        buyer_message_template: Option<String>,
        active: bool,
        position: i64,
    }
}

impl ReasonRow {
    pub(super) fn reason(self) -> Result<Reason, StoreError> {
        Ok(Reason {
            id: self.id,
            name_zh: self.name_zh,
            name_en: self.name_en,
            payout_type: named(&self.payout_type, PayoutType::parse)?,
            buyer_message_template: self.buyer_message_template,
            active: self.active,
            position: u32::try_from(self.position).unwrap_or(u32::MAX),
        })
    }
}

pub(super) const SELECT_REASONS: &str =
    "SELECT id, name_zh, name_en, payout_type, buyer_message_template, active, position \
     FROM reasons WHERE shop_id = $1 ORDER BY position, id";

fn describe(r: &ValidReason) -> String {
    format!(
        "{} / {} · {} · {}",
        r.name_zh,
        r.name_en.as_deref().unwrap_or("-"),
        r.payout_type.as_str(),
        if r.active == Some(false) { "inactive" } else { "active" }
    )
}

for_each_store! {
    impl This {
        /// The shop's reasons in order; only the active ones when `active_only` (what a draft may
        /// name, R-F13).
        pub(in crate::store) async fn reasons(conn: &mut Conn, shop_id: i64, active_only: bool) -> Result<Vec<Reason>, StoreError> {
            let rows = sqlx::query_as::<_, ReasonRow>(SELECT_REASONS).bind(shop_id).fetch_all(conn).await?;
            rows.into_iter()
                .filter(|r| r.active || !active_only)
                .map(ReasonRow::reason)
                .collect()
        }

        /// Puts `id` at `position` (1-based, clamped to the list) and numbers the list 1..n again.
        async fn place(conn: &mut Conn, shop_id: i64, id: i64, position: Option<u32>) -> Result<(), StoreError> {
            let mut ids: Vec<i64> = This::reasons(&mut *conn, shop_id, false).await?.into_iter().map(|r| r.id).collect();
            if let Some(position) = position {
                ids.retain(|&other| other != id);
                let at = (position as usize).saturating_sub(1).min(ids.len());
                ids.insert(at, id);
            }
            for (n, reason) in (1_i64..).zip(&ids) {
                sqlx::query("UPDATE reasons SET position = $1 WHERE shop_id = $2 AND id = $3 AND position != $1")
                    .bind(n)
                    .bind(shop_id)
                    .bind(reason)
                    .execute(&mut *conn)
                    .await?;
            }
            Ok(())
        }

        async fn reason_by_id(conn: &mut Conn, shop_id: i64, id: i64) -> Result<Option<Reason>, StoreError> {
            Ok(This::reasons(conn, shop_id, false).await?.into_iter().find(|r| r.id == id))
        }
    }

    #[async_trait]
    impl ReasonStore for This {
        async fn reasons_list(&self, shop_id: i64) -> Result<Vec<Reason>, StoreError> {
            let mut tx = self.begin_read().await?;
            let reasons = This::reasons(&mut tx, shop_id, false).await?;
            tx.commit().await?;
            Ok(reasons)
        }

        async fn reason_create(&self, actor: &Actor, r: &ValidReason, now: Time) -> Result<Reason, StoreError> {
            // The shop's lock: a draft being decided sees the list before or after, never half.
            let mut tx = self.begin_write(Lock::Shop(actor.shop_id)).await?;
            let last: i64 = sqlx::query_scalar("SELECT CAST(COALESCE(MAX(position), 0) AS BIGINT) FROM reasons WHERE shop_id = $1")
                .bind(actor.shop_id)
                .fetch_one(&mut *tx)
                .await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO reasons (shop_id, name_zh, name_en, payout_type, buyer_message_template, active, position) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(actor.shop_id)
            .bind(&r.name_zh)
            .bind(&r.name_en)
            .bind(r.payout_type.as_str())
            .bind(&r.buyer_message_template)
            .bind(r.active.unwrap_or(true))
            .bind(last + 1)
            .fetch_one(&mut *tx)
            .await?;
            This::place(&mut tx, actor.shop_id, id, r.position).await?;
            let (target, detail) = (format!("reason:{id}"), describe(r));
            let audit = Audit { shop_id: actor.shop_id, at: now, actor: &actor.username, action: "reason.created", target: &target, detail: &detail };
            This::audit(&mut tx, audit).await?;
            let reason = This::reason_by_id(&mut tx, actor.shop_id, id).await?
                .ok_or_else(|| StoreError::Corrupt(format!("reason {id} vanished")))?;
            tx.commit().await?;
            Ok(reason)
        }

        async fn reason_update(&self, actor: &Actor, id: i64, r: &ValidReason, now: Time) -> Result<Option<Reason>, StoreError> {
            let mut tx = self.begin_write(Lock::Shop(actor.shop_id)).await?;
            let Some(old) = This::reason_by_id(&mut tx, actor.shop_id, id).await? else {
                return tx.finish(None).await;
            };
            sqlx::query(
                "UPDATE reasons SET name_zh = $1, name_en = $2, payout_type = $3, buyer_message_template = $4, active = $5 \
                 WHERE shop_id = $6 AND id = $7",
            )
            .bind(&r.name_zh)
            .bind(&r.name_en)
            .bind(r.payout_type.as_str())
            .bind(&r.buyer_message_template)
            .bind(r.active.unwrap_or(old.active))
            .bind(actor.shop_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            This::place(&mut tx, actor.shop_id, id, r.position).await?;
            let (target, detail) = (format!("reason:{id}"), describe(r));
            let audit = Audit { shop_id: actor.shop_id, at: now, actor: &actor.username, action: "reason.updated", target: &target, detail: &detail };
            This::audit(&mut tx, audit).await?;
            let reason = This::reason_by_id(&mut tx, actor.shop_id, id).await?;
            tx.commit().await?;
            Ok(reason)
        }
    }
}
