//! 子账号管理 (SPEC §12.2): the main account's staff — list, create (with a one-time password shown
//! once), rename, deactivate and reactivate (D9: never deleted), reset a password. Another shop's
//! sub-account is `404`, as if it did not exist.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::Router;
use payout_core::people::{
    validate_display_name, validate_username, FieldProblem, OneTimePassword, SubAccountCreate,
    SubAccountCreated, SubAccountList, SubAccountUpdate, SubAccountView,
};
use secrecy::SecretString;

use crate::auth::{self, MainAccount};
use crate::error::ApiError;
use crate::json::{Json, Path};
use crate::secrets::{self, ONE_TIME_PASSWORD_HOURS};
use crate::state::AppState;
use crate::store::{By, Created, NewPassword};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sub-accounts", get(sub_accounts_list).post(sub_accounts_create))
        .route("/sub-accounts/{id}", put(sub_accounts_update))
        .route("/sub-accounts/{id}/password-reset", post(sub_accounts_password_reset))
}

impl From<FieldProblem> for ApiError {
    fn from(p: FieldProblem) -> Self {
        ApiError::BadRequest { code: p.code, zh: p.message_zh, en: p.message_en, violations: None }
    }
}

pub(crate) fn username_taken(username: &str) -> ApiError {
    ApiError::Conflict {
        code: "USERNAME_TAKEN",
        zh: format!("登录名 {username} 已被使用，请换一个"),
        en: format!("The username {username} is taken; choose another"),
    }
}

fn sub_account_not_found() -> ApiError {
    ApiError::NotFound {
        code: "SUB_ACCOUNT_NOT_FOUND",
        zh: "未找到该子账号",
        en: "No such sub-account in this shop",
    }
}

/// A one-time password, hashed like any password; valid 72 hours (SPEC §12.2).
pub(crate) async fn one_time_password(state: &AppState) -> Result<(OneTimePassword, NewPassword), ApiError> {
    let password = secrets::one_time_password();
    let expires_at = state.clock.now().plus_seconds(ONE_TIME_PASSWORD_HOURS * 3600);
    let hash = auth::hash_password_off_thread(state, SecretString::from(password.0.clone())).await?;
    Ok((
        OneTimePassword { one_time_password: password, expires_at },
        NewPassword { hash, expires_at: Some(expires_at) },
    ))
}

#[utoipa::path(get, path = "/api/sub-accounts", tag = "people",
    responses((status = 200, body = SubAccountList), (status = 403, body = payout_core::api::ErrorBody)))]
pub async fn sub_accounts_list(
    State(state): State<AppState>,
    actor: MainAccount,
) -> Result<axum::Json<SubAccountList>, ApiError> {
    Ok(axum::Json(SubAccountList { items: state.store.sub_accounts(actor.shop_id).await? }))
}

/// Creates a sub-account without permission or quota, and answers its one-time password once.
#[utoipa::path(post, path = "/api/sub-accounts", tag = "people", request_body = SubAccountCreate,
    responses((status = 201, body = SubAccountCreated), (status = 400, body = payout_core::api::ErrorBody, description = "USERNAME_INVALID, DISPLAY_NAME_INVALID"),
        (status = 403, body = payout_core::api::ErrorBody), (status = 409, body = payout_core::api::ErrorBody, description = "USERNAME_TAKEN")))]
#[tracing::instrument(skip_all, fields(shop_id = actor.shop_id))]
pub async fn sub_accounts_create(
    State(state): State<AppState>,
    actor: MainAccount,
    Json(body): Json<SubAccountCreate>,
) -> Result<Response, ApiError> {
    let username = validate_username(&body.username)?;
    let display_name = validate_display_name(&body.display_name)?;
    let (shown, stored) = one_time_password(&state).await?;
    let now = state.clock.now();
    match state
        .store
        .sub_account_create(actor.shop_id, By::User(&actor.username), &username, &display_name, &stored, now)
        .await?
    {
        Created::Created(sub_account) => {
            tracing::info!(sub_account_id = sub_account.id, "sub-account created");
            Ok((StatusCode::CREATED, axum::Json(SubAccountCreated { sub_account, password: shown }))
                .into_response())
        }
        Created::UsernameTaken => Err(username_taken(&username)),
    }
}

/// Renames, deactivates or reactivates a sub-account. Deactivated, its sessions end at once and it
/// cannot sign in (D9); its payouts and audit trail keep its name.
#[utoipa::path(put, path = "/api/sub-accounts/{id}", tag = "people", request_body = SubAccountUpdate,
    params(("id" = i64, Path, description = "The sub-account's id")),
    responses((status = 200, body = SubAccountView), (status = 400, body = payout_core::api::ErrorBody),
        (status = 403, body = payout_core::api::ErrorBody), (status = 404, body = payout_core::api::ErrorBody)))]
#[tracing::instrument(skip_all, fields(shop_id = actor.shop_id, sub_account_id = id))]
pub async fn sub_accounts_update(
    State(state): State<AppState>,
    actor: MainAccount,
    Path(id): Path<i64>,
    Json(body): Json<SubAccountUpdate>,
) -> Result<axum::Json<SubAccountView>, ApiError> {
    let display_name = body.display_name.as_deref().map(validate_display_name).transpose()?;
    let view = state
        .store
        .sub_account_update(
            actor.shop_id,
            By::User(&actor.username),
            id,
            display_name.as_deref(),
            body.active,
            state.clock.now(),
        )
        .await?
        .ok_or_else(sub_account_not_found)?;
    Ok(axum::Json(view))
}

/// A new one-time password for a sub-account: its sessions end, two-step verification is turned
/// off (the person may have lost the phone too), and it must choose a password at its next sign-in.
#[utoipa::path(post, path = "/api/sub-accounts/{id}/password-reset", tag = "people",
    params(("id" = i64, Path, description = "The sub-account's id")),
    responses((status = 200, body = OneTimePassword), (status = 403, body = payout_core::api::ErrorBody),
        (status = 404, body = payout_core::api::ErrorBody)))]
#[tracing::instrument(skip_all, fields(shop_id = actor.shop_id, sub_account_id = id))]
pub async fn sub_accounts_password_reset(
    State(state): State<AppState>,
    actor: MainAccount,
    Path(id): Path<i64>,
) -> Result<axum::Json<OneTimePassword>, ApiError> {
    let exists = state.store.sub_accounts(actor.shop_id).await?.into_iter().any(|s| s.id == id);
    if !exists {
        return Err(sub_account_not_found());
    }
    let (shown, stored) = one_time_password(&state).await?;
    state
        .store
        .password_set(actor.shop_id, id, By::User(&actor.username), &stored, None, state.clock.now())
        .await?;
    Ok(axum::Json(shown))
}
