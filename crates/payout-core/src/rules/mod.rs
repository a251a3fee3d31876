//! The rule engine of SPEC §4: plain functions of (policy, facts, draft, now) that return *every*
//! violation. One function per rule group, run in the order a person meets them (who may pay, the
//! order, the order's limits, the payout as filled in): [`check_payout`] on a parsed [`Draft`]
//! (what the server decides), [`check_draft`] on a draft as typed (the dialog's verdict, which
//! also reports the fields that do not parse).

mod authorization;
mod draft;
mod eligibility;
mod order_limits;

pub use authorization::authorization;
pub use draft::{draft_checks, limits_exceeded_by_oversized_amount, parsed_draft_checks, Draft};
pub use eligibility::eligibility;
pub use order_limits::order_limits;

use crate::api::PayoutDraft;
use crate::facts::Facts;
use crate::policy::Policy;
use crate::time::Time;
use crate::violation::Violation;

/// The full verdict on a parsed draft: empty means the payout may be created now.
pub fn check_payout(policy: &Policy, facts: &Facts, draft: &Draft, now: Time) -> Vec<Violation> {
    let mut violations = before_the_draft(policy, facts, now);
    violations.extend(parsed_draft_checks(policy, facts, draft));
    violations
}

/// The full verdict on a draft as typed: every field that does not parse, and every rule whose
/// fields did. For a draft that parses it is exactly [`check_payout`]'s.
pub fn check_draft(policy: &Policy, facts: &Facts, draft: &PayoutDraft, now: Time) -> Vec<Violation> {
    let mut violations = before_the_draft(policy, facts, now);
    violations.extend(draft_checks(policy, facts, draft));
    violations
}

