//! NDJSON batch throughput: 200,000 lines of seeded multichannel facts (one
//! malformed line in a thousand) through `verdict::batch::run`, on one
//! thread and on every core, in one run: rounds alternate between the two,
//! and each keeps its best. Run with `cargo bench --bench ndjson`.

// A benchmark reports; it may unwrap what it prepared itself.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Instant;

use verdict::testing::workloads;
use verdict::PolicySet;

fn input(lines: usize) -> String {
    use workloads::{ACTIONS, BILLINGS, CHANNELS, ROLES};
    let mut rng = workloads::Rng(0x2545_F491_4F6C_DD1D);
    let mut text = String::new();
    for i in 0..lines {
        if i % 1000 == 7 {
            text.push_str("{\"bad json\n");
            continue;
        }
        text.push_str(&format!(
            "{{\"subscription\":{{\"billing\":\"{}\",\"channel\":\"{}\"}},\"partner\":{{\"role\":\"{}\"}},\"request\":{{\"action\":\"{}\",\"target\":\"partner\"}}}}\n",
            BILLINGS[rng.below(BILLINGS.len())],
            CHANNELS[rng.below(CHANNELS.len())],
            ROLES[rng.below(ROLES.len())],
            ACTIONS[rng.below(ACTIONS.len())]
        ));
    }
    text
}

/// Rounds per thread count.
const ROUNDS: usize = 9;

fn main() {
    let set = PolicySet::builtin().unwrap();
    let text = input(200_000);
    let counts = [
        1,
        std::thread::available_parallelism().map_or(2, |n| n.get()),
    ];
    let pools: Vec<rayon::ThreadPool> = counts
        .iter()
        .map(|n| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(*n)
                .build()
                .unwrap()
        })
        .collect();
    let mut results: Vec<(usize, f64, Vec<u8>)> =
        counts.iter().map(|n| (*n, f64::MAX, Vec::new())).collect();
    // Rounds alternate between the thread counts, so that both meet the
    // same moments of a noisy machine; each keeps its best round.
    for _ in 0..ROUNDS {
        for ((_, best, output), pool) in results.iter_mut().zip(&pools) {
            output.clear();
            let start = Instant::now();
            let summary = pool
                .install(|| verdict::batch::run(&set, text.as_bytes(), &mut *output, |_| {}))
                .unwrap();
            assert_eq!(summary.lines, 200_000);
            *best = best.min(start.elapsed().as_secs_f64());
        }
    }
    println!("NDJSON batch, 200,000 lines, best of {ROUNDS}");
    for (threads, seconds, _) in &results {
        println!(
            "  {threads} thread(s): {seconds:.3} s, {:.0} lines/s",
            200_000.0 / seconds
        );
    }
    assert!(
        results.windows(2).all(|w| w[0].2 == w[1].2),
        "output differs between thread counts"
    );
    if let [one, all] = results.as_slice() {
        println!("  speed-up: {:.2}x", one.1 / all.1);
    }
}
