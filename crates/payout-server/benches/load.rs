//! Load benchmark (not part of the test command): `cargo bench -p payout-server --bench load`.
//!
//! Starts the real server in-process on loopback with a fresh SQLite file (WAL,
//! `synchronous=FULL`), then N concurrent agents create payouts over HTTP for a few seconds at
//! N = 1, 16 and 64, printing throughput and p50/p99 latency. In the same run it measures the raw
//! rate of SQLite write transactions of the same durability (one insert + one update per
//! `BEGIN IMMEDIATE` transaction, no HTTP, no rules) and prints the ratio between the two.
//! Traffic goes only to 127.0.0.1; every loop is bounded in time.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use payout_server::clock::SystemClock;
use payout_server::config::Config;
use payout_server::http::serve;
use payout_server::settlement::Worker;
use payout_server::{app, simulated_rail, start_worker, AppState};
use serde_json::json;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};

const RUN: Duration = Duration::from_secs(4);
/// Orders added for the run; each payout goes to the next one, as real traffic spreads over many
/// orders (one order takes at most 5 payouts, so rules see realistic per-order history).
const ORDERS: i64 = 60_000;

struct Result {
    ok: usize,
    rejected: usize,
    latencies: Vec<Duration>,
}

async fn login(url: &str) -> (reqwest::Client, String) {
    let http = reqwest::Client::builder().cookie_store(true).pool_max_idle_per_host(128).build().unwrap();
    let me: serde_json::Value = http
        .post(format!("{url}/api/session"))
        .json(&json!({"username": "lin.admin", "password": "demo-pass-2026"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (http, me["csrf_token"].as_str().unwrap().to_owned())
}

async fn agents(url: &str, clients: usize, next: Arc<AtomicI64>) -> (Result, Duration) {
    let (http, csrf) = login(url).await;
    let start = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|c| {
            let (http, csrf, url, next) = (http.clone(), csrf.clone(), url.to_owned(), next.clone());
            tokio::spawn(async move {
                let mut r = Result { ok: 0, rejected: 0, latencies: vec![] };
                let mut n = 0u64;
                while start.elapsed() < RUN {
                    n += 1;
                    let order = next.fetch_add(1, Ordering::Relaxed) % ORDERS;
                    let body = json!({"order_no": format!("B{order:018}"), "source_account": "aggregate",
                        "payout_type": "other", "amount": "0.01"});
                    let t = Instant::now();
                    let res = http
                        .post(format!("{url}/api/payouts"))
                        .header("X-CSRF-Token", &csrf)
                        .header("Idempotency-Key", format!("bench-{clients}-{c}-{n}"))
                        .json(&body)
                        .send()
                        .await
                        .unwrap();
                    let status = res.status();
                    let _ = res.bytes().await;
                    r.latencies.push(t.elapsed());
                    if status == 201 {
                        r.ok += 1
                    } else {
                        r.rejected += 1
                    }
                }
                r
            })
        })
        .collect();
    let mut all = Result { ok: 0, rejected: 0, latencies: vec![] };
    for t in tasks {
        let r = t.await.unwrap();
        all.ok += r.ok;
        all.rejected += r.rejected;
        all.latencies.extend(r.latencies);
    }
    (all, start.elapsed())
}

/// Adds [`ORDERS`] eligible orders (`B000…`) with one line item each to the demo shop.
async fn add_orders(db: &std::path::Path) {
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display())).await.unwrap();
    let now = jiff::Timestamp::now().as_millisecond();
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ? - 1) \
         INSERT INTO orders (shop_id, order_no, source_app, paid_fen, ordered_at, online_paid, cross_border) \
         SELECT 1, printf('B%018d', i), 'douyin', 9900, ? - 86400000, 1, 0 FROM n",
    )
    .bind(ORDERS)
    .bind(now)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("INSERT INTO order_items (id, order_id, position, title, amount_fen) SELECT order_no || '-1', id, 0, 'bench item', 9900 FROM orders WHERE order_no LIKE 'B%'")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
}

fn percentile(sorted: &[Duration], p: usize) -> Duration {
    sorted.get((sorted.len() * p / 100).min(sorted.len().saturating_sub(1))).copied().unwrap_or_default()
}

