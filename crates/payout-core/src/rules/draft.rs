//! Step 2: the payout as filled in (R-F1..R-F14).
//!
//! A draft is parsed once, field by field ([`Fields`]): [`Draft::parse`] turns a draft whose
//! every field parsed into the typed [`Draft`] that the server decides and stores, and the form's
//! verdict ([`draft_checks`]) reports the fields that do not parse and still runs every check whose
//! fields did, so the person sees everything. Both run the same checks on the same parsed values.

use crate::api::PayoutDraft;
use crate::approval::text_too_long;
use crate::facts::{AccountKind, Facts, PayoutType, Role};
use crate::money::{Money, MoneyError};
use crate::policy::Policy;
use crate::reasons::{fill_template, MAX_TEXT_CHARS};
use crate::violation::{Code, Field, Violation};

/// A payout draft whose every field parsed: what the rules decide and the server stores. Its only
/// constructor is [`Draft::parse`] (`non_exhaustive`: no other crate can build one), so a draft
/// with a bad amount or an unknown type cannot exist.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Draft {
    /// Trimmed.
    pub order_no: String,
    pub source_account: AccountKind,
    pub payout_type: PayoutType,
    pub amount: Money,
    /// `None` when left out or empty.
    pub linked_item_id: Option<String>,
    /// The internal note, trimmed; `None` when left out or blank.
    pub note: Option<String>,
    pub confirm_duplicate_shipping: bool,
    pub reason_id: Option<i64>,
    /// The buyer message as typed (trimmed), placeholders not yet filled: `None` when left out
    /// (the reason's template is used), `Some("")` when cleared on purpose (no message).
    pub buyer_message: Option<String>,
}

impl Draft {
    /// Parses every field (R-F1 amount, R-F6 a known account, R-F11 type, R-F14 lengths) and
    /// returns every problem, or the typed draft.
    pub fn parse(policy: &Policy, raw: &PayoutDraft) -> Result<Draft, Vec<Violation>> {
        let f = Fields::parse(policy, raw);
        match (f.amount, f.source_account, f.payout_type) {
            (Ok(amount), Some(source_account), Some(payout_type)) if f.syntax.is_empty() => Ok(Draft {
                order_no: raw.order_no.trim().to_owned(),
                source_account,
                payout_type,
                amount,
                linked_item_id: f.linked_item_id.map(str::to_owned),
                note: raw.note.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned),
                confirm_duplicate_shipping: f.confirm_duplicate_shipping,
                reason_id: f.reason_id,
                buyer_message: f.buyer_message.map(str::to_owned),
            }),
            _ => Err(f.syntax),
        }
    }

    fn fields(&self) -> Fields<'_> {
        Fields {
            amount: Ok(self.amount),
            source_account: Some(self.source_account),
            payout_type: Some(self.payout_type),
            linked_item_id: self.linked_item_id.as_deref(),
            confirm_duplicate_shipping: self.confirm_duplicate_shipping,
            reason_id: self.reason_id,
            buyer_message: self.buyer_message.as_deref(),
            order_no: &self.order_no,
            syntax: Vec::new(),
        }
    }

    /// The message the buyer receives: the typed text, or else the reason's template, with its
    /// placeholders filled from this payout (SPEC §11.1). `None` when there is none.
    pub fn buyer_message_for(&self, facts: &Facts) -> Option<String> {
        self.fields().buyer_message_for(facts)
    }
}

/// The rules of step 2 on a parsed draft: what creating it would be refused for.
pub fn parsed_draft_checks(policy: &Policy, facts: &Facts, draft: &Draft) -> Vec<Violation> {
    checks(policy, facts, &draft.fields())
}

/// The form's verdict on a draft as typed: the fields that do not parse, and every check whose
/// fields did.
pub fn draft_checks(policy: &Policy, facts: &Facts, raw: &PayoutDraft) -> Vec<Violation> {
    checks(policy, facts, &Fields::parse(policy, raw))
}

