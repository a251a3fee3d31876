//! The amount field in a real (headless) browser: typing runs `payout-core`'s parser and shows the
//! R-F1 message beside the field, in Chinese by default.
#![cfg(target_arch = "wasm32")]

use leptos::prelude::*;
use leptos::task::tick;
use payout_console::pages::workbench::Workbench;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Event, HtmlElement, HtmlInputElement};

wasm_bindgen_test_configure!(run_in_browser);

fn type_into(input: &HtmlInputElement, text: &str) {
    input.set_value(text);
    let event = Event::new("input").unwrap();
    input.dispatch_event(&event).unwrap();
}

fn by_testid<T: JsCast>(id: &str) -> T {
    document()
        .query_selector(&format!("[data-testid={id}]"))
        .unwrap()
        .unwrap_or_else(|| panic!("no element with data-testid={id}"))
        .unchecked_into()
}

#[wasm_bindgen_test]
async fn r_f1_amount_field_shows_the_parser_verdict_as_you_type() {
    mount_to_body(Workbench);
    let input: HtmlInputElement = by_testid("amount-input");
    let error: HtmlElement = by_testid("amount-error");

    assert_eq!(error.text_content().unwrap(), "", "an empty field shows no error yet");

    type_into(&input, "0.001");
    tick().await;
    assert_eq!(error.text_content().unwrap(), "金额最多保留 2 位小数");
    assert_eq!(input.get_attribute("aria-invalid").as_deref(), Some("true"));

    type_into(&input, "１２．５");
    tick().await;
    assert_eq!(error.text_content().unwrap(), "", "full-width digits are a valid amount");
    assert_eq!(input.get_attribute("aria-invalid").as_deref(), Some("false"));

    for (bad, message) in [
        ("0", "金额必须大于 0"),
        ("1e2", "金额格式不正确，请输入数字，例如 12.50"),
        ("500.01", "金额不能超过 ¥500.00"),
    ] {
        type_into(&input, bad);
        tick().await;
        assert_eq!(error.text_content().unwrap(), message, "typing {bad:?}");
    }
}
