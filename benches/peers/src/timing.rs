//! The timing harness: the median over rounds of the nanoseconds per
//! decision (each round decides every input once, single-threaded, with
//! `black_box` on inputs and outputs, after a warm-up), within a time budget
//! that falls back to a prefix of the inputs for slow engines; and how the
//! numbers are printed.

use std::hint::black_box;
use std::time::{Duration, Instant};

/// How much time and how many rounds one measurement may take.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    /// The time for the timed rounds of one measurement (the warm-up takes
    /// at most a quarter more).
    pub time: Duration,
    /// Rounds for a fast engine.
    pub max_rounds: usize,
    /// Rounds for a slow one, over a prefix of the inputs if need be.
    pub min_rounds: usize,
    /// The shortest prefix timed.
    pub min_items: usize,
}

/// One measurement: the median nanoseconds per decision over rounds of the
/// first `timed` of `of` inputs.
#[derive(Clone, Copy, Debug)]
pub struct Measurement {
    pub ns: f64,
    pub timed: usize,
    pub of: usize,
}

impl std::fmt::Display for Measurement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", ns(self.ns))?;
        if self.timed < self.of {
            write!(f, " ({} of {})", thousands(self.timed), thousands(self.of))?;
        }
        Ok(())
    }
}

/// Times `decide` over `items` within `budget`.
pub fn measure<T, R>(items: &[T], budget: Budget, mut decide: impl FnMut(&T) -> R) -> Measurement {
    // Warm-up: one pass over the inputs, cut short after a quarter of the
    // budget; it also gives the cost per item that plans the rounds.
    let start = Instant::now();
    let mut warmed = 0;
    for item in items {
        black_box(decide(black_box(item)));
        warmed += 1;
        if start.elapsed() > budget.time / 4 {
            break;
        }
    }
    let per_item = start.elapsed().as_secs_f64() / warmed.max(1) as f64;
    let budget_s = budget.time.as_secs_f64();
    let full_round = per_item * items.len() as f64;
    let (timed, rounds) = if full_round * budget.min_rounds as f64 <= budget_s {
        let rounds = (budget_s / full_round.max(1e-9)) as usize;
        (
            items.len(),
            rounds.clamp(budget.min_rounds, budget.max_rounds),
        )
    } else {
        let prefix = (budget_s / (budget.min_rounds as f64 * per_item)) as usize;
        (
            prefix.clamp(budget.min_items.min(items.len()), items.len()),
            budget.min_rounds,
        )
    };
    let prefix = &items[..timed];
    let mut samples: Vec<f64> = (0..rounds)
        .map(|_| {
            let start = Instant::now();
            for item in prefix {
                black_box(decide(black_box(item)));
            }
            start.elapsed().as_nanos() as f64 / timed.max(1) as f64
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    Measurement {
        ns: samples.get(samples.len() / 2).copied().unwrap_or(f64::NAN),
        timed,
        of: items.len(),
    }
}

/// Runs `f` once and says how long it took.
pub fn timed<R>(f: impl FnOnce() -> R) -> (R, Duration) {
    let start = Instant::now();
    let result = f();
    (result, start.elapsed())
}

/// Runs `load` and says how long it took: the shortest of three runs when
/// the first takes less than a second, since one short timing is noisy.
pub fn timed_load<R>(load: impl Fn() -> R) -> (R, Duration) {
    let (mut result, mut shortest) = timed(&load);
    if shortest < Duration::from_secs(1) {
        for _ in 0..2 {
            let (again, took) = timed(&load);
            if took < shortest {
                (result, shortest) = (again, took);
            }
        }
    }
    (result, shortest)
}

/// Nanoseconds: one decimal below 100, whole with thousands separators
/// above.
pub fn ns(ns: f64) -> String {
    if ns < 100.0 {
        format!("{ns:.1}")
    } else {
        thousands(ns.round() as usize)
    }
}

/// `1234567` as `1,234,567`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// A duration in the unit that suits it: `850 µs`, `12.5 ms`, `3.2 s`.
pub fn duration(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 1e-6 {
        String::from("< 1 µs")
    } else if s < 1e-3 {
        format!("{:.0} µs", s * 1e6)
    } else if s < 1.0 {
        format!("{:.1} ms", s * 1e3)
    } else {
        format!("{s:.1} s")
    }
}
