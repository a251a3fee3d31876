//! The interface language: Simplified Chinese by default, English on request, remembered in
//! `localStorage`. Texts are written in pairs at the place they are shown (`lang.pick(zh, en)`);
//! rule messages already come in both languages from `payout-core`.

use leptos::prelude::*;

const STORAGE_KEY: &str = "payout.lang";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The text for this language.
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    /// The key `payout-core` messages use (`Violation::message`).
    pub fn core_key(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }
}

fn storage() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}

/// Reads the remembered language and makes it available to every component.
pub fn provide_lang() -> RwSignal<Lang> {
    let remembered = storage().and_then(|s| s.get_item(STORAGE_KEY).ok().flatten());
    let lang = RwSignal::new(if remembered.as_deref() == Some("en") { Lang::En } else { Lang::Zh });
    Effect::new(move |_| {
        let lang = lang.get();
        if let Some(s) = storage() {
            let _ = s.set_item(STORAGE_KEY, lang.code());
        }
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("lang", lang.code());
        }
    });
    provide_context(lang);
    lang
}

/// The current language signal (Chinese when no provider is mounted, e.g. in component tests).
pub fn use_lang() -> RwSignal<Lang> {
    use_context::<RwSignal<Lang>>().unwrap_or_else(|| RwSignal::new(Lang::Zh))
}
