//! 子账号管理 and the two-step requirement of the payout settings (SPEC §12.2), screens of the full
//! bundle: run with `--features admin`.
#![cfg(all(target_arch = "wasm32", feature = "admin"))]

mod common;

use common::*;
use leptos::prelude::*;
use payout_console::session::SessionState;
use payout_core::facts::Role;
use payout_core::people::{OneTimePassword, SecretText, SubAccountCreated, SubAccountList, SubAccountView};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn click(page: &Mounted, testid: &str) {
    page.find::<web_sys::HtmlElement>(testid).click();
}

fn fill(page: &Mounted, testid: &str, text: &str) {
    type_text(&page.find::<web_sys::Element>(testid), text);
}

fn main_account() -> SessionState {
    SessionState::SignedIn(session(Role::Main, true))
}

fn agent(id: i64, username: &str, name: &str, active: bool) -> SubAccountView {
    SubAccountView {
        id,
        username: username.into(),
        display_name: name.into(),
        active,
        payout: active,
        manage_quotas: false,
        two_factor: false,
        password_change_required: false,
        last_sign_in_at: None,
        created_at: now(),
    }
}

fn list(items: Vec<SubAccountView>) -> String {
    serde_json::to_string(&SubAccountList { items }).unwrap()
}

fn screen() -> Mounted {
    use payout_console::pages::admin::SubAccounts;
    at("/sub-accounts", main_account(), || view! { <SubAccounts /> })
}

const OTP: &str = "Kq7-mZ4x-Pw9r-Ht2c";

