//! Evaluation speed of the built-in multichannel pack: every combination of
//! fact values, decided from prepared `serde_json::Value`s and from JSON text.
//! Run with `cargo bench --bench eval`; prints the median of several rounds
//! in nanoseconds per decision. (Issue 4 brings the full benchmark suite.)

// A benchmark reports; it may unwrap what it prepared itself.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::time::Instant;

use serde_json::{json, Value};
use verdict::PolicySet;

fn inputs() -> Vec<Value> {
    let mut all = Vec::new();
    for billing in ["license", "usage"] {
        for channel in [
            "Direct",
            "Advisor",
            "Open",
            "EA",
            "CSP",
            "ThirdParty",
            "Syndication",
        ] {
            for role in ["direct", "indirect_provider", "reseller"] {
                for action in [
                    "support",
                    "transfer",
                    "migrate",
                    "invite",
                    "own_relationship",
                    "delegated_admin",
                ] {
                    for target in ["partner", "customer", "reseller"] {
                        all.push(json!({
                            "subscription": { "billing": billing, "channel": channel },
                            "partner": { "role": role, "designated_admin": role == "reseller" },
                            "request": { "action": action, "target": target },
                        }));
                    }
                }
            }
        }
    }
    all
}

/// Median over `rounds` of the time per item of `f` over all items.
fn median_ns<T>(items: &[T], rounds: usize, mut f: impl FnMut(&T)) -> f64 {
    let mut samples: Vec<f64> = (0..rounds)
        .map(|_| {
            let start = Instant::now();
            for item in items {
                f(item);
            }
            start.elapsed().as_nanos() as f64 / items.len() as f64
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn main() {
    let set = PolicySet::builtin().unwrap();
    let tree = &set.trees()[0];
    let values = inputs();
    let texts: Vec<String> = values.iter().map(Value::to_string).collect();

    let tree_only = median_ns(&values, 31, |facts| {
        black_box(tree.evaluate(black_box(facts)).unwrap());
    });
    let with_decision = median_ns(&values, 31, |facts| {
        black_box(set.evaluate(black_box(facts)).unwrap());
    });
    let from_text = median_ns(&texts, 31, |text| {
        let facts: Value = serde_json::from_str(black_box(text)).unwrap();
        black_box(set.evaluate(&facts).unwrap());
    });
    let picked = median_ns(&texts, 31, |text| {
        black_box(
            set.evaluate_json("facts.json", black_box(text), false)
                .unwrap(),
        );
    });
    println!(
        "multichannel pack, {} inputs, median of 31 rounds",
        values.len()
    );
    println!("  tree walk (prepared Value)        {tree_only:>8.0} ns/decision");
    println!("  PolicySet::evaluate (prepared)    {with_decision:>8.0} ns/decision");
    println!("  from JSON text (parse + evaluate) {from_text:>8.0} ns/decision");
    println!("  PolicySet::evaluate_json (text)   {picked:>8.0} ns/decision");
}
