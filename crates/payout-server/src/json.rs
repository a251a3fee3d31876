//! Extractors whose rejections are [`ApiError`]s, so malformed input always gets the SPEC §8 JSON
//! body (`400`, or `413` for an oversize body) instead of axum's plain-text answer.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::StatusCode;

use crate::error::ApiError;

#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Json<T>(pub T);

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

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
        ApiError::bad_request(
            "INVALID_QUERY",
            format!("查询参数不正确：{detail}"),
            format!("Invalid query parameters: {detail}"),
        )
    }
}

impl From<PathRejection> for ApiError {
    fn from(_: PathRejection) -> Self {
        ApiError::not_found()
    }
}
