//! The one error type of the server. Every failure becomes the SPEC §8 body
//! `{"error":{"code","message_zh","message_en","violations"?}}` with its status; internal details
//! are logged, never sent.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use payout_core::api::{ErrorBody, ErrorDetail};
use payout_core::time::Wait;
use payout_core::Violation;

/// When a sign-in refused for want of a hashing slot may be tried again.
const SIGN_IN_BUSY_RETRY_SECONDS: u64 = 2;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request is malformed; `code` says how (e.g. `INVALID_JSON`, `AMOUNT_INVALID`).
    #[error("bad request: {code}")]
    BadRequest { code: &'static str, zh: String, en: String, violations: Option<Vec<Violation>> },
    #[error("not signed in")]
    NotSignedIn,
    #[error("invalid credentials")]
    InvalidCredentials,
    /// 401 with a specific reason (e.g. `TWO_FACTOR_REQUIRED`).
    #[error("unauthorized: {code}")]
    Unauthorized { code: &'static str, zh: String, en: String },
    /// 429: failed guesses fill the throttle's window for this username or address.
    #[error("too many attempts")]
    TooManyAttempts { retry_after_seconds: u64 },
    #[error("not authorized")]
    NotAuthorized,
    /// 403 with a specific reason (e.g. D7: a quota above the manager's own).
    #[error("forbidden: {code}")]
    Forbidden { code: &'static str, zh: String, en: String },
    /// 403: a state-changing request from another site (sign-in CSRF).
    #[error("cross-site request")]
    CrossSite,
    /// 429: the client address sends sign-ins faster than the rate limit.
    #[error("rate limited")]
    RateLimited { retry_after_seconds: u64 },
    /// 429: every password-hashing slot stayed busy; nothing was evaluated.
    #[error("sign-in busy")]
    SignInBusy,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("request timeout")]
    RequestTimeout,
    #[error("request headers too large")]
    HeadersTooLarge,
    #[error("CSRF token missing or wrong")]
    CsrfRejected,
    /// 404, also for another shop's things (no leak).
    #[error("not found: {code}")]
    NotFound { code: &'static str, zh: &'static str, en: &'static str },
    #[error("conflict: {code}")]
    Conflict { code: &'static str, zh: String, en: String },
    /// 422 with one code (e.g. a suspended shop's top-up).
    #[error("unprocessable: {code}")]
    Unprocessable { code: &'static str, zh: String, en: String },
    /// 422: the payout breaks rules of SPEC §4.
    #[error("payout rejected")]
    Rejected(Vec<Violation>),
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("store unavailable")]
    Unavailable,
    /// 500: a fault of ours. The cause is logged; the client gets a generic message.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn bad_request(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> ApiError {
        ApiError::BadRequest { code, zh: zh.into(), en: en.into(), violations: None }
    }

    /// `400 INVALID_QUERY`: the query parameter `name` is not what it must be.
    pub fn invalid_query(
        name: &str,
        expected_zh: impl std::fmt::Display,
        expected_en: impl std::fmt::Display,
    ) -> ApiError {
        ApiError::bad_request(
            "INVALID_QUERY",
            format!("参数 {name} 不正确：{expected_zh}"),
            format!("Invalid {name}: {expected_en}"),
        )
    }

    pub fn not_found() -> ApiError {
        ApiError::NotFound { code: "NOT_FOUND", zh: "未找到", en: "Not found" }
    }

    fn parts(self) -> (StatusCode, ErrorDetail) {
        let detail = |code: &str, zh: &str, en: &str| ErrorDetail {
            code: code.to_owned(),
            message_zh: zh.to_owned(),
            message_en: en.to_owned(),
            violations: None,
        };
        match self {
            ApiError::BadRequest { code, zh, en, violations } => {
                (StatusCode::BAD_REQUEST, ErrorDetail { violations, ..detail(code, &zh, &en) })
            }
            ApiError::NotSignedIn => {
                (StatusCode::UNAUTHORIZED, detail("NOT_SIGNED_IN", "请先登录", "Please sign in"))
            }
            ApiError::InvalidCredentials => (
                StatusCode::UNAUTHORIZED,
                detail("INVALID_CREDENTIALS", "账号或密码错误", "Wrong username or password"),
            ),
            ApiError::Unauthorized { code, zh, en } => (StatusCode::UNAUTHORIZED, detail(code, &zh, &en)),
            ApiError::TooManyAttempts { retry_after_seconds } => {
                let wait = Wait(retry_after_seconds);
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    detail(
                        "TOO_MANY_ATTEMPTS",
                        &format!("登录失败次数过多，请 {}后再试", wait.zh()),
                        &format!("Too many failed sign-in attempts; try again in {}", wait.en()),
                    ),
                )
            }
            ApiError::NotAuthorized => (
                StatusCode::FORBIDDEN,
                detail("NOT_AUTHORIZED", "您没有权限执行此操作", "You are not allowed to do this"),
            ),
            ApiError::Forbidden { code, zh, en } => (StatusCode::FORBIDDEN, detail(code, &zh, &en)),
            ApiError::CrossSite => (
                StatusCode::FORBIDDEN,
                detail(
                    "CROSS_SITE_REQUEST",
                    "请求来自其他网站，已拒绝",
                    "A request from another site was refused",
                ),
            ),
            ApiError::RateLimited { retry_after_seconds } => (
                StatusCode::TOO_MANY_REQUESTS,
                detail(
                    "TOO_MANY_REQUESTS",
                    &format!("请求过于频繁，请 {}后再试", Wait(retry_after_seconds).zh()),
                    &format!(
                        "Too many requests from this address; try again in {}",
                        Wait(retry_after_seconds).en()
                    ),
                ),
            ),
            ApiError::SignInBusy => (
                StatusCode::TOO_MANY_REQUESTS,
                detail(
                    "SIGN_IN_BUSY",
                    &format!("登录人数过多，请 {}后再试", Wait(SIGN_IN_BUSY_RETRY_SECONDS).zh()),
                    &format!(
                        "Too many sign-ins at once; try again in {}",
                        Wait(SIGN_IN_BUSY_RETRY_SECONDS).en()
                    ),
                ),
            ),
            ApiError::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                detail(
                    "METHOD_NOT_ALLOWED",
                    "该接口不支持此请求方法",
                    "This endpoint does not support this method",
                ),
            ),
            ApiError::RequestTimeout => (
                StatusCode::REQUEST_TIMEOUT,
                detail("REQUEST_TIMEOUT", "请求超时，请重试", "The request took too long; try again"),
            ),
            ApiError::HeadersTooLarge => (
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                detail("HEADERS_TOO_LARGE", "请求头过大", "The request headers are too large"),
            ),
            ApiError::CsrfRejected => (
                StatusCode::FORBIDDEN,
                detail(
                    "CSRF_TOKEN_INVALID",
                    "页面已过期，请刷新后重试",
                    "This page is out of date; reload it and try again",
                ),
            ),
            ApiError::NotFound { code, zh, en } => (StatusCode::NOT_FOUND, detail(code, zh, en)),
            ApiError::Conflict { code, zh, en } => (StatusCode::CONFLICT, detail(code, &zh, &en)),
            ApiError::Unprocessable { code, zh, en } => {
                (StatusCode::UNPROCESSABLE_ENTITY, detail(code, &zh, &en))
            }
            ApiError::Rejected(violations) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorDetail {
                    violations: Some(violations),
                    ..detail("PAYOUT_REJECTED", "无法发起打款", "The payout cannot be made")
                },
            ),
            ApiError::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                detail("PAYLOAD_TOO_LARGE", "请求内容过大", "The request is too large"),
            ),
            ApiError::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                detail(
                    "UNAVAILABLE",
                    "服务暂不可用，请稍后再试",
                    "The service is unavailable; try again shortly",
                ),
            ),
            ApiError::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    detail("INTERNAL", "系统繁忙，请稍后再试", "Something went wrong on our side; try again"),
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let retry_after = match &self {
            ApiError::RateLimited { retry_after_seconds }
            | ApiError::TooManyAttempts { retry_after_seconds } => Some(*retry_after_seconds),
            ApiError::SignInBusy => Some(SIGN_IN_BUSY_RETRY_SECONDS),
            _ => None,
        };
        let (status, error) = self.parts();
        let mut response = (status, Json(ErrorBody { error })).into_response();
        if let Some(seconds) = retry_after {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

/// A store failure is ours, never the client's: a generic 500, details in the log only.
impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        metrics::counter!("store_errors_total").increment(1);
        ApiError::Internal(e.to_string())
    }
}
