//! SPEC §11.5: the daily statement (JSON and CSV) and the overview.

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn the_statements_totals_equal_the_records_of_that_day_and_its_csv_is_for_spreadsheets() {
    let app = spawn_with(Spawn { rail_failure_percent: 30, ..Spawn::default() }).await;
    let admin = app.login("lin.admin").await;
    let agent = app.login("lin.agent1").await;
    let reason = admin.get("/api/reasons").await.body["items"][0]["id"].clone();
    let mut shipping = draft(O1, "6");
    shipping["payout_type"] = json!("shipping");
    shipping["reason_id"] = reason;
    assert_eq!(agent.create(shipping).await.status, 201);
    for (i, (order, amount)) in [(O2, "12.50"), (O3, "30"), (O2, "20")].iter().enumerate() {
        app.clock.advance_secs(61 + i as i64);
        assert_eq!(admin.create(draft(order, amount)).await.status, 201);
    }
    app.settled().await;
    let records = admin.get("/api/payouts?from=2026-11-24&to=2026-11-24&per_page=100").await;
    let rows = records.body["items"].as_array().unwrap();
    let sum: i64 = rows
        .iter()
        .map(|r| (r["amount"].as_str().unwrap().parse::<f64>().unwrap() * 100.0).round() as i64)
        .sum();

    let s = admin.get("/api/statements/2026-11-24").await;
    assert_eq!(s.status, 200, "{}", s.body);
    let fen = |v: &serde_json::Value| (v.as_str().unwrap().parse::<f64>().unwrap() * 100.0).round() as i64;
    assert_eq!(s.body["total"]["count"].as_u64().unwrap() as usize, rows.len());
    assert_eq!(fen(&s.body["total"]["amount"]), sum, "the statement's total is the records' sum");
    let succeeded: i64 = rows.iter().filter(|r| r["status"] == "succeeded").map(|r| fen(&r["amount"])).sum();
    assert_eq!(fen(&s.body["total"]["succeeded_amount"]), succeeded);
    for group in ["by_status", "by_payout_type", "by_reason", "by_source_account", "by_operator"] {
        let total: i64 = s.body[group].as_array().unwrap().iter().map(|b| fen(&b["amount"])).sum();
        assert_eq!(total, sum, "{group} adds up");
    }
    assert!(s.body["by_reason"].as_array().unwrap().iter().any(|b| b["label_zh"] == "退货运费补偿"));
    // The store's GROUP BY gives the very statement payout-core makes from the day's records.
    let views: Vec<payout_core::api::PayoutView> =
        serde_json::from_value(records.body["items"].clone()).unwrap();
    let from_rows = payout_core::statement::statement("2026-11-24".into(), &views);
    assert_eq!(serde_json::to_value(&from_rows).unwrap(), s.body, "the statement of the records");
    assert!(s.body.get("payouts").is_none(), "the day's payouts are the records page's, a page at a time");

    let res = admin.http.get(format!("{}/api/statements/2026-11-24.csv", app.url)).send().await.unwrap();
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let csv = res.text().await.unwrap();
    assert!(csv.starts_with('\u{feff}'), "UTF-8 with BOM");
    assert!(csv.contains("分组,项目,笔数,金额（元）,成功笔数,成功金额（元）"));
    assert!(csv.contains("合计,合计,"));
    assert!(csv.contains("2026-11-24 10:00:00"), "times as YYYY-MM-DD HH:MM:SS in UTC+8");
    for r in rows {
        assert!(csv.contains(&format!("\n{},", r["id"])), "the CSV lists payout {}", r["id"]);
    }

    let other_day = admin.get("/api/statements/2026-11-23").await;
    assert_eq!(other_day.body["total"]["count"], 0);
    assert_eq!(admin.get("/api/statements/2026-13-01").await.error_code(), "INVALID_DATE");
    assert_eq!(agent.get("/api/statements/2026-11-24").await.status, 403, "a sub-account");
    let zhou = app.login("zhou.admin").await;
    assert_eq!(
        zhou.get("/api/statements/2026-11-24").await.body["total"]["count"],
        0,
        "another shop sees only its own"
    );
}

