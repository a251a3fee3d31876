//! The JSON contract of SPEC §8, shared by the server (which produces it) and the SPA (which reads it).
//! Money is always a two-decimal string; times are RFC 3339 with the +08:00 offset.
//! Request fields that people type (amounts) are plain strings, so a bad amount becomes a specific
//! `AMOUNT_INVALID` answer instead of a generic "wrong type" error.

use serde::{Deserialize, Serialize};

use crate::facts::{AccountKind, Facts, OrderFacts, PayoutType, Qualification, Role, ShopStatus};
use crate::meters::Meters;
use crate::money::Money;
use crate::people::SecretText;
use crate::policy::Policy;
use crate::time::Time;
use crate::violation::Violation;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    pub status: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginRequest {
    pub username: String,
    pub password: SecretText,
    /// With two-step verification on: the 6-digit code, or one of the recovery codes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<SecretText>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// Two-step verification is on.
    #[serde(default)]
    pub two_factor: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShopView {
    pub id: i64,
    pub name: String,
    pub qualification: Qualification,
    pub status: ShopStatus,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Permissions {
    /// May see the payout entry, look up orders for payout and pay (R-P1).
    pub payout: bool,
    pub manage_quotas: bool,
    pub manage_settings: bool,
}

/// `GET /api/session`: who is signed in, their shop and what they may do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionInfo {
    pub user: UserView,
    pub shop: ShopView,
    pub permissions: Permissions,
    /// Send back as the `X-CSRF-Token` header on every state-changing request.
    pub csrf_token: String,
    /// Signed in with a one-time password: every other API answers `403 PASSWORD_CHANGE_REQUIRED`
    /// until it is changed (SPEC §12.2).
    #[serde(default)]
    pub password_change_required: bool,
    /// The shop requires two-step verification of those who pay, and this account has not set it
    /// up: paying and approving answer `403 TWO_FACTOR_REQUIRED_TO_PAY` until it does.
    #[serde(default)]
    pub two_factor_setup_required: bool,
}

/// A payout as filled in by a person. `amount` is the text typed, parsed by the rules (R-F1).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PayoutDraft {
    #[cfg_attr(
        feature = "openapi",
        schema(examples("6920241100000000003", "6920241100000000008", "6920241100000000004"))
    )]
    pub order_no: String,
    /// `aggregate` or `custody`.
    #[cfg_attr(feature = "openapi", schema(example = "aggregate"))]
    pub source_account: String,
    /// `shipping`, `price_difference`, `product_issue` or `other`.
    #[cfg_attr(feature = "openapi", schema(example = "price_difference"))]
    pub payout_type: String,
    /// Yuan as typed, e.g. `"12.50"` (SPEC §5).
    #[cfg_attr(feature = "openapi", schema(examples("1.50", "600")))]
    pub amount: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linked_item_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm_duplicate_shipping: Option<bool>,
    /// One of the shop's active reasons of this payout type (R-F12, R-F13).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_id: Option<i64>,
    /// What the buyer sees (R-F14); filled from the reason's template when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_message: Option<String>,
}

/// `POST /api/payouts/check`: the verdict creating would give now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CheckResponse {
    pub ok: bool,
    pub violations: Vec<Violation>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PayoutStatus {
    /// Waits for the main account's decision (SPEC §11.2); counted, its amount reserved.
    AwaitingApproval,
    Pending,
    Processing,
    Succeeded,
    Failed,
    /// Turned down by the main account, or expired while awaiting approval; final, not counted.
    Rejected,
}

