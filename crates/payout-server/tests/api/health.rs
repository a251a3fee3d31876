use crate::helpers::spawn_app;

#[tokio::test]
async fn health_answers_ok_over_http() {
    let app = spawn_app().await;
    let res = app.get("/api/health").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<serde_json::Value>().await.unwrap(), serde_json::json!({"status": "ok"}));
}

#[tokio::test]
async fn unknown_api_paths_get_a_json_404_and_other_paths_get_the_spa() {
    let app = spawn_app().await;
    let res = app.get("/api/nope").await;
    assert_eq!(res.status(), 404);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "NOT_FOUND");
    assert!(body["error"]["message_zh"].is_string() && body["error"]["message_en"].is_string());

    let res = app.get("/payout?order=6920241100000000001").await;
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("<!-- payout test dist -->"), "deep links serve index.html");
}
