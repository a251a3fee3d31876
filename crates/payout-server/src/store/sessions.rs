//! Sessions, sign-in credentials and the sign-in throttle, all in the database: a client signed
//! in on one server is served by any other, and the throttle counts across all of them.

use async_trait::async_trait;
use payout_core::{Qualification, Role, ShopStatus, Time};

use super::rows::{named, time};
use super::{Actor, Credentials, Lock, Purged, StoreError};

#[async_trait]
pub trait SessionStore: Send + Sync + 'static {
    async fn credentials(&self, username: &str) -> Result<Option<Credentials>, StoreError>;
    /// The sign-in throttle: atomically, if every key is below its limit within the window,
    /// counts one more attempt on each, still being checked (`Taken`); otherwise counts nothing
    /// and says why. A window older than `window_seconds` starts again from zero (attempts being
    /// checked carry over).
    async fn throttle_take(
        &self,
        keys: &[(String, u32)],
        now: Time,
        window_seconds: i64,
    ) -> Result<Throttle, StoreError>;
    /// Ends the checking of one attempt on each key: a failed guess stays counted, a right one
    /// takes its attempt back, and one that was never checked is given back.
    async fn throttle_settle(&self, keys: &[(String, Checked)]) -> Result<(), StoreError>;
    /// Removes expired sessions, idempotency keys created before `keys_before`, and throttle
    /// records whose window has passed.
    async fn purge(&self, now: Time, keys_before: Time, window_seconds: i64) -> Result<Purged, StoreError>;
    /// Removes the outboxes' finished rows: buyer notifications delivered or given up, and webhook
    /// deliveries delivered or failed, that finished before `finished_before` (with their events
    /// once no delivery refers to them). At most `limit` rows of each a pass.
    async fn prune_outboxes(&self, finished_before: Time, limit: u32) -> Result<u64, StoreError>;
    async fn session_create(
        &self,
        token_hash: &str,
        credentials: &Credentials,
        csrf_token: &str,
        now: Time,
        expires_at: Time,
    ) -> Result<(), StoreError>;
    /// The session's actor, if the session exists and has not expired at `now`.
    async fn session_actor(&self, token_hash: &str, now: Time) -> Result<Option<Actor>, StoreError>;
    async fn session_delete(&self, token_hash: &str) -> Result<(), StoreError>;
}

/// What the throttle says of one more sign-in attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Throttle {
    /// Counted; check it, then settle it.
    Taken,
    /// Failed guesses fill a key's window: no more until it ends.
    Locked { retry_after_seconds: i64 },
    /// The key is full only because attempts are still being checked (the same person signing in
    /// on several tabs at once): ask again in a moment.
    Checking,
}

/// How a counted attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Checked {
    /// A failed guess: it stays counted for the window.
    Failed,
    /// The right password: the failed guesses of this key before it are forgotten too (the
    /// username-and-address key).
    RightClears,
    /// The right password: only its own attempt is taken back (the address's key, which other
    /// users' failures share).
    Right,
    /// Never checked (no hashing slot): given back.
    NotChecked,
}

#[derive(sqlx::FromRow)]
struct ThrottleRow {
    count: i64,
    pending: i64,
    window_start: i64,
}

#[derive(sqlx::FromRow)]
struct CredentialsRow {
    shop_id: i64,
    id: i64,
    username: String,
    display_name: String,
    password_hash: String,
    active: bool,
    password_expires_at: Option<i64>,
    totp_secret: Option<String>,
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    user_id: i64,
    username: String,
    display_name: String,
    role: String,
    payout_enabled: bool,
    manage_quotas: bool,
    shop_id: i64,
    shop_name: String,
    qualification: String,
    shop_status: String,
    csrf_token: String,
    password_expires_at: Option<i64>,
    two_factor: bool,
    require_two_factor: bool,
}

/// Counts one attempt on a key, unless the key is at its limit within the window: then the
/// conditional upsert changes nothing and returns no row. The row's lock (taken by the upsert in
/// either store) makes check and count one step for concurrent sign-ins on every server. `count`
/// holds failed guesses and attempts being checked; `pending` the latter.
const THROTTLE_TAKE: &str = "INSERT INTO sign_in_throttle (key, count, pending, window_start) VALUES ($1, 1, 1, $2) \
     ON CONFLICT (key) DO UPDATE SET \
       count = CASE WHEN sign_in_throttle.window_start > $3 THEN sign_in_throttle.count + 1 ELSE sign_in_throttle.pending + 1 END, \
       pending = sign_in_throttle.pending + 1, \
       window_start = CASE WHEN sign_in_throttle.window_start > $3 THEN sign_in_throttle.window_start ELSE excluded.window_start END \
     WHERE sign_in_throttle.window_start <= $3 OR sign_in_throttle.count < $4 \
     RETURNING count";

