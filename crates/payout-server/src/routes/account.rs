//! 账号安全 (SPEC §12.2): every user's own password and two-step verification.
//!
//! Changing a password verifies the current one the way sign-in does (the same throttle, the same
//! hashing slots), hashes the new one on a blocking thread, then ends the user's other sessions.
//! Wrong codes count as failed guesses like wrong passwords.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{post, put};
use axum::Router;
use payout_core::api::{ErrorBody, SessionInfo};
use payout_core::people::{
    PasswordChange, RecoveryCodes, SecretText, TwoFactorConfirm, TwoFactorOff, TwoFactorSetup,
};
use secrecy::SecretString;

use super::session::{second_factor, wrong_code, Guess};
use crate::auth::{self, Actor, ClientIp, SignedIn};
use crate::error::ApiError;
use crate::json::Json;
use crate::secrets;
use crate::state::AppState;
use crate::store::{By, NewPassword};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/session/password", put(password_update))
        .route("/session/two-factor", post(two_factor_begin).delete(two_factor_off))
        .route("/session/two-factor/confirm", post(two_factor_confirm))
}

fn wrong_password() -> ApiError {
    ApiError::Forbidden {
        code: "CURRENT_PASSWORD_WRONG",
        zh: "当前密码不正确".into(),
        en: "The current password is wrong".into(),
    }
}

/// Changes the signed-in user's password, also from a one-time password. The new one: 10 to 128
/// characters, not the username, not easily guessed (`422 PASSWORD_TOO_WEAK` says why). The user's
/// other sessions end; this one stays.
#[utoipa::path(put, path = "/api/session/password", tag = "session", request_body = PasswordChange,
    responses((status = 200, body = SessionInfo), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "CURRENT_PASSWORD_WRONG"),
        (status = 422, body = ErrorBody, description = "PASSWORD_TOO_WEAK, with the reasons"),
        (status = 429, body = ErrorBody, description = "TOO_MANY_ATTEMPTS")))]
#[tracing::instrument(skip_all, fields(shop_id = session.shop_id, user_id = session.user_id))]
pub async fn password_update(
    State(state): State<AppState>,
    session: SignedIn,
    ClientIp(ip): ClientIp,
    Json(body): Json<PasswordChange>,
) -> Result<axum::Json<SessionInfo>, ApiError> {
    let known = [session.display_name.as_str(), session.shop_name.as_str()];
    let problems = secrets::password_problems(&session.username, &known, body.new_password.expose());
    if !problems.is_empty() {
        return Err(ApiError::Unprocessable {
            code: "PASSWORD_TOO_WEAK",
            zh: problems.iter().map(|p| p.message_zh.as_str()).collect::<Vec<_>>().join("；"),
            en: problems.iter().map(|p| p.message_en.as_str()).collect::<Vec<_>>().join("; "),
        });
    }
    let security =
        state.store.security(session.shop_id, session.user_id).await?.ok_or(ApiError::NotSignedIn)?;
    let guess = Guess::take(&state, &session.username, ip).await?;
    let current = SecretString::from(body.current_password.0);
    if !auth::verify_password_off_thread(&state, security.password_hash, current).await? {
        guess.failed(&state).await?;
        return Err(wrong_password());
    }
    guess.right(&state).await?;
    let hash = auth::hash_password_off_thread(&state, SecretString::from(body.new_password.0)).await?;
    let password = NewPassword { hash, expires_at: None };
    let now = state.clock.now();
    let by = By::User(&session.username);
    state
        .store
        .password_set(session.shop_id, session.user_id, by, &password, Some(&session.token_hash), now)
        .await?;
    tracing::info!("password changed");
    let actor = state.store.session_actor(&session.token_hash, now).await?.ok_or(ApiError::NotSignedIn)?;
    Ok(axum::Json(auth::session_info(&actor)))
}

/// Starts setting up two-step verification: a new secret and the QR code to scan. It is not on
/// until a code from the app confirms it.
#[utoipa::path(post, path = "/api/session/two-factor", tag = "session",
    responses((status = 200, body = TwoFactorSetup), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "TWO_FACTOR_ALREADY_ON")))]
