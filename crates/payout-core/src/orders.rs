//! Orders from the platform (SPEC §12.3): one order with its line items as the order file and
//! `PUT /api/orders/{order_no}` describe it, every value parsed and checked here, once, for both.
//! An order that has payouts keeps what decided them (D10): [`locked_changes`].

use serde::{Deserialize, Serialize};

use crate::money::Money;
use crate::time::Time;

/// Order numbers are the platform's: 19 digits.
pub const ORDER_NO_DIGITS: usize = 19;
/// The longest item id, item title, source app name and buyer reference accepted.
pub const MAX_ID_CHARS: usize = 64;
pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_BUYER_REF_CHARS: usize = 64;
/// Line items one order may have.
pub const MAX_ITEMS: usize = 100;

/// A column of the order file; the order API's fields have the same names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Column {
    OrderNo,
    ItemId,
    ItemTitle,
    ItemAmount,
    PaidAmount,
    OrderedAt,
    Payment,
    SourceApp,
    CrossBorder,
    BuyerRef,
}

impl Column {
    pub const ALL: [Column; 10] = [
        Column::OrderNo,
        Column::ItemId,
        Column::ItemTitle,
        Column::ItemAmount,
        Column::PaidAmount,
        Column::OrderedAt,
        Column::Payment,
        Column::SourceApp,
        Column::CrossBorder,
        Column::BuyerRef,
    ];
    /// What a file must have (SPEC §12.3).
    pub const REQUIRED: [Column; 5] =
        [Column::OrderNo, Column::PaidAmount, Column::OrderedAt, Column::Payment, Column::SourceApp];

    /// The English header (also the API field).
    pub fn as_str(self) -> &'static str {
        match self {
            Column::OrderNo => "order_no",
            Column::ItemId => "item_id",
            Column::ItemTitle => "item_title",
            Column::ItemAmount => "item_amount",
            Column::PaidAmount => "paid_amount",
            Column::OrderedAt => "ordered_at",
            Column::Payment => "payment",
            Column::SourceApp => "source_app",
            Column::CrossBorder => "cross_border",
            Column::BuyerRef => "buyer_ref",
        }
    }

    /// The Chinese header the platform's export writes.
    pub fn label_zh(self) -> &'static str {
        match self {
            Column::OrderNo => "主订单编号",
            Column::ItemId => "子订单编号",
            Column::ItemTitle => "商品名称",
            Column::ItemAmount => "商品金额",
            Column::PaidAmount => "订单实付金额",
            Column::OrderedAt => "下单时间",
            Column::Payment => "支付方式",
            Column::SourceApp => "下单渠道",
            Column::CrossBorder => "跨境",
            Column::BuyerRef => "买家",
        }
    }

    /// The column a header names, in either language (case and surrounding spaces ignored).
    pub fn from_header(text: &str) -> Option<Column> {
        let text = text.trim().trim_start_matches('\u{feff}').trim();
        Column::ALL.into_iter().find(|c| c.label_zh() == text || c.as_str().eq_ignore_ascii_case(text))
    }
}

/// One line item, checked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemRecord {
    pub id: String,
    pub title: String,
    pub amount: Money,
}

/// One order, every value checked: what the store writes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRecord {
    pub order_no: String,
    pub paid_amount: Money,
    pub ordered_at: Time,
    pub online_paid: bool,
    /// An app id of SPEC §3 (`douyin`, …), or the name as given for any other (not eligible, R-E2).
    pub source_app: String,
    pub cross_border: bool,
    pub buyer_ref: Option<String>,
    pub items: Vec<ItemRecord>,
}

/// Why an order (or one value of it) is refused, in both languages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderProblem {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<Column>,
    pub code: String,
    pub message_zh: String,
    pub message_en: String,
}

impl OrderProblem {
    pub fn new(
        column: Option<Column>,
        code: &str,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) -> OrderProblem {
        OrderProblem { column, code: code.to_owned(), message_zh: zh.into(), message_en: en.into() }
    }

