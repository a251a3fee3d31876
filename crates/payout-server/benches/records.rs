//! A big shop's records (issue 22; not part of the test command):
//! `cargo bench -p payout-server --bench records` (SQLite) or `… -- --database-url postgres://…`
//! (PostgreSQL; a URL whose user may `CREATE DATABASE`), `--payouts N` to change the 10⁶.
//!
//! Builds one shop with 10⁶ payouts over 365 days (every status, type and operator; ~2,700 a day)
//! straight in the database, starts the real server binary (release) on it, and times over
//! loopback what the console asks for — each the median of 5 after one warm-up: the records with
//! each filter and page, the busiest day's statement, the 30-day overview, and the CSV export of
//! every row (rows/s and the server's peak resident memory).

mod common;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use common::{sample_peak, sign_in, Server, Store};
use sqlx::{Connection, PgConnection, SqliteConnection};

const DAY_MS: i64 = 86_400_000;

/// How each payout `i` (0 = the newest) is made, the same on both stores: operator 1–3 in turn,
/// the type changing every 7, 80 % succeeded, 8 % failed, 6 % rejected (never a shipping one, so
/// "rejected + shipping" matches nothing though each is common), the newest few awaiting approval,
/// pending or processing.
const OPERATOR: &str = "1 + i % 3";
const TYPE: &str = "CASE (i / 7) % 4 WHEN 0 THEN 'shipping' WHEN 1 THEN 'price_difference' \
                    WHEN 2 THEN 'product_issue' ELSE 'other' END";
const STATUS: &str = "CASE WHEN i < 10 THEN 'awaiting_approval' WHEN i < 20 THEN 'processing' \
                      WHEN i < 30 THEN 'pending' WHEN i % 50 BETWEEN 40 AND 43 THEN 'failed' \
                      WHEN i % 50 BETWEEN 44 AND 46 AND (i / 7) % 4 <> 0 THEN 'rejected' \
                      WHEN i % 50 BETWEEN 44 AND 46 THEN 'failed' ELSE 'succeeded' END";
/// The columns filled from `p(i, ts, operator_id, payout_type, status)` and the order `o`; the
/// processing ones are claimed far into the future, so no worker takes them.
const COLUMNS: &str = "(shop_id, order_id, order_no, operator_id, source_account, payout_type, amount_fen, status, \
                        failure_reason, created_at, updated_at, business_date, buyer_message, claim_owner, claim_until)";
const VALUES: &str = "1, o.id, o.order_no, p.operator_id, 'aggregate', p.payout_type, 100 + p.i % 5000, p.status, \
                      CASE p.status WHEN 'failed' THEN '收款账户异常' END, p.ts, p.ts, {DATE}, '已为您补偿，请查收', \
                      CASE p.status WHEN 'processing' THEN 'bench' END, \
                      CASE p.status WHEN 'processing' THEN p.ts + 3650 * 86400000 END";

async fn fill_sqlite(path: &str, payouts: i64, now: i64) {
    let mut conn = SqliteConnection::connect(&format!("sqlite://{path}")).await.unwrap();
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ? - 1) \
         INSERT INTO orders (shop_id, order_no, source_app, paid_fen, ordered_at, online_paid, cross_border, buyer_ref) \
         SELECT 1, printf('R%018d', i), 'douyin', 9900, ? - 400 * 86400000, 1, 0, 'dy_buyer_' || i FROM n",
    )
    .bind(payouts / 4 + 1)
    .bind(now)
    .execute(&mut conn)
    .await
    .unwrap();
    let values = VALUES.replace("{DATE}", "date(p.ts / 1000 + 28800, 'unixepoch')");
    let sql = format!(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?1 - 1), \
              p(i, ts, operator_id, payout_type, status) AS (SELECT i, ?2 - 60000 - i * ?3, {OPERATOR}, {TYPE}, {STATUS} FROM n) \
         INSERT INTO payouts {COLUMNS} SELECT {values} \
         FROM p JOIN orders o ON o.shop_id = 1 AND o.order_no = printf('R%018d', p.i / 4)"
    );
    let step = 365 * DAY_MS / payouts;
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(payouts)
        .bind(now)
        .bind(step)
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query("ANALYZE").execute(&mut conn).await.unwrap();
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&mut conn).await.unwrap();
    conn.close().await.unwrap();
}

async fn fill_postgres(url: &str, payouts: i64, now: i64) {
    let mut conn = PgConnection::connect(url).await.unwrap();
    sqlx::query(
        "INSERT INTO orders (shop_id, order_no, source_app, paid_fen, ordered_at, online_paid, cross_border, buyer_ref) \
         SELECT 1, 'R' || lpad(i::text, 18, '0'), 'douyin', 9900, $2 - 400 * 86400000::bigint, TRUE, FALSE, 'dy_buyer_' || i \
         FROM generate_series(0, $1 - 1) i",
    )
    .bind(payouts / 4 + 1)
    .bind(now)
    .execute(&mut conn)
    .await
    .unwrap();
    let values = VALUES
        .replace("{DATE}", "to_char(to_timestamp(p.ts / 1000 + 28800) AT TIME ZONE 'UTC', 'YYYY-MM-DD')")
        .replace("3650 * 86400000", "3650 * 86400000::bigint");
    let sql = format!(
        "INSERT INTO payouts {COLUMNS} SELECT {values} \
         FROM (SELECT i, $2 - 60000 - i * $3 AS ts, {OPERATOR} AS operator_id, {TYPE} AS payout_type, {STATUS} AS status \
               FROM generate_series(0::bigint, $1 - 1) i) p \
         JOIN orders o ON o.shop_id = 1 AND o.order_no = 'R' || lpad((p.i / 4)::text, 18, '0')"
    );
    let step = 365 * DAY_MS / payouts;
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(payouts)
        .bind(now)
        .bind(step)
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query("VACUUM (ANALYZE)").execute(&mut conn).await.unwrap();
    let _ = sqlx::query("CHECKPOINT").execute(&mut conn).await;
    conn.close().await.unwrap();
}

