//! The JSON API under `/api`, one module per resource.

mod health;

use axum::Router;

use crate::error::ApiError;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().merge(health::router()).fallback(|| async {
        ApiError::NotFound { code: "NOT_FOUND", zh: "接口不存在", en: "No such API endpoint" }
    })
}
