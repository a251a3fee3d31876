//! Payout workbench (售后 › 小额打款, SPEC §6.2) at `/payout?order=NO`: search an order, see it, why
//! it can or cannot take a payout, the live meters, and open the payout dialog.
//! `?again=ID` opens the dialog pre-filled from a failed payout ("pay again" in the records).

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;
use payout_core::api::{PayoutContext, PayoutDraft, PayoutStatus, PayoutView};
use payout_core::{check_payout, meters, Code, Meters, Money, Time};

use crate::api;
use crate::components::feedback::{Empty, ErrorView, Loading, NotAllowed, ProcessingWarning};
use crate::components::meter::MetersPanel;
use crate::components::payout_dialog::PayoutDialog;
use crate::components::status_badge::StatusBadge;
use crate::format::{self, ServerClock};
use crate::i18n::use_lang;
use crate::session::use_permissions;

#[component]
pub fn Workbench() -> impl IntoView {
    let permissions = use_permissions();
    view! {
        <Show when=move || permissions.get().payout fallback=NotAllowed>
            <WorkbenchScreen />
        </Show>
    }
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
    Effect::new(move |_| search.set(order.get()));

    let clock = ServerClock::new();
    // The context on screen. The first load goes through the resource (loading and error states);
    // later refreshes (after paying, while a payout settles) replace it quietly, without a jump.
    let current = RwSignal::new(None::<PayoutContext>);
    let dialog = RwSignal::new(None::<Option<PayoutView>>);
    let created = RwSignal::new(None::<PayoutView>);
    let context = LocalResource::new(move || {
        let order_no = order.get();
        async move {
            if order_no.is_empty() {
                Ok(None)
            } else {
                api::payout_context(&order_no).await.map(Some)
            }
        }
    });
    let refresh = move || {
        let order_no = order.get_untracked();
        if order_no.is_empty() {
            return;
        }
        spawn_local(async move {
            if let Ok(ctx) = api::payout_context(&order_no).await {
                if order.try_get_untracked().as_ref() == Some(&ctx.order.order_no) {
                    clock.sync(ctx.server_time);
                    current.try_set(Some(ctx));
                }
            }
        });
    };
    // Payouts that are not final yet settle by themselves: follow them until they do.
    if let Ok(handle) = set_interval_with_handle(
        move || {
            let unsettled = current
                .try_with_untracked(|c| {
                    c.as_ref().is_some_and(|c| c.payouts.iter().any(|p| !p.status.is_final()))
                })
                .unwrap_or(false);
            if unsettled {
                refresh();
            }
        },
        std::time::Duration::from_secs(2),
    ) {
        on_cleanup(move || handle.clear());
    }

    let go = {
        let navigate = navigate.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let wanted = search.get_untracked().trim().to_owned();
            created.set(None);
            if wanted == order.get_untracked() {
                context.refetch();
            } else {
                let href = format!("/payout?order={}", js_sys::encode_uri_component(&wanted));
                navigate(&href, NavigateOptions::default());
            }
        }
    };

    let loaded = move || {
        Suspend::new(async move {
            match context.await {
                Ok(None) => view! {
                    <Empty
                        zh="输入订单号并查询，查看订单与可打款额度"
                        en="Enter an order number to see the order and what it may receive"
                    />
                }
                .into_any(),
                Ok(Some(ctx)) => {
                    clock.sync(ctx.server_time);
                    if let Some(id) = again.get_untracked() {
                        let failed =
                            ctx.payouts.iter().find(|p| p.id == id && p.status == PayoutStatus::Failed);
                        if let Some(p) = failed {
                            dialog.set(Some(Some(p.clone())));
                        }
                    }
                    current.set(Some(ctx));
                    view! { <OrderView current now=clock.now() on_pay=move || dialog.set(Some(None)) /> }
                        .into_any()
                }
                Err(e) => view! { <ErrorView error=e on_retry=move || context.refetch() /> }.into_any(),
            }
        })
    };

    view! {
        <section class="page" aria-labelledby="workbench-title">
            <nav class="breadcrumb" aria-label=move || lang.get().pick("位置", "Breadcrumb")>
                <span>{move || lang.get().pick("售后", "After-sales")}</span>
                <span aria-hidden="true">" › "</span>
                <span aria-current="page">{move || lang.get().pick("小额打款", "Payout")}</span>
            </nav>
            <h1 id="workbench-title">{move || lang.get().pick("小额打款", "Small-amount payout")}</h1>
            <form class="search" role="search" on:submit=go>
                <label class="field__label" for="order-search">
                    {move || lang.get().pick("订单号", "Order number")}
                </label>
                <div class="search__row">
                    <input
                        id="order-search"
                        class="input"
                        data-testid="order-search"
                        type="search"
                        inputmode="numeric"
                        autocomplete="off"
                        placeholder=move || lang.get().pick("例如 6920241100000000001", "e.g. 6920241100000000001")
                        prop:value=move || search.get()
                        on:input=move |ev| search.set(event_target_value(&ev))
                    />
                    <button type="submit" class="btn btn--primary" data-testid="order-search-submit">
                        {move || lang.get().pick("查询", "Search")}
                    </button>
                </div>
            </form>
            <div aria-live="polite">
                {move || created.get().map(|p| view! { <SuccessNotice created=p current /> })}
            </div>
            <Transition fallback=Loading>{loaded}</Transition>
            {move || {
                dialog
                    .get()
                    .and_then(|prefill| {
                        let ctx = current.get_untracked()?;
                        Some(
                            view! {
                                <PayoutDialog
                                    ctx
                                    prefill=prefill
                                    now=clock.now()
                                    on_close=move || dialog.set(None)
                                    on_created=move |p: PayoutView| {
                                        dialog.set(None);
                                        created.set(Some(p));
                                        refresh();
                                    }
                                />
                            },
                        )
                    })
            }}
        </section>
    }
}

