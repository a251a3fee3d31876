//! Who may call what: every endpoint × {signed out, lin.viewer, lin.agent1, lin.agent2, lin.admin,
//! another shop's admin}, as one table.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

struct Case {
    method: Method,
    path: &'static str,
    body: Option<Value>,
    /// Expected status for: signed out, viewer, agent1, agent2, admin, zhou.admin.
    expect: [u16; 6],
}

#[tokio::test]
async fn every_endpoint_answers_each_role_as_specified() {
    let app = spawn_app().await;
    let quota = json!({"per_payout_limit": "50", "daily_limit": "300", "enabled": true});
    let cases = [
        Case { method: Method::GET, path: "/api/health", body: None, expect: [200, 200, 200, 200, 200, 200] },
        Case {
            method: Method::GET,
            path: "/api/openapi.json",
            body: None,
            expect: [200, 200, 200, 200, 200, 200],
        },
        Case {
            method: Method::GET,
            path: "/api/session",
            body: None,
            expect: [401, 200, 200, 200, 200, 200],
        },
        Case {
            method: Method::GET,
            path: "/api/orders/6920241100000000002/payout-context",
            body: None,
            expect: [401, 403, 200, 200, 200, 404],
        },
        Case {
            method: Method::POST,
            path: "/api/payouts/check",
            body: Some(draft(O2, "5")),
            expect: [401, 403, 200, 200, 200, 404],
        },
        Case {
            method: Method::GET,
            path: "/api/payouts",
            body: None,
            expect: [401, 403, 200, 200, 200, 200],
        },
        Case {
            method: Method::GET,
            path: "/api/payouts/export.csv",
            body: None,
            expect: [401, 403, 200, 200, 200, 200],
        },
        Case {
            method: Method::GET,
            path: "/api/payouts/1",
            body: None,
            expect: [401, 403, 200, 200, 200, 404],
        },
        Case {
            method: Method::GET,
            path: "/api/operators",
            body: None,
            expect: [401, 403, 200, 200, 200, 200],
        },
        Case { method: Method::GET, path: "/api/quotas", body: None, expect: [401, 403, 403, 200, 200, 200] },
        Case {
            method: Method::PUT,
            path: "/api/quotas/2",
            body: Some(quota.clone()),
            expect: [401, 403, 403, 200, 200, 404],
        },
        // A quota manager cannot change their own quota.
        Case {
            method: Method::PUT,
            path: "/api/quotas/3",
            body: Some(quota),
            expect: [401, 403, 403, 403, 200, 404],
        },
        Case {
            method: Method::GET,
            path: "/api/payout-settings",
            body: None,
            expect: [401, 403, 403, 403, 200, 200],
        },
        Case {
            method: Method::PUT,
            path: "/api/payout-settings",
            body: Some(json!({"source_account": "custody"})),
            expect: [401, 403, 403, 403, 200, 200],
        },
        Case {
            method: Method::POST,
            path: "/api/custody/top-ups",
            body: Some(json!({"amount": "100", "reference": "BANK-1"})),
            expect: [401, 403, 403, 403, 201, 201],
        },
        Case { method: Method::GET, path: "/api/audit", body: None, expect: [401, 403, 403, 403, 200, 200] },
    ];
    let clients = [
        app.anonymous(),
        app.login("lin.viewer").await,
        app.login("lin.agent1").await,
        app.login("lin.agent2").await,
        app.login("lin.admin").await,
        app.login("zhou.admin").await,
    ];
    let who = ["signed out", "lin.viewer", "lin.agent1", "lin.agent2", "lin.admin", "zhou.admin"];
    let mut failures = vec![];
    for case in &cases {
        for (i, client) in clients.iter().enumerate() {
            let answer = client.send(case.method.clone(), case.path, case.body.clone()).await;
            if answer.status.as_u16() != case.expect[i] {
                failures.push(format!(
                    "{} {} as {}: {} (want {})",
                    case.method, case.path, who[i], answer.status, case.expect[i]
                ));
            }
            if answer.status.as_u16() >= 400 {
                assert!(
                    answer.body["error"]["message_zh"].is_string(),
                    "{} {}: SPEC §8 error body",
                    case.method,
                    case.path
                );
            }
        }
    }
    // Creating a payout, separately: it needs a fresh idempotency key per call.
    for (i, client) in clients.iter().enumerate() {
        let status = client.create(draft(O2, "1")).await.status.as_u16();
        let want = [401, 403, 201, 422, 422, 404][i]; // agent2 and admin meet the cooldown agent1 started
        if status != want {
            failures.push(format!("POST /api/payouts as {}: {status} (want {want})", who[i]));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn a_state_changing_request_without_the_csrf_token_is_refused() {
    let app = spawn_app().await;
    let mut admin = app.login("lin.admin").await;
    let token = admin.csrf.take();
    for answer in [
        admin.create(draft(O2, "1")).await,
        admin.put("/api/payout-settings", json!({"source_account": "custody"})).await,
        admin.post("/api/custody/top-ups", json!({"amount": "1", "reference": "x"})).await,
        admin.send(Method::DELETE, "/api/session", None).await,
    ] {
        assert_eq!((answer.status.as_u16(), answer.error_code()), (403, "CSRF_TOKEN_INVALID"));
    }
    admin.csrf = Some("0".repeat(64));
    assert_eq!(admin.create(draft(O2, "1")).await.status, 403, "a wrong token is refused too");
    admin.csrf = token;
    assert_eq!(admin.create(draft(O2, "1")).await.status, 201);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM payouts WHERE order_no = '6920241100000000002'").await, 1);
}
