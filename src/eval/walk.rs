//! The full walk: over a `serde_json::Value`, recording the facts it reads
//! when a trace is asked for. A fact that is missing (and required) or
//! whose value does not fit its declaration is *unknown*; the walk then
//! explores every edge of the node that tests it and decides only if all
//! of them reach the same rule (see the module documentation of `eval`).

use std::collections::HashMap;

use serde_json::Value;

use super::unknown::{unknown_errors, Possible};
use super::{Step, Walked};
use crate::compile::{DecisionTree, Node, NodeId, RuleScan};
use crate::diagnostics::FactsError;
use crate::facts::{json_kind, read, Read, Unknown};
use crate::model::{Atom, FactId};

/// The rule that decides for `facts` (`None`: the policy's `otherwise`),
/// and with `trace` the facts read on the way; on failure, one error per
/// unknown fact the decision depends on.
pub fn walk(tree: &DecisionTree, facts: &Value, trace: bool) -> Result<Walked, Vec<FactsError>> {
    if !facts.is_object() {
        return Err(vec![FactsError::NotObject {
            found: json_kind(facts),
            span: None,
        }]);
    }
    if let Some(scan) = &tree.scan {
        return scan_walk(tree, scan, facts, trace);
    }
    let mut steps = Vec::new();
    let mut node = tree.root;
    loop {
        match tree.node(node) {
            Some(Node::Test { fact, edges }) => match read(&tree.policy, *fact, facts, trace) {
                Read::Atom(atom, value) => {
                    if trace {
                        steps.push(Step {
                            fact: *fact,
                            value,
                            atom,
                        });
                    }
                    match edges.get(atom as usize) {
                        Some(next) => node = *next,
                        // Edges cover the domain; were one missing, the
                        // slow path reports that no decision was reached.
                        None => return unknown_walk(tree, node, facts, steps),
                    }
                }
                Read::Unknown(_) => return unknown_walk(tree, node, facts, steps),
            },
            Some(Node::Leaf(rule)) => {
                return Ok(Walked {
                    rule: *rule,
                    trace: steps,
                })
            }
            None => break,
        }
    }
    Ok(Walked {
        rule: None,
        trace: steps,
    })
}

/// The slow path: some fact below `node` is unknown.
fn unknown_walk(
    tree: &DecisionTree,
    node: NodeId,
    facts: &Value,
    steps: Vec<Step>,
) -> Result<Walked, Vec<FactsError>> {
    let mut memo = HashMap::new();
    let possible = possible(tree, node, facts, &mut memo);
    match possible.results.as_slice() {
        [rule] => Ok(Walked {
            rule: *rule,
            trace: steps,
        }),
        _ => Err(unknown_errors(tree, &possible)),
    }
}

/// Every decision reachable from `node` over all values of the unknown facts.
fn possible(
    tree: &DecisionTree,
    node: NodeId,
    facts: &Value,
    memo: &mut HashMap<NodeId, Possible>,
) -> Possible {
    if let Some(known) = memo.get(&node) {
        return known.clone();
    }
    let result = match tree.node(node) {
        None => Possible::default(),
        Some(Node::Leaf(rule)) => Possible {
            results: vec![*rule],
            culprits: Vec::new(),
        },
        Some(Node::Test { fact, edges }) => match read(&tree.policy, *fact, facts, false) {
            Read::Atom(atom, _) => match edges.get(atom as usize) {
                Some(next) => possible(tree, *next, facts, memo),
                None => Possible::default(),
            },
            Read::Unknown(why) => {
                let mut all = Possible::default();
                let mut seen: Vec<NodeId> = Vec::new();
                for edge in edges.iter() {
                    if seen.contains(edge) {
                        continue;
                    }
                    seen.push(*edge);
                    all.merge(possible(tree, *edge, facts, memo));
                }
                if all.results.len() > 1 {
                    all.culprits.insert(0, (*fact, why));
                }
                all
            }
        },
    };
    memo.insert(node, result.clone());
    result
}

/// Evaluation without a tree: the first rule whose conditions on the
/// known facts hold decides, if it does not depend on an unknown fact.
fn scan_walk(
    tree: &DecisionTree,
    scan: &RuleScan,
    facts: &Value,
    trace: bool,
) -> Result<Walked, Vec<FactsError>> {
    let policy = &tree.policy;
    let mut known: Vec<Option<Result<Atom, Unknown>>> = vec![None; policy.facts.len()];
    let mut steps = Vec::new();
    let mut value = |fact: FactId| -> Option<Atom> {
        let slot = known.get_mut(fact.0 as usize)?;
        if slot.is_none() {
            *slot = Some(match read(policy, fact, facts, trace) {
                Read::Atom(atom, value) => {
                    if trace {
                        steps.push(Step { fact, value, atom });
                    }
                    Ok(atom)
                }
                Read::Unknown(why) => Err(why),
            });
        }
        slot.as_ref().and_then(|r| r.as_ref().ok()).copied()
    };
    let Some(first) = scan.first_match(&mut value, None) else {
        return Ok(Walked {
            rule: None,
            trace: steps,
        });
    };
    let rule = scan.rules.get(first).copied();
    // Unknown facts the rule tests partly: their value decides.
    let culprits: Vec<(FactId, Unknown)> = rule
        .and_then(|r| policy.rule(r))
        .map(|r| {
            r.conditions
                .iter()
                .filter(|(_, set)| !set.is_full())
                .filter_map(|(fact, _)| match known.get(fact.0 as usize) {
                    Some(Some(Err(why))) => Some((*fact, why.clone())),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    if culprits.is_empty() {
        return Ok(Walked { rule, trace: steps });
    }
    let next = {
        let known = &known;
        let value = |fact: FactId| -> Option<Atom> {
            known
                .get(fact.0 as usize)
                .and_then(|k| k.as_ref())
                .and_then(|r| r.as_ref().ok())
                .copied()
        };
        scan.first_match(value, Some(first))
            .and_then(|i| scan.rules.get(i).copied())
    };
    let possible = Possible {
        results: vec![rule, next],
        culprits,
    };
    Err(unknown_errors(tree, &possible))
}

/// The nodes a walk over complete facts visits, root first and the leaf
/// last; `None` when a fact the walk needs is unknown, or when the
/// policy has no tree.
pub(crate) fn route(tree: &DecisionTree, facts: &Value) -> Option<Vec<NodeId>> {
    if tree.scan.is_some() {
        return None;
    }
    let mut route = vec![tree.root];
    let mut node = tree.root;
    while let Some(Node::Test { fact, edges }) = tree.node(node) {
        match read(&tree.policy, *fact, facts, false) {
            Read::Atom(atom, _) => node = *edges.get(atom as usize)?,
            Read::Unknown(_) => return None,
        }
        route.push(node);
    }
    Some(route)
}
