//! People (SPEC §12.1, §12.2): operators make shops from nothing, the main account runs its staff,
//! everyone owns a password and a second factor, and sessions end when they must.

use payout_server::clock::Clock;
use payout_server::secrets::totp_code;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::process::operator;

const STRONG: &str = "tangerine kettle under marble";

/// The password the answer of a create or a reset shows once.
fn one_time(answer: &Answer) -> String {
    answer.body["one_time_password"]
        .as_str()
        .unwrap_or_else(|| panic!("no password in {}", answer.body))
        .to_owned()
}

async fn change_password(client: &Client, current: &str, new: &str) -> Answer {
    client.put("/api/session/password", json!({"current_password": current, "new_password": new})).await
}

/// A code of `secret` at the app's clock.
fn code_at(app: &TestApp, secret: &str, offset_seconds: i64) -> String {
    totp_code(secret, app.clock.now().unix_seconds() + offset_seconds).unwrap()
}

/// Turns two-step verification on for `client`: the secret and the recovery codes.
async fn turn_on_two_factor(app: &TestApp, client: &Client) -> (String, Vec<String>) {
    let setup = client.post("/api/session/two-factor", json!({})).await;
    assert_eq!(setup.status, 200, "{}", setup.body);
    let secret = setup.body["secret"].as_str().unwrap().to_owned();
    assert!(setup.body["qr"]["path"].as_str().unwrap().starts_with('M'), "a QR code drawn in the page");
    let confirmed =
        client.post("/api/session/two-factor/confirm", json!({"code": code_at(app, &secret, 0)})).await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.body);
    let codes: Vec<String> = confirmed.body["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), 10);
    (secret, codes)
}

#[tokio::test]
async fn a_shop_starts_from_an_empty_store_with_an_operators_command_and_a_one_time_password() {
    let app = spawn_with(Spawn { empty: true, ..Spawn::default() }).await;
    let (ok, listed, _) = operator(&app.db, &["shop", "list"]);
    assert!(ok && listed.contains("no shops"), "{listed}");
    let (ok, out, err) = operator(
        &app.db,
        &[
            "shop",
            "create",
            "--name",
            "王家小铺",
            "--qualification",
            "individual",
            "--main-username",
            " WANG.Admin ",
            "--json",
        ],
    );
    assert!(ok, "{err}");
    let created: Value = serde_json::from_str(out.trim()).unwrap();
    let (shop_id, otp) =
        (created["shop_id"].as_i64().unwrap(), created["one_time_password"].as_str().unwrap().to_owned());
    assert_eq!(created["main_username"], "wang.admin");
    assert!(otp.len() >= 16, "{otp}");
    // A taken username and a bad flag: one line on stderr and a non-zero exit.
    let (ok, _, err) = operator(
        &app.db,
        &["shop", "create", "--name", "x", "--qualification", "enterprise", "--main-username", "wang.admin"],
    );
    assert!(!ok && err.trim().lines().count() == 1 && err.contains("taken"), "{err}");
    let (ok, _, err) = operator(&app.db, &["shop", "set-status", "--shop", "999", "suspended"]);
    assert!(!ok && err.contains("no shop 999"), "{err}");
    for bad_flag in [
        &["shop", "create", "--name", "x", "--qualification", "bogus", "--main-username", "x.admin"][..],
        &["shop", "lst"][..],
        &["shop", "set-status", "--shop", "1"][..],
    ] {
        let (ok, _, err) = operator(&app.db, bad_flag);
        assert!(!ok && err.trim().lines().count() == 1 && err.starts_with("error: "), "{bad_flag:?}: {err}");
    }

    // The main account signs in with the one-time password and can only change it.
    let (admin, signed_in) = Client::sign_in(&app.url, "wang.admin", &otp, None).await;
    assert_eq!(signed_in.status, 200, "{}", signed_in.body);
    assert_eq!(signed_in.body["password_change_required"], true);
    for path in ["/api/payouts", "/api/sub-accounts", "/api/payout-settings"] {
        let refused = admin.get(path).await;
        assert_eq!(
            (refused.status.as_u16(), refused.error_code()),
            (403, "PASSWORD_CHANGE_REQUIRED"),
            "{path}"
        );
    }
    assert_eq!(admin.get("/api/session").await.body["password_change_required"], true);
    let weak = change_password(&admin, &otp, "password123").await;
    assert_eq!((weak.status.as_u16(), weak.error_code()), (422, "PASSWORD_TOO_WEAK"));
    assert!(!weak.body["error"]["message_zh"].as_str().unwrap().is_empty());
    let with_name = change_password(&admin, &otp, "wang.admin-2026-kettle").await;
    assert_eq!(with_name.error_code(), "PASSWORD_TOO_WEAK", "contains the username");
    let too_long = change_password(&admin, &otp, &"k".repeat(129)).await;
    assert_eq!(too_long.error_code(), "PASSWORD_TOO_WEAK", "129 characters");
    let wrong = change_password(&admin, "not-the-otp", STRONG).await;
    assert_eq!((wrong.status.as_u16(), wrong.error_code()), (403, "CURRENT_PASSWORD_WRONG"));
    let changed = change_password(&admin, &otp, STRONG).await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(changed.body["password_change_required"], false);
    let settings = admin.get("/api/payout-settings").await;
    assert_eq!(settings.status, 200);
    assert_eq!(settings.body["qualification"], "individual");
    assert!(
        settings.body["accounts"].as_array().unwrap().iter().all(|a| a["balance"] == "0.00"),
        "both accounts at 0.00"
    );
    assert_eq!(
        admin.get("/api/reasons").await.body["items"].as_array().unwrap().len(),
        4,
        "the default reasons"
    );
    assert_eq!(
        Client::sign_in(&app.url, "wang.admin", &otp, None).await.1.status,
        401,
        "the one-time password is spent"
    );

    // The operator suspends the shop: R-E6 at once; audited as `operator`.
    let (ok, _, err) =
        operator(&app.db, &["shop", "set-status", "--shop", &shop_id.to_string(), "suspended"]);
    assert!(ok, "{err}");
    let me = admin.get("/api/session").await;
    assert_eq!(me.body["shop"]["status"], "suspended");
    let audit = admin.get("/api/audit").await.body;
    let actors: Vec<&str> =
        audit["items"].as_array().unwrap().iter().filter_map(|e| e["actor"].as_str()).collect();
    assert!(actors.contains(&"operator"), "{audit}");
    let (ok, listed, _) = operator(&app.db, &["shop", "list", "--json"]);
    let shops: Value = serde_json::from_str(listed.trim()).unwrap();
    assert!(ok && shops[0]["status"] == "suspended" && shops[0]["main_username"] == "wang.admin", "{shops}");

    // The operator resets the main account's password: its sessions end.
    let (ok, out, err) = operator(&app.db, &["user", "reset-password", "WANG.ADMIN"]);
    assert!(ok && out.contains("one-time password"), "{out}{err}");
    assert_eq!(admin.get("/api/session").await.status, 401, "the reset ended the session");
}

