//! Evaluation speed of the built-in multichannel pack, with divan: every
//! combination of fact values (3,024 facts objects), decided from prepared
//! `serde_json::Value`s and from JSON text, through each public entry point,
//! next to a hand-written `match` over a typed struct (the floor, with its
//! own serde parse from text). Each benchmark decides all 3,024 inputs per
//! iteration; divan reports the time of one iteration and the throughput.
//!
//! Run with `cargo bench --bench eval`; ns per decision = median / 3,024.

// A benchmark reports; it may unwrap what it prepared itself.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::sync::LazyLock;

use divan::counter::ItemsCount;
use divan::{AllocProfiler, Bencher};
use serde_json::Value;
use verdict::testing::{floor, workloads};
use verdict::PolicySet;

#[global_allocator]
static ALLOC: AllocProfiler = AllocProfiler::system();

static SET: LazyLock<PolicySet> = LazyLock::new(|| PolicySet::builtin().unwrap());
static VALUES: LazyLock<Vec<Value>> = LazyLock::new(workloads::pack_combinations);
static TEXTS: LazyLock<Vec<String>> =
    LazyLock::new(|| VALUES.iter().map(Value::to_string).collect());

fn main() {
    divan::main();
}

fn items() -> ItemsCount {
    ItemsCount::new(VALUES.len())
}

/// `PolicySet::decide`: prepared facts, borrowed decisions.
#[divan::bench]
fn decide_value(bencher: Bencher) {
    bencher.counter(items()).bench(|| {
        for facts in VALUES.iter() {
            black_box(SET.decide(black_box(facts)).unwrap());
        }
    });
}

/// `PolicySet::decide` on 16 facts objects over and over, each still in the
/// cache, as a service deciding the request it just parsed: what verdict
/// itself costs, without the cache misses of reading 3,024 `Value`s, whose
/// maps and strings are spread over a few megabytes.
#[divan::bench]
fn decide_value_hot(bencher: Bencher) {
    let hot: Vec<&Value> = VALUES.iter().step_by(VALUES.len() / 16).take(16).collect();
    bencher.counter(items()).bench(|| {
        for facts in hot.iter().cycle().take(VALUES.len()) {
            black_box(SET.decide(black_box(facts)).unwrap());
        }
    });
}

/// Facts as a typed struct of the caller's own (`Serialize`), in memory.
static TYPED: LazyLock<Vec<floor::TypedFacts>> = LazyLock::new(from_texts);

/// `TEXTS` parsed into a typed struct, borrowing from them.
fn from_texts<T: serde::Deserialize<'static>>() -> Vec<T> {
    TEXTS
        .iter()
        .map(|t| serde_json::from_str(t).unwrap())
        .collect()
}

/// `PolicySet::decide_serialize` and `Decisions::into_owned`: a typed
/// struct, owned decisions.
#[divan::bench]
fn decide_serialize_owned(bencher: Bencher) {
    bencher.counter(items()).bench(|| {
        for facts in TYPED.iter() {
            black_box(
                SET.decide_serialize(black_box(facts))
                    .map(verdict::Decisions::into_owned)
                    .unwrap(),
            );
        }
    });
}

/// `PolicySet::decide_serialize`: a typed struct, borrowed decisions.
#[divan::bench]
fn decide_serialize(bencher: Bencher) {
    bencher.counter(items()).bench(|| {
        for facts in TYPED.iter() {
            black_box(SET.decide_serialize(black_box(facts)).unwrap());
        }
    });
}

/// The same facts in a service's own request shape (`floor::CallerFacts`:
/// options skipped when `None`, a borrowed string, fields the policy does
/// not read), borrowing from the texts.
static CALLERS: LazyLock<Vec<floor::CallerFacts<'static>>> = LazyLock::new(from_texts);

/// `PolicySet::decide_serialize` on `CALLERS`: borrowed decisions.
#[divan::bench]
fn decide_serialize_caller(bencher: Bencher) {
    bencher.counter(items()).bench(|| {
        for facts in CALLERS.iter() {
            black_box(SET.decide_serialize(black_box(facts)).unwrap());
        }
    });
}

/// What a caller holding a typed struct pays without `decide_serialize`:
/// `serde_json::to_value`, then `PolicySet::decide` on that `Value`.
#[divan::bench]
fn decide_to_value(bencher: Bencher) {
    bencher.counter(items()).bench(|| {
        for facts in TYPED.iter() {
            let value = serde_json::to_value(black_box(facts)).unwrap();
            black_box(SET.decide(&value).unwrap());
        }
    });
}

