//! What an attacker or a busy shop tries beyond the happy path: top-ups sent again and at once
//! (D8), quota managers reaching past their grant (D6, D7), cross-site sign-in, what the headers
//! promise, the CSV a spreadsheet opens, the error shape of 405 and 431, and the purge of what
//! only grows.

use futures::future::join_all;
use serde_json::json;

use crate::helpers::*;

fn custody_balance(settings: &Answer) -> String {
    let accounts = settings.body["accounts"].as_array().unwrap();
    let custody = accounts.iter().find(|a| a["kind"] == "custody").unwrap();
    custody["balance"].as_str().unwrap().to_owned()
}

async fn top_up(client: &Client, key: &str, amount: &str, reference: &str) -> Answer {
    let mut req = client
        .http
        .post(format!("{}/api/custody/top-ups", client.url))
        .header("Idempotency-Key", key)
        .json(&json!({"amount": amount, "reference": reference}));
    if let Some(csrf) = &client.csrf {
        req = req.header("X-CSRF-Token", csrf);
    }
    Client::answer(req.send().await.unwrap()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn d8_a_top_up_is_recorded_once_whatever_the_client_sends() {
    let app = spawn_with(Spawn { second_server: true, ..Spawn::default() }).await;
    let admin = app.login("lin.admin").await;
    let second = admin.on_second();
    // The same body four times under one key, then twenty at once under another: one credit each.
    for _ in 0..4 {
        assert_eq!(top_up(&admin, "key-1", "100", "ICBC-1").await.status, 201);
    }
    let burst =
        join_all((0..20).map(|i| top_up(if i % 2 == 0 { &admin } else { &second }, "key-2", "50", "ICBC-2")))
            .await;
    assert!(burst.iter().all(|a| a.status == 201), "every repeat gets the first answer");
    assert!(burst.windows(2).all(|w| w[0].body == w[1].body), "the first answer, verbatim");
    assert_eq!(custody_balance(&admin.get("/api/payout-settings").await), "3150.00");
    // The same key with another body, and a used reference under a new key.
    let reused = top_up(&admin, "key-1", "999", "ICBC-1").await;
    assert_eq!((reused.status.as_u16(), reused.error_code()), (409, "IDEMPOTENCY_KEY_REUSED"));
    let again = top_up(&admin, "key-3", "100", "ICBC-1").await;
    assert_eq!((again.status.as_u16(), again.error_code()), (409, "TOP_UP_REFERENCE_USED"));
    // A retry that pads the reference or writes the amount another way is the same request.
    let respelled = top_up(&admin, "key-1", "100.00", " ICBC-1 ").await;
    assert_eq!(respelled.status, 201, "the same top-up spelled differently: {}", respelled.body);
    let retyped = top_up(&admin, "key-4", "100", " icbc－１").await;
    assert_eq!(retyped.error_code(), "TOP_UP_REFERENCE_USED", "the same reference typed in another form");
    assert_eq!(custody_balance(&admin.get("/api/payout-settings").await), "3150.00");
    // Without a key it is refused before anything is recorded.
    let keyless = admin
        .http
        .post(format!("{}/api/custody/top-ups", admin.url))
        .header("X-CSRF-Token", admin.csrf.clone().unwrap())
        .json(&json!({"amount": "1", "reference": "NO-KEY"}))
        .send()
        .await
        .unwrap();
    assert_eq!(Client::answer(keyless).await.error_code(), "IDEMPOTENCY_KEY_REQUIRED");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM top_ups").await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn d8_concurrent_top_ups_near_the_ceiling_never_pass_it() {
    let app = spawn_with(Spawn { second_server: true, ..Spawn::default() }).await;
    // ¥1,000.00 below the ceiling of ¥100,000,000.00.
    app.sql("UPDATE accounts SET balance_fen = 9999900000 WHERE shop_id = 1 AND kind = 'custody'").await;
    let admin = app.login("lin.admin").await;
    let second = admin.on_second();
    let answers = join_all((0..16).map(|i| {
        let via = if i % 2 == 0 { &admin } else { &second };
        async move { top_up(via, &format!("k{i}"), "300", &format!("REF-{i}")).await }
    }))
    .await;
    let accepted = answers.iter().filter(|a| a.status == 201).count();
    assert_eq!(accepted, 3, "3 × 300 ≤ 1,000 < 4 × 300");
    assert!(answers.iter().filter(|a| a.status != 201).all(|a| a.error_code() == "TOP_UP_ABOVE_CEILING"));
    let settings = admin.get("/api/payout-settings").await;
    assert_eq!(settings.status, 200, "the shop's accounts still read");
    assert_eq!(custody_balance(&settings), "99999900.00");
}

#[tokio::test]
async fn d8_a_suspended_shop_cannot_top_up() {
    let app = spawn_app().await;
    let sun = app.login("sun.admin").await;
    let answer = top_up(&sun, "k", "100", "SUN-1").await;
    assert_eq!((answer.status.as_u16(), answer.error_code()), (422, "SHOP_NOT_ACTIVE"));
    assert_eq!(app.scalar("SELECT COUNT(*) FROM top_ups").await, 0);
}

const AGENT1: i64 = 2;
const AGENT2: i64 = 3;
const VIEWER: i64 = 4;

#[tokio::test]
async fn d6_only_the_main_account_grants_payout_permission_and_the_quota_manager_role() {
    let app = spawn_app().await;
    let admin = app.login("lin.admin").await;
    let manager = app.login("lin.agent2").await;
    let viewer = app.login("lin.viewer").await;
    let quota = json!({"per_payout_limit": "20", "daily_limit": "100", "enabled": true});
    // The quota manager cannot reach a sub-account without payout permission, nor grant it.
    let refused = manager.put(&format!("/api/quotas/{VIEWER}"), quota.clone()).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    let grant = json!({"payout": true, "manage_quotas": false});
    assert_eq!(
        manager.put(&format!("/api/sub-accounts/{VIEWER}/permissions"), grant.clone()).await.status,
        403
    );
    assert_eq!(viewer.create(draft(O2, "5")).await.status, 403, "R-P1");
    // The main account grants; then the manager may set the quota; then the viewer pays.
    let granted = admin.put(&format!("/api/sub-accounts/{VIEWER}/permissions"), grant).await;
    assert_eq!((granted.status.as_u16(), granted.body["payout_permission"].as_bool()), (200, Some(true)));
    let set = manager.put(&format!("/api/quotas/{VIEWER}"), quota).await;
    assert_eq!(set.status, 200, "{}", set.body);
    assert_eq!(viewer.create(draft(O2, "5")).await.status, 201);
    // Revoked: refused at once, whatever the quota says.
    let revoked = admin
        .put(
            &format!("/api/sub-accounts/{VIEWER}/permissions"),
            json!({"payout": false, "manage_quotas": false}),
        )
        .await;
    assert_eq!(revoked.body["payout_permission"], false);
    assert_eq!(viewer.create(draft(O1, "5")).await.status, 403);
    // The role itself: agent1 becomes a quota manager, agent2 stops being one.
    admin
        .put(
            &format!("/api/sub-accounts/{AGENT1}/permissions"),
            json!({"payout": true, "manage_quotas": true}),
        )
        .await;
    admin
        .put(
            &format!("/api/sub-accounts/{AGENT2}/permissions"),
            json!({"payout": true, "manage_quotas": false}),
        )
        .await;
    assert_eq!(app.login("lin.agent1").await.get("/api/quotas").await.status, 200);
    assert_eq!(manager.get("/api/quotas").await.status, 403);
    let audit = admin.get("/api/audit?per_page=100").await;
    let grants = audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "permissions.updated")
        .count();
    assert_eq!(grants, 4, "every grant is audited");
}

#[tokio::test]
async fn d7_a_quota_manager_cannot_amplify_its_own_limits_or_touch_its_own_quota() {
    let app = spawn_app().await;
    let manager = app.login("lin.agent2").await; // per payout 200, daily 2,000
    let above = manager
        .put(
            &format!("/api/quotas/{AGENT1}"),
            json!({"per_payout_limit": "500", "daily_limit": "15000", "enabled": true}),
        )
        .await;
    assert_eq!((above.status.as_u16(), above.error_code()), (403, "QUOTA_ABOVE_OWN_LIMIT"));
    let daily_above = manager
        .put(
            &format!("/api/quotas/{AGENT1}"),
            json!({"per_payout_limit": "100", "daily_limit": "2000.01", "enabled": true}),
        )
        .await;
    assert_eq!(daily_above.error_code(), "QUOTA_ABOVE_OWN_LIMIT");
    let within = manager
        .put(
            &format!("/api/quotas/{AGENT1}"),
            json!({"per_payout_limit": "200", "daily_limit": "2000", "enabled": true}),
        )
        .await;
    assert_eq!(within.status, 200, "up to its own limits is fine");
    let own = manager
        .put(
            &format!("/api/quotas/{AGENT2}"),
            json!({"per_payout_limit": "1", "daily_limit": "1", "enabled": true}),
        )
        .await;
    assert_eq!(own.status, 403);
    // A manager whose own quota is switched off has nothing to hand on.
    let admin = app.login("lin.admin").await;
    let off = json!({"per_payout_limit": "200", "daily_limit": "2000", "enabled": false});
    assert_eq!(admin.put(&format!("/api/quotas/{AGENT2}"), off).await.status, 200);
    let tiny = json!({"per_payout_limit": "1", "daily_limit": "1", "enabled": true});
    let while_off = manager.put(&format!("/api/quotas/{AGENT1}"), tiny).await;
    assert_eq!(while_off.error_code(), "QUOTA_ABOVE_OWN_LIMIT");
    // The main account is bound only by the shop-wide limits.
    let big = admin
        .put(
            &format!("/api/quotas/{AGENT1}"),
            json!({"per_payout_limit": "500", "daily_limit": "15000", "enabled": true}),
        )
        .await;
    assert_eq!(big.status, 200);
}

#[tokio::test]
async fn sign_in_from_another_site_is_refused() {
    let app = spawn_app().await;
    let http = reqwest::Client::new();
    let body = json!({"username": "lin.admin", "password": PASSWORD});
    for (name, value) in [("origin", "https://evil.example"), ("sec-fetch-site", "cross-site")] {
        let res = http
            .post(format!("{}/api/session", app.url))
            .header(name, value)
            .json(&body)
            .send()
            .await
            .unwrap();
        let answer = Client::answer(res).await;
        assert_eq!((answer.status.as_u16(), answer.error_code()), (403, "CROSS_SITE_REQUEST"), "{name}");
    }
    let host = app.url.trim_start_matches("http://").to_owned();
    let res = http
        .post(format!("{}/api/session", app.url))
        .header("origin", format!("http://{host}"))
        .header("sec-fetch-site", "same-origin")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "the console's own page signs in");
}

