//! 账号安全 (SPEC §12.2), for every user: change the password, and turn two-step verification
//! (TOTP) on or off. A session signed in with a one-time password sees only the change form
//! ([`ChangePasswordPage`], shown by the shell); a shop that requires two-step verification of
//! those who pay leads them here ([`TwoFactorRequired`]).
//!
//! Secrets shown once (the set-up key, the recovery codes) live only in this page's signals: they
//! are dropped when the person is done with them or leaves the page, and never stored.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_location;
use payout_core::people::{
    password_rule_problems, PasswordChange, SecretText, TwoFactorConfirm, TwoFactorOff, TwoFactorSetup,
    TOTP_DIGITS,
};

use crate::api::{self, ApiError};
use crate::components::button::Button;
use crate::components::copy::CopyButton;
use crate::components::feedback::error_text;
use crate::components::field::TextField;
use crate::i18n::{use_lang, Lang};
use crate::session::{refresh_session, use_session, use_session_info, SessionState};

/// `/account`: the password and two-step verification.
#[component]
pub fn Account() -> impl IntoView {
    let lang = use_lang();
    view! {
        <section class="page page--narrow" aria-labelledby="account-title">
            <h1 id="account-title">{move || lang.get().pick("账号安全", "Account security")}</h1>
            <ChangePassword forced=false />
            <TwoFactor />
        </section>
    }
}

/// What a session signed in with a one-time password sees instead of any screen.
#[component]
pub fn ChangePasswordPage() -> impl IntoView {
    let lang = use_lang();
    view! {
        <section class="page page--narrow" aria-labelledby="account-title">
            <h1 id="account-title">{move || lang.get().pick("设置新密码", "Choose your password")}</h1>
            <p class="notice notice--info" data-testid="password-change-required">
                {move || {
                    lang.get()
                        .pick(
                            "您正在使用一次性密码登录。请先设置您自己的密码，之后才能使用商家后台。",
                            "You signed in with a one-time password. Choose a password of your own before using the console.",
                        )
                }}
            </p>
            <ChangePassword forced=true />
        </section>
    }
}

/// The messages of `problems` in `lang`.
fn say(lang: Lang, problems: &[payout_core::people::FieldProblem]) -> Vec<String> {
    problems.iter().map(|p| lang.pick(&p.message_zh, &p.message_en).to_owned()).collect()
}

