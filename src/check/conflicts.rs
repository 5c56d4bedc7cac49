//! Conflicts: in a policy where at most one decision may apply, two rules
//! that can match the same facts and decide differently. Each conflict comes
//! with a witness, a facts object that matches both rules.

use crate::diagnostics::CheckError;
use crate::model::*;

/// The most conflicts reported one by one; past them, a note counts the
/// rest. A policy with hundreds of conflicts has one mistake behind most.
pub(crate) const MAX_REPORTED: usize = 100;

/// The most rules one conflict names: more that match at the same place
/// are left to conflicts of their own, so that a message stays readable
/// and marking its pairs as reported stays cheap.
const MAX_GROUP: usize = 12;

/// What comparing two clauses counts for in the budget when it may build
/// facts that realize their overlap: about that many times the work of
/// looking at a candidate.
const REALIZE_WORK: usize = 10;

/// Clauses whose set on a fact has at most this many atoms are indexed by
/// atom on that fact; the others are looked at for every clause.
const INDEXED_ATOMS: u32 = 32;

/// The most pairs of atoms a clause is looked up by in the index of two
/// facts at once; a clause that allows more is looked up by one fact.
const LOOKED_UP_PAIRS: u32 = 256;

/// Reports every conflict: a set of rules, two or more, that all match some
/// facts and do not all decide the same. Rules that overlap at one place are
/// reported together, with a witness: facts that all of them match.
///
/// Only rules that can overlap are compared: for each clause, the clauses
/// that agree with it on the fact it narrows most (by an index of clauses
/// by atom), so that rules on disjoint values cost nothing. The first
/// [`MAX_REPORTED`] conflicts are reported, then a count of the pairs of
/// rules in conflict past them (no group or witness is built for those:
/// where rules relate no facts, a pair's overlap is a test of its atom
/// sets, without allocating); past `budget`
/// work (pairs of clauses compared, candidates looked at; see
/// [`Limits::conflict_budget`](crate::limits::Limits::conflict_budget)),
/// detection stops with a warning that there may be more.
pub(super) fn find(policy: &CheckedPolicy, budget: usize, out: &mut Vec<CheckError>) {
    let live: Vec<&CheckedRule> = policy.rules.iter().filter(|r| r.is_satisfiable()).collect();
    let index = Index::new(policy, &live);
    // Pairs already reported as part of a larger conflict.
    let mut reported: rustc_hash::FxHashSet<(RuleId, RuleId)> = rustc_hash::FxHashSet::default();
    let mut found = 0usize;
    // Pairs of rules in conflict counted after the conflicts reported.
    let mut more = 0usize;
    let realizing = policy.needs_realizing();
    let mut work = 0usize;
    let mut seen = vec![usize::MAX; live.len()];
    // Each live rule's decision as a number, compared for every pair.
    let mut decisions: rustc_hash::FxHashMap<&Verdict, u32> = rustc_hash::FxHashMap::default();
    let decision: Vec<u32> = live
        .iter()
        .map(|rule| {
            let next = decisions.len() as u32;
            *decisions.entry(&rule.verdict).or_insert(next)
        })
        .collect();
    let masks = Masks::new(&live);
    for (i, first) in live.iter().enumerate() {
        // The rules any clause of `first` can overlap, in order.
        let mut near: Vec<usize> = Vec::new();
        for clause in &first.clauses {
            index.candidates(clause, &mut |j| {
                work += 1;
                if j != i && seen.get(j) != Some(&i) {
                    if let Some(slot) = seen.get_mut(j) {
                        *slot = i;
                    }
                    near.push(j);
                }
            });
        }
        near.sort_unstable();
        let first_decision = decision.get(i);
        for (j, second) in near
            .iter()
            .filter(|j| **j > i)
            .filter_map(|j| Some((*j, live.get(*j)?)))
        {
            if work > budget {
                out.push(CheckError::ConflictBudget {
                    name: policy.name.clone(),
                    found: found + more,
                    span: policy.span,
                });
                return;
            }
            work += first.clauses.len() * second.clauses.len();
            let same_decision = decision.get(j) == first_decision;
            if found == MAX_REPORTED {
                // Only a count is left to make: a pair counts once, unless a
                // reported conflict named both rules.
                if same_decision
                    || !masks.may_overlap(i, j, first, second)
                    || reported.contains(&(first.id, second.id))
                {
                    continue;
                }
                if realizing {
                    work += REALIZE_WORK;
                    if overlap(policy, &[], first, second, &mut work).is_none() {
                        continue;
                    }
                }
                more += 1;
                continue;
            }
            if !same_decision {
                // Finding an overlap may build facts that realize it.
                work += REALIZE_WORK;
            }
            if same_decision
                || !masks.may_overlap(i, j, first, second)
                || reported.contains(&(first.id, second.id))
            {
                continue;
            }
            let Some((mut region, mut witness)) = overlap(policy, &[], first, second, &mut work)
            else {
                continue;
            };
            // Grow the conflict with every other rule that also matches
            // there: only rules near `first` can.
            let mut group: Vec<&CheckedRule> = vec![first, second];
            for other in near.iter().filter_map(|j| live.get(*j)) {
                if group.len() == MAX_GROUP {
                    break;
                }
                work += other.clauses.len() * REALIZE_WORK;
                if other.id == first.id || other.id == second.id {
                    continue;
                }
                if let Some((narrower, facts)) = overlap_with(policy, &region, other, &mut work) {
                    region = narrower;
                    witness = facts;
                    group.push(other);
                }
            }
            group.sort_by_key(|r| r.id);
            for a in &group {
                for b in &group {
                    if a.id < b.id {
                        reported.insert((a.id, b.id));
                    }
                }
            }
            found += 1;
            out.push(conflict(policy, &group, &witness));
        }
    }
    if more > 0 {
        out.push(CheckError::ConflictsNotShown {
            name: policy.name.clone(),
            shown: MAX_REPORTED,
            more,
            span: policy.span,
        });
    }
}

