//! Who may pay (R-P1, R-P2).

use crate::facts::{OperatorFacts, Role};
use crate::violation::{Code, Violation};

/// R-P1: a sub-account needs payout permission. R-P2: and a quota that is set and not zero.
pub fn authorization(operator: &OperatorFacts) -> Vec<Violation> {
    if operator.role == Role::Main {
        return vec![];
    }
    if !operator.payout_enabled {
        return vec![Violation::new(
            Code::NotAuthorized,
            "您没有小额打款权限，请联系主账号授权",
            "You do not have payout permission; ask the shop's main account to grant it",
        )];
    }
    if !operator.quota_enabled {
        return vec![Violation::new(
            Code::OperatorNoQuota,
            "您的打款配额已停用，请联系主账号或配额管理员",
            "Your payout quota is switched off; ask the main account or a quota manager",
        )];
    }
    let unset = |limit: Option<crate::money::Money>| limit.is_none_or(|m| m.is_zero());
    if unset(operator.per_payout_limit) || unset(operator.daily_limit) {
        return vec![Violation::new(
            Code::OperatorNoQuota,
            "您的打款额度为 0，请联系主账号为您设置打款配额",
            "Your payout quota is zero; ask the main account to set your quota",
        )];
    }
    vec![]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Money;
    use crate::rules::fixtures::*;

    #[test]
    fn r_p1_main_account_may_always_pay() {
        assert_eq!(authorization(&OperatorFacts::main()), vec![]);
    }

    #[test]
    fn r_p1_sub_account_without_permission_is_not_authorized() {
        let mut op = facts().operator;
        op.payout_enabled = false;
        assert_eq!(codes(&authorization(&op)), [Code::NotAuthorized]);
    }

    #[test]
    fn r_p2_sub_account_with_zero_or_unset_quota_cannot_pay() {
        let mut op = facts().operator;
        op.daily_limit = Some(Money::ZERO);
        assert_eq!(codes(&authorization(&op)), [Code::OperatorNoQuota]);
        op.daily_limit = Some(m("300"));
        op.per_payout_limit = None;
        assert_eq!(codes(&authorization(&op)), [Code::OperatorNoQuota]);
        op.per_payout_limit = Some(m("0.01"));
        assert_eq!(authorization(&op), vec![]);
    }

    #[test]
    fn r_p2_sub_account_whose_quota_is_switched_off_cannot_pay() {
        let mut op = facts().operator;
        op.quota_enabled = false;
        assert_eq!(codes(&authorization(&op)), [Code::OperatorNoQuota]);
        op.payout_enabled = false;
        assert_eq!(codes(&authorization(&op)), [Code::NotAuthorized], "R-P1 is reported before R-P2");
    }
}
