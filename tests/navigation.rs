//! The navigation of each bundle (`src/nav.rs`). `scripts/test.sh` runs this file twice: as the
//! agents' bundle (no features), where the main account's tabs are whole page loads that fetch the
//! full bundle, and as the full bundle (`--features admin`), where every tab routes client-side.
#![cfg(target_arch = "wasm32")]

mod common;

use common::{mount, Mounted};
use leptos::prelude::*;
use leptos::task::tick;
use leptos_router::components::Router;
use payout_console::nav::{in_this_bundle, Nav};
use payout_core::api::Permissions;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const AGENT: Permissions = Permissions { payout: true, manage_quotas: false, manage_settings: false };
const MAIN: Permissions = Permissions { payout: true, manage_quotas: true, manage_settings: true };
const ADMIN_SCREENS: [&str; 9] = [
    "/approvals",
    "/sub-accounts",
    "/quotas",
    "/reasons",
    "/settings",
    "/statements",
    "/overview",
    "/order-import",
    "/api-settings",
];

async fn nav(permissions: Permissions) -> Mounted {
    let page = mount(move || view! { <Router><Nav permissions /></Router> });
    tick().await;
    page
}

/// Each link's `href` and `rel`.
fn links(page: &Mounted) -> Vec<(String, Option<String>)> {
    let found = page.root.query_selector_all("[data-testid=nav] a").unwrap();
    (0..found.length())
        .map(|i| {
            let a: web_sys::Element = found.item(i).unwrap().unchecked_into();
            (a.get_attribute("href").unwrap(), a.get_attribute("rel"))
        })
        .collect()
}

#[wasm_bindgen_test]
async fn an_agent_sees_the_payout_and_records_tabs_which_route_client_side_in_either_bundle() {
    let page = nav(AGENT).await;
    assert_eq!(links(&page), [("/payout".into(), None), ("/records".into(), None)]);
}

#[wasm_bindgen_test]
async fn a_quota_manager_sees_the_quotas_tab_too_and_the_main_account_all_eleven() {
    let page = nav(Permissions { manage_quotas: true, ..AGENT }).await;
    let hrefs: Vec<String> = links(&page).into_iter().map(|(href, _)| href).collect();
    assert_eq!(hrefs, ["/payout", "/records", "/quotas"]);
    drop(page);
    let page = nav(MAIN).await;
    let hrefs: Vec<String> = links(&page).into_iter().map(|(href, _)| href).collect();
    assert_eq!(
        hrefs,
        [
            "/payout",
            "/records",
            "/approvals",
            "/sub-accounts",
            "/quotas",
            "/reasons",
            "/settings",
            "/statements",
            "/overview",
            "/order-import",
            "/api-settings"
        ]
    );
}

#[cfg(not(feature = "admin"))]
#[wasm_bindgen_test]
async fn in_the_agents_bundle_the_main_accounts_tabs_are_whole_page_loads() {
    let page = nav(MAIN).await;
    for (href, rel) in links(&page) {
        let admin = ADMIN_SCREENS.contains(&href.as_str());
        assert_eq!(rel.as_deref(), admin.then_some("external"), "{href}");
        assert_eq!(in_this_bundle(&format!("{href}?date=2026-11-25")), !admin, "{href}");
    }
}

#[cfg(feature = "admin")]
#[wasm_bindgen_test]
async fn in_the_full_bundle_every_tab_routes_client_side() {
    let page = nav(MAIN).await;
    assert_eq!(links(&page).len(), 11);
    for (href, rel) in links(&page) {
        assert_eq!(rel, None, "{href}");
    }
    assert!(ADMIN_SCREENS.iter().all(|screen| in_this_bundle(screen)));
}