/// Ends one attempt's checking on a key (`$2` is [`Checked`] as text).
const THROTTLE_SETTLE: &str = "UPDATE sign_in_throttle SET \
       count = CASE $2 WHEN 'failed' THEN count \
                       WHEN 'right_clears' THEN CASE WHEN pending > 0 THEN pending - 1 ELSE 0 END \
                       ELSE CASE WHEN count > 0 THEN count - 1 ELSE 0 END END, \
       pending = CASE WHEN pending > 0 THEN pending - 1 ELSE 0 END \
     WHERE key = $1";

impl Checked {
    fn as_str(self) -> &'static str {
        match self {
            Checked::Failed => "failed",
            Checked::RightClears => "right_clears",
            Checked::Right => "right",
            Checked::NotChecked => "not_checked",
        }
    }
}

/// Purging expired rows. On PostgreSQL it skips rows a sign-in holds right now instead of waiting
/// for them: a purge that locked expired rows in table order while a sign-in locked two of them in
/// key order could deadlock (found in review). They go on the next pass. SQLite's purge holds the
/// write lock, so nothing else is writing.
const PURGE_SESSIONS_SQLITE: &str = "DELETE FROM sessions WHERE expires_at <= $1";
const PURGE_SESSIONS_POSTGRES: &str = "DELETE FROM sessions WHERE token_hash IN \
     (SELECT token_hash FROM sessions WHERE expires_at <= $1 FOR UPDATE SKIP LOCKED)";
const PURGE_THROTTLE_SQLITE: &str = "DELETE FROM sign_in_throttle WHERE window_start <= $1";
const PURGE_THROTTLE_POSTGRES: &str = "DELETE FROM sign_in_throttle WHERE key IN \
     (SELECT key FROM sign_in_throttle WHERE window_start <= $1 FOR UPDATE SKIP LOCKED)";

