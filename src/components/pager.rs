//! Previous / next pages of a list, with "page 2 of 5 · 93 payouts" (or "page 2 · 10,000+ payouts"
//! when the server stopped counting).

use leptos::prelude::*;

use crate::components::button::Button;
use crate::i18n::{use_lang, Lang};

/// The pager under a paged list.
#[component]
pub fn Pager(
    /// The page shown (1-based).
    page: u32,
    per_page: u32,
    /// Rows over all pages: exact, or where counting stopped.
    total: u64,
    #[prop(default = true)] total_exact: bool,
    /// Whether there are pages before and after this one.
    has_prev: bool,
    has_next: bool,
    #[prop(into)] on_prev: Callback<()>,
    #[prop(into)] on_next: Callback<()>,
) -> impl IntoView {
    let lang = use_lang();
    let page = page.max(1);
    let pages = total.div_ceil(u64::from(per_page.max(1))).max(1);
    let count = payout_core::money::grouped_digits(&total.to_string());
    view! {
        <nav class="pager" aria-label=move || lang.get().pick("分页", "Pages")>
            <Button label=("上一页", "Previous") testid="page-prev" disabled=!has_prev on_click=on_prev />
            <span class="pager__info" data-testid="page-info">
                {move || match (lang.get(), total_exact) {
                    (Lang::Zh, true) => format!("第 {page} / {pages} 页 · 共 {count} 条"),
                    (Lang::En, true) => format!("Page {page} of {pages} · {count} payouts"),
                    (Lang::Zh, false) => format!("第 {page} 页 · 共 {count}+ 条"),
                    (Lang::En, false) => format!("Page {page} · {count}+ payouts"),
                }}
            </span>
            <Button label=("下一页", "Next") testid="page-next" disabled=!has_next on_click=on_next />
        </nav>
    }
}

/// A list paged by number (small lists, counted exactly): the pager's arguments for page `page`.
pub fn by_number(page: u32, per_page: u32, total: u64) -> (bool, bool) {
    let pages = total.div_ceil(u64::from(per_page.max(1))).max(1);
    (page > 1, u64::from(page) < pages)
}
