//! Orders and money from outside (SPEC §12.3-§12.5): the order file, the order API, API keys and
//! balance movements, as a shop's systems send them and as they go wrong.

use std::io::Write as _;

use futures::future::join_all;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

const HEADER_ZH: &str =
    "主订单编号,子订单编号,商品名称,商品金额,订单实付金额,下单时间,支付方式,下单渠道,跨境,买家\n";
const NEW_A: &str = "6920241200000000001";
const NEW_B: &str = "6920241200000000002";

fn file(rows: &[String]) -> String {
    let mut text = HEADER_ZH.to_owned();
    for row in rows {
        text.push_str(row);
        text.push('\n');
    }
    text
}

fn row(order_no: &str, item: &str, title: &str, item_amount: &str, paid: &str, buyer: &str) -> String {
    format!("{order_no},{item},{title},{item_amount},{paid},2026-11-20 10:00:00,在线支付,抖音,否,{buyer}")
}

/// The file a spreadsheet program on Chinese Windows saves: GB18030.
fn gbk(text: &str) -> Vec<u8> {
    encoding_rs::GB18030.encode(text).0.into_owned()
}

async fn key(admin: &Client, scopes: &[&str]) -> String {
    let created = admin
        .post("/api/api-keys", json!({"name": format!("ERP {}", scopes.join("+")), "scopes": scopes}))
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    created.body["key"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_spreadsheets_order_file_imports_once_and_again_changes_nothing() {
    let app = spawn_app().await;
    let admin = app.login("lin.admin").await;
    let text = file(&[
        row(NEW_A, "a-1", "靠垫", "28.00", "128.00", "dy_buyer_8848"),
        row(NEW_A, "a-2", "地毯", "100.00", "128.00", "dy_buyer_8848"),
        row(NEW_B, "b-1", "=cmd|' /C calc'!A0", "１５", "¥１５", ""),
    ]);
    let report = admin.post_csv("/api/orders/import", gbk(&text)).await;
    assert_eq!(report.status, 200, "{}", report.body);
    assert_eq!(
        (
            report.body["lines"].as_u64(),
            report.body["orders_created"].as_u64(),
            report.body["orders_rejected"].as_u64()
        ),
        (Some(3), Some(2), Some(0)),
        "{}",
        report.body
    );
    let again = admin.post_csv("/api/orders/import", gbk(&text)).await;
    assert_eq!(
        (again.body["orders_unchanged"].as_u64(), again.body["orders_created"].as_u64()),
        (Some(2), Some(0))
    );

    // The imported order can be paid; its buyer is shown masked; the formula is only text.
    let ctx = admin.context(NEW_A).await;
    assert_eq!(ctx.status, 200, "{}", ctx.body);
    assert_eq!(ctx.body["order"]["items"].as_array().unwrap().len(), 2);
    assert_eq!(ctx.body["order"]["buyer"], "dy_********48");
    assert!(!ctx.body.to_string().contains("dy_buyer_8848"), "the buyer is never sent whole");
    assert_eq!(admin.context(NEW_B).await.body["order"]["items"][0]["title"], "=cmd|' /C calc'!A0");
    assert_eq!(admin.create(draft(NEW_A, "10")).await.status, 201);
    let audit = admin.get("/api/audit").await.body;
    assert!(audit.to_string().contains("orders.imported"), "one audit row per import");
    // Another shop's main account cannot see them.
    assert_eq!(app.login("zhou.admin").await.context(NEW_A).await.status, 404);
}

#[tokio::test]
async fn files_that_are_not_order_files_import_nothing_and_say_why() {
    let app = spawn_app().await;
    let admin = app.login("lin.admin").await;
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10".to_vec();
    let mut bom_then_gbk = vec![0xEF, 0xBB, 0xBF];
    bom_then_gbk.extend(gbk(&file(&[row(NEW_A, "a-1", "靠垫", "1", "1", "")])));
    let mut too_many = String::from("order_no,paid_amount,ordered_at,payment,source_app\n");
    for n in 0..200_001u64 {
        too_many.push_str(&format!("69202412{n:011},1,2026-11-20 10:00:00,online,douyin\n"));
    }
    for (bytes, what) in [
        (png, "a PNG renamed .csv"),
        (HEADER_ZH.as_bytes().to_vec(), "only headers"),
        ("主订单编号,商品名称\n1,x\n".as_bytes().to_vec(), "missing required columns"),
        (bom_then_gbk, "a BOM followed by GBK"),
        (too_many.into_bytes(), "200,001 lines"),
        (Vec::new(), "empty"),
    ] {
        let answer = admin.post_csv("/api/orders/import", bytes).await;
        assert_eq!(
            (answer.status.as_u16(), answer.error_code()),
            (400, "IMPORT_FILE_INVALID"),
            "{what}: {}",
            answer.body
        );
        assert!(!answer.body["error"]["message_zh"].as_str().unwrap().is_empty());
    }
    let mut huge = HEADER_ZH.as_bytes().to_vec();
    huge.resize(50 * 1024 * 1024 + 1, b'x');
    assert_eq!(admin.post_csv("/api/orders/import", huge).await.status, 413);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM orders WHERE order_no LIKE '69202412%'").await,
        0,
        "nothing imported"
    );
}

#[tokio::test]
async fn bad_lines_refuse_their_whole_order_and_the_report_says_where() {
    let app = spawn_app().await;
    let admin = app.login("lin.admin").await;
    let mut big_cell = row("6920241200000000009", "c-1", "x", "1", "1", "");
    big_cell = big_cell.replace(",x,", &format!(",{},", "长".repeat(300_000)));
    let text = file(&[
        row(NEW_A, "a-1", "靠垫", "28.00", "128.00", ""),
        row(NEW_A, "a-2", "地毯", "1.001", "128.00", ""),
        row("692024120000000003", "d-1", "x", "1", "1", ""),
        row("69202412000000000004", "e-1", "x", "1", "1", ""),
        format!("{NEW_B},b-1,\"两\n行\",1,1,2026-11-20 10:00:00,在线支付,抖音,否,"),
        big_cell,
        row("6920241200000000005", "f-1", "ok", "１２．５", "１２．５", ""),
    ]);
    let report = admin.post_csv("/api/orders/import", text.into_bytes()).await.body;
    assert_eq!(
        (report["orders_created"].as_u64(), report["orders_rejected"].as_u64()),
        (Some(1), Some(5)),
        "{report}"
    );
    let rejected = report["rejected"].as_array().unwrap();
    let first = &rejected[0];
    assert_eq!(
        (first["line"].as_u64(), first["order_no"].as_str(), first["column"].as_str()),
        (Some(3), Some(NEW_A), Some("item_amount"))
    );
    assert!(rejected.iter().all(|r| r["message_zh"].is_string() && r["message_en"].is_string()));
    let codes: Vec<&str> = rejected.iter().map(|r| r["code"].as_str().unwrap()).collect();
    assert!(codes.contains(&"ORDER_NO_INVALID"), "18 and 20 digits: {codes:?}");
    assert_eq!(
        app.scalar(&format!("SELECT COUNT(*) FROM orders WHERE order_no = '{NEW_A}'")).await,
        0,
        "never half an order"
    );
}

#[tokio::test]
async fn d10_an_order_with_payouts_keeps_what_decided_them_in_a_file_and_through_the_api() {
    let app = spawn_app().await;
    let admin = app.login("lin.admin").await;
    let path = format!("/api/orders/{NEW_A}");
    let put = |body: Value| admin.put(&path, body);
    let order = json!({"paid_amount": "128.00", "ordered_at": "2026-11-20 10:00:00", "payment": "online", "source_app": "douyin",
        "buyer_ref": "dy_buyer_1", "items": [{"id": "a-1", "title": "靠垫", "amount": "28"}]});
    let created = put(order.clone()).await;
    assert_eq!(
        (created.status.as_u16(), created.body["outcome"].as_str()),
        (201, Some("created")),
        "{}",
        created.body
    );
    assert_eq!(put(order.clone()).await.body["outcome"], "unchanged");
    assert_eq!(admin.create(draft(NEW_A, "10")).await.status, 201);
    let mut richer = order.clone();
    richer["paid_amount"] = json!("200.00");
    let locked = put(richer).await;
    assert_eq!((locked.status.as_u16(), locked.error_code()), (409, "ORDER_LOCKED_BY_PAYOUTS"));
    let mut renamed = order.clone();
    renamed["buyer_ref"] = json!("dy_buyer_2");
    renamed["items"][0]["title"] = json!("新靠垫");
    assert_eq!(put(renamed).await.body["outcome"], "updated", "the buyer and titles may change");
    let changed = file(&[row(NEW_A, "a-1", "靠垫", "28.00", "300.00", "dy_buyer_2")]);
    let report = admin.post_csv("/api/orders/import", changed.into_bytes()).await.body;
    assert_eq!(report["rejected"][0]["code"], "ORDER_LOCKED_BY_PAYOUTS", "{report}");
    let bad =
        put(json!({"paid_amount": "0", "ordered_at": "yesterday", "payment": "cash", "source_app": ""}))
            .await;
    assert_eq!((bad.status.as_u16(), bad.error_code()), (400, "ORDER_INVALID"));
    assert_eq!(admin.put("/api/orders/123", order).await.error_code(), "ORDER_INVALID");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn d10_an_import_racing_payouts_on_its_order_never_lets_both_win() {
    let app = spawn_with(Spawn {
        policy: Some(json!({"cooldown_seconds": 0, "max_payouts_per_order": 100})),
        ..Spawn::default()
    })
    .await;
    let admin = app.login("lin.admin").await;
    let order = |paid: &str| file(&[row(NEW_A, "a-1", "靠垫", "1", paid, "")]);
    admin.post_csv("/api/orders/import", order("899.00").into_bytes()).await;
    // Rounds of 4 payouts of 20.00 (the cap is 500 while paid is 899) racing an import that lowers
    // the paid amount to 100.00 (cap 100). Once a payout exists the import must be refused; if it
    // ever won after payouts, the order's counted total would pass its new cap.
    let mut made = 0;
    // First some payouts alone (120.00, more than the lowered cap), so that an import winning after
    // them shows.
    for _ in 0..6 {
        made += usize::from(admin.create(draft(NEW_A, "20")).await.status == 201);
    }
    for round in 0..6 {
        let payouts = join_all((0..4).map(|_| admin.create(draft(NEW_A, "20"))));
        let import = admin.post_csv("/api/orders/import", order("100.00").into_bytes());
        let (created, report) = tokio::join!(payouts, import);
        made += created.iter().filter(|a| a.status == 201).count();
        println!("round {round}: {made} payouts so far; import {}", report.body["orders_updated"]);
    }
    let paid = app.scalar(&format!("SELECT paid_fen FROM orders WHERE order_no = '{NEW_A}'")).await;
    let counted = app
        .scalar(&format!(
            "SELECT COALESCE(SUM(amount_fen), 0) FROM payouts WHERE order_no = '{NEW_A}' AND {COUNTED}"
        ))
        .await;
    let cap = if paid > 50_000 { 50_000 } else { paid.max(2_000) };
    assert!(made > 0, "some payouts were made");
    assert!(
        counted <= cap,
        "counted {counted} fen passed the cap {cap} fen of the order as it is now (paid {paid})"
    );
    assert_money_invariants(&app).await;
}

#[tokio::test]
async fn api_keys_act_for_their_shop_within_their_scopes_and_die_when_revoked() {
    let app = spawn_with(Spawn { second_server: true, ..Spawn::default() }).await;
    let admin = app.login("lin.admin").await;
    let orders = KeyClient::new(&app.url, &key(&admin, &["orders:write"]).await);
    let reader = KeyClient::new(&app.url, &key(&admin, &["payouts:read"]).await);
    let listed = admin.get("/api/api-keys").await.body;
    let first = &listed["items"][0];
    assert_eq!(first["prefix"].as_str().unwrap().len(), 8);
    assert!(!listed.to_string().contains(&orders.key), "the key itself is never listed");
    let stored =
        app.scalar("SELECT COUNT(*) FROM api_keys WHERE key_hash LIKE '%' AND LENGTH(key_hash) = 64").await;
    assert_eq!(stored, 2, "kept only as SHA-256 digests");

    let body = json!({"paid_amount": "15", "ordered_at": "2026-11-20T10:00:00+08:00", "payment": "online", "source_app": "douyin", "items": []});
    let put = orders.send(Method::PUT, &format!("/api/orders/{NEW_A}"), Some(body.clone())).await;
    assert_eq!(put.status, 201, "{}", put.body);
    let csv = orders
        .post_csv("/api/orders/import", file(&[row(NEW_B, "b-1", "x", "1", "1", "")]).into_bytes())
        .await;
    assert_eq!(csv.body["orders_created"], 1, "{}", csv.body);
    assert!(
        admin.get("/api/audit").await.body.to_string().contains("api-key:ERP orders:write"),
        "audited with the key's name"
    );
    // Outside its scopes, and outside what keys may do at all.
    let denied = orders.send(Method::GET, "/api/payouts", None).await;
    assert_eq!((denied.status.as_u16(), denied.error_code()), (403, "SCOPE_REQUIRED"));
    assert_eq!(orders.send(Method::GET, "/api/quotas", None).await.error_code(), "SCOPE_REQUIRED");
    assert_eq!(
        reader.send(Method::PUT, &format!("/api/orders/{NEW_A}"), Some(body.clone())).await.error_code(),
        "SCOPE_REQUIRED"
    );
    let mine = reader.send(Method::GET, "/api/payouts", None).await;
    assert_eq!(mine.status, 200);
    let zhou = app.login("zhou.admin").await;
    let zhou_reader = KeyClient::new(&app.url, &key(&zhou, &["payouts:read"]).await);
    let theirs = zhou_reader.send(Method::GET, "/api/payouts", None).await.body;
    assert!(
        theirs["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| !p["order_no"].as_str().unwrap().starts_with("69202411000000000")),
        "{theirs}"
    );
    let lin_payout = mine.body["items"][0]["id"].as_i64().unwrap();
    assert_eq!(zhou_reader.send(Method::GET, &format!("/api/payouts/{lin_payout}"), None).await.status, 404);
    // A key is not a session and cannot sign in.
    assert_eq!(orders.send(Method::GET, "/api/session", None).await.error_code(), "SCOPE_REQUIRED");
    let unknown = KeyClient::new(&app.url, "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")
        .send(Method::GET, "/api/payouts", None)
        .await;
    assert_eq!((unknown.status.as_u16(), unknown.error_code()), (401, "API_KEY_INVALID"));
    // Revoked: refused at once, on the other server too.
    let id = admin.get("/api/api-keys").await.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["scopes"][0] == "orders:write")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    assert_eq!(admin.send(Method::DELETE, &format!("/api/api-keys/{id}"), None).await.status, 200);
    let second = KeyClient::new(app.url2.as_ref().unwrap(), &orders.key);
    for client in [&orders, &second] {
        let gone = client.send(Method::PUT, &format!("/api/orders/{NEW_A}"), Some(body.clone())).await;
        assert_eq!((gone.status.as_u16(), gone.error_code()), (401, "API_KEY_INVALID"));
    }
    for bad in [
        json!({"name": "", "scopes": ["orders:write"]}),
        json!({"name": "x", "scopes": []}),
        json!({"name": "x", "scopes": ["admin"]}),
    ] {
        assert_eq!(admin.post("/api/api-keys", bad).await.error_code(), "API_KEY_INVALID_REQUEST");
    }
    assert_eq!(app.login("lin.agent2").await.get("/api/api-keys").await.status, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn d11_balance_movements_apply_once_per_reference_and_never_below_zero() {
    let app = spawn_with(Spawn { second_server: true, ..Spawn::default() }).await;
    let admin = app.login("lin.admin").await;
    let platform = KeyClient::new(&app.url, &key(&admin, &["accounts:write"]).await);
    let other = KeyClient::new(app.url2.as_ref().unwrap(), &platform.key);
    let credit =
        json!({"reference": "ST-2026-001", "kind": "credit", "amount": "500.00", "note": "结算入账"});
    let path = "/api/source-accounts/aggregate/movements";
    let answers =
        join_all((0..20).map(|i| {
            if i % 2 == 0 { &platform } else { &other }.send(Method::POST, path, Some(credit.clone()))
        }))
        .await;
    assert_eq!(
        answers.iter().filter(|a| a.status == 201).count(),
        1,
        "{:?}",
        answers.iter().map(|a| a.status).collect::<Vec<_>>()
    );
    assert!(answers.iter().all(|a| a.status == 201 || a.status == 200), "repeats answer the first result");
    let balance = || app.scalar("SELECT balance_fen FROM accounts WHERE shop_id = 1 AND kind = 'aggregate'");
    assert_eq!(balance().await, 2_000_000 + 50_000, "applied once");
    let reused = platform
        .send(Method::POST, path, Some(json!({"reference": "st-2026-001", "kind": "debit", "amount": "1"})))
        .await;
    assert_eq!((reused.status.as_u16(), reused.error_code()), (409, "MOVEMENT_REFERENCE_REUSED"));
    let too_much = platform
        .send(Method::POST, path, Some(json!({"reference": "ST-2", "kind": "debit", "amount": "20000.00"})))
        .await;
    assert_eq!(
        (too_much.status.as_u16(), too_much.error_code()),
        (409, "MOVEMENT_EXCEEDS_AVAILABLE"),
        "1,200.00 is frozen"
    );
    let unfreeze = platform
        .send(Method::POST, path, Some(json!({"reference": "ST-3", "kind": "unfreeze", "amount": "1200.01"})))
        .await;
    assert_eq!(unfreeze.error_code(), "MOVEMENT_EXCEEDS_AVAILABLE");
    assert_eq!(
        platform
            .send(Method::POST, path, Some(json!({"reference": "ST-4", "kind": "freeze", "amount": "100"})))
            .await
            .status,
        201
    );
    assert_eq!(balance().await, 2_050_000, "nothing else moved the balance");
    let settings = admin.get("/api/payout-settings").await.body;
    let aggregate =
        settings["accounts"].as_array().unwrap().iter().find(|a| a["kind"] == "aggregate").unwrap().clone();
    assert_eq!(aggregate["frozen"], "1300.00");
    assert_eq!(settings["movements"].as_array().unwrap().len(), 2, "listed on the settings page");
    // The platform opens 周小姐手作's aggregate account.
    let zhou = app.login("zhou.admin").await;
    let zhou_platform = KeyClient::new(&app.url, &key(&zhou, &["accounts:write"]).await);
    let opened = zhou_platform
        .send(Method::POST, path, Some(json!({"reference": "OPEN-1", "kind": "open", "amount": "0.00"})))
        .await;
    assert_eq!(opened.status, 201, "{}", opened.body);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM accounts WHERE shop_id = 2 AND kind = 'aggregate' AND opened").await,
        1
    );
    for (bad, what) in [
        (json!({"reference": "", "kind": "credit", "amount": "1"}), "no reference"),
        (json!({"reference": "x", "kind": "refund", "amount": "1"}), "unknown kind"),
        (json!({"reference": "x", "kind": "credit", "amount": "0"}), "zero"),
        (json!({"reference": "x", "kind": "open", "amount": "5"}), "open with an amount"),
    ] {
        assert_eq!(
            platform.send(Method::POST, path, Some(bad)).await.error_code(),
            "MOVEMENT_INVALID",
            "{what}"
        );
    }
    assert_eq!(admin.post(path, credit).await.error_code(), "SCOPE_REQUIRED", "a person is not the platform");
    assert_money_invariants(&app).await;
}

#[tokio::test]
async fn a_client_that_hangs_up_mid_upload_imports_nothing() {
    let app = spawn_app().await;
    let admin = app.login("lin.admin").await;
    let rows: Vec<String> =
        (0..2_000).map(|n| row(&format!("69202413{n:011}"), &format!("h-{n}"), "x", "1", "1", "")).collect();
    let text = file(&rows);
    // Half the body, then the connection closes (a raw socket, as a dropped phone connection).
    let url = reqwest::Url::parse(&app.url).unwrap();
    let mut stream = std::net::TcpStream::connect((url.host_str().unwrap(), url.port().unwrap())).unwrap();
    let head = format!(
        "POST /api/orders/import HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nContent-Length: {}\r\nAuthorization: Bearer {}\r\n\r\n",
        text.len(),
        key(&admin, &["orders:write"]).await
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&text.as_bytes()[..text.len() / 2]).unwrap();
    drop(stream);
    // The whole file afterwards creates every order: the half that was sent created none (they
    // would now be "unchanged"), and no import of it is still going on.
    let report = admin.post_csv("/api/orders/import", text.into_bytes()).await.body;
    assert_eq!(
        (report["orders_created"].as_u64(), report["orders_unchanged"].as_u64()),
        (Some(2_000), Some(0)),
        "{report}"
    );
    let audits = admin.get("/api/audit?per_page=100").await.body;
    let imports =
        audits["items"].as_array().unwrap().iter().filter(|e| e["action"] == "orders.imported").count();
    assert_eq!(imports, 1, "the cut-off upload recorded no import");
}

/// A file of `orders` orders from `first`, three items each, every title and amount saying which
/// `version` wrote it, so a half-written order shows.
fn versioned(first: u64, orders: u64, version: &str, paid: &str) -> String {
    let mut text = String::from(
        "order_no,item_id,item_title,item_amount,paid_amount,ordered_at,payment,source_app,buyer_ref\n",
    );
    for n in first..first + orders {
        for item in 0..3 {
            text.push_str(&format!(
                "69202414{n:011},i-{n}-{item},{version}-{item},1.00,{paid},2026-11-20 10:00:00,online,douyin,buyer-{version}\n"
            ));
        }
    }
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_overlapping_imports_at_once_leave_every_order_whole_as_one_of_them() {
    let app = spawn_with(Spawn { second_server: true, ..Spawn::default() }).await;
    let admin = app.login("lin.admin").await;
    let (a, b) = (versioned(0, 3_000, "A", "30.00"), versioned(1_500, 3_000, "B", "40.00"));
    let other = admin.on_second();
    let (first, second) = tokio::join!(
        admin.post_csv("/api/orders/import", a.into_bytes()),
        other.post_csv("/api/orders/import", b.into_bytes())
    );
    assert_eq!((first.status, second.status), (reqwest::StatusCode::OK, reqwest::StatusCode::OK));
    println!("overlapping imports: {} / {}", first.body["orders_created"], second.body["orders_created"]);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM orders WHERE order_no LIKE '69202414%'").await, 4_500);
    let mixed = app
        .scalar(
            "SELECT COUNT(*) FROM orders o WHERE o.order_no LIKE '69202414%' AND (\
               (SELECT COUNT(*) FROM order_items i WHERE i.shop_id = o.shop_id AND i.order_id = o.id) <> 3 \
               OR (SELECT COUNT(DISTINCT substr(i.title, 1, 1)) FROM order_items i WHERE i.shop_id = o.shop_id AND i.order_id = o.id) <> 1 \
               OR (o.paid_fen = 3000) <> (o.buyer_ref = 'buyer-A') \
               OR EXISTS (SELECT 1 FROM order_items i WHERE i.shop_id = o.shop_id AND i.order_id = o.id AND substr(i.title, 1, 1) <> substr(o.buyer_ref, 7, 1)))",
        )
        .await;
    assert_eq!(mixed, 0, "every order is all A or all B");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_mid_import_leaves_every_order_whole_and_the_same_file_again_completes_it() {
    use crate::process::Server;
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::fresh(dir.path()).await;
    let server = Server::start(&db, &[]).await;
    let admin = Client::login(&server.url, "lin.admin").await;
    let text = versioned(0, 20_000, "A", "30.00");
    // The upload's answer never comes: the server dies under it.
    let upload = {
        let request = admin
            .http
            .post(format!("{}/api/orders/import", admin.url))
            .header("content-type", "text/csv")
            .header("X-CSRF-Token", admin.csrf.clone().unwrap())
            .body(text.clone());
        tokio::spawn(request.send())
    };
    // Kill it once it has written some batches, not all.
    eventually(std::time::Duration::from_secs(60), "the import writes its first batches", || async {
        db.scalar("SELECT COUNT(*) FROM orders WHERE order_no LIKE '69202414%'").await > 0
    })
    .await;
    let mut server = server;
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let _ = upload.await;
    let written = db.scalar("SELECT COUNT(*) FROM orders WHERE order_no LIKE '69202414%'").await;
    println!("kill -9 mid-import: {written} of 20000 orders were written, each whole");
    assert!(written < 20_000, "killed before the end ({written})");
    let broken = db
        .scalar(
            "SELECT COUNT(*) FROM orders o WHERE o.order_no LIKE '69202414%' \
             AND (SELECT COUNT(*) FROM order_items i WHERE i.shop_id = o.shop_id AND i.order_id = o.id) <> 3",
        )
        .await;
    assert_eq!(broken, 0, "no order is half-written");
    let restarted = Server::start(&db, &[]).await;
    let admin = Client::login(&restarted.url, "lin.admin").await;
    let report = admin.post_csv("/api/orders/import", text.into_bytes()).await.body;
    assert_eq!(report["orders_unchanged"].as_i64(), Some(written), "{report}");
    assert_eq!(report["orders_created"].as_i64(), Some(20_000 - written), "{report}");
}
