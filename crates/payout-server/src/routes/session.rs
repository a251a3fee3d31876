//! Sign in (with a second factor when it is on), who am I, sign out.
//!
//! Sign-in is the one endpoint a stranger can make expensive (argon2id: 19 MiB and tens of
//! milliseconds per guess), so it passes three gates before any hashing (README, "Sign-in"):
//! a per-address rate limit, the shared throttle in the store, and a bounded number of hashes at
//! once.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, Method, StatusCode};
use axum::response::{AppendHeaders, IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use payout_core::api::{LoginRequest, SessionInfo};
use secrecy::SecretString;
use tower_governor::governor::GovernorConfigBuilder;
use tower_governor::{GovernorError, GovernorLayer};

use crate::auth::{self, throttle, ClientIp, ClientIpKey, SignedIn};
use crate::error::ApiError;
use crate::json::Json;
use crate::secrets;
use crate::state::{AppState, HttpOptions};
use crate::store::{Checked, Throttle};

/// How long a sign-in waits for a hashing slot, or for other attempts on its keys to be checked,
/// before it is told to try again.
const HASH_WAIT: Duration = Duration::from_secs(5);
/// How often a sign-in waiting for other attempts on its keys asks the throttle again.
const CHECKING_PAUSE: Duration = Duration::from_millis(50);

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
    // The flood guard covers sign-in only: the other session endpoints need a session.
    Router::new().route("/session", post(session_create).get(session_get).delete(session_delete)).route_layer(
        GovernorLayer::new(limit).error_handler(|e| {
            let retry_after_seconds = match e {
                GovernorError::TooManyRequests { wait_time, .. } => wait_time.max(1),
                _ => 1,
            };
            ApiError::RateLimited { retry_after_seconds }.into_response()
        }),
    )
}

/// Signs in. Wrong username and wrong password get the same answer, after the same work. With
/// two-step verification on, the right password needs its code too (`401 TWO_FACTOR_REQUIRED`
/// without one); a wrong code is a failed guess like a wrong password.
#[utoipa::path(post, path = "/api/session", tag = "session", request_body = LoginRequest,
    responses((status = 200, body = SessionInfo, description = "Signed in; sets the session cookie and the page-readable marker `payout_signed_in=1`"),
        (status = 401, body = payout_core::api::ErrorBody, description = "INVALID_CREDENTIALS, TWO_FACTOR_REQUIRED, TWO_FACTOR_INVALID, ONE_TIME_PASSWORD_EXPIRED"),
        (status = 403, body = payout_core::api::ErrorBody, description = "CROSS_SITE_REQUEST"),
        (status = 429, body = payout_core::api::ErrorBody, description = "TOO_MANY_ATTEMPTS, TOO_MANY_REQUESTS or SIGN_IN_BUSY")))]
#[tracing::instrument(skip_all, fields(%ip))]
pub async fn session_create(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(body): Json<LoginRequest>,
) -> Result<Response, ApiError> {
    let username = auth::normalize_username(&body.username);
    if username.chars().count() > 64 || body.password.expose().chars().count() > 256 {
        return Err(ApiError::InvalidCredentials);
    }
    let now = state.clock.now();
    let guess = Guess::take(&state, &username, ip).await?;
    let credentials = state.store.credentials(&username).await?;
    let hash =
        credentials.as_ref().map_or_else(|| auth::dummy_hash().to_owned(), |c| c.password_hash.clone());
    let password = SecretString::from(body.password.0);
    let verified = match auth::verify_password_off_thread(&state, hash, password).await {
        Ok(verified) => verified,
        Err(e) => {
            // Not evaluated, so not a guess.
            guess.settle(&state, Checked::NotChecked, Checked::NotChecked).await?;
            return Err(e);
        }
    };
    // D9: a deactivated account gets the answer a wrong password gets.
    let Some(credentials) = credentials.filter(|c| verified && c.active) else {
        guess.failed(&state).await?;
        return Err(ApiError::InvalidCredentials);
    };
    if credentials.password_expires_at.is_some_and(|expires| expires <= now) {
        guess.failed(&state).await?;
        return Err(ApiError::Unauthorized {
            code: "ONE_TIME_PASSWORD_EXPIRED",
            zh: "一次性密码已过期（有效期 72 小时），请联系主账号重置密码".into(),
            en: "This one-time password has expired (it lasts 72 hours); ask the main account to reset it"
                .into(),
        });
    }
    if let Some(secret) = &credentials.totp_secret {
        // A right password without its code, or with a wrong one, stays a counted guess: the second
        // factor opens no guessing channel the throttle does not already bound.
        let code = body.code.as_ref().map(|c| c.expose().trim()).filter(|c| !c.is_empty());
        let Some(code) = code else {
            guess.failed(&state).await?;
            return Err(ApiError::Unauthorized {
                code: "TWO_FACTOR_REQUIRED",
                zh: "请输入两步验证码（验证器应用中的 6 位数字，或一个恢复码）".into(),
                en: "Enter your two-step verification code (the 6 digits in your authenticator app, or a recovery code)".into(),
            });
        };
        if !second_factor(&state, credentials.shop_id, credentials.user_id, secret, code).await? {
            guess.failed(&state).await?;
            return Err(wrong_code());
        }
    }
    // A right password is not a failed guess: it clears this address's failures for the account
    // and takes back its own attempt from the address's count.
    guess.settle(&state, Checked::RightClears, Checked::Right).await?;
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

/// Who is signed in. Also for a session that must change its one-time password first.
#[utoipa::path(get, path = "/api/session", tag = "session",
    responses((status = 200, body = SessionInfo), (status = 401, body = payout_core::api::ErrorBody)))]
