//! Sign in, who am I, sign out.
//!
//! Sign-in is the one endpoint a stranger can make expensive (argon2id: 19 MiB and tens of
//! milliseconds per guess), so it passes three gates before any hashing (README, "Sign-in"):
//! a per-address rate limit, the shared throttle in the store, and a bounded number of hashes at
//! once.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{AppendHeaders, IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use payout_core::api::{LoginRequest, SessionInfo};
use tower_governor::governor::GovernorConfigBuilder;
use tower_governor::{GovernorError, GovernorLayer};

use crate::auth::{self, throttle, Actor, ClientIp, ClientIpKey};
use crate::error::ApiError;
use crate::json::Json;
use crate::state::{AppState, HttpOptions};

/// How long a sign-in waits for a hashing slot before it is told to try again.
const HASH_WAIT: Duration = Duration::from_secs(5);

pub fn router(http: &HttpOptions) -> Router<AppState> {
    let mut limit = GovernorConfigBuilder::default().key_extractor(ClientIpKey);
    limit.period(http.sign_in_replenish).burst_size(http.sign_in_burst).methods(vec![Method::POST]);
    let limit = Arc::new(limit.finish().expect("burst and period are at least 1"));
    let limiter = limit.limiter().clone();
    // The limiter remembers every address it saw; forget the ones that have recovered.
    tokio::spawn(async move {
        while Arc::strong_count(&limiter) > 1 {
            tokio::time::sleep(Duration::from_secs(60)).await;
            limiter.retain_recent();
        }
    });
    Router::new().route("/session", post(session_create).get(session_get).delete(session_delete)).layer(
        GovernorLayer::new(limit).error_handler(|e| {
            let retry_after_seconds = match e {
                GovernorError::TooManyRequests { wait_time, .. } => wait_time.max(1),
                _ => 1,
            };
            ApiError::RateLimited { retry_after_seconds }.into_response()
        }),
    )
}

/// Signs in. Wrong username and wrong password get the same answer, after the same work.
#[utoipa::path(post, path = "/api/session", tag = "session", request_body = LoginRequest,
    responses((status = 200, body = SessionInfo, description = "Signed in; sets the session cookie and the page-readable marker `payout_signed_in=1`"),
        (status = 401, body = payout_core::api::ErrorBody, description = "INVALID_CREDENTIALS"),
        (status = 403, body = payout_core::api::ErrorBody, description = "CROSS_SITE_REQUEST"),
        (status = 429, body = payout_core::api::ErrorBody, description = "TOO_MANY_ATTEMPTS, TOO_MANY_REQUESTS or SIGN_IN_BUSY")))]
#[tracing::instrument(skip_all, fields(%ip))]
pub async fn session_create(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(body): Json<LoginRequest>,
) -> Result<Response, ApiError> {
    let username = auth::normalize_username(&body.username);
    if username.chars().count() > 64 || body.password.chars().count() > 256 {
        return Err(ApiError::InvalidCredentials);
    }
    let now = state.clock.now();
    let pair = throttle::account_and_address(&username, ip);
    let address = throttle::address(ip);
    // Counted before the hash, atomically across every server: of any number of concurrent
    // guesses only the allowed number is ever evaluated.
    let keys = [(pair.clone(), throttle::PER_ACCOUNT_AND_ADDRESS), (address.clone(), throttle::PER_ADDRESS)];
    if !state.store.throttle_take(&keys, now, throttle::WINDOW_SECONDS).await? {
        return Err(ApiError::TooManyAttempts);
    }
    let give_back = [pair.clone(), address.clone()];
    let Ok(Ok(permit)) = tokio::time::timeout(HASH_WAIT, state.hashing.clone().acquire_owned()).await else {
        // Not evaluated, so not a guess.
        state.store.throttle_give_back(&give_back).await?;
        return Err(ApiError::SignInBusy);
    };
    let credentials = state.store.credentials(&username).await?;
    let hash =
        credentials.as_ref().map_or_else(|| auth::dummy_hash().to_owned(), |c| c.password_hash.clone());
    let password = body.password;
    let verified = tokio::task::spawn_blocking(move || {
        let verified = auth::verify_password(&hash, &password);
        drop(permit);
        verified
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    let Some(credentials) = credentials.filter(|_| verified) else {
        return Err(ApiError::InvalidCredentials);
    };
    // A right password is not a failed guess: it frees this address's count for the account and
    // gives back its share of the address's count.
    state.store.throttle_clear(&pair).await?;
    state.store.throttle_give_back(std::slice::from_ref(&address)).await?;
    let token = auth::random_token();
    let csrf = auth::random_token();
    let hash = auth::token_hash(&token);
    let expires = now.plus_seconds(auth::SESSION_SECONDS);
    state.store.session_create(&hash, &credentials, &csrf, now, expires).await?;
    let actor = state.store.session_actor(&hash, now).await?.ok_or(ApiError::NotSignedIn)?;
    let info = auth::session_info(&actor);
    let cookies =
        [(header::SET_COOKIE, state.cookies.set(&token)), (header::SET_COOKIE, state.cookies.marker_set())];
    Ok((AppendHeaders(cookies), axum::Json(info)).into_response())
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
    if let Some(token) = state.cookies.token(&headers) {
        state.store.session_delete(&auth::token_hash(&token)).await?;
    }
    let cookies =
        [(header::SET_COOKIE, state.cookies.clear()), (header::SET_COOKIE, state.cookies.marker_clear())];
    Ok((StatusCode::NO_CONTENT, AppendHeaders(cookies)).into_response())
}
