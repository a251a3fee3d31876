//! Quota configuration (客服打款配额, SPEC §6.5): every sub-account's per-payout and daily limit,
//! what it used today and its payout switch, edited in place. Values are checked as typed with
//! `payout_core::quota::validate_quota` (the `Money` parser) and the saved row shows at once.

use leptos::prelude::*;
use payout_core::api::{QuotaUpdate, QuotaView};
use payout_core::quota::validate_quota;
use payout_core::Policy;

use crate::api::{self, ApiError};
use crate::components::feedback::{Empty, ErrorView, Gate, Loading};
use crate::format;
use crate::i18n::use_lang;

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
    view! {
        <section class="page" aria-labelledby="quotas-title">
            <h1 id="quotas-title">{move || lang.get().pick("客服打款配额", "Agent payout quotas")}</h1>
            <p class="muted">
                {move || {
                    lang.get()
                        .pick(
                            "为每个子账号设置单笔限额与每日限额；关闭开关即收回打款权限。修改即时生效。",
                            "Set each sub-account's per-payout and daily limit; switching it off withdraws payout permission. Changes apply at once.",
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
                                            <th scope="col" class="num">{move || lang.get().pick("单笔限额", "Per payout")}</th>
                                            <th scope="col" class="num">{move || lang.get().pick("每日限额", "Daily limit")}</th>
                                            <th scope="col" class="num">{move || lang.get().pick("今日已用", "Used today")}</th>
                                            <th scope="col">{move || lang.get().pick("打款权限", "Payouts")}</th>
                                            <th scope="col">{move || lang.get().pick("操作", "Actions")}</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {
                                            let policy = l.policy;
                                            l.items
                                                .into_iter()
                                                .map(|q| view! { <QuotaRow q policy=policy.clone() /> })
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

#[component]
fn QuotaRow(q: QuotaView, policy: Policy) -> impl IntoView {
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
    let pending = save.pending();
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
    let toggle = move |_| {
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
                {move || row.with(|r| r.manage_quotas).then(|| view! { <span class="tag">{move || lang.get().pick("可管理配额", "Manages quotas")}</span> })}
            </th>
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
            <td data-label=label("打款权限", "Payouts")>
                <button
                    type="button"
                    role="switch"
                    class="switch"
                    data-testid="quota-enabled"
                    aria-checked=move || row.with(|r| r.enabled).to_string()
                    aria-label=move || format!("{} {}", row.with(|r| r.display_name.clone()), lang.get().pick("打款权限", "payout permission"))
                    disabled=move || pending.get()
                    on:click=toggle
                >
                    <span class="switch__track" aria-hidden="true"><span class="switch__thumb"></span></span>
                    <span class="switch__text">
                        {move || if row.with(|r| r.enabled) { lang.get().pick("已开启", "On") } else { lang.get().pick("已关闭", "Off") }}
                    </span>
                </button>
            </td>
            <td class="cell-actions" data-label=label("操作", "Actions")>
                <Show
                    when=move || editing.get()
                    fallback=move || view! {
                        <button type="button" class="btn btn--small" data-testid="quota-edit" on:click=start>
                            {move || lang.get().pick("编辑", "Edit")}
                        </button>
                    }
                >
                    <button
                        type="button"
                        class="btn btn--primary btn--small"
                        data-testid="quota-save"
                        disabled=move || pending.get() || problems.with(|p| !p.is_empty())
                        on:click=move |_| submit()
                    >
                        {move || lang.get().pick("保存", "Save")}
                    </button>
                    <button type="button" class="btn btn--small" on:click=move |_| editing.set(false)>
                        {move || lang.get().pick("取消", "Cancel")}
                    </button>
                </Show>
                <span class="field__error" role="alert" data-testid="quota-error">
                    {move || failure.get().map(|e| e.message(lang.get()).to_owned())}
                </span>
            </td>
        </tr>
    }
}
