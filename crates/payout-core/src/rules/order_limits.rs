//! Step 1: can this order take another payout at all? (R-L1..R-L5)

use crate::facts::{Facts, Role};
use crate::meters::{cooldown_millis_left, cooldown_seconds_left};
use crate::policy::Policy;
use crate::time::Time;
use crate::violation::{Code, Violation};

pub fn order_limits(policy: &Policy, facts: &Facts, now: Time) -> Vec<Violation> {
    let mut v = Vec::new();
    let usage = &facts.usage;

    if usage.counted_count >= policy.max_payouts_per_order {
        let mut violation = Violation::new(
            Code::OrderCountLimit,
            format!(
                "该订单已计入 {} 次打款，每笔订单最多打款 {} 次",
                usage.counted_count, policy.max_payouts_per_order
            ),
            format!(
                "This order already counts {} payouts; an order can receive at most {}",
                usage.counted_count, policy.max_payouts_per_order
            ),
        );
        violation.count_limit = Some(policy.max_payouts_per_order);
        violation.count_used = Some(usage.counted_count);
        v.push(violation);
    }

    let cap = policy.order_cap(facts.order.paid_amount);
    if usage.counted_total >= cap {
        v.push(
            Violation::new(
                Code::OrderAmountLimit,
                format!("该订单累计打款 ¥{:#} 已达上限 ¥{:#}", usage.counted_total, cap),
                format!(
                    "Payouts on this order (¥{:#}) have reached its cap of ¥{:#}",
                    usage.counted_total, cap
                ),
            )
            .figures(cap, usage.counted_total),
        );
    }

    if cooldown_millis_left(policy, usage.last_created_at, now) > 0 {
        let seconds_left = cooldown_seconds_left(policy, usage.last_created_at, now);
        let mut violation = Violation::new(
            Code::OrderCooldown,
            format!(
                "同一订单 {} 秒内只能发起一笔打款，请 {} 秒后再试",
                policy.cooldown_seconds, seconds_left
            ),
            format!(
                "Only one payout per order every {} seconds; try again in {} s",
                policy.cooldown_seconds, seconds_left
            ),
        );
        violation.seconds_left = Some(seconds_left);
        v.push(violation);
    }

    if facts.shop_counted_today >= policy.shop_daily_cap {
        v.push(
            Violation::new(
                Code::ShopDailyLimit,
                format!("店铺今日累计打款已达上限 ¥{:#}", policy.shop_daily_cap),
                format!("The shop has reached its daily payout cap of ¥{:#}", policy.shop_daily_cap),
            )
            .figures(policy.shop_daily_cap, facts.shop_counted_today),
        );
    }

    let op = &facts.operator;
    if let (Role::Sub, Some(daily)) = (op.role, op.daily_limit) {
        if !daily.is_zero() && op.used_today >= daily {
            v.push(
                Violation::new(
                    Code::OperatorDailyLimit,
                    format!("您今日的打款额度 ¥{daily:#} 已用完，请联系主账号调整"),
                    format!(
                        "You have used your whole daily quota of ¥{daily:#}; ask the main account to raise it"
                    ),
                )
                .figures(daily, op.used_today),
            );
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::OperatorFacts;
    use crate::rules::fixtures::*;

    fn check(f: &Facts, now: Time) -> Vec<Code> {
        codes(&order_limits(&Policy::default(), f, now))
    }

    #[test]
    fn r_l1_fifth_counted_payout_closes_the_order() {
        let mut f = facts();
        f.usage.counted_count = 4;
        assert_eq!(check(&f, now()), []);
        f.usage.counted_count = 5;
        let v = order_limits(&Policy::default(), &f, now());
        assert_eq!(codes(&v), [Code::OrderCountLimit]);
        assert_eq!((v[0].count_limit, v[0].count_used), (Some(5), Some(5)));
    }

    #[test]
    fn r_l2_order_cap_reached_on_each_tier_edge() {
        let mut f = facts();
        for (paid, cap) in [("15", "20"), ("20", "20"), ("20.01", "20.01"), ("500", "500"), ("500.01", "500")]
        {
            f.order.paid_amount = m(paid);
            f.usage.counted_total = m(cap).checked_sub(m("0.01")).unwrap();
            assert_eq!(check(&f, now()), [], "paid {paid}: one fen below the cap is open");
            f.usage.counted_total = m(cap);
            let v = order_limits(&Policy::default(), &f, now());
            assert_eq!(codes(&v), [Code::OrderAmountLimit], "paid {paid}: at the cap");
            assert_eq!((v[0].limit, v[0].remaining), (Some(m(cap)), Some(m("0"))));
        }
    }

    #[test]
    fn r_l3_second_payout_within_60s_is_refused_with_seconds_left() {
        let mut f = facts();
        f.usage.last_created_at = Some(now().plus_seconds(-59));
        let v = order_limits(&Policy::default(), &f, now());
        assert_eq!(codes(&v), [Code::OrderCooldown]);
        assert_eq!(v[0].seconds_left, Some(1));
        f.usage.last_created_at = Some(now().plus_seconds(-60));
        assert_eq!(check(&f, now()), [], "after 60 s the order is open again");
        f.usage.last_created_at = Some(now());
        assert_eq!(order_limits(&Policy::default(), &f, now())[0].seconds_left, Some(60));
    }

    #[test]
    fn r_l3_a_payout_at_x_999_keeps_the_order_closed_until_the_full_cooldown_has_passed() {
        // Found in review: both instants were truncated to whole seconds, so a payout at x.999 s
        // let the next one through 59.001 s later.
        let mut f = facts();
        let last = Time::parse("2026-11-24T12:00:00.999+08:00").unwrap();
        f.usage.last_created_at = Some(last);
        let at = |ms: i64| Time::from_unix_millis(last.unix_millis() + ms);
        for ms in [59_001, 59_999] {
            let v = order_limits(&Policy::default(), &f, at(ms));
            assert_eq!(codes(&v), [Code::OrderCooldown], "{ms} ms after the last payout");
            assert_eq!(v[0].seconds_left, Some(1), "{ms} ms: the seconds shown round up");
        }
        assert_eq!(check(&f, at(60_000)), [], "open at exactly 60.000 s");
    }

    #[test]
    fn r_l4_shop_daily_cap_reached() {
        let mut f = facts();
        f.shop_counted_today = m("14999.99");
        assert_eq!(check(&f, now()), []);
        f.shop_counted_today = m("15000");
        assert_eq!(check(&f, now()), [Code::ShopDailyLimit]);
    }

    #[test]
    fn r_l5_sub_account_daily_quota_used_up() {
        let mut f = facts();
        f.operator.used_today = m("1999.99");
        assert_eq!(check(&f, now()), []);
        f.operator.used_today = m("2000");
        let v = order_limits(&Policy::default(), &f, now());
        assert_eq!(codes(&v), [Code::OperatorDailyLimit]);
        assert_eq!(v[0].remaining, Some(m("0")));
        f.operator = OperatorFacts::main();
        assert_eq!(check(&f, now()), [], "D4: the main account has no personal quota");
    }
}
