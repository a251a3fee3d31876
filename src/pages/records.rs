//! Payout records (打款记录, SPEC §6.3): the shop's payouts with filters kept in the URL, pages,
//! rows that follow their payout until it is final, "pay again" on failed rows and CSV export.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::params::ParamsMap;
use leptos_router::NavigateOptions;
use payout_core::api::{PayoutList, PayoutStatus, PayoutView};
use payout_core::PayoutType;

use crate::api::{self, PayoutFilter};
use crate::components::feedback::{Empty, ErrorView, Loading, NotAllowed};
use crate::components::status_badge::StatusBadge;
use crate::format;
use crate::i18n::use_lang;
use crate::session::use_permissions;

#[component]
pub fn Records() -> impl IntoView {
    let permissions = use_permissions();
    view! {
        <Show when=move || permissions.get().payout fallback=NotAllowed>
            <RecordsScreen />
        </Show>
    }
}

fn filter_from(query: &ParamsMap) -> PayoutFilter {
    let get = |k: &str| query.get(k).unwrap_or_default();
    PayoutFilter {
        order_no: get("order_no"),
        status: get("status"),
        payout_type: get("payout_type"),
        operator_id: get("operator_id"),
        from: get("from"),
        to: get("to"),
        page: get("page").parse().unwrap_or(1).max(1),
    }
}

