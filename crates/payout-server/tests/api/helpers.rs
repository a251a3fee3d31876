//! `spawn_app()`: the real router and settlement worker on port 0, a fresh database (SQLite file
//! or PostgreSQL database, see `db.rs`) with the demo data per test, a hand-moved clock, and one cookie-jar client per signed-in user.

use std::path::PathBuf;

pub use crate::db::TestDb;
use std::sync::Arc;
use std::time::Duration;

use payout_core::Time;
use payout_server::clock::ManualClock;
use payout_server::config::Config;
use payout_server::http::serve;
use payout_server::notifier::Notifier;
use payout_server::settlement::Worker;
use payout_server::{app, simulated_rail, start_worker, AppState};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

pub const PASSWORD: &str = "demo-pass-2026";

/// The SQL condition of a counted payout (SPEC §3), as the store itself writes it: the statuses
/// `payout_statuses` marks counted, which the server checks against payout-core at start.
pub const COUNTED: &str = "status IN (SELECT status FROM payout_statuses WHERE counted)";

/// Orders of SPEC §9.
pub const O1: &str = "6920241100000000001";
pub const O2: &str = "6920241100000000002";
pub const O3: &str = "6920241100000000003";
pub const O8: &str = "6920241100000000008";
pub const O9: &str = "6920241100000000009";
pub const O10: &str = "6920241100000000010";
pub const ZHOU_ORDER: &str = "6920241100000000101";
pub const SUN_ORDER: &str = "6920241100000000201";

pub struct TestApp {
    pub url: String,
    /// The second server, with `Spawn::second_server`.
    pub url2: Option<String>,
    pub clock: ManualClock,
    pub db: TestDb,
    /// Keeps the test's data folder (its SQLite file, the rail's log) alive as long as the app.
    pub dir: tempfile::TempDir,
}

/// Options a test may change.
pub struct Spawn {
    pub policy: Option<Value>,
    pub rail_failure_percent: u8,
    pub rail_latency_ms: u64,
    pub start: &'static str,
    /// A second server on the same database (its own store, pool and write queue): clients of
    /// `TestApp::second` race through it, so the database's own locking is what keeps the limits.
    pub second_server: bool,
    /// Run housekeeping this often (default: the server's ten minutes).
    pub housekeeping_ms: Option<u64>,
    /// Keep the demo's payout awaiting approval (order …0011, 150.00 by lin.agent2) instead of
    /// rejecting it at the start.
    pub keep_demo_approval: bool,
    /// Deliver buyer notifications through this instead of the simulated notifier.
    pub notifier: Option<Arc<dyn Notifier>>,
    /// A rail call unanswered after this long is given up (default: the server's).
    pub rail_timeout_ms: Option<u64>,
    /// Start from an empty store, as a real deployment does (no demo data); `arrange` may then
    /// write to it (e.g. with the operators' subcommands) before the server starts.
    pub empty: bool,
    /// `--allow-insecure-webhooks`: endpoints on http://127.0.0.1 (a receiver the test runs).
    pub insecure_webhooks: bool,
}

impl Default for Spawn {
    fn default() -> Self {
        Spawn {
            policy: None,
            rail_failure_percent: 0,
            rail_latency_ms: 10,
            start: "2026-11-24T10:00:00+08:00",
            second_server: false,
            housekeeping_ms: None,
            keep_demo_approval: false,
            notifier: None,
            rail_timeout_ms: None,
            empty: false,
            insecure_webhooks: false,
        }
    }
}

/// The server's own defaults (as `main` parses them), on a fresh database, with a fast rail.
pub async fn test_config(dir: &std::path::Path) -> Config {
    use clap::Parser;
    let mut config = Config::parse_from(["payout-server"]);
    config.addr = "127.0.0.1:0".parse().unwrap();
    TestDb::fresh(dir).await.configure(&mut config);
    config.demo_data = true;
    config.dist = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dist");
    config.rail_latency_ms = 10;
    config.rail_failure_percent = 0;
    // No random failures of buyer notifications either: a failed one is retried at a time of the
    // hand-moved clock, which a test that does not move it never reaches (one in ten runs of the
    // outbox pruning test waited for a delivery that way). Tests of failures script them.
    config.notifier_failure_percent = 0;
    config.settle_interval_ms = 20;
    // Tests sign in often from one address; the rate limit has its own test.
    config.sign_in_burst = 10_000;
    config
}

