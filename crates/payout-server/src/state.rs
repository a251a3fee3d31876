//! What every handler shares, and how it is opened from the command line's options.

use std::path::PathBuf;
use std::sync::Arc;

use payout_core::Policy;
use tokio::sync::Semaphore;

use crate::auth::{hash_password, CookiePolicy};
use crate::clock::Clock;
use crate::config::Config;
use crate::notifier::{Notifier, SimulatedNotifier};
use crate::rail::Rail;
use crate::store::demo::demo_seed;
use crate::store::{self, Store};

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub policy: Arc<Policy>,
    pub cookies: CookiePolicy,
    /// Permits to run argon2 (19 MiB each): about one per core, so a sign-in flood queues here
    /// instead of growing memory without bound.
    pub hashing: Arc<Semaphore>,
    /// The built SPA.
    pub dist: PathBuf,
    /// This server's settlement worker's owner id (its claims carry it).
    pub owner: String,
    /// The payment rail: the settlement worker's, and the status query's (SPEC §11.4).
    pub rail: Arc<dyn Rail>,
    /// Delivers the buyer notifications (SPEC §11.3).
    pub notifier: Arc<dyn Notifier>,
    pub http: HttpOptions,
    /// `--allow-insecure-webhooks`: http:// and private addresses (local testing).
    pub allow_insecure_webhooks: bool,
}

/// Limits of the HTTP edge that the router needs.
#[derive(Clone, Copy, Debug)]
pub struct HttpOptions {
    pub request_timeout: std::time::Duration,
    pub sign_in_burst: u32,
    pub sign_in_replenish: std::time::Duration,
    /// Served over HTTPS: send HSTS.
    pub secure: bool,
}

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl AppState {
    /// Opens the store (applying migrations), loads the policy and, when asked and the store is
    /// empty, the demo data.
    pub async fn open(config: &Config, clock: Arc<dyn Clock>) -> Result<AppState, BoxError> {
        let policy = match &config.policy {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                Policy::from_json(&text).map_err(|e| format!("{}: {e}", path.display()))?
            }
            None => Policy::default(),
        };
        let store = store::open(&config.store).await?;
        if config.demo_data && store.is_empty().await? {
            let seed = tokio::task::spawn_blocking({
                let now = clock.now();
                move || demo_seed(now, &|password| hash_password(password).unwrap_or_default())
            })
            .await?;
            if store.seed(&seed).await? {
                tracing::info!("loaded the demo data");
            }
        }
        let owner = crate::settlement::Worker::new_owner();
        let rail = Arc::new(crate::simulated_rail(config, &owner));
        let notifier = Arc::new(SimulatedNotifier::new(
            Config::millis(config.notifier_latency_ms),
            config.notifier_failure_percent,
            config.notifier_log.clone(),
        ));
        Ok(AppState {
            owner,
            rail,
            notifier,
            store,
            clock,
            policy: Arc::new(policy),
            cookies: CookiePolicy { secure: config.secure_cookies },
            hashing: Arc::new(Semaphore::new(config.hash_concurrency())),
            dist: config.dist.clone(),
            http: HttpOptions {
                request_timeout: Config::millis(config.request_timeout_ms),
                sign_in_burst: config.sign_in_burst,
                sign_in_replenish: Config::millis(config.sign_in_replenish_ms),
                secure: config.secure_cookies,
            },
            allow_insecure_webhooks: config.allow_insecure_webhooks,
        })
    }
}
