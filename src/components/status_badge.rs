//! A payout status as a coloured badge (`badge--succeeded` …) with its label.

use leptos::prelude::*;
use payout_core::api::PayoutStatus;

use crate::format;
use crate::i18n::use_lang;

#[component]
pub fn StatusBadge(
    /// The status to show.
    #[prop(into)]
    status: Signal<PayoutStatus>,
) -> impl IntoView {
    let lang = use_lang();
    view! {
        <span class=move || format!("badge badge--{}", status.get().as_str()) data-testid="status-badge">
            {move || format::status(lang.get(), status.get())}
        </span>
    }
}
