//! Component tests in headless Chromium with a hand-made payout context: the meters (and the
//! cooldown counting down), the payout dialog's message for each rule it can check locally, and
//! the language switch.
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use leptos::prelude::*;
use leptos::task::tick;
use payout_console::components::button::Button;
use payout_console::components::lang_switch::LangSwitch;
use payout_console::components::meter::MetersPanel;
use payout_console::components::payout_dialog::{
    pending, Attempt, PayoutDialog, Submitter, RESEND_WITHIN_SECONDS,
};
use payout_console::format::ServerClock;
use payout_console::i18n::{provide_lang, use_lang};
use payout_core::api::{OperatorRef, PayoutContext, PayoutStatus, PayoutView};
use payout_core::facts::{Facts, PayoutType, Qualification};
use payout_core::meters;
use wasm_bindgen::JsValue;
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
    assert!(
        page.text("meter-order").contains("已计入 ¥28.00"),
        "counted, not paid: {}",
        page.text("meter-order")
    );
    assert_eq!(page.text("meter-operator-value"), "¥1,850.00");
    assert_eq!(page.text("meter-shop-value"), "¥14,000.00");
    let first = page.text("cooldown");
    let left = if first.contains("还需 45 秒") { 45 } else { 44 };
    assert!(first.contains(&format!("还需 {left} 秒")), "{first}");
    // The meters tick every second: wait for the next tick, then see which way it went.
    until(5_000.0, "the cooldown changes", || page.text("cooldown") != first).await;
    let later = page.text("cooldown");
    assert!(
        (left - 2..left).any(|s| later.contains(&format!("还需 {s} 秒"))),
        "the cooldown counts down: {first} → {later}"
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
        let submitter = Submitter::new();
        view! { <PayoutDialog ctx now=Signal::derive(move || now) submitter on_close=|| () on_created=|_| () /> }
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
    let mut earlier = payout(7, PayoutType::Shipping, "8", PayoutStatus::Succeeded);
    earlier.operator = OperatorRef { id: 2, username: "lin.agent1".into(), display_name: "小林".into() };
    earlier.created_at = now().plus_seconds(-86_400);
    earlier.updated_at = earlier.created_at;
    ctx.payouts = vec![earlier];
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

// --- submitting: the idempotency key is kept until a definite answer (issue 8, item 10) --------

/// Replaces `window.fetch` with one that answers `POST /api/payouts` from `answers` (status and
/// JSON body, in order) and records each request's idempotency key and body in `window.__calls`.
fn fake_fetch(answers: &[(u16, String)]) {
    let list = js_sys::Array::new();
    for (status, body) in answers {
        let a = js_sys::Object::new();
        js_sys::Reflect::set(&a, &"status".into(), &(*status).into()).unwrap();
        js_sys::Reflect::set(&a, &"body".into(), &body.as_str().into()).unwrap();
        list.push(&a);
    }
    let install = js_sys::Function::new_with_args(
        "answers",
        "window.__calls = [];
         window.fetch = async (req) => {
           window.__calls.push({ key: req.headers.get('Idempotency-Key'), body: await req.clone().text() });
           const a = answers.shift();
           return new Response(a.body, { status: a.status, headers: { 'content-type': 'application/json' } });
         };",
    );
    install.call1(&JsValue::NULL, &list).unwrap();
}

/// `(idempotency key, body)` of every request the fake fetch answered.
fn calls() -> Vec<(String, String)> {
    let calls = js_sys::Reflect::get(&window(), &"__calls".into()).unwrap();
    js_sys::Array::from(&calls)
        .iter()
        .map(|c| {
            let get = |k: &str| js_sys::Reflect::get(&c, &k.into()).unwrap().as_string().unwrap_or_default();
            (get("key"), get("body"))
        })
        .collect()
}

fn created_json(amount: &str) -> String {
    let mut p = payout(41, PayoutType::PriceDifference, amount, PayoutStatus::Pending);
    p.order_no = context(facts()).order.order_no;
    serde_json::to_string(&p).unwrap()
}

fn rejected_json() -> String {
    r#"{"error":{"code":"PAYOUT_REJECTED","message_zh":"打款未通过校验","message_en":"The payout was refused","violations":[{"rule":"R-F5","code":"AMOUNT_OVER_SHOP_DAILY_REMAINING","field":"amount","message_zh":"超出店铺今日剩余打款额度","message_en":"More than the shop's remaining"}]}}"#.to_owned()
}

/// The dialog inside a screen that owns the submitter, with a way to close and reopen it.
struct Screen {
    page: Mounted,
    open: RwSignal<bool>,
    created: RwSignal<Vec<i64>>,
}

fn screen() -> Screen {
    let open = RwSignal::new(true);
    let created = RwSignal::new(Vec::<i64>::new());
    let ctx = context(facts());
    let page = mount(move || {
        let submitter = Submitter::new();
        let now = ctx.server_time;
        view! {
            <Show when=move || open.get()>
                <PayoutDialog
                    ctx=ctx.clone()
                    now=Signal::derive(move || now)
                    submitter
                    on_close=move || open.set(false)
                    on_created=move |p: PayoutView| created.update(|c| c.push(p.id))
                />
            </Show>
        }
    });
    Screen { page, open, created }
}

/// Waits, running the reactive system, until `condition` holds; fails naming `what` after `ms`.
async fn until(ms: f64, what: &str, condition: impl Fn() -> bool) {
    let start = js_sys::Date::now();
    loop {
        tick().await;
        if condition() {
            return;
        }
        assert!(js_sys::Date::now() - start < ms, "{what}: not within {ms} ms");
        sleep(20).await;
    }
}

async fn settle() {
    for _ in 0..10 {
        sleep(20).await;
        tick().await;
    }
}

fn is_disabled(page: &Mounted, testid: &str) -> bool {
    page.find::<web_sys::Element>(testid).matches(":disabled").unwrap()
}

#[wasm_bindgen_test]
async fn a_503_keeps_the_idempotency_key_and_locks_the_form_until_the_retry_gets_a_201() {
    fake_fetch(&[(503, String::new()), (201, created_json("12.50"))]);
    let s = screen();
    fill(&s.page, "price_difference", "12.50").await;
    s.page.find::<HtmlButtonElement>("submit-payout").click();
    settle().await;

    assert!(
        s.page.text("unresolved-notice").contains("没有收到明确结果"),
        "{}",
        s.page.text("unresolved-notice")
    );
    assert!(
        is_disabled(&s.page, "amount-input") && is_disabled(&s.page, "payout-type"),
        "the form is locked"
    );
    assert_eq!(s.page.text("submit-payout"), "重新提交");
    assert!(!submit_disabled(&s.page), "the retry stays possible");

    // A change that gets past the lock (here: a script) does not change what the retry sends.
    type_into(&s.page.find::<HtmlInputElement>("amount-input"), "13");
    tick().await;
    s.page.find::<HtmlButtonElement>("submit-payout").click();
    settle().await;

    let sent = calls();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(sent[0].0, sent[1].0, "the same idempotency key");
    assert_eq!(sent[0].1, sent[1].1, "the same body");
    assert!(sent[1].1.contains("\"12.50\""), "{}", sent[1].1);
    assert_eq!(s.created.get_untracked(), vec![41], "the definite answer completes the payout");
}

#[wasm_bindgen_test]
async fn an_unresolved_submission_survives_closing_and_reopening_the_dialog() {
    fake_fetch(&[(504, String::new()), (201, created_json("12.50"))]);
    let s = screen();
    fill(&s.page, "price_difference", "12.50").await;
    s.page.find::<HtmlButtonElement>("submit-payout").click();
    settle().await;
    s.open.set(false);
    tick().await;
    s.open.set(true);
    settle().await;
    assert!(
        s.page.find_opt::<web_sys::Element>("unresolved-notice").is_some(),
        "still locked after reopening"
    );
    assert_eq!(s.page.find::<HtmlInputElement>("amount-input").value(), "12.50");
    s.page.find::<HtmlButtonElement>("submit-payout").click();
    settle().await;
    let sent = calls();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].0, sent[1].0, "the same idempotency key after reopening");
    assert_eq!(s.created.get_untracked(), vec![41]);
}

