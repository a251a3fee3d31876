//! A button that copies a secret shown once (a one-time password, the recovery codes) to the
//! clipboard, and says whether it did. The text goes nowhere else: no storage, no log.

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::components::button::Button;
use crate::i18n::use_lang;

/// Writes `text` to the clipboard (`navigator.clipboard.writeText`); `false` where the browser
/// refuses (no permission, not a secure origin).
async fn write_clipboard(text: &str) -> bool {
    let Ok(navigator) = js_sys::Reflect::get(&window(), &"navigator".into()) else { return false };
    let Ok(clipboard) = js_sys::Reflect::get(&navigator, &"clipboard".into()) else { return false };
    let Ok(write) = js_sys::Reflect::get(&clipboard, &"writeText".into()) else { return false };
    let Ok(write) = write.dyn_into::<js_sys::Function>() else { return false };
    let Ok(promise) = write.call1(&clipboard, &text.into()) else { return false };
    let Ok(promise) = promise.dyn_into::<js_sys::Promise>() else { return false };
    JsFuture::from(promise).await.is_ok()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Copied {
    Not,
    Yes,
    Failed,
}

/// Copies `text` when pressed.
#[component]
pub fn CopyButton(
    /// What is copied.
    #[prop(into)]
    text: Signal<String>,
    /// `data-testid` of the button (its result is `{testid}-result`).
    testid: &'static str,
) -> impl IntoView {
    let lang = use_lang();
    let copied = RwSignal::new(Copied::Not);
    let copy = Action::new_local(move |text: &String| {
        let text = text.clone();
        async move {
            let ok = write_clipboard(&text).await;
            copied.try_set(if ok { Copied::Yes } else { Copied::Failed });
        }
    });
    view! {
        <Button
            label=("复制", "Copy")
            class="btn--small"
            testid
            pending=copy.pending()
            on_click=move || {
                copy.dispatch(text.get_untracked());
            }
        />
        <span class="copy__result" role="status" data-testid=format!("{testid}-result")>
            {move || match copied.get() {
                Copied::Not => "",
                Copied::Yes => lang.get().pick("已复制", "Copied"),
                Copied::Failed => lang.get().pick("无法复制，请手动选中后复制", "Could not copy; select the text and copy it"),
            }}
        </span>
    }
}