/// Raw SQLite write transactions of the same durability as the store's, one connection, no HTTP.
async fn raw_sqlite_rate(path: &std::path::Path) -> f64 {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full);
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    sqlx::query("CREATE TABLE t (id INTEGER PRIMARY KEY, amount_fen INTEGER, created_at INTEGER)")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("CREATE TABLE a (id INTEGER PRIMARY KEY, reserved_fen INTEGER)")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO a VALUES (1, 0)").execute(&pool).await.unwrap();
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < RUN {
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.unwrap();
        sqlx::query("INSERT INTO t (amount_fen, created_at) VALUES (1, ?)")
            .bind(n as i64)
            .execute(&mut *tx)
            .await
            .unwrap();
        sqlx::query("UPDATE a SET reserved_fen = reserved_fen + 1 WHERE id = 1")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        n += 1;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let policy = dir.path().join("policy.json");
        // The default policy, with a daily cap no run of this length can reach.
        std::fs::write(&policy, r#"{"shop_daily_cap":"1000000.00"}"#).unwrap();
        let mut config = Config::parse_from(["payout-server"]);
        config.addr = "127.0.0.1:0".parse().unwrap();
        config.db = dir.path().join("bench.sqlite");
        config.demo_data = true;
        config.dist = dir.path().to_path_buf();
        config.policy = Some(policy);
        // The default simulated rail: 1.5 s per transfer, so settlement has to keep up by
        // concurrency, as with a real payment rail.
        config.rail_failure_percent = 0;
        config.settle_interval_ms = 50;
        let state = AppState::open(&config, Arc::new(SystemClock)).await.unwrap();
        add_orders(&config.db).await;
        let owner = Worker::new_owner();
        let rail = Arc::new(simulated_rail(&config, &owner));
        let _worker = start_worker(&state, rail, owner, &config);
        let listener = tokio::net::TcpListener::bind(config.addr).await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let limits = config.connection_limits();
        tokio::spawn(serve(listener, app(state), limits, std::future::pending()));

        let raw = raw_sqlite_rate(&dir.path().join("raw.sqlite")).await;
        println!("raw SQLite write transactions (WAL, synchronous=FULL, BEGIN IMMEDIATE, 1 insert + 1 update): {raw:.0}/s");
        println!("{:>8} {:>10} {:>9} {:>10} {:>10} {:>14}", "clients", "created/s", "rejected", "p50 ms", "p99 ms", "vs raw SQLite");
        let next = Arc::new(AtomicI64::new(0));
        let load_start = Instant::now();
        for clients in [1, 16, 64] {
            let (mut r, elapsed) = agents(&url, clients, next.clone()).await;
            r.latencies.sort();
            let rate = r.ok as f64 / elapsed.as_secs_f64();
            println!(
                "{clients:>8} {rate:>10.0} {:>9} {:>10.2} {:>10.2} {:>13.2}x",
                r.rejected,
                percentile(&r.latencies, 50).as_secs_f64() * 1000.0,
                percentile(&r.latencies, 99).as_secs_f64() * 1000.0,
                rate / raw
            );
        }
        // Settlement against creation: what is still reserved when the load stops, and how long
        // the worker takes to finish it.
        let load = load_start.elapsed();
        let count = |sql: &'static str| {
            let db = config.db.clone();
            async move {
                let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display())).await.unwrap();
                let n: i64 = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
                pool.close().await;
                n
            }
        };
        let unfinished = "SELECT COUNT(*) FROM payouts WHERE status IN ('pending','processing')";
        let backlog = count(unfinished).await;
        let created = count("SELECT COUNT(*) FROM payouts WHERE order_no LIKE 'B%'").await;
        let drain = Instant::now();
        while count(unfinished).await > 0 && drain.elapsed() < Duration::from_secs(120) {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        println!(
            "settlement (rail 1.5 s per transfer): {created} created in {:.1} s; {backlog} not yet final when the load stopped; all final {:.1} s later ({} left)",
            load.as_secs_f64(),
            drain.elapsed().as_secs_f64(),
            count(unfinished).await
        );
    });
}
