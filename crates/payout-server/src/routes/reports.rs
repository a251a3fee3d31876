//! 对账单 and 概览 (SPEC §11.5): the daily statement (JSON and CSV) and the overview.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use jiff::civil::Date;
use jiff::ToSpan;
use payout_core::api::ErrorBody;
use payout_core::api::PayoutView;
use payout_core::statement::{
    day_series, statement, statement_of_groups, AgentUsage, Bucket, Overview, Statement,
};
use payout_core::time::parse_business_date;
use serde::Deserialize;

use super::csv::{csv_line, BOM};
use super::payouts::{csv_records, CSV_HEADERS};
use crate::auth::MainAccount;
use crate::error::ApiError;
use crate::json::{Path, Query};
use crate::state::AppState;
use crate::views::mark_stuck;

/// The overview's chart covers at most this many business days.
const MAX_DAYS: u32 = 90;

pub fn router() -> Router<AppState> {
    Router::new().route("/statements/{date}", get(statements_get)).route("/overview", get(overview_get))
}

fn invalid_date() -> ApiError {
    ApiError::bad_request(
        "INVALID_DATE",
        "日期应为 YYYY-MM-DD（北京时间的营业日），例如 2026-11-24",
        "The date must be a business day YYYY-MM-DD (UTC+8), e.g. 2026-11-24",
    )
}

/// The statement of business day `date` as a spreadsheet: UTF-8 with a BOM, Chinese headers.
/// Served by [`statements_get`] (one route takes `{date}` and `{date}.csv`); this only describes it.
#[utoipa::path(get, path = "/api/statements/{date}.csv", tag = "reports",
    params(("date" = String, Path, description = "Business day YYYY-MM-DD (UTC+8)", example = "2026-11-24")),
    responses((status = 200, content_type = "text/csv", body = String), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[allow(dead_code)]
pub(super) fn statements_csv() {}

/// The statement of business day `date`; `date.csv` downloads it for a spreadsheet.
#[utoipa::path(get, path = "/api/statements/{date}", tag = "reports",
    params(("date" = String, Path, description = "Business day YYYY-MM-DD (UTC+8); add .csv for the spreadsheet download", example = "2026-11-24")),
    responses((status = 200, body = Statement), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(shop_id = actor.shop_id, %date))]
pub async fn statements_get(
    State(state): State<AppState>,
    actor: MainAccount,
    Path(date): Path<String>,
) -> Result<Response, ApiError> {
    let (day, csv) = match date.strip_suffix(".csv") {
        Some(day) => (day, true),
        None => (date.as_str(), false),
    };
    let day: Date = parse_business_date(day).ok_or_else(invalid_date)?;
    if !csv {
        // The groupings only: the day's payouts are the records page's, a page at a time.
        let groups = state.store.day_groups(actor.shop_id, day).await?;
        return Ok(axum::Json(statement_of_groups(day.to_string(), groups)).into_response());
    }
    let mut payouts = state.store.payouts_of_day(actor.shop_id, day).await?;
    mark_stuck(&state.policy, state.clock.now(), &mut payouts);
    let statement = statement(day.to_string(), &payouts);
    let filename = format!("statement-{day}.csv");
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")),
        ],
        statement_csv(&statement, &payouts),
    )
        .into_response())
}

/// The statement for a spreadsheet: the totals by each grouping, then every payout of the day.
fn statement_csv(s: &Statement, payouts: &[PayoutView]) -> Vec<u8> {
    let mut out = BOM.as_bytes().to_vec();
    out.extend(csv_line(&["小额打款对账单", &s.date, "北京时间 (UTC+8)"]));
    out.extend(b"\n");
    out.extend(csv_line(&[
        "分组",
        "项目",
        "笔数",
        "金额（元）",
        "成功笔数",
        "成功金额（元）",
        "计入笔数",
        "计入金额（元）",
    ]));
    let groups: [(&str, &[Bucket]); 6] = [
        ("合计", std::slice::from_ref(&s.total)),
        ("按状态", &s.by_status),
        ("按打款类型", &s.by_payout_type),
        ("按打款原因", &s.by_reason),
        ("按出款账户", &s.by_source_account),
        ("按操作人", &s.by_operator),
    ];
    for (group, buckets) in groups {
        for b in buckets {
            out.extend(csv_line(&[
                group,
                &b.label_zh,
                &b.count.to_string(),
                &b.amount.to_string(),
                &b.succeeded_count.to_string(),
                &b.succeeded_amount.to_string(),
                &b.counted_count.to_string(),
                &b.counted_amount.to_string(),
            ]));
        }
    }
    out.extend(b"\n");
    out.extend(csv_line(&CSV_HEADERS));
    out.extend(csv_records(payouts));
    out
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct OverviewQuery {
    /// Business days in the chart, 1 to 90 (default 30).
    pub days: Option<String>,
}

/// Today's meters, each agent's use of its quota, and the counted sums per day and type.
#[utoipa::path(get, path = "/api/overview", tag = "reports", params(OverviewQuery),
    responses((status = 200, body = Overview), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(shop_id = actor.shop_id))]
pub async fn overview_get(
    State(state): State<AppState>,
    actor: MainAccount,
    Query(query): Query<OverviewQuery>,
) -> Result<axum::Json<Overview>, ApiError> {
    let days = match query.days.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        None => 30,
        Some(text) => text.parse::<u32>().ok().filter(|d| (1..=MAX_DAYS).contains(d)).ok_or_else(|| {
            ApiError::invalid_query(
                "days",
                format!("应为 1 到 {MAX_DAYS} 之间的整数"),
                format!("expected a whole number from 1 to {MAX_DAYS}"),
            )
        })?,
    };
    let now = state.clock.now();
    let today = now.business_date();
    let since = today.checked_sub((i64::from(days) - 1).days()).unwrap_or(today);
    let stuck_before = now.plus_seconds(-i64::from(state.policy.stuck_after_minutes) * 60);
    let figures = state.store.shop_figures(actor.shop_id, today, since, stuck_before).await?;
    let agents = state
        .store
        .quotas(actor.shop_id, today)
        .await?
        .into_iter()
        .map(|q| AgentUsage {
            id: q.sub_account_id,
            username: q.username,
            display_name: q.display_name,
            payout_permission: q.payout_permission,
            enabled: q.enabled,
            per_payout_limit: q.per_payout_limit,
            daily_limit: q.daily_limit,
            used_today: q.used_today,
        })
        .collect();
    let cap = state.policy.shop_daily_cap;
    Ok(axum::Json(Overview {
        date: today.to_string(),
        shop_daily_cap: cap,
        shop_counted_today: figures.counted_today,
        shop_remaining: cap.saturating_sub(figures.counted_today),
        payouts_today: figures.payouts_today,
        counted_today: figures.counted_payouts_today,
        succeeded_today: figures.succeeded_today,
        succeeded_today_amount: figures.succeeded_amount_today,
        failed_today: figures.failed_today,
        rejected_today: figures.rejected_today,
        awaiting_approval: figures.awaiting_approval,
        stuck: figures.stuck,
        agents,
        days: day_series(today, days, &figures.sums),
    }))
}
