//! The platform's order file (SPEC §12.3): its encoding, its header row, its rows grouped into
//! orders. Pure and streaming: the server feeds it records as the `csv` crate reads them from the
//! uploaded file, a fuzz target feeds it anything. Every value goes through `orders.rs`, as the
//! order API's do.
//!
//! One order is the adjacent rows that share its order number (the platform's export lists an
//! order's items together). An order whose rows are split across the file is refused whole, as is
//! one with any bad row or rows that disagree on the order's own columns: never half an order.

use std::collections::HashMap;

use encoding_rs::{Encoding, GB18030, UTF_8};

use crate::orders::{
    check_items, parse_amount, parse_buyer_ref, parse_cross_border, parse_item, parse_order_no,
    parse_ordered_at, parse_payment, parse_source_app, Column, ItemRecord, OrderProblem, OrderRecord,
};

/// Lines a file may have (header included).
pub const MAX_LINES: u64 = 200_000;
/// Bytes a file may have.
pub const MAX_BYTES: u64 = 50 * 1024 * 1024;
/// Rejections the report lists (the counts cover all).
pub const MAX_REJECTIONS: usize = 1_000;

/// Why a whole file is refused (`400 IMPORT_FILE_INVALID`): nothing of it is imported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileProblem {
    pub message_zh: String,
    pub message_en: String,
}

impl FileProblem {
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> FileProblem {
        FileProblem { message_zh: zh.into(), message_en: en.into() }
    }

    pub fn too_many_lines() -> FileProblem {
        FileProblem::new(
            format!("文件超过 {MAX_LINES} 行，请分成几个文件导入"),
            format!("The file has more than {MAX_LINES} lines; import it in parts"),
        )
    }
}

/// What the first bytes and a full scan of the file say about its encoding: UTF-8 with or
/// without a BOM, or GB18030/GBK (what spreadsheet programs on Chinese Windows save).
pub fn choose_encoding(
    starts_with_bom: bool,
    valid_utf8: bool,
    has_nul: bool,
) -> Result<&'static Encoding, FileProblem> {
    if has_nul {
        return Err(FileProblem::new(
            "这不是 CSV 文本文件（含有二进制内容），请从表格软件另存为 CSV",
            "This is not a CSV text file (it holds binary data); save it as CSV from the spreadsheet program",
        ));
    }
    match (starts_with_bom, valid_utf8) {
        (_, true) => Ok(UTF_8),
        (true, false) => Err(FileProblem::new(
            "文件以 UTF-8 标记开头，但内容不是 UTF-8 编码，请重新另存为“CSV UTF-8”",
            "The file starts with a UTF-8 mark but is not UTF-8; save it again as \"CSV UTF-8\"",
        )),
        (false, false) => Ok(GB18030),
    }
}

/// Which column of the file holds what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Columns {
    index: HashMap<Column, usize>,
}

impl Columns {
    /// Reads the header row: zh or en names, any order; unknown columns are ignored; each known
    /// one at most once; the required ones present.
    pub fn from_header<'a>(header: impl IntoIterator<Item = &'a str>) -> Result<Columns, FileProblem> {
        let mut index = HashMap::new();
        for (i, name) in header.into_iter().enumerate() {
            if let Some(column) = Column::from_header(name) {
                if index.insert(column, i).is_some() {
                    return Err(FileProblem::new(
                        format!("表头中“{}”出现了两次", column.label_zh()),
                        format!("The header names {} twice", column.as_str()),
                    ));
                }
            }
        }
        let missing: Vec<Column> = Column::REQUIRED.into_iter().filter(|c| !index.contains_key(c)).collect();
        if !missing.is_empty() {
            let zh: Vec<&str> = missing.iter().map(|c| c.label_zh()).collect();
            let en: Vec<&str> = missing.iter().map(|c| c.as_str()).collect();
            return Err(FileProblem::new(
                format!("缺少必需的列：{}（第一行应为表头）", zh.join("、")),
                format!("Required columns are missing: {} (the first row must be the header)", en.join(", ")),
            ));
        }
        Ok(Columns { index })
    }

    fn get<'r>(&self, record: &'r [&'r str], column: Column) -> &'r str {
        self.index.get(&column).and_then(|&i| record.get(i)).copied().unwrap_or("")
    }
}

/// A refused order (or a row without a usable order number), as the report lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// The file's line of the first row concerned (1 is the header).
    pub line: u64,
    pub order_no: String,
    pub problem: OrderProblem,
}

/// An order's own columns, as one row gives them: they must agree on every row of the order.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Head {
    paid: String,
    ordered_at: String,
    payment: String,
    source_app: String,
    cross_border: String,
    buyer_ref: String,
}