/// The clauses of the live rules, indexed so that those that can overlap
/// a clause are found without looking at the others.
struct Index {
    /// Per fact: per atom, the rules with a clause whose set on the fact
    /// is small and holds the atom.
    by_atom: Vec<rustc_hash::FxHashMap<u32, Vec<usize>>>,
    /// Per fact: the rules with a clause whose set on it is large.
    broad: Vec<Vec<usize>>,
    /// Per fact: the rules with a clause that does not constrain it.
    free: Vec<Vec<usize>>,
    /// Per fact: whether it is indexed (most clauses constrain it).
    pivots: Vec<bool>,
    /// The rules by the values of two facts at once, where one fact's
    /// values leave too many rules: in a policy of rules on pairs of
    /// values (`x3 y7 -> a`), a rule shares its `x` value with a few
    /// hundred others and its pair with none.
    pairs: Option<PairIndex>,
    /// How many live rules there are.
    rules: usize,
}

/// The rules by two facts' atoms at once: each rule is under every pair
/// of atoms its clause allows, or, where the clause is broad or free on
/// one fact, under its atoms on the other; broad or free on both, in
/// `broad`.
struct PairIndex {
    facts: (FactId, FactId),
    /// Clauses narrow on both facts, by each pair of atoms they allow.
    both: rustc_hash::FxHashMap<(u32, u32), Vec<usize>>,
    /// Clauses narrow on the first fact only, by its atoms.
    first: rustc_hash::FxHashMap<u32, Vec<usize>>,
    /// Clauses narrow on the second fact only, by its atoms.
    second: rustc_hash::FxHashMap<u32, Vec<usize>>,
    /// Clauses narrow on neither (or allowing too many pairs).
    broad: Vec<usize>,
}

