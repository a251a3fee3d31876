//! How values are shown: amounts as `¥12.50`, times as `YYYY-MM-DD HH:MM:SS` in UTC+8, labels in
//! the current language. Also the corrected clock the dialog's rules run on.

use leptos::prelude::*;
use payout_core::api::PayoutStatus;
use payout_core::{AccountKind, Money, PayoutType, Time};

use crate::i18n::Lang;

/// `¥12.50`, `¥15,000.00`: thousands separated, always two decimals (`payout_core`'s grouped form,
/// the one its messages use).
pub fn money(m: Money) -> String {
    format!("¥{}", m.grouped())
}

/// `15000.00` → `15,000.00` (the integer part only; a leading `-` is kept).
pub fn group_thousands(plain: &str) -> String {
    let (sign, rest) = plain.strip_prefix('-').map_or(("", plain), |r| ("-", r));
    let (whole, frac) = rest.split_once('.').map_or((rest, None), |(w, f)| (w, Some(f)));
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// A message with amounts written in the plain form (`¥15000.00`, e.g. by a server older than this
/// console), with the amounts thousands-separated like everywhere else on screen (`¥15,000.00`).
/// `payout-core`'s own messages are grouped already; a grouped amount passes unchanged.
pub fn amounts_in(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut rest = text;
    while let Some(i) = rest.find('¥') {
        let (before, after) = rest.split_at(i + '¥'.len_utf8());
        out.push_str(before);
        let end = after.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(after.len());
        let number = after[..end].trim_end_matches('.');
        out.push_str(&group_thousands(number));
        rest = &after[number.len()..];
    }
    out.push_str(rest);
    out
}

/// An order number as typed (spaces, full-width digits from Chinese IMEs) → its 19 ASCII digits,
/// or `None` when it is not one. Checked before anything is asked of the server.
pub fn order_no(text: &str) -> Option<String> {
    let digits: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            c => c,
        })
        .collect();
    (digits.len() == 19 && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

/// `YYYY-MM-DD` with a month 1–12 and a day 1–31 (the records' date filters).
pub fn is_date(text: &str) -> bool {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| {
        text.get(r).filter(|t| t.bytes().all(|c| c.is_ascii_digit())).and_then(|t| t.parse::<u32>().ok())
    };
    matches!((num(0..4), num(5..7), num(8..10)),
        (Some(_), Some(m), Some(d)) if (1..=12).contains(&m) && (1..=31).contains(&d))
}

/// A text the server wrote in both languages as `中文 (English)` (a payment rail's failure
/// reason), in the chosen language only. Any other text is shown as it is.
pub fn reason(lang: Lang, text: &str) -> String {
    if let Some((zh, en)) = text.strip_suffix(')').and_then(|t| t.rsplit_once(" (")) {
        if !zh.trim().is_empty() && !en.trim().is_empty() {
            return lang.pick(zh.trim(), en.trim()).to_owned();
        }
    }
    text.to_owned()
}

/// Why a payout was rejected: the automatic expiry in words, anything else as the approver wrote it.
pub fn reject_reason(lang: Lang, text: &str) -> String {
    if text == payout_core::approval::EXPIRED {
        lang.pick("超过 24 小时未审核，已自动驳回", "Expired: not decided within 24 hours").to_owned()
    } else {
        reason(lang, text)
    }
}

/// The payout reason's name as it was when paid (the zh name when there is no English one).
pub fn reason_name(lang: Lang, zh: Option<&str>, en: Option<&str>) -> Option<String> {
    match lang {
        Lang::En => en.or(zh),
        Lang::Zh => zh,
    }
    .map(str::to_owned)
}

/// Today's business day (UTC+08:00) by the browser's clock, `YYYY-MM-DD`.
pub fn today() -> String {
    day(Time::from_unix_millis(js_sys::Date::now() as i64))
}

/// The business day `days` after `date` (`YYYY-MM-DD`; negative goes back).
pub fn add_days(date: &str, days: i64) -> Option<String> {
    let noon = Time::parse(&format!("{date}T12:00:00+08:00"))?;
    Some(day(noon.plus_seconds(days * 86_400)))
}

/// `5 小时 12 分` / `5 h 12 min` (whole minutes, at least one).
pub fn duration(lang: Lang, seconds: i64) -> String {
    let minutes = (seconds.max(0) + 59) / 60;
    let (h, m) = (minutes / 60, minutes % 60);
    match (lang, h) {
        (Lang::Zh, 0) => format!("{m} 分钟"),
        (Lang::Zh, h) => format!("{h} 小时 {m} 分"),
        (Lang::En, 0) => format!("{m} min"),
        (Lang::En, h) => format!("{h} h {m} min"),
    }
}

/// `2026-11-24 18:05:00`: the business clock (UTC+08:00), which is how the API writes times.
pub fn time(t: Time) -> String {
    let d = business_clock(t);
    let (h, m, s) = (d.get_utc_hours(), d.get_utc_minutes(), d.get_utc_seconds());
    format!("{} {h:02}:{m:02}:{s:02}", day(t))
}

/// `2026-11-24`: the business day of `t`.
fn day(t: Time) -> String {
    let d = business_clock(t);
    format!("{:04}-{:02}-{:02}", d.get_utc_full_year(), d.get_utc_month() + 1, d.get_utc_date())
}

/// The browser's `Date` whose UTC fields read the business clock (a fixed offset): it does the
/// calendar here, so jiff's formatter stays out of the bundle (−10.7 KB of gzipped wasm).
fn business_clock(t: Time) -> js_sys::Date {
    let offset_ms = i64::from(payout_core::time::BUSINESS_OFFSET_HOURS) * 3_600_000;
    js_sys::Date::new(&wasm_bindgen::JsValue::from_f64((t.unix_millis() + offset_ms) as f64))
}

pub fn payout_type(lang: Lang, t: PayoutType) -> &'static str {
    lang.pick(t.label_zh(), t.label_en())
}

