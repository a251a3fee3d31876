//! The workbench's meters, computed from the same facts the rules use.

use serde::{Deserialize, Serialize};

use crate::facts::Facts;
use crate::money::Money;
use crate::policy::Policy;
use crate::time::Time;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Meters {
    pub order_cap: Money,
    pub order_counted: Money,
    pub order_remaining: Money,
    pub order_payout_count: u32,
    pub order_payouts_left: u32,
    pub cooldown_seconds_left: u32,
    /// `null` for the main account, which has no personal quota (D4).
    pub operator_daily_remaining: Option<Money>,
    /// The sub-account's per-payout limit; `null` for the main account.
    pub operator_per_payout_limit: Option<Money>,
    pub shop_daily_cap: Money,
    pub shop_daily_remaining: Money,
}

pub fn meters(policy: &Policy, facts: &Facts, now: Time) -> Meters {
    let cap = policy.order_cap(facts.order.paid_amount);
    Meters {
        order_cap: cap,
        order_counted: facts.usage.counted_total,
        order_remaining: cap.saturating_sub(facts.usage.counted_total),
        order_payout_count: facts.usage.counted_count,
        order_payouts_left: policy.max_payouts_per_order.saturating_sub(facts.usage.counted_count),
        cooldown_seconds_left: cooldown_seconds_left(policy, facts.usage.last_created_at, now),
        operator_daily_remaining: facts.operator.daily_remaining(),
        operator_per_payout_limit: match facts.operator.role {
            crate::facts::Role::Main => None,
            crate::facts::Role::Sub => Some(facts.operator.per_payout_limit.unwrap_or(Money::ZERO)),
        },
        shop_daily_cap: policy.shop_daily_cap,
        shop_daily_remaining: policy.shop_daily_cap.saturating_sub(facts.shop_counted_today),
    }
}

/// Milliseconds until the order's cooldown ends (0 when none runs), compared at the store's
/// precision: a payout at x.999 s keeps the order closed until x.999 s + the cooldown, not 999 ms
/// less. A clock that went backwards (a payout "in the future") keeps the full cooldown rather
/// than opening the order early.
pub fn cooldown_millis_left(policy: &Policy, last_created_at: Option<Time>, now: Time) -> i64 {
    let Some(last) = last_created_at else { return 0 };
    let cooldown = i64::from(policy.cooldown_seconds) * 1000;
    (cooldown - now.millis_since(last).max(0)).clamp(0, cooldown)
}

/// [`cooldown_millis_left`] in whole seconds, rounded up: 1 ms left still shows (and refuses)
/// "1 s", never "0 s".
pub fn cooldown_seconds_left(policy: &Policy, last_created_at: Option<Time>, now: Time) -> u32 {
    let millis = cooldown_millis_left(policy, last_created_at, now);
    u32::try_from((millis + 999) / 1000).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::OperatorFacts;
    use crate::money::Money;
    use crate::rules::fixtures::*;

    #[test]
    fn meters_show_what_is_left() {
        let mut f = facts();
        f.usage.counted_total = m("28");
        f.usage.counted_count = 2;
        f.usage.last_created_at = Some(now().plus_seconds(-15));
        f.operator.used_today = m("150");
        f.shop_counted_today = m("1000");
        let got = meters(&Policy::default(), &f, now());
        assert_eq!(got.order_cap, m("128"));
        assert_eq!(got.order_remaining, m("100"));
        assert_eq!(got.order_payouts_left, 3);
        assert_eq!(got.cooldown_seconds_left, 45);
        assert_eq!(got.operator_daily_remaining, Some(m("1850")));
        assert_eq!(got.shop_daily_remaining, m("14000"));
        assert_eq!((got.order_counted, got.order_payout_count), (m("28"), 2));
        assert_eq!((got.operator_per_payout_limit, got.shop_daily_cap), (Some(m("200")), m("15000")));
        f.operator.per_payout_limit = None;
        assert_eq!(meters(&Policy::default(), &f, now()).operator_per_payout_limit, Some(Money::ZERO));
        f.operator = OperatorFacts::main();
        let main = meters(&Policy::default(), &f, now());
        assert_eq!((main.operator_daily_remaining, main.operator_per_payout_limit), (None, None), "D4");
    }

    #[test]
    fn r_l3_the_cooldown_ends_at_the_millisecond_and_its_seconds_round_up() {
        let p = Policy::default();
        let last = Time::parse("2026-11-24T12:00:00.999+08:00").unwrap();
        let at = |ms: i64| Time::from_unix_millis(last.unix_millis() + ms);
        assert_eq!(cooldown_seconds_left(&p, Some(last), at(59_000)), 1, "59.0 s after x.999: 1 s left");
        assert_eq!(cooldown_millis_left(&p, Some(last), at(59_999)), 1);
        assert_eq!(cooldown_seconds_left(&p, Some(last), at(59_999)), 1, "1 ms left shows 1 s");
        assert_eq!(cooldown_seconds_left(&p, Some(last), at(60_000)), 0);
        assert_eq!(cooldown_seconds_left(&p, Some(last), at(1)), 60, "59.999 s left rounds up to 60");
    }

    #[test]
    fn r_l3_a_payout_dated_in_the_future_keeps_the_full_cooldown() {
        let p = Policy::default();
        assert_eq!(cooldown_seconds_left(&p, Some(now().plus_seconds(30)), now()), 60);
        assert_eq!(cooldown_seconds_left(&p, None, now()), 0);
    }
}