/// The dialog on the fixture's order inside a screen whose submitter starts with `unresolved`.
fn screen_with(unresolved: Option<Attempt>) -> (Mounted, Submitter) {
    let ctx = context(facts());
    let submitter = Submitter::new();
    submitter.unresolved.set(unresolved);
    let page = mount(move || {
        let now = ctx.server_time;
        view! { <PayoutDialog ctx=ctx.clone() now=Signal::derive(move || now) submitter on_close=|| () on_created=|_| () /> }
    });
    (page, submitter)
}

/// What the tab kept in `sessionStorage` for user 3: a submission of ¥12.50 on the fixture's
/// order, made `age` seconds ago, read back as the app reads it after a reload.
fn stored_attempt(age: i64) -> Attempt {
    let order_no = context(facts()).order.order_no;
    let at = now().plus_seconds(-age).to_rfc3339();
    let stored = serde_json::json!({
        "user_id": 3,
        "attempt": {
            "draft": { "order_no": order_no, "source_account": "aggregate", "payout_type": "price_difference", "amount": "12.50" },
            "key": "key-of-the-old-attempt",
            "created_at": at,
        },
    });
    window().session_storage().unwrap().unwrap().set_item("payout.unresolved", &stored.to_string()).unwrap();
    pending::load(3).expect("the stored attempt is read back")
}

