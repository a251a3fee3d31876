//! A broken rule, as the API reports it: rule ID, code, the field it belongs to, a zh-CN and an en
//! message, and the figures involved. Messages are written here once, for the SPA and the server.

use serde::{Deserialize, Serialize};

use crate::money::Money;

/// Every rule of SPEC §4, named by its stable code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Code {
    OrderNotFound,
    OrderSourceNotEligible,
    OrderNotOnlinePaid,
    OrderTooOld,
    OrderCrossBorder,
    ShopNotActive,
    NotAuthorized,
    OperatorNoQuota,
    OrderCountLimit,
    OrderAmountLimit,
    OrderCooldown,
    ShopDailyLimit,
    OperatorDailyLimit,
    AmountInvalid,
    AmountOverOrderRemaining,
    AmountOverOperatorPerPayout,
    AmountOverOperatorDailyRemaining,
    AmountOverShopDailyRemaining,
    SourceAccountNotAllowed,
    AggregateAccountNotOpened,
    InsufficientAvailableBalance,
    LinkedItemNotInOrder,
    DuplicateShippingConfirmationRequired,
    PayoutTypeInvalid,
    ReasonRequired,
    ReasonInvalid,
    TextTooLong,
    RejectReasonRequired,
    NotApprover,
}

impl Code {
    /// The stable rule ID of SPEC §4.
    pub fn rule(self) -> &'static str {
        use Code::*;
        match self {
            OrderNotFound => "R-E1",
            OrderSourceNotEligible => "R-E2",
            OrderNotOnlinePaid => "R-E3",
            OrderTooOld => "R-E4",
            OrderCrossBorder => "R-E5",
            ShopNotActive => "R-E6",
            NotAuthorized => "R-P1",
            OperatorNoQuota => "R-P2",
            OrderCountLimit => "R-L1",
            OrderAmountLimit => "R-L2",
            OrderCooldown => "R-L3",
            ShopDailyLimit => "R-L4",
            OperatorDailyLimit => "R-L5",
            AmountInvalid => "R-F1",
            AmountOverOrderRemaining => "R-F2",
            AmountOverOperatorPerPayout => "R-F3",
            AmountOverOperatorDailyRemaining => "R-F4",
            AmountOverShopDailyRemaining => "R-F5",
            SourceAccountNotAllowed => "R-F6",
            AggregateAccountNotOpened => "R-F7",
            InsufficientAvailableBalance => "R-F8",
            LinkedItemNotInOrder => "R-F9",
            DuplicateShippingConfirmationRequired => "R-F10",
            PayoutTypeInvalid => "R-F11",
            ReasonRequired => "R-F12",
            ReasonInvalid => "R-F13",
            TextTooLong => "R-F14",
            RejectReasonRequired => "R-A1",
            NotApprover => "R-A2",
        }
    }

    /// The code as it appears on the wire, e.g. `ORDER_COOLDOWN`.
    pub fn as_str(self) -> &'static str {
        use Code::*;
        match self {
            OrderNotFound => "ORDER_NOT_FOUND",
            OrderSourceNotEligible => "ORDER_SOURCE_NOT_ELIGIBLE",
            OrderNotOnlinePaid => "ORDER_NOT_ONLINE_PAID",
            OrderTooOld => "ORDER_TOO_OLD",
            OrderCrossBorder => "ORDER_CROSS_BORDER",
            ShopNotActive => "SHOP_NOT_ACTIVE",
            NotAuthorized => "NOT_AUTHORIZED",
            OperatorNoQuota => "OPERATOR_NO_QUOTA",
            OrderCountLimit => "ORDER_COUNT_LIMIT",
            OrderAmountLimit => "ORDER_AMOUNT_LIMIT",
            OrderCooldown => "ORDER_COOLDOWN",
            ShopDailyLimit => "SHOP_DAILY_LIMIT",
            OperatorDailyLimit => "OPERATOR_DAILY_LIMIT",
            AmountInvalid => "AMOUNT_INVALID",
            AmountOverOrderRemaining => "AMOUNT_OVER_ORDER_REMAINING",
            AmountOverOperatorPerPayout => "AMOUNT_OVER_OPERATOR_PER_PAYOUT",
            AmountOverOperatorDailyRemaining => "AMOUNT_OVER_OPERATOR_DAILY_REMAINING",
            AmountOverShopDailyRemaining => "AMOUNT_OVER_SHOP_DAILY_REMAINING",
            SourceAccountNotAllowed => "SOURCE_ACCOUNT_NOT_ALLOWED",
            AggregateAccountNotOpened => "AGGREGATE_ACCOUNT_NOT_OPENED",
            InsufficientAvailableBalance => "INSUFFICIENT_AVAILABLE_BALANCE",
            LinkedItemNotInOrder => "LINKED_ITEM_NOT_IN_ORDER",
            DuplicateShippingConfirmationRequired => "DUPLICATE_SHIPPING_CONFIRMATION_REQUIRED",
            PayoutTypeInvalid => "PAYOUT_TYPE_INVALID",
            ReasonRequired => "REASON_REQUIRED",
            ReasonInvalid => "REASON_INVALID",
            TextTooLong => "TEXT_TOO_LONG",
            RejectReasonRequired => "REJECT_REASON_REQUIRED",
            NotApprover => "NOT_APPROVER",
        }
    }
}

/// The draft field a violation belongs to, so a form can show the message beside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Field {
    OrderNo,
    SourceAccount,
    PayoutType,
    Amount,
    LinkedItemId,
    ConfirmDuplicateShipping,
    ReasonId,
    BuyerMessage,
    Note,
}

/// One broken rule with everything a person needs to understand it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Violation {
    /// Rule ID of SPEC §4, e.g. `R-L3`.
    pub rule: String,
    pub code: Code,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<Field>,
    pub message_zh: String,
    pub message_en: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining: Option<Money>,
    /// For R-L3: seconds until the order may take another payout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds_left: Option<u32>,
    /// For R-L1: the payout count limit and how many are counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count_limit: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count_used: Option<u32>,
    /// For R-F8: the frozen part of the account's balance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frozen: Option<Money>,
}

impl Violation {
    pub fn new(code: Code, message_zh: impl Into<String>, message_en: impl Into<String>) -> Violation {
        Violation {
            rule: code.rule().to_owned(),
            code,
            field: None,
            message_zh: message_zh.into(),
            message_en: message_en.into(),
            limit: None,
            used: None,
            remaining: None,
            seconds_left: None,
            count_limit: None,
            count_used: None,
            frozen: None,
        }
    }

    pub fn on(mut self, field: Field) -> Violation {
        self.field = Some(field);
        self
    }

    /// Attaches limit, used and remaining (remaining = limit − used, never below zero).
    pub fn figures(mut self, limit: Money, used: Money) -> Violation {
        self.limit = Some(limit);
        self.used = Some(used);
        self.remaining = Some(limit.saturating_sub(used));
        self
    }

    /// The message in the given language (`"en"` or anything else for zh-CN).
    pub fn message(&self, lang: &str) -> &str {
        if lang == "en" {
            &self.message_en
        } else {
            &self.message_zh
        }
    }
}

/// True when any violation in the list has this code.
pub fn has_code(violations: &[Violation], code: Code) -> bool {
    violations.iter().any(|v| v.code == code)
}
