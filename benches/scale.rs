//! Scaling, with divan: generated `first match` rule sets of N = 10 to
//! 100,000 rules over 6 enum facts of 16 values, each rule an equality test
//! on 2 to 4 of them deciding its own outcome; 10,000 seeded inputs, half
//! aimed at a random rule (`verdict::testing::workloads`, shared with
//! `benches/peers`).
//!
//! Before the benchmarks, a table per N, each row measured in a fresh
//! process: load time (parse + check + compile, one run), how much the
//! process's peak resident memory grew during the load, and the tree's size
//! and depth (or that the rules are scanned). Then divan times the load
//! (fresh, with the tree in the background, and from the policy cache)
//! and the decisions (10,000 per iteration, from prepared `Value`s and from
//! text), beside two floors: a hand-written linear scan over typed inputs,
//! and just reading the six facts out of the prepared `Value`s. Run with
//! `cargo bench --bench scale`.

// A benchmark reports; it may unwrap what it prepared itself.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::{LazyLock, Mutex};
use std::time::Instant;

use divan::counter::ItemsCount;
use divan::{AllocProfiler, Bencher};
use serde_json::Value;
use verdict::testing::workloads;
use verdict::{Limits, PolicySet, TreeBuild};
use workloads::Scale;

#[global_allocator]
static ALLOC: AllocProfiler = AllocProfiler::system();

const SIZES: [usize; 5] = [10, 100, 1_000, 10_000, 100_000];

/// Per N: the workload, its compiled set, and its inputs as values and text.
struct Loaded {
    scale: Scale,
    set: PolicySet,
    values: Vec<Value>,
    texts: Vec<String>,
}

static LOADED: LazyLock<Mutex<BTreeMap<usize, &'static Loaded>>> =
    LazyLock::new(|| Mutex::new(BTreeMap::new()));

/// The workload of `n` rules, loaded once and kept for the whole run.
fn loaded(n: usize) -> &'static Loaded {
    let mut all = LOADED.lock().unwrap();
    all.entry(n).or_insert_with(|| {
        let scale = Scale::generate(n);
        let set = PolicySet::from_sources([("scale.policy", scale.text.as_str())]).unwrap();
        let values: Vec<Value> = scale.inputs.iter().map(workloads::scale_facts).collect();
        let texts = values.iter().map(Value::to_string).collect();
        // Decisions are checked against the rules read one by one.
        for (input, facts) in scale.inputs.iter().zip(&values) {
            let expected = scale
                .first_match(input)
                .map_or(String::from("none"), |i| format!("r{i}"));
            assert_eq!(set.decide(facts).unwrap()[0].decision, expected);
        }
        Box::leak(Box::new(Loaded {
            scale,
            set,
            values,
            texts,
        }))
    })
}

/// Set in a child process that measures one load with the tree built at
/// once, and prints its cells of the table.
const MEASURE_ONE: &str = "VERDICT_BENCH_LOAD_ONE";
/// Set in a child process that measures one load with the tree built in
/// the background, and prints its cells.
const MEASURE_BACKGROUND: &str = "VERDICT_BENCH_LOAD_BACKGROUND";

fn main() {
    let size = |var| std::env::var(var).ok().and_then(|n| n.parse().ok());
    if let Some(n) = size(MEASURE_ONE) {
        return measure_at_load(n);
    }
    if let Some(n) = size(MEASURE_BACKGROUND) {
        return measure_in_background(n);
    }
    println!(
        "| rules | load | load, tree in background | tree built after | peak memory (process) | evaluator |"
    );
    println!("|---:|---:|---:|---:|---:|---|");
    for n in SIZES {
        // Each load in a fresh process, so that its peak memory is its own
        // and neither load runs after the other (a load that follows one
        // which built a tree is slower by a few milliseconds).
        let cells = |var| {
            let out = std::process::Command::new(std::env::current_exe().unwrap())
                .env(var, n.to_string())
                .output()
                .unwrap();
            String::from_utf8_lossy(&out.stdout).trim().to_string()
        };
        let at_load = cells(MEASURE_ONE);
        let background = cells(MEASURE_BACKGROUND);
        let (load, rest) = at_load.split_once(" | ").unwrap_or((&at_load, ""));
        println!("| {n} | {load} | {background} | {rest} |");
    }
    println!();
    divan::main();
}

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Loads the rule set of `n` rules with its tree and prints the load's
/// time, then its peak memory and evaluator.
fn measure_at_load(n: usize) {
    let scale = Scale::generate(n);
    let baseline = peak_rss_kb();
    let start = Instant::now();
    let set = PolicySet::from_sources([("scale.policy", scale.text.as_str())]).unwrap();
    let load = start.elapsed();
    let peak = peak_rss_kb().saturating_sub(baseline);
    let shape = match set.policies().next().and_then(|p| p.tree()) {
        Some(stats) => format!("tree, {} nodes, depth {}", stats.nodes, stats.depth),
        None => String::from("rule scan (no tree)"),
    };
    println!(
        "{:.0} ms | +{:.1} MB | {shape}",
        ms(load),
        peak as f64 / 1000.0
    );
}