#[wasm_bindgen_test]
async fn a_day_old_unanswered_submission_is_not_sent_again_and_the_agent_checks_the_records() {
    fake_fetch(&[(201, created_json("10.00"))]);
    // Past 23 hours the server (which keeps keys 24 h) may have forgotten the key.
    let (page, submitter) = screen_with(Some(stored_attempt(23 * 3600 + 60)));
    settle().await;
    let notice = page.text("stale-attempt");
    assert!(notice.contains("超过 23 小时") && notice.contains("打款记录"), "{notice}");
    let link: web_sys::Element = page.find("stale-attempt-records");
    assert_eq!(link.get_attribute("href").as_deref(), Some("/records?order_no=6920241100000000002"));
    assert!(page.find_opt::<web_sys::Element>("unresolved-notice").is_none(), "not locked to it");
    assert_eq!(page.text("submit-payout"), "确认打款", "no 重新提交");
    assert_eq!(submitter.unresolved.get_untracked(), None, "discarded");
    save_for_user_3(&submitter);
    assert_eq!(pending::load(3), None, "and gone from sessionStorage");

    // A payout made now is a new submission with a new key; the old one was never sent.
    fill(&page, "price_difference", "10").await;
    page.find::<HtmlButtonElement>("submit-payout").click();
    settle().await;
    let sent = calls();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_ne!(sent[0].0, "key-of-the-old-attempt");
}

/// What the app does with the submitter's state (`App`'s effect): keep it or drop it.
fn save_for_user_3(submitter: &Submitter) {
    submitter.unresolved.with_untracked(|a| pending::save(Some(3), a.as_ref()));
}

#[wasm_bindgen_test]
async fn a_submission_just_under_23_hours_old_is_still_sent_again_with_its_key() {
    fake_fetch(&[(201, created_json("12.50"))]);
    let (page, submitter) = screen_with(Some(stored_attempt(23 * 3600 - 120)));
    settle().await;
    assert!(page.find_opt::<web_sys::Element>("stale-attempt").is_none());
    assert_eq!(page.text("submit-payout"), "重新提交");
    page.find::<HtmlButtonElement>("submit-payout").click();
    settle().await;
    assert_eq!(calls().iter().map(|c| c.0.as_str()).collect::<Vec<_>>(), ["key-of-the-old-attempt"]);
    assert_eq!(submitter.unresolved.get_untracked(), None, "answered");
}