/// A draft's fields, each parsed once: what did not parse is reported in `syntax`.
struct Fields<'a> {
    order_no: &'a str,
    amount: Result<Money, MoneyError>,
    source_account: Option<AccountKind>,
    payout_type: Option<PayoutType>,
    linked_item_id: Option<&'a str>,
    confirm_duplicate_shipping: bool,
    reason_id: Option<i64>,
    buyer_message: Option<&'a str>,
    syntax: Vec<Violation>,
}

impl<'a> Fields<'a> {
    fn parse(policy: &Policy, raw: &'a PayoutDraft) -> Fields<'a> {
        let mut syntax = Vec::new();
        let amount = policy.parse_payout_amount(&raw.amount);
        if let Err(e) = &amount {
            syntax
                .push(Violation::new(Code::AmountInvalid, e.message_zh(), e.message_en()).on(Field::Amount));
        }
        let source_account = AccountKind::parse(&raw.source_account);
        if source_account.is_none() {
            syntax.push(
                Violation::new(
                    Code::SourceAccountNotAllowed,
                    "请选择出款账户（聚合账户或管家账户）",
                    "Choose a source account (aggregate or custody)",
                )
                .on(Field::SourceAccount),
            );
        }
        let too_long = |text: &Option<String>| {
            text.as_deref().is_some_and(|t| t.trim().chars().count() > MAX_TEXT_CHARS)
        };
        if too_long(&raw.buyer_message) {
            syntax.push(text_too_long("买家留言", "The buyer message").on(Field::BuyerMessage));
        }
        if too_long(&raw.note) {
            syntax.push(text_too_long("内部备注", "The internal note").on(Field::Note));
        }
        let payout_type = PayoutType::parse(&raw.payout_type);
        if payout_type.is_none() {
            syntax.push(
                Violation::new(
                    Code::PayoutTypeInvalid,
                    "请选择打款类型：运费补偿、差价补偿、商品问题补偿或其他补偿",
                    "Choose a payout type: shipping fee, price difference, product issue or other",
                )
                .on(Field::PayoutType),
            );
        }
        Fields {
            order_no: raw.order_no.trim(),
            amount,
            source_account,
            payout_type,
            linked_item_id: raw.linked_item_id.as_deref().filter(|id| !id.is_empty()),
            confirm_duplicate_shipping: raw.confirm_duplicate_shipping == Some(true),
            reason_id: raw.reason_id,
            buyer_message: raw.buyer_message.as_deref().map(str::trim),
            syntax,
        }
    }

    /// The buyer message with its placeholders filled; the amount as parsed (`12.50`).
    fn buyer_message_for(&self, facts: &Facts) -> Option<String> {
        let text = match self.buyer_message {
            Some("") => return None,
            Some(typed) => typed,
            None => facts
                .shop
                .reasons
                .iter()
                .find(|r| Some(r.id) == self.reason_id)
                .and_then(|r| r.buyer_message_template.as_deref())?,
        };
        let amount = self.amount.as_ref().map_or_else(|_| "{amount}".to_owned(), Money::to_string);
        Some(fill_template(text, self.order_no, &amount, &facts.shop.name))
    }
}

fn checks(policy: &Policy, facts: &Facts, f: &Fields<'_>) -> Vec<Violation> {
    let mut v = f.syntax.clone();
    if let Ok(amount) = f.amount {
        v.extend(amount_limits(policy, facts, amount));
    }
    if let Some(kind) = f.source_account {
        v.extend(account_checks(facts, kind, f.amount.as_ref().ok().copied()));
    }

    if let Some(item) = f.linked_item_id {
        if !facts.order.items.iter().any(|i| i.id == item) {
            v.push(
                Violation::new(
                    Code::LinkedItemNotInOrder,
                    "关联商品不属于该订单",
                    "The linked product is not a line item of this order",
                )
                .on(Field::LinkedItemId),
            );
        }
    }

    v.extend(reason_checks(facts, f.reason_id, f.payout_type));

    // R-F14 holds for the message the buyer gets, filled from this payout, also when a template
    // made it (the typed text itself was checked as it was parsed).
    let typed_too_long = f.syntax.iter().any(|x| x.field == Some(Field::BuyerMessage));
    if !typed_too_long && f.buyer_message_for(facts).is_some_and(|m| m.chars().count() > MAX_TEXT_CHARS) {
        v.push(
            text_too_long(
                "填入打款信息后的买家留言",
                "The buyer message with this payout's details filled in",
            )
            .on(Field::BuyerMessage),
        );
    }

    if f.payout_type == Some(PayoutType::Shipping)
        && facts.usage.has_counted_shipping
        && !f.confirm_duplicate_shipping
    {
        v.push(
            Violation::new(
                Code::DuplicateShippingConfirmationRequired,
                "该订单已有运费补偿打款，确认要再次补偿运费吗？",
                "This order already received a shipping-fee payout. Pay shipping again?",
            )
            .on(Field::ConfirmDuplicateShipping),
        );
    }
    // Keep the fields in the order a person reads the form: amount problems first.
    v.sort_by_key(|v| v.field.map(field_rank));
    v
}

/// For the form only: an amount above the policy's largest cap fails R-F1 and so skips the limit
/// checks; this compares it with every limit anyway (R-F2..R-F5, R-F8), so a person who typed
/// `501` sees each limit it exceeds. Empty for any amount that parses within the cap (then
/// [`draft_checks`] already ran them) or does not parse at all.
pub fn limits_exceeded_by_oversized_amount(
    policy: &Policy,
    facts: &Facts,
    draft: &PayoutDraft,
) -> Vec<Violation> {
    if !matches!(policy.parse_payout_amount(&draft.amount), Err(MoneyError::TooLarge { .. })) {
        return Vec::new();
    }
    let Ok(amount) = Money::parse_positive(&draft.amount) else { return Vec::new() };
    let mut v = amount_limits(policy, facts, amount);
    if let Some(kind) = AccountKind::parse(&draft.source_account) {
        v.extend(
            account_checks(facts, kind, Some(amount))
                .into_iter()
                .filter(|x| x.code == Code::InsufficientAvailableBalance && x.field == Some(Field::Amount)),
        );
    }
    v
}

fn field_rank(field: Field) -> u8 {
    match field {
        Field::OrderNo => 0,
        Field::Amount => 1,
        Field::SourceAccount => 2,
        Field::ReasonId => 3,
        Field::PayoutType => 4,
        Field::ConfirmDuplicateShipping => 5,
        Field::LinkedItemId => 6,
        Field::BuyerMessage => 7,
        Field::Note => 8,
    }
}

/// R-F12, R-F13: the reason, when the shop requires one or one is given, must be one of the
/// shop's active reasons of the draft's payout type.
fn reason_checks(facts: &Facts, reason_id: Option<i64>, payout_type: Option<PayoutType>) -> Vec<Violation> {
    let Some(id) = reason_id else {
        return if facts.shop.require_reason {
            vec![Violation::new(
                Code::ReasonRequired,
                "请选择打款原因（店铺要求每笔打款注明原因）",
                "Choose a payout reason (the shop requires one for every payout)",
            )
            .on(Field::ReasonId)]
        } else {
            vec![]
        };
    };
    let invalid = |zh: &str, en: &str| vec![Violation::new(Code::ReasonInvalid, zh, en).on(Field::ReasonId)];
    match facts.shop.reasons.iter().find(|r| r.id == id && r.active) {
        None => invalid(
            "该打款原因不存在或已停用，请重新选择",
            "This reason does not exist or is switched off; choose another",
        ),
        Some(reason) => match payout_type {
            Some(ty) if ty != reason.payout_type => invalid(
                &format!(
                    "打款原因“{}”属于{}，与所选打款类型不符",
                    reason.name_zh,
                    reason.payout_type.label_zh()
                ),
                &format!(
                    "The reason \"{}\" belongs to {}, not to the payout type chosen",
                    reason.name(true),
                    reason.payout_type.label_en()
                ),
            ),
            _ => vec![],
        },
    }
}

/// R-F2..R-F5: the amount against what the order, the operator and the shop have left.
fn amount_limits(policy: &Policy, facts: &Facts, amount: Money) -> Vec<Violation> {
    let mut v = Vec::new();
    let cap = policy.order_cap(facts.order.paid_amount);
    let order_remaining = cap.saturating_sub(facts.usage.counted_total);
    if amount > order_remaining {
        v.push(
            Violation::new(
                Code::AmountOverOrderRemaining,
                format!(
                    "超出该订单剩余可打款金额 ¥{order_remaining:#}（订单上限 ¥{cap:#}，已计入 ¥{:#}）",
                    facts.usage.counted_total
                ),
                format!(
                    "More than this order's remaining ¥{order_remaining:#} (cap ¥{cap:#}, counted ¥{:#})",
                    facts.usage.counted_total
                ),
            )
            .on(Field::Amount)
            .figures(cap, facts.usage.counted_total),
        );
    }

    let op = &facts.operator;
    if op.role == Role::Sub {
        if let Some(per) = op.per_payout_limit.filter(|m| !m.is_zero()) {
            if amount > per {
                v.push(
                    Violation::new(
                        Code::AmountOverOperatorPerPayout,
                        format!("超出您的单笔打款限额 ¥{per:#}，如需调整请联系主账号"),
                        format!(
                            "More than your per-payout limit of ¥{per:#}; ask the main account to adjust it"
                        ),
                    )
                    .on(Field::Amount)
                    .figures(per, Money::ZERO),
                );
            }
        }
        if let Some(daily) = op.daily_limit.filter(|m| !m.is_zero()) {
            let remaining = daily.saturating_sub(op.used_today);
            if amount > remaining {
                v.push(
                    Violation::new(
                        Code::AmountOverOperatorDailyRemaining,
                        format!("超出您今日剩余打款额度 ¥{remaining:#}（每日限额 ¥{daily:#}）"),
                        format!(
                            "More than your remaining daily quota of ¥{remaining:#} (daily limit ¥{daily:#})"
                        ),
                    )
                    .on(Field::Amount)
                    .figures(daily, op.used_today),
                );
            }
        }
    }

    let shop_remaining = policy.shop_daily_cap.saturating_sub(facts.shop_counted_today);
    if amount > shop_remaining {
        v.push(
            Violation::new(
                Code::AmountOverShopDailyRemaining,
                format!(
                    "超出店铺今日剩余打款额度 ¥{shop_remaining:#}（店铺单日上限 ¥{:#}）",
                    policy.shop_daily_cap
                ),
                format!(
                    "More than the shop's remaining ¥{shop_remaining:#} for today (daily cap ¥{:#})",
                    policy.shop_daily_cap
                ),
            )
            .on(Field::Amount)
            .figures(policy.shop_daily_cap, facts.shop_counted_today),
        );
    }
    v
}

/// R-F6..R-F8: may the shop pay from this account, is it open, does it hold enough.
fn account_checks(facts: &Facts, kind: AccountKind, amount: Option<Money>) -> Vec<Violation> {
    let mut v = Vec::new();
    if !facts.shop.qualification.may_use(kind) {
        v.push(
            Violation::new(
                Code::SourceAccountNotAllowed,
                "个人资质店铺仅支持使用管家账户出款",
                "Individually-qualified shops can pay only from the custody account",
            )
            .on(Field::SourceAccount),
        );
    }
    let account = facts.shop.account(kind).filter(|a| a.opened);
    match account {
        None if kind == AccountKind::Aggregate => v.push(
            Violation::new(
                Code::AggregateAccountNotOpened,
                "店铺未开通聚合账户，请选择管家账户",
                "The shop has not opened its aggregate account; use the custody account",
            )
            .on(Field::SourceAccount),
        ),
        None => v.push(
            Violation::new(
                Code::InsufficientAvailableBalance,
                "管家账户不可用，请先充值",
                "The custody account is not available; top it up first",
            )
            .on(Field::SourceAccount)
            .figures(Money::ZERO, Money::ZERO),
        ),
        Some(account) => {
            let available = account.available();
            if let Some(amount) = amount.filter(|a| *a > available) {
                let label = (kind.label_zh(), kind.label_en());
                let (zh, en) = if account.frozen.is_zero() {
                    (
                        format!("{}可用余额 ¥{available:#} 不足以支付 ¥{amount:#}", label.0),
                        format!(
                            "The {} has ¥{available:#} available, less than ¥{amount:#}",
                            label.1.to_lowercase()
                        ),
                    )
                } else {
                    (
                        format!(
                            "{}可用余额 ¥{available:#} 不足以支付 ¥{amount:#}：其中 ¥{:#} 已被冻结，冻结资金不可用于打款，请解冻后再试",
                            label.0, account.frozen
                        ),
                        format!(
                            "The {} has ¥{available:#} available, less than ¥{amount:#}: ¥{:#} of its balance is frozen and frozen funds cannot be used for payouts",
                            label.1.to_lowercase(), account.frozen
                        ),
                    )
                };
                let mut violation =
                    Violation::new(Code::InsufficientAvailableBalance, zh, en).on(Field::Amount);
                violation.limit = Some(available);
                violation.remaining = Some(available);
                violation.frozen = Some(account.frozen);
                v.push(violation);
            }
        }
    }
    v
}

#[cfg(test)]
mod tests {
    #[test]
    fn r_f1_an_amount_above_the_largest_cap_is_still_compared_with_every_limit() {
        use crate::rules::fixtures::*;
        let mut f = facts();
        f.operator.per_payout_limit = Some(m("50"));
        f.shop.accounts[0].balance = m("100");
        f.shop.accounts[0].frozen = m("0");
        let p = Policy::default();
        let codes: Vec<Code> =
            limits_exceeded_by_oversized_amount(&p, &f, &draft("501")).iter().map(|v| v.code).collect();
        assert!(codes.contains(&Code::AmountOverOrderRemaining), "{codes:?}");
        assert!(codes.contains(&Code::AmountOverOperatorPerPayout), "{codes:?}");
        assert!(codes.contains(&Code::InsufficientAvailableBalance), "{codes:?}");
        assert!(limits_exceeded_by_oversized_amount(&p, &f, &draft("60")).is_empty(), "within the cap");
        assert!(limits_exceeded_by_oversized_amount(&p, &f, &draft("abc")).is_empty());
    }