#[tracing::instrument(skip_all, fields(shop_id = actor.shop_id, user_id = actor.user_id))]
pub async fn two_factor_begin(
    State(state): State<AppState>,
    actor: Actor,
) -> Result<axum::Json<TwoFactorSetup>, ApiError> {
    if actor.two_factor {
        return Err(ApiError::Conflict {
            code: "TWO_FACTOR_ALREADY_ON",
            zh: "两步验证已开启；如需更换手机，请先关闭再重新开启".into(),
            en: "Two-step verification is on already; to move it to another phone, turn it off and on again"
                .into(),
        });
    }
    let secret = secrets::new_totp_secret();
    let account = format!("{} ({})", actor.username, actor.shop_name).replace(':', " ");
    let (uri, qr) = secrets::totp_enrolment(&secret, &account)
        .ok_or_else(|| ApiError::Internal("cannot build the TOTP enrolment".into()))?;
    state.store.two_factor_begin(actor.shop_id, actor.user_id, &secret).await?;
    Ok(axum::Json(TwoFactorSetup { secret: SecretText(secret), otpauth_uri: SecretText(uri), qr }))
}

/// Turns two-step verification on with a code from the app, and answers the 10 recovery codes,
/// shown this once.
#[utoipa::path(post, path = "/api/session/two-factor/confirm", tag = "session", request_body = TwoFactorConfirm,
    responses((status = 200, body = RecoveryCodes), (status = 401, body = ErrorBody, description = "TWO_FACTOR_INVALID"),
        (status = 409, body = ErrorBody, description = "TWO_FACTOR_NOT_STARTED"), (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(shop_id = actor.shop_id, user_id = actor.user_id))]
pub async fn two_factor_confirm(
    State(state): State<AppState>,
    actor: Actor,
    ClientIp(ip): ClientIp,
    Json(body): Json<TwoFactorConfirm>,
) -> Result<axum::Json<RecoveryCodes>, ApiError> {
    let security = state.store.security(actor.shop_id, actor.user_id).await?.ok_or(ApiError::NotSignedIn)?;
    let Some(pending) = security.totp_pending_secret else {
        return Err(ApiError::Conflict {
            code: "TWO_FACTOR_NOT_STARTED",
            zh: "请先开始设置两步验证并扫描二维码".into(),
            en: "Start setting up two-step verification and scan the QR code first".into(),
        });
    };
    let guess = Guess::take(&state, &actor.username, ip).await?;
    let now = state.clock.now();
    let Some(step) = secrets::totp_step(&pending, body.code.expose(), now.unix_seconds()) else {
        guess.failed(&state).await?;
        return Err(wrong_code());
    };
    guess.right(&state).await?;
    let codes = secrets::recovery_codes();
    let hashes: Vec<String> = codes.iter().map(|c| secrets::recovery_code_hash(c.expose())).collect();
    if !state.store.two_factor_confirm(actor.shop_id, actor.user_id, step, &hashes, now).await? {
        return Err(ApiError::Conflict {
            code: "TWO_FACTOR_NOT_STARTED",
            zh: "请先开始设置两步验证并扫描二维码".into(),
            en: "Start setting up two-step verification and scan the QR code first".into(),
        });
    }
    tracing::info!("two-step verification turned on");
    Ok(axum::Json(RecoveryCodes { recovery_codes: codes }))
}

/// Turns two-step verification off, with the password and a code (or a recovery code); the user's
/// other sessions end.
#[utoipa::path(delete, path = "/api/session/two-factor", tag = "session", request_body = TwoFactorOff,
    responses((status = 204), (status = 401, body = ErrorBody, description = "TWO_FACTOR_INVALID"),
        (status = 403, body = ErrorBody, description = "CURRENT_PASSWORD_WRONG"),
        (status = 409, body = ErrorBody, description = "TWO_FACTOR_NOT_ON"), (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(shop_id = session.shop_id, user_id = session.user_id))]
pub async fn two_factor_off(
    State(state): State<AppState>,
    session: SignedIn,
    ClientIp(ip): ClientIp,
    Json(body): Json<TwoFactorOff>,
) -> Result<StatusCode, ApiError> {
    let security =
        state.store.security(session.shop_id, session.user_id).await?.ok_or(ApiError::NotSignedIn)?;
    let Some(secret) = security.totp_secret else {
        return Err(ApiError::Conflict {
            code: "TWO_FACTOR_NOT_ON",
            zh: "两步验证未开启".into(),
            en: "Two-step verification is not on".into(),
        });
    };
    let guess = Guess::take(&state, &session.username, ip).await?;
    let password = SecretString::from(body.password.0);
    if !auth::verify_password_off_thread(&state, security.password_hash, password).await? {
        guess.failed(&state).await?;
        return Err(wrong_password());
    }
    if !second_factor(&state, session.shop_id, session.user_id, &secret, body.code.expose().trim()).await? {
        guess.failed(&state).await?;
        return Err(wrong_code());
    }
    guess.right(&state).await?;
    state
        .store
        .two_factor_disable(session.shop_id, session.user_id, &session.token_hash, state.clock.now())
        .await?;
    tracing::info!("two-step verification turned off");
    Ok(StatusCode::NO_CONTENT)
}