#[wasm_bindgen_test]
fn an_attempt_kept_without_its_time_counts_as_too_old() {
    let old = serde_json::json!({
        "user_id": 3,
        "attempt": { "draft": { "order_no": "6920241100000000002", "source_account": "aggregate", "payout_type": "other", "amount": "1" }, "key": "k" },
    });
    window().session_storage().unwrap().unwrap().set_item("payout.unresolved", &old.to_string()).unwrap();
    let attempt = pending::load(3).unwrap();
    assert_eq!(attempt.created_at, None);
    assert!(attempt.is_stale(now()), "its age is unknown: never sent again");
    let fresh = Attempt::new(attempt.draft.clone(), now());
    pending::save(Some(3), Some(&fresh));
    let seconds = |a: &Attempt| a.created_at.map(|t| t.unix_seconds());
    assert_eq!(seconds(&pending::load(3).unwrap()), seconds(&fresh), "the time is kept across a reload");
    assert!(!fresh.is_stale(now().plus_seconds(RESEND_WITHIN_SECONDS - 1)));
    assert!(fresh.is_stale(now().plus_seconds(RESEND_WITHIN_SECONDS)));
    pending::save(None, None);
}

#[wasm_bindgen_test]
async fn a_definite_refusal_releases_the_key_so_the_next_submission_is_new() {
    fake_fetch(&[(422, rejected_json()), (201, created_json("10.00"))]);
    let s = screen();
    fill(&s.page, "price_difference", "12.50").await;
    s.page.find::<HtmlButtonElement>("submit-payout").click();
    settle().await;
    assert!(s.page.find_opt::<web_sys::Element>("unresolved-notice").is_none(), "a 4xx is definite");
    assert!(
        s.page.text("amount-error").contains("超出店铺今日剩余打款额度"),
        "{}",
        s.page.text("amount-error")
    );
    type_into(&s.page.find::<HtmlInputElement>("amount-input"), "10");
    tick().await;
    s.page.find::<HtmlButtonElement>("submit-payout").click();
    settle().await;
    let sent = calls();
    assert_eq!(sent.len(), 2);
    assert_ne!(sent[0].0, sent[1].0, "a new submission gets a new key");
    assert_eq!(s.created.get_untracked(), vec![41]);
}

// --- the dialog explains itself (issue 10, defect 6) -------------------------------------------

#[wasm_bindgen_test]
async fn a_grey_submit_says_why_and_the_amount_shows_the_most_that_may_be_paid() {
    let mut f = facts();
    f.operator.per_payout_limit = Some(m("50"));
    let page = dialog(f);
    tick().await;
    assert!(submit_disabled(&page));
    assert_eq!(page.text("submit-why"), "请先选择打款类型、填写打款金额");
    // The smallest of order 128, per payout 50, daily 2000, shop 15000, aggregate 18800.
    assert_eq!(page.text("amount-hint"), "最多可打 ¥50.00");
    type_into(&page.find::<HtmlInputElement>("amount-input"), "10");
    tick().await;
    assert_eq!(page.text("submit-why"), "请先选择打款类型");
    select(&page.find::<HtmlSelectElement>("payout-type"), "other");
    tick().await;
    assert_eq!(page.text("submit-why"), "");
}

#[wasm_bindgen_test]
async fn focus_starts_on_the_first_field_not_on_the_close_button() {
    let page = dialog(facts());
    // Wait until focus has moved into the dialog, then see where it went.
    let inside = || document().active_element().is_some_and(|e| page.root.contains(Some(e.as_ref())));
    until(2_000.0, "focus moves into the dialog", inside).await;
    let active = document().active_element().unwrap();
    assert_eq!(
        active.get_attribute("data-testid").as_deref(),
        Some("source-aggregate"),
        "{:?}",
        active.outer_html()
    );
}

