//! Purges what only grows: expired sessions, idempotency keys older than a day, sign-in throttle
//! records whose window has passed, and the outboxes' finished rows after [`OUTBOX_RETENTION_DAYS`]
//! (delivered or given-up buyer notifications, delivered or failed webhook deliveries and their
//! events). Runs on a schedule in every server; the deletes are idempotent, so several servers
//! doing it at once is harmless. Every second it also rejects the payouts that waited for approval
//! too long (SPEC §11.2), reports payouts that became stuck (`payout.stuck`), and gives up buyer
//! notifications undelivered for 24 hours (D12); each happens once, whichever server gets there
//! first.

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
    let mut purged =
        state.store.purge(now, now.plus_seconds(-IDEMPOTENCY_KEY_SECONDS), throttle::WINDOW_SECONDS).await?;
    purged.outbox_rows =
        state.store.prune_outboxes(now.plus_seconds(-OUTBOX_RETENTION_DAYS * 86_400), 5_000).await?;
    Ok(purged)
}

/// Finished outbox rows are kept this long (for the delivery log and the order page), then removed.
pub const OUTBOX_RETENTION_DAYS: i64 = 7;
/// D12: a buyer notification undelivered this long is given up.
pub const NOTIFICATION_GIVE_UP_SECONDS: i64 = 24 * 3600;

/// How often payouts awaiting approval are checked for expiry.
const EXPIRY_INTERVAL: Duration = Duration::from_secs(1);

/// Rejects, as expired, the payouts awaiting approval longer than the policy allows; reports the
/// payouts that became stuck; gives up buyer notifications undelivered for a day. How many of each.
pub async fn expire_once(state: &AppState) -> Result<(u64, u64, u64), StoreError> {
    let now = state.clock.now();
    let before = now.plus_seconds(-i64::from(state.policy.approval_expiry_hours) * 3600);
    let expired = state.store.expire_approvals(before, now).await?;
    let stuck_before = now.plus_seconds(-i64::from(state.policy.stuck_after_minutes) * 60);
    let stuck = state.store.report_stuck(stuck_before, now).await?;
    let given_up =
        state.store.notifications_give_up(now.plus_seconds(-NOTIFICATION_GIVE_UP_SECONDS), now).await?;
    Ok((expired, stuck, given_up))
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
                    Ok((0, 0, 0)) => {}
                    Ok((expired, stuck, given_up)) => {
                        tracing::info!(expired, stuck, given_up, "approvals expired, stuck payouts reported, notifications given up")
                    }
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
