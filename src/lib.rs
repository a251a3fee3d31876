//! The payout console SPA (Leptos 0.8, client-side rendered). `App` holds the router and the shell
//! (shop, user, language switch, the navigation the role may use); each screen of SPEC §6 is a
//! component under `pages/`, reusable widgets are under `components/`. Built twice: without the
//! `admin` feature it is the agents' bundle, which lacks the main account's screens (see `nav`).
#![cfg(target_arch = "wasm32")]

pub mod api;
pub mod boot;
pub mod components;
pub mod format;
pub mod i18n;
pub mod nav;
pub mod pages;
pub mod people;
pub mod session;

use leptos::prelude::*;
use leptos_router::any_nested_route::IntoAnyNestedRoute;
use leptos_router::components::{Outlet, ParentRoute, Redirect, Route, Router, Routes, A};
use leptos_router::hooks::{use_location, use_navigate};
use leptos_router::path;
use payout_core::Role;

use crate::api::ApiError;
use crate::components::button::Button;
use crate::components::feedback::ErrorView;
use crate::components::lang_switch::LangSwitch;
use crate::components::payout_dialog::{pending, Submitter};
use crate::i18n::{provide_lang, use_lang};
use crate::nav::{GoTo, Nav};
use crate::pages::account::{Account, ChangePasswordPage, TwoFactorRequired};
use crate::pages::order_detail::OrderDetail;
use crate::pages::records::Records;
use crate::pages::sign_in::SignIn;
use crate::pages::workbench::Workbench;
use crate::session::{provide_session, reload_session, use_permissions, SessionState};

