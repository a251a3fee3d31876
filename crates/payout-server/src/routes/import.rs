//! `POST /api/orders/import` (SPEC §12.3): the platform's order file, streamed.
//!
//! The body goes to a temporary file as it arrives (never whole in memory; at most 50 MB and
//! 200,000 lines; a client that hangs up mid-upload leaves nothing imported), noting whether it is
//! UTF-8 and whether it holds binary; then `importer` reads it into the store.

use std::io::{Seek, Write};

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use futures::StreamExt;
use payout_core::import::{choose_encoding, FileProblem, MAX_BYTES, MAX_LINES};
use payout_core::orders::ImportReport;

use crate::auth::OrderWriter;
use crate::error::ApiError;
use crate::importer::{self, Failed, Sniffed, Sniffer};
use crate::state::AppState;

/// The path, which the router serves outside the small-body and request-deadline layers.
pub const PATH: &str = "/api/orders/import";

fn invalid(problem: FileProblem) -> ApiError {
    ApiError::BadRequest {
        code: "IMPORT_FILE_INVALID",
        zh: problem.message_zh,
        en: problem.message_en,
        violations: None,
    }
}

fn too_large() -> ApiError {
    ApiError::PayloadTooLarge
}

/// What the upload left on disk, and what its bytes said.
struct Spooled {
    file: std::fs::File,
    sniffed: Sniffed,
}

/// Streams the body to a temporary file, checking size and line count and noting the encoding.
async fn spool(body: Body) -> Result<Spooled, ApiError> {
    let mut file = tempfile::tempfile().map_err(|e| ApiError::Internal(format!("temp file: {e}")))?;
    let mut stream = body.into_data_stream();
    let mut sniffer = Sniffer::default();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| {
            ApiError::bad_request(
                "BODY_INCOMPLETE",
                "文件未完整上传，未导入任何订单",
                "The file did not arrive in full; nothing was imported",
            )
        })?;
        sniffer.push(&chunk);
        if sniffer.bytes > MAX_BYTES {
            return Err(too_large());
        }
        if sniffer.lines > MAX_LINES {
            return Err(invalid(FileProblem::too_many_lines()));
        }
        file.write_all(&chunk).map_err(|e| ApiError::Internal(format!("temp file: {e}")))?;
    }
    file.rewind().map_err(|e| ApiError::Internal(format!("temp file: {e}")))?;
    Ok(Spooled { file, sniffed: sniffer.finish() })
}

/// Imports the platform's order file; answers the report (SPEC §12.3).
#[utoipa::path(post, path = "/api/orders/import", tag = "orders",
    request_body(content = String, content_type = "text/csv", description = "The order file: UTF-8 (with or without BOM) or GB18030; at most 50 MB and 200,000 lines"),
    responses((status = 200, body = ImportReport),
        (status = 400, body = payout_core::api::ErrorBody, description = "IMPORT_FILE_INVALID: nothing was imported"),
        (status = 401, body = payout_core::api::ErrorBody), (status = 403, body = payout_core::api::ErrorBody, description = "NOT_AUTHORIZED, SCOPE_REQUIRED"),
        (status = 413, body = payout_core::api::ErrorBody)))]
#[tracing::instrument(skip_all, fields(shop_id = caller.shop_id))]
pub async fn orders_import(
    State(state): State<AppState>,
    caller: OrderWriter,
    headers: HeaderMap,
    body: Body,
) -> Result<axum::Json<ImportReport>, ApiError> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if !matches!(essence.as_str(), "text/csv" | "application/csv" | "application/vnd.ms-excel" | "text/plain")
    {
        return Err(ApiError::bad_request(
            "IMPORT_FILE_INVALID",
            "请上传 CSV 文件（Content-Type: text/csv）",
            "Upload a CSV file (Content-Type: text/csv)",
        ));
    }
    let spooled = spool(body).await?;
    let Sniffed { starts_with_bom, valid_utf8, has_nul } = spooled.sniffed;
    let encoding = choose_encoding(starts_with_bom, valid_utf8, has_nul).map_err(invalid)?;
    // The rest goes on in a task of its own: a client that hangs up now does not stop it between
    // two batches (each is whole anyway), and the report is the same whoever waits for it.
    let (store, clock, caller) = (state.store.clone(), state.clock.clone(), caller.0.clone());
    let task = tokio::spawn(async move {
        importer::import(&*store, caller.shop_id, &caller.actor_name, spooled.file, encoding, clock.now())
            .await
    });
    match task.await.map_err(|e| ApiError::Internal(format!("import task: {e}")))? {
        Ok(report) => Ok(axum::Json(report)),
        Err(Failed::File(problem)) => Err(invalid(problem)),
        Err(Failed::Store(e)) => Err(e.into()),
    }
}
