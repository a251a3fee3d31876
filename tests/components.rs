//! Component tests in headless Chromium with a hand-made payout context: the meters (and the
//! cooldown counting down), the payout dialog's message for each rule it can check locally, and
//! the language switch.
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use leptos::prelude::*;
use leptos::task::tick;
use payout_console::components::lang_switch::LangSwitch;
use payout_console::components::meter::MetersPanel;
use payout_console::components::payout_dialog::PayoutDialog;
use payout_console::format::ServerClock;
use payout_console::i18n::{provide_lang, use_lang};
use payout_core::api::{OperatorRef, PayoutContext, PayoutStatus, PayoutView};
use payout_core::facts::{AccountKind, Facts, PayoutType, Qualification};
use payout_core::meters;
use wasm_bindgen_test::*;
use web_sys::{HtmlButtonElement, HtmlInputElement, HtmlSelectElement};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn meters_show_what_is_left_and_r_l3_the_cooldown_counts_down() {
    let mut f = facts();
    f.usage.counted_total = m("28");
    f.usage.counted_count = 2;
    f.usage.last_created_at = Some(now().plus_seconds(-15));
    f.operator.used_today = m("150");
    f.shop_counted_today = m("1000");
    let ctx = context(f);
    let page = mount(move || {
        let clock = ServerClock::new();
        clock.sync(ctx.server_time);
        let now = clock.now();
        let (policy, facts) = (ctx.policy.clone(), ctx.facts.clone());
        let live = Signal::derive(move || meters(&policy, &facts, now.get()));
        view! { <MetersPanel meters=live operator_daily_limit=Signal::derive(|| Some(m("2000"))) /> }
    });
    tick().await;
    assert_eq!(page.text("meter-order-value"), "¥100.00");
    assert!(page.text("meter-order").contains("还可打 3 次"), "{}", page.text("meter-order"));
    assert_eq!(page.text("meter-operator-value"), "¥1850.00");
    assert_eq!(page.text("meter-shop-value"), "¥14000.00");
    let first = page.text("cooldown");
    assert!(first.contains("还需 45 秒") || first.contains("还需 44 秒"), "{first}");
    sleep(2100).await;
    let later = page.text("cooldown");
    assert!(
        later.contains("还需 43 秒") || later.contains("还需 42 秒"),
        "the cooldown counts down: {later}"
    );
}

#[wasm_bindgen_test]
async fn the_main_account_has_no_personal_meter_d4() {
    let mut f = facts();
    f.operator = payout_core::facts::OperatorFacts::main();
    let ctx = context(f);
    let page = mount(
        move || view! { <MetersPanel meters=ctx.meters.clone() operator_daily_limit=Signal::derive(|| None) /> },
    );
    tick().await;
    assert!(page.find_opt::<web_sys::Element>("meter-operator").is_none());
    assert!(page.text("cooldown").contains("无"));
}

/// Mounts the dialog on `facts` with the clock of the context.
fn dialog(facts: Facts) -> Mounted {
    dialog_with(context(facts))
}

fn dialog_with(ctx: PayoutContext) -> Mounted {
    mount(move || {
        let now = ctx.server_time;
        view! { <PayoutDialog ctx now=Signal::derive(move || now) on_close=|| () on_created=|_| () /> }
    })
}

async fn fill(page: &Mounted, payout_type: &str, amount: &str) {
    select(&page.find::<HtmlSelectElement>("payout-type"), payout_type);
    type_into(&page.find::<HtmlInputElement>("amount-input"), amount);
    tick().await;
}

fn submit_disabled(page: &Mounted) -> bool {
    page.find::<HtmlButtonElement>("submit-payout").disabled()
}

#[wasm_bindgen_test]
async fn a_clean_draft_enables_submit() {
    let page = dialog(facts());
    tick().await;
    assert!(submit_disabled(&page), "nothing chosen yet");
    fill(&page, "price_difference", "12.50").await;
    assert_eq!(page.text("amount-error"), "");
    assert_eq!(page.text("general-errors"), "");
    assert!(!submit_disabled(&page));
}

#[wasm_bindgen_test]
async fn r_f1_an_invalid_amount_is_reported_beside_the_field() {
    let page = dialog(facts());
    fill(&page, "price_difference", "0.001").await;
    assert_eq!(page.text("amount-error"), "金额最多保留 2 位小数");
    assert!(submit_disabled(&page));
}

#[wasm_bindgen_test]
async fn r_f2_more_than_the_order_remaining() {
    let page = dialog(facts());
    fill(&page, "price_difference", "130").await;
    assert!(
        page.text("amount-error").contains("超出该订单剩余可打款金额 ¥128.00"),
        "{}",
        page.text("amount-error")
    );
    assert!(submit_disabled(&page));
}

#[wasm_bindgen_test]
async fn r_f3_more_than_the_per_payout_limit() {
    let mut f = facts();
    f.operator.per_payout_limit = Some(m("50"));
    f.operator.daily_limit = Some(m("300"));
    let page = dialog(f);
    fill(&page, "other", "60").await;
    assert_eq!(page.text("amount-error"), "超出您的单笔打款限额 ¥50.00，如需调整请联系主账号");
    assert!(submit_disabled(&page));
}

