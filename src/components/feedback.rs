//! The shared loading, empty, error and "not allowed" states, so every screen looks alike.

use leptos::prelude::*;
use payout_core::api::Permissions;

use crate::api::ApiError;
use crate::components::button::Button;
use crate::i18n::{use_lang, Lang};
use crate::session::use_permissions;

/// A placeholder with the shape of a card (grey bars), so content replaces it without a jump.
#[component]
pub fn Loading(
    /// `data-testid` (default `loading`).
    #[prop(optional)]
    testid: Option<&'static str>,
) -> impl IntoView {
    let lang = use_lang();
    view! {
        <div class="state state--loading skeleton" role="status" aria-live="polite" aria-busy="true" data-testid=testid.unwrap_or("loading")>
            <span class="skeleton__bar"></span>
            <span class="skeleton__bar skeleton__bar--short"></span>
            <span class="skeleton__bar"></span>
            <span class="sr-only">{move || lang.get().pick("加载中…", "Loading…")}</span>
        </div>
    }
}

/// The words for an API error, in the person's language and without API internals: the
/// server's message, except where that names a request parameter.
pub fn error_text(error: &ApiError, lang: Lang) -> String {
    match error.code.as_str() {
        "INVALID_QUERY" => lang
            .pick(
                "筛选条件有误，请检查日期等条件后重新查询",
                "Some filters are not valid; check the dates and search again",
            )
            .to_owned(),
        _ => crate::format::amounts_in(error.message(lang)),
    }
}

/// An error from the API, in the current language. Retrying is offered only when it can help
/// (no answer or a server-side failure); a definite answer such as "no such order" is final.
#[component]
pub fn ErrorView(
    /// What went wrong.
    error: ApiError,
    /// Loads again.
    #[prop(into)]
    on_retry: Callback<()>,
) -> impl IntoView {
    let lang = use_lang();
    let retry = error.is_ambiguous();
    let code = error.code.clone();
    let message = move || error_text(&error, lang.get());
    view! {
        <div class="state state--error" role="alert" data-testid="error-view" data-code=code>
            <p class="state__title">{message}</p>
            {retry.then(|| view! {
                <Button label=("重试", "Retry") testid="retry" on_click=on_retry />
            })}
        </div>
    }
}

/// Shows `children` only to those whose permissions `allow` it; everyone else reads why not.
#[component]
pub fn Gate(
    /// Who may see the page.
    allow: fn(&Permissions) -> bool,
    children: ChildrenFn,
) -> impl IntoView {
    let permissions = use_permissions();
    view! {
        <Show when=move || permissions.with(allow) fallback=NotAllowed>
            {children()}
        </Show>
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

/// The article's FAQ 5 while a payout on the order is stuck (processing too long, SPEC §11.4): the
/// money may still arrive, so paying again could pay twice.
#[component]
pub fn StuckWarning() -> impl IntoView {
    let lang = use_lang();
    view! {
        <div class="notice notice--warn" role="status" data-testid="stuck-warning">
            <strong>{move || lang.get().pick("打款状态确认中", "A payout is stuck")}</strong>
            <p class="notice__text">
                {move || {
                    lang.get()
                        .pick(
                            "该订单有一笔打款长时间未出结果。请勿重复打款，款项仍在确认中。",
                            "A payout on this order has had no result for a long time. Do not pay again; the payment is still being confirmed.",
                        )
                }}
            </p>
        </div>
    }
}
