//! The HTTP edge: what every request passes through before a handler, and the connection loop
//! that bounds slow and numerous clients.
//!
//! - State-changing requests run in their own task, so a client that hangs up (a phone losing its
//!   network, a proxy timing out) cannot cancel a write half-way: it always runs to completion.
//! - Every request has a deadline, headers have a size limit, and cross-site writes are refused,
//!   each answered in the SPEC §8 error shape.
//! - Connections are capped, headers must arrive within a deadline, and on SIGTERM open requests
//!   get a grace period and then the server exits whatever clients do.

use std::future::Future;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request};
use axum::http::{header, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use base64::Engine;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

use crate::error::ApiError;

/// Requests whose headers (names, values and request line) pass this are refused with `431`.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;
/// hyper's own read buffer: headers beyond it get hyper's bare `431` before any of our code runs,
/// so it is set well above [`MAX_HEADER_BYTES`] to let ours answer in JSON.
const READ_BUFFER_BYTES: usize = 64 * 1024;

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Runs a state-changing request in a task of its own: if the client goes away, the request's
/// future is dropped here but the write runs on to its commit or rollback. The body is read first,
/// here, so a client that sends it slowly is still bound by [`deadline`] and holds no task or
/// connection past it.
pub async fn cancel_safe(request: Request, next: Next) -> Response {
    if is_safe(request.method()) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, crate::routes::BODY_LIMIT).await {
        Ok(bytes) => bytes,
        Err(e) if is_too_large(&e) => return ApiError::PayloadTooLarge.into_response(),
        Err(_) => {
            return ApiError::bad_request(
                "BODY_INCOMPLETE",
                "请求内容未完整送达",
                "The request body did not arrive in full",
            )
            .into_response()
        }
    };
    let request = Request::from_parts(parts, axum::body::Body::from(bytes));
    match tokio::spawn(next.run(request)).await {
        Ok(response) => response,
        Err(e) => ApiError::Internal(format!("request task failed: {e}")).into_response(),
    }
}

fn is_too_large(error: &axum::Error) -> bool {
    let mut source: Option<&dyn std::error::Error> = Some(error);
    while let Some(e) = source {
        if e.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = e.source();
    }
    false
}

/// Answers `408` when a request (its body included) takes longer than `limit`. A write already
/// under way carries on in its own task (see [`cancel_safe`]).
pub async fn deadline(limit: Duration, request: Request, next: Next) -> Response {
    // An order file of 50 MB may take longer to upload; its reading is bounded by its size.
    if request.uri().path() == crate::routes::import::PATH {
        return next.run(request).await;
    }
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::RequestTimeout.into_response(),
    }
}

/// `431` in the JSON error shape for oversized headers.
pub async fn header_limit(request: Request, next: Next) -> Response {
    let size: usize = request.uri().to_string().len()
        + request.headers().iter().map(|(name, value)| name.as_str().len() + value.len() + 4).sum::<usize>();
    if size > MAX_HEADER_BYTES {
        return ApiError::HeadersTooLarge.into_response();
    }
    next.run(request).await
}

/// Refuses state-changing requests that a browser says come from another site: the defence for
/// sign-in, which has no session (and so no CSRF token) yet, and a second one for everything
/// else. Requests without these headers (API clients, tests) are judged by the CSRF token.
pub async fn same_origin(request: Request, next: Next) -> Response {
    if !is_safe(request.method()) && is_cross_site(request.headers()) {
        return ApiError::CrossSite.into_response();
    }
    next.run(request).await
}

fn is_cross_site(headers: &axum::http::HeaderMap) -> bool {
    let text = |name| headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok());
    if let Some(site) = text("sec-fetch-site") {
        if !matches!(site, "same-origin" | "none") {
            return true;
        }
    }
    match (text("origin"), text("host")) {
        (Some(origin), Some(host)) => {
            let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
            origin == "null" || !origin_host.eq_ignore_ascii_case(host)
        }
        (Some(_), None) => true,
        _ => false,
    }
}