/// The rows of one order read so far.
struct Group {
    order_no: String,
    line: u64,
    head: Head,
    items: Vec<(u64, [String; 3])>,
    /// The first problem found (the order is refused whole).
    problem: Option<(u64, OrderProblem)>,
}

/// One order read from the file: its record, or why it is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parsed {
    pub order_no: String,
    pub line: u64,
    pub result: Result<OrderRecord, Rejection>,
}

/// Groups records into orders as they are read.
pub struct Grouper {
    columns: Columns,
    current: Option<Group>,
}

impl Grouper {
    pub fn new(columns: Columns) -> Grouper {
        Grouper { columns, current: None }
    }

    /// Takes the record read at `line`; when it starts another order, the previous one is done.
    pub fn push(&mut self, record: &[&str], line: u64) -> Option<Parsed> {
        let order_no = self.columns.get(record, Column::OrderNo).trim().to_owned();
        let head = Head {
            paid: self.columns.get(record, Column::PaidAmount).trim().to_owned(),
            ordered_at: self.columns.get(record, Column::OrderedAt).trim().to_owned(),
            payment: self.columns.get(record, Column::Payment).trim().to_owned(),
            source_app: self.columns.get(record, Column::SourceApp).trim().to_owned(),
            cross_border: self.columns.get(record, Column::CrossBorder).trim().to_owned(),
            buyer_ref: self.columns.get(record, Column::BuyerRef).trim().to_owned(),
        };
        let item = [Column::ItemId, Column::ItemTitle, Column::ItemAmount]
            .map(|c| self.columns.get(record, c).to_owned());
        let done = match &mut self.current {
            Some(group) if group.order_no == order_no => {
                if group.problem.is_none() {
                    if let Some(column) = disagreement(&group.head, &head) {
                        group.problem = Some((
                            line,
                            OrderProblem::new(
                                Some(column),
                                "ORDER_ROWS_DISAGREE",
                                format!("同一订单的各行“{}”不一致", column.label_zh()),
                                format!("The rows of this order disagree on {}", column.as_str()),
                            ),
                        ));
                    }
                }
                group.items.push((line, item));
                return None;
            }
            _ => self.current.take().map(finish),
        };
        self.current = Some(Group { order_no, line, head, items: vec![(line, item)], problem: None });
        done
    }

    /// The last order, at the end of the file.
    pub fn finish(&mut self) -> Option<Parsed> {
        self.current.take().map(finish)
    }
}

fn disagreement(a: &Head, b: &Head) -> Option<Column> {
    [
        (a.paid != b.paid, Column::PaidAmount),
        (a.ordered_at != b.ordered_at, Column::OrderedAt),
        (a.payment != b.payment, Column::Payment),
        (a.source_app != b.source_app, Column::SourceApp),
        (a.cross_border != b.cross_border, Column::CrossBorder),
        (a.buyer_ref != b.buyer_ref, Column::BuyerRef),
    ]
    .into_iter()
    .find_map(|(differ, column)| differ.then_some(column))
}

fn finish(group: Group) -> Parsed {
    let result = order_of(&group);
    Parsed { order_no: group.order_no, line: group.line, result }
}

fn order_of(group: &Group) -> Result<OrderRecord, Rejection> {
    let reject = |line: u64| {
        let order_no = group.order_no.clone();
        move |problem| Rejection { line, order_no, problem }
    };
    if let Some((line, problem)) = group.problem.clone() {
        return Err(reject(line)(problem));
    }
    let head = &group.head;
    let order_no = parse_order_no(&group.order_no).map_err(reject(group.line))?;
    let paid_amount = parse_amount(Column::PaidAmount, &head.paid, false).map_err(reject(group.line))?;
    let ordered_at = parse_ordered_at(&head.ordered_at).map_err(reject(group.line))?;
    let online_paid = parse_payment(&head.payment).map_err(reject(group.line))?;
    let source_app = parse_source_app(&head.source_app).map_err(reject(group.line))?;
    let cross_border = parse_cross_border(&head.cross_border).map_err(reject(group.line))?;
    let buyer_ref = parse_buyer_ref(&head.buyer_ref).map_err(reject(group.line))?;
    let mut items: Vec<ItemRecord> = Vec::with_capacity(group.items.len());
    for (line, [id, title, amount]) in &group.items {
        // A row without an item (no item columns, or left empty) describes only the order.
        if id.trim().is_empty() && title.trim().is_empty() && amount.trim().is_empty() {
            continue;
        }
        items.push(parse_item(id, title, amount).map_err(reject(*line))?);
    }
    check_items(&items).map_err(reject(group.line))?;
    Ok(OrderRecord {
        order_no,
        paid_amount,
        ordered_at,
        online_paid,
        source_app,
        cross_border,
        buyer_ref,
        items,
    })
}

