//! Conflicts: in a policy where at most one decision may apply, two rules
//! that can match the same facts and decide differently. Each conflict comes
//! with a witness, a facts object that matches both rules.

use crate::diagnostics::CheckError;
use crate::model::*;

/// Reports every conflict: a set of rules, two or more, that all match some
/// facts and do not all decide the same. Rules that overlap at one place are
/// reported together, with a witness: facts that all of them match.
pub(super) fn find(policy: &CheckedPolicy, out: &mut Vec<CheckError>) {
    let live: Vec<&CheckedRule> = policy.rules.iter().filter(|r| r.is_satisfiable()).collect();
    // Pairs already reported as part of a larger conflict.
    let mut reported: Vec<(RuleId, RuleId)> = Vec::new();
    for (i, first) in live.iter().enumerate() {
        for second in live.iter().skip(i + 1) {
            if first.verdict == second.verdict || reported.contains(&(first.id, second.id)) {
                continue;
            }
            let Some((mut region, mut witness)) = overlap(policy, &[], first, second) else {
                continue;
            };
            // Grow the conflict with every other rule that also matches there.
            let mut group: Vec<&CheckedRule> = vec![first, second];
            for other in &live {
                if group.iter().any(|r| r.id == other.id) {
                    continue;
                }
                if let Some((narrower, facts)) = overlap_with(policy, &region, other) {
                    region = narrower;
                    witness = facts;
                    group.push(other);
                }
            }
            group.sort_by_key(|r| r.id);
            for a in &group {
                for b in &group {
                    if a.id < b.id {
                        reported.push((a.id, b.id));
                    }
                }
            }
            out.push(conflict(policy, &group, &witness));
        }
    }
}

fn conflict(
    policy: &CheckedPolicy,
    group: &[&CheckedRule],
    facts: &serde_json::Value,
) -> CheckError {
    let mut verdicts: Vec<&str> = Vec::new();
    for rule in group {
        if !verdicts.contains(&rule.verdict.as_str()) {
            verdicts.push(rule.verdict.as_str());
        }
    }
    let verdicts = match verdicts.as_slice() {
        [a, b] => format!("one decides `{a}`, another `{b}`"),
        _ => {
            let quoted: Vec<String> = verdicts.iter().map(|v| format!("`{v}`")).collect();
            format!("{} rules decide {}", group.len(), quoted.join(", "))
        }
    };
    let which = if group.len() == 2 {
        "both rules match"
    } else {
        "all of them match"
    };
    CheckError::Conflict {
        verdicts,
        rules: group
            .iter()
            .enumerate()
            .map(|(i, rule)| {
                let text = Some(format!("decides `{}`", rule.verdict.as_str()));
                // The last rule is where the conflict shows: the primary label.
                if i + 1 == group.len() {
                    miette::LabeledSpan::new_primary_with_span(text, rule.span)
                } else {
                    miette::LabeledSpan::new_with_span(text, rule.span)
                }
            })
            .collect(),
        at: group.last().map_or(policy.span, |r| r.span),
        help: format!(
            "{which} {facts}\nmake their conditions exclusive, or declare `first match` so that rule order decides"
        ),
    }
}

/// Where two rules both match, with facts that do: the region of the
/// first pair of their clauses whose overlap some facts realize.
fn overlap(
    policy: &CheckedPolicy,
    region: &[(FactId, AtomSet)],
    first: &CheckedRule,
    second: &CheckedRule,
) -> Option<(Vec<(FactId, AtomSet)>, serde_json::Value)> {
    first.clauses.iter().find_map(|a| {
        let within = intersect(region, &a.conditions)?;
        overlap_with(policy, &within, second)
    })
}

/// Where `region` and one of `rule`'s clauses overlap, with facts there,
/// for its first clause whose overlap some facts realize (relations
/// between facts can rule an overlap out).
fn overlap_with(
    policy: &CheckedPolicy,
    region: &[(FactId, AtomSet)],
    rule: &CheckedRule,
) -> Option<(Vec<(FactId, AtomSet)>, serde_json::Value)> {
    rule.clauses.iter().find_map(|clause| {
        let overlap = intersect(region, &clause.conditions)?;
        let facts = policy.realize(&overlap)?;
        Some((overlap, facts))
    })
}

/// The facts both condition lists allow, as one atom set per fact that
/// either constrains; `None` when no facts satisfy both.
pub(crate) fn intersect(
    a: &[(FactId, AtomSet)],
    b: &[(FactId, AtomSet)],
) -> Option<Vec<(FactId, AtomSet)>> {
    let mut region: Vec<(FactId, AtomSet)> = a.to_vec();
    for (fact, set) in b {
        match region.iter_mut().find(|(f, _)| f == fact) {
            Some((_, existing)) => *existing = existing.intersect(set),
            None => region.push((*fact, set.clone())),
        }
    }
    region.sort_by_key(|(f, _)| *f);
    region
        .iter()
        .all(|(_, set)| !set.is_empty())
        .then_some(region)
}