#[tokio::test]
async fn the_main_account_runs_its_sub_accounts_and_d9_deactivated_ones_are_out_at_once() {
    let app = spawn_app().await;
    let admin = app.login("lin.admin").await;
    let created = admin
        .post("/api/sub-accounts", json!({"username": " Lin.Agent3 ", "display_name": " 客服小周 "}))
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["sub_account"]["username"], "lin.agent3");
    assert_eq!(created.body["sub_account"]["display_name"], "客服小周");
    let id = created.body["sub_account"]["id"].as_i64().unwrap();
    let otp = one_time(&created);
    // No permission and no quota: it is on the quota page with nothing switched on.
    let quotas = admin.get("/api/quotas").await.body;
    let row = quotas["items"].as_array().unwrap().iter().find(|q| q["sub_account_id"] == id).unwrap().clone();
    assert_eq!((row["payout_permission"].as_bool(), row["enabled"].as_bool()), (Some(false), Some(true)));
    assert_eq!((row["per_payout_limit"].as_str(), row["daily_limit"].as_str()), (Some("0.00"), Some("0.00")));

    // Bad usernames and names get specific errors; a name taken in another case is taken.
    for bad in ["with space", "a", &"a".repeat(10_000), "emoji😀x", ""] {
        let answer = admin.post("/api/sub-accounts", json!({"username": bad, "display_name": "x"})).await;
        assert_eq!((answer.status.as_u16(), answer.error_code()), (400, "USERNAME_INVALID"), "{bad:?}");
    }
    // Every body with a NUL is refused before it is read (the JSON extractor's own answer).
    let nul = admin.post("/api/sub-accounts", json!({"username": "nul\u{0}byte", "display_name": "x"})).await;
    assert_eq!((nul.status.as_u16(), nul.error_code()), (400, "NUL_CHARACTER"));
    let taken = admin.post("/api/sub-accounts", json!({"username": "LIN.AGENT1", "display_name": "x"})).await;
    assert_eq!((taken.status.as_u16(), taken.error_code()), (409, "USERNAME_TAKEN"));
    let nameless =
        admin.post("/api/sub-accounts", json!({"username": "lin.agent9", "display_name": "  "})).await;
    assert_eq!(nameless.error_code(), "DISPLAY_NAME_INVALID");

    // Only the main account, and only its own shop's.
    let agent = app.login("lin.agent2").await;
    assert_eq!(agent.get("/api/sub-accounts").await.status, 403);
    let zhou = app.login("zhou.admin").await;
    assert_eq!(zhou.put(&format!("/api/sub-accounts/{id}"), json!({"active": false})).await.status, 404);
    assert_eq!(zhou.post(&format!("/api/sub-accounts/{id}/password-reset"), json!({})).await.status, 404);

    // The new agent signs in, changes the password, gets renamed, then deactivated.
    let (newcomer, _) = Client::sign_in(&app.url, "lin.agent3", &otp, None).await;
    assert_eq!(change_password(&newcomer, &otp, STRONG).await.status, 200);
    let renamed =
        admin.put(&format!("/api/sub-accounts/{id}"), json!({"display_name": "客服小周（夜班）"})).await;
    assert_eq!(renamed.body["display_name"], "客服小周（夜班）");
    assert_eq!(newcomer.get("/api/session").await.body["user"]["display_name"], "客服小周（夜班）");
    let off = admin.put(&format!("/api/sub-accounts/{id}"), json!({"active": false})).await;
    assert_eq!(off.body["active"], false);
    assert_eq!(newcomer.get("/api/session").await.status, 401, "the deactivated account's cookie is dead");
    let again = Client::sign_in(&app.url, "lin.agent3", STRONG, None).await.1;
    assert_eq!(
        (again.status.as_u16(), again.error_code()),
        (401, "INVALID_CREDENTIALS"),
        "as a wrong password"
    );
    let listed = admin.get("/api/sub-accounts").await.body;
    assert!(
        listed["items"].as_array().unwrap().iter().any(|s| s["id"] == id && s["active"] == false),
        "kept, not deleted"
    );
    admin.put(&format!("/api/sub-accounts/{id}"), json!({"active": true})).await;
    let (back, answer) = Client::sign_in(&app.url, "lin.agent3", STRONG, None).await;
    assert_eq!(answer.status, 200);

    // A reset: a new one-time password, every session of the account ends.
    let reset = admin.post(&format!("/api/sub-accounts/{id}/password-reset"), json!({})).await;
    assert_eq!(reset.status, 200, "{}", reset.body);
    assert_ne!(one_time(&reset), otp);
    assert_eq!(back.get("/api/session").await.status, 401);
    assert_eq!(
        Client::sign_in(&app.url, "lin.agent3", STRONG, None).await.1.status,
        401,
        "the old password is gone"
    );
    let (_, with_new) = Client::sign_in(&app.url, "lin.agent3", &one_time(&reset), None).await;
    assert_eq!(with_new.body["password_change_required"], true);
}

