//! SPEC §11.2: approval above a threshold — counted while waiting, decided once, expiring after
//! 24 h, and never a way past a cap (R-A1, R-A2).

use futures::future::join_all;
use serde_json::{json, Value};

use crate::helpers::*;

const O11: &str = "6920241100000000011";

fn keep_demo() -> Spawn {
    Spawn { keep_demo_approval: true, ..Spawn::default() }
}

fn no_cooldown_keep(policy: Value) -> Spawn {
    let mut p = policy;
    p["cooldown_seconds"] = json!(0);
    Spawn { policy: Some(p), keep_demo_approval: true, second_server: true, ..Spawn::default() }
}

#[tokio::test]
async fn the_demo_payout_waits_counted_and_reserved_and_the_queue_is_the_main_accounts() {
    let app = spawn_with(keep_demo()).await;
    let admin = app.login("lin.admin").await;
    let queue = admin.get("/api/approvals").await;
    assert_eq!(queue.status, 200);
    assert_eq!(queue.body["total"], 1);
    let item = &queue.body["items"][0];
    assert_eq!(
        (item["order_no"].as_str(), item["amount"].as_str(), item["status"].as_str()),
        (Some(O11), Some("150.00"), Some("awaiting_approval"))
    );
    assert_eq!(item["operator"]["username"], "lin.agent2");
    // Counted toward the agent's and the shop's totals of today, and its amount reserved.
    let agent = app.login("lin.agent2").await;
    let ctx = agent.context(O2).await;
    assert_eq!(ctx.body["meters"]["operator_daily_remaining"], "1850.00");
    assert_eq!(ctx.body["meters"]["shop_daily_remaining"], "14850.00");
    let aggregate = &ctx.body["source_accounts"][0];
    assert_eq!(
        (aggregate["reserved"].as_str(), aggregate["available"].as_str()),
        (Some("150.00"), Some("18650.00"))
    );
    // R-A2 and no leak between shops.
    assert_eq!(agent.get("/api/approvals").await.status, 403);
    let id = item["id"].as_i64().unwrap();
    let by_agent = agent.post(&format!("/api/payouts/{id}/approve"), json!({})).await;
    assert_eq!((by_agent.status.as_u16(), by_agent.error_code()), (403, "NOT_APPROVER"));
    let zhou = app.login("zhou.admin").await;
    assert_eq!(zhou.post(&format!("/api/payouts/{id}/approve"), json!({})).await.status, 404);
    assert_eq!(zhou.get("/api/approvals").await.body["total"], 0);
}

#[tokio::test]
async fn r_a_a_sub_accounts_payout_at_the_threshold_waits_then_is_approved_and_settles() {
    let app = spawn_app().await;
    let admin = app.login("lin.admin").await;
    let agent = app.login("lin.agent2").await;
    let below = agent.create(draft(O2, "99.99")).await;
    assert_eq!(below.body["status"], "pending", "below the threshold: paid at once");
    let at = agent.create(draft(O3, "100")).await;
    assert_eq!((at.status.as_u16(), at.body["status"].as_str()), (201, Some("awaiting_approval")));
    assert_eq!(admin.create(draft(O1, "20")).await.body["status"], "pending", "the main account never waits");
    app.settled().await;
    let id = at.body["id"].as_i64().unwrap();
    assert_eq!(
        agent.get(&format!("/api/payouts/{id}")).await.body["status"],
        "awaiting_approval",
        "the worker leaves it"
    );

    let approved = admin.post(&format!("/api/payouts/{id}/approve"), json!({})).await;
    assert_eq!(
        (approved.status.as_u16(), approved.body["status"].as_str()),
        (200, Some("pending")),
        "{}",
        approved.body
    );
    assert_eq!(approved.body["decided_by"], "lin.admin");
    app.settled().await;
    let detail = agent.get(&format!("/api/payouts/{id}")).await;
    assert_eq!(detail.body["status"], "succeeded");
    let events: Vec<(&str, &str)> = detail.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["status"].as_str().unwrap(), e["actor"].as_str().unwrap()))
        .collect();
    assert_eq!(
        events,
        [
            ("awaiting_approval", "lin.agent2"),
            ("pending", "lin.admin"),
            ("processing", "settlement"),
            ("succeeded", "settlement")
        ]
    );
    let again = admin.post(&format!("/api/payouts/{id}/approve"), json!({})).await;
    assert_eq!((again.status.as_u16(), again.error_code()), (409, "NOT_AWAITING_APPROVAL"));
    let audit = admin.get("/api/audit?per_page=100").await;
    assert!(audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "payout.approved" && e["actor"] == "lin.admin"));
}

