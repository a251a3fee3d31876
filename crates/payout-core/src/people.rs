//! People (SPEC §12.2): usernames, display names and passwords as the sub-accounts page, the
//! password form and the server accept them, and the JSON of the sub-accounts and two-step
//! verification endpoints. Validation is here once, so the form says what the server will say.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Usernames: 3 to 32 of `a-z 0-9 . _ -`, after trimming and lower-casing.
pub const USERNAME_MIN: usize = 3;
pub const USERNAME_MAX: usize = 32;
/// Display names: 1 to 32 characters, no control characters.
pub const DISPLAY_NAME_MAX: usize = 32;
/// Passwords a person chooses: 10 to 128 characters (SPEC §12.2).
pub const PASSWORD_MIN: usize = 10;
pub const PASSWORD_MAX: usize = 128;
/// A code of two-step verification: 6 digits (RFC 6238).
pub const TOTP_DIGITS: usize = 6;

/// A field a person typed that is not acceptable, and why, in both languages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldProblem {
    /// The stable error code, e.g. `USERNAME_INVALID`.
    pub code: &'static str,
    pub message_zh: String,
    pub message_en: String,
}

impl FieldProblem {
    fn new(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> FieldProblem {
        FieldProblem { code, message_zh: zh.into(), message_en: en.into() }
    }
}

/// Usernames are compared in one form everywhere (sign-in, the throttle, uniqueness): surrounding
/// spaces dropped, lower case. `" Lin.Admin "` is `lin.admin`.
pub fn normalize_username(raw: &str) -> String {
    raw.trim().to_lowercase()
}

/// A new account's username, normalized (`LIN.AGENT1` is `lin.agent1`), or why not.
pub fn validate_username(raw: &str) -> Result<String, FieldProblem> {
    let name = normalize_username(raw);
    let count = name.chars().count();
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-');
    if !(USERNAME_MIN..=USERNAME_MAX).contains(&count) || !name.chars().all(allowed) {
        return Err(FieldProblem::new(
            "USERNAME_INVALID",
            format!("登录名须为 {USERNAME_MIN} 到 {USERNAME_MAX} 个字符，只能使用小写字母、数字和 . _ -"),
            format!(
                "A username is {USERNAME_MIN} to {USERNAME_MAX} characters of lower-case letters, digits and . _ -"
            ),
        ));
    }
    Ok(name)
}

/// A display name, trimmed, or why not.
pub fn validate_display_name(raw: &str) -> Result<String, FieldProblem> {
    let name = raw.trim();
    if name.chars().any(char::is_control) {
        return Err(FieldProblem::new(
            "DISPLAY_NAME_INVALID",
            "姓名不能包含换行、制表符或其他控制字符",
            "A display name cannot contain line breaks, tabs or other control characters",
        ));
    }
    let count = name.chars().count();
    if count == 0 || count > DISPLAY_NAME_MAX {
        return Err(FieldProblem::new(
            "DISPLAY_NAME_INVALID",
            format!("请填写姓名（1 到 {DISPLAY_NAME_MAX} 个字符）"),
            format!("Enter a display name of 1 to {DISPLAY_NAME_MAX} characters"),
        ));
    }
    Ok(name.to_owned())
}

/// The rules of a new password the form can check without the server: its length, and that it
/// does not contain the username. (The server adds its strength estimate.)
pub fn password_rule_problems(username: &str, password: &str) -> Vec<FieldProblem> {
    let mut problems = Vec::new();
    let count = password.chars().count();
    if count < PASSWORD_MIN {
        problems.push(FieldProblem::new(
            "PASSWORD_TOO_WEAK",
            format!("密码至少 {PASSWORD_MIN} 个字符"),
            format!("Use at least {PASSWORD_MIN} characters"),
        ));
    } else if count > PASSWORD_MAX {
        problems.push(FieldProblem::new(
            "PASSWORD_TOO_WEAK",
            format!("密码不能超过 {PASSWORD_MAX} 个字符"),
            format!("Use at most {PASSWORD_MAX} characters"),
        ));
    }
    let user = normalize_username(username);
    if !user.is_empty() && password.to_lowercase().contains(&user) {
        problems.push(FieldProblem::new(
            "PASSWORD_TOO_WEAK",
            "密码不能包含登录名",
            "The password cannot contain the username",
        ));
    }
    problems
}

/// Text that must not reach a log through `{:?}`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct SecretText(pub String);

impl fmt::Debug for SecretText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

impl SecretText {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for SecretText {
    fn from(text: String) -> Self {
        SecretText(text)
    }
}

/// A sub-account as the 子账号管理 page lists it (`GET /api/sub-accounts`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubAccountView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    /// Deactivated accounts keep their name on their payouts and audit trail (D9).
    pub active: bool,
    /// Payout permission (R-P1).
    pub payout: bool,
    pub manage_quotas: bool,
    /// Two-step verification is on.
    pub two_factor: bool,
    /// Signed in with a one-time password that was not changed yet.
    pub password_change_required: bool,
    pub last_sign_in_at: Option<crate::Time>,
    pub created_at: crate::Time,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubAccountList {
    pub items: Vec<SubAccountView>,
}

/// `POST /api/sub-accounts`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubAccountCreate {
    pub username: String,
    pub display_name: String,
}

/// `PUT /api/sub-accounts/{id}`: a field left out stays as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubAccountUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
}

