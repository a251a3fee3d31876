//! The shop's payout reasons (SPEC §11.1): listed for the dialog and the reasons page, added,
//! edited, reordered and switched off by the main account.

use async_trait::async_trait;
use payout_core::reasons::{Reason, ValidReason};
use payout_core::{PayoutType, Time};

use super::audit::Audit;
use super::rows::{named, row};
use super::{Actor, Lock, StoreError};

/// What saving a reason came to.
#[derive(Debug)]
pub enum ReasonSaved {
    Saved(Reason),
    /// The shop has no such reason (an edit).
    NotFound,
    /// Another reason of the shop already has this Chinese or English name.
    NameTaken(String),
}

#[async_trait]
pub trait ReasonStore: Send + Sync + 'static {
    /// Every reason of the shop, active or not, in its order.
    async fn reasons_list(&self, shop_id: i64) -> Result<Vec<Reason>, StoreError>;
    /// Adds a reason at its position (default: last), unless its name is taken.
    async fn reason_create(
        &self,
        actor: &Actor,
        reason: &ValidReason,
        now: Time,
    ) -> Result<ReasonSaved, StoreError>;
    /// Changes a reason of the actor's shop, unless its new name is another reason's.
    async fn reason_update(
        &self,
        actor: &Actor,
        id: i64,
        reason: &ValidReason,
        now: Time,
    ) -> Result<ReasonSaved, StoreError>;
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

/// The name of `r` that one of `others` (except reason `except`) already has, compared trimmed and
/// without case: two reasons of a shop that read the same cannot be told apart in the dialog.
fn taken_name(r: &ValidReason, others: &[Reason], except: Option<i64>) -> Option<String> {
    others.iter().filter(|o| Some(o.id) != except).find_map(|o| {
        if same_name(&o.name_zh, &r.name_zh) {
            Some(r.name_zh.clone())
        } else {
            match (&o.name_en, &r.name_en) {
                (Some(a), Some(b)) if same_name(a, b) => Some(b.clone()),
                _ => None,
            }
        }
    })
}

fn same_name(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

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

        async fn reason_create(&self, actor: &Actor, r: &ValidReason, now: Time) -> Result<ReasonSaved, StoreError> {
            // The shop's lock: a draft being decided sees the list before or after, never half;
            // and two saves of one name cannot both find it free.
            let mut tx = self.begin_write(Lock::Shop(actor.shop_id)).await?;
            let existing = This::reasons(&mut tx, actor.shop_id, false).await?;
            if let Some(name) = taken_name(r, &existing, None) {
                return tx.finish(ReasonSaved::NameTaken(name)).await;
            }
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
            Ok(ReasonSaved::Saved(reason))
        }

        async fn reason_update(&self, actor: &Actor, id: i64, r: &ValidReason, now: Time) -> Result<ReasonSaved, StoreError> {
            let mut tx = self.begin_write(Lock::Shop(actor.shop_id)).await?;
            let existing = This::reasons(&mut tx, actor.shop_id, false).await?;
            let Some(old) = existing.iter().find(|x| x.id == id).cloned() else {
                return tx.finish(ReasonSaved::NotFound).await;
            };
            // A name the reason already had stays allowed (a shop may hold duplicates from before).
            let its_own = |n: &String| same_name(n, &old.name_zh) || old.name_en.as_deref().is_some_and(|e| same_name(n, e));
            if let Some(name) = taken_name(r, &existing, Some(id)).filter(|n| !its_own(n)) {
                return tx.finish(ReasonSaved::NameTaken(name)).await;
            }
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
            let reason = This::reason_by_id(&mut tx, actor.shop_id, id).await?
                .ok_or_else(|| StoreError::Corrupt(format!("reason {id} vanished")))?;
            tx.commit().await?;
            Ok(ReasonSaved::Saved(reason))
        }
    }
}