#[tokio::test]
async fn r_a1_a_rejection_needs_a_reason_releases_the_reservation_and_reaches_the_agent() {
    let app = spawn_with(keep_demo()).await;
    let admin = app.login("lin.admin").await;
    let agent = app.login("lin.agent2").await;
    let id = admin.get("/api/approvals").await.body["items"][0]["id"].as_i64().unwrap();
    let empty = admin.post(&format!("/api/payouts/{id}/reject"), json!({"reason": "  "})).await;
    assert_eq!((empty.status.as_u16(), empty.error_code()), (400, "REJECT_REASON_REQUIRED"));
    assert_eq!(empty.body["error"]["violations"][0]["rule"], "R-A1");
    let rejected =
        admin.post(&format!("/api/payouts/{id}/reject"), json!({"reason": "金额过高，请改为 80 元"})).await;
    assert_eq!((rejected.status.as_u16(), rejected.body["status"].as_str()), (200, Some("rejected")));
    let seen = agent.get(&format!("/api/payouts/{id}")).await;
    assert_eq!(seen.body["reject_reason"], "金额过高，请改为 80 元");
    assert_eq!(seen.body["events"].as_array().unwrap().last().unwrap()["reason"], "金额过高，请改为 80 元");
    let ctx = agent.context(O2).await;
    assert_eq!(ctx.body["meters"]["operator_daily_remaining"], "2000.00", "no longer counted");
    assert_eq!(ctx.body["source_accounts"][0]["reserved"], "0.00", "reservation released");
    let filtered = agent.get("/api/payouts?status=rejected").await;
    assert_eq!(filtered.body["total"], 1);
}

#[tokio::test]
async fn one_decision_per_payout_when_many_are_sent_at_once() {
    let app = spawn_with(keep_demo()).await;
    let admin = app.login("lin.admin").await;
    let id = admin.get("/api/approvals").await.body["items"][0]["id"].as_i64().unwrap();
    let answers = join_all((0..16).map(|i| {
        let admin = admin.clone();
        async move {
            if i % 2 == 0 {
                admin.post(&format!("/api/payouts/{id}/approve"), json!({})).await
            } else {
                admin.post(&format!("/api/payouts/{id}/reject"), json!({"reason": "no"})).await
            }
        }
    }))
    .await;
    let ok = answers.iter().filter(|a| a.status == 200).count();
    let conflicts = answers.iter().filter(|a| a.error_code() == "NOT_AWAITING_APPROVAL").count();
    assert_eq!((ok, conflicts), (1, 15));
    let decisions = app
        .scalar(&format!(
            "SELECT COUNT(*) FROM payout_events WHERE payout_id = {id} AND status IN ('pending', 'rejected')"
        ))
        .await;
    assert_eq!(decisions, 1, "one decision recorded");
}

