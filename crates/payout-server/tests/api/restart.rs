//! Crash safety: SIGKILL the real server binary while payouts are processing, start it again on the
//! same SQLite file, and every acknowledged payout reaches a final state exactly once with no
//! reservation left behind.

use std::time::Duration;

use serde_json::json;

use crate::helpers::*;
use crate::process::Server;

async fn start(db: &TestDb, latency_ms: u64) -> Server {
    let latency = latency_ms.to_string();
    let args = ["--rail-failure-percent", "30", "--settle-interval-ms", "20", "--rail-latency-ms", &latency];
    // A short lease: the restarted server takes over the dead one's claims after 1 s.
    Server::start(db, &[&args[..], &["--claim-lease-ms", "1000"]].concat()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_finishes_every_acknowledged_payout_exactly_once_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::fresh(dir.path()).await;

    // The rail takes 8 s, so every payout is still processing when the server dies (time enough
    // for a loaded CI runner to hand all five over).
    let mut server = start(&db, 8_000).await;
    crate::helpers::reject_demo_approval(&server.url).await;
    let admin = Client::login(&server.url, "lin.admin").await;
    let mut acknowledged = vec![];
    for (order, amount) in [(O1, "12.50"), (O2, "99.99"), (O3, "300"), (O10, "12")] {
        let answer = admin.create(draft(order, amount)).await;
        assert_eq!(answer.status, 201, "{}", answer.body);
        acknowledged.push(answer.body["id"].as_i64().unwrap());
    }
    let mut shipping = draft(O9, "5");
    shipping["payout_type"] = json!("shipping");
    shipping["confirm_duplicate_shipping"] = json!(true);
    acknowledged.push(admin.create(shipping).await.body["id"].as_i64().unwrap());
    // Killed only once every one of them is at the rail.
    let ids = acknowledged.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    let at_the_rail = format!("SELECT COUNT(*) FROM payouts WHERE id IN ({ids}) AND status = 'processing'");
    let (store, at_the_rail) = (&db, at_the_rail.as_str());
    eventually(Duration::from_secs(7), "every acknowledged payout is processing", || async move {
        store.scalar(at_the_rail).await == 5
    })
    .await;

    server.child.kill().unwrap(); // SIGKILL: no graceful shutdown
    server.child.wait().unwrap();
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM payouts WHERE id > 8").await,
        5,
        "no acknowledged payout was lost"
    );

    let _server = start(&db, 50).await;
    for _ in 0..200 {
        if db.scalar("SELECT COUNT(*) FROM payouts WHERE status IN ('pending','processing')").await == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for id in acknowledged {
        let status: i64 = db
            .scalar(&format!(
                "SELECT COUNT(*) FROM payouts WHERE id = {id} AND status IN ('succeeded','failed')"
            ))
            .await;
        assert_eq!(status, 1, "payout {id} is final");
        let finals = db.scalar(&format!("SELECT COUNT(*) FROM payout_events WHERE payout_id = {id} AND status IN ('succeeded','failed')")).await;
        assert_eq!(finals, 1, "payout {id} settled exactly once");
    }
    assert_eq!(db.scalar("SELECT SUM(reserved_fen) FROM accounts").await, 0, "no reservation leaked");
    let paid = db
        .scalar("SELECT COALESCE(SUM(amount_fen), 0) FROM payouts WHERE id > 8 AND status = 'succeeded'")
        .await;
    let balance =
        db.scalar("SELECT balance_fen FROM accounts WHERE shop_id = 1 AND kind = 'aggregate'").await;
    assert_eq!(balance, 2_000_000 - paid, "only succeeded payouts were debited");
}
