//! A shop, an operator and an order that break no rule (SPEC §9's 林记家居旗舰店, order 2, with
//! lin.agent2's quota), for tests here and in the SPA; each test changes one thing.
//! Compiled only for tests and with the `fixtures` feature.

use crate::api::PayoutDraft;
use crate::facts::*;
use crate::money::Money;
use crate::time::Time;

/// An amount from text that is known to be valid.
pub fn m(text: &str) -> Money {
    Money::parse(text).unwrap_or_else(|e| panic!("fixture amount {text:?}: {e}"))
}

/// The clean facts as of `now` (the order was placed ten days earlier).
pub fn facts_at(now: Time) -> Facts {
    Facts {
        shop: ShopFacts {
            qualification: Qualification::Enterprise,
            status: crate::facts::ShopStatus::Active,
            accounts: vec![
                AccountFacts {
                    kind: AccountKind::Aggregate,
                    opened: true,
                    balance: m("20000"),
                    frozen: m("1200"),
                    reserved: Money::ZERO,
                },
                AccountFacts {
                    kind: AccountKind::Custody,
                    opened: true,
                    balance: m("3000"),
                    frozen: Money::ZERO,
                    reserved: Money::ZERO,
                },
            ],
            name: "林记家居旗舰店".into(),
            approval_threshold: None,
            require_reason: false,
            reasons: crate::reasons::DEFAULT_REASONS
                .iter()
                .zip(1..)
                .map(|((zh, en, ty, template), id)| crate::reasons::Reason {
                    id,
                    name_zh: (*zh).into(),
                    name_en: Some((*en).into()),
                    payout_type: *ty,
                    buyer_message_template: Some((*template).into()).filter(|t: &String| !t.is_empty()),
                    active: true,
                    position: id as u32,
                })
                .collect(),
        },
        operator: OperatorFacts {
            role: Role::Sub,
            payout_enabled: true,
            quota_enabled: true,
            per_payout_limit: Some(m("200")),
            daily_limit: Some(m("2000")),
            used_today: Money::ZERO,
        },
        order: OrderFacts {
            order_no: "6920241100000000002".into(),
            source_app: "douyin_mall".into(),
            paid_amount: m("128"),
            ordered_at: now.plus_seconds(-10 * 86_400),
            online_paid: true,
            cross_border: false,
            items: vec![
                OrderItem { id: "item-1".into(), title: "靠垫".into(), amount: m("28") },
                OrderItem { id: "item-2".into(), title: "地毯".into(), amount: m("100") },
            ],
            buyer: Some("dy_******89".into()),
        },
        usage: OrderUsage::default(),
        shop_counted_today: Money::ZERO,
    }
}

/// A price-difference payout of `amount` on that order from the aggregate account.
pub fn draft(amount: &str) -> PayoutDraft {
    PayoutDraft {
        order_no: "6920241100000000002".into(),
        source_account: "aggregate".into(),
        payout_type: "price_difference".into(),
        amount: amount.into(),
        linked_item_id: None,
        note: None,
        confirm_duplicate_shipping: None,
        reason_id: None,
        buyer_message: None,
    }
}