#[wasm_bindgen_test]
async fn a_new_sub_accounts_one_time_password_is_shown_once_with_a_warning_and_gone_when_the_dialog_closes() {
    let created = SubAccountCreated {
        sub_account: agent(9, "lin.agent3", "客服小陈", true),
        password: OneTimePassword { one_time_password: SecretText(OTP.into()), expires_at: now() },
    };
    fake_api(vec![
        answer("GET", "/api/sub-accounts", 200, list(vec![agent(2, "lin.agent1", "客服小林", true)])),
        answer("POST", "/api/sub-accounts", 201, serde_json::to_string(&created).unwrap()),
    ]);
    let page = screen();
    settle_page().await;
    assert!(page.find_opt::<web_sys::Element>("sub-account-lin.agent1").is_some());
    click(&page, "sub-account-create");
    settle_page().await;
    // Checked as typed with payout-core's rules: nothing is sent for a bad username.
    fill(&page, "new-username", "Lin Agent");
    fill(&page, "new-display-name", "客服小陈");
    click(&page, "sub-account-create-submit");
    settle_page().await;
    assert!(
        page.text("new-username-error").contains("3 到 32 个字符"),
        "{}",
        page.text("new-username-error")
    );
    assert!(!requests().iter().any(|r| r.starts_with("POST")));

    fill(&page, "new-username", "lin.agent3");
    click(&page, "sub-account-create-submit");
    settle_page().await;
    assert!(
        bodies()
            .iter()
            .any(|b| b == r#"POST /api/sub-accounts {"username":"lin.agent3","display_name":"客服小陈"}"#),
        "{:?}",
        bodies()
    );
    assert_eq!(page.text("one-time-password"), OTP);
    assert!(page.find_opt::<web_sys::Element>("one-time-copy").is_some(), "with a copy button");
    assert!(page.text("one-time-warning").contains("只显示这一次"), "{}", page.text("one-time-warning"));
    assert_eq!(
        requests().iter().filter(|r| *r == "GET /api/sub-accounts").count(),
        2,
        "the list is asked for again: {:?}",
        requests()
    );

    click(&page, "one-time-done");
    settle_page().await;
    assert!(page.find_opt::<web_sys::Element>("sub-account-dialog").is_none());
    assert!(!document().body().unwrap().inner_html().contains(OTP), "the password is gone from the page");
    let storage = window().local_storage().unwrap().unwrap();
    for i in 0..storage.length().unwrap() {
        let key = storage.key(i).unwrap().unwrap();
        assert!(!storage.get_item(&key).unwrap().unwrap_or_default().contains(OTP), "kept in {key}");
    }
}

#[wasm_bindgen_test]
async fn a_taken_username_is_said_beside_the_username_field() {
    let taken = r#"{"error":{"code":"USERNAME_TAKEN","message_zh":"登录名 lin.agent1 已被使用，请换一个","message_en":"The username lin.agent1 is taken; choose another"}}"#;
    fake_api(vec![
        answer("GET", "/api/sub-accounts", 200, list(vec![])),
        answer("POST", "/api/sub-accounts", 409, taken.into()),
    ]);
    let page = screen();
    settle_page().await;
    assert!(page.text("empty").contains("还没有子账号"));
    click(&page, "sub-account-create");
    settle_page().await;
    fill(&page, "new-username", "LIN.AGENT1");
    fill(&page, "new-display-name", "重名");
    click(&page, "sub-account-create-submit");
    settle_page().await;
    assert_eq!(page.text("new-username-error"), "登录名 lin.agent1 已被使用，请换一个");
    assert!(page.find_opt::<web_sys::Element>("one-time-password").is_none());
}

#[wasm_bindgen_test]
async fn deactivating_asks_first_then_sends_active_false_and_a_deactivated_one_can_be_reactivated() {
    fake_api(vec![
        answer(
            "GET",
            "/api/sub-accounts",
            200,
            list(vec![agent(2, "lin.agent1", "客服小林", true), agent(5, "lin.old", "老王", false)]),
        ),
        answer(
            "PUT",
            "/api/sub-accounts/",
            200,
            serde_json::to_string(&agent(2, "lin.agent1", "客服小林", false)).unwrap(),
        ),
    ]);
    let page = screen();
    settle_page().await;
    let row = |u: &str| page.find::<web_sys::HtmlElement>(&format!("sub-account-{u}"));
    assert_eq!(
        row("lin.old")
            .query_selector("[data-testid=sub-account-status]")
            .unwrap()
            .unwrap()
            .text_content()
            .unwrap(),
        "已停用"
    );
    row("lin.agent1")
        .query_selector("[data-testid=sub-account-deactivate]")
        .unwrap()
        .unwrap()
        .dyn_into::<web_sys::HtmlElement>()
        .unwrap()
        .click();
    settle_page().await;
    assert!(page.text("sub-account-deactivate-text").contains("立即退出"));
    assert!(!requests().iter().any(|r| r.starts_with("PUT")), "nothing before the confirmation");
    click(&page, "sub-account-deactivate-submit");
    settle_page().await;
    assert!(bodies().iter().any(|b| b == r#"PUT /api/sub-accounts/2 {"active":false}"#), "{:?}", bodies());
    assert!(page.find_opt::<web_sys::Element>("sub-account-dialog").is_none(), "closed when done");

    row("lin.old")
        .query_selector("[data-testid=sub-account-reactivate]")
        .unwrap()
        .unwrap()
        .dyn_into::<web_sys::HtmlElement>()
        .unwrap()
        .click();
    settle_page().await;
    assert!(bodies().iter().any(|b| b == r#"PUT /api/sub-accounts/5 {"active":true}"#), "{:?}", bodies());
}

#[wasm_bindgen_test]
async fn a_reset_password_is_shown_once_after_a_confirmation() {
    let reset = OneTimePassword { one_time_password: SecretText(OTP.into()), expires_at: now() };
    fake_api(vec![
        answer("GET", "/api/sub-accounts", 200, list(vec![agent(2, "lin.agent1", "客服小林", true)])),
        answer("POST", "/api/sub-accounts/2/password-reset", 200, serde_json::to_string(&reset).unwrap()),
    ]);
    let page = screen();
    settle_page().await;
    click(&page, "sub-account-reset");
    settle_page().await;
    assert!(page.find_opt::<web_sys::Element>("one-time-password").is_none());
    click(&page, "sub-account-reset-submit");
    settle_page().await;
    assert_eq!(requests().iter().filter(|r| r.starts_with("POST")).count(), 1);
    assert_eq!(page.text("one-time-password"), OTP);
    // Esc (the dialog's cancel) drops it too.
    let dialog: web_sys::HtmlElement = page.find("sub-account-dialog");
    dialog.dispatch_event(&web_sys::Event::new("cancel").unwrap()).unwrap();
    settle_page().await;
    assert!(!document().body().unwrap().inner_html().contains(OTP));
}

#[wasm_bindgen_test]
async fn the_payout_settings_switch_requires_two_step_verification_and_sends_only_that_change() {
    use payout_console::pages::admin::Settings;
    let settings = r#"{"qualification":"enterprise","selected_source_account":"aggregate","accounts":[],"top_ups":[],"approval_threshold":null,"require_reason":false,"require_two_factor":false}"#;
    fake_api(vec![
        answer("GET", "/api/payout-settings", 200, settings.into()),
        answer(
            "PUT",
            "/api/payout-settings",
            200,
            settings.replace(r#""require_two_factor":false"#, r#""require_two_factor":true"#),
        ),
    ]);
    let page = at("/settings", main_account(), || view! { <Settings /> });
    settle_page().await;
    let switch: web_sys::HtmlElement = page.find("require-two-factor");
    assert_eq!(switch.get_attribute("aria-checked").as_deref(), Some("false"), "{}", page.root.inner_html());
    switch.click();
    settle_page().await;
    click(&page, "settings-save");
    settle_page().await;
    let put = bodies().into_iter().find(|b| b.starts_with("PUT")).expect("saved");
    assert!(put.contains(r#""require_two_factor":true"#), "{put}");
    assert!(!put.contains("require_reason"), "only what changed: {put}");
    assert_eq!(page.text("settings-result"), "已保存");
}

use wasm_bindgen::JsCast;
