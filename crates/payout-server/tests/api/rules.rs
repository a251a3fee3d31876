//! Every rule of SPEC §4 refused through the API, with its code and figures.

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn r_e1_unknown_and_other_shops_orders_get_the_same_404() {
    let app = spawn_app().await;
    let admin = app.login("lin.admin").await;
    let missing = admin.context("6920249999999999999").await;
    let foreign = admin.context(ZHOU_ORDER).await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.error_code(), "ORDER_NOT_FOUND");
    assert_eq!(foreign.status, 404);
    assert_eq!(foreign.body, missing.body, "another shop's order is indistinguishable from a missing one");
    let create = admin.create(draft(ZHOU_ORDER, "5")).await;
    assert_eq!((create.status.as_u16(), create.error_code()), (404, "ORDER_NOT_FOUND"));
}

#[tokio::test]
async fn r_e2_to_r_e5_ineligible_orders_name_their_reason_on_lookup_and_on_payout() {
    let app = spawn_app().await;
    let admin = app.login("lin.admin").await;
    for (order, code) in [
        ("6920241100000000004", "ORDER_SOURCE_NOT_ELIGIBLE"),
        ("6920241100000000005", "ORDER_NOT_ONLINE_PAID"),
        ("6920241100000000006", "ORDER_TOO_OLD"),
        ("6920241100000000007", "ORDER_CROSS_BORDER"),
    ] {
        let ctx = admin.context(order).await;
        assert_eq!(ctx.status, 200);
        assert_eq!(ctx.body["eligibility"]["eligible"], false, "{order}");
        let codes: Vec<_> = ctx.body["eligibility"]["violations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["code"].clone())
            .collect();
        assert_eq!(codes, [json!(code)], "{order}");
        let create = admin.create(draft(order, "5")).await;
        assert_eq!(create.status, 422, "{order}");
        assert!(create.codes().contains(&code.to_owned()), "{order}: {:?}", create.codes());
    }
}

#[tokio::test]
async fn r_e4_an_order_becomes_too_old_when_the_clock_passes_twelve_months() {
    let app = spawn_app().await;
    let admin = app.login("lin.admin").await;
    assert_eq!(admin.context(O1).await.body["eligibility"]["eligible"], true);
    app.clock.advance_secs(366 * 86_400);
    let admin = app.login("lin.admin").await; // the old session expired long ago
    let ctx = admin.context(O1).await;
    assert_eq!(ctx.body["eligibility"]["violations"][0]["code"], "ORDER_TOO_OLD");
}

#[tokio::test]
async fn r_e6_a_suspended_shop_cannot_pay() {
    let app = spawn_app().await;
    let sun = app.login("sun.admin").await;
    let ctx = sun.context(SUN_ORDER).await;
    assert_eq!(ctx.body["eligibility"]["violations"][0]["code"], "SHOP_NOT_ACTIVE");
    let create = sun.create(draft(SUN_ORDER, "5")).await;
    assert_eq!(create.status, 422);
    assert_eq!(create.codes(), ["SHOP_NOT_ACTIVE"]);
}

#[tokio::test]
async fn r_p1_a_sub_account_without_permission_is_refused() {
    let app = spawn_app().await;
    let viewer = app.login("lin.viewer").await;
    for answer in
        [viewer.context(O1).await, viewer.create(draft(O1, "5")).await, viewer.get("/api/payouts").await]
    {
        assert_eq!((answer.status.as_u16(), answer.error_code()), (403, "NOT_AUTHORIZED"));
    }
    let me = viewer.get("/api/session").await;
    assert_eq!(me.body["permissions"]["payout"], false);
}

#[tokio::test]
async fn r_p2_a_sub_account_with_zero_quota_cannot_pay() {
    let app = spawn_app().await;
    let admin = app.login("lin.admin").await;
    let agent = app.login("lin.agent1").await;
    let set = admin
        .put("/api/quotas/2", json!({"per_payout_limit": "0", "daily_limit": "0", "enabled": true}))
        .await;
    assert_eq!(set.status, 200, "{}", set.body);
    let create = agent.create(draft(O2, "5")).await;
    assert_eq!(create.status, 422);
    assert!(create.codes().contains(&"OPERATOR_NO_QUOTA".to_owned()), "{:?}", create.codes());
}

#[tokio::test]
async fn r_l1_the_sixth_counted_payout_is_refused_with_the_count() {
    let app = spawn_app().await;
    let admin = app.login("lin.admin").await;
    let create = admin.create(draft(O8, "5")).await;
    assert_eq!(create.status, 422);
    let v = create.violation("ORDER_COUNT_LIMIT");
    assert_eq!(
        (v["rule"].as_str(), v["count_limit"].as_u64(), v["count_used"].as_u64()),
        (Some("R-L1"), Some(5), Some(5))
    );
}

#[tokio::test]
async fn r_l2_and_r_f2_the_order_cap_binds_counted_payouts() {
    let app = spawn_app().await;
    let admin = app.login("lin.admin").await;
    let over = admin.create(draft(O2, "128.01")).await;
    assert_eq!(over.status, 422);
    let v = over.violation("AMOUNT_OVER_ORDER_REMAINING");
    assert_eq!((v["limit"].as_str(), v["remaining"].as_str()), (Some("128.00"), Some("128.00")));

    // D1: an order paid 15.00 may still receive 20.00 in total.
    assert_eq!(admin.create(draft(O1, "20")).await.status, 201);
    app.clock.advance_secs(61);
    let full = admin.create(draft(O1, "0.01")).await;
    assert_eq!(full.status, 422);
    let v = full.violation("ORDER_AMOUNT_LIMIT");
    assert_eq!(
        (v["limit"].as_str(), v["used"].as_str(), v["remaining"].as_str()),
        (Some("20.00"), Some("20.00"), Some("0.00"))
    );
}

#[tokio::test]
async fn r_l3_a_second_payout_within_60s_is_refused_with_the_seconds_left() {
    let app = spawn_app().await;
    let admin = app.login("lin.admin").await;
    assert_eq!(admin.create(draft(O3, "10")).await.status, 201);
    app.clock.advance_secs(59);
    let early = admin.create(draft(O3, "10")).await;
    assert_eq!(early.status, 422);
    assert_eq!(early.violation("ORDER_COOLDOWN")["seconds_left"], 1);
    assert_eq!(admin.context(O3).await.body["meters"]["cooldown_seconds_left"], 1);
    app.clock.advance_secs(1);
    assert_eq!(admin.create(draft(O3, "10")).await.status, 201);
}

#[tokio::test]
async fn r_l3_a_payout_at_x_999_keeps_the_order_closed_for_the_full_cooldown_to_the_millisecond() {
    // Found in review: both instants were truncated to whole seconds, so the next payout went
    // through 59.001 s after one made at x.999 s.
    let app = spawn_app().await;
    let admin = app.login("lin.admin").await;
    app.clock.set(payout_core::Time::parse("2026-11-24T10:00:00.999+08:00").unwrap());
    assert_eq!(admin.create(draft(O3, "10")).await.status, 201);
    app.clock.advance_millis(59_999);
    let early = admin.create(draft(O3, "10")).await;
    assert_eq!(early.codes(), ["ORDER_COOLDOWN"], "59.999 s after: {}", early.body);
    assert_eq!(early.violation("ORDER_COOLDOWN")["seconds_left"], 1, "the seconds shown round up");
    assert_eq!(admin.context(O3).await.body["meters"]["cooldown_seconds_left"], 1);
    app.clock.advance_millis(1);
    assert_eq!(admin.create(draft(O3, "10")).await.status, 201, "open at exactly 60.000 s");
}

#[tokio::test]
async fn r_f14_the_buyer_message_is_filled_from_the_payout_as_created() {
    // Found in review: the dialog filled `{amount}` once, so a message said ¥18.80 while ¥18.90
    // was paid. The server fills the placeholders from the payout it creates.
    let app = spawn_app().await;
    let admin = app.login("lin.admin").await;
    let typed = json!({"order_no": O2, "source_account": "aggregate", "payout_type": "price_difference",
        "amount": "18.9", "buyer_message": "订单 {order_no} 补差价 ¥{amount}，{shop_name}"});
    let created = admin.create(typed).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let expected = format!("订单 {O2} 补差价 ¥18.90，林记家居旗舰店");
    assert_eq!(created.body["buyer_message"], expected.as_str());
    let id = created.body["id"].as_i64().unwrap();
    assert_eq!(admin.get(&format!("/api/payouts/{id}")).await.body["buyer_message"], expected.as_str());
    let csv = admin
        .http
        .get(format!("{}/api/payouts/export.csv", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.contains(&expected), "the CSV says what the buyer got");
    // Left out, the reason's template is filled from the payout the same way.
    app.clock.advance_secs(60);
    let reasons = admin.get("/api/reasons").await;
    let reason = reasons.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["payout_type"] == "price_difference")
        .unwrap()
        .clone();
    let from_template = admin
        .create(json!({"order_no": O2, "source_account": "aggregate", "payout_type": "price_difference",
            "amount": "7.5", "reason_id": reason["id"]}))
        .await;
    let message = from_template.body["buyer_message"].as_str().unwrap().to_owned();
    assert!(message.contains("¥7.50") && message.contains(O2) && !message.contains('{'), "{message}");
}

#[tokio::test]
async fn r_l3_d3_a_failed_payout_still_starts_the_cooldown_but_frees_its_slot() {
    let app = spawn_with(Spawn { rail_failure_percent: 100, ..Spawn::default() }).await;
    let admin = app.login("lin.admin").await;
    let first = admin.create(draft(O2, "100")).await;
    assert_eq!(first.status, 201);
    app.settled().await;
    let detail = admin.get(&format!("/api/payouts/{}", first.body["id"])).await;
    assert_eq!(detail.body["status"], "failed");
    assert!(detail.body["failure_reason"].as_str().is_some_and(|r| !r.is_empty()));
    let statuses: Vec<_> =
        detail.body["events"].as_array().unwrap().iter().map(|e| e["status"].clone()).collect();
    assert_eq!(statuses, [json!("pending"), json!("processing"), json!("failed")]);
    assert_eq!(admin.create(draft(O2, "100")).await.codes(), ["ORDER_COOLDOWN"]);
    app.clock.advance_secs(60);
    // D2: the failed 100.00 does not count, so 100.00 fits again under the 128.00 cap.
    assert_eq!(admin.create(draft(O2, "100")).await.status, 201);
}

#[tokio::test]
async fn r_l4_r_f5_the_shop_daily_cap_resets_at_utc8_midnight() {
    let app = spawn_with(Spawn {
        policy: Some(json!({"shop_daily_cap": "30.00"})),
        start: "2026-11-24T23:58:00+08:00",
        ..Spawn::default()
    })
    .await;
    let admin = app.login("lin.admin").await;
    let over = admin.create(draft(O2, "30.01")).await;
    assert_eq!(over.violation("AMOUNT_OVER_SHOP_DAILY_REMAINING")["remaining"], "30.00");
    assert_eq!(admin.create(draft(O2, "30")).await.status, 201);
    app.clock.advance_secs(61); // 23:59:01, same business day
    let full = admin.create(draft(O3, "1")).await;
    assert!(full.codes().contains(&"SHOP_DAILY_LIMIT".to_owned()), "{:?}", full.codes());
    // 2026-11-24T16:00:00Z is midnight in UTC+8: a new business day, though still the 24th in UTC.
    app.clock.set(payout_core::Time::parse("2026-11-24T16:00:00Z").unwrap());
    assert_eq!(admin.create(draft(O3, "1")).await.status, 201);
}

#[tokio::test]
async fn r_l5_r_f3_r_f4_a_sub_accounts_quota_binds_per_payout_and_per_day() {
    let app = spawn_app().await;
    let admin = app.login("lin.admin").await;
    let agent = app.login("lin.agent1").await;
    let per = agent.create(draft(O3, "60")).await;
    assert_eq!(per.violation("AMOUNT_OVER_OPERATOR_PER_PAYOUT")["limit"], "50.00");

    let set = admin
        .put("/api/quotas/2", json!({"per_payout_limit": "50", "daily_limit": "80", "enabled": true}))
        .await;
    assert_eq!(set.status, 200);
    assert_eq!(agent.create(draft(O3, "50")).await.status, 201);
    app.clock.advance_secs(60);
    let daily = agent.create(draft(O3, "30.01")).await;
    let v = daily.violation("AMOUNT_OVER_OPERATOR_DAILY_REMAINING");
    assert_eq!(
        (v["limit"].as_str(), v["used"].as_str(), v["remaining"].as_str()),
        (Some("80.00"), Some("50.00"), Some("30.00"))
    );
    assert_eq!(agent.create(draft(O3, "30")).await.status, 201);
    app.clock.advance_secs(60);
    let used_up = agent.create(draft(O3, "1")).await;
    assert!(used_up.codes().contains(&"OPERATOR_DAILY_LIMIT".to_owned()), "{:?}", used_up.codes());
    // D4: the main account has no personal quota.
    assert_eq!(admin.create(draft(O2, "60")).await.status, 201);
}

#[tokio::test]
async fn r_f1_bad_amount_syntax_is_a_400_with_the_violation() {
    let app = spawn_app().await;
    let admin = app.login("lin.admin").await;
    let answer = admin.create(draft(O2, "0.001")).await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.codes(), ["AMOUNT_INVALID"]);
    assert_eq!(answer.body["error"]["violations"][0]["rule"], "R-F1");
}

