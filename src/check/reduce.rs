//! Reduction: a resolved rule's conditions to clauses, each one set of
//! allowed atoms per fact, the rule matching when one clause does. Groups
//! (`(A B or C)`) and `not` over them are multiplied out (disjunctive
//! normal form), clauses that can never hold are dropped, and clauses that
//! differ on one fact only are merged. A rule none of whose clauses can
//! hold gets a warning, and so does an alternative of a group that can
//! never hold.

use super::resolve::{atom_of, Pred, ResolvedRule};
use crate::ast::{self, StringEnd};
use crate::diagnostics::CheckError;
use crate::model::*;
use crate::source::{SourceMap, Span};

/// The most clauses a rule may multiply out to. Each is a way the rule can
/// match that the compiler keeps apart: ten groups of two alternatives
/// already make 1,024.
pub(crate) const MAX_CLAUSES: usize = 1_024;

/// The most clauses [`simplify`] compares pairwise.
const SIMPLIFY_UP_TO: usize = 256;

/// What a resolved condition without groups allows, as atoms of its fact.
enum Constraint {
    On(FactId, AtomSet),
    Never,
    Always,
}

impl Constraint {
    fn negate(self) -> Constraint {
        match self {
            Constraint::On(id, set) => Constraint::On(id, set.complement()),
            Constraint::Never => Constraint::Always,
            Constraint::Always => Constraint::Never,
        }
    }
}

/// The constraint of a condition on one fact; `None` for a group.
fn constraint(pred: &Pred, facts: &[Fact]) -> Option<Constraint> {
    Some(match pred {
        Pred::Never => Constraint::Never,
        Pred::Any(_) => return None,
        Pred::Not(inner) => constraint(inner, facts)?.negate(),
        Pred::Is(id, lits) => {
            let Some(fact) = facts.get(id.0 as usize) else {
                return Some(Constraint::Always);
            };
            let atoms = lits.iter().map(|lit| atom_of(&fact.ty, lit));
            Constraint::On(*id, AtomSet::from_atoms(fact.atom_count(), atoms))
        }
        Pred::Cmp(id, op, t) => {
            let Some(fact) = facts.get(id.0 as usize) else {
                return Some(Constraint::Always);
            };
            let number = |atom| fact.ty.atom_number(atom).unwrap_or(f64::NAN);
            Constraint::On(
                *id,
                compared(fact.ty.value_atoms(), fact.atom_count(), number, *op, *t),
            )
        }
        Pred::Affix(id, end, text) => {
            let Some(fact) = facts.get(id.0 as usize) else {
                return Some(Constraint::Always);
            };
            let FactType::String(strings) = &fact.ty else {
                return Some(Constraint::Always);
            };
            let atoms = (0..fact.ty.value_atoms()).filter(|atom| match end {
                StringEnd::Start => strings.starts_with(*atom, text),
                StringEnd::End => strings.ends_with(*atom, text),
            });
            Constraint::On(*id, AtomSet::from_atoms(fact.atom_count(), atoms))
        }
        Pred::Rank(id, op, index) => {
            let Some(fact) = facts.get(id.0 as usize) else {
                return Some(Constraint::Always);
            };
            // An enum's atoms are its values in declaration order; absent
            // (the atom after them) compares with nothing.
            Constraint::On(
                *id,
                compared(
                    fact.ty.value_atoms(),
                    fact.atom_count(),
                    f64::from,
                    *op,
                    f64::from(*index),
                ),
            )
        }
    })
}

/// The atoms among the first `values` (of a fact of `len` atoms) whose
/// number `x OP t` holds for, where `number` never decreases from one atom
/// to the next (a number fact's points and the intervals between them, an
/// ordered enum's ranks): an interval, or all but one, found by binary
/// search rather than by trying every atom.
fn compared(
    values: u32,
    len: u32,
    number: impl Fn(Atom) -> f64,
    op: ast::CompareOp,
    t: f64,
) -> AtomSet {
    use ast::CompareOp;
    let by_trying = || AtomSet::from_atoms(len, (0..values).filter(|a| op.holds(number(*a), t)));
    if t.is_nan() {
        return by_trying();
    }
    let first = |holds: &dyn Fn(f64) -> bool| {
        // The first atom for which `holds` is true, `holds` being false
        // and then true along the atoms.
        let (mut low, mut high) = (0, values);
        while low < high {
            let middle = low + (high - low) / 2;
            if holds(number(middle)) {
                high = middle;
            } else {
                low = middle + 1;
            }
        }
        low
    };
    let at_least = first(&|x| x >= t);
    let above = first(&|x| x > t);
    let set = match op {
        CompareOp::Lt => AtomSet::range(len, 0, at_least),
        CompareOp::Le => AtomSet::range(len, 0, above),
        CompareOp::Gt => AtomSet::range(len, above, values),
        CompareOp::Ge => AtomSet::range(len, at_least, values),
        CompareOp::Eq => AtomSet::range(len, at_least, above),
        CompareOp::Ne => {
            AtomSet::range(len, 0, at_least).union(&AtomSet::range(len, above, values))
        }
    };
    debug_assert!(values > 4_096 || set == by_trying());
    set
}