pub async fn session_get(session: SignedIn) -> axum::Json<SessionInfo> {
    axum::Json(auth::session_info(&session))
}

/// Signs out: the session ends on the server, not only in the browser.
#[utoipa::path(delete, path = "/api/session", tag = "session",
    responses((status = 204), (status = 401, body = payout_core::api::ErrorBody)))]
pub async fn session_delete(State(state): State<AppState>, session: SignedIn) -> Result<Response, ApiError> {
    state.store.session_delete(&session.token_hash).await?;
    let cookies =
        [(header::SET_COOKIE, state.cookies.clear()), (header::SET_COOKIE, state.cookies.marker_clear())];
    Ok((StatusCode::NO_CONTENT, AppendHeaders(cookies)).into_response())
}

/// One guess at a password or a code, counted by the throttle before it is checked (README,
/// "Sign-in"): at most a few per username and address, and per address, in a window, on every
/// server at once. Attempts that find the keys full only of others still being checked (one person
/// on several tabs) wait for those to end.
pub(super) struct Guess {
    pair: String,
    address: String,
}

impl Guess {
    pub(super) async fn take(
        state: &AppState,
        username: &str,
        ip: std::net::IpAddr,
    ) -> Result<Guess, ApiError> {
        let guess =
            Guess { pair: throttle::account_and_address(username, ip), address: throttle::address(ip) };
        let keys = [
            (guess.pair.clone(), throttle::PER_ACCOUNT_AND_ADDRESS),
            (guess.address.clone(), throttle::PER_ADDRESS),
        ];
        let waiting_since = tokio::time::Instant::now();
        loop {
            match state.store.throttle_take(&keys, state.clock.now(), throttle::WINDOW_SECONDS).await? {
                Throttle::Taken => return Ok(guess),
                Throttle::Locked { retry_after_seconds } => {
                    return Err(ApiError::TooManyAttempts {
                        retry_after_seconds: retry_after_seconds.unsigned_abs(),
                    })
                }
                Throttle::Checking if waiting_since.elapsed() < HASH_WAIT => {
                    tokio::time::sleep(CHECKING_PAUSE).await
                }
                Throttle::Checking => return Err(ApiError::SignInBusy),
            }
        }
    }

    pub(super) async fn settle(
        self,
        state: &AppState,
        pair: Checked,
        address: Checked,
    ) -> Result<(), ApiError> {
        Ok(state.store.throttle_settle(&[(self.pair, pair), (self.address, address)]).await?)
    }

    /// A wrong password or code: it stays counted for the window.
    pub(super) async fn failed(self, state: &AppState) -> Result<(), ApiError> {
        self.settle(state, Checked::Failed, Checked::Failed).await
    }

    /// Right: forget this account's failures from this address, take back this attempt.
    pub(super) async fn right(self, state: &AppState) -> Result<(), ApiError> {
        self.settle(state, Checked::RightClears, Checked::Right).await
    }
}

/// Checks a second factor: a 6-digit code (each time step accepted once) or an unused recovery
/// code (each once).
pub(super) async fn second_factor(
    state: &AppState,
    shop_id: i64,
    user_id: i64,
    secret: &str,
    code: &str,
) -> Result<bool, ApiError> {
    if secrets::looks_like_recovery_code(code) {
        let hash = secrets::recovery_code_hash(code);
        return Ok(state.store.recovery_code_use(shop_id, user_id, &hash, state.clock.now()).await?);
    }
    match secrets::totp_step(secret, code, state.clock.now().unix_seconds()) {
        Some(step) => Ok(state.store.totp_step_use(shop_id, user_id, step).await?),
        None => Ok(false),
    }
}

pub(super) fn wrong_code() -> ApiError {
    ApiError::Unauthorized {
        code: "TWO_FACTOR_INVALID",
        zh: "验证码不正确或已使用过，请输入验证器应用中最新的 6 位数字".into(),
        en: "The code is wrong or was used already; enter the newest 6 digits from your authenticator app"
            .into(),
    }
}