impl PairIndex {
    /// The two pivots most clauses are narrow on, and the index over them;
    /// `None` with fewer than two.
    fn new(live: &[&CheckedRule], pivots: &[bool]) -> Option<PairIndex> {
        let mut narrow_clauses = vec![0usize; pivots.len()];
        for rule in live {
            for clause in &rule.clauses {
                for (fact, set) in &clause.conditions {
                    let at = fact.0 as usize;
                    if pivots.get(at).copied().unwrap_or(false) && set.count() <= INDEXED_ATOMS {
                        if let Some(n) = narrow_clauses.get_mut(at) {
                            *n += 1;
                        }
                    }
                }
            }
        }
        let mut ranked: Vec<(usize, usize)> = narrow_clauses
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(f, n)| (f, *n))
            .collect();
        ranked.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
        let (&(a, _), &(b, _)) = (ranked.first()?, ranked.get(1)?);
        let facts = (FactId(a as u32), FactId(b as u32));
        let mut index = PairIndex {
            facts,
            both: Default::default(),
            first: Default::default(),
            second: Default::default(),
            broad: Vec::new(),
        };
        for (r, rule) in live.iter().enumerate() {
            for clause in &rule.clauses {
                let narrow_on = |fact| {
                    clause
                        .condition(fact)
                        .filter(|set| set.count() <= INDEXED_ATOMS)
                };
                match (narrow_on(facts.0), narrow_on(facts.1)) {
                    (Some(x), Some(y)) if x.count() * y.count() <= INDEXED_ATOMS => {
                        for a in x.iter() {
                            for b in y.iter() {
                                push_once(Some(index.both.entry((a, b)).or_default()), r);
                            }
                        }
                    }
                    (Some(x), None) => {
                        for a in x.iter() {
                            push_once(Some(index.first.entry(a).or_default()), r);
                        }
                    }
                    (None, Some(y)) => {
                        for b in y.iter() {
                            push_once(Some(index.second.entry(b).or_default()), r);
                        }
                    }
                    _ => push_once(Some(&mut index.broad), r),
                }
            }
        }
        Some(index)
    }

    /// The clause's sets on the two facts, if it is narrow on both and
    /// allows few enough pairs to look each up.
    fn narrow<'c>(&self, clause: &'c Clause) -> Option<(&'c AtomSet, &'c AtomSet)> {
        let x = clause.condition(self.facts.0)?;
        let y = clause.condition(self.facts.1)?;
        (x.count().saturating_mul(y.count()) <= LOOKED_UP_PAIRS).then_some((x, y))
    }

    /// The lists that hold every rule that may overlap a clause with sets
    /// `x` and `y` on the two facts.
    fn lists<'s>(&'s self, x: &'s AtomSet, y: &'s AtomSet) -> impl Iterator<Item = &'s [usize]> {
        let pairs = x.iter().flat_map(move |a| {
            y.iter()
                .filter_map(move |b| self.both.get(&(a, b)).map(Vec::as_slice))
        });
        let firsts = x
            .iter()
            .filter_map(|a| self.first.get(&a).map(Vec::as_slice));
        let seconds = y
            .iter()
            .filter_map(|b| self.second.get(&b).map(Vec::as_slice));
        pairs
            .chain(firsts)
            .chain(seconds)
            .chain(std::iter::once(self.broad.as_slice()))
    }
}

