//! Compiled decision trees, as outlines: one snapshot per valid fixture and
//! one for the built-in pack, plus the statistics that bound evaluation cost.

use crate::common;

#[test]
fn outlines_of_valid_fixtures() {
    insta::glob!("../fixtures", "check/ok/*", |path| {
        let set = common::load(path).unwrap_or_else(|r| panic!("{}", r.render(common::WIDTH)));
        let outlines: Vec<String> = set.trees().iter().map(|t| t.to_text()).collect();
        insta::assert_snapshot!(outlines.join("\n"));
    });
}

#[test]
fn outline_of_the_pack() {
    let pack = common::pack();
    insta::assert_snapshot!(pack.trees()[0].to_text());
}

#[test]
fn dot_of_the_pack() {
    let pack = common::pack();
    let dot = pack.trees()[0].to_dot();
    assert!(dot.starts_with("digraph policy_multichannel {"));
    assert!(dot.trim_end().ends_with('}'));
    insta::assert_snapshot!(dot);
}

#[test]
fn stats_bound_the_walk() {
    let pack = common::pack();
    let tree = &pack.trees()[0];
    let stats = tree.stats();
    assert_eq!(stats.nodes, stats.tests + stats.leaves);
    // One leaf per rule that can decide, plus `none`.
    assert_eq!(stats.leaves, tree.policy.rules.len() + 1);
    // A fact is tested at most once on a path.
    assert!(stats.depth <= tree.policy.facts.len());
    // Every walk over complete facts reads at most `depth` facts.
    let facts = serde_json::json!({
        "subscription": { "billing": "usage", "channel": "CSP" },
        "partner": { "role": "reseller", "designated_admin": true },
        "request": { "action": "transfer", "target": "partner" },
    });
    let walk = verdict::eval::walk(tree, &facts, true).unwrap();
    assert!(walk.trace.len() <= stats.depth);
}
