//! The payout console SPA (Leptos 0.8, client-side rendered). `App` holds the router; each screen
//! is a component under `pages/`, reusable widgets under `components/`.
#![cfg(target_arch = "wasm32")]

pub mod components;
pub mod i18n;
pub mod pages;

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::i18n::provide_lang;
use crate::pages::workbench::Workbench;

#[component]
pub fn App() -> impl IntoView {
    provide_lang();
    view! {
        <Router>
            <main class="app">
                <Routes fallback=|| "Not found">
                    <Route path=path!("/") view=Workbench />
                    <Route path=path!("/payout") view=Workbench />
                </Routes>
            </main>
        </Router>
    }
}
