//! The language switch: 中文 / EN, remembered by `crate::i18n`.

use leptos::prelude::*;

use crate::i18n::{use_lang, Lang};

#[component]
pub fn LangSwitch() -> impl IntoView {
    let lang = use_lang();
    let option = move |l: Lang, text: &'static str, text_lang: &'static str| {
        view! {
            <button
                type="button"
                class="lang-switch__option"
                lang=text_lang
                aria-pressed=move || (lang.get() == l).to_string()
                data-testid=format!("lang-{}", l.code())
                on:click=move |_| lang.set(l)
            >
                {text}
            </button>
        }
    };
    view! {
        <div class="lang-switch" role="group" aria-label="语言 / Language">
            {option(Lang::Zh, "中文", "zh-CN")}
            {option(Lang::En, "EN", "en")}
        </div>
    }
}
