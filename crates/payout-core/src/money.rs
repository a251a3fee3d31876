//! `Money`: a non-negative CNY amount with exactly two decimals, and the amount parser of SPEC §5.
//!
//! The only ways to get a `Money` are the parser and the unit constructors, so an amount with three
//! decimals, a negative amount or a float can never reach the rule engine or the store.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The largest amount the type holds (just under one trillion yuan). Far above any real balance;
/// it exists so that input can never overflow the arithmetic or the store's integer fen.
pub const MAX_FEN: i64 = 99_999_999_999_999;

/// A non-negative amount of yuan with exactly two decimals, held as integer fen: every operation is
/// integer arithmetic, so no decimal library is needed (nor shipped in the SPA's wasm).
/// Invariant: `0..=MAX_FEN`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(i64);

/// Why a piece of text is not an amount. Each variant knows its zh-CN and en message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("empty amount")]
    Empty,
    #[error("not a number of yuan")]
    NotANumber,
    #[error("negative amount")]
    Negative,
    #[error("more than 2 decimals")]
    TooManyDecimals,
    #[error("amount must be greater than 0")]
    Zero,
    #[error("amount above {max}")]
    TooLarge { max: Money },
}

impl MoneyError {
    pub fn message_zh(&self) -> String {
        match self {
            Self::Empty => "请输入金额".into(),
            Self::NotANumber => "金额格式不正确，请输入数字，例如 12.50".into(),
            Self::Negative => "金额不能为负数".into(),
            Self::TooManyDecimals => "金额最多保留 2 位小数".into(),
            Self::Zero => "金额必须大于 0".into(),
            Self::TooLarge { max } => format!("金额不能超过 ¥{max:#}"),
        }
    }

    pub fn message_en(&self) -> String {
        match self {
            Self::Empty => "Enter an amount".into(),
            Self::NotANumber => "Not a valid amount; enter a number such as 12.50".into(),
            Self::Negative => "The amount cannot be negative".into(),
            Self::TooManyDecimals => "Use at most 2 decimal places".into(),
            Self::Zero => "The amount must be greater than 0".into(),
            Self::TooLarge { max } => format!("The amount cannot exceed ¥{max:#}"),
        }
    }
}

impl Money {
    pub const ZERO: Money = Money(0);
    /// The largest amount there is ([`MAX_FEN`]).
    const MAX: Money = Money(MAX_FEN);

    /// An amount from integer fen (1 yuan = 100 fen). `None` when negative or above [`MAX_FEN`].
    pub fn from_fen(fen: i64) -> Option<Money> {
        (0..=MAX_FEN).contains(&fen).then_some(Money(fen))
    }

    /// An amount of whole yuan. `None` when negative or too large.
    pub fn from_yuan(yuan: i64) -> Option<Money> {
        Money::from_fen(yuan.checked_mul(100)?)
    }

    /// The amount in integer fen: how the store keeps money.
    pub fn to_fen(self) -> i64 {
        self.0
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        Money::from_fen(self.to_fen().checked_add(other.to_fen())?)
    }

    /// `None` when the result would be negative.
    pub fn checked_sub(self, other: Money) -> Option<Money> {
        Money::from_fen(self.to_fen().checked_sub(other.to_fen())?)
    }

    /// `self − other`, or zero when `other` is larger: what "remaining" means on a meter.
    pub fn saturating_sub(self, other: Money) -> Money {
        self.checked_sub(other).unwrap_or(Money::ZERO)
    }

    /// Sum that stays within the type: adding past [`MAX_FEN`] stops there.
    pub fn saturating_add(self, other: Money) -> Money {
        self.checked_add(other).unwrap_or(Money::MAX)
    }