/// `ORDER_ROWS_NOT_TOGETHER`: an order whose rows are not adjacent (it would be imported in halves).
pub fn split_order(order_no: &str, line: u64) -> Rejection {
    Rejection {
        line,
        order_no: order_no.to_owned(),
        problem: OrderProblem::new(
            Some(Column::OrderNo),
            "ORDER_ROWS_NOT_TOGETHER",
            "同一订单的行不相邻：请把同一主订单编号的行放在一起再导入",
            "This order's rows are not together; put the rows of one order number next to each other",
        ),
    }
}

/// An in-memory import of a whole file's bytes (the fuzz target's and the unit tests'): the orders
/// accepted, in file order, and the rejections. The server does the same steps streaming.
pub fn import_bytes(bytes: &[u8]) -> Result<(Vec<OrderRecord>, Vec<Rejection>), FileProblem> {
    let bom = bytes.starts_with(&[0xEF, 0xBB, 0xBF]);
    let encoding = choose_encoding(bom, std::str::from_utf8(bytes).is_ok(), bytes.contains(&0))?;
    let (text, _, malformed) = encoding.decode(bytes);
    if malformed {
        return Err(FileProblem::new("文件编码无法识别", "The file's encoding cannot be read"));
    }
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(header)) => header,
        Some(Err(_)) | None => return Err(FileProblem::new("文件是空的", "The file is empty")),
    };
    let mut grouper = Grouper::new(Columns::from_header(header.iter())?);
    let mut parsed = Vec::new();
    let mut lines = 1;
    for record in records {
        let record = record
            .map_err(|e| FileProblem::new(format!("CSV 格式错误：{e}"), format!("Not valid CSV: {e}")))?;
        let line = record.position().map_or(lines + 1, |p| p.line());
        lines = line;
        if lines >= MAX_LINES {
            return Err(FileProblem::too_many_lines());
        }
        let fields: Vec<&str> = record.iter().collect();
        parsed.extend(grouper.push(&fields, line));
    }
    parsed.extend(grouper.finish());
    if parsed.is_empty() {
        return Err(FileProblem::new("文件只有表头，没有订单", "The file has a header but no orders"));
    }
    Ok(settle(parsed))
}

/// Orders whose rows were split are refused whole; the rest as parsed.
pub fn settle(parsed: Vec<Parsed>) -> (Vec<OrderRecord>, Vec<Rejection>) {
    let mut groups: HashMap<&str, u32> = HashMap::new();
    for p in &parsed {
        *groups.entry(p.order_no.as_str()).or_default() += 1;
    }
    let split: std::collections::HashSet<String> =
        groups.into_iter().filter(|(_, n)| *n > 1).map(|(no, _)| no.to_owned()).collect();
    let mut accepted = Vec::new();
    let mut rejected = Vec::new();
    let mut reported_split = std::collections::HashSet::new();
    for p in parsed {
        if split.contains(&p.order_no) {
            if reported_split.insert(p.order_no.clone()) {
                rejected.push(split_order(&p.order_no, p.line));
            }
            continue;
        }
        match p.result {
            Ok(order) => accepted.push(order),
            Err(rejection) => rejected.push(rejection),
        }
    }
    (accepted, rejected)
}

