//! What `index.html` paints before the app has loaded: a skeleton of the workbench, or (for a page
//! asked for without a session, which the server marks) a plain-HTML sign-in form a person can fill
//! while the wasm downloads. When the app mounts it takes both away, keeping what was typed into
//! the form and which field had the focus, for the app's own form to carry on with.

use std::cell::RefCell;

use wasm_bindgen::JsCast;
use web_sys::HtmlInputElement;

/// What was typed into `index.html`'s sign-in form before the app took it over.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Typed {
    pub username: String,
    pub password: String,
    /// The app's id of the field that had the focus (`username` or `password`), and its selection.
    pub focus: Option<(&'static str, Option<(u32, u32)>)>,
}

thread_local! {
    static TYPED: RefCell<Option<Typed>> = const { RefCell::new(None) };
}

/// The form's fields: `index.html`'s id and the app's.
const FIELDS: [(&str, &str); 2] = [("boot-username", "username"), ("boot-password", "password")];

/// Removes `index.html`'s stand-ins, keeping what was typed into its form. Called once, right
/// before the app mounts, so no frame shows neither.
pub fn take_over() {
    let document = leptos::prelude::document();
    if let Some(skeleton) = document.get_element_by_id("boot-skeleton") {
        skeleton.remove();
    }
    let Some(form) = document.get_element_by_id("boot-sign-in") else {
        return;
    };
    let input = |id: &str| document.get_element_by_id(id).and_then(|e| e.dyn_into::<HtmlInputElement>().ok());
    let focused = document.active_element().map(|e| e.id());
    let mut typed = Typed::default();
    for (boot_id, app_id) in FIELDS {
        let Some(field) = input(boot_id) else { continue };
        let value = field.value();
        if focused.as_deref() == Some(boot_id) {
            let selection = field.selection_start().ok().flatten().zip(field.selection_end().ok().flatten());
            typed.focus = Some((app_id, selection));
        }
        match app_id {
            "username" => typed.username = value,
            _ => typed.password = value,
        }
    }
    TYPED.with(|t| *t.borrow_mut() = Some(typed));
    form.remove();
}

/// What was typed before the app loaded; given once (a later visit to the sign-in page starts
/// empty).
pub fn typed() -> Typed {
    TYPED.with(|t| t.borrow_mut().take()).unwrap_or_default()
}

/// Gives the app's field the focus (and selection) the page's field had, in the next frame: by then
/// the router has put the form in the document.
pub fn restore_focus(focus: Option<(&'static str, Option<(u32, u32)>)>) {
    let Some((id, selection)) = focus else { return };
    leptos::prelude::request_animation_frame(move || {
        let document = leptos::prelude::document();
        let Some(field) = document.get_element_by_id(id).and_then(|e| e.dyn_into::<HtmlInputElement>().ok())
        else {
            return;
        };
        let _ = field.focus();
        if let Some((start, end)) = selection {
            let _ = field.set_selection_range(start, end);
        }
    });
}