    /// Parses what a person types (SPEC §5): digits with an optional point and at most two
    /// decimals, surrounding spaces, full-width digits and point, a leading `¥`/`￥`.
    /// Zero is accepted here (quotas may be zero); see [`Money::parse_positive`].
    pub fn parse(input: &str) -> Result<Money, MoneyError> {
        let normalized: String = input.chars().map(halfwidth).collect();
        let mut text = normalized.trim();
        if let Some(rest) = text.strip_prefix('¥') {
            text = rest.trim_start();
        }
        if text.is_empty() {
            return Err(MoneyError::Empty);
        }
        if let Some(rest) = text.strip_prefix('-') {
            // Only call it negative when what follows is a number; "-abc" is simply not a number.
            return Err(match Money::parse(rest) {
                Ok(m) if m.is_zero() => MoneyError::Zero,
                Ok(_) | Err(MoneyError::TooManyDecimals | MoneyError::TooLarge { .. }) => {
                    MoneyError::Negative
                }
                Err(_) => MoneyError::NotANumber,
            });
        }
        let (whole, frac) = match text.split_once('.') {
            Some((whole, frac)) => (whole, Some(frac)),
            None => (text, None),
        };
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(whole) || frac.is_some_and(|f| !all_digits(f)) {
            return Err(MoneyError::NotANumber);
        }
        let frac = frac.unwrap_or("");
        if frac.len() > 2 {
            return Err(MoneyError::TooManyDecimals);
        }
        let too_large = MoneyError::TooLarge { max: Money::MAX };
        let whole = whole.trim_start_matches('0');
        if whole.len() > 12 {
            return Err(too_large);
        }
        let yuan: i64 =
            if whole.is_empty() { 0 } else { whole.parse().map_err(|_| MoneyError::NotANumber)? };
        let fen_part: i64 = format!("{frac:0<2}").parse().map_err(|_| MoneyError::NotANumber)?;
        yuan.checked_mul(100).and_then(|f| f.checked_add(fen_part)).and_then(Money::from_fen).ok_or(too_large)
    }

    /// [`Money::parse`], refusing zero: a payout or a top-up must move some money.
    pub fn parse_positive(input: &str) -> Result<Money, MoneyError> {
        let money = Money::parse(input)?;
        if money.is_zero() {
            return Err(MoneyError::Zero);
        }
        Ok(money)
    }

    /// [`Money::parse_positive`] with an upper bound (inclusive).
    pub fn parse_positive_at_most(input: &str, max: Money) -> Result<Money, MoneyError> {
        let money = Money::parse_positive(input)?;
        if money > max {
            return Err(MoneyError::TooLarge { max });
        }
        Ok(money)
    }
}

/// Full-width forms that Chinese IMEs produce, mapped to ASCII; the ideographic space counts as space.
fn halfwidth(c: char) -> char {
    match c {
        '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
        '．' => '.',
        '－' => '-',
        '￥' => '¥',
        '\u{3000}' => ' ',
        _ => c,
    }
}

/// `15000.00`: how the API and the store write an amount (SPEC §8). The alternate form `{:#}` is how
/// a person reads it, thousands separated: `15,000.00` (see [`Money::grouped`]).
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fen = self.to_fen();
        let (yuan, fen) = (fen / 100, fen % 100);
        if !f.alternate() {
            return write!(f, "{yuan}.{fen:02}");
        }
        write!(f, "{}.{fen:02}", grouped_digits(&yuan.to_string()))
    }
}

/// `15,000`: a whole number's digits in threes, as amounts and counts are shown (a leading `-`
/// stays in front).
pub fn grouped_digits(digits: &str) -> String {
    let (sign, digits) = digits.strip_prefix('-').map_or(("", digits), |d| ("-", d));
    let mut out = String::from(sign);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl Money {
    /// `15,000.00`: the amount as messages and screens show it, thousands separated. JSON, the CSV
    /// and the store keep the plain form (`15000.00`, `Display`).
    pub fn grouped(self) -> String {
        format!("{self:#}")
    }
}

impl FromStr for Money {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Money::parse(s)
    }
}

