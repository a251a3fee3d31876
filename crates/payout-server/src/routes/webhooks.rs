//! 网络钩子 (SPEC §12.6): the main account's endpoints, their delivery log, a test event and resends.
//! A URL is checked when it is registered (https, a host whose every address is public) and again
//! at every delivery.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::Router;
use payout_core::people::SecretText;
use payout_core::webhooks::{
    validate_endpoint, DeliveryList, DeliveryView, EndpointCreated, EndpointInput, EndpointList,
    EndpointView, ValidEndpoint,
};

use crate::auth::MainAccount;
use crate::error::ApiError;
use crate::json::{Json, Path};
use crate::state::AppState;
use crate::store::{EndpointChange, NewEndpoint};
use crate::webhooks::{checked_address, new_secret, Refused};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/webhooks", get(webhooks_list).post(webhooks_create))
        .route("/webhooks/{id}", put(webhooks_update).delete(webhooks_delete))
        .route("/webhooks/{id}/test", post(webhooks_test))
        .route("/webhooks/{id}/deliveries", get(webhooks_deliveries))
        .route("/webhook-deliveries/{id}/resend", post(deliveries_resend))
}

fn not_found() -> ApiError {
    ApiError::NotFound {
        code: "WEBHOOK_NOT_FOUND",
        zh: "未找到该网络钩子",
        en: "No such webhook endpoint in this shop",
    }
}

/// The URL as typed, then its host's addresses: every one public (unless insecure is allowed).
async fn checked(state: &AppState, input: &EndpointInput) -> Result<ValidEndpoint, ApiError> {
    let endpoint = validate_endpoint(input, state.allow_insecure_webhooks)
        .map_err(|(zh, en)| ApiError::bad_request("WEBHOOK_URL_INVALID", zh, en))?;
    checked_address(&endpoint.host, endpoint.port, state.allow_insecure_webhooks).await.map_err(|e| match e {
        Refused::Unresolved(host) => ApiError::bad_request(
            "WEBHOOK_URL_INVALID",
            format!("无法解析主机名 {host}"),
            format!("The host {host} cannot be resolved"),
        ),
        Refused::Address { host, ip } => ApiError::bad_request(
            "WEBHOOK_ADDRESS_NOT_ALLOWED",
            format!("{host} 解析到 {ip}，网络钩子不能发往本机、内网或链路本地地址"),
            format!("{host} resolves to {ip}; webhooks are not sent to loopback, private or link-local addresses"),
        ),
    })?;
    Ok(endpoint)
}

#[utoipa::path(get, path = "/api/webhooks", tag = "webhooks",
    responses((status = 200, body = EndpointList), (status = 403, body = payout_core::api::ErrorBody)))]
pub async fn webhooks_list(
    State(state): State<AppState>,
    actor: MainAccount,
) -> Result<axum::Json<EndpointList>, ApiError> {
    Ok(axum::Json(EndpointList { items: state.store.webhooks(actor.shop_id).await? }))
}

/// Registers an endpoint; its signing secret (`whsec_…`) is in this answer only.
#[utoipa::path(post, path = "/api/webhooks", tag = "webhooks", request_body = EndpointInput,
    responses((status = 201, body = EndpointCreated),
        (status = 400, body = payout_core::api::ErrorBody, description = "WEBHOOK_URL_INVALID, WEBHOOK_ADDRESS_NOT_ALLOWED"),
        (status = 403, body = payout_core::api::ErrorBody)))]
#[tracing::instrument(skip_all, fields(shop_id = actor.shop_id))]
pub async fn webhooks_create(
    State(state): State<AppState>,
    actor: MainAccount,
    Json(body): Json<EndpointInput>,
) -> Result<Response, ApiError> {
    let endpoint = checked(&state, &body).await?;
    let secret = new_secret();
    let new = NewEndpoint { url: &endpoint.url, events: &endpoint.events, secret: &secret };
    let view = state.store.webhook_create(actor.shop_id, &actor.username, &new, state.clock.now()).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(EndpointCreated { id: view.id, secret: SecretText(secret), endpoint: view }),
    )
        .into_response())
}