    fn invalid(column: Column, zh: impl Into<String>, en: impl Into<String>) -> OrderProblem {
        OrderProblem::new(Some(column), "VALUE_INVALID", zh, en)
    }
}

/// Text a column may hold: no control characters (a quoted line break, an escape), not too long.
fn text(column: Column, raw: &str, max: usize) -> Result<String, OrderProblem> {
    let value = raw.trim();
    if value.chars().any(char::is_control) {
        return Err(OrderProblem::invalid(
            column,
            format!("{}不能包含换行或其他控制字符", column.label_zh()),
            format!("{} cannot contain line breaks or other control characters", column.as_str()),
        ));
    }
    if value.chars().count() > max {
        return Err(OrderProblem::invalid(
            column,
            format!("{}不能超过 {max} 个字符", column.label_zh()),
            format!("{} cannot be longer than {max} characters", column.as_str()),
        ));
    }
    Ok(value.to_owned())
}

pub fn parse_order_no(raw: &str) -> Result<String, OrderProblem> {
    let value = raw.trim();
    if value.len() != ORDER_NO_DIGITS || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(OrderProblem::new(
            Some(Column::OrderNo),
            "ORDER_NO_INVALID",
            format!("主订单编号应为 {ORDER_NO_DIGITS} 位数字"),
            format!("An order number is {ORDER_NO_DIGITS} digits"),
        ));
    }
    Ok(value.to_owned())
}

/// An amount as §5 writes it (full-width digits, `¥`, at most 2 decimals) without its upper
/// bound; `zero_ok` for an item's amount.
pub fn parse_amount(column: Column, raw: &str, zero_ok: bool) -> Result<Money, OrderProblem> {
    let parsed = if zero_ok { Money::parse(raw) } else { Money::parse_positive(raw) };
    parsed.map_err(|e| {
        OrderProblem::invalid(
            column,
            format!("{}：{}", column.label_zh(), e.message_zh()),
            format!("{}: {}", column.as_str(), e.message_en()),
        )
    })
}

/// `YYYY-MM-DD HH:MM:SS` in UTC+08:00 (what spreadsheets write), or RFC 3339 with an offset.
pub fn parse_ordered_at(raw: &str) -> Result<Time, OrderProblem> {
    let value = raw.trim();
    let local = value
        .parse::<jiff::civil::DateTime>()
        .ok()
        .filter(|_| value.len() == 19 && value.as_bytes().get(10) == Some(&b' '))
        .and_then(|dt| dt.to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::Offset::constant(8))).ok())
        .map(|z| Time::from_timestamp(z.timestamp()));
    local.or_else(|| Time::parse(value)).ok_or_else(|| {
        OrderProblem::invalid(
            Column::OrderedAt,
            "下单时间应为 2026-11-24 18:05:00（北京时间）或带时区的 RFC 3339 时间",
            "ordered_at is 2026-11-24 18:05:00 (UTC+8) or an RFC 3339 time with an offset",
        )
    })
}

/// `在线支付` / `online` → paid online; `货到付款` / `cod` → cash on delivery (R-E3).
pub fn parse_payment(raw: &str) -> Result<bool, OrderProblem> {
    match raw.trim().to_lowercase().as_str() {
        "在线支付" | "online" => Ok(true),
        "货到付款" | "cod" => Ok(false),
        _ => Err(OrderProblem::invalid(
            Column::Payment,
            "支付方式应为“在线支付”或“货到付款”",
            "payment is online (在线支付) or cod (货到付款)",
        )),
    }
}

