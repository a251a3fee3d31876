//! The settlement worker: takes `pending` payouts to `processing`, asks the rail, and records
//! `succeeded` or `failed`. At start it also resumes whatever a crash left `processing` — the rail
//! is idempotent per payout id and the store settles a payout only once, so nothing is paid twice
//! and no reservation leaks.
//!
//! State changes are written in batches (one transaction for every payout that became ready since
//! the last one), so the worker costs the payout-creating agents a few fsyncs per batch instead of
//! two per payout.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use payout_core::api::PayoutStatus;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::rail::Rail;
use crate::store::{Settlement, Store};

/// How many payouts may wait on the rail at once.
const IN_FLIGHT: usize = 256;

pub struct Worker {
    pub store: Arc<dyn Store>,
    pub rail: Arc<dyn Rail>,
    pub clock: Arc<dyn Clock>,
    pub interval: Duration,
}

impl Worker {
    /// Runs until `stop` is cancelled. Transfers still in flight then are left `processing` and
    /// resumed at the next start, exactly as after a crash.
    pub async fn run(self, stop: CancellationToken) {
        let (done_tx, mut done_rx) = mpsc::unbounded_channel::<(i64, Settlement)>();
        let mut in_flight: HashSet<i64> = HashSet::new();
        let mut tick = tokio::time::interval(self.interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                Some(first) = done_rx.recv() => {
                    let mut results = vec![first];
                    while let Ok(more) = done_rx.try_recv() {
                        results.push(more);
                    }
                    match self.store.settle(&results, self.clock.now()).await {
                        Ok(n) => tracing::info!(settled = n, "settlement batch recorded"),
                        // Left `processing`; the next dispatch asks the (idempotent) rail again.
                        Err(e) => tracing::warn!(error = %e, "cannot record settlements; will retry"),
                    }
                    for (id, _) in &results {
                        in_flight.remove(id);
                    }
                }
                _ = tick.tick() => self.dispatch(&mut in_flight, &done_tx).await,
            }
        }
    }

    /// Hands every unfinished payout not yet in flight to the rail.
    async fn dispatch(&self, in_flight: &mut HashSet<i64>, done: &mpsc::UnboundedSender<(i64, Settlement)>) {
        let room = IN_FLIGHT.saturating_sub(in_flight.len()) as u32;
        if room == 0 {
            return;
        }
        let busy: Vec<i64> = in_flight.iter().copied().collect();
        let work = match self.store.unfinished(&busy, room).await {
            Ok(work) if !work.is_empty() => work,
            Ok(_) => return,
            Err(e) => {
                tracing::warn!(error = %e, "settlement: cannot read unfinished payouts");
                return;
            }
        };
        let pending: Vec<i64> =
            work.iter().filter(|p| p.status == PayoutStatus::Pending).map(|p| p.id).collect();
        let moved = if pending.is_empty() {
            vec![]
        } else {
            match self.store.mark_processing(&pending, self.clock.now()).await {
                Ok(moved) => moved,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot mark processing; will retry");
                    return;
                }
            }
        };
        for payout in work {
            // A pending payout that did not move was taken by someone else; skip it.
            if payout.status == PayoutStatus::Pending && !moved.contains(&payout.id) {
                continue;
            }
            in_flight.insert(payout.id);
            let (rail, done) = (self.rail.clone(), done.clone());
            tokio::spawn(async move {
                let outcome = rail.transfer(payout.id, payout.amount, payout.source_account).await;
                let _ = done.send((payout.id, outcome));
            });
        }
    }
}
