//! `GET /api/health`: `ok` once the store answers.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use payout_core::api::Health;

use crate::error::ApiError;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/health", get(health_get))
}

#[utoipa::path(get, path = "/api/health", tag = "health",
    responses((status = 200, body = Health), (status = 503, body = payout_core::api::ErrorBody)))]
pub async fn health_get(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    state.store.ping().await.map_err(|e| {
        tracing::warn!(error = %e, "health: store unreachable");
        ApiError::Unavailable
    })?;
    Ok(Json(Health { status: "ok".into() }))
}