/// The §3 app names in zh, or their ids; any other name is kept as given (and is not eligible).
pub fn parse_source_app(raw: &str) -> Result<String, OrderProblem> {
    let value = text(Column::SourceApp, raw, MAX_ID_CHARS)?;
    if value.is_empty() {
        return Err(OrderProblem::invalid(Column::SourceApp, "请填写下单渠道", "source_app is required"));
    }
    let known = [
        "douyin",
        "douyin_lite",
        "douyin_volcano",
        "douyin_search",
        "douyin_jingxuan",
        "douyin_mall",
        "toutiao",
    ];
    Ok(known
        .into_iter()
        .find(|id| *id == value.to_lowercase() || crate::facts::source_app_label(id).0 == value)
        .map_or(value, str::to_owned))
}

/// `是`/`否`, `true`/`false` (also `1`/`0`, `y`/`n`); empty is no.
pub fn parse_cross_border(raw: &str) -> Result<bool, OrderProblem> {
    match raw.trim().to_lowercase().as_str() {
        "是" | "true" | "1" | "y" | "yes" => Ok(true),
        "否" | "false" | "0" | "n" | "no" | "" => Ok(false),
        _ => Err(OrderProblem::invalid(
            Column::CrossBorder,
            "跨境应为“是”或“否”",
            "cross_border is true or false (是/否)",
        )),
    }
}

pub fn parse_buyer_ref(raw: &str) -> Result<Option<String>, OrderProblem> {
    Ok(Some(text(Column::BuyerRef, raw, MAX_BUYER_REF_CHARS)?).filter(|b| !b.is_empty()))
}

pub fn parse_item(id: &str, title: &str, amount: &str) -> Result<ItemRecord, OrderProblem> {
    let id = text(Column::ItemId, id, MAX_ID_CHARS)?;
    if id.is_empty() {
        return Err(OrderProblem::invalid(
            Column::ItemId,
            "请填写子订单编号",
            "item_id is required for an item",
        ));
    }
    Ok(ItemRecord {
        id,
        title: text(Column::ItemTitle, title, MAX_TITLE_CHARS)?,
        amount: parse_amount(Column::ItemAmount, amount, true)?,
    })
}

/// Items of one order: distinct ids, not too many.
pub fn check_items(items: &[ItemRecord]) -> Result<(), OrderProblem> {
    if items.len() > MAX_ITEMS {
        return Err(OrderProblem::new(
            Some(Column::ItemId),
            "TOO_MANY_ITEMS",
            format!("一个订单最多 {MAX_ITEMS} 个商品"),
            format!("An order has at most {MAX_ITEMS} items"),
        ));
    }
    for (i, item) in items.iter().enumerate() {
        if items[..i].iter().any(|other| other.id == item.id) {
            return Err(OrderProblem::new(
                Some(Column::ItemId),
                "ITEM_ID_REPEATED",
                format!("子订单编号 {} 重复", item.id),
                format!("The item id {} appears twice", item.id),
            ));
        }
    }
    Ok(())
}

/// `PUT /api/orders/{order_no}`: one order as the merchant's system sends it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderInput {
    /// Yuan as §5 writes it, e.g. `"128.00"`.
    pub paid_amount: String,
    /// `2026-11-24 18:05:00` (UTC+8) or RFC 3339.
    pub ordered_at: String,
    /// `online` or `cod` (also 在线支付 / 货到付款).
    pub payment: String,
    pub source_app: String,
    #[serde(default)]
    pub cross_border: bool,
    #[serde(default)]
    pub buyer_ref: Option<String>,
    #[serde(default)]
    pub items: Vec<ItemInput>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemInput {
    pub id: String,
    #[serde(default)]
    pub title: String,
    pub amount: String,
}

/// The value, or `None` with its problem noted.
fn keep<T>(problems: &mut Vec<OrderProblem>, parsed: Result<T, OrderProblem>) -> Option<T> {
    parsed.map_err(|p| problems.push(p)).ok()
}

