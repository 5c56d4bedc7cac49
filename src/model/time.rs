//! Time values: dates, date-times, durations and times of day as the
//! numbers their facts compare (days, seconds, seconds and seconds since
//! midnight), read from and written as the text JSON carries them (RFC
//! 3339 dates and date-times, ISO 8601 durations, `HH:MM:SS`); and the
//! local time of day and weekday of a date-time in a named IANA time zone.
//! Calendars and zones are jiff's (with its bundled time zone database, so
//! a decision does not depend on the machine's).

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Span, SpanTotal, Timestamp, Unit};

use super::Misfit;

/// Seconds in a day.
pub const DAY: f64 = 86_400.0;

/// What a time fact holds, and the unit of the number it compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TimeKind {
    /// A calendar date (`2026-12-01`): days since 1970-01-01.
    Date,
    /// An instant (`2026-12-01T10:30:00Z`, any offset): seconds since the
    /// Unix epoch, with fractions.
    DateTime,
    /// A length of time (`P14D`, `PT2H30M` in JSON; `14 days` in a
    /// policy): seconds. A day is 24 hours; years and months have no fixed
    /// length, so they are not durations here.
    Duration,
    /// A time of day (`09:30`, `17:00:00`): seconds since midnight.
    Clock,
}

impl TimeKind {
    /// The type as a policy names it, with its article: "a date".
    pub fn name(self) -> &'static str {
        match self {
            TimeKind::Date => "a date",
            TimeKind::DateTime => "a datetime",
            TimeKind::Duration => "a duration",
            TimeKind::Clock => "a time of day",
        }
    }

    /// What JSON text a value takes, in words, for diagnostics.
    pub fn expected(self) -> &'static str {
        match self {
            TimeKind::Date => "a date (\"2026-12-01\")",
            TimeKind::DateTime => "a date-time with an offset (\"2026-12-01T10:30:00Z\")",
            TimeKind::Duration => "a duration (\"P14D\", \"PT2H30M\")",
            TimeKind::Clock => "a time of day (\"09:30\")",
        }
    }

    /// A value of this kind, as JSON carries it, for examples in helps.
    pub fn example(self) -> &'static str {
        match self {
            TimeKind::Date => "2026-12-01",
            TimeKind::DateTime => "2026-12-01T10:30:00Z",
            TimeKind::Duration => "P14D",
            TimeKind::Clock => "09:30",
        }
    }

    /// The text a value that is not one of this kind likely meant, for
    /// a help: `20260301` → `2026-03-01`, `3 days` → `P3D`,
    /// `2026-11-18 09:00` → `2026-11-18T09:00:00Z`; `None` when nothing
    /// near fits.
    pub fn likely_meant(self, text: &str) -> Option<String> {
        let text = text.trim();
        let meant = match self {
            TimeKind::Date => {
                let digits: String = text.chars().filter(char::is_ascii_digit).collect();
                let dashed = match digits.get(..8) {
                    Some(_) if digits.len() == 8 && !text.contains(':') => format!(
                        "{}-{}-{}",
                        digits.get(..4)?,
                        digits.get(4..6)?,
                        digits.get(6..8)?
                    ),
                    // A date-time where a date belongs: its date.
                    _ => text.get(..10)?.to_string(),
                };
                dashed
            }
            TimeKind::DateTime => {
                // An instant written another way (`20261118T090000+01:00`)
                // keeps its offset: it is the same instant, in UTC.
                if let Ok(instant) = text.parse::<Timestamp>() {
                    return Some(instant.to_string()).filter(|meant| meant != text);
                }
                let civil = text.parse::<DateTime>().ok().or_else(|| {
                    text.parse::<Date>()
                        .ok()
                        .map(|d| d.to_datetime(Time::midnight()))
                })?;
                format!("{}Z", civil.strftime("%Y-%m-%dT%H:%M:%S"))
            }
            TimeKind::Duration => {
                let (number, unit) = text.split_once(' ')?;
                let n: u64 = number.parse().ok()?;
                match unit.trim_end_matches('s') {
                    "week" => format!("P{n}W"),
                    "day" => format!("P{n}D"),
                    "hour" => format!("PT{n}H"),
                    "minute" => format!("PT{n}M"),
                    "second" => format!("PT{n}S"),
                    _ => return None,
                }
            }
            TimeKind::Clock => return None,
        };
        (meant != text && self.parse(&meant).is_some()).then_some(meant)
    }

    /// The number of a value as JSON carries it, or `None` when the text
    /// is not one.
    pub fn parse(self, text: &str) -> Option<f64> {
        match self {
            TimeKind::Date => rfc3339_date(text)
                .then(|| text.parse::<Date>().ok())
                .flatten()
                .and_then(date_days),
            TimeKind::DateTime => rfc3339_date(text)
                .then(|| text.parse::<Timestamp>().ok())
                .flatten()
                .map(timestamp_seconds),
            TimeKind::Duration => parse_duration(text),
            TimeKind::Clock => parse_clock(text),
        }
    }

    /// The JSON text of a number of this kind; `None` when no value has
    /// it (a date between two days, an instant beyond the calendar).
    pub fn render(self, x: f64) -> Option<String> {
        if !x.is_finite() {
            return None;
        }
        match self {
            TimeKind::Date => days_date(x).map(|d| d.to_string()),
            TimeKind::DateTime => seconds_timestamp(x).map(|t| t.to_string()),
            TimeKind::Duration => Some(duration_text(x)),
            TimeKind::Clock => clock_text(x),
        }
    }

    /// A value to show where the rules name no constant of this kind, so
    /// that examples read as times of now rather than of 1970: 2026-01-01
    /// (at midnight UTC), a day, noon.
    pub fn anchor(self) -> f64 {
        match self {
            TimeKind::Date => 20_454.0,
            TimeKind::DateTime => 1_767_225_600.0,
            TimeKind::Duration => DAY,
            TimeKind::Clock => 12.0 * 3600.0,
        }
    }

    /// A number as a policy writes it: `2026-12-01`, `14 days`, `09:30`.
    pub fn show(self, x: f64) -> String {
        match self {
            TimeKind::Duration => duration_words(x),
            TimeKind::Clock => clock_text(x).map_or_else(
                || x.to_string(),
                |text| match text.strip_suffix(":00") {
                    Some(short) if short.len() == 5 => short.to_string(),
                    _ => text,
                },
            ),
            _ => self.render(x).unwrap_or_else(|| x.to_string()),
        }
    }
}

