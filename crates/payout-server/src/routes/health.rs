//! `GET /api/health`.

use axum::routing::get;
use axum::{Json, Router};
use payout_core::api::Health;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/health", get(health_get))
}

async fn health_get() -> Json<Health> {
    Json(Health { status: "ok".into() })
}