#[tokio::test]
async fn pages_carry_a_csp_that_lets_only_the_app_run_and_api_errors_keep_their_shape() {
    let app = spawn_app().await;
    let http = reqwest::Client::new();
    for path in ["/", "/payout?order=1", "/api/health"] {
        let res = http.get(format!("{}{path}", app.url)).send().await.unwrap();
        let csp = res.headers()["content-security-policy"].to_str().unwrap().to_owned();
        assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("object-src 'none'"), "{path}: {csp}");
        assert!(res.headers().get("strict-transport-security").is_none(), "no HSTS over plain HTTP");
    }
    let wrong_method = http.delete(format!("{}/api/health", app.url)).send().await.unwrap();
    let answer = Client::answer(wrong_method).await;
    assert_eq!((answer.status.as_u16(), answer.error_code()), (405, "METHOD_NOT_ALLOWED"));
    let post_page = Client::answer(http.post(format!("{}/", app.url)).send().await.unwrap()).await;
    assert_eq!((post_page.status.as_u16(), post_page.error_code()), (405, "METHOD_NOT_ALLOWED"), "pages too");
    let huge = http
        .get(format!("{}/api/health", app.url))
        .header("x-filler", "a".repeat(20_000))
        .send()
        .await
        .unwrap();
    let answer = Client::answer(huge).await;
    assert_eq!((answer.status.as_u16(), answer.error_code()), (431, "HEADERS_TOO_LARGE"));
}

