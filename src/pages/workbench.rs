//! Payout workbench (售后 › 小额打款). For now: the amount field wired to `payout-core`.

use leptos::prelude::*;
use payout_core::Policy;

use crate::components::amount_field::{parse_amount, AmountField};
use crate::i18n::use_lang;

#[component]
pub fn Workbench() -> impl IntoView {
    let lang = use_lang();
    let policy = Policy::default();
    let amount = RwSignal::new(String::new());
    let error = Signal::derive(move || {
        let text = amount.get();
        if text.trim().is_empty() {
            return None; // nothing typed yet is not an error to shout about
        }
        let lang = lang.get();
        parse_amount(&policy, &text).err().map(|e| match lang {
            crate::i18n::Lang::Zh => e.message_zh(),
            crate::i18n::Lang::En => e.message_en(),
        })
    });
    view! {
        <section class="page">
            <h1>{move || lang.get().pick("小额打款", "Small-amount payout")}</h1>
            <AmountField value=amount error=error />
        </section>
    }
}
