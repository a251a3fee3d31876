//! The real server binary as a child process, for what only a process can show: `kill -9`,
//! SIGTERM, its memory, several processes on one database, its connection handling.
//!
//! `PAYOUT_SERVER_BIN` runs another build instead (e.g. one without a fix, to watch a test fail).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::db::TestDb;

pub struct Server {
    pub child: Child,
    pub url: String,
    pub port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn binary() -> String {
    std::env::var("PAYOUT_SERVER_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_payout-server").to_owned())
}

/// Runs an operator's subcommand (`shop create …`) of the binary on `db`: its exit status and what
/// it printed on stdout and stderr.
pub fn operator(db: &TestDb, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(binary()).args(args).args(db.args()).output().expect("run payout-server");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Server {
    /// Starts the server on `db` with the demo data and `args`, and waits until it is healthy.
    pub async fn start(db: &TestDb, args: &[&str]) -> Server {
        Server::launch(db, args, || {
            let mut command = Command::new(binary());
            command.env("RUST_LOG", "payout_server=warn").stdout(Stdio::null()).stderr(Stdio::null());
            command
        })
        .await
    }

    /// The same, with its log (at `filter`) written to `log`.
    pub async fn start_logged(db: &TestDb, log: &std::path::Path, filter: &str, args: &[&str]) -> Server {
        let file = std::fs::File::create(log).expect("create the log file");
        Server::launch(db, args, || {
            let mut command = Command::new(binary());
            command
                .env("RUST_LOG", filter)
                .stdout(file.try_clone().unwrap())
                .stderr(file.try_clone().unwrap());
            command
        })
        .await
    }

    /// The same, with the soft limit on open files lowered to `files` (as `ulimit -Sn` does on a small
    /// VPS); the hard limit stays.
    pub async fn start_with_soft_fd_limit(db: &TestDb, files: u32, args: &[&str]) -> Server {
        Server::launch(db, args, || {
            let mut command = Command::new("sh");
            command.arg("-c").arg(format!("ulimit -Sn {files} && exec \"$0\" \"$@\"")).arg(binary());
            command.env("RUST_LOG", "payout_server=warn").stdout(Stdio::null()).stderr(Stdio::null());
            command
        })
        .await
    }

    /// Starts `command()` on a free port and waits until it answers. A port picked free can be taken
    /// by another test before the server binds it, so a server that exits at once is tried again on
    /// another port; the wait is long because a loaded CI machine builds the demo data slowly.
    async fn launch(db: &TestDb, args: &[&str], command: impl Fn() -> Command) -> Server {
        let mut exits = Vec::new();
        while exits.len() < 3 {
            let port = free_port();
            let child = command()
                .args(["--addr", &format!("127.0.0.1:{port}")])
                .args(db.args())
                .arg("--demo-data")
                .args(args)
                .spawn()
                .expect("start payout-server");
            // Owned by `Server` at once, so the process is killed and waited for on every path.
            let mut server = Server { child, url: format!("http://127.0.0.1:{port}"), port };
            let deadline = Instant::now() + Duration::from_secs(90);
            while Instant::now() < deadline {
                if let Ok(Some(status)) = server.child.try_wait() {
                    exits.push(status);
                    break;
                }
                if reqwest::get(format!("{}/api/health", server.url)).await.is_ok_and(|r| r.status() == 200) {
                    return server;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            if Instant::now() >= deadline {
                panic!("server did not answer within 90 s");
            }
        }
        panic!("server exited at once, three times: {exits:?}");
    }

    /// Sends SIGTERM and waits up to `limit` for the process to exit; true when it did.
    pub fn terminate_within(&mut self, limit: Duration) -> bool {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Ok(Some(_)) = self.child.try_wait() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// The resident set size of the process, from /proc.
    pub fn rss_bytes(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    }
}