/// One condition of a clause before facts are merged, with where it is
/// written.
#[derive(Clone)]
enum Piece {
    /// With whether the text at the span must be read negated (it stands
    /// inside a `not (...)`).
    On(FactId, AtomSet, Span, bool),
    Never(Span),
}

/// A conjunction of pieces, and the group alternatives it goes through
/// (by span), to tell which alternatives can hold.
#[derive(Clone, Default)]
struct RawClause {
    pieces: Vec<Piece>,
    via: Vec<Span>,
}

/// The multiplied-out form would have more than [`MAX_CLAUSES`] clauses.
struct TooMany;

/// Every pairing of a clause of `a` with one of `b`: the conjunction of two
/// disjunctions.
fn product(a: Vec<RawClause>, b: &[RawClause]) -> Result<Vec<RawClause>, TooMany> {
    if a.len().saturating_mul(b.len()) > MAX_CLAUSES {
        return Err(TooMany);
    }
    let mut out = Vec::with_capacity(a.len() * b.len());
    for x in &a {
        for y in b {
            let mut clause = x.clone();
            clause.pieces.extend(y.pieces.iter().cloned());
            clause.via.extend(y.via.iter().copied());
            out.push(clause);
        }
    }
    Ok(out)
}

/// The conjunction of `preds` as clauses.
fn all_of(preds: &[(Pred, Span)], facts: &[Fact]) -> Result<Vec<RawClause>, TooMany> {
    let mut clauses = vec![RawClause::default()];
    for (pred, span) in preds {
        clauses = product(clauses, &clauses_of(pred, *span, false, false, facts)?)?;
    }
    Ok(clauses)
}

/// `pred` (negated when `negate`) as clauses, one of which must hold. The
/// text at `span` is `pred` as written, negated by a group around it when
/// `span_negated`.
fn clauses_of(
    pred: &Pred,
    span: Span,
    negate: bool,
    span_negated: bool,
    facts: &[Fact],
) -> Result<Vec<RawClause>, TooMany> {
    match pred {
        Pred::Not(inner) => clauses_of(inner, span, !negate, span_negated, facts),
        Pred::Any(alternatives) if !negate => {
            let mut out = Vec::new();
            for alternative in alternatives {
                for mut clause in all_of(&alternative.preds, facts)? {
                    clause.via.push(alternative.span);
                    out.push(clause);
                }
                if out.len() > MAX_CLAUSES {
                    return Err(TooMany);
                }
            }
            Ok(out)
        }
        Pred::Any(alternatives) => {
            // not (A1 or A2) is (not A1) and (not A2); not (p q) is
            // (not p) or (not q).
            let mut out = vec![RawClause::default()];
            for alternative in alternatives {
                let mut negated = Vec::new();
                for (pred, span) in &alternative.preds {
                    negated.extend(clauses_of(pred, *span, true, true, facts)?);
                }
                out = product(out, &negated)?;
            }
            Ok(out)
        }
        leaf => {
            let constraint = match constraint(leaf, facts) {
                Some(c) if negate => c.negate(),
                Some(c) => c,
                None => Constraint::Always,
            };
            let pieces = match constraint {
                Constraint::Always => Vec::new(),
                Constraint::Never => vec![Piece::Never(span)],
                Constraint::On(fact, set) => vec![Piece::On(fact, set, span, span_negated)],
            };
            Ok(vec![RawClause {
                pieces,
                via: Vec::new(),
            }])
        }
    }
}

/// Why a clause can never hold: where, and the condition it contradicts
/// when there is one.
type Dead = (Span, Option<Span>);

