//! SPEC §11.1: the shop's reasons, the buyer message and the internal note (R-F12..R-F14).

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn reasons_start_with_the_defaults_and_only_the_main_account_changes_them() {
    let app = spawn_app().await;
    let admin = app.login("lin.admin").await;
    let agent = app.login("lin.agent1").await;
    let list = agent.get("/api/reasons").await;
    assert_eq!(list.status, 200, "agents read them for the dialog");
    let names: Vec<&str> =
        list.body["items"].as_array().unwrap().iter().map(|r| r["name_zh"].as_str().unwrap()).collect();
    assert_eq!(names, ["退货运费补偿", "降价补差", "商品轻微瑕疵", "其他"]);

    let new = json!({"name_zh": "赠品漏发", "name_en": "Missing gift", "payout_type": "other",
                     "buyer_message_template": "抱歉，订单 {order_no} 漏发赠品，补偿 ¥{amount}"});
    assert_eq!(agent.post("/api/reasons", new.clone()).await.status, 403, "a sub-account cannot add");
    assert_eq!(app.login("lin.viewer").await.get("/api/reasons").await.status, 403, "R-P1");
    let created = admin.post("/api/reasons", new.clone()).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["position"], 5);
    let id = created.body["id"].as_i64().unwrap();

    // Reorder: to the top; the others shift and stay numbered 1..n.
    let mut to_top = new.clone();
    to_top["position"] = json!(1);
    assert_eq!(admin.put(&format!("/api/reasons/{id}"), to_top).await.status, 200);
    let order: Vec<(String, u64)> = admin.get("/api/reasons").await.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["name_zh"].as_str().unwrap().to_owned(), r["position"].as_u64().unwrap()))
        .collect();
    assert_eq!(order[0], ("赠品漏发".to_owned(), 1));
    assert_eq!(order.iter().map(|o| o.1).collect::<Vec<_>>(), [1, 2, 3, 4, 5]);

    // Invalid input is refused with every problem named; another shop's reason is not found.
    let bad = admin
        .post(
            "/api/reasons",
            json!({"name_zh": " ", "payout_type": "bonus", "buyer_message_template": "{buyer}"}),
        )
        .await;
    assert_eq!((bad.status.as_u16(), bad.error_code()), (400, "REASON_FIELDS_INVALID"), "{}", bad.body);
    assert!(bad.body["error"]["message_en"].as_str().unwrap().contains("{buyer}"));
    let zhou = app.login("zhou.admin").await;
    assert_eq!(zhou.put(&format!("/api/reasons/{id}"), new).await.status, 404, "another shop's reason");
    assert_eq!(zhou.get("/api/reasons").await.body["items"].as_array().unwrap().len(), 4, "its own defaults");
}

#[tokio::test]
async fn r_f13_a_switched_off_or_mismatched_or_foreign_reason_is_refused_r_f12_when_required() {
    let app = spawn_app().await;
    let admin = app.login("lin.admin").await;
    let reasons = admin.get("/api/reasons").await.body["items"].as_array().unwrap().clone();
    let shipping_reason = reasons[0]["id"].as_i64().unwrap();
    let price_reason = reasons[1]["id"].as_i64().unwrap();

    let mut d = draft(O2, "10");
    d["reason_id"] = json!(shipping_reason);
    let answer = admin.create(d.clone()).await;
    assert_eq!(
        (answer.status.as_u16(), answer.codes()),
        (422, vec!["REASON_INVALID".to_owned()]),
        "type mismatch"
    );
    assert_eq!(answer.violation("REASON_INVALID")["field"], "reason_id");

    let foreign =
        app.login("zhou.admin").await.get("/api/reasons").await.body["items"][1]["id"].as_i64().unwrap();
    d["reason_id"] = json!(foreign);
    assert_eq!(admin.create(d.clone()).await.codes(), ["REASON_INVALID"], "another shop's reason");

    let mut off = reasons[1].clone();
    off["active"] = json!(false);
    assert_eq!(admin.put(&format!("/api/reasons/{price_reason}"), off).await.status, 200);
    d["reason_id"] = json!(price_reason);
    assert_eq!(admin.create(d.clone()).await.codes(), ["REASON_INVALID"], "switched off");
    let ctx = admin.context(O2).await;
    let offered: Vec<i64> = ctx.body["facts"]["shop"]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert!(!offered.contains(&price_reason), "the dialog no longer offers it");

    admin.put("/api/payout-settings", json!({"source_account": "aggregate", "require_reason": true})).await;
    let check = admin.post("/api/payouts/check", draft(O2, "10")).await;
    assert_eq!(check.codes(), ["REASON_REQUIRED"], "R-F12 in the check, as the dialog shows it");
    assert_eq!(admin.create(draft(O2, "10")).await.codes(), ["REASON_REQUIRED"]);
    let mut ok = draft(O2, "10");
    ok["payout_type"] = json!("shipping");
    ok["reason_id"] = json!(shipping_reason);
    assert_eq!(admin.create(ok).await.status, 201);
}

