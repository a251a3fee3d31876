//! Validation of a sub-account quota as the quota page and `PUT /api/quotas/{id}` accept it.

use crate::money::Money;
use crate::policy::Policy;

/// A problem with one quota field, in both languages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuotaError {
    /// `per_payout_limit` or `daily_limit`.
    pub field: &'static str,
    pub message_zh: String,
    pub message_en: String,
}

/// Parses and checks a quota: both amounts are zero or more with at most 2 decimals; the
/// per-payout limit is at most the largest order cap and at most the daily limit; the daily limit
/// is at most the shop daily cap. Returns every problem found.
pub fn validate_quota(
    policy: &Policy,
    per_payout: &str,
    daily: &str,
) -> Result<(Money, Money), Vec<QuotaError>> {
    let mut errors = Vec::new();
    let mut parse = |field: &'static str, text: &str, max: Money| match Money::parse(text) {
        Ok(m) if m > max => {
            errors.push(QuotaError {
                field,
                message_zh: format!("不能超过 ¥{max:#}"),
                message_en: format!("Cannot exceed ¥{max:#}"),
            });
            None
        }
        Ok(m) => Some(m),
        Err(e) => {
            errors.push(QuotaError { field, message_zh: e.message_zh(), message_en: e.message_en() });
            None
        }
    };
    let per = parse("per_payout_limit", per_payout, policy.largest_cap());
    let day = parse("daily_limit", daily, policy.shop_daily_cap);
    if let (Some(per), Some(day)) = (per, day) {
        if per > day {
            errors.push(QuotaError {
                field: "per_payout_limit",
                message_zh: format!("单笔限额不能大于每日限额 ¥{day:#}"),
                message_en: format!("The per-payout limit cannot exceed the daily limit of ¥{day:#}"),
            });
        }
    }
    match (per, day) {
        (Some(per), Some(day)) if errors.is_empty() => Ok((per, day)),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(r: Result<(Money, Money), Vec<QuotaError>>) -> Vec<&'static str> {
        r.err().unwrap_or_default().into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn r_p2_quota_values_are_validated_with_the_money_parser() {
        let p = Policy::default();
        assert!(validate_quota(&p, "50", "300").is_ok());
        assert!(validate_quota(&p, "0", "0").is_ok(), "zero is how a quota is withdrawn");
        assert_eq!(fields(validate_quota(&p, "0.001", "abc")), ["per_payout_limit", "daily_limit"]);
        assert_eq!(fields(validate_quota(&p, "500.01", "1000")), ["per_payout_limit"]);
        assert_eq!(fields(validate_quota(&p, "100", "15000.01")), ["daily_limit"]);
        assert_eq!(fields(validate_quota(&p, "100", "50")), ["per_payout_limit"]);
        assert_eq!(fields(validate_quota(&p, "-1", "50")), ["per_payout_limit"]);
    }

    #[test]
    fn r_p2_quota_limits_are_inclusive() {
        let p = Policy::default();
        assert_eq!(validate_quota(&p, "500", "15000"), Ok((m("500"), m("15000"))), "both at their bound");
        assert_eq!(validate_quota(&p, "200", "200"), Ok((m("200"), m("200"))), "per-payout equal to daily");
        assert_eq!(fields(validate_quota(&p, "200.01", "200")), ["per_payout_limit"]);
    }

    #[test]
    fn r_p2_the_daily_bound_is_written_thousands_separated() {
        let e = validate_quota(&Policy::default(), "100", "20000").unwrap_err();
        assert_eq!(
            (e[0].message_zh.as_str(), e[0].message_en.as_str()),
            ("不能超过 ¥15,000.00", "Cannot exceed ¥15,000.00")
        );
    }

    fn m(s: &str) -> Money {
        Money::parse(s).unwrap()
    }
}
