//! Sign in (SPEC §6.1): username and password, and the two-step verification code once the server
//! says the account has it on (`401 TWO_FACTOR_REQUIRED`); wrong credentials give one generic message, an
//! empty field is named in the form (and nothing is sent), a throttled sign-in says when to try
//! again (the server's message names the wait). After signing in the person goes to `?next=` (the
//! page they asked for), or to the start; a page of the other bundle (`crate::nav`) is loaded from
//! the server. What was typed into `index.html`'s form before the app loaded is carried on
//! (`crate::boot`).

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use payout_core::api::LoginRequest;
use payout_core::people::SecretText;
use wasm_bindgen::JsCast;

use crate::api::{self, ApiError};
use crate::boot;
use crate::components::button::Button;
use crate::components::field::TextField;
use crate::components::lang_switch::LangSwitch;
use crate::i18n::use_lang;
use crate::nav::use_go;
use crate::session::{safe_next, use_session, SessionState};

/// Moves the focus to the field `id` (after the view has drawn it).
fn focus(id: &'static str) {
    request_animation_frame(move || {
        if let Some(el) = document().get_element_by_id(id) {
            let _ = el.unchecked_into::<web_sys::HtmlElement>().focus();
        }
    });
}

#[component]
pub fn SignIn() -> impl IntoView {
    let lang = use_lang();
    let session = use_session();
    let query = use_query_map();
    let go = use_go();
    let next = Memo::new(move |_| safe_next(query.read().get("next")));

    // Already signed in (or just signed in): go on, to the other bundle if that page is in it.
    Effect::new(move |_| {
        if matches!(session.get(), SessionState::SignedIn(_)) {
            go(&next.get_untracked(), true);
        }
    });

    // What was typed into index.html's form while the app loaded, and where the person was.
    let typed = boot::typed();
    let username = RwSignal::new(typed.username);
    let password = RwSignal::new(typed.password);
    Effect::new(move |_| boot::restore_focus(typed.focus));
    // The second factor: asked for once the server says this account has it on (SPEC §12.2).
    let code = RwSignal::new(String::new());
    let needs_code = RwSignal::new(false);
    // An empty field is said in the form, beside that field; nothing is sent for it.
    let attempted = RwSignal::new(false);
    // A username is sent trimmed; a password exactly as typed.
    let missing = move |empty: fn(RwSignal<String>) -> bool,
                        value: RwSignal<String>,
                        zh: &'static str,
                        en: &'static str| {
        Signal::derive(move || {
            if attempted.get() && empty(value) {
                vec![lang.get().pick(zh, en).to_owned()]
            } else {
                vec![]
            }
        })
    };
    let username_errors =
        missing(|u| u.with(|u| u.trim().is_empty()), username, "请输入账号", "Enter your username");
    let password_errors =
        missing(|p| p.with(String::is_empty), password, "请输入密码", "Enter your password");
    // Said only once the person tried to sign in with the code field shown (it appears empty).
    let code_attempted = RwSignal::new(false);
    let code_errors = Signal::derive(move || {
        if code_attempted.get() && code.with(|c| c.trim().is_empty()) {
            vec![lang.get().pick("请输入验证码", "Enter the code").to_owned()]
        } else {
            vec![]
        }
    });
    let sign_in = Action::new_local(move |login: &LoginRequest| {
        let login = login.clone();
        async move {
            match api::sign_in(&login).await {
                Ok(info) => {
                    session.set(SessionState::SignedIn(info));
                    Ok(())
                }
                Err(e) => {
                    if matches!(e.code.as_str(), "TWO_FACTOR_REQUIRED" | "TWO_FACTOR_INVALID") {
                        needs_code.try_set(true);
                        code_attempted.try_set(false);
                        code.try_set(String::new());
                        focus("code");
                    }
                    Err::<(), ApiError>(e)
                }
            }
        }
    });
    let pending = sign_in.pending();
    let error = move || sign_in.value().get().and_then(|r| r.err());

    view! {
        <main id="main" class="signin">
            <div class="signin__lang">
                <LangSwitch />
            </div>
            <form
                class="signin__card"
                aria-labelledby="signin-title"
                novalidate
                on:submit=move |ev| {
                    ev.prevent_default();
                    attempted.set(true);
                    let (user, pass) = (username.get_untracked().trim().to_owned(), password.get_untracked());
                    let second = code.get_untracked().trim().to_owned();
                    code_attempted.set(needs_code.get_untracked());
                    let empty = if user.is_empty() {
                        Some("username")
                    } else if pass.is_empty() {
                        Some("password")
                    } else if needs_code.get_untracked() && second.is_empty() {
                        Some("code")
                    } else {
                        None
                    };
                    if let Some(id) = empty {
                        sign_in.value().set(None);
                        focus(id);
                        return;
                    }
                    if pending.get_untracked() {
                        return;
                    }
                    let code = needs_code.get_untracked().then_some(SecretText(second));
                    sign_in.dispatch(LoginRequest { username: user, password: SecretText(pass), code });
                }
            >
                <h1 id="signin-title">{move || lang.get().pick("登录商家后台", "Sign in to the merchant console")}</h1>
                <p class="muted">{move || lang.get().pick("小额打款 · 售后工具", "Small-amount payouts · after-sales")}</p>
                <TextField
                    id="username"
                    label=Signal::derive(move || lang.get().pick("账号", "Username").to_owned())
                    value=username
                    errors=username_errors
                    autocomplete="username"
                />
                <TextField
                    id="password"
                    label=Signal::derive(move || lang.get().pick("密码", "Password").to_owned())
                    value=password
                    errors=password_errors
                    kind="password"
                    autocomplete="current-password"
                />
                <Show when=move || needs_code.get()>
                    <TextField
                        id="code"
                        label=Signal::derive(move || lang.get().pick("两步验证码", "Verification code").to_owned())
                        value=code
                        errors=code_errors
                        autocomplete="one-time-code"
                        placeholder=Signal::derive(move || lang.get().pick("6 位动态码或恢复码", "6-digit code or a recovery code").to_owned())
                        maxlength=16
                    />
                </Show>
                <p class="field__error" role="alert" data-testid="signin-error">
                    {move || error().map(|e| e.message(lang.get()).to_owned())}
                </p>
                <Button
                    label=("登录", "Sign in")
                    busy=("登录中…", "Signing in…")
                    pending
                    class="btn--primary btn--block"
                    submit=true
                    testid="signin-submit"
                />
            </form>
        </main>
    }
}
