//! Importing the platform's order file into the store (SPEC §12.3), for the HTTP upload and the
//! operators' `orders import` alike.
//!
//! The file (already on disk) is read twice through the decoder and `payout_core::import`: once
//! to find every order that is refused (a bad row, rows that disagree, rows split apart), once to
//! send the accepted orders to the store in batches. Each batch is one transaction under the
//! shop's lock, so every order ends fully old or fully new, whatever happens (a `kill -9` between
//! batches, a payout racing an order's change, a second import of an overlapping file), and
//! payouts are created between batches. Memory holds one batch and the order numbers, not the file.

use std::collections::{HashMap, HashSet};
use std::io::Seek;

use payout_core::import::{self, Columns, FileProblem, Grouper, Parsed, Rejection, MAX_REJECTIONS};
use payout_core::orders::{locked_problem, Column, ImportRejection, ImportReport, OrderProblem, OrderRecord};
use payout_core::Time;
use tokio::sync::mpsc;

use crate::store::{OrderOutcome, Store, StoreError};

/// Orders per transaction: big enough to be quick, small enough that payouts wait little.
const BATCH: usize = 500;

/// Why an import stopped: the file (nothing of it was imported), or the store.
#[derive(Debug)]
pub enum Failed {
    File(FileProblem),
    Store(StoreError),
}

impl From<StoreError> for Failed {
    fn from(e: StoreError) -> Self {
        Failed::Store(e)
    }
}

/// What a file's bytes say, read chunk by chunk as they arrive: its size and lines, a UTF-8 BOM,
/// whether it is valid UTF-8 (a character may span two chunks), whether it holds binary (NUL).
#[derive(Default)]
pub struct Sniffer {
    pub bytes: u64,
    pub lines: u64,
    first: Vec<u8>,
    carry: Vec<u8>,
    not_utf8: bool,
    has_nul: bool,
}

/// What [`Sniffer`] found, for [`payout_core::import::choose_encoding`].
#[derive(Clone, Copy, Debug)]
pub struct Sniffed {
    pub starts_with_bom: bool,
    pub valid_utf8: bool,
    pub has_nul: bool,
}

impl Sniffer {
    pub fn push(&mut self, chunk: &[u8]) {
        self.bytes += chunk.len() as u64;
        self.lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
        if self.first.len() < 3 {
            self.first.extend(chunk.iter().take(3 - self.first.len()));
        }
        self.has_nul |= chunk.contains(&0);
        if self.not_utf8 {
            return;
        }
        self.carry.extend_from_slice(chunk);
        match std::str::from_utf8(&self.carry) {
            Ok(_) => self.carry.clear(),
            // An incomplete character at the end: keep it for the next chunk.
            Err(e) if e.error_len().is_none() => {
                let rest = self.carry.split_off(e.valid_up_to());
                self.carry = rest;
            }
            Err(_) => self.not_utf8 = true,
        }
    }

    pub fn finish(self) -> Sniffed {
        Sniffed {
            starts_with_bom: self.first == [0xEF, 0xBB, 0xBF],
            valid_utf8: !self.not_utf8 && self.carry.is_empty(),
            has_nul: self.has_nul,
        }
    }
}

/// Sniffs a file on disk (the operators' `orders import`), reading it in chunks.
pub fn sniff(file: &mut std::fs::File) -> std::io::Result<Sniffer> {
    use std::io::Read;
    file.rewind()?;
    let mut sniffer = Sniffer::default();
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        sniffer.push(&buffer[..n]);
    }
    file.rewind()?;
    Ok(sniffer)
}

/// Reads the spooled file through the decoder, giving each order as it is completed.
fn read_orders(
    file: &std::fs::File,
    encoding: &'static encoding_rs::Encoding,
    mut each: impl FnMut(Parsed) -> bool,
) -> Result<u64, FileProblem> {
    let mut file = file
        .try_clone()
        .map_err(|e| FileProblem::new(format!("读取失败：{e}"), format!("cannot read: {e}")))?;
    file.rewind().map_err(|e| FileProblem::new(format!("读取失败：{e}"), format!("cannot read: {e}")))?;
    let decoded =
        encoding_rs_io::DecodeReaderBytesBuilder::new().encoding(Some(encoding)).strip_bom(true).build(file);
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(decoded);
    let mut record = csv::StringRecord::new();
    let read = |reader: &mut csv::Reader<_>, record: &mut csv::StringRecord| {
        reader
            .read_record(record)
            .map_err(|e| FileProblem::new(format!("CSV 格式错误：{e}"), format!("Not valid CSV: {e}")))
    };
    if !read(&mut reader, &mut record)? {
        return Err(FileProblem::new("文件是空的", "The file is empty"));
    }
    let mut grouper = Grouper::new(Columns::from_header(record.iter())?);
    let mut rows = 0;
    while read(&mut reader, &mut record)? {
        rows += 1;
        let line = record.position().map_or(rows + 1, |p| p.line());
        let fields: Vec<&str> = record.iter().collect();
        if let Some(parsed) = grouper.push(&fields, line) {
            if !each(parsed) {
                return Ok(rows);
            }
        }
    }
    if let Some(parsed) = grouper.finish() {
        each(parsed);
    }
    if rows == 0 {
        return Err(FileProblem::new("文件只有表头，没有订单", "The file has a header but no orders"));
    }
    Ok(rows)
}

