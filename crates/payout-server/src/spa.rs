//! Serves the built SPA, which comes as two bundles (`scripts/build.sh`): the agents' in `dist/`,
//! and the full one, which adds the main account's screens, in `dist/admin/` (its files under
//! `/admin/…`). Files are served from `dist/`; the main account's screens get
//! `dist/admin/index.html` and every other path `dist/index.html`, so that deep links such as
//! `/payout?order=…` open the app on that screen and an agent never downloads the full bundle.
//! Precompressed `.br` and `.gz` siblings written by `scripts/build.sh` are sent when the browser
//! accepts them.
//!
//! The page itself paints before the wasm has loaded: a skeleton of the workbench, or a sign-in form
//! a person can fill at once (`index.html`). Which one depends on whether the browser may hold a
//! session, which only its marker cookie says, so the server marks the page of a request without
//! one (`<html class="signed-out">`) and the page's CSS shows the form: no script decides it.

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower_http::services::{ServeDir, ServeFile};

use crate::{auth, http};

/// The paths of the main account's screens, which only the full bundle holds. The same list as the
/// admin tabs of the SPA's `src/nav.rs` (`tests/e2e/bundles.test.mjs` checks that every such tab
/// gets the full bundle).
pub const ADMIN_SCREENS: [&str; 9] = [
    "/quotas",
    "/settings",
    "/reasons",
    "/approvals",
    "/statements",
    "/overview",
    "/order-import",
    "/api-settings",
    "/sub-accounts",
];

/// The two index pages: the agents' and the full bundle's. A `dist/` built before the split has
/// no `admin/`, but its one page holds every screen, so that page serves for both.
pub fn index_pages(dist: &Path) -> (PathBuf, PathBuf) {
    let agent = dist.join("index.html");
    let admin = dist.join("admin").join("index.html");
    if admin.is_file() {
        (agent, admin)
    } else {
        tracing::warn!(
            dist = %dist.display(),
            "no admin/index.html in the SPA's dist: the main account's screens are served from \
             index.html, which has them only if it was built before the bundles were split \
             (scripts/build.sh builds both)"
        );
        (agent.clone(), agent)
    }
}

/// The SPA: files, the page for each screen, and `Cache-Control` as [`http::spa_cache`] sets it.
pub fn router<S: Clone + Send + Sync + 'static>(dist: &Path) -> Router<S> {
    let (agent, admin) = index_pages(dist);
    let page = |path: PathBuf| ServeFile::new(path).precompressed_br().precompressed_gzip();
    let files = ServeDir::new(dist).precompressed_br().precompressed_gzip().fallback(page(agent));
    ADMIN_SCREENS
        .iter()
        .fold(Router::new(), |router, screen| router.route_service(screen, page(admin.clone())))
        .fallback_service(files)
        .layer(axum::middleware::from_fn(http::spa_cache))
        .layer(axum::middleware::from_fn(mark_signed_out))
}

/// The class `index.html`'s CSS reads to show the sign-in form instead of the skeleton.
const SIGNED_OUT: &str = r#"<html class="signed-out""#;

/// Marks an HTML page asked for without the marker cookie as signed out. Both kinds of page vary
/// with the cookie, and a signed-out one is never answered `304` (the browser's copy may be the
/// other kind).
async fn mark_signed_out(mut request: Request, next: Next) -> Response {
    let signed_out = !auth::carries_marker(request.headers());
    if signed_out {
        request.headers_mut().remove(header::IF_MODIFIED_SINCE);
        request.headers_mut().remove(header::IF_NONE_MATCH);
    }
    let response = next.run(request).await;
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|t| t.to_str().is_ok_and(|t| t.starts_with("text/html")));
    if !html {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    parts.headers.append(header::VARY, HeaderValue::from_static("cookie"));
    if !signed_out || parts.status != StatusCode::OK || parts.headers.contains_key(header::CONTENT_ENCODING) {
        return Response::from_parts(parts, body);
    }
    // An index page is a few KB; one bigger than this is not ours to rewrite.
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let page = without_wasm_preload(&String::from_utf8_lossy(&bytes)).replacen("<html", SIGNED_OUT, 1);
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.remove(header::LAST_MODIFIED);
    parts.headers.remove(header::ETAG);
    Response::from_parts(parts, Body::from(page))
}

