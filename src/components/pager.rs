//! Previous / next pages of a list, with "page 2 of 5 · 93 payouts".

use leptos::prelude::*;

use crate::i18n::{use_lang, Lang};

/// The pager under a paged list.
#[component]
pub fn Pager(
    /// The page shown (1-based).
    page: u32,
    per_page: u32,
    /// Rows over all pages.
    total: u64,
    /// Asked to show another page.
    #[prop(into)]
    to_page: Callback<u32>,
) -> impl IntoView {
    let lang = use_lang();
    let pages = total.div_ceil(u64::from(per_page.max(1))).max(1) as u32;
    let page = page.max(1);
    view! {
        <nav class="pager" aria-label=move || lang.get().pick("分页", "Pages")>
            <button type="button" class="btn" data-testid="page-prev" disabled={page <= 1} on:click=move |_| to_page.run(page - 1)>
                {move || lang.get().pick("上一页", "Previous")}
            </button>
            <span class="pager__info" data-testid="page-info">
                {move || match lang.get() {
                    Lang::Zh => format!("第 {page} / {pages} 页 · 共 {total} 条"),
                    Lang::En => format!("Page {page} of {pages} · {total} payouts"),
                }}
            </span>
            <button type="button" class="btn" data-testid="page-next" disabled={page >= pages} on:click=move |_| to_page.run(page + 1)>
                {move || lang.get().pick("下一页", "Next")}
            </button>
        </nav>
    }
}