/// The days from 1970-01-01 to `date`.
fn date_days(date: Date) -> Option<f64> {
    let midnight = TimeZone::UTC
        .to_timestamp(date.to_datetime(Time::midnight()))
        .ok()?;
    Some((midnight.as_second().div_euclid(86_400)) as f64)
}

/// The date `days` after 1970-01-01.
fn days_date(days: f64) -> Option<Date> {
    if days.fract() != 0.0 || days.abs() > 4.0e6 {
        return None;
    }
    let ts = Timestamp::from_second(days as i64 * 86_400).ok()?;
    Some(TimeZone::UTC.to_datetime(ts).date())
}

fn timestamp_seconds(ts: Timestamp) -> f64 {
    ts.as_second() as f64 + f64::from(ts.subsec_nanosecond()) / 1e9
}

fn seconds_timestamp(x: f64) -> Option<Timestamp> {
    if x.abs() > 2.5e11 {
        return None;
    }
    let whole = x.floor();
    let nanos = ((x - whole) * 1e9).round().min(999_999_999.0);
    Timestamp::new(whole as i64, nanos as i32).ok()
}

/// `P14D`, `PT2H30M`, `P1W`: ISO 8601 durations with days of 24 hours.
/// Whether `text` starts with a date as RFC 3339 writes it, `2026-12-01`
/// (jiff also reads ISO 8601's `20261201`, which facts do not use), and
/// is that date alone or goes on with a time (`T` or a blank, then
/// `10:30`).
fn rfc3339_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        bytes
            .get(range)
            .is_some_and(|b| b.iter().all(u8::is_ascii_digit))
    };
    let date = digits(0..4)
        && bytes.get(4) == Some(&b'-')
        && digits(5..7)
        && bytes.get(7) == Some(&b'-')
        && digits(8..10);
    let time = match bytes.get(10) {
        None => true,
        Some(b'T' | b't' | b' ') => digits(11..13) && bytes.get(13) == Some(&b':'),
        Some(_) => false,
    };
    date && time
}

fn parse_duration(text: &str) -> Option<f64> {
    let span: Span = text.parse().ok()?;
    if span.get_years() != 0 || span.get_months() != 0 {
        return None;
    }
    let total = span
        .total(SpanTotal::from(Unit::Second).days_are_24_hours())
        .ok()?;
    total.is_finite().then_some(total)
}

