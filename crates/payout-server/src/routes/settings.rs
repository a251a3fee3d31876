//! 打款设置: the source account, balances, and custody top-ups (main account only).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use payout_core::api::{ErrorBody, PayoutSettings, SettingsUpdate, TopUpRequest, TopUpView};
use payout_core::{AccountKind, Code, Money, Violation};

use super::check_len;
use crate::error::ApiError;
use crate::json::Json;
use crate::state::AppState;
use crate::store::Actor;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/payout-settings", get(settings_get).put(settings_update))
        .route("/custody/top-ups", post(top_ups_create))
}

fn require_main(actor: &Actor) -> Result<(), ApiError> {
    if actor.may_manage_settings() {
        Ok(())
    } else {
        Err(ApiError::NotAuthorized)
    }
}

#[utoipa::path(get, path = "/api/payout-settings", tag = "settings",
    responses((status = 200, body = PayoutSettings), (status = 403, body = ErrorBody)))]
pub async fn settings_get(
    State(state): State<AppState>,
    actor: Actor,
) -> Result<axum::Json<PayoutSettings>, ApiError> {
    require_main(&actor)?;
    Ok(axum::Json(state.store.settings(actor.shop_id).await?))
}

#[utoipa::path(put, path = "/api/payout-settings", tag = "settings", request_body = SettingsUpdate,
    responses((status = 200, body = PayoutSettings), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody, description = "R-F6 / R-F7")))]
#[tracing::instrument(skip_all, fields(shop_id = actor.shop_id))]
pub async fn settings_update(
    State(state): State<AppState>,
    actor: Actor,
    Json(body): Json<SettingsUpdate>,
) -> Result<axum::Json<PayoutSettings>, ApiError> {
    require_main(&actor)?;
    let Some(kind) = AccountKind::parse(&body.source_account) else {
        return Err(ApiError::bad_request(
            "SOURCE_ACCOUNT_INVALID",
            "出款账户应为 aggregate（聚合账户）或 custody（管家账户）",
            "source_account must be aggregate or custody",
        ));
    };
    let current = state.store.settings(actor.shop_id).await?;
    let account = current.accounts.iter().find(|a| a.kind == kind);
    if let Some(a) = account.filter(|a| !a.allowed) {
        let code = if !actor.qualification.may_use(kind) {
            Code::SourceAccountNotAllowed
        } else {
            Code::AggregateAccountNotOpened
        };
        let zh = a.reason_zh.clone().unwrap_or_default();
        let en = a.reason_en.clone().unwrap_or_default();
        return Err(ApiError::Rejected(vec![
            Violation::new(code, zh, en).on(payout_core::Field::SourceAccount)
        ]));
    }
    state.store.settings_update(&actor, kind, state.clock.now()).await?;
    Ok(axum::Json(state.store.settings(actor.shop_id).await?))
}

/// Records an enterprise-banking top-up of the custody account (the only account that can be
/// topped up).
#[utoipa::path(post, path = "/api/custody/top-ups", tag = "settings", request_body = TopUpRequest,
    responses((status = 201, body = TopUpView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(shop_id = actor.shop_id))]
pub async fn top_ups_create(
    State(state): State<AppState>,
    actor: Actor,
    Json(body): Json<TopUpRequest>,
) -> Result<(StatusCode, axum::Json<TopUpView>), ApiError> {
    require_main(&actor)?;
    let amount = payout_core::top_up::parse_top_up(&body.amount).map_err(|e| ApiError::BadRequest {
        code: "AMOUNT_INVALID",
        zh: format!("充值金额：{}", e.message_zh()),
        en: format!("Top-up amount: {}", e.message_en()),
        violations: None,
    })?;
    let reference = body.reference.trim();
    if reference.is_empty() {
        return Err(ApiError::bad_request(
            "REFERENCE_REQUIRED",
            "请填写企业网银转账流水号",
            "Enter the enterprise online-banking transfer reference",
        ));
    }
    check_len(reference, 64, "REFERENCE_TOO_LONG", "流水号", "The reference")?;
    let settings = state.store.settings(actor.shop_id).await?;
    let custody =
        settings.accounts.iter().find(|a| a.kind == AccountKind::Custody).map_or(Money::ZERO, |a| a.balance);
    if custody.checked_add(amount).is_none() {
        return Err(ApiError::bad_request(
            "AMOUNT_INVALID",
            "充值后余额超出上限",
            "The balance would exceed the maximum",
        ));
    }
    let top_up = state.store.top_up(&actor, amount, reference, state.clock.now()).await?;
    Ok((StatusCode::CREATED, axum::Json(top_up)))
}