#[tokio::test]
async fn r_f14_texts_over_200_characters_are_refused_not_cut() {
    let app = spawn_app().await;
    let admin = app.login("lin.admin").await;
    let mut d = draft(O2, "10");
    d["buyer_message"] = json!("字".repeat(201));
    let answer = admin.create(d.clone()).await;
    assert_eq!((answer.status.as_u16(), answer.error_code()), (400, "TEXT_TOO_LONG"), "{}", answer.body);
    assert_eq!(answer.violation("TEXT_TOO_LONG")["field"], "buyer_message");
    d["buyer_message"] = json!("字".repeat(200));
    d["note"] = json!("n".repeat(201));
    assert_eq!(admin.create(d.clone()).await.violation("TEXT_TOO_LONG")["field"], "note");
    d["note"] = json!("n".repeat(200));
    assert_eq!(admin.create(d).await.status, 201);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM payouts WHERE id > 8").await,
        1,
        "only the one within the limits"
    );

    // A template of 195 characters whose {order_no} (10) becomes 19 digits: 204 for the buyer.
    let template = format!("{}{{order_no}}", "字".repeat(185));
    let reason = admin
        .post(
            "/api/reasons",
            json!({"name_zh": "长模板", "payout_type": "other", "buyer_message_template": template}),
        )
        .await;
    assert_eq!(reason.status, 201, "{}", reason.body);
    let mut from_template = draft(O3, "10");
    from_template["payout_type"] = json!("other");
    from_template["reason_id"] = reason.body["id"].clone();
    let refused = admin.create(from_template.clone()).await;
    assert_eq!(
        (refused.status.as_u16(), refused.codes()),
        (422, vec!["TEXT_TOO_LONG".to_owned()]),
        "{}",
        refused.body
    );
    assert_eq!(refused.violation("TEXT_TOO_LONG")["field"], "buyer_message");
    from_template["buyer_message"] = json!("亲，已补偿");
    assert_eq!(admin.create(from_template).await.status, 201, "a message of its own is fine");
}

#[tokio::test]
async fn the_buyer_message_comes_from_the_template_and_stays_apart_from_the_note_everywhere() {
    let app = spawn_app().await;
    let admin = app.login("lin.admin").await;
    let reason = admin.get("/api/reasons").await.body["items"][1].clone(); // 降价补差
    let mut d = draft(O2, "12.5");
    d["reason_id"] = reason["id"].clone();
    d["note"] = json!("客户来电，内部记录");
    let created = admin.create(d).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let message = created.body["buyer_message"].as_str().unwrap();
    assert!(
        message.contains(O2) && message.contains("¥12.50") && message.contains("林记家居旗舰店"),
        "{message}"
    );
    assert_eq!(created.body["note"], "客户来电，内部记录");
    assert_eq!(created.body["reason_name_zh"], "降价补差");

    let mut typed = draft(O3, "20");
    typed["reason_id"] = reason["id"].clone();
    typed["buyer_message"] = json!("  亲，差价已补  ");
    let edited = admin.create(typed).await;
    assert_eq!(edited.body["buyer_message"], "亲，差价已补", "an edited message is kept as typed (trimmed)");
    app.clock.advance_secs(61);
    let mut cleared = draft(O3, "5");
    cleared["reason_id"] = reason["id"].clone();
    cleared["buyer_message"] = json!("");
    let cleared = admin.create(cleared).await;
    assert!(cleared.body["buyer_message"].is_null(), "cleared on purpose: no message, not the template");

    let csv = admin
        .http
        .get(format!("{}/api/payouts/export.csv", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let header = csv.lines().next().unwrap();
    assert!(
        header.contains("打款原因") && header.contains("买家留言") && header.contains("内部备注"),
        "{header}"
    );
    let row = csv.lines().find(|l| l.contains(O2) && l.contains("12.50")).unwrap();
    assert!(
        row.contains("降价补差") && row.contains("客户来电，内部记录") && row.contains("¥12.50"),
        "{row}"
    );
    let ctx = admin.context(O2).await;
    assert_eq!(ctx.body["payouts"][0]["buyer_message"], message, "the order page shows it too");
}

#[tokio::test]
async fn a_reason_name_is_unique_within_the_shop_in_either_language() {
    let app = spawn_app().await;
    let admin = app.login("lin.admin").await;
    let reason = |zh: &str, en: Option<&str>| json!({"name_zh": zh, "name_en": en, "payout_type": "other"});

    let taken = admin.post("/api/reasons", reason(" 退货运费补偿 ", None)).await;
    assert_eq!((taken.status.as_u16(), taken.error_code()), (409, "REASON_NAME_TAKEN"), "{}", taken.body);
    assert!(taken.body["error"]["message_zh"].as_str().unwrap().contains("“退货运费补偿”"), "{}", taken.body);
    assert!(taken.body["error"]["message_en"].as_str().unwrap().contains("already has a reason named"));
    let en_taken = admin.post("/api/reasons", reason("退运费", Some("return SHIPPING refund"))).await;
    assert_eq!(en_taken.error_code(), "REASON_NAME_TAKEN", "English names compare without case");
    assert_eq!(admin.get("/api/reasons").await.body["items"].as_array().unwrap().len(), 4, "nothing added");

    // Renaming one reason to another's name is refused; saving it under its own name is not.
    let created = admin.post("/api/reasons", reason("赠品漏发", Some("Missing gift"))).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_i64().unwrap();
    let renamed = admin.put(&format!("/api/reasons/{id}"), reason("其他", None)).await;
    assert_eq!((renamed.status.as_u16(), renamed.error_code()), (409, "REASON_NAME_TAKEN"));
    let mut off = reason("赠品漏发", Some("Missing gift"));
    off["active"] = json!(false);
    assert_eq!(admin.put(&format!("/api/reasons/{id}"), off).await.status, 200, "its own name");

    // Another shop may use the same names.
    let zhou = app.login("zhou.admin").await;
    assert_eq!(zhou.post("/api/reasons", reason("赠品漏发", None)).await.status, 201);
}
