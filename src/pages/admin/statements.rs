//! The daily statement (对账单, SPEC §11.5, main account) at `/statements?date=YYYY-MM-DD` (default:
//! today in UTC+08:00): the day's totals, the same payouts grouped by status, type, reason, source
//! account and operator (count, amount, and what of it succeeded), a link to that day's records and
//! the CSV download. The server groups (`payout_core::statement`); this page only shows.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;
use payout_core::api::PayoutStatus;
use payout_core::statement::{Bucket, Statement};
use payout_core::Money;

use crate::api;
use crate::components::feedback::{Empty, ErrorView, Gate, Loading};
use crate::format;
use crate::i18n::{use_lang, Lang};

#[component]
pub fn Statements() -> impl IntoView {
    view! {
        <Gate allow=|p| p.manage_settings>
            <StatementsScreen />
        </Gate>
    }
}

#[component]
fn StatementsScreen() -> impl IntoView {
    let lang = use_lang();
    let query = use_query_map();
    let navigate = use_navigate();
    let date = Memo::new(move |_| {
        query.with(|q| q.get("date").filter(|d| format::is_date(d))).unwrap_or_else(format::today)
    });
    let data = LocalResource::new(move || {
        let d = date.get();
        async move { api::statement(&d).await }
    });
    let go = move |d: String| {
        if format::is_date(&d) {
            navigate(&format!("/statements?date={d}"), NavigateOptions::default());
        }
    };
    let step = {
        let go = go.clone();
        move |days: i64| {
            let go = go.clone();
            move |_| {
                if let Some(d) = format::add_days(&date.get_untracked(), days) {
                    go(d);
                }
            }
        }
    };
    let today = format::today();
    let is_today = {
        let today = today.clone();
        move || date.get() >= today
    };
    view! {
        <section class="page" aria-labelledby="statements-title">
            <div class="page__head">
                <h1 id="statements-title">{move || lang.get().pick("对账单", "Daily statement")}</h1>
                <a
                    class="btn"
                    data-testid="statement-csv"
                    href=move || api::statement_csv_url(&date.get())
                    download=move || format!("statement-{}.csv", date.get())
                >
                    {move || lang.get().pick("下载 CSV", "Download CSV")}
                </a>
            </div>
            <div class="datebar">
                <button type="button" class="btn" data-testid="statement-prev" on:click=step(-1)>
                    <span aria-hidden="true">"‹ "</span>{move || lang.get().pick("前一天", "Previous day")}
                </button>
                <label class="datebar__field">
                    <span class="field__label">{move || lang.get().pick("营业日（北京时间）", "Business day (UTC+8)")}</span>
                    <input
                        type="date"
                        class="input"
                        data-testid="statement-date"
                        max=today
                        prop:value=move || date.get()
                        on:change=move |ev| go(event_target_value(&ev))
                    />
                </label>
                <button type="button" class="btn" data-testid="statement-next" disabled=is_today on:click=step(1)>
                    {move || lang.get().pick("后一天", "Next day")}<span aria-hidden="true">" ›"</span>
                </button>
            </div>
            <Transition fallback=|| view! { <Loading /> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(s) => view! { <StatementView s /> }.into_any(),
                        Err(e) => view! { <ErrorView error=e on_retry=move || data.refetch() /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// `3 笔` / `3 payouts`.
fn payouts(lang: Lang, n: u64) -> String {
    match (lang, n) {
        (Lang::Zh, n) => format!("{n} 笔"),
        (Lang::En, 1) => "1 payout".to_owned(),
        (Lang::En, n) => format!("{n} payouts"),
    }
}

#[component]
fn StatementView(s: Statement) -> impl IntoView {
    let lang = use_lang();
    let t = s.total.clone();
    // A headline figure: the amount, and under it how many payouts make it.
    let fact = move |zh: &'static str, en: &'static str, testid: &'static str, amount: Money, count: u64| {
        view! {
            <div data-testid=testid data-amount=amount.to_string() data-count=count>
                <dt>{move || lang.get().pick(zh, en)}</dt>
                <dd data-testid=format!("{testid}-amount")>{format::money(amount)}</dd>
                <dd class="facts__sub" data-testid=format!("{testid}-count")>{move || payouts(lang.get(), count)}</dd>
            </div>
        }
    };
    let line =
        |status: PayoutStatus| s.status(status).map(|b| (b.amount, b.count)).unwrap_or((Money::ZERO, 0));
    let (awaiting, failed, rejected) =
        (line(PayoutStatus::AwaitingApproval), line(PayoutStatus::Failed), line(PayoutStatus::Rejected));
    let t_count = t.count;
    if t.count == 0 {
        return view! { <Empty zh="这一天没有打款" en="No payouts on this day" /> }.into_any();
    }
    let groups = [
        ("按状态", "By status", "status", s.by_status),
        ("按打款类型", "By payout type", "type", s.by_payout_type),
        ("按打款原因", "By reason", "reason", s.by_reason),
        ("按出款账户", "By source account", "account", s.by_source_account),
        ("按操作人", "By operator", "operator", s.by_operator),
    ];
    view! {
        // What went out and what is counted (SPEC §3) lead; what is not counted stands apart.
        <dl class="facts facts--totals" data-testid="statement-totals" data-amount=t.amount.to_string() data-count=t.count>
            {fact("已出款（打款成功）", "Paid out (succeeded)", "total-succeeded", t.succeeded_amount, t.succeeded_count)}
            {fact("计入额度", "Counted", "total-counted", t.counted_amount, t.counted_count)}
            {fact("其中待审核", "Of which awaiting approval", "total-awaiting", awaiting.0, awaiting.1)}
            {fact("打款失败（不计入）", "Failed (not counted)", "total-failed", failed.0, failed.1)}
            {fact("已驳回（不计入）", "Rejected (not counted)", "total-rejected", rejected.0, rejected.1)}
        </dl>
        <div class="buckets">
            {groups
                .into_iter()
                .map(|(zh, en, key, buckets)| view! { <BucketTable zh en key buckets total=t.clone() /> })
                .collect_view()}
        </div>
        // The day's payouts themselves are the records page's, a page at a time: a busy day has
        // more than one page should carry.
        <p class="statement__records">
            <a
                class="btn"
                data-testid="statement-records"
                href=format!("/records?from={date}&to={date}", date = s.date)
            >
                {move || match lang.get() {
                    Lang::Zh => format!("查看当日 {} 笔打款明细", t_count),
                    Lang::En => format!("See the day's {} in the records", payouts(Lang::En, t_count)),
                }}
                <span aria-hidden="true">" ›"</span>
            </a>
        </p>
    }
    .into_any()
}

/// One grouping of the day's payouts, with the day's total under it.
#[component]
fn BucketTable(
    zh: &'static str,
    en: &'static str,
    key: &'static str,
    buckets: Vec<Bucket>,
    total: Bucket,
) -> impl IntoView {
    let lang = use_lang();
    let row = move |b: Bucket, foot: bool| {
        let (label_zh, label_en) = (b.label_zh, b.label_en);
        let name = move || lang.get().pick(&label_zh, &label_en).to_owned();
        view! {
            <tr class:table__total=foot data-key=b.key>
                <th scope="row">{name}</th>
                <td class="num">{b.count}</td>
                <td class="num nowrap">{format::money(b.amount)}</td>
                <td class="num">{b.succeeded_count}</td>
                <td class="num nowrap">{format::money(b.succeeded_amount)}</td>
            </tr>
        }
    };
    let th = move |zh: &'static str, en: &'static str| view! { <th scope="col" class="num">{move || lang.get().pick(zh, en)}</th> };
    view! {
        <div class="table-wrap">
            <table class="table table--compact table--buckets" data-testid=format!("bucket-{key}")>
                <caption class="table__caption">{move || lang.get().pick(zh, en)}</caption>
                <thead>
                    <tr>
                        <th scope="col"><span class="sr-only">{move || lang.get().pick(zh, en)}</span></th>
                        {th("笔数", "Count")}
                        {th("金额", "Amount")}
                        {th("成功笔数", "Paid")}
                        {th("成功金额", "Paid amount")}
                    </tr>
                </thead>
                <tbody>{buckets.into_iter().map(|b| row(b, false)).collect_view()}</tbody>
                <tfoot>{row(total, true)}</tfoot>
            </table>
        </div>
    }
}
