//! Load benchmark (not part of the test command): `cargo bench -p payout-server --bench load`.
//!
//! Starts the real server in-process on loopback with a fresh SQLite file (WAL,
//! `synchronous=FULL`), then N concurrent agents create payouts over HTTP for a few seconds at
//! N = 1, 16 and 64, printing throughput and p50/p99 latency. In the same run it measures the raw
//! rate of SQLite write transactions of the same durability (one insert + one update per
//! `BEGIN IMMEDIATE` transaction, no HTTP, no rules) and prints the ratio between the two.
//!
//! With `-- --store postgres` it runs against the PostgreSQL server at `BENCH_DATABASE_URL`
//! instead (a URL whose user may `CREATE DATABASE`; every scenario gets a fresh database, dropped
//! afterwards). It first measures the raw rate of durable PostgreSQL write transactions (one
//! insert + one update, `synchronous_commit` as the server has it) at 1, 16 and 64 connections,
//! each updating its own row and all updating one row; then four scenarios: one server or three
//! on the same database, with every payout on one shop or spread over [`SHOPS`] shops. The three
//! servers are in this process, each with its own pool and settlement worker, and each client
//! sends its requests round-robin over them, as the balancer does.
//!
//! Traffic goes only to 127.0.0.1 (and the given PostgreSQL); every loop is bounded in time.

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
use sqlx::{AssertSqlSafe, Connection, PgConnection};
use tokio_util::sync::CancellationToken;

const RUN: Duration = Duration::from_secs(4);
const CLIENTS: [usize; 3] = [1, 16, 64];
/// Orders added for the run; each payout goes to the next one, as real traffic spreads over many
/// orders (one order takes at most 5 payouts, so rules see realistic per-order history).
const ORDERS: i64 = 60_000;
/// Shops added for the PostgreSQL scenarios that spread payouts: client `c` signs in as the main
/// account of shop `c % SHOPS`, so 64 clients pay out for 64 shops.
const SHOPS: i64 = 64;
/// Orders of each added shop (a shop's clients take them in turn).
const SHOP_ORDERS: i64 = 5_000;

struct Result {
    ok: usize,
    rejected: usize,
    latencies: Vec<Duration>,
}

/// One signed-in account: its cookie jar, CSRF token and the next of its shop's orders.
#[derive(Clone)]
struct Login {
    http: reqwest::Client,
    csrf: String,
    next: Arc<AtomicI64>,
}

/// What the agents load: client `c` sends as `logins[c % len]`, its `n`th request to
/// `urls[(c + n) % len]` (round-robin, as a balancer does).
struct Target {
    urls: Vec<String>,
    logins: Vec<Login>,
    orders: i64,
}

