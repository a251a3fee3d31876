//! Shared by the component tests: a hand-made payout context (the demo shop's order 2, a
//! sub-account with 200/2000), mounting into a fresh container, and DOM helpers.
#![allow(dead_code)]

use leptos::mount::mount_to;
use leptos::prelude::*;
use payout_core::api::{
    Eligibility, OperatorRef, PayoutContext, PayoutStatus, PayoutView, SourceAccountView,
};
use payout_core::facts::*;
use payout_core::{meters, Policy, Time};
use wasm_bindgen::JsCast;
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
