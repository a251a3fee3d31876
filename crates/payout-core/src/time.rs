//! Instants and the business day. "Daily" always means the calendar day in China Standard Time
//! (UTC+08:00), never UTC: 2026-11-24T15:59:59Z is still the 24th, 16:00:00Z is already the 25th.

use std::fmt;

use jiff::civil::Date;
use jiff::tz::{Offset, TimeZone};
use jiff::{Span, Timestamp, ToSpan};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The business-day offset, UTC+08:00 (SPEC §3).
pub const BUSINESS_OFFSET_HOURS: i8 = 8;

fn business_tz() -> TimeZone {
    TimeZone::fixed(Offset::constant(BUSINESS_OFFSET_HOURS))
}

/// An instant. Serialized as RFC 3339 with the business offset (`2026-11-24T18:05:00+08:00`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(Timestamp);

impl Time {
    pub fn from_timestamp(ts: Timestamp) -> Time {
        Time(ts)
    }

    /// From milliseconds since the Unix epoch (what the browser's `Date.now()` gives).
    /// Out-of-range input clamps to jiff's supported range instead of failing.
    pub fn from_unix_millis(ms: i64) -> Time {
        Time(Timestamp::from_millisecond(ms).unwrap_or(if ms < 0 { Timestamp::MIN } else { Timestamp::MAX }))
    }

    pub fn from_unix_seconds(secs: i64) -> Option<Time> {
        Timestamp::from_second(secs).ok().map(Time)
    }

    pub fn timestamp(self) -> Timestamp {
        self.0
    }

    pub fn unix_seconds(self) -> i64 {
        self.0.as_second()
    }

    pub fn unix_millis(self) -> i64 {
        self.0.as_millisecond()
    }

    /// Milliseconds from `earlier` to `self` (negative if `earlier` is later). Instants are
    /// compared at the store's precision, never truncated to whole seconds first: two instants
    /// 59.001 s apart across a second boundary are not "60 s" apart.
    pub fn millis_since(self, earlier: Time) -> i64 {
        self.unix_millis().saturating_sub(earlier.unix_millis())
    }

    /// Whole seconds elapsed from `earlier` to `self`, rounded down from [`Time::millis_since`].
    pub fn seconds_since(self, earlier: Time) -> i64 {
        self.millis_since(earlier).div_euclid(1000)
    }

    pub fn plus_seconds(self, secs: i64) -> Time {
        Time(self.0.checked_add(secs.seconds()).unwrap_or(self.0))
    }

    /// The business day this instant falls on.
    pub fn business_date(self) -> Date {
        self.0.to_zoned(business_tz()).date()
    }

    /// RFC 3339 with the business offset.
    pub fn to_rfc3339(self) -> String {
        self.0.to_zoned(business_tz()).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()
    }

    /// Date and time in the business time zone as spreadsheets read it: `2026-11-24 18:05:00`.
    pub fn to_business_datetime(self) -> String {
        self.0.to_zoned(business_tz()).strftime("%Y-%m-%d %H:%M:%S").to_string()
    }

    /// Parses RFC 3339 with any offset.
    pub fn parse(text: &str) -> Option<Time> {
        text.parse::<Timestamp>().ok().map(Time)
    }
}

/// A business day as people and URLs write it: exactly `YYYY-MM-DD`. jiff alone also reads
/// `20261201` and `2026-12-06T00:00:00` as dates; neither is a day a person chose.
pub fn parse_business_date(text: &str) -> Option<Date> {
    let b = text.as_bytes();
    let shape = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| if i == 4 || i == 7 { *c == b'-' } else { c.is_ascii_digit() });
    shape.then(|| text.parse().ok()).flatten()
}

/// The first instant of a business day and the first instant of the next one: `[start, end)`.
pub fn business_day_bounds(date: Date) -> (Time, Time) {
    let start =
        |d: Date| d.to_zoned(business_tz()).map(|z| Time(z.timestamp())).unwrap_or(Time(Timestamp::MAX));
    let next = date.tomorrow().unwrap_or(date);
    (start(date), start(next))
}

/// The earliest business day still "within the last `months` calendar months" of `now`:
/// the same day of the month, `months` earlier (clamped to the month's end, so May 31 → Nov 30).
/// An order placed on that day is still in; the day before is too old.
pub fn months_back(now: Time, months: u32) -> Date {
    let today = now.business_date();
    // `try_months`, not `months()`: a span past jiff's range (a policy of 300,000 months) must
    // mean "every order is recent enough", not a panic.
    Span::new().try_months(months).ok().and_then(|span| today.checked_sub(span).ok()).unwrap_or(Date::MIN)
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl Serialize for Time {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Time::parse(&text).ok_or_else(|| serde::de::Error::custom(format!("invalid RFC 3339 time {text:?}")))
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Time {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::DateTime)))
            .description(Some("RFC 3339 instant with the UTC+08:00 offset"))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Time {}

/// How long to wait before trying again, as a person reads it: `45 秒` / `45 seconds` under a
/// minute, else whole minutes rounded up (`15 分钟` / `15 minutes`). The server puts it in every
/// 429's message, beside `Retry-After`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wait(pub u64);

impl Wait {
    pub fn zh(self) -> String {
        match self.0.max(1) {
            s @ ..60 => format!("{s} 秒"),
            s => format!("{} 分钟", s.div_ceil(60)),
        }
    }

