//! API 设置 (SPEC §12.4 and §12.6, main account): the shop's API keys (created with a name and
//! scopes, the key shown once; listed by prefix; revoked after a confirmation) and its webhook
//! endpoints (added with a URL and events, the signing secret shown once; switched on or off,
//! edited, sent a test event; their delivery log, where a delivery may be resent).
//!
//! A key or a secret lives only in the dialog that shows it: it is in no signal of the page, and
//! goes when the dialog closes.

use leptos::prelude::*;
use payout_core::keys::{
    validate_key_request, ApiKeyCreate, ApiKeyCreated, ApiKeyView, Scope, MAX_KEY_NAME_CHARS,
};
use payout_core::webhooks::{
    validate_endpoint, DeliveryStatus, DeliveryView, EndpointCreated, EndpointInput, EndpointView, EventType,
};

use crate::api::{self, ApiError};
use crate::components::button::Button;
use crate::components::copy::CopyButton;
use crate::components::dialog::Modal;
use crate::components::feedback::{error_text, Empty, ErrorView, Gate, Loading};
use crate::components::field::TextField;
use crate::components::switch::Switch;
use crate::format;
use crate::i18n::{use_lang, Lang};

#[component]
pub fn ApiSettings() -> impl IntoView {
    let lang = use_lang();
    view! {
        <Gate allow=|p| p.manage_settings>
            <section class="page" aria-labelledby="api-title">
                <h1 id="api-title">{move || lang.get().pick("API 设置", "API settings")}</h1>
                <ApiKeys />
                <Webhooks />
            </section>
        </Gate>
    }
}

fn scope_label(lang: Lang, s: Scope) -> &'static str {
    lang.pick(s.label_zh(), s.label_en())
}

/// An event by name: Chinese words, or its technical name in English.
fn event_label(lang: Lang, e: EventType) -> &'static str {
    lang.pick(e.label_zh(), e.as_str())
}

// --- API keys --------------------------------------------------------------------------------

#[component]
fn ApiKeys() -> impl IntoView {
    let lang = use_lang();
    let revoke = Action::new_local(|id: &i64| {
        let id = *id;
        async move { api::revoke_api_key(id).await }
    });
    // Bumped when the create dialog made a key.
    let created = RwSignal::new(0u32);
    let list = LocalResource::new(move || {
        revoke.version().track();
        created.track();
        api::api_keys()
    });
    let creating = RwSignal::new(false);
    let confirming = RwSignal::new(None::<ApiKeyView>);
    Effect::watch(
        move || revoke.version().get(),
        move |_, _, _| {
            if matches!(revoke.value().get_untracked(), Some(Ok(_))) {
                confirming.set(None);
            }
        },
        false,
    );
    view! {
        <section class="card" aria-labelledby="keys-title" data-testid="api-keys">
            <div class="card__header">
                <h2 id="keys-title" class="card__title">{move || lang.get().pick("API 密钥", "API keys")}</h2>
                <Button label=("新建密钥", "Create a key") class="btn--primary" testid="key-add" on_click=move || creating.set(true) />
            </div>
            <p class="muted">
                {move || lang.get().pick(
                    "供商家和平台的系统调用接口（导入订单、上报资金变动、读取打款记录）。请求头：Authorization: Bearer <密钥>。",
                    "For the merchant's and the platform's systems (import orders, report balance movements, read payouts). Send it as Authorization: Bearer <key>.",
                )}
            </p>
            <Transition fallback=|| view! { <Loading /> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(l) if l.items.is_empty() => view! { <Empty zh="还没有 API 密钥" en="No API keys yet" /> }.into_any(),
                        Ok(l) => view! { <KeyTable items=l.items confirming /> }.into_any(),
                        Err(e) => view! { <ErrorView error=e on_retry=move || list.refetch() /> }.into_any(),
                    }
                })}
            </Transition>
            {move || creating.get().then(|| view! {
                <CreateKey on_close=move || creating.set(false) on_created=move || created.update(|n| *n += 1) />
            })}
            {move || confirming.get().map(|k| {
                let id = k.id;
                let pending = revoke.pending();
                view! {
                    <Modal
                        title=Signal::derive(move || lang.get().pick("撤销 API 密钥", "Revoke the API key").to_owned())
                        on_close=move || {
                            revoke.value().set(None);
                            confirming.set(None);
                        }
                        testid="key-revoke-dialog"
                    >
                        <p class="confirm">
                            {move || match lang.get() {
                                Lang::Zh => format!("撤销后，使用密钥“{}”（{}…）的系统将立即无法调用接口，且无法恢复。", k.name, k.prefix),
                                Lang::En => format!("Systems using the key \"{}\" ({}…) lose access at once. This cannot be undone.", k.name, k.prefix),
                            }}
                        </p>
                        <p class="field__error" role="alert">
                            {move || revoke.value().get().and_then(Result::err).map(|e| error_text(&e, lang.get()))}
                        </p>
                        <div class="form__actions">
                            <Button label=("取消", "Cancel") on_click=move || confirming.set(None) />
                            <Button
                                label=("确认撤销", "Revoke")
                                busy=("撤销中…", "Revoking…")
                                pending
                                class="btn--danger"
                                testid="key-revoke-confirm"
                                on_click=move || {
                                    revoke.dispatch(id);
                                }
                            />
                        </div>
                    </Modal>
                }
            })}
        </section>
    }
}

