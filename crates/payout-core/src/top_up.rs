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

/// A bank reference in the one form it is stored and compared in (D8: one transfer is recorded
/// once): full-width letters and digits as ASCII (Chinese IMEs type them), no spaces, upper case.
/// `" icbc－２０２６ 001"` is `ICBC-2026001`.
pub fn normalize_reference(raw: &str) -> String {
    raw.chars()
        .map(|c| match c {
            '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
            _ => c,
        })
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect()
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
    fn d8_references_compare_without_case_spaces_or_full_width_forms() {
        assert_eq!(normalize_reference(" icbc－２０２６ 001\u{3000}"), "ICBC-2026001");
        assert_eq!(normalize_reference("REF-1"), normalize_reference("ref-1"));
        assert_eq!(normalize_reference("工行-1"), "工行-1");
    }

    #[test]
    fn d8_the_custody_ceiling_is_one_hundred_million_yuan() {
        assert_eq!(max_custody_balance().to_string(), "100000000.00");
    }
}
