//! Balance movements from the platform (SPEC §12.5): revenue settled in, money taken out, funds
//! frozen and unfrozen, the aggregate account opened. Applied once per reference (D11).

use serde::{Deserialize, Serialize};

use crate::facts::AccountKind;
use crate::money::Money;
use crate::time::Time;
use crate::top_up::normalize_reference;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MovementKind {
    /// Revenue settled in: the balance rises.
    Credit,
    /// Money taken out by the platform: the balance falls.
    Debit,
    /// Funds held back: not available for payouts.
    Freeze,
    Unfreeze,
    /// The aggregate account is opened (amount 0.00).
    Open,
}

impl MovementKind {
    pub const ALL: [MovementKind; 5] = [
        MovementKind::Credit,
        MovementKind::Debit,
        MovementKind::Freeze,
        MovementKind::Unfreeze,
        MovementKind::Open,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MovementKind::Credit => "credit",
            MovementKind::Debit => "debit",
            MovementKind::Freeze => "freeze",
            MovementKind::Unfreeze => "unfreeze",
            MovementKind::Open => "open",
        }
    }

    pub fn parse(text: &str) -> Option<MovementKind> {
        MovementKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            MovementKind::Credit => "入账",
            MovementKind::Debit => "出账",
            MovementKind::Freeze => "冻结",
            MovementKind::Unfreeze => "解冻",
            MovementKind::Open => "开通",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            MovementKind::Credit => "Credit",
            MovementKind::Debit => "Debit",
            MovementKind::Freeze => "Freeze",
            MovementKind::Unfreeze => "Unfreeze",
            MovementKind::Open => "Opened",
        }
    }
}

/// `POST /api/source-accounts/{kind}/movements`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MovementRequest {
    /// The platform's reference: a movement is applied once per reference in the shop (D11).
    pub reference: String,
    /// `credit`, `debit`, `freeze`, `unfreeze` or `open`.
    pub kind: String,
    /// Yuan as §5 writes it; `0.00` for `open`.
    pub amount: String,
    #[serde(default)]
    pub note: Option<String>,
}

/// A movement that passed [`validate_movement`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidMovement {
    pub reference: String,
    pub kind: MovementKind,
    pub amount: Money,
    pub note: Option<String>,
}

/// The longest reference and note.
pub const MAX_REFERENCE_CHARS: usize = 64;
pub const MAX_NOTE_CHARS: usize = 200;

/// Checks a movement for `account`: a reference (normalized like top-ups'), a known kind, an amount
/// (positive; exactly 0.00 to open, and only the aggregate account opens), a short note.
pub fn validate_movement(
    account: AccountKind,
    input: &MovementRequest,
) -> Result<ValidMovement, (String, String)> {
    let reference = normalize_reference(&input.reference);
    if reference.is_empty()
        || reference.chars().count() > MAX_REFERENCE_CHARS
        || reference.chars().any(char::is_control)
    {
        return Err((
            format!("请填写流水号（1 到 {MAX_REFERENCE_CHARS} 个字符）"),
            format!("reference is 1 to {MAX_REFERENCE_CHARS} characters"),
        ));
    }
    let Some(kind) = MovementKind::parse(input.kind.trim()) else {
        return Err((
            "kind 应为 credit、debit、freeze、unfreeze 或 open".into(),
            "kind is credit, debit, freeze, unfreeze or open".into(),
        ));
    };
    let amount = Money::parse(&input.amount)
        .map_err(|e| (format!("金额：{}", e.message_zh()), format!("amount: {}", e.message_en())))?;
    match kind {
        MovementKind::Open if account != AccountKind::Aggregate => {
            return Err((
                "只有聚合账户由平台开通".into(),
                "Only the aggregate account is opened by the platform".into(),
            ))
        }
        MovementKind::Open if !amount.is_zero() => {
            return Err(("开通的金额应为 0.00".into(), "An open movement's amount is 0.00".into()))
        }
        MovementKind::Open => {}
        _ if amount.is_zero() => {
            return Err(("金额必须大于 0".into(), "The amount must be greater than 0".into()))
        }
        _ => {}
    }
    let note = input.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS || n.chars().any(char::is_control)) {
        return Err((
            format!("备注不能超过 {MAX_NOTE_CHARS} 个字符，且不能含控制字符"),
            format!("note is at most {MAX_NOTE_CHARS} characters without control characters"),
        ));
    }
    Ok(ValidMovement { reference, kind, amount, note: note.map(str::to_owned) })
}

/// A movement as the settings page lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MovementView {
    pub id: i64,
    pub account: AccountKind,
    pub reference: String,
    pub kind: MovementKind,
    pub amount: Money,
    pub note: Option<String>,
    /// Who reported it (an API key's name).
    pub actor: String,
    pub created_at: Time,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(kind: &str, amount: &str) -> MovementRequest {
        MovementRequest {
            reference: " st－2026-001 ".into(),
            kind: kind.into(),
            amount: amount.into(),
            note: None,
        }
    }

    #[test]
    fn d11_movements_are_checked_and_references_normalized() {
        let m =
            validate_movement(AccountKind::Aggregate, &req("credit", "１,000.00".replace(',', "").as_str()))
                .unwrap();
        assert_eq!((m.reference.as_str(), m.amount.to_string().as_str()), ("ST-2026-001", "1000.00"));
        assert!(validate_movement(AccountKind::Aggregate, &req("open", "0.00")).is_ok());
        assert!(validate_movement(AccountKind::Aggregate, &req("open", "1")).is_err());
        assert!(validate_movement(AccountKind::Custody, &req("open", "0")).is_err());
        assert!(validate_movement(AccountKind::Aggregate, &req("credit", "0")).is_err());
        assert!(validate_movement(AccountKind::Aggregate, &req("refund", "1")).is_err());
        assert!(validate_movement(AccountKind::Aggregate, &req("debit", "1.001")).is_err());
    }
}