#[tokio::test]
async fn a_password_change_ends_the_users_other_sessions_and_keeps_this_one() {
    let app = spawn_app().await;
    let here = app.login("lin.agent1").await;
    let elsewhere = app.login("lin.agent1").await;
    assert_eq!(change_password(&here, PASSWORD, STRONG).await.status, 200);
    assert_eq!(here.get("/api/payouts").await.status, 200, "this session stays");
    assert_eq!(elsewhere.get("/api/session").await.status, 401, "the other one ended");
    assert_eq!(Client::sign_in(&app.url, "lin.agent1", STRONG, None).await.1.status, 200);
}

#[tokio::test]
async fn two_step_verification_from_set_up_to_replay_recovery_codes_and_turning_it_off() {
    let app = spawn_app().await;
    let agent = app.login("lin.agent1").await;
    let setup = agent.post("/api/session/two-factor", json!({})).await;
    let secret = setup.body["secret"].as_str().unwrap().to_owned();
    assert!(setup.body["otpauth_uri"].as_str().unwrap().starts_with("otpauth://totp/"));
    for bad in ["12345", "1234567", "abcdef", ""] {
        let wrong = agent.post("/api/session/two-factor/confirm", json!({"code": bad})).await;
        assert_eq!((wrong.status.as_u16(), wrong.error_code()), (401, "TWO_FACTOR_INVALID"), "{bad:?}");
    }
    let confirmed =
        agent.post("/api/session/two-factor/confirm", json!({"code": code_at(&app, &secret, 0)})).await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.body);
    let codes: Vec<String> = confirmed.body["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), 10);
    assert_eq!(agent.get("/api/session").await.body["user"]["two_factor"], true);
    assert_eq!(
        agent.post("/api/session/two-factor", json!({})).await.error_code(),
        "TWO_FACTOR_ALREADY_ON",
        "the secret is never shown again"
    );

    // Signing in: the right password alone is not enough, and makes no session.
    let (nobody, alone) = Client::sign_in(&app.url, "lin.agent1", PASSWORD, None).await;
    assert_eq!((alone.status.as_u16(), alone.error_code()), (401, "TWO_FACTOR_REQUIRED"));
    assert_eq!(nobody.get("/api/session").await.status, 401);
    // The code of the step that confirmed the set-up was used: the next step's code signs in once.
    app.clock.advance_secs(30);
    let code = code_at(&app, &secret, 0);
    assert_eq!(Client::sign_in(&app.url, "lin.agent1", PASSWORD, Some(&code)).await.1.status, 200);
    let replay = Client::sign_in(&app.url, "lin.agent1", PASSWORD, Some(&code)).await.1;
    assert_eq!(
        (replay.status.as_u16(), replay.error_code()),
        (401, "TWO_FACTOR_INVALID"),
        "a code is accepted once"
    );
    // A recovery code, typed loosely, works once.
    let loose = format!(" {} ", codes[0].to_uppercase());
    assert_eq!(Client::sign_in(&app.url, "lin.agent1", PASSWORD, Some(&loose)).await.1.status, 200);
    assert_eq!(
        Client::sign_in(&app.url, "lin.agent1", PASSWORD, Some(&codes[0])).await.1.error_code(),
        "TWO_FACTOR_INVALID"
    );
    // A wrong password with a right code is a wrong password.
    app.clock.advance_secs(30);
    let wrong_password =
        Client::sign_in(&app.url, "lin.agent1", "guess-guess", Some(&code_at(&app, &secret, 0))).await.1;
    assert_eq!(wrong_password.error_code(), "INVALID_CREDENTIALS");

    // Turning it off needs the password and a code; the other sessions end.
    let other = Client::sign_in(&app.url, "lin.agent1", PASSWORD, Some(&codes[1])).await.0;
    let refused = agent
        .delete(
            "/api/session/two-factor",
            json!({"password": "nope-nope", "code": code_at(&app, &secret, 0)}),
        )
        .await;
    assert_eq!(refused.error_code(), "CURRENT_PASSWORD_WRONG");
    let off = agent
        .delete("/api/session/two-factor", json!({"password": PASSWORD, "code": code_at(&app, &secret, 0)}))
        .await;
    assert_eq!(off.status, 204, "{}", off.body);
    assert_eq!(other.get("/api/session").await.status, 401, "turning it off ended the other session");
    assert_eq!(agent.get("/api/session").await.body["user"]["two_factor"], false);
    assert_eq!(Client::sign_in(&app.url, "lin.agent1", PASSWORD, None).await.1.status, 200);
}

