//! The decision tree, and the rule scan that replaces it for huge policies,
//! decide exactly as rule-by-rule evaluation does: on random policies
//! (enums, ordered enums, bools, numbers, strings with prefixes and
//! suffixes, set facts over arrays, value sets and named sets, negation,
//! optional and defaulted
//! facts, all three hit policies) and random facts (missing values, values
//! outside the set, wrong types), every evaluator and every way a caller
//! decides agree with the reference evaluator (`verdict::testing::reference`)
//! on every decision and on every failure. Policies with groups
//! (`(A B or C)`, `not (...)`) decide as the same policy with every group
//! multiplied out by hand into rules without groups.

use proptest::prelude::*;
use serde_json::{json, Map, Value};
use verdict::testing::reference::{self, Outcome};
use verdict::PolicySet;

/// A random fact declaration.
#[derive(Clone, Debug)]
enum FactKind {
    /// The values, and whether they are declared in order.
    Enum(Vec<String>, bool),
    Bool,
    Number,
    String,
    /// `set of {...}`: an array of these values.
    Set(Vec<String>),
}

#[derive(Clone, Debug)]
struct FactSpec {
    name: String,
    kind: FactKind,
    /// 0: required, 1: optional, 2: default.
    presence: u8,
}

const NUMBERS: [i64; 4] = [0, 1, 3, 5];

fn fact_specs() -> impl Strategy<Value = Vec<FactSpec>> {
    let kind = prop_oneof![
        3 => (2usize..5, any::<bool>()).prop_map(|(n, ordered)| {
            FactKind::Enum((0..n).map(|i| format!("v{i}")).collect(), ordered)
        }),
        1 => Just(FactKind::Bool),
        1 => Just(FactKind::Number),
        1 => Just(FactKind::String),
        1 => (2usize..4).prop_map(|n| FactKind::Set((0..n).map(|i| format!("m{i}")).collect())),
    ];
    prop::collection::vec((kind, 0u8..3), 1..5).prop_map(|facts| {
        facts
            .into_iter()
            .enumerate()
            .map(|(i, (kind, presence))| {
                // Values are prefixed by their fact, except for the first
                // fact, whose values may then be written as bare words.
                let kind = match kind {
                    FactKind::Enum(values, ordered) => {
                        FactKind::Enum(values.iter().map(|v| format!("f{i}{v}")).collect(), ordered)
                    }
                    FactKind::Set(values) => {
                        FactKind::Set(values.iter().map(|v| format!("f{i}{v}")).collect())
                    }
                    other => other,
                };
                FactSpec {
                    name: format!("f{i}"),
                    kind,
                    presence,
                }
            })
            .collect()
    })
}

fn declaration(fact: &FactSpec) -> String {
    let ty = match &fact.kind {
        FactKind::Enum(values, false) => format!("{{{}}}", values.join(" ")),
        FactKind::Enum(values, true) => format!("{{{}}}", values.join(" < ")),
        FactKind::Bool => String::from("bool"),
        FactKind::Number => String::from("number"),
        FactKind::String => String::from("string"),
        FactKind::Set(values) => format!("set of {{{}}}", values.join(" ")),
    };
    let presence = match (fact.presence, &fact.kind) {
        (1, _) => String::from(" optional"),
        (2, FactKind::Enum(values, _)) => format!(" default {}", values[0]),
        (2, FactKind::Bool) => String::from(" default false"),
        (2, FactKind::Number) => String::from(" default 1"),
        (2, FactKind::String) => String::from(" default \"b\""),
        // A set fact has no default: absent holds nothing when optional.
        (2, FactKind::Set(_)) => String::from(" optional"),
        _ => String::new(),
    };
    let mut text = format!("fact {}: {ty} at in.{}{presence}\n", fact.name, fact.name);
    if let FactKind::Enum(values, _) = &fact.kind {
        // A named set of its first two values, which some rules use.
        let firsts: Vec<&str> = values.iter().take(2).map(String::as_str).collect();
        text.push_str(&format!(
            "set {}-firsts = {{{}}}\n",
            fact.name,
            firsts.join(" ")
        ));
    }
    text
}