/// `PolicySet::decide` and `Decisions::into_owned`: prepared facts, owned
/// decisions (their strings copied).
#[divan::bench]
fn decide_value_owned(bencher: Bencher) {
    bencher.counter(items()).bench(|| {
        for facts in VALUES.iter() {
            black_box(
                SET.decide(black_box(facts))
                    .map(verdict::Decisions::into_owned)
                    .unwrap(),
            );
        }
    });
}

/// `PolicySet::decide_json`: from text, the declared values picked while scanning.
#[divan::bench]
fn decide_text(bencher: Bencher) {
    bencher.counter(items()).bench(|| {
        for text in TEXTS.iter() {
            black_box(SET.decide_json("facts.json", black_box(text)).unwrap());
        }
    });
}

/// The 3,024 facts objects, each with one mistake a client makes: a value
/// in the wrong case, a bool sent as a string, a needed fact left out, in
/// turn; those the mistake makes no difference to (a fact the decision
/// does not read) are left out.
static INVALID_TEXTS: LazyLock<Vec<String>> = LazyLock::new(|| {
    VALUES
        .iter()
        .enumerate()
        .map(|(i, facts)| {
            let mut facts = facts.clone();
            match i % 3 {
                0 => {
                    let channel = facts["subscription"]["channel"].as_str().unwrap();
                    facts["subscription"]["channel"] = Value::from(channel.to_lowercase() + "x");
                }
                1 => facts["partner"]["designated_admin"] = Value::from("true"),
                _ => {
                    facts["partner"].as_object_mut().unwrap().remove("role");
                }
            }
            facts.to_string()
        })
        .filter(|text| SET.decide_json("facts.json", text).is_err())
        .collect()
});

/// `PolicySet::decide_json` on facts with one mistake each (see
/// `INVALID_TEXTS`): what a service pays to refuse a bad request and know
/// the kind of its mistake (for the status it answers with), the report
/// deferred until asked. Beside `decide_text`, the valid path.
#[divan::bench]
fn decide_text_invalid(bencher: Bencher) {
    bencher
        .counter(ItemsCount::new(INVALID_TEXTS.len()))
        .bench(|| {
            for text in INVALID_TEXTS.iter() {
                let report = SET.decide_json("facts.json", black_box(text)).unwrap_err();
                black_box(report.kind());
            }
        });
}

/// `PolicySet::decide_json` on facts with one mistake each, the report
/// worked out (its problems, with their messages, labels and helps) but
/// not rendered.
#[divan::bench]
fn decide_text_invalid_report(bencher: Bencher) {
    bencher
        .counter(ItemsCount::new(INVALID_TEXTS.len()))
        .bench(|| {
            for text in INVALID_TEXTS.iter() {
                let report = SET.decide_json("facts.json", black_box(text)).unwrap_err();
                black_box(report.problems().len());
            }
        });
}

/// `PolicySet::decide_json` on facts with one mistake each, the report
/// rendered as the `check --format json` data: what `verdict serve` and
/// `eval --format json` pay for an answer that says what is wrong.
#[divan::bench]
fn decide_text_invalid_data(bencher: Bencher) {
    bencher
        .counter(ItemsCount::new(INVALID_TEXTS.len()))
        .bench(|| {
            for text in INVALID_TEXTS.iter() {
                let report = SET.decide_json("facts.json", black_box(text)).unwrap_err();
                black_box(report.data());
            }
        });
}

/// `serde_json::from_str` into a `Value`, then `PolicySet::decide`.
#[divan::bench]
fn parse_then_decide(bencher: Bencher) {
    bencher.counter(items()).bench(|| {
        for text in TEXTS.iter() {
            let facts: Value = serde_json::from_str(black_box(text)).unwrap();
            black_box(SET.decide(&facts).unwrap().len());
        }
    });
}

/// The floor, prepared: typed facts already parsed.
#[divan::bench]
fn floor_typed(bencher: Bencher) {
    let typed: Vec<floor::TypedFacts> = TEXTS
        .iter()
        .map(|t| serde_json::from_str(t).unwrap())
        .collect();
    // The floor decides as verdict does, or it is no floor.
    for (facts, value) in typed.iter().zip(VALUES.iter()) {
        let decision = SET.decide(value).unwrap()[0].decision;
        let expected = workloads::PackDecision::from_name(decision);
        assert_eq!(Some(floor::decide_pack(facts).decision), expected);
    }
    bencher.counter(items()).bench(|| {
        for facts in &typed {
            black_box(floor::decide_pack(black_box(facts)));
        }
    });
}

/// The floor from text: serde parse into the typed struct, then the `match`.
#[divan::bench]
fn floor_text(bencher: Bencher) {
    bencher.counter(items()).bench(|| {
        for text in TEXTS.iter() {
            let facts: floor::TypedFacts = serde_json::from_str(black_box(text)).unwrap();
            black_box(floor::decide_pack(&facts));
        }
    });
}
