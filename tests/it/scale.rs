//! Large generated rule sets: thousands of `first match` rules still get a
//! decision tree; a policy whose tree would take more than the tree budget
//! is evaluated by a rule scan instead, with a note; and both evaluators
//! decide as the rules say.

use verdict::testing::workloads::{scale_facts, Scale};
use verdict::{Limits, PolicySet};

/// The generated rule set of `n` rules (`verdict::testing::workloads`,
/// which the benches measure), loaded within `tree_budget`: a tree or a
/// rule scan as expected, and on 2,000 of its inputs, half of them aimed at
/// a rule, the decision of the first rule whose tests all hold.
fn check(n: usize, tree_budget: usize, expect_tree: bool) {
    let scale = Scale::generate(n);
    let limits = Limits {
        tree_budget,
        ..Limits::default()
    };
    let set =
        PolicySet::from_sources_with([("scale.policy", scale.text.as_str())], &limits).unwrap();
    let policy = set.policies().next().unwrap();
    assert_eq!(policy.tree().is_some(), expect_tree, "N = {n}");
    let notes = set.warnings();
    assert_eq!(
        notes
            .problems
            .iter()
            .any(|p| p.to_string().contains("scanning its")),
        !expect_tree
    );
    for values in scale.inputs.iter().take(2_000) {
        let expected = scale
            .first_match(values)
            .map_or(String::from("none"), |i| format!("r{i}"));
        let decided = set.decide(&scale_facts(values)).unwrap();
        assert_eq!(decided[0].decision, expected, "N = {n}, {values:?}");
    }
}

#[test]
fn small_sets_get_a_tree() {
    check(10, Limits::TREE_BUDGET, true);
    check(100, Limits::TREE_BUDGET, true);
}

#[test]
fn large_sets_get_a_tree() {
    check(3_000, Limits::TREE_BUDGET, true);
}

#[test]
fn past_the_tree_budget_rules_are_scanned() {
    check(3_000, 100_000, false);
}
