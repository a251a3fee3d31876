//! Payout settings (打款设置, SPEC §6.6 and §11.2, main account): both source accounts with balance,
//! frozen and available; the account payouts come from (aggregate not selectable for individual
//! shops, with the reason); the approval threshold and whether a reason is required; and the
//! custody account's enterprise-banking top-up; under each account, the balance movements the
//! platform reported (§12.5); whether those who pay must use two-step verification (§12.2).

use leptos::prelude::*;
use payout_core::api::{PayoutSettings, SettingsUpdate, SourceAccountView, TopUpRequest, TopUpView};
use payout_core::approval::parse_threshold_field;
use payout_core::movements::{MovementKind, MovementView};
use payout_core::top_up::parse_top_up;
use payout_core::{AccountKind, Money, Policy};

use crate::api::{self, ApiError};
use crate::components::account_choice::AccountChoice;
use crate::components::amount_field::AmountField;
use crate::components::button::Button;
use crate::components::feedback::{ErrorView, Gate, Loading};
use crate::components::field::TextField;
use crate::components::switch::Switch;
use crate::format;
use crate::i18n::use_lang;
use crate::people::Actor;

#[component]
pub fn Settings() -> impl IntoView {
    view! {
        <Gate allow=|p| p.manage_settings>
            <SettingsScreen />
        </Gate>
    }
}