#[tokio::test]
async fn the_overview_has_todays_meter_each_agents_quota_and_30_days_by_type() {
    let app = spawn_with(Spawn { keep_demo_approval: true, ..Spawn::default() }).await;
    let admin = app.login("lin.admin").await;
    let agent = app.login("lin.agent1").await;
    assert_eq!(agent.create(draft(O2, "12.50")).await.status, 201);
    app.settled().await;
    let o = admin.get("/api/overview").await;
    assert_eq!(o.status, 200, "{}", o.body);
    assert_eq!(o.body["date"], "2026-11-24");
    assert_eq!(o.body["shop_counted_today"], "162.50", "the waiting 150.00 is counted");
    assert_eq!(o.body["shop_remaining"], "14837.50");
    assert_eq!((o.body["awaiting_approval"].as_u64(), o.body["stuck"].as_u64()), (Some(1), Some(0)));
    let days = o.body["days"].as_array().unwrap();
    assert_eq!(days.len(), 30);
    let today = days.last().unwrap();
    assert_eq!((today["date"].as_str(), today["total"].as_str()), (Some("2026-11-24"), Some("162.50")));
    let by_type: Vec<(&str, &str)> = today["by_type"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["payout_type"].as_str().unwrap(), t["amount"].as_str().unwrap()))
        .collect();
    assert_eq!(
        by_type,
        [("shipping", "0.00"), ("price_difference", "12.50"), ("product_issue", "150.00"), ("other", "0.00")]
    );
    let agent1 =
        o.body["agents"].as_array().unwrap().iter().find(|a| a["username"] == "lin.agent1").unwrap().clone();
    assert_eq!(
        (agent1["used_today"].as_str(), agent1["daily_limit"].as_str()),
        (Some("12.50"), Some("300.00"))
    );
    assert_eq!(admin.get("/api/overview?days=7").await.body["days"].as_array().unwrap().len(), 7);
    assert_eq!(admin.get("/api/overview?days=0").await.status, 400);
    assert_eq!(admin.get("/api/overview?days=91").await.status, 400);
    assert_eq!(agent.get("/api/overview").await.status, 403);
}

/// `"12.50"` → 1250.
fn fen(v: &serde_json::Value) -> i64 {
    let text = v.as_str().unwrap_or_else(|| panic!("not an amount: {v}"));
    let (yuan, fen) = text.split_once('.').unwrap();
    yuan.parse::<i64>().unwrap() * 100 + fen.parse::<i64>().unwrap()
}

#[tokio::test]
async fn the_statement_and_overview_headlines_are_what_went_out_and_what_is_counted_with_rejected_apart() {
    // The demo's 150.00 awaiting approval is rejected at the start: a rejected payout of today.
    let app = spawn_app().await;
    let admin = app.login("lin.admin").await;
    let agent = app.login("lin.agent2").await;
    assert_eq!(admin.create(draft(O2, "12.50")).await.status, 201);
    app.settled().await;
    // At the threshold (100.00) a sub-account's payout waits for approval: counted, not paid.
    let waiting = agent.create(draft(O3, "150")).await;
    assert_eq!(waiting.body["status"], "awaiting_approval", "{}", waiting.body);

    let records = admin.get("/api/payouts?from=2026-11-24&to=2026-11-24&per_page=100").await;
    let rows = records.body["items"].as_array().unwrap().clone();
    let of = |keep: &dyn Fn(&str) -> bool| {
        let picked: Vec<&serde_json::Value> =
            rows.iter().filter(|r| keep(r["status"].as_str().unwrap())).collect();
        (picked.len() as u64, picked.iter().map(|r| fen(&r["amount"])).sum::<i64>())
    };
    let counted = of(&|s| s != "failed" && s != "rejected");
    let succeeded = of(&|s| s == "succeeded");
    let rejected = of(&|s| s == "rejected");
    let failed = of(&|s| s == "failed");
    assert!(rejected.0 >= 1 && counted.0 >= 2 && succeeded.0 >= 1, "{rows:?}");

    let s = admin.get("/api/statements/2026-11-24").await.body;
    let t = &s["total"];
    assert_eq!((t["counted_count"].as_u64().unwrap(), fen(&t["counted_amount"])), counted);
    assert_eq!((t["succeeded_count"].as_u64().unwrap(), fen(&t["succeeded_amount"])), succeeded);
    assert!(fen(&t["counted_amount"]) < fen(&t["amount"]), "the rejected 150.00 is not counted");
    let line = |status: &str| {
        let b = s["by_status"].as_array().unwrap().iter().find(|b| b["key"] == status).unwrap().clone();
        (b["count"].as_u64().unwrap(), fen(&b["amount"]))
    };
    assert_eq!(line("rejected"), rejected);
    assert_eq!(line("failed"), failed);
    assert_eq!(line("awaiting_approval"), (1, 15000));

    let o = admin.get("/api/overview").await.body;
    assert_eq!(o["payouts_today"].as_u64().unwrap() as usize, rows.len(), "every payout of today");
    assert_eq!(o["counted_today"].as_u64().unwrap(), counted.0, "the count behind 今日已计入");
    assert_eq!(fen(&o["shop_counted_today"]), counted.1);
    assert_eq!((o["succeeded_today"].as_u64().unwrap(), fen(&o["succeeded_today_amount"])), succeeded);
    assert_eq!(o["rejected_today"].as_u64().unwrap(), rejected.0);
    assert_eq!(o["failed_today"].as_u64().unwrap(), failed.0);

    let csv = admin.http.get(format!("{}/api/statements/2026-11-24.csv", app.url)).send().await.unwrap();
    let csv = csv.text().await.unwrap();
    assert!(csv.contains("分组,项目,笔数,金额（元）,成功笔数,成功金额（元）,计入笔数,计入金额（元）"));
}

