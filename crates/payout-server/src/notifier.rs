//! Notifying the buyer (SPEC §11.3). The `Notifier` is a trait, like the rail, so tests decide
//! outcomes; the default build's notifier is simulated (latency, a failure rate for retries).
//! The worker delivers the outbox at least once: each due row is taken under a lease, delivered,
//! and marked; a failure is retried with growing pauses.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::rail::{append_line, Transient};
use crate::store::{Delivery, DueNotification, Store};

#[async_trait]
pub trait Notifier: Send + Sync + 'static {
    /// Sends `text` to the buyer of `payout_id`. `reference` (`notification-<shop>-<id>`) is the
    /// same on every attempt, so the channel can drop a repeat.
    async fn notify(&self, reference: &str, payout_id: i64, text: &str) -> Result<(), Transient>;
}

/// Waits `latency`, then fails a `failure_percent` share of attempts at random (so a retry of
/// the same notification may succeed). With `log`, each delivery is appended as a line
/// `<reference>`: tests count deliveries with it.
pub struct SimulatedNotifier {
    pub latency: Duration,
    pub failure_percent: u8,
    pub log: Option<PathBuf>,
    log_lock: Mutex<()>,
}

impl SimulatedNotifier {
    pub fn new(latency: Duration, failure_percent: u8, log: Option<PathBuf>) -> SimulatedNotifier {
        SimulatedNotifier { latency, failure_percent, log, log_lock: Mutex::new(()) }
    }
}

#[async_trait]
impl Notifier for SimulatedNotifier {
    async fn notify(&self, reference: &str, _payout_id: i64, _text: &str) -> Result<(), Transient> {
        tokio::time::sleep(self.latency).await;
        if rand::random::<u8>() % 100 < self.failure_percent {
            return Err(Transient("simulated notification channel failure".into()));
        }
        match &self.log {
            Some(path) => append_line(path, &self.log_lock, reference),
            None => Ok(()),
        }
    }
}

/// Rows taken (and delivered side by side) at once; their outcomes are recorded together.
const BATCH: u32 = 256;
/// A delivery that has not answered by then is abandoned and retried.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);
/// A taken row is not taken again before this (a server that died mid-delivery).
const LEASE_SECONDS: i64 = 30;
const MAX_PAUSE_SECONDS: i64 = 600;

/// The pause before the next attempt after `attempts` failed ones: 1 s, 2 s, 4 s … 10 min.
fn pause_after(attempts: i64) -> i64 {
    1_i64
        .checked_shl(u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(20))
        .unwrap_or(1)
        .min(MAX_PAUSE_SECONDS)
}

pub struct NotificationWorker {
    pub store: Arc<dyn Store>,
    pub notifier: Arc<dyn Notifier>,
    pub clock: Arc<dyn Clock>,
    pub interval: Duration,
}

impl NotificationWorker {
    pub async fn run(self, stop: CancellationToken) {
        let mut tick = tokio::time::interval(self.interval.max(Duration::from_millis(10)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = tick.tick() => self.round().await,
            }
        }
    }

    async fn round(&self) {
        let now = self.clock.now();
        let due = match self.store.notifications_take(now, now.plus_seconds(LEASE_SECONDS), BATCH).await {
            Ok(due) => due,
            Err(e) => {
                tracing::warn!(error = %e, "notifications: cannot take due rows");
                return;
            }
        };
        let outcomes = futures::future::join_all(due.into_iter().map(|n| self.deliver(n))).await;
        // One transaction for the round's outcomes, not one per notification.
        if let Err(e) = self.store.notifications_record(&outcomes, self.clock.now()).await {
            // The leases end and the rows are taken again: at least once, never lost.
            tracing::warn!(error = %e, "notifications: cannot record the outcomes");
        }
    }

    async fn deliver(&self, n: DueNotification) -> (DueNotification, Delivery) {
        let reference = format!("notification-{}-{}", n.shop_id, n.id);
        let sent =
            tokio::time::timeout(DELIVERY_TIMEOUT, self.notifier.notify(&reference, n.payout.id, &n.text))
                .await;
        let error = match sent {
            Ok(Ok(())) => return (n, Delivery::Delivered),
            Ok(Err(e)) => e.to_string(),
            Err(_) => "timed out".to_owned(),
        };
        tracing::warn!(
            notification = n.id,
            attempts = n.attempts,
            error,
            "buyer notification failed; will retry"
        );
        let retry_at = self.clock.now().plus_seconds(pause_after(n.attempts));
        (n, Delivery::Failed { error, retry_at })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_grow_and_are_capped() {
        assert_eq!((pause_after(1), pause_after(2), pause_after(3)), (1, 2, 4));
        assert_eq!(pause_after(11), MAX_PAUSE_SECONDS);
        assert_eq!(pause_after(1000), MAX_PAUSE_SECONDS);
        assert_eq!(pause_after(0), 1);
    }
}