#[wasm_bindgen_test]
async fn r_f1_501_shows_every_limit_it_exceeds_not_only_the_largest_cap() {
    let mut f = facts();
    f.operator.per_payout_limit = Some(m("50"));
    let page = dialog(f);
    fill(&page, "other", "501").await;
    let text = page.text("amount-error");
    assert!(text.contains("金额不能超过 ¥500.00"), "{text}");
    assert!(text.contains("超出该订单剩余可打款金额"), "{text}");
    assert!(text.contains("超出您的单笔打款限额 ¥50.00"), "{text}");
}

#[wasm_bindgen_test]
async fn the_english_linked_product_option_uses_plain_brackets() {
    let page = mount(|| {
        provide_lang().set(payout_console::i18n::Lang::En);
        let ctx = context(facts());
        let now = ctx.server_time;
        let submitter = Submitter::new();
        view! { <PayoutDialog ctx now=Signal::derive(move || now) submitter on_close=|| () on_created=|_| () /> }
    });
    tick().await;
    let options = page.text("linked-item");
    assert!(options.contains(" (¥") && !options.contains('（'), "{options}");
    provide_lang_reset();
}

fn provide_lang_reset() {
    let _ = window().local_storage().unwrap().unwrap().set_item("payout.lang", "zh-CN");
}

// --- how values are written (issue 10, defects 5 and 7) ----------------------------------------

#[wasm_bindgen_test]
fn amounts_have_thousands_separators() {
    use payout_console::format::money;
    assert_eq!(money(m("15000")), "¥15,000.00");
    assert_eq!(money(m("1234567.5")), "¥1,234,567.50");
    assert_eq!(money(m("999.99")), "¥999.99");
    assert_eq!(money(m("0.01")), "¥0.01");
}

#[wasm_bindgen_test]
fn a_two_language_reason_is_shown_in_one_language() {
    use payout_console::format::reason;
    use payout_console::i18n::Lang;
    let text = "收款方钱包状态异常，转账被退回 (buyer wallet rejected the transfer)";
    assert_eq!(reason(Lang::Zh, text), "收款方钱包状态异常，转账被退回");
    assert_eq!(reason(Lang::En, text), "buyer wallet rejected the transfer");
    assert_eq!(reason(Lang::En, "余额不足"), "余额不足", "a one-language text stays as it is");
}

#[wasm_bindgen_test]
fn order_numbers_and_dates_are_checked_before_asking_the_server() {
    use payout_console::format::{is_date, order_no};
    assert_eq!(order_no(" 6920241100000000004 ").as_deref(), Some("6920241100000000004"));
    assert_eq!(order_no("６９２０２４１１００００００００００４").as_deref(), Some("6920241100000000004"));
    assert_eq!(order_no("abc"), None);
    assert_eq!(order_no("692024110000000000"), None, "18 digits");
    assert!(is_date("2026-11-24"));
    assert!(!is_date("2026-13-01") && !is_date("24/11/2026") && !is_date("2026-1-1"));
}

#[wasm_bindgen_test]
fn times_and_days_are_on_the_business_clock_utc_plus_8() {
    use payout_console::format::{add_days, time};
    let t = |text: &str| payout_core::Time::parse(text).unwrap();
    assert_eq!(time(t("2026-11-24T10:05:00Z")), "2026-11-24 18:05:00");
    assert_eq!(
        time(t("2026-11-24T16:00:00Z")),
        "2026-11-25 00:00:00",
        "the business day starts at 16:00 UTC"
    );
    assert_eq!(time(t("2026-12-31T23:59:59.999+08:00")), "2026-12-31 23:59:59", "never rounded up");
    assert_eq!(time(t("2028-02-28T16:30:00Z")), "2028-02-29 00:30:00", "a leap day");
    assert_eq!(time(t("1999-12-31T16:00:00Z")), "2000-01-01 00:00:00");
    assert_eq!(add_days("2026-11-30", 1).as_deref(), Some("2026-12-01"));
    assert_eq!(add_days("2028-03-01", -1).as_deref(), Some("2028-02-29"));
    assert_eq!(add_days("2026-13-01", 1), None);
}