impl PayoutStatus {
    pub const ALL: [PayoutStatus; 6] = [
        PayoutStatus::AwaitingApproval,
        PayoutStatus::Pending,
        PayoutStatus::Processing,
        PayoutStatus::Succeeded,
        PayoutStatus::Failed,
        PayoutStatus::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PayoutStatus::AwaitingApproval => "awaiting_approval",
            PayoutStatus::Pending => "pending",
            PayoutStatus::Processing => "processing",
            PayoutStatus::Succeeded => "succeeded",
            PayoutStatus::Failed => "failed",
            PayoutStatus::Rejected => "rejected",
        }
    }

    pub fn parse(text: &str) -> Option<PayoutStatus> {
        PayoutStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Counted payouts take up limits; a failed or rejected one never does (SPEC §3).
    pub fn is_counted(self) -> bool {
        !matches!(self, PayoutStatus::Failed | PayoutStatus::Rejected)
    }

    pub fn is_final(self) -> bool {
        matches!(self, PayoutStatus::Succeeded | PayoutStatus::Failed | PayoutStatus::Rejected)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            PayoutStatus::AwaitingApproval => "待审核",
            PayoutStatus::Pending => "待打款",
            PayoutStatus::Processing => "打款中",
            PayoutStatus::Succeeded => "打款成功",
            PayoutStatus::Failed => "打款失败",
            PayoutStatus::Rejected => "已驳回",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            PayoutStatus::AwaitingApproval => "Awaiting approval",
            PayoutStatus::Pending => "Pending",
            PayoutStatus::Processing => "Processing",
            PayoutStatus::Succeeded => "Succeeded",
            PayoutStatus::Failed => "Failed",
            PayoutStatus::Rejected => "Rejected",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OperatorRef {
    pub id: i64,
    pub username: String,
    pub display_name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PayoutView {
    pub id: i64,
    pub order_no: String,
    pub source_account: AccountKind,
    pub payout_type: PayoutType,
    pub amount: Money,
    pub status: PayoutStatus,
    pub failure_reason: Option<String>,
    pub linked_item_id: Option<String>,
    /// The internal note: never leaves the shop.
    pub note: Option<String>,
    pub operator: OperatorRef,
    pub created_at: Time,
    pub updated_at: Time,
    /// The payout reason chosen (SPEC §11.1), with its names as they were when it was paid.
    #[serde(default)]
    pub reason_id: Option<i64>,
    #[serde(default)]
    pub reason_name_zh: Option<String>,
    #[serde(default)]
    pub reason_name_en: Option<String>,
    /// What the buyer sees, apart from the internal note.
    #[serde(default)]
    pub buyer_message: Option<String>,
    /// Who approved or rejected it (a username, or `system` when it expired), and when.
    #[serde(default)]
    pub decided_by: Option<String>,
    #[serde(default)]
    pub decided_at: Option<Time>,
    #[serde(default)]
    pub reject_reason: Option<String>,
    /// When the buyer's notification was delivered (SPEC §11.3).
    #[serde(default)]
    pub buyer_notified_at: Option<Time>,
    /// When the buyer's notification was given up, undelivered for 24 h (D12).
    #[serde(default)]
    pub buyer_notification_failed_at: Option<Time>,
    /// `processing` for longer than the policy's `stuck_after_minutes` as of the answer (§11.4).
    #[serde(default)]
    pub stuck: bool,
}

/// The actor of the state changes the settlement worker makes.
pub const SETTLEMENT_ACTOR: &str = "settlement";

/// One state change of a payout.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PayoutEvent {
    pub at: Time,
    pub status: PayoutStatus,
    /// Who caused it: a username, or `settlement` for the worker.
    pub actor: String,
    pub reason: Option<String>,
}

/// `GET /api/payouts/{id}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PayoutDetail {
    #[serde(flatten)]
    pub payout: PayoutView,
    pub events: Vec<PayoutEvent>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PayoutList {
    pub items: Vec<PayoutView>,
    /// How many payouts match, counted up to [`COUNT_CAP`]: past it, `total` is the cap and
    /// `total_exact` is false (shown "10,000+"), so no page counts a shop's whole history.
    pub total: u64,
    #[serde(default = "exact")]
    pub total_exact: bool,
    /// The page's number as the client counts it (by cursor, the server only echoes it).
    pub page: u32,
    pub per_page: u32,
    /// `cursor` of the next (older) page; absent on the last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// `cursor` of the previous (newer) page; absent on the first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev_cursor: Option<String>,
}

/// Where counting the records stops.
pub const COUNT_CAP: u64 = 10_000;

fn exact() -> bool {
    true
}

/// A source account as the payout dialog and the settings page show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SourceAccountView {
    pub kind: AccountKind,
    pub opened: bool,
    /// Whether this shop may pay from it (R-F6, R-F7).
    pub allowed: bool,
    pub balance: Money,
    pub frozen: Money,
    /// Held by pending and processing payouts.
    pub reserved: Money,
    pub available: Money,
    /// Why it is not allowed, when it is not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_zh: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_en: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Eligibility {
    pub eligible: bool,
    pub violations: Vec<Violation>,
}

/// `GET /api/orders/{order_no}/payout-context`: everything the workbench shows and the dialog
/// pre-validates with. `facts` and `policy` are what the server's rules run on, so the SPA runs the
/// very same `payout-core` functions on them; `server_time` lets it correct its own clock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PayoutContext {
    pub order: OrderFacts,
    pub eligibility: Eligibility,
    pub meters: Meters,
    pub source_accounts: Vec<SourceAccountView>,
    pub selected_source_account: AccountKind,
    /// The order's payouts, newest first.
    pub payouts: Vec<PayoutView>,
    pub facts: Facts,
    pub policy: Policy,
    pub server_time: Time,
}

