//! The JSON API under `/api`, one module per resource.

mod audit;
mod health;
pub mod openapi;
mod orders;
mod payouts;
mod quotas;
mod session;
mod settings;

use axum::extract::DefaultBodyLimit;
use axum::Router;

use crate::error::ApiError;
use crate::state::AppState;

/// Request bodies above this are refused with `413`; the largest real body is a few hundred bytes.
const BODY_LIMIT: usize = 64 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(health::router())
        .merge(session::router())
        .merge(orders::router())
        .merge(payouts::router())
        .merge(quotas::router())
        .merge(settings::router())
        .merge(audit::router())
        .merge(openapi::router())
        .fallback(|| async {
            ApiError::NotFound { code: "NOT_FOUND", zh: "接口不存在", en: "No such API endpoint" }
        })
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
                ApiError::bad_request(
                    "INVALID_QUERY",
                    format!("参数 {name} 应为 1 到 {max} 之间的整数"),
                    format!("{name} must be a whole number from 1 to {max}"),
                )
            }),
        }
    };
    Ok((parse(page, 1, 1_000_000, "page")?, parse(per_page, 20, 100, "per_page")?))
}
