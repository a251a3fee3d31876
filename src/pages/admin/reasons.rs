//! Payout reasons (打款原因, SPEC §11.1, main account) at `/reasons`: the shop's list in its order,
//! inactive ones too. Add and edit in a dialog checked as typed with
//! `payout_core::reasons::validate_reason`; move up or down (the server shifts the others); switch
//! a reason on or off. The dialog of the workbench offers the active ones.

use leptos::prelude::*;
use payout_core::reasons::{
    validate_reason, Reason, ReasonInput, MAX_NAME_CHARS, MAX_TEXT_CHARS, PLACEHOLDERS,
};

use crate::api::{self, ApiError};
use crate::components::button::Button;
use crate::components::dialog::Modal;
use crate::components::feedback::{error_text, Empty, ErrorView, Gate, Loading};
use crate::components::field::{SelectField, TextAreaField, TextField};
use crate::components::switch::Switch;
use crate::format;
use crate::i18n::{use_lang, Lang};

/// The name inputs take as many characters as a name may have (`validate_reason`), no more.
const NAME_MAXLENGTH: u32 = MAX_NAME_CHARS as u32;

#[component]
pub fn Reasons() -> impl IntoView {
    view! {
        <Gate allow=|p| p.manage_settings>
            <ReasonsScreen />
        </Gate>
    }
}

/// A write: a new reason (`id: None`) or a change to one.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Write {
    id: Option<i64>,
    input: ReasonInput,
}

/// The reason as a PUT body, everything kept as it is.
fn input_of(r: &Reason) -> ReasonInput {
    ReasonInput {
        name_zh: r.name_zh.clone(),
        name_en: r.name_en.clone(),
        payout_type: r.payout_type.as_str().to_owned(),
        buyer_message_template: r.buyer_message_template.clone(),
        active: Some(r.active),
        position: Some(r.position),
    }
}

#[component]
fn ReasonsScreen() -> impl IntoView {
    let lang = use_lang();
    let save = Action::new_local(|w: &Write| {
        let w = w.clone();
        async move {
            match w.id {
                None => api::create_reason(&w.input).await,
                Some(id) => api::update_reason(id, &w.input).await,
            }
        }
    });
    let list = LocalResource::new(move || {
        save.version().track();
        api::reasons()
    });
    // The open form: `Some(None)` adds, `Some(Some(reason))` edits. It closes once saved.
    let editing = RwSignal::new(None::<Option<Reason>>);
    Effect::watch(
        move || save.version().get(),
        move |_, _, _| {
            if matches!(save.value().get_untracked(), Some(Ok(_))) {
                editing.set(None);
            }
        },
        false,
    );
    let pending = save.pending();
    let failure = move || save.value().get().and_then(Result::err);
    view! {
        <section class="page" aria-labelledby="reasons-title">
            <div class="page__head">
                <h1 id="reasons-title">{move || lang.get().pick("打款原因", "Payout reasons")}</h1>
                <Button
                    label=("新增原因", "Add a reason")
                    class="btn--primary"
                    testid="reason-add"
                    on_click=move || {
                        save.value().set(None);
                        editing.set(Some(None));
                    }
                />
            </div>
            <p class="muted">
                {move || {
                    lang.get()
                        .pick(
                            "客服发起打款时选择原因，原因决定打款类型，并按模板生成买家留言。停用的原因不再出现在打款窗口中。",
                            "Agents choose a reason when they pay: it sets the payout type and fills the buyer message from its template. Switched-off reasons are no longer offered.",
                        )
                }}
            </p>
            <div aria-live="assertive" data-testid="reasons-error">
                {move || {
                    failure()
                        .filter(|_| editing.with(Option::is_none))
                        .map(|e| view! { <p class="notice notice--error">{error_text(&e, lang.get())}</p> })
                }}
            </div>
            <Transition fallback=|| view! { <Loading /> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(l) if l.items.is_empty() => {
                            view! { <Empty zh="还没有打款原因，点击「新增原因」添加" en="No reasons yet; add one" /> }.into_any()
                        }
                        Ok(l) => view! { <ReasonTable items=l.items save editing /> }.into_any(),
                        Err(e) => view! { <ErrorView error=e on_retry=move || list.refetch() /> }.into_any(),
                    }
                })}
            </Transition>
            {move || {
                editing
                    .get()
                    .map(|r| {
                        view! {
                            <ReasonForm
                                reason=r
                                pending=Signal::derive(move || pending.get())
                                failure=Signal::derive(failure)
                                on_close=move || editing.set(None)
                                on_save=move |w: Write| {
                                    save.dispatch(w);
                                }
                            />
                        }
                    })
            }}
        </section>
    }
}

