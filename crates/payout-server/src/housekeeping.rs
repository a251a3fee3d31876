//! Purges what only grows: expired sessions, idempotency keys older than a day, and sign-in
//! throttle records whose window has passed. Runs on a schedule in every server; the deletes are
//! idempotent, so several servers doing it at once is harmless.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::auth::throttle;
use crate::state::AppState;
use crate::store::{Purged, StoreError};

/// An idempotency key is answered for this long; a retry after a day is a new request.
pub const IDEMPOTENCY_KEY_SECONDS: i64 = 24 * 3600;

/// One pass, as of the state's clock.
pub async fn purge_once(state: &AppState) -> Result<Purged, StoreError> {
    let now = state.clock.now();
    state.store.purge(now, now.plus_seconds(-IDEMPOTENCY_KEY_SECONDS), throttle::WINDOW_SECONDS).await
}

/// Purges every `interval` until `stop`.
pub fn start(state: &AppState, interval: Duration, stop: CancellationToken) -> tokio::task::JoinHandle<()> {
    let state = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(interval.max(Duration::from_millis(10)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = tick.tick() => match purge_once(&state).await {
                    Ok(purged) if purged != Purged::default() => tracing::info!(?purged, "housekeeping"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "housekeeping failed; will retry"),
                },
            }
        }
    })
}