/// A new account, or a reset one: its one-time password, shown this once (SPEC §12.2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OneTimePassword {
    pub one_time_password: SecretText,
    /// It stops working then (72 hours).
    pub expires_at: crate::Time,
}

/// `POST /api/sub-accounts` → `201`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubAccountCreated {
    pub sub_account: SubAccountView,
    #[serde(flatten)]
    pub password: OneTimePassword,
}

/// `PUT /api/session/password`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasswordChange {
    pub current_password: SecretText,
    pub new_password: SecretText,
}

/// A QR code as the page draws it: `size` modules a side, the dark ones as one SVG path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QrCode {
    pub size: u32,
    /// SVG path data in module units, e.g. `M4 4h7v1h-7z…`.
    pub path: String,
}

/// `POST /api/session/two-factor`: a new secret to scan; not on until confirmed with a code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TwoFactorSetup {
    /// Base32, for apps that take it typed.
    pub secret: SecretText,
    pub otpauth_uri: SecretText,
    pub qr: QrCode,
}

/// `POST /api/session/two-factor/confirm`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TwoFactorConfirm {
    pub code: SecretText,
}

/// `DELETE /api/session/two-factor`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TwoFactorOff {
    pub password: SecretText,
    pub code: SecretText,
}

/// Ten single-use recovery codes, shown once when two-step verification is turned on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecoveryCodes {
    pub recovery_codes: Vec<SecretText>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn usernames_are_trimmed_lower_cased_and_of_a_small_alphabet() {
        assert_eq!(validate_username(" LIN.Agent_1-x ").unwrap(), "lin.agent_1-x");
        for bad in ["ab", "lin agent", "林记", "a\u{0}b", "emoji😀", &"a".repeat(33), "", "   "] {
            assert_eq!(validate_username(bad).map_err(|p| p.code), Err("USERNAME_INVALID"), "{bad:?}");
        }
        assert!(validate_username(&"a".repeat(32)).is_ok());
        assert!(validate_username(&"a".repeat(10_000)).is_err());
    }

    #[test]
    fn display_names_are_trimmed_and_short_without_control_characters() {
        assert_eq!(validate_display_name("  客服小林 ").unwrap(), "客服小林");
        for bad in ["", "  ", "a\u{1b}[31m", "two\nlines", &"名".repeat(33)] {
            assert!(validate_display_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_password_is_10_to_128_characters_without_the_username() {
        assert!(password_rule_problems("lin.agent1", "correct horse battery").is_empty());
        assert_eq!(password_rule_problems("lin.agent1", "short").len(), 1);
        assert_eq!(password_rule_problems("lin.agent1", &"x".repeat(129)).len(), 1);
        assert!(password_rule_problems("lin.agent1", &"x".repeat(128)).is_empty());
        assert_eq!(password_rule_problems("lin.agent1", "my-LIN.AGENT1-pass").len(), 1);
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let change = PasswordChange {
            current_password: "old-secret".to_owned().into(),
            new_password: "new-secret".to_owned().into(),
        };
        let printed = format!("{change:?}");
        assert!(!printed.contains("secret") || printed.contains("[REDACTED]"), "{printed}");
        assert!(!printed.contains("old-secret") && !printed.contains("new-secret"), "{printed}");
    }

    proptest! {
        #[test]
        fn validating_people_never_panics(text in "\\PC{0,64}") {
            let _ = validate_username(&text);
            let _ = validate_display_name(&text);
            let _ = password_rule_problems(&text, &text);
        }
    }
}
