//! Large generated rule sets: thousands of `first match` rules still get a
//! decision tree; a policy whose tree would take more than the tree budget
//! is evaluated by a rule scan instead, with a note; and both evaluators
//! decide as the rules say.

use serde_json::{json, Value};
use verdict::{Limits, PolicySet};

/// A first-match policy of `n` rules over 6 facts of 16 values each; rule
/// `i` tests 2 to 4 facts for equality and decides the outcome `r{i}`.
/// Returns the text and each rule's tests, for checking.
fn generated(n: usize, seed: u64) -> (String, Vec<Vec<(usize, usize)>>) {
    let mut state = seed;
    let mut next = move |bound: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % bound as u64) as usize
    };
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
        let k = 2 + next(3);
        let mut facts: Vec<usize> = Vec::new();
        while facts.len() < k {
            let f = next(6);
            if !facts.contains(&f) {
                facts.push(f);
            }
        }
        let tests: Vec<(usize, usize)> = facts.iter().map(|f| (*f, next(16))).collect();
        let words: Vec<String> = tests.iter().map(|(f, v)| format!("f{f}v{v}")).collect();
        text.push_str(&format!("{} -> r{i}\n", words.join(" ")));
        rules.push(tests);
    }
    (text, rules)
}

fn input(values: &[usize; 6]) -> Value {
    let mut facts = serde_json::Map::new();
    for (f, v) in values.iter().enumerate() {
        facts.insert(format!("f{f}"), json!(format!("f{f}v{v}")));
    }
    Value::Object(facts)
}

/// The first rule whose tests all hold, by a plain loop.
fn first_match(rules: &[Vec<(usize, usize)>], values: &[usize; 6]) -> String {
    rules
        .iter()
        .position(|tests| tests.iter().all(|(f, v)| values[*f] == *v))
        .map_or(String::from("none"), |i| format!("r{i}"))
}

fn check(n: usize, tree_budget: usize, expect_tree: bool) {
    let (text, rules) = generated(n, 7 + n as u64);
    let limits = Limits {
        tree_budget,
        ..Limits::default()
    };
    let set = PolicySet::from_sources_with([("scale.policy", text)], &limits).unwrap();
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
    let mut state = 12345u64;
    for i in 0..2_000 {
        let mut values = [0usize; 6];
        for v in &mut values {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            *v = (state >> 33) as usize % 16;
        }
        // Half the inputs aim at a rule.
        if i % 2 == 0 {
            for (f, v) in &rules[i % rules.len()] {
                values[*f] = *v;
            }
        }
        let decided = set
            .decide(&input(&values))
            .map(verdict::Decisions::into_owned)
            .unwrap();
        assert_eq!(
            decided[0].decision,
            first_match(&rules, &values),
            "N = {n}, {values:?}"
        );
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
