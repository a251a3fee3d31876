//! Whole screens in headless Chromium: a screen mounted in a router at an address, signed in as a
//! hand-made session, its API answered by a fake `fetch` (issue 18: what the workbench, sign-in,
//! the order page and the fallback page say).
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use leptos::prelude::*;
use leptos_router::components::Router;
use payout_console::components::payout_dialog::{Attempt, Submitter};
use payout_console::session::SessionState;
use payout_core::api::{Permissions, SessionInfo, ShopView, UserView};
use payout_core::facts::{Qualification, Role};
use payout_core::meters;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// One fake answer: for requests whose method is `method` and whose path (with the query) starts
/// with `path`.
struct Answer {
    method: &'static str,
    path: String,
    status: u16,
    body: String,
    headers: Vec<(&'static str, String)>,
}

fn answer(method: &'static str, path: &str, status: u16, body: String) -> Answer {
    Answer { method, path: path.to_owned(), status, body, headers: vec![] }
}

/// Replaces `window.fetch` with one that answers from `answers` (the first that matches; a `404`
/// when none does) and records every request in `window.__requests` as `METHOD path`.
fn fake_api(answers: Vec<Answer>) {
    let list = js_sys::Array::new();
    for a in answers {
        let o = js_sys::Object::new();
        let set = |k: &str, v: JsValue| js_sys::Reflect::set(&o, &k.into(), &v).unwrap();
        set("method", a.method.into());
        set("path", a.path.as_str().into());
        set("status", a.status.into());
        set("body", a.body.as_str().into());
        let headers = js_sys::Object::new();
        for (k, v) in &a.headers {
            js_sys::Reflect::set(&headers, &(*k).into(), &v.as_str().into()).unwrap();
        }
        set("headers", headers.into());
        list.push(&o);
    }
    js_sys::Function::new_with_args(
        "answers",
        "window.__requests = [];
         window.fetch = async (input, init) => {
           const req = input instanceof Request ? input : new Request(input, init);
           const url = new URL(req.url);
           const path = url.pathname + url.search;
           window.__requests.push(req.method + ' ' + path);
           const a = answers.find((a) => a.method === req.method && path.startsWith(a.path));
           if (!a) return new Response('{}', { status: 404, headers: { 'content-type': 'application/json' } });
           return new Response(a.body, { status: a.status, headers: { 'content-type': 'application/json', ...a.headers } });
         };",
    )
    .call1(&JsValue::NULL, &list)
    .unwrap();
}

/// Every request the fake answered, as `METHOD path`.
fn requests() -> Vec<String> {
    let r = js_sys::Reflect::get(&window(), &"__requests".into()).unwrap();
    js_sys::Array::from(&r).iter().filter_map(|v| v.as_string()).collect()
}

fn session(role: Role, payout: bool) -> SessionInfo {
    SessionInfo {
        user: UserView { id: 3, username: "lin.agent2".into(), display_name: "小周".into(), role },
        shop: ShopView {
            id: 1,
            name: "林记家居旗舰店".into(),
            qualification: Qualification::Enterprise,
            status: "active".into(),
        },
        permissions: Permissions {
            payout,
            manage_quotas: role == Role::Main,
            manage_settings: role == Role::Main,
        },
        csrf_token: "csrf".into(),
    }
}

/// `screen` inside a router at `address`, with `session` signed in.
fn at<F, V>(address: &str, session: SessionState, screen: F) -> Mounted
where
    F: Fn() -> V + Send + Sync + 'static,
    V: IntoView + 'static,
{
    window().history().unwrap().replace_state_with_url(&JsValue::NULL, "", Some(address)).unwrap();
    mount(move || {
        provide_context(RwSignal::new(session.clone()));
        view! { <Router>{screen()}</Router> }
    })
}

async fn settle() {
    for _ in 0..15 {
        sleep(20).await;
        leptos::task::tick().await;
    }
}

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
    settle().await;
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
    settle().await;
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
    settle().await;
    assert!(page.text("stale-attempt").contains("查看该订单的打款记录"), "{}", page.text("eligibility"));
    assert!(page.find_opt::<web_sys::Element>("unresolved-order").is_none(), "no 重新提交 invitation");
    assert_eq!(page.text("open-payout"), "发起打款", "not 确认上次提交");
    assert_eq!(submitter.unresolved.get_untracked(), None);
}