/// The file format, written: UTF-8 with a BOM (spreadsheet programs read it), the English headers,
/// one row per item (an order without items, one row). What `import_bytes` reads back.
pub fn export_orders(orders: &[OrderRecord]) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    let _ = writer.write_record(Column::ALL.map(Column::as_str));
    for o in orders {
        let head = |item: Option<&ItemRecord>| {
            let (id, title, amount) = item.map_or((String::new(), String::new(), String::new()), |i| {
                (i.id.clone(), i.title.clone(), i.amount.to_string())
            });
            [
                o.order_no.clone(),
                id,
                title,
                amount,
                o.paid_amount.to_string(),
                o.ordered_at.to_rfc3339(),
                if o.online_paid { "online".into() } else { "cod".into() },
                o.source_app.clone(),
                o.cross_border.to_string(),
                o.buyer_ref.clone().unwrap_or_default(),
            ]
        };
        if o.items.is_empty() {
            let _ = writer.write_record(head(None));
        }
        for item in &o.items {
            let _ = writer.write_record(head(Some(item)));
        }
    }
    writer.into_inner().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER_ZH: &str =
        "主订单编号,子订单编号,商品名称,商品金额,订单实付金额,下单时间,支付方式,下单渠道,跨境,买家\n";

    fn file(rows: &[&str]) -> Vec<u8> {
        let mut text = HEADER_ZH.to_owned();
        for r in rows {
            text.push_str(r);
            text.push('\n');
        }
        text.into_bytes()
    }

    const A1: &str = "6920241100000000101,a-1,靠垫,28.00,128.00,2026-11-24 18:05:00,在线支付,抖音,否,buyer-1";
    const A2: &str =
        "6920241100000000101,a-2,地毯,100.00,128.00,2026-11-24 18:05:00,在线支付,抖音,否,buyer-1";
    const B1: &str = "6920241100000000102,b-1,台灯,45,45,2026-11-24 18:06:00,货到付款,今日头条,是,buyer-2";

    #[test]
    fn rows_of_an_order_make_one_order_with_its_items() {
        let (orders, rejected) = import_bytes(&file(&[A1, A2, B1])).unwrap();
        assert!(rejected.is_empty(), "{rejected:?}");
        assert_eq!(orders.len(), 2);
        assert_eq!(orders[0].items.len(), 2);
        assert_eq!(
            (orders[1].source_app.as_str(), orders[1].online_paid, orders[1].cross_border),
            ("toutiao", false, true)
        );
    }

    #[test]
    fn an_order_with_a_bad_row_or_disagreeing_rows_is_refused_whole_the_others_imported() {
        let bad_item = A2.replace("100.00", "1.001");
        let (orders, rejected) = import_bytes(&file(&[A1, &bad_item, B1])).unwrap();
        assert_eq!(orders.len(), 1);
        assert_eq!((rejected[0].line, rejected[0].problem.column), (3, Some(Column::ItemAmount)));
        let disagree = A2.replace("128.00", "129.00");
        let (_, rejected) = import_bytes(&file(&[A1, &disagree])).unwrap();
        assert_eq!(rejected[0].problem.code, "ORDER_ROWS_DISAGREE");
    }

    #[test]
    fn an_order_whose_rows_are_apart_is_refused_whole() {
        let (orders, rejected) = import_bytes(&file(&[A1, B1, A2])).unwrap();
        assert_eq!(orders.len(), 1, "only B");
        assert_eq!(rejected.len(), 1);
        assert_eq!(rejected[0].problem.code, "ORDER_ROWS_NOT_TOGETHER");
    }

    #[test]
    fn english_headers_in_any_order_and_unknown_columns_are_read() {
        let text = "Paid_Amount,order_no,备注,source_app,payment,ordered_at\n¥１２８．００,6920241100000000101,x,douyin_mall,online,2026-11-24T18:05:00+08:00\n";
        let (orders, _) = import_bytes(text.as_bytes()).unwrap();
        assert_eq!(orders[0].paid_amount.to_string(), "128.00", "full-width digits, as §5 accepts them");
        assert!(orders[0].items.is_empty());
    }

    #[test]
    fn files_that_are_not_order_files_are_refused_whole() {
        assert!(import_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").is_err(), "a PNG renamed .csv");
        assert!(import_bytes(HEADER_ZH.as_bytes()).is_err(), "only headers");
        assert!(
            import_bytes("主订单编号,订单实付金额\n1,2\n".as_bytes()).is_err(),
            "missing required columns"
        );
        let mut gbk_after_bom = vec![0xEF, 0xBB, 0xBF];
        gbk_after_bom.extend(GB18030.encode(&String::from_utf8(file(&[A1])).unwrap()).0.iter());
        assert!(import_bytes(&gbk_after_bom).is_err(), "a BOM followed by GBK");
        assert!(import_bytes(b"").is_err());
    }

    #[test]
    fn gb18030_files_from_chinese_spreadsheets_are_read() {
        let utf8 = String::from_utf8(file(&[A1, A2])).unwrap();
        let (gbk, _, _) = GB18030.encode(&utf8);
        let (orders, rejected) = import_bytes(&gbk).unwrap();
        assert!(rejected.is_empty());
        assert_eq!(orders[0].items[0].title, "靠垫");
    }

    #[test]
    fn a_quoted_line_break_and_a_formula_title_are_what_they_are() {
        let newline = "6920241100000000101,a-1,\"两\n行\",1,128.00,2026-11-24 18:05:00,在线支付,抖音,否,";
        let (orders, rejected) = import_bytes(&file(&[newline, B1])).unwrap();
        assert_eq!((orders.len(), rejected[0].problem.column), (1, Some(Column::ItemTitle)));
        let formula =
            "6920241100000000101,a-1,=cmd|' /C calc'!A0,1,128.00,2026-11-24 18:05:00,在线支付,抖音,否,";
        let (orders, _) = import_bytes(&file(&[formula])).unwrap();
        assert_eq!(orders[0].items[0].title, "=cmd|' /C calc'!A0", "kept as text");
    }

    #[test]
    fn an_accepted_file_round_trips_through_the_export_format() {
        let (orders, _) = import_bytes(&file(&[A1, A2, B1])).unwrap();
        let (again, rejected) = import_bytes(&export_orders(&orders)).unwrap();
        assert!(rejected.is_empty());
        assert_eq!(again, orders);
    }
}
