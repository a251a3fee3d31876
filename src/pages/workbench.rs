//! Payout workbench (售后 › 小额打款, SPEC §6.2) at `/payout?order=NO`: search an order, see it, why
//! it can or cannot take a payout, the live meters, and open the payout dialog.
//! `?again=ID` opens the dialog pre-filled from a failed payout ("pay again" in the records).
//!
//! One source of truth: the order's context is one resource keyed on the order in the address bar
//! and on the payout action's `version()`. Every part of the screen reads it; nothing copies it.
//! An answer that belongs to another order than the address bar's is never shown, so while the
//! next order loads, the previous one is gone and cannot be paid.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;
use payout_core::api::{PayoutContext, PayoutDraft, PayoutStatus, PayoutView};
use payout_core::{check_draft, meters, Code, Meters, Money, Time};

use crate::api::{self, ApiError};
use crate::components::button::Button;
use crate::components::feedback::{Empty, ErrorView, Gate, Loading, ProcessingWarning, StuckWarning};
use crate::components::meter::MetersPanel;
use crate::components::order_summary::OrderSummary;
use crate::components::payout_dialog::{PayoutDialog, StaleAttemptNotice, Submitter};
use crate::components::payout_info::Requery;
use crate::components::payout_table::{PayoutTable, RowActions};
use crate::components::status_badge::StatusBadge;
use crate::format::{self, ServerClock};
use crate::i18n::{use_lang, Lang};

#[component]
pub fn Workbench() -> impl IntoView {
    view! {
        <Gate allow=|p| p.payout>
            <WorkbenchScreen />
        </Gate>
    }
}

/// What the resource answered, and for which order.
#[derive(Clone, Debug, PartialEq)]
struct Loaded {
    order_no: String,
    result: Result<PayoutContext, ApiError>,
}

/// What the screen shows below the search box.
#[derive(Clone, Debug, PartialEq)]
enum Phase {
    /// No order asked for yet.
    Start,
    /// The address bar holds something that is not an order number.
    Invalid,
    Loading,
    Ready,
    Failed(ApiError),
}