/// Money is always a JSON string with exactly two decimals (SPEC §8), never a JSON number.
impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Money::parse(&text).map_err(|e| serde::de::Error::custom(format!("invalid amount {text:?}: {e}")))
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Money {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(r"^\d+\.\d{2}$"))
            .description(Some("Amount in yuan (CNY) with exactly two decimals, as a string, e.g. \"12.50\""))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Money {}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ok(s: &str) -> String {
        Money::parse_positive(s).unwrap_or_else(|e| panic!("{s:?} should parse: {e}")).to_string()
    }

    #[test]
    fn r_f1_accepts_every_spec_example() {
        assert_eq!(ok("12"), "12.00");
        assert_eq!(ok("12.5"), "12.50");
        assert_eq!(ok("12.50"), "12.50");
        assert_eq!(ok("0.01"), "0.01");
        assert_eq!(ok("  12.5  "), "12.50");
        assert_eq!(ok("１２．５"), "12.50");
        assert_eq!(ok("¥12.50"), "12.50");
        assert_eq!(ok("￥ 8"), "8.00");
        assert_eq!(ok("\u{3000}１２\u{3000}"), "12.00");
    }

    #[test]
    fn r_f1_rejects_every_spec_counterexample() {
        use MoneyError::*;
        let cases: &[(&str, MoneyError)] = &[
            ("", Empty),
            ("   ", Empty),
            ("¥", Empty),
            ("0", Zero),
            ("0.00", Zero),
            ("-1", Negative),
            ("-0.5", Negative),
            ("－３", Negative),
            ("0.001", TooManyDecimals),
            ("12.500", TooManyDecimals),
            ("1e2", NotANumber),
            ("1E2", NotANumber),
            ("1,000", NotANumber),
            ("1，000", NotANumber),
            ("NaN", NotANumber),
            ("inf", NotANumber),
            ("-inf", NotANumber),
            ("abc", NotANumber),
            ("12.", NotANumber),
            (".5", NotANumber),
            ("+5", NotANumber),
            ("1 2", NotANumber),
            ("0x10", NotANumber),
            ("12元", NotANumber),
        ];
        for (input, expected) in cases {
            assert_eq!(Money::parse_positive(input).as_ref(), Err(expected), "input {input:?}");
        }
    }

    #[test]
    fn r_f1_rejects_values_above_the_bound() {
        let max = Money::from_yuan(500).unwrap();
        assert_eq!(Money::parse_positive_at_most("500", max).unwrap(), max);
        assert_eq!(Money::parse_positive_at_most("500.01", max), Err(MoneyError::TooLarge { max }));
        assert!(matches!(Money::parse("9999999999999999999999"), Err(MoneyError::TooLarge { .. })));
    }

    #[test]
    fn serializes_as_a_two_decimal_json_string() {
        let m = Money::from_fen(1250).unwrap();
        assert_eq!(serde_json::to_string(&m).unwrap(), "\"12.50\"");
        assert_eq!(serde_json::from_str::<Money>("\"12.50\"").unwrap(), m);
        assert!(serde_json::from_str::<Money>("12.5").is_err(), "a JSON number is not money");
    }

    #[test]
    fn people_read_amounts_thousands_separated_and_json_keeps_the_plain_form() {
        let m = |s: &str| Money::parse(s).unwrap();
        assert_eq!(m("15000").grouped(), "15,000.00");
        assert_eq!(format!("¥{:#}", m("1234567.5")), "¥1,234,567.50");
        assert_eq!(m("999.99").grouped(), "999.99");
        assert_eq!(m("0.01").grouped(), "0.01");
        assert_eq!(m("100000").grouped(), "100,000.00");
        assert_eq!(Money::from_fen(MAX_FEN).unwrap().grouped(), "999,999,999,999.99");
        assert_eq!(m("15000").to_string(), "15000.00", "Display stays plain");
        assert_eq!(serde_json::to_string(&m("15000")).unwrap(), "\"15000.00\"");
        let too_large = MoneyError::TooLarge { max: m("15000") };
        assert_eq!(too_large.message_zh(), "金额不能超过 ¥15,000.00");
        assert_eq!(too_large.message_en(), "The amount cannot exceed ¥15,000.00");
    }

    #[test]
    fn arithmetic_is_checked() {
        let a = Money::from_fen(500).unwrap();
        let b = Money::from_fen(700).unwrap();
        assert_eq!(a.checked_sub(b), None);
        assert_eq!(a.saturating_sub(b), Money::ZERO);
        assert_eq!(b.checked_sub(a), Money::from_fen(200));
        assert_eq!(Money::from_fen(MAX_FEN).unwrap().checked_add(Money::from_fen(1).unwrap()), None);
        assert_eq!(Money::from_fen(-1), None);
    }

    #[test]
    fn r_f1_a_signed_zero_is_zero_not_negative() {
        // "-0" is a zero amount with a sign: the fix is "more than 0", not "not negative".
        assert_eq!(Money::parse("-0"), Err(MoneyError::Zero));
        assert_eq!(Money::parse("－０．００"), Err(MoneyError::Zero));
        // A sign before a number that is otherwise only badly written is still "negative".
        assert_eq!(Money::parse("-0.001"), Err(MoneyError::Negative));
        assert_eq!(Money::parse("-9999999999999"), Err(MoneyError::Negative));
        assert_eq!(Money::parse("-abc"), Err(MoneyError::NotANumber));
    }

    #[test]
    fn r_p2_zero_parses_for_quotas_but_not_for_payouts() {
        assert_eq!(Money::parse("0"), Ok(Money::ZERO));
        assert_eq!(Money::parse("000.0"), Ok(Money::ZERO));
        assert_eq!(Money::parse_positive("000.0"), Err(MoneyError::Zero));
    }

    #[test]
    fn r_f1_the_largest_amount_parses_and_one_fen_more_does_not() {
        let max = Money::from_fen(MAX_FEN).unwrap();
        assert_eq!(Money::parse("999999999999.99"), Ok(max), "12 digits of yuan fit");
        assert_eq!(Money::parse("000999999999999.99"), Ok(max), "leading zeros are not digits that count");
        let too_large = Err(MoneyError::TooLarge { max });
        assert_eq!(Money::parse("1000000000000"), too_large, "13 digits of yuan do not");
        assert_eq!(Money::parse("1000000000000.00"), too_large);
        assert_eq!(Money::parse("99999999999999999999999"), too_large, "beyond i64 is still too large");
    }

    #[test]
    fn from_str_is_the_parser() {
        assert_eq!("１２．５".parse::<Money>(), Ok(Money::from_fen(1250).unwrap()));
        assert_eq!("1e2".parse::<Money>(), Err(MoneyError::NotANumber));
    }

    #[test]
    fn r_f1_every_amount_error_explains_itself_in_both_languages() {
        let max = Money::from_yuan(500).unwrap();
        let errors = [
            MoneyError::Empty,
            MoneyError::NotANumber,
            MoneyError::Negative,
            MoneyError::TooManyDecimals,
            MoneyError::Zero,
            MoneyError::TooLarge { max },
        ];
        let zh: Vec<String> = errors.iter().map(MoneyError::message_zh).collect();
        let en: Vec<String> = errors.iter().map(MoneyError::message_en).collect();
        for (i, (z, e)) in zh.iter().zip(&en).enumerate() {
            assert!(z.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "zh message {z:?} is Chinese");
            assert!(
                e.starts_with(|c: char| c.is_ascii_uppercase()),
                "en message {e:?} is an English sentence"
            );
            assert!(zh[..i].iter().all(|other| other != z), "zh message {z:?} is specific to its error");
            assert!(en[..i].iter().all(|other| other != e), "en message {e:?} is specific to its error");
        }
        assert!(zh[5].contains("¥500.00") && en[5].contains("¥500.00"), "the bound is named");
    }

    #[test]
    fn saturating_add_sums_and_stops_at_the_largest_amount() {
        let a = Money::from_fen(1250).unwrap();
        assert_eq!(a.saturating_add(Money::from_fen(50).unwrap()), Money::from_fen(1300).unwrap());
        let max = Money::from_fen(MAX_FEN).unwrap();
        assert_eq!(max.saturating_add(a), max);
        assert_eq!(a.checked_add(a), Money::from_fen(2500));
        assert_eq!(a.saturating_sub(Money::from_fen(50).unwrap()), Money::from_fen(1200).unwrap());
    }

    /// The full-width form an IME produces for an ASCII amount.
    fn fullwidth(s: &str) -> String {
        s.chars()
            .map(|c| match c {
                '0'..='9' => char::from_u32('０' as u32 + (c as u32 - '0' as u32)).unwrap(),
                '.' => '．',
                '-' => '－',
                '¥' => '￥',
                ' ' => '\u{3000}',
                _ => c,
            })
            .collect()
    }

    proptest! {
        #[test]
        fn r_f1_full_width_and_ascii_forms_agree(s in "[-¥ 0-9.]{0,16}") {
            prop_assert_eq!(Money::parse(&fullwidth(&s)), Money::parse(&s));
        }

        #[test]
        fn r_f1_spaces_and_the_yuan_sign_do_not_change_the_value(fen in 0..=MAX_FEN, yen in 0usize..3, pad in 0usize..3) {
            let m = Money::from_fen(fen).unwrap();
            let text = format!("{}{}{m}{}", " ".repeat(pad), ["", "¥", "￥ "][yen], "\u{3000}".repeat(pad));
            prop_assert_eq!(Money::parse(&text), Ok(m));
        }

        #[test]
        fn r_f1_whatever_parses_is_within_bounds_and_round_trips(s in "[-¥ 0-9.０-９．]{0,20}") {
            if let Ok(m) = Money::parse(&s) {
                prop_assert!(m.to_fen() <= MAX_FEN);
                prop_assert_eq!(Money::parse(&m.to_string()), Ok(m));
            }
        }
    }

    proptest! {
        #[test]
        fn parser_never_panics_on_any_string(s in "\\PC*") {
            let _ = Money::parse(&s);
        }

        #[test]
        fn parser_never_panics_on_numberish_strings(s in "[-+¥￥ 0-9０-９.．eE,]{0,24}") {
            let _ = Money::parse(&s);
        }

        #[test]
        fn the_grouped_form_is_the_plain_one_with_commas(fen in 0..=MAX_FEN) {
            let m = Money::from_fen(fen).unwrap();
            prop_assert_eq!(m.grouped().replace(',', ""), m.to_string());
        }

        #[test]
        fn parse_of_display_is_identity(fen in 0..=MAX_FEN) {
            let m = Money::from_fen(fen).unwrap();
            prop_assert_eq!(Money::parse(&m.to_string()), Ok(m));
            prop_assert_eq!(m.to_fen(), fen);
        }

        #[test]
        fn accepted_amounts_have_at_most_two_decimals(s in "[0-9]{1,6}(\\.[0-9]{0,4})?") {
            match Money::parse(&s) {
                Ok(m) => {
                    // The very value written, in fen, and shown back with exactly two decimals.
                    let (whole, frac) = s.split_once('.').unwrap_or((&s, ""));
                    let fen = whole.parse::<i64>().unwrap() * 100 + format!("{frac:0<2}").parse::<i64>().unwrap();
                    prop_assert_eq!(m.to_fen(), fen);
                    prop_assert_eq!(m.to_string().split_once('.').map(|(_, f)| f.len()), Some(2));
                }
                Err(e) => prop_assert!(s.ends_with('.') || s.split('.').nth(1).is_some_and(|f| f.len() > 2), "{} {}", s, e),
            }
        }
    }
}
