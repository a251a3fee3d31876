//! API 设置 (SPEC §12.4): the main account's keys for its own and the platform's systems. A key is
//! 32 random bytes, shown once; the store keeps only its SHA-256 digest.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::Router;
use base64::Engine;
use payout_core::keys::{validate_key_request, ApiKeyCreate, ApiKeyCreated, ApiKeyList, ApiKeyView};
use payout_core::people::SecretText;
use rand::TryRngCore;

use crate::auth::{self, MainAccount, KEY_PREFIX_CHARS};
use crate::error::ApiError;
use crate::json::{Json, Path};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api-keys", get(api_keys_list).post(api_keys_create))
        .route("/api-keys/{id}", delete(api_keys_revoke))
}

/// A new key: 32 bytes from the OS's random source, URL-safe Base64 (43 characters).
fn new_key() -> Result<String, ApiError> {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|e| ApiError::Internal(format!("random source: {e}")))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

#[utoipa::path(get, path = "/api/api-keys", tag = "api-keys",
    responses((status = 200, body = ApiKeyList), (status = 403, body = payout_core::api::ErrorBody)))]
pub async fn api_keys_list(
    State(state): State<AppState>,
    actor: MainAccount,
) -> Result<axum::Json<ApiKeyList>, ApiError> {
    Ok(axum::Json(ApiKeyList { items: state.store.api_keys(actor.shop_id).await? }))
}

/// Creates a key with a name and scopes; the answer holds the key, shown this once.
#[utoipa::path(post, path = "/api/api-keys", tag = "api-keys", request_body = ApiKeyCreate,
    responses((status = 201, body = ApiKeyCreated), (status = 400, body = payout_core::api::ErrorBody, description = "API_KEY_INVALID_REQUEST"),
        (status = 403, body = payout_core::api::ErrorBody)))]
#[tracing::instrument(skip_all, fields(shop_id = actor.shop_id))]
pub async fn api_keys_create(
    State(state): State<AppState>,
    actor: MainAccount,
    Json(body): Json<ApiKeyCreate>,
) -> Result<Response, ApiError> {
    let request = validate_key_request(&body)
        .map_err(|(zh, en)| ApiError::bad_request("API_KEY_INVALID_REQUEST", zh, en))?;
    let key = new_key()?;
    let prefix = &key[..KEY_PREFIX_CHARS];
    let view = state
        .store
        .api_key_create(
            actor.shop_id,
            &actor.username,
            &request.name,
            prefix,
            &auth::token_hash(&key),
            &request.scopes,
            state.clock.now(),
        )
        .await?;
    tracing::info!(api_key_id = view.id, "API key created");
    Ok((StatusCode::CREATED, axum::Json(ApiKeyCreated { id: view.id, key: SecretText(key), api_key: view }))
        .into_response())
}

/// Revokes a key: from the next request on, on every server, it is refused.
#[utoipa::path(delete, path = "/api/api-keys/{id}", tag = "api-keys",
    params(("id" = i64, Path, description = "The key's id")),
    responses((status = 200, body = ApiKeyView), (status = 403, body = payout_core::api::ErrorBody), (status = 404, body = payout_core::api::ErrorBody)))]
#[tracing::instrument(skip_all, fields(shop_id = actor.shop_id, api_key_id = id))]
pub async fn api_keys_revoke(
    State(state): State<AppState>,
    actor: MainAccount,
    Path(id): Path<i64>,
) -> Result<axum::Json<ApiKeyView>, ApiError> {
    state
        .store
        .api_key_revoke(actor.shop_id, id, &actor.username, state.clock.now())
        .await?
        .map(axum::Json)
        .ok_or(ApiError::NotFound {
            code: "API_KEY_NOT_FOUND",
            zh: "未找到该 API 密钥",
            en: "No such API key in this shop",
        })
}
