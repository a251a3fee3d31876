//! The workbench's meters (SPEC §6): what the order, the agent and the shop may still pay, and the
//! order's cooldown. All figures come from `payout_core::meters`, recomputed every second.

use leptos::prelude::*;
use payout_core::{Meters, Money};

use crate::format::money;
use crate::i18n::use_lang;

/// `part` of `whole` in whole percent (0–100), on integer fen: no floating point near money.
pub fn percent(part: Money, whole: Money) -> i64 {
    if whole.is_zero() {
        return 0;
    }
    (part.to_fen().saturating_mul(100) / whole.to_fen()).clamp(0, 100)
}

/// One labelled bar: a big figure, a detail line and how full the bar is.
#[component]
pub fn Meter(
    /// The meter's name (its accessible name too).
    #[prop(into)]
    label: Signal<String>,
    /// The figure, e.g. `¥5.00`.
    #[prop(into)]
    value: Signal<String>,
    /// The line under it, e.g. "cap ¥20.00".
    #[prop(into)]
    detail: Signal<String>,
    /// How much is left, 0–100.
    #[prop(into)]
    percent: Signal<i64>,
    /// `data-testid` of the meter.
    testid: &'static str,
) -> impl IntoView {
    let low = move || percent.get() <= 10;
    view! {
        <div class="meter" class:meter--low=low data-testid=testid>
            <div class="meter__label">{label}</div>
            <div class="meter__value" data-testid=format!("{testid}-value")>{value}</div>
            <div
                class="meter__bar"
                role="meter"
                aria-label=label
                aria-valuemin="0"
                aria-valuemax="100"
                aria-valuenow=move || percent.get().to_string()
                aria-valuetext=move || format!("{} {}", value.get(), detail.get())
            >
                <span class="meter__fill" style=move || format!("width:{}%", percent.get())></span>
            </div>
            <div class="meter__detail">{detail}</div>
        </div>
    }
}

/// The three meters and the cooldown.
#[component]
pub fn MetersPanel(
    /// Recomputed from the facts and the corrected clock.
    #[prop(into)]
    meters: Signal<Meters>,
    /// The sub-account's daily limit (`None` for the main account, which has no personal quota).
    #[prop(into)]
    operator_daily_limit: Signal<Option<Money>>,
) -> impl IntoView {
    let lang = use_lang();
    let t = move |zh: &'static str, en: &'static str| lang.get().pick(zh, en).to_owned();
    let m = move || meters.get();
    view! {
        <div class="meters" data-testid="meters">
            <Meter
                testid="meter-order"
                label=Signal::derive(move || t("订单剩余可打款", "Order remaining"))
                value=Signal::derive(move || {
                    let m = m();
                    if m.order_payouts_left == 0 {
                        t("次数已用完", "No payouts left")
                    } else {
                        money(m.order_remaining)
                    }
                })
                detail=Signal::derive(move || {
                    let m = m();
                    match lang.get() {
                        crate::i18n::Lang::Zh => format!(
                            "上限 {} · 已计入 {} · 还可打 {} 次（已计入 {} 次）",
                            money(m.order_cap), money(m.order_counted), m.order_payouts_left, m.order_payout_count
                        ),
                        crate::i18n::Lang::En => format!(
                            "cap {} · counted {} · {} payouts left ({} counted)",
                            money(m.order_cap), money(m.order_counted), m.order_payouts_left, m.order_payout_count
                        ),
                    }
                })
                percent=Signal::derive(move || {
                    let m = m();
                    if m.order_payouts_left == 0 { 0 } else { percent(m.order_remaining, m.order_cap) }
                })
            />
            <Show when=move || m().operator_daily_remaining.is_some()>
                <Meter
                    testid="meter-operator"
                    label=Signal::derive(move || t("我的今日剩余额度", "My remaining today"))
                    value=Signal::derive(move || money(m().operator_daily_remaining.unwrap_or_default()))
                    detail=Signal::derive(move || {
                        let m = m();
                        let per = money(m.operator_per_payout_limit.unwrap_or_default());
                        let daily = money(operator_daily_limit.get().unwrap_or_default());
                        match lang.get() {
                            crate::i18n::Lang::Zh => format!("每日限额 {daily} · 单笔限额 {per}"),
                            crate::i18n::Lang::En => format!("daily limit {daily} · per payout {per}"),
                        }
                    })
                    percent=Signal::derive(move || {
                        percent(m().operator_daily_remaining.unwrap_or_default(), operator_daily_limit.get().unwrap_or_default())
                    })
                />
            </Show>
            <Meter
                testid="meter-shop"
                label=Signal::derive(move || t("店铺今日剩余额度", "Shop remaining today"))
                value=Signal::derive(move || money(m().shop_daily_remaining))
                detail=Signal::derive(move || {
                    let cap = money(m().shop_daily_cap);
                    match lang.get() {
                        crate::i18n::Lang::Zh => format!("店铺单日上限 {cap}"),
                        crate::i18n::Lang::En => format!("daily cap {cap}"),
                    }
                })
                percent=Signal::derive(move || percent(m().shop_daily_remaining, m().shop_daily_cap))
            />
            <div class="cooldown" class:cooldown--active=move || { m().cooldown_seconds_left > 0 } data-testid="cooldown">
                <span class="cooldown__label">{move || t("同单冷却", "Order cooldown")}</span>
                <span class="cooldown__value" role="timer" aria-live="off">
                    {move || match (m().cooldown_seconds_left, lang.get()) {
                        (0, l) => l.pick("无", "none").to_owned(),
                        (s, crate::i18n::Lang::Zh) => format!("还需 {s} 秒"),
                        (s, crate::i18n::Lang::En) => format!("{s} s left"),
                    }}
                </span>
            </div>
        </div>
    }
}
