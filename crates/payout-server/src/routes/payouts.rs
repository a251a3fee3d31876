//! Payouts: check a draft, create one (idempotent), list, export and read them.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use futures::StreamExt;
use payout_core::api::{
    CheckResponse, ErrorBody, OperatorList, PayoutDetail, PayoutDraft, PayoutList, PayoutStatus, PayoutView,
};
use payout_core::time::parse_business_date;
use payout_core::{check_draft, check_payout, Draft, PayoutType, Time};
use serde::Deserialize;

use super::csv::{csv_line, write_safe, BOM};
use super::orders::order_not_found;
use super::{check_len, idempotency_key, key_reused, paging, Fingerprint};
use crate::auth::{Payer, PayoutActor, PayoutReader};
use crate::error::ApiError;
use crate::json::{Json, Path, Query};
use crate::state::AppState;
use crate::store::{CreateOutcome, Decide, NewPayout, PayoutAnswer, PayoutFilter, RowKey, Seek};
use crate::views::mark_stuck;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/payouts/check", post(payouts_check))
        .route("/payouts", post(payouts_create).get(payouts_list))
        .route("/payouts/export.csv", get(payouts_export))
        .route("/payouts/{id}", get(payouts_get))
        .route("/operators", get(operators_list))
}

/// Lengths a person could never need; longer text is refused, not cut.
fn check_draft_lengths(draft: &PayoutDraft) -> Result<(), ApiError> {
    check_len(&draft.order_no, 32, "ORDER_NO_TOO_LONG", "订单号", "The order number")?;
    check_len(&draft.amount, 32, "AMOUNT_TOO_LONG", "金额", "The amount")?;
    check_len(
        draft.linked_item_id.as_deref().unwrap_or(""),
        64,
        "LINKED_ITEM_TOO_LONG",
        "关联商品",
        "The linked product",
    )
}

/// The verdict creating would give now, without creating (SPEC §8).
#[utoipa::path(post, path = "/api/payouts/check", tag = "payouts", request_body = PayoutDraft,
    responses((status = 200, body = CheckResponse), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(shop_id = actor.shop_id, order_no = %draft.order_no))]
pub async fn payouts_check(
    State(state): State<AppState>,
    actor: PayoutActor,
    Json(draft): Json<PayoutDraft>,
) -> Result<axum::Json<CheckResponse>, ApiError> {
    check_draft_lengths(&draft)?;
    let now = state.clock.now();
    let ctx =
        state.store.order_context(&actor, draft.order_no.trim(), now).await?.ok_or_else(order_not_found)?;
    let violations = check_draft(&state.policy, &ctx.facts, &draft, now);
    Ok(axum::Json(CheckResponse { ok: violations.is_empty(), violations }))
}

/// Creates a payout `pending`. Idempotent per `Idempotency-Key`: a repeat gets the first answer
/// and moves no money; the same key with another body is refused with `409`.
#[utoipa::path(post, path = "/api/payouts", tag = "payouts", request_body = PayoutDraft,
    params(("Idempotency-Key" = String, Header, description = "One per submission; repeat it only to retry the same submission")),
    responses((status = 201, body = PayoutView), (status = 400, body = ErrorBody, description = "malformed draft, e.g. AMOUNT_INVALID"),
        (status = 403, body = ErrorBody, description = "NOT_AUTHORIZED, TWO_FACTOR_REQUIRED_TO_PAY"), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "IDEMPOTENCY_KEY_REUSED"),
        (status = 422, body = ErrorBody, description = "PAYOUT_REJECTED with every violation")))]