/// The Content-Security-Policy for the console. The wasm app needs `'wasm-unsafe-eval'`; Trunk's
/// inline loader scripts are allowed by their hashes, read from the built index pages (the agents'
/// bundle's and the full one's), so no other inline script can run. Styles allow inline
/// attributes (meter widths).
pub fn content_security_policy<'a>(pages: impl IntoIterator<Item = &'a str>) -> String {
    let hashes: Vec<String> = pages
        .into_iter()
        .flat_map(inline_scripts)
        .map(|script| {
            let digest = Sha256::digest(script.as_bytes());
            format!(" 'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(digest))
        })
        .collect();
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{}; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'",
        hashes.concat()
    )
}

/// The bodies of `<script>` elements without `src` in an HTML page.
fn inline_scripts(html: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        rest = &rest[start..];
        let Some(open_end) = rest.find('>') else { break };
        let tag = &rest[..open_end];
        let body_start = open_end + 1;
        let Some(close) = rest[body_start..].find("</script>") else { break };
        if !tag.contains(" src=") {
            found.push(&rest[body_start..body_start + close]);
        }
        rest = &rest[body_start + close..];
    }
    found
}

/// Limits of the connection loop.
#[derive(Clone, Copy, Debug)]
pub struct ConnectionLimits {
    pub max_connections: usize,
    pub header_read_timeout: Duration,
    /// After shutdown starts, how long open requests may take before the server exits anyway.
    pub shutdown_grace: Duration,
    /// The server sits behind a proxy that appends the client's address to `X-Forwarded-For`:
    /// that address, not the proxy's, is the client's.
    pub trust_forwarded_for: bool,
}

/// The client's address as the sign-in throttle and rate limit key it: the TCP peer, or with a
/// trusted proxy the last `X-Forwarded-For` entry (the one that proxy appended; anything before
/// it is what the client claimed). An IPv4-mapped IPv6 address is its IPv4 address, and an IPv6
/// address stands for its /64, the block one subscriber gets, so a guesser cannot rotate through
/// the addresses of its own network.
pub fn client_address(
    peer: SocketAddr,
    headers: &axum::http::HeaderMap,
    trust_forwarded_for: bool,
) -> SocketAddr {
    let forwarded = trust_forwarded_for
        .then(|| {
            headers
                .get_all("x-forwarded-for")
                .iter()
                .next_back()?
                .to_str()
                .ok()?
                .rsplit(',')
                .next()?
                .trim()
                .parse::<IpAddr>()
                .ok()
        })
        .flatten();
    let ip = match forwarded.unwrap_or(peer.ip()) {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
        },
        v4 => v4,
    };
    SocketAddr::new(ip, peer.port())
}

/// Serves `app` on `listener` until `shutdown` resolves, then stops accepting, lets open requests
/// finish within the grace period, and returns.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(READ_BUFFER_BYTES)
        // More headers than this get hyper's own bare 431; ours answers above MAX_HEADER_BYTES.
        .max_headers(500);
    tokio::pin!(shutdown);
    loop {
        // Wait for a free slot first: beyond the cap, clients wait in the kernel's listen queue
        // instead of taking file descriptors the database and health checks need.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot { Ok(slot) => slot, Err(_) => break },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait a moment rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let service =
            hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
                let client = client_address(peer, request.headers(), limits.trust_forwarded_for);
                request.extensions_mut().insert(ConnectInfo::<SocketAddr>(client));
                app.clone().oneshot(request.map(axum::body::Body::new))
            });
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            let _ = connection.await;
            drop(slot);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("all connections closed"),
        () = tokio::time::sleep(limits.shutdown_grace) => {
            tracing::warn!("shutdown grace period over; closing the remaining connections");
        }
    }
}

/// `Strict-Transport-Security` for deployments served over HTTPS.
pub const HSTS: &str = "max-age=31536000; includeSubDomains";

/// `Cache-Control` of the SPA's files: Trunk's hashed file names never change content, so they are
/// cached for good; everything else (`index.html`) revalidates so a new release is seen at once.
pub fn cache_control_for(path: &str) -> &'static str {
    let name = path.rsplit('/').next().unwrap_or(path);
    let hashed = name
        .split(['-', '.', '_'])
        .any(|part| part.len() >= 16 && part.bytes().all(|b| b.is_ascii_hexdigit()));
    if hashed {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    }
}

