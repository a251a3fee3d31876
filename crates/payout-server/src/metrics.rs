//! Operating it (SPEC §12.7): Prometheus metrics on `--metrics-addr`, through the `metrics` facade
//! and its Prometheus exporter. Requests by route and status with latency histograms, payouts
//! created and settled by outcome, webhook attempts, store errors, and, every few seconds from
//! the store, the outboxes' backlogs and the age of the oldest unsettled payout.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
use tokio_util::sync::CancellationToken;

use crate::state::{AppState, BoxError};

/// How often the store-derived gauges are read.
const GAUGES_EVERY: Duration = Duration::from_secs(5);

/// Serves `/metrics` on `addr` (the exporter's own listener) and keeps the gauges fresh until `stop`.
pub fn install(addr: SocketAddr, state: &AppState, stop: CancellationToken) -> Result<(), BoxError> {
    PrometheusBuilder::new()
        .with_http_listener(addr)
        .set_buckets_for_metric(
            Matcher::Full("http_request_duration_seconds".into()),
            &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0],
        )?
        .install()?;
    tracing::info!(%addr, "serving Prometheus metrics");
    let state = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(GAUGES_EVERY);
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = tick.tick() => gauges(&state).await,
            }
        }
    });
    Ok(())
}

async fn gauges(state: &AppState) {
    let now = state.clock.now();
    match state.store.notifications_backlog().await {
        Ok(n) => metrics::gauge!("outbox_backlog", "outbox" => "notifications").set(n as f64),
        Err(e) => tracing::warn!(error = %e, "metrics: notification backlog"),
    }
    match state.store.webhook_backlog().await {
        Ok(n) => metrics::gauge!("outbox_backlog", "outbox" => "webhooks").set(n as f64),
        Err(e) => tracing::warn!(error = %e, "metrics: webhook backlog"),
    }
    match state.store.oldest_unsettled().await {
        Ok(oldest) => {
            let age_ms = oldest.map_or(0, |t| now.millis_since(t).max(0));
            metrics::gauge!("oldest_unsettled_payout_seconds").set(age_ms as f64 / 1000.0);
        }
        Err(e) => tracing::warn!(error = %e, "metrics: oldest unsettled payout"),
    }
}

/// Counts each answer by route (the path pattern, not the ids in it), method and status, and
/// observes how long it took.
pub async fn record_request(request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str()).to_owned();
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let labels = [("route", route), ("method", method), ("status", status)];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels).record(started.elapsed().as_secs_f64());
    response
}
