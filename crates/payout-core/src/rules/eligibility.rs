//! Order eligibility, checked when an order is looked up and again when paying (R-E2..R-E6).
//! R-E1 (no such order in this shop) is the store's answer, not a rule over facts.

use crate::facts::{source_app_label, OrderFacts, ShopFacts};
use crate::policy::Policy;
use crate::time::{months_back, Time};
use crate::violation::{Code, Violation};

pub fn eligibility(policy: &Policy, order: &OrderFacts, shop: &ShopFacts, now: Time) -> Vec<Violation> {
    let mut v = Vec::new();
    if !policy.is_eligible_source(&order.source_app) {
        v.push(Violation::new(
            Code::OrderSourceNotEligible,
            format!("该订单来自「{}」，仅抖音系 App（抖音、抖音极速版、抖音火山版、抖音搜索、抖音精选、抖音商城）下单的订单可以打款", source_app_label(&order.source_app).0),
            format!("This order was placed in {}; only orders from the Douyin apps (Douyin, Lite, Volcano, Search, Jingxuan, Mall) can receive payouts", order.source_app),
        ));
    }
    if !order.online_paid {
        v.push(Violation::new(
            Code::OrderNotOnlinePaid,
            "仅在线支付的订单可以打款（货到付款等订单不支持）",
            "Only orders paid online can receive payouts (not cash on delivery)",
        ));
    }
    let earliest = months_back(now, policy.order_max_age_months);
    if order.ordered_at.business_date() < earliest {
        v.push(Violation::new(
            Code::OrderTooOld,
            format!("仅近 {} 个月内下单的订单可以打款（{} 及以后）", policy.order_max_age_months, earliest),
            format!(
                "Only orders placed within the last {} months can receive payouts (on or after {})",
                policy.order_max_age_months, earliest
            ),
        ));
    }
    if order.cross_border {
        v.push(Violation::new(
            Code::OrderCrossBorder,
            "跨境电商订单不支持小额打款",
            "Cross-border orders cannot receive payouts",
        ));
    }
    if !shop.status.is_active() {
        v.push(Violation::new(
            Code::ShopNotActive,
            "店铺当前非正常经营状态（如停业整顿），暂不可使用小额打款",
            "The shop is not in normal operation (e.g. suspended); payouts are unavailable",
        ));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::fixtures::*;

    fn check(f: &crate::facts::Facts, now: Time) -> Vec<Code> {
        codes(&eligibility(&Policy::default(), &f.order, &f.shop, now))
    }

    #[test]
    fn r_e2_orders_from_other_apps_are_not_eligible() {
        let mut f = facts();
        for app in Policy::default().eligible_sources {
            f.order.source_app = app;
            assert_eq!(check(&f, now()), []);
        }
        f.order.source_app = "toutiao".into();
        assert_eq!(check(&f, now()), [Code::OrderSourceNotEligible]);
        assert!(eligibility(&Policy::default(), &f.order, &f.shop, now())[0].message_zh.contains("今日头条"));
    }

    #[test]
    fn r_e3_cash_on_delivery_is_not_eligible() {
        let mut f = facts();
        f.order.online_paid = false;
        assert_eq!(check(&f, now()), [Code::OrderNotOnlinePaid]);
    }

    #[test]
    fn r_e4_twelve_calendar_months_to_the_day_on_the_business_clock() {
        let mut f = facts();
        let now = Time::parse("2026-11-24T00:30:00+08:00").unwrap();
        f.order.ordered_at = Time::parse("2025-11-24T00:00:00+08:00").unwrap();
        assert_eq!(check(&f, now), [], "exactly 12 months ago is still within");
        f.order.ordered_at = Time::parse("2025-11-23T23:59:59+08:00").unwrap();
        assert_eq!(check(&f, now), [Code::OrderTooOld], "one day more is too old");
        // 2025-11-23T16:30Z is already the 24th in UTC+8, so it is still within.
        f.order.ordered_at = Time::parse("2025-11-23T16:30:00Z").unwrap();
        assert_eq!(check(&f, now), []);
    }

    #[test]
    fn r_e5_cross_border_orders_are_not_eligible() {
        let mut f = facts();
        f.order.cross_border = true;
        assert_eq!(check(&f, now()), [Code::OrderCrossBorder]);
    }

    #[test]
    fn r_e6_a_shop_that_is_not_active_cannot_pay() {
        let mut f = facts();
        f.shop.status = crate::facts::ShopStatus::Suspended;
        assert_eq!(check(&f, now()), [Code::ShopNotActive]);
    }
}