impl Index {
    fn new(policy: &CheckedPolicy, live: &[&CheckedRule]) -> Index {
        let facts = policy.facts.len();
        let mut index = Index {
            by_atom: vec![rustc_hash::FxHashMap::default(); facts],
            broad: vec![Vec::new(); facts],
            free: vec![Vec::new(); facts],
            pivots: Vec::new(),
            pairs: None,
            rules: live.len(),
        };
        // How many clauses constrain each fact: the pivots are chosen among
        // facts most clauses constrain, whose `free` lists are short; only
        // those lists are kept.
        let mut constrained = vec![0usize; facts];
        let mut clauses = 0usize;
        for rule in live {
            for clause in &rule.clauses {
                clauses += 1;
                for (fact, _) in &clause.conditions {
                    if let Some(n) = constrained.get_mut(fact.0 as usize) {
                        *n += 1;
                    }
                }
            }
        }
        // A fact fewer than half the clauses constrain is never a pivot
        // (unless a clause constrains nothing better): its free list would
        // be most of the policy.
        index.pivots = constrained.iter().map(|n| 2 * n >= clauses).collect();
        // At most twice as many as the facts a clause constrains on average.
        let pivots: Vec<usize> = (0..facts)
            .filter(|f| index.pivots.get(*f).copied().unwrap_or(false))
            .collect();
        for (r, rule) in live.iter().enumerate() {
            for clause in &rule.clauses {
                for &f in &pivots {
                    let fact = FactId(f as u32);
                    match clause.condition(fact) {
                        None => push_once(index.free.get_mut(f), r),
                        Some(set) if set.count() <= INDEXED_ATOMS => {
                            if let Some(atoms) = index.by_atom.get_mut(f) {
                                for atom in set.iter() {
                                    push_once(Some(atoms.entry(atom).or_default()), r);
                                }
                            }
                        }
                        Some(_) => push_once(index.broad.get_mut(f), r),
                    }
                }
            }
        }
        index.pairs = PairIndex::new(live, &index.pivots);
        index
    }

    /// Calls `f` with every rule that may have a clause overlapping
    /// `clause` (and perhaps others, some more than once).
    fn candidates(&self, clause: &Clause, f: &mut dyn FnMut(usize)) {
        // The pivot: the indexed fact the clause narrows, with the fewest
        // candidates.
        let cost = |fact: FactId, set: &AtomSet| -> Option<usize> {
            let at = fact.0 as usize;
            if !self.pivots.get(at).copied().unwrap_or(false) || set.count() > INDEXED_ATOMS {
                return None;
            }
            let atoms = self.by_atom.get(at)?;
            let listed: usize = set
                .iter()
                .map(|atom| atoms.get(&atom).map_or(0, Vec::len))
                .sum();
            Some(listed + self.broad.get(at)?.len() + self.free.get(at)?.len())
        };
        let pivot = clause
            .conditions
            .iter()
            .filter_map(|(fact, set)| Some((cost(*fact, set)?, *fact, set)))
            .min_by_key(|(cost, _, _)| *cost);
        // Two facts at once, where that finds fewer rules than one.
        if let Some((pairs, (x, y))) = self
            .pairs
            .as_ref()
            .and_then(|pairs| Some((pairs, pairs.narrow(clause)?)))
        {
            let listed: usize = pairs.lists(x, y).map(<[usize]>::len).sum();
            if pivot.is_none_or(|(cost, _, _)| listed < cost) {
                pairs.lists(x, y).flatten().for_each(|r| f(*r));
                return;
            }
        }
        match pivot {
            Some((_, fact, set)) => {
                let at = fact.0 as usize;
                if let Some(atoms) = self.by_atom.get(at) {
                    for atom in set.iter() {
                        atoms.get(&atom).into_iter().flatten().for_each(|r| f(*r));
                    }
                }
                self.broad.get(at).into_iter().flatten().for_each(|r| f(*r));
                self.free.get(at).into_iter().flatten().for_each(|r| f(*r));
            }
            // Nothing to narrow by: every rule.
            None => (0..self.rules).for_each(f),
        }
    }
}