#[wasm_bindgen_test]
async fn amounts_inside_rule_messages_are_thousands_separated_too() {
    use payout_console::format::amounts_in;
    assert_eq!(
        amounts_in("超出店铺今日剩余打款额度 ¥14990.00（店铺单日上限 ¥15000.00）"),
        "超出店铺今日剩余打款额度 ¥14,990.00（店铺单日上限 ¥15,000.00）"
    );
    assert_eq!(amounts_in("cap ¥20.00."), "cap ¥20.00.");
    assert_eq!(amounts_in("上限 ¥15,000.00"), "上限 ¥15,000.00", "grouped already: unchanged");
    let mut f = facts();
    f.shop_counted_today = m("1000");
    let page = dialog(f);
    fill(&page, "other", "14500").await;
    assert!(page.text("amount-error").contains("¥14,000.00"), "{}", page.text("amount-error"));
}

// --- reasons, the buyer message and approval (SPEC §11.1, §11.2) ------------------------------

fn textarea(page: &Mounted, testid: &str) -> web_sys::Element {
    page.find(testid)
}

#[wasm_bindgen_test]
async fn r_f13_choosing_a_reason_sets_its_type_and_puts_its_template_in_the_buyer_message() {
    let page = dialog(facts());
    tick().await;
    // The fixture's reason 2 is 降价补差 (price difference) with a template.
    select(&page.find::<HtmlSelectElement>("payout-reason"), "2");
    settle().await;
    assert_eq!(page.find::<HtmlSelectElement>("payout-type").value(), "price_difference");
    // The field keeps the template, placeholders and all: the server fills them from the payout.
    let message = value_of(&textarea(&page, "buyer-message"));
    assert_eq!(
        message,
        "您好，订单 {order_no} 的商品已降价，差价 ¥{amount} 已补给您，感谢您对{shop_name}的支持。"
    );
    type_into(&page.find::<HtmlInputElement>("amount-input"), "12.5");
    settle().await;
    assert_eq!(value_of(&textarea(&page, "buyer-message")), message, "typing an amount leaves the template");
    assert!(!submit_disabled(&page));

    // Choosing a type that does not match the reason clears the reason.
    select(&page.find::<HtmlSelectElement>("payout-type"), "shipping");
    settle().await;
    assert_eq!(page.find::<HtmlSelectElement>("payout-reason").value(), "");
    assert_eq!(value_of(&textarea(&page, "buyer-message")), "", "no reason, no template");
    assert!(page.find_opt::<web_sys::Element>("buyer-message-preview").is_none(), "nothing to preview");
}

#[wasm_bindgen_test]
async fn the_buyer_message_preview_shows_what_the_buyer_receives_with_the_amount_typed_now() {
    let page = dialog(facts());
    select(&page.find::<HtmlSelectElement>("payout-reason"), "2");
    settle().await;
    // No amount yet: a readable blank, never the placeholder itself.
    let preview = page.text("buyer-message-preview-text");
    assert_eq!(
        preview,
        "您好，订单 6920241100000000002 的商品已降价，差价 ¥— 已补给您，感谢您对林记家居旗舰店的支持。"
    );
    assert!(!page.text("buyer-message-preview").contains('{'), "{preview}");

    type_into(&page.find::<HtmlInputElement>("amount-input"), "18.8");
    settle().await;
    assert!(page.text("buyer-message-preview-text").contains("差价 ¥18.80 已补给您"));
    type_into(&page.find::<HtmlInputElement>("amount-input"), "18.9");
    settle().await;
    let preview = page.text("buyer-message-preview-text");
    assert!(preview.contains("差价 ¥18.90 已补给您") && !preview.contains("18.80"), "{preview}");
    // An amount that is not valid reads as the blank again.
    type_into(&page.find::<HtmlInputElement>("amount-input"), "18.999");
    settle().await;
    assert!(page.text("buyer-message-preview-text").contains("差价 ¥— 已补给您"));

    // Placeholders the person types are filled too.
    type_into(&page.find::<HtmlInputElement>("amount-input"), "７");
    type_text(&textarea(&page, "buyer-message"), "{shop_name}：订单 {order_no} 补您 {amount} 元");
    settle().await;
    assert_eq!(
        page.text("buyer-message-preview-text"),
        "林记家居旗舰店：订单 6920241100000000002 补您 7.00 元"
    );
}

