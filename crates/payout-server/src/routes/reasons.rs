//! 打款原因: the shop's payout reasons (SPEC §11.1). Everyone who may pay reads them (the dialog
//! offers them); only the main account changes them.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, put};
use axum::Router;
use payout_core::api::ErrorBody;
use payout_core::reasons::{validate_reason, Reason, ReasonError, ReasonInput, ReasonList, ValidReason};

use crate::auth::{MainAccount, PayoutActor};
use crate::error::ApiError;
use crate::json::{Json, Path};
use crate::state::AppState;
use crate::store::ReasonSaved;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/reasons", get(reasons_list).post(reasons_create))
        .route("/reasons/{id}", put(reasons_update))
}

/// Every problem of a reason input in one `400`.
fn valid(input: &ReasonInput) -> Result<ValidReason, ApiError> {
    validate_reason(input).map_err(|errors| {
        let join = |f: fn(&ReasonError) -> String, sep| errors.iter().map(f).collect::<Vec<_>>().join(sep);
        ApiError::bad_request(
            "REASON_FIELDS_INVALID",
            join(|e| format!("{}：{}", e.field, e.message_zh), "；"),
            join(|e| format!("{}: {}", e.field, e.message_en), "; "),
        )
    })
}

/// What the store's answer means for the client.
fn saved(outcome: ReasonSaved) -> Result<Reason, ApiError> {
    match outcome {
        ReasonSaved::Saved(reason) => Ok(reason),
        ReasonSaved::NotFound => Err(reason_not_found()),
        ReasonSaved::NameTaken(name) => Err(ApiError::Conflict {
            code: "REASON_NAME_TAKEN",
            zh: format!("店铺已有名为“{name}”的打款原因，请换一个名称"),
            en: format!("The shop already has a reason named \"{name}\"; choose another name"),
        }),
    }
}

fn reason_not_found() -> ApiError {
    ApiError::NotFound {
        code: "REASON_NOT_FOUND", zh: "未找到该打款原因", en: "No such reason in this shop"
    }
}

#[utoipa::path(get, path = "/api/reasons", tag = "reasons",
    responses((status = 200, body = ReasonList), (status = 403, body = ErrorBody)))]
pub async fn reasons_list(
    State(state): State<AppState>,
    actor: PayoutActor,
) -> Result<axum::Json<ReasonList>, ApiError> {
    Ok(axum::Json(ReasonList { items: state.store.reasons_list(actor.shop_id).await? }))
}

#[utoipa::path(post, path = "/api/reasons", tag = "reasons", request_body = ReasonInput,
    responses((status = 201, body = Reason), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "REASON_NAME_TAKEN")))]
#[tracing::instrument(skip_all, fields(shop_id = actor.shop_id))]
pub async fn reasons_create(
    State(state): State<AppState>,
    actor: MainAccount,
    Json(input): Json<ReasonInput>,
) -> Result<(StatusCode, axum::Json<Reason>), ApiError> {
    let reason = valid(&input)?;
    let created = saved(state.store.reason_create(&actor, &reason, state.clock.now()).await?)?;
    Ok((StatusCode::CREATED, axum::Json(created)))
}

#[utoipa::path(put, path = "/api/reasons/{id}", tag = "reasons", request_body = ReasonInput,
    params(("id" = i64, Path, description = "Reason id")),
    responses((status = 200, body = Reason), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "REASON_NAME_TAKEN")))]
#[tracing::instrument(skip_all, fields(shop_id = actor.shop_id, reason_id = id))]
pub async fn reasons_update(
    State(state): State<AppState>,
    actor: MainAccount,
    Path(id): Path<i64>,
    Json(input): Json<ReasonInput>,
) -> Result<axum::Json<Reason>, ApiError> {
    let reason = valid(&input)?;
    let updated = saved(state.store.reason_update(&actor, id, &reason, state.clock.now()).await?)?;
    Ok(axum::Json(updated))
}