/// The password form: the current (or one-time) password, the new one twice. The rules the form
/// can check (length, the username) are said as soon as the person tries; the server's strength
/// estimate comes back as `422 PASSWORD_TOO_WEAK`, said under the new password in words.
#[component]
pub fn ChangePassword(
    /// The session must change its one-time password (the only thing it may do).
    forced: bool,
) -> impl IntoView {
    let lang = use_lang();
    let session = use_session();
    let info = use_session_info();
    let username = move || info.with(|i| i.as_ref().map(|i| i.user.username.clone()).unwrap_or_default());
    let current = RwSignal::new(String::new());
    let new_password = RwSignal::new(String::new());
    let repeat = RwSignal::new(String::new());
    let attempted = RwSignal::new(false);
    // The server's refusal, with the text it was about: shown while that text is still there.
    let refused = RwSignal::new(None::<(PasswordChange, ApiError)>);
    let done = RwSignal::new(false);

    let refused_for = move |code: &str, field: fn(&PasswordChange) -> &str, value: RwSignal<String>| {
        refused.with(|r| match r {
            Some((sent, e)) if e.code == code && value.with(|v| v == field(sent)) => {
                vec![error_text(e, lang.get())]
            }
            _ => vec![],
        })
    };
    let current_errors = Signal::derive(move || {
        if attempted.get() && current.with(String::is_empty) {
            return vec![lang.get().pick("请输入当前密码", "Enter your current password").to_owned()];
        }
        refused_for("CURRENT_PASSWORD_WRONG", |c| c.current_password.expose(), current)
    });
    let new_problems = move || password_rule_problems(&username(), &new_password.get());
    let new_errors = Signal::derive(move || {
        let l = lang.get();
        if !attempted.get() {
            return vec![];
        }
        if new_password.with(String::is_empty) {
            return vec![l.pick("请输入新密码", "Enter a new password").to_owned()];
        }
        let mut errors = say(l, &new_problems());
        errors.extend(refused_for("PASSWORD_TOO_WEAK", |c| c.new_password.expose(), new_password));
        errors
    });
    let repeat_errors = Signal::derive(move || {
        if attempted.get() && repeat.get() != new_password.get() {
            vec![lang.get().pick("两次输入的新密码不一致", "The two new passwords differ").to_owned()]
        } else {
            vec![]
        }
    });
    let other_error = move || {
        refused.with(|r| {
            r.as_ref()
                .filter(|(_, e)| !matches!(e.code.as_str(), "CURRENT_PASSWORD_WRONG" | "PASSWORD_TOO_WEAK"))
                .map(|(_, e)| error_text(e, lang.get()))
        })
    };

    let change = Action::new_local(move |change: &PasswordChange| {
        let change = change.clone();
        async move {
            match api::change_password(&change).await {
                Ok(info) => {
                    current.try_set(String::new());
                    new_password.try_set(String::new());
                    repeat.try_set(String::new());
                    attempted.try_set(false);
                    refused.try_set(None);
                    done.try_set(true);
                    // Forced, this ends the form: the shell shows the console.
                    session.try_set(SessionState::SignedIn(info));
                }
                Err(e) => {
                    done.try_set(false);
                    refused.try_set(Some((change, e)));
                }
            }
        }
    });
    let pending = change.pending();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        attempted.set(true);
        done.set(false);
        let valid = current_errors.with_untracked(Vec::is_empty)
            && new_password.with_untracked(|p| !p.is_empty())
            && new_problems().is_empty()
            && repeat.get_untracked() == new_password.get_untracked();
        if valid && !pending.get_untracked() {
            change.dispatch(PasswordChange {
                current_password: SecretText(current.get_untracked()),
                new_password: SecretText(new_password.get_untracked()),
            });
        }
    };
    let label =
        move |zh: &'static str, en: &'static str| Signal::derive(move || lang.get().pick(zh, en).to_owned());
    let current_label = if forced {
        label("一次性密码", "One-time password")
    } else {
        label("当前密码", "Current password")
    };
    view! {
        <form class="card" id="password" aria-labelledby="password-title" novalidate on:submit=submit data-testid="password-form">
            <h2 id="password-title" class="card__title">{move || lang.get().pick("修改密码", "Change password")}</h2>
            <TextField id="current-password" label=current_label value=current errors=current_errors kind="password" autocomplete="current-password" />
            <TextField id="new-password" label=label("新密码", "New password") value=new_password errors=new_errors kind="password" autocomplete="new-password" maxlength=payout_core::people::PASSWORD_MAX as u32 />
            <p class="field__hint field__hint--block">
                {move || {
                    lang.get()
                        .pick(
                            "10 到 128 个字符，不能包含登录名。容易被猜到的密码（常见密码、键盘序列、日期等）会被拒绝；几个无关的词组成的长句最好记也最安全。",
                            "10 to 128 characters, without your username. Passwords that are easy to guess (common ones, keyboard runs, dates) are refused; a few unrelated words are easiest to remember and hardest to guess.",
                        )
                }}
            </p>
            <TextField id="repeat-password" label=label("再次输入新密码", "New password again") value=repeat errors=repeat_errors kind="password" autocomplete="new-password" />
            <p class="field__error" role="alert" data-testid="password-error">{other_error}</p>
            <div class="form__actions form__actions--start">
                <Button
                    label=("保存新密码", "Save the new password")
                    busy=("保存中…", "Saving…")
                    pending
                    class="btn--primary"
                    submit=true
                    testid="password-submit"
                />
                <span role="status" data-testid="password-result">
                    {move || done.get().then(|| lang.get().pick("密码已修改。其他设备上的登录已退出。", "Password changed. You are signed out on other devices."))}
                </span>
            </div>
        </form>
    }
}

/// Where the set-up stands on this page.
#[derive(Clone, Debug, PartialEq)]
enum Step {
    /// Nothing under way: the state (on or off) and the button to change it.
    Idle,
    /// A new secret to scan, waiting for a code from the app.
    Scan(TwoFactorSetup),
    /// Just turned on: the recovery codes, shown this once.
    Codes(Vec<SecretText>),
    /// Turning off: the password and a code.
    TurnOff,
}

