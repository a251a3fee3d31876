//! `GET /api/audit`: every config change, payout and state change, newest first (main account).

use axum::extract::State;
use axum::routing::get;
use axum::Router;
use payout_core::api::{AuditList, ErrorBody};
use serde::Deserialize;

use super::paging;
use crate::auth::MainAccount;
use crate::error::ApiError;
use crate::json::Query;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/audit", get(audit_list))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AuditQuery {
    pub page: Option<String>,
    pub per_page: Option<String>,
}

#[utoipa::path(get, path = "/api/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = AuditList), (status = 403, body = ErrorBody)))]
pub async fn audit_list(
    State(state): State<AppState>,
    actor: MainAccount,
    Query(query): Query<AuditQuery>,
) -> Result<axum::Json<AuditList>, ApiError> {
    let (page, per_page) = paging(query.page.as_deref(), query.per_page.as_deref())?;
    let rows = state.store.audit_page(actor.shop_id, page, per_page).await?;
    Ok(axum::Json(AuditList { items: rows.items, total: rows.total, page, per_page }))
}
