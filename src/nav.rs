//! The navigation, and which bundle holds which screen. The SPA is built twice (`scripts/build.sh`):
//! the agents' bundle (`dist/`, what an agent downloads) holds sign-in, the workbench, the records
//! and the order page; the full bundle (`dist/admin/`, the `admin` feature) holds every screen.
//! The server sends the full bundle's page for the main account's screens. So in the agents'
//! bundle a way to one of those screens is a full page load (`rel="external"`, which the router
//! leaves to the browser), and in the full bundle every way stays client-side. So that such a load
//! finds the full bundle's files in the HTTP cache, the agents' bundle prefetches them once the
//! page is idle, for a session whose navigation shows one of those tabs (and only then: an agent
//! never downloads anything of the full bundle).

use leptos::prelude::*;
use leptos_router::components::{Redirect, A};
use leptos_router::hooks::{use_location, use_navigate};
use leptos_router::NavigateOptions;
use payout_core::api::Permissions;

use crate::i18n::use_lang;

/// Who sees a tab.
pub type Allow = fn(&Permissions) -> bool;

/// One tab of the navigation.
pub struct Tab {
    pub href: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
    pub allow: Allow,
    /// The screen is one of the main account's, built only into the full bundle.
    pub admin: bool,
}

impl Tab {
    const fn agent(href: &'static str, zh: &'static str, en: &'static str, allow: Allow) -> Tab {
        Tab { href, zh, en, allow, admin: false }
    }

    const fn admin(href: &'static str, zh: &'static str, en: &'static str, allow: Allow) -> Tab {
        Tab { href, zh, en, allow, admin: true }
    }

    /// `nav-payout` for `/payout`.
    pub fn testid(&self) -> String {
        format!("nav-{}", &self.href[1..])
    }
}

/// Every tab, in the order shown.
pub static TABS: [Tab; 11] = [
    Tab::agent("/payout", "小额打款", "Payout", |p| p.payout),
    Tab::agent("/records", "打款记录", "Payout records", |p| p.payout),
    Tab::admin("/approvals", "审核", "Approvals", |p| p.manage_settings),
    Tab::admin("/sub-accounts", "子账号管理", "Sub-accounts", |p| p.manage_settings),
    Tab::admin("/quotas", "客服打款配额", "Agent quotas", |p| p.manage_quotas),
    Tab::admin("/reasons", "打款原因", "Reasons", |p| p.manage_settings),
    Tab::admin("/settings", "打款设置", "Payout settings", |p| p.manage_settings),
    Tab::admin("/statements", "对账单", "Statements", |p| p.manage_settings),
    Tab::admin("/overview", "概览", "Overview", |p| p.manage_settings),
    Tab::admin("/order-import", "订单导入", "Order import", |p| p.manage_settings),
    Tab::admin("/api-settings", "API 设置", "API settings", |p| p.manage_settings),
];

/// Whether the navigation of a session with `permissions` shows one of the main account's tabs.
pub fn shows_admin_tabs(permissions: &Permissions) -> bool {
    TABS.iter().any(|tab| tab.admin && (tab.allow)(permissions))
}

/// Whether this bundle holds the screen at `path` (which may carry a query).
pub fn in_this_bundle(path: &str) -> bool {
    let path = path.split(['?', '#']).next().unwrap_or(path);
    cfg!(feature = "admin") || !TABS.iter().any(|t| t.admin && t.href == path)
}

/// Goes to `path` (a path of this site): client-side when this bundle holds its screen, otherwise
/// by loading the page, so the server sends the bundle that does.
pub fn use_go() -> impl Fn(&str, bool) + Clone + 'static {
    let navigate = use_navigate();
    move |path: &str, replace: bool| {
        if in_this_bundle(path) {
            navigate(path, NavigateOptions { replace, ..Default::default() });
        } else {
            #[cfg(not(feature = "admin"))]
            prefetch::LEAVING.set(true);
            let location = window().location();
            let _ = if replace { location.replace(path) } else { location.assign(path) };
        }
    }
}