/// The payout-type select's options (value, label), led by an empty "choose" option; the dialog
/// and the reason form offer the same list.
pub fn payout_type_options(lang: Lang) -> Vec<(String, String)> {
    std::iter::once((String::new(), lang.pick("请选择打款类型", "Choose a payout type").to_owned()))
        .chain(PayoutType::ALL.into_iter().map(|t| (t.as_str().to_owned(), payout_type(lang, t).to_owned())))
        .collect()
}

pub fn account(lang: Lang, k: AccountKind) -> &'static str {
    lang.pick(k.label_zh(), k.label_en())
}

pub fn status(lang: Lang, s: PayoutStatus) -> &'static str {
    lang.pick(s.label_zh(), s.label_en())
}

/// What a payout's event says beyond its status: an approval in words, an expiry in words, any
/// other reason (a rejection's, a failure's) in the chosen language.
pub fn event_reason(lang: Lang, reason: &str) -> String {
    if reason == payout_core::approval::APPROVED {
        lang.pick("审核通过", "Approved").to_owned()
    } else {
        reject_reason(lang, reason)
    }
}

/// The app an order was placed in.
pub fn source_app(lang: Lang, app: &str) -> String {
    let (zh, en) = payout_core::facts::source_app_label(app);
    lang.pick(zh, en).to_owned()
}

/// The server's "now" as the browser can know it: the browser clock plus the difference measured
/// when data last arrived (`server_time` − browser time then). Ticks every second while the
/// component that made it lives, so cooldowns count down.
#[derive(Clone, Copy)]
pub struct ServerClock {
    offset_ms: RwSignal<i64>,
    now: RwSignal<Time>,
}

fn browser_millis() -> i64 {
    js_sys::Date::now() as i64
}

impl ServerClock {
    pub fn new() -> ServerClock {
        let offset_ms = RwSignal::new(0);
        let now = RwSignal::new(Time::from_unix_millis(browser_millis()));
        let tick = move || {
            if let Some(offset) = offset_ms.try_get_untracked() {
                now.try_set(Time::from_unix_millis(browser_millis() + offset));
            }
        };
        if let Ok(handle) = set_interval_with_handle(tick, std::time::Duration::from_secs(1)) {
            on_cleanup(move || handle.clear());
        }
        ServerClock { offset_ms, now }
    }

    /// Aligns with the server's clock as of an answer that carried `server_time`.
    pub fn sync(&self, server_time: Time) {
        self.offset_ms.set(server_time.unix_millis() - browser_millis());
        self.now.set(server_time);
    }

    pub fn now(&self) -> Signal<Time> {
        self.now.into()
    }
}

impl Default for ServerClock {
    fn default() -> Self {
        ServerClock::new()
    }
}
