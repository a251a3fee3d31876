//! Events out (SPEC §12.6, §12.7): signed webhooks to a receiver the test runs, their retries and
//! limits, buyer notifications that stop (D12), request ids.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::{json, Value};

use payout_server::clock::Clock;

use crate::helpers::*;

/// What a receiver got: the headers that matter, the body, and how it answered.
#[derive(Clone, Debug)]
pub struct Received {
    pub path: String,
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub body: String,
    pub at: Instant,
}

/// A receiver on 127.0.0.1: `/ok` answers 200, `/fail` 500, `/slow` after 30 s, `/never` not at all,
/// `/big` with a 10 MB body, `/steady` 200 after a second.
pub struct Receiver {
    pub url: String,
    pub got: Arc<Mutex<Vec<Received>>>,
    /// `/steady`'s answers: the `webhook-id` and when the answer went out.
    pub answered: Arc<Mutex<Vec<(String, Instant)>>>,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let answered: Arc<Mutex<Vec<(String, Instant)>>> = Arc::default();
        let record = |got: Arc<Mutex<Vec<Received>>>, path: &'static str| {
            let answered = answered.clone();
            move |headers: HeaderMap, body: Bytes| {
                let (got, answered) = (got.clone(), answered.clone());
                async move {
                    let header =
                        |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                    got.lock().unwrap().push(Received {
                        path: path.to_owned(),
                        id: header("webhook-id"),
                        timestamp: header("webhook-timestamp"),
                        signature: header("webhook-signature"),
                        body: String::from_utf8_lossy(&body).into_owned(),
                        at: Instant::now(),
                    });
                    match path {
                        // Dropped unanswered if the sender dies in the second.
                        "/steady" => {
                            tokio::time::sleep(Duration::from_secs(1)).await;
                            answered.lock().unwrap().push((header("webhook-id"), Instant::now()));
                            (StatusCode::OK, String::new())
                        }
                        "/fail" => (StatusCode::INTERNAL_SERVER_ERROR, "boom".to_owned()),
                        "/slow" => {
                            tokio::time::sleep(Duration::from_secs(30)).await;
                            (StatusCode::OK, String::new())
                        }
                        "/never" => std::future::pending().await,
                        "/big" => (StatusCode::OK, "x".repeat(10 * 1024 * 1024)),
                        _ => (StatusCode::OK, "thanks".to_owned()),
                    }
                }
            }
        };
        let app = axum::Router::new()
            .route("/ok", post(record(got.clone(), "/ok")))
            .route("/fail", post(record(got.clone(), "/fail")))
            .route("/slow", post(record(got.clone(), "/slow")))
            .route("/never", post(record(got.clone(), "/never")))
            .route("/steady", post(record(got.clone(), "/steady")))
            .route("/big", post(record(got.clone(), "/big")));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { url, got, answered }
    }

    pub fn at(&self, path: &str) -> Vec<Received> {
        self.got.lock().unwrap().iter().filter(|r| r.path == path).cloned().collect()
    }
}

/// Checks a delivery's signature as a receiver following Standard Webhooks does.
pub fn signed_by(secret: &str, r: &Received) -> bool {
    let expected = payout_server::webhooks::sign(secret, &r.id, r.timestamp.parse().unwrap_or(0), &r.body);
    expected.as_deref() == Some(r.signature.as_str())
}

const ALL_EVENTS: [&str; 7] = [
    "payout.created",
    "payout.awaiting_approval",
    "payout.approved",
    "payout.rejected",
    "payout.succeeded",
    "payout.failed",
    "payout.stuck",
];

