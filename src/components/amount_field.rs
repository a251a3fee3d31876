//! The money input: a labelled text field with a `¥` prefix whose messages (from `payout-core`'s
//! parser or rule engine, SPEC §5 and R-F1..R-F8) are shown beside it and announced.

use leptos::prelude::*;
use payout_core::{Money, MoneyError, Policy};

use crate::i18n::use_lang;

/// Parses a payout amount exactly as the server will (R-F1).
pub fn parse_amount(policy: &Policy, text: &str) -> Result<Money, MoneyError> {
    policy.parse_payout_amount(text)
}

/// A labelled amount input with its messages.
///
/// `value` is the text as typed (kept even when invalid, so nothing the person typed is lost);
/// `errors` are shown under the field, one per line, already in the current language.
#[component]
pub fn AmountField(
    /// The text in the field.
    value: RwSignal<String>,
    /// The messages to show beside the field (empty when the amount is fine).
    #[prop(into)]
    errors: Signal<Vec<String>>,
    /// The input's id, for the label and for tests (`{id}-input`, `{id}-error` test ids).
    #[prop(optional, into)]
    id: Option<String>,
    /// The label; "打款金额 / Amount" when not given.
    #[prop(optional, into)]
    label: Option<Signal<String>>,
    /// A note shown under the field while there is no message, e.g. "最多可打 ¥20.00".
    #[prop(optional, into)]
    hint: Option<Signal<String>>,
) -> impl IntoView {
    let lang = use_lang();
    let id = id.unwrap_or_else(|| "amount".to_owned());
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described = if hint.is_some() { format!("{error_id} {hint_id}") } else { error_id.clone() };
    let label =
        label.unwrap_or_else(|| Signal::derive(move || lang.get().pick("打款金额", "Amount").to_owned()));
    let has_error = move || errors.with(|e| !e.is_empty());
    view! {
        <div class="field" class:field--invalid=has_error>
            <label class="field__label" for=id.clone()>
                {label}
            </label>
            <div class="field__control money-input">
                <span class="money-input__prefix" aria-hidden="true">
                    "¥"
                </span>
                <input
                    id=id.clone()
                    data-testid=format!("{id}-input")
                    type="text"
                    inputmode="decimal"
                    autocomplete="off"
                    placeholder="0.00"
                    aria-invalid=move || if has_error() { "true" } else { "false" }
                    aria-describedby=described
                    prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev))
                />
            </div>
            <p id=error_id.clone() class="field__error" data-testid=error_id aria-live="polite">
                {move || {
                    errors.get().into_iter().map(|m| view! { <span class="field__msg">{m}</span> }).collect_view()
                }}
            </p>
            {hint.map(|h| view! { <p id=hint_id.clone() class="field__hint" data-testid=hint_id.clone()>{h}</p> })}
        </div>
    }
}