#[tokio::test]
async fn the_approval_threshold_and_reason_switch_are_payout_settings() {
    let app = spawn_app().await;
    let admin = app.login("lin.admin").await;
    let settings = admin.get("/api/payout-settings").await;
    assert_eq!(
        (settings.body["approval_threshold"].as_str(), settings.body["require_reason"].as_bool()),
        (Some("100.00"), Some(false))
    );
    let bad = admin
        .put("/api/payout-settings", json!({"source_account": "aggregate", "approval_threshold": "abc"}))
        .await;
    assert_eq!((bad.status.as_u16(), bad.error_code()), (400, "APPROVAL_THRESHOLD_INVALID"));
    let bad = admin
        .put("/api/payout-settings", json!({"source_account": "aggregate", "approval_threshold": "600"}))
        .await;
    assert_eq!(bad.status, 400, "above the largest payout it could never apply");
    let kept = admin.put("/api/payout-settings", json!({"source_account": "custody"})).await;
    assert_eq!(kept.body["approval_threshold"], "100.00", "left out: unchanged");
    let none = admin
        .put("/api/payout-settings", json!({"source_account": "aggregate", "approval_threshold": null}))
        .await;
    assert!(none.body["approval_threshold"].is_null(), "null removes it");
    let agent = app.login("lin.agent2").await;
    assert_eq!(agent.create(draft(O3, "150")).await.body["status"], "pending", "no threshold, no approval");
    let set = admin
        .put("/api/payout-settings", json!({"source_account": "aggregate", "approval_threshold": "50"}))
        .await;
    assert_eq!(set.body["approval_threshold"], "50.00");
    app.clock.advance_secs(61);
    assert_eq!(agent.create(draft(O3, "50")).await.body["status"], "awaiting_approval", "at the threshold");
    assert_eq!(
        agent
            .put("/api/payout-settings", json!({"source_account": "aggregate", "approval_threshold": null}))
            .await
            .status,
        403
    );
}

#[tokio::test]
async fn a_statement_lists_reasons_and_operators_where_they_first_appeared_that_day() {
    let app = spawn_app().await;
    let admin = app.login("lin.admin").await;
    let agent = app.login("lin.agent1").await;
    let mut with_reason = draft(O1, "6");
    with_reason["payout_type"] = json!("shipping");
    with_reason["reason_id"] = admin.get("/api/reasons").await.body["items"][0]["id"].clone();
    assert_eq!(agent.create(with_reason.clone()).await.status, 201);
    app.clock.advance_secs(61);
    assert_eq!(admin.create(draft(O2, "8")).await.status, 201);
    app.clock.advance_secs(61);
    with_reason["confirm_duplicate_shipping"] = json!(true); // R-F10
    let again = agent.create(with_reason.clone()).await;
    assert_eq!(again.status, 201, "{}", again.body);
    app.settled().await;
    let s = admin.get("/api/statements/2026-11-24").await.body;
    let keys = |group: &str| -> Vec<String> {
        s[group].as_array().unwrap().iter().map(|b| b["key"].as_str().unwrap().to_owned()).collect()
    };
    let at = |group: &str, key: &str| keys(group).iter().position(|k| k == key).unwrap();
    let (agent_id, admin_id) = (
        agent.get("/api/session").await.body["user"]["id"].to_string(),
        admin.get("/api/session").await.body["user"]["id"].to_string(),
    );
    let reason = with_reason["reason_id"].to_string();
    assert!(
        at("by_operator", &agent_id) < at("by_operator", &admin_id),
        "the agent paid before the admin: {s}"
    );
    assert!(at("by_reason", &reason) < at("by_reason", "none"), "the reason came before none: {s}");
}
