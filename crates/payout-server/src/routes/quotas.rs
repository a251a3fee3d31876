//! 客服打款配额: the sub-accounts' quotas (main account and quota managers).

use axum::extract::State;
use axum::routing::{get, put};
use axum::Router;
use payout_core::api::{ErrorBody, QuotaList, QuotaUpdate, QuotaView};
use payout_core::quota::validate_quota;
use payout_core::Role;

use crate::error::ApiError;
use crate::json::{Json, Path};
use crate::state::AppState;
use crate::store::{Actor, QuotaChange};

pub fn router() -> Router<AppState> {
    Router::new().route("/quotas", get(quotas_list)).route("/quotas/{sub_account_id}", put(quotas_update))
}

fn require_quota_manager(actor: &Actor) -> Result<(), ApiError> {
    if actor.may_manage_quotas() {
        Ok(())
    } else {
        Err(ApiError::NotAuthorized)
    }
}

#[utoipa::path(get, path = "/api/quotas", tag = "quotas",
    responses((status = 200, body = QuotaList), (status = 403, body = ErrorBody)))]
pub async fn quotas_list(
    State(state): State<AppState>,
    actor: Actor,
) -> Result<axum::Json<QuotaList>, ApiError> {
    require_quota_manager(&actor)?;
    let items = state.store.quotas(actor.shop_id, state.clock.now().business_date()).await?;
    Ok(axum::Json(QuotaList { items, policy: (*state.policy).clone() }))
}

/// Changes take effect for the very next payout (the rules read the quota inside the payout's
/// transaction). A quota manager cannot raise their own quota.
#[utoipa::path(put, path = "/api/quotas/{sub_account_id}", tag = "quotas", request_body = QuotaUpdate,
    params(("sub_account_id" = i64, Path)),
    responses((status = 200, body = QuotaView), (status = 400, body = ErrorBody, description = "QUOTA_INVALID"),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(shop_id = actor.shop_id, sub_account_id))]
pub async fn quotas_update(
    State(state): State<AppState>,
    actor: Actor,
    Path(sub_account_id): Path<i64>,
    Json(body): Json<QuotaUpdate>,
) -> Result<axum::Json<QuotaView>, ApiError> {
    require_quota_manager(&actor)?;
    if actor.role == Role::Sub && actor.user_id == sub_account_id {
        return Err(ApiError::NotAuthorized);
    }
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
    let view = state.store.quota_update(&actor, sub_account_id, change, state.clock.now()).await?.ok_or(
        ApiError::NotFound {
            code: "SUB_ACCOUNT_NOT_FOUND",
            zh: "未找到该子账号",
            en: "No such sub-account in this shop",
        },
    )?;
    Ok(axum::Json(view))
}