#[wasm_bindgen_test]
async fn an_edited_buyer_message_stays_when_the_amount_or_reason_changes() {
    let page = dialog(facts());
    select(&page.find::<HtmlSelectElement>("payout-reason"), "2");
    type_into(&page.find::<HtmlInputElement>("amount-input"), "10");
    tick().await;
    type_text(&textarea(&page, "buyer-message"), "您好，差价已补，请查收。");
    tick().await;
    type_into(&page.find::<HtmlInputElement>("amount-input"), "11");
    select(&page.find::<HtmlSelectElement>("payout-reason"), "3");
    settle().await;
    assert_eq!(value_of(&textarea(&page, "buyer-message")), "您好，差价已补，请查收。");
    assert_eq!(page.find::<HtmlSelectElement>("payout-type").value(), "product_issue");
}

#[wasm_bindgen_test]
async fn the_draft_sent_carries_the_reason_and_the_buyer_message_apart_from_the_note() {
    fake_fetch(&[(201, created_json("12.50"))]);
    let s = screen();
    select(&s.page.find::<HtmlSelectElement>("payout-reason"), "2");
    type_into(&s.page.find::<HtmlInputElement>("amount-input"), "12.50");
    type_text(&textarea(&s.page, "payout-note"), "客户来电");
    tick().await;
    s.page.find::<HtmlButtonElement>("submit-payout").click();
    settle().await;
    let sent = calls();
    assert_eq!(sent.len(), 1);
    let body: serde_json::Value = serde_json::from_str(&sent[0].1).unwrap();
    assert_eq!(body["reason_id"], 2);
    assert_eq!(body["payout_type"], "price_difference");
    assert_eq!(body["note"], "客户来电");
    // The template as it is: the server fills it from the payout it creates.
    assert!(body["buyer_message"].as_str().unwrap().contains("差价 ¥{amount} 已补给您"), "{body}");
}

#[wasm_bindgen_test]
async fn r_f12_a_shop_that_requires_a_reason_asks_for_one() {
    let mut f = facts();
    f.shop.require_reason = true;
    let page = dialog(f);
    fill(&page, "other", "10").await;
    assert!(submit_disabled(&page));
    assert_eq!(page.text("submit-why"), "请先选择打款原因");
    assert!(
        page.text("payout-reason-error").contains("请选择打款原因"),
        "{}",
        page.text("payout-reason-error")
    );
    select(&page.find::<HtmlSelectElement>("payout-reason"), "4");
    tick().await;
    assert!(!submit_disabled(&page));
}

#[wasm_bindgen_test]
async fn r_f14_texts_over_200_characters_are_reported_beside_their_field() {
    let page = dialog(facts());
    fill(&page, "other", "10").await;
    type_text(&textarea(&page, "buyer-message"), &"好".repeat(201));
    type_text(&textarea(&page, "payout-note"), &"记".repeat(201));
    tick().await;
    assert!(
        page.text("buyer-message-error").contains("买家留言不能超过 200 个字符"),
        "{}",
        page.text("buyer-message-error")
    );
    assert!(
        page.text("payout-note-error").contains("内部备注不能超过 200 个字符"),
        "{}",
        page.text("payout-note-error")
    );
    assert!(submit_disabled(&page));
}

