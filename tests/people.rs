//! Every user's own security (SPEC §12.2), in either bundle: a one-time password's session sees only
//! the change form, a weak password is refused in words, sign-in asks for the second factor when
//! the server says so, two-step verification is set up with a QR code drawn in the page and its
//! recovery codes are shown once, and a shop's requirement leads the payer to the set-up.
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use leptos::prelude::*;
use payout_console::session::SessionState;
use payout_core::api::SessionInfo;
use payout_core::facts::Role;
use payout_core::people::{QrCode, RecoveryCodes, SecretText, TwoFactorSetup};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn click(page: &Mounted, testid: &str) {
    page.find::<web_sys::HtmlElement>(testid).click();
}

fn fill(page: &Mounted, testid: &str, text: &str) {
    type_text(&page.find::<web_sys::Element>(testid), text);
}

fn set_marker() {
    js_sys::Reflect::set(
        &document(),
        &"cookie".into(),
        &"payout_signed_in=1; Path=/; SameSite=Strict".into(),
    )
    .unwrap();
}

fn app_at(address: &str) -> Mounted {
    window()
        .history()
        .unwrap()
        .replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(address))
        .unwrap();
    mount(|| view! { <payout_console::App /> })
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap()
}

fn error(code: &str, zh: &str, en: &str) -> String {
    format!(r#"{{"error":{{"code":"{code}","message_zh":"{zh}","message_en":"{en}"}}}}"#)
}

// --- one-time passwords (item 3) ----------------------------------------------------------------

#[wasm_bindgen_test]
async fn a_session_signed_in_with_a_one_time_password_sees_only_the_change_form_until_it_changes_it() {
    set_marker();
    let must_change = SessionInfo { password_change_required: true, ..session(Role::Sub, true) };
    let changed = session(Role::Sub, true);
    fake_api(vec![
        answer("GET", "/api/session", 200, json(&must_change)),
        answer("PUT", "/api/session/password", 200, json(&changed)),
    ]);
    let page = app_at("/payout");
    settle_page().await;
    assert!(page.find_opt::<web_sys::Element>("password-form").is_some(), "{}", page.root.inner_html());
    assert!(page.find_opt::<web_sys::Element>("password-change-required").is_some());
    assert!(page.find_opt::<web_sys::Element>("nav").is_none(), "no navigation to screens it may not use");
    assert!(page.find_opt::<web_sys::Element>("sign-out").is_some(), "it may still sign out");
    assert_eq!(requests(), ["GET /api/session"], "no screen asked for its data (they would get 403)");

    fill(&page, "current-password", "Otp-From-The-Main-Account");
    fill(&page, "new-password", "tangerine kettle under marble");
    fill(&page, "repeat-password", "tangerine kettle under marble");
    click(&page, "password-submit");
    settle_page().await;
    assert!(
        bodies().iter().any(|b| b.starts_with("PUT /api/session/password ")
            && b.contains(r#""current_password":"Otp-From-The-Main-Account""#)
            && b.contains(r#""new_password":"tangerine kettle under marble""#)),
        "{:?}",
        bodies()
    );
    assert!(page.find_opt::<web_sys::Element>("password-form").is_none(), "the form is done");
    assert!(page.find_opt::<web_sys::Element>("nav-payout").is_some(), "and the console is there");
    payout_console::api::forget_session_marker();
}

fn account_page(info: SessionInfo) -> Mounted {
    use payout_console::pages::account::Account;
    at("/account", SessionState::SignedIn(info), || view! { <Account /> })
}

#[wasm_bindgen_test]
async fn a_password_the_server_finds_weak_is_refused_in_words_under_the_new_password() {
    let weak = error(
        "PASSWORD_TOO_WEAK",
        "这是一个很常见的密码：请用更长、不常见的词组，例如几个无关的词",
        "This is a very common password: use a longer, uncommon phrase, such as a few unrelated words",
    );
    fake_api(vec![answer("PUT", "/api/session/password", 422, weak)]);
    let page = account_page(session(Role::Sub, true));
    settle_page().await;
    fill(&page, "current-password", "demo-pass-2026");
    fill(&page, "new-password", "short");
    fill(&page, "repeat-password", "short");
    click(&page, "password-submit");
    settle_page().await;
    assert_eq!(page.text("new-password-error"), "密码至少 10 个字符", "the length is checked before sending");
    assert_eq!(requests(), Vec::<String>::new());

    fill(&page, "new-password", "password1234");
    fill(&page, "repeat-password", "password1234");
    click(&page, "password-submit");
    settle_page().await;
    assert_eq!(requests(), ["PUT /api/session/password"]);
    assert_eq!(
        page.text("new-password-error"),
        "这是一个很常见的密码：请用更长、不常见的词组，例如几个无关的词",
        "the server's reason, in words, beside the field"
    );
    assert_eq!(page.text("password-error"), "", "not said twice");
    fill(&page, "new-password", "password12345");
    settle_page().await;
    assert_eq!(page.text("new-password-error"), "", "about the refused text only");
}

// --- sign-in with a second factor (item 4) -------------------------------------------------------

#[wasm_bindgen_test]
async fn sign_in_asks_for_the_code_when_the_server_says_two_step_verification_is_on_and_sends_it() {
    use payout_console::pages::sign_in::SignIn;
    let required = error(
        "TWO_FACTOR_REQUIRED",
        "请输入两步验证码（验证器应用中的 6 位数字，或一个恢复码）",
        "Enter your two-step verification code",
    );
    fake_api(vec![answer("POST", "/api/session", 401, required)]);
    let page = at("/sign-in", SessionState::SignedOut, || view! { <SignIn /> });
    settle_page().await;
    assert!(page.find_opt::<web_sys::Element>("code").is_none(), "no code field before the server asks");
    fill(&page, "username", "lin.agent1");
    fill(&page, "password", "demo-pass-2026");
    click(&page, "signin-submit");
    settle_page().await;
    assert!(page.find_opt::<web_sys::Element>("code").is_some(), "the code field is there");
    assert_eq!(page.text("code-error"), "", "not an error before the person could type");
    assert!(page.text("signin-error").contains("两步验证码"), "{}", page.text("signin-error"));

    click(&page, "signin-submit");
    settle_page().await;
    assert_eq!(page.text("code-error"), "请输入验证码");
    assert_eq!(requests().len(), 1, "an empty code is not sent");

    fill(&page, "code", " 123456 ");
    click(&page, "signin-submit");
    settle_page().await;
    let sent = bodies();
    assert_eq!(sent.len(), 2);
    assert!(sent[0].ends_with(r#"{"username":"lin.agent1","password":"demo-pass-2026"}"#), "{}", sent[0]);
    assert!(sent[1].contains(r#""code":"123456""#), "with the code, trimmed: {}", sent[1]);
}

// --- two-step verification set-up (item 4) -------------------------------------------------------

fn setup() -> TwoFactorSetup {
    TwoFactorSetup {
        secret: SecretText("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP".into()),
        otpauth_uri: SecretText("otpauth://totp/x?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP".into()),
        qr: QrCode { size: 29, path: "M4 4h7v1h-7zM12 4h1v1h-1z".into() },
    }
}

#[wasm_bindgen_test]
async fn turning_on_two_step_verification_draws_the_qr_in_the_page_and_shows_the_recovery_codes_once() {
    let codes =
        RecoveryCodes { recovery_codes: (0..10).map(|i| SecretText(format!("abcde-fgh{i:02}"))).collect() };
    let wrong =
        error("TWO_FACTOR_INVALID", "验证码不正确或已使用过", "The code is wrong or was used already");
    fake_api(vec![
        answer("POST", "/api/session/two-factor/confirm", 200, json(&codes)),
        answer("POST", "/api/session/two-factor", 200, json(&setup())),
    ]);
    let page = account_page(session(Role::Sub, true));
    settle_page().await;
    assert_eq!(page.text("two-factor-state"), "未开启");
    click(&page, "two-factor-begin");
    settle_page().await;
    let qr: web_sys::Element = page.find("two-factor-qr");
    assert_eq!(qr.tag_name(), "svg", "drawn in the page");
    assert_eq!(qr.get_attribute("viewBox").as_deref(), Some("0 0 29 29"));
    let path = qr.query_selector("path").unwrap().unwrap();
    assert_eq!(path.get_attribute("d").as_deref(), Some("M4 4h7v1h-7zM12 4h1v1h-1z"));
    assert!(page.root.query_selector("img").unwrap().is_none(), "no image from anywhere");
    assert_eq!(page.text("two-factor-secret"), "JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP");

    fill(&page, "two-factor-code", "12345");
    click(&page, "two-factor-confirm");
    settle_page().await;
    assert_eq!(page.text("two-factor-code-error"), "请输入验证器应用中的 6 位数字");
    assert!(!requests().iter().any(|r| r.contains("confirm")), "five digits are not sent");

    // A wrong code is said, and the person can try again: its 401 does not end the session.
    let signed_out = std::rc::Rc::new(std::cell::Cell::new(false));
    let flag = signed_out.clone();
    payout_console::api::on_unauthorized(move || flag.set(true));
    fake_api(vec![answer("POST", "/api/session/two-factor/confirm", 401, wrong)]);
    fill(&page, "two-factor-code", "123456");
    click(&page, "two-factor-confirm");
    settle_page().await;
    assert_eq!(page.text("two-factor-error"), "验证码不正确或已使用过");
    assert!(page.find_opt::<web_sys::Element>("two-factor-qr").is_some(), "still on the set-up");
    assert!(!signed_out.get(), "a wrong code is not a signed-out session");

    fake_api(vec![answer("POST", "/api/session/two-factor/confirm", 200, json(&codes))]);
    fill(&page, "two-factor-code", "654321");
    click(&page, "two-factor-confirm");
    settle_page().await;
    assert!(bodies().iter().any(|b| b.ends_with(r#"{"code":"654321"}"#)), "{:?}", bodies());
    let list = page.find::<web_sys::Element>("recovery-codes").query_selector_all("li").unwrap();
    assert_eq!(list.length(), 10);
    assert!(page.text("recovery-warning").contains("只显示这一次"));
    assert!(page.find_opt::<web_sys::Element>("two-factor-qr").is_none(), "the secret is gone");
    click(&page, "recovery-done");
    settle_page().await;
    assert!(page.find_opt::<web_sys::Element>("recovery-codes").is_none());
    assert!(!page.root.inner_html().contains("abcde-fgh0"), "no code is left in the page");
}

#[wasm_bindgen_test]
async fn turning_two_step_verification_off_sends_the_password_and_a_code() {
    let mut info = session(Role::Sub, true);
    info.user.two_factor = true;
    fake_api(vec![answer("DELETE", "/api/session/two-factor", 204, String::new())]);
    let page = account_page(info);
    settle_page().await;
    assert_eq!(page.text("two-factor-state"), "已开启");
    click(&page, "two-factor-off");
    settle_page().await;
    fill(&page, "two-factor-off-password", "demo-pass-2026");
    fill(&page, "two-factor-off-code", "abcde-fghij");
    click(&page, "two-factor-off-submit");
    settle_page().await;
    assert_eq!(
        bodies(),
        [r#"DELETE /api/session/two-factor {"password":"demo-pass-2026","code":"abcde-fghij"}"#]
    );
    assert!(page.find_opt::<web_sys::Element>("two-factor-off-done").is_some());
}

#[wasm_bindgen_test]
async fn a_payer_the_shop_requires_two_step_verification_of_is_led_to_the_set_up() {
    set_marker();
    let info = SessionInfo { two_factor_setup_required: true, ..session(Role::Sub, true) };
    fake_api(vec![answer("GET", "/api/session", 200, json(&info))]);
    let page = app_at("/records");
    settle_page().await;
    assert!(page.text("two-factor-required").contains("开启两步验证"), "{}", page.root.inner_html());
    let link: web_sys::Element = page.find("two-factor-setup-link");
    assert_eq!(link.get_attribute("href").as_deref(), Some("/account#two-factor"));
    drop(page);
    // (The link itself is followed in tests/e2e/people.test.mjs: routers of earlier tests of this
    // file still listen for clicks on links.)
    let page = app_at("/account");
    settle_page().await;
    assert!(page.find_opt::<web_sys::Element>("two-factor-begin").is_some(), "on the set-up");
    assert!(page.find_opt::<web_sys::Element>("two-factor-required").is_none(), "not said twice there");
    assert!(page.find_opt::<web_sys::Element>("two-factor-required-here").is_some());
    payout_console::api::forget_session_marker();
}

#[wasm_bindgen_test]
async fn every_user_has_a_change_password_entry_in_the_header() {
    set_marker();
    fake_api(vec![answer("GET", "/api/session", 200, json(&session(Role::Sub, false)))]);
    let page = app_at("/");
    settle_page().await;
    let link: web_sys::Element = page.find("account-link");
    assert_eq!(link.text_content().as_deref(), Some("修改密码"));
    assert_eq!(link.get_attribute("href").as_deref(), Some("/account"));
    payout_console::api::forget_session_marker();
}
