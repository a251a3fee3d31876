//! SPEC §11.3 and §11.4: the buyer is notified at least once, through retries, from an outbox row
//! written with `succeeded`; a payout processing too long is shown stuck and can be asked about
//! again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use payout_server::notifier::Notifier;
use payout_server::rail::Transient;
use serde_json::json;

use crate::helpers::*;

/// Fails the first `failures` attempts of every notification, then delivers; counts both.
#[derive(Default)]
struct Flaky {
    failures: u32,
    attempts: Mutex<HashMap<String, u32>>,
    delivered: Mutex<Vec<(String, String)>>,
}

#[async_trait]
impl Notifier for Flaky {
    async fn notify(&self, reference: &str, _payout_id: i64, text: &str) -> Result<(), Transient> {
        let attempt = {
            let mut attempts = self.attempts.lock().unwrap();
            let n = attempts.entry(reference.to_owned()).or_default();
            *n += 1;
            *n
        };
        if attempt <= self.failures {
            return Err(Transient(format!("channel down (attempt {attempt})")));
        }
        self.delivered.lock().unwrap().push((reference.to_owned(), text.to_owned()));
        Ok(())
    }
}

#[tokio::test]
async fn the_buyer_is_notified_once_through_retries_and_the_order_page_says_when() {
    let flaky = Arc::new(Flaky { failures: 2, ..Flaky::default() });
    let app = spawn_with(Spawn { notifier: Some(flaky.clone()), ..Spawn::default() }).await;
    let admin = app.login("lin.admin").await;
    let reason = admin.get("/api/reasons").await.body["items"][1]["id"].clone();
    let mut d = draft(O2, "12.5");
    d["reason_id"] = reason;
    d["note"] = json!("内部：客户很急");
    let id = admin.create(d).await.body["id"].as_i64().unwrap();
    app.settled().await;
    // The outbox row was written with `succeeded`; the first two attempts fail and are retried
    // after 1 s and 2 s of the (hand-moved) clock.
    assert_eq!(app.scalar(&format!("SELECT COUNT(*) FROM notifications WHERE payout_id = {id}")).await, 1);
    let mut notified = serde_json::Value::Null;
    for _ in 0..200 {
        app.clock.advance_secs(1);
        tokio::time::sleep(Duration::from_millis(20)).await;
        notified = admin.context(O2).await.body["payouts"][0]["buyer_notified_at"].clone();
        if !notified.is_null() {
            break;
        }
    }
    assert!(notified.as_str().is_some_and(|t| t.ends_with("+08:00")), "buyer notified at: {notified}");
    let delivered = flaky.delivered.lock().unwrap().clone();
    assert_eq!(delivered.len(), 1, "delivered once");
    assert_eq!(
        flaky.attempts.lock().unwrap().values().copied().collect::<Vec<_>>(),
        [3],
        "after two failures"
    );
    let text = &delivered[0].1;
    assert!(text.starts_with("您收到商家 林记家居旗舰店 的小额打款 ¥12.50，已到账抖音零钱"), "{text}");
    assert!(text.contains(O2), "the buyer message from the reason's template: {text}");
    assert!(!text.contains("内部"), "the internal note never reaches the buyer: {text}");
    // Failed payouts notify nobody.
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM notifications").await,
        app.scalar("SELECT COUNT(*) FROM payouts WHERE status = 'succeeded' AND id > 8").await
    );
}

/// Waits until the payout is `processing` (handed to the rail).
async fn until_processing(admin: &Client, id: i64) {
    eventually(WORKERS, "the payout is handed to the rail", || async {
        admin.get(&format!("/api/payouts/{id}")).await.body["status"] == "processing"
    })
    .await;
}

