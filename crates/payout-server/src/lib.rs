//! The payout console server as a library, so integration tests drive the same [`app`] that
//! `main` serves: the JSON API under `/api`, the built SPA for every other path, and the
//! settlement worker.

pub mod auth;
pub mod clock;
pub mod config;
pub mod error;
pub mod json;
pub mod rail;
pub mod routes;
pub mod settlement;
pub mod spa;
pub mod state;
pub mod store;
pub mod views;

use std::sync::Arc;
use std::time::Duration;

use axum::http::{header, HeaderValue};
use axum::Router;
use tokio_util::sync::CancellationToken;
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

pub use crate::error::ApiError;
pub use crate::state::{AppState, BoxError};

/// Every route: `/api/...` and the SPA for everything else.
pub fn app(state: AppState) -> Router {
    // Balances and payouts are nobody's to cache; the console must not be framed (clickjacking a
    // payout button) nor have its responses sniffed into another type.
    let api = routes::router().layer(SetResponseHeaderLayer::overriding(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    ));
    Router::new()
        .nest("/api", api)
        .fallback_service(spa::service(&state.dist))
        // The SPA's files revalidate (a cheap 304), so a new release is picked up at once.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Starts the settlement worker; cancel the token to stop it (in-flight transfers finish).
pub fn start_worker(
    state: &AppState,
    rail: Arc<dyn rail::Rail>,
    interval: Duration,
) -> (CancellationToken, tokio::task::JoinHandle<()>) {
    let stop = CancellationToken::new();
    let worker =
        settlement::Worker { store: state.store.clone(), rail, clock: state.clock.clone(), interval };
    let handle = tokio::spawn(worker.run(stop.clone()));
    (stop, handle)
}

/// Opens everything the config names and serves until Ctrl-C or SIGTERM.
pub async fn serve(config: config::Config) -> Result<(), BoxError> {
    let state = AppState::open(&config, Arc::new(clock::SystemClock)).await?;
    let rail = Arc::new(rail::SimulatedRail {
        latency: Duration::from_millis(config.rail_latency_ms),
        failure_percent: config.rail_failure_percent,
    });
    let (stop, worker) = start_worker(&state, rail, Duration::from_millis(config.settle_interval_ms));
    let listener = tokio::net::TcpListener::bind(config.addr).await?;
    tracing::info!(addr = %listener.local_addr()?, db = %config.db.display(), "listening");
    axum::serve(listener, app(state)).with_graceful_shutdown(shutdown_signal()).await?;
    stop.cancel();
    let _ = worker.await;
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