/// Merges a clause's pieces by fact (sorted by fact), or says why it can
/// never hold.
fn merge(raw: &RawClause, sources: &SourceMap) -> Result<Clause, Dead> {
    let mut conditions: Vec<(FactId, AtomSet)> = Vec::new();
    let mut spans: Vec<Span> = Vec::new();
    let mut texts: Vec<String> = Vec::new();
    let text_of = |span: Span, negated: bool| {
        let written = sources.slice(span).unwrap_or_default();
        if negated {
            format!("not {written}")
        } else {
            written.to_string()
        }
    };
    let mut dead: Option<Dead> = None;
    for piece in &raw.pieces {
        match piece {
            Piece::Never(span) => {
                dead.get_or_insert((*span, None));
            }
            Piece::On(fact, set, span, negated) => {
                match conditions.iter().position(|(f, _)| f == fact) {
                    Some(i) => {
                        if let (Some((_, existing)), Some(first_span)) =
                            (conditions.get_mut(i), spans.get(i))
                        {
                            let narrowed = existing.intersect(set);
                            if narrowed.is_empty() && !existing.is_empty() {
                                dead.get_or_insert((*span, Some(*first_span)));
                            }
                            *existing = narrowed;
                        }
                        // Both conditions on the fact hold: both are its text.
                        let more = text_of(*span, *negated);
                        if let Some(text) = texts.get_mut(i) {
                            if *text != more {
                                text.push(' ');
                                text.push_str(&more);
                            }
                        }
                    }
                    None => {
                        if set.is_empty() {
                            dead.get_or_insert((*span, None));
                        }
                        conditions.push((*fact, set.clone()));
                        spans.push(*span);
                        texts.push(text_of(*span, *negated));
                    }
                }
            }
        }
    }
    if let Some(dead) = dead {
        return Err(dead);
    }
    let mut order: Vec<usize> = (0..conditions.len()).collect();
    order.sort_by_key(|i| conditions.get(*i).map(|(f, _)| *f));
    Ok(Clause {
        conditions: order
            .iter()
            .filter_map(|i| conditions.get(*i).cloned())
            .collect(),
        spans: order
            .iter()
            .filter_map(|i| spans.get(*i).copied())
            .collect(),
        texts: order
            .iter()
            .filter_map(|i| texts.get(*i).cloned())
            .collect(),
    })
}

/// Drops clauses another covers and merges clauses that differ on one fact
/// only (`(country in eu or country = CH)` is one clause), until neither
/// applies. Past [`SIMPLIFY_UP_TO`] clauses they are kept as they are:
/// the compiler decides the same either way.
fn simplify(mut clauses: Vec<Clause>) -> Vec<Clause> {
    if clauses.len() > SIMPLIFY_UP_TO {
        return clauses;
    }
    loop {
        let mut changed = false;
        let mut i = 0;
        while i < clauses.len() {
            let mut j = 0;
            while j < clauses.len() {
                if i == j {
                    j += 1;
                    continue;
                }
                let (Some(a), Some(b)) = (clauses.get(i), clauses.get(j)) else {
                    break;
                };
                // Of two equal clauses the later one goes.
                if a.covers(b) && (j > i || !b.covers(a)) {
                    clauses.remove(j);
                    changed = true;
                    if j < i {
                        i -= 1;
                    }
                    continue;
                }
                if let Some(merged) = union_on_one_fact(a, b) {
                    if let Some(slot) = clauses.get_mut(i) {
                        *slot = merged;
                    }
                    clauses.remove(j);
                    changed = true;
                    if j < i {
                        i -= 1;
                    }
                    continue;
                }
                j += 1;
            }
            i += 1;
        }
        if !changed {
            return clauses;
        }
    }
}

/// The clause matching what `a` or `b` matches, when they constrain the
/// same facts and differ on at most one of them.
fn union_on_one_fact(a: &Clause, b: &Clause) -> Option<Clause> {
    if a.conditions.len() != b.conditions.len() {
        return None;
    }
    let mut differing = None;
    for (i, ((fa, sa), (fb, sb))) in a.conditions.iter().zip(&b.conditions).enumerate() {
        if fa != fb {
            return None;
        }
        if sa != sb {
            if differing.is_some() {
                return None;
            }
            differing = Some(i);
        }
    }
    let i = differing?;
    let mut merged = a.clone();
    if let (Some((_, set)), Some((_, other))) = (merged.conditions.get_mut(i), b.conditions.get(i))
    {
        *set = set.union(other);
    }
    if let (Some(span), Some(other)) = (merged.spans.get_mut(i), b.spans.get(i)) {
        *span = span.to(*other);
    }
    if let (Some(text), Some(other)) = (merged.texts.get_mut(i), b.texts.get(i)) {
        *text = format!("{text} or {other}");
    }
    Some(merged)
}

