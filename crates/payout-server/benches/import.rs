//! Import benchmark (not part of the test command): `cargo bench -p payout-server --bench import`
//! (SQLite), `… -- --database-url postgres://…` (PostgreSQL; a URL whose user may
//! `CREATE DATABASE`: the run gets a fresh database, dropped afterwards).
//!
//! Runs the real server binary (release, as `cargo bench` builds it) on loopback with the demo
//! data, uploads an order file of 100,000 lines (33,334 orders of 3 items, about 9 MB, UTF-8) through
//! `POST /api/orders/import`, and prints lines/s and the server's peak resident memory, sampled
//! every 20 ms from /proc, before and during the import; then the same file again (all unchanged)
//! while 4 agents create payouts, to show payouts keep being made during an import.

mod common;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use common::{rss_kib, sample_peak, sign_in, Server, Store};

const LINES: u64 = 100_000;

fn order_file() -> String {
    let mut text = String::from(
        "主订单编号,子订单编号,商品名称,商品金额,订单实付金额,下单时间,支付方式,下单渠道,跨境,买家\n",
    );
    for line in 0..LINES {
        let (order, item) = (line / 3, line % 3);
        text.push_str(&format!(
            "69202415{order:011},i{order}-{item},商品 {order} 号的第 {item} 件,9.90,29.70,2026-11-20 10:00:00,在线支付,抖音,否,dy_buyer_{order}\n"
        ));
    }
    text
}

async fn run(store: &Store) {
    let label = store.label;
    let server = Server::start(&store.args, &[]).await;
    let (url, pid) = (server.url.clone(), server.pid());
    let http = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let csrf = sign_in(&http, &url, "lin.admin").await;
    let file = order_file();
    let idle = rss_kib(pid);
    let import = |file: String| {
        let (http, url, csrf) = (http.clone(), url.clone(), csrf.clone());
        async move {
            let started = Instant::now();
            let answer: serde_json::Value = http
                .post(format!("{url}/api/orders/import"))
                .header("content-type", "text/csv")
                .header("x-csrf-token", csrf)
                .body(file)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            (started.elapsed(), answer)
        }
    };
    let peak = sample_peak(pid);
    let (took, report) = import(file.clone()).await;
    peak.1.abort();
    let peak = peak.0.load(Ordering::Relaxed);
    println!(
        "{label}: {LINES} lines ({} orders created, {} rejected, {:.1} MB) in {:.2} s = {:.0} lines/s; server RSS {} MiB idle, peak {} MiB during the import",
        report["orders_created"],
        report["orders_rejected"],
        file.len() as f64 / 1e6,
        took.as_secs_f64(),
        LINES as f64 / took.as_secs_f64(),
        idle / 1024,
        peak / 1024,
    );
    // Again (every order unchanged), while agents pay: payouts go on between batches.
    let stop = Instant::now() + Duration::from_secs(60);
    let agents: Vec<_> = (0..4)
        .map(|n| {
            let url = url.clone();
            tokio::spawn(async move {
                let http = reqwest::Client::builder().cookie_store(true).build().unwrap();
                let csrf = sign_in(&http, &url, "lin.admin").await;
                let (mut made, mut slowest) = (0u32, Duration::ZERO);
                let mut next = 0u64;
                while Instant::now() < stop {
                    let order = format!("69202415{:011}", n * 8_000 + next);
                    next += 1;
                    let started = Instant::now();
                    let answer = http
                        .post(format!("{url}/api/payouts"))
                        .header("x-csrf-token", &csrf)
                        .header("idempotency-key", format!("bench-{n}-{next}"))
                        .json(&serde_json::json!({"order_no": order, "source_account": "aggregate", "payout_type": "other", "amount": "1.00"}))
                        .send()
                        .await;
                    slowest = slowest.max(started.elapsed());
                    if answer.is_ok_and(|r| r.status() == 201) {
                        made += 1;
                    }
                    if made >= 200 {
                        break;
                    }
                }
                (made, slowest)
            })
        })
        .collect();
    let peak_during = sample_peak(pid);
    let (again_took, again) = import(file).await;
    let mut made = 0;
    let mut slowest = Duration::ZERO;
    for agent in agents {
        let (m, s) = agent.await.unwrap();
        made += m;
        slowest = slowest.max(s);
    }
    peak_during.1.abort();
    println!(
        "{label}: the same file again with 4 agents paying: {:.2} s ({} unchanged, {} updated — paid orders keep their amounts); \
         {made} payouts made meanwhile, the slowest answered in {} ms; server RSS peak {} MiB",
        again_took.as_secs_f64(),
        again["orders_unchanged"],
        again["orders_updated"],
        slowest.as_millis(),
        peak_during.0.load(Ordering::Relaxed) / 1024
    );
    drop(server);
}

#[tokio::main]
async fn main() {
    let store = Store::from_args("bench_import").await;
    run(&store).await;
    store.finish().await;
}
