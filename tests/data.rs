//! Data in, events out (SPEC §12.3–§12.6) in the browser: the order import page (its upload's
//! progress and report), the API settings page (keys and webhooks), the balance movements on the
//! settings page, the buyer masked in the order summary and a buyer notification given up (D12).
#![cfg(target_arch = "wasm32")]

mod common;

use leptos::prelude::*;
use leptos::task::tick;
use payout_console::components::order_summary::OrderSummary;
use payout_console::components::payout_info::PayoutInfo;
use payout_core::api::PayoutStatus;
use payout_core::PayoutType;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[cfg(feature = "admin")]
fn js(code: &str) -> wasm_bindgen::JsValue {
    js_sys::Function::new_no_args(code).call0(&wasm_bindgen::JsValue::NULL).unwrap()
}

#[wasm_bindgen_test]
async fn the_order_summary_shows_the_buyer_as_the_server_masked_it() {
    let mut ctx = common::context(common::facts());
    ctx.order.buyer = Some("buy*******89".into());
    let page =
        common::mount(move || view! { <OrderSummary current=Signal::derive(move || Some(ctx.clone())) /> });
    tick().await;
    assert_eq!(page.text("order-buyer"), "buy*******89");
}

#[wasm_bindgen_test]
async fn a_buyer_notification_given_up_is_said_as_failed_with_its_time() {
    let mut p = common::payout(7, PayoutType::Shipping, "8", PayoutStatus::Succeeded);
    let at: payout_core::Time = serde_json::from_str("\"2026-11-25T18:05:00+08:00\"").unwrap();
    p.buyer_notification_failed_at = Some(at);
    assert!(payout_console::components::payout_info::has_info(&p), "the line is worth showing alone");
    let page = common::mount(move || view! { <PayoutInfo p=p.clone() /> });
    tick().await;
    assert_eq!(page.text("pinfo-notify-failed"), "买家通知发送失败2026-11-25 18:05:00");
}

#[cfg(feature = "admin")]
mod admin {
    use super::*;
    use payout_console::pages::admin::order_import::rejections_csv;
    use payout_console::session::SessionState;
    use payout_core::facts::Role;
    use payout_core::orders::{Column, ImportRejection};
    use wasm_bindgen::JsValue;
    use web_sys::{HtmlButtonElement, HtmlElement};

    fn main_account() -> SessionState {
        SessionState::SignedIn(common::session(Role::Main, true))
    }

    /// Replaces `XMLHttpRequest` with one that records what it was given and answers when told.
    fn fake_xhr() {
        js("window.__xhrs = [];
            window.XMLHttpRequest = class {
              constructor() { this.upload = {}; this.headers = {}; this.status = 0; this.responseText = ''; window.__xhrs.push(this); }
              open(method, url) { this.method = method; this.url = url; }
              setRequestHeader(k, v) { this.headers[k] = v; }
              send(body) { this.body = body; }
            };");
    }

    fn choose_file(csv: &str) {
        let f = js_sys::Function::new_with_args(
            "text",
            "const input = [...document.querySelectorAll('[data-testid=import-file]')].pop();
             const dt = new DataTransfer();
             dt.items.add(new File([text], 'orders.csv', { type: 'text/csv' }));
             input.files = dt.files;
             input.dispatchEvent(new Event('change'));",
        );
        f.call1(&JsValue::NULL, &csv.into()).unwrap();
    }

    const REPORT: &str = r#"{"lines":3,"orders_created":1,"orders_updated":0,"orders_unchanged":0,"orders_rejected":1,
        "rejected":[{"line":3,"order_no":"6920261200000000002","column":"paid_amount","code":"AMOUNT_INVALID",
        "message_zh":"订单实付金额：金额格式不正确","message_en":"paid_amount: the amount is not valid"}]}"#;