/// The median time of 5 requests of `path` (after one to warm up), and the last answer.
async fn median(http: &reqwest::Client, url: &str, path: &str) -> (Duration, serde_json::Value) {
    let mut times = Vec::new();
    let mut body = serde_json::Value::Null;
    for round in 0..6 {
        // Timed to the answer's last byte; parsing it here is the client's cost, not the server's.
        let started = Instant::now();
        let res = http.get(format!("{url}{path}")).send().await.unwrap();
        assert!(res.status().is_success(), "{path}: {}", res.status());
        let bytes = res.bytes().await.unwrap();
        if round > 0 {
            times.push(started.elapsed());
        }
        body = serde_json::from_slice(&bytes).unwrap();
    }
    times.sort();
    (times[2], body)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn rows(body: &serde_json::Value) -> String {
    let shown = body["items"].as_array().map_or(0, Vec::len);
    match (body["total"].as_u64(), body["total_exact"].as_bool()) {
        (Some(total), Some(false)) => format!("{shown} rows of {total}+"),
        (Some(total), _) => format!("{shown} rows of {total}"),
        _ => format!("{shown} rows"),
    }
}

#[tokio::main]
async fn main() {
    let payouts: i64 = std::env::args()
        .skip_while(|a| a != "--payouts")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let store = Store::from_args("bench_records").await;
    let now = jiff::Timestamp::now().as_millisecond();
    // Migrations and the demo shop first, by the server itself; then the history beside it.
    drop(Server::start(&store.args, &[]).await);
    let filling = Instant::now();
    match store.args.as_slice() {
        [flag, path] if flag == "--db" => fill_sqlite(path, payouts, now).await,
        [_, url] => fill_postgres(url, payouts, now).await,
        _ => unreachable!(),
    }
    println!(
        "{}: {payouts} payouts of one shop over 365 days written in {:.0} s",
        store.label,
        filling.elapsed().as_secs_f64()
    );

    let server = Server::start(&store.args, &[]).await;
    let url = server.url.clone();
    let http = reqwest::Client::builder().cookie_store(true).build().unwrap();
    sign_in(&http, &url, "lin.admin").await;
    let day = |days_ago: i64| {
        jiff::Timestamp::from_millisecond(now - days_ago * DAY_MS)
            .unwrap()
            .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(8)))
            .date()
            .to_string()
    };
    let busy = day(100);
    let order = format!("R{:018}", payouts / 8);
    let cases = [
        ("one order", format!("/api/payouts?order_no={order}")),
        ("one day", format!("/api/payouts?from={busy}&to={busy}")),
        ("status=failed", "/api/payouts?status=failed".to_owned()),
        ("page 1", "/api/payouts".to_owned()),
        ("status=processing (10 rows)", "/api/payouts?status=processing".to_owned()),
        (
            "type + operator + status, no match",
            "/api/payouts?status=rejected&payout_type=shipping&operator_id=2".to_owned(),
        ),
        ("type + operator", "/api/payouts?payout_type=other&operator_id=3".to_owned()),
        ("status + one day", format!("/api/payouts?status=failed&from={busy}&to={busy}")),
    ];
    for (name, path) in &cases {
        let (took, body) = median(&http, &url, path).await;
        println!("  records, {name}: {} ({})", ms(took), rows(&body));
    }
    // Page 2,000: by the cursor each page hands on, or by the page number where there is none.
    let first: serde_json::Value =
        http.get(format!("{url}/api/payouts")).send().await.unwrap().json().await.unwrap();
    let deep = if first.get("next_cursor").is_some() {
        let mut cursor = first["next_cursor"].as_str().unwrap().to_owned();
        for _ in 2..2_000 {
            let page: serde_json::Value = http
                .get(format!("{url}/api/payouts?cursor={cursor}"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            cursor = page["next_cursor"].as_str().unwrap().to_owned();
        }
        format!("/api/payouts?cursor={cursor}")
    } else {
        "/api/payouts?page=2000".to_owned()
    };
    let (took, body) = median(&http, &url, &deep).await;
    println!("  records, page 2,000: {} ({})", ms(took), rows(&body));

    let (took, _) = median(&http, &url, &format!("/api/statements/{busy}")).await;
    println!("  statement of {busy} (~{} payouts): {}", payouts / 365, ms(took));
    let (took, _) = median(&http, &url, "/api/overview").await;
    println!("  30-day overview: {}", ms(took));

    let peak = sample_peak(server.pid());
    let started = Instant::now();
    let mut res = http.get(format!("{url}/api/payouts/export.csv")).send().await.unwrap();
    let (mut lines, mut bytes) = (0u64, 0u64);
    while let Some(chunk) = res.chunk().await.unwrap() {
        lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
        bytes += chunk.len() as u64;
    }
    let took = started.elapsed();
    peak.1.abort();
    println!(
        "  CSV export: {} rows ({:.0} MB) in {:.1} s = {:.0} rows/s; server RSS peak {} MiB",
        lines.saturating_sub(1),
        bytes as f64 / 1e6,
        took.as_secs_f64(),
        lines as f64 / took.as_secs_f64(),
        peak.0.load(Ordering::Relaxed) / 1024
    );
    drop(server);
    store.finish().await;
}