/// Loads the rule set of `n` rules with the tree built in the background
/// and prints when the set can decide (by rule scan) and when its tree
/// has taken over.
fn measure_in_background(n: usize) {
    let scale = Scale::generate(n);
    let limits = Limits {
        tree_build: TreeBuild::InBackground,
        ..Limits::default()
    };
    let start = Instant::now();
    let set =
        PolicySet::from_sources_with([("scale.policy", scale.text.as_str())], &limits).unwrap();
    let ready = start.elapsed();
    set.wait_for_trees();
    let built = start.elapsed();
    println!("{:.0} ms | {:.0} ms", ms(ready), ms(built));
}

/// The process's peak resident memory so far, in kB (Linux; 0 elsewhere).
fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// Parse, check and compile.
#[divan::bench(args = SIZES, sample_count = 5, sample_size = 1)]
fn load(bencher: Bencher, n: usize) {
    let text = Scale::generate(n).text;
    bencher
        .bench(|| PolicySet::from_sources([("scale.policy", black_box(text.as_str()))]).unwrap());
}

/// Parse and check, the tree left to a background thread: how long until
/// the set decides (by rule scan).
#[divan::bench(args = SIZES, sample_count = 5, sample_size = 1)]
fn load_tree_in_background(bencher: Bencher, n: usize) {
    let text = Scale::generate(n).text;
    let limits = Limits {
        tree_build: TreeBuild::InBackground,
        ..Limits::default()
    };
    bencher.bench(|| {
        PolicySet::from_sources_with([("scale.policy", black_box(text.as_str()))], &limits).unwrap()
    });
}

/// `load_tree_in_background` from the policy cache (`verdict eval
/// --cache` on unchanged files): the entry read, checked and decoded, and
/// the set assembled; nothing parsed or checked.
#[divan::bench(args = SIZES, sample_count = 5, sample_size = 1)]
fn load_from_cache(bencher: Bencher, n: usize) {
    let text = Scale::generate(n).text;
    let limits = Limits {
        tree_build: TreeBuild::InBackground,
        ..Limits::default()
    };
    let dir = std::env::temp_dir().join(format!("verdict-bench-cache-{}", std::process::id()));
    let cache = verdict::PolicyCache::new(&dir);
    let files = vec![("scale.policy".to_string(), text)];
    let (_, stored) = cache.load(files.clone(), &limits);
    assert_eq!(stored, verdict::CacheUse::Stored);
    bencher.with_inputs(|| files.clone()).bench_values(|files| {
        let (set, how) = cache.load(files, &limits);
        assert_eq!(how, verdict::CacheUse::Hit);
        set.unwrap()
    });
    std::fs::remove_dir_all(&dir).ok();
}

/// 10,000 decisions from prepared `serde_json::Value`s.
#[divan::bench(args = SIZES, sample_count = 20)]
fn decide_value(bencher: Bencher, n: usize) {
    let loaded = loaded(n);
    bencher
        .counter(ItemsCount::new(loaded.values.len()))
        .bench(|| {
            for facts in &loaded.values {
                black_box(loaded.set.decide(black_box(facts)).unwrap());
            }
        });
}

/// 10,000 decisions from JSON text.
#[divan::bench(args = SIZES, sample_count = 20)]
fn decide_text(bencher: Bencher, n: usize) {
    let loaded = loaded(n);
    bencher
        .counter(ItemsCount::new(loaded.texts.len()))
        .bench(|| {
            for text in &loaded.texts {
                black_box(
                    loaded
                        .set
                        .decide_json("facts.json", black_box(text))
                        .unwrap(),
                );
            }
        });
}

/// One refusal: facts with every fact missing, which leave every rule
/// possible, so the report walks the whole tree to say which facts are
/// needed (what a service pays for `{}`).
#[divan::bench(args = SIZES, sample_count = 10, sample_size = 1)]
fn decide_text_all_missing(bencher: Bencher, n: usize) {
    let loaded = loaded(n);
    loaded.set.wait_for_trees();
    bencher.bench(|| {
        black_box(
            loaded
                .set
                .decide_json("facts.json", black_box("{}"))
                .unwrap_err(),
        )
    });
}

/// The floor: a hand-written first-match scan over the rules, on the
/// inputs as value indices.
#[divan::bench(args = SIZES, sample_count = 20)]
fn floor_scan(bencher: Bencher, n: usize) {
    let loaded = loaded(n);
    let scale = &loaded.scale;
    bencher
        .counter(ItemsCount::new(scale.inputs.len()))
        .bench(|| {
            for input in &scale.inputs {
                black_box(scale.first_match(black_box(input)));
            }
        });
}

/// What reading the prepared `Value`s costs before any deciding: each of
/// the six facts looked up (`serde_json`'s `get`) and its string's bytes
/// reached, as any code that decides from a `Value` must. Beside
/// `decide_value` and `floor_scan`, it shows how much of a prepared
/// decision is reading the `Value` (see docs/performance.md).
#[divan::bench(args = SIZES, sample_count = 20)]
fn floor_read_value(bencher: Bencher, n: usize) {
    const KEYS: [&str; workloads::FACTS] = ["f0", "f1", "f2", "f3", "f4", "f5"];
    let loaded = loaded(n);
    bencher
        .counter(ItemsCount::new(loaded.values.len()))
        .bench(|| {
            for facts in &loaded.values {
                let facts = black_box(facts);
                let mut read = 0usize;
                for key in KEYS {
                    if let Some(s) = facts.get(key).and_then(Value::as_str) {
                        read = read.wrapping_add(s.len() + usize::from(s.as_bytes()[0]));
                    }
                }
                black_box(read);
            }
        });
}