async fn login(url: &str, username: &str) -> Login {
    let http = reqwest::Client::builder().cookie_store(true).pool_max_idle_per_host(128).build().unwrap();
    let me: serde_json::Value = http
        .post(format!("{url}/api/session"))
        .json(&json!({"username": username, "password": "demo-pass-2026"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let csrf = me["csrf_token"].as_str().unwrap_or_else(|| panic!("sign-in as {username}: {me}")).to_owned();
    Login { http, csrf, next: Arc::new(AtomicI64::new(0)) }
}

async fn agents(target: &Target, clients: usize) -> (Result, Duration) {
    let endpoints: Arc<Vec<String>> =
        Arc::new(target.urls.iter().map(|u| format!("{u}/api/payouts")).collect());
    let start = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|c| {
            let login = target.logins[c % target.logins.len()].clone();
            let (endpoints, orders) = (endpoints.clone(), target.orders);
            tokio::spawn(async move {
                let mut r = Result { ok: 0, rejected: 0, latencies: vec![] };
                let mut n = 0u64;
                while start.elapsed() < RUN {
                    n += 1;
                    let order = login.next.fetch_add(1, Ordering::Relaxed) % orders;
                    let body = json!({"order_no": format!("B{order:018}"), "source_account": "aggregate",
                        "payout_type": "other", "amount": "0.01"});
                    let endpoint = &endpoints[(c + n as usize) % endpoints.len()];
                    let t = Instant::now();
                    let res = login
                        .http
                        .post(endpoint)
                        .header("X-CSRF-Token", &login.csrf)
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

/// Runs the agents at each of [`CLIENTS`] and prints one row each, with the ratio of created/s to
/// `raw(clients)`.
async fn table(target: &Target, raw_label: &str, raw: impl Fn(usize) -> f64) {
    println!(
        "{:>8} {:>10} {:>9} {:>10} {:>10} {:>14}",
        "clients", "created/s", "rejected", "p50 ms", "p99 ms", raw_label
    );
    for clients in CLIENTS {
        let (mut r, elapsed) = agents(target, clients).await;
        r.latencies.sort();
        let rate = r.ok as f64 / elapsed.as_secs_f64();
        println!(
            "{clients:>8} {rate:>10.0} {:>9} {:>10.2} {:>10.2} {:>13.2}x",
            r.rejected,
            percentile(&r.latencies, 50).as_secs_f64() * 1000.0,
            percentile(&r.latencies, 99).as_secs_f64() * 1000.0,
            rate / raw(clients)
        );
    }
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

/// The same orders on PostgreSQL: [`ORDERS`] for the demo shop, or [`SHOPS`] new shops (a large
/// aggregate balance, a main account `bench.shopN` with the demo password) of [`SHOP_ORDERS`]
/// orders each.
async fn add_postgres_orders(url: &str, spread: bool) {
    let mut conn = PgConnection::connect(url).await.unwrap();
    let now = jiff::Timestamp::now().as_millisecond();
    let mut tx = conn.begin().await.unwrap();
    if spread {
        sqlx::query(
            "INSERT INTO shops (name, qualification, status, selected_source_account) \
             SELECT 'bench.shop' || i, 'enterprise', 'active', 'aggregate' FROM generate_series(1, $1) i",
        )
        .bind(SHOPS)
        .execute(&mut *tx)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO accounts (shop_id, kind, opened, balance_fen, frozen_fen) \
             SELECT s.id, k.kind, TRUE, CASE k.kind WHEN 'aggregate' THEN 10000000000 ELSE 0 END, 0 \
             FROM shops s CROSS JOIN (VALUES ('aggregate'), ('custody')) k(kind) WHERE s.name LIKE 'bench.shop%'",
        )
        .execute(&mut *tx)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO users (shop_id, username, display_name, role, password_hash, payout_enabled, manage_quotas) \
             SELECT s.id, s.name, s.name, 'main', (SELECT password_hash FROM users WHERE username = 'lin.admin'), TRUE, TRUE \
             FROM shops s WHERE s.name LIKE 'bench.shop%'",
        )
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    let (shops, orders) =
        if spread { ("s.name LIKE 'bench.shop%'", SHOP_ORDERS) } else { ("s.id = 1", ORDERS) };
    sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO orders (shop_id, order_no, source_app, paid_fen, ordered_at, online_paid, cross_border) \
         SELECT s.id, 'B' || lpad(i::text, 18, '0'), 'douyin', 9900, $2 - 86400000, TRUE, FALSE \
         FROM shops s CROSS JOIN generate_series(0, $1 - 1) i WHERE {shops}"
    )))
    .bind(orders)
    .bind(now)
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO order_items (shop_id, order_id, id, position, title, amount_fen) \
         SELECT shop_id, id, order_no || '-1', 0, 'bench item', 9900 FROM orders WHERE order_no LIKE 'B%'",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    // Settle the bulk load before the clock starts: hint bits and statistics set, dirty pages
    // written (CHECKPOINT needs a superuser or pg_checkpoint; without it, skipped).
    sqlx::query("VACUUM (ANALYZE)").execute(&mut conn).await.unwrap();
    let _ = sqlx::query("CHECKPOINT").execute(&mut conn).await;
    conn.close().await.unwrap();
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

/// Raw PostgreSQL write transactions, no HTTP: `clients` connections, each committing one insert
/// + one update per transaction, the update on its own row or (`one_row`) all on row 0, which
///   serializes them as a shop's row lock serializes its payouts.
async fn raw_postgres_rate(url: &str, clients: usize, one_row: bool) -> f64 {
    let start = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|c| {
            let url = url.to_owned();
            let row = if one_row { 0 } else { c as i64 };
            tokio::spawn(async move {
                let mut conn = PgConnection::connect(&url).await.unwrap();
                let mut n = 0u64;
                while start.elapsed() < RUN {
                    let mut tx = conn.begin().await.unwrap();
                    sqlx::query("INSERT INTO t (amount_fen, created_at) VALUES (1, $1)")
                        .bind(n as i64)
                        .execute(&mut *tx)
                        .await
                        .unwrap();
                    sqlx::query("UPDATE a SET reserved_fen = reserved_fen + 1 WHERE id = $1")
                        .bind(row)
                        .execute(&mut *tx)
                        .await
                        .unwrap();
                    tx.commit().await.unwrap();
                    n += 1;
                }
                n
            })
        })
        .collect();
    let mut n = 0;
    for t in tasks {
        n += t.await.unwrap();
    }
    n as f64 / start.elapsed().as_secs_f64()
}

/// The server's own defaults, as the benchmark runs them: the default simulated rail (1.5 s per
/// transfer, so settlement has to keep up by concurrency, as with a real payment rail) and the
/// default policy with a daily cap no run of this length can reach.
fn bench_config(dir: &std::path::Path) -> Config {
    let policy = dir.join("policy.json");
    std::fs::write(&policy, r#"{"shop_daily_cap":"1000000.00"}"#).unwrap();
    let mut config = Config::parse_from(["payout-server"]);
    config.addr = "127.0.0.1:0".parse().unwrap();
    config.store.db = dir.join("bench.sqlite");
    config.demo_data = true;
    config.dist = dir.to_path_buf();
    config.policy = Some(policy);
    config.rail_failure_percent = 0;
    config.settle_interval_ms = 50;
    // Settlement keeps up only with as many transfers at the rail as creation rate × rail latency
    // (Little's law): ~3,000/s × 1.5 s. The default 2,048 would cap it near 1,365/s.
    config.settle_concurrency = 8_192;
    // Many accounts sign in from 127.0.0.1 at once.
    config.sign_in_burst = 10_000;
    config
}

/// One server (its own store, pool and settlement worker) on `config`'s database; cancel the
/// token to stop it.
async fn start_server(config: &Config) -> (String, CancellationToken) {
    let state = AppState::open(config, Arc::new(SystemClock)).await.unwrap();
    let owner = Worker::new_owner();
    let rail = Arc::new(simulated_rail(config, &owner));
    let (stop, _worker) = start_worker(&state, rail, owner, config);
    let listener = tokio::net::TcpListener::bind(config.addr).await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let limits = config.connection_limits();
    tokio::spawn(serve(listener, app(state), limits, stop.clone().cancelled_owned()));
    (url, stop)
}

/// The database a scenario ran on, for counting what settlement has left.
enum Db {
    Sqlite(std::path::PathBuf),
    Postgres(String),
}

impl Db {
    async fn count(&self, sql: &'static str) -> i64 {
        match self {
            Db::Sqlite(db) => {
                let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display())).await.unwrap();
                let n: i64 = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
                pool.close().await;
                n
            }
            Db::Postgres(url) => {
                let mut conn = PgConnection::connect(url).await.unwrap();
                let n: i64 = sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap();
                conn.close().await.unwrap();
                n
            }
        }
    }

    /// Settlement against creation: what is still reserved when the load stops (`load` after it
    /// began), and how long the workers take to finish it.
    async fn settlement(&self, load: Duration) {
        let unfinished = "SELECT COUNT(*) FROM payouts WHERE status IN ('pending','processing')";
        let backlog = self.count(unfinished).await;
        let created = self.count("SELECT COUNT(*) FROM payouts WHERE order_no LIKE 'B%'").await;
        let drain = Instant::now();
        while self.count(unfinished).await > 0 && drain.elapsed() < Duration::from_secs(120) {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        println!(
            "settlement (rail 1.5 s per transfer): {created} created in {:.1} s; {backlog} not yet final when the load stopped; all final {:.1} s later ({} left)",
            load.as_secs_f64(),
            drain.elapsed().as_secs_f64(),
            self.count(unfinished).await
        );
    }
}

async fn sqlite_mode() {
    let dir = tempfile::tempdir().unwrap();
    let config = bench_config(dir.path());
    let (url, _stop) = start_server(&config).await;
    add_orders(&config.store.db).await;
    let target = Target { logins: vec![login(&url, "lin.admin").await], urls: vec![url], orders: ORDERS };

    let raw = raw_sqlite_rate(&dir.path().join("raw.sqlite")).await;
    println!("raw SQLite write transactions (WAL, synchronous=FULL, BEGIN IMMEDIATE, 1 insert + 1 update): {raw:.0}/s");
    let load_start = Instant::now();
    table(&target, "vs raw SQLite", |_| raw).await;
    Db::Sqlite(config.store.db.clone()).settlement(load_start.elapsed()).await;
}

/// A new, empty database on the server of `admin` (a URL ending in `/DB`): its name and URL.
async fn create_database(admin: &str) -> (String, String) {
    let name = format!("bench_{}", hex::encode(rand::random::<[u8; 6]>()));
    let mut conn = PgConnection::connect(admin).await.unwrap();
    sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut conn).await.unwrap();
    conn.close().await.unwrap();
    let (base, _) = admin.rsplit_once('/').expect("a database URL ends in /DB");
    let url = format!("{base}/{name}");
    (name, url)
}

async fn drop_database(admin: &str, name: &str) {
    let mut conn = PgConnection::connect(admin).await.unwrap();
    sqlx::query(AssertSqlSafe(format!("DROP DATABASE {name} WITH (FORCE)")))
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
}

/// Raw rates at each of [`CLIENTS`]: (own rows, one row).
async fn raw_postgres(admin: &str) -> Vec<(f64, f64)> {
    let (name, url) = create_database(admin).await;
    let mut conn = PgConnection::connect(&url).await.unwrap();
    let show = |setting: &'static str| sqlx::query_scalar::<_, String>(setting);
    let version = show("SHOW server_version").fetch_one(&mut conn).await.unwrap();
    let sync = show("SHOW synchronous_commit").fetch_one(&mut conn).await.unwrap();
    let fsync = show("SHOW fsync").fetch_one(&mut conn).await.unwrap();
    sqlx::query(
        "CREATE TABLE t (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, amount_fen BIGINT, created_at BIGINT)",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    sqlx::query("CREATE TABLE a (id BIGINT PRIMARY KEY, reserved_fen BIGINT)")
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query("INSERT INTO a SELECT i, 0 FROM generate_series(0, 63) i").execute(&mut conn).await.unwrap();
    conn.close().await.unwrap();
    println!(
        "raw PostgreSQL {version} write transactions (synchronous_commit={sync}, fsync={fsync}, 1 insert + 1 update, one connection per client):"
    );
    println!("{:>8} {:>12} {:>12}", "clients", "own row/s", "one row/s");
    let mut rates = vec![];
    for clients in CLIENTS {
        let own = raw_postgres_rate(&url, clients, false).await;
        let one = raw_postgres_rate(&url, clients, true).await;
        println!("{clients:>8} {own:>12.0} {one:>12.0}");
        rates.push((own, one));
    }
    drop_database(admin, &name).await;
    rates
}

/// One scenario on a fresh database: `servers` servers, payouts of one shop or spread over
/// [`SHOPS`] shops.
async fn postgres_scenario(admin: &str, raw: &[(f64, f64)], servers: usize, spread: bool) {
    let dir = tempfile::tempdir().unwrap();
    let (name, url) = create_database(admin).await;
    let mut config = bench_config(dir.path());
    config.store.database_url = Some(url.clone());
    let mut urls = vec![];
    let mut stops = vec![];
    for _ in 0..servers {
        let (url, stop) = start_server(&config).await;
        urls.push(url);
        stops.push(stop);
    }
    add_postgres_orders(&url, spread).await;
    let usernames: Vec<String> = if spread {
        (1..=SHOPS).map(|i| format!("bench.shop{i}")).collect()
    } else {
        vec!["lin.admin".into()]
    };
    // One after another: the shared sign-in throttle lets one address have 20 attempts in flight.
    let mut logins = vec![];
    for (i, name) in usernames.iter().enumerate() {
        logins.push(login(&urls[i % urls.len()], name).await);
    }
    let target = Target { urls, logins, orders: if spread { SHOP_ORDERS } else { ORDERS } };

    println!();
    let (servers_text, shops_text) = (
        if servers == 1 {
            "one server".to_owned()
        } else {
            format!("{servers} servers, requests round-robin")
        },
        if spread {
            format!("client c pays out for shop c % {SHOPS} (up to {SHOPS} shops in parallel)")
        } else {
            "every payout on one shop (its row lock serializes them)".to_owned()
        },
    );
    println!("PostgreSQL, {servers_text}; {shops_text}:");
    let load_start = Instant::now();
    let index = |clients| CLIENTS.iter().position(|&c| c == clients).unwrap();
    if spread {
        table(&target, "vs raw own row", |clients| raw[index(clients)].0).await;
    } else {
        table(&target, "vs raw one row", |clients| raw[index(clients)].1).await;
    }
    Db::Postgres(url).settlement(load_start.elapsed()).await;
    for stop in stops {
        stop.cancel();
    }
    drop(target);
    tokio::time::sleep(Duration::from_millis(200)).await;
    drop_database(admin, &name).await;
}

async fn postgres_mode(admin: &str) {
    let raw = raw_postgres(admin).await;
    for (servers, spread) in [(1, false), (1, true), (3, false), (3, true)] {
        postgres_scenario(admin, &raw, servers, spread).await;
    }
}

fn main() {
    // `cargo bench` adds `--bench`; only `--store` is ours.
    let args: Vec<String> = std::env::args().collect();
    let store =
        args.iter().position(|a| a == "--store").and_then(|i| args.get(i + 1)).map_or("sqlite", |s| s);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    match store {
        "sqlite" => runtime.block_on(sqlite_mode()),
        "postgres" => {
            let url = std::env::var("BENCH_DATABASE_URL").expect(
                "--store postgres needs BENCH_DATABASE_URL=postgres://USER@HOST:PORT/DB (a user that may CREATE DATABASE)",
            );
            runtime.block_on(postgres_mode(&url));
        }
        other => panic!("--store {other}: expected sqlite or postgres"),
    }
}
