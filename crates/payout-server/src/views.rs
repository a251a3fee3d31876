//! Small conversions from facts to API views that more than one route needs.

use payout_core::api::{PayoutView, SourceAccountView};
use payout_core::approval::is_stuck;
use payout_core::facts::AccountFacts;
use payout_core::{AccountKind, Policy, Qualification, Time};

/// Marks the payouts `processing` for longer than the policy allows as stuck (SPEC §11.4), as of
/// `now`. A `processing` payout's `updated_at` is when it went `processing`.
pub fn mark_stuck(policy: &Policy, now: Time, payouts: &mut [PayoutView]) {
    for p in payouts {
        p.stuck = is_stuck(policy, p.status, p.updated_at, now);
    }
}

/// A source account as the dialog and the settings page show it, with why it cannot be used.
pub fn source_account_view(account: &AccountFacts, qualification: Qualification) -> SourceAccountView {
    let (allowed, reason_zh, reason_en) = if !qualification.may_use(account.kind) {
        (
            false,
            Some("个人资质店铺仅支持使用管家账户出款"),
            Some("Individually-qualified shops can pay only from the custody account"),
        )
    } else if !account.opened && account.kind == AccountKind::Aggregate {
        (false, Some("店铺未开通聚合账户"), Some("The shop has not opened its aggregate account"))
    } else if !account.opened {
        (
            false,
            Some("管家账户未开通，充值后即可使用"),
            Some("The custody account is not open yet; top it up to use it"),
        )
    } else {
        (true, None, None)
    };
    SourceAccountView {
        kind: account.kind,
        opened: account.opened,
        allowed,
        balance: account.balance,
        frozen: account.frozen,
        reserved: account.reserved,
        available: account.available(),
        reason_zh: reason_zh.map(str::to_owned),
        reason_en: reason_en.map(str::to_owned),
    }
}
