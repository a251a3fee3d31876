//! The payment rail that moves money to the buyer's wallet. A trait, so tests decide outcomes;
//! the default build has a simulated rail with configurable latency and failure rate.

use std::collections::{HashMap, VecDeque};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use async_trait::async_trait;
use payout_core::{AccountKind, Money};

pub use crate::domain::Settlement;

/// The rail could not answer this time (timeout, connection refused, 5xx): ask again later with
/// the same reference. Not an answer about the payout.
#[derive(Debug, thiserror::Error)]
#[error("rail unavailable: {0}")]
pub struct Transient(pub String);

/// One payout as the rail is asked to pay it.
#[derive(Clone, Copy, Debug)]
pub struct Transfer<'a> {
    /// The rail's idempotency key: [`reference`] of the payout.
    pub reference: &'a str,
    pub payout_id: i64,
    pub amount: Money,
    pub from: AccountKind,
    /// Whom it pays: the order's buyer (SPEC §12.3).
    pub to: Option<&'a str>,
}

/// What the rail knows of a transfer, asked by its reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransferStatus {
    /// No transfer under this reference ever reached the rail: sending it is safe.
    Unknown,
    /// Received and not final yet: ask again later; never send it again.
    InProgress,
    Final(Settlement),
}

#[async_trait]
pub trait Rail: Send + Sync + 'static {
    /// Transfers `amount` for payout `payout_id`. `reference` (`payout-<id>`) is the rail's
    /// idempotency key. A transfer whose answer did not come (a timeout, a crash) is followed by
    /// [`Rail::status`], never sent again blindly: only `Unknown` sends it again.
    async fn transfer(&self, transfer: &Transfer<'_>) -> Result<Settlement, Transient>;

    /// Asks what became of the transfer under `reference`, without moving money.
    async fn status(&self, reference: &str) -> Result<TransferStatus, Transient>;
}

/// The rail's idempotency reference of a payout: the same on every call, whichever server asks.
pub fn reference(payout_id: i64) -> String {
    format!("payout-{payout_id}")
}

/// Appends `line` to the log file at `path` (a simulated channel's record for tests and
/// operators). One write of one line with O_APPEND: lines of several processes never interleave;
/// `lock` keeps this process's writers in turn.
pub(crate) fn append_line(path: &std::path::Path, lock: &Mutex<()>, line: &str) -> Result<(), Transient> {
    let _one_writer = lock.lock().unwrap_or_else(|e| e.into_inner());
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| Transient(e.to_string()))?;
    file.write_all(format!("{line}\n").as_bytes()).map_err(|e| Transient(e.to_string()))
}

/// How long the simulated rail remembers a finished transfer for status queries. Nothing stays
/// `processing` that long: the settlement worker asks within seconds.
const REMEMBERED: Duration = Duration::from_secs(24 * 3600);

/// A transfer as the simulated rail received it: final once `latency` has passed since.
struct Received {
    at: Instant,
    outcome: Settlement,
}

/// What the simulated rail received, by reference, and the references in the order received (so
/// the oldest can be forgotten).
type Ledger = (HashMap<String, Received>, VecDeque<(Instant, String)>);

/// Takes `latency` to settle a transfer, and fails a stable `failure_percent` share of payouts
/// (a pure function of the payout id). A transfer is received the moment it is sent and settles
/// `latency` later whether or not its caller still waits for the answer, as a real rail's does;
/// [`Rail::status`] answers from what it received. With `log`, every call is appended as a line
/// `transfer <reference> <worker>` or `status <reference> <worker>` (a counting rail for tests
/// and for operators checking that each payout reached the rail once).
pub struct SimulatedRail {
    pub latency: Duration,
    pub failure_percent: u8,
    pub log: Option<(PathBuf, String)>,
    log_lock: Mutex<()>,
    received: Mutex<Ledger>,
}

impl SimulatedRail {
    pub fn new(latency: Duration, failure_percent: u8) -> SimulatedRail {
        SimulatedRail {
            latency,
            failure_percent,
            log: None,
            log_lock: Mutex::new(()),
            received: Mutex::new((HashMap::new(), VecDeque::new())),
        }
    }