#[tracing::instrument(skip_all, fields(shop_id = actor.shop_id, user_id = actor.user_id, order_no = %draft.order_no))]
pub async fn payouts_create(
    State(state): State<AppState>,
    actor: Payer,
    headers: HeaderMap,
    Json(draft): Json<PayoutDraft>,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    check_draft_lengths(&draft)?;
    // Parsed once, here: the rules, the store and the fingerprint take the typed draft.
    let draft = Draft::parse(&state.policy, &draft).map_err(|syntax| ApiError::BadRequest {
        code: syntax[0].code.as_str(),
        zh: syntax.iter().map(|v| v.message_zh.as_str()).collect::<Vec<_>>().join("；"),
        en: syntax.iter().map(|v| v.message_en.as_str()).collect::<Vec<_>>().join("; "),
        violations: Some(syntax),
    })?;
    let new = NewPayout {
        actor: actor.0.clone(),
        request_hash: fingerprint(&draft),
        draft,
        idempotency_key: key.to_owned(),
    };
    let policy = state.policy.clone();
    let parsed = new.draft.clone();
    let decide: Decide =
        Arc::new(move |facts: &payout_core::Facts, at| check_payout(&policy, facts, &parsed, at));
    match state.store.payout_create(new, state.clock.clone(), decide).await? {
        CreateOutcome::Answered { answer: PayoutAnswer::Created(view), replayed } => {
            if !replayed {
                tracing::info!(payout_id = view.id, amount = %view.amount, "payout created");
                metrics::counter!("payouts_created_total", "status" => view.status.as_str()).increment(1);
            }
            Ok((StatusCode::CREATED, axum::Json(view)).into_response())
        }
        // Recorded under the key in the transaction that decided it; a retry gets it again.
        CreateOutcome::Answered { answer: PayoutAnswer::Rejected(violations), .. } => {
            Err(ApiError::Rejected(violations))
        }
        CreateOutcome::KeyReused => Err(key_reused()),
        CreateOutcome::OrderNotFound => Err(order_not_found()),
    }
}

/// What identifies a payout request under its idempotency key: its meaning, not its spelling, so
/// a retry that writes `12.5` as `12.50` or pads the note is the same request.
fn fingerprint(d: &Draft) -> String {
    Fingerprint::new("payout/v1")
        .text(&d.order_no)
        .text(d.source_account.as_str())
        .text(d.payout_type.as_str())
        .number(d.amount.to_fen())
        .optional_text(d.linked_item_id.as_deref())
        .optional_text(d.note.as_deref())
        .number(i64::from(d.confirm_duplicate_shipping))
        .optional_number(d.reason_id)
        .optional_text(d.buyer_message.as_deref())
        .finish()
}

/// Query text of the records page and the export; parsed into a [`PayoutFilter`] with a specific
/// `400` for each bad parameter.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct PayoutQuery {
    pub order_no: Option<String>,
    /// `awaiting_approval`, `pending`, `processing`, `succeeded`, `failed` or `rejected`.
    pub status: Option<String>,
    pub payout_type: Option<String>,
    pub operator_id: Option<String>,
    /// First business day (UTC+8), `YYYY-MM-DD`.
    pub from: Option<String>,
    /// Last business day (UTC+8), inclusive.
    pub to: Option<String>,
    /// The page by number (an offset: slow far from the start). With `cursor`, only echoed.
    pub page: Option<String>,
    pub per_page: Option<String>,
    /// A page's `next_cursor` or `prev_cursor`: the page just older or newer than it, as fast
    /// on page 2,000 as on page 2. The same filters must be sent with it.
    pub cursor: Option<String>,
}

/// The opaque text of a [`Seek`] by cursor: `o` (older than) or `n` (newer than), then the row's
/// creation time in Unix milliseconds and its id.
fn cursor_text(direction: char, key: RowKey) -> String {
    format!("{direction}{}.{}", key.created_at.unix_millis(), key.id)
}

fn parse_cursor(text: &str) -> Result<Seek, ApiError> {
    let bad = || {
        ApiError::invalid_query(
            "cursor",
            "翻页位置无效，请从第一页重新开始",
            "not a cursor this list gave; start again from the first page",
        )
    };
    let mut chars = text.chars();
    let direction = chars.next().ok_or_else(bad)?;
    let (millis, id) = chars.as_str().split_once('.').ok_or_else(bad)?;
    let digits = |t: &str| !t.is_empty() && t.len() <= 19 && t.bytes().all(|b| b.is_ascii_digit());
    if !digits(millis) || !digits(id) {
        return Err(bad());
    }
    let created_at = Time::from_unix_millis(millis.parse().map_err(|_| bad())?);
    let key = RowKey { created_at, id: id.parse().map_err(|_| bad())? };
    match direction {
        'o' => Ok(Seek::Older(key)),
        'n' => Ok(Seek::Newer(key)),
        _ => Err(bad()),
    }
}

