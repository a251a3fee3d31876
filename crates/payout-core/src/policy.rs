//! The deployment's payout policy (SPEC §3). Every limit is configuration, loaded and validated here;
//! the defaults are the help article's numbers.

use serde::{Deserialize, Serialize};

use crate::money::{Money, MoneyError};

/// Limits that apply to every shop of a deployment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct Policy {
    /// Orders paid up to this amount may receive up to `small_order_cap` (D1).
    pub small_order_threshold: Money,
    /// Cap for orders paid at most `small_order_threshold`.
    pub small_order_cap: Money,
    /// Cap for any order: above the threshold the cap is min(paid amount, this).
    pub max_order_cap: Money,
    /// Counted payouts per order.
    pub max_payouts_per_order: u32,
    /// Seconds between two payouts created on one order (D3: failed ones count too).
    pub cooldown_seconds: u32,
    /// Counted payouts per shop per business day.
    pub shop_daily_cap: Money,
    /// Orders older than this many calendar months cannot receive payouts.
    pub order_max_age_months: u32,
    /// Apps whose orders are eligible (SPEC §3).
    pub eligible_sources: Vec<String>,
    /// A payout `processing` for longer than this is shown as stuck (SPEC §11.4).
    pub stuck_after_minutes: u32,
    /// A payout awaiting approval longer than this is rejected as expired (SPEC §11.2).
    pub approval_expiry_hours: u32,
}

impl Default for Policy {
    fn default() -> Self {
        let yuan = |y| Money::from_yuan(y).unwrap_or(Money::ZERO);
        Policy {
            small_order_threshold: yuan(20),
            small_order_cap: yuan(20),
            max_order_cap: yuan(500),
            max_payouts_per_order: 5,
            cooldown_seconds: 60,
            shop_daily_cap: yuan(15_000),
            order_max_age_months: 12,
            eligible_sources: [
                "douyin",
                "douyin_lite",
                "douyin_volcano",
                "douyin_search",
                "douyin_jingxuan",
                "douyin_mall",
            ]
            .map(String::from)
            .to_vec(),
            stuck_after_minutes: 30,
            approval_expiry_hours: 24,
        }
    }
}

/// A policy that cannot be enforced as written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("{0} must be greater than 0")]
    NotPositive(&'static str),
    #[error("small_order_cap must not exceed max_order_cap")]
    SmallCapAboveMax,
    #[error("eligible_sources must not be empty")]
    NoEligibleSources,
    #[error("invalid policy: {0}")]
    Syntax(String),
}

impl Policy {
    /// Reads a policy from JSON (missing fields take their defaults) and validates it.
    pub fn from_json(text: &str) -> Result<Policy, PolicyError> {
        let policy: Policy = serde_json::from_str(text).map_err(|e| PolicyError::Syntax(e.to_string()))?;
        policy.validate()?;
        Ok(policy)
    }

    pub fn validate(&self) -> Result<(), PolicyError> {
        let positive = [
            ("small_order_threshold", self.small_order_threshold),
            ("small_order_cap", self.small_order_cap),
            ("max_order_cap", self.max_order_cap),
            ("shop_daily_cap", self.shop_daily_cap),
        ];
        if let Some((name, _)) = positive.iter().find(|(_, m)| m.is_zero()) {
            return Err(PolicyError::NotPositive(name));
        }
        if self.max_payouts_per_order == 0 {
            return Err(PolicyError::NotPositive("max_payouts_per_order"));
        }
        if self.order_max_age_months == 0 {
            return Err(PolicyError::NotPositive("order_max_age_months"));
        }
        if self.stuck_after_minutes == 0 {
            return Err(PolicyError::NotPositive("stuck_after_minutes"));
        }
        if self.approval_expiry_hours == 0 {
            return Err(PolicyError::NotPositive("approval_expiry_hours"));
        }
        if self.small_order_cap > self.max_order_cap {
            return Err(PolicyError::SmallCapAboveMax);
        }
        if self.eligible_sources.is_empty() {
            return Err(PolicyError::NoEligibleSources);
        }
        Ok(())
    }

