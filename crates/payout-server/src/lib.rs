//! The payout console server as a library, so integration tests drive the same [`app`] that
//! `main` serves: the JSON API under `/api`, the built SPA for every other path, the settlement
//! worker and the housekeeping task.

pub mod auth;
pub mod clock;
pub mod config;
pub mod domain;
pub mod error;
pub mod housekeeping;
pub mod http;
pub mod importer;
pub mod json;
pub mod metrics;
pub mod notifier;
pub mod operator;
pub mod rail;
pub mod routes;
pub mod secrets;
pub mod settlement;
pub mod spa;
pub mod state;
pub mod store;
pub mod views;
pub mod webhooks;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue};
use axum::Router;
use tokio_util::sync::CancellationToken;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::config::Config;
pub use crate::error::ApiError;
pub use crate::state::{AppState, BoxError};

/// Every route: `/api/...` and the SPA for everything else.
pub fn app(state: AppState) -> Router {
    // Balances and payouts are nobody's to cache.
    let api = routes::router(&state.http).layer(axum::middleware::from_fn(http::cancel_safe)).layer(
        SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
    );
    let pages = spa::page_texts(&state.dist);
    let csp = HeaderValue::from_str(&http::content_security_policy(pages.iter().map(String::as_str)))
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'"));
    let timeout = state.http.request_timeout;
    let hsts = state.http.secure.then(|| HeaderValue::from_static(http::HSTS));
    let spa = spa::router(&state.dist);
    // The order file is streamed to disk, not buffered like every other body (at most 64 KiB),
    // and may take longer than the request deadline to arrive.
    let import = Router::new()
        .route(routes::import::PATH, axum::routing::post(routes::import::orders_import))
        .layer(DefaultBodyLimit::disable())
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ));
    Router::new()
        .merge(import)
        .nest("/api", api)
        .merge(spa)
        // The console must not be framed (clickjacking a payout button), run foreign scripts, or
        // have its responses sniffed into another type.
        .layer(SetResponseHeaderLayer::overriding(header::CONTENT_SECURITY_POLICY, csp))
        .layer(SetResponseHeaderLayer::if_not_present(header::STRICT_TRANSPORT_SECURITY, hsts))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(axum::middleware::from_fn(http::same_origin))
        .layer(axum::middleware::from_fn(http::header_limit))
        .layer(axum::middleware::from_fn(move |request, next| http::deadline(timeout, request, next)))
        .layer(axum::middleware::from_fn(metrics::record_request))
        .layer(CompressionLayer::new())
        // Every request's log lines carry its id: the client's `x-request-id`, or a new one, which
        // the answer carries back (SPEC §12.7).
        .layer(TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
            let id = request.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("");
            tracing::info_span!("request", request_id = %id, method = %request.method(), uri = %request.uri().path())
        }))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state)
}

/// The header that names a request in the logs and in its answer.
pub const REQUEST_ID: axum::http::HeaderName = axum::http::HeaderName::from_static("x-request-id");

/// Starts the settlement worker, the buyer-notification worker and the webhook worker; cancel the token to stop them
/// (claims in flight are let go).
pub fn start_worker(
    state: &AppState,
    rail: Arc<dyn rail::Rail>,
    owner: String,
    config: &Config,
) -> (CancellationToken, tokio::task::JoinHandle<()>) {
    let stop = CancellationToken::new();
    let worker = settlement::Worker {
        store: state.store.clone(),
        rail,
        clock: state.clock.clone(),
        owner,
        interval: Config::millis(config.settle_interval_ms),
        rail_timeout: Config::millis(config.rail_timeout_ms),
        lease: Config::millis(config.claim_lease_ms),
        concurrency: config.settle_concurrency.max(1),
    };
    let notifications = notifier::NotificationWorker {
        store: state.store.clone(),
        notifier: state.notifier.clone(),
        clock: state.clock.clone(),
        interval: Config::millis(config.settle_interval_ms),
    };
    let webhooks = webhooks::WebhookWorker {
        store: state.store.clone(),
        clock: state.clock.clone(),
        interval: Config::millis(config.settle_interval_ms),
        allow_insecure: config.allow_insecure_webhooks,
        clients: webhooks::Clients::default(),
    };
    let (settling, notifying, hooking) =
        (worker.run(stop.clone()), notifications.run(stop.clone()), webhooks.run(stop.clone()));
    let handle = tokio::spawn(async move {
        tokio::join!(settling, notifying, hooking);
    });
    (stop, handle)
}

/// The simulated rail the options describe.
pub fn simulated_rail(config: &Config, owner: &str) -> rail::SimulatedRail {
    let rail = rail::SimulatedRail::new(Config::millis(config.rail_latency_ms), config.rail_failure_percent);
    match &config.rail_log {
        Some(path) => rail.logging_to(path.clone(), owner.to_owned()),
        None => rail,
    }
}

/// Opens everything the config names and serves until Ctrl-C or SIGTERM.
pub async fn serve(config: Config) -> Result<(), BoxError> {
    let state = AppState::open(&config, Arc::new(clock::SystemClock)).await?;
    let (stop, worker) = start_worker(&state, state.rail.clone(), state.owner.clone(), &config);
    let housekeeping =
        housekeeping::start(&state, Config::millis(config.housekeeping_interval_ms), stop.clone());
    if let Some(addr) = config.metrics_addr {
        metrics::install(addr, &state, stop.clone())?;
    }
    let listener = tokio::net::TcpListener::bind(config.addr).await?;
    tracing::info!(addr = %listener.local_addr()?, db = %config.store.db.display(), "listening");
    let limits = config.connection_limits();
    http::serve(listener, app(state), limits, shutdown_signal()).await;
    stop.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(5), worker).await;
    let _ = housekeeping.await;
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