impl PayoutQuery {
    fn filter(&self) -> Result<PayoutFilter, ApiError> {
        let some =
            |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        let date = |v: &Option<String>, name: &str| {
            some(v)
                .map(|t| {
                    parse_business_date(&t).ok_or_else(|| {
                        ApiError::invalid_query(name, "应为 YYYY-MM-DD 日期", "expected a date YYYY-MM-DD")
                    })
                })
                .transpose()
        };
        let filter = PayoutFilter {
            order_no: some(&self.order_no),
            status: some(&self.status)
                .map(|s| {
                    PayoutStatus::parse(&s).ok_or_else(|| {
                        ApiError::invalid_query(
                            "status",
                            "应为 awaiting_approval、pending、processing、succeeded、failed 或 rejected",
                            "expected awaiting_approval, pending, processing, succeeded, failed or rejected",
                        )
                    })
                })
                .transpose()?,
            payout_type: some(&self.payout_type)
                .map(|s| {
                    PayoutType::parse(&s).ok_or_else(|| {
                        ApiError::invalid_query(
                            "payout_type",
                            "应为 shipping、price_difference、product_issue 或 other",
                            "expected shipping, price_difference, product_issue or other",
                        )
                    })
                })
                .transpose()?,
            operator_id: some(&self.operator_id)
                .map(|s| {
                    s.parse::<i64>().map_err(|_| {
                        ApiError::invalid_query("operator_id", "应为整数", "expected a whole number")
                    })
                })
                .transpose()?,
            from: date(&self.from, "from")?,
            to: date(&self.to, "to")?,
        };
        if let Some(order_no) = &filter.order_no {
            if order_no.chars().count() > 32 {
                return Err(ApiError::invalid_query(
                    "order_no",
                    "订单号不能超过 32 个字符",
                    "at most 32 characters",
                ));
            }
        }
        if let (Some(from), Some(to)) = (filter.from, filter.to) {
            if from > to {
                return Err(ApiError::invalid_query(
                    "from",
                    "开始日期不能晚于结束日期",
                    "the start date is after the end date",
                ));
            }
        }
        Ok(filter)
    }
}

#[utoipa::path(get, path = "/api/payouts", tag = "payouts", params(PayoutQuery),
    responses((status = 200, body = PayoutList), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(shop_id = actor.shop_id))]
pub async fn payouts_list(
    State(state): State<AppState>,
    actor: PayoutReader,
    Query(query): Query<PayoutQuery>,
) -> Result<axum::Json<PayoutList>, ApiError> {
    let filter = query.filter()?;
    let (page, per_page) = paging(query.page.as_deref(), query.per_page.as_deref())?;
    let seek = match query.cursor.as_deref().filter(|c| !c.is_empty()) {
        Some(cursor) => parse_cursor(cursor)?,
        None => Seek::Page(page),
    };
    let mut rows = state.store.payouts_page(actor.shop_id, &filter, seek, per_page).await?;
    mark_stuck(&state.policy, state.clock.now(), &mut rows.items);
    let key = |p: &PayoutView| RowKey { created_at: p.created_at, id: p.id };
    let next_cursor = rows.items.last().filter(|_| rows.older).map(|p| cursor_text('o', key(p)));
    let prev_cursor = rows.items.first().filter(|_| rows.newer).map(|p| cursor_text('n', key(p)));
    Ok(axum::Json(PayoutList {
        items: rows.items,
        total: rows.total,
        total_exact: rows.total_exact,
        page,
        per_page,
        next_cursor,
        prev_cursor,
    }))
}

/// The export's columns, in the merchant's language (the spreadsheet is read by people, not code).
pub(crate) const CSV_HEADERS: [&str; 15] = [
    "打款ID",
    "创建时间",
    "订单号",
    "打款类型",
    "打款原因",
    "金额（元）",
    "出款账户",
    "操作人",
    "状态",
    "失败原因",
    "驳回原因",
    "审核人",
    "关联商品",
    "买家留言",
    "内部备注",
];

