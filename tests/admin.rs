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
use wasm_bindgen::JsCast;
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

// --- what the headlines say (issue 18, item 4) -------------------------------------------------

use payout_console::session::SessionState;
use payout_core::api::PayoutStatus;
use payout_core::facts::Role;

fn main_account() -> SessionState {
    SessionState::SignedIn(common::session(Role::Main, true))
}

#[wasm_bindgen_test]
async fn the_statement_leads_with_what_went_out_and_what_is_counted_and_keeps_rejected_apart() {
    use payout_console::pages::admin::Statements;
    use PayoutStatus::*;
    let payouts = vec![
        common::payout(1, PayoutType::Shipping, "8", Succeeded),
        common::payout(2, PayoutType::Other, "150", AwaitingApproval),
        common::payout(3, PayoutType::Other, "300", Rejected),
        common::payout(4, PayoutType::Other, "12", Failed),
        common::payout(5, PayoutType::Other, "20", Processing),
    ];
    let s = payout_core::statement::statement("2026-11-24".into(), &payouts);
    common::fake_api(vec![common::answer(
        "GET",
        "/api/statements/2026-11-24",
        200,
        serde_json::to_string(&s).unwrap(),
    )]);
    let page = common::at("/statements?date=2026-11-24", main_account(), || view! { <Statements /> });
    common::settle_page().await;
    let fact = |id: &str| (page.text(&format!("{id}-amount")), page.text(&format!("{id}-count")));
    assert_eq!(fact("total-succeeded"), ("¥8.00".into(), "1 笔".into()), "what went out");
    assert_eq!(
        fact("total-counted"),
        ("¥178.00".into(), "3 笔".into()),
        "8 + 150 + 20: not the rejected 300"
    );
    assert_eq!(fact("total-awaiting"), ("¥150.00".into(), "1 笔".into()));
    assert_eq!(fact("total-rejected"), ("¥300.00".into(), "1 笔".into()));
    assert_eq!(fact("total-failed"), ("¥12.00".into(), "1 笔".into()));
    let totals = page.text("statement-totals");
    assert!(!totals.contains("¥490.00"), "no headline mixes rejected and awaiting into one sum: {totals}");
    let records: web_sys::Element = page.find("statement-records");
    assert_eq!(records.get_attribute("href").as_deref(), Some("/records?from=2026-11-24&to=2026-11-24"));
    assert_eq!(
        page.text("statement-records"),
        "查看当日 5 笔打款明细 ›",
        "the day's payouts are the records'"
    );
}

#[wasm_bindgen_test]
async fn the_overview_counts_today_as_its_counted_sum_does_and_shows_rejected_apart() {
    use payout_console::pages::admin::Overview;
    let overview = payout_core::statement::Overview {
        date: "2026-11-24".into(),
        shop_daily_cap: m("15000"),
        shop_counted_today: m("162.50"),
        shop_remaining: m("14837.50"),
        payouts_today: 3,
        counted_today: 2,
        succeeded_today: 1,
        succeeded_today_amount: m("12.50"),
        failed_today: 0,
        rejected_today: 1,
        awaiting_approval: 1,
        stuck: 0,
        agents: vec![],
        days: vec![],
    };
    common::fake_api(vec![common::answer(
        "GET",
        "/api/overview",
        200,
        serde_json::to_string(&overview).unwrap(),
    )]);
    let page = common::at("/overview", main_account(), || view! { <Overview /> });
    common::settle_page().await;
    assert_eq!(page.text("overview-today"), "2今日计入笔数", "the rejected one is not counted");
    assert!(
        page.text("overview-shop").contains("今日已计入 ¥162.50（2 笔）"),
        "{}",
        page.text("overview-shop")
    );
    assert_eq!(page.text("overview-rejected"), "1今日已驳回（不计入）");
    assert_eq!(page.text("overview-paid"), "¥12.50今日已出款（1 笔）");
    let href = page.find::<web_sys::Element>("overview-rejected").get_attribute("href");
    assert_eq!(href.as_deref(), Some("/records?status=rejected&from=2026-11-24&to=2026-11-24"));
}