/// Two-step verification: turn it on (scan, confirm with a code, keep the recovery codes) or off.
#[component]
fn TwoFactor() -> impl IntoView {
    let lang = use_lang();
    let session = use_session();
    let info = use_session_info();
    let on = move || info.with(|i| i.as_ref().is_some_and(|i| i.user.two_factor));
    let required = move || info.with(|i| i.as_ref().is_some_and(|i| i.two_factor_setup_required));
    let step = RwSignal::new(Step::Idle);
    let failure = RwSignal::new(None::<ApiError>);
    let turned_off = RwSignal::new(false);

    let begin = Action::new_local(move |_: &()| async move {
        match api::two_factor_begin().await {
            Ok(setup) => {
                failure.try_set(None);
                step.try_set(Step::Scan(setup));
            }
            Err(e) => {
                failure.try_set(Some(e));
            }
        }
    });
    let confirm = Action::new_local(move |code: &String| {
        let body = TwoFactorConfirm { code: SecretText(code.clone()) };
        async move {
            match api::two_factor_confirm(&body).await {
                Ok(codes) => {
                    failure.try_set(None);
                    step.try_set(Step::Codes(codes.recovery_codes));
                    refresh_session(session);
                }
                Err(e) => {
                    failure.try_set(Some(e));
                }
            }
        }
    });
    let turn_off = Action::new_local(move |off: &TwoFactorOff| {
        let off = off.clone();
        async move {
            match api::two_factor_off(&off).await {
                Ok(()) => {
                    failure.try_set(None);
                    turned_off.try_set(true);
                    step.try_set(Step::Idle);
                    refresh_session(session);
                }
                Err(e) => {
                    failure.try_set(Some(e));
                }
            }
        }
    });
    let error = move || failure.get().map(|e| error_text(&e, lang.get()));
    let cancel = move || {
        failure.set(None);
        step.set(Step::Idle);
    };

    view! {
        <section class="card" id="two-factor" aria-labelledby="two-factor-title" data-testid="two-factor">
            <h2 id="two-factor-title" class="card__title">
                {move || lang.get().pick("两步验证", "Two-step verification")}
                <span class="tag" class:tag--ok=on data-testid="two-factor-state">
                    {move || if on() { lang.get().pick("已开启", "On") } else { lang.get().pick("未开启", "Off") }}
                </span>
            </h2>
            <p class="muted">
                {move || {
                    lang.get()
                        .pick(
                            "开启后，登录时除密码外还需输入验证器应用（如 Google Authenticator、Microsoft Authenticator）中的 6 位动态码。",
                            "When on, signing in needs the 6-digit code from an authenticator app (such as Google Authenticator or Microsoft Authenticator) besides the password.",
                        )
                }}
            </p>
            {move || (required() && !on()).then(|| view! {
                <p class="notice notice--warn" data-testid="two-factor-required-here">
                    {move || lang.get().pick("店铺要求打款和审核前开启两步验证。", "The shop requires two-step verification before you pay or approve.")}
                </p>
            })}
            {move || match step.get() {
                Step::Idle => view! {
                    {move || turned_off.get().then(|| view! {
                        <p class="notice notice--info" role="status" data-testid="two-factor-off-done">
                            {move || lang.get().pick("两步验证已关闭。其他设备上的登录已退出。", "Two-step verification is off. You are signed out on other devices.")}
                        </p>
                    })}
                    <div class="form__actions form__actions--start">
                        {move || if on() {
                            view! {
                                <Button
                                    label=("关闭两步验证", "Turn off")
                                    testid="two-factor-off"
                                    on_click=move || {
                                        failure.set(None);
                                        step.set(Step::TurnOff);
                                    }
                                />
                            }.into_any()
                        } else {
                            view! {
                                <Button
                                    label=("开启两步验证", "Turn on")
                                    busy=("请稍候…", "One moment…")
                                    pending=begin.pending()
                                    class="btn--primary"
                                    testid="two-factor-begin"
                                    on_click=move || {
                                        turned_off.set(false);
                                        begin.dispatch(());
                                    }
                                />
                            }.into_any()
                        }}
                    </div>
                }.into_any(),
                Step::Scan(setup) => view! { <Scan setup confirm on_cancel=cancel /> }.into_any(),
                Step::Codes(codes) => view! { <Codes codes on_done=move || step.set(Step::Idle) /> }.into_any(),
                Step::TurnOff => view! { <TurnOff turn_off on_cancel=cancel /> }.into_any(),
            }}
            <p class="field__error" role="alert" data-testid="two-factor-error">{error}</p>
        </section>
    }
}