    pub fn en(self) -> String {
        match self.0.max(1) {
            1 => "1 second".to_owned(),
            s @ ..60 => format!("{s} seconds"),
            s if s.div_ceil(60) == 1 => "1 minute".to_owned(),
            s => format!("{} minutes", s.div_ceil(60)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Time {
        Time::parse(s).unwrap()
    }

    #[test]
    fn business_day_turns_at_utc8_midnight() {
        assert_eq!(t("2026-11-24T15:59:59Z").business_date().to_string(), "2026-11-24");
        assert_eq!(t("2026-11-24T16:00:00Z").business_date().to_string(), "2026-11-25");
        let (start, end) = business_day_bounds("2026-11-25".parse().unwrap());
        assert_eq!(start, t("2026-11-24T16:00:00Z"));
        assert_eq!(end, t("2026-11-25T16:00:00Z"));
    }

    #[test]
    fn serializes_with_the_business_offset() {
        assert_eq!(t("2026-11-24T10:05:00Z").to_string(), "2026-11-24T18:05:00+08:00");
        let json = serde_json::to_string(&t("2026-11-24T10:05:00Z")).unwrap();
        assert_eq!(serde_json::from_str::<Time>(&json).unwrap(), t("2026-11-24T10:05:00Z"));
    }

    #[test]
    fn unix_clock_values_convert_both_ways() {
        // 2026-11-24T10:05:00.250Z: what `Date.now()` and the store's integer columns hold.
        let at = t("2026-11-24T10:05:00.250Z");
        assert_eq!(at.unix_millis(), 1_795_514_700_250);
        assert_eq!(at.unix_seconds(), 1_795_514_700);
        assert_eq!(Time::from_unix_millis(1_795_514_700_250), at);
        assert_eq!(Time::from_unix_millis(-1_000), t("1969-12-31T23:59:59Z"));
        assert_eq!(Time::from_unix_seconds(1_795_514_700), Some(t("2026-11-24T10:05:00Z")));
        assert_eq!(Time::from_timestamp(at.timestamp()), at);
        assert_eq!(at.timestamp(), "2026-11-24T10:05:00.250Z".parse::<Timestamp>().unwrap());
    }

    #[test]
    fn out_of_range_clock_values_clamp_or_fail_instead_of_panicking() {
        assert_eq!(Time::from_unix_millis(i64::MAX).timestamp(), Timestamp::MAX);
        assert_eq!(Time::from_unix_millis(i64::MIN).timestamp(), Timestamp::MIN);
        assert_eq!(Time::from_unix_seconds(i64::MAX), None);
        assert_eq!(Time::from_unix_seconds(i64::MIN), None);
        let last = Time::from_timestamp(Timestamp::MAX);
        assert_eq!(last.plus_seconds(1), last, "adding past the end stays at the end");
    }

    #[test]
    fn elapsed_time_is_measured_in_milliseconds_not_between_truncated_seconds() {
        let earlier = t("2026-11-24T10:05:00.999Z");
        let later = t("2026-11-24T10:05:59.998Z");
        assert_eq!(later.millis_since(earlier), 58_999);
        assert_eq!(later.seconds_since(earlier), 58, "not 59: whole seconds are not subtracted");
        assert_eq!(earlier.seconds_since(later), -59, "rounded down, also backwards");
    }

    #[test]
    fn a_wait_reads_in_seconds_under_a_minute_then_in_whole_minutes_rounded_up() {
        let both = |s| (Wait(s).zh(), Wait(s).en());
        assert_eq!(both(0), ("1 秒".into(), "1 second".into()));
        assert_eq!(both(45), ("45 秒".into(), "45 seconds".into()));
        assert_eq!(both(60), ("1 分钟".into(), "1 minute".into()));
        assert_eq!(both(61), ("2 分钟".into(), "2 minutes".into()));
        assert_eq!(both(900), ("15 分钟".into(), "15 minutes".into()));
    }

    #[test]
    fn a_business_date_is_exactly_yyyy_mm_dd() {
        assert_eq!(parse_business_date("2026-12-01").map(|d| d.to_string()), Some("2026-12-01".into()));
        for bad in [
            "20261201",
            "2026-12-06T00:00:00",
            "2026-12-1",
            " 2026-12-01",
            "2026-02-30",
            "２０２６-12-01",
            "",
        ] {
            assert_eq!(parse_business_date(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn spreadsheet_times_are_business_local_without_offset() {
        assert_eq!(t("2026-11-24T16:05:09Z").to_business_datetime(), "2026-11-25 00:05:09");
    }

    #[test]
    fn twelve_months_back_is_the_same_day_a_year_earlier() {
        assert_eq!(months_back(t("2026-11-24T12:00:00+08:00"), 12).to_string(), "2025-11-24");
        // Just after UTC+8 midnight the business day is already the 25th.
        assert_eq!(months_back(t("2026-11-24T16:30:00Z"), 12).to_string(), "2025-11-25");
        assert_eq!(months_back(t("2028-02-29T09:00:00+08:00"), 12).to_string(), "2027-02-28");
    }

    #[test]
    fn r_e4_an_age_limit_beyond_the_calendar_lets_every_order_in() {
        // Found by the check_payout fuzz target: `order_max_age_months` is deployment configuration
        // and any positive value passes Policy::validate, but jiff's spans end at 239,976 months.
        assert_eq!(months_back(t("2026-11-24T12:00:00+08:00"), 239_976), Date::MIN);
        assert_eq!(months_back(t("2026-11-24T12:00:00+08:00"), u32::MAX), Date::MIN);
        assert_eq!(months_back(Time::from_timestamp(Timestamp::MIN), 1), Date::MIN);
    }
}
