//! Sign-in, sign-out and throttling.

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn wrong_user_and_wrong_password_get_one_generic_answer() {
    let app = spawn_app().await;
    let anon = app.anonymous();
    let wrong_password =
        anon.post("/api/session", json!({"username": "lin.admin", "password": "nope"})).await;
    let wrong_user = anon.post("/api/session", json!({"username": "nobody", "password": PASSWORD})).await;
    assert_eq!(wrong_password.status, 401);
    assert_eq!(wrong_password.error_code(), "INVALID_CREDENTIALS");
    assert_eq!(wrong_password.body, wrong_user.body);
}

#[tokio::test]
async fn repeated_failures_are_throttled_even_with_the_right_password() {
    let app = spawn_app().await;
    let anon = app.anonymous();
    for _ in 0..5 {
        let guess = anon.post("/api/session", json!({"username": "lin.agent1", "password": "guess"})).await;
        assert_eq!(guess.error_code(), "INVALID_CREDENTIALS", "five guesses are evaluated");
    }
    let right = anon.post("/api/session", json!({"username": "lin.agent1", "password": PASSWORD})).await;
    assert_eq!((right.status.as_u16(), right.error_code()), (429, "TOO_MANY_ATTEMPTS"));
    app.clock.advance_secs(15 * 60);
    assert_eq!(
        anon.post("/api/session", json!({"username": "lin.agent1", "password": PASSWORD})).await.status,
        200
    );
}

#[tokio::test]
async fn the_session_cookie_is_httponly_strict_and_sign_out_ends_it_on_the_server() {
    let app = spawn_app().await;
    let res = reqwest::Client::new()
        .post(format!("{}/api/session", app.url))
        .json(&json!({"username": "lin.admin", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    let pair = cookie.split(';').next().unwrap().to_owned();
    let me = reqwest::Client::new()
        .get(format!("{}/api/session", app.url))
        .header("cookie", &pair)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let me: serde_json::Value = me.json().await.unwrap();
    assert_eq!(me["user"]["role"], "main");
    assert_eq!(me["shop"]["name"], "林记家居旗舰店");
    assert_eq!(me["permissions"], json!({"payout": true, "manage_quotas": true, "manage_settings": true}));

    let out = reqwest::Client::new()
        .delete(format!("{}/api/session", app.url))
        .header("cookie", &pair)
        .header("X-CSRF-Token", me["csrf_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);
    // The old cookie, replayed, no longer works: the session ended on the server.
    let replay = reqwest::Client::new()
        .get(format!("{}/api/session", app.url))
        .header("cookie", &pair)
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 401);
}

#[tokio::test]
async fn sign_in_also_sets_a_page_readable_marker_which_sign_out_clears_and_get_session_still_answers_401() {
    let app = spawn_app().await;
    let http = reqwest::Client::new();
    // Signed out, the session's answer is unchanged: 401 (the SPA just does not ask).
    assert_eq!(http.get(format!("{}/api/session", app.url)).send().await.unwrap().status(), 401);
    let res = http
        .post(format!("{}/api/session", app.url))
        .json(&json!({"username": "lin.agent1", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookies: Vec<String> =
        res.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    assert_eq!(cookies.len(), 2, "{cookies:?}");
    assert!(cookies[0].starts_with("payout_session=") && cookies[0].contains("HttpOnly"), "{cookies:?}");
    let marker = &cookies[1];
    assert!(marker.starts_with("payout_signed_in=1;"), "no secret in it: {marker}");
    assert!(!marker.contains("HttpOnly"), "the page reads it: {marker}");
    assert!(marker.contains("SameSite=Strict") && marker.contains("Max-Age=43200"), "{marker}");
    // The marker alone signs nobody in.
    let alone =
        http.get(format!("{}/api/session", app.url)).header("cookie", "payout_signed_in=1").send().await;
    assert_eq!(alone.unwrap().status(), 401);

    let pair = cookies[0].split(';').next().unwrap().to_owned();
    let me: serde_json::Value = http
        .get(format!("{}/api/session", app.url))
        .header("cookie", &pair)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let out = http
        .delete(format!("{}/api/session", app.url))
        .header("cookie", format!("{pair}; payout_signed_in=1"))
        .header("X-CSRF-Token", me["csrf_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);
    let cleared: Vec<String> =
        out.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    assert!(
        cleared.iter().any(|c| c.starts_with("payout_session=;") && c.contains("Max-Age=0")),
        "{cleared:?}"
    );
    assert!(
        cleared.iter().any(|c| c.starts_with("payout_signed_in=;") && c.contains("Max-Age=0")),
        "{cleared:?}"
    );
}

#[tokio::test]
async fn a_session_expires_after_twelve_hours() {
    let app = spawn_app().await;
    let admin = app.login("lin.admin").await;
    app.clock.advance_secs(12 * 3600);
    let answer = admin.get("/api/session").await;
    assert_eq!((answer.status.as_u16(), answer.error_code()), (401, "NOT_SIGNED_IN"));
}