#[tokio::test]
async fn a_payout_waiting_longer_than_24_hours_is_rejected_as_expired() {
    let app = spawn_with(Spawn { housekeeping_ms: Some(50), ..keep_demo() }).await;
    let admin = app.login("lin.admin").await;
    let id = admin.get("/api/approvals").await.body["items"][0]["id"].as_i64().unwrap();
    // A second payout awaiting approval, dated an hour before the demo's: it expires first. Once an
    // expiry pass on the moved clock has rejected it, that pass has judged the demo's payout too.
    let older = app.login("lin.agent2").await.create(draft(O3, "150")).await;
    assert_eq!(older.body["status"], "awaiting_approval", "{}", older.body);
    let older = older.body["id"].as_i64().unwrap();
    app.sql(&format!("UPDATE payouts SET created_at = created_at - 3600000 WHERE id = {older}")).await;
    // The demo payout was requested a minute before the start.
    app.clock.advance_secs(24 * 3600 - 61);
    // A day later: a new session.
    let admin = app.login("lin.admin").await;
    let main = &admin;
    eventually(std::time::Duration::from_secs(10), "the older payout expires", || async move {
        main.get(&format!("/api/payouts/{older}")).await.body["status"] == "rejected"
    })
    .await;
    assert_eq!(admin.get("/api/approvals").await.body["total"], 1, "not yet: 24 h less a second");
    app.clock.advance_secs(1);
    let mut expired = serde_json::Value::Null;
    for _ in 0..100 {
        expired = admin.get(&format!("/api/payouts/{id}")).await.body;
        if expired["status"] == "rejected" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(
        (expired["status"].as_str(), expired["reject_reason"].as_str()),
        (Some("rejected"), Some("expired"))
    );
    assert_eq!(expired["decided_by"], "system");
    assert_eq!(app.scalar("SELECT SUM(reserved_fen) FROM accounts").await, 0);
    let late = admin.post(&format!("/api/payouts/{id}/approve"), json!({})).await;
    assert_eq!(late.error_code(), "NOT_AWAITING_APPROVAL");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r_l1_r_l2_r_l4_approvals_and_rejections_racing_new_payouts_never_pass_a_cap() {
    // The shop may pay 1,000 a day; the threshold is 100 (demo). The agent's two waiting payouts
    // of 150 on order 3 (cap 500) and the demo's on order 11 are decided while 48 more payouts
    // race on the same order and on the shop cap. Were waiting payouts not counted, the first
    // wave alone would fill order 3 and the approval would push it past its cap.
    let app = spawn_with(no_cooldown_keep(json!({"shop_daily_cap": "1000.00"}))).await;
    let admin = app.login("lin.admin").await;
    let agent = app.login("lin.agent2").await;
    let mut waiting = vec![];
    for _ in 0..2 {
        app.clock.advance_secs(2);
        let answer = agent.create(draft(O3, "150")).await;
        assert_eq!(answer.body["status"], "awaiting_approval", "{}", answer.body);
        waiting.push(answer.body["id"].as_i64().unwrap());
    }
    app.clock.advance_secs(2);
    let demo = admin.get("/api/approvals").await.body["items"][0]["id"].as_i64().unwrap();
    let decisions = async {
        let a = admin.post(&format!("/api/payouts/{}/approve", waiting[0]), json!({})).await;
        let r =
            admin.post(&format!("/api/payouts/{}/reject", waiting[1]), json!({"reason": "拆成两笔"})).await;
        let d = admin.post(&format!("/api/payouts/{demo}/approve"), json!({})).await;
        (a.status, r.status, d.status)
    };
    let wave = |n: usize| {
        join_all((0..n).map(|i| {
            let (admin, agent) = (admin.clone(), agent.clone());
            async move {
                // Every other racer goes through the second server on the same database.
                let (admin, agent) =
                    if i % 2 == 0 { (admin, agent) } else { (admin.on_second(), agent.on_second()) };
                match i % 3 {
                    0 => admin.create(draft(O3, "100")).await,
                    1 => agent.create(draft(O2, "60")).await,
                    _ => admin.create(draft(O1, "5")).await,
                }
            }
        }))
    };
    // First while three payouts wait (they must already count), then beside the decisions.
    let mut answers = wave(24).await;
    let ((a, r, d), second) = tokio::join!(decisions, wave(24));
    // (The decisions go through the first server, the racers through both.)
    answers.extend(second);
    assert_eq!((a.as_u16(), r.as_u16(), d.as_u16()), (200, 200, 200));
    assert!(answers.iter().all(|x| x.status == 201 || x.status == 422), "only created or refused");
    let counted =
        |cond: &str| format!("SELECT COALESCE(SUM(amount_fen), 0) FROM payouts WHERE {COUNTED} AND {cond}");
    let shop_today = app.scalar(&counted("business_date = '2026-11-24'")).await;
    assert!(shop_today <= 100_000, "R-L4: the shop's counted total {shop_today} fen passed 1,000.00");
    let order3 = app.scalar(&counted(&format!("order_no = '{O3}'"))).await;
    assert!(order3 <= 50_000, "R-L2: order 3's counted total {order3} fen passed its cap");
    let order3_count =
        app.scalar(&format!("SELECT COUNT(*) FROM payouts WHERE {COUNTED} AND order_no = '{O3}'")).await;
    assert!(order3_count <= 5, "R-L1: {order3_count} counted payouts on order 3");
    let order2 = app.scalar(&counted(&format!("order_no = '{O2}'"))).await;
    assert!(order2 <= 12_800, "R-L2: order 2 {order2}");
    app.settled().await;
    assert_money_invariants(&app).await;
}