/// The warning for the alternative at `span`, which can never hold for the
/// reason `dead`: labels on the conditions that contradict each other when
/// both are inside it, else on it and the condition outside it.
fn dead_alternative(span: Span, dead: Option<Dead>) -> CheckError {
    let inside = |at: Span| at.start >= span.start && at.end <= span.end;
    let (at, other) = dead.unwrap_or((span, None));
    match other {
        Some(other) if inside(at) && inside(other) => CheckError::DeadAlternative {
            span: at,
            label: "cannot hold together with it",
            other: Some(other),
            other_label: "this condition",
            help: "an alternative's conditions must all hold at once; these two cannot: fix one, or remove the alternative",
        },
        Some(other) => CheckError::DeadAlternative {
            span,
            label: "never holds",
            other: Some(if inside(at) { other } else { at }),
            other_label: "cannot hold together with this one",
            help: "no facts satisfy this alternative together with the rule's other conditions: remove it, or fix the condition that rules it out",
        },
        None => CheckError::DeadAlternative {
            span: at,
            label: "holds for no facts",
            other: None,
            other_label: "",
            help: "this condition holds for no facts at all, so neither does its alternative: remove it",
        },
    }
}

/// Reduces a resolved rule to its clauses, warning when it or an
/// alternative of a group can never hold.
pub(super) fn reduce(
    id: RuleId,
    rule: &ast::Rule,
    resolved: ResolvedRule,
    facts: &[Fact],
    sources: &SourceMap,
    out: &mut Vec<CheckError>,
) -> Option<CheckedRule> {
    let Ok(raw) = all_of(&resolved.preds, facts) else {
        out.push(CheckError::TooManyClauses {
            span: rule.span.0,
            most: MAX_CLAUSES,
        });
        return None;
    };
    let mut live = Vec::new();
    let mut first_dead: Option<Dead> = None;
    // Each alternative a clause goes through, and whether one of them can hold.
    let mut alternatives: Vec<(Span, bool, Option<Dead>)> = Vec::new();
    for clause in &raw {
        let merged = merge(clause, sources);
        for via in &clause.via {
            let index = match alternatives.iter().position(|(span, ..)| span == via) {
                Some(index) => index,
                None => {
                    alternatives.push((*via, false, None));
                    alternatives.len() - 1
                }
            };
            if let Some((_, holds, dead)) = alternatives.get_mut(index) {
                match &merged {
                    Ok(_) => *holds = true,
                    Err(why) => {
                        dead.get_or_insert(*why);
                    }
                }
            }
        }
        match merged {
            Ok(clause) => live.push(clause),
            Err(why) => {
                first_dead.get_or_insert(why);
            }
        }
    }
    match first_dead {
        Some((span, other)) if live.is_empty() => {
            let (label, help) = match (other, raw.len()) {
                (Some(_), 1) => (
                    "cannot hold together with it",
                    "a rule's conditions must all hold at once; these two cannot",
                ),
                (None, 1) => (
                    "holds for no facts",
                    "this condition holds for no facts at all; remove it, or the rule",
                ),
                (Some(_), _) => (
                    "cannot hold together with it",
                    "no alternative of the rule's groups can hold with the rest of its conditions; this is the first that cannot",
                ),
                (None, _) => (
                    "holds for no facts",
                    "no alternative of the rule's groups can hold; this condition holds for no facts at all",
                ),
            };
            out.push(CheckError::NeverMatches {
                span,
                label,
                other,
                help: help.to_string(),
            });
        }
        _ => {
            for (span, holds, dead) in alternatives {
                if !holds {
                    out.push(dead_alternative(span, dead));
                }
            }
        }
    }
    Some(CheckedRule {
        id,
        span: rule.span.0,
        location: sources.location(rule.span.0),
        name: rule.name.as_ref().map(|name| name.node.to_string()),
        verdict: resolved.verdict,
        because: rule.because().map(|b| b.node.clone()),
        reason: None,
        see: rule.see().iter().map(|s| s.node.clone()).collect(),
        clauses: simplify(live),
    })
}