#[component]
pub fn App() -> impl IntoView {
    provide_lang();
    let session = provide_session();
    people::People::provide();
    // Payouts are sent through one submitter for the whole session, so a submission that got no
    // definite answer keeps its idempotency key even when the agent goes to another page. It is
    // never carried over to another person signing in on this browser.
    let submitter = Submitter::new();
    provide_context(submitter);
    let user = RwSignal::new(None::<i64>);
    Effect::new(move |_| {
        if let SessionState::SignedIn(info) = session.get() {
            if user.get_untracked().is_some_and(|u| u != info.user.id) {
                submitter.forget();
            }
            user.set(Some(info.user.id));
            // A reload keeps this person's unanswered submission (and its key).
            if submitter.unresolved.get_untracked().is_none() {
                if let Some(attempt) = pending::load(info.user.id) {
                    submitter.unresolved.set(Some(attempt));
                }
            }
        }
    });
    Effect::new(move |_| {
        // Not before the session is known: the stored submission would be forgotten unread.
        if let Some(user) = user.get() {
            submitter.unresolved.with(|attempt| pending::save(Some(user), attempt.as_ref()));
        }
    });
    view! {
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/sign-in") view=SignIn />
                <ParentRoute path=path!("") view=Shell>
                    <Route path=path!("/") view=Home />
                    <Route path=path!("/payout") view=Workbench />
                    <Route path=path!("/records") view=Records />
                    <Route path=path!("/orders/:order_no") view=OrderDetail />
                    <Route path=path!("/account") view=Account />
                    <AdminAndUnknownRoutes />
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// The main account's screens, only in the full bundle (`dist/admin/`), then any other address:
/// "page not found" inside the shell, with the header and the navigation as the way back. (The
/// catch-all is last and in here: a child that matches every path, even an empty one, ends the
/// search among the shell's children.)
#[cfg(feature = "admin")]
#[component(transparent)]
fn AdminAndUnknownRoutes() -> impl leptos_router::MatchNestedRoutes + Clone {
    use crate::pages::admin::*;
    view! {
        <Route path=path!("/quotas") view=Quotas />
        <Route path=path!("/settings") view=Settings />
        <Route path=path!("/sub-accounts") view=SubAccounts />
        <Route path=path!("/approvals") view=Approvals />
        <Route path=path!("/reasons") view=Reasons />
        <Route path=path!("/statements") view=Statements />
        <Route path=path!("/overview") view=Overview />
        <Route path=path!("/order-import") view=OrderImport />
        <Route path=path!("/api-settings") view=ApiSettings />
        <Route path=path!("/*any") view=NotFoundPage />
    }
    .into_inner()
    .into_any_nested_route()
}

/// The agents' bundle has none of the main account's screens: its links there load the page
/// (`nav`).
#[cfg(not(feature = "admin"))]
#[component(transparent)]
fn AdminAndUnknownRoutes() -> impl leptos_router::MatchNestedRoutes + Clone {
    view! { <Route path=path!("/*any") view=NotFoundPage /> }.into_inner().into_any_nested_route()
}

/// What the shell shows: it changes only when the kind of session does, so a session refreshed
/// after a change (two-step verification turned on, say) does not rebuild the screen under it.
#[derive(Clone, Debug, PartialEq)]
enum Mode {
    Loading,
    Failed(ApiError),
    SignedOut,
    /// Signed in with a one-time password: only the change form (SPEC §12.2).
    MustChangePassword(i64),
    SignedIn(i64),
}

/// The signed-in layout. Signed out (or the session expired), it sends the person to sign in with
/// the page they asked for in `?next=`, so deep links survive. A session signed in with a one-time
/// password sees only the form to choose a password of its own.
#[component]
fn Shell() -> impl IntoView {
    let session = crate::session::use_session();
    let location = use_location();
    let lang = use_lang();
    let mode = Memo::new(move |_| {
        session.with(|s| match s {
            SessionState::Loading => Mode::Loading,
            SessionState::Failed(e) => Mode::Failed(e.clone()),
            SessionState::SignedOut => Mode::SignedOut,
            SessionState::SignedIn(info) if info.password_change_required => {
                Mode::MustChangePassword(info.user.id)
            }
            SessionState::SignedIn(info) => Mode::SignedIn(info.user.id),
        })
    });
    let header = move |full: bool| {
        session.with_untracked(|s| match s {
            SessionState::SignedIn(info) => Some(view! {
                <Header
                    shop=info.shop.name.clone()
                    user=info.user.display_name.clone()
                    main_account=info.user.role == Role::Main
                    full
                />
            }),
            _ => None,
        })
    };
    move || match mode.get() {
        Mode::Loading => view! { <BootSkeleton /> }.into_any(),
        Mode::Failed(e) => view! {
            <div class="boot">
                <ErrorView error=e on_retry=move || reload_session(session) />
            </div>
        }
        .into_any(),
        Mode::SignedOut => {
            let search = location.search.get_untracked();
            let sep = if search.is_empty() || search.starts_with('?') { "" } else { "?" };
            let here = format!("{}{sep}{search}", location.pathname.get_untracked());
            let path = format!("/sign-in?next={}", js_sys::encode_uri_component(&here));
            view! { <Redirect path /> }.into_any()
        }
        Mode::MustChangePassword(_) => view! {
            {header(false)}
            <main id="main" class="app" tabindex="-1">
                <ChangePasswordPage />
            </main>
        }
        .into_any(),
        Mode::SignedIn(_) => view! {
            <a class="skip-link" href="#main">{move || lang.get().pick("跳到主要内容", "Skip to content")}</a>
            {header(true)}
            <main id="main" class="app" tabindex="-1">
                <TwoFactorRequired />
                <Outlet />
            </main>
        }
        .into_any(),
    }
}

/// While the session is asked for: the very skeleton `index.html` shows before the app has loaded
/// (its styles are there, under this id), so the page does not jump from it to a loading card and
/// back to the shell (layout shift).
#[component]
fn BootSkeleton() -> impl IntoView {
    view! {
        <div id="boot-skeleton" role="status" aria-busy="true" aria-label="加载中 · Loading">
            <div class="bs-top">"小额打款 · 商家后台"</div>
            <div class="bs-nav"></div>
            <div class="bs-page">
                <span class="bs-bar bs-bar--title"></span>
                <span class="bs-bar bs-bar--short"></span>
                <span class="bs-bar"></span>
                <span class="bs-bar"></span>
                <span class="bs-bar bs-bar--short"></span>
            </div>
        </div>
    }
}

/// The top bar; `full` adds the navigation and the way to the account's security (not while a
/// one-time password must be changed first).
#[component]
fn Header(shop: String, user: String, main_account: bool, full: bool) -> impl IntoView {
    let lang = use_lang();
    let permissions = use_permissions();
    let session = crate::session::use_session();
    let submitter = expect_context::<Submitter>();
    let navigate = use_navigate();
    let sign_out = Action::new_local(move |_: &()| async move {
        let _ = api::sign_out().await;
    });
    Effect::new(move |_| {
        if sign_out.version().get() > 0 && !sign_out.pending().get() {
            navigate("/sign-in", Default::default());
            submitter.forget();
            session.set(SessionState::SignedOut);
        }
    });
    view! {
        <header class="topbar">
            <div class="topbar__brand">
                <span class="topbar__product">{move || lang.get().pick("抖店 · 商家后台", "Merchant console")}</span>
                <span class="topbar__shop" data-testid="shop-name">{shop}</span>
            </div>
            <div class="topbar__tools">
                <span class="topbar__user" data-testid="user-name">
                    {user}
                    <span class="tag">
                        {move || if main_account { lang.get().pick("主账号", "Main account") } else { lang.get().pick("子账号", "Sub-account") }}
                    </span>
                </span>
                {full.then(|| view! {
                    <A href="/account" attr:class="btn btn--ghost" attr:data-testid="account-link">
                        {move || lang.get().pick("修改密码", "Change password")}
                    </A>
                })}
                <LangSwitch />
                <Button
                    label=("退出登录", "Sign out")
                    class="btn--ghost"
                    testid="sign-out"
                    pending=sign_out.pending()
                    on_click=move || {
                        sign_out.dispatch(());
                    }
                />
            </div>
        </header>
        {full.then(|| view! { <Nav permissions /> })}
    }
}

/// `/`: the workbench for those who may pay; otherwise whatever they may use, or a plain word.
#[component]
fn Home() -> impl IntoView {
    let lang = use_lang();
    let permissions = use_permissions();
    move || {
        let p = permissions.get();
        if p.payout {
            view! { <Redirect path="/payout" /> }.into_any()
        } else if p.manage_quotas {
            view! { <GoTo path="/quotas" /> }.into_any()
        } else if p.manage_settings {
            view! { <GoTo path="/settings" /> }.into_any()
        } else {
            view! {
                <section class="page">
                    <h1>{move || lang.get().pick("欢迎", "Welcome")}</h1>
                    <p class="state state--empty" data-testid="no-features">
                        {move || {
                            lang.get()
                                .pick(
                                    "您的账号暂无可用的打款功能。如需使用小额打款，请联系店铺主账号授权。",
                                    "Your account has no payout features. Ask the shop's main account to grant payout permission.",
                                )
                        }}
                    </p>
                </section>
            }
                .into_any()
        }
    }
}

/// An address the console does not have, shown inside the shell (`Shell`'s last route).
#[component]
fn NotFoundPage() -> impl IntoView {
    let lang = use_lang();
    view! {
        <section class="page" data-testid="not-found">
            <h1>{move || lang.get().pick("页面不存在", "Page not found")}</h1>
            <p>
                {move || lang.get().pick("地址可能有误，或页面已经移走。", "The address may be mistyped, or the page has moved.")}
                " "
                <a class="link" href="/" data-testid="not-found-home">
                    {move || lang.get().pick("返回首页", "Back to the start")}
                </a>
            </p>
        </section>
    }
}

/// The router's own fallback (every address has a route above, so it is not expected to show).
#[component]
fn NotFound() -> impl IntoView {
    view! {
        <main id="main" class="app">
            <NotFoundPage />
        </main>
    }
}
