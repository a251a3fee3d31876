//! Real operation, against the real binary: clients that hang up mid-request, sign-in floods, a
//! throttle raced from two processes, half-sent requests, and two servers settling payouts on one
//! SQLite file with a counting rail and a `kill -9`.
//!
//! Each of these failed against the build before the fixes (run with `PAYOUT_SERVER_BIN` pointing
//! at that build); see the commit messages.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::join_all;
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;

use crate::helpers::*;
use crate::process::Server;

/// A client whose connections come from `127.0.0.<n>`: another address on this machine, as
/// another office or phone would have.
fn client_from(n: u8, timeout: Option<Duration>) -> reqwest::Client {
    let mut builder = reqwest::Client::builder().local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, n)));
    if let Some(t) = timeout {
        builder = builder.timeout(t);
    }
    builder.build().unwrap()
}

/// Signs in and returns the session cookie and CSRF token, or the failed answer's status.
async fn sign_in(
    http: &reqwest::Client,
    url: &str,
    username: &str,
    password: &str,
) -> Result<(String, String), u16> {
    let res = http
        .post(format!("{url}/api/session"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .map_err(|_| 0u16)?;
    let status = res.status().as_u16();
    let cookie = res
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::to_owned);
    let body: Value = res.json().await.map_err(|_| status)?;
    match (status, cookie) {
        (200, Some(cookie)) => Ok((cookie, body["csrf_token"].as_str().unwrap_or("").to_owned())),
        _ => Err(status),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn clients_that_hang_up_mid_request_never_leave_a_transaction_open() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::fresh(dir.path()).await;
    let server = Server::start(&db, &["--rail-latency-ms", "50", "--settle-interval-ms", "20"]).await;
    let url = server.url.clone();
    let (admin_cookie, admin_csrf) =
        sign_in(&client_from(1, None), &url, "lin.admin", PASSWORD).await.unwrap();
    // Sessions to sign out during the storm, each signed in from its own address.
    let mut viewers = vec![];
    for n in 0..24u8 {
        viewers.push(sign_in(&client_from(10 + n, None), &url, "lin.viewer", PASSWORD).await.unwrap());
    }

    let until = Instant::now() + Duration::from_secs(4);
    let storm = (0..48usize).map(|task| {
        let (url, admin_cookie, admin_csrf) = (url.clone(), admin_cookie.clone(), admin_csrf.clone());
        let mut viewer = viewers.get(task).cloned();
        async move {
            let (mut sent, mut server_errors) = (0u32, 0u32);
            while Instant::now() < until {
                let http = client_from(1, Some(Duration::from_millis(1 + rand::random::<u64>() % 40)));
                let answer = match viewer.take() {
                    Some((cookie, csrf)) if rand::random::<u8>().is_multiple_of(3) => {
                        http.delete(format!("{url}/api/session"))
                            .header("cookie", &cookie)
                            .header("x-csrf-token", &csrf)
                            .send()
                            .await
                    }
                    other => {
                        viewer = other;
                        let order = [O1, O3][rand::random::<u8>() as usize % 2];
                        http.post(format!("{url}/api/payouts"))
                            .header("cookie", &admin_cookie)
                            .header("x-csrf-token", &admin_csrf)
                            .header("idempotency-key", format!("storm-{}", rand::random::<u64>()))
                            .json(&draft(order, "1"))
                            .send()
                            .await
                    }
                };
                sent += 1;
                if answer.is_ok_and(|r| r.status().is_server_error()) {
                    server_errors += 1;
                }
            }
            (sent, server_errors)
        }
    });
    let results = join_all(storm).await;
    let sent: u32 = results.iter().map(|r| r.0).sum();
    let server_errors: u32 = results.iter().map(|r| r.1).sum();
    println!("hang-up storm: {sent} requests with 1–40 ms client timeouts, {server_errors} answered 5xx");
    assert!(sent > 500, "the storm sent {sent} requests");
    assert_eq!(server_errors, 0, "no request that was answered got a 5xx");

    // Writes still under way finish in their own tasks; then the write lock must be free (the check
    // waits a few seconds for it, not for ever).
    db.no_transaction_left_open().await.expect("an outside BEGIN IMMEDIATE gets the write lock at once");
    let admin = Client { csrf: Some(admin_csrf), ..Client::anonymous(&url) };
    let created = admin
        .http
        .post(format!("{url}/api/payouts"))
        .header("cookie", &admin_cookie)
        .header("x-csrf-token", admin.csrf.as_deref().unwrap())
        .header("idempotency-key", "after-the-storm")
        .json(&draft(O2, "12.50"))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201, "a normal payout is created after the storm");
    let reserved = db.scalar("SELECT (SELECT SUM(reserved_fen) FROM accounts) - (SELECT COALESCE(SUM(amount_fen), 0) FROM payouts WHERE status IN ('awaiting_approval','pending','processing'))").await;
    assert_eq!(reserved, 0, "every reservation belongs to a payout that is not final");

    // SIGTERM under load: 32 clients keep creating payouts and signing in while the server stops.
    let load_until = Instant::now() + Duration::from_secs(20);
    let answered = Arc::new(AtomicUsize::new(0));
    let load: Vec<_> = (0..32u8)
        .map(|n| {
            let (url, cookie, csrf) = (url.clone(), admin_cookie.clone(), admin.csrf.clone().unwrap());
            let answered = answered.clone();
            tokio::spawn(async move {
                let http = client_from(40 + n, Some(Duration::from_secs(5)));
                while Instant::now() < load_until {
                    let sent = if n % 4 == 0 {
                        sign_in(&http, &url, "lin.agent1", PASSWORD).await.map(|_| ()).map_err(|_| ())
                    } else {
                        http.post(format!("{url}/api/payouts"))
                            .header("cookie", &cookie)
                            .header("x-csrf-token", &csrf)
                            .header("idempotency-key", format!("load-{}", rand::random::<u64>()))
                            .json(&draft(O3, "1"))
                            .send()
                            .await
                            .map(|_| ())
                            .map_err(|_| ())
                    };
                    if sent.is_err() {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    } else {
                        answered.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    // SIGTERM once the load is under way: two answers per client on average.
    let answered = &answered;
    eventually(Duration::from_secs(10), "the load is being answered", || async move {
        answered.load(Ordering::Relaxed) >= 64
    })
    .await;
    let stopped = tokio::task::spawn_blocking(move || {
        let mut server = server;
        server.terminate_within(Duration::from_secs(15))
    })
    .await
    .unwrap();
    assert!(stopped, "SIGTERM stops the server under load");
    for task in load {
        task.abort();
    }
    db.no_transaction_left_open().await.expect("nothing left the database locked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_bursts_of_64_wrong_sign_ins_keep_memory_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&TestDb::fresh(dir.path()).await, &[]).await;
    let mut peak = server.rss_bytes();
    for burst in 0..3 {
        // 64 clients, each from its own address (so no per-address limit stops them before the
        // hashing), all at once.
        let answers = join_all((0..64u8).map(|n| {
            let url = server.url.clone();
            async move { sign_in(&client_from(100 + n, None), &url, "lin.admin", "wrong-password").await }
        }))
        .await;
        assert!(answers.iter().all(|a| matches!(a, Err(401 | 429))), "burst {burst}: {answers:?}");
        peak = peak.max(server.rss_bytes());
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    peak = peak.max(server.rss_bytes());
    println!("sign-in storm: 3 × 64 wrong sign-ins, resident memory peaked at {} MiB", peak / (1024 * 1024));
    assert!(peak < 300 * 1024 * 1024, "resident memory peaked at {} MiB", peak / (1024 * 1024));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sign_in_throttle_is_atomic_shared_by_processes_kept_across_restarts_and_spares_the_owner() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::fresh(dir.path()).await;
    let first = Server::start(&db, &[]).await;
    let second = Server::start(&db, &[]).await;
    let attacker = client_from(1, None);
    // 30 wrong passwords at once, then the right one while they are still being checked.
    let wrong = join_all((0..30).map(|_| sign_in(&attacker, &first.url, " LIN.admin ", "guess")));
    let right = async {
        // Once the throttle has counted the five guesses it allows.
        let db = &db;
        eventually(Duration::from_secs(10), "five guesses are counted", || async move {
            db.scalar("SELECT COALESCE(MAX(count), 0) FROM sign_in_throttle WHERE key = 'user:lin.admin|ip:127.0.0.1'")
                .await
                >= 5
        })
        .await;
        sign_in(&attacker, &first.url, "lin.admin", PASSWORD).await
    };
    let (wrong, right) = tokio::join!(wrong, right);
    let evaluated = wrong.iter().filter(|a| matches!(a, Err(401))).count();
    println!("throttle race: 30 concurrent wrong passwords, {evaluated} evaluated, the rest 429");
    assert!(evaluated <= 5, "{evaluated} guesses were evaluated: {wrong:?}");
    assert!(wrong.iter().all(|a| matches!(a, Err(401 | 429))), "{wrong:?}");
    assert_eq!(right.err(), Some(429), "the right password from the guessing address is refused too");
    // The other process sees the same count.
    assert_eq!(sign_in(&attacker, &second.url, "lin.admin", PASSWORD).await.err(), Some(429));
    // The owner, from an address that has not failed, signs in on either process.
    assert!(sign_in(&client_from(2, None), &second.url, "lin.admin", PASSWORD).await.is_ok());
    assert!(sign_in(&client_from(3, None), &first.url, "lin.admin", PASSWORD).await.is_ok());
    // A restart forgets nothing.
    drop(first);
    drop(second);
    let restarted = Server::start(&db, &[]).await;
    assert_eq!(sign_in(&attacker, &restarted.url, "lin.admin", PASSWORD).await.err(), Some(429));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_office_behind_one_address_signs_in_at_nine_and_one_person_on_eight_tabs_too() {
    // Found in review: the per-address limit counted right passwords (ten, then 429), and eight
    // concurrent right sign-ins of one user got three 429 TOO_MANY_ATTEMPTS.
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&TestDb::fresh(dir.path()).await, &[]).await;
    let office = client_from(9, None);
    let staff = ["lin.admin", "lin.agent1", "lin.agent2", "lin.viewer", "zhou.admin", "sun.admin"];
    for round in 0..5 {
        for user in staff {
            let signed_in = sign_in(&office, &server.url, user, PASSWORD).await;
            assert!(signed_in.is_ok(), "round {round}, {user}: {signed_in:?}");
        }
    }
    let tabs = join_all((0..8).map(|_| sign_in(&office, &server.url, "lin.agent1", PASSWORD))).await;
    assert!(
        tabs.iter().all(Result::is_ok),
        "eight tabs at once: {:?}",
        tabs.iter().map(|t| t.as_ref().err()).collect::<Vec<_>>()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_throttled_sign_in_says_when_to_try_again() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&TestDb::fresh(dir.path()).await, &[]).await;
    let guesser = client_from(11, None);
    for _ in 0..5 {
        assert_eq!(sign_in(&guesser, &server.url, "lin.agent1", "guess").await.err(), Some(401));
    }
    let res = guesser
        .post(format!("{}/api/session", server.url))
        .json(&json!({"username": "lin.agent1", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    let retry_after: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((800..=900).contains(&retry_after), "the 15-minute window's end: {retry_after} s");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "TOO_MANY_ATTEMPTS");
    assert!(body["error"]["message_zh"].as_str().unwrap().contains("15 分钟后"), "{body}");
    assert!(body["error"]["message_en"].as_str().unwrap().contains("15 minutes"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_address_cannot_try_many_usernames_and_the_rate_limit_answers_before_hashing() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&TestDb::fresh(dir.path()).await, &[]).await;
    let guesser = client_from(5, None);
    let mut answers = vec![];
    for n in 0..40 {
        answers.push(sign_in(&guesser, &server.url, &format!("user{n}"), "guess").await.err());
    }
    let refused = answers.iter().filter(|a| **a == Some(429)).count();
    println!("one address, 40 usernames: {} evaluated, {refused} refused", 40 - refused);
    assert!(refused >= 20, "of 40 usernames from one address, {refused} were refused: {answers:?}");
    let body: Value = guesser
        .post(format!("{}/api/session", server.url))
        .json(&json!({"username": "x", "password": "y"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        ["TOO_MANY_REQUESTS", "TOO_MANY_ATTEMPTS"].contains(&body["error"]["code"].as_str().unwrap_or("")),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn half_sent_requests_do_not_stop_health_and_slow_headers_are_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    // The open-file limit a small VPS has: 1024.
    let server = Server::start_with_soft_fd_limit(&TestDb::fresh(dir.path()).await, 1024, &[]).await;
    let addr = format!("127.0.0.1:{}", server.port);
    let mut held = vec![];
    for _ in 0..1124 {
        let Ok(mut stream) = tokio::net::TcpStream::connect(&addr).await else { continue };
        let _ = stream.write_all(b"POST /api/session HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n").await;
        held.push(stream);
    }
    let health = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
    let answer = health.get(format!("{}/api/health", server.url)).send().await;
    println!("slow clients: {} half-sent requests held open under a 1,024 soft file limit", held.len());
    assert!(answer.is_ok_and(|r| r.status() == 200), "health answers with 1124 half-sent requests open");
    let signed_in =
        sign_in(&client_from(7, Some(Duration::from_secs(5))), &server.url, "lin.agent1", PASSWORD).await;
    assert!(signed_in.is_ok(), "sign-in works too: {signed_in:?}");
    drop(held);

    // One header line per second: cut off by the header deadline (10 s), not served forever.
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    slow.write_all(b"GET /api/health HTTP/1.1\r\n").await.unwrap();
    let start = Instant::now();
    let mut cut_off = false;
    while start.elapsed() < Duration::from_secs(20) {
        tokio::time::sleep(Duration::from_secs(1)).await;
        if slow.write_all(b"X-Slow: 1\r\n").await.is_err() || slow.flush().await.is_err() {
            cut_off = true;
            break;
        }
    }
    println!("slow headers: cut off after {:.1} s", start.elapsed().as_secs_f64());
    assert!(cut_off, "a client sending one header line per second was never cut off");
}

/// Every transfer call the rail saw, per payout reference, in order, with the calling worker
/// (status queries, which move no money, are left out).
fn rail_calls(log: &Path) -> HashMap<String, Vec<String>> {
    let mut calls: HashMap<String, Vec<String>> = HashMap::new();
    for line in std::fs::read_to_string(log).unwrap_or_default().lines() {
        if let Some((reference, worker)) =
            line.strip_prefix("transfer ").and_then(|rest| rest.split_once(' '))
        {
            calls.entry(reference.to_owned()).or_default().push(worker.to_owned());
        }
    }
    calls
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_send_each_payout_to_the_rail_once_and_take_over_only_a_dead_ones_claims() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::fresh(dir.path()).await;
    let log = dir.path().join("rail.log");
    let log_arg = log.to_str().unwrap();
    let policy = dir.path().join("policy.json");
    std::fs::write(&policy, r#"{"cooldown_seconds":0,"max_payouts_per_order":1000}"#).unwrap();
    let args = |latency: &'static str| {
        vec![
            "--rail-latency-ms",
            latency,
            "--rail-failure-percent",
            "10",
            "--settle-interval-ms",
            "20",
            "--claim-lease-ms",
            "1500",
            "--rail-log",
            log_arg,
            "--policy",
            policy.to_str().unwrap(),
        ]
    };
    // Round one: both alive, a 300 ms rail; every payout reaches the rail exactly once.
    let a = Server::start(&db, &args("300")).await;
    let b = Server::start(&db, &args("300")).await;
    let admin = Client::login(&a.url, "lin.admin").await;
    let on_b = Client { url: b.url.clone(), ..admin.clone() };
    let created = join_all((0..60).map(|i| {
        if i % 2 == 0 {
            admin.create(draft(O3, "1"))
        } else {
            on_b.create(draft(O3, "1"))
        }
    }))
    .await;
    assert!(
        created.iter().all(|c| c.status == 201),
        "{:?}",
        created.iter().map(|c| c.status).collect::<Vec<_>>()
    );
    wait_until_final(&db).await;
    let calls = rail_calls(&log);
    assert_eq!(calls.len(), 60, "every payout reached the rail");
    println!("two servers, 60 payouts: {} rail calls", calls.values().map(Vec::len).sum::<usize>());
    let twice: Vec<_> = calls.iter().filter(|(_, w)| w.len() > 1).collect();
    assert!(twice.is_empty(), "payouts sent to the rail more than once: {twice:?}");

    // Round two: a slow rail (6 s, time enough for a loaded CI runner to hand all 40 over), then `kill -9` of the server whose transfers are out. Each
    // server logs its rail calls to its own file, so the log says which calls were the dead one's.
    drop(a);
    drop(b);
    let (log_a, log_b) = (dir.path().join("a.log"), dir.path().join("b.log"));
    let with_log = |log: &Path| {
        let mut args = args("6000");
        let at = args.iter().position(|a| *a == "--rail-log").unwrap();
        args[at + 1] = Box::leak(log.to_str().unwrap().to_owned().into_boxed_str());
        args
    };
    let mut a = Server::start(&db, &with_log(&log_a)).await;
    let mut b = Server::start(&db, &with_log(&log_b)).await;
    crate::helpers::reject_demo_approval(&b.url).await;
    let admin = Client::login(&b.url, "lin.admin").await;
    let on_a = Client { url: a.url.clone(), ..admin.clone() };
    let created = join_all((0..40).map(|i| {
        if i % 2 == 0 {
            admin.create(draft(O3, "1"))
        } else {
            on_a.create(draft(O3, "1"))
        }
    }))
    .await;
    assert!(created.iter().all(|c| c.status == 201));
    // Once all 40 are at the rail (it takes 6 s), so every transfer is out when one server dies.
    let (a_log, b_log) = (&log_a, &log_b);
    eventually(Duration::from_millis(5_500), "all 40 payouts are at the rail", || async move {
        rail_calls(a_log).into_keys().chain(rail_calls(b_log).into_keys()).collect::<HashSet<_>>().len() == 40
    })
    .await;
    let (calls_a, calls_b) = (rail_calls(&log_a), rail_calls(&log_b));
    let (victim, victim_log, survivor_log) =
        if calls_a.len() >= calls_b.len() { (&mut a, &log_a, &log_b) } else { (&mut b, &log_b, &log_a) };
    let in_flight_at_kill = rail_calls(victim_log);
    assert!(!in_flight_at_kill.is_empty(), "the server to kill has transfers out");
    victim.child.kill().unwrap(); // SIGKILL
    victim.child.wait().unwrap();
    wait_until_final(&db).await;
    let dead = rail_calls(victim_log);
    let survived = rail_calls(survivor_log);
    assert_eq!(dead, in_flight_at_kill, "the killed server made no call after it died");
    let all: std::collections::HashSet<&String> = dead.keys().chain(survived.keys()).collect();
    assert_eq!(all.len(), 40, "every payout reached the rail");
    for (reference, calls) in dead.iter().chain(survived.iter()) {
        assert_eq!(calls.len(), 1, "{reference}: one server called the rail about it more than once");
    }
    for reference in dead.keys() {
        assert!(
            survived.contains_key(reference),
            "{reference}: the dead server's claim was taken over and re-sent"
        );
    }
    let both = survived.keys().filter(|r| dead.contains_key(*r)).count();
    println!(
        "kill -9 under settlement: 40 payouts, {} claims of the dead server re-sent once each with the same reference, {} sent once",
        both,
        40 - both
    );
    assert_eq!(both, dead.len(), "only the dead server's claims are sent again");
    assert_eq!(db.scalar("SELECT SUM(reserved_fen) FROM accounts").await, 0, "no reservation leaked");
    let finals = db.scalar("SELECT COUNT(*) FROM payout_events WHERE status IN ('succeeded','failed')").await;
    let final_payouts =
        db.scalar("SELECT COUNT(*) FROM payouts WHERE status IN ('succeeded','failed')").await;
    assert_eq!(finals, final_payouts, "each payout settled exactly once");
}

async fn wait_until_final(db: &TestDb) {
    for _ in 0..600 {
        if db.scalar("SELECT COUNT(*) FROM payouts WHERE status IN ('pending','processing')").await == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("payouts did not settle");
}
