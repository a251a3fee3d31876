//! Bad input always gets a specific 4xx with the SPEC §8 error body: never a 500, a stack trace or
//! SQL text.

use serde_json::{json, Value};

use crate::helpers::*;

fn assert_clean_error(answer: &Answer, status: u16, what: &str) {
    assert_eq!(answer.status.as_u16(), status, "{what}: {}", answer.body);
    let error = &answer.body["error"];
    assert!(
        error["code"].is_string() && error["message_zh"].is_string() && error["message_en"].is_string(),
        "{what}"
    );
    let text = answer.body.to_string().to_lowercase();
    for leak in ["sqlite", "select ", "panicked", "backtrace", "src/"] {
        assert!(!text.contains(leak), "{what} leaks {leak:?}: {text}");
    }
}

async fn raw_post(client: &Client, path: &str, body: &str, content_type: &str) -> Answer {
    let res = client
        .http
        .post(format!("{}{path}", client.url))
        .header("content-type", content_type)
        .header("X-CSRF-Token", client.csrf.clone().unwrap_or_default())
        .header("Idempotency-Key", "bad-input")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    Client::answer(res).await
}

#[tokio::test]
async fn malformed_json_wrong_types_and_oversize_bodies_are_refused_as_such() {
    let app = spawn_app().await;
    let admin = app.login("lin.admin").await;
    for (body, what) in [
        ("{", "truncated JSON"),
        ("not json", "not JSON"),
        ("[]", "an array"),
        (
            r#"{"order_no":"6920241100000000002","source_account":"aggregate","payout_type":"shipping","amount":12.5}"#,
            "amount as a JSON number",
        ),
        (
            r#"{"order_no":6920241100000000002,"source_account":"aggregate","payout_type":"shipping","amount":"1"}"#,
            "order_no as a number",
        ),
        (r#"{"source_account":"aggregate"}"#, "missing fields"),
    ] {
        let answer = raw_post(&admin, "/api/payouts", body, "application/json").await;
        assert_clean_error(&answer, 400, what);
        assert_eq!(answer.error_code(), "INVALID_JSON", "{what}");
    }
    let answer = raw_post(&admin, "/api/payouts", r#"{"a":1}"#, "text/plain").await;
    assert_clean_error(&answer, 400, "wrong content type");

    let huge = json!({"order_no": O2, "source_account": "aggregate", "payout_type": "shipping", "amount": "1", "note": "x".repeat(100_000)});
    let answer = raw_post(&admin, "/api/payouts", &huge.to_string(), "application/json").await;
    assert_clean_error(&answer, 413, "oversize body");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM payouts WHERE order_no = '6920241100000000002'").await, 0);
}

#[tokio::test]
async fn r_f1_every_rejected_amount_of_spec_5_is_a_400_amount_invalid() {
    let app = spawn_app().await;
    let admin = app.login("lin.admin").await;
    for amount in [
        "",
        "0",
        "0.00",
        "-1",
        "0.001",
        "1e2",
        "1,000",
        "NaN",
        "inf",
        "abc",
        "500.01",
        "¥",
        "12.",
        "１，０００",
    ] {
        let answer = admin.create(draft(O2, amount)).await;
        assert_clean_error(&answer, 400, amount);
        assert_eq!(answer.codes(), ["AMOUNT_INVALID"], "amount {amount:?}");
        let check = admin.post("/api/payouts/check", draft(O2, amount)).await;
        assert_eq!((check.status.as_u16(), check.body["ok"].clone()), (200, Value::Bool(false)));
        assert!(check.codes().contains(&"AMOUNT_INVALID".to_owned()));
    }
    for amount in ["12", "12.5", "12.50", "0.01", " 12.5 ", "１２．５", "¥12.50"] {
        let check = admin.post("/api/payouts/check", draft(O2, amount)).await;
        assert_eq!(check.body["ok"], true, "amount {amount:?}: {}", check.body);
    }
}

#[tokio::test]
async fn unknown_orders_sqlish_and_very_long_strings_get_clean_4xx() {
    let app = spawn_app().await;
    let admin = app.login("lin.admin").await;
    for order in ["1", "' OR 1=1 --", "6920241100000000002'; DROP TABLE payouts; --", "%00", "订单"] {
        let path = format!("/api/orders/{}/payout-context", urlencode(order));
        assert_clean_error(&admin.get(&path).await, 404, order);
        let too_long = order.chars().count() > 32;
        assert_clean_error(&admin.create(draft(order, "1")).await, if too_long { 400 } else { 404 }, order);
    }
    let long = "9".repeat(10_000);
    assert_clean_error(
        &admin.get(&format!("/api/orders/{long}/payout-context")).await,
        404,
        "long order number",
    );
    assert_clean_error(&admin.create(draft(&long, "1")).await, 400, "long order number in a draft");
    let mut note = draft(O2, "1");
    note["note"] = json!("备".repeat(201));
    assert_clean_error(&admin.create(note).await, 400, "long note");
    let mut kind = draft(O2, "1");
    kind["source_account"] = json!("' OR 1=1 --");
    assert_clean_error(&admin.create(kind).await, 400, "sql-ish source account");
    assert_clean_error(&admin.get("/api/payouts/not-a-number").await, 404, "non-numeric payout id");
    assert_clean_error(&admin.get("/api/payouts/99999999999999999999999").await, 404, "huge payout id");
    for query in [
        "status=paid",
        "payout_type=bonus",
        "operator_id=x",
        "from=2026-13-01",
        "from=2026-11-25&to=2026-11-24",
        "page=0",
        "per_page=1000",
    ] {
        assert_clean_error(&admin.get(&format!("/api/payouts?{query}")).await, 400, query);
    }
    let sqlish = admin.get("/api/payouts?order_no=%27%20OR%201%3D1%20--").await;
    assert_eq!((sqlish.status.as_u16(), sqlish.body["total"].as_u64()), (200, Some(0)));
    assert_eq!(app.scalar("SELECT COUNT(*) FROM payouts").await, 8, "nothing was written or dropped");
}

#[tokio::test]
async fn bad_quota_settings_and_top_up_input_is_refused_with_specific_codes() {
    let app = spawn_app().await;
    let admin = app.login("lin.admin").await;
    for (per, daily) in
        [("0.001", "10"), ("abc", "10"), ("600", "1000"), ("100", "50"), ("-1", "10"), ("10", "15000.01")]
    {
        let answer = admin
            .put("/api/quotas/2", json!({"per_payout_limit": per, "daily_limit": daily, "enabled": true}))
            .await;
        assert_clean_error(&answer, 400, &format!("quota {per}/{daily}"));
        assert_eq!(answer.error_code(), "QUOTA_INVALID");
    }
    assert_clean_error(
        &admin
            .put("/api/quotas/999", json!({"per_payout_limit": "1", "daily_limit": "1", "enabled": true}))
            .await,
        404,
        "unknown sub-account",
    );
    assert_clean_error(
        &admin
            .put("/api/quotas/1", json!({"per_payout_limit": "1", "daily_limit": "1", "enabled": true}))
            .await,
        404,
        "the main account has no quota",
    );
    assert_clean_error(
        &admin.put("/api/payout-settings", json!({"source_account": "wallet"})).await,
        400,
        "unknown account",
    );
    for (amount, reference) in
        [("0", "R1"), ("1e3", "R1"), ("100", ""), ("100", &"R".repeat(65)), ("1000000.01", "R1")]
    {
        let answer =
            admin.post("/api/custody/top-ups", json!({"amount": amount, "reference": reference})).await;
        assert_clean_error(&answer, 400, &format!("top-up {amount} {reference}"));
    }
    let quotas = admin.get("/api/quotas").await;
    assert_eq!(
        quotas.body["items"][0]["per_payout_limit"], "50.00",
        "nothing was changed by the bad requests"
    );
}

#[tokio::test]
async fn contract_slips_found_in_review_get_the_specific_answers() {
    let app = spawn_with(Spawn { keep_demo_approval: true, ..Spawn::default() }).await;
    let admin = app.login("lin.admin").await;
    // R-A1, not serde's "missing field `reason`".
    let waiting = admin.get("/api/approvals").await.body["items"][0]["id"].as_i64().unwrap();
    let reject = admin.post(&format!("/api/payouts/{waiting}/reject"), json!({})).await;
    assert_clean_error(&reject, 400, "reject without a reason");
    assert_eq!(reject.error_code(), "REJECT_REASON_REQUIRED");
    // Statement and records dates are exactly YYYY-MM-DD.
    for date in ["20261124", "2026-11-24T00:00:00", "2026-11-24T00:00:00.csv", "2026-11-4"] {
        let answer = admin.get(&format!("/api/statements/{date}")).await;
        assert_clean_error(&answer, 400, date);
        assert_eq!(answer.error_code(), "INVALID_DATE", "{date}");
    }
    assert_eq!(admin.get("/api/statements/2026-11-24.csv").await.status, 200);
    let records = admin.get("/api/payouts?from=20261124").await;
    assert_clean_error(&records, 400, "records from=20261124");
    assert_eq!(records.error_code(), "INVALID_QUERY");
    // Reason names with control characters or ANSI escapes.
    for name in ["红\u{1b}[31m色", "a\u{0}b", "两\n行"] {
        let answer = admin.post("/api/reasons", json!({"name_zh": name, "payout_type": "other"})).await;
        assert_clean_error(&answer, 400, &format!("reason name {name:?}"));
    }
    // An empty threshold is not "no threshold" (that is null): it is refused, and nothing changes.
    let cleared = admin
        .put("/api/payout-settings", json!({"source_account": "aggregate", "approval_threshold": ""}))
        .await;
    assert_clean_error(&cleared, 400, "approval_threshold \"\"");
    assert_eq!(admin.get("/api/payout-settings").await.body["approval_threshold"], "100.00");
    let none = admin
        .put("/api/payout-settings", json!({"source_account": "aggregate", "approval_threshold": null}))
        .await;
    assert_eq!((none.status.as_u16(), &none.body["approval_threshold"]), (200, &Value::Null));
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}