/// Checks an order sent to the API: every problem, or the record.
pub fn validate_order_input(order_no: &str, input: &OrderInput) -> Result<OrderRecord, Vec<OrderProblem>> {
    let mut problems = Vec::new();
    let order_no = keep(&mut problems, parse_order_no(order_no));
    let paid_amount = keep(&mut problems, parse_amount(Column::PaidAmount, &input.paid_amount, false));
    let ordered_at = keep(&mut problems, parse_ordered_at(&input.ordered_at));
    let online_paid = keep(&mut problems, parse_payment(&input.payment));
    let source_app = keep(&mut problems, parse_source_app(&input.source_app));
    let buyer_ref = keep(&mut problems, parse_buyer_ref(input.buyer_ref.as_deref().unwrap_or("")));
    let items: Vec<ItemRecord> = input
        .items
        .iter()
        .filter_map(|i| keep(&mut problems, parse_item(&i.id, &i.title, &i.amount)))
        .collect();
    if problems.is_empty() {
        if let Err(p) = check_items(&items) {
            problems.push(p);
        }
    }
    match (order_no, paid_amount, ordered_at, online_paid, source_app, buyer_ref) {
        (
            Some(order_no),
            Some(paid_amount),
            Some(ordered_at),
            Some(online_paid),
            Some(source_app),
            Some(buyer_ref),
        ) if problems.is_empty() => Ok(OrderRecord {
            order_no,
            paid_amount,
            ordered_at,
            online_paid,
            source_app,
            cross_border: input.cross_border,
            buyer_ref,
            items,
        }),
        _ => Err(problems),
    }
}

/// D10: what an order with payouts may not change (they decided its payouts): its paid amount,
/// payment, source app, cross-border flag and items (ids and amounts). `buyer_ref` and item titles
/// may change. The columns that differ, or none.
pub fn locked_changes(old: &OrderRecord, new: &OrderRecord) -> Vec<Column> {
    let mut changed = Vec::new();
    if old.paid_amount != new.paid_amount {
        changed.push(Column::PaidAmount);
    }
    if old.online_paid != new.online_paid {
        changed.push(Column::Payment);
    }
    if old.source_app != new.source_app {
        changed.push(Column::SourceApp);
    }
    if old.cross_border != new.cross_border {
        changed.push(Column::CrossBorder);
    }
    let key = |items: &[ItemRecord]| {
        let mut k: Vec<(String, Money)> = items.iter().map(|i| (i.id.clone(), i.amount)).collect();
        k.sort();
        k
    };
    if key(&old.items) != key(&new.items) {
        changed.push(Column::ItemId);
    }
    changed
}

/// `ORDER_LOCKED_BY_PAYOUTS` for the columns [`locked_changes`] found.
pub fn locked_problem(columns: &[Column]) -> OrderProblem {
    let names_zh: Vec<&str> = columns.iter().map(|c| c.label_zh()).collect();
    let names_en: Vec<&str> = columns.iter().map(|c| c.as_str()).collect();
    OrderProblem::new(
        columns.first().copied(),
        "ORDER_LOCKED_BY_PAYOUTS",
        format!("该订单已有打款，不能再修改：{}（买家和商品名称可以修改）", names_zh.join("、")),
        format!(
            "This order has payouts, so its {} cannot change (the buyer and item titles can)",
            names_en.join(", ")
        ),
    )
}

/// One refused order (or line) of an import, as the report lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportRejection {
    /// The file's line (1 is the header).
    pub line: u64,
    pub order_no: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<Column>,
    pub code: String,
    pub message_zh: String,
    pub message_en: String,
}

/// `POST /api/orders/import`: what the file came to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportReport {
    /// Rows read (the header not counted).
    pub lines: u64,
    pub orders_created: u64,
    pub orders_updated: u64,
    pub orders_unchanged: u64,
    pub orders_rejected: u64,
    /// The first 1,000 rejections, in file order.
    pub rejected: Vec<ImportRejection>,
}

/// What `PUT /api/orders/{order_no}` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OrderWritten {
    Created,
    Updated,
    Unchanged,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderPutAnswer {
    pub order_no: String,
    pub outcome: OrderWritten,
}

