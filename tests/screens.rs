//! Whole screens in headless Chromium: a screen mounted in a router at an address, signed in as a
//! hand-made session, its API answered by a fake `fetch` (issue 18: what the workbench, sign-in,
//! the order page and the fallback page say).
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use leptos::prelude::*;
use payout_console::components::payout_dialog::{Attempt, Submitter};
use payout_console::session::SessionState;
use payout_core::facts::Role;
use payout_core::meters;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const ORDER: &str = "6920241100000000002";

fn workbench(ctx: &payout_core::api::PayoutContext) -> Mounted {
    workbench_with(ctx, Submitter::new())
}

/// The workbench on the fixture's order, with the app's `submitter`.
fn workbench_with(ctx: &payout_core::api::PayoutContext, submitter: Submitter) -> Mounted {
    use payout_console::pages::workbench::Workbench;
    let body = serde_json::to_string(ctx).unwrap();
    fake_api(vec![answer("GET", &format!("/api/orders/{ORDER}/payout-context"), 200, body)]);
    at(&format!("/payout?order={ORDER}"), SessionState::SignedIn(session(Role::Sub, true)), move || {
        provide_context(submitter);
        view! { <Workbench /> }
    })
}

// --- the workbench (issue 18, items 2 and 5) ---------------------------------------------------

#[wasm_bindgen_test]
async fn r_l3_the_cooldown_notice_names_the_policys_cooldown_not_a_fixed_60_seconds() {
    let mut f = facts();
    f.usage.counted_count = 1;
    f.usage.counted_total = m("5");
    f.usage.last_created_at = Some(now().plus_seconds(-10));
    let mut ctx = context(f);
    ctx.policy.cooldown_seconds = 90;
    ctx.meters = meters(&ctx.policy, &ctx.facts, ctx.server_time);
    let page = workbench(&ctx);
    settle_page().await;
    let text = page.text("cooldown-notice");
    assert!(text.contains("同一订单两次打款需间隔 90 秒"), "{text}");
    assert!(text.contains("请 80 秒后再打款") || text.contains("请 79 秒后再打款"), "{text}");
    assert!(!text.contains("60"), "{text}");
    assert_eq!(requests(), [format!("GET /api/orders/{ORDER}/payout-context")]);
}

#[wasm_bindgen_test]
async fn a_stuck_payout_is_not_topped_by_the_green_all_clear() {
    let mut f = facts();
    f.usage.counted_count = 1;
    f.usage.counted_total = m("8");
    f.usage.has_processing = true;
    f.usage.last_created_at = Some(now().plus_seconds(-3600));
    let mut ctx = context(f);
    let mut stuck =
        payout(7, payout_core::PayoutType::Shipping, "8", payout_core::api::PayoutStatus::Processing);
    stuck.created_at = now().plus_seconds(-3600);
    stuck.stuck = true;
    ctx.payouts = vec![stuck];
    let page = workbench(&ctx);
    settle_page().await;
    assert!(page.text("stuck-warning").contains("请勿重复打款"), "{}", page.text("eligibility"));
    assert!(
        page.find_opt::<web_sys::Element>("eligible").is_none(),
        "no 该订单可以发起小额打款 above the warning: {}",
        page.text("eligibility")
    );
    assert_eq!(requests(), [format!("GET /api/orders/{ORDER}/payout-context")]);
}

// --- an unanswered submission a day old (issue 18, item 3) --------------------------------------

#[wasm_bindgen_test]
async fn a_day_old_unanswered_submission_sends_the_agent_to_the_orders_records_not_to_resend() {
    let ctx = context(facts());
    let draft = payout_core::api::PayoutDraft {
        order_no: ORDER.into(),
        source_account: "aggregate".into(),
        payout_type: "other".into(),
        amount: "12.50".into(),
        ..Default::default()
    };
    let submitter = Submitter::new();
    submitter.unresolved.set(Some(Attempt::new(draft, ctx.server_time.plus_seconds(-24 * 3600))));
    let page = workbench_with(&ctx, submitter);
    settle_page().await;
    assert!(page.text("stale-attempt").contains("查看该订单的打款记录"), "{}", page.text("eligibility"));
    assert!(page.find_opt::<web_sys::Element>("unresolved-order").is_none(), "no 重新提交 invitation");
    assert_eq!(page.text("open-payout"), "发起打款", "not 确认上次提交");
    assert_eq!(submitter.unresolved.get_untracked(), None);
}

// --- what the totals say (issue 18, item 4) ----------------------------------------------------

/// The shop's accounts as `GET /api/operators` lists them.
const OPERATORS: &str = r#"{"items":[{"id":1,"username":"lin.admin","display_name":"林记管理员"},{"id":3,"username":"lin.agent2","display_name":"客服主管阿杰"}]}"#;

/// The order page of the fixture's order with `payouts` (their events: none), signed in as `role`.
fn order_page(payouts: Vec<payout_core::api::PayoutView>, role: Role) -> Mounted {
    let details = payouts.into_iter().map(|payout| payout_core::api::PayoutDetail { payout, events: vec![] });
    order_page_with(details.collect(), role)
}