#[tokio::test]
async fn behind_https_the_session_cookie_is_host_only_and_secure_with_hsts() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path()).await;
    config.secure_cookies = true;
    let clock = payout_server::clock::ManualClock::new(
        payout_core::Time::parse("2026-11-24T10:00:00+08:00").unwrap(),
    );
    let url = serve_in_process(&config, &clock).await;
    let http = reqwest::Client::new();
    let res = http
        .post(format!("{url}/api/session"))
        .json(&json!({"username": "lin.admin", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert!(res.headers()["strict-transport-security"].to_str().unwrap().starts_with("max-age="));
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("__Host-payout_session=") && cookie.contains("; Secure;"), "{cookie}");
    let pair = cookie.split(';').next().unwrap().to_owned();
    let me = http.get(format!("{url}/api/session")).header("cookie", pair).send().await.unwrap();
    assert_eq!(me.status(), 200, "the __Host- cookie is the session");
}

#[tokio::test]
async fn the_csv_export_has_no_control_characters_and_no_hidden_formulas() {
    let app = spawn_app().await;
    let admin = app.login("lin.admin").await;
    let mut d = draft(O2, "5");
    d["note"] = json!("\t=HYPERLINK(\"http://x\")\u{7}\u{1b}[31m");
    assert_eq!(admin.create(d).await.status, 201);
    let res =
        admin.http.get(format!("{}/api/payouts/export.csv?order_no={O2}", app.url)).send().await.unwrap();
    let text = res.text().await.unwrap();
    assert!(!text.chars().any(|c| c.is_control() && c != '\n' && c != '\r'), "{text:?}");
    assert!(text.contains("\"'=HYPERLINK"), "the formula is neutralised: {text:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_sessions_old_idempotency_keys_and_spent_throttle_records_are_purged() {
    let app = spawn_with(Spawn { housekeeping_ms: Some(50), ..Spawn::default() }).await;
    let admin = app.login("lin.admin").await;
    assert_eq!(admin.create(draft(O2, "5")).await.status, 201);
    let anon = app.anonymous();
    anon.post("/api/session", json!({"username": "lin.agent1", "password": "guess"})).await;
    // A long-expired session (of someone who does not sign in here, whose sign-in would remove
    // it too), added after the current rows. A pass purges sessions first, then keys and throttle
    // records: once a pass has removed this one, it has judged the current rows too.
    app.sql(
        "INSERT INTO sessions (token_hash, shop_id, user_id, csrf_token, created_at, expires_at) \
         SELECT 'expired', shop_id, id, 'c', 0, 1 FROM users WHERE username = 'lin.viewer'",
    )
    .await;
    let app = &app;
    let wait = std::time::Duration::from_secs(10);
    eventually(wait, "a purge pass removes the expired session", || async move {
        app.scalar("SELECT COUNT(*) FROM sessions WHERE token_hash = 'expired'").await == 0
    })
    .await;
    assert!(app.scalar("SELECT COUNT(*) FROM sessions").await >= 1, "nothing current is purged");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM idempotency_keys").await, 1);
    assert!(app.scalar("SELECT COUNT(*) FROM sign_in_throttle").await >= 1);
    app.clock.advance_secs(25 * 3600);
    eventually(wait, "a day later, sessions, keys and throttle records are purged", || async move {
        app.scalar(
            "SELECT (SELECT COUNT(*) FROM sessions) + (SELECT COUNT(*) FROM idempotency_keys) \
                  + (SELECT COUNT(*) FROM sign_in_throttle)",
        )
        .await
            == 0
    })
    .await;
    assert_eq!(admin.get("/api/session").await.status, 401, "the expired session is gone");
}

#[tokio::test]
async fn the_spa_is_served_precompressed_with_hashed_files_immutable_and_the_page_revalidated() {
    let dir = tempfile::tempdir().unwrap();
    let dist = dir.path().join("dist");
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::write(dist.join("index.html"), "<!doctype html><title>console</title>").unwrap();
    let js = "payout-console-0123456789abcdef.js";
    std::fs::write(dist.join(js), "console.log('plain')").unwrap();
    std::fs::write(dist.join(format!("{js}.br")), b"brotli bytes").unwrap();
    std::fs::write(dist.join(format!("{js}.gz")), b"gzip bytes").unwrap();
    let mut config = test_config(dir.path()).await;
    config.dist = dist;
    let clock = payout_server::clock::ManualClock::new(
        payout_core::Time::parse("2026-11-24T10:00:00+08:00").unwrap(),
    );
    let url = serve_in_process(&config, &clock).await;
    // No automatic decompression: see exactly what the server sends.
    let http = reqwest::Client::builder().build().unwrap();
    let get = |path: String, encoding: &'static str| {
        let http = http.clone();
        async move { http.get(path).header("accept-encoding", encoding).send().await.unwrap() }
    };
    let br = get(format!("{url}/{js}"), "br, gzip").await;
    assert_eq!(br.headers()["content-encoding"], "br");
    assert_eq!(br.headers()["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(br.bytes().await.unwrap().as_ref(), b"brotli bytes");
    let gz = get(format!("{url}/{js}"), "gzip").await;
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    assert_eq!(gz.bytes().await.unwrap().as_ref(), b"gzip bytes");
    let page = get(format!("{url}/payout?order=1"), "identity").await;
    assert_eq!(
        page.headers()["cache-control"],
        "no-cache",
        "the page revalidates, so a release is seen at once"
    );
    assert!(page.text().await.unwrap().contains("<title>console</title>"), "deep links get the page");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_sending_its_body_slowly_gets_408_and_frees_its_connection() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path()).await;
    config.request_timeout_ms = 1_000;
    config.max_connections = Some(2);
    let clock = payout_server::clock::ManualClock::new(
        payout_core::Time::parse("2026-11-24T10:00:00+08:00").unwrap(),
    );
    let url = serve_in_process(&config, &clock).await;
    let addr = url.trim_start_matches("http://").to_owned();
    // Each slow client sends one byte every 100 ms and keeps sending for 6 s after its answer,
    // as a client on a bad network would not notice.
    let slow = |addr: String| async move {
        let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
        let head = "POST /api/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{";
        stream.write_all(head.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        for _ in 0..30 {
            let mut buf = [0u8; 1024];
            match tokio::time::timeout(std::time::Duration::from_millis(100), stream.read(&mut buf)).await {
                Ok(Ok(n)) if n > 0 => {
                    answer.extend_from_slice(&buf[..n]);
                    break;
                }
                Ok(_) => break,
                Err(_) => {}
            }
            let _ = stream.write_all(b" ").await;
        }
        let keep_sending = tokio::spawn(async move {
            for _ in 0..60 {
                if stream.write_all(b" ").await.is_err() {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        });
        (String::from_utf8_lossy(&answer).into_owned(), keep_sending)
    };
    let ((a, keep_a), (b, keep_b)) = tokio::join!(slow(addr.clone()), slow(addr.clone()));
    for answer in [a, b] {
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(answer.contains("REQUEST_TIMEOUT"), "in the JSON error shape: {answer}");
    }
    let health = reqwest::Client::builder().timeout(std::time::Duration::from_secs(3)).build().unwrap();
    let ok = health.get(format!("{url}/api/health")).send().await;
    assert!(ok.is_ok_and(|r| r.status() == 200), "both connection slots were given back");
    keep_a.abort();
    keep_b.abort();
}

/// PostgreSQL cannot store or look up text with U+0000 (it answered 500 here); no order number,
/// name, note or reference has one, so it is refused the same clear way on either store.
#[tokio::test]
async fn nul_characters_are_refused_with_a_clear_error_on_either_store() {
    let app = spawn_app().await;
    let admin = app.login("lin.admin").await;
    let mut d = draft(O2, "5");
    d["note"] = json!("a\u{0}b");
    let answer = admin.create(d).await;
    assert_eq!((answer.status.as_u16(), answer.error_code()), (400, "NUL_CHARACTER"), "{}", answer.body);
    assert!(answer.body["error"]["message_en"].as_str().unwrap_or("").contains("NUL"), "{}", answer.body);
    let answer = admin.create(draft("692024110000\u{0}0002", "5")).await;
    assert_eq!(answer.error_code(), "NUL_CHARACTER");
    let anon = app.anonymous();
    let answer = anon.post("/api/session", json!({"username": "lin.admin\u{0}", "password": PASSWORD})).await;
    assert_eq!(answer.error_code(), "NUL_CHARACTER");
    assert_eq!(admin.get("/api/payouts?order_no=1%00").await.error_code(), "NUL_CHARACTER");
    assert_eq!(admin.get("/api/orders/1%00/payout-context").await.status, 404);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM payouts WHERE order_no = '6920241100000000002'").await, 0);
}

/// A read whose caller gives up (a client hanging up on a GET) at any moment, even while `BEGIN`
/// is in flight, leaves no session inside a transaction. On PostgreSQL, sqlx 0.9 itself leaves one
/// when `Pool::begin` is cancelled during `BEGIN` (sqlx #4393), and the pool hands it on; the
/// store begins in a task of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_dropped_at_any_moment_never_leave_a_transaction_open() {
    let dir = tempfile::tempdir().unwrap();
    let config = test_config(dir.path()).await;
    let db = TestDb::of(&config);
    let store = payout_server::store::open(&config.store).await.unwrap();
    let mut given_up = 0;
    for i in 0..300 {
        // Polled 1 to 12 times, yielding between polls, then dropped: most land before, during
        // or just after the BEGIN round trip.
        // Boxed, so that dropping it drops the read itself.
        let mut read = Box::pin(store.audit_page(1, 1, 20));
        let mut done = false;
        for _ in 0..=(i % 12) {
            if futures::poll!(read.as_mut()).is_ready() {
                done = true;
                break;
            }
            tokio::task::yield_now().await;
        }
        if done {
            continue;
        }
        given_up += 1;
        drop(read);
        // A transaction given up is rolled back within moments; a leaked one stays.
        let mut stuck = 0;
        for _ in 0..50 {
            stuck = db.sessions_idle_in_transaction().await;
            if stuck == 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(stuck, 0, "attempt {i}: a session stayed idle inside a transaction");
    }
    println!("dropped reads: {given_up} of 300 given up part-way");
    assert!(given_up > 100, "the reads were given up part-way");
    db.no_transaction_left_open().await.expect("no session left inside a transaction");
    assert!(store.audit_page(1, 1, 20).await.is_ok(), "the store still serves");
}

/// Housekeeping never waits for a row a sign-in holds (PostgreSQL): a purge that locked expired
/// throttle rows in table order while a sign-in locked its two keys in key order could deadlock.
/// Here a sign-in's transaction holds an expired row; the purge skips it and finishes at once,
/// and removes it on a later pass. (SQLite's purge holds the database's one write lock; nothing
/// to race there.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn housekeeping_skips_throttle_rows_a_sign_in_holds_instead_of_waiting() {
    use sqlx::Connection;
    let dir = tempfile::tempdir().unwrap();
    let config = test_config(dir.path()).await;
    let TestDb::Postgres(url) = TestDb::of(&config) else {
        println!("SQLite run: the purge holds the write lock; nothing to race");
        return;
    };
    let store = payout_server::store::open(&config.store).await.unwrap();
    let db = TestDb::of(&config);
    db.execute(
        "INSERT INTO sign_in_throttle (key, count, window_start) VALUES ('held', 3, 0), ('free', 3, 0)",
    )
    .await;
    let mut sign_in = sqlx::PgConnection::connect(&url).await.unwrap();
    let mut held = sign_in.begin().await.unwrap();
    sqlx::query("UPDATE sign_in_throttle SET count = count + 1 WHERE key = 'held'")
        .execute(&mut *held)
        .await
        .unwrap();
    let now = payout_core::Time::from_unix_millis(10_000_000);
    let purge = tokio::time::timeout(std::time::Duration::from_secs(3), store.purge(now, now, 60)).await;
    let purged = purge.expect("the purge waited for the sign-in's row").unwrap();
    assert_eq!(purged.throttle, 1, "the free row is purged, the held one skipped");
    held.rollback().await.unwrap();
    assert_eq!(store.purge(now, now, 60).await.unwrap().throttle, 1, "the next pass takes it");
}
