//! Webhook load benchmark (not part of the test command, SPEC §12.6–§12.7):
//! `cargo bench -p payout-server --bench webhooks` (SQLite) or `… -- --database-url postgres://…`
//! (PostgreSQL; a URL whose user may `CREATE DATABASE`), optionally `--minutes N` (default 1).
//!
//! Runs the real server binary with `--metrics-addr`, two endpoints subscribed to every payout
//! event on a receiver in this process (one answering at once, one after 200 ms), and creates
//! 1,000 payouts a minute at an even pace. Every 5 s it reads the metrics address as `curl` would
//! and prints the webhook outbox backlog; after the load it waits for the backlog to reach zero and
//! says how long that took, and checks the receiver got every event on both endpoints.

mod common;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use common::{free_port, rss_kib, sign_in, Server, Store};

const PER_MINUTE: u64 = 1_000;

/// The `outbox_backlog{outbox="webhooks"}` figure in a Prometheus text page.
fn backlog(page: &str) -> Option<u64> {
    page.lines()
        .find_map(|l| l.strip_prefix(r#"outbox_backlog{outbox="webhooks"} "#))
        .and_then(|v| v.trim().parse().ok())
}

/// A receiver with `/fast` and `/slow` (200 ms): the webhook-ids each got.
async fn receiver() -> (String, Arc<Mutex<[HashSet<String>; 2]>>) {
    let got: Arc<Mutex<[HashSet<String>; 2]>> = Arc::default();
    let record = |n: usize, pause: u64| {
        let got = got.clone();
        move |headers: HeaderMap| {
            let got = got.clone();
            async move {
                tokio::time::sleep(Duration::from_millis(pause)).await;
                let id = headers.get("webhook-id").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                got.lock().unwrap()[n].insert(id);
                StatusCode::OK
            }
        }
    };
    let app = axum::Router::new().route("/fast", post(record(0, 0))).route("/slow", post(record(1, 200)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, got)
}

/// An order file of `n` orders, one item each, so every payout has an order of its own.
fn orders(n: u64) -> String {
    let mut text = String::from(
        "主订单编号,子订单编号,商品名称,商品金额,订单实付金额,下单时间,支付方式,下单渠道,跨境,买家\n",
    );
    for order in 0..n {
        text.push_str(&format!("69202499{order:011},w{order},商品 {order},50.00,50.00,2026-11-20 10:00:00,在线支付,抖音,否,dy_buyer_{order}\n"));
    }
    text
}

#[tokio::main]
async fn main() {
    let minutes: u64 =
        std::env::args().skip_while(|a| a != "--minutes").nth(1).and_then(|m| m.parse().ok()).unwrap_or(1);
    let payouts = PER_MINUTE * minutes;
    let store = Store::from_args("bench_webhooks").await;
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.json");
    let cap = format!("{}.00", payouts * 10);
    std::fs::write(&policy, serde_json::json!({"cooldown_seconds": 0, "shop_daily_cap": cap}).to_string())
        .unwrap();
    let metrics = format!("127.0.0.1:{}", free_port());
    let server = Server::start(
        &store.args,
        &["--allow-insecure-webhooks", "--metrics-addr", &metrics, "--policy", policy.to_str().unwrap()],
    )
    .await;
    let url = server.url.clone();
    let http = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let csrf = sign_in(&http, &url, "lin.admin").await;
    let imported = http
        .post(format!("{url}/api/orders/import"))
        .header("content-type", "text/csv")
        .header("x-csrf-token", &csrf)
        .body(orders(payouts))
        .send()
        .await
        .unwrap();
    assert_eq!(imported.status(), 200, "{}", imported.text().await.unwrap());
    let (hook, got) = receiver().await;
    let events = [
        "payout.created",
        "payout.awaiting_approval",
        "payout.approved",
        "payout.rejected",
        "payout.succeeded",
        "payout.failed",
        "payout.stuck",
    ];
    for path in ["fast", "slow"] {
        let created = http
            .post(format!("{url}/api/webhooks"))
            .header("x-csrf-token", &csrf)
            .header("idempotency-key", format!("bench-hook-{path}"))
            .json(&serde_json::json!({"url": format!("{hook}/{path}"), "events": events}))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 201, "{}", created.text().await.unwrap());
    }
    let page =
        || async { reqwest::get(format!("http://{metrics}/metrics")).await.unwrap().text().await.unwrap() };
    println!("{}: {payouts} payouts over {minutes} min ({PER_MINUTE}/min), two endpoints subscribed; curl http://{metrics}/metrics", store.label);

    // The load: one payout every 60 ms, each on an order of its own.
    let started = Instant::now();
    let mut pace = tokio::time::interval(Duration::from_millis(60_000 / PER_MINUTE));
    let mut made = 0u64;
    let mut report = Instant::now();
    for n in 0..payouts {
        pace.tick().await;
        let answer = http
            .post(format!("{url}/api/payouts"))
            .header("x-csrf-token", &csrf)
            .header("idempotency-key", format!("bench-{n}"))
            .json(&serde_json::json!({"order_no": format!("69202499{n:011}"), "source_account": "aggregate", "payout_type": "other", "amount": "1.00"}))
            .send()
            .await
            .unwrap();
        if answer.status() == 201 {
            made += 1;
        }
        if report.elapsed() >= Duration::from_secs(5) {
            report = Instant::now();
            let page = page().await;
            let delivered: usize = got.lock().unwrap().iter().map(HashSet::len).sum();
            println!(
                "  {:>3} s: {made} payouts made, webhook backlog {} (metric), {delivered} deliveries received, server RSS {} MiB",
                started.elapsed().as_secs(),
                backlog(&page).map_or("—".into(), |b| b.to_string()),
                rss_kib(server.pid()) / 1024
            );
        }
    }
    let load = started.elapsed();
    // Drained: the metric (refreshed every 5 s) says 0 and the receiver has every event twice over.
    let drain = Instant::now();
    let expected = made as usize * 2; // created + succeeded
    loop {
        let delivered = got.lock().unwrap().clone();
        if backlog(&page().await) == Some(0) && delivered.iter().all(|ids| ids.len() == expected) {
            break;
        }
        assert!(drain.elapsed() < Duration::from_secs(300), "the backlog did not drain");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    println!(
        "{}: {made} payouts in {:.1} s ({:.0}/min); every one of {expected} events reached both endpoints; \
         the backlog metric read 0 {:.1} s after the last payout; server RSS {} MiB",
        store.label,
        load.as_secs_f64(),
        made as f64 * 60.0 / load.as_secs_f64(),
        drain.elapsed().as_secs_f64(),
        rss_kib(server.pid()) / 1024
    );
    drop(server);
    store.finish().await;
}