/// The page without its `<link rel="preload">` of the wasm. A signed-out page paints its plain
/// sign-in form first, and its loader (scripts/build.sh) starts the app's download after that
/// paint: on a slow network the page and its CSS then do not share the first second with the
/// wasm, and a person types while it downloads.
fn without_wasm_preload(page: &str) -> String {
    let end = page.find(r#"type="application/wasm">"#).map(|at| at + r#"type="application/wasm">"#.len());
    match end.and_then(|end| page[..end].rfind("<link").map(|start| (start, end))) {
        Some((start, end)) if page[start..end].contains(r#"rel="preload""#) => {
            format!("{}{}", &page[..start], &page[end..])
        }
        _ => page.to_owned(),
    }
}

/// The text of each index page there is (the Content-Security-Policy allows their inline scripts).
pub fn page_texts(dist: &Path) -> Vec<String> {
    [dist.join("index.html"), dist.join("admin").join("index.html")]
        .iter()
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    use super::*;

    const WASM: &str = "payout-console-0123456789abcdef_bg.wasm";

    fn write(path: PathBuf, text: &[u8]) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// GETs `path`; returns the status, `Content-Encoding`, `Cache-Control` and the body.
    async fn get(dist: &Path, path: &str) -> (StatusCode, String, String, String) {
        let request = Request::get(path).header("accept-encoding", "br, gzip").body(Body::empty()).unwrap();
        let response = router::<()>(dist).oneshot(request).await.unwrap();
        let header =
            |name| response.headers().get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
        let (encoding, cache) = (header("content-encoding"), header("cache-control"));
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
        (status, encoding, cache, String::from_utf8_lossy(&body).into_owned())
    }

    fn two_bundles() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path().join("index.html"), b"agents' page");
        write(dir.path().join("admin/index.html"), b"full page");
        write(dir.path().join("admin").join(WASM), b"wasm");
        write(dir.path().join("admin").join(format!("{WASM}.br")), b"brotli wasm");
        dir
    }

    #[tokio::test]
    async fn the_main_accounts_screens_get_the_full_bundles_page_and_every_other_path_the_agents() {
        let dir = two_bundles();
        for screen in ADMIN_SCREENS {
            let (status, _, cache, body) = get(dir.path(), &format!("{screen}?date=2026-11-25")).await;
            assert_eq!(
                (status, body.as_str(), cache.as_str()),
                (StatusCode::OK, "full page", "no-cache"),
                "{screen}"
            );
        }
        for path in
            ["/", "/payout?order=6920241100000000002", "/records", "/orders/1", "/sign-in?next=%2Fquotas"]
        {
            let (status, _, cache, body) = get(dir.path(), path).await;
            assert_eq!(
                (status, body.as_str(), cache.as_str()),
                (StatusCode::OK, "agents' page", "no-cache"),
                "{path}"
            );
        }
        assert_eq!(get(dir.path(), "/quotasx").await.3, "agents' page", "whole paths only");
    }

    #[tokio::test]
    async fn the_full_bundles_files_come_from_dist_admin_precompressed_and_immutable() {
        let dir = two_bundles();
        let (status, encoding, cache, body) = get(dir.path(), &format!("/admin/{WASM}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(encoding, "br");
        assert_eq!(cache, "public, max-age=31536000, immutable");
        assert_eq!(body, "brotli wasm");
    }

    /// GETs `path` with these request headers; returns the status, `Vary` and the body.
    async fn get_with(dist: &Path, path: &str, headers: &[(&str, &str)]) -> (StatusCode, String, String) {
        let mut request = Request::get(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = router::<()>(dist).oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
        let vary = response.headers().get("vary").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
        (status, vary, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn a_page_asked_for_without_the_marker_cookie_is_marked_signed_out_so_it_paints_the_form() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path().join("index.html"),
            br#"<!DOCTYPE html><html lang="zh-CN"><body>agents</body></html>"#,
        );
        write(
            dir.path().join("admin/index.html"),
            br#"<!DOCTYPE html><html lang="zh-CN"><body>full</body></html>"#,
        );
        write(dir.path().join("app-0123456789abcdef.css"), b"html{}");
        let signed_out = r#"<html class="signed-out" lang="zh-CN">"#;
        for path in ["/", "/sign-in", "/payout?order=6920241100000000002", "/quotas"] {
            let (status, vary, body) = get_with(dir.path(), path, &[]).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            assert!(body.contains(signed_out), "{path}: {body}");
            assert!(
                vary.to_ascii_lowercase().contains("cookie"),
                "{path}: the page varies with the cookie: {vary}"
            );
            // Even when the browser holds a copy (which may be the other kind of page).
            let since = [("if-modified-since", "Sun, 06 Dec 2099 00:00:00 GMT")];
            let (status, _, body) = get_with(dir.path(), path, &since).await;
            assert_eq!(status, StatusCode::OK, "{path}: never 304 signed out");
            assert!(body.contains(signed_out), "{path}");
        }
        for marker in ["payout_signed_in=1", "theme=x; __Host-payout_signed_in=1"] {
            let (status, vary, body) = get_with(dir.path(), "/payout", &[("cookie", marker)]).await;
            assert_eq!(status, StatusCode::OK);
            assert!(
                body.contains(r#"<html lang="zh-CN">"#) && !body.contains("signed-out"),
                "{marker}: {body}"
            );
            assert!(vary.to_ascii_lowercase().contains("cookie"), "{vary}");
        }
        let (_, _, body) = get_with(dir.path(), "/payout", &[("cookie", "payout_signed_in=")]).await;
        assert!(body.contains(signed_out), "an emptied marker is no marker");
        let (_, _, css) = get_with(dir.path(), "/app-0123456789abcdef.css", &[]).await;
        assert_eq!(css, "html{}", "only pages are marked");
    }

    #[tokio::test]
    async fn a_signed_out_page_does_not_preload_the_wasm_before_its_form_has_painted() {
        let dir = tempfile::tempdir().unwrap();
        let preload = format!(
            r#"<link rel="preload" href="/{WASM}" crossorigin="anonymous" as="fetch" type="application/wasm">"#
        );
        let module = r#"<link rel="modulepreload" href="/app.js">"#;
        let page = format!(
            r#"<!DOCTYPE html><html lang="zh-CN"><head>{module}{preload}</head><body>agents</body></html>"#
        );
        write(dir.path().join("index.html"), page.as_bytes());
        let (_, _, signed_out) = get_with(dir.path(), "/sign-in", &[]).await;
        assert!(signed_out.contains("signed-out") && !signed_out.contains(WASM), "{signed_out}");
        assert!(
            signed_out.contains(&format!("<head>{module}</head>")),
            "only the wasm's link goes: {signed_out}"
        );
        let (_, _, signed_in) = get_with(dir.path(), "/payout", &[("cookie", "payout_signed_in=1")]).await;
        assert_eq!(signed_in, page, "a signed-in page needs the app at once: it keeps the preload");
    }

    #[tokio::test]
    async fn without_dist_admin_the_main_accounts_screens_get_the_one_page_of_an_older_build() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path().join("index.html"), b"every screen");
        let (status, _, _, body) = get(dir.path(), "/quotas").await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "every screen"));
        assert_eq!(page_texts(dir.path()), ["every screen"]);
    }
}
