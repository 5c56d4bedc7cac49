//! Times in SQL: a time fact's text read into the two parts verdict
//! compares (whole days or seconds, and nanoseconds), exactly as
//! [`TimeKind::parts`] reads it, with the same forms (`grammar`) and the
//! same calendar arithmetic, written with functions every dialect has
//! (`substr`, `length`, `right`, `rpad`, a regular expression match, and
//! integer arithmetic); the evaluation time; and the local time of day and
//! weekday of an instant in a zone. A text is read in two steps, first its
//! fields (year, month, ...), then the parts from the fields, so that the
//! query shows each once.

use super::Dialect;
use crate::model::{grammar, TimeKind};
use jiff::Timestamp;

/// A time value in SQL: whole units and nanoseconds, each `NULL` when the
/// text is not a time of its kind.
#[derive(Clone, Debug)]
pub(super) struct Parts {
    pub whole: String,
    pub nanos: String,
}

impl Parts {
    /// The number verdict compares, as a double: `whole + nanos / 1e9`,
    /// the same operations [`TimeKind::parse`] does, so the same double.
    pub fn number(&self, dialect: Dialect) -> String {
        format!(
            "({} + {} / 1000000000)",
            dialect.double(&self.whole),
            dialect.double(&self.nanos)
        )
    }
}

/// The fields of the text `v` (an SQL expression of type text) as a time
/// of `kind`, each a name and an expression: `ok` whether the text has
/// the form, then the integers it holds. `None` for a time of day, which
/// facts never hold as text of their own.
pub(super) fn fields(
    kind: TimeKind,
    v: &str,
    dialect: Dialect,
) -> Option<Vec<(&'static str, String)>> {
    let int = |x: String| dialect.int(&x);
    let date = || {
        [
            ("year", int(format!("substr({v}, 1, 4)"))),
            ("month", int(format!("substr({v}, 6, 2)"))),
            ("day", int(format!("substr({v}, 9, 2)"))),
        ]
    };
    match kind {
        TimeKind::Date => {
            let mut out = vec![("ok", dialect.matches(v, grammar::DATE))];
            out.extend(date());
            Some(out)
        }
        TimeKind::DateTime => {
            let len = format!("length({v})");
            let zulu = format!("right({v}, 1) IN ('Z', 'z')");
            let fraction = format!(
                "CASE WHEN substr({v}, 20, 1) IN ('.', ',') THEN {len} - 20 - CASE WHEN {zulu} THEN 1 ELSE 6 END ELSE 0 END"
            );
            let mut out = vec![("ok", dialect.matches(v, grammar::DATETIME))];
            out.extend(date());
            out.extend([
                ("hour", int(format!("substr({v}, 12, 2)"))),
                ("minute", int(format!("substr({v}, 15, 2)"))),
                (
                    "second",
                    format!(
                        "CASE WHEN substr({v}, 17, 1) = ':' THEN {} ELSE 0 END",
                        int(format!("substr({v}, 18, 2)"))
                    ),
                ),
                (
                    "nanos",
                    format!(
                        "CASE WHEN {fraction} > 0 THEN {} ELSE 0 END",
                        int(format!("rpad(substr({v}, 21, {fraction}), 9, '0')"))
                    ),
                ),
                (
                    "offset_sign",
                    format!("CASE WHEN substr({v}, {len} - 5, 1) = '-' THEN -1 ELSE 1 END"),
                ),
                (
                    "offset_hours",
                    format!(
                        "CASE WHEN {zulu} THEN 0 ELSE {} END",
                        int(format!("substr({v}, {len} - 4, 2)"))
                    ),
                ),
                (
                    "offset_minutes",
                    format!(
                        "CASE WHEN {zulu} THEN 0 ELSE {} END",
                        int(format!("substr({v}, {len} - 1, 2)"))
                    ),
                ),
            ]);
            Some(out)
        }
        TimeKind::Duration => {
            let group = |i: usize| dialect.group(v, grammar::DURATION, i);
            let part =
                |i: usize| format!("COALESCE({}, 0)", int(format!("NULLIF({}, '')", group(i))));
            let fraction = group(7);
            Some(vec![
                // Every duration ends with a unit: `P` and `PT` alone, and
                // `P1DT`, match the expression but are not durations.
                (
                    "ok",
                    format!(
                        "{} AND right({v}, 1) IN ('W', 'D', 'H', 'M', 'S')",
                        dialect.matches(v, grammar::DURATION)
                    ),
                ),
                (
                    "sign",
                    format!("CASE WHEN {} = '-' THEN -1 ELSE 1 END", group(1)),
                ),
                ("weeks", part(2)),
                ("days", part(3)),
                ("hours", part(4)),
                ("minutes", part(5)),
                ("seconds", part(6)),
                (
                    "nanos",
                    format!(
                        "CASE WHEN {fraction} = '' THEN 0 ELSE {} END",
                        int(format!("rpad({fraction}, 9, '0')"))
                    ),
                ),
            ])
        }
        TimeKind::Clock => None,
    }
}