/// Sets [`cache_control_for`] on the SPA's answers, and answers a method the static files do not
/// take (`POST /`) in the JSON error shape like the API does.
pub async fn spa_cache(request: Request, next: Next) -> Response {
    let value = cache_control_for(request.uri().path());
    let mut response = next.run(request).await;
    if response.status() == axum::http::StatusCode::METHOD_NOT_ALLOWED {
        return ApiError::MethodNotAllowed.into_response();
    }
    if response.status().is_success() || response.status() == axum::http::StatusCode::NOT_MODIFIED {
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_csp_allows_trunks_inline_loader_by_hash_and_wasm() {
        let html = r#"<html><head><script type="module">import init from '/a.js';init();</script>
            <script src="/x.js"></script></head></html>"#;
        let csp = content_security_policy([html]);
        let digest = Sha256::digest(b"import init from '/a.js';init();");
        let hash = base64::engine::general_purpose::STANDARD.encode(digest);
        assert!(csp.contains(&format!("'sha256-{hash}'")), "{csp}");
        assert_eq!(csp.matches("'sha256-").count(), 1, "scripts with src need no hash");
        assert!(csp.contains("'wasm-unsafe-eval'") && csp.contains("frame-ancestors 'none'"));
        assert!(!csp.contains("'unsafe-eval'") && !csp.contains("script-src 'self' 'unsafe-inline'"));
    }

    #[test]
    fn the_csp_allows_the_loaders_of_both_bundles_and_nothing_else_inline() {
        let page =
            |script: &str| format!("<html><head><script type=\"module\">{script}</script></head></html>");
        let (agents, full) = ("import init from '/a.js';init();", "import init from '/admin/b.js';init();");
        let csp = content_security_policy([page(agents).as_str(), page(full).as_str()]);
        for script in [agents, full] {
            let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(script.as_bytes()));
            assert!(csp.contains(&format!("'sha256-{hash}'")), "{script}: {csp}");
        }
        assert_eq!(csp.matches("'sha256-").count(), 2);
        assert_eq!(content_security_policy([]).matches("'sha256-").count(), 0, "no page, no inline script");
    }

    #[test]
    fn the_client_address_is_the_peer_an_ipv6_slash_64_or_a_trusted_proxys_last_hop() {
        let peer: SocketAddr = "10.0.0.5:4000".parse().unwrap();
        let mut headers = axum::http::HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_static("1.1.1.1, 203.0.113.9"));
        assert_eq!(
            client_address(peer, &headers, false).ip().to_string(),
            "10.0.0.5",
            "not trusted: the peer"
        );
        assert_eq!(
            client_address(peer, &headers, true).ip().to_string(),
            "203.0.113.9",
            "the proxy's own entry"
        );
        let v6: SocketAddr = "[2001:db8:1:2:aaaa:bbbb:cccc:dddd]:1".parse().unwrap();
        assert_eq!(
            client_address(v6, &axum::http::HeaderMap::new(), false).ip().to_string(),
            "2001:db8:1:2::"
        );
        let mapped: SocketAddr = "[::ffff:192.0.2.7]:1".parse().unwrap();
        assert_eq!(
            client_address(mapped, &axum::http::HeaderMap::new(), false).ip().to_string(),
            "192.0.2.7"
        );
    }

    #[test]
    fn hashed_files_are_immutable_and_the_page_revalidates() {
        assert_eq!(
            cache_control_for("/payout-console-4c1e9f2a7b3d5e60_bg.wasm"),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(cache_control_for("/main-1a2b3c4d5e6f7a8b.css"), "public, max-age=31536000, immutable");
        assert_eq!(cache_control_for("/index.html"), "no-cache");
        assert_eq!(cache_control_for("/payout"), "no-cache");
    }

    #[test]
    fn cross_site_writes_are_recognised_by_fetch_metadata_or_origin() {
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut map = axum::http::HeaderMap::new();
            for (k, v) in pairs {
                map.insert(*k, HeaderValue::from_static(v));
            }
            map
        };
        assert!(is_cross_site(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(is_cross_site(&headers(&[("origin", "https://evil.example"), ("host", "127.0.0.1:8080")])));
        assert!(is_cross_site(&headers(&[("origin", "null"), ("host", "127.0.0.1:8080")])));
        assert!(!is_cross_site(&headers(&[("origin", "http://127.0.0.1:8080"), ("host", "127.0.0.1:8080")])));
        assert!(!is_cross_site(&headers(&[("sec-fetch-site", "same-origin")])));
        assert!(!is_cross_site(&headers(&[])), "API clients send neither header");
    }
}