/// The ISO 8601 text of a duration in seconds: `P14D`, `PT2H30M`.
fn duration_text(x: f64) -> String {
    let negative = x < 0.0;
    let mut rest = x.abs();
    let days = (rest / DAY).floor();
    rest -= days * DAY;
    let hours = (rest / 3600.0).floor();
    rest -= hours * 3600.0;
    let minutes = (rest / 60.0).floor();
    rest -= minutes * 60.0;
    let mut out = String::from(if negative { "-P" } else { "P" });
    if days > 0.0 {
        out.push_str(&format!("{days}D"));
    }
    if hours > 0.0 || minutes > 0.0 || rest > 0.0 {
        out.push('T');
        if hours > 0.0 {
            out.push_str(&format!("{hours}H"));
        }
        if minutes > 0.0 {
            out.push_str(&format!("{minutes}M"));
        }
        if rest > 0.0 {
            out.push_str(&format!("{}S", super::number_value(rest)));
        }
    }
    if out.ends_with('P') {
        out.push_str("T0S");
    }
    out
}

/// A duration as a policy writes it: `14 days`, `90 minutes`.
pub fn duration_words(x: f64) -> String {
    let units = [(DAY, "day"), (3600.0, "hour"), (60.0, "minute")];
    for (size, unit) in units {
        let amount = x / size;
        if x != 0.0 && amount.fract() == 0.0 {
            return plural(amount, unit);
        }
    }
    plural(x, "second")
}

fn plural(amount: f64, unit: &str) -> String {
    let shown = super::number_value(amount);
    if amount.abs() == 1.0 {
        format!("{shown} {unit}")
    } else {
        format!("{shown} {unit}s")
    }
}

/// The seconds of a duration a policy writes: `14 days`, `1 hour`.
pub fn duration_seconds(amount: f64, unit: &str) -> Option<f64> {
    let size = match unit.trim_end_matches('s') {
        "week" => 7.0 * DAY,
        "day" => DAY,
        "hour" => 3600.0,
        "minute" => 60.0,
        "second" => 1.0,
        _ => return None,
    };
    let x = amount * size;
    x.is_finite().then_some(x)
}

/// `09:30`, `09:30:15`, `09:30:15.5`: seconds since midnight.
fn parse_clock(text: &str) -> Option<f64> {
    let time: Time = text.parse().ok()?;
    Some(clock_seconds(time))
}

fn clock_seconds(time: Time) -> f64 {
    f64::from(time.hour()) * 3600.0
        + f64::from(time.minute()) * 60.0
        + f64::from(time.second())
        + f64::from(time.subsec_nanosecond()) / 1e9
}

/// `HH:MM:SS` (with fractions where it has them) for seconds since midnight.
fn clock_text(x: f64) -> Option<String> {
    if !(0.0..DAY).contains(&x) {
        return None;
    }
    let whole = x.floor();
    let (h, m, s) = (
        (whole / 3600.0).floor(),
        ((whole % 3600.0) / 60.0).floor(),
        whole % 60.0,
    );
    let fraction = x - whole;
    let mut text = format!("{h:02}:{m:02}:{s:02}");
    if fraction > 0.0 {
        let nanos = (fraction * 1e9).round() as u64;
        let digits = format!("{nanos:09}");
        text.push('.');
        text.push_str(digits.trim_end_matches('0'));
    }
    Some(text)
}

/// The weekdays, Monday first, as a policy names them.
pub const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// Which part of a local date-time a fact takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LocalPart {
    /// The time of day: a [`TimeKind::Clock`] number.
    Clock,
    /// The weekday: one of [`WEEKDAYS`].
    Weekday,
}

/// A part of a date-time fact's value in a named zone: the local time of
/// day or the weekday of `2026-12-01T08:30:00Z` in `Europe/Berlin` (09:30,
/// a Tuesday).
#[derive(Clone, Debug)]
pub struct Local {
    pub part: LocalPart,
    /// The zone's IANA name, as written.
    pub zone: String,
    pub tz: TimeZone,
}

impl PartialEq for Local {
    fn eq(&self, other: &Local) -> bool {
        self.part == other.part && self.zone == other.zone
    }
}

impl Local {
    /// The zone named `name` in the bundled time zone database.
    pub fn zone(name: &str) -> Option<TimeZone> {
        TimeZone::get(name).ok()
    }

    /// The atom of an instant given as JSON text, among `points` (the
    /// times of day the rules compare with) for a time of day, or among
    /// [`WEEKDAYS`] for a weekday.
    pub fn atom(&self, text: &str, points: &[f64]) -> Result<super::Atom, Misfit> {
        let ts: Timestamp = text.parse().map_err(|_| Misfit::Type {
            expected: TimeKind::DateTime.expected(),
        })?;
        let local = self.tz.to_datetime(ts);
        Ok(match self.part {
            LocalPart::Clock => super::number_atom(points, clock_seconds(local.time())),
            LocalPart::Weekday => super::Atom::from(local.weekday().to_monday_zero_offset() as u8),
        })
    }

