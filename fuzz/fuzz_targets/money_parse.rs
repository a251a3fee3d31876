//! The amount parser of SPEC §5 on any input: `Money::parse`, `Money::parse_positive` and the policy's
//! payout amount parser (R-F1) never panic; whatever they accept is a two-decimal amount that parses
//! back to itself, within its bounds; the ASCII and the full-width spelling of an input get the same
//! answer; a JSON string holding the text decodes exactly as the parser reads it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use payout_core::money::{Money, MoneyError, MAX_FEN};
use payout_core::Policy;

/// The full-width form a Chinese IME types for the ASCII characters an amount uses.
fn fullwidth(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '0'..='9' => char::from_u32('０' as u32 + (c as u32 - '0' as u32)).unwrap_or(c),
            '.' => '．',
            '-' => '－',
            '¥' => '￥',
            ' ' => '\u{3000}',
            _ => c,
        })
        .collect()
}

/// The reverse: full-width digits, point, minus, yuan sign and space to ASCII.
fn halfwidth(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32('0' as u32 + (c as u32 - '０' as u32)).unwrap_or(c),
            '．' => '.',
            '－' => '-',
            '￥' => '¥',
            '\u{3000}' => ' ',
            _ => c,
        })
        .collect()
}

/// `Display` must give digits, a point and exactly two digits, and parse back to the same amount.
fn assert_round_trips(m: Money) {
    let shown = m.to_string();
    let (yuan, fen) = shown.split_once('.').unwrap_or_else(|| panic!("{shown:?} has no point"));
    assert!(!yuan.is_empty() && yuan.bytes().all(|b| b.is_ascii_digit()), "{shown:?}");
    assert!(fen.len() == 2 && fen.bytes().all(|b| b.is_ascii_digit()), "{shown:?}");
    assert_eq!(Money::parse(&shown), Ok(m), "{shown:?} parses back");
    assert!((0..=MAX_FEN).contains(&m.to_fen()), "{shown:?} within the type");
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let policy = Policy::default();

    let parsed = Money::parse(&text);
    if let Ok(m) = parsed {
        assert_round_trips(m);
    }

    match Money::parse_positive(&text) {
        Ok(m) => {
            assert!(!m.is_zero(), "{text:?}: parse_positive gave zero");
            assert_eq!(parsed, Ok(m), "{text:?}: parse_positive disagrees with parse");
        }
        Err(MoneyError::Zero) => {
            assert!(matches!(parsed, Ok(z) if z.is_zero()) || parsed == Err(MoneyError::Zero), "{text:?}")
        }
        Err(e) => assert_eq!(parsed, Err(e), "{text:?}"),
    }

    let payout = policy.parse_payout_amount(&text);
    if let Ok(m) = payout {
        assert!(
            !m.is_zero() && m <= policy.largest_cap(),
            "{text:?} → {m}: outside (0, {}]",
            policy.largest_cap()
        );
        assert_eq!(parsed, Ok(m), "{text:?}: the payout parser disagrees with parse");
        assert_round_trips(m);
    }

    // What an IME types and what a keyboard types are the same amount (or the same error).
    let full = fullwidth(&text);
    assert_eq!(Money::parse(&full), parsed, "{text:?} vs full-width {full:?}");
    assert_eq!(policy.parse_payout_amount(&full), payout, "{text:?} vs full-width {full:?}");
    let half = halfwidth(&text);
    assert_eq!(Money::parse(&half), parsed, "{text:?} vs half-width {half:?}");

    // The API reads amounts from JSON strings with the same parser.
    let json = serde_json::to_string(&*text).expect("a string serializes");
    assert_eq!(serde_json::from_str::<Money>(&json).ok(), parsed.ok(), "{json}");
});