fn rejection(r: Rejection) -> ImportRejection {
    ImportRejection {
        line: r.line,
        order_no: r.order_no,
        column: r.problem.column,
        code: r.problem.code,
        message_zh: r.problem.message_zh,
        message_en: r.problem.message_en,
    }
}

/// What writing an order refused came to, as a rejection of the report.
pub(crate) fn written_problem(outcome: &OrderOutcome) -> Option<OrderProblem> {
    match outcome {
        OrderOutcome::Locked(columns) => Some(locked_problem(columns)),
        OrderOutcome::ItemTaken(id) => Some(OrderProblem::new(
            Some(Column::ItemId),
            "ITEM_ID_TAKEN",
            format!("子订单编号 {id} 已属于本店另一个订单"),
            format!("The item id {id} belongs to another order of this shop"),
        )),
        _ => None,
    }
}

/// Imports the file into the shop; the report (SPEC §12.3), audited as `actor`.
pub async fn import(
    store: &dyn Store,
    shop_id: i64,
    actor: &str,
    file: std::fs::File,
    encoding: &'static encoding_rs::Encoding,
    now: Time,
) -> Result<ImportReport, Failed> {
    // Pass one: which orders are refused, and which appear in more than one group of rows.
    let scan_file = file
        .try_clone()
        .map_err(|e| Failed::File(FileProblem::new(format!("读取失败：{e}"), format!("cannot read: {e}"))))?;
    let scanned = tokio::task::spawn_blocking(move || {
        let mut groups: HashMap<String, u32> = HashMap::new();
        let mut refused: Vec<Rejection> = Vec::new();
        let lines = read_orders(&scan_file, encoding, |parsed| {
            *groups.entry(parsed.order_no.clone()).or_default() += 1;
            if let Err(r) = parsed.result {
                refused.push(r);
            }
            true
        })?;
        Ok::<_, FileProblem>((lines, groups, refused))
    })
    .await
    .map_err(|e| Failed::Store(StoreError::Database(format!("import scan: {e}"))))?
    .map_err(Failed::File)?;
    let (lines, groups, refused) = scanned;
    let split: HashSet<String> = groups.into_iter().filter(|(_, n)| *n > 1).map(|(no, _)| no).collect();

    let mut report = ImportReport { lines, ..ImportReport::default() };
    let mut rejected: Vec<ImportRejection> = Vec::new();
    let mut reported_split = HashSet::new();
    for r in refused {
        if split.contains(&r.order_no) {
            continue;
        }
        report.orders_rejected += 1;
        rejected.push(rejection(r));
    }

    // Pass two: the accepted orders, in batches, to the store.
    let (batches, mut arriving) = mpsc::channel::<Vec<(u64, OrderRecord)>>(2);
    let split_for_reader = split.clone();
    let reader = tokio::task::spawn_blocking(move || {
        let mut batch = Vec::with_capacity(BATCH);
        let mut splits: Vec<(String, u64)> = Vec::new();
        read_orders(&file, encoding, |parsed| {
            if split_for_reader.contains(&parsed.order_no) {
                splits.push((parsed.order_no, parsed.line));
                return true;
            }
            if let Ok(order) = parsed.result {
                batch.push((parsed.line, order));
                if batch.len() == BATCH {
                    return batches.blocking_send(std::mem::take(&mut batch)).is_ok();
                }
            }
            true
        })?;
        if !batch.is_empty() {
            let _ = batches.blocking_send(batch);
        }
        Ok::<_, FileProblem>(splits)
    });
    while let Some(batch) = arriving.recv().await {
        let orders: Vec<OrderRecord> = batch.iter().map(|(_, o)| o.clone()).collect();
        let outcomes = store.orders_write(shop_id, &orders).await?;
        for ((line, order), outcome) in batch.into_iter().zip(outcomes) {
            match &outcome {
                OrderOutcome::Created => report.orders_created += 1,
                OrderOutcome::Updated => report.orders_updated += 1,
                OrderOutcome::Unchanged => report.orders_unchanged += 1,
                refused => {
                    report.orders_rejected += 1;
                    if let Some(problem) = written_problem(refused) {
                        rejected.push(rejection(Rejection { line, order_no: order.order_no, problem }));
                    }
                }
            }
        }
    }
    let splits = reader
        .await
        .map_err(|e| Failed::Store(StoreError::Database(format!("import read: {e}"))))?
        .map_err(Failed::File)?;
    for (order_no, line) in splits {
        if reported_split.insert(order_no.clone()) {
            report.orders_rejected += 1;
            rejected.push(rejection(import::split_order(&order_no, line)));
        }
    }
    rejected.sort_by_key(|r| r.line);
    rejected.truncate(MAX_REJECTIONS);
    report.rejected = rejected;
    let detail = format!(
        "{} lines: {} created, {} updated, {} unchanged, {} rejected",
        report.lines,
        report.orders_created,
        report.orders_updated,
        report.orders_unchanged,
        report.orders_rejected
    );
    let target = format!("shop:{shop_id}");
    store.orders_audit(shop_id, actor, "orders.imported", &target, &detail, now).await?;
    tracing::info!(%detail, "orders imported");
    Ok(report)
}
