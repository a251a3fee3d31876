//! The overview (概览, SPEC §11.5, main account) at `/overview`: today's shop meter, what waits for
//! approval and what is stuck, each agent's use of its quota today, and the last 30 business days
//! as a chart stacked by payout type.

use leptos::prelude::*;
use payout_core::statement::{AgentUsage, Overview as OverviewData};

use crate::api;
use crate::components::day_chart::{self, DayChart};
use crate::components::feedback::{Empty, ErrorView, Gate, Loading};
use crate::components::meter::{percent, Meter};
use crate::format::money;
use crate::i18n::{use_lang, Lang};

/// Days in the chart.
const DAYS: u32 = 30;

#[component]
pub fn Overview() -> impl IntoView {
    view! {
        <Gate allow=|p| p.manage_settings>
            <OverviewScreen />
        </Gate>
    }
}

#[component]
fn OverviewScreen() -> impl IntoView {
    let lang = use_lang();
    let data = LocalResource::new(|| api::overview(DAYS));
    view! {
        <section class="page" aria-labelledby="overview-title">
            <h1 id="overview-title">{move || lang.get().pick("打款概览", "Payout overview")}</h1>
            <Transition fallback=|| view! { <Loading /> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(o) => view! { <OverviewView o /> }.into_any(),
                        Err(e) => view! { <ErrorView error=e on_retry=move || data.refetch() /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn OverviewView(o: OverviewData) -> impl IntoView {
    let lang = use_lang();
    let t = move |zh: &'static str, en: &'static str| lang.get().pick(zh, en).to_owned();
    let (cap, counted, remaining) = (o.shop_daily_cap, o.shop_counted_today, o.shop_remaining);
    let counted_today = o.counted_today;
    // A figure that links to the payouts behind it; `alert` asks for attention while not zero.
    let stat = |testid: &'static str, href: String, label: Signal<String>, value: String, alert: bool| {
        view! {
            <a class="stat" class:stat--alert=alert href=href data-testid=testid>
                <span class="stat__value">{value}</span>
                <span class="stat__label">{label}</span>
            </a>
        }
    };
    let words = move |zh: &'static str, en: &'static str| Signal::derive(move || t(zh, en));
    let today = |status: &str| {
        let status = if status.is_empty() { String::new() } else { format!("status={status}&") };
        format!("/records?{status}from={}&to={}", o.date, o.date)
    };
    let (awaiting, stuck) = (o.awaiting_approval, o.stuck);
    let paid_count = o.succeeded_today;
    let paid_label = Signal::derive(move || match lang.get() {
        Lang::Zh => format!("今日已出款（{paid_count} 笔）"),
        Lang::En if paid_count == 1 => "Paid out today (1 payout)".to_owned(),
        Lang::En => format!("Paid out today ({paid_count} payouts)"),
    });
    let days = o.days.len();
    view! {
        <div class="overview__top">
            <Meter
                testid="overview-shop"
                label=Signal::derive(move || t("店铺今日剩余额度", "Shop remaining today"))
                value=money(remaining)
                detail=Signal::derive(move || match lang.get() {
                    Lang::Zh => format!("今日已计入 {}（{counted_today} 笔）· 单日上限 {}", money(counted), money(cap)),
                    Lang::En => format!("counted today {} ({counted_today}) · daily cap {}", money(counted), money(cap)),
                })
                percent=percent(remaining, cap)
            />
            {stat("overview-awaiting", "/approvals".into(), words("待审核", "Awaiting approval"), awaiting.to_string(), awaiting > 0)}
            {stat("overview-stuck", "/records?status=processing".into(), words("打款状态确认中", "Stuck"), stuck.to_string(), stuck > 0)}
            // The count behind 今日已计入: failed and rejected payouts are not in it (SPEC §3).
            {stat("overview-today", today(""), words("今日计入笔数", "Counted today"), counted_today.to_string(), false)}
            {stat("overview-paid", today("succeeded"), paid_label, money(o.succeeded_today_amount), false)}
            {stat("overview-failed", today("failed"), words("今日打款失败（不计入）", "Failed today (not counted)"), o.failed_today.to_string(), false)}
            {stat("overview-rejected", today("rejected"), words("今日已驳回（不计入）", "Rejected today (not counted)"), o.rejected_today.to_string(), false)}
        </div>
        <section class="card" aria-labelledby="agents-title">
            <h2 id="agents-title" class="card__title">{move || t("客服今日额度使用", "Agents' quota used today")}</h2>
            {if o.agents.is_empty() {
                view! { <Empty zh="店铺还没有子账号" en="The shop has no sub-accounts" /> }.into_any()
            } else {
                view! {
                    <div class="meters" data-testid="overview-agents">
                        {o.agents.into_iter().map(|a| view! { <AgentMeter a /> }).collect_view()}
                    </div>
                }
                    .into_any()
            }}
        </section>
        <section class="card" aria-labelledby="chart-title">
            <h2 id="chart-title" class="card__title">{move || day_chart::title(lang.get(), days)}</h2>
            <DayChart days=o.days labelled_by="chart-title" />
        </section>
    }
}

/// One agent's use of its daily quota: what it used, of what limit, and whether it may pay at all.
#[component]
fn AgentMeter(a: AgentUsage) -> impl IntoView {
    let lang = use_lang();
    let active = a.payout_permission && a.enabled;
    let left = a.daily_limit.saturating_sub(a.used_today);
    let name = format!("{} ({})", a.display_name, a.username);
    let (used, daily, per) = (money(a.used_today), money(a.daily_limit), money(a.per_payout_limit));
    view! {
        <Meter
            testid="agent-meter"
            label=name
            value=Signal::derive(move || match lang.get() {
                Lang::Zh => format!("已用 {used}"),
                Lang::En => format!("{used} used"),
            })
            detail=Signal::derive(move || {
                let l = lang.get();
                if !active {
                    return l.pick("未开通打款或配额已关闭", "No payout permission or quota off").to_owned();
                }
                match l {
                    Lang::Zh => format!("每日限额 {daily} · 剩余 {} · 单笔 {per}", money(left)),
                    Lang::En => format!("daily {daily} · left {} · per payout {per}", money(left)),
                }
            })
            percent=if active { percent(left, a.daily_limit) } else { 0 }
        />
    }
}
