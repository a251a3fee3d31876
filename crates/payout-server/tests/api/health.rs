use crate::helpers::spawn_app;

#[tokio::test]
async fn health_answers_ok_over_http() {
    let app = spawn_app().await;
    let answer = app.anonymous().get("/api/health").await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body, serde_json::json!({"status": "ok"}));
}

#[tokio::test]
async fn unknown_api_paths_get_a_json_404_and_other_paths_get_the_spa() {
    let app = spawn_app().await;
    let answer = app.anonymous().get("/api/nope").await;
    assert_eq!(answer.status, 404);
    assert_eq!(answer.error_code(), "NOT_FOUND");
    let res = reqwest::get(format!("{}/payout?order=6920241100000000001", app.url)).await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("<!-- payout test dist -->"), "deep links serve index.html");
}

#[tokio::test]
async fn answers_carry_no_store_and_anti_framing_headers() {
    let app = spawn_app().await;
    let api = reqwest::get(format!("{}/api/health", app.url)).await.unwrap();
    assert_eq!(api.headers()["cache-control"], "no-store");
    assert_eq!(api.headers()["x-frame-options"], "DENY");
    assert_eq!(api.headers()["x-content-type-options"], "nosniff");
    let page = reqwest::get(format!("{}/payout", app.url)).await.unwrap();
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    assert_eq!(page.headers()["cache-control"], "no-cache");
}
