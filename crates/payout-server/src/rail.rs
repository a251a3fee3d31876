//! The payment rail that moves money to the buyer's wallet. A trait, so tests decide outcomes;
//! the default build has a simulated rail with configurable latency and failure rate.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use payout_core::{AccountKind, Money};

use crate::store::Settlement;

/// The rail could not answer this time (timeout, connection refused, 5xx): ask again later with
/// the same reference. Not an answer about the payout.
#[derive(Debug, thiserror::Error)]
#[error("rail unavailable: {0}")]
pub struct Transient(pub String);

#[async_trait]
pub trait Rail: Send + Sync + 'static {
    /// Transfers `amount` for payout `payout_id`. `reference` (`payout-<id>`) is the rail's
    /// idempotency key: asking again about the same payout (after a timeout, or a crashed
    /// server's claim taken over) must not pay twice and gives the same outcome.
    async fn transfer(
        &self,
        reference: &str,
        payout_id: i64,
        amount: Money,
        from: AccountKind,
    ) -> Result<Settlement, Transient>;
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

/// Waits `latency`, then fails a stable `failure_percent` share of payouts. The outcome is a pure
/// function of the payout id, so a payout asked about again gets the same answer: idempotent.
/// With `log`, every call is appended as a line `<reference> <worker>` (a counting rail for tests
/// and for operators checking that each payout reached the rail once).
pub struct SimulatedRail {
    pub latency: Duration,
    pub failure_percent: u8,
    pub log: Option<(PathBuf, String)>,
    log_lock: Mutex<()>,
}

impl SimulatedRail {
    pub fn new(latency: Duration, failure_percent: u8) -> SimulatedRail {
        SimulatedRail { latency, failure_percent, log: None, log_lock: Mutex::new(()) }
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

    fn record(&self, reference: &str) -> Result<(), Transient> {
        let Some((path, worker)) = &self.log else { return Ok(()) };
        append_line(path, &self.log_lock, &format!("{reference} {worker}"))
    }
}

#[async_trait]
impl Rail for SimulatedRail {
    async fn transfer(
        &self,
        reference: &str,
        payout_id: i64,
        _amount: Money,
        _from: AccountKind,
    ) -> Result<Settlement, Transient> {
        self.record(reference)?;
        tokio::time::sleep(self.latency).await;
        Ok(if self.fails(payout_id) {
            Settlement::Failed {
                reason: "收款方钱包状态异常，转账被退回 (buyer wallet rejected the transfer)".into(),
            }
        } else {
            Settlement::Succeeded
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
