//! What the rules decide on: the shop, the operator, the order and what has been paid so far.
//! The server loads these inside its transaction; the SPA receives them in the payout context.

use serde::{Deserialize, Serialize};

use crate::money::Money;
use crate::time::Time;

/// The purpose of a payout (打款类型).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PayoutType {
    Shipping,
    PriceDifference,
    ProductIssue,
    Other,
}

impl PayoutType {
    pub const ALL: [PayoutType; 4] =
        [PayoutType::Shipping, PayoutType::PriceDifference, PayoutType::ProductIssue, PayoutType::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            PayoutType::Shipping => "shipping",
            PayoutType::PriceDifference => "price_difference",
            PayoutType::ProductIssue => "product_issue",
            PayoutType::Other => "other",
        }
    }

    pub fn parse(text: &str) -> Option<PayoutType> {
        PayoutType::ALL.into_iter().find(|t| t.as_str() == text)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            PayoutType::Shipping => "运费补偿",
            PayoutType::PriceDifference => "差价补偿",
            PayoutType::ProductIssue => "商品问题补偿",
            PayoutType::Other => "其他补偿",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            PayoutType::Shipping => "Shipping fee",
            PayoutType::PriceDifference => "Price difference",
            PayoutType::ProductIssue => "Product issue",
            PayoutType::Other => "Other",
        }
    }
}

/// The name of the app an order was placed in, as (zh-CN, en); unknown apps show their identifier.
pub fn source_app_label(source_app: &str) -> (&str, &str) {
    match source_app {
        "douyin" => ("抖音", "Douyin"),
        "douyin_lite" => ("抖音极速版", "Douyin Lite"),
        "douyin_volcano" => ("抖音火山版", "Douyin Volcano"),
        "douyin_search" => ("抖音搜索", "Douyin Search"),
        "douyin_jingxuan" => ("抖音精选", "Douyin Jingxuan"),
        "douyin_mall" => ("抖音商城", "Douyin Mall"),
        "toutiao" => ("今日头条", "Toutiao"),
        other => (other, other),
    }
}

/// One of the shop's two payout source accounts (出款账户).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    /// 聚合账户: receives sales revenue; cannot be topped up; may have frozen funds.
    Aggregate,
    /// 管家账户: topped up by the merchant through enterprise online banking.
    Custody,
}

impl AccountKind {
    pub const ALL: [AccountKind; 2] = [AccountKind::Aggregate, AccountKind::Custody];

    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::Aggregate => "aggregate",
            AccountKind::Custody => "custody",
        }
    }

    pub fn parse(text: &str) -> Option<AccountKind> {
        AccountKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            AccountKind::Aggregate => "聚合账户",
            AccountKind::Custody => "管家账户",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            AccountKind::Aggregate => "Aggregate account",
            AccountKind::Custody => "Custody account",
        }
    }
}

/// 企业资质 / 个人资质.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Qualification {
    Enterprise,
    Individual,
}

impl Qualification {
    pub fn as_str(self) -> &'static str {
        match self {
            Qualification::Enterprise => "enterprise",
            Qualification::Individual => "individual",
        }
    }

    pub fn parse(text: &str) -> Option<Qualification> {
        [Qualification::Enterprise, Qualification::Individual].into_iter().find(|q| q.as_str() == text)
    }

    /// Individually-qualified shops may pay only from the custody account (R-F6).
    pub fn may_use(self, account: AccountKind) -> bool {
        !(self == Qualification::Individual && account == AccountKind::Aggregate)
    }
}

/// A shop's status (SPEC §2): only an `active` shop may pay or top up (R-E6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ShopStatus {
    Active,
    /// 停业整顿: no payouts, no top-ups, no approvals.
    Suspended,
}

impl ShopStatus {
    pub const ALL: [ShopStatus; 2] = [ShopStatus::Active, ShopStatus::Suspended];

    pub fn as_str(self) -> &'static str {
        match self {
            ShopStatus::Active => "active",
            ShopStatus::Suspended => "suspended",
        }
    }

    pub fn parse(text: &str) -> Option<ShopStatus> {
        ShopStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn is_active(self) -> bool {
        self == ShopStatus::Active
    }
}

