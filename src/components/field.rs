//! The labelled form controls every screen uses: a select and a text field, each with its label,
//! its messages under it (announced) and the `aria` wiring between them, so no page repeats it.
//! The control's id is also its `data-testid`; the messages are `{id}-error`.

use leptos::prelude::*;

/// The messages under a control, one per line.
#[component]
fn Messages(id: String, errors: Signal<Vec<String>>, hint: Signal<Option<String>>) -> impl IntoView {
    view! {
        <p id=id.clone() class="field__error" data-testid=id aria-live="polite">
            {move || errors.get().into_iter().map(|m| view! { <span class="field__msg">{m}</span> }).collect_view()}
            {move || {
                hint.get().filter(|_| errors.with(Vec::is_empty)).map(|h| view! { <span class="field__hint">{h}</span> })
            }}
        </p>
    }
}

/// A labelled `<select>`.
#[component]
pub fn SelectField(
    /// The control's id and `data-testid`.
    #[prop(into)]
    id: String,
    /// The label, in the current language.
    #[prop(into)]
    label: Signal<String>,
    /// The chosen value.
    value: RwSignal<String>,
    /// `(value, text)` pairs in display order.
    #[prop(into)]
    options: Signal<Vec<(String, String)>>,
    /// Messages under the field (empty when fine).
    #[prop(optional, into)]
    errors: Option<Signal<Vec<String>>>,
    /// A note shown under the field while there is no message.
    #[prop(optional, into)]
    hint: Option<Signal<Option<String>>>,
    /// Greyed out.
    #[prop(optional, into)]
    disabled: Option<Signal<bool>>,
    /// Label and control side by side in a filter bar.
    #[prop(optional)]
    inline: bool,
    /// Called after every change (and on leaving the field), e.g. to mark it touched.
    #[prop(optional, into)]
    on_touch: Option<Callback<()>>,
) -> impl IntoView {
    let errors = errors.unwrap_or_else(|| Signal::derive(Vec::new));
    let hint = hint.unwrap_or_else(|| Signal::derive(|| None));
    let disabled = disabled.unwrap_or_else(|| Signal::derive(|| false));
    let error_id = format!("{id}-error");
    let invalid = move || errors.with(|e| !e.is_empty());
    let touch = move || {
        if let Some(t) = on_touch {
            t.run(());
        }
    };
    view! {
        <div class="field" class:field--inline=inline class:field--invalid=invalid>
            <label class="field__label" for=id.clone()>{label}</label>
            <select
                id=id.clone()
                class="select"
                data-testid=id.clone()
                aria-describedby=error_id.clone()
                aria-invalid=move || invalid().to_string()
                disabled=move || disabled.get()
                prop:value=move || value.get()
                on:change=move |ev| {
                    value.set(event_target_value(&ev));
                    touch();
                }
                on:blur=move |_| touch()
            >
                {move || {
                    options
                        .get()
                        .into_iter()
                        .map(|(v, text)| {
                            let selected = {
                                let v = v.clone();
                                move || value.with(|x| *x == v)
                            };
                            view! { <option value=v selected=selected>{text}</option> }
                        })
                        .collect_view()
                }}
            </select>
            <Messages id=error_id errors hint />
        </div>
    }
}

/// A labelled `<input>`.
#[component]
pub fn TextField(
    /// The control's id and `data-testid`.
    #[prop(into)]
    id: String,
    /// The label, in the current language.
    #[prop(into)]
    label: Signal<String>,
    /// The text in the field.
    value: RwSignal<String>,
    /// Messages under the field (empty when fine).
    #[prop(optional, into)]
    errors: Option<Signal<Vec<String>>>,
    /// `type` (default `text`).
    #[prop(optional)]
    kind: Option<&'static str>,
    /// `inputmode`.
    #[prop(optional)]
    inputmode: Option<&'static str>,
    /// `autocomplete` (default `off`).
    #[prop(optional)]
    autocomplete: Option<&'static str>,
    #[prop(optional, into)] placeholder: Option<Signal<String>>,
    #[prop(optional)] maxlength: Option<u32>,
    /// Label and control side by side in a filter bar.
    #[prop(optional)]
    inline: bool,
) -> impl IntoView {
    let errors = errors.unwrap_or_else(|| Signal::derive(Vec::new));
    let placeholder = placeholder.unwrap_or_else(|| Signal::derive(String::new));
    let error_id = format!("{id}-error");
    let invalid = move || errors.with(|e| !e.is_empty());
    view! {
        <div class="field" class:field--inline=inline class:field--invalid=invalid>
            <label class="field__label" for=id.clone()>{label}</label>
            <input
                id=id.clone()
                class="input"
                data-testid=id.clone()
                type=kind.unwrap_or("text")
                inputmode=inputmode
                autocomplete=autocomplete.unwrap_or("off")
                maxlength=maxlength
                placeholder=move || placeholder.get()
                aria-describedby=error_id.clone()
                aria-invalid=move || invalid().to_string()
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
            <Messages id=error_id errors hint=Signal::derive(|| None) />
        </div>
    }
}

/// A labelled `<textarea>` with a character count: the value is given (it may be derived, e.g. a
/// buyer message filled from a template) and every keystroke is reported through `on_input`.
#[component]
pub fn TextAreaField(
    /// The control's id and `data-testid`.
    #[prop(into)]
    id: String,
    /// The label, in the current language.
    #[prop(into)]
    label: Signal<String>,
    /// Said beside the label, e.g. who will read the text.
    #[prop(optional, into)]
    aside: Option<Signal<String>>,
    /// The text shown.
    #[prop(into)]
    value: Signal<String>,
    /// The person typed.
    #[prop(into)]
    on_input: Callback<String>,
    /// Messages under the field (empty when fine).
    #[prop(optional, into)]
    errors: Option<Signal<Vec<String>>>,
    /// A note shown under the field while there is no message.
    #[prop(optional, into)]
    hint: Option<Signal<Option<String>>>,
    /// The most characters allowed: shown as a count (the rule itself reports going over).
    #[prop(optional)]
    max_chars: Option<usize>,
    #[prop(optional)] rows: Option<u32>,
) -> impl IntoView {
    let errors = errors.unwrap_or_else(|| Signal::derive(Vec::new));
    let hint = hint.unwrap_or_else(|| Signal::derive(|| None));
    let error_id = format!("{id}-error");
    let invalid = move || errors.with(|e| !e.is_empty());
    let count = move || max_chars.map(|max| format!("{}/{max}", value.with(|v| v.chars().count())));
    let over = move || max_chars.is_some_and(|max| value.with(|v| v.chars().count() > max));
    view! {
        <div class="field" class:field--invalid=invalid>
            <label class="field__label" for=id.clone()>
                {label}
                {aside.map(|a| view! { <span class="field__aside">{a}</span> })}
            </label>
            <textarea
                id=id.clone()
                class="textarea"
                data-testid=id.clone()
                rows=rows.unwrap_or(3)
                aria-describedby=error_id.clone()
                aria-invalid=move || invalid().to_string()
                prop:value=move || value.get()
                on:input=move |ev| on_input.run(event_target_value(&ev))
            ></textarea>
            <div class="field__foot">
                <Messages id=error_id errors hint />
                <span class="field__count" class:field__count--over=over aria-hidden="true">{count}</span>
            </div>
        </div>
    }
}
