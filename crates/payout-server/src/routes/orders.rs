//! `GET /api/orders/{order_no}/payout-context`: the workbench's view of one order.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use payout_core::api::{Eligibility, PayoutContext};
use payout_core::rules::{authorization, eligibility, order_limits};
use payout_core::Code;

use crate::auth::PayoutActor;
use crate::error::ApiError;
use crate::json::Path;
use crate::state::AppState;
use crate::views::source_account_view;

pub fn router() -> Router<AppState> {
    Router::new().route("/orders/{order_no}/payout-context", get(order_context_get))
}

/// R-E1: the same answer for a missing order and another shop's order.
pub fn order_not_found() -> ApiError {
    ApiError::NotFound {
        code: Code::OrderNotFound.as_str(),
        zh: "未找到该订单，请核对订单号（仅可查询本店铺的订单）",
        en: "No such order in this shop; check the order number",
    }
}

#[utoipa::path(get, path = "/api/orders/{order_no}/payout-context", tag = "orders",
    params(("order_no" = String, Path, description = "19-digit order number", example = "6920241100000000002")),
    responses((status = 200, body = PayoutContext),
        (status = 403, body = payout_core::api::ErrorBody, description = "NOT_AUTHORIZED (R-P1)"),
        (status = 404, body = payout_core::api::ErrorBody, description = "ORDER_NOT_FOUND (R-E1)")))]
#[tracing::instrument(skip_all, fields(shop_id = actor.shop_id, %order_no))]
pub async fn order_context_get(
    State(state): State<AppState>,
    actor: PayoutActor,
    Path(order_no): Path<String>,
) -> Result<Json<PayoutContext>, ApiError> {
    let order_no = order_no.trim();
    if order_no.is_empty() || order_no.len() > 32 {
        return Err(order_not_found());
    }
    let now = state.clock.now();
    let mut ctx = state.store.order_context(&actor, order_no, now).await?.ok_or_else(order_not_found)?;
    crate::views::mark_stuck(&state.policy, now, &mut ctx.payouts);
    let policy = &*state.policy;
    let facts = ctx.facts;
    // Everything that stops this order taking another payout, before anything is filled in.
    let mut violations = authorization(&facts.operator);
    violations.extend(eligibility(policy, &facts.order, &facts.shop, now));
    violations.extend(order_limits(policy, &facts, now));
    Ok(Json(PayoutContext {
        order: facts.order.clone(),
        eligibility: Eligibility { eligible: violations.is_empty(), violations },
        meters: payout_core::meters(policy, &facts, now),
        source_accounts: facts
            .shop
            .accounts
            .iter()
            .map(|a| source_account_view(a, facts.shop.qualification))
            .collect(),
        selected_source_account: ctx.selected_source_account,
        payouts: ctx.payouts,
        policy: policy.clone(),
        server_time: now,
        facts,
    }))
}