    use super::*;
    use crate::facts::{OperatorFacts, Qualification};
    use crate::rules::fixtures::*;

    fn check(f: &Facts, d: &PayoutDraft) -> Vec<Code> {
        codes(&draft_checks(&Policy::default(), f, d))
    }

    #[test]
    fn r_f1_invalid_amounts_are_reported_on_the_amount_field() {
        let f = facts();
        for bad in ["", "0", "0.00", "-5", "0.001", "1e2", "1,000", "NaN", "inf", "abc", "500.01"] {
            let v = draft_checks(&Policy::default(), &f, &draft(bad));
            assert_eq!(codes(&v), [Code::AmountInvalid], "amount {bad:?}");
            assert_eq!(v[0].field, Some(Field::Amount));
        }
        for good in ["12", "12.5", "12.50", "0.01", " 12.5 ", "１２．５", "¥12.50"] {
            assert_eq!(check(&f, &draft(good)), [], "amount {good:?}");
        }
    }

    #[test]
    fn r_f2_amount_over_order_remaining_at_each_tier_edge() {
        let mut f = facts();
        f.operator = OperatorFacts::main();
        for (paid, cap) in [
            ("15", "20"),
            ("20", "20"),
            ("20.01", "20.01"),
            ("500", "500"),
            ("500.01", "500"),
            ("899", "500"),
        ] {
            f.order.paid_amount = m(paid);
            assert_eq!(check(&f, &draft(cap)), [], "paid {paid}: the cap itself is fine");
            let over = m(cap).checked_add(m("0.01")).unwrap().to_string();
            let expected: &[Code] =
                if m(&over) > m("500") { &[Code::AmountInvalid] } else { &[Code::AmountOverOrderRemaining] };
            assert_eq!(check(&f, &draft(&over)), expected, "paid {paid}: one fen over");
        }
        f.order.paid_amount = m("128");
        f.usage.counted_total = m("100");
        let v = draft_checks(&Policy::default(), &f, &draft("28.01"));
        assert_eq!(codes(&v), [Code::AmountOverOrderRemaining]);
        assert_eq!((v[0].limit, v[0].used, v[0].remaining), (Some(m("128")), Some(m("100")), Some(m("28"))));
        assert_eq!(check(&f, &draft("28")), []);
    }