/// A QR code drawn from the server's modules (no image from anywhere).
#[component]
fn Qr(qr: payout_core::people::QrCode) -> impl IntoView {
    let lang = use_lang();
    let size = qr.size;
    view! {
        <svg
            class="qr"
            data-testid="two-factor-qr"
            viewBox=format!("0 0 {size} {size}")
            role="img"
            aria-label=move || lang.get().pick("两步验证二维码", "QR code for two-step verification")
            shape-rendering="crispEdges"
        >
            <rect width=size height=size fill="#fff"></rect>
            <path d=qr.path fill="#000"></path>
        </svg>
    }
}

/// `ABCD EFGH …`: the key in groups of four, easier to type.
fn grouped(secret: &str) -> String {
    secret.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(" ")
}

#[component]
fn Scan(
    setup: TwoFactorSetup,
    confirm: Action<String, ()>,
    #[prop(into)] on_cancel: Callback<()>,
) -> impl IntoView {
    let lang = use_lang();
    let code = RwSignal::new(String::new());
    let attempted = RwSignal::new(false);
    let digits = move || code.with(|c| c.trim().chars().filter(|c| !c.is_whitespace()).collect::<String>());
    let valid = move || digits().len() == TOTP_DIGITS && digits().chars().all(|c| c.is_ascii_digit());
    let code_errors = Signal::derive(move || {
        if attempted.get() && !valid() {
            vec![lang
                .get()
                .pick("请输入验证器应用中的 6 位数字", "Enter the 6 digits shown in the app")
                .to_owned()]
        } else {
            vec![]
        }
    });
    let secret = grouped(setup.secret.expose());
    let pending = confirm.pending();
    view! {
        <form
            class="two-factor-setup"
            novalidate
            data-testid="two-factor-scan"
            on:submit=move |ev| {
                ev.prevent_default();
                attempted.set(true);
                if valid() && !pending.get_untracked() {
                    confirm.dispatch(digits());
                }
            }
        >
            <ol class="steps">
                <li>
                    {move || lang.get().pick("用验证器应用扫描二维码：", "Scan the QR code with your authenticator app:")}
                    <Qr qr=setup.qr />
                    <p class="muted">
                        {move || lang.get().pick("无法扫描时，在应用中手动输入密钥：", "Cannot scan? Type this key into the app:")}
                        " "
                        <code class="mono secret" data-testid="two-factor-secret">{secret}</code>
                    </p>
                </li>
                <li>
                    <TextField
                        id="two-factor-code"
                        label=Signal::derive(move || lang.get().pick("输入应用显示的 6 位数字", "Enter the 6 digits the app shows").to_owned())
                        value=code
                        errors=code_errors
                        inputmode="numeric"
                        autocomplete="one-time-code"
                        maxlength=8
                    />
                </li>
            </ol>
            <div class="form__actions form__actions--start">
                <Button
                    label=("验证并开启", "Verify and turn on")
                    busy=("验证中…", "Checking…")
                    pending
                    class="btn--primary"
                    submit=true
                    testid="two-factor-confirm"
                />
                <Button label=("取消", "Cancel") testid="two-factor-cancel" on_click=on_cancel />
            </div>
        </form>
    }
}