#[component]
fn WorkbenchScreen() -> impl IntoView {
    let lang = use_lang();
    let query = use_query_map();
    let navigate = use_navigate();
    let order =
        Memo::new(move |_| query.read().get("order").map(|o| o.trim().to_owned()).unwrap_or_default());
    let again = Memo::new(move |_| query.read().get("again").and_then(|a| a.parse::<i64>().ok()));

    let search = RwSignal::new(order.get_untracked());
    let search_error = RwSignal::new(false);
    Effect::watch(
        move || order.get(),
        move |o, _, _| {
            search.set(o.clone());
            search_error.set(false);
        },
        false,
    );

    let clock = ServerClock::new();
    // The app's submitter: a submission without a definite answer survives leaving this page.
    let submitter = use_context::<Submitter>().unwrap_or_default();
    let requery = Requery::provide();
    let context = LocalResource::new(move || {
        let order_no = order.get();
        submitter.action.version().track();
        requery.action.version().track();
        async move {
            format::order_no(&order_no)?;
            let result = api::payout_context(&order_no).await;
            Some(Loaded { order_no, result })
        }
    });
    // The context of the order in the address bar, once loaded (`None` while another order's is
    // the latest answer).
    let current = Memo::new(move |_| {
        let wanted = order.get();
        context.with(|l| match l {
            Some(Some(Loaded { order_no, result: Ok(ctx) })) if *order_no == wanted => Some(ctx.clone()),
            _ => None,
        })
    });
    let phase = Memo::new(move |_| {
        let wanted = order.get();
        if wanted.is_empty() {
            return Phase::Start;
        }
        if format::order_no(&wanted).is_none() {
            return Phase::Invalid;
        }
        context.with(|l| match l {
            Some(Some(Loaded { order_no, result })) if *order_no == wanted => match result {
                Ok(_) => Phase::Ready,
                Err(e) => Phase::Failed(e.clone()),
            },
            _ => Phase::Loading,
        })
    });
    Effect::new(move |_| {
        if let Some(t) = current.with(|c| c.as_ref().map(|c| c.server_time)) {
            clock.sync(t);
        }
    });
    // Payouts that are not final yet settle by themselves: follow them until they do.
    if let Ok(handle) = set_interval_with_handle(
        move || {
            let unsettled = current
                .try_with_untracked(|c| {
                    c.as_ref().is_some_and(|c| c.payouts.iter().any(|p| !p.status.is_final()))
                })
                .unwrap_or(false);
            if unsettled {
                context.refetch();
            }
        },
        std::time::Duration::from_secs(2),
    ) {
        on_cleanup(move || handle.clear());
    }

    // The open dialog (with the failed payout it starts from) and the last payout made here.
    let dialog = RwSignal::new(None::<Option<PayoutView>>);
    let created = RwSignal::new(None::<PayoutView>);
    Effect::watch(
        move || order.get(),
        move |_, _, _| {
            dialog.set(None);
            created.set(None);
        },
        false,
    );
    // `?again=ID` opens the dialog once, when the order with that failed payout is on screen.
    let again_done = StoredValue::new(None::<(String, i64)>);
    Effect::new(move |_| {
        let (Some(id), Some(ctx)) = (again.get(), current.get()) else { return };
        let key = (ctx.order.order_no.clone(), id);
        if again_done.with_value(|d| d.as_ref() == Some(&key)) {
            return;
        }
        again_done.set_value(Some(key));
        if let Some(p) = ctx.payouts.iter().find(|p| p.id == id && p.status == PayoutStatus::Failed) {
            dialog.set(Some(Some(p.clone())));
        }
    });

    let go = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(wanted) = format::order_no(&search.get_untracked()) else {
            search_error.set(true);
            return;
        };
        search_error.set(false);
        created.set(None);
        if wanted == order.get_untracked() {
            context.refetch();
        } else {
            navigate(&format!("/payout?order={wanted}"), NavigateOptions::default());
        }
    };

    view! {
        <section class="page" aria-labelledby="workbench-title">
            <nav class="breadcrumb" aria-label=move || lang.get().pick("位置", "Breadcrumb")>
                <span>{move || lang.get().pick("售后", "After-sales")}</span>
                <span aria-hidden="true">" › "</span>
                <span aria-current="page">{move || lang.get().pick("小额打款", "Payout")}</span>
            </nav>
            <h1 id="workbench-title">{move || lang.get().pick("小额打款", "Small-amount payout")}</h1>
            <form class="search" role="search" novalidate on:submit=go>
                <label class="field__label" for="order-search">
                    {move || lang.get().pick("订单号", "Order number")}
                </label>
                <div class="search__row">
                    <input
                        id="order-search"
                        class="input"
                        class:input--invalid=move || search_error.get()
                        data-testid="order-search"
                        type="search"
                        inputmode="numeric"
                        autocomplete="off"
                        maxlength="40"
                        aria-invalid=move || search_error.get().to_string()
                        aria-describedby="order-search-error"
                        placeholder=move || lang.get().pick("19 位数字，例如 6920241100000000001", "19 digits, e.g. 6920241100000000001")
                        prop:value=move || search.get()
                        on:input=move |ev| {
                            search.set(event_target_value(&ev));
                            search_error.set(false);
                        }
                    />
                    <Button label=("查询", "Search") class="btn--primary" submit=true testid="order-search-submit" />
                </div>
                <p id="order-search-error" class="field__error" data-testid="order-search-error" aria-live="polite">
                    {move || search_error.get().then(|| invalid_order_text(lang.get()))}
                </p>
            </form>
            <div aria-live="polite">
                {move || {
                    created
                        .get()
                        .filter(|p| p.order_no == order.get())
                        .map(|p| view! { <CreatedNotice created=p current on_again=move |p| dialog.set(Some(Some(p))) /> })
                }}
            </div>
            {move || match phase.get() {
                Phase::Start => view! {
                    <Empty
                        zh="输入订单号并查询，查看订单与可打款额度"
                        en="Enter an order number to see the order and what it may receive"
                    />
                }
                .into_any(),
                Phase::Invalid => view! {
                    <div class="state state--error" role="alert" data-testid="order-invalid">
                        <p class="state__title">{move || invalid_order_text(lang.get())}</p>
                    </div>
                }
                .into_any(),
                Phase::Loading => view! { <Loading testid="order-loading" /> }.into_any(),
                Phase::Failed(e) => view! { <ErrorView error=e on_retry=move || context.refetch() /> }.into_any(),
                Phase::Ready => view! {
                    <OrderView current now=clock.now() submitter on_pay=move |p| dialog.set(Some(p)) />
                }
                .into_any(),
            }}
            {move || {
                let prefill = dialog.get()?;
                let ctx = current.get_untracked()?;
                Some(view! {
                    <PayoutDialog
                        ctx
                        prefill
                        now=clock.now()
                        submitter
                        on_close=move || dialog.set(None)
                        on_created=move |p: PayoutView| {
                            dialog.set(None);
                            created.set(Some(p));
                        }
                    />
                })
            }}
        </section>
    }
}

