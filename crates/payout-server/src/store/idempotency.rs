//! Idempotency keys: the first decision under each `Idempotency-Key`, per user, recorded in the
//! transaction that made it, so a retry (to any server) gets that decision again and never a
//! second payout or top-up. The record is the decision itself (a payout created, a refusal with
//! its violations, a top-up), not an HTTP answer: the routes render it, the same way each time.

use payout_core::api::{ErrorBody, PayoutView, TopUpView};
use payout_core::{Time, Violation};
use serde::{Deserialize, Serialize};

use super::rows::row;
use super::StoreError;

/// A decision as an idempotency key keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Recorded {
    PayoutCreated { payout: Box<PayoutView> },
    PayoutRejected { violations: Vec<Violation> },
    TopUpCreated { top_up: TopUpView },
}

/// What an idempotency key already holds.
pub(super) enum Seen {
    /// Same request: its decision, to give again.
    Same(Recorded),
    /// Another request under the same key.
    Other,
}

/// The key a request carries, and the fingerprint of what it asks.
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

/// `status_code` of a row whose `response` is a [`Recorded`] in JSON. Rows written before
/// 2026-12-06 hold the HTTP status and body instead (keys live 24 h, so only an upgrade's first day
/// can meet one): [`KeyRow::recorded`] still reads them.
pub(super) const RECORD_FORMAT: i64 = 1;

pub(super) const SELECT_KEY: &str = "SELECT request_hash, status_code, response FROM idempotency_keys \
     WHERE shop_id = $1 AND user_id = $2 AND key = $3";
pub(super) const INSERT_KEY: &str =
    "INSERT INTO idempotency_keys (shop_id, user_id, key, request_hash, status_code, response, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7)";

impl KeyRow {
    /// What the stored row says about a request with `request_hash`.
    pub(super) fn seen(self, request_hash: &str) -> Result<Seen, StoreError> {
        if self.request_hash != request_hash {
            return Ok(Seen::Other);
        }
        self.recorded().map(Seen::Same)
    }

    fn recorded(self) -> Result<Recorded, StoreError> {
        let corrupt = |e: serde_json::Error| StoreError::Corrupt(format!("idempotency record: {e}"));
        match self.status_code {
            RECORD_FORMAT => serde_json::from_str(&self.response).map_err(corrupt),
            // The HTTP answers of the previous release.
            201 => match serde_json::from_str::<PayoutView>(&self.response) {
                Ok(payout) => Ok(Recorded::PayoutCreated { payout: Box::new(payout) }),
                Err(_) => serde_json::from_str(&self.response)
                    .map(|top_up| Recorded::TopUpCreated { top_up })
                    .map_err(corrupt),
            },
            422 => serde_json::from_str::<ErrorBody>(&self.response).map_err(corrupt).map(|body| {
                Recorded::PayoutRejected { violations: body.error.violations.unwrap_or_default() }
            }),
            other => Err(StoreError::Corrupt(format!("idempotency record of unknown format {other}"))),
        }
    }
}

/// The row [`INSERT_KEY`] writes for a decision: its format and its JSON.
pub(super) fn record_json(recorded: &Recorded) -> Result<String, StoreError> {
    serde_json::to_string(recorded).map_err(|e| StoreError::Corrupt(format!("idempotency record: {e}")))
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
            seen.map(|row| row.seen(k.request_hash)).transpose()
        }

        pub(in crate::store) async fn record_key(
            conn: &mut Conn,
            k: Key<'_>,
            recorded: &Recorded,
            now: Time,
        ) -> Result<(), StoreError> {
            sqlx::query(INSERT_KEY)
                .bind(k.shop_id)
                .bind(k.user_id)
                .bind(k.key)
                .bind(k.request_hash)
                .bind(RECORD_FORMAT)
                .bind(record_json(recorded)?)
                .bind(now.unix_millis())
                .execute(conn)
                .await?;
            Ok(())
        }
    }
}
