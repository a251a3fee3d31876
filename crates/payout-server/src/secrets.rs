//! The secrets people are given (SPEC §12.2): one-time passwords, two-step verification's secret
//! and recovery codes, all from the operating system's random source, and how each is checked.
//! Passwords and one-time passwords are stored as argon2id hashes (`auth.rs`); recovery codes as
//! SHA-256 digests (they are random and long); the TOTP secret as it must be used, and never
//! returned after its set-up.

use payout_core::people::{password_rule_problems, FieldProblem, QrCode, SecretText, TOTP_DIGITS};
use rand::TryRngCore;
use sha2::{Digest, Sha256};
use totp_rs::{Builder, Secret, Totp};

/// Characters a person can read back without confusing them (no 0/O, 1/l/I).
const READABLE: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
/// One-time passwords: 20 characters of [`READABLE`], about 115 bits.
const ONE_TIME_PASSWORD_CHARS: usize = 20;
/// How long a one-time password works (SPEC §12.2).
pub const ONE_TIME_PASSWORD_HOURS: i64 = 72;
/// Recovery codes given when two-step verification is turned on.
pub const RECOVERY_CODES: usize = 10;
/// The issuer authenticator apps show beside the account.
const ISSUER: &str = "小额打款";

/// Bytes from the operating system's random source. Failing to read it is not recoverable.
fn os_random<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    rand::rngs::OsRng
        .try_fill_bytes(&mut bytes)
        .unwrap_or_else(|e| panic!("the OS random source failed: {e}"));
    bytes
}

/// `len` characters of [`READABLE`], without modulo bias.
fn readable(len: usize) -> String {
    let mut out = String::with_capacity(len);
    while out.len() < len {
        for byte in os_random::<32>() {
            // 55 characters: accept bytes below 220 (4 × 55) only.
            if byte < 220 && out.len() < len {
                out.push(char::from(READABLE[usize::from(byte) % READABLE.len()]));
            }
        }
    }
    out
}

/// A new one-time password.
pub fn one_time_password() -> SecretText {
    SecretText(readable(ONE_TIME_PASSWORD_CHARS))
}

/// Ten new recovery codes, `xxxxx-xxxxx` each (about 57 bits).
pub fn recovery_codes() -> Vec<SecretText> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let code = readable(10).to_lowercase();
            SecretText(format!("{}-{}", &code[..5], &code[5..]))
        })
        .collect()
}

/// What the store keeps of a recovery code: the digest of its letters (case, spaces and dashes
/// as typed do not matter).
pub fn recovery_code_hash(code: &str) -> String {
    let letters: String =
        code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect();
    hex::encode(Sha256::digest(letters.as_bytes()))
}

/// Is this text shaped like a recovery code rather than a 6-digit code?
pub fn looks_like_recovery_code(code: &str) -> bool {
    let letters = code.chars().filter(|c| c.is_ascii_alphanumeric()).count();
    letters == 10 && !code.trim().chars().all(|c| c.is_ascii_digit())
}

/// A new secret for two-step verification, Base32 (160 bits, as RFC 4226 recommends).
pub fn new_totp_secret() -> String {
    Secret::from(os_random::<20>()).to_base32()
}

fn totp(secret: &str, account: &str) -> Option<Totp> {
    let secret = Secret::try_from_base32(secret).ok()?;
    // RFC 6238 as SPEC §12.2 says: SHA-1, 6 digits, 30 s steps, one step of drift either way.
    Builder::new().with_secret(secret).with_account_name(account).with_issuer(Some(ISSUER)).build().ok()
}

/// The time step a 6-digit `code` is valid for at `unix_seconds` (one step of drift), if any.
pub fn totp_step(secret: &str, code: &str, unix_seconds: i64) -> Option<i64> {
    let code = code.trim();
    if code.len() != TOTP_DIGITS {
        return None;
    }
    let time = u64::try_from(unix_seconds).ok()?;
    totp(secret, "account")?.check(code, time).and_then(|step| i64::try_from(step).ok())
}

/// The code an authenticator shows at `unix_seconds` (for tests and the set-up check).
pub fn totp_code(secret: &str, unix_seconds: i64) -> Option<String> {
    Some(totp(secret, "account")?.generate(u64::try_from(unix_seconds).ok()?).to_string())
}

/// The `otpauth://` address an authenticator app scans, and its QR code as the page draws it.
pub fn totp_enrolment(secret: &str, account: &str) -> Option<(String, QrCode)> {
    let uri = totp(secret, account)?.to_url().ok()?;
    let code = qrcode::QrCode::new(uri.as_bytes()).ok()?;
    let size = code.width();
    let colors = code.to_colors();
    let mut path = String::new();
    // One rectangle per run of dark modules in a row, with a quiet zone of 4 modules around.
    for (y, row) in colors.chunks(size).enumerate() {
        let mut x = 0;
        while x < size {
            if row[x] == qrcode::Color::Dark {
                let start = x;
                while x < size && row[x] == qrcode::Color::Dark {
                    x += 1;
                }
                path.push_str(&format!("M{} {}h{}v1h-{}z", start + 4, y + 4, x - start, x - start));
            } else {
                x += 1;
            }
        }
    }
    Some((uri, QrCode { size: u32::try_from(size + 8).unwrap_or(u32::MAX), path }))
}