    /// The per-order cap for an order paid `paid` (SPEC §3 tiers, D1).
    pub fn order_cap(&self, paid: Money) -> Money {
        if paid <= self.small_order_threshold {
            self.small_order_cap
        } else {
            paid.min(self.max_order_cap)
        }
    }

    /// The largest amount any single payout could ever be: the parser's upper bound (SPEC §5).
    pub fn largest_cap(&self) -> Money {
        self.max_order_cap.max(self.small_order_cap)
    }

    /// Parses a payout amount exactly as R-F1 defines it.
    pub fn parse_payout_amount(&self, input: &str) -> Result<Money, MoneyError> {
        Money::parse_positive_at_most(input, self.largest_cap())
    }

    pub fn is_eligible_source(&self, source_app: &str) -> bool {
        self.eligible_sources.iter().any(|s| s == source_app)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Money {
        Money::parse(s).unwrap()
    }

    #[test]
    fn r_l2_order_cap_tiers_at_their_edges() {
        let p = Policy::default();
        assert_eq!(p.order_cap(m("0.01")), m("20"));
        assert_eq!(p.order_cap(m("15")), m("20"));
        assert_eq!(p.order_cap(m("19.99")), m("20"));
        assert_eq!(p.order_cap(m("20.00")), m("20"));
        assert_eq!(p.order_cap(m("20.01")), m("20.01"));
        assert_eq!(p.order_cap(m("128")), m("128"));
        assert_eq!(p.order_cap(m("499.99")), m("499.99"));
        assert_eq!(p.order_cap(m("500.00")), m("500"));
        assert_eq!(p.order_cap(m("500.01")), m("500"));
        assert_eq!(p.order_cap(m("899")), m("500"));
    }

    #[test]
    fn r_l2_small_order_cap_may_equal_max_order_cap() {
        let p = Policy::from_json(r#"{"small_order_cap":"500.00"}"#).unwrap();
        assert_eq!(p.order_cap(m("20")), m("500"));
        assert_eq!(Policy::from_json(r#"{"small_order_cap":"500.01"}"#), Err(PolicyError::SmallCapAboveMax));
    }

    #[test]
    fn r_f1_payout_amounts_are_bounded_by_the_largest_cap() {
        let p = Policy::default();
        assert_eq!(p.largest_cap(), m("500"));
        assert_eq!(p.parse_payout_amount("500"), Ok(m("500")));
        assert_eq!(p.parse_payout_amount("500.01"), Err(MoneyError::TooLarge { max: m("500") }));
        assert_eq!(p.parse_payout_amount("0"), Err(MoneyError::Zero));
    }

    #[test]
    fn every_limit_must_be_positive() {
        for field in ["small_order_threshold", "small_order_cap", "max_order_cap", "shop_daily_cap"] {
            let json = format!(r#"{{"{field}":"0.00"}}"#);
            assert_eq!(Policy::from_json(&json), Err(PolicyError::NotPositive(field)), "{json}");
        }
        assert_eq!(
            Policy::from_json(r#"{"order_max_age_months":0}"#),
            Err(PolicyError::NotPositive("order_max_age_months"))
        );
        assert_eq!(Policy::from_json(r#"{"eligible_sources":[]}"#), Err(PolicyError::NoEligibleSources));
    }

    #[test]
    fn loads_from_json_with_defaults_and_validates() {
        let p = Policy::from_json(r#"{"shop_daily_cap":"20000.00","cooldown_seconds":30}"#).unwrap();
        assert_eq!(p.shop_daily_cap, m("20000"));
        assert_eq!(p.cooldown_seconds, 30);
        assert_eq!(p.max_payouts_per_order, 5);
        assert_eq!(
            Policy::from_json(r#"{"max_payouts_per_order":0}"#),
            Err(PolicyError::NotPositive("max_payouts_per_order"))
        );
        assert_eq!(Policy::from_json(r#"{"small_order_cap":"600.00"}"#), Err(PolicyError::SmallCapAboveMax));
        assert!(matches!(Policy::from_json(r#"{"shop_daily_cap":15000}"#), Err(PolicyError::Syntax(_))));
        assert!(matches!(Policy::from_json(r#"{"typo":1}"#), Err(PolicyError::Syntax(_))));
    }
}
