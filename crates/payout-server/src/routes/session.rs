//! Sign in, who am I, sign out.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use payout_core::api::{LoginRequest, SessionInfo};

use crate::auth;
use crate::error::ApiError;
use crate::json::Json;
use crate::state::AppState;
use crate::store::Actor;

pub fn router() -> Router<AppState> {
    Router::new().route("/session", post(session_create).get(session_get).delete(session_delete))
}

/// Signs in. Wrong username and wrong password get the same answer, after the same work.
#[utoipa::path(post, path = "/api/session", tag = "session", request_body = LoginRequest,
    responses((status = 200, body = SessionInfo, description = "Signed in; sets the session cookie"),
        (status = 401, body = payout_core::api::ErrorBody, description = "INVALID_CREDENTIALS"),
        (status = 429, body = payout_core::api::ErrorBody, description = "TOO_MANY_ATTEMPTS")))]
#[tracing::instrument(skip_all, fields(username = %body.username))]
pub async fn session_create(
    State(state): State<AppState>,
    Json(body): Json<LoginRequest>,
) -> Result<Response, ApiError> {
    let username = body.username.trim().to_owned();
    if username.chars().count() > 64 || body.password.chars().count() > 256 {
        return Err(ApiError::InvalidCredentials);
    }
    let now = state.clock.now();
    if state.throttle.is_locked(&username, now) {
        return Err(ApiError::TooManyAttempts);
    }
    let credentials = state.store.credentials(&username).await?;
    let hash =
        credentials.as_ref().map_or_else(|| auth::dummy_hash().to_owned(), |c| c.password_hash.clone());
    let password = body.password;
    let verified = tokio::task::spawn_blocking(move || auth::verify_password(&hash, &password))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let Some(credentials) = credentials.filter(|_| verified) else {
        state.throttle.record_failure(&username, now);
        return Err(if state.throttle.is_locked(&username, now) {
            ApiError::TooManyAttempts
        } else {
            ApiError::InvalidCredentials
        });
    };
    state.throttle.clear(&username);
    let token = auth::random_token();
    let csrf = auth::random_token();
    let hash = auth::token_hash(&token);
    let expires = now.plus_seconds(auth::SESSION_SECONDS);
    state.store.session_create(&hash, credentials.user_id, &csrf, now, expires).await?;
    let actor = state.store.session_actor(&hash, now).await?.ok_or(ApiError::NotSignedIn)?;
    let info = auth::session_info(&actor);
    Ok(([(header::SET_COOKIE, auth::session_cookie(&token))], axum::Json(info)).into_response())
}

#[utoipa::path(get, path = "/api/session", tag = "session",
    responses((status = 200, body = SessionInfo), (status = 401, body = payout_core::api::ErrorBody)))]
pub async fn session_get(actor: Actor) -> axum::Json<SessionInfo> {
    axum::Json(auth::session_info(&actor))
}

/// Signs out: the session ends on the server, not only in the browser.
#[utoipa::path(delete, path = "/api/session", tag = "session",
    responses((status = 204), (status = 401, body = payout_core::api::ErrorBody)))]
pub async fn session_delete(
    State(state): State<AppState>,
    _actor: Actor,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(token) = auth::request_token(&headers) {
        state.store.session_delete(&auth::token_hash(&token)).await?;
    }
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, auth::clear_cookie())]).into_response())
}