#[tokio::test]
async fn a_payout_processing_over_30_minutes_is_stuck_and_the_main_account_asks_the_rail_about_it() {
    // The rail takes 3 s of real time; meanwhile the (hand-moved) clock passes 30 minutes.
    let app = spawn_with(Spawn { rail_latency_ms: 3_000, ..Spawn::default() }).await;
    let admin = app.login("lin.admin").await;
    let agent = app.login("lin.agent2").await;
    let id = admin.create(draft(O2, "8")).await.body["id"].as_i64().unwrap();
    until_processing(&admin, id).await;
    app.clock.advance_secs(30 * 60);
    let at_30 = admin.get(&format!("/api/payouts/{id}")).await.body;
    assert_eq!(
        (at_30["status"].as_str(), at_30["stuck"].as_bool()),
        (Some("processing"), Some(false)),
        "30 min is not yet stuck"
    );
    // Only a stuck payout may be queried: the worker is still on this one.
    let early = admin.post(&format!("/api/payouts/{id}/status-query"), json!({})).await;
    assert_eq!((early.status.as_u16(), early.error_code()), (409, "NOT_STUCK"));
    app.clock.advance_secs(1);
    assert_eq!(admin.get(&format!("/api/payouts/{id}")).await.body["stuck"], true);
    assert_eq!(agent.get("/api/payouts").await.body["items"][0]["stuck"], true, "on the records");
    assert_eq!(agent.context(O2).await.body["payouts"][0]["stuck"], true, "on the workbench and order page");

    assert_eq!(agent.post(&format!("/api/payouts/{id}/status-query"), json!({})).await.status, 403);
    let zhou = app.login("zhou.admin").await;
    assert_eq!(zhou.post(&format!("/api/payouts/{id}/status-query"), json!({})).await.status, 404);
    let asked = admin.post(&format!("/api/payouts/{id}/status-query"), json!({})).await;
    assert_eq!(asked.status, 200, "{}", asked.body);
    assert_eq!(asked.body["status"], "processing", "the rail has not finished: nothing is sent again");
    assert_eq!(app.rail_calls(&format!("payout-{id}")), (1, 1), "one transfer, one status query");
    // The rail finishes; once the query's claim has ended the worker asks and records it, once.
    tokio::time::sleep(Duration::from_millis(3_000)).await;
    app.clock.advance_secs(11);
    eventually(WORKERS, "the worker records the rail's answer", || async {
        admin.get(&format!("/api/payouts/{id}")).await.body["status"] == "succeeded"
    })
    .await;
    let finals = app
        .scalar(&format!(
            "SELECT COUNT(*) FROM payout_events WHERE payout_id = {id} AND status = 'succeeded'"
        ))
        .await;
    assert_eq!(finals, 1);
    assert_eq!(app.rail_calls(&format!("payout-{id}")).0, 1, "the payout reached the rail once");
    assert_eq!(
        app.scalar("SELECT balance_fen FROM accounts WHERE shop_id = 1 AND kind = 'aggregate'").await,
        2_000_000 - 800
    );
    assert_eq!(app.scalar("SELECT SUM(reserved_fen) FROM accounts").await, 0);
    let again = admin.post(&format!("/api/payouts/{id}/status-query"), json!({})).await;
    assert_eq!((again.status.as_u16(), again.error_code()), (409, "NOT_STUCK"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_status_queries_of_a_stuck_payout_at_once_make_one_rail_call_and_no_transfer() {
    // Found in review: each query re-sent the transfer; 32 at once made 32 transfer calls.
    let app = spawn_with(Spawn { rail_latency_ms: 3_000, ..Spawn::default() }).await;
    let admin = app.login("lin.admin").await;
    let id = admin.create(draft(O2, "8")).await.body["id"].as_i64().unwrap();
    until_processing(&admin, id).await;
    app.clock.advance_secs(31 * 60);
    let path = format!("/api/payouts/{id}/status-query");
    let answers = futures::future::join_all((0..32).map(|_| admin.post(&path, json!({})))).await;
    let asked = answers.iter().filter(|a| a.status == 200).count();
    let busy = answers.iter().filter(|a| a.error_code() == "STATUS_QUERY_IN_PROGRESS").count();
    assert_eq!((asked, busy), (1, 31), "{:?}", answers.iter().map(|a| a.status).collect::<Vec<_>>());
    assert_eq!(app.rail_calls(&format!("payout-{id}")), (1, 1), "one transfer (the worker's), one query");
}

#[tokio::test]
async fn a_rail_slower_than_the_timeout_gets_status_queries_not_a_second_transfer_and_settles() {
    // Found in review: a rail slower than --rail-timeout-ms got the payout re-sent every ~10 s,
    // and it never settled without a query.
    let app =
        spawn_with(Spawn { rail_latency_ms: 1_500, rail_timeout_ms: Some(300), ..Spawn::default() }).await;
    let admin = app.login("lin.admin").await;
    let id = admin.create(draft(O2, "8")).await.body["id"].as_i64().unwrap();
    eventually(WORKERS, "the slow rail's payout settles", || async {
        admin.get(&format!("/api/payouts/{id}")).await.body["status"] == "succeeded"
    })
    .await;
    let (transfers, queries) = app.rail_calls(&format!("payout-{id}"));
    assert_eq!(transfers, 1, "sent once, then asked about");
    assert!(queries >= 1, "the worker asked the rail for the outcome");
    assert_money_invariants(&app).await;
}