/// 主账号 / 子账号.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Main,
    Sub,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Main => "main",
            Role::Sub => "sub",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        [Role::Main, Role::Sub].into_iter().find(|r| r.as_str() == text)
    }
}

/// A source account's money. `available = balance − frozen − reserved`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountFacts {
    pub kind: AccountKind,
    pub opened: bool,
    /// Settled balance (payouts that succeeded are already taken out).
    pub balance: Money,
    /// Funds the platform holds back; not available for payouts.
    pub frozen: Money,
    /// Amounts of `pending`/`processing` payouts from this account.
    pub reserved: Money,
}

impl AccountFacts {
    pub fn available(&self) -> Money {
        self.balance.saturating_sub(self.frozen).saturating_sub(self.reserved)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShopFacts {
    pub qualification: Qualification,
    /// Anything but `active` blocks payouts (R-E6).
    pub status: ShopStatus,
    pub accounts: Vec<AccountFacts>,
    /// The shop's name, as `{shop_name}` in buyer messages.
    #[serde(default)]
    pub name: String,
    /// Payouts by a sub-account at or above this wait for approval (SPEC §11.2).
    #[serde(default)]
    pub approval_threshold: Option<Money>,
    /// A draft must name a reason (R-F12).
    #[serde(default)]
    pub require_reason: bool,
    /// The shop's active reasons, in its order (R-F13; the dialog offers them).
    #[serde(default)]
    pub reasons: Vec<crate::reasons::Reason>,
}

impl ShopFacts {
    pub fn account(&self, kind: AccountKind) -> Option<&AccountFacts> {
        self.accounts.iter().find(|a| a.kind == kind)
    }
}

/// The person paying, with their quota and what they have used today (D4, D5).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OperatorFacts {
    pub role: Role,
    /// Sub-accounts: payout permission granted by the main account (R-P1). Always true for the
    /// main account.
    pub payout_enabled: bool,
    /// Sub-accounts: the quota is switched on (R-P2). Always true for the main account.
    pub quota_enabled: bool,
    pub per_payout_limit: Option<Money>,
    pub daily_limit: Option<Money>,
    /// This sub-account's counted payouts today.
    pub used_today: Money,
}

impl OperatorFacts {
    pub fn main() -> OperatorFacts {
        OperatorFacts {
            role: Role::Main,
            payout_enabled: true,
            quota_enabled: true,
            per_payout_limit: None,
            daily_limit: None,
            used_today: Money::ZERO,
        }
    }

    /// What a sub-account may still pay today; `None` for the main account (no personal quota, D4).
    pub fn daily_remaining(&self) -> Option<Money> {
        match self.role {
            Role::Main => None,
            Role::Sub => Some(self.daily_limit.unwrap_or(Money::ZERO).saturating_sub(self.used_today)),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderItem {
    pub id: String,
    pub title: String,
    pub amount: Money,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderFacts {
    pub order_no: String,
    pub source_app: String,
    pub paid_amount: Money,
    pub ordered_at: Time,
    pub online_paid: bool,
    pub cross_border: bool,
    pub items: Vec<OrderItem>,
    /// Whom a payout of this order pays, masked (first 3 and last 2 characters, SPEC §12.3).
    #[serde(default)]
    pub buyer: Option<String>,
}

/// What the order has received so far.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderUsage {
    /// Sum of counted (awaiting approval, pending, processing, succeeded) payouts.
    pub counted_total: Money,
    pub counted_count: u32,
    /// Creation time of the newest payout on the order, failed or not (D3).
    pub last_created_at: Option<Time>,
    /// Whether a counted `shipping` payout exists (R-F10).
    pub has_counted_shipping: bool,
    /// Whether a payout on the order is `processing` right now (the UI asks to wait).
    pub has_processing: bool,
}

/// Everything the rules need, as of one moment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Facts {
    pub shop: ShopFacts,
    pub operator: OperatorFacts,
    pub order: OrderFacts,
    pub usage: OrderUsage,
    /// The shop's counted payouts on the current business day.
    pub shop_counted_today: Money,
}
