//! What the benchmarks that run the real server binary share: starting it on a free port (and
//! killing it when done), signing in, its resident memory, and a fresh PostgreSQL database.

#![allow(dead_code)] // each benchmark uses its own part

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sqlx::{AssertSqlSafe, Connection, PgConnection};

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The server binary (release, as `cargo bench` builds it) with the demo data; killed on drop.
pub struct Server {
    pub child: std::process::Child,
    pub url: String,
}

impl Server {
    pub async fn start(store_args: &[String], args: &[&str]) -> Server {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_payout-server"))
            .args(["--addr", &format!("127.0.0.1:{port}"), "--demo-data", "--sign-in-burst", "1000"])
            .args(store_args)
            .args(args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start payout-server");
        let server = Server { child, url: format!("http://127.0.0.1:{port}") };
        for _ in 0..400 {
            if reqwest::get(format!("{}/api/health", server.url)).await.is_ok_and(|r| r.status() == 200) {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the server did not start");
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Signs `username` in on a client with a cookie jar: its CSRF token.
pub async fn sign_in(http: &reqwest::Client, url: &str, username: &str) -> String {
    let me: serde_json::Value = http
        .post(format!("{url}/api/session"))
        .json(&serde_json::json!({"username": username, "password": "demo-pass-2026"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    me["csrf_token"].as_str().expect("signed in").to_owned()
}

pub fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// The highest resident memory of `pid` seen every 20 ms until the task is aborted.
pub fn sample_peak(pid: u32) -> (Arc<AtomicU64>, tokio::task::JoinHandle<()>) {
    let peak = Arc::new(AtomicU64::new(0));
    let seen = peak.clone();
    let task = tokio::spawn(async move {
        loop {
            seen.fetch_max(rss_kib(pid), Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    (peak, task)
}

/// The store arguments for this run: a SQLite file in a temporary directory, or (given
/// `--database-url ADMIN`) a fresh PostgreSQL database dropped by [`Store::finish`].
pub struct Store {
    pub args: Vec<String>,
    pub label: &'static str,
    admin: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

impl Store {
    pub async fn from_args(prefix: &str) -> Store {
        let dir = tempfile::tempdir().unwrap();
        match std::env::args().skip_while(|a| a != "--database-url").nth(1) {
            None => {
                let db = dir.path().join(format!("{prefix}.sqlite"));
                Store {
                    args: vec!["--db".into(), db.display().to_string()],
                    label: "SQLite",
                    admin: None,
                    _dir: dir,
                }
            }
            Some(admin) => {
                let name = format!("{prefix}_{}", std::process::id());
                let mut conn = PgConnection::connect(&admin).await.expect("connect");
                sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut conn)
                    .await
                    .unwrap();
                let (base, _) = admin.rsplit_once('/').unwrap();
                let args = vec!["--database-url".into(), format!("{base}/{name}")];
                Store { args, label: "PostgreSQL", admin: Some((admin, name)), _dir: dir }
            }
        }
    }

    /// Drops the PostgreSQL database (the servers on it must have stopped).
    pub async fn finish(self) {
        if let Some((admin, name)) = &self.admin {
            let mut conn = PgConnection::connect(admin).await.expect("connect");
            sqlx::query(AssertSqlSafe(format!("DROP DATABASE {name} WITH (FORCE)")))
                .execute(&mut conn)
                .await
                .unwrap();
        }
    }
}
