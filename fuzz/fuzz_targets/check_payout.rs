//! The rule engine of SPEC §4 on arbitrary facts, drafts, clocks and policies: `check_draft` never
//! panics and gives the same answer twice; under a valid policy a draft it accepts fits every meter:
//! the order's remaining amount and count, the cooldown, the operator's per-payout limit and daily
//! remaining, the shop's daily remaining and the source account's available balance.
#![no_main]

use arbitrary::{Arbitrary, Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use payout_core::api::PayoutDraft;
use payout_core::facts::{
    AccountFacts, AccountKind, Facts, OperatorFacts, OrderFacts, OrderItem, OrderUsage, PayoutType,
    Qualification, Role, ShopFacts,
};
use payout_core::money::{Money, MAX_FEN};
use payout_core::{check_draft, meters, Policy, ShopStatus, Time};

/// 2026-11-24T10:05:00Z: the clock sits around the product's present, and sometimes anywhere.
const PRESENT_MS: i64 = 1_795_514_700_000;

/// An amount of every size that matters: a few fen, the size of order caps and quotas, the size of
/// daily caps and balances, the edges, anything the type holds.
fn money(u: &mut Unstructured) -> Result<Money> {
    let fen = match u.int_in_range(0..=4u8)? {
        0 => u.int_in_range(0..=200)?,
        1 => u.int_in_range(0..=60_000)?,
        2 => u.int_in_range(0..=2_000_000)?,
        3 => *u.choose(&[0, 1, 2_000, 50_000, 1_500_000, MAX_FEN - 1, MAX_FEN])?,
        _ => u.int_in_range(0..=MAX_FEN)?,
    };
    Ok(Money::from_fen(fen).expect("fen within 0..=MAX_FEN"))
}

/// What has been used so far: often nothing, so that drafts get through and the meters' edges
/// are reached from below.
fn used(u: &mut Unstructured) -> Result<Money> {
    if u.arbitrary()? {
        Ok(Money::ZERO)
    } else {
        money(u)
    }
}

/// Mostly one of the values the system uses, sometimes any text.
fn word(u: &mut Unstructured, known: &[&str]) -> Result<String> {
    if u.ratio(7, 8)? {
        Ok(u.choose(known)?.to_string())
    } else {
        String::arbitrary(u)
    }
}

/// True with probability 7/8: most facts are the ones that let a payout through.
fn mostly(u: &mut Unstructured) -> Result<bool> {
    u.ratio(7, 8)
}

fn time_near(u: &mut Unstructured, base: Time, max_back_seconds: i64) -> Result<Time> {
    Ok(if u.ratio(15, 16)? {
        base.plus_seconds(-u.int_in_range(-max_back_seconds / 8..=max_back_seconds)?)
    } else {
        Time::from_unix_millis(i64::arbitrary(u)?)
    })
}

fn policy(u: &mut Unstructured) -> Result<Policy> {
    if u.arbitrary()? {
        return Ok(Policy::default());
    }
    let all = Policy::default().eligible_sources;
    Ok(Policy {
        small_order_threshold: money(u)?,
        small_order_cap: money(u)?,
        max_order_cap: money(u)?,
        max_payouts_per_order: u.int_in_range(0..=10)?,
        cooldown_seconds: if u.ratio(1, 16)? { u32::arbitrary(u)? } else { u.int_in_range(0..=3_600)? },
        shop_daily_cap: money(u)?,
        order_max_age_months: if u.ratio(1, 16)? { u32::arbitrary(u)? } else { u.int_in_range(0..=36)? },
        eligible_sources: all.into_iter().filter(|_| u.arbitrary().unwrap_or(true)).collect(),
        stuck_after_minutes: u.int_in_range(0..=120)?,
        approval_expiry_hours: u.int_in_range(0..=72)?,
    })
}

fn account(u: &mut Unstructured, kind: AccountKind) -> Result<AccountFacts> {
    Ok(AccountFacts { kind, opened: mostly(u)?, balance: money(u)?, frozen: used(u)?, reserved: used(u)? })
}

fn facts(u: &mut Unstructured, now: Time) -> Result<Facts> {
    let mut accounts = Vec::new();
    for kind in AccountKind::ALL {
        if mostly(u)? {
            accounts.push(account(u, kind)?);
        }
    }
    let operator = if u.arbitrary()? {
        OperatorFacts::main()
    } else {
        let limit = |u: &mut Unstructured| -> Result<Option<Money>> {
            Ok(if mostly(u)? { Some(money(u)?) } else { None })
        };
        OperatorFacts {
            role: Role::Sub,
            payout_enabled: mostly(u)?,
            quota_enabled: mostly(u)?,
            per_payout_limit: limit(u)?,
            daily_limit: limit(u)?,
            used_today: used(u)?,
        }
    };
    let items = (1..=u.int_in_range(0..=3)?)
        .map(|i| Ok(OrderItem { id: format!("item-{i}"), title: "商品".into(), amount: money(u)? }))
        .collect::<Result<Vec<_>>>()?;
    // The policy's own list of eligible apps, and one that is not (今日头条).
    let mut eligible = Policy::default().eligible_sources;
    eligible.push("toutiao".into());
    let sources: Vec<&str> = eligible.iter().map(String::as_str).collect();
    Ok(Facts {
        shop: ShopFacts {
            qualification: if mostly(u)? { Qualification::Enterprise } else { Qualification::Individual },
            status: if mostly(u)? { ShopStatus::Active } else { ShopStatus::Suspended },
            accounts,
            name: "林记家居旗舰店".into(),
            approval_threshold: if u.arbitrary()? { Some(money(u)?) } else { None },
            require_reason: u.arbitrary()?,
            reasons: payout_core::reasons::DEFAULT_REASONS
                .iter()
                .zip(1..)
                .map(|((zh, en, ty, template), id)| {
                    Ok(payout_core::reasons::Reason {
                        id,
                        name_zh: (*zh).into(),
                        name_en: Some((*en).into()),
                        payout_type: *ty,
                        buyer_message_template: Some((*template).into()),
                        active: mostly(u)?,
                        position: id as u32,
                    })
                })
                .collect::<Result<Vec<_>>>()?,
        },
        operator,
        order: OrderFacts {
            order_no: "6920241100000000002".into(),
            source_app: word(u, &sources)?,
            paid_amount: money(u)?,
            ordered_at: time_near(u, now, 400 * 86_400)?,
            online_paid: mostly(u)?,
            cross_border: !mostly(u)?,
            items,
            buyer: None,
        },
        usage: OrderUsage {
            counted_total: used(u)?,
            counted_count: u.int_in_range(0..=7)?,
            last_created_at: if u.arbitrary()? { Some(time_near(u, now, 120)?) } else { None },
            has_counted_shipping: u.arbitrary()?,
            has_processing: u.arbitrary()?,
        },
        shop_counted_today: used(u)?,
    })
}

/// An amount at the edge of one of the limits: exactly what is left, one fen less or one fen more.
fn edge(u: &mut Unstructured, policy: &Policy, facts: &Facts, now: Time) -> Result<Money> {
    let m = meters(policy, facts, now);
    let mut limits = vec![m.order_remaining, m.shop_daily_remaining, policy.largest_cap()];
    limits.extend(m.operator_daily_remaining);
    limits.extend(m.operator_per_payout_limit);
    limits.extend(facts.shop.accounts.iter().map(AccountFacts::available));
    let limit = *u.choose(&limits)?;
    let one_fen = Money::from_fen(1).expect("one fen");
    Ok(match u.int_in_range(0..=2u8)? {
        0 => limit.saturating_sub(one_fen),
        1 => limit,
        _ => limit.saturating_add(one_fen),
    })
}

fn draft(u: &mut Unstructured, policy: &Policy, facts: &Facts, now: Time) -> Result<PayoutDraft> {
    let amount = match u.int_in_range(0..=4u8)? {
        0 => money(u)?.to_string(),
        1 | 2 => edge(u, policy, facts, now)?.to_string(),
        3 => format!("¥ {}", edge(u, policy, facts, now)?.to_string().replace('.', "．")),
        _ => String::arbitrary(u)?,
    };
    let linked = ["item-1", "item-2", "item-3", "item-9", ""];
    Ok(PayoutDraft {
        order_no: "6920241100000000002".into(),
        source_account: word(u, &["aggregate", "custody"])?,
        payout_type: word(u, &PayoutType::ALL.map(PayoutType::as_str))?,
        amount,
        linked_item_id: if u.arbitrary()? { Some(word(u, &linked)?) } else { None },
        note: if u.arbitrary()? { Some(String::arbitrary(u)?) } else { None },
        confirm_duplicate_shipping: Option::<bool>::arbitrary(u)?,
        reason_id: if u.arbitrary()? { Some(u.int_in_range(0..=6)?) } else { None },
        buyer_message: if u.arbitrary()? { Some(String::arbitrary(u)?) } else { None },
    })
}

fn run(u: &mut Unstructured) -> Result<()> {
    let now = if u.ratio(15, 16)? {
        Time::from_unix_millis(PRESENT_MS + u.int_in_range(-(10 * 365 * 86_400_000)..=10 * 365 * 86_400_000)?)
    } else {
        Time::from_unix_millis(i64::arbitrary(u)?)
    };
    let policy = policy(u)?;
    let facts = facts(u, now)?;
    let draft = draft(u, &policy, &facts, now)?;

    let verdict = check_draft(&policy, &facts, &draft, now);
    assert_eq!(verdict, check_draft(&policy, &facts.clone(), &draft.clone(), now), "not deterministic");
    // The server refuses to start with an invalid policy, so only a valid one must keep its limits.
    if !verdict.is_empty() || policy.validate().is_err() {
        return Ok(());
    }

    let amount = policy.parse_payout_amount(&draft.amount).expect("an accepted amount parses");
    assert!(!amount.is_zero() && amount <= policy.largest_cap(), "R-F1: {amount}");
    let m = meters(&policy, &facts, now);
    let ctx = || format!("amount {amount}, meters {m:?}, facts {facts:?}, draft {draft:?}, now {now}");

    // The order: R-L1, R-L2/R-F2, R-L3.
    assert!(m.order_payouts_left > 0, "R-L1: {}", ctx());
    assert!(amount <= m.order_remaining, "R-F2: {}", ctx());
    let order_total = facts.usage.counted_total.checked_add(amount);
    assert!(order_total.is_some_and(|t| t <= policy.order_cap(facts.order.paid_amount)), "R-F2: {}", ctx());
    assert_eq!(m.cooldown_seconds_left, 0, "R-L3: {}", ctx());

    // The operator: R-P1, R-P2, R-F3, R-F4 (the main account has no personal quota, D4).
    let op = &facts.operator;
    if op.role == Role::Sub {
        assert!(op.payout_enabled && op.quota_enabled, "R-P1/R-P2: {}", ctx());
        assert!(m.operator_per_payout_limit.is_some_and(|per| amount <= per), "R-F3: {}", ctx());
        assert!(m.operator_daily_remaining.is_some_and(|left| amount <= left), "R-F4: {}", ctx());
        let used = op.used_today.checked_add(amount);
        assert!(used.is_some_and(|u| op.daily_limit.is_some_and(|d| u <= d)), "R-F4: {}", ctx());
    }

    // The shop: R-F5, and the order and shop are eligible (R-E2..R-E6).
    assert!(amount <= m.shop_daily_remaining, "R-F5: {}", ctx());
    let shop_total = facts.shop_counted_today.checked_add(amount);
    assert!(shop_total.is_some_and(|t| t <= policy.shop_daily_cap), "R-F5: {}", ctx());
    let order = &facts.order;
    assert!(
        policy.is_eligible_source(&order.source_app) && order.online_paid && !order.cross_border,
        "R-E: {}",
        ctx()
    );
    assert_eq!(facts.shop.status, ShopStatus::Active, "R-E6: {}", ctx());

    // The source account: R-F6, R-F7, R-F8 (available = balance − frozen − reserved).
    let kind = AccountKind::parse(&draft.source_account).expect("R-F6: an accepted draft names an account");
    assert!(facts.shop.qualification.may_use(kind), "R-F6: {}", ctx());
    let account = facts.shop.account(kind).unwrap_or_else(|| panic!("R-F7/R-F8: no such account: {}", ctx()));
    assert!(account.opened && amount <= account.available(), "R-F8: {}", ctx());
    let committed = account.frozen.checked_add(account.reserved).and_then(|c| c.checked_add(amount));
    assert!(committed.is_some_and(|c| c <= account.balance), "R-F8: {}", ctx());

    // R-F11 and the smallest amount: what fits at `amount` fits at one fen.
    assert!(PayoutType::parse(&draft.payout_type).is_some(), "R-F11: {}", ctx());
    let one_fen = PayoutDraft { amount: "0.01".into(), ..draft.clone() };
    assert_eq!(check_draft(&policy, &facts, &one_fen, now), vec![], "one fen: {}", ctx());
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});
