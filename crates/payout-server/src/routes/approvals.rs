//! Approval above a threshold (SPEC §11.2) and asking the rail again about a stuck payout (§11.4).

use std::time::Duration;

use axum::extract::State;
use axum::routing::{get, post};
use axum::Router;
use payout_core::api::{ErrorBody, PayoutDetail, PayoutList, PayoutView};
use payout_core::approval::{reject_reason, RejectRequest};
use payout_core::{Code, Violation};
use serde::Deserialize;

use super::paging;
use super::payouts::payout_not_found;
use crate::auth::{Approver, MainAccount};
use crate::error::ApiError;
use crate::json::{Json, Path, Query};
use crate::rail::{reference, TransferStatus};
use crate::state::AppState;
use crate::store::{DecideOutcome, Decision, PayoutKey, TakeOver, STATUS_QUERY_OWNER};
use crate::views::mark_stuck;

/// How long the main account waits for the rail's answer to a status query.
const QUERY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a status query holds the payout's claim: while it asks the rail, and after an answer
/// that is not final, so that queries sent at once make one rail call (the others are told it was
/// just asked) and the worker takes the payout up again after it.
const QUERY_LEASE_SECONDS: i64 = 10;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/approvals", get(approvals_list))
        .route("/payouts/{id}/approve", post(payouts_approve))
        .route("/payouts/{id}/reject", post(payouts_reject))
        .route("/payouts/{id}/status-query", post(payouts_status_query))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct PageQuery {
    pub page: Option<String>,
    pub per_page: Option<String>,
}

/// The payouts awaiting the main account's decision, oldest first.
#[utoipa::path(get, path = "/api/approvals", tag = "approvals", params(PageQuery),
    responses((status = 200, body = PayoutList), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn approvals_list(
    State(state): State<AppState>,
    actor: MainAccount,
    Query(query): Query<PageQuery>,
) -> Result<axum::Json<PayoutList>, ApiError> {
    let (page, per_page) = paging(query.page.as_deref(), query.per_page.as_deref())?;
    let rows = state.store.approvals_page(actor.shop_id, page, per_page).await?;
    Ok(axum::Json(PayoutList {
        items: rows.items,
        total: rows.total,
        total_exact: true,
        page,
        per_page,
        next_cursor: None,
        prev_cursor: None,
    }))
}

async fn decide(
    state: &AppState,
    actor: &Approver,
    id: i64,
    decision: Decision,
) -> Result<PayoutView, ApiError> {
    let now = state.clock.now();
    let expired_before = now.plus_seconds(-i64::from(state.policy.approval_expiry_hours) * 3600);
    match state.store.decide(actor, id, &decision, expired_before, now).await? {
        DecideOutcome::Decided(view) => {
            tracing::info!(payout_id = id, status = view.status.as_str(), "approval decided");
            Ok(*view)
        }
        DecideOutcome::NotFound => Err(payout_not_found()),
        DecideOutcome::NotAwaiting(status) => Err(ApiError::Conflict {
            code: "NOT_AWAITING_APPROVAL",
            zh: format!("该打款当前为“{}”，不在待审核状态（可能已被审核或已超时）", status.label_zh()),
            en: format!(
                "This payout is {} now, not awaiting approval (decided already, or expired)",
                status.label_en().to_lowercase()
            ),
        }),
        DecideOutcome::ShopNotActive => Err(ApiError::Rejected(vec![Violation::new(
            Code::ShopNotActive,
            "店铺当前不是正常营业状态，不能通过打款审核",
            "The shop is not active; payouts cannot be approved",
        )])),
    }
}

/// `awaiting_approval` → `pending`; the settlement worker then pays it as any other.
#[utoipa::path(post, path = "/api/payouts/{id}/approve", tag = "approvals",
    params(("id" = i64, Path, description = "Payout id")),
    responses((status = 200, body = PayoutView), (status = 403, body = ErrorBody, description = "NOT_APPROVER (R-A2)"),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "NOT_AWAITING_APPROVAL"),
        (status = 422, body = ErrorBody, description = "SHOP_NOT_ACTIVE (R-E6)")))]
#[tracing::instrument(skip_all, fields(shop_id = actor.shop_id, payout_id = id))]
pub async fn payouts_approve(
    State(state): State<AppState>,
    actor: Approver,
    Path(id): Path<i64>,
) -> Result<axum::Json<PayoutView>, ApiError> {
    decide(&state, &actor, id, Decision::Approve).await.map(axum::Json)
}

