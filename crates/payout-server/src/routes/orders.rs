//! Orders: the workbench's view of one (`GET /api/orders/{order_no}/payout-context`), and one order
//! written by the merchant's or the platform's system (`PUT /api/orders/{order_no}`, SPEC §12.3).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Json, Router};
use payout_core::api::{Eligibility, PayoutContext};
use payout_core::orders::{validate_order_input, OrderInput, OrderPutAnswer, OrderWritten};
use payout_core::rules::{authorization, eligibility, order_limits};
use payout_core::Code;

use crate::auth::{OrderWriter, PayoutActor};
use crate::error::ApiError;
use crate::json::Path;
use crate::state::AppState;
use crate::store::OrderOutcome;
use crate::views::source_account_view;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/orders/{order_no}/payout-context", get(order_context_get))
        .route("/orders/{order_no}", put(orders_put))
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

/// Creates or replaces one order with the same checks as the file import and D10: an order that
/// has payouts keeps its paid amount, payment, source app, cross-border flag and items.
#[utoipa::path(put, path = "/api/orders/{order_no}", tag = "orders", request_body = OrderInput,
    params(("order_no" = String, Path, description = "19-digit order number", example = "6920241100000000002")),
    responses((status = 201, body = OrderPutAnswer, description = "created"), (status = 200, body = OrderPutAnswer, description = "updated or unchanged"),
        (status = 400, body = payout_core::api::ErrorBody, description = "ORDER_INVALID with each problem"),
        (status = 401, body = payout_core::api::ErrorBody), (status = 403, body = payout_core::api::ErrorBody, description = "NOT_AUTHORIZED, SCOPE_REQUIRED"),
        (status = 409, body = payout_core::api::ErrorBody, description = "ORDER_LOCKED_BY_PAYOUTS (D10), ITEM_ID_TAKEN")))]
#[tracing::instrument(skip_all, fields(shop_id = caller.shop_id, %order_no))]
pub async fn orders_put(
    State(state): State<AppState>,
    caller: OrderWriter,
    Path(order_no): Path<String>,
    crate::json::Json(body): crate::json::Json<OrderInput>,
) -> Result<Response, ApiError> {
    let order = validate_order_input(&order_no, &body).map_err(|problems| ApiError::BadRequest {
        code: "ORDER_INVALID",
        zh: problems.iter().map(|p| p.message_zh.as_str()).collect::<Vec<_>>().join("；"),
        en: problems.iter().map(|p| p.message_en.as_str()).collect::<Vec<_>>().join("; "),
        violations: None,
    })?;
    let outcome = state.store.orders_write(caller.shop_id, std::slice::from_ref(&order)).await?.pop();
    let (status, written) = match outcome {
        Some(OrderOutcome::Created) => (StatusCode::CREATED, OrderWritten::Created),
        Some(OrderOutcome::Updated) => (StatusCode::OK, OrderWritten::Updated),
        Some(OrderOutcome::Unchanged) => (StatusCode::OK, OrderWritten::Unchanged),
        Some(refused) => {
            let p = crate::importer::written_problem(&refused)
                .unwrap_or_else(|| payout_core::orders::locked_problem(&[]));
            return Err(ApiError::Conflict {
                code: if p.code == "ITEM_ID_TAKEN" { "ITEM_ID_TAKEN" } else { "ORDER_LOCKED_BY_PAYOUTS" },
                zh: p.message_zh,
                en: p.message_en,
            });
        }
        None => return Err(ApiError::Internal("no outcome for the order".into())),
    };
    if written != OrderWritten::Unchanged {
        let action = if written == OrderWritten::Created { "order.created" } else { "order.updated" };
        let target = format!("order:{}", order.order_no);
        state
            .store
            .orders_audit(caller.shop_id, &caller.actor_name, action, &target, "", state.clock.now())
            .await?;
    }
    Ok((status, Json(OrderPutAnswer { order_no: order.order_no, outcome: written })).into_response())
}
