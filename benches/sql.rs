//! Compiling to SQL, with divan: `verdict::sql::query` on generated
//! policies of 10 to 10,000 rules, the scale bench's `first match` shape
//! and the reliability issue's shapes (`verdict::testing::workloads`).
//! Before the timings, it prints each query's size beside its tree's,
//! written from the whole tree and rule by rule, so that a query that grew
//! with the tree's paths rather than its nodes shows, and how the two
//! shapes compare. Run with `cargo bench --bench sql`; `benches/sql/throughput.py`
//! measures the query in DuckDB against `verdict eval --ndjson`.

// A benchmark reports; it may unwrap what it prepared itself.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::hint::black_box;

use divan::Bencher;
use verdict::testing::workloads::{Scale, Shape};
use verdict::PolicySet;

const SIZES: [usize; 4] = [10, 100, 1_000, 10_000];

fn main() {
    println!(
        "{:<12} {:>7} {:>9} {:>14} {:>10} {:>14}",
        "shape", "rules", "nodes", "tree: bytes", "per node", "rules: bytes"
    );
    for n in SIZES {
        let mut sets = vec![(
            "FirstMatch*".to_string(),
            PolicySet::from_sources([("scale.policy", Scale::generate(n).text)]),
        )];
        for shape in Shape::ALL {
            sets.push((
                format!("{shape:?}"),
                PolicySet::from_sources([("shape.policy", shape.policy(n))]),
            ));
        }
        for (name, set) in sets {
            // The overlapping shape conflicts by design: it does not load.
            let Ok(set) = set else {
                println!("{name:<12} {n:>7} does not load");
                continue;
            };
            let nodes: usize = set
                .policies()
                .filter_map(|p| p.tree())
                .map(|t| t.nodes)
                .sum();
            let size = |shape: verdict::sql::Shape| {
                let options = verdict::sql::Options {
                    shape,
                    ..verdict::sql::Options::default()
                };
                match verdict::sql::query(&set, &options) {
                    Ok(sql) => sql.len().to_string(),
                    Err(report) => format!("refused ({})", report.problems()[0]),
                }
            };
            let tree = size(verdict::sql::Shape::Tree);
            let per_node = tree.parse::<f64>().map_or_else(
                |_| String::from("-"),
                |b| format!("{:.0}", b / nodes.max(1) as f64),
            );
            let rules = size(verdict::sql::Shape::Rules);
            println!("{name:<12} {n:>7} {nodes:>9} {tree:>14} {per_node:>10} {rules:>14}");
        }
    }
    divan::main();
}

/// The generated `first match` policies: past 100 rules their trees are
/// too large to write node by node, and the query is written rule by rule.
#[divan::bench(args = [10, 100, 1_000], sample_count = 5)]
fn compile_first_match(bencher: Bencher, n: usize) {
    let set = PolicySet::from_sources([("scale.policy", Scale::generate(n).text)]).unwrap();
    let options = verdict::sql::Options::default();
    bencher.bench(|| black_box(verdict::sql::query(&set, &options).unwrap().len()));
}

/// The same policies, always rule by rule.
#[divan::bench(args = [10, 100, 1_000, 10_000], sample_count = 5)]
fn compile_first_match_rule_by_rule(bencher: Bencher, n: usize) {
    let set = PolicySet::from_sources([("scale.policy", Scale::generate(n).text)]).unwrap();
    let options = verdict::sql::Options {
        shape: verdict::sql::Shape::Rules,
        ..verdict::sql::Options::default()
    };
    bencher.bench(|| black_box(verdict::sql::query(&set, &options).unwrap().len()));
}