/// A condition on `fact`, chosen by `pick`.
fn condition(fact: &FactSpec, pick: (u8, u8, u8)) -> String {
    let (form, a, b) = pick;
    let not = if form % 5 == 4 { "not " } else { "" };
    match &fact.kind {
        FactKind::Enum(values, ordered) => {
            let v = &values[a as usize % values.len()];
            let w = &values[b as usize % values.len()];
            match form % 4 {
                // Values in order compare with each other.
                0 if *ordered && b % 2 == 0 => {
                    let op = ["<", "<=", ">", ">="][b as usize / 2 % 4];
                    format!("{not}{} {op} {v}", fact.name)
                }
                0 => format!("{not}{v}"),
                1 => format!("{not}{{{v} {w}}}"),
                2 => format!("{not}{} != {v}", fact.name),
                // The named set every enum fact has (see `declaration`).
                _ if a % 3 == 0 => format!("{not}{} in {}-firsts", fact.name, fact.name),
                _ => format!("{not}{} in {{{v} {w}}}", fact.name),
            }
        }
        FactKind::Bool => format!("{not}{}", fact.name),
        FactKind::Set(values) => {
            let v = &values[a as usize % values.len()];
            let w = &values[b as usize % values.len()];
            match form % 4 {
                0 => format!("{not}{} has {v}", fact.name),
                1 => format!("{not}{} has any of {{{v} {w}}}", fact.name),
                2 => format!("{not}{} has all of {{{v} {w}}}", fact.name),
                _ => format!("{not}{} has none of {{{v}}}", fact.name),
            }
        }
        FactKind::Number => {
            let k = NUMBERS[a as usize % NUMBERS.len()];
            let op = ["<", "<=", ">", ">=", "=", "!="][b as usize % 6];
            format!("{not}{} {op} {k}", fact.name)
        }
        FactKind::String => {
            let v = STRINGS[a as usize % STRINGS.len()];
            let w = STRINGS[b as usize % STRINGS.len()];
            let affix = AFFIXES[b as usize % AFFIXES.len()];
            match form % 5 {
                0 => format!("{not}{} = \"{v}\"", fact.name),
                1 => format!("{not}{} != \"{v}\"", fact.name),
                2 => format!("{not}{} in {{\"{v}\" \"{w}\"}}", fact.name),
                3 => format!("{not}{} starts with \"{affix}\"", fact.name),
                _ => format!("{not}{} ends with \"{affix}\"", fact.name),
            }
        }
    }
}

const STRINGS: [&str; 4] = ["a", "b", "c", "ab"];

/// Prefixes and suffixes, overlapping each other and the literals.
const AFFIXES: [&str; 5] = ["a", "ab", "b", "ba", ""];

fn verdict(pick: u8) -> &'static str {
    ["can", "cannot", "-> out-a", "-> out b"][pick as usize % 4]
}

type RuleSpec = (Vec<(usize, (u8, u8, u8))>, u8);

/// How a generated policy combines its rules.
#[derive(Clone, Copy, Debug)]
enum Hit {
    Unique,
    FirstMatch,
    /// A priority over the four decisions, in the order given by a draw.
    Priority(u8),
}

fn hits() -> impl Strategy<Value = Hit> {
    prop_oneof![
        Just(Hit::Unique),
        Just(Hit::FirstMatch),
        any::<u8>().prop_map(Hit::Priority),
    ]
}

