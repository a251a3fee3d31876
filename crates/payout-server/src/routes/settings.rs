//! 打款设置: the source account, balances, and custody top-ups (main account only).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use payout_core::api::{ErrorBody, PayoutSettings, SettingsUpdate, TopUpRequest, TopUpView};
use payout_core::approval::parse_threshold;
use payout_core::{AccountKind, Code, Violation};

use super::{check_len, idempotency_key, key_reused, Fingerprint};
use crate::auth::MainAccount;
use crate::error::ApiError;
use crate::json::Json;
use crate::state::AppState;
use crate::store::{NewTopUp, SettingsChange, TopUpOutcome};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/payout-settings", get(settings_get).put(settings_update))
        .route("/custody/top-ups", post(top_ups_create))
}

#[utoipa::path(get, path = "/api/payout-settings", tag = "settings",
    responses((status = 200, body = PayoutSettings), (status = 403, body = ErrorBody)))]
pub async fn settings_get(
    State(state): State<AppState>,
    actor: MainAccount,
) -> Result<axum::Json<PayoutSettings>, ApiError> {
    Ok(axum::Json(state.store.settings(actor.shop_id).await?))
}

#[utoipa::path(put, path = "/api/payout-settings", tag = "settings", request_body = SettingsUpdate,
    responses((status = 200, body = PayoutSettings), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody, description = "R-F6 / R-F7")))]
#[tracing::instrument(skip_all, fields(shop_id = actor.shop_id))]
pub async fn settings_update(
    State(state): State<AppState>,
    actor: MainAccount,
    Json(body): Json<SettingsUpdate>,
) -> Result<axum::Json<PayoutSettings>, ApiError> {
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
    let approval_threshold = match &body.approval_threshold {
        None => None,
        Some(None) => Some(None),
        Some(Some(text)) => Some(Some(parse_threshold(&state.policy, text).map_err(|e| {
            ApiError::bad_request(
                "APPROVAL_THRESHOLD_INVALID",
                format!("审核门槛不正确：{}", e.message_zh()),
                format!("Invalid approval threshold: {}", e.message_en()),
            )
        })?)),
    };
    let change = SettingsChange {
        source_account: kind,
        approval_threshold,
        require_reason: body.require_reason,
        require_two_factor: body.require_two_factor,
    };
    state.store.settings_update(&actor, &change, state.clock.now()).await?;
    Ok(axum::Json(state.store.settings(actor.shop_id).await?))
}

/// Records an enterprise-banking top-up of the custody account (the only account that can be
/// topped up), once: idempotent per `Idempotency-Key`, and a bank reference is used once per shop
/// (SPEC D8). Status, reference and ceiling are checked where the balance is raised.
#[utoipa::path(post, path = "/api/custody/top-ups", tag = "settings", request_body = TopUpRequest,
    params(("Idempotency-Key" = String, Header, description = "One per submission; repeat it only to retry the same top-up")),
    responses((status = 201, body = TopUpView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "TOP_UP_REFERENCE_USED, TOP_UP_ABOVE_CEILING or IDEMPOTENCY_KEY_REUSED"),
        (status = 422, body = ErrorBody, description = "SHOP_NOT_ACTIVE (R-E6)")))]
#[tracing::instrument(skip_all, fields(shop_id = actor.shop_id))]
pub async fn top_ups_create(
    State(state): State<AppState>,
    actor: MainAccount,
    headers: HeaderMap,
    Json(body): Json<TopUpRequest>,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let amount = payout_core::top_up::parse_top_up(&body.amount).map_err(|e| ApiError::BadRequest {
        code: "AMOUNT_INVALID",
        zh: format!("充值金额：{}", e.message_zh()),
        en: format!("Top-up amount: {}", e.message_en()),
        violations: None,
    })?;
    let reference = payout_core::top_up::normalize_reference(&body.reference);
    let reference = reference.as_str();
    if reference.is_empty() {
        return Err(ApiError::bad_request(
            "REFERENCE_REQUIRED",
            "请填写企业网银转账流水号",
            "Enter the enterprise online-banking transfer reference",
        ));
    }
    check_len(reference, 64, "REFERENCE_TOO_LONG", "流水号", "The reference")?;
    let new = NewTopUp {
        actor: &actor,
        amount,
        reference,
        idempotency_key: key,
        request_hash: Fingerprint::new("top_up/v1").number(amount.to_fen()).text(reference).finish(),
        ceiling: payout_core::top_up::max_custody_balance(),
    };
    match state.store.top_up(new, state.clock.now()).await? {
        TopUpOutcome::Created { top_up, .. } => Ok((StatusCode::CREATED, axum::Json(top_up)).into_response()),
        TopUpOutcome::KeyReused => Err(key_reused()),
        TopUpOutcome::ReferenceUsed => Err(ApiError::Conflict {
            code: "TOP_UP_REFERENCE_USED",
            zh: format!("流水号 {reference} 已登记过一笔充值，同一笔转账不能重复登记"),
            en: format!(
                "A top-up with reference {reference} is already recorded; one transfer is recorded once"
            ),
        }),
        TopUpOutcome::ShopNotActive => Err(ApiError::Unprocessable {
            code: Code::ShopNotActive.as_str(),
            zh: "店铺状态异常，暂不能充值".into(),
            en: "The shop is not active and cannot top up".into(),
        }),
        TopUpOutcome::AboveCeiling { balance } => {
            let max = payout_core::top_up::max_custody_balance();
            Err(ApiError::Conflict {
                code: "TOP_UP_ABOVE_CEILING",
                zh: format!("充值后管家账户余额将超过上限 ¥{max:#}（当前余额 ¥{balance:#}）"),
                en: format!(
                    "The custody balance would exceed its ceiling of ¥{max:#} (balance now ¥{balance:#})"
                ),
            })
        }
    }
}
