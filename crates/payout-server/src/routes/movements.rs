//! Balance movements from the platform (SPEC §12.5), reported with an API key that has
//! `accounts:write`, applied once per reference (D11).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use payout_core::movements::{validate_movement, MovementRequest, MovementView};
use payout_core::AccountKind;

use crate::auth::AccountWriter;
use crate::error::ApiError;
use crate::json::{Json, Path};
use crate::state::AppState;
use crate::store::MovementOutcome;

pub fn router() -> Router<AppState> {
    Router::new().route("/source-accounts/{kind}/movements", post(movements_create))
}

/// Applies a credit, debit, freeze, unfreeze or open to one of the shop's accounts, once per
/// reference: the same body again answers the first result; another body is `409`.
#[utoipa::path(post, path = "/api/source-accounts/{kind}/movements", tag = "accounts", request_body = MovementRequest,
    params(("kind" = String, Path, description = "aggregate or custody")),
    responses((status = 201, body = MovementView), (status = 200, body = MovementView, description = "the reference was applied before with this body"),
        (status = 400, body = payout_core::api::ErrorBody, description = "MOVEMENT_INVALID"),
        (status = 401, body = payout_core::api::ErrorBody), (status = 403, body = payout_core::api::ErrorBody, description = "SCOPE_REQUIRED"),
        (status = 404, body = payout_core::api::ErrorBody),
        (status = 409, body = payout_core::api::ErrorBody, description = "MOVEMENT_REFERENCE_REUSED, MOVEMENT_EXCEEDS_AVAILABLE")))]
#[tracing::instrument(skip_all, fields(shop_id = key.0.shop_id, %kind))]
pub async fn movements_create(
    State(state): State<AppState>,
    key: AccountWriter,
    Path(kind): Path<String>,
    Json(body): Json<MovementRequest>,
) -> Result<Response, ApiError> {
    let account = AccountKind::parse(&kind).ok_or(ApiError::NotFound {
        code: "ACCOUNT_NOT_FOUND",
        zh: "账户应为 aggregate 或 custody",
        en: "The account is aggregate or custody",
    })?;
    let movement = validate_movement(account, &body)
        .map_err(|(zh, en)| ApiError::bad_request("MOVEMENT_INVALID", zh, en))?;
    let key = key.0;
    match state
        .store
        .movement_apply(key.shop_id, &key.actor_name(), account, &movement, state.clock.now())
        .await?
    {
        MovementOutcome::Applied { movement, replayed } => {
            let status = if replayed { StatusCode::OK } else { StatusCode::CREATED };
            Ok((status, axum::Json(movement)).into_response())
        }
        MovementOutcome::ReferenceReused => Err(ApiError::Conflict {
            code: "MOVEMENT_REFERENCE_REUSED",
            zh: format!("流水号 {} 已用于另一笔资金变动", movement.reference),
            en: format!("The reference {} was used for another movement", movement.reference),
        }),
        MovementOutcome::ExceedsAvailable { available, frozen } => Err(ApiError::Conflict {
            code: "MOVEMENT_EXCEEDS_AVAILABLE",
            zh: format!("超出可用余额 ¥{}（冻结 ¥{}），未做任何变动", available, frozen),
            en: format!("More than the available ¥{} (frozen ¥{}); nothing changed", available, frozen),
        }),
    }
}
