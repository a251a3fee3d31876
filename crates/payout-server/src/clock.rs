//! The injected clock: the system clock in production, a hand-moved one in tests (cooldowns, the
//! UTC+8 midnight rollover, order age).

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use payout_core::Time;

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Time;
}

pub struct SystemClock;

impl Clock for SystemClock {
    /// To the millisecond: the store's precision, so an instant read back equals the one written.
    fn now(&self) -> Time {
        Time::from_unix_millis(jiff::Timestamp::now().as_millisecond())
    }
}

/// A clock that stands still until moved.
#[derive(Clone)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    pub fn new(at: Time) -> ManualClock {
        ManualClock(Arc::new(AtomicI64::new(at.unix_millis())))
    }

    pub fn set(&self, at: Time) {
        self.0.store(at.unix_millis(), Ordering::SeqCst);
    }

    pub fn advance_secs(&self, secs: i64) {
        self.advance_millis(secs * 1000);
    }

    pub fn advance_millis(&self, millis: i64) {
        self.0.fetch_add(millis, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Time {
        Time::from_unix_millis(self.0.load(Ordering::SeqCst))
    }
}
