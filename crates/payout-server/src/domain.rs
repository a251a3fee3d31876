//! The server's own vocabulary, shared by the store, the workers and the HTTP layer without
//! belonging to any of them: who acts, and what the payment rail decided. The store speaks these
//! (never HTTP), so the operators' commands can use it without the web server.

use payout_core::{Qualification, Role, ShopStatus};

/// A signed-in person, as the store resolves their session on every request.
#[derive(Clone, Debug)]
pub struct Actor {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// Sub-accounts: payout permission granted by the main account (R-P1).
    pub payout_enabled: bool,
    pub manage_quotas: bool,
    pub shop_id: i64,
    pub shop_name: String,
    pub qualification: Qualification,
    pub shop_status: ShopStatus,
    pub csrf_token: String,
    /// Signed in with a one-time password not changed yet: only the session and password
    /// endpoints answer (SPEC §12.2).
    pub password_change_required: bool,
    /// Two-step verification is on for this account.
    pub two_factor: bool,
    /// The shop's payout settings require it of those who pay (`require_two_factor`).
    pub shop_requires_two_factor: bool,
}

impl Actor {
    /// R-P1: the main account, or a sub-account with payout permission.
    pub fn may_pay(&self) -> bool {
        self.role == Role::Main || self.payout_enabled
    }

    pub fn may_manage_quotas(&self) -> bool {
        self.role == Role::Main || self.manage_quotas
    }

    pub fn may_manage_settings(&self) -> bool {
        self.role == Role::Main
    }

    /// May pay but must first set up two-step verification (`403 TWO_FACTOR_REQUIRED_TO_PAY`).
    pub fn needs_two_factor_to_pay(&self) -> bool {
        self.may_pay() && self.shop_requires_two_factor && !self.two_factor
    }
}

/// What the payment rail said about a payout: its final outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Settlement {
    Succeeded,
    Failed { reason: String },
}