/// The order page of the fixture's order with these payouts and their events.
fn order_page_with(details: Vec<payout_core::api::PayoutDetail>, role: Role) -> Mounted {
    use payout_console::pages::order_detail::OrderDetail;
    let mut ctx = context(facts());
    ctx.payouts = details.iter().map(|d| d.payout.clone()).collect();
    let mut answers = vec![answer(
        "GET",
        &format!("/api/orders/{ORDER}/payout-context"),
        200,
        serde_json::to_string(&ctx).unwrap(),
    )];
    for d in details {
        answers.push(answer(
            "GET",
            &format!("/api/payouts/{}", d.payout.id),
            200,
            serde_json::to_string(&d).unwrap(),
        ));
    }
    answers.push(answer("GET", "/api/operators", 200, OPERATORS.into()));
    fake_api(answers);
    at(&format!("/orders/{ORDER}"), SessionState::SignedIn(session(role, true)), || {
        use leptos_router::components::{Route, Routes};
        use leptos_router::path;
        view! {
            <Routes fallback=|| "no route">
                <Route path=path!("/orders/:order_no") view=OrderDetail />
            </Routes>
        }
    })
}

#[wasm_bindgen_test]
async fn the_order_page_totals_a_payout_awaiting_approval_under_its_own_label_not_in_progress() {
    use payout_core::api::PayoutStatus::*;
    use payout_core::PayoutType::*;
    let page = order_page(
        vec![payout(2, Other, "150", AwaitingApproval), payout(1, Shipping, "8", Processing)],
        Role::Sub,
    );
    settle_page().await;
    assert_eq!(page.text("total-awaiting"), "待审核¥150.00");
    assert_eq!(page.text("total-in-progress"), "处理中¥8.00", "the rail has only the ¥8.00");
}

// --- words on the screen (issue 18, item 5) ----------------------------------------------------

/// A payout of ¥150.00 by lin.agent2 that waited for approval, was approved by lin.admin and paid.
fn approved_and_paid() -> payout_core::api::PayoutDetail {
    use payout_core::api::{PayoutEvent, PayoutStatus::*};
    let mut p = payout(9, payout_core::PayoutType::Other, "150", Succeeded);
    p.decided_by = Some("lin.admin".into());
    p.decided_at = Some(now());
    let event = |status, actor: &str, reason: Option<&str>| PayoutEvent {
        at: now(),
        status,
        actor: actor.into(),
        reason: reason.map(Into::into),
    };
    payout_core::api::PayoutDetail {
        payout: p,
        events: vec![
            event(AwaitingApproval, "lin.agent2", None),
            event(Pending, "lin.admin", Some(payout_core::approval::APPROVED)),
            event(Processing, payout_core::api::SETTLEMENT_ACTOR, None),
            event(Succeeded, payout_core::api::SETTLEMENT_ACTOR, None),
        ],
    }
}

#[wasm_bindgen_test]
async fn a_payouts_history_says_every_event_in_words_and_names_people_by_display_name() {
    let page = order_page_with(vec![approved_and_paid()], Role::Main);
    settle_page().await;
    let history = page.text("history");
    assert!(history.contains("审核通过"), "the approval in words: {history}");
    assert!(!history.contains("approved"), "no raw event kind: {history}");
    assert!(history.contains("林记管理员") && history.contains("客服主管阿杰"), "{history}");
    assert!(!history.contains("lin.admin") && !history.contains("lin.agent2"), "no logins: {history}");
    assert!(page.text("pinfo-decision").contains("林记管理员"), "{}", page.text("pinfo-decision"));
    let actor = page.root.query_selector(".events [data-testid=actor]").unwrap().unwrap();
    assert_eq!(actor.get_attribute("title").as_deref(), Some("lin.agent2"), "the login stays at hand");
    assert_eq!(
        requests().iter().filter(|r| r.starts_with("GET /api/operators")).count(),
        1,
        "the accounts are asked for once: {:?}",
        requests()
    );
}

// --- sign-in (issue 18, item 5) -----------------------------------------------------------------

fn sign_in_page() -> Mounted {
    use payout_console::pages::sign_in::SignIn;
    at("/sign-in", SessionState::SignedOut, || view! { <SignIn /> })
}

fn click(page: &Mounted, testid: &str) {
    page.find::<web_sys::HtmlElement>(testid).click();
}

#[wasm_bindgen_test]
async fn an_empty_sign_in_form_names_the_empty_field_and_sends_nothing() {
    fake_api(vec![answer("POST", "/api/session", 401, "{}".into())]);
    let page = sign_in_page();
    settle_page().await;
    click(&page, "signin-submit");
    settle_page().await;
    assert_eq!(page.text("username-error"), "请输入账号");
    assert_eq!(page.text("password-error"), "请输入密码");
    assert_eq!(page.text("signin-error"), "", "not 账号或密码错误");
    type_text(&page.find::<web_sys::Element>("username"), "lin.agent1");
    settle_page().await;
    assert_eq!(page.text("username-error"), "", "filled in");
    click(&page, "signin-submit");
    settle_page().await;
    assert_eq!(page.text("password-error"), "请输入密码");
    assert_eq!(requests(), Vec::<String>::new(), "nothing was sent");
    assert_eq!(document().active_element().and_then(|e| e.get_attribute("id")).as_deref(), Some("password"));
}

