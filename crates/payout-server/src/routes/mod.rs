//! The JSON API under `/api`, one module per resource.

mod account;
mod api_keys;
mod approvals;
mod audit;
mod csv;
mod health;
pub mod import;
mod movements;
pub mod openapi;
mod orders;
mod payouts;
mod quotas;
mod reasons;
mod reports;
mod session;
mod settings;
mod sub_accounts;
mod webhooks;

use axum::extract::DefaultBodyLimit;
use axum::http::HeaderMap;
use axum::Router;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::state::{AppState, HttpOptions};

/// Request bodies above this are refused with `413`; the largest real body is a few hundred bytes.
pub(crate) const BODY_LIMIT: usize = 64 * 1024;

pub fn router(http: &HttpOptions) -> Router<AppState> {
    Router::new()
        .merge(health::router())
        .merge(session::router(http))
        .merge(account::router())
        .merge(sub_accounts::router())
        .merge(api_keys::router())
        .merge(movements::router())
        .merge(webhooks::router())
        .merge(orders::router())
        .merge(payouts::router())
        .merge(quotas::router())
        .merge(settings::router())
        .merge(audit::router())
        .merge(reasons::router())
        .merge(approvals::router())
        .merge(reports::router())
        .merge(openapi::router())
        .fallback(|| async {
            ApiError::NotFound { code: "NOT_FOUND", zh: "接口不存在", en: "No such API endpoint" }
        })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
}

/// Rejects text longer than `max` characters with a specific `400`.
pub(crate) fn check_len(
    value: &str,
    max: usize,
    code: &'static str,
    name_zh: &str,
    name_en: &str,
) -> Result<(), ApiError> {
    if value.chars().count() > max {
        return Err(ApiError::bad_request(
            code,
            format!("{name_zh}不能超过 {max} 个字符"),
            format!("{name_en} cannot be longer than {max} characters"),
        ));
    }
    Ok(())
}

/// `page` (from 1) and `per_page` (1..=100, default 20) from optional query text.
pub(crate) fn paging(page: Option<&str>, per_page: Option<&str>) -> Result<(u32, u32), ApiError> {
    let parse = |text: Option<&str>, default: u32, max: u32, name: &str| -> Result<u32, ApiError> {
        match text.filter(|t| !t.is_empty()) {
            None => Ok(default),
            Some(t) => t.parse::<u32>().ok().filter(|n| (1..=max).contains(n)).ok_or_else(|| {
                ApiError::invalid_query(
                    name,
                    format!("应为 1 到 {max} 之间的整数"),
                    format!("expected a whole number from 1 to {max}"),
                )
            }),
        }
    };
    Ok((parse(page, 1, 1_000_000, "page")?, parse(per_page, 20, 100, "per_page")?))
}

const IDEMPOTENCY_HEADER: &str = "idempotency-key";

/// The `Idempotency-Key` of a money-moving request: required, 1 to 128 characters.
pub(crate) fn idempotency_key(headers: &HeaderMap) -> Result<&str, ApiError> {
    let key = headers.get(IDEMPOTENCY_HEADER).and_then(|v| v.to_str().ok()).map(str::trim).unwrap_or("");
    if key.is_empty() || key.len() > 128 {
        return Err(ApiError::bad_request(
            "IDEMPOTENCY_KEY_REQUIRED",
            "缺少 Idempotency-Key 请求头（每次提交一个，1 到 128 个字符）",
            "The Idempotency-Key header is required (one per submission, 1 to 128 characters)",
        ));
    }
    Ok(key)
}

/// What identifies a parsed request under an idempotency key: a SHA-256 over a versioned kind
/// (`payout/v1`) and the request's fields in a fixed order, each length-prefixed, in their parsed
/// form. Two spellings of one request (`12.5` and `12.50`, a padded reference, JSON fields in
/// another order) have one fingerprint; a change of what is asked, another.
pub(crate) struct Fingerprint(Sha256);

impl Fingerprint {
    pub(crate) fn new(kind: &str) -> Fingerprint {
        Fingerprint(Sha256::new()).text(kind)
    }

    pub(crate) fn text(mut self, value: &str) -> Fingerprint {
        self.0.update((value.len() as u64).to_be_bytes());
        self.0.update(value.as_bytes());
        self
    }

    pub(crate) fn optional_text(self, value: Option<&str>) -> Fingerprint {
        match value {
            None => self.text("\u{0}none"),
            Some(v) => self.text("\u{0}some").text(v),
        }
    }

    pub(crate) fn number(self, value: i64) -> Fingerprint {
        self.text(&value.to_string())
    }

    pub(crate) fn optional_number(self, value: Option<i64>) -> Fingerprint {
        self.optional_text(value.map(|v| v.to_string()).as_deref())
    }

    pub(crate) fn finish(self) -> String {
        hex::encode(self.0.finalize())
    }
}

pub(crate) fn key_reused() -> ApiError {
    ApiError::Conflict {
        code: "IDEMPOTENCY_KEY_REUSED",
        zh: "该 Idempotency-Key 已用于另一个不同的请求".into(),
        en: "This Idempotency-Key was already used for a different request".into(),
    }
}