    /// Records every call in `path`, tagged with `worker`.
    pub fn logging_to(mut self, path: PathBuf, worker: String) -> SimulatedRail {
        self.log = Some((path, worker));
        self
    }

    fn fails(&self, payout_id: i64) -> bool {
        // SplitMix64 finaliser: spreads consecutive ids evenly over 0..100.
        let mut z = (payout_id as u64).wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        z % 100 < u64::from(self.failure_percent)
    }

    fn record(&self, call: &str, reference: &str) -> Result<(), Transient> {
        let Some((path, worker)) = &self.log else { return Ok(()) };
        append_line(path, &self.log_lock, &format!("{call} {reference} {worker}"))
    }

    /// Receives a transfer (once per reference) and says when it will be final and how.
    fn receive(&self, reference: &str, payout_id: i64) -> (Instant, Settlement) {
        let mut guard = self.received.lock().unwrap_or_else(|e| e.into_inner());
        let (received, order) = &mut *guard;
        let now = Instant::now();
        while order.front().is_some_and(|(at, _)| now.duration_since(*at) > REMEMBERED) {
            if let Some((_, old)) = order.pop_front() {
                received.remove(&old);
            }
        }
        let entry = received.entry(reference.to_owned()).or_insert_with(|| {
            order.push_back((now, reference.to_owned()));
            let outcome = if self.fails(payout_id) {
                Settlement::Failed {
                    reason: "收款方钱包状态异常，转账被退回 (buyer wallet rejected the transfer)".into(),
                }
            } else {
                Settlement::Succeeded
            };
            Received { at: now, outcome }
        });
        (entry.at + self.latency, entry.outcome.clone())
    }
}

#[async_trait]
impl Rail for SimulatedRail {
    async fn transfer(&self, transfer: &Transfer<'_>) -> Result<Settlement, Transient> {
        self.record("transfer", transfer.reference)?;
        let (final_at, outcome) = self.receive(transfer.reference, transfer.payout_id);
        tokio::time::sleep_until(final_at).await;
        Ok(outcome)
    }

    async fn status(&self, reference: &str) -> Result<TransferStatus, Transient> {
        self.record("status", reference)?;
        let guard = self.received.lock().unwrap_or_else(|e| e.into_inner());
        Ok(match guard.0.get(reference) {
            None => TransferStatus::Unknown,
            Some(r) if Instant::now() < r.at + self.latency => TransferStatus::InProgress,
            Some(r) => TransferStatus::Final(r.outcome.clone()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_transfer_whose_caller_stopped_waiting_still_settles_and_status_says_so() {
        let rail = SimulatedRail::new(Duration::from_secs(5), 0);
        assert_eq!(rail.status("payout-1").await.unwrap(), TransferStatus::Unknown);
        let one = Transfer {
            reference: "payout-1",
            payout_id: 1,
            amount: Money::ZERO,
            from: AccountKind::Custody,
            to: None,
        };
        let call = rail.transfer(&one);
        assert!(tokio::time::timeout(Duration::from_secs(1), call).await.is_err(), "the caller gave up");
        assert_eq!(rail.status("payout-1").await.unwrap(), TransferStatus::InProgress);
        tokio::time::sleep(Duration::from_secs(4)).await;
        assert_eq!(rail.status("payout-1").await.unwrap(), TransferStatus::Final(Settlement::Succeeded));
        // Sent again with the same reference, it is the same transfer: its outcome at once.
        let again = tokio::time::timeout(Duration::from_millis(1), rail.transfer(&one));
        assert_eq!(again.await.unwrap().unwrap(), Settlement::Succeeded);
    }

    #[test]
    fn failure_share_is_close_to_the_configured_percent_and_stable() {
        let rail = SimulatedRail::new(Duration::ZERO, 10);
        let failed = (1..=10_000).filter(|id| rail.fails(*id)).count();
        assert!((800..=1200).contains(&failed), "{failed} of 10000 failed");
        assert_eq!(rail.fails(42), rail.fails(42));
        let never = SimulatedRail::new(Duration::ZERO, 0);
        assert!((1..=1000).all(|id| !never.fails(id)));
    }
}
