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

/// A `first match` policy testing thousands of facts one after another:
/// its tree would be thousands of tests deep, past what recursion may
/// take, so it is scanned, and decides as its rules say (this overflowed
/// the stack).
#[test]
fn thousands_of_facts_tested_in_turn_are_scanned() {
    let n = 3_000;
    let mut text = String::from("policy facts\nfirst match\notherwise none\noutcome hit\n");
    for f in 0..n {
        text.push_str(&format!("fact f{f}: {{f{f}a f{f}b}} at f{f}\n"));
    }
    for f in 0..n {
        text.push_str(&format!("f{f}a -> hit\n"));
    }
    let set = PolicySet::from_sources([("facts.policy", text.as_str())]).unwrap();
    assert!(set.policies().next().unwrap().tree().is_none());
    let mut facts = serde_json::Map::new();
    for f in 0..n {
        facts.insert(format!("f{f}"), serde_json::json!(format!("f{f}b")));
    }
    let none = serde_json::Value::Object(facts.clone());
    assert_eq!(set.decide(&none).unwrap()[0].decision, "none");
    facts.insert(
        format!("f{}", n - 1),
        serde_json::json!(format!("f{}a", n - 1)),
    );
    let hit = serde_json::Value::Object(facts);
    assert_eq!(set.decide(&hit).unwrap()[0].decision, "hit");
    assert_eq!(
        set.decide_json("facts.json", &hit.to_string()).unwrap()[0].decision,
        "hit"
    );
}

/// A unique policy whose rules all overlap: conflict detection stops at
/// its budget, the report names at most 100 conflicts of at most 12 rules
/// each, and says it stopped or how many more there are.
#[test]
fn conflicts_are_capped_and_budgeted() {
    let mut text = String::from("policy overlap\notherwise none\noutcome a\noutcome b\n");
    for f in 0..6 {
        let values: Vec<String> = (0..4).map(|v| format!("f{f}v{v}")).collect();
        text.push_str(&format!("fact f{f}: {{{}}} at f{f}\n", values.join(" ")));
    }
    let mut rng = verdict::testing::workloads::Rng(7);
    for i in 0..600 {
        let f = rng.below(6);
        let g = (f + 1 + rng.below(5)) % 6;
        let verdict = if i % 2 == 0 { "a" } else { "b" };
        text.push_str(&format!(
            "f{f}v{} f{g}v{} -> {verdict}\n",
            rng.below(4),
            rng.below(4)
        ));
    }
    let report = PolicySet::from_sources([("overlap.policy", text.as_str())]).unwrap_err();
    let codes: Vec<String> = report
        .problems
        .iter()
        .filter_map(|p| miette::Diagnostic::code(p).map(|c| c.to_string()))
        .collect();
    let conflicts = codes.iter().filter(|c| *c == "verdict::conflict").count();
    assert_eq!(conflicts, 100, "{codes:?}");
    assert!(
        codes
            .iter()
            .any(|c| c == "verdict::more_conflicts" || c == "verdict::conflict_budget"),
        "{codes:?}"
    );
    for problem in &report.problems {
        let labels = miette::Diagnostic::labels(problem).map_or(0, Iterator::count);
        assert!(labels <= 12, "{problem}");
    }
}

/// Rules on disjoint values of a unique policy have no conflicts to
/// report, and are not compared pairwise (this took minutes at 50,000).
#[test]
fn disjoint_rules_have_no_conflicts() {
    let k = 60;
    let mut text = String::from("policy disjoint\notherwise none\noutcome a\noutcome b\n");
    let xs: Vec<String> = (0..k).map(|i| format!("x{i}")).collect();
    let ys: Vec<String> = (0..k).map(|i| format!("y{i}")).collect();
    text.push_str(&format!("fact x: {{{}}} at x\n", xs.join(" ")));
    text.push_str(&format!("fact y: {{{}}} at y\n", ys.join(" ")));
    for i in 0..k * k {
        let verdict = if i % 2 == 0 { "a" } else { "b" };
        text.push_str(&format!("x{} y{} -> {verdict}\n", i / k, i % k));
    }
    let set = PolicySet::from_sources([("disjoint.policy", text.as_str())]).unwrap();
    assert!(!set.warnings().has_errors());
    let facts = serde_json::json!({"x": "x3", "y": "y5"});
    let expected = if (3 * k + 5) % 2 == 0 { "a" } else { "b" };
    assert_eq!(set.decide(&facts).unwrap()[0].decision, expected);
}
