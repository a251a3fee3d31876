//! A modal dialog on the native `<dialog>` element: the page behind it is inert, Tab cycles inside
//! it, Esc closes it, focus starts on the first field and goes back to whatever opened it.

use leptos::html;
use leptos::prelude::*;
use send_wrapper::SendWrapper;
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, KeyboardEvent};

const FOCUSABLE: &str = "button:not([disabled]), input:not([disabled]), select:not([disabled]), \
     textarea:not([disabled]), a[href], [tabindex]:not([tabindex='-1'])";

/// A modal dialog. Mount it to open it; unmount it (from `on_close`) to close it.
#[component]
pub fn Modal(
    /// The heading, which also names the dialog for assistive technology.
    #[prop(into)]
    title: Signal<String>,
    /// Asked to close (Esc or the close button): the owner unmounts the dialog.
    #[prop(into)]
    on_close: Callback<()>,
    /// `data-testid` of the dialog.
    #[prop(optional)]
    testid: &'static str,
    children: Children,
) -> impl IntoView {
    let lang = crate::i18n::use_lang();
    let node: NodeRef<html::Dialog> = NodeRef::new();
    let opener = SendWrapper::new(document().active_element());
    let dialog_for_cleanup = node;
    Effect::new(move |_| {
        if let Some(d) = node.get() {
            if !d.open() {
                let _ = d.show_modal();
                // Start on the first field of the form, not on the close button.
                let first = d
                    .query_selector(&format!(".modal__body :is({FOCUSABLE})"))
                    .ok()
                    .flatten()
                    .and_then(|el| el.dyn_into::<HtmlElement>().ok());
                if let Some(el) = first {
                    let _ = el.focus();
                }
            }
        }
    });
    on_cleanup(move || {
        if let Some(d) = dialog_for_cleanup.try_get_untracked().flatten() {
            d.close();
        }
        if let Some(el) = opener.take().and_then(|e| e.dyn_into::<HtmlElement>().ok()) {
            let _ = el.focus();
        }
    });
    // Tab from the last control goes to the first and Shift+Tab from the first to the last, so
    // focus never leaves for the browser's own controls while the dialog is open.
    let trap = move |ev: KeyboardEvent| {
        if ev.key() != "Tab" {
            return;
        }
        let Some(d) = node.get_untracked() else { return };
        let Ok(list) = d.query_selector_all(FOCUSABLE) else { return };
        let items: Vec<HtmlElement> =
            (0..list.length()).filter_map(|i| list.item(i)?.dyn_into::<HtmlElement>().ok()).collect();
        let (Some(first), Some(last)) = (items.first(), items.last()) else { return };
        let active = document().active_element();
        let is =
            |el: &HtmlElement| active.as_ref().is_some_and(|a| a == el.unchecked_ref::<web_sys::Element>());
        if ev.shift_key() && is(first) {
            ev.prevent_default();
            let _ = last.focus();
        } else if !ev.shift_key() && is(last) {
            ev.prevent_default();
            let _ = first.focus();
        }
    };
    let title_id = "modal-title";
    view! {
        <dialog
            node_ref=node
            class="modal"
            aria-labelledby=title_id
            data-testid=testid
            on:keydown=trap
            on:cancel=move |ev: web_sys::Event| {
                ev.prevent_default();
                on_close.run(());
            }
        >
            <header class="modal__header">
                <h2 id=title_id class="modal__title">{title}</h2>
                <button
                    type="button"
                    class="modal__close"
                    aria-label=move || lang.get().pick("关闭", "Close")
                    on:click=move |_| on_close.run(())
                >
                    "×"
                </button>
            </header>
            <div class="modal__body">{children()}</div>
        </dialog>
    }
}
