//! Idempotency keys: the first answer to each `Idempotency-Key`, per user, recorded in the
//! transaction that decided it, so a retry (to any server) gets that answer and never a second
//! payout or top-up.

use super::rows::row;
use super::{StoreError, StoredResponse};
use payout_core::Time;

/// What an idempotency key already answered.
pub(super) enum Seen {
    /// Same body: replay this.
    Same(StoredResponse),
    /// Another body under the same key.
    Other,
}

/// The key a request carries, and the hash of its body.
#[derive(Clone, Copy)]
pub(super) struct Key<'a> {
    pub shop_id: i64,
    pub user_id: i64,
    pub key: &'a str,
    pub request_hash: &'a str,
}

row! {
    pub(super) struct KeyRow {
        request_hash: String,
        status_code: i64,
        response: String,
    }
}

pub(super) const SELECT_KEY: &str = "SELECT request_hash, status_code, response FROM idempotency_keys \
     WHERE shop_id = $1 AND user_id = $2 AND key = $3";
pub(super) const INSERT_KEY: &str =
    "INSERT INTO idempotency_keys (shop_id, user_id, key, request_hash, status_code, response, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7)";

impl KeyRow {
    /// What the stored row says about a request with `request_hash`.
    pub(super) fn seen(self, request_hash: &str) -> Seen {
        if self.request_hash != request_hash {
            return Seen::Other;
        }
        Seen::Same(StoredResponse {
            status: u16::try_from(self.status_code).unwrap_or(500),
            body: self.response,
        })
    }
}

for_each_store! {
    impl This {
        pub(in crate::store) async fn seen_key(conn: &mut Conn, k: Key<'_>) -> Result<Option<Seen>, StoreError> {
            let seen = sqlx::query_as::<_, KeyRow>(SELECT_KEY)
                .bind(k.shop_id)
                .bind(k.user_id)
                .bind(k.key)
                .fetch_optional(conn)
                .await?;
            Ok(seen.map(|row| row.seen(k.request_hash)))
        }

        pub(in crate::store) async fn record_key(
            conn: &mut Conn,
            k: Key<'_>,
            response: &StoredResponse,
            now: Time,
        ) -> Result<(), StoreError> {
            sqlx::query(INSERT_KEY)
            .bind(k.shop_id)
            .bind(k.user_id)
            .bind(k.key)
            .bind(k.request_hash)
            .bind(i64::from(response.status))
            .bind(&response.body)
            .bind(now.unix_millis())
            .execute(conn)
            .await?;
            Ok(())
        }
    }
}