    #[wasm_bindgen_test]
    async fn the_import_shows_the_uploads_real_progress_then_the_report_with_each_rejected_line() {
        fake_xhr();
        common::fake_api(vec![]);
        let page = common::at(
            "/order-import",
            main_account(),
            || view! { <payout_console::pages::admin::OrderImport /> },
        );
        common::settle_page().await;
        choose_file("主订单编号,订单实付金额\n");
        common::settle_page().await;
        assert!(page.text("import-chosen").starts_with("orders.csv"), "{}", page.text("import-chosen"));
        let submit: HtmlButtonElement = page.find("import-submit");
        submit.click();
        submit.click();
        common::settle_page().await;
        assert_eq!(js("return window.__xhrs.length").as_f64(), Some(1.0), "a double click sends one upload");
        let sent = js("const x = window.__xhrs[0]; return [x.method, x.url, x.headers['Content-Type'], String(x.body.size)].join(' ')");
        assert_eq!(
            sent.as_string().unwrap(),
            "POST /api/orders/import text/csv 35",
            "the file itself, as CSV"
        );
        assert!(submit.disabled(), "no second upload while this one runs");

        js("window.__xhrs[0].upload.onprogress(new ProgressEvent('progress', { lengthComputable: true, loaded: 14, total: 28 }))");
        common::settle_page().await;
        let progress: HtmlElement = page.find("import-progress");
        assert_eq!(progress.get_attribute("data-percent").as_deref(), Some("50"));
        assert!(
            progress.text_content().unwrap().contains("已上传 50%"),
            "{}",
            progress.text_content().unwrap()
        );

        js("window.__xhrs[0].upload.onload(new ProgressEvent('load'))");
        common::settle_page().await;
        assert!(page.text("import-progress").contains("正在导入"), "{}", page.text("import-progress"));

        js(&format!(
            "const x = window.__xhrs[0]; x.status = 200; x.responseText = {}; x.onloadend(new ProgressEvent('loadend'))",
            serde_json::to_string(REPORT).unwrap()
        ));
        common::settle_page().await;
        assert!(page.find_opt::<HtmlElement>("import-progress").is_none());
        assert_eq!(page.text("import-created"), "新建订单1");
        assert_eq!(page.text("import-rejected-count"), "未导入订单1");
        let row: HtmlElement = page.find("import-rejected-row");
        assert_eq!(row.get_attribute("data-line").as_deref(), Some("3"));
        assert_eq!(
            row.text_content().unwrap(),
            "36920261200000000002订单实付金额订单实付金额：金额格式不正确"
        );
        assert!(!submit.disabled(), "another file may follow");
    }

    #[wasm_bindgen_test]
    async fn a_file_the_server_refuses_says_why_and_that_nothing_was_imported() {
        fake_xhr();
        common::fake_api(vec![]);
        let page = common::at(
            "/order-import",
            main_account(),
            || view! { <payout_console::pages::admin::OrderImport /> },
        );
        common::settle_page().await;
        choose_file("a,b\n");
        common::settle_page().await;
        page.find::<HtmlButtonElement>("import-submit").click();
        common::settle_page().await;
        let body = r#"{"error":{"code":"IMPORT_FILE_INVALID","message_zh":"缺少必需的列：订单实付金额","message_en":"Missing required column: paid_amount"}}"#;
        js(&format!(
            "const x = window.__xhrs[0]; x.status = 400; x.responseText = {}; x.onloadend(new ProgressEvent('loadend'))",
            serde_json::to_string(body).unwrap()
        ));
        common::settle_page().await;
        assert_eq!(page.text("import-error"), "未导入任何订单：缺少必需的列：订单实付金额");
    }

    #[wasm_bindgen_test]
    fn the_rejected_lines_download_as_csv_that_spreadsheets_read_and_do_not_run() {
        let rows = vec![
            ImportRejection {
                line: 3,
                order_no: "=HYPERLINK(\"x\")".into(),
                column: Some(Column::PaidAmount),
                code: "AMOUNT_INVALID".into(),
                message_zh: "金额格式不正确, 请检查".into(),
                message_en: "bad amount".into(),
            },
            ImportRejection {
                line: 9,
                order_no: "6920261200000000009".into(),
                column: None,
                code: "ORDER_LOCKED_BY_PAYOUTS".into(),
                message_zh: "已有打款".into(),
                message_en: "has payouts".into(),
            },
        ];
        let csv = rejections_csv(&rows, payout_console::i18n::Lang::Zh);
        assert_eq!(
            csv,
            "\u{feff}行号,主订单编号,列,错误代码,原因\r\n\
             3,\"'=HYPERLINK(\"\"x\"\")\",订单实付金额,AMOUNT_INVALID,\"金额格式不正确, 请检查\"\r\n\
             9,6920261200000000009,,ORDER_LOCKED_BY_PAYOUTS,已有打款\r\n"
        );
        let en = rejections_csv(&rows[1..], payout_console::i18n::Lang::En);
        assert_eq!(en, "\u{feff}line,order_no,column,code,reason\r\n9,6920261200000000009,,ORDER_LOCKED_BY_PAYOUTS,has payouts\r\n");
    }

