//! Records: filters, pagination newest first, CSV export, detail with events.

use serde_json::{json, Value};

use crate::helpers::*;

#[tokio::test]
async fn records_filter_paginate_newest_first_and_export_as_csv() {
    let app = spawn_app().await;
    let admin = app.login("lin.admin").await;
    let agent = app.login("lin.agent1").await;
    assert_eq!(agent.create(draft(O2, "12.50")).await.status, 201);
    app.clock.advance_secs(61);
    assert_eq!(admin.create(draft(O3, "30")).await.status, 201);
    app.settled().await;

    let all = admin.get("/api/payouts?per_page=3").await;
    assert_eq!((all.body["total"].as_u64(), all.body["items"].as_array().unwrap().len()), (Some(10), 3));
    assert_eq!(all.body["items"][0]["order_no"], O3, "newest first");
    assert_eq!(all.body["items"][0]["status"], "succeeded");
    let page3 = admin.get("/api/payouts?per_page=3&page=3").await;
    assert_eq!(page3.body["items"].as_array().unwrap().len(), 3);
    let page4 = admin.get("/api/payouts?per_page=3&page=4").await;
    assert_eq!(page4.body["items"].as_array().unwrap().len(), 1);
    let page5 = admin.get("/api/payouts?per_page=3&page=5").await;
    assert_eq!(page5.body["items"], json!([]));

    let by_operator = admin.get("/api/payouts?operator_id=2").await;
    assert_eq!(by_operator.body["total"], 1);
    assert_eq!(by_operator.body["items"][0]["operator"]["username"], "lin.agent1");
    assert_eq!(admin.get("/api/payouts?status=failed").await.body["total"], 1);
    assert_eq!(admin.get("/api/payouts?payout_type=shipping").await.body["total"], 1);
    assert_eq!(admin.get(&format!("/api/payouts?order_no={O8}")).await.body["total"], 5);
    assert_eq!(
        admin.get("/api/payouts?from=2026-11-24&to=2026-11-24").await.body["total"],
        3, // the two above and the demo's (rejected) payout of 09:59
        "today, UTC+8"
    );
    assert_eq!(admin.get("/api/payouts?to=2026-11-23").await.body["total"], 7);

    let res =
        admin.http.get(format!("{}/api/payouts/export.csv?from=2026-11-24", app.url)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let bytes = res.bytes().await.unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "UTF-8 BOM");
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "header + the 3 filtered rows:\n{text}");
    assert_eq!(
        lines[0],
        "打款ID,创建时间,订单号,打款类型,打款原因,金额（元）,出款账户,操作人,状态,失败原因,驳回原因,审核人,关联商品,买家留言,内部备注"
    );
    assert!(
        lines[3].contains("已驳回") && lines[3].contains("test setup"),
        "the demo's rejected payout: {}",
        lines[3]
    );
    assert!(
        lines[1].contains(O3) && lines[1].contains(",30.00,") && lines[1].contains(",2026-11-24 10:01:01,"),
        "times as spreadsheets read them, in UTC+8: {}",
        lines[1]
    );
    assert!(lines[2].contains("12.50") && lines[2].contains("客服小林"), "{}", lines[2]);

    let id = all.body["items"][0]["id"].as_i64().unwrap();
    let detail = admin.get(&format!("/api/payouts/{id}")).await;
    let events: Vec<_> = detail.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["status"].clone(), e["actor"].clone()))
        .collect();
    assert_eq!(
        events,
        [
            (json!("pending"), json!("lin.admin")),
            (json!("processing"), json!("settlement")),
            (json!("succeeded"), json!("settlement"))
        ]
    );
}

#[tokio::test]
async fn the_export_streams_every_row_of_a_large_shop() {
    let app = spawn_app().await;
    // 2,345 rows: more than two of the export's batches.
    app.sql(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2345) \
         INSERT INTO payouts (shop_id, order_id, order_no, operator_id, source_account, payout_type, amount_fen, status, created_at, updated_at, business_date) \
         SELECT 1, 3, '6920241100000000003', 1, 'aggregate', 'other', 1, 'failed', 1700000000000 + i, 1700000000000 + i, '2023-11-15' FROM n",
    )
    .await;
    let admin = app.login("lin.admin").await;
    let text = admin
        .http
        .get(format!("{}/api/payouts/export.csv", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(text.lines().count(), 1 + 2345 + 8);
}

#[tokio::test]
async fn the_export_completes_when_gzip_compressed() {
    // Regression: the compression layer polls the body once more after its end, which made the
    // export's stream panic and cut the connection.
    let app = spawn_app().await;
    let admin = app.login("lin.admin").await;
    let res = admin
        .http
        .get(format!("{}/api/payouts/export.csv", app.url))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-encoding"], "gzip");
    let body = res.bytes().await.expect("the whole compressed body arrives");
    assert!(body.len() > 20);
}

/// `n` old payouts on order 3 (from 2023-11-15 back, two at each instant so the id breaks the
/// tie), every third failed, the rest succeeded.
async fn history(app: &TestApp, n: u32) {
    app.sql(&format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {n}) \
         INSERT INTO payouts (shop_id, order_id, order_no, operator_id, source_account, payout_type, amount_fen, status, created_at, updated_at, business_date) \
         SELECT 1, 3, '6920241100000000003', 1 + i % 3, 'aggregate', 'other', 100 + i, CASE WHEN i % 3 = 0 THEN 'failed' ELSE 'succeeded' END, \
                1700000000000 - (i / 2) * 1000, 1700000000000, '2023-11-15' FROM n"
    ))
    .await;
}

