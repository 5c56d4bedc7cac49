//! Rule-by-rule evaluation, the oracle every evaluator is checked against:
//! classify each fact on its own, enumerate every value of the facts that
//! are unknown, and scan the rules in order. [`check`] holds a loaded set
//! and facts to it: the decision tree, the rule scan that replaces a tree
//! too large to build, the tree built in two halves, and each way a caller
//! decides (`decide`, `decide_json`, `decide_serialize`) must all agree
//! with it, and a unique policy that loaded must have no facts that two
//! rules of different verdicts match.

use serde_json::Value;

use crate::compile;
use crate::eval;
use crate::model::{
    Atom, CheckedPolicy, CheckedRule, Fact, FactId, FactType, HitPolicy, Presence, Relation,
    RelationOp, RuleId,
};
use crate::policy_set::{Decisions, PolicySet};

/// What one input got, for statistics over many random runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A rule decided.
    Rule,
    /// No rule applied: the policy's `otherwise`.
    Otherwise,
    /// The facts did not decide (missing or invalid where it matters).
    Undecided,
}

/// Checks every policy of `set` on every input (see the module
/// documentation); `Err` describes the first disagreement.
pub fn check(set: &PolicySet, inputs: &[Value]) -> Result<Vec<Outcome>, String> {
    let mut outcomes = Vec::new();
    for (index, tree) in set.built_trees().iter().enumerate() {
        let policy = &tree.policy;
        let scan = compile::compile_without_tree(policy);
        let halves = compile::compile_split_at_root(policy);
        if halves.flat != tree.flat {
            return Err(String::from(
                "the tree built in two halves differs from the one builder's",
            ));
        }
        if policy.hit == HitPolicy::Unique {
            at_most_one_verdict(policy)?;
        }
        compile::searched_as_built(tree, 20_000)?;
        compile::nodes_as_built(tree)?;
        for input in inputs {
            let expected = reference(policy, input);
            let location = |rule: Option<RuleId>| {
                rule.and_then(|r| policy.rule(r))
                    .map(|r| r.location.clone())
            };
            let expected_location = expected.map(location);
            let agree = |what: &str, got: Result<Option<RuleId>, ()>| {
                if got == expected {
                    Ok(())
                } else {
                    Err(format!(
                        "{what}: {got:?}, the rules say {expected:?}; facts: {input}"
                    ))
                }
            };
            agree("tree", eval::decide(tree, input).map_err(|_| ()))?;
            agree("rule scan", eval::decide(&scan, input).map_err(|_| ()))?;
            let by_set = |what: &str, got: Result<Option<String>, ()>| {
                if got == expected_location {
                    Ok(())
                } else {
                    Err(format!(
                        "{what}: {got:?}, the rules say {expected_location:?}; facts: {input}"
                    ))
                }
            };
            let rule_of = |decisions: Decisions<'_>| {
                decisions.get(index).and_then(|d| d.rule).map(String::from)
            };
            by_set("decide", set.decide(input).map(rule_of).map_err(|_| ()))?;
            let text = input.to_string();
            by_set(
                "decide_json",
                set.decide_json("facts.json", &text)
                    .map(rule_of)
                    .map_err(|_| ()),
            )?;
            by_set(
                "decide_serialize",
                set.decide_serialize(input).map(rule_of).map_err(|_| ()),
            )?;
            outcomes.push(match expected {
                Ok(Some(_)) => Outcome::Rule,
                Ok(None) => Outcome::Otherwise,
                Err(()) => Outcome::Undecided,
            });
        }
    }
    Ok(outcomes)
}

/// The reference decision: defined when every completion of the unknown
/// facts reaches the same rule.
fn reference(policy: &CheckedPolicy, facts: &Value) -> Result<Option<RuleId>, ()> {
    let known: Vec<Option<Atom>> = policy
        .facts
        .iter()
        .map(|fact| match &fact.ty {
            FactType::Relation(relation) => relation_atom(policy, fact, relation, facts),
            _ => match value_of(fact, facts)? {
                None => match (&fact.presence, fact.absent_atom()) {
                    (Presence::Default(atom), _) => Some(*atom),
                    (_, Some(absent)) => Some(absent),
                    _ => None,
                },
                Some(value) => fact.classify(value).ok(),
            },
        })
        .collect();
    let unknown: Vec<usize> = (0..known.len())
        .filter(|i| known.get(*i).is_some_and(Option::is_none))
        .collect();
    let counts: Vec<usize> = policy
        .facts
        .iter()
        .map(|f| f.atom_count() as usize)
        .collect();
    let mut atoms: Vec<Atom> = known.iter().map(|a| a.unwrap_or(0)).collect();
    let total: usize = unknown
        .iter()
        .map(|i| counts.get(*i).copied().unwrap_or(1))
        .product();
    let mut results: Vec<Option<RuleId>> = Vec::new();
    for mut combo in 0..total {
        for i in &unknown {
            let n = counts.get(*i).copied().unwrap_or(1).max(1);
            if let Some(atom) = atoms.get_mut(*i) {
                *atom = (combo % n) as Atom;
            }
            combo /= n;
        }
        let first = policy
            .rules_in_order()
            .find(|rule| matches(rule, &atoms))
            .map(|rule| rule.id);
        if !results.contains(&first) {
            results.push(first);
        }
    }
    match results.as_slice() {
        [one] => Ok(*one),
        _ => Err(()),
    }
}