    const KEY: &str = r#"{"id":5,"name":"ERP","scopes":["orders:write"],"prefix":"AbCdEfGh","created_by":"lin.admin","created_at":"2026-11-25T10:00:00+08:00","last_used_at":null,"revoked_at":null}"#;

    #[wasm_bindgen_test]
    async fn a_new_key_is_shown_once_and_revoking_one_asks_first() {
        let created =
            format!(r#"{{"id":5,"key":"AbCdEfGhSECRETSECRETSECRETSECRET12345678","api_key":{KEY}}}"#);
        common::fake_api(vec![
            common::answer("GET", "/api/api-keys", 200, format!(r#"{{"items":[{KEY}]}}"#)),
            common::answer("POST", "/api/api-keys", 201, created),
            common::answer(
                "DELETE",
                "/api/api-keys/5",
                200,
                KEY.replace(r#""revoked_at":null"#, r#""revoked_at":"2026-11-25T11:00:00+08:00""#),
            ),
            common::answer("GET", "/api/webhooks", 200, r#"{"items":[]}"#.into()),
        ]);
        let page = common::at(
            "/api-settings",
            main_account(),
            || view! { <payout_console::pages::admin::ApiSettings /> },
        );
        common::settle_page().await;
        let row: HtmlElement = page.find("key-row");
        assert!(row.text_content().unwrap().contains("AbCdEfGh…"));
        assert!(row.text_content().unwrap().contains("从未使用"));

        page.find::<HtmlButtonElement>("key-add").click();
        common::settle_page().await;
        page.find::<HtmlButtonElement>("key-create").click();
        common::settle_page().await;
        assert!(!page.text("key-name-error").is_empty(), "a name is needed");
        assert_eq!(page.text("key-scopes-error"), "请至少选择一个权限范围");
        assert!(!common::requests().iter().any(|r| r.starts_with("POST")), "nothing sent yet");
        common::type_text(&page.find::<web_sys::Element>("key-name"), "ERP");
        page.find::<HtmlElement>("key-scope-orders:write").click();
        page.find::<HtmlButtonElement>("key-create").click();
        common::settle_page().await;
        let shown: web_sys::HtmlInputElement = page.find("key-secret");
        assert_eq!(shown.value(), "AbCdEfGhSECRETSECRETSECRETSECRET12345678");
        assert!(page.text("shown-once").contains("关闭此窗口后将无法再次查看"));
        page.find::<HtmlButtonElement>("secret-done").click();
        common::settle_page().await;
        assert!(page.find_opt::<HtmlElement>("key-secret").is_none());
        page.find::<HtmlButtonElement>("key-add").click();
        common::settle_page().await;
        assert!(
            page.find_opt::<HtmlElement>("key-secret").is_none(),
            "a new dialog does not show the old key"
        );
        assert!(!page.root.inner_html().contains("SECRET"), "the key is nowhere on the page");
        js("document.querySelector('[data-testid=key-dialog] .modal__close').click()");
        common::settle_page().await;

        page.find::<HtmlButtonElement>("key-revoke").click();
        common::settle_page().await;
        assert!(!common::requests().iter().any(|r| r.starts_with("DELETE")), "asks before revoking");
        page.find::<HtmlButtonElement>("key-revoke-confirm").click();
        common::settle_page().await;
        assert!(common::requests().contains(&"DELETE /api/api-keys/5".to_owned()));
        assert!(page.find_opt::<HtmlElement>("key-revoke-dialog").is_none(), "closed once revoked");
    }

    const ENDPOINT: &str = r#"{"id":2,"url":"https://erp.example.com/hooks","events":["payout.succeeded"],"active":true,"created_at":"2026-11-25T10:00:00+08:00","pending":0,"failed":1}"#;

    #[wasm_bindgen_test]
    async fn the_servers_word_on_a_webhook_url_is_said_under_the_url() {
        let refused = r#"{"error":{"code":"WEBHOOK_ADDRESS_NOT_ALLOWED","message_zh":"10.0.0.5 解析到 10.0.0.5，网络钩子不能发往本机、内网或链路本地地址","message_en":"private"}}"#;
        common::fake_api(vec![
            common::answer("GET", "/api/api-keys", 200, r#"{"items":[]}"#.into()),
            common::answer("GET", "/api/webhooks", 200, r#"{"items":[]}"#.into()),
            common::answer("POST", "/api/webhooks", 400, refused.into()),
        ]);
        let page = common::at(
            "/api-settings",
            main_account(),
            || view! { <payout_console::pages::admin::ApiSettings /> },
        );
        common::settle_page().await;
        page.find::<HtmlButtonElement>("webhook-add").click();
        common::settle_page().await;
        let url = page.find::<web_sys::Element>("webhook-url-input");
        common::type_text(&url, "ftp://erp.example.com/hooks");
        page.find::<HtmlButtonElement>("webhook-save").click();
        common::settle_page().await;
        assert_eq!(page.text("webhook-url-input-error"), "不支持 ftp:// 地址，请使用 https://");
        assert!(!common::requests().iter().any(|r| r.starts_with("POST")), "checked before sending");
        common::type_text(&url, "https://10.0.0.5/hooks");
        page.find::<HtmlButtonElement>("webhook-save").click();
        common::settle_page().await;
        assert!(
            page.text("webhook-url-input-error").contains("不能发往本机、内网或链路本地地址"),
            "{}",
            page.text("webhook-url-input-error")
        );
    }

    #[wasm_bindgen_test]
    async fn the_delivery_log_shows_attempts_the_last_answer_and_the_next_try_and_a_failed_one_is_resent() {
        let delivery = r#"{"id":9,"event_id":"evt_1","event_type":"payout.succeeded","status":"failed","attempts":8,"last_status":503,"last_response":"busy","last_error":null,"next_attempt_at":null,"created_at":"2026-11-25T10:00:00+08:00","delivered_at":null}"#;
        common::fake_api(vec![
            common::answer("GET", "/api/api-keys", 200, r#"{"items":[]}"#.into()),
            common::answer("GET", "/api/webhooks/2/deliveries", 200, format!(r#"{{"items":[{delivery}]}}"#)),
            common::answer("GET", "/api/webhooks", 200, format!(r#"{{"items":[{ENDPOINT}]}}"#)),
            common::answer(
                "POST",
                "/api/webhook-deliveries/9/resend",
                202,
                delivery.replace("failed", "pending"),
            ),
        ]);
        let page = common::at(
            "/api-settings",
            main_account(),
            || view! { <payout_console::pages::admin::ApiSettings /> },
        );
        common::settle_page().await;
        assert!(page.text("webhook-counts").contains("投递失败 1"));
        page.find::<HtmlButtonElement>("webhook-log-toggle").click();
        common::settle_page().await;
        assert_eq!(page.text("delivery-attempts"), "8");
        assert_eq!(page.text("delivery-answer"), "HTTP 503busy");
        assert_eq!(page.text("delivery-status"), "失败");
        page.find::<HtmlButtonElement>("delivery-resend").click();
        common::settle_page().await;
        assert!(common::requests().contains(&"POST /api/webhook-deliveries/9/resend".to_owned()));
        assert_eq!(
            common::requests().iter().filter(|r| r.as_str() == "GET /api/webhooks/2/deliveries").count(),
            2,
            "the log is read again after the resend"
        );
    }

    #[wasm_bindgen_test]
    async fn the_settings_list_each_accounts_balance_movements_under_it() {
        use payout_console::pages::admin::Settings;
        let mut settings: serde_json::Value = serde_json::from_str(SETTINGS).unwrap();
        settings["movements"] = serde_json::json!([
            {"id":1,"account":"custody","reference":"ST-1","kind":"credit","amount":"120.00","note":"结算","actor":"platform","created_at":"2026-11-25T10:00:00+08:00"},
            {"id":2,"account":"aggregate","reference":"ST-2","kind":"freeze","amount":"30.00","note":null,"actor":"platform","created_at":"2026-11-25T11:00:00+08:00"}
        ]);
        common::fake_api(vec![common::answer("GET", "/api/payout-settings", 200, settings.to_string())]);
        let page = common::at("/settings", main_account(), || view! { <Settings /> });
        common::settle_page().await;
        let custody: HtmlElement = page.find("movements-custody");
        assert_eq!(custody.query_selector_all("tbody tr").unwrap().length(), 1);
        assert!(
            custody.text_content().unwrap().contains("入账+¥120.00ST-1结算platform"),
            "{}",
            custody.text_content().unwrap()
        );
        assert!(page.text("movements-aggregate").contains("冻结¥30.00ST-2"));
    }

    const SETTINGS: &str = r#"{"qualification":"enterprise","selected_source_account":"aggregate",
        "accounts":[{"kind":"aggregate","opened":true,"allowed":true,"balance":"100.00","frozen":"0.00","reserved":"0.00","available":"100.00"},
                    {"kind":"custody","opened":true,"allowed":true,"balance":"200.00","frozen":"0.00","reserved":"0.00","available":"200.00"}],
        "top_ups":[],"approval_threshold":null,"require_reason":false,"require_two_factor":false}"#;
}
