//! The daily sums of the last business days as bars stacked by payout type (SPEC §11.5), drawn here
//! as inline SVG. The bars stretch to the width they get (a `viewBox` without a fixed aspect), the
//! axis labels are plain text beside them, so they stay readable at phone width. Screen readers get
//! the same figures as a table; the drawing itself is hidden from them.

use leptos::prelude::*;
use payout_core::statement::DaySums;
use payout_core::{Money, PayoutType};

use crate::format;
use crate::i18n::{use_lang, Lang};

/// Height of the drawing in its own units (the bars' scale: 100 = the axis' top).
const UNITS: i64 = 100;
/// Width of one day in drawing units, and of its bar.
const STEP: i64 = 10;
const BAR: i64 = 7;

/// The axis' top in fen: the smallest 1, 2 or 5 × 10ⁿ yuan (at least ¥10) at or above `max`.
fn axis_top(max: Money) -> i64 {
    let want = max.to_fen();
    let mut unit = 100; // ¥1
    loop {
        for m in [1, 2, 5] {
            let top = unit * m;
            if top >= want && top >= 1_000 {
                return top;
            }
        }
        unit *= 10;
    }
}

/// `¥12,000` for whole yuan of an axis label.
fn axis_label(fen: i64) -> String {
    format!("¥{}", format::group_thousands(&(fen / 100).to_string()))
}

fn type_class(t: PayoutType) -> String {
    format!("chart__bar--{}", t.as_str())
}

/// A bar chart of `days` (oldest first), stacked by payout type, with a legend and a table.
#[component]
pub fn DayChart(
    days: Vec<DaySums>,
    /// Id of the heading that names the chart (also the table's name).
    labelled_by: &'static str,
) -> impl IntoView {
    let lang = use_lang();
    let n = days.len().max(1) as i64;
    let top = axis_top(days.iter().map(|d| d.total).max().unwrap_or(Money::ZERO));
    let height = |fen: i64| fen.saturating_mul(UNITS) / top;
    let bars = days
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let x = i as i64 * STEP + (STEP - BAR) / 2;
            let mut base = UNITS;
            let parts = d
                .by_type
                .iter()
                .filter(|s| !s.amount.is_zero())
                .map(|s| {
                    let h = height(s.amount.to_fen()).max(1);
                    base -= h;
                    view! { <rect x=x y=base width=BAR height=h class=type_class(s.payout_type) /> }
                })
                .collect_view();
            view! { <g data-date=d.date.clone()>{parts}</g> }
        })
        .collect_view();
    let grid = [0, UNITS / 2, UNITS]
        .map(|y| {
            view! { <line x1="0" x2=n * STEP y1=y y2=y class="chart__grid" vector-effect="non-scaling-stroke" /> }
        })
        .collect_view();
    // A date under every seventh bar and under today's.
    let ticks = days
        .iter()
        .enumerate()
        .filter(|(i, _)| (days.len() - 1 - i).is_multiple_of(7))
        .map(|(i, d)| {
            let text = d.date.get(5..).unwrap_or(&d.date).to_owned();
            view! { <span style=format!("grid-column:{}", i + 1)>{text}</span> }
        })
        .collect_view();
    let legend = PayoutType::ALL
        .map(|t| {
            view! {
                <li>
                    <span class=format!("legend__swatch {}", type_class(t)) aria-hidden="true"></span>
                    {move || format::payout_type(lang.get(), t)}
                </li>
            }
        })
        .collect_view();
    let rows = days
        .into_iter()
        .map(|d| {
            view! {
                <tr>
                    <th scope="row">{d.date}</th>
                    {d.by_type.iter().map(|s| view! { <td>{format::money(s.amount)}</td> }).collect_view()}
                    <td>{format::money(d.total)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <figure class="chart" data-testid="day-chart">
            <div class="chart__body">
                <div class="chart__yaxis" aria-hidden="true">
                    <span>{axis_label(top)}</span>
                    <span>{axis_label(top / 2)}</span>
                    <span>"¥0"</span>
                </div>
                <div class="chart__plot">
                    <svg
                        class="chart__svg"
                        viewBox=format!("0 0 {} {UNITS}", n * STEP)
                        preserveAspectRatio="none"
                        aria-hidden="true"
                        focusable="false"
                        data-testid="chart-svg"
                    >
                        {grid}
                        {bars}
                    </svg>
                    <div class="chart__xaxis" aria-hidden="true" style=format!("grid-template-columns:repeat({n},1fr)")>
                        {ticks}
                    </div>
                </div>
            </div>
            <ul class="legend">{legend}</ul>
            // A table ignores a 1 px width: the visually hidden box is a div around it.
            <div class="sr-only">
            <table aria-labelledby=labelled_by data-testid="chart-table">
                <thead>
                    <tr>
                        <th scope="col">{move || lang.get().pick("日期", "Date")}</th>
                        {PayoutType::ALL.map(|t| view! { <th scope="col">{move || format::payout_type(lang.get(), t)}</th> }).collect_view()}
                        <th scope="col">{move || lang.get().pick("合计", "Total")}</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
            </div>
        </figure>
    }
}

/// The chart's heading text for `days` days.
pub fn title(lang: Lang, days: usize) -> String {
    match lang {
        Lang::Zh => format!("近 {days} 天每日打款金额（按打款类型）"),
        Lang::En => format!("Payouts per day over the last {days} days, by type"),
    }
}
