//! The amount input: parses as the person types with `payout-core`'s parser (SPEC §5, R-F1) and
//! shows the problem beside the field.

use leptos::prelude::*;
use payout_core::{Money, MoneyError, Policy};

use crate::i18n::use_lang;

/// Parses a payout amount exactly as the server will (R-F1).
pub fn parse_amount(policy: &Policy, text: &str) -> Result<Money, MoneyError> {
    policy.parse_payout_amount(text)
}

/// A labelled amount input with its R-F1 message.
///
/// `value` is the text as typed (kept even when invalid, so nothing the person typed is lost);
/// `error` is shown under the field, from the parser or from the rule engine.
#[component]
pub fn AmountField(
    /// The text in the field.
    value: RwSignal<String>,
    /// The message to show beside the field, if any (already in the current language).
    #[prop(into)]
    error: Signal<Option<String>>,
    /// The input's id, for the label and for tests.
    #[prop(optional, into)]
    id: Option<String>,
) -> impl IntoView {
    let lang = use_lang();
    let id = id.unwrap_or_else(|| "amount".to_owned());
    let error_id = format!("{id}-error");
    let has_error = move || error.get().is_some();
    view! {
        <div class="field" class:field--invalid=has_error>
            <label class="field__label" for=id.clone()>
                {move || lang.get().pick("打款金额", "Amount")}
            </label>
            <div class="field__control money-input">
                <span class="money-input__prefix" aria-hidden="true">"¥"</span>
                <input
                    id=id.clone()
                    data-testid="amount-input"
                    type="text"
                    inputmode="decimal"
                    autocomplete="off"
                    placeholder="0.00"
                    aria-invalid=move || if has_error() { "true" } else { "false" }
                    aria-describedby=error_id.clone()
                    prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev))
                />
            </div>
            <p id=error_id class="field__error" data-testid="amount-error" role="alert" aria-live="polite">
                {move || error.get().unwrap_or_default()}
            </p>
        </div>
    }
}
