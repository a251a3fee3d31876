//! The payment rail that moves money to the buyer's wallet. A trait, so tests decide outcomes;
//! the default build has a simulated rail with configurable latency and failure rate.

use std::time::Duration;

use async_trait::async_trait;
use payout_core::{AccountKind, Money};

use crate::store::Settlement;

#[async_trait]
pub trait Rail: Send + Sync + 'static {
    /// Transfers `amount` for payout `payout_id`. The id is the rail's idempotency reference: asking
    /// again about the same payout (after a crash) must not pay twice and gives the same outcome.
    async fn transfer(&self, payout_id: i64, amount: Money, from: AccountKind) -> Settlement;
}

/// Waits `latency`, then fails a stable `failure_percent` share of payouts. The outcome is a pure
/// function of the payout id, so a payout asked about again gets the same answer: idempotent.
pub struct SimulatedRail {
    pub latency: Duration,
    pub failure_percent: u8,
}

impl SimulatedRail {
    fn fails(&self, payout_id: i64) -> bool {
        // SplitMix64 finaliser: spreads consecutive ids evenly over 0..100.
        let mut z = (payout_id as u64).wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        z % 100 < u64::from(self.failure_percent)
    }
}

#[async_trait]
impl Rail for SimulatedRail {
    async fn transfer(&self, payout_id: i64, _amount: Money, _from: AccountKind) -> Settlement {
        tokio::time::sleep(self.latency).await;
        if self.fails(payout_id) {
            Settlement::Failed {
                reason: "收款方钱包状态异常，转账被退回 (buyer wallet rejected the transfer)".into(),
            }
        } else {
            Settlement::Succeeded
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_share_is_close_to_the_configured_percent_and_stable() {
        let rail = SimulatedRail { latency: Duration::ZERO, failure_percent: 10 };
        let failed = (1..=10_000).filter(|id| rail.fails(*id)).count();
        assert!((800..=1200).contains(&failed), "{failed} of 10000 failed");
        assert_eq!(rail.fails(42), rail.fails(42));
        let never = SimulatedRail { latency: Duration::ZERO, failure_percent: 0 };
        assert!((1..=1000).all(|id| !never.fails(id)));
    }
}
