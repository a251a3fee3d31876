//! `spawn_app()`: the real router on port 0, a fresh data folder per test, a client with a cookie jar.

use std::path::PathBuf;

use payout_server::config::Config;
use payout_server::{app, AppState};

pub struct TestApp {
    pub url: String,
    pub client: reqwest::Client,
    /// Keeps the test's data folder (and its SQLite file) alive as long as the app.
    #[allow(dead_code)]
    pub dir: tempfile::TempDir,
}

impl TestApp {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(format!("{}{}", self.url, path)).send().await.expect("request failed")
    }
}

pub fn test_config(dir: &std::path::Path) -> Config {
    Config {
        addr: "127.0.0.1:0".parse().unwrap(),
        db: dir.join("payout.sqlite"),
        demo_data: true,
        dist: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dist"),
        policy: None,
        rail_latency_ms: 10,
        rail_failure_percent: 0,
        settle_interval_ms: 20,
    }
}

pub async fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = test_config(dir.path());
    let state = AppState::from_config(&config).await.expect("state");
    let listener = tokio::net::TcpListener::bind(config.addr).await.expect("bind");
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app(state)).await });
    let client = reqwest::Client::builder().cookie_store(true).build().unwrap();
    TestApp { url, client, dir }
}
