//! Compiled decision trees, as outlines: one snapshot per valid fixture and
//! one for the built-in pack, plus the statistics that bound evaluation cost.

use crate::common;

#[test]
fn outlines_of_valid_fixtures() {
    insta::glob!("../fixtures", "check/ok/*", |path| {
        let set = common::load(path).unwrap_or_else(|r| panic!("{}", r.render(common::WIDTH)));
        let outlines: Vec<String> = set.policies().map(|p| p.outline()).collect();
        insta::assert_snapshot!(outlines.join("\n"));
    });
}

#[test]
fn outline_of_the_pack() {
    let pack = common::pack();
    insta::assert_snapshot!(pack.policies().next().unwrap().outline());
}

#[test]
fn dot_of_the_pack() {
    let pack = common::pack();
    let dot = pack.policies().next().unwrap().dot();
    assert!(dot.starts_with("digraph policy_multichannel {"));
    assert!(dot.trim_end().ends_with('}'));
    insta::assert_snapshot!(dot);
}

#[test]
fn stats_bound_the_walk() {
    let pack = common::pack();
    let policy = pack.policies().next().unwrap();
    let stats = policy.tree().unwrap();
    assert_eq!(stats.nodes, stats.tests + stats.leaves);
    // One leaf per rule that can decide, plus `none`.
    assert_eq!(stats.leaves, policy.rules().len() + 1);
    // A fact is tested at most once on a path.
    assert!(stats.depth <= policy.facts().len());
    // Every walk over complete facts reads at most `depth` facts.
    let facts = serde_json::json!({
        "subscription": { "billing": "usage", "channel": "CSP" },
        "partner": { "role": "reseller", "designated_admin": true },
        "request": { "action": "transfer", "target": "partner" },
    });
    let traced = pack.trace(&facts).unwrap();
    assert!(traced[0].trace.as_ref().unwrap().len() <= stats.depth);
}

/// The picture of a policy with named rules: left to right, each leaf with
/// its decision, the rule's name and its place, and "no rule applies" drawn
/// beside each test that leads to it.
#[test]
fn dot_names_rules_and_draws_no_rule_per_parent() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/examples/refunds");
    let set = verdict::PolicySet::from_root_with(&path, &verdict::Limits::default())
        .unwrap_or_else(|r| panic!("{}", r.render(common::WIDTH)));
    let dot = set.policies().next().unwrap().dot();
    assert!(dot.contains("  rankdir=LR;\n"), "{dot}");
    // No node has more than one edge into it that says no rule applies.
    let into_none = dot
        .lines()
        .filter(|l| l.contains("->") && l.contains("_none "))
        .count();
    let none_nodes = dot
        .lines()
        .filter(|l| l.contains("no rule applies"))
        .count();
    assert_eq!(into_none, none_nodes, "{dot}");
    insta::assert_snapshot!(dot);
}
