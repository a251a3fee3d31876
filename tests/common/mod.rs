//! Shared by the component tests: a hand-made payout context (the demo shop's order 2, a
//! sub-account with 200/2000), mounting into a fresh container, and DOM helpers.
#![allow(dead_code)]

use leptos::mount::mount_to;
use leptos::prelude::*;
use leptos_router::components::Router;
use payout_console::session::SessionState;
use payout_core::api::{
    Eligibility, OperatorRef, PayoutContext, PayoutStatus, PayoutView, Permissions, SessionInfo, ShopView,
    SourceAccountView, UserView,
};
use payout_core::facts::*;
use payout_core::{meters, Policy, Time};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Event, HtmlElement, HtmlInputElement};

#[allow(unused_imports)] // not every test binary needs it
pub use payout_core::fixtures::m;

pub fn now() -> Time {
    Time::from_unix_millis(js_sys::Date::now() as i64)
}

/// SPEC §9's order 2 and lin.agent2's quota, breaking no rule (payout-core's shared fixture).
pub fn facts() -> Facts {
    payout_core::fixtures::facts_at(now())
}

/// The context the server would send for these facts (accounts as the settings show them).
pub fn context(facts: Facts) -> PayoutContext {
    let policy = Policy::default();
    let t = now();
    let source_accounts = facts
        .shop
        .accounts
        .iter()
        .map(|a| {
            let allowed = a.opened && facts.shop.qualification.may_use(a.kind);
            SourceAccountView {
                kind: a.kind,
                opened: a.opened,
                allowed,
                balance: a.balance,
                frozen: a.frozen,
                reserved: a.reserved,
                available: a.available(),
                reason_zh: (!allowed).then(|| "个人资质店铺仅支持使用管家账户出款".to_owned()),
                reason_en: (!allowed)
                    .then(|| "Individually-qualified shops can pay only from the custody account".to_owned()),
            }
        })
        .collect();
    PayoutContext {
        order: facts.order.clone(),
        eligibility: Eligibility { eligible: true, violations: vec![] },
        meters: meters(&policy, &facts, t),
        source_accounts,
        selected_source_account: AccountKind::Aggregate,
        payouts: vec![],
        facts,
        policy,
        server_time: t,
    }
}

/// Mounts `view` into a new container; the returned guard unmounts it and removes the container.
pub struct Mounted {
    pub root: HtmlElement,
    _handle: Box<dyn std::any::Any>,
}

impl Drop for Mounted {
    fn drop(&mut self) {
        self.root.remove();
    }
}

pub fn mount<F, V>(view: F) -> Mounted
where
    F: FnOnce() -> V + 'static,
    V: IntoView + 'static,
{
    let root: HtmlElement = document().create_element("div").unwrap().unchecked_into();
    document().body().unwrap().append_child(&root).unwrap();
    let handle = mount_to(root.clone(), view);
    Mounted { root, _handle: Box::new(handle) }
}

impl Mounted {
    pub fn find<T: JsCast>(&self, testid: &str) -> T {
        self.find_opt(testid).unwrap_or_else(|| panic!("no element with data-testid={testid}"))
    }

    pub fn find_opt<T: JsCast>(&self, testid: &str) -> Option<T> {
        self.root.query_selector(&format!("[data-testid='{testid}']")).unwrap().map(|e| e.unchecked_into())
    }

    pub fn text(&self, testid: &str) -> String {
        self.find::<HtmlElement>(testid).text_content().unwrap_or_default()
    }
}

pub fn type_into(input: &HtmlInputElement, text: &str) {
    input.set_value(text);
    input.dispatch_event(&Event::new("input").unwrap()).unwrap();
}

pub fn select(el: &web_sys::HtmlSelectElement, value: &str) {
    el.set_value(value);
    el.dispatch_event(&Event::new("change").unwrap()).unwrap();
}

pub async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        window().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms).unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

/// A payout on the fixture's order by lin.agent2, created now, with nothing optional filled in.
pub fn payout(id: i64, payout_type: PayoutType, amount: &str, status: PayoutStatus) -> PayoutView {
    PayoutView {
        id,
        order_no: "6920241100000000002".into(),
        source_account: AccountKind::Aggregate,
        payout_type,
        amount: m(amount),
        status,
        failure_reason: None,
        linked_item_id: None,
        note: None,
        operator: OperatorRef { id: 3, username: "lin.agent2".into(), display_name: "小周".into() },
        created_at: now(),
        updated_at: now(),
        reason_id: None,
        reason_name_zh: None,
        reason_name_en: None,
        buyer_message: None,
        decided_by: None,
        decided_at: None,
        reject_reason: None,
        buyer_notified_at: None,
        buyer_notification_failed_at: None,
        stuck: false,
    }
}

