//! The settlement worker: claims payouts, asks the rail, and records `succeeded` or `failed`.
//!
//! Several servers may run one worker each against one database. A worker claims a payout in the
//! same transaction that moves it `pending` → `processing`, under its own owner id and a lease it
//! keeps renewing while the rail call runs; only a claim whose lease has expired (its server died)
//! is taken over, and then the rail is asked again with the same reference, so nothing is paid
//! twice. Each payout has its own task with a timeout on every rail call and retries with backoff
//! for transient errors, so one payout that cannot be settled never holds up the others.
//!
//! State changes are written in batches (one transaction for every payout that became ready since
//! the last one), so the worker costs the payout-creating agents a few fsyncs per batch instead of
//! two per payout.

use std::collections::HashSet;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::rail::{reference, Rail, Transfer, TransferStatus};
use crate::store::{Claimed, PayoutKey, Settlement, Store};

/// Claims taken in one transaction at most.
const CLAIM_BATCH: usize = 512;
/// Rail attempts per claim before it is let go for a later try.
const ATTEMPTS: u32 = 6;
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// A payout whose rail calls all failed is tried again after this.
const RETRY_LATER_SECONDS: i64 = 60;

pub struct Worker {
    pub store: Arc<dyn Store>,
    pub rail: Arc<dyn Rail>,
    pub clock: Arc<dyn Clock>,
    /// This worker's claims carry it; unique per server process.
    pub owner: String,
    /// How often to look for work.
    pub interval: Duration,
    pub rail_timeout: Duration,
    pub lease: Duration,
    /// Payouts at the rail at once.
    pub concurrency: usize,
}

/// What a payout's task reports back.
enum Done {
    Settled(PayoutKey, Settlement),
    /// Every attempt failed transiently: let the claim go.
    GaveUp(PayoutKey),
}

impl Worker {
    pub fn new_owner() -> String {
        format!("worker-{}", hex::encode(rand::random::<[u8; 6]>()))
    }

    fn lease_from_now(&self) -> payout_core::Time {
        let lease = i64::try_from(self.lease.as_millis()).unwrap_or(i64::MAX / 4);
        payout_core::Time::from_unix_millis(self.clock.now().unix_millis().saturating_add(lease))
    }

    /// Runs until `stop` is cancelled. Claims still at the rail then are let go (their lease ends
    /// at once), so another server or the next start asks the rail again with the same reference.
    pub async fn run(self, stop: CancellationToken) {
        let (done_tx, mut done_rx) = mpsc::unbounded_channel::<Done>();
        // The payouts this worker has at the rail: only their leases are renewed.
        let mut in_flight: HashSet<PayoutKey> = HashSet::new();
        let mut unsaved: Vec<(PayoutKey, Settlement)> = Vec::new();
        let mut tick = tokio::time::interval(self.interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // Leases are renewed by a task of their own: a save waiting for a busy shop's lock must
        // never let the leases of payouts still at the rail run out (another server would then
        // ask the rail again).
        let (leases_tx, leases_rx) = tokio::sync::watch::channel(Vec::<PayoutKey>::new());
        let renewing = tokio::spawn(Self::renew_leases(
            self.store.clone(),
            self.clock.clone(),
            self.owner.clone(),
            self.lease,
            leases_rx,
            stop.clone(),
        ));
        loop {
            leases_tx.send_if_modified(|keys| {
                if keys.len() == in_flight.len() && keys.iter().all(|k| in_flight.contains(k)) {
                    return false;
                }
                *keys = in_flight.iter().copied().collect();
                true
            });
            tokio::select! {
                _ = stop.cancelled() => break,
                Some(first) = done_rx.recv() => {
                    let mut batch = vec![first];
                    while let Ok(more) = done_rx.try_recv() {
                        batch.push(more);
                    }
                    self.collect(batch, &mut in_flight, &mut unsaved).await;
                    self.save(&mut unsaved).await;
                }
                _ = tick.tick() => {
                    self.save(&mut unsaved).await;
                    self.dispatch(&mut in_flight, &done_tx).await;
                }
            }
        }
        let _ = renewing.await;
        // Answers the rail already gave are recorded, not thrown away; the claims still out are
        // let go at once (their lease ends now), so another server asks the rail again with the
        // same reference instead of waiting for the lease.
        let mut batch = Vec::new();
        while let Ok(done) = done_rx.try_recv() {
            batch.push(done);
        }
        self.collect(batch, &mut in_flight, &mut unsaved).await;
        self.save(&mut unsaved).await;
        let keys: Vec<PayoutKey> = in_flight.into_iter().collect();
        if let Err(e) = self.store.renew(&self.owner, &keys, self.clock.now()).await {
            tracing::warn!(error = %e, "settlement: cannot let go of claims at stop; they expire with their lease");
        }
    }

    /// Every third of a lease, extends the leases of the payouts at the rail until `stop`.
    async fn renew_leases(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        owner: String,
        lease: Duration,
        keys: tokio::sync::watch::Receiver<Vec<PayoutKey>>,
        stop: CancellationToken,
    ) {
        let mut tick = tokio::time::interval((lease / 3).max(Duration::from_millis(10)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX / 4);
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = tick.tick() => {
                    let held = keys.borrow().clone();
                    let until = payout_core::Time::from_unix_millis(clock.now().unix_millis().saturating_add(lease_ms));
                    if let Err(e) = store.renew(&owner, &held, until).await {
                        tracing::warn!(error = %e, "settlement: cannot renew claims");
                    }
                }
            }
        }
    }

