//! 子账号管理 (SPEC §12.2, main account): the shop's sub-accounts — create one (its one-time
//! password shown once, with a copy button), rename, deactivate and reactivate (D9: never
//! deleted), reset a password. A new sub-account has no permission and no quota: those are granted
//! on the quotas page.
//!
//! A one-time password lives only in the dialog that shows it: closing the dialog drops it, and it
//! is never stored.

use leptos::prelude::*;
use leptos_router::components::A;
use payout_core::people::{
    validate_display_name, validate_username, OneTimePassword, SubAccountCreate, SubAccountUpdate,
    SubAccountView, DISPLAY_NAME_MAX, USERNAME_MAX,
};

use crate::api::{self, ApiError};
use crate::components::button::Button;
use crate::components::copy::CopyButton;
use crate::components::dialog::Modal;
use crate::components::feedback::{error_text, Empty, ErrorView, Gate, Loading};
use crate::components::field::TextField;
use crate::format;
use crate::i18n::use_lang;

#[component]
pub fn SubAccounts() -> impl IntoView {
    view! {
        <Gate allow=|p| p.manage_settings>
            <SubAccountsScreen />
        </Gate>
    }
}

/// What the dialog shows.
#[derive(Clone, Debug, PartialEq)]
enum Dialog {
    Create,
    Rename(SubAccountView),
    Deactivate(SubAccountView),
    Reset(SubAccountView),
    /// A one-time password, shown this once: for a new account (`created`) or a reset one.
    Password {
        account: SubAccountView,
        password: OneTimePassword,
        created: bool,
    },
}

#[component]
fn SubAccountsScreen() -> impl IntoView {
    let lang = use_lang();
    // Bumped after every write: the list is asked for again (one source of truth, the server's).
    let changed = RwSignal::new(0u32);
    let list = LocalResource::new(move || {
        changed.track();
        api::sub_accounts()
    });
    let dialog = RwSignal::new(None::<Dialog>);
    let open = Memo::new(move |_| dialog.with(Option::is_some));
    // Reactivating needs no confirmation: it is done from the row.
    let reactivate = Action::new_local(move |id: &i64| {
        let id = *id;
        async move {
            let r =
                api::update_sub_account(id, &SubAccountUpdate { active: Some(true), ..Default::default() })
                    .await;
            if r.is_ok() {
                changed.update(|c| *c += 1);
            }
            r.map(|_| ())
        }
    });
    let row_error =
        move || reactivate.value().get().and_then(Result::err).map(|e| error_text(&e, lang.get()));
    view! {
        <section class="page" aria-labelledby="sub-accounts-title">
            <div class="page__head">
                <h1 id="sub-accounts-title">{move || lang.get().pick("子账号管理", "Sub-accounts")}</h1>
                <Button
                    label=("新建子账号", "New sub-account")
                    class="btn--primary"
                    testid="sub-account-create"
                    on_click=move || dialog.set(Some(Dialog::Create))
                />
            </div>
            <p class="muted">
                {move || lang.get().pick(
                    "新建的子账号没有打款岗位和配额，请在",
                    "A new sub-account has no payout permission and no quota: grant them on ",
                )}
                <A href="/quotas" attr:class="link">{move || lang.get().pick("客服打款配额", "Agent quotas")}</A>
                {move || lang.get().pick(
                    "中授予。子账号不能删除，停用后立即退出登录，其打款记录保留姓名。",
                    ". Sub-accounts are never deleted: a deactivated one is signed out at once, and its payouts keep its name.",
                )}
            </p>
            <p class="field__error" role="alert" data-testid="sub-account-row-error">{row_error}</p>
            <Transition fallback=|| view! { <Loading /> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(l) if l.items.is_empty() => {
                            view! { <Empty zh="店铺还没有子账号，点击“新建子账号”添加。" en="The shop has no sub-accounts yet; add one with “New sub-account”." /> }.into_any()
                        }
                        Ok(l) => view! { <SubAccountTable items=l.items dialog reactivate /> }.into_any(),
                        Err(e) => view! { <ErrorView error=e on_retry=move || list.refetch() /> }.into_any(),
                    }
                })}
            </Transition>
            {move || open.get().then(|| view! { <SubAccountDialog dialog changed /> })}
        </section>
    }
}