#[component]
fn RecordsScreen() -> impl IntoView {
    let lang = use_lang();
    let query = use_query_map();
    let navigate = use_navigate();
    let filter = Memo::new(move |_| query.with(filter_from));

    // The form edits a copy; "查询" puts it in the URL, which is what loads.
    let form = RwSignal::new(filter.get_untracked());
    Effect::new(move |_| form.set(filter.get()));

    let list = LocalResource::new(move || {
        let f = filter.get();
        async move { api::payouts(&f).await }
    });
    let operators = LocalResource::new(api::operators);

    // Rows that are not final yet refresh by themselves until they are.
    if let Ok(handle) = set_interval_with_handle(
        move || {
            let unsettled = list
                .try_with_untracked(
                    |l| matches!(l, Some(Ok(l)) if l.items.iter().any(|p: &PayoutView| !p.status.is_final())),
                )
                .unwrap_or(false);
            if unsettled {
                list.refetch();
            }
        },
        std::time::Duration::from_secs(2),
    ) {
        on_cleanup(move || handle.clear());
    }

    let go = {
        let navigate = navigate.clone();
        move |f: PayoutFilter| {
            navigate(&format!("/records{}", f.query_string()), NavigateOptions::default());
        }
    };
    let apply = {
        let go = go.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            go(PayoutFilter { page: 1, ..form.get_untracked() });
        }
    };
    let reset = {
        let go = go.clone();
        move |_| go(PayoutFilter::default())
    };
    let to_page = Callback::new(move |page: u32| go(PayoutFilter { page, ..filter.get_untracked() }));

    let text_input = move |id: &'static str,
                           zh: &'static str,
                           en: &'static str,
                           kind: &'static str,
                           get: fn(&PayoutFilter) -> &String,
                           set: fn(&mut PayoutFilter, String)| {
        view! {
            <div class="field field--inline">
                <label class="field__label" for=id>{move || lang.get().pick(zh, en)}</label>
                <input
                    id=id
                    class="input"
                    type=kind
                    data-testid=id
                    prop:value=move || form.with(|f| get(f).clone())
                    on:input=move |ev| form.update(|f| set(f, event_target_value(&ev)))
                />
            </div>
        }
    };

    view! {
        <section class="page" aria-labelledby="records-title">
            <div class="page__head">
                <h1 id="records-title">{move || lang.get().pick("打款记录", "Payout records")}</h1>
                <a
                    class="btn"
                    data-testid="export-csv"
                    href=move || filter.with(|f| f.export_url())
                    download="payouts.csv"
                >
                    {move || lang.get().pick("导出 CSV", "Export CSV")}
                </a>
            </div>
            <form class="filters" on:submit=apply aria-label=move || lang.get().pick("筛选", "Filters")>
                {text_input("filter-order", "订单号", "Order number", "search", |f| &f.order_no, |f, v| f.order_no = v)}
                <div class="field field--inline">
                    <label class="field__label" for="filter-status">{move || lang.get().pick("状态", "Status")}</label>
                    <select
                        id="filter-status"
                        class="select"
                        data-testid="filter-status"
                        prop:value=move || form.with(|f| f.status.clone())
                        on:change=move |ev| form.update(|f| f.status = event_target_value(&ev))
                    >
                        <option value="">{move || lang.get().pick("全部", "All")}</option>
                        {PayoutStatus::ALL
                            .into_iter()
                            .map(|s| {
                                view! {
                                    <option value=s.as_str() selected=move || form.with(|f| f.status == s.as_str())>
                                        {move || format::status(lang.get(), s)}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </div>
                <div class="field field--inline">
                    <label class="field__label" for="filter-type">{move || lang.get().pick("打款类型", "Type")}</label>
                    <select
                        id="filter-type"
                        class="select"
                        data-testid="filter-type"
                        prop:value=move || form.with(|f| f.payout_type.clone())
                        on:change=move |ev| form.update(|f| f.payout_type = event_target_value(&ev))
                    >
                        <option value="">{move || lang.get().pick("全部", "All")}</option>
                        {PayoutType::ALL
                            .into_iter()
                            .map(|t| {
                                view! {
                                    <option value=t.as_str() selected=move || form.with(|f| f.payout_type == t.as_str())>
                                        {move || format::payout_type(lang.get(), t)}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </div>
                <div class="field field--inline">
                    <label class="field__label" for="filter-operator">{move || lang.get().pick("操作人", "Operator")}</label>
                    <select
                        id="filter-operator"
                        class="select"
                        data-testid="filter-operator"
                        prop:value=move || form.with(|f| f.operator_id.clone())
                        on:change=move |ev| form.update(|f| f.operator_id = event_target_value(&ev))
                    >
                        <option value="">{move || lang.get().pick("全部", "All")}</option>
                        <Transition>
                            {move || Suspend::new(async move {
                                operators
                                    .await
                                    .map(|ops| {
                                        ops.items
                                            .into_iter()
                                            .map(|o| {
                                                let id = o.id.to_string();
                                                let selected = {
                                                    let id = id.clone();
                                                    move || form.with(|f| f.operator_id == id)
                                                };
                                                view! {
                                                    <option value=id selected=selected>
                                                        {format!("{}（{}）", o.display_name, o.username)}
                                                    </option>
                                                }
                                            })
                                            .collect_view()
                                    })
                                    .ok()
                            })}
                        </Transition>
                    </select>
                </div>
                {text_input("filter-from", "开始日期", "From", "date", |f| &f.from, |f, v| f.from = v)}
                {text_input("filter-to", "结束日期", "To", "date", |f| &f.to, |f, v| f.to = v)}
                <div class="filters__actions">
                    <button type="submit" class="btn btn--primary" data-testid="filter-apply">
                        {move || lang.get().pick("查询", "Search")}
                    </button>
                    <button type="button" class="btn" on:click=reset>
                        {move || lang.get().pick("重置", "Reset")}
                    </button>
                </div>
            </form>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(l) if l.items.is_empty() => {
                            view! { <Empty zh="没有符合条件的打款记录" en="No payouts match these filters" /> }.into_any()
                        }
                        Ok(l) => view! { <RecordsTable list=l to_page /> }.into_any(),
                        Err(e) => view! { <ErrorView error=e on_retry=move || list.refetch() /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn RecordsTable(list: PayoutList, to_page: Callback<u32>) -> impl IntoView {
    let lang = use_lang();
    let pages = list.total.div_ceil(u64::from(list.per_page.max(1))).max(1) as u32;
    let page = list.page.max(1);
    let total = list.total;
    let th = move |zh: &'static str, en: &'static str| view! { <th scope="col">{move || lang.get().pick(zh, en)}</th> };
    view! {
        <div class="table-wrap" tabindex="0" role="region" aria-labelledby="records-title">
            <table class="table" data-testid="records-table">
                <thead>
                    <tr>
                        {th("时间", "Time")}
                        {th("订单号", "Order")}
                        {th("类型", "Type")}
                        <th scope="col" class="num">{move || lang.get().pick("金额", "Amount")}</th>
                        {th("出款账户", "Source account")}
                        {th("操作人", "Operator")}
                        {th("状态", "Status")}
                        {th("失败原因", "Failure reason")}
                        {th("操作", "Actions")}
                    </tr>
                </thead>
                <tbody>
                    {list.items.into_iter().map(|p| view! { <RecordRow p /> }).collect_view()}
                </tbody>
            </table>
        </div>
        <nav class="pager" aria-label=move || lang.get().pick("分页", "Pages")>
            <button
                type="button"
                class="btn"
                data-testid="page-prev"
                disabled={ page <= 1 }
                on:click=move |_| to_page.run(page - 1)
            >
                {move || lang.get().pick("上一页", "Previous")}
            </button>
            <span class="pager__info" data-testid="page-info">
                {move || match lang.get() {
                    crate::i18n::Lang::Zh => format!("第 {page} / {pages} 页 · 共 {total} 条"),
                    crate::i18n::Lang::En => format!("Page {page} of {pages} · {total} payouts"),
                }}
            </span>
            <button
                type="button"
                class="btn"
                data-testid="page-next"
                disabled={ page >= pages }
                on:click=move |_| to_page.run(page + 1)
            >
                {move || lang.get().pick("下一页", "Next")}
            </button>
        </nav>
    }
}

#[component]
fn RecordRow(p: PayoutView) -> impl IntoView {
    let lang = use_lang();
    let order_href = format!("/orders/{}", p.order_no);
    let again =
        (p.status == PayoutStatus::Failed).then(|| format!("/payout?order={}&again={}", p.order_no, p.id));
    view! {
        <tr data-testid="record-row" data-status=p.status.as_str()>
            <td class="nowrap">{format::time(p.created_at)}</td>
            <td class="mono">
                <a class="link" href=order_href>{p.order_no.clone()}</a>
            </td>
            <td>{move || format::payout_type(lang.get(), p.payout_type)}</td>
            <td class="num">{format::money(p.amount)}</td>
            <td>{move || format::account(lang.get(), p.source_account)}</td>
            <td>{p.operator.display_name.clone()}</td>
            <td>
                <StatusBadge status=p.status />
            </td>
            <td class="reason-cell">{p.failure_reason.clone().unwrap_or_default()}</td>
            <td>
                {again
                    .map(|href| {
                        view! {
                            <a class="link" href=href data-testid="pay-again">
                                {move || lang.get().pick("再次打款", "Pay again")}
                            </a>
                        }
                    })}
            </td>
        </tr>
    }
}