    #[test]
    fn r_f3_sub_account_per_payout_limit() {
        let mut f = facts();
        f.operator.per_payout_limit = Some(m("50"));
        assert_eq!(check(&f, &draft("50")), []);
        let v = draft_checks(&Policy::default(), &f, &draft("50.01"));
        assert_eq!(codes(&v), [Code::AmountOverOperatorPerPayout]);
        assert_eq!(v[0].limit, Some(m("50")));
        f.operator = OperatorFacts::main();
        assert_eq!(check(&f, &draft("50.01")), []);
    }

    #[test]
    fn r_f4_sub_account_daily_remaining() {
        let mut f = facts();
        f.operator.used_today = m("1900");
        assert_eq!(check(&f, &draft("100")), []);
        let v = draft_checks(&Policy::default(), &f, &draft("100.01"));
        assert_eq!(codes(&v), [Code::AmountOverOperatorDailyRemaining]);
        assert_eq!(v[0].remaining, Some(m("100")));
    }

    #[test]
    fn r_f5_shop_daily_remaining() {
        let mut f = facts();
        f.shop_counted_today = m("14990");
        assert_eq!(check(&f, &draft("10")), []);
        let v = draft_checks(&Policy::default(), &f, &draft("10.01"));
        assert_eq!(codes(&v), [Code::AmountOverShopDailyRemaining]);
        assert_eq!((v[0].limit, v[0].remaining), (Some(m("15000")), Some(m("10"))));
    }

