//! API keys (SPEC §12.4) and the balance movements they report (§12.5). A key is stored only as
//! the SHA-256 digest of its text, found by its first 8 characters; revoking it takes effect on
//! every server at once (each request reads the store).

use async_trait::async_trait;
use payout_core::keys::{ApiKeyView, Scope};
use payout_core::movements::{MovementKind, MovementView, ValidMovement};
use payout_core::{AccountKind, Money, Time};

use super::audit::Audit;
use super::rows::{money, named, time};
use super::{Lock, StoreError};

/// A key as the extractor checks it.
#[derive(Clone)]
pub struct StoredKey {
    pub shop_id: i64,
    pub id: i64,
    pub name: String,
    pub key_hash: String,
    pub scopes: Vec<Scope>,
    pub revoked: bool,
}

/// What applying a movement came to (D11).
#[derive(Debug)]
pub enum MovementOutcome {
    /// Applied now, or (`replayed`) its reference was applied before with the same body.
    Applied { movement: MovementView, replayed: bool },
    /// The reference was used for another movement.
    ReferenceReused,
    /// It would make the available balance negative, or unfreeze more than is frozen.
    ExceedsAvailable { available: Money, frozen: Money },
}

#[async_trait]
pub trait KeyStore: Send + Sync + 'static {
    #[allow(clippy::too_many_arguments)]
    async fn api_key_create(
        &self,
        shop_id: i64,
        by: &str,
        name: &str,
        prefix: &str,
        key_hash: &str,
        scopes: &[Scope],
        now: Time,
    ) -> Result<ApiKeyView, StoreError>;
    async fn api_keys(&self, shop_id: i64) -> Result<Vec<ApiKeyView>, StoreError>;
    /// `None` when the shop has no such key.
    async fn api_key_revoke(
        &self,
        shop_id: i64,
        id: i64,
        by: &str,
        now: Time,
    ) -> Result<Option<ApiKeyView>, StoreError>;
    /// The keys whose text begins with `prefix` (the caller compares digests in constant time).
    async fn api_keys_by_prefix(&self, prefix: &str) -> Result<Vec<StoredKey>, StoreError>;
    /// Notes a key's use, at most once a minute (a write per request would queue behind payouts).
    async fn api_key_used(&self, shop_id: i64, id: i64, now: Time) -> Result<(), StoreError>;
    /// Applies a movement to one of the shop's accounts once per reference, under the shop's lock.
    async fn movement_apply(
        &self,
        shop_id: i64,
        by: &str,
        account: AccountKind,
        movement: &ValidMovement,
        now: Time,
    ) -> Result<MovementOutcome, StoreError>;
    /// The latest movements of each of the shop's accounts.
    async fn movements(&self, shop_id: i64) -> Result<Vec<MovementView>, StoreError>;
}

#[derive(sqlx::FromRow)]
struct KeyRow {
    id: i64,
    name: String,
    prefix: String,
    scopes: String,
    created_by: String,
    created_at: i64,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}

fn scopes(text: &str) -> Result<Vec<Scope>, StoreError> {
    text.split(',').filter(|s| !s.is_empty()).map(|s| named(s, Scope::parse)).collect()
}

impl KeyRow {
    fn view(self) -> Result<ApiKeyView, StoreError> {
        Ok(ApiKeyView {
            id: self.id,
            name: self.name,
            scopes: scopes(&self.scopes)?,
            prefix: self.prefix,
            created_by: self.created_by,
            created_at: time(self.created_at),
            last_used_at: self.last_used_at.map(time),
            revoked_at: self.revoked_at.map(time),
        })
    }
}

