//! Three server processes on one database (PostgreSQL in the test command's second run, SQLite in
//! the first): clients spread over them, a session made on one used on the others, every limit
//! raced across all three, and a `kill -9` of one while its transfers are out. The servers share
//! nothing but the database, so what holds the limits is the store's transaction (PostgreSQL's
//! per-shop row lock, SQLite's write lock), and what finishes a dead server's payouts is the lease.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use futures::future::join_all;
use serde_json::json;

use crate::helpers::*;
use crate::process::Server;

struct Cluster {
    db: TestDb,
    servers: Vec<Server>,
    logs: Vec<PathBuf>,
    _dir: tempfile::TempDir,
}

impl Cluster {
    /// Three servers on a fresh database with `policy`, each logging its rail calls to a file of
    /// its own; started one after another (the first applies the migrations and the demo data).
    async fn start(policy: serde_json::Value, rail_latency_ms: u64) -> Cluster {
        Cluster::start_with(policy, rail_latency_ms, &[]).await
    }

    /// The same, each server also given `extra` arguments.
    async fn start_with(policy: serde_json::Value, rail_latency_ms: u64, extra: &[&str]) -> Cluster {
        let dir = tempfile::tempdir().unwrap();
        let db = TestDb::fresh(dir.path()).await;
        let policy_path = dir.path().join("policy.json");
        std::fs::write(&policy_path, policy.to_string()).unwrap();
        let latency = rail_latency_ms.to_string();
        let mut servers = vec![];
        let mut logs = vec![];
        for n in 0..3 {
            let log = dir.path().join(format!("rail-{n}.log"));
            let args = [
                "--policy",
                policy_path.to_str().unwrap(),
                "--rail-latency-ms",
                &latency,
                "--rail-failure-percent",
                "0",
                "--settle-interval-ms",
                "20",
                "--claim-lease-ms",
                "1500",
                "--rail-log",
                log.to_str().unwrap(),
            ];
            servers.push(Server::start(&db, &[&args[..], extra].concat()).await);
            logs.push(log);
        }
        crate::helpers::reject_demo_approval(&servers[0].url).await;
        Cluster { db, servers, logs, _dir: dir }
    }

    /// `client`'s session, sent to server `n`.
    fn via(&self, client: &Client, n: usize) -> Client {
        Client { url: self.servers[n % self.servers.len()].url.clone(), ..client.clone() }
    }

    /// `n` concurrent creations spread over the three servers with one session; only 201 or 422.
    async fn race(&self, client: &Client, n: usize, order: &str, amount: &str) -> usize {
        let answers = join_all((0..n).map(|i| {
            let via = self.via(client, i);
            let d = draft(order, amount);
            async move { via.create(d).await }
        }))
        .await;
        let statuses: Vec<u16> = answers.iter().map(|a| a.status.as_u16()).collect();
        assert!(statuses.iter().all(|s| *s == 201 || *s == 422), "only 201 or 422: {statuses:?}");
        statuses.iter().filter(|s| **s == 201).count()
    }

    async fn assert_money_invariants(&self) {
        crate::helpers::assert_money_invariants_of(&self.db).await;
    }

