//! Conflicts: in a policy where at most one decision may apply, two rules
//! that can match the same facts and decide differently. Each conflict comes
//! with a witness, a facts object that matches both rules.

use super::error::CheckError;
use super::model::*;

/// Reports every pair of conflicting rules.
pub(super) fn find(policy: &CheckedPolicy, out: &mut Vec<CheckError>) {
    let live: Vec<&CheckedRule> = policy.rules.iter().filter(|r| r.is_satisfiable()).collect();
    for (i, first) in live.iter().enumerate() {
        for second in live.iter().skip(i + 1) {
            if first.verdict == second.verdict {
                continue;
            }
            if let Some(witness) = overlap(first, second) {
                let facts = policy.facts_json(&witness);
                out.push(CheckError::Conflict {
                    first_verdict: first.verdict.as_str().to_string(),
                    second_verdict: second.verdict.as_str().to_string(),
                    first: first.span,
                    second: second.span,
                    help: format!(
                        "both rules match {facts}\nmake their conditions exclusive, or declare `first match` so that rule order decides"
                    ),
                });
            }
        }
    }
}

/// One atom per fact that both rules constrain (and that satisfies both),
/// or `None` when no facts match both.
pub(crate) fn overlap(a: &CheckedRule, b: &CheckedRule) -> Option<Vec<(FactId, Atom)>> {
    let mut witness = Vec::new();
    let (mut i, mut j) = (
        a.conditions.iter().peekable(),
        b.conditions.iter().peekable(),
    );
    loop {
        let atom = match (i.peek(), j.peek()) {
            (None, None) => return Some(witness),
            (Some((fa, sa)), Some((fb, sb))) if fa == fb => {
                let atom = (*fa, sa.intersect(sb).first()?);
                i.next();
                j.next();
                atom
            }
            (Some((fa, sa)), Some((fb, _))) if fa < fb => {
                let atom = (*fa, sa.first()?);
                i.next();
                atom
            }
            (Some((fa, sa)), None) => {
                let atom = (*fa, sa.first()?);
                i.next();
                atom
            }
            (_, Some((fb, sb))) => {
                let atom = (*fb, sb.first()?);
                j.next();
                atom
            }
        };
        witness.push(atom);
    }
}
