//! The console's ordinary button: its label in both languages, disabled while its work is under way
//! (saying so), one shape for every screen instead of each rebuilding the pending logic by hand.
//! One component also means one compiled view type for all of them, not one per call site.

use leptos::prelude::*;

use crate::i18n::use_lang;

/// A text in Chinese and English.
pub type Text = (&'static str, &'static str);

#[component]
pub fn Button(
    /// What it does.
    label: Text,
    /// What it says while `pending` (the label if not given).
    #[prop(optional)]
    busy: Option<Text>,
    /// Its work is under way: disabled, `aria-busy`, saying `busy`.
    #[prop(optional, into)]
    pending: Signal<bool>,
    /// Disabled for another reason.
    #[prop(optional, into)]
    disabled: Signal<bool>,
    /// Modifiers after `btn`, e.g. `"btn--primary"`.
    #[prop(optional)]
    class: &'static str,
    /// A form's submit button (otherwise `type="button"`).
    #[prop(optional)]
    submit: bool,
    #[prop(optional)] testid: &'static str,
    #[prop(optional, into)] on_click: Option<Callback<()>>,
) -> impl IntoView {
    let lang = use_lang();
    let text = move || {
        let (zh, en) = if pending.get() { busy.unwrap_or(label) } else { label };
        lang.get().pick(zh, en)
    };
    view! {
        <button
            type=if submit { "submit" } else { "button" }
            class=if class.is_empty() { "btn".to_owned() } else { format!("btn {class}") }
            data-testid=(!testid.is_empty()).then_some(testid)
            disabled=move || pending.get() || disabled.get()
            aria-busy=move || pending.get().then_some("true")
            on:click=move |_| {
                if let Some(on_click) = on_click {
                    on_click.run(());
                }
            }
        >
            {text}
        </button>
    }
}
