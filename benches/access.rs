//! Evaluation speed of the document-access example pack
//! (`policies/examples/document-access`): a set of roles, relations
//! between facts and the time of day and weekday of the request in a zone,
//! on 4,096 requests drawn with a seeded xorshift (`workloads::
//! access_requests`), decided from prepared `serde_json::Value`s and from
//! JSON text. Each benchmark decides all 4,096 per iteration; divan reports
//! the time of one iteration and the throughput.
//!
//! Run with `cargo bench --bench access`; ns per decision = median / 4,096.

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
use verdict::testing::workloads;
use verdict::PolicySet;

#[global_allocator]
static ALLOC: AllocProfiler = AllocProfiler::system();

const REQUESTS: usize = 4_096;

static SET: LazyLock<PolicySet> = LazyLock::new(|| {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    PolicySet::from_path(root.join("policies/examples/document-access")).unwrap()
});
static VALUES: LazyLock<Vec<Value>> = LazyLock::new(|| workloads::access_requests(REQUESTS));
static TEXTS: LazyLock<Vec<String>> =
    LazyLock::new(|| VALUES.iter().map(Value::to_string).collect());

fn main() {
    divan::main();
}

fn items() -> ItemsCount {
    ItemsCount::new(REQUESTS)
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

/// `PolicySet::decide_json`: from the text of each request.
#[divan::bench]
fn decide_json(bencher: Bencher) {
    bencher.counter(items()).bench(|| {
        for text in TEXTS.iter() {
            black_box(SET.decide_json("facts.json", black_box(text)).unwrap());
        }
    });
}

/// Parsing the text into a `serde_json::Value` alone: what `decide_json`
/// costs at least while it takes the way through a `Value`.
#[divan::bench]
fn parse_only(bencher: Bencher) {
    bencher.counter(items()).bench(|| {
        for text in TEXTS.iter() {
            black_box(serde_json::from_str::<Value>(black_box(text)).unwrap());
        }
    });
}