fn policy_text(facts: &[FactSpec], rules: &[RuleSpec], hit: Hit, block: bool) -> String {
    let mut text = String::from("policy random\n");
    if let Hit::Priority(order) = hit {
        // One of the 24 orders of the four decisions.
        let mut decisions = vec!["allow", "deny", "out-a", "out-b"];
        let mut order = order as usize;
        let mut line = Vec::new();
        while !decisions.is_empty() {
            line.push(decisions.remove(order % decisions.len()));
            order /= 4;
        }
        text.push_str(&format!("priority {}\n", line.join(" > ")));
    }
    if matches!(hit, Hit::FirstMatch) {
        text.push_str("first match\n");
    }
    text.push_str("outcome out-a\noutcome out-b \"b\"\n");
    for fact in facts {
        text.push_str(&declaration(fact));
    }
    // Optionally wrap the rules in a `when` block sharing the first rule's
    // first condition.
    let shared = rules
        .first()
        .and_then(|(conds, _)| conds.first())
        .filter(|_| block)
        .map(|(f, pick)| condition(&facts[*f % facts.len()], *pick));
    if let Some(shared) = &shared {
        text.push_str(&format!("when {shared} {{\n"));
    }
    for (i, (conds, v)) in rules.iter().enumerate() {
        let words: Vec<String> = conds
            .iter()
            .map(|(f, pick)| condition(&facts[*f % facts.len()], *pick))
            .collect();
        // Put the verdict among the conditions, as authors do; name some
        // rules (names change nothing a rule decides).
        let at = (*v as usize / 4) % (words.len() + 1);
        let mut line = if v % 3 == 0 {
            format!("rule-{i}: ")
        } else {
            String::new()
        };
        line.push_str(&words[..at].join(" "));
        line.push(' ');
        line.push_str(verdict(*v));
        line.push(' ');
        line.push_str(&words[at..].join(" "));
        text.push_str(line.trim());
        text.push('\n');
    }
    if shared.is_some() {
        text.push_str("}\n");
    }
    text
}

/// A value for a fact: often valid, sometimes missing, sometimes invalid.
fn fact_value(fact: &FactSpec, pick: u8) -> Option<Value> {
    match pick % 10 {
        0 => None,
        1 => Some(Value::Null),
        2 => Some(json!("bogus")),
        3 => Some(json!([1])),
        _ => Some(match &fact.kind {
            FactKind::Enum(values, _) => json!(values[pick as usize % values.len()]),
            FactKind::Bool => json!(pick.is_multiple_of(2)),
            FactKind::Number => {
                let xs = [-1.0, 0.0, 0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.5];
                json!(xs[pick as usize % xs.len()])
            }
            FactKind::String => {
                json!(["a", "b", "c", "d", "", "ab", "aba", "ba", "cab"][pick as usize % 9])
            }
            // A subset of the values, by the bits of the pick; sometimes
            // an item that is not one of them.
            FactKind::Set(values) => {
                let mut items: Vec<Value> = values
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| pick >> (i + 4) & 1 == 1)
                    .map(|(_, v)| json!(v))
                    .collect();
                if pick % 16 == 5 {
                    items.push(json!("stranger"));
                }
                Value::Array(items)
            }
        }),
    }
}

fn facts_object(facts: &[FactSpec], picks: &[u8]) -> Value {
    let mut inner = Map::new();
    for (fact, pick) in facts.iter().zip(picks) {
        if let Some(value) = fact_value(fact, *pick) {
            inner.insert(fact.name.clone(), value);
        }
    }
    json!({ "in": inner })
}

fn rule_specs() -> impl Strategy<Value = Vec<RuleSpec>> {
    let cond = (0usize..4, (any::<u8>(), any::<u8>(), any::<u8>()));
    prop::collection::vec((prop::collection::vec(cond, 0..4), any::<u8>()), 1..8)
}

proptest! {
    #![proptest_config(ProptestConfig {
        // 10,000 random policies in CI (24 facts objects each); set
        // VERDICT_CASES=1000000 for the long run.
        cases: std::env::var("VERDICT_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(10_000),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn tree_decides_as_rules_do(
        facts in fact_specs(),
        rules in rule_specs(),
        hit in hits(),
        block in any::<bool>(),
        inputs in prop::collection::vec(prop::collection::vec(any::<u8>(), 4), 24),
    ) {
        let text = policy_text(&facts, &rules, hit, block);
        let set = match PolicySet::from_sources([("random.policy", text.clone())]) {
            Ok(set) => set,
            Err(report) => {
                // Only conflicts may reject a generated policy.
                let rendered = report.render(100);
                prop_assert!(
                    report.problems().iter().filter(|p| p.is_error()).all(|p| {
                        matches!(p, verdict::Problem::Check(verdict::CheckError::Conflict { .. }))
                    }),
                    "unexpected errors for\n{text}\n{rendered}"
                );
                prop_assert!(
                    matches!(hit, Hit::Unique),
                    "only unique policies can conflict\n{text}\n{rendered}"
                );
                if std::env::var("VERDICT_PROPTEST_STATS").is_ok() {
                    eprintln!("STAT rejected");
                }
                return Ok(());
            }
        };
        let inputs: Vec<Value> = inputs.iter().map(|picks| facts_object(&facts, picks)).collect();
        let outcomes = match reference::check(&set, &inputs) {
            Ok(outcomes) => outcomes,
            Err(why) => return Err(TestCaseError::fail(format!("{why}\npolicy:\n{text}"))),
        };
        if std::env::var("VERDICT_PROPTEST_STATS").is_ok() {
            for outcome in outcomes {
                eprintln!("STAT {}", match outcome {
                    Outcome::Rule => "rule",
                    Outcome::Otherwise => "none",
                    Outcome::Undecided => "error",
                });
            }
        }
    }
}

