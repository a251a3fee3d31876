//! 客服打款配额: the sub-accounts' quotas (main account and quota managers), and the main account's
//! grants of payout permission and of the quota-manager role (SPEC D6, D7).

use axum::extract::State;
use axum::routing::{get, put};
use axum::Router;
use payout_core::api::{ErrorBody, PermissionsUpdate, QuotaList, QuotaUpdate, QuotaView};
use payout_core::quota::validate_quota;

use crate::auth::{MainAccount, QuotaManager};
use crate::error::ApiError;
use crate::json::{Json, Path};
use crate::state::AppState;
use crate::store::{GrantOutcome, QuotaChange};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/quotas", get(quotas_list))
        .route("/quotas/{sub_account_id}", put(quotas_update))
        .route("/sub-accounts/{id}/permissions", put(permissions_update))
}

#[utoipa::path(get, path = "/api/quotas", tag = "quotas",
    responses((status = 200, body = QuotaList), (status = 403, body = ErrorBody)))]
pub async fn quotas_list(
    State(state): State<AppState>,
    actor: QuotaManager,
) -> Result<axum::Json<QuotaList>, ApiError> {
    let items = state.store.quotas(actor.shop_id, state.clock.now().business_date()).await?;
    Ok(axum::Json(QuotaList { items, policy: (*state.policy).clone() }))
}

fn sub_account_not_found() -> ApiError {
    ApiError::NotFound {
        code: "SUB_ACCOUNT_NOT_FOUND",
        zh: "未找到该子账号",
        en: "No such sub-account in this shop",
    }
}

/// The answer to a grant or quota change.
fn granted(outcome: GrantOutcome) -> Result<axum::Json<QuotaView>, ApiError> {
    match outcome {
        GrantOutcome::Updated(view) => Ok(axum::Json(view)),
        GrantOutcome::NotFound => Err(sub_account_not_found()),
        GrantOutcome::NotAllowed => Err(ApiError::Forbidden {
            code: "NOT_AUTHORIZED",
            zh: "配额管理员只能为已获主账号授予打款权限的其他子账号设置配额".into(),
            en: "A quota manager sets quotas only for other sub-accounts that hold payout permission".into(),
        }),
        GrantOutcome::AboveOwnLimit { per_payout_limit, daily_limit } => Err(ApiError::Forbidden {
            code: "QUOTA_ABOVE_OWN_LIMIT",
            zh: format!("不能设置高于您自己的额度（单笔 ¥{per_payout_limit:#}，每日 ¥{daily_limit:#}）"),
            en: format!(
                "You cannot set limits above your own (per payout ¥{per_payout_limit:#}, daily ¥{daily_limit:#})"
            ),
        }),
    }
}

/// Changes take effect for the very next payout (the rules read the quota inside the payout's
/// transaction). A quota manager that is a sub-account sets quotas only for other sub-accounts
/// that hold payout permission, and never above its own limits (D6, D7).
#[utoipa::path(put, path = "/api/quotas/{sub_account_id}", tag = "quotas", request_body = QuotaUpdate,
    params(("sub_account_id" = i64, Path)),
    responses((status = 200, body = QuotaView), (status = 400, body = ErrorBody, description = "QUOTA_INVALID"),
        (status = 403, body = ErrorBody, description = "NOT_AUTHORIZED or QUOTA_ABOVE_OWN_LIMIT"),
        (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(shop_id = actor.shop_id, sub_account_id))]
pub async fn quotas_update(
    State(state): State<AppState>,
    actor: QuotaManager,
    Path(sub_account_id): Path<i64>,
    Json(body): Json<QuotaUpdate>,
) -> Result<axum::Json<QuotaView>, ApiError> {
    let (per_payout_limit, daily_limit) =
        validate_quota(&state.policy, &body.per_payout_limit, &body.daily_limit).map_err(|errors| {
            let join = |f: fn(&payout_core::quota::QuotaError) -> String, sep| {
                errors.iter().map(f).collect::<Vec<_>>().join(sep)
            };
            ApiError::bad_request(
                "QUOTA_INVALID",
                join(
                    |e| {
                        format!(
                            "{}：{}",
                            if e.field == "daily_limit" { "每日限额" } else { "单笔限额" },
                            e.message_zh
                        )
                    },
                    "；",
                ),
                join(|e| format!("{}: {}", e.field, e.message_en), "; "),
            )
        })?;
    let change = QuotaChange { per_payout_limit, daily_limit, enabled: body.enabled };
    granted(state.store.quota_update(&actor, sub_account_id, change, state.clock.now()).await?)
}

/// Grants or revokes a sub-account's payout permission (the article's 岗位 grant) and the
/// quota-manager role. The main account only (D6).
#[utoipa::path(put, path = "/api/sub-accounts/{id}/permissions", tag = "quotas",
    request_body = PermissionsUpdate, params(("id" = i64, Path, description = "The sub-account's id")),
    responses((status = 200, body = QuotaView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(shop_id = actor.shop_id, sub_account_id))]
pub async fn permissions_update(
    State(state): State<AppState>,
    actor: MainAccount,
    Path(sub_account_id): Path<i64>,
    Json(body): Json<PermissionsUpdate>,
) -> Result<axum::Json<QuotaView>, ApiError> {
    let now = state.clock.now();
    granted(
        state.store.permissions_update(&actor, sub_account_id, body.payout, body.manage_quotas, now).await?,
    )
}
