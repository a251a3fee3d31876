//! An on/off switch (`role="switch"`): quota and permission switches, a reason's active switch and
//! the "require a reason" setting.

use leptos::prelude::*;

use crate::i18n::use_lang;

/// An on/off switch; read-only (greyed) when `disabled`.
#[component]
pub fn Switch(
    /// Whether it is on.
    #[prop(into)]
    checked: Signal<bool>,
    /// Its accessible name.
    #[prop(into)]
    label: Signal<String>,
    /// Greyed out (no permission, or a write is under way).
    #[prop(optional, into)]
    disabled: Signal<bool>,
    /// Asked to flip.
    #[prop(into)]
    on_toggle: Callback<()>,
    testid: &'static str,
) -> impl IntoView {
    let lang = use_lang();
    view! {
        <button
            type="button"
            role="switch"
            class="switch"
            data-testid=testid
            aria-checked=move || checked.get().to_string()
            aria-label=label
            disabled=move || disabled.get()
            on:click=move |_| on_toggle.run(())
        >
            <span class="switch__track" aria-hidden="true"><span class="switch__thumb"></span></span>
            <span class="switch__text">
                {move || if checked.get() { lang.get().pick("已开启", "On") } else { lang.get().pick("已关闭", "Off") }}
            </span>
        </button>
    }
}