#[tokio::test]
async fn codes_are_guesses_a_right_password_with_wrong_codes_is_throttled_like_wrong_passwords() {
    let app = spawn_app().await;
    let agent = app.login("lin.agent2").await;
    let (secret, _) = turn_on_two_factor(&app, &agent).await;
    for n in 0..5 {
        let guess = Client::sign_in(&app.url, "lin.agent2", PASSWORD, Some(&format!("{:06}", n))).await.1;
        assert_eq!(guess.error_code(), "TWO_FACTOR_INVALID", "guess {n}");
    }
    app.clock.advance_secs(30);
    let right = Client::sign_in(&app.url, "lin.agent2", PASSWORD, Some(&code_at(&app, &secret, 0))).await.1;
    assert_eq!(
        (right.status.as_u16(), right.error_code()),
        (429, "TOO_MANY_ATTEMPTS"),
        "five wrong codes lock this address"
    );
}

#[tokio::test]
async fn a_shop_that_requires_two_factor_refuses_payments_and_approvals_until_it_is_set_up() {
    let app = spawn_with(Spawn { keep_demo_approval: true, ..Spawn::default() }).await;
    let admin = app.login("lin.admin").await;
    let agent = app.login("lin.agent1").await;
    let on = admin
        .put("/api/payout-settings", json!({"source_account": "aggregate", "require_two_factor": true}))
        .await;
    assert_eq!((on.status.as_u16(), &on.body["require_two_factor"]), (200, &json!(true)));
    assert_eq!(agent.get("/api/session").await.body["two_factor_setup_required"], true);
    let refused = agent.create(draft(O2, "5")).await;
    assert_eq!((refused.status.as_u16(), refused.error_code()), (403, "TWO_FACTOR_REQUIRED_TO_PAY"));
    assert_eq!(agent.context(O2).await.status, 200, "looking up an order still works");
    let waiting = admin.get("/api/approvals").await.body["items"][0]["id"].as_i64().unwrap();
    let approve = admin.post(&format!("/api/payouts/{waiting}/approve"), json!({})).await;
    assert_eq!(approve.error_code(), "TWO_FACTOR_REQUIRED_TO_PAY", "the main account too");
    turn_on_two_factor(&app, &agent).await;
    assert_eq!(agent.get("/api/session").await.body["two_factor_setup_required"], false);
    assert_eq!(agent.create(draft(O2, "5")).await.status, 201);
    // A viewer without payout permission is not asked to.
    assert_eq!(
        app.login("lin.viewer").await.get("/api/session").await.body["two_factor_setup_required"],
        false
    );
}