/// The `value` of a form control of any kind (a `<textarea>` too).
pub fn value_of(el: &web_sys::Element) -> String {
    js_sys::Reflect::get(el, &"value".into()).unwrap().as_string().unwrap_or_default()
}

/// Types into a control of any kind: sets its value and fires `input`.
pub fn type_text(el: &web_sys::Element, text: &str) {
    js_sys::Reflect::set(el, &"value".into(), &text.into()).unwrap();
    el.dispatch_event(&Event::new("input").unwrap()).unwrap();
}

// --- whole screens: a router at an address, a session, a fake API --------------------------

/// One fake answer: for requests whose method is `method` and whose path (with the query) starts
/// with `path`.
pub struct Answer {
    pub method: &'static str,
    pub path: String,
    pub status: u16,
    pub body: String,
    pub headers: Vec<(&'static str, String)>,
}

pub fn answer(method: &'static str, path: &str, status: u16, body: String) -> Answer {
    Answer { method, path: path.to_owned(), status, body, headers: vec![] }
}

/// Replaces `window.fetch` with one that answers from `answers` (the first that matches; a `404`
/// when none does) and records every request in `window.__requests` as `METHOD path`.
pub fn fake_api(answers: Vec<Answer>) {
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
         window.__bodies = [];
         window.fetch = async (input, init) => {
           const req = input instanceof Request ? input : new Request(input, init);
           const url = new URL(req.url);
           const path = url.pathname + url.search;
           window.__requests.push(req.method + ' ' + path);
           window.__bodies.push(req.method + ' ' + path + ' ' + await req.clone().text());
           const a = answers.find((a) => a.method === req.method && path.startsWith(a.path));
           if (!a) return new Response('{}', { status: 404, headers: { 'content-type': 'application/json' } });
           return new Response(a.status === 204 ? null : a.body, { status: a.status, headers: { 'content-type': 'application/json', ...a.headers } });
         };",
    )
    .call1(&JsValue::NULL, &list)
    .unwrap();
}

/// Every request the fake answered, as `METHOD path`.
pub fn requests() -> Vec<String> {
    let r = js_sys::Reflect::get(&window(), &"__requests".into()).unwrap();
    js_sys::Array::from(&r).iter().filter_map(|v| v.as_string()).collect()
}

/// Every request the fake answered, as `METHOD path body` (the body empty when there was none).
pub fn bodies() -> Vec<String> {
    let r = js_sys::Reflect::get(&window(), &"__bodies".into()).unwrap();
    js_sys::Array::from(&r).iter().filter_map(|v| v.as_string()).collect()
}

pub fn session(role: Role, payout: bool) -> SessionInfo {
    SessionInfo {
        user: UserView {
            id: 3,
            username: "lin.agent2".into(),
            display_name: "小周".into(),
            role,
            two_factor: false,
        },
        shop: ShopView {
            id: 1,
            name: "林记家居旗舰店".into(),
            qualification: Qualification::Enterprise,
            status: payout_core::ShopStatus::Active,
        },
        permissions: Permissions {
            payout,
            manage_quotas: role == Role::Main,
            manage_settings: role == Role::Main,
        },
        csrf_token: "csrf".into(),
        password_change_required: false,
        two_factor_setup_required: false,
    }
}

/// `screen` inside a router at `address`, with `session` signed in.
pub fn at<F, V>(address: &str, session: SessionState, screen: F) -> Mounted
where
    F: Fn() -> V + Send + Sync + 'static,
    V: IntoView + 'static,
{
    window().history().unwrap().replace_state_with_url(&JsValue::NULL, "", Some(address)).unwrap();
    mount(move || {
        provide_context(RwSignal::new(session.clone()));
        payout_console::people::People::provide();
        view! { <Router>{screen()}</Router> }
    })
}

pub async fn settle_page() {
    for _ in 0..15 {
        sleep(20).await;
        leptos::task::tick().await;
    }
}
