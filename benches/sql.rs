//! Compiling to SQL, with divan: `verdict::sql::query` on generated
//! policies of 10 to 10,000 rules, the scale bench's `first match` shape
//! and the reliability issue's shapes (`verdict::testing::workloads`).
//! Before the timings, it prints each query's size beside its tree's, so
//! that a query that grew with the tree's paths rather than its nodes
//! shows. Run with `cargo bench --bench sql`; `benches/sql/throughput.py`
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
        "{:<12} {:>7} {:>9} {:>12} {:>10}",
        "shape", "rules", "nodes", "query bytes", "per node"
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
            match verdict::sql::query(&set, &verdict::sql::Options::default()) {
                Ok(sql) => println!(
                    "{name:<12} {n:>7} {nodes:>9} {:>12} {:>10.0}",
                    sql.len(),
                    sql.len() as f64 / nodes.max(1) as f64
                ),
                Err(report) => println!(
                    "{name:<12} {n:>7} {nodes:>9} refused: {}",
                    report.problems[0]
                ),
            }
        }
    }
    divan::main();
}

/// Past 100 rules, the generated `first match` trees are refused as too
/// large (`verdict::sql::too_large`).
#[divan::bench(args = [10, 100], sample_count = 10)]
fn compile_first_match(bencher: Bencher, n: usize) {
    let set = PolicySet::from_sources([("scale.policy", Scale::generate(n).text)]).unwrap();
    let options = verdict::sql::Options::default();
    bencher.bench(|| black_box(verdict::sql::query(&set, &options).unwrap().len()));
}
