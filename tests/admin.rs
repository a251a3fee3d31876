//! Widgets of the main account's screens, which only the full bundle has: run with
//! `--features admin` (`scripts/test.sh` does).
#![cfg(all(target_arch = "wasm32", feature = "admin"))]

mod common;

use common::{m, mount};
use leptos::prelude::*;
use leptos::task::tick;
use payout_console::components::day_chart::DayChart;
use payout_core::statement::{DaySums, TypeSum};
use payout_core::PayoutType;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn day(date: &str, amounts: [&str; 4]) -> DaySums {
    let by_type: Vec<TypeSum> = PayoutType::ALL
        .into_iter()
        .zip(amounts)
        .map(|(payout_type, amount)| TypeSum { payout_type, amount: m(amount) })
        .collect();
    let total = by_type.iter().fold(m("0"), |sum, s| sum.checked_add(s.amount).unwrap());
    DaySums { date: date.into(), total, by_type }
}

#[wasm_bindgen_test]
async fn the_day_chart_stacks_each_days_types_and_gives_screen_readers_the_same_sums() {
    let days = vec![day("2026-11-24", ["10", "0", "0", "5"]), day("2026-11-25", ["0", "0", "0", "0"])];
    let page = mount(move || view! { <DayChart days labelled_by="t" /> });
    tick().await;
    let bars =
        |date: &str| page.root.query_selector_all(&format!("[data-date='{date}'] rect")).unwrap().length();
    assert_eq!(bars("2026-11-24"), 2, "one part per type paid that day");
    assert_eq!(bars("2026-11-25"), 0);
    let axis = page.root.query_selector(".chart__yaxis").unwrap().unwrap().text_content().unwrap();
    assert_eq!(axis, "¥20¥10¥0", "the axis' top is the next 1-2-5 step above ¥15.00");
    let rows = page.find::<web_sys::HtmlElement>("chart-table").query_selector_all("tbody tr").unwrap();
    assert_eq!(rows.length(), 2);
    let first = rows.item(0).unwrap().text_content().unwrap();
    assert_eq!(first, "2026-11-24¥10.00¥0.00¥0.00¥5.00¥15.00");
}