fn invalid_order_text(lang: Lang) -> &'static str {
    lang.pick(
        "订单号应为 19 位数字，请检查后重新输入",
        "An order number is 19 digits; check it and try again",
    )
}

/// The payout just made, following its status: success while it is on its way or paid, and a
/// failure (with the reason and "pay again") when the rail refused it.
#[component]
fn CreatedNotice(
    created: PayoutView,
    current: Memo<Option<PayoutContext>>,
    #[prop(into)] on_again: Callback<PayoutView>,
) -> impl IntoView {
    let lang = use_lang();
    let id = created.id;
    let latest = {
        let created = created.clone();
        Memo::new(move |_| {
            current
                .with(|c| c.as_ref().and_then(|c| c.payouts.iter().find(|p| p.id == id).cloned()))
                .unwrap_or_else(|| created.clone())
        })
    };
    let status = Signal::derive(move || latest.with(|p| p.status));
    let stuck = Signal::derive(move || latest.with(|p| p.stuck));
    let failed = move || status.get() == PayoutStatus::Failed;
    let bad = move || matches!(status.get(), PayoutStatus::Failed | PayoutStatus::Rejected);
    view! {
        <div
            class="notice"
            class:notice--success=move || !bad()
            class:notice--error=bad
            role="status"
            data-testid=move || match status.get() {
                PayoutStatus::Failed => "payout-failed",
                PayoutStatus::Rejected => "payout-rejected",
                _ => "payout-success",
            }
        >
            <strong>
                {move || {
                    let l = lang.get();
                    match status.get() {
                        PayoutStatus::Failed => l.pick("打款失败", "Payout failed"),
                        PayoutStatus::Rejected => l.pick("主账号已驳回该打款", "The main account rejected this payout"),
                        PayoutStatus::AwaitingApproval => {
                            l.pick("已提交，等待主账号审核", "Submitted; waiting for the main account's approval")
                        }
                        _ => l.pick("发起打款成功", "Payout initiated"),
                    }
                }}
            </strong>
            <span>
                {format!(" #{id} · ")} {format::money(created.amount)} " · "
                {move || format::payout_type(lang.get(), created.payout_type)} " · "
                {move || format::account(lang.get(), created.source_account)} " "
            </span>
            <StatusBadge status stuck />
            {move || {
                latest
                    .get()
                    .failure_reason
                    .filter(|_| failed())
                    .map(|r| view! { <span class="notice__reason">{move || format::reason(lang.get(), &r)}</span> })
            }}
            {move || {
                latest
                    .get()
                    .reject_reason
                    .map(|r| view! { <span class="notice__reason" data-testid="notice-reject-reason">{move || format::reject_reason(lang.get(), &r)}</span> })
            }}
            <Show when=failed>
                <Button
                    label=("再次打款", "Pay again")
                    class="btn--small"
                    testid="notice-pay-again"
                    on_click=move || on_again.run(latest.get_untracked())
                />
            </Show>
        </div>
    }
}

/// Eligibility problems (R-P, R-E): the order cannot be paid at all, so its meters mean nothing.
fn is_eligibility(rule: &str) -> bool {
    rule.starts_with("R-E") || rule.starts_with("R-P")
}

