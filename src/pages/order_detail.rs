//! Order detail (SPEC §6.4, §11) at `/orders/{order_no}`: the order, every payout on it with its
//! reason, buyer message and internal note, its state changes and when the buyer was notified, and
//! the totals. Payouts that are not final (and a fresh success whose buyer has not been notified
//! yet) are followed until they are.

use leptos::prelude::*;
use leptos_router::hooks::use_params;
use leptos_router::params::Params;
use payout_core::api::{PayoutContext, PayoutDetail, PayoutStatus};
use payout_core::Money;

use crate::api::{self, ApiError};
use crate::components::feedback::{Empty, ErrorView, Gate, Loading};
use crate::components::order_summary::OrderSummary;
use crate::components::payout_info::{PayoutInfo, Requery};
use crate::components::status_badge::StatusBadge;
use crate::format;
use crate::i18n::use_lang;
use crate::people::Actor;

#[derive(Params, Clone, Debug, PartialEq)]
struct OrderParams {
    order_no: Option<String>,
}

#[component]
pub fn OrderDetail() -> impl IntoView {
    view! {
        <Gate allow=|p| p.payout>
            <OrderDetailScreen />
        </Gate>
    }
}

/// The order's context and each payout with its events. (The API has no one-call history yet, so
/// each payout's events come from `GET /api/payouts/{id}`.)
async fn load(order_no: String) -> Result<(PayoutContext, Vec<PayoutDetail>), ApiError> {
    let ctx = api::payout_context(&order_no).await?;
    let mut details = Vec::with_capacity(ctx.payouts.len());
    for p in &ctx.payouts {
        details.push(api::payout(p.id).await?);
    }
    Ok((ctx, details))
}