#[component]
fn ReasonTable(
    items: Vec<Reason>,
    save: Action<Write, Result<Reason, ApiError>>,
    editing: RwSignal<Option<Option<Reason>>>,
) -> impl IntoView {
    let lang = use_lang();
    let label = move |zh: &'static str, en: &'static str| move || lang.get().pick(zh, en);
    let busy = save.pending();
    let last = items.len() as u32;
    let rows = items
        .into_iter()
        .map(|r| {
            let position = r.position;
            let moved = {
                let r = r.clone();
                move |to: u32| {
                let r = r.clone();
                move |_| {
                    if !busy.get_untracked() {
                        save.dispatch(Write { id: Some(r.id), input: ReasonInput { position: Some(to), ..input_of(&r) } });
                    }
                }
                }
            };
            let toggle = {
                let r = r.clone();
                move || {
                    if !busy.get_untracked() {
                        save.dispatch(Write { id: Some(r.id), input: ReasonInput { active: Some(!r.active), ..input_of(&r) } });
                    }
                }
            };
            let edit = {
                let r = r.clone();
                move |_| {
                    save.value().set(None);
                    editing.set(Some(Some(r.clone())));
                }
            };
            let (name_zh, name_en) = (r.name_zh.clone(), r.name_en.clone());
            let name = name_zh.clone();
            let template = r.buyer_message_template.clone();
            let no_template = template.is_none();
            view! {
                <tr data-testid="reason-row" data-id=r.id data-active=r.active.to_string()>
                    <td class="num" data-label=label("顺序", "Order")>{position}</td>
                    <th scope="row" class="cell-name">
                        <span data-testid="reason-row-name">{name_zh}</span>
                        {name_en.map(|n| view! { <span class="muted">{n}</span> })}
                    </th>
                    <td class="nowrap" data-label=label("打款类型", "Payout type")>{move || format::payout_type(lang.get(), r.payout_type)}</td>
                    <td class="cell-template" class:cell--empty=no_template data-label=label("买家留言模板", "Buyer message template")>{template}</td>
                    <td data-label=label("启用", "Active")>
                        <Switch
                            testid="reason-active"
                            checked=r.active
                            label=Signal::derive(move || format!("{name} {}", lang.get().pick("启用", "active")))
                            disabled=busy
                            on_toggle=toggle
                        />
                    </td>
                    <td class="cell-actions" data-label=label("操作", "Actions")>
                        <button type="button" class="btn btn--small" data-testid="reason-up" disabled=move || { busy.get() || position <= 1 } on:click=moved(position.saturating_sub(1))>
                            <span aria-hidden="true">"↑ "</span>{move || lang.get().pick("上移", "Up")}
                        </button>
                        <button type="button" class="btn btn--small" data-testid="reason-down" disabled=move || { busy.get() || position >= last } on:click=moved(position + 1)>
                            <span aria-hidden="true">"↓ "</span>{move || lang.get().pick("下移", "Down")}
                        </button>
                        <button type="button" class="btn btn--small" data-testid="reason-edit" on:click=edit>
                            {move || lang.get().pick("编辑", "Edit")}
                        </button>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap" tabindex="0" role="region" aria-labelledby="reasons-title">
            <table class="table table--cards" data-testid="reason-table">
                <thead>
                    <tr>
                        <th scope="col" class="num">{label("顺序", "Order")}</th>
                        <th scope="col">{label("名称", "Name")}</th>
                        <th scope="col">{label("打款类型", "Payout type")}</th>
                        <th scope="col">{label("买家留言模板", "Buyer message template")}</th>
                        <th scope="col">{label("启用", "Active")}</th>
                        <th scope="col">{label("操作", "Actions")}</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

/// Adds a reason (`reason: None`) or edits one; every field is checked as typed.
#[component]
fn ReasonForm(
    reason: Option<Reason>,
    pending: Signal<bool>,
    failure: Signal<Option<ApiError>>,
    #[prop(into)] on_close: Callback<()>,
    #[prop(into)] on_save: Callback<Write>,
) -> impl IntoView {
    let lang = use_lang();
    let id = reason.as_ref().map(|r| r.id);
    let start = reason.as_ref().map(input_of).unwrap_or_default();
    let name_zh = RwSignal::new(start.name_zh.clone());
    let name_en = RwSignal::new(start.name_en.clone().unwrap_or_default());
    let payout_type = RwSignal::new(start.payout_type.clone());
    let template = RwSignal::new(start.buyer_message_template.clone().unwrap_or_default());
    // A field's message shows once it was changed, or after a save was attempted.
    let attempted = RwSignal::new(false);
    let input = Memo::new(move |_| ReasonInput {
        name_zh: name_zh.get(),
        name_en: Some(name_en.get()),
        payout_type: payout_type.get(),
        buyer_message_template: Some(template.get()),
        ..start.clone()
    });
    let problems = Memo::new(move |_| input.with(|i| validate_reason(i).err().unwrap_or_default()));
    let errors = move |field: &'static str, dirty: Signal<bool>| {
        Signal::derive(move || {
            if !(dirty.get() || attempted.get()) {
                return vec![];
            }
            let l = lang.get();
            problems.with(|p| {
                p.iter()
                    .filter(|e| e.field == field)
                    .map(|e| l.pick(&e.message_zh, &e.message_en).to_owned())
                    .collect()
            })
        })
    };
    let changed = |value: RwSignal<String>| {
        let first = value.get_untracked();
        Signal::derive(move || value.with(|v| *v != first))
    };
    let type_options = Signal::derive(move || format::payout_type_options(lang.get()));
    let title = Signal::derive(move || {
        let l = lang.get();
        if id.is_some() {
            l.pick("编辑打款原因", "Edit the reason")
        } else {
            l.pick("新增打款原因", "Add a reason")
        }
        .to_owned()
    });
    let placeholders = PLACEHOLDERS.join(" ");
    let hint = Signal::derive(move || {
        Some(match lang.get() {
            Lang::Zh => format!("可用占位符：{placeholders}（订单号、打款金额、店铺名称）"),
            Lang::En => format!("Placeholders: {placeholders} (order number, amount, shop name)"),
        })
    });
    let label =
        move |zh: &'static str, en: &'static str| Signal::derive(move || lang.get().pick(zh, en).to_owned());
    view! {
        <Modal title on_close testid="reason-dialog">
            <form
                class="form"
                novalidate
                on:submit=move |ev| {
                    ev.prevent_default();
                    attempted.set(true);
                    if problems.with_untracked(Vec::is_empty) && !pending.get_untracked() {
                        on_save.run(Write { id, input: input.get_untracked() });
                    }
                }
            >
                <div class="form-row">
                    <TextField id="reason-name-zh" label=label("名称（中文）", "Name (Chinese)") value=name_zh errors=errors("name_zh", changed(name_zh)) maxlength=NAME_MAXLENGTH />
                    <TextField id="reason-name-en" label=label("名称（英文，选填）", "Name (English, optional)") value=name_en errors=errors("name_en", changed(name_en)) maxlength=NAME_MAXLENGTH />
                </div>
                <SelectField
                    id="reason-type"
                    label=label("打款类型", "Payout type")
                    value=payout_type
                    options=type_options
                    errors=errors("payout_type", changed(payout_type))
                />
                <TextAreaField
                    id="reason-template"
                    label=label("买家留言模板（选填）", "Buyer message template (optional)")
                    aside=label("买家会看到由它生成的留言", "The buyer sees the message it makes")
                    value=template
                    on_input=move |t| template.set(t)
                    errors=errors("buyer_message_template", changed(template))
                    hint
                    max_chars=MAX_TEXT_CHARS
                />
                <div class="form__failure" aria-live="assertive" data-testid="reason-save-error">
                    {move || failure.get().map(|e| view! { <p class="notice notice--error">{error_text(&e, lang.get())}</p> })}
                </div>
                <div class="form__actions">
                    <Button label=("取消", "Cancel") on_click=on_close />
                    <Button
                        label=("保存", "Save")
                        pending
                        disabled=Signal::derive(move || attempted.get() && problems.with(|p| !p.is_empty()))
                        class="btn--primary"
                        submit=true
                        testid="reason-save"
                    />
                </div>
            </form>
        </Modal>
    }
}
