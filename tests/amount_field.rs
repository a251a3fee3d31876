//! The amount field in a real (headless) browser: typing runs `payout-core`'s parser and shows the
//! R-F1 message beside the field, in Chinese by default.
#![cfg(target_arch = "wasm32")]

mod common;

use common::{mount, type_into};
use leptos::prelude::*;
use leptos::task::tick;
use payout_console::components::amount_field::{parse_amount, AmountField};
use payout_core::Policy;
use wasm_bindgen_test::*;
use web_sys::HtmlInputElement;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn r_f1_amount_field_shows_the_parser_verdict_as_you_type() {
    let page = mount(|| {
        let value = RwSignal::new(String::new());
        let policy = Policy::default();
        let errors = Signal::derive(move || {
            let text = value.get();
            if text.trim().is_empty() {
                return vec![];
            }
            parse_amount(&policy, &text).err().map(|e| vec![e.message_zh()]).unwrap_or_default()
        });
        view! { <AmountField value errors /> }
    });
    let input: HtmlInputElement = page.find("amount-input");

    assert_eq!(page.text("amount-error"), "", "an empty field shows no error yet");

    type_into(&input, "0.001");
    tick().await;
    assert_eq!(page.text("amount-error"), "金额最多保留 2 位小数");
    assert_eq!(input.get_attribute("aria-invalid").as_deref(), Some("true"));

    type_into(&input, "１２．５");
    tick().await;
    assert_eq!(page.text("amount-error"), "", "full-width digits are a valid amount");
    assert_eq!(input.get_attribute("aria-invalid").as_deref(), Some("false"));

    for (bad, message) in [
        ("0", "金额必须大于 0"),
        ("1e2", "金额格式不正确，请输入数字，例如 12.50"),
        ("500.01", "金额不能超过 ¥500.00"),
    ] {
        type_into(&input, bad);
        tick().await;
        assert_eq!(page.text("amount-error"), message, "typing {bad:?}");
    }
}
