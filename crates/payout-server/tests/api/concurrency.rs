//! 64 clients racing: no counted total passes its cap, no account goes below zero available, and
//! exactly as many payouts are accepted as the caps allow. Every race runs through two servers on
//! one SQLite file, each with its own store and in-process write queue, so what keeps the limits
//! is the database transaction (`BEGIN IMMEDIATE`), not a lock inside one process.

use futures::future::join_all;
use serde_json::json;

use crate::helpers::*;

/// A policy without cooldown, so the other limits are what the racers hit.
fn no_cooldown(extra: serde_json::Value) -> Spawn {
    let mut policy = json!({"cooldown_seconds": 0, "max_payouts_per_order": 1000});
    policy.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    Spawn { policy: Some(policy), second_server: true, ..Spawn::default() }
}

/// `n` concurrent creations, every other one through the second server with the same session.
async fn race(client: &Client, n: usize, order: &str, amount: &str) -> (usize, Vec<String>) {
    let app_second = client.on_second();
    let answers = join_all((0..n).map(|i| {
        let via = if i % 2 == 0 { client } else { &app_second };
        via.create(draft(order, amount))
    }))
    .await;
    assert!(answers.iter().all(|a| a.status == 201 || a.status == 422), "only 201 or 422, never an error");
    let accepted = answers.iter().filter(|a| a.status == 201).count();
    let codes = answers.iter().flat_map(|a| a.codes()).collect();
    (accepted, codes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r_l1_64_racers_on_one_order_get_exactly_five_payouts() {
    let app = spawn_with(no_cooldown(json!({"max_payouts_per_order": 5}))).await;
    let admin = app.login("lin.admin").await;
    let (accepted, codes) = race(&admin, 64, O3, "10").await;
    assert_eq!(accepted, 5);
    assert!(codes.iter().all(|c| c == "ORDER_COUNT_LIMIT"), "{codes:?}");
    assert_money_invariants(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r_l2_64_racers_never_pass_the_order_cap() {
    let app = spawn_with(no_cooldown(json!({}))).await;
    let admin = app.login("lin.admin").await;
    let (accepted, _) = race(&admin, 64, O3, "150").await;
    assert_eq!(accepted, 3, "3 × 150 = 450 ≤ 500 < 600");
    assert_eq!(
        app.scalar("SELECT SUM(amount_fen) FROM payouts WHERE order_no = '6920241100000000003'").await,
        45_000
    );
    assert_money_invariants(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r_l3_64_racers_with_the_cooldown_get_exactly_one_payout() {
    let app = spawn_with(Spawn { second_server: true, ..Spawn::default() }).await;
    let admin = app.login("lin.admin").await;
    let (accepted, codes) = race(&admin, 64, O3, "1").await;
    assert_eq!(accepted, 1);
    assert_eq!(codes.len(), 63);
    assert!(codes.iter().all(|c| c == "ORDER_COOLDOWN"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r_l4_64_racers_never_pass_the_shop_daily_cap() {
    let app = spawn_with(no_cooldown(json!({"shop_daily_cap": "100.00"}))).await;
    let admin = app.login("lin.admin").await;
    let agent = app.login("lin.agent2").await;
    let (a, b) = tokio::join!(race(&admin, 32, O3, "7"), race(&agent, 32, O2, "7"));
    assert_eq!(a.0 + b.0, 14, "14 × 7 = 98 ≤ 100 < 105");
    let today = app
        .scalar(&format!(
            "SELECT SUM(amount_fen) FROM payouts WHERE {COUNTED} AND business_date = '2026-11-24'"
        ))
        .await;
    assert_eq!(today, 9_800);
    assert_money_invariants(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r_l5_64_racers_never_pass_an_agents_daily_quota() {
    let app = spawn_with(no_cooldown(json!({}))).await;
    app.sql(
        "UPDATE users SET per_payout_limit_fen = 5000, daily_limit_fen = 10000 WHERE username = 'lin.agent2'",
    )
    .await;
    let agent = app.login("lin.agent2").await;
    let (accepted, _) = race(&agent, 64, O3, "9").await;
    assert_eq!(accepted, 11, "11 × 9 = 99 ≤ 100 < 108");
    assert_money_invariants(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r_f8_64_racers_never_take_an_account_below_zero_available() {
    let app = spawn_with(no_cooldown(json!({}))).await;
    // Custody holds 30.00; each payout wants 4.00 → exactly 7 fit.
    app.sql("UPDATE accounts SET balance_fen = 3000 WHERE shop_id = 1 AND kind = 'custody'").await;
    let admin = app.login("lin.admin").await;
    let second = admin.on_second();
    let answers = join_all((0..64).map(|i| {
        let mut d = draft(O3, "4");
        d["source_account"] = json!("custody");
        if i % 2 == 0 {
            admin.create(d)
        } else {
            second.create(d)
        }
    }))
    .await;
    assert_eq!(answers.iter().filter(|a| a.status == 201).count(), 7);
    assert_money_invariants(&app).await;
    app.settled().await;
    assert_eq!(
        app.scalar("SELECT balance_fen FROM accounts WHERE shop_id = 1 AND kind = 'custody'").await,
        200
    );
    assert_money_invariants(&app).await;
}