/// A buyer reference as the console shows it: the first 3 and last 2 characters (SPEC §12.3).
pub fn mask_buyer_ref(buyer_ref: &str) -> String {
    let chars: Vec<char> = buyer_ref.chars().collect();
    if chars.len() <= 5 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 2..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 5))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn input() -> OrderInput {
        OrderInput {
            paid_amount: "128.00".into(),
            ordered_at: "2026-11-24 18:05:00".into(),
            payment: "在线支付".into(),
            source_app: "抖音商城".into(),
            cross_border: false,
            buyer_ref: Some("buyer-8848-xyz".into()),
            items: vec![ItemInput { id: "i-1".into(), title: "靠垫".into(), amount: "28".into() }],
        }
    }

    #[test]
    fn an_order_is_parsed_once_with_the_platforms_spellings() {
        let o = validate_order_input("6920241100000000002", &input()).unwrap();
        assert_eq!(
            (o.source_app.as_str(), o.online_paid, o.paid_amount.to_string()),
            ("douyin_mall", true, "128.00".into())
        );
        assert_eq!(o.ordered_at, Time::parse("2026-11-24T10:05:00Z").unwrap(), "UTC+8 local time");
        let mut full_width = input();
        full_width.paid_amount = "¥１２８．００".into();
        full_width.ordered_at = "2026-11-24T18:05:00+08:00".into();
        full_width.source_app = "微信小店".into();
        let o = validate_order_input("6920241100000000002", &full_width).unwrap();
        assert_eq!(
            (o.paid_amount.to_string().as_str(), o.source_app.as_str()),
            ("128.00", "微信小店"),
            "other apps kept as given"
        );
    }

    #[test]
    fn every_problem_is_reported_with_its_column() {
        let mut bad = input();
        bad.paid_amount = "0".into();
        bad.payment = "信用卡".into();
        bad.ordered_at = "2026/11/24".into();
        bad.items.push(ItemInput { id: "".into(), title: "x".into(), amount: "1".into() });
        let problems = validate_order_input("123", &bad).unwrap_err();
        let columns: Vec<_> = problems.iter().map(|p| p.column).collect();
        assert_eq!(
            columns,
            [Column::OrderNo, Column::PaidAmount, Column::OrderedAt, Column::Payment, Column::ItemId]
                .map(Some)
        );
        for no in [
            "692024110000000000",
            "69202411000000000001",
            "6920241100000000OO2",
            "６９２０２４１１００００００００００２",
        ] {
            assert!(parse_order_no(no).is_err(), "{no}");
        }
    }

    #[test]
    fn d10_an_order_with_payouts_keeps_what_decided_them_but_not_its_buyer_or_titles() {
        let old = validate_order_input("6920241100000000002", &input()).unwrap();
        let mut new = old.clone();
        new.buyer_ref = Some("someone-else".into());
        new.items[0].title = "新的标题".into();
        assert!(locked_changes(&old, &new).is_empty());
        new.paid_amount = Money::from_fen(100).unwrap();
        new.items[0].amount = Money::from_fen(1).unwrap();
        assert_eq!(locked_changes(&old, &new), [Column::PaidAmount, Column::ItemId]);
        assert_eq!(locked_problem(&[Column::PaidAmount]).code, "ORDER_LOCKED_BY_PAYOUTS");
    }

    #[test]
    fn buyers_are_shown_masked() {
        assert_eq!(mask_buyer_ref("buyer-8848-xyz"), "buy*********yz");
        assert_eq!(mask_buyer_ref("abc"), "***");
    }

    proptest! {
        #[test]
        fn validating_an_order_never_panics(no in "\\PC{0,25}", paid in "\\PC{0,12}", at in "\\PC{0,30}", pay in "\\PC{0,6}", app in "\\PC{0,10}") {
            let o = OrderInput { paid_amount: paid, ordered_at: at, payment: pay, source_app: app, ..OrderInput::default() };
            let _ = validate_order_input(&no, &o);
        }
    }
}
