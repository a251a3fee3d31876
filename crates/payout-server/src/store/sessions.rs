//! Sessions, sign-in credentials and the sign-in throttle, all in the database: a client signed
//! in on one server is served by any other, and the throttle counts across all of them.

use async_trait::async_trait;
use payout_core::{Qualification, Role, Time};

use super::rows::named;
use super::{Actor, Credentials, Lock, Purged, StoreError};

#[async_trait]
pub trait SessionStore: Send + Sync + 'static {
    async fn credentials(&self, username: &str) -> Result<Option<Credentials>, StoreError>;
    /// The sign-in throttle: atomically, if every key is below its limit within the window,
    /// counts one more attempt on each and returns true; otherwise counts nothing and returns
    /// false. A window older than `window_seconds` starts again from zero.
    async fn throttle_take(
        &self,
        keys: &[(String, u32)],
        now: Time,
        window_seconds: i64,
    ) -> Result<bool, StoreError>;
    /// Gives back one counted attempt on each key (an attempt that was not a failed guess).
    async fn throttle_give_back(&self, keys: &[String]) -> Result<(), StoreError>;
    /// Forgets a key (a successful sign-in clears its account-and-address count).
    async fn throttle_clear(&self, key: &str) -> Result<(), StoreError>;
    /// Removes expired sessions, idempotency keys created before `keys_before`, and throttle
    /// records whose window has passed.
    async fn purge(&self, now: Time, keys_before: Time, window_seconds: i64) -> Result<Purged, StoreError>;
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

#[derive(sqlx::FromRow)]
struct CredentialsRow {
    shop_id: i64,
    id: i64,
    password_hash: String,
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
}

/// Counts one attempt on a key, unless the key is at its limit within the window: then the
/// conditional upsert changes nothing and returns no row. The row's lock (taken by the upsert in
/// either store) makes check and count one step for concurrent sign-ins on every server.
const THROTTLE_TAKE: &str = "INSERT INTO sign_in_throttle (key, count, window_start) VALUES ($1, 1, $2) \
     ON CONFLICT (key) DO UPDATE SET \
       count = CASE WHEN sign_in_throttle.window_start > $3 THEN sign_in_throttle.count + 1 ELSE 1 END, \
       window_start = CASE WHEN sign_in_throttle.window_start > $3 THEN sign_in_throttle.window_start ELSE excluded.window_start END \
     WHERE sign_in_throttle.window_start <= $3 OR sign_in_throttle.count < $4 \
     RETURNING count";

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
            let row = sqlx::query_as::<_, CredentialsRow>("SELECT shop_id, id, password_hash FROM users WHERE username = $1")
                .bind(username)
                .fetch_optional(&self.pool)
                .await?;
            Ok(row.map(|r| Credentials { shop_id: r.shop_id, user_id: r.id, password_hash: r.password_hash }))
        }

        async fn throttle_take(&self, keys: &[(String, u32)], now: Time, window_seconds: i64) -> Result<bool, StoreError> {
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
                    // At the limit: the keys counted before this one are given back too.
                    return tx.finish(false).await;
                }
            }
            tx.commit().await?;
            Ok(true)
        }

        async fn throttle_give_back(&self, keys: &[String]) -> Result<(), StoreError> {
            let mut tx = self.begin_write(Lock::Rows).await?;
            for key in keys {
                sqlx::query("UPDATE sign_in_throttle SET count = CASE WHEN count > 0 THEN count - 1 ELSE 0 END WHERE key = $1")
                    .bind(key)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(())
        }

        async fn throttle_clear(&self, key: &str) -> Result<(), StoreError> {
            let mut tx = self.begin_write(Lock::Rows).await?;
            sqlx::query("DELETE FROM sign_in_throttle WHERE key = $1").bind(key).execute(&mut *tx).await?;
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
            Ok(Purged { sessions, idempotency_keys, throttle })
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
            tx.commit().await?;
            Ok(())
        }

        async fn session_actor(&self, token_hash: &str, now: Time) -> Result<Option<Actor>, StoreError> {
            let row = sqlx::query_as::<_, SessionRow>(
                "SELECT u.id AS user_id, u.username, u.display_name, u.role, u.payout_enabled, u.manage_quotas, \
                        sh.id AS shop_id, sh.name AS shop_name, sh.qualification, sh.status AS shop_status, s.csrf_token \
                 FROM sessions s JOIN users u ON u.shop_id = s.shop_id AND u.id = s.user_id JOIN shops sh ON sh.id = s.shop_id \
                 WHERE s.token_hash = $1 AND s.expires_at > $2",
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
                role: if r.role == Role::Main.as_str() { Role::Main } else { Role::Sub },
                payout_enabled: r.payout_enabled,
                manage_quotas: r.manage_quotas,
                shop_id: r.shop_id,
                shop_name: r.shop_name,
                qualification: named(&r.qualification, Qualification::parse)?,
                shop_status: r.shop_status,
                csrf_token: r.csrf_token,
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