#[component]
fn SettingsScreen() -> impl IntoView {
    let lang = use_lang();
    let data = LocalResource::new(api::settings);
    // Kept here so the top-up's confirmation survives the reload of the balances it causes.
    let top_up_done = RwSignal::new(None::<Result<TopUpView, ApiError>>);
    view! {
        <section class="page" aria-labelledby="settings-title">
            <h1 id="settings-title">{move || lang.get().pick("打款设置", "Payout settings")}</h1>
            <Transition fallback=|| view! { <Loading /> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(s) => view! { <SettingsView s top_up_done on_changed=move || data.refetch() /> }.into_any(),
                        Err(e) => view! { <ErrorView error=e on_retry=move || data.refetch() /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// What is saved on the server: the form compares itself with it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Saved {
    source: String,
    threshold: Option<Money>,
    require_reason: bool,
    require_two_factor: bool,
}

impl Saved {
    fn of(s: &PayoutSettings) -> Saved {
        Saved {
            source: s.selected_source_account.as_str().to_owned(),
            threshold: s.approval_threshold,
            require_reason: s.require_reason,
            require_two_factor: s.require_two_factor,
        }
    }
}

#[component]
fn SettingsView(
    s: PayoutSettings,
    top_up_done: RwSignal<Option<Result<TopUpView, ApiError>>>,
    #[prop(into)] on_changed: Callback<()>,
) -> impl IntoView {
    let lang = use_lang();
    let saved = RwSignal::new(Saved::of(&s));
    let selected = RwSignal::new(s.selected_source_account.as_str().to_owned());
    let threshold_text = RwSignal::new(s.approval_threshold.map(|m| m.to_string()).unwrap_or_default());
    let require_reason = RwSignal::new(s.require_reason);
    let require_two_factor = RwSignal::new(s.require_two_factor);
    // The settings carry no policy: the default one bounds the threshold here (the server checks
    // its own).
    let policy = Policy::default();
    let threshold = Memo::new(move |_| threshold_text.with(|t| parse_threshold_field(&policy, t)));
    let threshold_errors = Signal::derive(move || {
        let l = lang.get();
        threshold
            .with(|t| t.as_ref().err().map(|e| vec![l.pick(&e.message_zh(), &e.message_en()).to_owned()]))
            .unwrap_or_default()
    });
    let form = move || -> Option<Saved> {
        Some(Saved {
            source: selected.get(),
            threshold: threshold.get().ok()?,
            require_reason: require_reason.get(),
            require_two_factor: require_two_factor.get(),
        })
    };
    let result = RwSignal::new(None::<Result<(), ApiError>>);
    let save = Action::new_local(move |wanted: &Saved| {
        let old = saved.get_untracked();
        let update = SettingsUpdate {
            source_account: wanted.source.clone(),
            approval_threshold: (wanted.threshold != old.threshold)
                .then(|| wanted.threshold.map(|m| m.to_string())),
            require_reason: (wanted.require_reason != old.require_reason).then_some(wanted.require_reason),
            require_two_factor: (wanted.require_two_factor != old.require_two_factor)
                .then_some(wanted.require_two_factor),
        };
        async move {
            let r = api::update_settings(&update).await;
            if let Ok(s) = &r {
                saved.try_set(Saved::of(s));
            }
            result.try_set(Some(r.map(|_| ())));
        }
    });
    let pending = save.pending();
    let accounts = s.accounts.clone();
    view! {
        <div class="accounts" data-testid="accounts">
            {s.accounts.iter().cloned().map(|a| {
                let movements: Vec<MovementView> = s.movements.iter().filter(|m| m.account == a.kind).cloned().collect();
                view! { <AccountCard a movements /> }
            }).collect_view()}
        </div>
        <form
            class="card"
            aria-labelledby="source-title"
            novalidate
            on:submit=move |ev| {
                ev.prevent_default();
                if let Some(wanted) = form().filter(|_| !pending.get_untracked()) {
                    save.dispatch(wanted);
                }
            }
        >
            <fieldset class="field">
                <legend id="source-title" class="card__title">
                    {move || lang.get().pick("出款账户", "Source account for payouts")}
                </legend>
                <div class="choices">
                    {accounts
                        .into_iter()
                        .map(|account| {
                            view! {
                                <AccountChoice account group="settings_source" id_prefix="settings-source" selected />
                            }
                        })
                        .collect_view()}
                </div>
            </fieldset>
            <h2 class="card__title card__title--section">{move || lang.get().pick("审核与打款原因", "Approval and reasons")}</h2>
            <div class="form-row">
                <AmountField
                    value=threshold_text
                    errors=threshold_errors
                    id="threshold"
                    label=Signal::derive(move || lang.get().pick("审核门槛（选填）", "Approval threshold (optional)").to_owned())
                    hint=Signal::derive(move || {
                        lang.get()
                            .pick(
                                "子账号单笔金额达到该值时需主账号审核；留空表示不需要审核",
                                "A sub-account's payout at or above this waits for the main account's approval; empty means no approval",
                            )
                            .to_owned()
                    })
                />
                <div class="field">
                    <span class="field__label" id="require-reason-label">{move || lang.get().pick("必须选择打款原因", "Require a reason")}</span>
                    <Switch
                        testid="require-reason"
                        checked=require_reason
                        label=Signal::derive(move || lang.get().pick("必须选择打款原因", "Require a reason").to_owned())
                        on_toggle=move || require_reason.update(|r| *r = !*r)
                    />
                    <p class="field__hint">
                        {move || lang.get().pick("开启后，每笔打款都要选择一个打款原因", "When on, every payout must name one of the shop's reasons")}
                    </p>
                </div>
                <div class="field">
                    <span class="field__label">{move || lang.get().pick("打款须开启两步验证", "Require two-step verification to pay")}</span>
                    <Switch
                        testid="require-two-factor"
                        checked=require_two_factor
                        label=Signal::derive(move || lang.get().pick("打款须开启两步验证", "Require two-step verification to pay").to_owned())
                        on_toggle=move || require_two_factor.update(|r| *r = !*r)
                    />
                    <p class="field__hint">
                        {move || {
                            lang.get()
                                .pick(
                                    "开启后，有打款岗位的账号须先在“账号安全”中开启两步验证，才能打款和审核",
                                    "When on, accounts with payout permission must turn on two-step verification (Account security) before they pay or approve",
                                )
                        }}
                    </p>
                </div>
            </div>
            <div class="form__actions form__actions--start">
                <Button
                    label=("保存", "Save")
                    pending
                    disabled=Signal::derive(move || form().is_none_or(|f| f == saved.get()))
                    class="btn--primary"
                    submit=true
                    testid="settings-save"
                />
                <span role="status" data-testid="settings-result">
                    {move || match result.get() {
                        Some(Ok(())) => lang.get().pick("已保存", "Saved").to_owned(),
                        Some(Err(e)) => crate::components::feedback::error_text(&e, lang.get()),
                        None => String::new(),
                    }}
                </span>
            </div>
        </form>
        <TopUp top_ups=s.top_ups done=top_up_done on_changed />
    }
}

#[component]
fn AccountCard(a: SourceAccountView, movements: Vec<MovementView>) -> impl IntoView {
    let lang = use_lang();
    let row = move |zh: &'static str, en: &'static str, m: Money| {
        view! {
            <div>
                <dt>{move || lang.get().pick(zh, en)}</dt>
                <dd>{format::money(m)}</dd>
            </div>
        }
    };
    view! {
        <article class="card account" data-testid=format!("account-{}", a.kind.as_str())>
            <h2 class="card__title">{move || format::account(lang.get(), a.kind)}</h2>
            {if a.opened {
                view! {
                    <dl class="facts facts--account">
                        {row("余额", "Balance", a.balance)}
                        {row("冻结", "Frozen", a.frozen)}
                        {row("处理中占用", "Held by payouts", a.reserved)}
                        {row("可用", "Available", a.available)}
                    </dl>
                }
                    .into_any()
            } else {
                view! { <p class="muted">{move || lang.get().pick("未开通", "Not opened")}</p> }.into_any()
            }}
            <Movements kind=a.kind movements />
        </article>
    }
}

#[component]
fn TopUp(
    top_ups: Vec<TopUpView>,
    done: RwSignal<Option<Result<TopUpView, ApiError>>>,
    #[prop(into)] on_changed: Callback<()>,
) -> impl IntoView {
    let lang = use_lang();
    let amount = RwSignal::new(String::new());
    let reference = RwSignal::new(String::new());
    let amount_errors = Signal::derive(move || {
        let text = amount.get();
        if text.trim().is_empty() {
            return vec![];
        }
        parse_top_up(&text)
            .err()
            .map(|e| vec![lang.get().pick(&e.message_zh(), &e.message_en()).to_owned()])
            .unwrap_or_default()
    });
    let valid = move || parse_top_up(&amount.get()).is_ok() && !reference.get().trim().is_empty();
    // One idempotency key per top-up: kept while the same values are retried after an answer that
    // was not definite, so a flaky network can never record one bank transfer twice.
    let attempt = StoredValue::new(None::<(TopUpRequest, String)>);
    let submit = Action::new_local(move |req: &TopUpRequest| {
        let req = req.clone();
        let key = match attempt.get_value() {
            Some((same, key)) if same == req => key,
            _ => api::new_idempotency_key(),
        };
        attempt.set_value(Some((req.clone(), key.clone())));
        async move {
            let r = api::top_up(&req, &key).await;
            if !r.as_ref().is_err_and(ApiError::is_ambiguous) {
                attempt.set_value(None);
            }
            if r.is_ok() {
                amount.try_set(String::new());
                reference.try_set(String::new());
                on_changed.run(());
            }
            done.try_set(Some(r));
        }
    });
    let pending = submit.pending();
    view! {
        <form
            class="card"
            aria-labelledby="topup-title"
            on:submit=move |ev| {
                ev.prevent_default();
                if valid() {
                    submit.dispatch(TopUpRequest { amount: amount.get_untracked(), reference: reference.get_untracked().trim().to_owned() });
                }
            }
        >
            <h2 id="topup-title" class="card__title">{move || lang.get().pick("管家账户充值", "Top up the custody account")}</h2>
            <p class="muted">
                {move || lang.get().pick("仅支持企业网银转账，到账后在此登记流水号。", "Enterprise online banking only: record the transfer's reference once it arrives.")}
            </p>
            <div class="form-row">
                <AmountField
                    value=amount
                    errors=amount_errors
                    id="topup-amount"
                    label=Signal::derive(move || lang.get().pick("充值金额", "Amount").to_owned())
                />
                <TextField
                    id="topup-reference"
                    label=Signal::derive(move || lang.get().pick("银行流水号", "Bank reference").to_owned())
                    value=reference
                    maxlength=64
                />
            </div>
            <div class="form__actions form__actions--start">
                <Button
                    label=("登记充值", "Record top-up")
                    pending
                    disabled=Signal::derive(move || !valid())
                    class="btn--primary"
                    submit=true
                    testid="topup-submit"
                />
                <span role="status" data-testid="topup-result">
                    {move || match done.get() {
                        Some(Ok(t)) => format!("{} {}", lang.get().pick("已登记充值", "Top-up recorded:"), format::money(t.amount)),
                        Some(Err(e)) => e.message(lang.get()).to_owned(),
                        None => String::new(),
                    }}
                </span>
            </div>
            {(!top_ups.is_empty()).then(|| view! {
                <h3 class="card__subtitle">{move || lang.get().pick("最近充值", "Recent top-ups")}</h3>
                <ul class="plain-list">
                    {top_ups.into_iter().map(|t| view! {
                        <li>{format::time(t.created_at)} " · " {format::money(t.amount)} " · " <span class="mono">{t.reference}</span> " · " <Actor login=t.actor /></li>
                    }).collect_view()}
                </ul>
            })}
        </form>
    }
}

/// The latest balance movements the platform reported for one account (SPEC §12.5), newest first.
#[component]
fn Movements(kind: AccountKind, movements: Vec<MovementView>) -> impl IntoView {
    let lang = use_lang();
    let label = move |zh: &'static str, en: &'static str| move || lang.get().pick(zh, en);
    let testid = format!("movements-{}", kind.as_str());
    if movements.is_empty() {
        return view! {
            <p class="muted movements__empty" data-testid=testid>
                {move || lang.get().pick("暂无平台上报的资金变动", "No balance movements reported yet")}
            </p>
        }
        .into_any();
    }
    let rows = movements
        .into_iter()
        .map(|m| {
            // What the movement did to the balance: money in or out; a freeze holds, an unfreeze frees.
            let sign = match m.kind {
                MovementKind::Credit => "+",
                MovementKind::Debit => "−",
                _ => "",
            };
            view! {
                <tr data-testid="movement-row" data-kind=m.kind.as_str()>
                    <td class="cell-time" data-label=label("时间", "Time")>{format::time(m.created_at)}</td>
                    <td data-label=label("类型", "Kind")>{move || lang.get().pick(m.kind.label_zh(), m.kind.label_en())}</td>
                    <td class="num nowrap" data-label=label("金额", "Amount")>{format!("{sign}{}", format::money(m.amount))}</td>
                    <td data-label=label("流水号", "Reference")>
                        <span class="cell-stack">
                            <span class="mono break">{m.reference.clone()}</span>
                            {m.note.clone().map(|n| view! { <span class="cell-sub">{n}</span> })}
                        </span>
                    </td>
                    <td data-label=label("上报方", "Reported by")>{m.actor.clone()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap movements">
            <table class="table table--compact table--cards" data-testid=testid>
                <caption class="table__caption">{label("最近资金变动", "Recent balance movements")}</caption>
                <thead>
                    <tr>
                        <th scope="col">{label("时间", "Time")}</th>
                        <th scope="col">{label("类型", "Kind")}</th>
                        <th scope="col" class="num">{label("金额", "Amount")}</th>
                        <th scope="col">{label("流水号", "Reference")}</th>
                        <th scope="col">{label("上报方", "Reported by")}</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}
