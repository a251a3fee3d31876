//! A payout status as a coloured badge (`badge--succeeded` …) with its label. A payout that has
//! been `processing` too long (SPEC §11.4) shows as stuck: 打款状态确认中.

use leptos::prelude::*;
use payout_core::api::PayoutStatus;

use crate::format;
use crate::i18n::use_lang;

#[component]
pub fn StatusBadge(
    /// The status to show.
    #[prop(into)]
    status: Signal<PayoutStatus>,
    /// Processing for too long: the badge says the payment is still being confirmed.
    #[prop(optional, into)]
    stuck: Signal<bool>,
) -> impl IntoView {
    let lang = use_lang();
    view! {
        <span
            class=move || if stuck.get() { "badge badge--stuck".to_owned() } else { format!("badge badge--{}", status.get().as_str()) }
            data-testid="status-badge"
        >
            {move || {
                let l = lang.get();
                if stuck.get() { l.pick("打款状态确认中", "Stuck") } else { format::status(l, status.get()) }
            }}
        </span>
    }
}