    #[test]
    fn r_f6_individual_shop_may_pay_only_from_custody() {
        let mut f = facts();
        f.shop.qualification = Qualification::Individual;
        assert_eq!(check(&f, &draft("10")), [Code::SourceAccountNotAllowed]);
        let mut d = draft("10");
        d.source_account = "custody".into();
        assert_eq!(check(&f, &d), []);
        d.source_account = "wallet".into();
        assert_eq!(check(&f, &d), [Code::SourceAccountNotAllowed]);
    }

    #[test]
    fn r_f7_aggregate_account_not_opened() {
        let mut f = facts();
        f.shop.accounts[0].opened = false;
        assert_eq!(check(&f, &draft("10")), [Code::AggregateAccountNotOpened]);
    }

    #[test]
    fn r_f8_frozen_funds_are_not_available_and_the_message_says_so() {
        let mut f = facts();
        f.operator = OperatorFacts::main();
        f.order.paid_amount = m("899");
        f.shop.accounts[0].balance = m("1300");
        f.shop.accounts[0].frozen = m("1200");
        f.shop.accounts[0].reserved = m("0.50");
        assert_eq!(check(&f, &draft("99.50")), []);
        let v = draft_checks(&Policy::default(), &f, &draft("99.51"));
        assert_eq!(codes(&v), [Code::InsufficientAvailableBalance]);
        assert_eq!((v[0].remaining, v[0].frozen), (Some(m("99.50")), Some(m("1200"))));
        assert!(v[0].message_zh.contains("冻结") && v[0].message_zh.contains("¥1,200.00"));
        assert!(v[0].message_en.contains("frozen") && v[0].message_en.contains("¥1,200.00"));
    }

