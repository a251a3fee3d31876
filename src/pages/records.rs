//! Payout records (打款记录, SPEC §6.3, §11): the shop's payouts with filters kept in the URL, pages,
//! rows that follow their payout until it is final, "pay again" on failed rows and CSV export.
//! Each row shows its reason, buyer message and internal note apart, the approval decision and,
//! for a stuck payout, the advice not to pay again (the main account may ask the rail again).

use std::sync::Arc;

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::params::ParamsMap;
use leptos_router::NavigateOptions;
use payout_core::api::{PayoutList, PayoutStatus, PayoutView};
use payout_core::PayoutType;

use crate::api::{self, PayoutFilter};
use crate::components::button::Button;
use crate::components::feedback::{Empty, ErrorView, Gate, Loading};
use crate::components::field::{SelectField, TextField};
use crate::components::pager::Pager;
use crate::components::payout_info::Requery;
use crate::components::payout_table::{PayoutTable, RowActions};
use crate::format;
use crate::i18n::{use_lang, Lang};

#[component]
pub fn Records() -> impl IntoView {
    view! {
        <Gate allow=|p| p.payout>
            <RecordsScreen />
        </Gate>
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
        cursor: get("cursor"),
    }
}

#[component]
fn RecordsScreen() -> impl IntoView {
    let lang = use_lang();
    let query = use_query_map();
    let navigate = use_navigate();
    let filter = Memo::new(move |_| query.with(filter_from));

    // The form is a draft of the filter, one signal per field, reset from the URL whenever that
    // changes; "查询" puts it in the URL, which is what loads.
    let field = move |get: fn(&PayoutFilter) -> String| {
        let value = RwSignal::new(filter.with_untracked(get));
        Effect::watch(move || filter.with(get), move |v, _, _| value.set(v.clone()), false);
        value
    };
    let order_no = field(|f| f.order_no.clone());
    let status = field(|f| f.status.clone());
    let payout_type = field(|f| f.payout_type.clone());
    let operator = field(|f| f.operator_id.clone());
    let from = field(|f| f.from.clone());
    let to = field(|f| f.to.clone());
    let form = move || PayoutFilter {
        order_no: order_no.get_untracked(),
        status: status.get_untracked(),
        payout_type: payout_type.get_untracked(),
        operator_id: operator.get_untracked(),
        from: from.get_untracked().trim().to_owned(),
        to: to.get_untracked().trim().to_owned(),
        page: 1,
        cursor: String::new(),
    };

    let requery = Requery::provide();
    let list = LocalResource::new(move || {
        let f = filter.get();
        requery.action.version().track();
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
    let reset = {
        let go = go.clone();
        move |_| go(PayoutFilter::default())
    };
    // Pages go by the cursors the list hands on (as fast on page 2,000 as on page 2); back to the
    // first page is the plain list.
    let to_page = {
        let go = go.clone();
        Callback::new(move |(page, cursor): (u32, String)| {
            let cursor = if page <= 1 { String::new() } else { cursor };
            go(PayoutFilter { page: page.max(1), cursor, ..filter.get_untracked() })
        })
    };

    // Dates are typed as YYYY-MM-DD in every language (the browser's date picker would follow the
    // browser's locale, not the console's), and checked here before anything is asked.
    let date_errors = move |value: RwSignal<String>| {
        Signal::derive(move || {
            let l = lang.get();
            value.with(|text| {
                let text = text.trim();
                if text.is_empty() || format::is_date(text) {
                    vec![]
                } else {
                    vec![l
                        .pick("请按 年-月-日 填写，例如 2026-11-24", "Use year-month-day, e.g. 2026-11-24")
                        .to_owned()]
                }
            })
        })
    };
    let from_errors = date_errors(from);
    let to_errors = Signal::derive(move || {
        let mut e = date_errors(to).get();
        let (from, to) = (from.get().trim().to_owned(), to.get().trim().to_owned());
        if e.is_empty() && format::is_date(&from) && format::is_date(&to) && to < from {
            e.push(
                lang.get()
                    .pick("结束日期不能早于开始日期", "The end date is before the start date")
                    .to_owned(),
            );
        }
        e
    });
    let order_errors = Signal::derive(move || {
        let text = order_no.get().trim().to_owned();
        if text.is_empty() || format::order_no(&text).is_some() {
            vec![]
        } else {
            vec![lang.get().pick("订单号应为 19 位数字", "An order number is 19 digits").to_owned()]
        }
    });
    let apply = {
        let go = go.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            if !order_errors.get_untracked().is_empty()
                || !from_errors.get_untracked().is_empty()
                || !to_errors.get_untracked().is_empty()
            {
                return;
            }
            let mut f = form();
            f.order_no = format::order_no(&f.order_no).unwrap_or_default();
            go(f);
        }
    };
    let all = move || (String::new(), lang.get().pick("全部", "All").to_owned());
    let status_options = Signal::derive(move || {
        let l = lang.get();
        std::iter::once(all())
            .chain(
                PayoutStatus::ALL
                    .into_iter()
                    .map(|s| (s.as_str().to_owned(), format::status(l, s).to_owned())),
            )
            .collect::<Vec<_>>()
    });
    let type_options = Signal::derive(move || {
        let l = lang.get();
        std::iter::once(all())
            .chain(
                PayoutType::ALL
                    .into_iter()
                    .map(|t| (t.as_str().to_owned(), format::payout_type(l, t).to_owned())),
            )
            .collect::<Vec<_>>()
    });
    let operator_options = Signal::derive(move || {
        let ops = operators.get().and_then(Result::ok).map(|o| o.items).unwrap_or_default();
        let l = lang.get();
        std::iter::once(all())
            .chain(ops.into_iter().map(|o| {
                let text = match l {
                    Lang::Zh => format!("{}（{}）", o.display_name, o.username),
                    Lang::En => format!("{} ({})", o.display_name, o.username),
                };
                (o.id.to_string(), text)
            }))
            .collect::<Vec<_>>()
    });
    let label =
        move |zh: &'static str, en: &'static str| Signal::derive(move || lang.get().pick(zh, en).to_owned());
    let date_placeholder = Signal::derive(|| "YYYY-MM-DD".to_owned());
    let loading = RwSignal::new(false);

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
            <form class="filters" novalidate on:submit=apply aria-label=move || lang.get().pick("筛选", "Filters")>
                <TextField id="filter-order" label=label("订单号", "Order number") value=order_no errors=order_errors inputmode="numeric" kind="search" />
                <SelectField id="filter-status" label=label("状态", "Status") value=status options=status_options />
                <SelectField id="filter-type" label=label("打款类型", "Type") value=payout_type options=type_options />
                <SelectField id="filter-operator" label=label("操作人", "Operator") value=operator options=operator_options />
                <TextField id="filter-from" label=label("开始日期", "From") value=from errors=from_errors inputmode="numeric" placeholder=date_placeholder maxlength=10 />
                <TextField id="filter-to" label=label("结束日期", "To") value=to errors=to_errors inputmode="numeric" placeholder=date_placeholder maxlength=10 />
                <div class="filters__actions">
                    <Button label=("查询", "Search") class="btn--primary" submit=true testid="filter-apply" />
                    <button type="button" class="btn" on:click=reset>
                        {move || lang.get().pick("重置", "Reset")}
                    </button>
                </div>
            </form>
            <div class="loading-line" class:loading-line--on=move || loading.get() role="status" aria-live="polite" data-testid="records-loading">
                {move || loading.get().then(|| lang.get().pick("正在加载…", "Loading…"))}
            </div>
            <Transition fallback=|| view! { <Loading /> } set_pending=loading.write_only()>
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
fn RecordsTable(list: PayoutList, to_page: Callback<(u32, String)>) -> impl IntoView {
    let lang = use_lang();
    let (prev, next) = (list.prev_cursor.clone(), list.next_cursor.clone());
    // A failed row offers "pay again", which opens the workbench's dialog pre-filled.
    let actions: RowActions = Arc::new(move |p: &PayoutView| {
        (p.status == PayoutStatus::Failed).then(|| {
            let href = format!("/payout?order={}&again={}", p.order_no, p.id);
            view! {
                <a class="btn btn--small" href=href data-testid="pay-again">
                    {move || lang.get().pick("再次打款", "Pay again")}
                </a>
            }
            .into_any()
        })
    });
    view! {
        <PayoutTable
            payouts=list.items
            testid="records-table"
            row_testid="record-row"
            labelled_by="records-title"
            with_order=true
            actions
        />
        <Pager
            page=list.page
            per_page=list.per_page
            total=list.total
            total_exact=list.total_exact
            has_prev=list.prev_cursor.is_some()
            has_next=list.next_cursor.is_some()
            on_prev=move |()| to_page.run((list.page.saturating_sub(1), prev.clone().unwrap_or_default()))
            on_next=move |()| to_page.run((list.page + 1, next.clone().unwrap_or_default()))
        />
    }
}