/// The parts of a time of `kind` from its [`fields`], each read by
/// `field`: `NULL` unless the text has the form and names a real day and
/// time.
pub(super) fn parts(kind: TimeKind, field: &dyn Fn(&str) -> String) -> Parts {
    let both = |valid: String, whole: String, nanos: String| Parts {
        whole: format!("CASE WHEN {valid} THEN {whole} END"),
        nanos: format!("CASE WHEN {valid} THEN {nanos} END"),
    };
    let (ok, y, m, d) = (field("ok"), field("year"), field("month"), field("day"));
    match kind {
        TimeKind::Date => both(
            format!("{ok} AND {}", civil_valid(&y, &m, &d)),
            civil_days(&y, &m, &d),
            String::from("0"),
        ),
        TimeKind::DateTime => {
            let (hour, minute, second) = (field("hour"), field("minute"), field("second"));
            let (sign, hours, minutes) = (
                field("offset_sign"),
                field("offset_hours"),
                field("offset_minutes"),
            );
            // A leap second counts as the second before it.
            let whole = format!(
                "{} * 86400 + {hour} * 3600 + {minute} * 60 + LEAST({second}, 59) - {sign} * ({hours} * 3600 + {minutes} * 60)",
                civil_days(&y, &m, &d)
            );
            let valid = format!(
                "{ok} AND {} AND {hour} <= 23 AND {minute} <= 59 AND {second} <= 60 AND {hours} <= 23 AND {minutes} <= 59 AND {whole} <= {}",
                civil_valid(&y, &m, &d),
                crate::model::LAST_SECOND
            );
            both(valid, whole, field("nanos"))
        }
        TimeKind::Duration | TimeKind::Clock => {
            let sign = field("sign");
            let whole = format!(
                "{sign} * ({} * 604800 + {} * 86400 + {} * 3600 + {} * 60 + {})",
                field("weeks"),
                field("days"),
                field("hours"),
                field("minutes"),
                field("seconds")
            );
            both(ok, whole, format!("{sign} * {}", field("nanos")))
        }
    }
}

/// The evaluation time as a time of `kind`: `now`'s when the caller gives
/// it, else the engine's clock when the query runs.
pub(super) fn now(kind: TimeKind, now: Option<Timestamp>, dialect: Dialect) -> Option<Parts> {
    if let Some(now) = now {
        // The text eval fills in, read back: the same parts.
        let text = crate::model::now_text(kind, now)?;
        let (whole, nanos) = kind.parts(&text)?;
        return Some(Parts {
            whole: whole.to_string(),
            nanos: nanos.to_string(),
        });
    }
    let (seconds, nanos) = dialect.clock();
    match kind {
        TimeKind::DateTime => Some(Parts {
            whole: seconds,
            nanos,
        }),
        // The date in UTC, as eval takes it; the clock is after 1970.
        TimeKind::Date => Some(Parts {
            whole: format!("CAST(floor(({seconds}) / 86400.0) AS BIGINT)"),
            nanos: String::from("0"),
        }),
        TimeKind::Duration | TimeKind::Clock => None,
    }
}

/// The local time of day (seconds since midnight, as a double) of the
/// instant `parts` in `zone`.
pub(super) fn clock(parts: &Parts, zone: &str, dialect: Dialect) -> String {
    let local = dialect.local_seconds(&parts.whole, zone);
    format!(
        "({} + {} / 1000000000)",
        dialect.double(&format!("(({local}) % 86400 + 86400) % 86400")),
        dialect.double(&parts.nanos)
    )
}

/// The local weekday of the instant `parts` in `zone`: 0 for Monday to 6
/// for Sunday (1970-01-01 was a Thursday).
pub(super) fn weekday(parts: &Parts, zone: &str, dialect: Dialect) -> String {
    let local = dialect.local_seconds(&parts.whole, zone);
    format!("CAST((floor(({local}) / 86400.0) + 3 - 7 * floor((floor(({local}) / 86400.0) + 3) / 7.0)) AS BIGINT)")
}

/// Whether `y-m-d` is a day of the calendar (the parts are integers).
fn civil_valid(y: &str, m: &str, d: &str) -> String {
    format!(
        "{m} BETWEEN 1 AND 12 AND {d} BETWEEN 1 AND CASE WHEN {m} IN (4, 6, 9, 11) THEN 30 WHEN {m} = 2 THEN CASE WHEN {y} % 4 = 0 AND ({y} % 100 <> 0 OR {y} % 400 = 0) THEN 29 ELSE 28 END ELSE 31 END"
    )
}

/// The days from 1970-01-01 to `y-m-d`, in the proleptic Gregorian
/// calendar (H. Hinnant's `days_from_civil`), with every division a
/// `floor` of doubles, which all dialects agree on.
fn civil_days(y: &str, m: &str, d: &str) -> String {
    let year = format!("({y} - CASE WHEN {m} <= 2 THEN 1 ELSE 0 END)");
    let era = format!("floor({year} / 400.0)");
    let year_of_era = format!("({year} - {era} * 400)");
    let day_of_year = format!("floor((153 * (({m} + 9) % 12) + 2) / 5.0) + {d} - 1");
    let day_of_era = format!(
        "{year_of_era} * 365 + floor({year_of_era} / 4.0) - floor({year_of_era} / 100.0) + {day_of_year}"
    );
    format!("CAST({era} * 146097 + {day_of_era} - 719468 AS BIGINT)")
}