    async fn wait_until_final(&self) {
        for _ in 0..600 {
            let open =
                self.db.scalar("SELECT COUNT(*) FROM payouts WHERE status IN ('pending','processing')").await;
            if open == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("payouts did not settle");
    }
}

/// Transfers per payout reference in one server's rail log (status queries move no money).
fn rail_calls(log: &Path) -> HashMap<String, usize> {
    let mut calls = HashMap::new();
    for line in std::fs::read_to_string(log).unwrap_or_default().lines() {
        if let Some(reference) = line.strip_prefix("transfer ").and_then(|rest| rest.split(' ').next()) {
            *calls.entry(reference.to_owned()).or_default() += 1;
        }
    }
    calls
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r_l1_r_l2_r_l5_three_servers_share_sessions_and_hold_every_order_and_agent_limit() {
    let cluster = Cluster::start(json!({"cooldown_seconds": 0}), 50).await;
    // A session made on the first server is the same session on the other two.
    let admin = Client::login(&cluster.servers[0].url, "lin.admin").await;
    for n in 1..3 {
        let me = cluster.via(&admin, n).get("/api/session").await;
        assert_eq!(
            (me.status.as_u16(), me.body["user"]["username"].as_str()),
            (200, Some("lin.admin")),
            "server {n}"
        );
    }
    // Agent 2's quota: 50.00 a payout, 100.00 a day.
    let quota = json!({"per_payout_limit": "50.00", "daily_limit": "100.00", "enabled": true});
    let agent2 = Client::login(&cluster.servers[2].url, "lin.agent2").await;
    let ids = cluster.via(&admin, 1).get("/api/quotas").await;
    let agent2_id =
        ids.body["items"].as_array().unwrap().iter().find(|q| q["username"] == "lin.agent2").unwrap()
            ["sub_account_id"]
            .as_i64()
            .unwrap();
    let set = cluster.via(&admin, 2).put(&format!("/api/quotas/{agent2_id}"), quota).await;
    assert_eq!(set.status, 200, "{}", set.body);

    // Four races at once, 64 clients each, spread over the three servers.
    let same_key = async {
        join_all((0..20).map(|i| {
            let via = cluster.via(&admin, i);
            async move { via.create_with_key("one-key", draft(O1, "5")).await }
        }))
        .await
    };
    let (count, cap, agent, keyed) = tokio::join!(
        cluster.race(&admin, 64, O10, "1"),
        cluster.race(&admin, 64, O2, "30"),
        cluster.race(&agent2, 64, O3, "30"),
        same_key,
    );
    println!("three servers: R-L1 {count} of 64, R-L2 {cap} of 64, R-L5 {agent} of 64, one key → 1 payout");
    assert_eq!(count, 5, "R-L1: five payouts per order");
    assert_eq!(cap, 4, "R-L2: 4 × 30 = 120 ≤ 128 < 150");
    assert_eq!(agent, 3, "R-L5: 3 × 30 = 90 ≤ 100 < 120");
    assert!(
        keyed.iter().all(|a| a.status == 201 && a.body == keyed[0].body),
        "every repeat gets the first answer"
    );
    assert_eq!(cluster.db.scalar(&format!("SELECT COUNT(*) FROM payouts WHERE order_no = '{O1}'")).await, 1);
    cluster.assert_money_invariants().await;
    cluster.wait_until_final().await;
    cluster.assert_money_invariants().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r_l4_three_servers_hold_the_shop_daily_cap_and_finish_a_killed_servers_payouts_once() {
    // A 6 s rail, so the payouts are still at the rail when one server is killed, even on a
    // loaded CI runner that takes seconds to hand them all over.
    let policy = json!({"cooldown_seconds": 0, "max_payouts_per_order": 1000, "shop_daily_cap": "100.00"});
    let mut cluster = Cluster::start(policy, 6_000).await;
    let admin = Client::login(&cluster.servers[0].url, "lin.admin").await;
    let agent = Client::login(&cluster.servers[1].url, "lin.agent2").await;
    let (a, b) = tokio::join!(cluster.race(&admin, 32, O3, "7"), cluster.race(&agent, 32, O2, "7"));
    println!("three servers: R-L4 {} of 64 accepted", a + b);
    assert_eq!(a + b, 14, "R-L4: 14 × 7 = 98 ≤ 100 < 105");
    cluster.assert_money_invariants().await;

    // Kill -9 the server with the most transfers out; the other two finish them after the lease.
    // Once all 14 are at the rail (it takes 6 s), so every transfer is out when the server dies.
    let logs = &cluster.logs;
    eventually(Duration::from_millis(5_500), "all 14 payouts are at the rail", || async move {
        logs.iter().flat_map(|log| rail_calls(log).into_keys()).collect::<HashSet<_>>().len() == 14
    })
    .await;
    let busiest = (0..3).max_by_key(|n| rail_calls(&cluster.logs[*n]).len()).unwrap();
    let out_at_kill = rail_calls(&cluster.logs[busiest]);
    assert!(!out_at_kill.is_empty(), "the server to kill has transfers out");
    let victim = &mut cluster.servers[busiest];
    victim.child.kill().unwrap(); // SIGKILL
    victim.child.wait().unwrap();
    cluster.wait_until_final().await;

    assert_eq!(
        rail_calls(&cluster.logs[busiest]),
        out_at_kill,
        "the killed server called nothing after it died"
    );
    let survivors: Vec<HashMap<String, usize>> =
        (0..3).filter(|n| *n != busiest).map(|n| rail_calls(&cluster.logs[n])).collect();
    let mut references = HashSet::new();
    for calls in std::iter::once(&out_at_kill).chain(&survivors) {
        for (reference, times) in calls {
            assert_eq!(*times, 1, "{reference}: one server asked the rail about it more than once");
            references.insert(reference.clone());
        }
    }
    assert_eq!(references.len(), 14, "every payout reached the rail");
    for reference in out_at_kill.keys() {
        let taken = survivors.iter().filter(|s| s.contains_key(reference)).count();
        assert_eq!(taken, 1, "{reference}: the dead server's claim was taken over by exactly one server");
    }
    println!(
        "kill -9 of one of three servers: its {} transfers re-sent once each by the others after the lease",
        out_at_kill.len()
    );
    cluster.assert_money_invariants().await;
    let finals =
        cluster.db.scalar("SELECT COUNT(*) FROM payout_events WHERE status IN ('succeeded','failed')").await;
    let final_payouts =
        cluster.db.scalar("SELECT COUNT(*) FROM payouts WHERE status IN ('succeeded','failed')").await;
    assert_eq!(finals, final_payouts, "each payout settled exactly once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_servers_deliver_every_webhook_at_least_once_through_a_kill_9() {
    use crate::webhooks::{register, signed_by, Receiver};
    let policy = json!({"cooldown_seconds": 0, "max_payouts_per_order": 1000});
    let mut cluster = Cluster::start_with(policy, 0, &["--allow-insecure-webhooks"]).await;
    let receiver = Receiver::start().await;
    let admin = Client::login(&cluster.servers[0].url, "lin.admin").await;
    let (_, secret) =
        register(&admin, &format!("{}/steady", receiver.url), &["payout.created", "payout.succeeded"]).await;
    // 30 payouts over the three servers: 60 events, answered a second each, at most four at once
    // per server, so every server has deliveries out for the next several seconds.
    for i in 0..30 {
        let order = [O1, O2, O3][i % 3];
        assert_eq!(cluster.via(&admin, i).create(draft(order, "1")).await.status, 201);
    }
    eventually(Duration::from_secs(10), "deliveries under way", || async {
        receiver.at("/steady").len() >= 12
    })
    .await;
    let victim = &mut cluster.servers[1];
    victim.child.kill().unwrap(); // SIGKILL, mid-delivery
    victim.child.wait().unwrap();
    let killed_at = std::time::Instant::now();

    // Every event reaches the receiver and is recorded delivered; the dead server's leases lapse.
    cluster.wait_until_final().await;
    assert_eq!(
        cluster.db.scalar("SELECT COUNT(*) FROM webhook_events").await,
        60,
        "30 created, 30 succeeded"
    );
    let db = &cluster.db;
    eventually(Duration::from_secs(60), "every delivery recorded delivered", || async {
        db.scalar("SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'delivered'").await == 60
    })
    .await;
    let got = receiver.at("/steady");
    let mut times: HashMap<&str, Vec<std::time::Instant>> = HashMap::new();
    for r in &got {
        assert!(signed_by(&secret, r), "every attempt is signed");
        times.entry(r.id.as_str()).or_default().push(r.at);
    }
    assert_eq!(times.len(), 60, "each event arrived at least once, under one webhook-id");
    // Answered well before the kill (an answer in its last moments may not have been recorded yet,
    // and is rightly sent again).
    let settled_before = killed_at - Duration::from_millis(300);
    let answered: HashSet<String> = receiver
        .answered
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, at)| *at < settled_before)
        .map(|(id, _)| id.clone())
        .collect();
    let twice: Vec<&&str> = times.iter().filter(|(_, t)| t.len() > 1).map(|(id, _)| id).collect();
    println!(
        "kill -9 of one of three servers mid-delivery: 60 events, {} delivered twice (the killed server's attempts in flight)",
        twice.len()
    );
    for id in &twice {
        let first = times[**id].iter().min().unwrap();
        assert!(*first < killed_at, "{id}: only an attempt out at the kill is repeated");
        assert!(!answered.contains(**id), "{id}: answered before the kill, yet sent again");
        assert_eq!(times[**id].len(), 2, "{id}: repeated once");
    }
    assert!(twice.len() <= 8, "at most the killed server's eight attempts in flight: {}", twice.len());
}