    #[test]
    fn r_f8_a_custody_account_that_is_not_opened_has_nothing_available() {
        let mut f = facts();
        f.shop.accounts[1].opened = false;
        let mut d = draft("10");
        d.source_account = "custody".into();
        let v = draft_checks(&Policy::default(), &f, &d);
        assert_eq!(
            codes(&v),
            [Code::InsufficientAvailableBalance],
            "not R-F7: that is the aggregate account's"
        );
        assert_eq!((v[0].field, v[0].remaining), (Some(Field::SourceAccount), Some(Money::ZERO)));
        f.shop.accounts.truncate(1);
        assert_eq!(check(&f, &d), [Code::InsufficientAvailableBalance], "no custody account at all");
    }

    #[test]
    fn violations_follow_the_order_of_the_form_fields() {
        let mut f = facts();
        f.shop.qualification = Qualification::Individual; // R-F6, on the source account
        f.shop.accounts[0].balance = m("1210"); // 10.00 available: R-F8, on the amount
        f.usage.has_counted_shipping = true; // R-F10, on the confirmation
        let mut d = draft("20");
        d.payout_type = "shipping".into();
        d.linked_item_id = Some("item-of-another-order".into()); // R-F9, on the linked product
        let v = draft_checks(&Policy::default(), &f, &d);
        let fields: Vec<Option<Field>> = v.iter().map(|v| v.field).collect();
        assert_eq!(
            fields,
            [Field::Amount, Field::SourceAccount, Field::ConfirmDuplicateShipping, Field::LinkedItemId]
                .map(Some)
        );
        assert_eq!(
            codes(&v),
            [
                Code::InsufficientAvailableBalance,
                Code::SourceAccountNotAllowed,
                Code::DuplicateShippingConfirmationRequired,
                Code::LinkedItemNotInOrder
            ]
        );
    }