pub async fn register(admin: &Client, url: &str, events: &[&str]) -> (i64, String) {
    let created = admin.post("/api/webhooks", json!({"url": url, "events": events})).await;
    assert_eq!(created.status, 201, "{}", created.body);
    (created.body["id"].as_i64().unwrap(), created.body["secret"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn registrations_that_could_go_somewhere_they_must_not_are_refused() {
    let app = spawn_app().await;
    let admin = app.login("lin.admin").await;
    let long = format!("https://example.com/{}", "a".repeat(3_000));
    for (url, events, code) in [
        ("ftp://example.com/hook", json!(["payout.created"]), "WEBHOOK_URL_INVALID"),
        ("https:///no-host", json!(["payout.created"]), "WEBHOOK_URL_INVALID"),
        (long.as_str(), json!(["payout.created"]), "WEBHOOK_URL_INVALID"),
        ("https://example.com/hook", json!(["payout.exploded"]), "WEBHOOK_URL_INVALID"),
        ("https://example.com/hook", json!([]), "WEBHOOK_URL_INVALID"),
        ("http://example.com/hook", json!(["payout.created"]), "WEBHOOK_URL_INVALID"),
        ("https://127.0.0.1/hook", json!(["payout.created"]), "WEBHOOK_ADDRESS_NOT_ALLOWED"),
        ("https://localhost:8443/hook", json!(["payout.created"]), "WEBHOOK_ADDRESS_NOT_ALLOWED"),
        ("https://[::1]/hook", json!(["payout.created"]), "WEBHOOK_ADDRESS_NOT_ALLOWED"),
        (
            "https://169.254.169.254/latest/meta-data",
            json!(["payout.created"]),
            "WEBHOOK_ADDRESS_NOT_ALLOWED",
        ),
        ("https://10.0.0.1/hook", json!(["payout.created"]), "WEBHOOK_ADDRESS_NOT_ALLOWED"),
    ] {
        let answer = admin.post("/api/webhooks", json!({"url": url, "events": events})).await;
        assert_eq!((answer.status.as_u16(), answer.error_code()), (400, code), "{url}: {}", answer.body);
    }
    assert_eq!(app.login("lin.agent2").await.get("/api/webhooks").await.status, 403);
}

#[tokio::test]
async fn every_payout_event_reaches_the_receiver_once_signed_with_its_secret() {
    let app =
        spawn_with(Spawn { insecure_webhooks: true, keep_demo_approval: true, ..Spawn::default() }).await;
    let receiver = Receiver::start().await;
    let admin = app.login("lin.admin").await;
    let (id, secret) = register(&admin, &format!("{}/ok", receiver.url), &ALL_EVENTS).await;
    assert!(secret.starts_with("whsec_"));
    assert!(!admin.get("/api/webhooks").await.body.to_string().contains(&secret), "the secret is shown once");
    // Created and succeeded; approved; rejected.
    let paid = admin.create(draft(O2, "8")).await.body["id"].as_i64().unwrap();
    let waiting = admin.get("/api/approvals").await.body["items"][0]["id"].as_i64().unwrap();
    admin.post(&format!("/api/payouts/{waiting}/approve"), json!({})).await;
    let agent = app.login("lin.agent2").await;
    let big = agent.create(draft(O3, "120")).await.body["id"].as_i64().unwrap();
    admin.post(&format!("/api/payouts/{big}/reject"), json!({"reason": "金额过高"})).await;
    app.settled().await;
    let expect = [
        (paid, "payout.created"),
        (paid, "payout.succeeded"),
        (waiting, "payout.approved"),
        (waiting, "payout.succeeded"),
        (big, "payout.created"),
        (big, "payout.awaiting_approval"),
        (big, "payout.rejected"),
    ];
    eventually(WORKERS, "every event delivered", || async { receiver.at("/ok").len() >= expect.len() }).await;
    let got = receiver.at("/ok");
    for (payout, event) in expect {
        let matching: Vec<&Received> = got
            .iter()
            .filter(|r| {
                let body: Value = serde_json::from_str(&r.body).unwrap();
                body["type"] == event && body["data"]["payout"]["id"] == payout
            })
            .collect();
        assert_eq!(matching.len(), 1, "{event} of payout {payout} delivered once");
        let r = matching[0];
        assert!(signed_by(&secret, r), "{event}: a valid signature");
        let body: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(body["id"], r.id.as_str(), "the body's id is the webhook-id");
    }
    assert!(
        !got.iter().any(|r| signed_by("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", r)),
        "not signed with any other secret"
    );
    // The receiver answers before the worker records the answer, so the log catches up a moment later.
    let deliveries = format!("/api/webhooks/{id}/deliveries");
    eventually(WORKERS, "every delivery logged as delivered with 200", || async {
        let log = admin.get(&deliveries).await.body;
        let items = log["items"].as_array().unwrap().clone();
        items.len() >= expect.len()
            && items.iter().all(|d| d["status"] == "delivered" && d["last_status"] == 200)
    })
    .await;
    let log = admin.get(&deliveries).await.body;
    // A test event, and a resend with the same webhook-id.
    let test = admin.post(&format!("/api/webhooks/{id}/test"), json!({})).await;
    assert_eq!(test.status, 202);
    eventually(WORKERS, "the test event", || async {
        receiver.at("/ok").iter().any(|r| r.body.contains("webhook.test"))
    })
    .await;
    let first = &log["items"][0];
    let resent = admin.post(&format!("/api/webhook-deliveries/{}/resend", first["id"]), json!({})).await;
    assert_eq!(resent.status, 202, "{}", resent.body);
    let event_id = first["event_id"].as_str().unwrap().to_owned();
    eventually(WORKERS, "the resend", || async {
        receiver.at("/ok").iter().filter(|r| r.id == event_id).count() == 2
    })
    .await;
}

#[tokio::test]
async fn a_failing_receiver_is_retried_on_the_schedule_then_failed_and_a_slow_one_holds_no_other() {
    let app = spawn_with(Spawn { insecure_webhooks: true, ..Spawn::default() }).await;
    let receiver = Receiver::start().await;
    let admin = app.login("lin.admin").await;
    let (failing, _) = register(&admin, &format!("{}/fail", receiver.url), &["payout.created"]).await;
    let (slow, _) = register(&admin, &format!("{}/slow", receiver.url), &["payout.created"]).await;
    let (never, _) = register(&admin, &format!("{}/never", receiver.url), &["payout.created"]).await;
    let (big, _) = register(&admin, &format!("{}/big", receiver.url), &["payout.created"]).await;
    let (_ok, _) = register(&admin, &format!("{}/ok", receiver.url), &["payout.created"]).await;
    for order in [O1, O2, O3] {
        assert_eq!(admin.create(draft(order, "1")).await.status, 201);
    }
    // The slow (30 s) and silent endpoints hold none of the others: all three reach /ok and /big at once.
    eventually(WORKERS, "the healthy endpoints get their events", || async {
        receiver.at("/ok").len() == 3 && receiver.at("/big").len() == 3
    })
    .await;
    // Signs in afresh each time: the schedule runs for longer than a session lives.
    let log = |id: i64| {
        let app = &app;
        async move { app.login("lin.admin").await.get(&format!("/api/webhooks/{id}/deliveries")).await.body }
    };
    // A 500 answer: retried 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h later, then failed.
    for (attempt, pause) in [(1, 5), (2, 300), (3, 1_800), (4, 7_200), (5, 18_000), (6, 36_000), (7, 36_000)]
    {
        eventually(WORKERS, "the attempt is recorded", || async {
            log(failing).await["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|d| d["attempts"] == attempt && d["last_status"] == 500)
        })
        .await;
        assert_eq!(receiver.at("/fail").len(), 3 * attempt as usize, "no attempt before its time");
        let due = app.clock.now().plus_seconds(pause).to_string();
        let items = log(failing).await;
        assert!(
            items["items"].as_array().unwrap().iter().all(|d| d["next_attempt_at"] == due.as_str()),
            "next try at {due}: {items}"
        );
        app.clock.advance_secs(pause);
    }
    eventually(WORKERS, "given up after the eighth attempt", || async {
        log(failing).await["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["status"] == "failed" && d["attempts"] == 8)
    })
    .await;
    let admin = app.login("lin.admin").await;
    let listed = admin.get("/api/webhooks").await.body;
    let failing_row =
        listed["items"].as_array().unwrap().iter().find(|e| e["id"] == failing).unwrap().clone();
    assert_eq!((failing_row["failed"].as_u64(), failing_row["pending"].as_u64()), (Some(3), Some(0)));
    assert_eq!(receiver.at("/big").len(), 3);
    let big_log = admin.get(&format!("/api/webhooks/{big}/deliveries")).await.body;
    assert!(big_log["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["status"] == "delivered" && d["last_response"].as_str().unwrap().len() <= 1024));
    // The slow and the silent receivers are cut off at 10 s, recorded, and left to their retries.
    for endpoint in [slow, never] {
        eventually(WORKERS, "the timeout is recorded", || async {
            log(endpoint).await["items"].as_array().unwrap().iter().all(|d| {
                d["status"] == "pending" && d["last_error"].as_str().is_some_and(|e| e.contains("timed out"))
            })
        })
        .await;
    }
}

#[tokio::test]
async fn d12_a_buyer_notification_undelivered_for_a_day_is_given_up_and_shown() {
    #[derive(Clone)]
    struct Down;
    #[async_trait::async_trait]
    impl payout_server::notifier::Notifier for Down {
        async fn notify(&self, _: &str, _: i64, _: &str) -> Result<(), payout_server::rail::Transient> {
            Err(payout_server::rail::Transient("the channel is down".into()))
        }
    }
    let app =
        spawn_with(Spawn { notifier: Some(Arc::new(Down)), housekeeping_ms: Some(50), ..Spawn::default() })
            .await;
    let admin = app.login("lin.admin").await;
    let id = admin.create(draft(O2, "3")).await.body["id"].as_i64().unwrap();
    app.settled().await;
    let pending = "SELECT COUNT(*) FROM notifications WHERE delivered_at IS NULL AND failed_at IS NULL";
    eventually(WORKERS, "a notification is being retried", || async { app.scalar(pending).await == 1 }).await;
    app.clock.advance_secs(24 * 3600 + 1);
    eventually(WORKERS, "given up", || async { app.scalar(pending).await == 0 }).await;
    let admin = app.login("lin.admin").await; // the first session has expired with the day
    let detail = admin.get(&format!("/api/payouts/{id}")).await.body;
    assert!(detail["buyer_notification_failed_at"].is_string(), "{detail}");
    assert!(detail["buyer_notified_at"].is_null());
}

#[tokio::test]
async fn every_answer_carries_a_request_id_and_keeps_the_clients() {
    let app = spawn_app().await;
    let http = reqwest::Client::new();
    let mine = http
        .get(format!("{}/api/health", app.url))
        .header("x-request-id", "ticket-8848")
        .send()
        .await
        .unwrap();
    assert_eq!(mine.headers()["x-request-id"], "ticket-8848");
    let theirs = http.get(format!("{}/api/nothing-here", app.url)).send().await.unwrap();
    assert!(
        theirs.headers()["x-request-id"].to_str().unwrap().len() >= 32,
        "a new id for a request without one"
    );
}

#[tokio::test]
async fn an_address_that_turns_private_after_registration_is_refused_at_delivery() {
    // As if a public name had been re-pointed at this machine after it was registered (DNS
    // rebinding): the row is written past the registration check, and the delivery must still refuse.
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    let port = receiver.url.rsplit(':').next().unwrap();
    app.sql(&format!(
        "INSERT INTO webhook_endpoints (shop_id, url, events, secret, created_by, created_at) \
         VALUES (1, 'https://localhost:{port}/ok', 'payout.created', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'lin.admin', 0)"
    ))
    .await;
    let admin = app.login("lin.admin").await;
    let id = app.scalar("SELECT MAX(id) FROM webhook_endpoints").await;
    assert_eq!(admin.create(draft(O2, "2")).await.status, 201);
    eventually(WORKERS, "the attempt is refused", || async {
        let log = admin.get(&format!("/api/webhooks/{id}/deliveries")).await.body;
        log["items"][0]["last_error"].as_str().is_some_and(|e| e.contains("127.0.0.1") || e.contains("::1"))
    })
    .await;
    assert!(receiver.at("/ok").is_empty(), "nothing reached the address");
}

#[tokio::test]
async fn the_metrics_address_shows_the_figures_and_json_logs_carry_the_request_id() {
    use crate::{
        db::TestDb,
        process::{free_port, Server},
    };
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::fresh(dir.path()).await;
    let metrics = format!("127.0.0.1:{}", free_port());
    let log = dir.path().join("server.log");
    let server = Server::start_logged(
        &db,
        &log,
        "payout_server=info,tower_http=debug",
        &["--metrics-addr", &metrics, "--log-format", "json"],
    )
    .await;
    let admin = Client::login(&server.url, "lin.admin").await;
    let paid = admin
        .http
        .post(format!("{}/api/payouts", server.url))
        .header("x-request-id", "ticket-8848")
        .header("x-csrf-token", admin.csrf.as_deref().unwrap())
        .header("idempotency-key", "k-8848")
        .json(&draft(O2, "3"))
        .send()
        .await
        .unwrap();
    assert_eq!(paid.status(), 201);
    let body =
        || async { reqwest::get(format!("http://{metrics}/metrics")).await.unwrap().text().await.unwrap() };
    eventually(WORKERS, "the figures", || async {
        let text = body().await;
        text.contains(r#"http_requests_total{route="/api/payouts",method="POST",status="201"} 1"#)
            && text.contains("payouts_created_total")
            && text.contains("payouts_settled_total")
            && text.contains(r#"outbox_backlog{outbox="webhooks"} 0"#)
            && text.contains("oldest_unsettled_payout_seconds")
            && text.contains("http_request_duration_seconds_bucket")
    })
    .await;
    let lines = std::fs::read_to_string(&log).unwrap();
    assert!(!lines.is_empty());
    for line in lines.lines() {
        assert!(serde_json::from_str::<Value>(line).is_ok(), "one JSON object per line: {line}");
    }
    assert!(
        lines
            .lines()
            .any(|l| serde_json::from_str::<Value>(l).unwrap()["span"]["request_id"] == "ticket-8848"),
        "the request's lines carry its id:\n{lines}"
    );
}

#[tokio::test]
async fn finished_outbox_rows_are_pruned_after_seven_days_and_pending_ones_kept() {
    let app =
        spawn_with(Spawn { insecure_webhooks: true, housekeeping_ms: Some(50), ..Spawn::default() }).await;
    let receiver = Receiver::start().await;
    let admin = app.login("lin.admin").await;
    register(&admin, &format!("{}/ok", receiver.url), &["payout.created"]).await;
    register(&admin, &format!("{}/fail", receiver.url), &["payout.created"]).await;
    admin.create(draft(O2, "2")).await;
    app.settled().await;
    let count = |table: &'static str| {
        let app = &app;
        async move { app.scalar(&format!("SELECT COUNT(*) FROM {table}")).await }
    };
    let delivered = "SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'delivered'";
    eventually(WORKERS, "one delivered, one retrying", || async {
        app.scalar(delivered).await == 1
            && app.scalar("SELECT COUNT(*) FROM notifications WHERE delivered_at IS NOT NULL").await == 1
    })
    .await;
    // Six days on: everything is kept.
    app.clock.advance_secs(6 * 86_400);
    tokio::time::sleep(Duration::from_millis(300)).await; // several housekeeping rounds
    assert_eq!(
        (count("webhook_deliveries").await, count("webhook_events").await, count("notifications").await),
        (2, 1, 1)
    );
    // Past seven days: the delivered rows go; the retrying delivery and its event stay.
    app.clock.advance_secs(86_400 + 60);
    eventually(WORKERS, "pruned", || async {
        count("notifications").await == 0 && app.scalar(delivered).await == 0
    })
    .await;
    assert_eq!(
        (count("webhook_deliveries").await, count("webhook_events").await),
        (1, 1),
        "the pending delivery and its event are kept"
    );
}

#[tokio::test]
async fn a_stuck_payout_and_a_failed_one_are_each_reported_once() {
    let app = spawn_with(Spawn {
        insecure_webhooks: true,
        rail_latency_ms: 3_000,
        housekeeping_ms: Some(50),
        ..Spawn::default()
    })
    .await;
    let receiver = Receiver::start().await;
    let admin = app.login("lin.admin").await;
    register(&admin, &format!("{}/ok", receiver.url), &["payout.stuck", "payout.failed"]).await;
    let id = admin.create(draft(O2, "8")).await.body["id"].as_i64().unwrap();
    eventually(Duration::from_secs(5), "at the rail", || async {
        admin.get(&format!("/api/payouts/{id}")).await.body["status"] == "processing"
    })
    .await;
    app.clock.advance_secs(30 * 60 + 1);
    let of_type = |t: &'static str| {
        let receiver = &receiver;
        move || receiver.at("/ok").iter().filter(|r| r.body.contains(&format!(r#""type":"{t}""#))).count()
    };
    eventually(WORKERS, "payout.stuck", || async { of_type("payout.stuck")() == 1 }).await;
    app.settled().await;
    tokio::time::sleep(Duration::from_millis(300)).await; // more housekeeping rounds: no second report
    assert_eq!(of_type("payout.stuck")(), 1);
    assert_eq!(of_type("payout.failed")(), 0, "it succeeded in the end");

    let failing =
        spawn_with(Spawn { insecure_webhooks: true, rail_failure_percent: 100, ..Spawn::default() }).await;
    let admin = failing.login("lin.admin").await;
    register(&admin, &format!("{}/ok", receiver.url), &["payout.stuck", "payout.failed"]).await;
    let id = admin.create(draft(O2, "8")).await.body["id"].as_i64().unwrap();
    failing.settled().await;
    eventually(WORKERS, "payout.failed", || async { of_type("payout.failed")() == 1 }).await;
    let failed = receiver.at("/ok").into_iter().find(|r| r.body.contains("payout.failed")).unwrap();
    let body: Value = serde_json::from_str(&failed.body).unwrap();
    assert_eq!(
        (body["data"]["payout"]["id"].as_i64(), body["data"]["payout"]["status"].as_str()),
        (Some(id), Some("failed"))
    );
}
