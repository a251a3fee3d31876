//! The settlement worker: takes `pending` payouts to `processing`, asks the rail, and records
//! `succeeded` or `failed`. At start it also resumes whatever a crash left `processing` — the rail
//! is idempotent per payout id and the store settles a payout only once, so nothing is paid twice
//! and no reservation leaks.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use payout_core::api::PayoutStatus;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::rail::Rail;
use crate::store::{Store, Unfinished};

/// How many payouts may wait on the rail at once.
const IN_FLIGHT: usize = 64;

pub struct Worker {
    pub store: Arc<dyn Store>,
    pub rail: Arc<dyn Rail>,
    pub clock: Arc<dyn Clock>,
    pub interval: Duration,
}

impl Worker {
    /// Runs until `stop` is cancelled, then lets the transfers in flight finish.
    pub async fn run(self, stop: CancellationToken) {
        let in_flight: Arc<Mutex<HashSet<i64>>> = Arc::default();
        let mut tasks = JoinSet::new();
        loop {
            while tasks.try_join_next().is_some() {}
            let busy: Vec<i64> = in_flight.lock().map(|s| s.iter().copied().collect()).unwrap_or_default();
            let room = IN_FLIGHT.saturating_sub(busy.len()) as u32;
            let work = if room == 0 { Ok(vec![]) } else { self.store.unfinished(&busy, room).await };
            match work {
                Ok(work) => {
                    for payout in work {
                        if let Ok(mut set) = in_flight.lock() {
                            set.insert(payout.id);
                        }
                        let (store, rail, clock) =
                            (self.store.clone(), self.rail.clone(), self.clock.clone());
                        let in_flight = in_flight.clone();
                        tasks.spawn(async move {
                            settle_one(&*store, &*rail, &*clock, &payout).await;
                            if let Ok(mut set) = in_flight.lock() {
                                set.remove(&payout.id);
                            }
                        });
                    }
                }
                Err(e) => tracing::warn!(error = %e, "settlement: cannot read unfinished payouts"),
            }
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = tokio::time::sleep(self.interval) => {}
            }
        }
        while tasks.join_next().await.is_some() {}
    }
}

#[tracing::instrument(skip_all, fields(payout_id = payout.id))]
async fn settle_one(store: &dyn Store, rail: &dyn Rail, clock: &dyn Clock, payout: &Unfinished) {
    if payout.status == PayoutStatus::Pending {
        match store.mark_processing(payout.id, clock.now()).await {
            Ok(true) => {}
            Ok(false) => return, // someone else moved it on
            Err(e) => {
                tracing::warn!(error = %e, "cannot mark processing; will retry");
                return;
            }
        }
    }
    let outcome = rail.transfer(payout.id, payout.amount, payout.source_account).await;
    // A store error here leaves the payout `processing`; the next round asks the (idempotent)
    // rail again and settles it then.
    match store.settle(payout.id, &outcome, clock.now()).await {
        Ok(_) => tracing::info!(?outcome, "settled"),
        Err(e) => tracing::warn!(error = %e, "cannot record settlement; will retry"),
    }
}
