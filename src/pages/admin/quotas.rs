//! Quota configuration (客服打款配额, SPEC §6.5): every sub-account's per-payout and daily limit,
//! what it used today and its payout switch, edited in place. Values are checked as typed with
//! `payout_core::quota::validate_quota` (the `Money` parser) and the saved row shows at once.

use leptos::prelude::*;
use payout_core::api::{PermissionsUpdate, QuotaUpdate, QuotaView};
use payout_core::quota::validate_quota;
use payout_core::{Policy, Role};

use crate::api::{self, ApiError};
use crate::components::button::Button;
use crate::components::feedback::{Empty, ErrorView, Gate, Loading};
use crate::components::switch::Switch;
use crate::format;
use crate::i18n::use_lang;
use crate::session::{use_session, SessionState};

#[component]
pub fn Quotas() -> impl IntoView {
    view! {
        <Gate allow=|p| p.manage_quotas>
            <QuotasScreen />
        </Gate>
    }
}

#[component]
fn QuotasScreen() -> impl IntoView {
    let lang = use_lang();
    let list = LocalResource::new(api::quotas);
    let viewer = use_session().with_untracked(|s| match s {
        SessionState::SignedIn(info) => Viewer { main: info.user.role == Role::Main, user_id: info.user.id },
        _ => Viewer { main: false, user_id: 0 },
    });
    view! {
        <section class="page" aria-labelledby="quotas-title">
            <h1 id="quotas-title">{move || lang.get().pick("客服打款配额", "Agent payout quotas")}</h1>
            <p class="muted">
                {move || {
                    lang.get()
                        .pick(
                            "主账号授予或收回子账号的打款岗位与配额管理员角色；配额管理员为已有打款岗位的子账号设置单笔、每日限额并开关配额。修改即时生效。",
                            "The main account grants or revokes each sub-account's payout permission and quota-manager role; quota managers set the per-payout and daily limits of sub-accounts that hold payout permission and switch their quota on or off. Changes apply at once.",
                        )
                }}
            </p>
            <Transition fallback=|| view! { <Loading /> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(l) if l.items.is_empty() => {
                            view! { <Empty zh="店铺还没有子账号" en="The shop has no sub-accounts" /> }.into_any()
                        }
                        Ok(l) => view! {
                            <div class="table-wrap" tabindex="0" role="region" aria-labelledby="quotas-title">
                                <table class="table table--cards" data-testid="quota-table">
                                    <thead>
                                        <tr>
                                            <th scope="col">{move || lang.get().pick("子账号", "Sub-account")}</th>
                                            <th scope="col">{move || lang.get().pick("打款岗位", "Payout permission")}</th>
                                            <th scope="col">{move || lang.get().pick("配额管理员", "Quota manager")}</th>
                                            <th scope="col" class="num">{move || lang.get().pick("单笔限额", "Per payout")}</th>
                                            <th scope="col" class="num">{move || lang.get().pick("每日限额", "Daily limit")}</th>
                                            <th scope="col" class="num">{move || lang.get().pick("今日已用", "Used today")}</th>
                                            <th scope="col">{move || lang.get().pick("配额开关", "Quota on")}</th>
                                            <th scope="col">{move || lang.get().pick("操作", "Actions")}</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {
                                            let policy = l.policy;
                                            l.items
                                                .into_iter()
                                                .map(|q| view! { <QuotaRow q policy=policy.clone() viewer /> })
                                                .collect_view()
                                        }
                                    </tbody>
                                </table>
                            </div>
                        }
                        .into_any(),
                        Err(e) => view! { <ErrorView error=e on_retry=move || list.refetch() /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// Who looks at the page: the main account grants permissions (D6); a quota manager that is a
/// sub-account sees the grants read-only and cannot change its own quota (D7).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Viewer {
    main: bool,
    user_id: i64,
}

#[component]
fn QuotaRow(q: QuotaView, policy: Policy, viewer: Viewer) -> impl IntoView {
    let lang = use_lang();
    let row = RwSignal::new(q);
    let label = move |zh: &'static str, en: &'static str| move || lang.get().pick(zh, en);
    let editing = RwSignal::new(false);
    let per = RwSignal::new(String::new());
    let daily = RwSignal::new(String::new());
    let failure = RwSignal::new(None::<ApiError>);
    let problems =
        Memo::new(move |_| validate_quota(&policy, &per.get(), &daily.get()).err().unwrap_or_default());
    let field_errors = move |field: &'static str| {
        let l = lang.get();
        problems.with(|p| {
            p.iter()
                .filter(|e| e.field == field)
                .map(|e| l.pick(&e.message_zh, &e.message_en).to_owned())
                .collect::<Vec<_>>()
                .join(" ")
        })
    };

    let save = Action::new_local(move |update: &QuotaUpdate| {
        let update = update.clone();
        let id = row.get_untracked().sub_account_id;
        async move {
            match api::update_quota(id, &update).await {
                Ok(saved) => {
                    row.try_set(saved);
                    editing.try_set(false);
                    failure.try_set(None);
                }
                Err(e) => {
                    failure.try_set(Some(e));
                }
            }
        }
    });
    let grant = Action::new_local(move |update: &PermissionsUpdate| {
        let update = update.clone();
        let id = row.get_untracked().sub_account_id;
        async move {
            match api::update_permissions(id, &update).await {
                Ok(saved) => {
                    row.try_set(saved);
                    failure.try_set(None);
                }
                Err(e) => {
                    failure.try_set(Some(e));
                }
            }
        }
    });
    let pending = Signal::derive(move || save.pending().get() || grant.pending().get());
    // Why this viewer may not change this row's quota (None: it may).
    let locked = Signal::derive(move || {
        let l = lang.get();
        row.with(|r| {
            if viewer.main {
                None
            } else if r.sub_account_id == viewer.user_id {
                Some(l.pick("不能修改自己的配额", "You cannot change your own quota"))
            } else if !r.payout_permission {
                Some(
                    l.pick("需先由主账号授予打款岗位", "The main account must grant payout permission first"),
                )
            } else {
                None
            }
        })
    });
    let name = move || row.with(|r| r.display_name.clone());
    let permission = move |payout: bool| {
        let r = row.get_untracked();
        grant.dispatch(if payout {
            PermissionsUpdate { payout: !r.payout_permission, manage_quotas: r.manage_quotas }
        } else {
            PermissionsUpdate { payout: r.payout_permission, manage_quotas: !r.manage_quotas }
        });
    };
    let start = move |_| {
        row.with_untracked(|r| {
            per.set(r.per_payout_limit.to_string());
            daily.set(r.daily_limit.to_string());
        });
        failure.set(None);
        editing.set(true);
    };
    let submit = move || {
        if problems.with_untracked(|p| p.is_empty()) {
            let enabled = row.with_untracked(|r| r.enabled);
            save.dispatch(QuotaUpdate {
                per_payout_limit: per.get_untracked(),
                daily_limit: daily.get_untracked(),
                enabled,
            });
        }
    };
    let toggle = move || {
        let r = row.get_untracked();
        save.dispatch(QuotaUpdate {
            per_payout_limit: r.per_payout_limit.to_string(),
            daily_limit: r.daily_limit.to_string(),
            enabled: !r.enabled,
        });
    };
    let username = row.with_untracked(|r| r.username.clone());
    let ids = (format!("per-{username}"), format!("daily-{username}"));
    let money_input = move |id: String,
                            zh: &'static str,
                            en: &'static str,
                            value: RwSignal<String>,
                            field: &'static str| {
        let err_id = format!("{id}-error");
        let name = row.with_untracked(|r| r.display_name.clone());
        view! {
            <div class="inline-field" class:field--invalid=move || !field_errors(field).is_empty()>
                <div class="money-input">
                    <span class="money-input__prefix" aria-hidden="true">"¥"</span>
                    <input
                        id=id.clone()
                        data-testid=id.clone()
                        type="text"
                        inputmode="decimal"
                        autocomplete="off"
                        aria-label=move || format!("{name} {}", lang.get().pick(zh, en))
                        aria-invalid=move || (!field_errors(field).is_empty()).to_string()
                        aria-describedby=err_id.clone()
                        prop:value=move || value.get()
                        on:input=move |ev| value.set(event_target_value(&ev))
                        on:keydown=move |ev| {
                            if ev.key() == "Enter" {
                                submit();
                            } else if ev.key() == "Escape" {
                                editing.set(false);
                            }
                        }
                    />
                </div>
                <span id=err_id.clone() class="field__error" data-testid=err_id aria-live="polite">
                    {move || field_errors(field)}
                </span>
            </div>
        }
    };
    let (per_id, daily_id) = ids;

    view! {
        <tr data-testid=format!("quota-{username}")>
            <th scope="row" class="cell-name">
                {move || row.with(|r| r.display_name.clone())}
                <span class="muted mono">{move || row.with(|r| r.username.clone())}</span>
            </th>
            <td data-label=label("打款岗位", "Payout permission")>
                <Switch
                    testid="perm-payout"
                    checked=Signal::derive(move || row.with(|r| r.payout_permission))
                    label=Signal::derive(move || format!("{} {}", name(), lang.get().pick("打款岗位", "payout permission")))
                    disabled=Signal::derive(move || !viewer.main || pending.get())
                    on_toggle=move || permission(true)
                />
            </td>
            <td data-label=label("配额管理员", "Quota manager")>
                <Switch
                    testid="perm-quotas"
                    checked=Signal::derive(move || row.with(|r| r.manage_quotas))
                    label=Signal::derive(move || format!("{} {}", name(), lang.get().pick("配额管理员", "quota manager")))
                    disabled=Signal::derive(move || !viewer.main || pending.get())
                    on_toggle=move || permission(false)
                />
            </td>
            <Show
                when=move || editing.get()
                fallback=move || {
                    view! {
                        <td class="num" data-label=label("单笔限额", "Per payout") data-testid="per-value">{move || row.with(|r| format::money(r.per_payout_limit))}</td>
                        <td class="num" data-label=label("每日限额", "Daily limit") data-testid="daily-value">{move || row.with(|r| format::money(r.daily_limit))}</td>
                    }
                }
            >
                <td class="num" data-label=label("单笔限额", "Per payout")>{money_input(per_id.clone(), "单笔限额", "per-payout limit", per, "per_payout_limit")}</td>
                <td class="num" data-label=label("每日限额", "Daily limit")>{money_input(daily_id.clone(), "每日限额", "daily limit", daily, "daily_limit")}</td>
            </Show>
            <td class="num" data-label=label("今日已用", "Used today")>{move || row.with(|r| format::money(r.used_today))}</td>
            <td data-label=label("配额开关", "Quota on")>
                // Without payout permission the quota does nothing: its switch would claim "on".
                <Show
                    when=move || row.with(|r| r.payout_permission)
                    fallback=move || view! {
                        <span class="muted" data-testid="quota-enabled-na">
                            {move || lang.get().pick("不适用（未授予打款岗位）", "Not applicable (no payout permission)")}
                        </span>
                    }
                >
                    <Switch
                        testid="quota-enabled"
                        checked=Signal::derive(move || row.with(|r| r.enabled))
                        label=Signal::derive(move || format!("{} {}", name(), lang.get().pick("配额开关", "quota on")))
                        disabled=Signal::derive(move || pending.get() || locked.with(Option::is_some))
                        on_toggle=toggle
                    />
                </Show>
            </td>
            <td class="cell-actions" data-label=label("操作", "Actions")>
                <Show
                    when=move || editing.get()
                    fallback=move || view! {
                        <button
                            type="button"
                            class="btn btn--small"
                            data-testid="quota-edit"
                            disabled=move || locked.with(Option::is_some)
                            on:click=start
                        >
                            {move || lang.get().pick("编辑", "Edit")}
                        </button>
                    }
                >
                    <Button
                        label=("保存", "Save")
                        pending
                        disabled=Signal::derive(move || problems.with(|p| !p.is_empty()))
                        class="btn--primary btn--small"
                        testid="quota-save"
                        on_click=move || submit()
                    />
                    <Button label=("取消", "Cancel") class="btn--small" on_click=move || editing.set(false) />
                </Show>
                <span class="muted cell-note" data-testid="quota-locked">{move || locked.get()}</span>
                <span class="field__error" role="alert" data-testid="quota-error">
                    {move || failure.get().map(|e| crate::components::feedback::error_text(&e, lang.get()))}
                </span>
            </td>
        </tr>
    }
}