/// Who may pay, the order, the order's limits: the rules that do not look at the draft.
fn before_the_draft(policy: &Policy, facts: &Facts, now: Time) -> Vec<Violation> {
    let mut violations = authorization(&facts.operator);
    violations.extend(eligibility(policy, &facts.order, &facts.shop, now));
    violations.extend(order_limits(policy, facts, now));
    violations
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! The shared fixtures at a fixed "now", plus helpers for the rule tests.
    use crate::facts::Facts;
    pub use crate::fixtures::{draft, m};
    use crate::time::Time;

    pub fn now() -> Time {
        Time::parse("2026-11-24T12:00:00+08:00").unwrap()
    }

    pub fn facts() -> Facts {
        crate::fixtures::facts_at(now())
    }

    pub fn codes(v: &[crate::violation::Violation]) -> Vec<crate::violation::Code> {
        v.iter().map(|v| v.code).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;
    use crate::facts::Role;
    use crate::money::Money;
    use proptest::prelude::*;

    #[test]
    fn a_clean_draft_has_no_violations() {
        assert_eq!(check_draft(&Policy::default(), &facts(), &draft("12.50"), now()), vec![]);
    }

    #[test]
    fn every_violation_is_reported_not_only_the_first() {
        let mut f = facts();
        f.shop.status = crate::facts::ShopStatus::Suspended;
        f.order.cross_border = true;
        f.usage.counted_count = 5;
        let v = check_draft(&Policy::default(), &f, &draft("0.001"), now());
        let rules: Vec<&str> = v.iter().map(|v| v.rule.as_str()).collect();
        assert_eq!(rules, ["R-E5", "R-E6", "R-L1", "R-F1"]);
    }

    #[test]
    fn r_f1_a_draft_parses_once_into_typed_fields_or_every_problem() {
        let p = Policy::default();
        let mut raw = draft(" ¥１２．５ ");
        raw.note = Some("  ".into());
        raw.linked_item_id = Some(String::new());
        let d = Draft::parse(&p, &raw).unwrap();
        assert_eq!((d.amount, d.note, d.linked_item_id), (Money::from_fen(1250).unwrap(), None, None));
        raw.amount = "0.001".into();
        raw.payout_type = "bonus".into();
        let codes: Vec<_> = Draft::parse(&p, &raw).unwrap_err().iter().map(|v| v.code).collect();
        assert_eq!(codes, [crate::Code::AmountInvalid, crate::Code::PayoutTypeInvalid]);
    }

    #[test]
    fn r_f14_the_buyer_message_is_filled_from_the_payout_itself() {
        // Found in review: the dialog filled `{amount}` once, so 18.8 changed to 18.9 told the
        // buyer ¥18.80 while ¥18.90 was paid.
        let p = Policy::default();
        let f = facts();
        let mut raw = draft("18.9");
        raw.buyer_message = Some("订单 {order_no} 补差价 ¥{amount}，{shop_name}".into());
        let d = Draft::parse(&p, &raw).unwrap();
        assert_eq!(
            d.buyer_message_for(&f).unwrap(),
            format!("订单 6920241100000000002 补差价 ¥18.90，{}", f.shop.name)
        );
        raw.buyer_message = None;
        raw.reason_id = Some(2); // 降价补差: its template is used when nothing is typed
        let from_template = Draft::parse(&p, &raw).unwrap().buyer_message_for(&f).unwrap();
        assert!(from_template.contains("¥18.90") && !from_template.contains('{'), "{from_template}");
        raw.buyer_message = Some(String::new());
        assert_eq!(Draft::parse(&p, &raw).unwrap().buyer_message_for(&f), None, "cleared on purpose");
    }

    #[test]
    fn r_f14_a_message_that_grows_past_200_characters_when_filled_is_refused() {
        let p = Policy::default();
        let mut raw = draft("10");
        raw.buyer_message = Some(format!("{}{{order_no}}", "字".repeat(190)));
        let v = check_draft(&p, &facts(), &raw, now());
        assert_eq!(codes(&v), [crate::Code::TextTooLong]);
        assert_eq!(v[0].field, Some(crate::Field::BuyerMessage));
    }

    #[test]
    fn r_l4_r_f5_r_f8_limit_messages_write_amounts_thousands_separated() {
        let mut f = facts();
        f.operator = crate::facts::OperatorFacts::main();
        f.shop_counted_today = m("14700");
        f.shop.accounts[0].balance = m("1300");
        f.shop.accounts[0].frozen = m("1200");
        let v = check_draft(&Policy::default(), &f, &draft("400"), now());
        let all =
            v.iter().map(|v| format!("{}\n{}", v.message_zh, v.message_en)).collect::<Vec<_>>().join("\n");
        assert!(all.contains("超出店铺今日剩余打款额度 ¥300.00（店铺单日上限 ¥15,000.00）"), "R-F5: {all}");
        assert!(all.contains("(daily cap ¥15,000.00)"), "R-F5: {all}");
        assert!(all.contains("可用余额 ¥100.00 不足以支付 ¥400.00：其中 ¥1,200.00 已被冻结"), "R-F8: {all}");
        assert!(all.contains("¥1,200.00 of its balance is frozen"), "R-F8: {all}");
        assert!(!all.contains("15000.00") && !all.contains("1200.00"), "{all}");

        f.shop_counted_today = m("15000");
        let v = check_draft(&Policy::default(), &f, &draft("1"), now());
        assert!(v.iter().any(|v| v.message_zh == "店铺今日累计打款已达上限 ¥15,000.00"), "R-L4: {v:?}");
        let json = serde_json::to_string(&v).unwrap();
        assert!(json.contains("\"limit\":\"15000.00\""), "the figures stay plain: {json}");
    }

    fn arb_money(max_fen: i64) -> impl Strategy<Value = Money> {
        (0..=max_fen).prop_map(|f| Money::from_fen(f).unwrap())
    }

    prop_compose! {
        fn arb_facts()(
            paid in arb_money(100_000),
            counted_total in arb_money(60_000),
            counted_count in 0u32..7,
            shop_today in arb_money(1_600_000),
            used_today in arb_money(40_000),
            per in arb_money(30_000),
            daily in arb_money(40_000),
            sub in any::<bool>(),
            available in arb_money(100_000),
        ) -> crate::facts::Facts {
            let mut f = facts();
            f.order.paid_amount = paid;
            f.usage.counted_total = counted_total;
            f.usage.counted_count = counted_count;
            f.shop_counted_today = shop_today;
            f.shop.accounts[0].balance = available;
            f.shop.accounts[0].frozen = Money::ZERO;
            if sub {
                f.operator.per_payout_limit = Some(per);
                f.operator.daily_limit = Some(daily);
                f.operator.used_today = used_today;
            } else {
                f.operator = crate::facts::OperatorFacts::main();
            }
            f
        }
    }

    proptest! {
        // Enough cases that thousands of drafts are accepted, not a handful.
        #![proptest_config(ProptestConfig::with_cases(4000))]

        #[test]
        fn r_f2_r_f5_an_accepted_draft_never_makes_a_counted_total_pass_its_cap(
            f in arb_facts(), amount in arb_money(60_000)
        ) {
            let policy = Policy::default();
            let v = check_draft(&policy, &f, &draft(&amount.to_string()), now());
            if v.is_empty() {
                let order_cap = policy.order_cap(f.order.paid_amount);
                prop_assert!(f.usage.counted_total.checked_add(amount).unwrap() <= order_cap);
                prop_assert!(f.usage.counted_count < policy.max_payouts_per_order);
                prop_assert!(f.shop_counted_today.checked_add(amount).unwrap() <= policy.shop_daily_cap);
                prop_assert!(amount <= f.shop.accounts[0].available());
                if f.operator.role == Role::Sub {
                    prop_assert!(amount <= f.operator.per_payout_limit.unwrap());
                    prop_assert!(f.operator.used_today.checked_add(amount).unwrap() <= f.operator.daily_limit.unwrap());
                }
            }
        }

        #[test]
        fn r_f1_an_accepted_draft_stays_accepted_when_its_amount_shrinks(
            f in arb_facts(), amount in arb_money(60_000), percent in 1i64..=100
        ) {
            let policy = Policy::default();
            if check_draft(&policy, &f, &draft(&amount.to_string()), now()).is_empty() {
                let smaller = Money::from_fen((amount.to_fen() * percent / 100).max(1)).unwrap();
                prop_assert_eq!(check_draft(&policy, &f, &draft(&smaller.to_string()), now()), vec![]);
            }
        }

        #[test]
        fn a_draft_that_parses_gets_the_same_verdict_typed_or_parsed(
            f in arb_facts(), amount in arb_money(60_000), shipping in any::<bool>(), confirm in any::<bool>()
        ) {
            let policy = Policy::default();
            let mut raw = draft(&amount.to_string());
            if shipping {
                raw.payout_type = "shipping".into();
            }
            raw.confirm_duplicate_shipping = Some(confirm);
            if let Ok(parsed) = Draft::parse(&policy, &raw) {
                prop_assert_eq!(check_payout(&policy, &f, &parsed, now()), check_draft(&policy, &f, &raw, now()));
            } else {
                prop_assert!(!check_draft(&policy, &f, &raw, now()).is_empty());
            }
        }

        #[test]
        fn the_rules_never_panic_on_any_draft_text(
            f in arb_facts(), amount in "\\PC{0,12}", kind in "\\PC{0,10}", ty in "\\PC{0,10}"
        ) {
            let mut d = draft(&amount);
            d.source_account = kind;
            d.payout_type = ty;
            let _ = check_draft(&Policy::default(), &f, &d, now());
        }
    }
}
