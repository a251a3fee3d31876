//! Custody top-ups as the settings page and `POST /api/custody/top-ups` accept them.

use crate::money::{Money, MoneyError};

/// The largest single top-up the console records (¥1,000,000.00): a typo guard, not a bank limit.
pub const MAX_TOP_UP_FEN: i64 = 100_000_000;

/// The highest custody balance top-ups may reach (¥100,000,000.00). Checked in the transaction
/// that raises the balance (SPEC D8), so concurrent top-ups cannot pass it together.
pub const MAX_CUSTODY_BALANCE_FEN: i64 = 10_000_000_000;

pub fn max_custody_balance() -> Money {
    Money::from_fen(MAX_CUSTODY_BALANCE_FEN).unwrap_or(Money::ZERO)
}

/// Parses a top-up amount: positive, at most 2 decimals, at most [`MAX_TOP_UP_FEN`].
pub fn parse_top_up(input: &str) -> Result<Money, MoneyError> {
    Money::parse_positive_at_most(input, Money::from_fen(MAX_TOP_UP_FEN).unwrap_or(Money::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_ups_are_positive_and_bounded() {
        assert_eq!(parse_top_up("1000000").map(Money::to_fen), Ok(MAX_TOP_UP_FEN));
        assert!(matches!(parse_top_up("1000000.01"), Err(MoneyError::TooLarge { .. })));
        assert_eq!(parse_top_up("0"), Err(MoneyError::Zero));
    }

    #[test]
    fn d8_the_custody_ceiling_is_one_hundred_million_yuan() {
        assert_eq!(max_custody_balance().to_string(), "100000000.00");
    }
}
