//! Command-line options (SPEC §10).

use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Clone, Debug, clap::Parser)]
#[command(name = "payout-server", about = "Small-amount payout console: JSON API and SPA on one port")]
pub struct Config {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// SQLite database file (created if missing).
    #[arg(long, default_value = "data/payout.sqlite")]
    pub db: PathBuf,
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
    /// How often the settlement worker looks for work, in milliseconds.
    #[arg(long, default_value_t = 200)]
    pub settle_interval_ms: u64,
}
