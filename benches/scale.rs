//! Scaling: generated `first match` rule sets of N = 10 to 100,000 rules over
//! 6 enum facts of 16 values, each rule an equality test on 2 to 4 of them
//! deciding its own outcome; 10,000 seeded inputs, half aimed at a random
//! rule. Prints, per N: load time (parse + check + compile), the tree's size
//! (or that the policy is scanned), and the median nanoseconds per decision.
//! Run with `cargo bench --bench scale`.

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

struct Rng(u64);

impl Rng {
    fn below(&mut self, bound: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % bound as u64) as usize
    }
}

fn generated(n: usize, rng: &mut Rng) -> (String, Vec<Vec<(usize, usize)>>) {
    let mut text = String::from("policy scale\nfirst match\n");
    for f in 0..6 {
        let values: Vec<String> = (0..16).map(|v| format!("f{f}v{v}")).collect();
        text.push_str(&format!("fact f{f}: {{{}}} at f{f}\n", values.join(" ")));
    }
    for i in 0..n {
        text.push_str(&format!("outcome r{i}\n"));
    }
    let mut rules = Vec::new();
    for i in 0..n {
        let k = 2 + rng.below(3);
        let mut facts: Vec<usize> = Vec::new();
        while facts.len() < k {
            let f = rng.below(6);
            if !facts.contains(&f) {
                facts.push(f);
            }
        }
        let tests: Vec<(usize, usize)> = facts.iter().map(|f| (*f, rng.below(16))).collect();
        let words: Vec<String> = tests.iter().map(|(f, v)| format!("f{f}v{v}")).collect();
        text.push_str(&format!("{} -> r{i}\n", words.join(" ")));
        rules.push(tests);
    }
    (text, rules)
}

fn main() {
    println!("| rules | load | tree | median ns/decision |");
    println!("|---:|---:|---|---:|");
    for n in [10usize, 100, 1_000, 10_000, 100_000] {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ n as u64);
        let (text, rules) = generated(n, &mut rng);
        let start = Instant::now();
        let set = PolicySet::from_sources([("scale.policy", text)]).unwrap();
        let load = start.elapsed();
        let tree = &set.trees()[0];
        let shape = match &tree.scan {
            None => format!("{} nodes, depth {}", tree.nodes.len(), tree.depth()),
            Some(_) => String::from("scanned (no tree)"),
        };
        let inputs: Vec<Value> = (0..10_000)
            .map(|i| {
                let mut values: Vec<usize> = (0..6).map(|_| rng.below(16)).collect();
                if i % 2 == 0 {
                    for (f, v) in &rules[rng.below(rules.len())] {
                        values[*f] = *v;
                    }
                }
                let mut facts = serde_json::Map::new();
                for (f, v) in values.iter().enumerate() {
                    facts.insert(format!("f{f}"), json!(format!("f{f}v{v}")));
                }
                Value::Object(facts)
            })
            .collect();
        let mut samples: Vec<f64> = (0..11)
            .map(|_| {
                let start = Instant::now();
                for facts in &inputs {
                    black_box(tree.evaluate(black_box(facts)).unwrap());
                }
                start.elapsed().as_nanos() as f64 / inputs.len() as f64
            })
            .collect();
        samples.sort_by(f64::total_cmp);
        println!(
            "| {n} | {:.0} ms | {shape} | {:.0} |",
            load.as_secs_f64() * 1000.0,
            samples[samples.len() / 2]
        );
    }
}
