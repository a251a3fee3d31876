//! Creating a payout is idempotent per `Idempotency-Key` (SPEC §4, §8).

use crate::helpers::*;
use futures::future::join_all;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_key_sent_20_times_at_once_creates_one_payout() {
    let app = spawn_app().await;
    let admin = app.login("lin.admin").await;
    let answers = join_all((0..20).map(|_| admin.create_with_key("same-key", draft(O2, "12.50")))).await;
    assert!(answers.iter().all(|a| a.status == 201), "every repeat gets the first answer");
    assert!(answers.iter().all(|a| a.body == answers[0].body), "identical answers");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM payouts WHERE order_no = '6920241100000000002'").await, 1);
    // Held or already debited (the worker may have settled it), but only once.
    let moved = "SELECT reserved_fen + (2000000 - balance_fen) FROM accounts WHERE shop_id = 1 AND kind = 'aggregate'";
    assert_eq!(app.scalar(moved).await, 1250);
}

#[tokio::test]
async fn the_same_key_with_another_body_is_a_409() {
    let app = spawn_app().await;
    let admin = app.login("lin.admin").await;
    assert_eq!(admin.create_with_key("k", draft(O2, "12.50")).await.status, 201);
    let other = admin.create_with_key("k", draft(O2, "13.50")).await;
    assert_eq!((other.status.as_u16(), other.error_code()), (409, "IDEMPOTENCY_KEY_REUSED"));
    assert_eq!(app.scalar("SELECT COUNT(*) FROM payouts WHERE order_no = '6920241100000000002'").await, 1);
}

#[tokio::test]
async fn a_repeated_rejection_is_replayed_and_a_missing_key_is_a_400() {
    let app = spawn_app().await;
    let admin = app.login("lin.admin").await;
    let first = admin.create_with_key("r", draft(O8, "5")).await;
    assert_eq!(first.status, 422);
    let again = admin.create_with_key("r", draft(O8, "5")).await;
    assert_eq!((again.status, again.body.clone()), (first.status, first.body.clone()));

    let res = admin
        .http
        .post(format!("{}/api/payouts", app.url))
        .header("X-CSRF-Token", admin.csrf.clone().unwrap())
        .json(&draft(O2, "1"))
        .send()
        .await
        .unwrap();
    let answer = Client::answer(res).await;
    assert_eq!((answer.status.as_u16(), answer.error_code()), (400, "IDEMPOTENCY_KEY_REQUIRED"));
}

#[tokio::test]
async fn a_retry_that_spells_the_same_request_differently_is_the_same_request() {
    // Found in review: the key's hash was the re-serialized body, so "12.5" retried as "12.50"
    // got 409 IDEMPOTENCY_KEY_REUSED, and the hash followed the struct's field order.
    let app = spawn_app().await;
    let admin = app.login("lin.admin").await;
    let first = admin
        .create_with_key("spelled", json!({"order_no": O2, "source_account": "aggregate", "payout_type": "other", "amount": "12.5", "note": "补差价"}))
        .await;
    assert_eq!(first.status, 201, "{}", first.body);
    for retry in [
        json!({"amount": "12.50", "payout_type": "other", "source_account": "aggregate", "order_no": O2, "note": "补差价"}),
        json!({"order_no": format!(" {O2} "), "source_account": "aggregate", "payout_type": "other", "amount": "¥１２．５", "note": " 补差价 "}),
    ] {
        let again = admin.create_with_key("spelled", retry.clone()).await;
        assert_eq!((again.status, &again.body), (first.status, &first.body), "{retry}");
    }
    // Another meaning under the same key is still another request.
    for other in [
        json!({"order_no": O2, "source_account": "aggregate", "payout_type": "other", "amount": "12.51", "note": "补差价"}),
        json!({"order_no": O2, "source_account": "aggregate", "payout_type": "other", "amount": "12.5"}),
    ] {
        let reused = admin.create_with_key("spelled", other.clone()).await;
        assert_eq!((reused.status.as_u16(), reused.error_code()), (409, "IDEMPOTENCY_KEY_REUSED"), "{other}");
    }
    assert_eq!(app.scalar(&format!("SELECT COUNT(*) FROM payouts WHERE order_no = '{O2}'")).await, 1);
}