#[derive(sqlx::FromRow)]
struct FoundKey {
    shop_id: i64,
    id: i64,
    name: String,
    key_hash: String,
    scopes: String,
    revoked_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct MovementRow {
    id: i64,
    account: String,
    reference: String,
    kind: String,
    amount_fen: i64,
    note: Option<String>,
    actor: String,
    created_at: i64,
}

impl MovementRow {
    fn view(self) -> Result<MovementView, StoreError> {
        Ok(MovementView {
            id: self.id,
            account: named(&self.account, AccountKind::parse)?,
            reference: self.reference,
            kind: named(&self.kind, MovementKind::parse)?,
            amount: money(self.amount_fen)?,
            note: self.note,
            actor: self.actor,
            created_at: time(self.created_at),
        })
    }
}

#[derive(sqlx::FromRow)]
struct Balances {
    balance_fen: i64,
    frozen_fen: i64,
    reserved_fen: i64,
}

const SELECT_MOVEMENT: &str =
    "SELECT id, account, reference, kind, amount_fen, note, actor, created_at FROM movements WHERE shop_id = $1 AND reference = $2";

for_each_store! {
    #[async_trait]
    impl KeyStore for This {
        async fn api_key_create(
            &self,
            shop_id: i64,
            by: &str,
            name: &str,
            prefix: &str,
            key_hash: &str,
            scopes: &[Scope],
            now: Time,
        ) -> Result<ApiKeyView, StoreError> {
            let mut tx = self.begin_write(Lock::Rows).await?;
            let scopes_text: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO api_keys (shop_id, name, prefix, key_hash, scopes, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(shop_id)
            .bind(name)
            .bind(prefix)
            .bind(key_hash)
            .bind(scopes_text.join(","))
            .bind(by)
            .bind(now.unix_millis())
            .fetch_one(&mut *tx)
            .await?;
            let target = format!("api_key:{id}");
            let detail = format!("{name} · {} · {prefix}…", scopes_text.join(" "));
            This::audit(&mut tx, Audit { shop_id, at: now, actor: by, action: "api_key.created", target: &target, detail: &detail }).await?;
            let view = sqlx::query_as::<_, KeyRow>(concat!(
                "SELECT id, name, prefix, scopes, created_by, created_at, last_used_at, revoked_at FROM api_keys WHERE shop_id = $1",
                " AND id = $2"
            ))
            .bind(shop_id)
            .bind(id)
            .fetch_one(&mut *tx)
            .await?
            .view()?;
            tx.commit().await?;
            Ok(view)
        }

        async fn api_keys(&self, shop_id: i64) -> Result<Vec<ApiKeyView>, StoreError> {
            let rows = sqlx::query_as::<_, KeyRow>(concat!(
                "SELECT id, name, prefix, scopes, created_by, created_at, last_used_at, revoked_at FROM api_keys WHERE shop_id = $1",
                " ORDER BY revoked_at IS NOT NULL, id DESC"
            ))
            .bind(shop_id)
            .fetch_all(&self.pool)
            .await?;
            rows.into_iter().map(KeyRow::view).collect()
        }

        async fn api_key_revoke(&self, shop_id: i64, id: i64, by: &str, now: Time) -> Result<Option<ApiKeyView>, StoreError> {
            let mut tx = self.begin_write(Lock::Rows).await?;
            let changed = sqlx::query("UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE shop_id = $2 AND id = $3")
                .bind(now.unix_millis())
                .bind(shop_id)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if changed == 0 {
                return tx.finish(None).await;
            }
            let target = format!("api_key:{id}");
            This::audit(&mut tx, Audit { shop_id, at: now, actor: by, action: "api_key.revoked", target: &target, detail: "" }).await?;
            let view = sqlx::query_as::<_, KeyRow>(concat!(
                "SELECT id, name, prefix, scopes, created_by, created_at, last_used_at, revoked_at FROM api_keys WHERE shop_id = $1",
                " AND id = $2"
            ))
            .bind(shop_id)
            .bind(id)
            .fetch_one(&mut *tx)
            .await?
            .view()?;
            tx.commit().await?;
            Ok(Some(view))
        }

        async fn api_keys_by_prefix(&self, prefix: &str) -> Result<Vec<StoredKey>, StoreError> {
            let rows = sqlx::query_as::<_, FoundKey>(
                "SELECT shop_id, id, name, key_hash, scopes, revoked_at FROM api_keys WHERE prefix = $1",
            )
            .bind(prefix)
            .fetch_all(&self.pool)
            .await?;
            rows.into_iter()
                .map(|r| {
                    Ok(StoredKey {
                        shop_id: r.shop_id,
                        id: r.id,
                        name: r.name,
                        key_hash: r.key_hash,
                        scopes: scopes(&r.scopes)?,
                        revoked: r.revoked_at.is_some(),
                    })
                })
                .collect()
        }

        async fn api_key_used(&self, shop_id: i64, id: i64, now: Time) -> Result<(), StoreError> {
            let stale: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM api_keys WHERE shop_id = $1 AND id = $2 AND (last_used_at IS NULL OR last_used_at < $3)",
            )
            .bind(shop_id)
            .bind(id)
            .bind(now.unix_millis() - 60_000)
            .fetch_optional(&self.pool)
            .await?;
            if stale.is_none() {
                return Ok(());
            }
            let mut tx = self.begin_write(Lock::Rows).await?;
            sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE shop_id = $2 AND id = $3")
                .bind(now.unix_millis())
                .bind(shop_id)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(())
        }

        async fn movement_apply(
            &self,
            shop_id: i64,
            by: &str,
            account: AccountKind,
            m: &ValidMovement,
            now: Time,
        ) -> Result<MovementOutcome, StoreError> {
            let mut tx = self.begin_write(Lock::Shop(shop_id)).await?;
            if let Some(seen) = sqlx::query_as::<_, MovementRow>(SELECT_MOVEMENT).bind(shop_id).bind(&m.reference).fetch_optional(&mut *tx).await? {
                let seen = seen.view()?;
                let same = seen.account == account && seen.kind == m.kind && seen.amount == m.amount && seen.note == m.note;
                let outcome = if same { MovementOutcome::Applied { movement: seen, replayed: true } } else { MovementOutcome::ReferenceReused };
                return tx.finish(outcome).await;
            }
            let b = sqlx::query_as::<_, Balances>("SELECT balance_fen, frozen_fen, reserved_fen FROM accounts WHERE shop_id = $1 AND kind = $2")
                .bind(shop_id)
                .bind(account.as_str())
                .fetch_one(&mut *tx)
                .await?;
            let fen = m.amount.to_fen();
            let available = b.balance_fen - b.frozen_fen - b.reserved_fen;
            let (balance, frozen) = match m.kind {
                MovementKind::Credit => (b.balance_fen.checked_add(fen), Some(b.frozen_fen)),
                MovementKind::Debit | MovementKind::Freeze if fen > available => (None, None),
                MovementKind::Debit => (Some(b.balance_fen - fen), Some(b.frozen_fen)),
                MovementKind::Freeze => (Some(b.balance_fen), Some(b.frozen_fen + fen)),
                MovementKind::Unfreeze if fen > b.frozen_fen => (None, None),
                MovementKind::Unfreeze => (Some(b.balance_fen), Some(b.frozen_fen - fen)),
                MovementKind::Open => (Some(b.balance_fen), Some(b.frozen_fen)),
            };
            let (Some(balance), Some(frozen)) = (balance.filter(|v| Money::from_fen(*v).is_some()), frozen) else {
                return tx
                    .finish(MovementOutcome::ExceedsAvailable { available: money(available.max(0))?, frozen: money(b.frozen_fen)? })
                    .await;
            };
            sqlx::query(
                "UPDATE accounts SET balance_fen = $1, frozen_fen = $2, opened = CASE WHEN $3 THEN TRUE ELSE opened END \
                 WHERE shop_id = $4 AND kind = $5",
            )
            .bind(balance)
            .bind(frozen)
            .bind(m.kind == MovementKind::Open)
            .bind(shop_id)
            .bind(account.as_str())
            .execute(&mut *tx)
            .await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO movements (shop_id, account, reference, kind, amount_fen, note, actor, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(shop_id)
            .bind(account.as_str())
            .bind(&m.reference)
            .bind(m.kind.as_str())
            .bind(fen)
            .bind(m.note.as_deref())
            .bind(by)
            .bind(now.unix_millis())
            .fetch_one(&mut *tx)
            .await?;
            let target = format!("movement:{id}");
            let detail = format!("{} {} ¥{} · {}", account.as_str(), m.kind.as_str(), m.amount, m.reference);
            This::audit(&mut tx, Audit { shop_id, at: now, actor: by, action: "account.movement", target: &target, detail: &detail }).await?;
            let movement = sqlx::query_as::<_, MovementRow>(SELECT_MOVEMENT).bind(shop_id).bind(&m.reference).fetch_one(&mut *tx).await?.view()?;
            tx.commit().await?;
            Ok(MovementOutcome::Applied { movement, replayed: false })
        }

        async fn movements(&self, shop_id: i64) -> Result<Vec<MovementView>, StoreError> {
            let mut all = Vec::new();
            for account in AccountKind::ALL {
                let rows = sqlx::query_as::<_, MovementRow>(
                    "SELECT id, account, reference, kind, amount_fen, note, actor, created_at FROM movements \
                     WHERE shop_id = $1 AND account = $2 ORDER BY id DESC LIMIT 20",
                )
                .bind(shop_id)
                .bind(account.as_str())
                .fetch_all(&self.pool)
                .await?;
                for row in rows {
                    all.push(row.view()?);
                }
            }
            Ok(all)
        }
    }
}
