//! What every handler shares, and how it is opened from the command line's options.

use std::path::PathBuf;
use std::sync::Arc;

use payout_core::Policy;

use crate::auth::{hash_password, LoginThrottle};
use crate::clock::Clock;
use crate::config::Config;
use crate::store::demo::demo_seed;
use crate::store::sqlite::SqliteStore;
use crate::store::Store;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub policy: Arc<Policy>,
    pub throttle: Arc<LoginThrottle>,
    /// The built SPA.
    pub dist: PathBuf,
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
        let store = SqliteStore::open(&config.db).await?;
        if config.demo_data && store.is_empty().await? {
            let seed = tokio::task::spawn_blocking({
                let now = clock.now();
                move || demo_seed(now, &|password| hash_password(password).unwrap_or_default())
            })
            .await?;
            store.seed(&seed).await?;
            tracing::info!("loaded the demo data");
        }
        Ok(AppState {
            store: Arc::new(store),
            clock,
            policy: Arc::new(policy),
            throttle: Arc::default(),
            dist: config.dist.clone(),
        })
    }
}