/// Why a new password is refused, in both languages: its length, the username in it, and an
/// estimate of how easily it is guessed (zxcvbn, with the person's names as known words).
pub fn password_problems(username: &str, known: &[&str], password: &str) -> Vec<FieldProblem> {
    let mut problems = password_rule_problems(username, password);
    if !problems.is_empty() {
        return problems;
    }
    let estimate = zxcvbn::zxcvbn(password, known);
    if estimate.score() < zxcvbn::Score::Three {
        let (zh, en) = match estimate.feedback().and_then(|f| f.warning()) {
            Some(warning) => weakness(warning),
            None => ("这个密码太容易被猜到".into(), "This password is too easy to guess".into()),
        };
        problems.push(FieldProblem {
            code: "PASSWORD_TOO_WEAK",
            message_zh: format!("{zh}：请用更长、不常见的词组，例如几个无关的词"),
            message_en: format!("{en}: use a longer, uncommon phrase, such as a few unrelated words"),
        });
    }
    problems
}

fn weakness(warning: zxcvbn::feedback::Warning) -> (String, String) {
    use zxcvbn::feedback::Warning::*;
    let zh = match warning {
        StraightRowsOfKeysAreEasyToGuess | ShortKeyboardPatternsAreEasyToGuess => {
            "键盘上相邻的按键很容易被猜到"
        }
        RepeatsLikeAaaAreEasyToGuess | RepeatsLikeAbcAbcAreOnlySlightlyHarderToGuess => {
            "重复的字符很容易被猜到"
        }
        ThisIsATop10Password | ThisIsATop100Password | ThisIsACommonPassword => "这是最常见的密码之一",
        ThisIsSimilarToACommonlyUsedPassword => "这个密码与常见密码相似",
        SequencesLikeAbcAreEasyToGuess => "abc、6543 这样的顺序很容易被猜到",
        RecentYearsAreEasyToGuess | DatesAreOftenEasyToGuess => "年份和日期很容易被猜到",
        AWordByItselfIsEasyToGuess => "单独一个词很容易被猜到",
        NamesAndSurnamesByThemselvesAreEasyToGuess | CommonNamesAndSurnamesAreEasyToGuess => {
            "姓名很容易被猜到"
        }
    };
    (zh.to_owned(), warning.to_string().trim_end_matches('.').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_time_passwords_are_long_readable_and_different() {
        let a = one_time_password();
        let b = one_time_password();
        assert_eq!(a.expose().len(), ONE_TIME_PASSWORD_CHARS);
        assert!(a.expose().bytes().all(|c| READABLE.contains(&c)));
        assert_ne!(a, b);
    }

    #[test]
    fn recovery_codes_compare_without_dashes_case_or_spaces() {
        let codes = recovery_codes();
        assert_eq!(codes.len(), 10);
        let code = codes[0].expose();
        assert!(looks_like_recovery_code(code), "{code}");
        assert_eq!(
            recovery_code_hash(code),
            recovery_code_hash(&format!(" {} ", code.to_uppercase().replace('-', "")))
        );
        assert!(!looks_like_recovery_code("123456"));
    }

    #[test]
    fn rfc_6238_codes_are_checked_with_one_step_of_drift() {
        // RFC 6238 appendix B's SHA-1 key, "12345678901234567890", in Base32.
        let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
        assert_eq!(
            totp_code(secret, 59).unwrap(),
            "287082",
            "RFC 6238 test vector (last 6 digits of 94287082)"
        );
        assert_eq!(totp_code(secret, 1_111_111_109).unwrap(), "081804");
        let now = 1_111_111_109;
        assert_eq!(totp_step(secret, "081804", now), Some(now / 30));
        assert_eq!(totp_step(secret, "081804", now + 30), Some(now / 30), "one step late is accepted");
        assert_eq!(totp_step(secret, "081804", now + 60), None, "two steps late is not");
        for bad in ["08180", "0818044", "abcdef", ""] {
            assert_eq!(totp_step(secret, bad, now), None, "{bad:?}");
        }
    }

    #[test]
    fn the_qr_code_is_a_path_the_page_draws() {
        let (uri, qr) = totp_enrolment(&new_totp_secret(), "lin.agent1").unwrap();
        assert!(uri.starts_with("otpauth://totp/"), "{uri}");
        assert!(qr.size > 21 && qr.path.starts_with('M') && qr.path.ends_with('z'));
    }

    #[test]
    fn weak_passwords_are_refused_with_reasons_in_both_languages() {
        let refused = password_problems("lin.agent1", &["林记"], "password123");
        assert_eq!(refused.len(), 1);
        assert!(refused[0].message_zh.contains("密码") && !refused[0].message_en.is_empty());
        assert!(password_problems("lin.agent1", &[], "tangerine kettle under marble").is_empty());
        assert!(!password_problems("lin.agent1", &[], "lin.agent1-is-me-2026").is_empty());
    }
}
