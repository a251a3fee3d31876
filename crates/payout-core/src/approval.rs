//! Approval above a threshold (SPEC §11.2) and stuck payouts (§11.4): who waits for whom, for how
//! long, and what a decision needs.

use serde::{Deserialize, Serialize};

use crate::api::PayoutStatus;
use crate::facts::{OperatorFacts, Role, ShopFacts};
use crate::money::{Money, MoneyError};
use crate::policy::Policy;
use crate::reasons::MAX_TEXT_CHARS;
use crate::time::Time;
use crate::violation::{Code, Violation};

/// What `reject_reason` says of a payout nobody decided in time.
pub const EXPIRED: &str = "expired";
/// The `reason` of the event an approval records (the payout goes on as `pending`).
pub const APPROVED: &str = "approved";
/// The actor of decisions nobody made (expiry).
pub const SYSTEM_ACTOR: &str = "system";

/// A sub-account's payout at or above the shop's threshold waits for the main account. The main
/// account's own payouts never wait.
pub fn needs_approval(shop: &ShopFacts, operator: &OperatorFacts, amount: Money) -> bool {
    operator.role == Role::Sub && shop.approval_threshold.is_some_and(|t| amount >= t)
}

/// When a payout created at `created_at` expires if still awaiting approval.
pub fn expires_at(policy: &Policy, created_at: Time) -> Time {
    created_at.plus_seconds(i64::from(policy.approval_expiry_hours) * 3600)
}

/// `processing` for longer than the policy allows: shown as stuck, "do not pay again" (FAQ 5).
pub fn is_stuck(policy: &Policy, status: PayoutStatus, processing_since: Time, now: Time) -> bool {
    status == PayoutStatus::Processing
        && now.millis_since(processing_since) > i64::from(policy.stuck_after_minutes) * 60_000
}

/// R-A2: only the main account decides.
pub fn approver(operator_role: Role) -> Result<(), Box<Violation>> {
    match operator_role {
        Role::Main => Ok(()),
        Role::Sub => Err(Box::new(Violation::new(
            Code::NotApprover,
            "只有主账号可以审核打款",
            "Only the main account can approve or reject payouts",
        ))),
    }
}

/// R-A1 and R-F14: the reason for a rejection, trimmed; required and at most 200 characters.
pub fn reject_reason(text: &str) -> Result<String, Box<Violation>> {
    let reason = text.trim();
    if reason.is_empty() {
        return Err(Box::new(Violation::new(
            Code::RejectReasonRequired,
            "请填写驳回原因，发起打款的客服会看到它",
            "Enter why the payout is rejected; the agent who requested it will see it",
        )));
    }
    if reason.chars().count() > MAX_TEXT_CHARS {
        return Err(Box::new(text_too_long("驳回原因", "The rejection reason")));
    }
    Ok(reason.to_owned())
}

/// R-F14 for any text a person types.
pub fn text_too_long(name_zh: &str, name_en: &str) -> Violation {
    Violation::new(
        Code::TextTooLong,
        format!("{name_zh}不能超过 {MAX_TEXT_CHARS} 个字符"),
        format!("{name_en} cannot be longer than {MAX_TEXT_CHARS} characters"),
    )
}

/// A threshold as sent by the settings page: a positive amount no larger than the largest payout
/// the policy allows (a higher one could never be reached). "No threshold" is `null` in the
/// request, never an empty text: an empty field is an amount missing, not a choice.
pub fn parse_threshold(policy: &Policy, text: &str) -> Result<Money, MoneyError> {
    policy.parse_payout_amount(text)
}

/// The settings page's threshold field: left empty, it means "no threshold" (sent as `null`).
pub fn parse_threshold_field(policy: &Policy, text: &str) -> Result<Option<Money>, MoneyError> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    parse_threshold(policy, text).map(Some)
}

/// `POST /api/payouts/{id}/reject`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RejectRequest {
    /// Required (R-A1); the agent sees it. Left out, it is empty and R-A1 says so (not a JSON error).
    #[serde(default)]
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{facts_at, m};

    fn now() -> Time {
        Time::parse("2026-11-24T12:00:00+08:00").unwrap()
    }

    #[test]
    fn r_a_a_sub_account_at_or_above_the_threshold_waits_below_it_does_not() {
        let mut f = facts_at(now());
        assert!(!needs_approval(&f.shop, &f.operator, m("500")), "no threshold, no approval");
        f.shop.approval_threshold = Some(m("100"));
        assert!(!needs_approval(&f.shop, &f.operator, m("99.99")));
        assert!(needs_approval(&f.shop, &f.operator, m("100.00")));
        assert!(needs_approval(&f.shop, &f.operator, m("150")));
        assert!(
            !needs_approval(&f.shop, &crate::facts::OperatorFacts::main(), m("150")),
            "the main account never waits"
        );
    }

    #[test]
    fn r_a1_a_rejection_needs_a_reason_of_at_most_200_characters() {
        assert_eq!(reject_reason("  ").unwrap_err().rule, "R-A1");
        assert_eq!(reject_reason(" 金额过高 ").unwrap(), "金额过高");
        assert!(reject_reason(&"字".repeat(200)).is_ok());
        assert_eq!(reject_reason(&"字".repeat(201)).unwrap_err().rule, "R-F14");
    }

    #[test]
    fn r_a2_only_the_main_account_decides() {
        assert!(approver(Role::Main).is_ok());
        assert_eq!(approver(Role::Sub).unwrap_err().code, Code::NotApprover);
    }

    #[test]
    fn approval_expires_after_the_policy_hours() {
        let p = Policy::default();
        assert_eq!(expires_at(&p, now()), now().plus_seconds(24 * 3600));
    }

    #[test]
    fn stuck_only_when_processing_longer_than_the_policy_minutes() {
        let p = Policy::default();
        let since = now();
        assert!(!is_stuck(&p, PayoutStatus::Processing, since, since.plus_seconds(30 * 60)));
        assert!(is_stuck(&p, PayoutStatus::Processing, since, since.plus_seconds(30 * 60 + 1)));
        assert!(!is_stuck(&p, PayoutStatus::Pending, since, since.plus_seconds(3600)));
        assert!(!is_stuck(&p, PayoutStatus::Succeeded, since, since.plus_seconds(3600)));
    }

    #[test]
    fn thresholds_are_a_reachable_amount_and_only_the_form_reads_empty_as_none() {
        let p = Policy::default();
        assert_eq!(parse_threshold(&p, " "), Err(MoneyError::Empty), "an empty text clears nothing");
        assert_eq!(parse_threshold_field(&p, " "), Ok(None));
        assert_eq!(parse_threshold_field(&p, "100"), Ok(Some(m("100"))));
        assert_eq!(parse_threshold(&p, "100"), Ok(m("100")));
        assert!(parse_threshold(&p, "0").is_err());
        assert!(parse_threshold(&p, "500.01").is_err());
    }
}