/// The ten recovery codes, shown this once.
#[component]
fn Codes(codes: Vec<SecretText>, #[prop(into)] on_done: Callback<()>) -> impl IntoView {
    let lang = use_lang();
    let all = codes.iter().map(|c| c.expose().to_owned()).collect::<Vec<_>>().join("\n");
    view! {
        <div class="recovery" data-testid="recovery">
            <p class="notice notice--success" role="status">
                {move || lang.get().pick("两步验证已开启。", "Two-step verification is on.")}
            </p>
            <p class="notice notice--warn" data-testid="recovery-warning">
                <strong>{move || lang.get().pick("恢复码只显示这一次。", "These recovery codes are shown only this once.")}</strong>
                " "
                {move || {
                    lang.get()
                        .pick(
                            "请现在抄写或保存到安全的地方。手机丢失时，可以用一个恢复码代替动态码登录，每个恢复码只能用一次。",
                            "Write them down or keep them somewhere safe now. If you lose your phone, sign in with one of them instead of a code; each works once.",
                        )
                }}
            </p>
            <ol class="recovery__codes mono" data-testid="recovery-codes">
                {codes.into_iter().map(|c| view! { <li>{c.0}</li> }).collect_view()}
            </ol>
            <div class="form__actions form__actions--start">
                <CopyButton text=all testid="recovery-copy" />
                <Button label=("我已保存", "I have saved them") class="btn--primary" testid="recovery-done" on_click=on_done />
            </div>
        </div>
    }
}

#[component]
fn TurnOff(turn_off: Action<TwoFactorOff, ()>, #[prop(into)] on_cancel: Callback<()>) -> impl IntoView {
    let lang = use_lang();
    let password = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    let attempted = RwSignal::new(false);
    let empty = move |value: RwSignal<String>, zh: &'static str, en: &'static str| {
        Signal::derive(move || {
            if attempted.get() && value.with(|v| v.trim().is_empty()) {
                vec![lang.get().pick(zh, en).to_owned()]
            } else {
                vec![]
            }
        })
    };
    let pending = turn_off.pending();
    view! {
        <form
            class="two-factor-off"
            novalidate
            data-testid="two-factor-off-form"
            on:submit=move |ev| {
                ev.prevent_default();
                attempted.set(true);
                let (p, c) = (password.get_untracked(), code.get_untracked().trim().to_owned());
                if !p.is_empty() && !c.is_empty() && !pending.get_untracked() {
                    turn_off.dispatch(TwoFactorOff { password: SecretText(p), code: SecretText(c) });
                }
            }
        >
            <p class="muted">
                {move || lang.get().pick("关闭前请输入密码和一个动态码（或恢复码）。", "To turn it off, enter your password and a code (or a recovery code).")}
            </p>
            <TextField
                id="two-factor-off-password"
                label=Signal::derive(move || lang.get().pick("密码", "Password").to_owned())
                value=password
                errors=empty(password, "请输入密码", "Enter your password")
                kind="password"
                autocomplete="current-password"
            />
            <TextField
                id="two-factor-off-code"
                label=Signal::derive(move || lang.get().pick("动态码或恢复码", "Code or recovery code").to_owned())
                value=code
                errors=empty(code, "请输入动态码或恢复码", "Enter a code or a recovery code")
                autocomplete="one-time-code"
                maxlength=16
            />
            <div class="form__actions form__actions--start">
                <Button
                    label=("关闭两步验证", "Turn off")
                    busy=("关闭中…", "Turning off…")
                    pending
                    class="btn--danger"
                    submit=true
                    testid="two-factor-off-submit"
                />
                <Button label=("取消", "Cancel") on_click=on_cancel />
            </div>
        </form>
    }
}

/// Above every screen while the shop requires two-step verification of this payer and it is not
/// on: says so, and leads to the set-up (not on the set-up page itself).
#[component]
pub fn TwoFactorRequired() -> impl IntoView {
    let lang = use_lang();
    let info = use_session_info();
    let location = use_location();
    let show = move || {
        info.with(|i| i.as_ref().is_some_and(|i| i.two_factor_setup_required))
            && location.pathname.with(|p| p != "/account")
    };
    view! {
        <Show when=show>
            <div class="notice notice--warn banner" role="status" data-testid="two-factor-required">
                <span>
                    {move || {
                        lang.get()
                            .pick(
                                "店铺要求打款和审核前开启两步验证，开启前无法打款。",
                                "The shop requires two-step verification to pay or approve; you cannot pay until it is on.",
                            )
                    }}
                </span>
                " "
                <A href="/account#two-factor" attr:class="link" attr:data-testid="two-factor-setup-link">
                    {move || lang.get().pick("去开启", "Turn it on")}
                </A>
            </div>
        </Show>
    }
}
