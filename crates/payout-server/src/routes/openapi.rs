//! `GET /api/openapi.json`: the OpenAPI 3.1 description, generated from the handlers and types.

use axum::routing::get;
use axum::{Json, Router};
use utoipa::OpenApi;

use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "小额打款 · Small-amount payout console API",
        version = "1.0.0",
        description = "Money is a string with two decimals; times are RFC 3339 with +08:00. \
            State-changing requests need the X-CSRF-Token header from GET /api/session."
    ),
    paths(
        super::health::health_get,
        super::session::session_create,
        super::session::session_get,
        super::session::session_delete,
        super::account::password_update,
        super::account::two_factor_begin,
        super::account::two_factor_confirm,
        super::account::two_factor_off,
        super::api_keys::api_keys_list,
        super::api_keys::api_keys_create,
        super::api_keys::api_keys_revoke,
        super::movements::movements_create,
        super::webhooks::webhooks_list,
        super::webhooks::webhooks_create,
        super::webhooks::webhooks_update,
        super::webhooks::webhooks_delete,
        super::webhooks::webhooks_test,
        super::webhooks::webhooks_deliveries,
        super::webhooks::deliveries_resend,
        super::sub_accounts::sub_accounts_list,
        super::sub_accounts::sub_accounts_create,
        super::sub_accounts::sub_accounts_update,
        super::sub_accounts::sub_accounts_password_reset,
        super::orders::order_context_get,
        super::orders::orders_put,
        super::import::orders_import,
        super::payouts::payouts_check,
        super::payouts::payouts_create,
        super::payouts::payouts_list,
        super::payouts::payouts_export,
        super::payouts::payouts_get,
        super::payouts::operators_list,
        super::quotas::quotas_list,
        super::quotas::quotas_update,
        super::quotas::permissions_update,
        super::settings::settings_get,
        super::settings::settings_update,
        super::settings::top_ups_create,
        super::audit::audit_list,
        super::reasons::reasons_list,
        super::reasons::reasons_create,
        super::reasons::reasons_update,
        super::approvals::approvals_list,
        super::approvals::payouts_approve,
        super::approvals::payouts_reject,
        super::approvals::payouts_status_query,
        super::reports::statements_get,
        super::reports::statements_csv,
        super::reports::overview_get,
        openapi_get,
    ),
    components(schemas(
        payout_core::api::ErrorBody,
        payout_core::Violation,
        payout_core::Code,
        payout_core::Field
    ))
)]
pub struct ApiDoc;

pub fn router() -> Router<AppState> {
    Router::new().route("/openapi.json", get(openapi_get))
}

#[utoipa::path(get, path = "/api/openapi.json", tag = "meta", responses((status = 200, description = "This document")))]
pub async fn openapi_get() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