/// Every page of `query` (`per_page=10`), following `next_cursor` from the first; each page's ids.
async fn walk_forward(client: &Client, query: &str) -> Vec<Vec<i64>> {
    let mut pages = vec![];
    let mut path = format!("/api/payouts?per_page=10{query}");
    loop {
        let page = client.get(&path).await;
        assert_eq!(page.status, 200, "{}", page.body);
        pages.push(ids(&page.body));
        match page.body["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/payouts?per_page=10{query}&cursor={cursor}"),
            None => return pages,
        }
    }
}

fn ids(page: &Value) -> Vec<i64> {
    page["items"].as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()).collect()
}

#[tokio::test]
async fn records_walk_by_cursor_through_every_page_and_back_as_the_pages_by_number_show_them() {
    let app = spawn_app().await;
    history(&app, 57).await;
    let admin = app.login("lin.admin").await;
    for query in ["", "&status=failed", "&operator_id=2&from=2023-11-01&to=2023-11-30"] {
        let by_cursor = walk_forward(&admin, query).await;
        let mut by_number = vec![];
        for n in 1..=by_cursor.len() {
            by_number.push(ids(&admin.get(&format!("/api/payouts?per_page=10{query}&page={n}")).await.body));
        }
        assert_eq!(by_cursor, by_number, "{query}: the same pages either way");
        let all: Vec<i64> = by_cursor.concat();
        let total =
            admin.get(&format!("/api/payouts?per_page=10{query}")).await.body["total"].as_u64().unwrap();
        assert_eq!(all.len() as u64, total, "{query}: every row once");
        // Back from the last page by prev_cursor: the same pages, newest last.
        let mut cursor = format!("n{}", {
            let last =
                admin.get(&format!("/api/payouts?per_page=10{query}&page={}", by_cursor.len())).await.body;
            let first = &last["items"][0];
            format!(
                "{}.{}",
                payout_core::Time::parse(first["created_at"].as_str().unwrap()).unwrap().unix_millis(),
                first["id"]
            )
        });
        let mut back = vec![by_cursor.last().unwrap().clone()];
        loop {
            let page = admin.get(&format!("/api/payouts?per_page=10{query}&cursor={cursor}")).await.body;
            back.push(ids(&page));
            match page["prev_cursor"].as_str() {
                Some(c) => cursor = c.to_owned(),
                None => break,
            }
        }
        back.reverse();
        assert_eq!(back, by_cursor, "{query}: back to the first page by prev_cursor");
    }
    // A payout made while someone is on page 2 neither repeats nor skips a row on the next pages.
    let first = admin.get("/api/payouts?per_page=10").await.body;
    let second = admin
        .get(&format!("/api/payouts?per_page=10&cursor={}", first["next_cursor"].as_str().unwrap()))
        .await
        .body;
    assert_eq!(admin.create(draft(O2, "1")).await.status, 201);
    let third = admin
        .get(&format!("/api/payouts?per_page=10&cursor={}", second["next_cursor"].as_str().unwrap()))
        .await
        .body;
    let before = walk_forward(&admin, "").await.concat();
    let seen: Vec<i64> = [ids(&first), ids(&second), ids(&third)].concat();
    assert_eq!(seen[..], before[1..=30], "the walk went on where it was, the new payout only at the top");
}

#[tokio::test]
async fn the_count_stops_at_ten_thousand_and_says_so() {
    let app = spawn_app().await;
    history(&app, 10_050).await;
    let admin = app.login("lin.admin").await;
    let all = admin.get("/api/payouts").await.body;
    assert_eq!((all["total"].as_u64(), all["total_exact"].as_bool()), (Some(10_000), Some(false)), "10,000+");
    assert!(all["next_cursor"].is_string() && all.get("prev_cursor").is_none());
    let few = admin.get("/api/payouts?from=2026-11-01").await.body;
    assert_eq!(few["total_exact"], true);
    assert!(few["total"].as_u64().unwrap() < 100);
}

#[tokio::test]
async fn a_cursor_the_list_did_not_give_is_refused() {
    let app = spawn_app().await;
    let admin = app.login("lin.admin").await;
    for bad in
        ["x", "o", "o12", "o1.2.3", "q1.2", "o-1.2", "o1.-2", "o99999999999999999999.1", "o１.2", "o1.2 "]
    {
        let answer = admin.get(&format!("/api/payouts?cursor={}", urlencoding(bad))).await;
        assert_eq!(
            (answer.status.as_u16(), answer.error_code()),
            (400, "INVALID_QUERY"),
            "{bad:?}: {}",
            answer.body
        );
        assert!(
            answer.body["error"]["message_en"].as_str().unwrap().contains("Invalid cursor"),
            "{bad:?}: {}",
            answer.body
        );
    }
}

fn urlencoding(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'.' || b == b'-' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
