//! What every handler shares.

use std::path::PathBuf;

use crate::config::Config;

#[derive(Clone)]
pub struct AppState {
    /// The built SPA.
    pub dist: PathBuf,
}

impl AppState {
    pub async fn from_config(config: &Config) -> Result<AppState, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AppState { dist: config.dist.clone() })
    }
}
