//! Reduction: a resolved rule's conditions to one set of allowed atoms per
//! fact, with a warning when they contradict each other (the rule can
//! never match).

use super::resolve::{atom_of, Pred, ResolvedRule};
use crate::ast;
use crate::diagnostics::CheckError;
use crate::model::*;
use crate::source::{SourceMap, Span};

/// What a resolved condition allows, as atoms of its fact.
enum Constraint {
    On(FactId, AtomSet),
    Never,
    Always,
}

fn constraint(pred: &Pred, facts: &[Fact]) -> Constraint {
    match pred {
        Pred::Never => Constraint::Never,
        Pred::Not(inner) => match constraint(inner, facts) {
            Constraint::On(id, set) => Constraint::On(id, set.complement()),
            Constraint::Never => Constraint::Always,
            Constraint::Always => Constraint::Never,
        },
        Pred::Is(id, lits) => {
            let Some(fact) = facts.get(id.0 as usize) else {
                return Constraint::Always;
            };
            let atoms = lits.iter().map(|lit| atom_of(&fact.ty, lit));
            Constraint::On(*id, AtomSet::from_atoms(fact.atom_count(), atoms))
        }
        Pred::Cmp(id, op, t) => {
            let Some(fact) = facts.get(id.0 as usize) else {
                return Constraint::Always;
            };
            let atoms = (0..fact.ty.value_atoms()).filter(|atom| {
                let x = fact
                    .representative(*atom)
                    .and_then(|v| v.as_f64())
                    .unwrap_or(f64::NAN);
                op.holds(x, *t)
            });
            Constraint::On(*id, AtomSet::from_atoms(fact.atom_count(), atoms))
        }
        Pred::Rank(id, op, index) => {
            let Some(fact) = facts.get(id.0 as usize) else {
                return Constraint::Always;
            };
            // An enum's atoms are its values in declaration order; absent
            // (the atom after them) compares with nothing.
            let atoms = (0..fact.ty.value_atoms())
                .filter(|atom| op.holds(f64::from(*atom), f64::from(*index)));
            Constraint::On(*id, AtomSet::from_atoms(fact.atom_count(), atoms))
        }
    }
}

/// Reduces a resolved rule to one atom set per fact, warning when the
/// conditions contradict each other.
pub(super) fn reduce(
    id: RuleId,
    rule: &ast::Rule,
    resolved: ResolvedRule,
    facts: &[Fact],
    sources: &SourceMap,
    out: &mut Vec<CheckError>,
) -> CheckedRule {
    let mut conditions: Vec<(FactId, AtomSet)> = Vec::new();
    let mut spans: Vec<Span> = Vec::new();
    let mut never: Option<(Span, Option<Span>)> = None;
    for (pred, span) in &resolved.preds {
        match constraint(pred, facts) {
            Constraint::Always => {}
            Constraint::Never => {
                never.get_or_insert((*span, None));
            }
            Constraint::On(fact, set) => match conditions.iter().position(|(f, _)| *f == fact) {
                Some(i) => {
                    if let (Some((_, existing)), Some(first_span)) =
                        (conditions.get_mut(i), spans.get(i))
                    {
                        let narrowed = existing.intersect(&set);
                        if narrowed.is_empty() && !existing.is_empty() {
                            never.get_or_insert((*span, Some(*first_span)));
                        }
                        *existing = narrowed;
                    }
                }
                None => {
                    if set.is_empty() {
                        never.get_or_insert((*span, None));
                    }
                    conditions.push((fact, set));
                    spans.push(*span);
                }
            },
        }
    }
    if let Some((span, other)) = never {
        let (label, help) = match other {
            Some(_) => (
                "cannot hold together with it",
                String::from("a rule's conditions must all hold at once; these two cannot"),
            ),
            None => (
                "holds for no facts",
                String::from("this condition holds for no facts at all; remove it, or the rule"),
            ),
        };
        out.push(CheckError::NeverMatches {
            span,
            label,
            other,
            help,
        });
        // An unsatisfiable rule keeps an empty condition so later stages skip it.
        if let Some((_, set)) = conditions.first_mut() {
            *set = AtomSet::empty(set.universe());
        } else {
            conditions.push((FactId(0), AtomSet::empty(0)));
            spans.push(span);
        }
    }
    let mut order: Vec<usize> = (0..conditions.len()).collect();
    order.sort_by_key(|i| conditions.get(*i).map(|(f, _)| *f));
    let sorted_conditions = order
        .iter()
        .filter_map(|i| conditions.get(*i).cloned())
        .collect();
    let sorted_spans = order
        .iter()
        .filter_map(|i| spans.get(*i).copied())
        .collect();
    CheckedRule {
        id,
        span: rule.span.0,
        location: sources.location(rule.span.0),
        name: rule.name.as_ref().map(|name| name.node.clone()),
        verdict: resolved.verdict,
        because: rule.because.as_ref().map(|b| b.node.clone()),
        reason: None,
        see: rule.see.iter().map(|s| s.node.clone()).collect(),
        conditions: sorted_conditions,
        condition_spans: sorted_spans,
    }
}