#[tokio::test]
async fn r_f6_r_f7_an_individual_shop_cannot_pay_from_the_aggregate_account() {
    let app = spawn_app().await;
    let zhou = app.login("zhou.admin").await;
    let ctx = zhou.context(ZHOU_ORDER).await;
    let aggregate = &ctx.body["source_accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "aggregate")
        .unwrap()
        .clone();
    assert_eq!(aggregate["allowed"], false);
    assert!(aggregate["reason_zh"].as_str().unwrap().contains("管家账户"));
    let create = zhou.create(draft(ZHOU_ORDER, "5")).await;
    assert_eq!(create.codes(), ["SOURCE_ACCOUNT_NOT_ALLOWED", "AGGREGATE_ACCOUNT_NOT_OPENED"]);
    let mut custody = draft(ZHOU_ORDER, "5");
    custody["source_account"] = json!("custody");
    assert_eq!(zhou.create(custody).await.status, 201);
    let settings = zhou.put("/api/payout-settings", json!({"source_account": "aggregate"})).await;
    assert_eq!(
        (settings.status.as_u16(), settings.codes()),
        (422, vec!["SOURCE_ACCOUNT_NOT_ALLOWED".to_owned()])
    );
}

#[tokio::test]
async fn r_f8_frozen_funds_are_not_available_and_the_answer_says_how_much_is_frozen() {
    let app = spawn_app().await;
    app.sql("UPDATE accounts SET balance_fen = 121000 WHERE shop_id = 1 AND kind = 'aggregate'").await;
    let admin = app.login("lin.admin").await;
    let answer = admin.create(draft(O2, "10.01")).await;
    assert_eq!(answer.status, 422);
    let v = answer.violation("INSUFFICIENT_AVAILABLE_BALANCE");
    assert_eq!((v["remaining"].as_str(), v["frozen"].as_str()), (Some("10.00"), Some("1200.00")));
    assert!(v["message_zh"].as_str().unwrap().contains("冻结"));
    assert!(v["message_en"].as_str().unwrap().contains("frozen"));
    assert_eq!(admin.create(draft(O2, "10")).await.status, 201);
}

#[tokio::test]
async fn r_f9_the_linked_product_must_be_a_line_item_of_the_order() {
    let app = spawn_app().await;
    let admin = app.login("lin.admin").await;
    let mut d = draft(O2, "5");
    d["linked_item_id"] = json!("6920241100000000003-1");
    assert_eq!(admin.create(d.clone()).await.codes(), ["LINKED_ITEM_NOT_IN_ORDER"]);
    d["linked_item_id"] = json!("6920241100000000002-2");
    assert_eq!(admin.create(d).await.status, 201);
}

#[tokio::test]
async fn r_f10_a_second_shipping_payout_needs_explicit_confirmation() {
    let app = spawn_app().await;
    let admin = app.login("lin.admin").await;
    let mut d = draft(O9, "6");
    d["payout_type"] = json!("shipping");
    assert_eq!(admin.create(d.clone()).await.codes(), ["DUPLICATE_SHIPPING_CONFIRMATION_REQUIRED"]);
    d["confirm_duplicate_shipping"] = json!(true);
    assert_eq!(admin.create(d).await.status, 201);
}

#[tokio::test]
async fn r_f11_an_unknown_payout_type_is_a_400() {
    let app = spawn_app().await;
    let admin = app.login("lin.admin").await;
    let mut d = draft(O2, "5");
    d["payout_type"] = json!("bonus");
    let answer = admin.create(d).await;
    assert_eq!((answer.status.as_u16(), answer.codes()), (400, vec!["PAYOUT_TYPE_INVALID".to_owned()]));
}

#[tokio::test]
async fn check_gives_exactly_the_verdict_creating_would_give() {
    let app = spawn_app().await;
    let agent = app.login("lin.agent1").await;
    for (order, amount) in [(O1, "20.01"), (O2, "60"), (O8, "5"), (O2, "12.50")] {
        let check = agent.post("/api/payouts/check", draft(order, amount)).await;
        assert_eq!(check.status, 200);
        let create = agent.create(draft(order, amount)).await;
        assert_eq!(check.codes(), create.codes(), "{order} {amount}");
        assert_eq!(check.body["ok"], create.status == 201);
    }
}

#[tokio::test]
async fn a_failed_payout_can_be_paid_again() {
    let app = spawn_app().await;
    let admin = app.login("lin.admin").await;
    let ctx = admin.context(O10).await;
    assert_eq!(ctx.body["payouts"][0]["status"], "failed");
    assert_eq!(ctx.body["meters"]["order_counted"], "0.00");
    let mut again = draft(O10, "12");
    again["payout_type"] = json!("product_issue");
    assert_eq!(admin.create(again).await.status, 201);
}
