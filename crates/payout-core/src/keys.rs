//! API keys (SPEC §12.4): what the API 设置 page sends and lists. A key acts for its own shop only,
//! within its scopes.

use serde::{Deserialize, Serialize};

use crate::people::SecretText;
use crate::time::Time;

/// What a key may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Scope {
    /// `POST /api/orders/import`, `PUT /api/orders/{order_no}`.
    #[serde(rename = "orders:write")]
    OrdersWrite,
    /// `POST /api/source-accounts/{kind}/movements`.
    #[serde(rename = "accounts:write")]
    AccountsWrite,
    /// `GET /api/payouts…` and `GET /api/payouts/{id}`.
    #[serde(rename = "payouts:read")]
    PayoutsRead,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::OrdersWrite, Scope::AccountsWrite, Scope::PayoutsRead];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::OrdersWrite => "orders:write",
            Scope::AccountsWrite => "accounts:write",
            Scope::PayoutsRead => "payouts:read",
        }
    }

    pub fn parse(text: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.as_str() == text.trim())
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Scope::OrdersWrite => "写入订单",
            Scope::AccountsWrite => "写入账户资金变动",
            Scope::PayoutsRead => "读取打款记录",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Scope::OrdersWrite => "Write orders",
            Scope::AccountsWrite => "Write balance movements",
            Scope::PayoutsRead => "Read payouts",
        }
    }
}

/// The longest key name.
pub const MAX_KEY_NAME_CHARS: usize = 40;

/// `POST /api/api-keys`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiKeyCreate {
    pub name: String,
    /// `orders:write`, `accounts:write`, `payouts:read`.
    pub scopes: Vec<String>,
}

/// A key request that passed [`validate_key_request`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidKeyRequest {
    pub name: String,
    pub scopes: Vec<Scope>,
}

/// A name of 1 to 40 characters without control characters, and at least one known scope.
pub fn validate_key_request(input: &ApiKeyCreate) -> Result<ValidKeyRequest, (String, String)> {
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > MAX_KEY_NAME_CHARS || name.chars().any(char::is_control) {
        return Err((
            format!("请填写密钥名称（1 到 {MAX_KEY_NAME_CHARS} 个字符，例如“ERP 订单同步”）"),
            format!("Enter a key name of 1 to {MAX_KEY_NAME_CHARS} characters, e.g. \"ERP order sync\""),
        ));
    }
    let mut scopes = Vec::new();
    for text in &input.scopes {
        let Some(scope) = Scope::parse(text) else {
            return Err((
                format!("未知的权限范围 {text:?}，可选：orders:write、accounts:write、payouts:read"),
                format!("Unknown scope {text:?}; use orders:write, accounts:write or payouts:read"),
            ));
        };
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    if scopes.is_empty() {
        return Err(("请至少选择一个权限范围".into(), "Choose at least one scope".into()));
    }
    scopes.sort();
    Ok(ValidKeyRequest { name: name.to_owned(), scopes })
}

/// A key as the API 设置 page lists it: never the key itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiKeyView {
    pub id: i64,
    pub name: String,
    pub scopes: Vec<Scope>,
    /// The key's first 8 characters, to tell keys apart.
    pub prefix: String,
    pub created_by: String,
    pub created_at: Time,
    pub last_used_at: Option<Time>,
    pub revoked_at: Option<Time>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiKeyList {
    pub items: Vec<ApiKeyView>,
}

/// `POST /api/api-keys` → `201`: the key, shown this once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiKeyCreated {
    pub id: i64,
    pub key: SecretText,
    pub api_key: ApiKeyView,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_needs_a_name_and_known_scopes() {
        let ok = validate_key_request(&ApiKeyCreate {
            name: " ERP ".into(),
            scopes: vec!["payouts:read".into(), "orders:write".into(), "orders:write".into()],
        })
        .unwrap();
        assert_eq!((ok.name.as_str(), ok.scopes), ("ERP", vec![Scope::OrdersWrite, Scope::PayoutsRead]));
        assert!(validate_key_request(&ApiKeyCreate { name: "x".into(), scopes: vec![] }).is_err());
        assert!(
            validate_key_request(&ApiKeyCreate { name: "x".into(), scopes: vec!["admin".into()] }).is_err()
        );
        assert!(validate_key_request(&ApiKeyCreate { name: "".into(), scopes: vec!["payouts:read".into()] })
            .is_err());
        assert_eq!(serde_json::to_string(&Scope::OrdersWrite).unwrap(), "\"orders:write\"");
    }
}