/// The loaded order: card, eligibility, meters, the order's payouts, and the pay button.
#[component]
fn OrderView(
    current: Memo<Option<PayoutContext>>,
    now: Signal<Time>,
    submitter: Submitter,
    /// Opens the dialog, pre-filled from a failed payout when given.
    #[prop(into)]
    on_pay: Callback<Option<PayoutView>>,
) -> impl IntoView {
    let lang = use_lang();
    let ctx = move || current.get();
    // Every violation not tied to a dialog field: why the order cannot take a payout right now.
    let reasons = Memo::new(move |_| {
        current.with(|c| {
            c.as_ref()
                .map(|c| {
                    let probe = PayoutDraft { order_no: c.order.order_no.clone(), ..PayoutDraft::default() };
                    let mut v = check_draft(&c.policy, &c.facts, &probe, now.get());
                    v.retain(|v| v.field.is_none());
                    v
                })
                .unwrap_or_default()
        })
    });
    let live_meters = Signal::derive(move || {
        current.with(|c| c.as_ref().map(|c| meters(&c.policy, &c.facts, now.get()))).unwrap_or_else(no_meters)
    });
    let daily_limit =
        Signal::derive(move || current.with(|c| c.as_ref().and_then(|c| c.facts.operator.daily_limit)));
    let hard = Memo::new(move |_| {
        reasons.with(|r| r.iter().filter(|v| v.code != Code::OrderCooldown).cloned().collect::<Vec<_>>())
    });
    let ineligible = move || hard.with(|r| r.iter().any(|v| is_eligibility(&v.rule)));
    let cooldown = move || live_meters.with(|m| m.cooldown_seconds_left);
    let processing = move || current.with(|c| c.as_ref().is_some_and(|c| c.facts.usage.has_processing));
    let stuck = move || current.with(|c| c.as_ref().is_some_and(|c| c.payouts.iter().any(|p| p.stuck)));
    // A submission too old to send again is discarded here too (the server's clock), and said so.
    Effect::new(move |_| submitter.retire_stale(now.get()));
    let unresolved = move || {
        current.with(|c| c.as_ref().and_then(|c| submitter.unresolved_for(&c.order.order_no))).is_some()
    };
    let stale_order = move || {
        current.with(|c| {
            c.as_ref().map(|c| c.order.order_no.clone()).filter(|o| submitter.stale_for(o).is_some())
        })
    };
    // A submission with no answer yet must stay reachable to be confirmed, whatever the order shows.
    let can_pay = move || unresolved() || (hard.with(Vec::is_empty) && cooldown() == 0);

    view! {
        <div class="order" data-testid="order-view">
            <article class="card order__card" aria-labelledby="order-title">
                <header class="card__header">
                    <h2 id="order-title" class="card__title">
                        {move || lang.get().pick("订单 ", "Order ")}
                        <span class="mono" data-testid="order-no">{move || ctx().map(|c| c.order.order_no)}</span>
                    </h2>
                    <a class="link" href=move || ctx().map(|c| format!("/orders/{}", c.order.order_no))>
                        {move || lang.get().pick("订单详情与打款历史", "Order detail and history")}
                    </a>
                </header>
                <OrderSummary current />
            </article>

            <section class="card" aria-labelledby="eligibility-title" data-testid="eligibility">
                <h2 id="eligibility-title" class="card__title">
                    {move || lang.get().pick("打款资格", "Eligibility")}
                </h2>
                <div aria-live="polite">
                    {move || {
                        let l = lang.get();
                        let r = hard.get();
                        if !r.is_empty() {
                            view! {
                                <ul class="reasons" data-testid="reasons">
                                    {r
                                        .into_iter()
                                        .map(|v| {
                                            view! {
                                                <li class="reason" data-code=v.code.as_str()>
                                                    {format::amounts_in(v.message(l.core_key()))}
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                            }
                                .into_any()
                        } else if cooldown() > 0 {
                            let s = cooldown();
                            // The deployment's cooldown (SPEC §3), not a number written here.
                            let gap = current.with(|c| c.as_ref().map_or(0, |c| c.policy.cooldown_seconds));
                            view! {
                                <p class="verdict verdict--wait" data-testid="cooldown-notice">
                                    {match l {
                                        Lang::Zh => format!("同一订单两次打款需间隔 {gap} 秒，请 {s} 秒后再打款"),
                                        Lang::En => format!("Two payouts on one order must be {gap} s apart; pay again in {s} s"),
                                    }}
                                </p>
                            }
                                .into_any()
                        } else if stuck() {
                            // A stuck payout may still arrive: no all-clear above its warning.
                            ().into_any()
                        } else {
                            view! {
                                <p class="verdict verdict--ok" data-testid="eligible">
                                    {l.pick("该订单可以发起小额打款", "This order can receive a payout")}
                                </p>
                            }
                                .into_any()
                        }
                    }}
                </div>
                <Show when=stuck>
                    <StuckWarning />
                </Show>
                <Show when=move || processing() && !stuck()>
                    <ProcessingWarning />
                </Show>
                {move || stale_order().map(|order_no| view! { <StaleAttemptNotice order_no /> })}
                <Show when=unresolved>
                    <p class="notice notice--warn" data-testid="unresolved-order">
                        {move || {
                            lang.get()
                                .pick(
                                    "该订单有一次提交还没有明确结果，请打开打款窗口重新提交以确认。",
                                    "A submission on this order has no definite answer yet; open the payout window and submit again to confirm it.",
                                )
                        }}
                    </p>
                </Show>
                <Show when=move || !ineligible()>
                    <MetersPanel meters=live_meters operator_daily_limit=daily_limit />
                </Show>
                <div class="actions">
                    // A stuck payout may still arrive: paying again is possible but not invited.
                    <button
                        type="button"
                        class="btn btn--large"
                        class:btn--primary=move || !stuck()
                        data-testid="open-payout"
                        disabled=move || !can_pay()
                        aria-describedby="eligibility-title"
                        on:click=move |_| on_pay.run(None)
                    >
                        {move || {
                            let l = lang.get();
                            if unresolved() {
                                l.pick("确认上次提交", "Confirm the last submission").to_owned()
                            } else if stuck() && can_pay() {
                                l.pick("仍要发起打款", "Pay anyway").to_owned()
                            } else if hard.with(Vec::is_empty) && cooldown() > 0 {
                                match l {
                                    Lang::Zh => format!("{} 秒后可打款", cooldown()),
                                    Lang::En => format!("Pay in {} s", cooldown()),
                                }
                            } else {
                                l.pick("发起打款", "Pay").to_owned()
                            }
                        }}
                    </button>
                </div>
            </section>

            <section class="card order__payouts" aria-labelledby="order-payouts-title">
                <h2 id="order-payouts-title" class="card__title">
                    {move || lang.get().pick("该订单的打款", "Payouts on this order")}
                </h2>
                {move || {
                    let payouts = ctx().map(|c| c.payouts).unwrap_or_default();
                    if payouts.is_empty() {
                        view! { <Empty zh="该订单还没有打款" en="No payouts on this order yet" /> }.into_any()
                    } else {
                        view! { <OrderPayouts payouts can_pay=Signal::derive(can_pay) on_again=on_pay /> }.into_any()
                    }
                }}
            </section>
        </div>
    }
}

/// Only while nothing is loaded (never on screen): keeps the meters signal total.
fn no_meters() -> Meters {
    Meters {
        order_cap: Money::ZERO,
        order_counted: Money::ZERO,
        order_remaining: Money::ZERO,
        order_payout_count: 0,
        order_payouts_left: 0,
        cooldown_seconds_left: 0,
        operator_daily_remaining: None,
        operator_per_payout_limit: None,
        shop_daily_cap: Money::ZERO,
        shop_daily_remaining: Money::ZERO,
    }
}

/// The order's payouts, newest first; a failed one may be paid again.
#[component]
fn OrderPayouts(
    payouts: Vec<PayoutView>,
    can_pay: Signal<bool>,
    on_again: Callback<Option<PayoutView>>,
) -> impl IntoView {
    let actions: RowActions = std::sync::Arc::new(move |p: &PayoutView| {
        (p.status == PayoutStatus::Failed).then(|| {
            let again = p.clone();
            view! {
                <Button
                    label=("再次打款", "Pay again")
                    class="btn--small"
                    testid="pay-again"
                    disabled=Signal::derive(move || !can_pay.get())
                    on_click=move || on_again.run(Some(again.clone()))
                />
            }
            .into_any()
        })
    });
    view! {
        <PayoutTable
            payouts
            testid="order-payouts"
            row_testid="order-payout-row"
            labelled_by="order-payouts-title"
            actions
        />
    }
}