pub async fn spawn_app() -> TestApp {
    spawn_with(Spawn::default()).await
}

pub async fn spawn_with(options: Spawn) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = test_config(dir.path()).await;
    if let Some(policy) = &options.policy {
        let path = dir.path().join("policy.json");
        std::fs::write(&path, policy.to_string()).unwrap();
        config.policy = Some(path);
    }
    config.rail_latency_ms = options.rail_latency_ms;
    if let Some(ms) = options.housekeeping_ms {
        config.housekeeping_interval_ms = ms;
    }
    config.rail_failure_percent = options.rail_failure_percent;
    if let Some(ms) = options.rail_timeout_ms {
        config.rail_timeout_ms = ms;
    }
    // Every test's rail keeps its log: what reached the rail, and how often.
    config.rail_log = Some(dir.path().join("rail.log"));
    config.demo_data = !options.empty;
    config.allow_insecure_webhooks = options.insecure_webhooks;
    let clock = ManualClock::new(Time::parse(options.start).unwrap());
    let url = serve_on(&config, &clock, options.notifier.clone()).await;
    let url2 = if options.second_server { Some(serve_in_process(&config, &clock).await) } else { None };
    if !options.keep_demo_approval && !options.empty {
        reject_demo_approval(&url).await;
    }
    TestApp { url, url2, clock, db: TestDb::of(&config), dir }
}

/// Rejects the demo's payout awaiting approval (SPEC §9, order …0011) through the API, as the
/// main account would, so a test starts from a shop with nothing counted today (as the demo was
/// before SPEC §11). Tests of approval keep it (`Spawn::keep_demo_approval`).
pub async fn reject_demo_approval(url: &str) {
    let admin = Client::login(url, "lin.admin").await;
    let queue = admin.get("/api/approvals").await;
    assert_eq!(queue.status, 200, "{}", queue.body);
    for item in queue.body["items"].as_array().cloned().unwrap_or_default() {
        let id = item["id"].as_i64().unwrap();
        let answer = admin.post(&format!("/api/payouts/{id}/reject"), json!({"reason": "test setup"})).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
    }
}

/// One server (its own store, worker and in-process write queue) on `config`'s database.
pub async fn serve_in_process(config: &Config, clock: &ManualClock) -> String {
    serve_on(config, clock, None).await
}

async fn serve_on(config: &Config, clock: &ManualClock, notifier: Option<Arc<dyn Notifier>>) -> String {
    let mut state = AppState::open(config, Arc::new(clock.clone())).await.expect("state");
    if let Some(notifier) = notifier {
        state.notifier = notifier;
    }
    let owner = Worker::new_owner();
    let rail = Arc::new(simulated_rail(config, &owner));
    let (stop, _worker) = start_worker(&state, rail, owner, config);
    let interval = Duration::from_millis(config.housekeeping_interval_ms);
    let _housekeeping = payout_server::housekeeping::start(&state, interval, stop);
    let listener = tokio::net::TcpListener::bind(config.addr).await.expect("bind");
    let url = format!("http://{}", listener.local_addr().unwrap());
    let limits = config.connection_limits();
    tokio::spawn(serve(listener, app(state), limits, std::future::pending()));
    url
}

/// One person's browser: a cookie jar and the CSRF token of their session.
#[derive(Clone)]
pub struct Client {
    pub url: String,
    pub http: reqwest::Client,
    pub csrf: Option<String>,
    /// The other server of a two-server test app.
    pub second_url: Option<String>,
}

pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
}

impl Answer {
    /// The codes of the violations in an error body or a check answer.
    pub fn codes(&self) -> Vec<String> {
        let list = self.body["error"]["violations"].as_array().or(self.body["violations"].as_array());
        list.map(|v| v.iter().map(|v| v["code"].as_str().unwrap_or("").to_owned()).collect())
            .unwrap_or_default()
    }

    pub fn violation(&self, code: &str) -> Value {
        let list = self.body["error"]["violations"].as_array().or(self.body["violations"].as_array());
        list.and_then(|v| v.iter().find(|v| v["code"] == code).cloned())
            .unwrap_or_else(|| panic!("no {code} in {}", self.body))
    }