/// One sub-account's quota, as the quota page lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QuotaView {
    pub sub_account_id: i64,
    pub username: String,
    pub display_name: String,
    /// Payout permission (the article's 岗位 grant, R-P1): granted and revoked by the main account
    /// only (D6).
    pub payout_permission: bool,
    /// The quota is switched on (R-P2); quota managers switch it for sub-accounts that hold payout
    /// permission.
    pub enabled: bool,
    pub per_payout_limit: Money,
    pub daily_limit: Money,
    pub used_today: Money,
    pub manage_quotas: bool,
}

/// `PUT /api/quotas/{sub_account_id}`. Amounts as typed; zero means "no quota" (R-P2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QuotaUpdate {
    pub per_payout_limit: String,
    pub daily_limit: String,
    pub enabled: bool,
}

/// `PUT /api/sub-accounts/{id}/permissions` (main account only, D6).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PermissionsUpdate {
    /// Payout permission (R-P1).
    pub payout: bool,
    /// May manage other sub-accounts' quotas.
    pub manage_quotas: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QuotaList {
    pub items: Vec<QuotaView>,
    /// The deployment's policy, which bounds quota values (`quota::validate_quota`).
    pub policy: Policy,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TopUpView {
    pub id: i64,
    pub amount: Money,
    pub reference: String,
    pub actor: String,
    pub created_at: Time,
}

/// `GET /api/payout-settings`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PayoutSettings {
    pub qualification: Qualification,
    pub selected_source_account: AccountKind,
    pub accounts: Vec<SourceAccountView>,
    /// Recent custody top-ups, newest first.
    pub top_ups: Vec<TopUpView>,
    /// Payouts by a sub-account at or above this wait for approval (SPEC §11.2); none when null.
    #[serde(default)]
    pub approval_threshold: Option<Money>,
    /// Whether a draft must name a reason (R-F12).
    #[serde(default)]
    pub require_reason: bool,
    /// Whether paying and approving need two-step verification (SPEC §12.2).
    #[serde(default)]
    pub require_two_factor: bool,
    /// The latest balance movements the platform reported, per account, newest first (SPEC §12.5).
    #[serde(default)]
    pub movements: Vec<crate::movements::MovementView>,
}

/// `PUT /api/payout-settings`. A field left out keeps its value; `approval_threshold: null`
/// removes the threshold.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SettingsUpdate {
    pub source_account: String,
    /// Yuan as typed, e.g. `"100.00"`; `null` for no approval.
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub approval_threshold: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_reason: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_two_factor: Option<bool>,
}

/// A field that is present (even as `null`) becomes `Some`, so "left out" and "null" differ.
fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// `POST /api/custody/top-ups`: records an enterprise-banking top-up of the custody account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TopUpRequest {
    pub amount: String,
    /// The bank transfer's reference number.
    pub reference: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub id: i64,
    pub at: Time,
    pub actor: String,
    /// What happened, e.g. `payout.created`, `payout.succeeded`, `quota.updated`.
    pub action: String,
    /// What it happened to, e.g. `payout:42`, `user:3`.
    pub target: String,
    /// Human-readable detail (amounts, old and new values).
    pub detail: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditList {
    pub items: Vec<AuditEntry>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

/// Every error answer: `{"error": {...}}` (SPEC §8).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    pub code: String,
    pub message_zh: String,
    pub message_en: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub violations: Option<Vec<Violation>>,
}

/// `GET /api/operators`: the shop's accounts that can appear as a payout's operator (records filter).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OperatorList {
    pub items: Vec<OperatorRef>,
}