for_each_store! {
    #[async_trait]
    impl SessionStore for This {
        async fn credentials(&self, username: &str) -> Result<Option<Credentials>, StoreError> {
            let row = sqlx::query_as::<_, CredentialsRow>(
                "SELECT shop_id, id, username, display_name, password_hash, active, password_expires_at, totp_secret \
                 FROM users WHERE username = $1",
            )
            .bind(username)
            .fetch_optional(&self.pool)
            .await?;
            Ok(row.map(|r| Credentials {
                shop_id: r.shop_id,
                user_id: r.id,
                username: r.username,
                display_name: r.display_name,
                password_hash: r.password_hash,
                active: r.active,
                password_expires_at: r.password_expires_at.map(time),
                totp_secret: r.totp_secret,
            }))
        }

        async fn throttle_take(&self, keys: &[(String, u32)], now: Time, window_seconds: i64) -> Result<Throttle, StoreError> {
            let mut tx = self.begin_write(Lock::Rows).await?;
            let window_start = now.unix_millis() - window_seconds * 1000;
            for (key, limit) in keys {
                let counted: Option<i64> = sqlx::query_scalar(THROTTLE_TAKE)
                    .bind(key)
                    .bind(now.unix_millis())
                    .bind(window_start)
                    .bind(i64::from(*limit))
                    .fetch_optional(&mut *tx)
                    .await?;
                if counted.is_none() {
                    // At the limit: the keys counted before this one are given back too (the
                    // transaction ends without a commit). Why it is full says what to answer.
                    let row = sqlx::query_as::<_, ThrottleRow>("SELECT count, pending, window_start FROM sign_in_throttle WHERE key = $1")
                        .bind(key)
                        .fetch_one(&mut *tx)
                        .await?;
                    let answer = if row.count - row.pending >= i64::from(*limit) {
                        let ends = row.window_start + window_seconds * 1000;
                        Throttle::Locked { retry_after_seconds: ((ends - now.unix_millis()) + 999).div_euclid(1000).max(1) }
                    } else {
                        Throttle::Checking
                    };
                    return tx.finish(answer).await;
                }
            }
            tx.commit().await?;
            Ok(Throttle::Taken)
        }

        async fn throttle_settle(&self, keys: &[(String, Checked)]) -> Result<(), StoreError> {
            let mut tx = self.begin_write(Lock::Rows).await?;
            for (key, checked) in keys {
                sqlx::query(THROTTLE_SETTLE).bind(key).bind(checked.as_str()).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(())
        }

        async fn purge(&self, now: Time, keys_before: Time, window_seconds: i64) -> Result<Purged, StoreError> {
            let mut tx = self.begin_write(Lock::Rows).await?;
            let sessions = sqlx::query(This::dialect(PURGE_SESSIONS_SQLITE, PURGE_SESSIONS_POSTGRES))
                .bind(now.unix_millis())
                .execute(&mut *tx)
                .await?
                .rows_affected();
            let idempotency_keys = sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
                .bind(keys_before.unix_millis())
                .execute(&mut *tx)
                .await?
                .rows_affected();
            let throttle = sqlx::query(This::dialect(PURGE_THROTTLE_SQLITE, PURGE_THROTTLE_POSTGRES))
                .bind(now.unix_millis() - window_seconds * 1000)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            tx.commit().await?;
            Ok(Purged { sessions, idempotency_keys, throttle, outbox_rows: 0 })
        }

        async fn prune_outboxes(&self, finished_before: Time, limit: u32) -> Result<u64, StoreError> {
            let mut tx = self.begin_write(Lock::Rows).await?;
            let before = finished_before.unix_millis();
            let limit = i64::from(limit);
            let mut removed = sqlx::query(
                "DELETE FROM notifications WHERE (shop_id, id) IN (SELECT shop_id, id FROM notifications \
                   WHERE (delivered_at IS NOT NULL AND delivered_at < $1) OR (failed_at IS NOT NULL AND failed_at < $1) LIMIT $2)",
            )
            .bind(before)
            .bind(limit)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            removed += sqlx::query(
                "DELETE FROM webhook_deliveries WHERE (shop_id, id) IN (SELECT shop_id, id FROM webhook_deliveries \
                   WHERE status <> 'pending' AND finished_at < $1 LIMIT $2)",
            )
            .bind(before)
            .bind(limit)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            removed += sqlx::query(
                "DELETE FROM webhook_events WHERE (shop_id, id) IN (SELECT v.shop_id, v.id FROM webhook_events v \
                   WHERE v.created_at < $1 AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.shop_id = v.shop_id AND d.event_row = v.id) LIMIT $2)",
            )
            .bind(before)
            .bind(limit)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            tx.commit().await?;
            Ok(removed)
        }

        async fn session_create(
            &self,
            token_hash: &str,
            credentials: &Credentials,
            csrf_token: &str,
            now: Time,
            expires_at: Time,
        ) -> Result<(), StoreError> {
            let mut tx = self.begin_write(Lock::Rows).await?;
            // Forget this user's expired sessions while we are here.
            sqlx::query("DELETE FROM sessions WHERE shop_id = $1 AND user_id = $2 AND expires_at <= $3")
                .bind(credentials.shop_id)
                .bind(credentials.user_id)
                .bind(now.unix_millis())
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO sessions (token_hash, shop_id, user_id, csrf_token, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(token_hash)
            .bind(credentials.shop_id)
            .bind(credentials.user_id)
            .bind(csrf_token)
            .bind(now.unix_millis())
            .bind(expires_at.unix_millis())
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE users SET last_sign_in_at = $1 WHERE shop_id = $2 AND id = $3")
                .bind(now.unix_millis())
                .bind(credentials.shop_id)
                .bind(credentials.user_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(())
        }

        async fn session_actor(&self, token_hash: &str, now: Time) -> Result<Option<Actor>, StoreError> {
            let row = sqlx::query_as::<_, SessionRow>(
                "SELECT u.id AS user_id, u.username, u.display_name, u.role, u.payout_enabled, u.manage_quotas, \
                        sh.id AS shop_id, sh.name AS shop_name, sh.qualification, sh.status AS shop_status, s.csrf_token, \
                        u.password_expires_at, u.totp_secret IS NOT NULL AS two_factor, sh.require_two_factor \
                 FROM sessions s JOIN users u ON u.shop_id = s.shop_id AND u.id = s.user_id JOIN shops sh ON sh.id = s.shop_id \
                 WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.active",
            )
            .bind(token_hash)
            .bind(now.unix_millis())
            .fetch_optional(&self.pool)
            .await?;
            let Some(r) = row else { return Ok(None) };
            Ok(Some(Actor {
                user_id: r.user_id,
                username: r.username,
                display_name: r.display_name,
                role: named(&r.role, Role::parse)?,
                payout_enabled: r.payout_enabled,
                manage_quotas: r.manage_quotas,
                shop_id: r.shop_id,
                shop_name: r.shop_name,
                qualification: named(&r.qualification, Qualification::parse)?,
                shop_status: named(&r.shop_status, ShopStatus::parse)?,
                csrf_token: r.csrf_token,
                password_change_required: r.password_expires_at.is_some(),
                two_factor: r.two_factor,
                shop_requires_two_factor: r.require_two_factor,
            }))
        }

        async fn session_delete(&self, token_hash: &str) -> Result<(), StoreError> {
            let mut tx = self.begin_write(Lock::Rows).await?;
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(())
        }
    }
}