/// Payouts as records under [`CSV_HEADERS`], one line each.
pub(crate) fn csv_records(payouts: &[PayoutView]) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::with_capacity(payouts.len() * 256));
    for p in payouts {
        write_safe(
            &mut writer,
            &[
                &p.id.to_string(),
                &p.created_at.to_business_datetime(),
                &p.order_no,
                p.payout_type.label_zh(),
                p.reason_name_zh.as_deref().unwrap_or(""),
                &p.amount.to_string(),
                p.source_account.label_zh(),
                &format!("{} ({})", p.operator.display_name, p.operator.username),
                p.status.label_zh(),
                p.failure_reason.as_deref().unwrap_or(""),
                p.reject_reason.as_deref().unwrap_or(""),
                p.decided_by.as_deref().unwrap_or(""),
                p.linked_item_id.as_deref().unwrap_or(""),
                p.buyer_message.as_deref().unwrap_or(""),
                p.note.as_deref().unwrap_or(""),
            ],
        );
    }
    writer.into_inner().unwrap_or_default()
}

/// Every filtered row as CSV, streamed in batches: UTF-8 with a BOM (so spreadsheet apps read the
/// Chinese text), Chinese headers, amounts as `12.50`, times as `2026-11-24 18:05:00` in UTC+8.
#[utoipa::path(get, path = "/api/payouts/export.csv", tag = "payouts", params(PayoutQuery),
    responses((status = 200, content_type = "text/csv", body = String), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(shop_id = actor.shop_id))]
pub async fn payouts_export(
    State(state): State<AppState>,
    actor: PayoutReader,
    Query(query): Query<PayoutQuery>,
) -> Result<Response, ApiError> {
    let filter = query.filter()?;
    let header_row = csv_line(&CSV_HEADERS);
    let mut head = BOM.as_bytes().to_vec();
    head.extend(header_row);
    // One chunk per batch of rows: a chunk per row made the export a million small writes.
    let rows = state.store.payouts_stream(actor.shop_id, filter).map(|batch| match batch {
        Ok(batch) => Ok(bytes::Bytes::from(csv_records(&batch))),
        Err(e) => {
            tracing::error!(error = %e, "export failed mid-stream");
            Err(std::io::Error::other("export failed"))
        }
    });
    let body =
        futures::stream::once(async move { Ok::<_, std::io::Error>(bytes::Bytes::from(head)) }).chain(rows);
    let filename = format!("payouts-{}.csv", state.clock.now().business_date());
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")),
        ],
        Body::from_stream(body),
    )
        .into_response())
}

#[utoipa::path(get, path = "/api/payouts/{id}", tag = "payouts", params(("id" = i64, Path, description = "Payout id")),
    responses((status = 200, body = PayoutDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn payouts_get(
    State(state): State<AppState>,
    actor: PayoutReader,
    Path(id): Path<i64>,
) -> Result<axum::Json<PayoutDetail>, ApiError> {
    let mut detail = state.store.payout_detail(actor.shop_id, id).await?.ok_or_else(payout_not_found)?;
    mark_stuck(&state.policy, state.clock.now(), std::slice::from_mut(&mut detail.payout));
    Ok(axum::Json(detail))
}

pub(crate) fn payout_not_found() -> ApiError {
    ApiError::NotFound {
        code: "PAYOUT_NOT_FOUND", zh: "未找到该打款记录", en: "No such payout in this shop"
    }
}

/// The shop's accounts, for the records page's operator filter.
#[utoipa::path(get, path = "/api/operators", tag = "payouts",
    responses((status = 200, body = OperatorList), (status = 403, body = ErrorBody)))]
pub async fn operators_list(
    State(state): State<AppState>,
    actor: PayoutActor,
) -> Result<axum::Json<OperatorList>, ApiError> {
    Ok(axum::Json(OperatorList { items: state.store.operators(actor.shop_id).await? }))
}