/// Changes an endpoint's URL, events, or switches it off or on.
#[utoipa::path(put, path = "/api/webhooks/{id}", tag = "webhooks", request_body = EndpointInput,
    params(("id" = i64, Path, description = "The endpoint's id")),
    responses((status = 200, body = EndpointView), (status = 400, body = payout_core::api::ErrorBody),
        (status = 403, body = payout_core::api::ErrorBody), (status = 404, body = payout_core::api::ErrorBody)))]
pub async fn webhooks_update(
    State(state): State<AppState>,
    actor: MainAccount,
    Path(id): Path<i64>,
    Json(body): Json<EndpointInput>,
) -> Result<axum::Json<EndpointView>, ApiError> {
    let endpoint = checked(&state, &body).await?;
    let active = body.active.unwrap_or(true);
    state
        .store
        .webhook_update(
            actor.shop_id,
            id,
            &actor.username,
            &EndpointChange { url: &endpoint.url, events: &endpoint.events, active },
            state.clock.now(),
        )
        .await?
        .map(axum::Json)
        .ok_or_else(not_found)
}

#[utoipa::path(delete, path = "/api/webhooks/{id}", tag = "webhooks",
    params(("id" = i64, Path, description = "The endpoint's id")),
    responses((status = 204), (status = 403, body = payout_core::api::ErrorBody), (status = 404, body = payout_core::api::ErrorBody)))]
pub async fn webhooks_delete(
    State(state): State<AppState>,
    actor: MainAccount,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    if state.store.webhook_delete(actor.shop_id, id, &actor.username, state.clock.now()).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found())
    }
}

/// Queues a `webhook.test` event to this endpoint; its delivery appears in the log.
#[utoipa::path(post, path = "/api/webhooks/{id}/test", tag = "webhooks",
    params(("id" = i64, Path, description = "The endpoint's id")),
    responses((status = 202, body = DeliveryView), (status = 403, body = payout_core::api::ErrorBody), (status = 404, body = payout_core::api::ErrorBody)))]
pub async fn webhooks_test(
    State(state): State<AppState>,
    actor: MainAccount,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let delivery =
        state.store.webhook_test(actor.shop_id, id, state.clock.now()).await?.ok_or_else(not_found)?;
    Ok((StatusCode::ACCEPTED, axum::Json(delivery)).into_response())
}

/// The latest 100 deliveries of an endpoint: status, attempts, the last answer, the next try.
#[utoipa::path(get, path = "/api/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = i64, Path, description = "The endpoint's id")),
    responses((status = 200, body = DeliveryList), (status = 403, body = payout_core::api::ErrorBody), (status = 404, body = payout_core::api::ErrorBody)))]
pub async fn webhooks_deliveries(
    State(state): State<AppState>,
    actor: MainAccount,
    Path(id): Path<i64>,
) -> Result<axum::Json<DeliveryList>, ApiError> {
    let items = state.store.webhook_deliveries(actor.shop_id, id, 100).await?.ok_or_else(not_found)?;
    Ok(axum::Json(DeliveryList { items }))
}

/// Sends a delivery again now (a failed one, or one delivered: the same event, same webhook-id).
#[utoipa::path(post, path = "/api/webhook-deliveries/{id}/resend", tag = "webhooks",
    params(("id" = i64, Path, description = "The delivery's id")),
    responses((status = 202, body = DeliveryView), (status = 403, body = payout_core::api::ErrorBody), (status = 404, body = payout_core::api::ErrorBody)))]
pub async fn deliveries_resend(
    State(state): State<AppState>,
    actor: MainAccount,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let delivery = state.store.webhook_resend(actor.shop_id, id, state.clock.now()).await?.ok_or(
        ApiError::NotFound {
            code: "DELIVERY_NOT_FOUND",
            zh: "未找到该投递记录",
            en: "No such delivery in this shop",
        },
    )?;
    Ok((StatusCode::ACCEPTED, axum::Json(delivery)).into_response())
}
