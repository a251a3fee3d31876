//! The shared loading, empty, error and "not allowed" states, so every screen looks alike.

use leptos::prelude::*;

use crate::api::ApiError;
use crate::i18n::use_lang;

/// A placeholder with the height of a small card, so content replaces it without a jump.
#[component]
pub fn Loading() -> impl IntoView {
    let lang = use_lang();
    view! {
        <div class="state state--loading" role="status" aria-live="polite">
            <span class="spinner" aria-hidden="true"></span>
            {move || lang.get().pick("加载中…", "Loading…")}
        </div>
    }
}

/// An error from the API, in the current language, with a retry button.
#[component]
pub fn ErrorView(
    /// What went wrong.
    error: ApiError,
    /// Loads again.
    #[prop(into)]
    on_retry: Callback<()>,
) -> impl IntoView {
    let lang = use_lang();
    let message = {
        let error = error.clone();
        move || error.message(lang.get()).to_owned()
    };
    view! {
        <div class="state state--error" role="alert" data-testid="error-view">
            <p class="state__title">{message}</p>
            <p class="state__code">{error.code.clone()}</p>
            <button type="button" class="btn" on:click=move |_| on_retry.run(())>
                {move || lang.get().pick("重试", "Retry")}
            </button>
        </div>
    }
}

/// Nothing to show, said plainly.
#[component]
pub fn Empty(
    /// The text in Chinese.
    zh: &'static str,
    /// The text in English.
    en: &'static str,
) -> impl IntoView {
    let lang = use_lang();
    view! { <div class="state state--empty" data-testid="empty">{move || lang.get().pick(zh, en)}</div> }
}

/// Shown instead of a screen the signed-in account may not use (R-P1 and the admin screens).
#[component]
pub fn NotAllowed() -> impl IntoView {
    let lang = use_lang();
    view! {
        <section class="page">
            <div class="state state--empty" role="alert" data-testid="not-allowed">
                {move || lang.get().pick("您的账号没有使用此功能的权限，请联系主账号", "Your account may not use this page; ask the shop's main account")}
            </div>
        </section>
    }
}

/// The article's advice while a payout on the order is `processing`: wait, do not pay again.
#[component]
pub fn ProcessingWarning() -> impl IntoView {
    let lang = use_lang();
    view! {
        <p class="notice notice--warn" role="status" data-testid="processing-warning">
            {move || {
                lang.get()
                    .pick(
                        "该订单有一笔打款正在处理中，请等待结果后再决定是否再次打款。",
                        "A payout on this order is processing; wait for its result before paying again.",
                    )
            }}
        </p>
    }
}
