//! The payout console server as a library, so integration tests drive the same [`app`] that
//! `main` serves.

pub mod config;
pub mod error;
pub mod routes;
pub mod spa;
pub mod state;

use axum::Router;
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

pub use crate::error::ApiError;
pub use crate::state::AppState;

/// Every route: `/api/...` and the SPA for everything else.
pub fn app(state: AppState) -> Router {
    Router::new()
        .nest("/api", routes::router())
        .fallback_service(spa::service(&state.dist))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Opens everything the config names and serves until a shutdown signal.
pub async fn serve(config: config::Config) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let state = AppState::from_config(&config).await?;
    let listener = tokio::net::TcpListener::bind(config.addr).await?;
    tracing::info!(addr = %listener.local_addr()?, "listening");
    axum::serve(listener, app(state)).with_graceful_shutdown(shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
    tracing::info!("shutting down");
}