// --- reasons (issue 18, item 5) -----------------------------------------------------------------

#[wasm_bindgen_test]
async fn a_reason_name_takes_the_30_characters_its_check_allows_and_a_taken_name_is_said_in_the_form() {
    use payout_console::pages::admin::Reasons;
    let list = r#"{"items":[{"id":1,"name_zh":"退货运费补偿","name_en":"Return shipping refund","payout_type":"shipping","buyer_message_template":null,"active":true,"position":1}]}"#;
    let taken = r#"{"error":{"code":"REASON_NAME_TAKEN","message_zh":"店铺已有名为“退货运费补偿”的打款原因，请换一个名称","message_en":"The shop already has a reason named \"退货运费补偿\"; choose another name"}}"#;
    common::fake_api(vec![
        common::answer("GET", "/api/reasons", 200, list.into()),
        common::answer("POST", "/api/reasons", 409, taken.into()),
    ]);
    let page = common::at("/reasons", main_account(), || view! { <Reasons /> });
    common::settle_page().await;
    page.find::<web_sys::HtmlButtonElement>("reason-add").click();
    common::settle_page().await;
    for id in ["reason-name-zh", "reason-name-en"] {
        let input: web_sys::HtmlInputElement = page.find(id);
        assert_eq!(input.max_length(), payout_core::reasons::MAX_NAME_CHARS as i32, "{id}");
    }
    common::type_text(&page.find::<web_sys::Element>("reason-name-zh"), "退货运费补偿");
    common::select(&page.find::<web_sys::HtmlSelectElement>("reason-type"), "shipping");
    page.find::<web_sys::HtmlButtonElement>("reason-save").click();
    common::settle_page().await;
    assert!(
        page.text("reason-save-error").contains("店铺已有名为“退货运费补偿”的打款原因"),
        "{}",
        page.text("reason-save-error")
    );
}

// --- quotas (issue 18, item 5) ------------------------------------------------------------------

#[wasm_bindgen_test]
async fn a_sub_account_without_payout_permission_has_no_quota_switch_that_says_on() {
    use payout_console::pages::admin::Quotas;
    use payout_core::api::{QuotaList, QuotaView};
    let quota = |id: i64, username: &str, name: &str, payout_permission: bool| QuotaView {
        sub_account_id: id,
        username: username.into(),
        display_name: name.into(),
        payout_permission,
        enabled: true,
        per_payout_limit: m("50"),
        daily_limit: m("300"),
        used_today: m("0"),
        manage_quotas: false,
    };
    let list = QuotaList {
        items: vec![quota(2, "lin.agent1", "客服小林", true), quota(4, "lin.viewer", "仓库小王", false)],
        policy: payout_core::Policy::default(),
    };
    common::fake_api(vec![common::answer("GET", "/api/quotas", 200, serde_json::to_string(&list).unwrap())]);
    let page = common::at("/quotas", main_account(), || view! { <Quotas /> });
    common::settle_page().await;
    let row = |u: &str| page.find::<web_sys::HtmlElement>(&format!("quota-{u}"));
    let viewer = row("lin.viewer");
    assert!(
        viewer.query_selector("[data-testid=quota-enabled]").unwrap().is_none(),
        "no switch saying 已开启"
    );
    let na = viewer.query_selector("[data-testid=quota-enabled-na]").unwrap().unwrap();
    assert_eq!(na.text_content().unwrap(), "不适用（未授予打款岗位）");
    let agent = row("lin.agent1");
    let switch = agent.query_selector("[data-testid=quota-enabled]").unwrap().unwrap();
    assert_eq!(switch.get_attribute("aria-checked").as_deref(), Some("true"));

    // Its limits are checked as typed, the bound written as people read amounts.
    agent
        .query_selector("[data-testid=quota-edit]")
        .unwrap()
        .unwrap()
        .unchecked_into::<web_sys::HtmlElement>()
        .click();
    common::settle_page().await;
    common::type_text(&page.find::<web_sys::Element>("daily-lin.agent1"), "20000");
    common::settle_page().await;
    assert_eq!(page.text("daily-lin.agent1-error"), "不能超过 ¥15,000.00");
}
