//! Extractors whose rejections are [`ApiError`]s, so malformed input always gets the SPEC §8 JSON
//! body (`400`, or `413` for an oversize body) instead of axum's plain-text answer.
//!
//! They also refuse text containing U+0000: PostgreSQL cannot store it in `TEXT` (nor look it up),
//! and no order number, name, note or reference has one. Refused here, it is a clear `400` on
//! either store instead of a database error.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::ApiError;

pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let axum::Json(value) = axum::Json::<Value>::from_request(request, state).await?;
        if has_nul(&value) {
            return Err(nul_character());
        }
        // Through axum's own decoding, so type errors read as they always have.
        let bytes = serde_json::to_vec(&value).map_err(|e| ApiError::Internal(e.to_string()))?;
        Ok(Json(axum::Json::<T>::from_bytes(&bytes)?.0))
    }
}

fn has_nul(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(has_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        _ => false,
    }
}

fn nul_character() -> ApiError {
    ApiError::bad_request(
        "NUL_CHARACTER",
        "内容不能包含空字符（U+0000）",
        "Text cannot contain the NUL character (U+0000)",
    )
}

pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        // A percent-encoded NUL.
        if parts.uri.query().is_some_and(|q| q.contains("%00")) {
            return Err(nul_character());
        }
        Ok(Query(axum::extract::Query::<T>::from_request_parts(parts, state).await?.0))
    }
}

pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        // No order or payout has a NUL in its number: not found, as for any other unknown one.
        if parts.uri.path().contains("%00") {
            return Err(ApiError::not_found());
        }
        Ok(Path(axum::extract::Path::<T>::from_request_parts(parts, state).await?.0))
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return ApiError::PayloadTooLarge;
        }
        let detail = rejection.body_text();
        ApiError::bad_request(
            "INVALID_JSON",
            format!("请求内容格式不正确：{detail}"),
            format!("Malformed request body: {detail}"),
        )
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        let detail = rejection.body_text();
        ApiError::invalid_query("query", &detail, &detail)
    }
}

impl From<PathRejection> for ApiError {
    fn from(_: PathRejection) -> Self {
        ApiError::not_found()
    }
}