#[component]
fn OrderDetailScreen() -> impl IntoView {
    let lang = use_lang();
    let params = use_params::<OrderParams>();
    let order_no = Memo::new(move |_| {
        params.with(|p| p.as_ref().ok().and_then(|p| p.order_no.clone()).unwrap_or_default())
    });
    let requery = Requery::provide();
    let data = LocalResource::new(move || {
        let order_no = order_no.get();
        requery.action.version().track();
        async move {
            match format::order_no(&order_no) {
                Some(o) => load(o).await,
                None => Err(ApiError::invalid_order_no()),
            }
        }
    });
    if let Ok(handle) = set_interval_with_handle(
        move || {
            let changing = data
                .try_with_untracked(|d| matches!(d, Some(Ok((ctx, _))) if still_changing(ctx)))
                .unwrap_or(false);
            if changing {
                data.refetch();
            }
        },
        std::time::Duration::from_secs(2),
    ) {
        on_cleanup(move || handle.clear());
    }
    view! {
        <section class="page" aria-labelledby="detail-title">
            <nav class="breadcrumb" aria-label=move || lang.get().pick("位置", "Breadcrumb")>
                <a class="link" href="/records">{move || lang.get().pick("打款记录", "Payout records")}</a>
                <span aria-hidden="true">" › "</span>
                <span aria-current="page">{move || lang.get().pick("订单详情", "Order detail")}</span>
            </nav>
            <div class="page__head">
                // The number is a heading only for an order that exists.
                <h1 id="detail-title">
                    {move || {
                        if matches!(data.get(), Some(Ok(_))) {
                            view! {
                                {lang.get().pick("订单 ", "Order ")}
                                <span class="mono">{order_no.get()}</span>
                            }
                                .into_any()
                        } else {
                            lang.get().pick("订单详情", "Order detail").into_any()
                        }
                    }}
                </h1>
                // Only an order that was found can be paid.
                {move || {
                    matches!(data.get(), Some(Ok(_)))
                        .then(|| {
                            view! {
                                <a class="btn btn--primary" data-testid="detail-pay" href=format!("/payout?order={}", order_no.get())>
                                    {move || lang.get().pick("去打款", "Pay on this order")}
                                </a>
                            }
                        })
                }}
            </div>
            <Transition fallback=|| view! { <Loading /> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok((ctx, details)) => view! { <Detail ctx details /> }.into_any(),
                        Err(e) => view! { <ErrorView error=e on_retry=move || data.refetch() /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// A payout on the order is not final yet, or succeeded within the last two minutes and its buyer
/// has not been notified yet (the notification follows the success by a moment, SPEC §11.3).
fn still_changing(ctx: &PayoutContext) -> bool {
    ctx.payouts.iter().any(|p| {
        !p.status.is_final()
            || (p.status == PayoutStatus::Succeeded
                && p.buyer_notified_at.is_none()
                && p.buyer_notification_failed_at.is_none()
                && ctx.server_time.seconds_since(p.updated_at) < 120)
    })
}

fn sum(details: &[PayoutDetail], keep: impl Fn(PayoutStatus) -> bool) -> Money {
    details
        .iter()
        .filter(|d| keep(d.payout.status))
        .fold(Money::ZERO, |acc, d| acc.saturating_add(d.payout.amount))
}

#[component]
fn Detail(ctx: PayoutContext, details: Vec<PayoutDetail>) -> impl IntoView {
    let lang = use_lang();
    let m = ctx.meters.clone();
    let succeeded = sum(&details, |s| s == PayoutStatus::Succeeded);
    // Waiting for the main account is not "in progress": nothing was sent to the rail yet.
    let awaiting = sum(&details, |s| s == PayoutStatus::AwaitingApproval);
    let in_flight = sum(&details, |s| matches!(s, PayoutStatus::Pending | PayoutStatus::Processing));
    let failed = sum(&details, |s| s == PayoutStatus::Failed);
    let rejected = sum(&details, |s| s == PayoutStatus::Rejected);
    let fact = move |testid: &'static str, zh: &'static str, en: &'static str, value: String| {
        view! {
            <div data-testid=testid>
                <dt>{move || lang.get().pick(zh, en)}</dt>
                <dd>{value}</dd>
            </div>
        }
    };
    let summary = ctx.clone();
    view! {
        <article class="card">
            <OrderSummary current=Signal::derive(move || Some(summary.clone())) />
            <h2 class="card__title">{move || lang.get().pick("合计", "Totals")}</h2>
            <dl class="facts facts--totals" data-testid="totals">
                {fact("total-cap", "订单打款上限", "Order cap", format::money(m.order_cap))}
                {fact("total-counted", "已计入额度", "Counted", format::money(m.order_counted))}
                {fact("total-remaining", "剩余可打款", "Remaining", format::money(m.order_remaining))}
                {fact("total-succeeded", "打款成功", "Succeeded", format::money(succeeded))}
                {fact("total-awaiting", "待审核", "Awaiting approval", format::money(awaiting))}
                {fact("total-in-progress", "处理中", "In progress", format::money(in_flight))}
                {fact("total-failed", "打款失败（不计入）", "Failed (not counted)", format::money(failed))}
                {fact("total-rejected", "已驳回（不计入）", "Rejected (not counted)", format::money(rejected))}
                {fact("total-count", "计入笔数", "Counted payouts", format!("{} / {}", m.order_payout_count, ctx.policy.max_payouts_per_order))}
            </dl>
        </article>
        <section class="card" aria-labelledby="history-title">
            <h2 id="history-title" class="card__title">{move || lang.get().pick("打款历史", "Payout history")}</h2>
            {if details.is_empty() {
                view! { <Empty zh="该订单还没有打款" en="No payouts on this order yet" /> }.into_any()
            } else {
                view! {
                    <ol class="history" data-testid="history">
                        {details.into_iter().map(|d| view! { <HistoryItem d /> }).collect_view()}
                    </ol>
                }
                    .into_any()
            }}
        </section>
    }
}

#[component]
fn HistoryItem(d: PayoutDetail) -> impl IntoView {
    let lang = use_lang();
    let p = d.payout;
    let reason = (p.reason_name_zh.clone(), p.reason_name_en.clone());
    view! {
        <li class="history__item" data-testid="history-item" data-status=p.status.as_str()>
            <div class="history__head">
                <strong>{format::money(p.amount)}</strong>
                <span>{move || format::payout_type(lang.get(), p.payout_type)}</span>
                {move || {
                    format::reason_name(lang.get(), reason.0.as_deref(), reason.1.as_deref())
                        .map(|r| view! { <span class="muted" data-testid="reason-name">{r}</span> })
                }}
                <span class="muted">{move || format::account(lang.get(), p.source_account)}</span>
                <span class="muted">{p.operator.display_name.clone()}</span>
                <StatusBadge status=p.status stuck=p.stuck />
            </div>
            <PayoutInfo p=p.clone() />
            <ul class="events">
                {d
                    .events
                    .into_iter()
                    .map(|e| {
                        view! {
                            <li>
                                <span class="nowrap">{format::time(e.at)}</span>
                                " "
                                <StatusBadge status=e.status />
                                " "
                                <span class="muted"><Actor login=e.actor /></span>
                                {e.reason.map(|r| view! { <span data-testid="event-reason">" · " {move || format::event_reason(lang.get(), &r)}</span> })}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </li>
    }
}
