//! Time values: dates, date-times, durations and times of day as the
//! numbers their facts compare (days, seconds, seconds and seconds since
//! midnight), read from and written as the text JSON carries them (RFC
//! 3339 dates and date-times, ISO 8601 durations, `HH:MM:SS`); and the
//! local time of day and weekday of a date-time in a named IANA time zone.
//! Calendars and zones are jiff's (with its bundled time zone database, so
//! a decision does not depend on the machine's).

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use super::Misfit;

/// Seconds in a day.
pub const DAY: f64 = 86_400.0;

/// What a time fact holds, and the unit of the number it compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
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
    /// is not one. The forms are exact, so that `verdict sql` reads the
    /// same texts in SQL (see [`grammar`]): a date is `YYYY-MM-DD`; a
    /// date-time is a date, `T` (or `t`, or a blank), `HH:MM`, optional
    /// `:SS` and a fraction of up to nine digits, and `Z` or `±HH:MM`; a
    /// duration is ISO 8601's `PnWnDTnHnMnS` with whole weeks, days, hours
    /// and minutes and a fraction only on seconds; a time of day is
    /// `HH:MM`, optionally `:SS` and a fraction. A leap second (`:60`)
    /// counts as `:59`, as jiff reads it.
    pub fn parse(self, text: &str) -> Option<f64> {
        self.parts(text)
            .map(|(whole, nanos)| whole as f64 + nanos as f64 / 1e9)
    }

    /// [`parse`](Self::parse)'s number in two parts, whole units and
    /// nanoseconds (both negative for a negative duration), whose sum
    /// `whole + nanos / 1e9` in doubles is the number: the parts `verdict
    /// sql` computes, so that SQL's number is the same double.
    pub fn parts(self, text: &str) -> Option<(i64, i64)> {
        match self {
            TimeKind::Date => civil_days(text.as_bytes()).map(|days| (days, 0)),
            TimeKind::DateTime => {
                instant(text.as_bytes()).map(|(whole, nanos)| (whole, i64::from(nanos)))
            }
            TimeKind::Duration => parse_duration(text.as_bytes()),
            TimeKind::Clock => {
                let (seconds, nanos, rest) = clock(text.as_bytes())?;
                rest.is_empty()
                    .then(|| (i64::from(seconds), i64::from(nanos)))
            }
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

/// The text forms [`TimeKind::parse`] reads, as regular expressions (the
/// groups are what `verdict sql` extracts): the same language, written for
/// the SQL engines' regex functions.
pub mod grammar {
    /// A date: year, month, day.
    pub const DATE: &str = r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$";
    /// A date-time: year, month, day, hour, minute, second, fraction,
    /// offset (`Z`, `z` or `±HH:MM`), offset sign, hours, minutes.
    pub const DATETIME: &str = r"^([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.,]([0-9]{1,9}))?)?([Zz]|([+-])([0-9]{2}):([0-9]{2}))$";
    /// A duration: sign, weeks, days, hours, minutes, seconds, fraction.
    pub const DURATION: &str = r"^([+-]?)P(?:([0-9]{1,6})W)?(?:([0-9]{1,6})D)?(?:T(?:([0-9]{1,8})H)?(?:([0-9]{1,10})M)?(?:([0-9]{1,11})(?:[.,]([0-9]{1,9}))?S)?)?$";
}

/// The ASCII digits of `bytes`, as a number; `None` when one is not.
fn digits(bytes: &[u8]) -> Option<i64> {
    if bytes.is_empty() {
        return None;
    }
    bytes.iter().try_fold(0i64, |n, b| {
        if !b.is_ascii_digit() {
            return None;
        }
        n.checked_mul(10)?.checked_add(i64::from(b - b'0'))
    })
}

/// The days from 1970-01-01 to the date `YYYY-MM-DD`, when it is one.
fn civil_days(bytes: &[u8]) -> Option<i64> {
    if bytes.len() != 10 || bytes.get(4) != Some(&b'-') || bytes.get(7) != Some(&b'-') {
        return None;
    }
    let year = digits(bytes.get(..4)?)?;
    let month = digits(bytes.get(5..7)?)?;
    let day = digits(bytes.get(8..10)?)?;
    // A day of the calendar (jiff knows the months' lengths) ...
    Date::new(
        i16::try_from(year).ok()?,
        i8::try_from(month).ok()?,
        i8::try_from(day).ok()?,
    )
    .ok()?;
    // ... counted as `verdict sql` counts it: H. Hinnant's
    // `days_from_civil`, floor divisions and all.
    let shifted = year - i64::from(month <= 2);
    let era = shifted.div_euclid(400);
    let year_of_era = shifted - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    Some(era * 146_097 + day_of_era - 719_468)
}

/// The last second jiff's instants reach (9999-12-30T22:00:00Z): a later
/// date-time is not one, in verdict and in SQL alike.
pub const LAST_SECOND: i64 = 253_402_207_200;

/// `HH:MM`, `HH:MM:SS` or `HH:MM:SS.fffffffff` at the start of `bytes`:
/// seconds since midnight, nanoseconds, and the bytes after it.
fn clock(bytes: &[u8]) -> Option<(u32, u32, &[u8])> {
    let hour = digits(bytes.get(..2)?)?;
    let minute = digits(bytes.get(3..5)?)?;
    if bytes.get(2) != Some(&b':') || hour > 23 || minute > 59 {
        return None;
    }
    let mut rest = bytes.get(5..)?;
    let (mut second, mut nanos) = (0, 0);
    if rest.first() == Some(&b':') {
        second = digits(rest.get(1..3)?)?;
        if second > 60 {
            return None;
        }
        rest = rest.get(3..)?;
        if let Some(b'.' | b',') = rest.first() {
            let fraction: &[u8] = rest.get(1..)?;
            let len = fraction.iter().take_while(|b| b.is_ascii_digit()).count();
            if len == 0 || len > 9 {
                return None;
            }
            nanos = digits(fraction.get(..len)?)? * 10i64.pow(9 - len as u32);
            rest = fraction.get(len..)?;
        }
    }
    let seconds = hour * 3600 + minute * 60 + second.min(59);
    Some((
        u32::try_from(seconds).ok()?,
        u32::try_from(nanos).ok()?,
        rest,
    ))
}

/// An RFC 3339 date-time: whole seconds since the Unix epoch (rounded
/// down) and the nanoseconds past them.
fn instant(bytes: &[u8]) -> Option<(i64, u32)> {
    let days = civil_days(bytes.get(..10)?)?;
    if !matches!(bytes.get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let (seconds, nanos, rest) = clock(bytes.get(11..)?)?;
    let offset = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let hours = digits(&[*h1, *h2])?;
            let minutes = digits(&[*m1, *m2])?;
            if hours > 23 || minutes > 59 {
                return None;
            }
            let offset = hours * 3600 + minutes * 60;
            if *sign == b'-' {
                -offset
            } else {
                offset
            }
        }
        _ => return None,
    };
    let whole = days * 86_400 + i64::from(seconds) - offset;
    (whole <= LAST_SECOND).then_some((whole, nanos))
}

/// `P14D`, `PT2H30M`, `P1W`, `-PT90S`, `PT0.5S`: seconds and
/// nanoseconds, both negative for a negative duration.
fn parse_duration(bytes: &[u8]) -> Option<(i64, i64)> {
    let (negative, mut rest) = match bytes {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        rest => (false, rest),
    };
    rest = rest.strip_prefix(b"P")?;
    let mut whole: i64 = 0;
    let mut nanos: i64 = 0;
    let mut parts = 0;
    let mut in_time = false;
    let mut time_parts = 0;
    // The designators in the order they may come, each at most once.
    let mut order = [b'W', b'D', b'H', b'M', b'S'].iter().peekable();
    while let Some(&first) = rest.first() {
        if first == b'T' {
            if in_time {
                return None;
            }
            in_time = true;
            rest = rest.get(1..)?;
            // Weeks and days come before `T`.
            while order.next_if(|d| matches!(d, b'W' | b'D')).is_some() {}
            continue;
        }
        let len = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        let number = digits(rest.get(..len)?)?;
        rest = rest.get(len..)?;
        let mut fraction = None;
        if let Some(b'.' | b',') = rest.first() {
            let after = rest.get(1..)?;
            let flen = after.iter().take_while(|b| b.is_ascii_digit()).count();
            if flen == 0 || flen > 9 {
                return None;
            }
            fraction = Some(digits(after.get(..flen)?)? * 10i64.pow(9 - flen as u32));
            rest = after.get(flen..)?;
        }
        let (&designator, after) = rest.split_first()?;
        rest = after;
        // The next designator allowed where this one is written.
        loop {
            let &&next = order.peek()?;
            order.next();
            if next == designator {
                break;
            }
        }
        let (size, max_digits, time) = match designator {
            b'W' => (604_800, 6, false),
            b'D' => (86_400, 6, false),
            b'H' => (3_600, 8, true),
            b'M' => (60, 10, true),
            b'S' => (1, 11, true),
            _ => return None,
        };
        if time != in_time || len > max_digits || (fraction.is_some() && designator != b'S') {
            return None;
        }
        whole += number * size;
        nanos = fraction.unwrap_or(0);
        parts += 1;
        if time {
            time_parts += 1;
        }
    }
    if parts == 0 || (in_time && time_parts == 0) {
        return None;
    }
    Some(if negative {
        (-whole, -nanos)
    } else {
        (whole, nanos)
    })
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum LocalPart {
    /// The time of day: a [`TimeKind::Clock`] number.
    Clock,
    /// The weekday: one of [`WEEKDAYS`].
    Weekday,
}

/// A part of a date-time fact's value in a named zone: the local time of
/// day or the weekday of `2026-12-01T08:30:00Z` in `Europe/Berlin` (09:30,
/// a Tuesday).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Local {
    pub part: LocalPart,
    /// The zone's IANA name, as written.
    pub zone: String,
    /// Found again by `zone` when the policy is read from the cache.
    #[serde(skip, default = "utc")]
    pub tz: TimeZone,
}

/// The zone a [`Local`] read from the cache holds until it is restored.
fn utc() -> TimeZone {
    TimeZone::UTC
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
        let misfit = || Misfit::Type {
            expected: TimeKind::DateTime.expected(),
        };
        let (whole, nanos) = instant(text.as_bytes()).ok_or_else(misfit)?;
        let ts = Timestamp::new(whole, i32::try_from(nanos).map_err(|_| misfit())?)
            .map_err(|_| misfit())?;
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

    /// The forms each kind reads, exactly: what jiff would also read
    /// (offsets without a colon, zone annotations, `"14 days"`, a
    /// date-time where a date belongs) is refused, so that SQL reads the
    /// same texts (`grammar`).
    #[test]
    fn the_forms_are_exact() {
        let cases: &[(TimeKind, &str, Option<f64>)] = &[
            (TimeKind::Date, "2026-12-01", Some(20_788.0)),
            (TimeKind::Date, "2024-02-29", Some(19_782.0)),
            (TimeKind::Date, "0000-01-01", Some(-719_528.0)),
            (TimeKind::Date, "9999-12-31", Some(2_932_896.0)),
            (
                TimeKind::DateTime,
                "9999-12-30T22:00:00Z",
                Some(253_402_207_200.0),
            ),
            (TimeKind::DateTime, "9999-12-30T22:00:01Z", None),
            (TimeKind::Date, "2026-02-29", None),
            (TimeKind::Date, "2026-12-01T10:30", None),
            (TimeKind::Date, "2026-12-01 ", None),
            (
                TimeKind::DateTime,
                "2026-12-01T10:30:00Z",
                Some(1_796_121_000.0),
            ),
            (
                TimeKind::DateTime,
                "2026-12-01t10:30z",
                Some(1_796_121_000.0),
            ),
            (
                TimeKind::DateTime,
                "2026-12-01 10:30:00-00:00",
                Some(1_796_121_000.0),
            ),
            (
                TimeKind::DateTime,
                "2026-12-01T10:30:00+01:00",
                Some(1_796_117_400.0),
            ),
            (
                TimeKind::DateTime,
                "2026-12-01T10:30:00,5Z",
                Some(1_796_121_000.5),
            ),
            (
                TimeKind::DateTime,
                "2026-12-01T23:59:60Z",
                Some(1_796_169_599.0),
            ),
            (TimeKind::DateTime, "1969-12-31T23:59:59.5Z", Some(-0.5)),
            (TimeKind::DateTime, "2026-12-01T10:30:00+0100", None),
            (TimeKind::DateTime, "2026-12-01T10:30:00+01", None),
            (TimeKind::DateTime, "2026-12-01T10:30:00+24:00", None),
            (
                TimeKind::DateTime,
                "2026-12-01T10:30:00Z[Europe/Berlin]",
                None,
            ),
            (TimeKind::DateTime, "2026-12-01T24:00:00Z", None),
            (TimeKind::DateTime, "2026-12-01T10:30:00.1234567891Z", None),
            (TimeKind::DateTime, "2026-12-01T10:30:00", None),
            (TimeKind::Duration, "P14D", Some(1_209_600.0)),
            (TimeKind::Duration, "P1W2D", Some(777_600.0)),
            (TimeKind::Duration, "-PT1H30M", Some(-5_400.0)),
            (TimeKind::Duration, "+PT0,5S", Some(0.5)),
            (TimeKind::Duration, "P1DT2H3M4.5S", Some(93_784.5)),
            (TimeKind::Duration, "PT36H", Some(129_600.0)),
            (TimeKind::Duration, "P0D", Some(0.0)),
            (TimeKind::Duration, "14 days", None),
            (TimeKind::Duration, "p14d", None),
            (TimeKind::Duration, "P1Y", None),
            (TimeKind::Duration, "PT1.5H", None),
            (TimeKind::Duration, "P1DT", None),
            (TimeKind::Duration, "PT", None),
            (TimeKind::Duration, "P", None),
            (TimeKind::Duration, "P1D1W", None),
            (TimeKind::Duration, "PT1D", None),
            (TimeKind::Duration, "P1M", None),
            (TimeKind::Duration, "P1234567D", None),
            (TimeKind::Duration, "PT9999999999999999999S", None),
            (TimeKind::Clock, "09:30", Some(34_200.0)),
            (TimeKind::Clock, "09:30:15.5", Some(34_215.5)),
            (TimeKind::Clock, "23:59:60", Some(86_399.0)),
            (TimeKind::Clock, "9:30", None),
            (TimeKind::Clock, "09", None),
            (TimeKind::Clock, "T09:30", None),
            (TimeKind::Clock, "09:30+01:00", None),
        ];
        for (kind, text, want) in cases {
            assert_eq!(kind.parse(text), *want, "{kind:?} {text:?}");
        }
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