#[wasm_bindgen_test]
async fn approval_notice_shows_at_or_above_the_threshold_for_a_sub_account_only() {
    let mut f = facts();
    f.shop.approval_threshold = Some(m("100"));
    let page = dialog(f.clone());
    fill(&page, "other", "99.99").await;
    assert!(page.find_opt::<web_sys::Element>("approval-notice").is_none());
    type_into(&page.find::<HtmlInputElement>("amount-input"), "100");
    tick().await;
    assert_eq!(page.text("approval-notice"), "金额达到 ¥100.00 审核门槛，提交后需主账号审核");
    assert!(!submit_disabled(&page), "it may still be submitted");
    drop(page);

    f.operator = payout_core::facts::OperatorFacts::main();
    let page = dialog(f);
    fill(&page, "other", "150").await;
    assert!(page.find_opt::<web_sys::Element>("approval-notice").is_none(), "the main account never waits");
}

#[wasm_bindgen_test]
async fn a_payout_shows_its_message_and_note_apart_its_rejection_and_a_stuck_one_says_do_not_pay_again() {
    use payout_console::components::payout_table::PayoutTable;
    let mut rejected = payout(1, PayoutType::Other, "150", PayoutStatus::Rejected);
    rejected.buyer_message = Some("给买家的话".into());
    rejected.note = Some("内部的话".into());
    rejected.reason_name_zh = Some("其他".into());
    rejected.decided_by = Some("system".into());
    rejected.decided_at = Some(now());
    rejected.reject_reason = Some(payout_core::approval::EXPIRED.into());
    let mut stuck = payout(2, PayoutType::Shipping, "8", PayoutStatus::Processing);
    stuck.stuck = true;
    let page = mount(move || {
        view! { <PayoutTable payouts=vec![rejected, stuck] testid="t" row_testid="row" labelled_by="x" /> }
    });
    tick().await;
    assert_eq!(page.text("pinfo-buyer-message"), "买家留言（买家可见）给买家的话");
    assert_eq!(page.text("pinfo-note"), "内部备注（仅本店可见）内部的话");
    assert_eq!(page.text("reason-name"), "其他");
    assert!(page.text("pinfo-decision").starts_with("驳回系统 · "), "{}", page.text("pinfo-decision"));
    assert_eq!(page.text("pinfo-reject-reason"), "驳回原因超过 24 小时未审核，已自动驳回");
    let stuck_row: web_sys::Element = page.root.query_selector("[data-id='2']").unwrap().unwrap();
    let text = stuck_row.text_content().unwrap();
    assert!(text.contains("打款状态确认中") && text.contains("请勿重复打款，款项仍在确认中"), "{text}");
    assert!(
        page.find_opt::<web_sys::Element>("status-query").is_none(),
        "only the main account may ask again"
    );
}

/// The one button of every screen: while its work is under way it is disabled, `aria-busy` and
/// says what it is doing, and a click does nothing; otherwise a click runs its work once.
#[wasm_bindgen_test]
async fn a_button_is_disabled_and_says_so_while_its_work_is_under_way() {
    let pending = RwSignal::new(false);
    let clicks = RwSignal::new(0);
    let page = mount(move || {
        provide_lang().set(payout_console::i18n::Lang::Zh);
        view! {
            <Button
                label=("保存", "Save")
                busy=("保存中…", "Saving…")
                pending
                class="btn--primary"
                testid="save"
                on_click=move || clicks.update(|n| *n += 1)
            />
        }
    });
    tick().await;
    let button: HtmlButtonElement = page.find("save");
    assert_eq!((button.type_(), button.class_name()), ("button".to_owned(), "btn btn--primary".to_owned()));
    assert_eq!(page.text("save"), "保存");
    assert!(!button.disabled() && button.get_attribute("aria-busy").is_none());
    button.click();
    assert_eq!(clicks.get_untracked(), 1);

    pending.set(true);
    tick().await;
    assert_eq!(page.text("save"), "保存中…");
    assert!(button.disabled());
    assert_eq!(button.get_attribute("aria-busy").as_deref(), Some("true"));
    button.click();
    assert_eq!(clicks.get_untracked(), 1, "no second submission while the first is under way");

    pending.set(false);
    tick().await;
    assert_eq!(page.text("save"), "保存");
    assert!(!button.disabled() && button.get_attribute("aria-busy").is_none());
}
