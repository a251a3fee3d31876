//! Instants and the business day. "Daily" always means the calendar day in China Standard Time
//! (UTC+08:00), never UTC: 2026-11-24T15:59:59Z is still the 24th, 16:00:00Z is already the 25th.

use std::fmt;

use jiff::civil::Date;
use jiff::tz::{Offset, TimeZone};
use jiff::{Timestamp, ToSpan};
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

    /// Whole seconds from `earlier` to `self` (negative if `earlier` is later).
    pub fn seconds_since(self, earlier: Time) -> i64 {
        self.0.as_second() - earlier.0.as_second()
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
    today.checked_sub(i64::from(months).months()).unwrap_or(Date::MIN)
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
}