    #[test]
    fn r_f9_linked_item_must_belong_to_the_order() {
        let f = facts();
        let mut d = draft("10");
        d.linked_item_id = Some("item-2".into());
        assert_eq!(check(&f, &d), []);
        d.linked_item_id = Some("item-of-another-order".into());
        assert_eq!(check(&f, &d), [Code::LinkedItemNotInOrder]);
    }

    #[test]
    fn r_f10_second_shipping_payout_needs_confirmation() {
        let mut f = facts();
        f.usage.has_counted_shipping = true;
        let mut d = draft("8");
        d.payout_type = "shipping".into();
        assert_eq!(check(&f, &d), [Code::DuplicateShippingConfirmationRequired]);
        d.confirm_duplicate_shipping = Some(true);
        assert_eq!(check(&f, &d), []);
        d.confirm_duplicate_shipping = None;
        d.payout_type = "price_difference".into();
        assert_eq!(check(&f, &d), [], "only a second shipping payout asks");
    }

    #[test]
    fn r_f11_unknown_payout_type() {
        let mut d = draft("10");
        d.payout_type = "bonus".into();
        assert_eq!(check(&facts(), &d), [Code::PayoutTypeInvalid]);
    }

    #[test]
    fn r_f12_a_reason_is_required_only_when_the_shop_says_so() {
        let mut f = facts();
        assert_eq!(check(&f, &draft("10")), []);
        f.shop.require_reason = true;
        let v = draft_checks(&Policy::default(), &f, &draft("10"));
        assert_eq!(codes(&v), [Code::ReasonRequired]);
        assert_eq!(v[0].field, Some(Field::ReasonId));
        let mut d = draft("10");
        d.reason_id = Some(2); // 降价补差, price_difference
        assert_eq!(check(&f, &d), []);
    }

    #[test]
    fn r_f13_the_reason_must_be_the_shops_active_one_of_the_same_type() {
        let mut f = facts();
        let mut d = draft("10");
        d.reason_id = Some(1); // 退货运费补偿 belongs to shipping
        assert_eq!(check(&f, &d), [Code::ReasonInvalid]);
        d.payout_type = "shipping".into();
        assert_eq!(check(&f, &d), []);
        d.reason_id = Some(99); // another shop's, or none at all
        assert_eq!(check(&f, &d), [Code::ReasonInvalid]);
        d.reason_id = Some(1);
        f.shop.reasons[0].active = false;
        assert_eq!(check(&f, &d), [Code::ReasonInvalid]);
    }

    #[test]
    fn r_f14_buyer_message_and_note_at_most_200_characters() {
        let f = facts();
        let mut d = draft("10");
        d.buyer_message = Some("字".repeat(200));
        d.note = Some("n".repeat(200));
        assert_eq!(check(&f, &d), []);
        d.buyer_message = Some("字".repeat(201));
        let v = draft_checks(&Policy::default(), &f, &d);
        assert_eq!((codes(&v), v[0].field), (vec![Code::TextTooLong], Some(Field::BuyerMessage)));
        d.buyer_message = None;
        d.note = Some("n".repeat(201));
        let v = draft_checks(&Policy::default(), &f, &d);
        assert_eq!((codes(&v), v[0].field), (vec![Code::TextTooLong], Some(Field::Note)));
    }
}