/// Like the router's `<Redirect>`, to a screen that may be in the other bundle.
#[component]
pub fn GoTo(path: &'static str) -> impl IntoView {
    if in_this_bundle(path) {
        view! { <Redirect path /> }.into_any()
    } else {
        let go = use_go();
        Effect::new(move |_| go(path, true));
        ().into_any()
    }
}

/// The tabs that `permissions` allow; the records' tab is also marked on an order's page (which
/// is reached from the records).
#[component]
pub fn Nav(#[prop(into)] permissions: Signal<Permissions>) -> impl IntoView {
    let lang = use_lang();
    let location = use_location();
    #[cfg(not(feature = "admin"))]
    Effect::new(move |_| {
        if shows_admin_tabs(&permissions.get()) {
            prefetch::full_bundle();
        }
    });
    let on_order_page = move || location.pathname.with(|p| p.starts_with("/orders/"));
    let link = move |tab: &'static Tab| {
        let class = move || {
            if tab.href == "/records" && on_order_page() {
                "nav__link nav__link--active"
            } else {
                "nav__link"
            }
        };
        let rel = (!in_this_bundle(tab.href)).then_some("external");
        view! {
            <li>
                <A href=tab.href attr:class=class attr:data-testid=tab.testid() attr:rel=rel>
                    {move || lang.get().pick(tab.zh, tab.en)}
                </A>
            </li>
        }
    };
    view! {
        <nav class="nav" aria-label=move || lang.get().pick("主导航", "Main")>
            <ul class="nav__list" data-testid="nav">
                {move || {
                    let p = permissions.get();
                    TABS.iter().filter(|tab| (tab.allow)(&p)).map(link).collect_view()
                }}
            </ul>
        </nav>
    }
}

/// The agents' bundle's prefetch of the full one. `scripts/build.sh` names the full bundle's hashed
/// files in `dist/index.html` (`<meta name="payout-full-bundle" content="/admin/….js …">`); once
/// the page has loaded and the browser is idle, they become `<link rel="prefetch">`s, so the main
/// account's first click on one of its tabs finds them in the HTTP cache (they are `immutable`).
#[cfg(not(feature = "admin"))]
mod prefetch {
    use std::cell::Cell;

    use leptos::prelude::{document, window};
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;

    thread_local! {
        static STARTED: Cell<bool> = const { Cell::new(false) };
        /// This page is already loading another (`use_go`): the prefetch would only compete with it.
        pub static LEAVING: Cell<bool> = const { Cell::new(false) };
    }

    /// Prefetches the full bundle's files, once per page, after the `load` event and when idle.
    pub fn full_bundle() {
        if STARTED.replace(true) {
            return;
        }
        if document().ready_state() == "complete" {
            when_idle();
        } else {
            let on_load = Closure::once_into_js(when_idle);
            let _ = window().add_event_listener_with_callback("load", on_load.unchecked_ref());
        }
    }

    fn when_idle() {
        let add = Closure::once_into_js(add_links);
        // Safari has no `requestIdleCallback`.
        if window().request_idle_callback(add.unchecked_ref()).is_err() {
            let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(add.unchecked_ref(), 1000);
        }
    }

    fn add_links() {
        if LEAVING.get() {
            return;
        }
        let document = document();
        let files = document
            .query_selector("meta[name=payout-full-bundle]")
            .ok()
            .flatten()
            .and_then(|meta| meta.get_attribute("content"))
            .unwrap_or_default();
        let Ok(Some(head)) = document.query_selector("head") else { return };
        for href in files.split_whitespace().filter(|href| href.starts_with("/admin/")) {
            let Ok(link) = document.create_element("link") else { return };
            let _ = link.set_attribute("rel", "prefetch");
            let _ = link.set_attribute("href", href);
            // As the full bundle's page asks for its script and wasm (same origin: cookies too).
            let _ = link.set_attribute("crossorigin", "anonymous");
            let _ = head.append_child(&link);
        }
    }
}