/// Adds `r` to a list unless it was the last one added (a rule's clauses
/// are added one after another).
fn push_once(list: Option<&mut Vec<usize>>, r: usize) {
    if let Some(list) = list {
        if list.last() != Some(&r) {
            list.push(r);
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

/// The live rules of one clause on facts of at most 64 atoms each, as a
/// mask of atoms per fact, all in one list: testing two of them for an
/// overlap reads a few words in a row, where their clauses' atom sets are
/// three pointers away (at 100,000 rules, a cache miss each).
struct Masks {
    /// Per live rule, where its masks are in `masks`; `None` for a rule
    /// not held here.
    ranges: Vec<Option<(u32, u32)>>,
    masks: Vec<(FactId, u64)>,
}

impl Masks {
    fn new(live: &[&CheckedRule]) -> Masks {
        let mut ranges = Vec::with_capacity(live.len());
        let mut masks = Vec::new();
        for rule in live {
            let start = masks.len();
            let held = match rule.clauses.as_slice() {
                [clause] => clause.conditions.iter().all(|(fact, set)| {
                    let fits = set.universe() <= 64;
                    if fits {
                        masks.push((*fact, set.iter().fold(0u64, |m, atom| m | 1 << atom)));
                    }
                    fits
                }),
                _ => false,
            };
            if !held {
                masks.truncate(start);
            }
            let range = (u32::try_from(start).ok(), u32::try_from(masks.len()).ok());
            ranges.push(match range {
                (Some(start), Some(end)) if held => Some((start, end)),
                _ => None,
            });
        }
        Masks { ranges, masks }
    }

    /// The masks of live rule `r`, if they are held here.
    fn of(&self, r: usize) -> Option<&[(FactId, u64)]> {
        let (start, end) = (*self.ranges.get(r)?)?;
        self.masks.get(start as usize..end as usize)
    }

    /// [`may_overlap`] for live rules `i` and `j` (`a` and `b`).
    fn may_overlap(&self, i: usize, j: usize, a: &CheckedRule, b: &CheckedRule) -> bool {
        let (Some(x), Some(y)) = (self.of(i), self.of(j)) else {
            return may_overlap(a, b);
        };
        agree_on_shared_facts(x, y, |mx, my| mx & my != 0)
    }
}

/// Whether some clause of `a` and some clause of `b` allow a common atom
/// on every fact both constrain: exactly when [`intersect`] finds their
/// overlap, without building it. Most rules an index puts near a rule
/// part on their second fact, and this answers for them without
/// allocating.
fn may_overlap(a: &CheckedRule, b: &CheckedRule) -> bool {
    a.clauses.iter().any(|x| {
        b.clauses.iter().any(|y| {
            agree_on_shared_facts(&x.conditions, &y.conditions, |sx, sy| sx.intersects(sy))
        })
    })
}

/// Whether `agree` holds of the two conditions on every fact both lists
/// (each sorted by fact) constrain.
fn agree_on_shared_facts<T>(
    x: &[(FactId, T)],
    y: &[(FactId, T)],
    agree: impl Fn(&T, &T) -> bool,
) -> bool {
    let (mut x, mut y) = (x.iter().peekable(), y.iter().peekable());
    while let (Some((fx, cx)), Some((fy, cy))) = (x.peek(), y.peek()) {
        match fx.cmp(fy) {
            std::cmp::Ordering::Less => {
                x.next();
            }
            std::cmp::Ordering::Greater => {
                y.next();
            }
            std::cmp::Ordering::Equal => {
                if !agree(cx, cy) {
                    return false;
                }
                x.next();
                y.next();
            }
        }
    }
    true
}

/// Where two rules both match, with facts that do: the region of the
/// first pair of their clauses whose overlap some facts realize.
fn overlap(
    policy: &CheckedPolicy,
    region: &[(FactId, AtomSet)],
    first: &CheckedRule,
    second: &CheckedRule,
    work: &mut usize,
) -> Option<(Vec<(FactId, AtomSet)>, serde_json::Value)> {
    first.clauses.iter().find_map(|a| {
        let within = intersect(region, &a.conditions)?;
        overlap_with(policy, &within, second, work)
    })
}

/// Where `region` and one of `rule`'s clauses overlap, with facts there,
/// for its first clause whose overlap some facts realize (relations
/// between facts can rule an overlap out).
fn overlap_with(
    policy: &CheckedPolicy,
    region: &[(FactId, AtomSet)],
    rule: &CheckedRule,
    work: &mut usize,
) -> Option<(Vec<(FactId, AtomSet)>, serde_json::Value)> {
    rule.clauses.iter().find_map(|clause| {
        let overlap = intersect(region, &clause.conditions)?;
        let facts = policy.realize_counting(&overlap, work)?;
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