/// `awaiting_approval` → `rejected` with a reason the agent sees; the reservation is released.
#[utoipa::path(post, path = "/api/payouts/{id}/reject", tag = "approvals", request_body = RejectRequest,
    params(("id" = i64, Path, description = "Payout id")),
    responses((status = 200, body = PayoutView), (status = 400, body = ErrorBody, description = "REJECT_REASON_REQUIRED (R-A1), TEXT_TOO_LONG (R-F14)"),
        (status = 403, body = ErrorBody, description = "NOT_APPROVER (R-A2)"), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "NOT_AWAITING_APPROVAL")))]
#[tracing::instrument(skip_all, fields(shop_id = actor.shop_id, payout_id = id))]
pub async fn payouts_reject(
    State(state): State<AppState>,
    actor: Approver,
    Path(id): Path<i64>,
    Json(body): Json<RejectRequest>,
) -> Result<axum::Json<PayoutView>, ApiError> {
    let reason = reject_reason(&body.reason).map_err(|v| ApiError::BadRequest {
        code: v.code.as_str(),
        zh: v.message_zh.clone(),
        en: v.message_en.clone(),
        violations: Some(vec![*v]),
    })?;
    decide(&state, &actor, id, Decision::Reject(reason)).await.map(axum::Json)
}

/// Asks the rail what became of a stuck payout (`processing` for longer than the policy's
/// `stuck_after_minutes`) and records a final answer. It never sends the payout again: a rail that
/// has not finished (or never received it) leaves it `processing`, and the settlement worker goes on
/// asking, or sends it when the rail says it never arrived. Queries sent at once make one rail call.
#[utoipa::path(post, path = "/api/payouts/{id}/status-query", tag = "approvals",
    params(("id" = i64, Path, description = "Payout id")),
    responses((status = 200, body = PayoutDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "NOT_STUCK, STATUS_QUERY_IN_PROGRESS")))]
#[tracing::instrument(skip_all, fields(shop_id = actor.shop_id, payout_id = id))]
pub async fn payouts_status_query(
    State(state): State<AppState>,
    actor: MainAccount,
    Path(id): Path<i64>,
) -> Result<axum::Json<PayoutDetail>, ApiError> {
    let key = PayoutKey { shop_id: actor.shop_id, id };
    let owner = format!("{STATUS_QUERY_OWNER}{}", hex::encode(rand::random::<[u8; 6]>()));
    let now = state.clock.now();
    let stuck_before = now.plus_seconds(-i64::from(state.policy.stuck_after_minutes) * 60);
    let lease_until = now.plus_seconds(QUERY_LEASE_SECONDS);
    match state.store.take_over(&owner, key, &actor.username, now, lease_until, stuck_before).await? {
        TakeOver::NotFound => return Err(payout_not_found()),
        TakeOver::NotStuck(status) => {
            return Err(ApiError::Conflict {
                code: "NOT_STUCK",
                zh: format!(
                    "该打款当前为“{}”，只有打款中超过 {} 分钟（显示为“状态确认中”）的打款可以查询",
                    status.label_zh(),
                    state.policy.stuck_after_minutes
                ),
                en: format!(
                    "This payout is {}; only a payout processing for more than {} minutes (shown as stuck) can be queried",
                    status.label_en().to_lowercase(),
                    state.policy.stuck_after_minutes
                ),
            })
        }
        TakeOver::Busy => {
            return Err(ApiError::Conflict {
                code: "STATUS_QUERY_IN_PROGRESS",
                zh: format!("刚刚已在向支付渠道查询该打款，请 {QUERY_LEASE_SECONDS} 秒后刷新查看"),
                en: format!(
                    "The payment rail is being (or was just) asked about this payout; refresh in {QUERY_LEASE_SECONDS} s"
                ),
            })
        }
        TakeOver::Taken(_) => {}
    }
    let asked = tokio::time::timeout(QUERY_TIMEOUT, state.rail.status(&reference(id))).await;
    // Not final, or never received: the query keeps the claim until its lease ends; then the
    // worker asks again (and sends it only if the rail never received it).
    match asked {
        Ok(Ok(TransferStatus::Final(outcome))) => {
            state.store.settle(&owner, &[(key, outcome)], state.clock.now()).await?;
        }
        Ok(Ok(TransferStatus::InProgress | TransferStatus::Unknown)) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "status query: the rail did not answer"),
        Err(_) => tracing::warn!("status query: the rail timed out"),
    }
    let mut detail = state.store.payout_detail(actor.shop_id, id).await?.ok_or_else(payout_not_found)?;
    mark_stuck(&state.policy, state.clock.now(), std::slice::from_mut(&mut detail.payout));
    Ok(axum::Json(detail))
}