    pub fn error_code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

/// How long a test waits for the background workers (settlement, notifications, webhooks,
/// housekeeping) to do something they will do. Only a failing test waits this long, so it is
/// generous: CI runners are shared and slow, and a 5 s wait for a webhook once failed there.
pub const WORKERS: Duration = Duration::from_secs(30);

/// Checks `condition` every 20 ms until it holds; panics naming `what` once `deadline` has passed.
/// Tests wait with this, never with a fixed sleep: a sleep fails on a busy machine, and a negative
/// assertion after one passes when nothing has run yet. Before asserting that something did *not*
/// happen, wait here for a sign that whatever could have made it happen has run.
pub async fn eventually<F, Fut>(deadline: Duration, what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = tokio::time::Instant::now();
    loop {
        if condition().await {
            return;
        }
        if start.elapsed() > deadline {
            panic!("{what}: not within {deadline:?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// No account below zero available, and the reservations equal the unfinished payouts
/// (awaiting approval, pending, processing).
pub async fn assert_money_invariants(app: &TestApp) {
    assert_money_invariants_of(&app.db).await;
}

/// [`assert_money_invariants`] of a database (the cluster tests' servers are processes).
pub async fn assert_money_invariants_of(db: &TestDb) {
    let negative =
        db.scalar("SELECT COUNT(*) FROM accounts WHERE balance_fen - frozen_fen - reserved_fen < 0").await;
    assert_eq!(negative, 0, "no account below zero available");
    // One statement, so both sums come from one snapshot while the worker keeps settling.
    let gap = db
        .scalar(
            "SELECT (SELECT COALESCE(SUM(reserved_fen), 0) FROM accounts) \
                  - (SELECT COALESCE(SUM(amount_fen), 0) FROM payouts WHERE status IN ('awaiting_approval','pending','processing'))",
        )
        .await;
    assert_eq!(gap, 0, "reservations equal the unfinished payouts");
    // The day totals the limits are checked against (R-L4, R-L5) are the sums of the counted rows.
    let drift = db
        .scalar(
            "SELECT COUNT(*) FROM (SELECT shop_id, business_date, operator_id, SUM(amount_fen) AS fen FROM payouts \
                 WHERE status IN (SELECT status FROM payout_statuses WHERE counted) GROUP BY shop_id, business_date, operator_id) p \
             FULL OUTER JOIN (SELECT * FROM counted_days WHERE counted_fen <> 0) c \
             ON c.shop_id = p.shop_id AND c.business_date = p.business_date AND c.operator_id = p.operator_id \
             WHERE p.fen IS NULL OR c.counted_fen IS NULL OR p.fen <> c.counted_fen",
        )
        .await;
    assert_eq!(drift, 0, "counted_days equals the counted payouts of each shop, day and operator");
}

impl TestApp {
    /// The simulated rail's calls about `reference` so far: `(transfers, status queries)`.
    pub fn rail_calls(&self, reference: &str) -> (usize, usize) {
        let log = std::fs::read_to_string(self.dir.path().join("rail.log")).unwrap_or_default();
        let count = |call: &str| log.lines().filter(|l| l.split(' ').take(2).eq([call, reference])).count();
        (count("transfer"), count("status"))
    }

    pub fn anonymous(&self) -> Client {
        Client::anonymous(&self.url)
    }

    /// Signs `username` in on the first server; with a second server, [`Client::on_second`] uses
    /// the same session there.
    pub async fn login(&self, username: &str) -> Client {
        Client { second_url: self.url2.clone(), ..Client::login(&self.url, username).await }
    }

    /// The database itself, for arranging state no API offers (e.g. a small balance).
    pub async fn sql(&self, statement: &str) {
        self.db.execute(statement).await;
    }

    pub async fn scalar(&self, query: &str) -> i64 {
        self.db.scalar(query).await
    }

    /// Waits (real time) until no payout is pending or processing.
    pub async fn settled(&self) {
        for _ in 0..500 {
            if self.scalar("SELECT COUNT(*) FROM payouts WHERE status IN ('pending','processing')").await == 0
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("payouts did not settle");
    }
}

/// A system calling with an API key: no cookies, no CSRF token.
#[derive(Clone)]
pub struct KeyClient {
    pub url: String,
    pub key: String,
    pub http: reqwest::Client,
}

impl KeyClient {
    pub fn new(url: &str, key: &str) -> KeyClient {
        KeyClient { url: url.to_owned(), key: key.to_owned(), http: reqwest::Client::new() }
    }

    pub async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let mut req = self.http.request(method, format!("{}{}", self.url, path)).bearer_auth(&self.key);
        if let Some(body) = body {
            req = req.json(&body);
        }
        Client::answer(req.send().await.expect("request failed")).await
    }

    pub async fn post_csv(&self, path: &str, bytes: Vec<u8>) -> Answer {
        let req = self
            .http
            .post(format!("{}{}", self.url, path))
            .bearer_auth(&self.key)
            .header("content-type", "text/csv");
        Client::answer(req.body(bytes).send().await.expect("request failed")).await
    }
}

impl Client {
    pub fn anonymous(url: &str) -> Client {
        Client {
            url: url.to_owned(),
            http: reqwest::Client::builder().cookie_store(true).build().unwrap(),
            csrf: None,
            second_url: None,
        }
    }

    /// Signs in with these credentials (and a second factor's `code`): the browser, and the answer.
    pub async fn sign_in(url: &str, username: &str, password: &str, code: Option<&str>) -> (Client, Answer) {
        let mut client = Client::anonymous(url);
        let mut body = json!({"username": username, "password": password});
        if let Some(code) = code {
            body["code"] = json!(code);
        }
        let answer = client.send(Method::POST, "/api/session", Some(body)).await;
        client.csrf = answer.body["csrf_token"].as_str().map(str::to_owned);
        (client, answer)
    }

    /// Signs `username` in with the demo password.
    pub async fn login(url: &str, username: &str) -> Client {
        let mut client = Client::anonymous(url);
        let answer = client
            .send(Method::POST, "/api/session", Some(json!({"username": username, "password": PASSWORD})))
            .await;
        assert_eq!(answer.status, 200, "login {username}: {}", answer.body);
        client.csrf = answer.body["csrf_token"].as_str().map(str::to_owned);
        client
    }

    /// The same browser (cookie jar, session, CSRF token) talking to the app's second server.
    pub fn on_second(&self) -> Client {
        Client { url: self.second_url.clone().unwrap_or_else(|| self.url.clone()), ..self.clone() }
    }

    /// One request as the console sends it: with the session's CSRF token, and each POST with an
    /// `Idempotency-Key` of its own (a new submission).
    pub async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let mut req = self.http.request(method.clone(), format!("{}{}", self.url, path));
        if method == Method::POST {
            req = req.header("Idempotency-Key", format!("k-{}", hex::encode(rand::random::<[u8; 8]>())));
        }
        if let Some(csrf) = &self.csrf {
            req = req.header("X-CSRF-Token", csrf);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        Self::answer(req.send().await.expect("request failed")).await
    }

    pub async fn answer(res: reqwest::Response) -> Answer {
        let status = res.status();
        let text = res.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Answer { status, body }
    }

    /// Uploads an order file as the 订单导入 page does.
    pub async fn post_csv(&self, path: &str, bytes: Vec<u8>) -> Answer {
        let mut req =
            self.http.post(format!("{}{}", self.url, path)).header("content-type", "text/csv").body(bytes);
        if let Some(csrf) = &self.csrf {
            req = req.header("X-CSRF-Token", csrf);
        }
        Self::answer(req.send().await.expect("request failed")).await
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(Method::GET, path, None).await
    }

    pub async fn delete(&self, path: &str, body: Value) -> Answer {
        self.send(Method::DELETE, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Answer {
        self.send(Method::PUT, path, Some(body)).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(Method::POST, path, Some(body)).await
    }

    /// `POST /api/payouts` with a given idempotency key.
    pub async fn create_with_key(&self, key: &str, draft: Value) -> Answer {
        let mut req =
            self.http.post(format!("{}/api/payouts", self.url)).header("Idempotency-Key", key).json(&draft);
        if let Some(csrf) = &self.csrf {
            req = req.header("X-CSRF-Token", csrf);
        }
        Self::answer(req.send().await.expect("request failed")).await
    }

    /// `POST /api/payouts` with a fresh idempotency key.
    pub async fn create(&self, draft: Value) -> Answer {
        self.create_with_key(&format!("k-{}", hex::encode(rand::random::<[u8; 8]>())), draft).await
    }

    pub async fn context(&self, order_no: &str) -> Answer {
        self.get(&format!("/api/orders/{order_no}/payout-context")).await
    }
}

/// A draft paying `amount` on `order_no` from the aggregate account as a price difference.
pub fn draft(order_no: &str, amount: &str) -> Value {
    json!({"order_no": order_no, "source_account": "aggregate", "payout_type": "price_difference", "amount": amount})
}