#[component]
fn KeyTable(items: Vec<ApiKeyView>, confirming: RwSignal<Option<ApiKeyView>>) -> impl IntoView {
    let lang = use_lang();
    let label = move |zh: &'static str, en: &'static str| move || lang.get().pick(zh, en);
    let rows = items
        .into_iter()
        .map(|k| {
            let scopes = k.scopes.clone();
            let revoked = k.revoked_at;
            let key = k.clone();
            view! {
                <tr data-testid="key-row" data-id=k.id data-prefix=k.prefix.clone() data-revoked=revoked.is_some().to_string()>
                    <th scope="row" class="cell-name">{k.name.clone()}</th>
                    <td data-label=label("密钥前缀", "Prefix")><span class="mono">{format!("{}…", k.prefix)}</span></td>
                    <td data-label=label("权限范围", "Scopes")>
                        {move || {
                            let l = lang.get();
                            scopes.iter().map(|s| scope_label(l, *s)).collect::<Vec<_>>().join(l.pick("、", ", "))
                        }}
                    </td>
                    <td class="cell-time" data-label=label("创建", "Created")>
                        <span class="cell-stack">
                            {format::time(k.created_at)}
                            <span class="cell-sub">{k.created_by.clone()}</span>
                        </span>
                    </td>
                    <td class="cell-time" data-label=label("最近使用", "Last used") data-testid="key-last-used">
                        {move || k.last_used_at.map(format::time).unwrap_or_else(|| lang.get().pick("从未使用", "Never").to_owned())}
                    </td>
                    <td class="cell-actions" data-label=label("操作", "Actions")>
                        {match revoked {
                            Some(at) => view! {
                                <span class="badge badge--rejected" data-testid="key-revoked">
                                    {move || lang.get().pick("已撤销", "Revoked")} " " {format::time(at)}
                                </span>
                            }
                            .into_any(),
                            None => view! {
                                <Button
                                    label=("撤销", "Revoke")
                                    class="btn--small"
                                    testid="key-revoke"
                                    on_click=move || confirming.set(Some(key.clone()))
                                />
                            }
                            .into_any(),
                        }}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="table table--cards" data-testid="key-table">
                <thead>
                    <tr>
                        <th scope="col">{label("名称", "Name")}</th>
                        <th scope="col">{label("密钥前缀", "Prefix")}</th>
                        <th scope="col">{label("权限范围", "Scopes")}</th>
                        <th scope="col">{label("创建", "Created")}</th>
                        <th scope="col">{label("最近使用", "Last used")}</th>
                        <th scope="col">{label("操作", "Actions")}</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

/// The create dialog: name and scopes, then the key, shown this once.
#[component]
fn CreateKey(#[prop(into)] on_close: Callback<()>, #[prop(into)] on_created: Callback<()>) -> impl IntoView {
    let lang = use_lang();
    let name = RwSignal::new(String::new());
    let scopes = RwSignal::new(Vec::<Scope>::new());
    let tried = RwSignal::new(false);
    let request = move || ApiKeyCreate {
        name: name.get(),
        scopes: scopes.get().into_iter().map(|s| s.as_str().to_owned()).collect(),
    };
    let problem = Signal::derive(move || validate_key_request(&request()).err());
    let create = Action::new_local(move |input: &ApiKeyCreate| {
        let input = input.clone();
        async move {
            let r = api::create_api_key(&input).await;
            if r.is_ok() {
                on_created.run(());
            }
            r
        }
    });
    let pending = create.pending();
    let created = move || create.value().get().and_then(Result::ok);
    let failure = move || create.value().get().and_then(Result::err);
    // The name's own problem (the scopes are said under the scopes).
    let name_errors = Signal::derive(move || {
        let named = ApiKeyCreate { name: name.get(), scopes: vec![Scope::OrdersWrite.as_str().to_owned()] };
        match validate_key_request(&named) {
            Err((zh, en)) if tried.get() => vec![lang.get().pick(&zh, &en).to_owned()],
            _ => vec![],
        }
    });
    let scope_error = move || {
        (tried.get() && scopes.with(Vec::is_empty))
            .then(|| lang.get().pick("请至少选择一个权限范围", "Choose at least one scope"))
    };
    view! {
        <Modal
            title=Signal::derive(move || lang.get().pick("新建 API 密钥", "Create an API key").to_owned())
            on_close
            testid="key-dialog"
        >
            {move || match created() {
                Some(c) => view! { <ShownOnce created=Secret::Key(c) on_close /> }.into_any(),
                None => view! {
                    <form novalidate on:submit=move |ev| {
                        ev.prevent_default();
                        tried.set(true);
                        if problem.get_untracked().is_none() && !pending.get_untracked() {
                            create.dispatch(request());
                        }
                    }>
                        <TextField
                            id="key-name"
                            label=Signal::derive(move || lang.get().pick("名称", "Name").to_owned())
                            value=name
                            maxlength=MAX_KEY_NAME_CHARS as u32
                            errors=name_errors
                            placeholder=Signal::derive(move || lang.get().pick("例如：ERP 订单同步", "e.g. ERP order sync").to_owned())
                        />
                        <fieldset class="field" aria-describedby="key-scopes-error">
                            <legend class="field__label">{move || lang.get().pick("权限范围", "Scopes")}</legend>
                            {Scope::ALL.into_iter().map(|s| view! {
                                <label class="check check--plain">
                                    <input
                                        type="checkbox"
                                        data-testid=format!("key-scope-{}", s.as_str())
                                        prop:checked=move || scopes.with(|v| v.contains(&s))
                                        on:change=move |_| scopes.update(|v| if let Some(i) = v.iter().position(|x| *x == s) { v.remove(i); } else { v.push(s); })
                                    />
                                    {move || scope_label(lang.get(), s)}
                                    <span class="mono muted">{s.as_str()}</span>
                                </label>
                            }).collect_view()}
                            <p class="field__error" id="key-scopes-error" data-testid="key-scopes-error">{scope_error}</p>
                        </fieldset>
                        <p class="field__error" role="alert" data-testid="key-error">{move || failure().map(|e| error_text(&e, lang.get()))}</p>
                        <div class="form__actions">
                            <Button label=("取消", "Cancel") on_click=on_close />
                            <Button
                                label=("创建", "Create")
                                busy=("创建中…", "Creating…")
                                pending
                                class="btn--primary"
                                submit=true
                                testid="key-create"
                            />
                        </div>
                    </form>
                }.into_any(),
            }}
        </Modal>
    }
}

/// A key or a signing secret, just made.
#[derive(Clone)]
enum Secret {
    Key(ApiKeyCreated),
    Webhook(EndpointCreated),
}

/// Shows a new key or secret once, with a copy button and the warning that it will not be shown
/// again.
#[component]
fn ShownOnce(created: Secret, #[prop(into)] on_close: Callback<()>) -> impl IntoView {
    let lang = use_lang();
    let (text, testid) = match &created {
        Secret::Key(c) => (c.key.expose().to_owned(), "key-secret"),
        Secret::Webhook(c) => (c.secret.expose().to_owned(), "webhook-secret"),
    };
    let is_key = matches!(created, Secret::Key(_));
    let copy = text.clone();
    view! {
        <div class="shown-once" data-testid="shown-once">
            <p class="notice notice--warn" role="alert">
                {move || if is_key {
                    lang.get().pick("请立即复制并妥善保存密钥。关闭此窗口后将无法再次查看；遗失后只能撤销并新建。", "Copy the key now and keep it safe. It will not be shown again once this window closes; if lost, revoke it and create another.")
                } else {
                    lang.get().pick("请立即复制签名密钥，用于校验网络钩子请求的签名。关闭此窗口后将无法再次查看。", "Copy the signing secret now: it verifies the webhook requests' signatures. It will not be shown again once this window closes.")
                }}
            </p>
            <div class="secret__row">
                <input class="input mono" readonly data-testid=testid prop:value=text aria-label=move || lang.get().pick("密钥", "Secret") on:focus=move |ev| {
                    let input: web_sys::HtmlInputElement = event_target(&ev);
                    input.select();
                } />
                <CopyButton text=copy testid="copy-secret" />
            </div>
            <div class="form__actions">
                <Button label=("我已保存，关闭", "I have saved it; close") class="btn--primary" testid="secret-done" on_click=on_close />
            </div>
        </div>
    }
}

// --- webhooks --------------------------------------------------------------------------------

/// What the endpoint dialog does: add one, or edit one.
#[derive(Clone, Debug, PartialEq)]
enum Editing {
    Add,
    Edit(EndpointView),
}

#[component]
fn Webhooks() -> impl IntoView {
    let lang = use_lang();
    let changed = RwSignal::new(0u32);
    let list = LocalResource::new(move || {
        changed.track();
        api::webhooks()
    });
    let editing = RwSignal::new(None::<Editing>);
    view! {
        <section class="card" aria-labelledby="webhooks-title" data-testid="webhooks">
            <div class="card__header">
                <h2 id="webhooks-title" class="card__title">{move || lang.get().pick("网络钩子", "Webhooks")}</h2>
                <Button
                    label=("添加网络钩子", "Add a webhook")
                    class="btn--primary"
                    testid="webhook-add"
                    on_click=move || editing.set(Some(Editing::Add))
                />
            </div>
            <p class="muted">
                {move || lang.get().pick(
                    "打款状态变化时，向您的系统发送签名的 HTTPS 请求（Standard Webhooks）。失败会按 5 秒至 10 小时逐步重试，全部失败后可手动重新发送。",
                    "When a payout changes, your system gets a signed HTTPS request (Standard Webhooks). Failures are retried from 5 s up to 10 h apart; after the last, a delivery can be resent by hand.",
                )}
            </p>
            <Transition fallback=|| view! { <Loading /> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(l) if l.items.is_empty() => view! { <Empty zh="还没有网络钩子" en="No webhooks yet" /> }.into_any(),
                        Ok(l) => view! {
                            <ul class="endpoints">
                                {l.items.into_iter().map(|e| view! { <Endpoint e editing changed /> }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => view! { <ErrorView error=e on_retry=move || list.refetch() /> }.into_any(),
                    }
                })}
            </Transition>
            {move || editing.get().map(|mode| view! {
                <EndpointForm mode on_close=move || editing.set(None) on_saved=move || changed.update(|n| *n += 1) />
            })}
        </section>
    }
}

fn input_of(e: &EndpointView, active: bool) -> EndpointInput {
    EndpointInput {
        url: e.url.clone(),
        events: e.events.iter().map(|e| e.as_str().to_owned()).collect(),
        active: Some(active),
    }
}

#[component]
fn Endpoint(e: EndpointView, editing: RwSignal<Option<Editing>>, changed: RwSignal<u32>) -> impl IntoView {
    let lang = use_lang();
    let id = e.id;
    let toggle = {
        let e = e.clone();
        Action::new_local(move |_: &()| {
            let input = input_of(&e, !e.active);
            async move {
                let r = api::update_webhook(id, &input).await;
                if r.is_ok() {
                    changed.try_update(|n| *n += 1);
                }
                r
            }
        })
    };
    let test = Action::new_local(move |_: &()| async move { api::test_webhook(id).await });
    let log_open = RwSignal::new(false);
    Effect::watch(
        move || test.version().get(),
        move |_, _, _| {
            if matches!(test.value().get_untracked(), Some(Ok(_))) {
                log_open.set(true);
            }
        },
        false,
    );
    let events = e.events.clone();
    let edit = e.clone();
    let url = e.url.clone();
    let switch_pending = toggle.pending();
    let test_pending = test.pending();
    let error = move || {
        toggle
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| test.value().get().and_then(Result::err))
            .map(|e| error_text(&e, lang.get()))
    };
    view! {
        <li class="endpoint" data-testid="webhook" data-id=id data-active=e.active.to_string()>
            <div class="endpoint__head">
                <span class="mono break endpoint__url" data-testid="webhook-url">{url.clone()}</span>
                <Switch
                    testid="webhook-active"
                    checked=e.active
                    label=Signal::derive(move || format!("{} {url}", lang.get().pick("启用", "Active")))
                    disabled=switch_pending
                    on_toggle=move || {
                        if !switch_pending.get_untracked() {
                            toggle.dispatch(());
                        }
                    }
                />
            </div>
            <p class="endpoint__events">
                {move || {
                    let l = lang.get();
                    events.iter().map(|e| event_label(l, *e)).collect::<Vec<_>>().join(l.pick("、", ", "))
                }}
            </p>
            <p class="muted endpoint__counts" data-testid="webhook-counts">
                {move || match lang.get() {
                    Lang::Zh => format!("待投递 {} · 投递失败 {} · 创建于 {}", e.pending, e.failed, format::time(e.created_at)),
                    Lang::En => format!("{} pending · {} failed · added {}", e.pending, e.failed, format::time(e.created_at)),
                }}
            </p>
            <div class="endpoint__actions">
                <Button
                    label=("编辑", "Edit")
                    class="btn--small"
                    testid="webhook-edit"
                    on_click=move || editing.set(Some(Editing::Edit(edit.clone())))
                />
                <Button
                    label=("发送测试事件", "Send a test event")
                    busy=("发送中…", "Sending…")
                    pending=test_pending
                    class="btn--small"
                    testid="webhook-test"
                    on_click=move || {
                        test.dispatch(());
                    }
                />
                <button
                    type="button"
                    class="btn btn--small btn--ghost"
                    data-testid="webhook-log-toggle"
                    aria-expanded=move || log_open.get().to_string()
                    on:click=move |_| log_open.update(|o| *o = !*o)
                >
                    {move || if log_open.get() { lang.get().pick("收起投递记录", "Hide deliveries") } else { lang.get().pick("投递记录", "Deliveries") }}
                </button>
                <span role="status" data-testid="webhook-result">
                    {move || matches!(test.value().get(), Some(Ok(_))).then(|| lang.get().pick("已发送测试事件", "Test event queued"))}
                </span>
            </div>
            <p class="field__error" role="alert" data-testid="webhook-error">{error}</p>
            {move || log_open.get().then(|| view! { <Deliveries id since=test.version() /> })}
        </li>
    }
}

fn delivery_badge(lang: Lang, s: DeliveryStatus) -> (&'static str, &'static str) {
    match s {
        DeliveryStatus::Pending => ("badge--pending", lang.pick("投递中", "Pending")),
        DeliveryStatus::Delivered => ("badge--succeeded", lang.pick("已送达", "Delivered")),
        DeliveryStatus::Failed => ("badge--failed", lang.pick("失败", "Failed")),
    }
}

/// An endpoint's delivery log, newest first; it looks again every few seconds while a delivery
/// is still under way.
#[component]
fn Deliveries(id: i64, #[prop(into)] since: Signal<usize>) -> impl IntoView {
    let lang = use_lang();
    let resend = Action::new_local(|id: &i64| {
        let id = *id;
        async move { api::resend_delivery(id).await }
    });
    let again = RwSignal::new(0u32);
    let list = LocalResource::new(move || {
        since.track();
        resend.version().track();
        again.track();
        api::webhook_deliveries(id)
    });
    Effect::new(move |_| {
        let waiting = list.get().is_some_and(|r| {
            r.as_ref().is_ok_and(|l| l.items.iter().any(|d| d.status == DeliveryStatus::Pending))
        });
        if waiting {
            set_timeout(
                move || {
                    again.try_update(|n| *n += 1);
                },
                std::time::Duration::from_secs(2),
            );
        }
    });
    let busy = resend.pending();
    view! {
        <div class="deliveries" data-testid="deliveries">
            <p class="field__error" role="alert">
                {move || resend.value().get().and_then(Result::err).map(|e| error_text(&e, lang.get()))}
            </p>
            <Transition fallback=|| view! { <Loading /> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(l) if l.items.is_empty() => view! { <Empty zh="还没有投递记录" en="No deliveries yet" /> }.into_any(),
                        Ok(l) => view! { <DeliveryTable items=l.items resend busy /> }.into_any(),
                        Err(e) => view! { <ErrorView error=e on_retry=move || list.refetch() /> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

#[component]
fn DeliveryTable(
    items: Vec<DeliveryView>,
    resend: Action<i64, Result<DeliveryView, ApiError>>,
    busy: Memo<bool>,
) -> impl IntoView {
    let lang = use_lang();
    let label = move |zh: &'static str, en: &'static str| move || lang.get().pick(zh, en);
    let rows = items
        .into_iter()
        .map(|d| {
            let did = d.id;
            let answer = match (d.last_status, d.last_error.clone()) {
                (Some(s), _) => Some(format!("HTTP {s}")),
                (None, Some(e)) => Some(e),
                (None, None) => None,
            };
            let body = d.last_response.clone().filter(|b| !b.trim().is_empty());
            view! {
                <tr data-testid="delivery-row" data-id=did data-status=format!("{:?}", d.status).to_lowercase()>
                    <th scope="row">
                        {move || event_label(lang.get(), d.event_type)}
                        <span class="cell-sub mono break">{d.event_id.clone()}</span>
                    </th>
                    <td data-label=label("状态", "Status")>
                        {move || {
                            let (class, text) = delivery_badge(lang.get(), d.status);
                            view! { <span class=format!("badge {class}") data-testid="delivery-status">{text}</span> }
                        }}
                    </td>
                    <td class="num" data-label=label("尝试次数", "Attempts") data-testid="delivery-attempts">{d.attempts}</td>
                    <td data-label=label("最后响应", "Last answer") data-testid="delivery-answer">
                        <span class="cell-stack">
                            {answer.unwrap_or_else(|| "—".into())}
                            {body.map(|b| view! { <span class="cell-sub mono break">{b}</span> })}
                        </span>
                    </td>
                    <td class="cell-time" data-label=label("下次尝试", "Next try")>
                        {d.next_attempt_at.map(format::time).unwrap_or_else(|| "—".into())}
                    </td>
                    <td class="cell-time" data-label=label("创建", "Created")>{format::time(d.created_at)}</td>
                    <td class="cell-actions" data-label=label("操作", "Actions")>
                        {(d.status != DeliveryStatus::Pending).then(|| view! {
                            <Button
                                label=("重新发送", "Resend")
                                pending=busy
                                class="btn--small"
                                testid="delivery-resend"
                                on_click=move || {
                                    resend.dispatch(did);
                                }
                            />
                        })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="table table--compact table--cards" data-testid="delivery-table">
                <caption class="table__caption">{label("投递记录", "Deliveries")}</caption>
                <thead>
                    <tr>
                        <th scope="col">{label("事件", "Event")}</th>
                        <th scope="col">{label("状态", "Status")}</th>
                        <th scope="col" class="num">{label("尝试次数", "Attempts")}</th>
                        <th scope="col">{label("最后响应", "Last answer")}</th>
                        <th scope="col">{label("下次尝试", "Next try")}</th>
                        <th scope="col">{label("创建", "Created")}</th>
                        <th scope="col">{label("操作", "Actions")}</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

/// What saving an endpoint came to: a new one's secret is shown once.
#[derive(Clone)]
enum Saved {
    Created(EndpointCreated),
    Updated,
}

/// Add or edit an endpoint: its URL and events. The server's word on the URL (a scheme it does
/// not take, an address it will not send to) is shown under the URL.
#[component]
fn EndpointForm(
    mode: Editing,
    #[prop(into)] on_close: Callback<()>,
    #[prop(into)] on_saved: Callback<()>,
) -> impl IntoView {
    let lang = use_lang();
    let (start_url, start_events, active, id) = match &mode {
        Editing::Add => (String::new(), vec![EventType::Succeeded, EventType::Failed], true, None),
        Editing::Edit(e) => (e.url.clone(), e.events.clone(), e.active, Some(e.id)),
    };
    let url = RwSignal::new(start_url);
    let events = RwSignal::new(start_events);
    let tried = RwSignal::new(false);
    let input = move || EndpointInput {
        url: url.get().trim().to_owned(),
        events: events.get().into_iter().map(|e| e.as_str().to_owned()).collect(),
        active: id.map(|_| active),
    };
    // Checked here as the server does, except for http:// and private addresses: whether those
    // are allowed is the server's setting.
    let problem = Signal::derive(move || validate_endpoint(&input(), true).err());
    let save = Action::new_local(move |input: &EndpointInput| {
        let input = input.clone();
        async move {
            let r = match id {
                None => api::create_webhook(&input).await.map(Saved::Created),
                Some(id) => api::update_webhook(id, &input).await.map(|_| Saved::Updated),
            };
            if r.is_ok() {
                on_saved.run(());
            }
            r
        }
    });
    let pending = save.pending();
    // The server's word on a URL goes once the URL is changed.
    Effect::watch(move || url.track(), move |_, _, _| save.value().set(None), false);
    Effect::watch(
        move || save.version().get(),
        move |_, _, _| {
            if matches!(save.value().get_untracked(), Some(Ok(Saved::Updated))) {
                on_close.run(());
            }
        },
        false,
    );
    let url_errors = Signal::derive(move || {
        let l = lang.get();
        if let Some(Err(e)) = save.value().get() {
            return vec![error_text(&e, l)];
        }
        match problem.get() {
            Some((zh, en)) if tried.get() && !events.with(Vec::is_empty) => vec![l.pick(&zh, &en).to_owned()],
            _ => vec![],
        }
    });
    let events_error = move || {
        (tried.get() && events.with(Vec::is_empty))
            .then(|| lang.get().pick("请至少选择一个事件", "Choose at least one event"))
    };
    let title = match id {
        None => ("添加网络钩子", "Add a webhook"),
        Some(_) => ("编辑网络钩子", "Edit the webhook"),
    };
    view! {
        <Modal title=Signal::derive(move || lang.get().pick(title.0, title.1).to_owned()) on_close testid="webhook-dialog">
            {move || match save.value().get() {
                Some(Ok(Saved::Created(c))) => view! { <ShownOnce created=Secret::Webhook(c) on_close /> }.into_any(),
                _ => view! {
                    <form novalidate on:submit=move |ev| {
                        ev.prevent_default();
                        tried.set(true);
                        if problem.get_untracked().is_none() && !pending.get_untracked() {
                            save.dispatch(input());
                        }
                    }>
                        <TextField
                            id="webhook-url-input"
                            label=Signal::derive(move || lang.get().pick("接收地址（URL）", "Endpoint URL").to_owned())
                            value=url
                            kind="url"
                            inputmode="url"
                            maxlength=payout_core::webhooks::MAX_URL_CHARS as u32
                            errors=url_errors
                            placeholder=Signal::derive(|| "https://example.com/webhooks/payout".to_owned())
                        />
                        <fieldset class="field">
                            <legend class="field__label">{move || lang.get().pick("事件", "Events")}</legend>
                            <div class="checks">
                                {EventType::SUBSCRIBABLE.into_iter().map(|ev| view! {
                                    <label class="check check--plain">
                                        <input
                                            type="checkbox"
                                            data-testid=format!("webhook-event-{}", ev.as_str())
                                            prop:checked=move || events.with(|v| v.contains(&ev))
                                            on:change=move |_| events.update(|v| if let Some(i) = v.iter().position(|x| *x == ev) { v.remove(i); } else { v.push(ev); })
                                        />
                                        <span>{move || lang.get().pick(ev.label_zh(), ev.as_str())}</span>
                                        {move || (lang.get() == Lang::Zh).then(|| view! { <span class="mono muted">{ev.as_str()}</span> })}
                                    </label>
                                }).collect_view()}
                            </div>
                            <p class="field__error" data-testid="webhook-events-error">{events_error}</p>
                        </fieldset>
                        <div class="form__actions">
                            <Button label=("取消", "Cancel") on_click=on_close />
                            <Button
                                label=("保存", "Save")
                                busy=("保存中…", "Saving…")
                                pending
                                class="btn--primary"
                                submit=true
                                testid="webhook-save"
                            />
                        </div>
                    </form>
                }.into_any(),
            }}
        </Modal>
    }
}
