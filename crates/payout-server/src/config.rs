//! Command-line options (SPEC §10).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Which store to open: the serving server's and every operator's subcommand's.
#[derive(Clone, Debug, clap::Args)]
pub struct StoreArgs {
    /// SQLite database file (created if missing). Not used with --database-url.
    #[arg(long, default_value = "data/payout.sqlite")]
    pub db: PathBuf,
    /// PostgreSQL instead of SQLite: postgres://USER:PASSWORD@HOST:PORT/DB. Any number of servers
    /// may share one database; migrations run at start.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, conflicts_with = "db")]
    pub database_url: Option<String>,
}

/// The server's options (`payout-server` or `payout-server serve`).
#[derive(Clone, Debug, clap::Parser)]
#[command(name = "payout-server", about = "Small-amount payout console: JSON API and SPA on one port")]
pub struct Config {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    #[command(flatten)]
    pub store: StoreArgs,
    /// Load the demo shops, logins and orders of SPEC §9 into an empty store.
    #[arg(long)]
    pub demo_data: bool,
    /// Folder of the built SPA (Trunk's `dist`).
    #[arg(long, default_value = "dist")]
    pub dist: PathBuf,
    /// JSON file with the payout policy (SPEC §3); defaults apply to missing fields.
    #[arg(long)]
    pub policy: Option<PathBuf>,
    /// Simulated payment rail: milliseconds each transfer takes.
    #[arg(long, default_value_t = 1500)]
    pub rail_latency_ms: u64,
    /// Simulated payment rail: percentage (0-100) of transfers that fail.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub rail_failure_percent: u8,
    /// Simulated payment rail: append one line per transfer call (`payout-<id> <worker>`) to this
    /// file, so tests and operators can count how often each payout reached the rail.
    #[arg(long)]
    pub rail_log: Option<PathBuf>,
    /// Simulated buyer notifications: milliseconds each delivery takes.
    #[arg(long, default_value_t = 200)]
    pub notifier_latency_ms: u64,
    /// Simulated buyer notifications: percentage (0-100) of delivery attempts that fail (and are
    /// retried).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub notifier_failure_percent: u8,
    /// Simulated buyer notifications: append one line per delivery to this file.
    #[arg(long)]
    pub notifier_log: Option<PathBuf>,
    /// How often the settlement worker looks for work, in milliseconds.
    #[arg(long, default_value_t = 200)]
    pub settle_interval_ms: u64,
    /// A rail call that has not answered after this many milliseconds is abandoned and retried.
    #[arg(long, default_value_t = 10_000)]
    pub rail_timeout_ms: u64,
    /// How long a worker's claim on a payout lasts without renewal; a claim of a dead server is
    /// taken over once it has expired.
    #[arg(long, default_value_t = 30_000)]
    pub claim_lease_ms: u64,
    /// How many payouts one server may have at the rail at once.
    #[arg(long, default_value_t = 2048)]
    pub settle_concurrency: usize,
    /// Open connections this server accepts at once; further clients wait in the listen queue.
    /// Default: what the open-file limit allows (raised to its hard limit at start), less a
    /// reserve for the database and logs.
    #[arg(long)]
    pub max_connections: Option<usize>,
    /// A client must send a request's headers within this many milliseconds.
    #[arg(long, default_value_t = 10_000)]
    pub header_read_timeout_ms: u64,
    /// A request (reading its body included) must be answered within this many milliseconds.
    #[arg(long, default_value_t = 30_000)]
    pub request_timeout_ms: u64,
    /// Sign-in requests one client address may burst before the flood guard answers 429. Sized
    /// so that a whole office behind one address signing in at once never meets it: it bounds
    /// floods, while failed guesses are limited by the throttle, which counts only those.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..))]
    pub sign_in_burst: u32,
    /// Milliseconds until one more sign-in request is allowed to a client address at its limit.
    #[arg(long, default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub sign_in_replenish_ms: u64,
    /// Password hashes computed at once (argon2id takes 19 MiB each); default: one per core.
    #[arg(long)]
    pub hash_concurrency: Option<usize>,
    /// Behind a reverse proxy (nginx, HAProxy) that appends the client's address to
    /// `X-Forwarded-For`: key the sign-in throttle by that address. Only with such a proxy in
    /// front; otherwise any client could claim any address.
    #[arg(long)]
    pub trust_forwarded_for: bool,
    /// Served behind HTTPS (TLS ends at a proxy): `__Host-` cookie with `Secure`, and HSTS.
    #[arg(long)]
    pub secure_cookies: bool,
    /// How often expired sessions, old idempotency keys and old throttle records are purged.
    #[arg(long, default_value_t = 600_000)]
    pub housekeeping_interval_ms: u64,
    /// On SIGTERM, how long open requests may take to finish before the server exits anyway.
    #[arg(long, default_value_t = 10_000)]
    pub shutdown_grace_ms: u64,
    /// Webhooks may be registered with `http://` URLs and sent to loopback, private and link-local
    /// addresses (local testing only; by default only `https://` to public addresses).
    #[arg(long)]
    pub allow_insecure_webhooks: bool,
    /// Serve Prometheus metrics (`GET /metrics`) on this address, e.g. 127.0.0.1:9100; off by
    /// default. Not the console's port: keep it on an operators' network.
    #[arg(long)]
    pub metrics_addr: Option<SocketAddr>,
    /// `text` (for people) or `json` (one object per line, for log collectors).
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

impl Config {
    pub fn hash_concurrency(&self) -> usize {
        self.hash_concurrency
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
            .max(1)
    }

    /// Raises the open-file limit as far as the system allows and returns the connection cap.
    pub fn connection_cap(&self) -> usize {
        let files = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(1024);
        let allowed = usize::try_from(files.saturating_sub(256)).unwrap_or(usize::MAX).clamp(64, 16_384);
        self.max_connections.unwrap_or(allowed).max(1)
    }

    /// The connection loop's limits from these options.
    pub fn connection_limits(&self) -> crate::http::ConnectionLimits {
        crate::http::ConnectionLimits {
            max_connections: self.connection_cap(),
            header_read_timeout: Config::millis(self.header_read_timeout_ms),
            shutdown_grace: Config::millis(self.shutdown_grace_ms),
            trust_forwarded_for: self.trust_forwarded_for,
        }
    }

    pub fn millis(ms: u64) -> Duration {
        Duration::from_millis(ms)
    }
}