/// "发起打款成功" with the new record, whose status follows the refreshed context.
#[component]
fn SuccessNotice(created: PayoutView, current: RwSignal<Option<PayoutContext>>) -> impl IntoView {
    let lang = use_lang();
    let id = created.id;
    let status = Signal::derive(move || {
        current
            .with(|c| c.as_ref().and_then(|c| c.payouts.iter().find(|p| p.id == id).map(|p| p.status)))
            .unwrap_or(created.status)
    });
    view! {
        <div class="notice notice--success" role="status" data-testid="payout-success">
            <strong>{move || lang.get().pick("发起打款成功", "Payout initiated")}</strong>
            <span>
                {format!(" #{id} · ")} {format::money(created.amount)} " · "
                {move || format::payout_type(lang.get(), created.payout_type)} " · "
                {move || format::account(lang.get(), created.source_account)} " "
            </span>
            <StatusBadge status />
        </div>
    }
}

/// The loaded order: card, eligibility, meters, the order's payouts, and the pay button.
#[component]
fn OrderView(
    current: RwSignal<Option<PayoutContext>>,
    now: Signal<Time>,
    #[prop(into)] on_pay: Callback<()>,
) -> impl IntoView {
    let lang = use_lang();
    let ctx = move || current.get();
    // Why the order cannot take a payout right now: every violation not tied to a dialog field.
    let reasons = Memo::new(move |_| {
        current.with(|c| {
            c.as_ref()
                .map(|c| {
                    let probe = PayoutDraft { order_no: c.order.order_no.clone(), ..PayoutDraft::default() };
                    let mut v = check_payout(&c.policy, &c.facts, &probe, now.get());
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
    // The cooldown only delays: the dialog may be opened and filled in while it runs.
    let blocked = move || reasons.with(|r| r.iter().any(|v| v.code != Code::OrderCooldown));
    let processing = move || current.with(|c| c.as_ref().is_some_and(|c| c.facts.usage.has_processing));

    view! {
            <div class="order" data-testid="order-view">
                <article class="card" aria-labelledby="order-title">
                    <header class="card__header">
                        <h2 id="order-title" class="card__title">
                            {move || lang.get().pick("订单 ", "Order ")}
                            <span data-testid="order-no">{move || ctx().map(|c| c.order.order_no)}</span>
                        </h2>
                        <a
                            class="link"
                            href=move || ctx().map(|c| format!("/orders/{}", c.order.order_no))
                        >
                            {move || lang.get().pick("订单详情与打款历史", "Order detail and history")}
                        </a>
                    </header>
                    <dl class="facts">
                        <div>
                            <dt>{move || lang.get().pick("下单来源", "Source app")}</dt>
                            <dd data-testid="order-source">
                                {move || ctx().map(|c| format::source_app(lang.get(), &c.order.source_app))}
                            </dd>
                        </div>
                        <div>
                            <dt>{move || lang.get().pick("实付金额", "Paid")}</dt>
                            <dd data-testid="order-paid">{move || ctx().map(|c| format::money(c.order.paid_amount))}</dd>
                        </div>
                        <div>
                            <dt>{move || lang.get().pick("下单时间", "Ordered at")}</dt>
                            <dd>{move || ctx().map(|c| format::time(c.order.ordered_at))}</dd>
                        </div>
                        <div>
                            <dt>{move || lang.get().pick("支付方式", "Payment")}</dt>
                            <dd>
                                {move || {
                                    ctx()
                                        .map(|c| {
                                            let l = lang.get();
                                            let mut s = if c.order.online_paid {
                                                l.pick("在线支付", "Paid online")
                                            } else {
                                                l.pick("货到付款", "Cash on delivery")
                                            }
                                                .to_owned();
                                            if c.order.cross_border {
                                                s.push_str(l.pick(" · 跨境", " · cross-border"));
                                            }
                                            s
                                        })
                                }}
                            </dd>
                        </div>
                    </dl>
                    <div class="table-wrap">
                        <table class="table table--compact">
                            <caption class="sr-only">{move || lang.get().pick("商品明细", "Line items")}</caption>
                            <thead>
                                <tr>
                                    <th scope="col">{move || lang.get().pick("商品", "Product")}</th>
                                    <th scope="col">{move || lang.get().pick("商品单号", "Item")}</th>
                                    <th scope="col" class="num">{move || lang.get().pick("金额", "Amount")}</th>
                                </tr>
                            </thead>
                            <tbody>
                                {move || {
                                    ctx()
                                        .map(|c| {
                                            c.order
                                                .items
                                                .into_iter()
                                                .map(|i| {
                                                    view! {
                                                        <tr>
                                                            <td>{i.title}</td>
                                                            <td class="mono">{i.id}</td>
                                                            <td class="num">{format::money(i.amount)}</td>
                                                        </tr>
                                                    }
                                                })
                                                .collect_view()
                                        })
                                }}
                            </tbody>
                        </table>
                    </div>
                </article>

                <section class="card" aria-labelledby="eligibility-title" data-testid="eligibility">
                    <h2 id="eligibility-title" class="card__title">
                        {move || lang.get().pick("打款资格", "Eligibility")}
                    </h2>
                    <div aria-live="polite">
                        {move || {
                            let r = reasons.get();
                            if r.is_empty() {
                                view! {
                                    <p class="verdict verdict--ok" data-testid="eligible">
                                        {move || lang.get().pick("该订单可以发起小额打款", "This order can receive a payout")}
                                    </p>
                                }
                                    .into_any()
                            } else {
                                let l = lang.get();
                                view! {
                                    <ul class="reasons" data-testid="reasons">
                                        {r
                                            .into_iter()
                                            .map(|v| {
                                                view! {
                                                    <li class="reason" data-code=v.code.as_str()>
                                                        <span class="reason__rule">{v.rule.clone()}</span>
                                                        <span>{v.message(l.core_key()).to_owned()}</span>
                                                    </li>
                                                }
                                            })
                                            .collect_view()}
                                    </ul>
                                }
                                    .into_any()
                            }
                        }}
                    </div>
                    <Show when=processing>
    <ProcessingWarning />
    </Show>
                    <MetersPanel meters=live_meters operator_daily_limit=daily_limit />
                    <div class="actions">
                        <button
                            type="button"
                            class="btn btn--primary btn--large"
                            data-testid="open-payout"
                            disabled=blocked
                            aria-describedby="eligibility-title"
                            on:click=move |_| on_pay.run(())
                        >
                            {move || lang.get().pick("发起打款", "Pay")}
                        </button>
                    </div>
                </section>

                <section class="card" aria-labelledby="order-payouts-title">
                    <h2 id="order-payouts-title" class="card__title">
                        {move || lang.get().pick("该订单的打款", "Payouts on this order")}
                    </h2>
                    {move || {
                        let payouts = ctx().map(|c| c.payouts).unwrap_or_default();
                        if payouts.is_empty() {
                            view! { <Empty zh="该订单还没有打款" en="No payouts on this order yet" /> }.into_any()
                        } else {
                            view! { <OrderPayouts payouts /> }.into_any()
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

/// The order's payouts, newest first.
#[component]
fn OrderPayouts(payouts: Vec<PayoutView>) -> impl IntoView {
    let lang = use_lang();
    view! {
        <div class="table-wrap">
            <table class="table table--compact" data-testid="order-payouts">
                <thead>
                    <tr>
                        <th scope="col">{move || lang.get().pick("时间", "Time")}</th>
                        <th scope="col">{move || lang.get().pick("类型", "Type")}</th>
                        <th scope="col" class="num">{move || lang.get().pick("金额", "Amount")}</th>
                        <th scope="col">{move || lang.get().pick("操作人", "Operator")}</th>
                        <th scope="col">{move || lang.get().pick("状态", "Status")}</th>
                    </tr>
                </thead>
                <tbody>
                    {payouts
                        .into_iter()
                        .map(|p| {
                            view! {
                                <tr>
                                    <td class="nowrap">{format::time(p.created_at)}</td>
                                    <td>{move || format::payout_type(lang.get(), p.payout_type)}</td>
                                    <td class="num">{format::money(p.amount)}</td>
                                    <td>{p.operator.display_name.clone()}</td>
                                    <td>
                                        <StatusBadge status=p.status />
                                        {p.failure_reason.clone().map(|r| view! { <span class="muted">" " {r}</span> })}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}