    /// Instants (as seconds) whose local time of day is each of `clocks`
    /// (seconds since midnight), on the local days from a week before to a
    /// week after each of `near` (seconds), so every weekday on either
    /// side of it: the candidates a search for facts
    /// tries for the date-time this part is of.
    pub fn instants(&self, near: &[f64], clocks: &[f64]) -> Vec<f64> {
        let mut out = Vec::new();
        for x in near {
            let Some(ts) = seconds_timestamp(*x) else {
                continue;
            };
            let day = self.tz.to_datetime(ts).date();
            // A week either way: every weekday before and after the
            // instant (constants bound times from above and from below).
            for offset in -7..=7i64 {
                let Ok(date) = day.checked_add(SignedDuration::from_hours(24 * offset)) else {
                    continue;
                };
                for clock in clocks {
                    if !(0.0..DAY).contains(clock) {
                        continue;
                    }
                    let whole = clock.floor();
                    let nanos = ((clock - whole) * 1e9).round().min(999_999_999.0) as i32;
                    let (h, m, s) = (
                        (whole / 3600.0) as i8,
                        ((whole % 3600.0) / 60.0) as i8,
                        (whole % 60.0) as i8,
                    );
                    let Ok(time) = Time::new(h, m, s, nanos) else {
                        continue;
                    };
                    let local = DateTime::from_parts(date, time);
                    if let Ok(ts) = self.tz.to_timestamp(local) {
                        out.push(timestamp_seconds(ts));
                    }
                }
            }
        }
        out
    }
}

/// The evaluation time as the text a fact of `kind` takes: the instant
/// for a date-time, its date in UTC for a date.
pub fn now_text(kind: TimeKind, now: Timestamp) -> Option<String> {
    match kind {
        TimeKind::DateTime => Some(now.to_string()),
        TimeKind::Date => Some(TimeZone::UTC.to_datetime(now).date().to_string()),
        TimeKind::Duration | TimeKind::Clock => None,
    }
}

#[cfg(test)]
mod tests {
    use super::TimeKind;

    /// Facts give dates and instants as RFC 3339 writes them; ISO 8601's
    /// basic format, which jiff also reads, is refused.
    #[test]
    fn dates_and_instants_are_rfc_3339() {
        assert!(TimeKind::Date.parse("2026-03-01").is_some());
        assert!(TimeKind::Date.parse("20260301").is_none());
        assert!(TimeKind::Date.parse("2026-3-1").is_none());
        assert!(TimeKind::DateTime.parse("2026-03-01T10:30:00Z").is_some());
        assert!(TimeKind::DateTime
            .parse("2026-03-01T10:30:00+01:00")
            .is_some());
        assert!(TimeKind::DateTime.parse("20260301T103000Z").is_none());
        assert!(TimeKind::DateTime.parse("2026-03-01T103000Z").is_none());
    }

    /// What a help suggests for a time written another way.
    #[test]
    fn likely_meant() {
        let meant = |kind: TimeKind, text: &str| kind.likely_meant(text);
        assert_eq!(
            meant(TimeKind::Date, "20260301").as_deref(),
            Some("2026-03-01")
        );
        assert_eq!(
            meant(TimeKind::Date, "2026-03-01T10:00:00Z").as_deref(),
            Some("2026-03-01")
        );
        assert_eq!(meant(TimeKind::Date, "2026-13-01"), None);
        assert_eq!(
            meant(TimeKind::DateTime, "2026-11-18 09:00").as_deref(),
            Some("2026-11-18T09:00:00Z")
        );
        assert_eq!(
            meant(TimeKind::DateTime, "2026-11-18").as_deref(),
            Some("2026-11-18T00:00:00Z")
        );
        assert_eq!(
            meant(TimeKind::DateTime, "20261118T090000+01:00").as_deref(),
            Some("2026-11-18T08:00:00Z")
        );
        assert_eq!(meant(TimeKind::Duration, "3 days").as_deref(), Some("P3D"));
        assert_eq!(meant(TimeKind::Duration, "1 week").as_deref(), Some("P1W"));
        assert_eq!(meant(TimeKind::Duration, "P3D"), None);
        assert_eq!(meant(TimeKind::Clock, "9.30"), None);
    }
}