#[component]
fn SubAccountTable(
    items: Vec<SubAccountView>,
    dialog: RwSignal<Option<Dialog>>,
    reactivate: Action<i64, Result<(), ApiError>>,
) -> impl IntoView {
    let lang = use_lang();
    let label = move |zh: &'static str, en: &'static str| move || lang.get().pick(zh, en);
    let rows = items
        .into_iter()
        .map(|s| {
            let yes_no = move |on: bool, zh: (&'static str, &'static str), en: (&'static str, &'static str)| {
                move || if on { lang.get().pick(zh.0, en.0) } else { lang.get().pick(zh.1, en.1) }
            };
            let (active, payout, two_factor, must_change) =
                (s.active, s.payout, s.two_factor, s.password_change_required);
            let last = s.last_sign_in_at.map(format::time);
            let id = s.id;
            let (for_rename, for_reset, for_toggle) = (s.clone(), s.clone(), s.clone());
            view! {
                <tr data-testid=format!("sub-account-{}", s.username) class:row--inactive=!active>
                    <th scope="row" class="cell-name">
                        <span data-testid="sub-account-name">{s.display_name.clone()}</span>
                        <span class="muted mono">{s.username.clone()}</span>
                    </th>
                    <td data-label=label("状态", "Status")>
                        <span class="badge" class:badge--ok=active class:badge--muted=!active data-testid="sub-account-status">
                            {yes_no(active, ("已启用", "已停用"), ("Active", "Deactivated"))}
                        </span>
                        {must_change.then(|| view! {
                            <span class="tag" data-testid="sub-account-must-change">{label("待设置密码", "Must set a password")}</span>
                        })}
                    </td>
                    <td data-label=label("打款岗位", "Payout permission") data-testid="sub-account-payout">
                        {yes_no(payout, ("已授予", "未授予"), ("Granted", "Not granted"))}
                    </td>
                    <td data-label=label("两步验证", "Two-step verification") data-testid="sub-account-two-factor">
                        {yes_no(two_factor, ("已开启", "未开启"), ("On", "Off"))}
                    </td>
                    <td data-label=label("最近登录", "Last sign-in")>
                        {match last {
                            Some(t) => view! { <span class="mono">{t}</span> }.into_any(),
                            None => view! { <span class="muted">{label("从未登录", "Never")}</span> }.into_any(),
                        }}
                    </td>
                    <td class="cell-actions" data-label=label("操作", "Actions")>
                        <Button
                            label=("改名", "Rename")
                            class="btn--small"
                            testid="sub-account-rename"
                            on_click=move || dialog.set(Some(Dialog::Rename(for_rename.clone())))
                        />
                        <Button
                            label=("重置密码", "Reset password")
                            class="btn--small"
                            testid="sub-account-reset"
                            disabled=!active
                            on_click=move || dialog.set(Some(Dialog::Reset(for_reset.clone())))
                        />
                        {if active {
                            view! {
                                <Button
                                    label=("停用", "Deactivate")
                                    class="btn--small"
                                    testid="sub-account-deactivate"
                                    on_click=move || dialog.set(Some(Dialog::Deactivate(for_toggle.clone())))
                                />
                            }.into_any()
                        } else {
                            view! {
                                <Button
                                    label=("启用", "Reactivate")
                                    pending=reactivate.pending()
                                    class="btn--small"
                                    testid="sub-account-reactivate"
                                    on_click=move || {
                                        reactivate.dispatch(id);
                                    }
                                />
                            }.into_any()
                        }}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap" tabindex="0" role="region" aria-labelledby="sub-accounts-title">
            <table class="table table--cards" data-testid="sub-account-table">
                <thead>
                    <tr>
                        <th scope="col">{label("子账号", "Sub-account")}</th>
                        <th scope="col">{label("状态", "Status")}</th>
                        <th scope="col">{label("打款岗位", "Payout permission")}</th>
                        <th scope="col">{label("两步验证", "Two-step verification")}</th>
                        <th scope="col">{label("最近登录", "Last sign-in")}</th>
                        <th scope="col">{label("操作", "Actions")}</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

/// The one dialog of the page; its content follows `dialog` (a created account's form turns into
/// its one-time password). Closing it drops whatever it showed.
#[component]
fn SubAccountDialog(dialog: RwSignal<Option<Dialog>>, changed: RwSignal<u32>) -> impl IntoView {
    let lang = use_lang();
    let title = Signal::derive(move || {
        let l = lang.get();
        dialog.with(|d| match d {
            Some(Dialog::Create) => l.pick("新建子账号", "New sub-account").to_owned(),
            Some(Dialog::Rename(_)) => l.pick("修改姓名", "Rename").to_owned(),
            Some(Dialog::Deactivate(_)) => l.pick("停用子账号", "Deactivate the sub-account").to_owned(),
            Some(Dialog::Reset(_)) => l.pick("重置密码", "Reset the password").to_owned(),
            Some(Dialog::Password { created: true, .. }) => {
                l.pick("子账号已创建", "Sub-account created").to_owned()
            }
            Some(Dialog::Password { .. }) => l.pick("密码已重置", "Password reset").to_owned(),
            None => String::new(),
        })
    });
    let close = move || dialog.set(None);
    let done = move || changed.update(|c| *c += 1);
    view! {
        <Modal title on_close=close testid="sub-account-dialog">
            {move || match dialog.get() {
                Some(Dialog::Create) => view! { <CreateForm dialog done /> }.into_any(),
                Some(Dialog::Rename(account)) => view! { <RenameForm account dialog done /> }.into_any(),
                Some(Dialog::Deactivate(account)) => view! { <DeactivateForm account dialog done /> }.into_any(),
                Some(Dialog::Reset(account)) => view! { <ResetForm account dialog done /> }.into_any(),
                Some(Dialog::Password { account, password, created }) => {
                    view! { <PasswordOnce account password created on_close=close /> }.into_any()
                }
                None => ().into_any(),
            }}
        </Modal>
    }
}

/// The buttons at the foot of a dialog's form: submit (busy while `pending`) and cancel.
#[component]
fn Actions(
    #[prop(into)] submit: Signal<String>,
    pending: Memo<bool>,
    dialog: RwSignal<Option<Dialog>>,
    #[prop(optional)] danger: bool,
    testid: &'static str,
) -> impl IntoView {
    let lang = use_lang();
    view! {
        <div class="form__actions">
            <Button label=("取消", "Cancel") on_click=move || dialog.set(None) />
            <button
                type="submit"
                class="btn"
                class:btn--primary=!danger
                class:btn--danger=danger
                data-testid=testid
                disabled=move || pending.get()
                aria-busy=move || pending.get().to_string()
            >
                {move || if pending.get() { lang.get().pick("请稍候…", "One moment…").to_owned() } else { submit.get() }}
            </button>
        </div>
    }
}

#[component]
fn CreateForm(dialog: RwSignal<Option<Dialog>>, #[prop(into)] done: Callback<()>) -> impl IntoView {
    let lang = use_lang();
    let username = RwSignal::new(String::new());
    let display_name = RwSignal::new(String::new());
    let attempted = RwSignal::new(false);
    let refused = RwSignal::new(None::<(SubAccountCreate, ApiError)>);
    let create = Action::new_local(move |body: &SubAccountCreate| {
        let body = body.clone();
        async move {
            match api::create_sub_account(&body).await {
                Ok(created) => {
                    done.run(());
                    dialog.try_set(Some(Dialog::Password {
                        account: created.sub_account,
                        password: created.password,
                        created: true,
                    }));
                }
                Err(e) => {
                    refused.try_set(Some((body, e)));
                }
            }
        }
    });
    let pending = Memo::new(move |_| create.pending().get());
    // The rules the server applies (payout-core's), said as soon as the person tries; the
    // server's refusal of the same text beside the field it is about.
    let server = move |fields: &[&str], value: fn(&SubAccountCreate) -> &str, now: RwSignal<String>| {
        refused.with(|r| match r {
            Some((sent, e)) if fields.contains(&e.code.as_str()) && now.with(|n| n == value(sent)) => {
                vec![error_text(e, lang.get())]
            }
            _ => vec![],
        })
    };
    let username_errors = Signal::derive(move || {
        if !attempted.get() {
            return vec![];
        }
        if let Err(p) = username.with(|u| validate_username(u)) {
            return vec![lang.get().pick(&p.message_zh, &p.message_en).to_owned()];
        }
        server(&["USERNAME_INVALID", "USERNAME_TAKEN"], |c| &c.username, username)
    });
    let name_errors = Signal::derive(move || {
        if !attempted.get() {
            return vec![];
        }
        if let Err(p) = display_name.with(|n| validate_display_name(n)) {
            return vec![lang.get().pick(&p.message_zh, &p.message_en).to_owned()];
        }
        server(&["DISPLAY_NAME_INVALID"], |c| &c.display_name, display_name)
    });
    let other = move || {
        refused.with(|r| {
            r.as_ref()
                .filter(|(_, e)| {
                    !matches!(e.code.as_str(), "USERNAME_INVALID" | "USERNAME_TAKEN" | "DISPLAY_NAME_INVALID")
                })
                .map(|(_, e)| error_text(e, lang.get()))
        })
    };
    view! {
        <form
            novalidate
            data-testid="sub-account-create-form"
            on:submit=move |ev| {
                ev.prevent_default();
                attempted.set(true);
                let body = SubAccountCreate { username: username.get_untracked(), display_name: display_name.get_untracked() };
                let valid = validate_username(&body.username).is_ok() && validate_display_name(&body.display_name).is_ok();
                if valid && !pending.get_untracked() {
                    create.dispatch(body);
                }
            }
        >
            <TextField
                id="new-username"
                label=Signal::derive(move || lang.get().pick("登录名", "Username").to_owned())
                value=username
                errors=username_errors
                autocomplete="off"
                maxlength=USERNAME_MAX as u32
                placeholder=Signal::derive(move || lang.get().pick("如 lin.agent3", "e.g. lin.agent3").to_owned())
            />
            <p class="field__hint field__hint--block">
                {move || lang.get().pick("3 到 32 个字符：小写字母、数字和 . _ -；创建后不能修改。", "3 to 32 characters: lower-case letters, digits and . _ -; it cannot be changed later.")}
            </p>
            <TextField
                id="new-display-name"
                label=Signal::derive(move || lang.get().pick("姓名", "Display name").to_owned())
                value=display_name
                errors=name_errors
                maxlength=DISPLAY_NAME_MAX as u32
            />
            <p class="field__error" role="alert" data-testid="sub-account-create-error">{other}</p>
            <Actions submit=Signal::derive(move || lang.get().pick("创建", "Create").to_owned()) pending dialog testid="sub-account-create-submit" />
        </form>
    }
}

#[component]
fn RenameForm(
    account: SubAccountView,
    dialog: RwSignal<Option<Dialog>>,
    #[prop(into)] done: Callback<()>,
) -> impl IntoView {
    let lang = use_lang();
    let name = RwSignal::new(account.display_name.clone());
    let id = account.id;
    let rename = Action::new_local(move |name: &String| {
        let update = SubAccountUpdate { display_name: Some(name.clone()), active: None };
        async move {
            let r = api::update_sub_account(id, &update).await;
            if r.is_ok() {
                done.run(());
                dialog.try_set(None);
            }
            r.map(|_| ())
        }
    });
    let pending = Memo::new(move |_| rename.pending().get());
    let errors = Signal::derive(move || {
        let l = lang.get();
        if let Err(p) = name.with(|n| validate_display_name(n)) {
            return vec![l.pick(&p.message_zh, &p.message_en).to_owned()];
        }
        rename.value().get().and_then(Result::err).map(|e| vec![error_text(&e, l)]).unwrap_or_default()
    });
    view! {
        <form
            novalidate
            on:submit=move |ev| {
                ev.prevent_default();
                let n = name.get_untracked();
                if validate_display_name(&n).is_ok() && !pending.get_untracked() {
                    rename.dispatch(n);
                }
            }
        >
            <p class="muted">
                {move || lang.get().pick("登录名", "Username")} " " <span class="mono">{account.username.clone()}</span>
            </p>
            <TextField
                id="rename-display-name"
                label=Signal::derive(move || lang.get().pick("姓名", "Display name").to_owned())
                value=name
                errors
                maxlength=DISPLAY_NAME_MAX as u32
            />
            <Actions submit=Signal::derive(move || lang.get().pick("保存", "Save").to_owned()) pending dialog testid="sub-account-rename-submit" />
        </form>
    }
}

#[component]
fn DeactivateForm(
    account: SubAccountView,
    dialog: RwSignal<Option<Dialog>>,
    #[prop(into)] done: Callback<()>,
) -> impl IntoView {
    let id = account.id;
    let deactivate = Action::new_local(move |_: &()| async move {
        let r =
            api::update_sub_account(id, &SubAccountUpdate { display_name: None, active: Some(false) }).await;
        if r.is_ok() {
            done.run(());
            dialog.try_set(None);
        }
        r.map(|_| ())
    });
    let (who, who_en) = who(&account);
    let text = (
        format!("停用 {who} 后，其登录会立即退出，也无法再登录。打款记录和操作记录保留其姓名；可随时重新启用。"),
        format!("Once {who_en} is deactivated, its sessions end at once and it cannot sign in. Its payouts and audit trail keep its name; you can reactivate it at any time."),
    );
    view! {
        <ConfirmForm
            action=deactivate
            text
            text_testid="sub-account-deactivate-text"
            submit=("停用", "Deactivate")
            dialog
            testid="sub-account-deactivate-submit"
        />
    }
}

#[component]
fn ResetForm(
    account: SubAccountView,
    dialog: RwSignal<Option<Dialog>>,
    #[prop(into)] done: Callback<()>,
) -> impl IntoView {
    let id = account.id;
    let shown = account.clone();
    let reset = Action::new_local(move |_: &()| {
        let account = shown.clone();
        async move {
            let r = api::reset_sub_account_password(id).await;
            match r {
                Ok(password) => {
                    done.run(());
                    dialog.try_set(Some(Dialog::Password { account, password, created: false }));
                    Ok(())
                }
                Err(e) => Err(e),
            }
        }
    });
    let (who, who_en) = who(&account);
    let text = (
        format!("为 {who} 生成新的一次性密码？其当前登录会立即退出，两步验证会被关闭，下次登录时须设置新密码。"),
        format!("Give {who_en} a new one-time password? Its sessions end at once, two-step verification is turned off, and it must choose a password at its next sign-in."),
    );
    view! { <ConfirmForm action=reset text submit=("重置密码", "Reset the password") dialog testid="sub-account-reset-submit" /> }
}

/// An account as a dialog names it: `姓名（登录名）` and `Name (login)`.
fn who(account: &SubAccountView) -> (String, String) {
    (
        format!("{}（{}）", account.display_name, account.username),
        format!("{} ({})", account.display_name, account.username),
    )
}

/// A question about one account (`text` in Chinese and English), the error of the last try and
/// the dialog's buttons; submitting runs `action`, one at a time.
#[component]
fn ConfirmForm(
    action: Action<(), Result<(), ApiError>>,
    text: (String, String),
    #[prop(optional)] text_testid: Option<&'static str>,
    submit: (&'static str, &'static str),
    dialog: RwSignal<Option<Dialog>>,
    testid: &'static str,
) -> impl IntoView {
    let lang = use_lang();
    let pending = Memo::new(move |_| action.pending().get());
    let (zh, en) = text;
    view! {
        <form
            novalidate
            on:submit=move |ev| {
                ev.prevent_default();
                if !pending.get_untracked() {
                    action.dispatch(());
                }
            }
        >
            <p data-testid=text_testid>{move || lang.get().pick(&zh, &en).to_owned()}</p>
            <p class="field__error" role="alert">
                {move || action.value().get().and_then(Result::err).map(|e| error_text(&e, lang.get()))}
            </p>
            <Actions submit=Signal::derive(move || lang.get().pick(submit.0, submit.1).to_owned()) pending dialog danger=true testid />
        </form>
    }
}

/// A one-time password, shown this once, with a copy button and the warning that it will not be
/// shown again.
#[component]
fn PasswordOnce(
    account: SubAccountView,
    password: OneTimePassword,
    created: bool,
    #[prop(into)] on_close: Callback<()>,
) -> impl IntoView {
    let lang = use_lang();
    let expires = format::time(password.expires_at);
    let secret = password.one_time_password.0;
    let copy = secret.clone();
    let (who, who_en) = who(&account);
    view! {
        <div class="one-time" data-testid="one-time">
            <p>
                {move || match (lang.get(), created) {
                    (crate::i18n::Lang::Zh, true) => format!("子账号 {who} 已创建。它的一次性密码："),
                    (crate::i18n::Lang::Zh, false) => format!("{who} 的新一次性密码："),
                    (crate::i18n::Lang::En, true) => format!("{who_en} was created. Its one-time password:"),
                    (crate::i18n::Lang::En, false) => format!("The new one-time password of {who_en}:"),
                }}
            </p>
            <div class="one-time__secret">
                <code class="mono secret secret--big" data-testid="one-time-password">{secret}</code>
                <CopyButton text=copy testid="one-time-copy" />
            </div>
            <p class="notice notice--warn" data-testid="one-time-warning">
                <strong>{move || lang.get().pick("该密码只显示这一次，关闭后无法再次查看。", "This password is shown only this once: it cannot be seen again after you close this.")}</strong>
                " "
                {move || match lang.get() {
                    crate::i18n::Lang::Zh => format!("请当面或通过安全的渠道交给本人；有效期至 {expires}（72 小时），首次登录时须设置新密码。忘记时可再次重置。"),
                    crate::i18n::Lang::En => format!("Hand it over in person or by a safe channel. It works until {expires} (72 hours), and must be replaced by a new password at the first sign-in. If it is lost, reset it again."),
                }}
            </p>
            <div class="form__actions">
                <Button label=("我已记下，关闭", "I have it; close") class="btn--primary" testid="one-time-done" on_click=on_close />
            </div>
        </div>
    }
}