/// The value at a fact's path: `Some(None)` when absent or `null`, `None`
/// when a value on the way is not an object (the fact is unusable).
fn value_of<'v>(fact: &Fact, facts: &'v Value) -> Option<Option<&'v Value>> {
    let mut node = facts;
    for key in &fact.path {
        node = match node {
            Value::Object(map) => map.get(key).unwrap_or(&Value::Null),
            Value::Null => &Value::Null,
            _ => return None,
        };
    }
    Some((!node.is_null()).then_some(node))
}

/// A relation's atom, computed here from its two facts' values: unknown
/// when either is, absent when either is absent (or `None` when the
/// relation cannot be absent), else whether they relate so.
fn relation_atom(
    policy: &CheckedPolicy,
    fact: &Fact,
    relation: &Relation,
    facts: &Value,
) -> Option<Atom> {
    // A side's value: `Some(None)` absent, `None` unknown.
    let side = |id: FactId| -> Option<Option<Value>> {
        let base = policy.fact(id)?;
        match value_of(base, facts)? {
            Some(value) => {
                base.classify(value).ok()?;
                Some(Some(value.clone()))
            }
            None => match &base.presence {
                Presence::Default(atom) => Some(base.representative(*atom)),
                Presence::Optional => Some(None),
                Presence::Required | Presence::Now => None,
            },
        }
    };
    let (left, right) = (side(relation.left)?, side(relation.right)?);
    let (Some(left), Some(right)) = (left, right) else {
        return fact.absent_atom();
    };
    // Times compare as numbers of their unit, moved by the offset.
    let number = |v: &Value| match (relation.time, v) {
        (Some(kind), Value::String(text)) => kind.parse(text),
        (_, v) => v.as_f64(),
    };
    let equal = |a: &Value, b: &Value| match (number(a), number(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    };
    let pair = number(&left).zip(number(&right));
    let by = relation.offset;
    let holds = match relation.op {
        RelationOp::Eq if by == 0.0 => equal(&left, &right),
        RelationOp::Eq => pair.is_some_and(|(x, y)| x == y + by),
        RelationOp::Lt => pair.is_some_and(|(x, y)| x < y + by),
        RelationOp::Le => pair.is_some_and(|(x, y)| x <= y + by),
        RelationOp::Within => pair.is_some_and(|(x, y)| x - y <= by && y - x <= by),
        RelationOp::In => right
            .as_array()
            .is_some_and(|items| items.iter().any(|item| equal(&left, item))),
    };
    Some(Atom::from(holds))
}

/// In a unique policy that loaded, no facts make rules with different
/// verdicts match: checked over every combination of atoms.
fn at_most_one_verdict(policy: &CheckedPolicy) -> Result<(), String> {
    let counts: Vec<usize> = policy
        .facts
        .iter()
        .map(|f| (f.atom_count() as usize).max(1))
        .collect();
    let total: usize = counts.iter().product();
    let mut atoms = vec![0 as Atom; counts.len()];
    for mut combo in 0..total {
        for (atom, n) in atoms.iter_mut().zip(&counts) {
            *atom = (combo % n) as Atom;
            combo /= n;
        }
        let mut verdicts = policy
            .rules
            .iter()
            .filter(|r| matches(r, &atoms))
            .map(|r| &r.verdict);
        if let Some(first) = verdicts.next() {
            // Relations between facts rule some combinations of atoms out.
            let realizable = || {
                let region: Vec<(FactId, crate::model::AtomSet)> = atoms
                    .iter()
                    .zip(&policy.facts)
                    .enumerate()
                    .map(|(i, (atom, fact))| {
                        (
                            FactId(i as u32),
                            crate::model::AtomSet::from_atoms(fact.atom_count(), [*atom]),
                        )
                    })
                    .collect();
                policy.realize(&region).is_some()
            };
            if let Some(other) = verdicts
                .find(|v| *v != first)
                .filter(|_| !policy.needs_realizing() || realizable())
            {
                return Err(format!(
                    "undetected conflict: {} and {} at atoms {atoms:?}",
                    first.as_str(),
                    other.as_str()
                ));
            }
        }
    }
    Ok(())
}

/// Whether `rule` matches facts given as one atom per fact: one of its
/// clauses has every condition hold.
fn matches(rule: &CheckedRule, atoms: &[Atom]) -> bool {
    rule.clauses.iter().any(|clause| {
        clause.conditions.iter().all(|(fact, set)| {
            atoms
                .get(fact.0 as usize)
                .is_some_and(|atom| set.contains(*atom))
        })
    })
}

/// Whether searching the rules without a tree (what `verdict check` does)
/// finds, for every policy of `set`, the rules that never decide, the rules
/// deciding in their place and the gaps that the set's trees tell.
pub fn searched_as_built(set: &PolicySet) -> Result<(), String> {
    set.built_trees()
        .iter()
        .try_for_each(|tree| compile::searched_as_built(tree, 20_000))
}