/// The sign-in page answered `429` with the throttle's message, which says the wait.
async fn throttled(lang: payout_console::i18n::Lang) -> String {
    let body = r#"{"error":{"code":"TOO_MANY_ATTEMPTS","message_zh":"登录失败次数过多，请 15 分钟后再试","message_en":"Too many failed sign-in attempts; try again in 15 minutes"}}"#;
    let mut a = answer("POST", "/api/session", 429, body.into());
    a.headers.push(("Retry-After", "900".into()));
    fake_api(vec![a]);
    let page = mount(move || {
        payout_console::i18n::provide_lang().set(lang);
        use payout_console::pages::sign_in::SignIn;
        provide_context(RwSignal::new(SessionState::SignedOut));
        view! { <leptos_router::components::Router><SignIn /></leptos_router::components::Router> }
    });
    settle_page().await;
    type_text(&page.find::<web_sys::Element>("username"), "lin.agent1");
    type_text(&page.find::<web_sys::Element>("password"), "wrong-pass");
    click(&page, "signin-submit");
    settle_page().await;
    let text = page.text("signin-error");
    let _ = window().local_storage().unwrap().unwrap().set_item("payout.lang", "zh-CN");
    text
}

#[wasm_bindgen_test]
async fn a_throttled_sign_in_says_when_to_try_again() {
    // The server's message carries the wait (payout_core::time::Wait); the page shows it as is.
    use payout_console::i18n::Lang;
    assert_eq!(throttled(Lang::Zh).await, "登录失败次数过多，请 15 分钟后再试");
    assert_eq!(throttled(Lang::En).await, "Too many failed sign-in attempts; try again in 15 minutes");
}

// --- the whole app: signed out, the session is not asked for; a 404 keeps the shell -----------

fn set_marker() {
    js_sys::Reflect::set(
        &document(),
        &"cookie".into(),
        &"payout_signed_in=1; Path=/; SameSite=Strict".into(),
    )
    .unwrap();
}

fn app_at(address: &str) -> Mounted {
    window()
        .history()
        .unwrap()
        .replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(address))
        .unwrap();
    mount(|| view! { <payout_console::App /> })
}

fn location() -> String {
    let l = window().location();
    format!("{}{}", l.pathname().unwrap(), l.search().unwrap())
}

#[wasm_bindgen_test]
async fn signed_out_the_app_asks_no_session_and_goes_to_sign_in_with_the_deep_link() {
    payout_console::api::forget_session_marker();
    fake_api(vec![]);
    let page = app_at(&format!("/payout?order={ORDER}"));
    settle_page().await;
    assert_eq!(requests(), Vec::<String>::new(), "no GET /api/session to be answered 401");
    assert_eq!(location(), format!("/sign-in?next=%2Fpayout%3Forder%3D{ORDER}"));
    assert!(page.find_opt::<web_sys::Element>("signin-submit").is_some());
}

#[wasm_bindgen_test]
async fn with_the_marker_the_session_is_asked_for_and_a_401_drops_the_marker() {
    set_marker();
    fake_api(vec![answer("GET", "/api/session", 401, "{}".into())]);
    let _page = app_at("/payout");
    settle_page().await;
    assert_eq!(requests(), ["GET /api/session"]);
    assert!(!payout_console::api::may_be_signed_in(), "an ended session's marker is dropped");
    assert!(location().starts_with("/sign-in"), "{}", location());
}

#[wasm_bindgen_test]
async fn an_unknown_address_says_page_not_found_inside_the_shell_with_a_way_back() {
    set_marker();
    let me = serde_json::to_string(&session(Role::Sub, true)).unwrap();
    fake_api(vec![answer("GET", "/api/session", 200, me)]);
    let page = app_at("/no-such-page");
    settle_page().await;
    assert!(page.text("not-found").contains("页面不存在"), "{}", page.root.text_content().unwrap());
    assert!(
        page.find_opt::<web_sys::Element>("shop-name").is_some(),
        "the header is there: {} {:?}",
        page.root.inner_html(),
        requests()
    );
    assert_eq!(page.text("shop-name"), "林记家居旗舰店");
    assert!(page.find_opt::<web_sys::Element>("sign-out").is_some());
    assert!(page.find_opt::<web_sys::Element>("nav-payout").is_some(), "and the navigation");
    let home: web_sys::Element = page.find("not-found-home");
    assert_eq!(home.get_attribute("href").as_deref(), Some("/"));
    payout_console::api::forget_session_marker();
}