/// A condition that may be a group: written in a rule, and multiplied out
/// by [`expand`], independently of the checker.
#[derive(Clone, Debug)]
enum Cond {
    Leaf(usize, (u8, u8, u8)),
    /// Alternatives, each conditions that all hold.
    Group(Vec<Vec<Cond>>),
    Not(Box<Cond>),
}

fn conds() -> impl Strategy<Value = Cond> {
    let leaf = (0usize..4, (any::<u8>(), any::<u8>(), any::<u8>()))
        .prop_map(|(fact, pick)| Cond::Leaf(fact, pick));
    leaf.prop_recursive(2, 12, 3, |inner| {
        prop_oneof![
            prop::collection::vec(prop::collection::vec(inner.clone(), 1..3), 1..4)
                .prop_map(Cond::Group),
            inner.prop_map(|c| Cond::Not(Box::new(c))),
        ]
    })
}

fn written(facts: &[FactSpec], cond: &Cond) -> String {
    match cond {
        Cond::Leaf(f, pick) => condition(&facts[*f % facts.len()], *pick),
        Cond::Group(alternatives) => {
            let alternatives: Vec<String> = alternatives
                .iter()
                .map(|alt| {
                    alt.iter()
                        .map(|c| written(facts, c))
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect();
            format!("({})", alternatives.join(" or "))
        }
        Cond::Not(inner) => format!("not {}", written(facts, inner)),
    }
}

/// Every pairing of a clause of `a` with one of `b`.
fn and(a: Vec<Vec<String>>, b: &[Vec<String>]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for x in &a {
        for y in b {
            out.push(x.iter().chain(y).cloned().collect());
        }
    }
    out
}

/// `cond` (negated when `negate`) as alternatives of conditions without
/// groups.
fn expand(facts: &[FactSpec], cond: &Cond, negate: bool) -> Vec<Vec<String>> {
    match cond {
        Cond::Leaf(..) => {
            let text = written(facts, cond);
            vec![vec![if negate { format!("not {text}") } else { text }]]
        }
        Cond::Not(inner) => expand(facts, inner, !negate),
        Cond::Group(alternatives) if !negate => alternatives
            .iter()
            .flat_map(|alt| {
                alt.iter().fold(vec![Vec::new()], |clauses, c| {
                    and(clauses, &expand(facts, c, false))
                })
            })
            .collect(),
        Cond::Group(alternatives) => alternatives.iter().fold(vec![Vec::new()], |clauses, alt| {
            let any_fails: Vec<Vec<String>> =
                alt.iter().flat_map(|c| expand(facts, c, true)).collect();
            and(clauses, &any_fails)
        }),
    }
}

type GroupedRule = (Vec<Cond>, u8);

fn grouped_policy(facts: &[FactSpec], hit: Hit, rules: &[Vec<String>]) -> String {
    let mut text = policy_text(facts, &[], hit, false);
    for (i, line) in rules.iter().enumerate() {
        text.push_str(&format!("r{i}: {}\n", line.join(" ")));
    }
    text
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("VERDICT_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(3_000),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn groups_decide_as_their_expansion(
        facts in fact_specs(),
        rules in prop::collection::vec((prop::collection::vec(conds(), 0..3), any::<u8>()), 1..5),
        hit in hits(),
        inputs in prop::collection::vec(prop::collection::vec(any::<u8>(), 4), 24),
    ) {
        let rules: Vec<GroupedRule> = rules;
        let grouped: Vec<Vec<String>> = rules
            .iter()
            .map(|(conds, v)| {
                let mut line: Vec<String> = conds.iter().map(|c| written(&facts, c)).collect();
                line.push(verdict(*v).to_string());
                line
            })
            .collect();
        let mut expanded: Vec<Vec<String>> = Vec::new();
        for (conds, v) in &rules {
            let clauses = conds
                .iter()
                .fold(vec![Vec::new()], |clauses, c| and(clauses, &expand(&facts, c, false)));
            prop_assume!(clauses.len() <= 64);
            for mut clause in clauses {
                clause.push(verdict(*v).to_string());
                expanded.push(clause);
            }
        }
        let grouped_text = grouped_policy(&facts, hit, &grouped);
        let expanded_text = grouped_policy(&facts, hit, &expanded);
        let load = |text: &str| PolicySet::from_sources([("random.policy", text.to_string())]);
        let (with_groups, without) = match (load(&grouped_text), load(&expanded_text)) {
            (Ok(a), Ok(b)) => (a, b),
            (Err(a), Err(b)) => {
                // Both conflict, or both have the same other errors.
                let codes = |r: &verdict::Report| {
                    let mut codes: Vec<String> = r.problems().iter().filter(|p| p.is_error())
                        .filter_map(|p| miette::Diagnostic::code(p).map(|c| c.to_string()))
                        .collect();
                    codes.sort();
                    codes.dedup();
                    codes
                };
                prop_assert_eq!(codes(&a), codes(&b), "{}\n{}", grouped_text, expanded_text);
                return Ok(());
            }
            (a, b) => {
                return Err(TestCaseError::fail(format!(
                    "one loads, the other does not:\n{grouped_text}\n{:?}\n{expanded_text}\n{:?}",
                    a.err().map(|r| r.render(100)),
                    b.err().map(|r| r.render(100)),
                )));
            }
        };
        let inputs: Vec<Value> = inputs.iter().map(|picks| facts_object(&facts, picks)).collect();
        if let Err(why) = reference::check(&with_groups, &inputs) {
            return Err(TestCaseError::fail(format!("{why}\npolicy:\n{grouped_text}")));
        }
        for input in &inputs {
            let a = with_groups.decide(input).map(|d| d[0].decision.to_string());
            let b = without.decide(input).map(|d| d[0].decision.to_string());
            match (a, b) {
                (Ok(a), Ok(b)) => prop_assert_eq!(a, b, "{}\n{}\n{}", input, grouped_text, expanded_text),
                // A group's clauses are one rule: where the expansion's
                // rules of one decision differ, the group still decides.
                (Ok(_), Err(_)) => {}
                (Err(a), Ok(b)) => {
                    return Err(TestCaseError::fail(format!(
                        "only the grouped policy fails on {input}: {}\ndecision {b}\n{grouped_text}\n{expanded_text}",
                        a.render(100)
                    )));
                }
                (Err(_), Err(_)) => {}
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("VERDICT_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(2_000),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// `has`, `has any of`, `has all of` and `has none of` decide as the
    /// arrays themselves say, checked against a direct reading of the JSON
    /// (not the reference evaluator, which shares the checker's model).
    #[test]
    fn set_tests_decide_as_arrays_do(
        tests in prop::collection::vec((0u8..4, prop::collection::vec(0usize..4, 0..3), any::<bool>()), 1..4),
        arrays in prop::collection::vec(prop::collection::vec(0usize..5, 0..5), 12),
    ) {
        let values = ["a", "b", "c", "d"];
        let mut conditions = Vec::new();
        for (quantifier, picked, negated) in &tests {
            let listed: Vec<&str> = picked.iter().map(|i| values[*i]).collect();
            let set = format!("{{{}}}", listed.join(" "));
            let not = if *negated { "not " } else { "" };
            conditions.push(match quantifier {
                0 if !listed.is_empty() => format!("{not}tags has {}", listed[0]),
                0 | 1 => format!("{not}tags has any of {set}"),
                2 => format!("{not}tags has all of {set}"),
                _ => format!("{not}tags has none of {set}"),
            });
        }
        let text = format!(
            "policy sets\nfirst match\notherwise deny\nfact tags: set of {{a b c d e}} at tags\n{} can\n",
            conditions.join(" ")
        );
        let set = PolicySet::from_sources([("sets.policy", text.clone())]).map_err(|r| TestCaseError::fail(r.render(100)))?;
        for array in &arrays {
            let items: Vec<&str> = array.iter().map(|i| ["a", "b", "c", "d", "e"][*i]).collect();
            let holds = tests.iter().all(|(quantifier, picked, negated)| {
                let listed: Vec<&str> = picked.iter().map(|i| values[*i]).collect();
                let has = |v: &&str| items.contains(v);
                let result = match quantifier {
                    0 if !listed.is_empty() => has(&listed[0]),
                    0 | 1 => listed.iter().any(has),
                    2 => listed.iter().all(has),
                    _ => !listed.iter().any(has),
                };
                result != *negated
            });
            let facts = json!({ "tags": items });
            let decided = set.decide(&facts).map_err(|r| TestCaseError::fail(r.render(100)))?;
            prop_assert_eq!(decided[0].decision, if holds { "allow" } else { "deny" }, "{}\n{}", text, facts);
        }
    }
}

/// A condition of a random policy over related facts: a relation between
/// two facts, or a test of one against a constant.
fn related_condition(pick: (u8, u8, u8)) -> String {
    let (form, a, b) = pick;
    let not = if form % 7 == 6 { "not " } else { "" };
    let texts = ["s0", "s1", "s2"];
    let numbers = ["n0", "n1"];
    let op = ["=", "!=", "<", "<=", ">", ">="][b as usize % 6];
    match form % 4 {
        0 => {
            let (x, y) = (
                texts[a as usize % 3],
                texts[(a as usize / 3 + 1 + a as usize) % 3],
            );
            let op = if b % 2 == 0 { "=" } else { "!=" };
            format!("{not}{x} {op} {y}")
        }
        1 => format!("{not}n0 {op} n1"),
        2 => {
            let x = texts[a as usize % 3];
            let value = ["a", "b", "c"][b as usize % 3];
            if x == "s1" {
                format!("{not}s1 = {value}")
            } else {
                format!("{not}{x} = \"{value}\"")
            }
        }
        _ => format!("{not}{} {op} {}", numbers[a as usize % 2], b % 3),
    }
}

/// A rule over related facts: its conditions' draws and its verdict's.
type RelatedRule = (Vec<(u8, u8, u8)>, u8);

const RELATED_FACTS: &str = "fact s0: string at in.s0 optional\nfact s1: {a b c} at in.s1\nfact s2: string at in.s2\nfact n0: number at in.n0\nfact n1: number at in.n1 optional\n";

fn related_policy(rules: &[RelatedRule], hit: Hit) -> (String, Vec<String>) {
    let mut text = policy_text(&[], &[], hit, false);
    text.push_str(RELATED_FACTS);
    let mut lines = Vec::new();
    for (conditions, v) in rules {
        let words: Vec<String> = conditions.iter().map(|c| related_condition(*c)).collect();
        let line = format!("{} {}", words.join(" "), verdict(*v));
        text.push_str(&line);
        text.push('\n');
        lines.push(line);
    }
    (text, lines)
}

fn related_facts(picks: &[u8]) -> Value {
    let mut inner = Map::new();
    for (i, name) in ["s0", "s1", "s2"].iter().enumerate() {
        let pick = picks[i];
        if !pick.is_multiple_of(5) || *name == "s1" || *name == "s2" {
            inner.insert(name.to_string(), json!(["a", "b", "c"][pick as usize % 3]));
        }
    }
    for (i, name) in ["n0", "n1"].iter().enumerate() {
        let pick = picks[3 + i];
        if !pick.is_multiple_of(5) || *name == "n0" {
            inner.insert(name.to_string(), json!(pick % 4));
        }
    }
    json!({ "in": inner })
}

/// Checks a random policy over tied facts (`declarations` then one rule per
/// line of `lines`, each with its verdict): it decides `inputs` as
/// rule-by-rule evaluation does, and every witness it shows is real: a
/// conflict's facts make rules of different decisions match when evaluated
/// (each rule alone), and a gap's facts are decided by no rule.
fn decides_as_rules_do_and_witnesses_are_real(
    text: &str,
    declarations: &str,
    lines: &[(String, &'static str)],
    hit: Hit,
    inputs: &[Value],
) -> Result<(), TestCaseError> {
    let alone: Vec<(PolicySet, &'static str)> = lines
        .iter()
        .filter_map(|(line, verdict)| {
            let single = format!("policy single\nfirst match\noutcome out-a\noutcome out-b \"b\"\n{declarations}{line}\n");
            PolicySet::from_sources([("single.policy", single)]).ok().map(|s| (s, *verdict))
        })
        .collect();
    let matches = |facts: &Value| -> Vec<&'static str> {
        alone
            .iter()
            .filter(|(set, _)| set.decide(facts).is_ok_and(|d| d[0].rule.is_some()))
            .map(|(_, v)| *v)
            .collect()
    };
    let set = match PolicySet::from_sources([("random.policy", text)]) {
        Ok(set) => set,
        Err(report) => {
            prop_assert!(matches!(hit, Hit::Unique), "{}", report.render(100));
            for problem in report.problems().iter().filter(|p| p.is_error()) {
                let verdict::Problem::Check(verdict::CheckError::Conflict { help, .. }) = problem
                else {
                    return Err(TestCaseError::fail(format!(
                        "unexpected error for\n{text}\n{}",
                        report.render(100)
                    )));
                };
                for witness in shown_facts(help) {
                    let matched = matches(&witness);
                    let first = matched.first().copied();
                    prop_assert!(
                        matched.iter().any(|v| Some(*v) != first),
                        "the witness {} of a conflict matches {:?} only\n{}",
                        witness,
                        matched,
                        text
                    );
                }
            }
            return Ok(());
        }
    };
    if let Err(why) = reference::check(&set, inputs) {
        return Err(TestCaseError::fail(format!("{why}\npolicy:\n{text}")));
    }
    for policy in set.policies() {
        let Some(verdict::CheckError::Gaps { help, .. }) = policy.gaps() else {
            continue;
        };
        for example in shown_facts(&help) {
            let decided = set.decide(&example).map_err(|r| {
                TestCaseError::fail(format!("{example}: {}\n{text}", r.render(100)))
            })?;
            prop_assert!(
                decided[0].rule.is_none(),
                "the gap example {} is decided by {:?}\n{}",
                example,
                decided[0].rule,
                text
            );
        }
    }
    Ok(())
}

/// The JSON objects a diagnostic's help shows as examples or witnesses.
fn shown_facts(help: &str) -> Vec<Value> {
    help.lines()
        .filter_map(|line| {
            let start = line.find('{')?;
            serde_json::from_str(line.get(start..)?).ok()
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("VERDICT_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(2_000),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Policies that relate facts decide as rule-by-rule evaluation does,
    /// and every witness they show is real: a conflict's facts make rules
    /// of different decisions match when evaluated, and a gap's facts are
    /// decided by no rule.
    #[test]
    fn relations_decide_as_rules_do_and_witnesses_are_real(
        rules in prop::collection::vec((prop::collection::vec((any::<u8>(), any::<u8>(), any::<u8>()), 1..4), any::<u8>()), 1..5),
        hit in hits(),
        inputs in prop::collection::vec(prop::collection::vec(any::<u8>(), 5), 24),
    ) {
        let (text, lines) = related_policy(&rules, hit);
        let lines: Vec<(String, &'static str)> =
            lines.into_iter().zip(&rules).map(|(line, (_, v))| (line, verdict(*v))).collect();
        let inputs: Vec<Value> = inputs.iter().map(|picks| related_facts(picks)).collect();
        decides_as_rules_do_and_witnesses_are_real(&text, RELATED_FACTS, &lines, hit, &inputs)?;
    }
}

/// A condition of a random policy over times: dates, datetimes and a
/// duration compared with constants and with each other (moved by an
/// offset, or `within` a distance), and the time of day and weekday of a
/// datetime in Berlin. The constants sit on days in a row and around the
/// night Berlin moves its clocks forward (2026-03-29, 01:00 UTC), where
/// classes of values can be empty or tied.
fn time_condition(pick: (u8, u8, u8)) -> String {
    let (form, a, b) = pick;
    let not = if form % 7 == 6 { "not " } else { "" };
    let op = ["=", "!=", "<", "<=", ">", ">=", "before", "after"][b as usize % 8];
    let days = a % 3;
    match form % 9 {
        0 => format!("{not}d0 {op} d1"),
        1 => format!(
            "{not}d0 {op} d1 {} {days} days",
            if a % 2 == 0 { "+" } else { "-" }
        ),
        2 => format!("{not}d0 {op} 2026-03-0{}", 1 + a % 3),
        3 => format!("{not}d0 within {days} days of d1"),
        4 => format!("{not}t0 {op} t1 + {} hours", a % 4),
        5 => format!(
            "{not}t0 {op} 2026-03-29T0{}:00:00Z",
            [0, 1, 2][a as usize % 3]
        ),
        6 => format!("{not}u {op} {} hours", a % 3),
        7 => format!("{not}c {op} 0{}:30", 1 + a % 3),
        _ => match a % 3 {
            0 => format!("{not}w in {{saturday sunday}}"),
            1 => format!("{not}w {op} saturday"),
            _ => format!("{not}t0 within {} hours of t1", b % 3),
        },
    }
}

const TIME_FACTS: &str = "fact d0: date at in.d0\nfact d1: date at in.d1 optional\nfact t0: datetime at in.t0\nfact t1: datetime at in.t1\nfact u: duration at in.u optional\nfact c: time of day of t0 in \"Europe/Berlin\"\nfact w: weekday of t0 in \"Europe/Berlin\"\n";

fn time_facts(picks: &[u8]) -> Value {
    let mut inner = Map::new();
    let date = |p: u8| format!("2026-03-0{}", 1 + p % 5);
    let instant = |p: u8| {
        format!(
            "2026-03-{}T0{}:{}:00Z",
            28 + p % 2,
            p / 2 % 4,
            ["00", "30"][p as usize / 8 % 2]
        )
    };
    inner.insert("d0".into(), json!(date(picks[0])));
    if !picks[1].is_multiple_of(5) {
        inner.insert("d1".into(), json!(date(picks[1] / 5)));
    }
    inner.insert("t0".into(), json!(instant(picks[2])));
    inner.insert("t1".into(), json!(instant(picks[3])));
    if !picks[4].is_multiple_of(4) {
        inner.insert("u".into(), json!(format!("PT{}H", picks[4] % 4)));
    }
    json!({ "in": inner })
}

proptest! {
    // A random seed unless `VERDICT_TIME_SEED` gives one, to replay a
    // failure. (The seed was fixed while the search for facts among
    // related times parsed every candidate on every step: some seeds took
    // minutes. It now reads each candidate once and counts its steps.)
    #![proptest_config(ProptestConfig {
        cases: std::env::var("VERDICT_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(160),
        failure_persistence: None,
        rng_seed: std::env::var("VERDICT_TIME_SEED")
            .ok()
            .and_then(|n| n.parse().ok())
            .map_or(proptest::test_runner::RngSeed::Random, proptest::test_runner::RngSeed::Fixed),
        ..ProptestConfig::default()
    })]

    /// Policies over times decide as rule-by-rule evaluation does, and
    /// every witness they show is real: a conflict's facts make rules of
    /// different decisions match when evaluated (dates really 15 days
    /// apart, an instant that really is a Saturday morning in Berlin), and
    /// a gap's facts are decided by no rule.
    #[test]
    fn times_decide_as_rules_do_and_witnesses_are_real(
        rules in prop::collection::vec((prop::collection::vec((any::<u8>(), any::<u8>(), any::<u8>()), 1..4), any::<u8>()), 1..5),
        hit in hits(),
        inputs in prop::collection::vec(prop::collection::vec(any::<u8>(), 5), 24),
    ) {
        let mut text = policy_text(&[], &[], hit, false);
        text.push_str(TIME_FACTS);
        let mut lines = Vec::new();
        for (conditions, v) in &rules {
            let words: Vec<String> = conditions.iter().map(|c| time_condition(*c)).collect();
            let line = format!("{} {}", words.join(" "), verdict(*v));
            text.push_str(&line);
            text.push('\n');
            lines.push((line, verdict(*v)));
        }
        let inputs: Vec<Value> = inputs.iter().map(|picks| time_facts(picks)).collect();
        decides_as_rules_do_and_witnesses_are_real(&text, TIME_FACTS, &lines, hit, &inputs)?;
    }
}