    async fn collect(
        &self,
        batch: Vec<Done>,
        in_flight: &mut HashSet<PayoutKey>,
        unsaved: &mut Vec<(PayoutKey, Settlement)>,
    ) {
        for done in batch {
            match done {
                Done::Settled(id, outcome) => {
                    in_flight.remove(&id);
                    unsaved.push((id, outcome));
                }
                Done::GaveUp(id) => {
                    in_flight.remove(&id);
                    self.let_go(id).await;
                }
            }
        }
    }

    /// Records settled payouts in one transaction; when that fails, one by one, so one payout
    /// that cannot be written never holds up the others. What still fails is kept for the next
    /// round.
    async fn save(&self, unsaved: &mut Vec<(PayoutKey, Settlement)>) {
        if unsaved.is_empty() {
            return;
        }
        match self.store.settle(&self.owner, unsaved, self.clock.now()).await {
            Ok(n) => {
                tracing::info!(settled = n, "settlement batch recorded");
                for (_, outcome) in unsaved.iter() {
                    let outcome =
                        if matches!(outcome, Settlement::Succeeded) { "succeeded" } else { "failed" };
                    metrics::counter!("payouts_settled_total", "outcome" => outcome).increment(1);
                }
                unsaved.clear();
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot record a settlement batch; trying one by one");
                let mut kept = Vec::new();
                for result in unsaved.drain(..) {
                    if let Err(e) =
                        self.store.settle(&self.owner, std::slice::from_ref(&result), self.clock.now()).await
                    {
                        tracing::warn!(payout_id = result.0.id, error = %e, "cannot record settlement; will retry");
                        kept.push(result);
                    }
                }
                *unsaved = kept;
            }
        }
    }

    async fn let_go(&self, payout: PayoutKey) {
        let retry_at = self.clock.now().plus_seconds(RETRY_LATER_SECONDS);
        if let Err(e) = self.store.release(&self.owner, payout, retry_at).await {
            tracing::warn!(payout_id = payout.id, error = %e, "cannot let go of a claim; it expires with its lease");
        }
    }

    /// Claims as much work as there is room for and starts a task per payout.
    async fn dispatch(&self, in_flight: &mut HashSet<PayoutKey>, done: &mpsc::UnboundedSender<Done>) {
        let room = self.concurrency.saturating_sub(in_flight.len()).min(CLAIM_BATCH);
        if room == 0 {
            return;
        }
        let now = self.clock.now();
        let claimed = match self.store.claim(&self.owner, room as u32, now, self.lease_from_now()).await {
            Ok(claimed) => claimed,
            Err(e) => {
                tracing::warn!(error = %e, "settlement: cannot claim payouts");
                return;
            }
        };
        for payout in claimed {
            // One of its own whose lease ran out while its rail call is still running: the claim
            // renewed the lease; the call already out answers for it.
            if !in_flight.insert(payout.key) {
                continue;
            }
            if payout.taken_over {
                tracing::warn!(
                    payout_id = payout.key.id,
                    "took over an expired claim; asking the rail again"
                );
            }
            let (rail, done, timeout) = (self.rail.clone(), done.clone(), self.rail_timeout);
            tokio::spawn(async move {
                // A panic in the rail client must still report back, or the claim would be
                // renewed for as long as this server lives.
                let outcome = AssertUnwindSafe(settle_one(&*rail, &payout, timeout))
                    .catch_unwind()
                    .await
                    .unwrap_or(Done::GaveUp(payout.key));
                let _ = done.send(outcome);
            });
        }
    }
}

/// Settles one payout: sends it to the rail, or, when it may be there already (it was
/// `processing` when claimed, or a transfer got no answer), asks the rail what became of it. A
/// transfer is sent again only when the rail says it never received it: a timeout is followed by
/// status queries, never by a blind re-send. Every call has a timeout; pauses grow between
/// attempts; after the last one the claim is let go and the payout is tried again later.
async fn settle_one(rail: &dyn Rail, payout: &Claimed, timeout: Duration) -> Done {
    let id = payout.key.id;
    let reference = reference(id);
    let mut may_be_at_rail = payout.at_rail;
    let mut pause = FIRST_BACKOFF;
    for attempt in 1..=ATTEMPTS {
        if may_be_at_rail {
            match tokio::time::timeout(timeout, rail.status(&reference)).await {
                Ok(Ok(TransferStatus::Final(outcome))) => return Done::Settled(payout.key, outcome),
                Ok(Ok(TransferStatus::InProgress)) => {}
                // Never received: sending it now cannot pay twice.
                Ok(Ok(TransferStatus::Unknown)) => may_be_at_rail = false,
                Ok(Err(e)) => tracing::warn!(payout_id = id, attempt, error = %e, "rail status query failed"),
                Err(_) => tracing::warn!(payout_id = id, attempt, "rail status query timed out"),
            }
        }
        if !may_be_at_rail {
            let transfer = Transfer {
                reference: &reference,
                payout_id: id,
                amount: payout.amount,
                from: payout.source_account,
                to: payout.buyer_ref.as_deref(),
            };
            let call = rail.transfer(&transfer);
            match tokio::time::timeout(timeout, call).await {
                Ok(Ok(outcome)) => return Done::Settled(payout.key, outcome),
                Ok(Err(e)) => tracing::warn!(payout_id = id, attempt, error = %e, "rail call failed"),
                Err(_) => tracing::warn!(payout_id = id, attempt, "rail call timed out"),
            }
            // Whether it arrived is unknown now: from here on, ask.
            may_be_at_rail = true;
        }
        if attempt < ATTEMPTS {
            // Up to half the pause again at random, so retries of many payouts do not line up.
            let jitter = pause / 2 * (rand::random::<u32>() % 1_000) / 1_000;
            tokio::time::sleep(pause + jitter).await;
            pause = (pause * 2).min(MAX_BACKOFF);
        }
    }
    Done::GaveUp(payout.key)
}
