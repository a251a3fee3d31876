//! Purges what only grows: expired sessions, idempotency keys older than a day, and sign-in
//! throttle records whose window has passed. Runs on a schedule in every server; the deletes are
//! idempotent, so several servers doing it at once is harmless. Every second it also rejects the
//! payouts that waited for approval too long (SPEC §11.2); each is rejected once, whichever
//! server gets there first.

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

/// How often payouts awaiting approval are checked for expiry.
const EXPIRY_INTERVAL: Duration = Duration::from_secs(1);

/// Rejects, as expired, the payouts awaiting approval longer than the policy allows.
pub async fn expire_once(state: &AppState) -> Result<u64, StoreError> {
    let now = state.clock.now();
    let before = now.plus_seconds(-i64::from(state.policy.approval_expiry_hours) * 3600);
    state.store.expire_approvals(before, now).await
}

/// Purges every `interval` until `stop`.
pub fn start(state: &AppState, interval: Duration, stop: CancellationToken) -> tokio::task::JoinHandle<()> {
    let state = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(interval.max(Duration::from_millis(10)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut expiry = tokio::time::interval(EXPIRY_INTERVAL.min(interval.max(Duration::from_millis(10))));
        expiry.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = expiry.tick() => match expire_once(&state).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(expired = n, "payouts awaiting approval expired"),
                    Err(e) => tracing::warn!(error = %e, "approval expiry failed; will retry"),
                },
                _ = tick.tick() => match purge_once(&state).await {
                    Ok(purged) if purged != Purged::default() => tracing::info!(?purged, "housekeeping"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "housekeeping failed; will retry"),
                },
            }
        }
    })
}