#[wasm_bindgen_test]
async fn r_f4_more_than_my_daily_remaining() {
    let mut f = facts();
    f.operator.daily_limit = Some(m("300"));
    f.operator.used_today = m("280");
    let page = dialog(f);
    fill(&page, "other", "30").await;
    assert!(
        page.text("amount-error").contains("超出您今日剩余打款额度 ¥20.00"),
        "{}",
        page.text("amount-error")
    );
}

#[wasm_bindgen_test]
async fn r_f5_more_than_the_shop_daily_remaining() {
    let mut f = facts();
    f.shop_counted_today = m("14990");
    let page = dialog(f);
    fill(&page, "other", "15").await;
    assert!(
        page.text("amount-error").contains("超出店铺今日剩余打款额度 ¥10.00"),
        "{}",
        page.text("amount-error")
    );
}

#[wasm_bindgen_test]
async fn r_f6_r_f7_an_individual_shop_cannot_choose_the_aggregate_account() {
    let mut f = facts();
    f.shop.qualification = Qualification::Individual;
    f.shop.accounts[0].opened = false;
    let page = dialog(f);
    tick().await;
    let aggregate: HtmlInputElement = page.find("source-aggregate");
    let custody: HtmlInputElement = page.find("source-custody");
    assert!(aggregate.disabled());
    assert!(custody.checked(), "custody is chosen instead");
    assert!(page.root.text_content().unwrap().contains("个人资质店铺仅支持使用管家账户出款"));
    fill(&page, "other", "10").await;
    assert!(!submit_disabled(&page));
}

#[wasm_bindgen_test]
async fn r_f8_frozen_funds_are_not_available() {
    let mut f = facts();
    f.shop.accounts[0].balance = m("100");
    f.shop.accounts[0].frozen = m("60");
    let page = dialog(f);
    fill(&page, "other", "45").await;
    let text = page.text("amount-error");
    assert!(text.contains("可用余额 ¥40.00") && text.contains("¥60.00 已被冻结"), "{text}");
}

#[wasm_bindgen_test]
async fn r_f10_a_second_shipping_payout_needs_confirmation() {
    let mut f = facts();
    f.usage.has_counted_shipping = true;
    f.usage.counted_total = m("8");
    f.usage.counted_count = 1;
    let mut ctx = context(f);
    ctx.payouts = vec![PayoutView {
        id: 7,
        order_no: ctx.order.order_no.clone(),
        source_account: AccountKind::Aggregate,
        payout_type: PayoutType::Shipping,
        amount: m("8"),
        status: PayoutStatus::Succeeded,
        failure_reason: None,
        linked_item_id: None,
        note: None,
        operator: OperatorRef { id: 2, username: "lin.agent1".into(), display_name: "小林".into() },
        created_at: now().plus_seconds(-86_400),
        updated_at: now().plus_seconds(-86_400),
    }];
    let page = dialog_with(ctx);
    fill(&page, "shipping", "5").await;
    let confirm = page.text("duplicate-shipping");
    assert!(confirm.contains("确认要再次补偿运费") && confirm.contains("¥8.00"), "{confirm}");
    assert!(submit_disabled(&page));
    let check: HtmlInputElement = page.find("confirm-duplicate-shipping");
    check.set_checked(true);
    check.dispatch_event(&web_sys::Event::new("change").unwrap()).unwrap();
    tick().await;
    assert!(!submit_disabled(&page), "confirmed");
}

#[wasm_bindgen_test]
async fn r_f11_no_payout_type_keeps_submit_disabled() {
    let page = dialog(facts());
    type_into(&page.find::<HtmlInputElement>("amount-input"), "10");
    tick().await;
    assert!(submit_disabled(&page));
}

#[wasm_bindgen_test]
async fn r_l1_r_l3_order_limits_are_shown_above_the_form() {
    let mut f = facts();
    f.usage.counted_count = 5;
    f.usage.last_created_at = Some(now().plus_seconds(-10));
    let page = dialog(f);
    fill(&page, "other", "1").await;
    let general = page.text("general-errors");
    assert!(general.contains("每笔订单最多打款 5 次"), "{general}");
    assert!(general.contains("秒后再试"), "{general}");
    assert!(submit_disabled(&page));
}

#[wasm_bindgen_test]
async fn processing_payouts_make_the_dialog_ask_to_wait() {
    let mut f = facts();
    f.usage.has_processing = true;
    let page = dialog(f);
    tick().await;
    assert!(page.text("processing-warning").contains("请等待结果"));
}

#[wasm_bindgen_test]
async fn the_language_switch_translates_and_is_remembered() {
    let page = mount(|| {
        provide_lang();
        let lang = use_lang();
        view! {
            <LangSwitch />
            <p data-testid="greeting">{move || lang.get().pick("小额打款", "Small-amount payout")}</p>
        }
    });
    tick().await;
    assert_eq!(page.text("greeting"), "小额打款");
    page.find::<HtmlButtonElement>("lang-en").click();
    tick().await;
    assert_eq!(page.text("greeting"), "Small-amount payout");
    let stored = window().local_storage().unwrap().unwrap().get_item("payout.lang").unwrap();
    assert_eq!(stored.as_deref(), Some("en"));
    assert_eq!(document().document_element().unwrap().get_attribute("lang").as_deref(), Some("en"));
    assert_eq!(
        page.find::<HtmlButtonElement>("lang-en").get_attribute("aria-pressed").as_deref(),
        Some("true")
    );
    page.find::<HtmlButtonElement>("lang-zh-CN").click();
    tick().await;
    assert_eq!(page.text("greeting"), "小额打款");
}
