//! Which rules decide, found without building the decision tree. A search
//! over the facts a rule's conditions allow splits them one fact at a time,
//! into the pieces the other rules tell apart, until some rule holds on
//! each piece. A rule decides where no rule tried before it holds; one that
//! never decides is shadowed, and a walk over its pieces in rule order
//! tells which rules decide in its place. The same search over all facts
//! finds the gaps, the pieces no rule holds on.
//!
//! Whether a rule decides somewhere is a yes-or-no question, so its search
//! takes shortcuts the walk and the gaps cannot: a rule that holds on the
//! piece for every fact but one, where that fact has at most 64 atoms,
//! takes the atoms it allows of it out of the piece without a split
//! (`narrow`), and the pieces fewest rules allow are split first. A split
//! charges its work to the budget before it sorts the rules into pieces.
//!
//! The tree answers the same questions for every rule at once, but a
//! thousand `first match` rules over a few facts make a tree of hundreds of
//! thousands of nodes, while each rule's search looks at a few pieces. The
//! searches have a work budget; past it, the caller builds the tree and
//! reads the answers off it (`analysis`).

use crate::model::{Atom, AtomSet, CheckedPolicy, FactId, RuleId};

use super::analysis::{Fate, FoundGaps, MAX_GAPS, MAX_NAMED, MAX_SHOWN};
use super::build::MAX_DEPTH;
use super::points::{self, Marked};

/// The work the searches of one policy may do, in candidates looked at:
/// about a tenth of a second. Past it the tree is built instead.
pub(super) const COVER_BUDGET: usize = 10_000_000;

/// The work the searches may do per candidate beyond [`COVER_BUDGET`]
/// where the index narrows each one's list (see [`budget`]).
const BUDGET_PER_CANDIDATE: usize = 20_000;

/// The work the searches of `policy` may do: [`COVER_BUDGET`], and where
/// some fact of at most 64 atoms is tested by at least one candidate in 16
/// (the index narrows each rule's list by it, and a rule covered by one
/// before it is found from the index alone) [`BUDGET_PER_CANDIDATE`] more
/// per candidate: there the work grows with the rules that decide, and a
/// `first match` policy of 10,000 rules over six facts is searched in
/// about a tenth of a second instead of building its tree in a third. At most
/// `tree_budget`.
pub(super) fn budget(policy: &CheckedPolicy, tree_budget: usize) -> usize {
    budget_with(policy, tree_budget, BUDGET_PER_CANDIDATE)
}

/// The work per candidate beyond [`COVER_BUDGET`] that the search for gaps
/// may do where the index would narrow the lists: it walks every
/// candidate at once, without an early give-up, so less than the search
/// for fates (20 M units for 10,000 generated `first match` rules).
const GAPS_PER_CANDIDATE: usize = 4_000;

/// The work the search for `policy`'s gaps may do: as [`budget`], with
/// [`GAPS_PER_CANDIDATE`] per candidate.
fn gaps_budget(policy: &CheckedPolicy, tree_budget: usize) -> usize {
    budget_with(policy, tree_budget, GAPS_PER_CANDIDATE)
}

fn budget_with(policy: &CheckedPolicy, tree_budget: usize, per_candidate: usize) -> usize {
    let mut candidates = 0usize;
    let mut constrained = vec![0usize; policy.facts.len()];
    for rule in &policy.rules {
        for clause in &rule.clauses {
            candidates += 1;
            for (fact, set) in &clause.conditions {
                if let Some(count) = constrained
                    .get_mut(fact.0 as usize)
                    .filter(|_| !set.is_full())
                {
                    *count += 1;
                }
            }
        }
    }
    let narrowed =
        policy.facts.iter().zip(&constrained).any(|(fact, count)| {
            *count > 0 && indexed(fact.atom_count() as usize, *count, candidates)
        });
    let budget = if narrowed {
        COVER_BUDGET.saturating_add(per_candidate.saturating_mul(candidates))
    } else {
        COVER_BUDGET
    };
    budget.min(tree_budget)
}

/// The most rules whose clauses are [`marked`]. Past some 30,000 rules
/// of a few facts, the walks for the rules deciding in shadowed rules'
/// place read lists of thousands of rules and run out of budget (the tree
/// is built then), and the search of the clauses gives up sooner.
const MAX_MARKED_RULES: usize = 32_768;

/// How many pieces the walk over one shadowed rule's region may visit
/// before the rules found so far are the ones shown deciding in its place.
const REGION_BUDGET: usize = 2_000;

/// The most index words: a bit per clause for each atom of the facts the
/// index covers (16 MiB).
const MAX_INDEX_WORDS: usize = 2 << 20;

/// The search ran out of budget, or split deeper than a tree may be.
#[derive(Debug)]
pub(super) struct OverBudget;

/// A set of atoms of one fact: a bit per atom for a fact of at most 64
/// atoms (every enum, bool and most numbers), so that the hot tests are one
/// instruction; runs otherwise.
#[derive(Clone, Debug, PartialEq)]
enum Atoms {
    Word(u64),
    Runs(AtomSet),
}

impl Atoms {
    fn of(set: &AtomSet) -> Atoms {
        if set.universe() <= 64 {
            Atoms::Word(set.iter().fold(0, |word, atom| word | 1 << atom))
        } else {
            Atoms::Runs(set.clone())
        }
    }

    fn all(len: u32) -> Atoms {
        Atoms::of(&AtomSet::range(len, 0, len))
    }

    fn intersects(&self, other: &Atoms) -> bool {
        match (self, other) {
            (Atoms::Word(a), Atoms::Word(b)) => a & b != 0,
            (Atoms::Runs(a), Atoms::Runs(b)) => a.intersects(b),
            _ => true,
        }
    }

    fn is_subset(&self, other: &Atoms) -> bool {
        match (self, other) {
            (Atoms::Word(a), Atoms::Word(b)) => a & !b == 0,
            (Atoms::Runs(a), Atoms::Runs(b)) => a.is_subset(b),
            _ => false,
        }
    }

    fn first(&self) -> Option<Atom> {
        match self {
            Atoms::Word(0) => None,
            Atoms::Word(word) => Some(word.trailing_zeros()),
            Atoms::Runs(set) => set.first(),
        }
    }

    fn contains(&self, atom: Atom) -> bool {
        match self {
            Atoms::Word(word) => atom < 64 && word >> atom & 1 == 1,
            Atoms::Runs(set) => set.contains(atom),
        }
    }

    fn to_set(&self, len: u32) -> AtomSet {
        match self {
            Atoms::Word(word) => AtomSet::from_word(len, *word),
            Atoms::Runs(set) => set.clone(),
        }
    }
}

/// One clause of a satisfiable rule, in the order rules are tried.
struct Candidate {
    rule: RuleId,
    /// Where its conditions that can fail (not full sets), sorted by fact,
    /// lie in [`Clauses::conditions`]: one list for all, rather than a
    /// list each (100,000 of them took a tenth of a second to allocate).
    conditions: (u32, u32),
}

impl Candidate {
    /// Its conditions, in `all` the candidates' conditions.
    fn conditions<'a>(&self, all: &'a [(FactId, Atoms)]) -> &'a [(FactId, Atoms)] {
        all.get(self.conditions.0 as usize..self.conditions.1 as usize)
            .unwrap_or_default()
    }
}

/// A policy's candidates in the forms the searches read them, built once
/// and shared by the searches that run beside each other.
pub(super) struct Clauses<'p> {
    policy: &'p CheckedPolicy,
    candidates: Vec<Candidate>,
    /// Every candidate's conditions, one after another.
    conditions: Vec<(FactId, Atoms)>,
    /// Each fact's whole domain, and its number of atoms.
    whole: Vec<(Atoms, u32)>,
    /// The candidates' conditions as rows of words, where that fits.
    dense: Option<Dense>,
}

impl<'p> Clauses<'p> {
    /// The clauses of `policy`'s satisfiable rules, in the order rules are
    /// tried.
    pub(super) fn of(policy: &'p CheckedPolicy) -> Clauses<'p> {
        let mut candidates = Vec::with_capacity(policy.order.len());
        let mut conditions = Vec::new();
        for rule in policy.rules_in_order() {
            for clause in &rule.clauses {
                let start = conditions.len() as u32;
                conditions.extend(
                    clause
                        .conditions
                        .iter()
                        .filter(|(_, set)| !set.is_full())
                        .map(|(fact, set)| (*fact, Atoms::of(set))),
                );
                candidates.push(Candidate {
                    rule: rule.id,
                    conditions: (start, conditions.len() as u32),
                });
            }
        }
        let whole: Vec<(Atoms, u32)> = policy
            .facts
            .iter()
            .map(|fact| (Atoms::all(fact.atom_count()), fact.atom_count()))
            .collect();
        Clauses {
            policy,
            dense: Dense::new(&candidates, &conditions, &whole),
            candidates,
            conditions,
            whole,
        }
    }
}

struct Search<'p> {
    policy: &'p CheckedPolicy,
    clauses: &'p Clauses<'p>,
    /// The piece being looked at: the allowed atoms of each fact.
    region: Vec<Atoms>,
    /// Whether relations between facts can leave a piece without facts.
    realizing: bool,
    work: usize,
    budget: usize,
    depth: usize,
    /// Candidate lists to reuse, two per depth.
    lists: Vec<Vec<u32>>,
    /// Each candidate's classes as [`distribute`](Self::distribute) finds
    /// them, kept for reuse.
    hits: Vec<(u32, u32)>,
    /// Each candidate's classes as a word, kept for reuse.
    masks: Vec<u64>,
    /// The conditions [`classes`](Self::classes) has split by, kept for
    /// reuse.
    seen: rustc_hash::FxHashSet<u64>,
    /// The classes being refined, and the next refinement, kept for reuse.
    class_words: (Vec<u64>, Vec<u64>),
    /// Set by another thread when the answer is no longer wanted: the
    /// search then stops as if out of budget.
    abandoned: Option<&'p std::sync::atomic::AtomicBool>,
    /// The facts no candidate holds on, where they were marked: the gaps'
    /// search skips the pieces of none.
    left: Option<&'p Marked>,
    /// Buffers for reading `left`.
    scratch: points::Scratch,
}

/// Every candidate's allowed atoms of every fact, one word per fact (the
/// fact's whole domain where the candidate has no condition on it), row
/// after row: for a policy of a few facts of at most 64 atoms each (most
/// `first match` policies), so that the hottest tests read a row of words
/// in a row instead of searching each candidate's list of conditions.
/// Each test answers exactly as its form over the lists does.
struct Dense {
    facts: usize,
    rows: Vec<u64>,
    /// Each fact's whole domain.
    domains: Vec<u64>,
    /// Each candidate's number of conditions (the work counted for it).
    counts: Vec<u32>,
    /// Each candidate's facts with a condition, as bits.
    constrained: Vec<u32>,
}

/// The most facts a policy may have for [`Dense`] rows.
const DENSE_FACTS: usize = 16;

impl Dense {
    fn new(
        candidates: &[Candidate],
        conditions: &[(FactId, Atoms)],
        whole: &[(Atoms, u32)],
    ) -> Option<Dense> {
        if whole.len() > DENSE_FACTS {
            return None;
        }
        // A fact of no values (`{}`) has an empty domain, which no row
        // would meet; the lists of conditions leave it out, as the tree
        // does, so such a policy is searched over them.
        let domains = whole
            .iter()
            .map(|(atoms, _)| match atoms {
                Atoms::Word(word) => (*word != 0).then_some(*word),
                Atoms::Runs(_) => None,
            })
            .collect::<Option<Vec<u64>>>()?;
        let facts = domains.len();
        let mut rows = Vec::with_capacity(candidates.len() * facts);
        let mut counts = Vec::with_capacity(candidates.len());
        let mut constrained = Vec::with_capacity(candidates.len());
        for candidate in candidates {
            let start = rows.len();
            rows.extend_from_slice(&domains);
            let conditions = candidate.conditions(conditions);
            constrained.push(
                conditions
                    .iter()
                    .fold(0u32, |bits, (fact, _)| bits | 1 << fact.0),
            );
            for (fact, atoms) in conditions {
                let (Atoms::Word(word), Some(slot)) =
                    (atoms, rows.get_mut(start + fact.0 as usize))
                else {
                    return None;
                };
                *slot = *word;
            }
            counts.push(u32::try_from(conditions.len()).ok()?);
        }
        Some(Dense {
            facts,
            rows,
            domains,
            counts,
            constrained,
        })
    }

    fn row(&self, candidate: u32) -> &[u64] {
        let start = candidate as usize * self.facts;
        self.rows.get(start..start + self.facts).unwrap_or_default()
    }

    /// The candidate's condition on `fact`, `None` where it has none.
    fn condition(&self, candidate: u32, fact: FactId) -> Option<u64> {
        let at = fact.0 as usize;
        let word = *self.row(candidate).get(at)?;
        (Some(&word) != self.domains.get(at)).then_some(word)
    }
}

/// The region's words, in a [`Dense`] search (every fact a word).
fn region_words(region: &[Atoms]) -> impl Iterator<Item = u64> + '_ {
    region.iter().map(|atoms| match atoms {
        Atoms::Word(word) => *word,
        Atoms::Runs(_) => u64::MAX,
    })
}

/// The region's words in an array, in a [`Dense`] search: read once for
/// a pass over many rows.
fn piece_words(region: &[Atoms]) -> [u64; DENSE_FACTS] {
    let mut piece = [0u64; DENSE_FACTS];
    for (word, atoms) in piece.iter_mut().zip(region_words(region)) {
        *word = atoms;
    }
    piece
}

/// What [`Search::open_unless_held`] found.
enum Open {
    /// A candidate holds on the whole piece.
    Held,
    /// None does: split on this fact.
    Fact(FactId),
    /// None does, and none tells the piece's facts apart.
    Nothing,
}

/// What a search over one rule's region found.
#[derive(Default)]
struct Walk {
    owner: Option<RuleId>,
    deciders: Vec<RuleId>,
    visits: usize,
    cut_short: bool,
}

/// The gaps a search found, at most [`MAX_GAPS`], and whether there are more.
#[derive(Default)]
struct Gaps {
    found: Vec<Vec<(FactId, AtomSet)>>,
    more: bool,
}

impl<'p> Search<'p> {
    fn new(clauses: &'p Clauses<'p>, budget: usize) -> Search<'p> {
        Search {
            policy: clauses.policy,
            clauses,
            seen: rustc_hash::FxHashSet::default(),
            class_words: (Vec::new(), Vec::new()),
            abandoned: None,
            left: None,
            scratch: points::Scratch::default(),
            region: clauses
                .whole
                .iter()
                .map(|(atoms, _)| atoms.clone())
                .collect(),
            realizing: clauses.policy.needs_realizing(),
            work: 0,
            budget,
            depth: 0,
            lists: Vec::new(),
            hits: Vec::new(),
            masks: Vec::new(),
        }
    }

    fn spend(&mut self, work: usize) -> Result<(), OverBudget> {
        self.work = self.work.saturating_add(work);
        if self.work > self.budget || self.depth > MAX_DEPTH {
            return Err(OverBudget);
        }
        if self
            .abandoned
            .is_some_and(|abandoned| abandoned.load(std::sync::atomic::Ordering::Relaxed))
        {
            return Err(OverBudget);
        }
        Ok(())
    }

    fn candidate(&self, candidate: u32) -> Option<&'p Candidate> {
        self.clauses.candidates.get(candidate as usize)
    }

    /// The candidate's conditions, which outlive the search's borrow.
    fn conditions(&self, candidate: u32) -> &'p [(FactId, Atoms)] {
        let clauses = self.clauses;
        clauses
            .candidates
            .get(candidate as usize)
            .map_or(&[], |c| c.conditions(&clauses.conditions))
    }

    /// The candidate's condition on `fact`, if it has one.
    fn condition(&self, candidate: u32, fact: FactId) -> Option<&Atoms> {
        let conditions = self.conditions(candidate);
        let at = conditions.binary_search_by_key(&fact, |(f, _)| *f).ok()?;
        conditions.get(at).map(|(_, atoms)| atoms)
    }

    /// Whether the candidate allows some atom of the piece on every fact.
    fn meets(&self, candidate: u32) -> bool {
        if let Some(dense) = &self.clauses.dense {
            return dense
                .row(candidate)
                .iter()
                .zip(region_words(&self.region))
                .all(|(allowed, piece)| allowed & piece != 0);
        }
        self.conditions(candidate).iter().all(|(fact, atoms)| {
            self.region
                .get(fact.0 as usize)
                .is_none_or(|piece| atoms.intersects(piece))
        })
    }

    /// The candidates of `list` that meet the piece, in order, into
    /// `meeting`: [`meets`](Self::meets) of each, over [`Dense`] rows with
    /// the piece's words read once.
    fn meeting(&self, list: &[u32], meeting: &mut Vec<u32>) {
        meeting.clear();
        let Some(dense) = &self.clauses.dense else {
            meeting.extend(list.iter().copied().filter(|c| self.meets(*c)));
            return;
        };
        let piece = piece_words(&self.region);
        let piece = piece.get(..dense.facts).unwrap_or_default();
        meeting.extend(list.iter().copied().filter(|c| {
            dense
                .row(*c)
                .iter()
                .zip(piece)
                .all(|(allowed, piece)| allowed & piece != 0)
        }));
    }

    /// Whether candidate `wide` holds wherever candidate `narrow` does.
    fn contains(&self, wide: u32, narrow: u32) -> bool {
        if let Some(dense) = &self.clauses.dense {
            return dense
                .row(narrow)
                .iter()
                .zip(dense.row(wide))
                .all(|(narrow, wide)| narrow & !wide == 0);
        }
        self.conditions(wide).iter().all(|(fact, atoms)| {
            let whole = self.clauses.whole.get(fact.0 as usize).map(|(all, _)| all);
            self.condition(narrow, *fact)
                .or(whole)
                .is_some_and(|narrow| narrow.is_subset(atoms))
        })
    }

    /// Whether some candidate of `list` holds on the whole piece: as
    /// [`holds`](Self::holds) of each, with the piece's words read once.
    fn any_holds(&self, list: &[u32]) -> bool {
        let Some(dense) = &self.clauses.dense else {
            return list.iter().any(|c| self.holds(*c));
        };
        let piece = piece_words(&self.region);
        let piece = piece.get(..dense.facts).unwrap_or_default();
        list.iter().any(|c| {
            dense
                .row(*c)
                .iter()
                .zip(piece)
                .fold(0, |outside, (allowed, piece)| outside | piece & !allowed)
                == 0
        })
    }

    /// Whether the candidate holds on the whole piece.
    fn holds(&self, candidate: u32) -> bool {
        if let Some(dense) = &self.clauses.dense {
            return dense
                .row(candidate)
                .iter()
                .zip(region_words(&self.region))
                .all(|(allowed, piece)| piece & !allowed == 0);
        }
        self.conditions(candidate).iter().all(|(fact, atoms)| {
            self.region
                .get(fact.0 as usize)
                .is_some_and(|piece| piece.is_subset(atoms))
        })
    }

    /// Whether some candidate of `list` holds on the whole piece, and if
    /// none does, the fact to split on: [`any_holds`](Self::any_holds),
    /// then [`open_fact`](Self::open_fact) of `list` among `list`, with
    /// the same answer and work. Over [`Dense`] rows in one pass: each
    /// candidate's facts that do not hold on the piece, as bits, say both.
    fn open_unless_held(&mut self, list: &[u32]) -> Result<Open, OverBudget> {
        let Some(dense) = &self.clauses.dense else {
            if self.any_holds(list) {
                return Ok(Open::Held);
            }
            return Ok(self
                .open_fact(list, list)?
                .map_or(Open::Nothing, Open::Fact));
        };
        let piece = piece_words(&self.region);
        let piece = piece.get(..dense.facts).unwrap_or_default();
        // Open facts as bits, and in the order first met.
        let mut open_bits = 0u32;
        let mut open = [0usize; DENSE_FACTS];
        let mut opened = 0;
        let mut work = 0;
        for candidate in list {
            let mut outside = 0u32;
            for (fact, (allowed, piece)) in dense.row(*candidate).iter().zip(piece).enumerate() {
                outside |= u32::from(piece & !allowed != 0) << fact;
            }
            if outside == 0 {
                return Ok(Open::Held);
            }
            work += dense.counts.get(*candidate as usize).copied().unwrap_or(0) as usize;
            let mut new = outside & !open_bits;
            open_bits |= outside;
            while new != 0 {
                if let Some(slot) = open.get_mut(opened) {
                    *slot = new.trailing_zeros() as usize;
                }
                opened += 1;
                new &= new - 1;
            }
        }
        let mut counts = [0usize; DENSE_FACTS];
        if opened > 1 {
            for candidate in list {
                work += dense.counts.get(*candidate as usize).copied().unwrap_or(0) as usize;
                let mut constrained = dense
                    .constrained
                    .get(*candidate as usize)
                    .copied()
                    .unwrap_or(0)
                    & open_bits;
                while constrained != 0 {
                    if let Some(count) = counts.get_mut(constrained.trailing_zeros() as usize) {
                        *count += 1;
                    }
                    constrained &= constrained - 1;
                }
            }
        }
        self.spend(work)?;
        // The most constrained; of equals, the first met.
        let mut best: Option<(usize, usize)> = None;
        for &fact in open.iter().take(opened) {
            let count = counts.get(fact).copied().unwrap_or(0);
            if best.is_none_or(|(_, most)| count > most) {
                best = Some((fact, count));
            }
        }
        Ok(best.map_or(Open::Nothing, |(fact, _)| Open::Fact(FactId(fact as u32))))
    }

    /// Of the facts on which some candidate of `among` does not hold on
    /// the whole piece, the one most of `list` have a condition on. Where
    /// more than a few are open (a policy of many facts, a rule each), the
    /// first met: counting would cost more than a good choice saves.
    fn open_fact(&mut self, among: &[u32], list: &[u32]) -> Result<Option<FactId>, OverBudget> {
        if self.clauses.dense.is_some() {
            return self.open_fact_dense(among, list);
        }
        const COUNTED: usize = 16;
        let mut open: Vec<(FactId, usize)> = Vec::new();
        let mut work = 0;
        for candidate in among {
            let conditions = self.conditions(*candidate);
            work += conditions.len();
            for (fact, atoms) in conditions {
                let piece = self.region.get(fact.0 as usize);
                if piece.is_some_and(|piece| !piece.is_subset(atoms))
                    && !open.iter().any(|(f, _)| f == fact)
                {
                    open.push((*fact, 0));
                }
            }
            if open.len() > COUNTED {
                break;
            }
        }
        if open.len() > 1 && open.len() <= COUNTED {
            for candidate in list {
                let conditions = self.conditions(*candidate);
                work += conditions.len();
                for (fact, _) in conditions {
                    if let Some((_, count)) = open.iter_mut().find(|(f, _)| f == fact) {
                        *count += 1;
                    }
                }
            }
        }
        self.spend(work)?;
        // The most constrained; of equals, the first met.
        let mut best: Option<(FactId, usize)> = None;
        for (fact, count) in open {
            if best.is_none_or(|(_, most)| count > most) {
                best = Some((fact, count));
            }
        }
        Ok(best.map(|(fact, _)| fact))
    }

    /// [`open_fact`](Self::open_fact) over [`Dense`] rows: the same facts
    /// found open in the same order (facts in order within a candidate),
    /// counted alike, and the same work.
    fn open_fact_dense(
        &mut self,
        among: &[u32],
        list: &[u32],
    ) -> Result<Option<FactId>, OverBudget> {
        let Some(dense) = &self.clauses.dense else {
            return Ok(None);
        };
        let mut piece = [0u64; DENSE_FACTS];
        for (word, atoms) in piece.iter_mut().zip(region_words(&self.region)) {
            *word = atoms;
        }
        // Open facts as bits, in the order first met, with their counts.
        let mut open_bits = 0u64;
        let mut open: [(usize, usize); DENSE_FACTS] = [(0, 0); DENSE_FACTS];
        let mut opened = 0;
        let mut work = 0;
        for candidate in among {
            work += dense.counts.get(*candidate as usize).copied().unwrap_or(0) as usize;
            let row = dense.row(*candidate);
            for (fact, ((allowed, whole), piece)) in
                row.iter().zip(&dense.domains).zip(&piece).enumerate()
            {
                if allowed != whole && piece & !allowed != 0 && open_bits >> fact & 1 == 0 {
                    open_bits |= 1 << fact;
                    if let Some(slot) = open.get_mut(opened) {
                        *slot = (fact, 0);
                    }
                    opened += 1;
                }
            }
        }
        if opened > 1 {
            for candidate in list {
                work += dense.counts.get(*candidate as usize).copied().unwrap_or(0) as usize;
                let row = dense.row(*candidate);
                for (fact, count) in open.iter_mut().take(opened) {
                    let constrained = row.get(*fact) != dense.domains.get(*fact);
                    *count += usize::from(constrained);
                }
            }
        }
        self.spend(work)?;
        // The most constrained; of equals, the first met.
        let mut best: Option<(usize, usize)> = None;
        for &(fact, count) in open.iter().take(opened) {
            if best.is_none_or(|(_, most)| count > most) {
                best = Some((fact, count));
            }
        }
        Ok(best.map(|(fact, _)| FactId(fact as u32)))
    }

    /// The piece's atoms of `fact` split into the classes no candidate of
    /// `list` tells apart: each candidate allows all of a class or none.
    fn classes(&mut self, fact: FactId, list: &[u32]) -> Result<Vec<Atoms>, OverBudget> {
        let Some(piece) = self.region.get(fact.0 as usize).cloned() else {
            return Ok(Vec::new());
        };
        match piece {
            // At most 64 atoms: refine the piece by each distinct condition.
            Atoms::Word(piece) => {
                let (mut classes, mut next) = std::mem::take(&mut self.class_words);
                classes.clear();
                classes.push(piece);
                let mut seen = std::mem::take(&mut self.seen);
                seen.clear();
                let mut single = 0u64;
                for candidate in list {
                    let atoms = match &self.clauses.dense {
                        Some(dense) => dense.condition(*candidate, fact),
                        None => match self.condition(*candidate, fact) {
                            Some(Atoms::Word(atoms)) => Some(*atoms),
                            _ => None,
                        },
                    };
                    let Some(atoms) = atoms else {
                        continue;
                    };
                    let atoms = atoms & piece;
                    // A single atom is remembered in a word, the rest in
                    // the set.
                    let repeated = if atoms.is_power_of_two() {
                        let repeated = single & atoms != 0;
                        single |= atoms;
                        repeated
                    } else {
                        !seen.insert(atoms)
                    };
                    if atoms == piece || repeated {
                        continue;
                    }
                    next.clear();
                    for class in &classes {
                        let (inside, outside) = (class & atoms, class & !atoms);
                        next.extend([inside, outside].into_iter().filter(|c| *c != 0));
                    }
                    std::mem::swap(&mut classes, &mut next);
                }
                self.seen = seen;
                let found = classes.iter().map(|word| Atoms::Word(*word)).collect();
                self.class_words = (classes, next);
                Ok(found)
            }
            // Many atoms (a number tested against many constants): the runs
            // between the ends of every condition's runs.
            Atoms::Runs(piece) => {
                let mut ends: Vec<u32> = piece.runs().flat_map(|(s, e)| [s, e]).collect();
                let mut seen = rustc_hash::FxHashSet::default();
                for candidate in list {
                    let Some(Atoms::Runs(atoms)) = self.condition(*candidate, fact) else {
                        continue;
                    };
                    if seen.insert(atoms) {
                        ends.extend(atoms.runs().flat_map(|(s, e)| [s, e]));
                    }
                }
                self.spend(ends.len())?;
                ends.sort_unstable();
                ends.dedup();
                let len = piece.universe();
                Ok(ends
                    .windows(2)
                    .filter_map(|w| match w {
                        [start, end] if piece.contains(*start) => {
                            Some(Atoms::Runs(AtomSet::range(len, *start, *end)))
                        }
                        _ => None,
                    })
                    .collect())
            }
        }
    }

    /// Whether some facts fall in the piece. Without relations between
    /// facts every piece holds some.
    fn is_real(&mut self) -> Result<bool, OverBudget> {
        if !self.realizing {
            return Ok(true);
        }
        // Realizing solves the relations: count it as a long list at
        // least, and as the steps its search took.
        let mut work = 0;
        let real = self
            .policy
            .realize_counting(&self.piece(), &mut work)
            .is_some();
        self.spend(work.max(256))?;
        Ok(real)
    }

    /// The piece as the facts it narrows, each with its allowed atoms.
    fn piece(&self) -> Vec<(FactId, AtomSet)> {
        self.region
            .iter()
            .zip(&self.clauses.whole)
            .enumerate()
            .filter(|(_, (atoms, (all, _)))| atoms != &all)
            .map(|(fact, (atoms, (_, len)))| (FactId(fact as u32), atoms.to_set(*len)))
            .collect()
    }

    /// For each class of `fact`: narrows the piece to it, keeps the
    /// candidates of `list` that allow it, and calls `each`, until it says
    /// to stop; the classes in order, or those fewest candidates allow
    /// first where `fewest_first` (a piece no candidate holds on is most
    /// likely found there). The piece is restored.
    fn split(
        &mut self,
        fact: FactId,
        list: &[u32],
        fewest_first: bool,
        mut each: impl FnMut(&mut Self, &[u32]) -> Result<bool, OverBudget>,
    ) -> Result<(), OverBudget> {
        let classes = self.classes(fact, list)?;
        let Some(whole) = self.region.get(fact.0 as usize).cloned() else {
            return Ok(());
        };
        let mut members = self.lists.pop().unwrap_or_default();
        let mut bounds = self.lists.pop().unwrap_or_default();
        let mut result = self.distribute(fact, list, &classes, &mut members, &mut bounds);
        let mut order: Vec<usize> = (0..classes.len()).collect();
        if fewest_first && result.is_ok() {
            let size = |k: usize| {
                let end = bounds.get(k + 1).copied().unwrap_or(0);
                end - bounds.get(k).copied().unwrap_or(end)
            };
            order.sort_by_key(|k| size(*k));
        }
        self.depth += 1;
        let at = fact.0 as usize;
        for k in order {
            let Some(class) = classes.get(k) else {
                continue;
            };
            if result.is_err() {
                break;
            }
            let range = bounds.get(k).copied().unwrap_or(0) as usize
                ..bounds.get(k + 1).copied().unwrap_or(0) as usize;
            if let Some(slot) = self.region.get_mut(at) {
                *slot = class.clone();
            }
            match each(self, members.get(range).unwrap_or_default()) {
                Ok(true) => {}
                Ok(false) => break,
                Err(over) => result = Err(over),
            }
        }
        self.depth -= 1;
        if let Some(slot) = self.region.get_mut(at) {
            *slot = whole;
        }
        self.lists.push(bounds);
        self.lists.push(members);
        result
    }

    /// Sorts the candidates of `list` into the `classes` of `fact` each
    /// allows, in order within each: class `k`'s are
    /// `members[bounds[k]..bounds[k + 1]]`. Where each class is one run of
    /// atoms (a number split by the ends of its conditions), a candidate's
    /// classes are found by a binary search per run of its condition
    /// rather than by trying each class: one allowing one value of a fact
    /// split into 2,000 classes is looked at once, not 2,000 times. The
    /// work is spent before anything is sorted, so that thousands of
    /// classes each taking tens of thousands of candidates run out of
    /// budget instead of memory.
    fn distribute(
        &mut self,
        fact: FactId,
        list: &[u32],
        classes: &[Atoms],
        members: &mut Vec<u32>,
        bounds: &mut Vec<u32>,
    ) -> Result<(), OverBudget> {
        // Classes of words: of at most 64 atoms, so at most 64 classes.
        let mut words = [0u64; 64];
        let mut all_words = classes.len() <= words.len();
        for (slot, class) in words.iter_mut().zip(classes) {
            match class {
                Atoms::Word(word) => *slot = *word,
                Atoms::Runs(_) => all_words = false,
            }
        }
        if all_words {
            // A few words per candidate.
            let words = words.get(..classes.len()).unwrap_or_default();
            let work = self.distribute_words(fact, list, words, members, bounds);
            return self.spend(work);
        }
        let runs: Option<Vec<(u32, u32)>> = classes
            .iter()
            .map(|class| match class {
                Atoms::Runs(set) => {
                    let mut runs = set.runs();
                    let run = runs.next()?;
                    runs.next().is_none().then_some(run)
                }
                Atoms::Word(_) => None,
            })
            .collect();
        // The classes a run of atoms meets, where each class is one run.
        let meeting = |runs: &[(u32, u32)], (start, end): (u32, u32)| {
            runs.partition_point(|(_, until)| *until <= start)
                ..runs.partition_point(|(from, _)| *from < end)
        };
        // One count per class a candidate allows (or is tried against).
        let mut work = list.len() + classes.len();
        for candidate in list {
            work += match (&runs, self.condition(*candidate, fact)) {
                (Some(runs), Some(Atoms::Runs(set))) => {
                    set.runs().map(|run| meeting(runs, run).len()).sum()
                }
                (_, None) => classes.len(),
                (_, Some(atoms)) => classes.iter().filter(|c| atoms.intersects(c)).count(),
            };
        }
        self.spend(work)?;
        let mut hits = std::mem::take(&mut self.hits);
        hits.clear();
        for candidate in list {
            match (&runs, self.condition(*candidate, fact)) {
                (_, None) => hits.extend((0..classes.len() as u32).map(|k| (k, *candidate))),
                (Some(runs), Some(Atoms::Runs(set))) => {
                    for run in set.runs() {
                        hits.extend(meeting(runs, run).map(|k| (k as u32, *candidate)));
                    }
                }
                (_, Some(atoms)) => {
                    for (k, class) in classes.iter().enumerate() {
                        if atoms.intersects(class) {
                            hits.push((k as u32, *candidate));
                        }
                    }
                }
            }
        }
        // A stable sort by class, counting.
        bounds.clear();
        bounds.resize(classes.len() + 1, 0);
        for (class, _) in &hits {
            if let Some(count) = bounds.get_mut(*class as usize + 1) {
                *count += 1;
            }
        }
        for k in 0..classes.len() {
            let before = bounds.get(k).copied().unwrap_or(0);
            if let Some(count) = bounds.get_mut(k + 1) {
                *count += before;
            }
        }
        members.clear();
        members.resize(hits.len(), 0);
        let mut next: Vec<u32> = bounds.clone();
        for (class, candidate) in &hits {
            if let Some(at) = next.get_mut(*class as usize) {
                if let Some(slot) = members.get_mut(*at as usize) {
                    *slot = *candidate;
                }
                *at += 1;
            }
        }
        self.hits = hits;
        Ok(())
    }

    /// [`distribute`](Self::distribute) into classes of at most 64 atoms
    /// (`words`): a candidate allows a class exactly where it allows the
    /// class's lowest atom, so one word per candidate says which it
    /// allows.
    fn distribute_words(
        &mut self,
        fact: FactId,
        list: &[u32],
        words: &[u64],
        members: &mut Vec<u32>,
        bounds: &mut Vec<u32>,
    ) -> usize {
        let mut lowest = 0u64;
        let mut class_of = [0u32; 64];
        for (k, word) in words.iter().enumerate() {
            lowest |= word & word.wrapping_neg();
            if let Some(slot) = class_of.get_mut(word.trailing_zeros() as usize) {
                *slot = k as u32;
            }
        }
        let mut masks = std::mem::take(&mut self.masks);
        masks.clear();
        let at = fact.0 as usize;
        masks.extend(list.iter().map(|candidate| {
            let allowed = match &self.clauses.dense {
                Some(dense) => dense.row(*candidate).get(at).copied(),
                None => match self.condition(*candidate, fact) {
                    Some(Atoms::Word(word)) => Some(*word),
                    Some(Atoms::Runs(_)) => None,
                    None => Some(u64::MAX),
                },
            };
            allowed.unwrap_or(u64::MAX) & lowest
        }));
        bounds.clear();
        bounds.resize(words.len() + 1, 0);
        let mut everywhere = 0;
        let mut hits = 0;
        for mask in &masks {
            if *mask == lowest {
                everywhere += 1;
                continue;
            }
            let mut met = *mask;
            hits += met.count_ones() as usize;
            while met != 0 {
                let class = class_of.get(met.trailing_zeros() as usize).copied();
                met &= met - 1;
                if let Some(count) = class.and_then(|k| bounds.get_mut(k as usize + 1)) {
                    *count += 1;
                }
            }
        }
        hits += everywhere * words.len();
        for k in 0..words.len() {
            let before = bounds.get(k).copied().unwrap_or(0);
            if let Some(count) = bounds.get_mut(k + 1) {
                *count += before + everywhere as u32;
            }
        }
        members.clear();
        members.resize(hits, 0);
        let mut next = [0u32; 64];
        for (slot, start) in next.iter_mut().zip(bounds.iter()) {
            *slot = *start;
        }
        for (candidate, mask) in list.iter().zip(&masks) {
            let mut met = *mask;
            while met != 0 {
                let class = class_of.get(met.trailing_zeros() as usize).copied();
                met &= met - 1;
                if let Some(at) = class.and_then(|k| next.get_mut(k as usize)) {
                    if let Some(slot) = members.get_mut(*at as usize) {
                        *slot = *candidate;
                    }
                    *at += 1;
                }
            }
        }
        self.masks = masks;
        list.len() + hits + words.len()
    }

    /// Whether some facts of the piece are held by none of `list` (the
    /// candidates that meet it).
    fn uncovered(&mut self, list: &[u32]) -> Result<bool, OverBudget> {
        self.spend(list.len() + 1)?;
        let mut saved = Vec::new();
        let result = match self.narrow(list, &mut saved) {
            Ok(true) => Ok(false),
            // Nothing narrowed: every candidate still meets the piece.
            Ok(false) if saved.is_empty() => self.uncovered_among(list),
            Ok(false) => {
                let mut narrowed = self.lists.pop().unwrap_or_default();
                self.meeting(list, &mut narrowed);
                let result = self.uncovered_among(&narrowed);
                self.lists.push(narrowed);
                result
            }
            Err(over) => Err(over),
        };
        // Last narrowed first, so that each fact ends as it was before.
        for (fact, word) in saved.into_iter().rev() {
            if let Some(slot) = self.region.get_mut(fact) {
                *slot = Atoms::Word(word);
            }
        }
        result
    }

    /// [`uncovered`](Self::uncovered) past the narrowing.
    fn uncovered_among(&mut self, list: &[u32]) -> Result<bool, OverBudget> {
        let fact = match self.open_unless_held(list)? {
            Open::Held => return Ok(false),
            Open::Fact(fact) => fact,
            // Nothing holds and nothing is left to split on: no candidate.
            Open::Nothing => return self.is_real(),
        };
        let mut found = false;
        self.split(fact, list, true, |search, list| {
            found = search.uncovered(list)?;
            Ok(!found)
        })?;
        Ok(found)
    }

    /// Narrows the piece, for [`uncovered`](Self::uncovered), by the facts
    /// that candidates of `list` hold on: where a candidate holds on the
    /// piece for every fact but one, the piece's facts with that fact's
    /// atoms it allows are held, so that fact loses those atoms, without
    /// a split. One pass over `list`, each fact's atoms before each
    /// narrowing into `saved`; with the work of the pass that keeps the
    /// candidates still meeting the piece, which the caller makes. `true`
    /// where the piece is found held whole (a candidate holds on all that
    /// is left, or nothing is left).
    fn narrow(&mut self, list: &[u32], saved: &mut Vec<(usize, u64)>) -> Result<bool, OverBudget> {
        self.spend(list.len())?;
        if self.clauses.dense.is_some() {
            return self.narrow_dense(list, saved);
        }
        for candidate in list {
            let (open, fact) = self.outside(*candidate);
            if open == 0 {
                return Ok(true);
            }
            if open > 1 {
                continue;
            }
            let left = self.region.get(fact).and_then(|piece| {
                let allowed = self.condition(*candidate, FactId(fact as u32))?;
                // Only a fact of at most 64 atoms is narrowed: one word
                // each. A number's runs would grow a hole per narrowing,
                // each rebuilt and kept, and a split sorts the rules into
                // its runs in one pass anyway.
                match (piece, allowed) {
                    (Atoms::Word(piece), Atoms::Word(allowed)) if piece & allowed != 0 => {
                        Some(piece & !allowed)
                    }
                    _ => None,
                }
            });
            let Some(left) = left else {
                continue;
            };
            if let Some(slot) = self.region.get_mut(fact) {
                if let Atoms::Word(before) = std::mem::replace(slot, Atoms::Word(left)) {
                    saved.push((fact, before));
                }
            }
            if left == 0 {
                return Ok(true);
            }
        }
        self.spend(list.len())?;
        Ok(false)
    }

    /// [`narrow`](Self::narrow) over [`Dense`] rows, the piece's words
    /// read once: the same answers and work.
    fn narrow_dense(
        &mut self,
        list: &[u32],
        saved: &mut Vec<(usize, u64)>,
    ) -> Result<bool, OverBudget> {
        let Some(dense) = &self.clauses.dense else {
            return Ok(false);
        };
        let mut piece = piece_words(&self.region);
        for candidate in list {
            let row = dense.row(*candidate);
            let mut outside = 0u32;
            for (fact, (allowed, piece)) in row.iter().zip(&piece).enumerate() {
                outside |= u32::from(piece & !allowed != 0) << fact;
            }
            if outside == 0 {
                return Ok(true);
            }
            // Outside on more than one fact.
            if outside & (outside - 1) != 0 {
                continue;
            }
            let fact = outside.trailing_zeros() as usize;
            let (Some(allowed), Some(word)) = (row.get(fact), piece.get_mut(fact)) else {
                continue;
            };
            if *word & allowed == 0 {
                continue;
            }
            let before = *word;
            *word &= !allowed;
            let left = *word;
            if let Some(slot) = self.region.get_mut(fact) {
                *slot = Atoms::Word(left);
                saved.push((fact, before));
            }
            if left == 0 {
                return Ok(true);
            }
        }
        self.spend(list.len())?;
        Ok(false)
    }

    /// How many facts the candidate does not hold on the whole piece for,
    /// and the last of them.
    fn outside(&self, candidate: u32) -> (u32, usize) {
        if let Some(dense) = &self.clauses.dense {
            let mut outside = 0u32;
            for (fact, (allowed, piece)) in dense
                .row(candidate)
                .iter()
                .zip(region_words(&self.region))
                .enumerate()
            {
                outside |= u32::from(piece & !allowed != 0) << fact;
            }
            return (
                outside.count_ones(),
                (31 - outside.leading_zeros().min(31)) as usize,
            );
        }
        let mut open = 0;
        let mut last = 0;
        for (fact, atoms) in self.conditions(candidate) {
            let held = self
                .region
                .get(fact.0 as usize)
                .is_some_and(|piece| piece.is_subset(atoms));
            if !held {
                open += 1;
                last = fact.0 as usize;
            }
        }
        (open, last)
    }

    /// Walks the piece as the tree would decide it among `list` (the
    /// candidates that meet it, in order), collecting the rules that decide.
    fn walk(&mut self, list: &[u32], walk: &mut Walk) -> Result<(), OverBudget> {
        if walk.deciders.len() > MAX_SHOWN || walk.visits >= REGION_BUDGET {
            walk.cut_short |= walk.visits >= REGION_BUDGET;
            return Ok(());
        }
        walk.visits += 1;
        self.spend(list.len() + 1)?;
        let Some(&first) = list.first() else {
            return Ok(());
        };
        if self.holds(first) {
            let rule = self.candidate(first).map(|c| c.rule);
            if let Some(rule) = rule.filter(|r| Some(*r) != walk.owner) {
                if !walk.deciders.contains(&rule) && self.is_real()? {
                    walk.deciders.push(rule);
                }
            }
            return Ok(());
        }
        let Some(fact) = self.open_fact(&[first], list)? else {
            return Ok(());
        };
        self.split(fact, list, false, |search, list| {
            search.walk(list, walk)?;
            Ok(true)
        })
    }

    /// Collects the pieces no candidate of `list` (those that meet the
    /// piece) holds on.
    fn gaps(&mut self, list: &[u32], gaps: &mut Gaps) -> Result<(), OverBudget> {
        if gaps.more {
            return Ok(());
        }
        if let Some(left) = self.left {
            let piece = piece_words(&self.region);
            let piece = piece.get(..self.region.len()).unwrap_or_default();
            if !left.left_in(piece, &mut self.scratch) {
                return Ok(());
            }
        }
        self.spend(list.len() + 1)?;
        let fact = match self.open_unless_held(list)? {
            Open::Held => return Ok(()),
            Open::Fact(fact) => fact,
            Open::Nothing => {
                if self.is_real()? {
                    if gaps.found.len() < MAX_GAPS {
                        gaps.found.push(self.piece());
                    } else {
                        gaps.more = true;
                    }
                }
                return Ok(());
            }
        };
        self.split(fact, list, false, |search, list| {
            search.gaps(list, gaps)?;
            Ok(!gaps.more)
        })
    }

    /// Runs `then` on the region of `clause` with the `live` candidates
    /// before `until` (at most `clause`) that meet it (`lists` are buffers
    /// to reuse), and widens the piece back.
    fn in_region<T>(
        &mut self,
        index: &Index,
        (clause, until): (u32, u32),
        live: &[u64],
        lists: &mut (Vec<u32>, Vec<u32>),
        then: impl FnOnce(&mut Self, &[u32]) -> Result<T, OverBudget>,
    ) -> Result<T, OverBudget> {
        let (before, list) = lists;
        let exact = index.before(
            self,
            clause as usize,
            until.min(clause) as usize,
            live,
            before,
        )?;
        self.enter(clause);
        if exact {
            std::mem::swap(before, list);
        } else {
            self.meeting(before, list);
        }
        let result = then(self, list);
        self.leave(clause);
        result
    }

    /// Narrows the piece to the candidate's conditions.
    fn enter(&mut self, candidate: u32) {
        for (fact, atoms) in self.conditions(candidate) {
            if let Some(slot) = self.region.get_mut(fact.0 as usize) {
                *slot = atoms.clone();
            }
        }
    }

    /// Widens the piece back from the candidate's conditions.
    fn leave(&mut self, candidate: u32) {
        for (fact, _) in self.conditions(candidate) {
            if let (Some(slot), Some((all, _))) = (
                self.region.get_mut(fact.0 as usize),
                self.clauses.whole.get(fact.0 as usize),
            ) {
                *slot = all.clone();
            }
        }
    }
}

/// Whether [`Index`] holds a fact of `atoms` atoms that `constraining` of
/// the `candidates` test (room allowing): one of at most 64 atoms, tested
/// by at least one candidate in 16 (a fact few test narrows little).
/// [`budget`] asks it too.
fn indexed(atoms: usize, constraining: usize, candidates: usize) -> bool {
    atoms <= 64 && constraining.saturating_mul(16) >= candidates
}

/// For each candidate, which candidates before it could hold where it does:
/// per fact of at most 64 atoms, a bitset of the candidates allowing each
/// atom, so that finding them costs a few word operations per 64 rules
/// instead of a look at each.
struct Index {
    /// Per fact: `None`, or per atom the candidates that allow it.
    atoms: Vec<Option<Vec<Vec<u64>>>>,
    /// Per fact indexed, the candidates that allow each of its atoms (no
    /// condition on it, or one that allows all).
    unconditioned: Vec<Option<Vec<u64>>>,
    /// The candidates with a condition that allows no atom, which meet no
    /// piece.
    empty: Vec<u64>,
    /// The facts indexed, most constrained first.
    facts: Vec<usize>,
}

/// How many candidates [`Index::subsumer`] may find by the index and then
/// reject on a fact the index leaves out, before it gives up.
const SUBSUMER_REJECTS: usize = 64;

impl Index {
    fn new(clauses: &Clauses<'_>) -> Index {
        let words = clauses.candidates.len().div_ceil(64);
        let facts = clauses.policy.facts.len();
        // How many candidates constrain each fact: the facts most constrained
        // narrow the candidates most, so they are indexed first.
        let mut constrained = vec![0usize; facts];
        for candidate in &clauses.candidates {
            for (fact, _) in candidate.conditions(&clauses.conditions) {
                if let Some(count) = constrained.get_mut(fact.0 as usize) {
                    *count += 1;
                }
            }
        }
        let mut order: Vec<usize> = (0..facts).collect();
        order.sort_by_key(|f| std::cmp::Reverse(constrained.get(*f).copied().unwrap_or(0)));
        let mut atoms: Vec<Option<Vec<Vec<u64>>>> = vec![None; facts];
        let mut indexed_facts = Vec::new();
        let mut spent = 0usize;
        for fact in order {
            let count = clauses.whole.get(fact).map_or(0, |(_, len)| *len as usize);
            let cost = count.saturating_mul(words);
            let constraining = constrained.get(fact).copied().unwrap_or(0);
            if !indexed(count, constraining, clauses.candidates.len())
                || spent.saturating_add(cost) > MAX_INDEX_WORDS
            {
                continue;
            }
            spent += cost;
            indexed_facts.push(fact);
            let mut bits = vec![vec![0u64; words]; count];
            for (i, candidate) in clauses.candidates.iter().enumerate() {
                let conditions = candidate.conditions(&clauses.conditions);
                let condition = conditions
                    .binary_search_by_key(&FactId(fact as u32), |(f, _)| *f)
                    .ok()
                    .and_then(|at| conditions.get(at));
                let allowed = match condition {
                    Some((_, Atoms::Word(word))) => *word,
                    _ => u64::MAX,
                };
                for (atom, atom_bits) in bits.iter_mut().enumerate() {
                    if allowed >> atom & 1 == 1 {
                        if let Some(word) = atom_bits.get_mut(i / 64) {
                            *word |= 1 << (i % 64);
                        }
                    }
                }
            }
            if let Some(slot) = atoms.get_mut(fact) {
                *slot = Some(bits);
            }
        }
        let unconditioned = atoms
            .iter()
            .map(|bits| {
                let bits = bits.as_ref()?;
                let mut all = vec![u64::MAX; words];
                for atom_bits in bits {
                    for (word, bits) in all.iter_mut().zip(atom_bits) {
                        *word &= bits;
                    }
                }
                Some(all)
            })
            .collect();
        let mut empty = vec![0u64; words];
        for (i, candidate) in clauses.candidates.iter().enumerate() {
            let conditions = candidate.conditions(&clauses.conditions);
            let none = conditions.iter().any(|(_, atoms)| match atoms {
                Atoms::Word(word) => *word == 0,
                Atoms::Runs(set) => set.is_empty(),
            });
            if let Some(word) = empty.get_mut(i / 64).filter(|_| none) {
                *word |= 1 << (i % 64);
            }
        }
        Index {
            atoms,
            unconditioned,
            empty,
            facts: indexed_facts,
        }
    }

    /// Whether the index narrows the candidates by some fact.
    fn narrows(&self) -> bool {
        !self.facts.is_empty()
    }

    /// The facts indexed, most constrained first.
    fn indexed(&self) -> impl Iterator<Item = usize> + '_ {
        self.facts.iter().copied()
    }

    /// The first candidate before `index` that holds wherever candidate
    /// `index` does (its region lies inside that candidate's), found by
    /// the index a word of 64 candidates at a time; `None` where there is
    /// none. Unless `exact`, also `None` where the index covers none of the
    /// facts, or past [`SUBSUMER_REJECTS`] found by the index and then
    /// rejected: what the index holds depends on every rule of the policy,
    /// so only the exact answer is the same before and after an edit that
    /// leaves the rules up to `index` as they were. A candidate with one
    /// is covered by those before it, whichever rules decide in its region,
    /// and the rules after that one never do there. With the work it took.
    fn subsumer(&self, search: &Search<'_>, index: usize, exact: bool) -> (Option<u32>, usize) {
        let mut work = 0;
        // The bitsets every candidate found must be in: per fact indexed,
        // those allowing each atom the candidate allows (those allowing
        // all of them, where it allows every atom).
        let mut rows: Vec<&[u64]> = Vec::new();
        let mut indexed = false;
        for (fact, bits) in self.atoms.iter().enumerate() {
            let (Some(bits), Some(Some(all))) = (bits, self.unconditioned.get(fact)) else {
                continue;
            };
            let allowed = match search.condition(index as u32, FactId(fact as u32)) {
                Some(Atoms::Word(word)) => *word,
                Some(Atoms::Runs(_)) => continue,
                None => u64::MAX,
            };
            let whole = match bits.len() {
                64.. => u64::MAX,
                len => (1 << len) - 1,
            };
            indexed = true;
            let mut atoms = allowed & whole;
            if atoms == whole {
                rows.push(all);
                continue;
            }
            while atoms != 0 {
                if let Some(row) = bits.get(atoms.trailing_zeros() as usize) {
                    rows.push(row);
                }
                atoms &= atoms - 1;
            }
        }
        if !indexed && !exact {
            return (None, work);
        }
        let words = index.div_ceil(64);
        let mut rejects = 0;
        for w in 0..words {
            let mut found = if w + 1 == words && !index.is_multiple_of(64) {
                (1u64 << (index % 64)) - 1
            } else {
                u64::MAX
            };
            let mut loads = 1;
            for row in &rows {
                if found == 0 {
                    break;
                }
                found &= row.get(w).copied().unwrap_or(0);
                loads += 1;
            }
            work += loads;
            while found != 0 {
                let candidate = (w * 64 + found.trailing_zeros() as usize) as u32;
                found &= found - 1;
                work += 1;
                if search.contains(candidate, index as u32) {
                    return (Some(candidate), work);
                }
                rejects += 1;
                if rejects > SUBSUMER_REJECTS && !exact {
                    return (None, work);
                }
            }
        }
        (None, work)
    }

    /// The candidates before `until` that could meet the region of
    /// candidate `index` and are `live`, in order, into `found`: `true`
    /// where they are exactly those that meet it (the index held every
    /// fact it has a condition on), else a superset the caller checks.
    fn before(
        &self,
        search: &mut Search<'_>,
        index: usize,
        until: usize,
        live: &[u64],
        found: &mut Vec<u32>,
    ) -> Result<bool, OverBudget> {
        found.clear();
        let words = until.div_ceil(64);
        let mut mask: Option<Vec<u64>> = None;
        let conditions = search.conditions(index as u32);
        let mut exact = true;
        for (fact, atoms) in conditions {
            let (Some(Some(bits)), Atoms::Word(word)) = (self.atoms.get(fact.0 as usize), atoms)
            else {
                exact = false;
                continue;
            };
            if word.count_ones() > 8 {
                exact = false;
                continue;
            }
            search.spend(words * (word.count_ones() as usize + 1))?;
            let mut allowed = vec![0u64; words];
            for (atom, atom_bits) in bits.iter().enumerate() {
                if word >> atom & 1 == 1 {
                    for (word, bits) in allowed.iter_mut().zip(atom_bits) {
                        *word |= bits;
                    }
                }
            }
            mask = Some(match mask {
                None => allowed,
                Some(mut mask) => {
                    for (word, allowed) in mask.iter_mut().zip(&allowed) {
                        *word &= allowed;
                    }
                    mask
                }
            });
        }
        let mut mask = mask.unwrap_or_else(|| vec![u64::MAX; words]);
        search.spend(words)?;
        for (w, word) in mask.iter_mut().enumerate() {
            *word &= live.get(w).copied().unwrap_or(0) & !self.empty.get(w).copied().unwrap_or(0);
            let mut bits = *word;
            while bits != 0 {
                let i = w * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                if i < until {
                    found.push(i as u32);
                }
            }
        }
        search.spend(found.len())?;
        Ok(exact)
    }

    /// Whether a point of candidate `index`'s region that no `live`
    /// candidate before it holds on is found at once, and the work of
    /// looking. The point is made a fact at a time, the indexed facts
    /// first (those the candidate allows one atom of before the others):
    /// of the atoms the candidate allows, the one the fewest of the
    /// candidates still holding on the point so far allow; once none is
    /// left, no candidate holds there. The other facts take the
    /// candidate's first atom. Most rules that decide are found so (96 %
    /// of 1,500 generated rules over four facts), with a few hundred word
    /// operations in place of a search; `false` says nothing (the search
    /// then answers).
    fn uncovered_point(&self, search: &Search<'_>, index: usize, live: &[u64]) -> (bool, usize) {
        // A candidate with a condition no atom meets holds nowhere.
        if self
            .empty
            .get(index / 64)
            .is_some_and(|w| w >> (index % 64) & 1 == 1)
        {
            return (false, 1);
        }
        let words = index.div_ceil(64);
        // The live candidates before `index` that meet something.
        let mut holding: Vec<u64> = (0..words)
            .map(|w| {
                let before = if w + 1 == words && !index.is_multiple_of(64) {
                    (1u64 << (index % 64)) - 1
                } else {
                    u64::MAX
                };
                before
                    & live.get(w).copied().unwrap_or(0)
                    & !self.empty.get(w).copied().unwrap_or(0)
            })
            .collect();
        // The words with a candidate still holding: fewer at each fact.
        let mut nonzero: Vec<usize> = (0..words)
            .filter(|w| holding.get(*w).is_some_and(|word| *word != 0))
            .collect();
        let mut work = words;
        let allowed = |fact: usize| -> Option<Atoms> {
            match search.condition(index as u32, FactId(fact as u32)) {
                Some(atoms) => Some(atoms.clone()),
                None => search.clauses.whole.get(fact).map(|(all, _)| all.clone()),
            }
        };
        // The facts of one allowed atom first, which narrow the candidates
        // holding without a choice, so that fewer are counted for the rest.
        let single = |fact: &usize| {
            search
                .condition(index as u32, FactId(*fact as u32))
                .is_some_and(|atoms| matches!(atoms, Atoms::Word(word) if word.count_ones() == 1))
        };
        let facts = self
            .indexed()
            .filter(single)
            .chain(self.indexed().filter(|f| !single(f)));
        for fact in facts {
            let (Some(Some(bits)), Some(Atoms::Word(mut atoms))) =
                (self.atoms.get(fact), allowed(fact))
            else {
                continue;
            };
            // One atom allowed: no choice to make.
            let mut fewest: Option<(usize, &[u64])> = None;
            if atoms.count_ones() == 1 {
                fewest = bits
                    .get(atoms.trailing_zeros() as usize)
                    .map(|row| (usize::MAX, row.as_slice()));
                atoms = 0;
            }
            while atoms != 0 {
                let atom = atoms.trailing_zeros() as usize;
                atoms &= atoms - 1;
                let Some(row) = bits.get(atom) else {
                    continue;
                };
                // Counted only as far as it could still be the fewest.
                let most = fewest.map_or(usize::MAX, |(most, _)| most);
                let mut count = 0;
                for w in &nonzero {
                    work += 1;
                    let (a, b) = (holding.get(*w), row.get(*w));
                    count +=
                        (a.copied().unwrap_or(0) & b.copied().unwrap_or(0)).count_ones() as usize;
                    if count >= most {
                        break;
                    }
                }
                if count < most {
                    fewest = Some((count, row));
                }
                if count == 0 {
                    return (true, work);
                }
            }
            let Some((_, row)) = fewest else {
                return (false, work);
            };
            work += nonzero.len();
            nonzero.retain(|w| match (holding.get_mut(*w), row.get(*w)) {
                (Some(word), Some(bits)) => {
                    *word &= bits;
                    *word != 0
                }
                _ => false,
            });
            if nonzero.is_empty() {
                return (true, work);
            }
        }
        // The facts left out of the index: the candidate's first atom of
        // each (the first of all where it has no condition on it), and a
        // look at each candidate still holding.
        let firsts: Vec<(FactId, Option<Atom>)> = search
            .conditions(index as u32)
            .iter()
            .map(|(fact, atoms)| (*fact, atoms.first()))
            .collect();
        let point = |fact: FactId| -> Option<Atom> {
            if let Some(Some(_)) = self.atoms.get(fact.0 as usize) {
                return None;
            }
            match firsts.binary_search_by_key(&fact, |(f, _)| *f) {
                Ok(at) => firsts.get(at).and_then(|(_, first)| *first),
                Err(_) => search
                    .clauses
                    .whole
                    .get(fact.0 as usize)
                    .and_then(|(all, _)| all.first()),
            }
        };
        for w in nonzero {
            let mut bits = holding.get(w).copied().unwrap_or(0);
            while bits != 0 {
                let candidate = (w * 64 + bits.trailing_zeros() as usize) as u32;
                bits &= bits - 1;
                work += 1;
                let conditions = search.conditions(candidate);
                work += conditions.len();
                let holds = conditions
                    .iter()
                    .all(|(fact, atoms)| point(*fact).is_none_or(|atom| atoms.contains(atom)));
                if holds {
                    return (false, work);
                }
            }
        }
        (true, work)
    }
}

/// Whether the policy is searched rather than read off its tree: not when
/// its facts are related (relations, dates, parts of times). Whether facts
/// fall in a piece then takes solving the relations, at every piece, which
/// costs more than the tree's walk, which solves them once per path.
pub(super) fn searched(policy: &CheckedPolicy) -> bool {
    !policy.needs_realizing()
}

/// A search's findings for a policy, kept so that the search of the
/// policy after an edit starts after the rules the edit left as they were
/// ([`fates_after`]).
#[derive(Clone, Debug)]
pub(crate) struct Searched {
    policy: std::sync::Arc<CheckedPolicy>,
    fates: Vec<Fate>,
    /// Per rule, how many of its first clauses hold first nowhere: the
    /// candidates the search dropped from the lists after it.
    dropped: Vec<u32>,
    /// Per rule, the work of finding whether it decides and the work of
    /// the walk for the rules deciding in its place: a resumed search
    /// counts them against its budget as if it had done them, so that it
    /// runs out where a search from scratch does. Nearly: the index the
    /// search narrows candidates with is chosen over all the rules, so an
    /// edit that changes which facts it indexes changes the earlier rules'
    /// work a little (2 % for 60 rules added to 400); near the budget's
    /// edge the two may then differ in whether the tree is built, never in
    /// what is found.
    work: Vec<(usize, usize)>,
}

impl Searched {
    /// How many of `policy`'s first rules are searched as they were:
    /// `first match` both times, the same facts (as many of each's
    /// atoms), and the rules the same clauses. A rule's fate depends only
    /// on the rules before it, so these keep theirs.
    fn unchanged_rules(&self, policy: &CheckedPolicy) -> usize {
        let old = &self.policy;
        let first = |p: &CheckedPolicy| p.hit == crate::model::HitPolicy::First;
        let same_facts = old.facts.len() == policy.facts.len()
            && old
                .facts
                .iter()
                .zip(&policy.facts)
                .all(|(a, b)| a.atom_count() == b.atom_count());
        if !first(old) || !first(policy) || !same_facts || self.fates.len() != old.rules.len() {
            return 0;
        }
        old.rules
            .iter()
            .zip(&policy.rules)
            .take_while(|(a, b)| {
                a.clauses.len() == b.clauses.len()
                    && a.clauses
                        .iter()
                        .zip(&b.clauses)
                        .all(|(x, y)| x.conditions == y.conditions)
            })
            .count()
    }
}

/// Each rule's fate, indexed by rule id; `None` past `budget` work, or for
/// a policy whose facts are related (see [`searched`]).
/// Whether a clause holds first somewhere is read off the policy's
/// [`marked`] points where `marking` and they fit, else searched.
#[cfg(any(test, feature = "testing"))]
pub(super) fn fates(
    policy: &std::sync::Arc<CheckedPolicy>,
    budget: usize,
    marking: bool,
) -> Option<Vec<Fate>> {
    let clauses = Clauses::of(policy);
    let marks = marking.then(|| marked(&clauses)).flatten();
    fates_after(policy, &clauses, budget, None, marks.as_ref()).map(|(fates, _)| fates)
}

/// The policy's clauses marked on a map of its points ([`points`]),
/// where its facts fit [`Dense`] rows and the map is small enough.
pub(super) fn marked(clauses: &Clauses<'_>) -> Option<Marked> {
    let policy = clauses.policy;
    if !searched(policy) || policy.rules.len() > MAX_MARKED_RULES {
        return None;
    }
    let dense = clauses.dense.as_ref()?;
    points::mark(&dense.domains, &dense.rows)
}

/// [`fates`], taking the fates of the rules an edit left as they were
/// from `prior`, the search before the edit; with what to keep for the
/// next edit. The answers are those of a search from scratch: where a
/// rule's deciders were cut short, which of them were seen depends on
/// the order the search takes, which the rules after it change, so that
/// walk is made again. Whether a clause holds first somewhere is read off
/// `marks` where given ([`marked`]), and searched otherwise; its work is
/// then the words marking it touched. `clauses` are `policy`'s.
///
/// The rules are taken a wave of two blocks of [`BLOCK`] rules at a time:
/// each block's clauses are checked on a thread of their own, then the
/// rules of the wave that never decide are walked, half on each thread,
/// and then the work is counted in rule order, with the early give-ups of
/// one thread going rule by rule. What a block reads does not depend on
/// the other block of its wave, so the work, and whether the search runs
/// out, is the same on any number of threads.
pub(super) fn fates_after(
    policy: &std::sync::Arc<CheckedPolicy>,
    clauses: &Clauses<'_>,
    budget: usize,
    prior: Option<&Searched>,
    marks: Option<&Marked>,
) -> Option<(Vec<Fate>, Searched)> {
    if !searched(policy) {
        return None;
    }
    let rules = policy.rules.len();
    let index = Index::new(clauses);
    let own = ByRule::new(clauses, rules);
    let shared = Shared {
        index: &index,
        own: &own,
        prior,
        reuse: prior.map_or(0, |p| p.unchanged_rules(policy)),
        marks,
    };
    let priority = policy.hit == crate::model::HitPolicy::Priority;
    let mut fates: Vec<Fate> = (0..rules).map(|_| Fate::default()).collect();
    let mut dropped: Vec<u32> = vec![0; rules];
    let mut work: Vec<(usize, usize)> = vec![(0, 0); rules];
    // The work so far, in rule order; the rules that never decide, so far,
    // whose deciders were looked for, and the work of looking.
    let mut total = 0usize;
    let mut named = 0;
    let mut walked = 0;
    // Marked, how many rules will be: those no clause of which holds first.
    let to_name = marks.map(|marks| {
        let never = own
            .rules()
            .filter(|own| !own.is_empty() && own.iter().all(|c| !marks.holds_first(*c)))
            .count();
        if priority {
            never
        } else {
            never.min(MAX_NAMED)
        }
    });
    // The work done before the last block.
    let mut window = 0;
    // The candidates that hold first somewhere. One that never does is
    // covered by those before it, so no search needs it: leaving it out
    // changes no answer and keeps the lists to the rules that decide.
    let mut live = vec![u64::MAX; clauses.candidates.len().div_ceil(64)];
    let mut workers = (Worker::new(clauses), Worker::new(clauses));
    let mut start = 0;
    while start < rules {
        let wave = (start, (start + WAVE * BLOCK).min(rules));
        let middle = (start + BLOCK).min(wave.1);
        start = wave.1;
        // Each block's clauses, beside the other block's.
        let remaining = budget.saturating_sub(total);
        let (first, second) = rayon::join(
            || workers.0.check(&shared, (wave.0, middle), &live, remaining),
            || workers.1.check(&shared, (middle, wave.1), &live, remaining),
        );
        let checked: Vec<RuleCheck> = first.ok()?.into_iter().chain(second.ok()?).collect();
        let mut spent = 0usize;
        for (rule, checked) in (wave.0..).zip(&checked) {
            for clause in own.of(rule).iter().take(checked.dropped as usize) {
                drop_candidate(&mut live, *clause);
            }
            spent = spent.saturating_add(checked.work);
        }
        // Which rules' deciders are looked for: those that never decide,
        // the first `MAX_NAMED` of them unless under `priority`.
        let mut naming = named;
        let mut walking: Vec<usize> = Vec::new();
        for (rule, checked) in (wave.0..).zip(&checked) {
            match &checked.kept {
                Some((fate, _)) => naming += usize::from(!fate.decides && !fate.unnamed),
                None if checked.decides => {}
                None if naming == MAX_NAMED && !priority => {}
                None => {
                    naming += 1;
                    walking.push(rule);
                }
            }
        }
        // Their walks, half on each thread.
        let remaining = budget.saturating_sub(total.saturating_add(spent));
        let (early, late) = walking.split_at(walking.len() / 2);
        let (early, late) = rayon::join(
            || workers.0.walks(&shared, early, &live, remaining),
            || workers.1.walks(&shared, late, &live, remaining),
        );
        let mut walks = walking
            .iter()
            .copied()
            .zip(early.ok()?.into_iter().chain(late.ok()?))
            .peekable();
        // In rule order, as one thread would have gone: where the work
        // projected past the rules left runs over the budget, give up.
        for (rule, checked) in (wave.0..).zip(checked) {
            if rule % BLOCK == 0 {
                if rule >= 4 * BLOCK {
                    let projected = if index.narrows() {
                        // Halved: the first rules, which decide, cost the most.
                        let recent = total.saturating_sub(window) as f64 / BLOCK as f64;
                        (total as f64 + recent * (rules - rule) as f64) / 2.0
                    } else {
                        total as f64 * (rules as f64 / rule as f64).powi(2)
                    };
                    if projected > budget as f64 {
                        return None;
                    }
                }
                // Marked, which rules never decide is known before any
                // walk: the work left is about the walks left, at the
                // cost of those made.
                if let Some(to_name) = to_name.filter(|_| named >= 16) {
                    let per_walk = walked as f64 / named as f64;
                    let projected = total as f64 + per_walk * to_name.saturating_sub(named) as f64;
                    if projected > budget as f64 {
                        return None;
                    }
                }
                window = total;
            }
            let (Some(fate), Some(slot), Some(count)) = (
                fates.get_mut(rule),
                work.get_mut(rule),
                dropped.get_mut(rule),
            ) else {
                continue;
            };
            *count = checked.dropped;
            *slot = (checked.work, 0);
            total = total.saturating_add(checked.work);
            if let Some((kept, walk_work)) = checked.kept {
                named += usize::from(!kept.decides && !kept.unnamed);
                walked += walk_work;
                total = total.saturating_add(walk_work);
                slot.1 = walk_work;
                *fate = kept;
            } else if checked.decides {
                fate.decides = true;
            } else if let Some((_, walk)) = walks.next_if(|(walking, _)| *walking == rule) {
                named += 1;
                walked += walk.work;
                total = total.saturating_add(walk.work);
                slot.1 = walk.work;
                fate.deciders = walk.deciders;
                fate.cut_short = walk.cut_short;
            } else {
                fate.unnamed = true;
            }
            if total > budget {
                return None;
            }
        }
    }
    let kept = Searched {
        policy: std::sync::Arc::clone(policy),
        fates: fates.clone(),
        dropped,
        work,
    };
    Some((fates, kept))
}

/// Marks `clause` in `live` as holding first nowhere.
fn drop_candidate(live: &mut [u64], clause: u32) {
    if let Some(word) = live.get_mut(clause as usize / 64) {
        *word &= !(1 << (clause % 64));
    }
}

/// How many rules a block of the search for fates holds. A block's rules
/// are checked in order on one thread, which reads the clauses the rules
/// of earlier waves and of its own block dropped (see [`Worker::check`]).
const BLOCK: usize = 64;

/// How many blocks are checked beside each other, and then walked: one
/// per thread of [`fates_after`], whatever the threads of the machine,
/// so that the work counted, and so the answers, are the same on any.
const WAVE: usize = 2;

/// Each rule's clauses, as candidates, in order.
struct ByRule {
    /// Rule `r`'s are `candidates[starts[r]..starts[r + 1]]`.
    candidates: Vec<u32>,
    starts: Vec<u32>,
}

impl ByRule {
    fn new(clauses: &Clauses<'_>, rules: usize) -> ByRule {
        let mut starts = vec![0u32; rules + 1];
        for candidate in &clauses.candidates {
            if let Some(count) = starts.get_mut(candidate.rule.0 as usize + 1) {
                *count += 1;
            }
        }
        for rule in 0..rules {
            let before = starts.get(rule).copied().unwrap_or(0);
            if let Some(count) = starts.get_mut(rule + 1) {
                *count += before;
            }
        }
        let mut candidates = vec![0u32; clauses.candidates.len()];
        let mut next = starts.clone();
        for (i, candidate) in clauses.candidates.iter().enumerate() {
            if let Some(at) = next.get_mut(candidate.rule.0 as usize) {
                if let Some(slot) = candidates.get_mut(*at as usize) {
                    *slot = i as u32;
                }
                *at += 1;
            }
        }
        ByRule { candidates, starts }
    }

    /// Rule `rule`'s clauses.
    fn of(&self, rule: usize) -> &[u32] {
        match (self.starts.get(rule), self.starts.get(rule + 1)) {
            (Some(start), Some(end)) => self
                .candidates
                .get(*start as usize..*end as usize)
                .unwrap_or_default(),
            _ => &[],
        }
    }

    /// Every rule's clauses, in rule order.
    fn rules(&self) -> impl Iterator<Item = &[u32]> + '_ {
        (0..self.starts.len().saturating_sub(1)).map(|rule| self.of(rule))
    }
}

/// What the threads of [`fates_after`] read.
struct Shared<'a> {
    index: &'a Index,
    own: &'a ByRule,
    /// The search before an edit, and how many first rules it left alone.
    prior: Option<&'a Searched>,
    reuse: usize,
    marks: Option<&'a Marked>,
}

/// What checking one rule found.
struct RuleCheck {
    decides: bool,
    /// How many of its first clauses hold first nowhere.
    dropped: u32,
    work: usize,
    /// Its fate, and the work of its walk, where taken from the search
    /// before an edit.
    kept: Option<(Fate, usize)>,
}

/// What the walk over a rule that never decides found.
struct Walked {
    deciders: Vec<RuleId>,
    cut_short: bool,
    work: usize,
}

/// One thread of [`fates_after`]: a search, and its buffers.
struct Worker<'p> {
    search: Search<'p>,
    lists: (Vec<u32>, Vec<u32>),
    /// The candidates this thread reads as holding first somewhere.
    live: Vec<u64>,
}

impl<'p> Worker<'p> {
    fn new(clauses: &'p Clauses<'p>) -> Worker<'p> {
        Worker {
            search: Search::new(clauses, 0),
            lists: (Vec::new(), Vec::new()),
            live: Vec::new(),
        }
    }

    /// Checks rules `from..to`, in order, within `budget`: whether each
    /// decides (one of its clauses holds first somewhere) and how many of
    /// its first clauses hold first nowhere, and the work of finding out.
    /// Reads the candidates `live` says hold first somewhere, less those
    /// of the block's own rules found to hold first nowhere.
    fn check(
        &mut self,
        shared: &Shared<'_>,
        (from, to): (usize, usize),
        live: &[u64],
        budget: usize,
    ) -> Result<Vec<RuleCheck>, OverBudget> {
        self.live.clear();
        self.live.extend_from_slice(live);
        self.search.work = 0;
        self.search.budget = budget;
        let search = &mut self.search;
        let mut found = Vec::with_capacity(to.saturating_sub(from));
        for rule in from..to {
            let own = shared.own.of(rule);
            let known = shared.prior.filter(|_| rule < shared.reuse).and_then(|p| {
                Some((
                    p.fates.get(rule)?,
                    *p.dropped.get(rule)?,
                    *p.work.get(rule)?,
                ))
            });
            if let Some((fate, count, (check_work, walk_work))) = known {
                search.spend(check_work)?;
                for clause in own.iter().take(count as usize) {
                    drop_candidate(&mut self.live, *clause);
                }
                // Where its deciders were cut short, which were seen
                // depends on the rules after it: it is walked again.
                let kept = (fate.decides || !fate.cut_short).then(|| (fate.clone(), walk_work));
                if kept.is_some() {
                    search.spend(walk_work)?;
                }
                found.push(RuleCheck {
                    decides: fate.decides,
                    dropped: count,
                    work: check_work,
                    kept,
                });
                continue;
            }
            // A rule decides where one of its clauses holds and no
            // candidate before that clause does (its own earlier clauses
            // included).
            let before = search.work;
            let mut decides = false;
            let mut count = 0;
            for clause in own {
                let uncovered = if let Some(marks) = shared.marks {
                    search.spend(1 + marks.work(*clause))?;
                    marks.holds_first(*clause)
                } else {
                    let (by, work) = shared.index.subsumer(search, *clause as usize, false);
                    search.spend(work)?;
                    let sampled = by.is_none().then(|| {
                        shared
                            .index
                            .uncovered_point(search, *clause as usize, &self.live)
                    });
                    if let Some((_, work)) = sampled {
                        search.spend(work)?;
                    }
                    by.is_none()
                        && (sampled.is_some_and(|(found, _)| found)
                            || search.in_region(
                                shared.index,
                                (*clause, *clause),
                                &self.live,
                                &mut self.lists,
                                Search::uncovered,
                            )?)
                };
                if uncovered {
                    decides = true;
                    break;
                }
                drop_candidate(&mut self.live, *clause);
                count += 1;
            }
            found.push(RuleCheck {
                decides: decides || own.is_empty(),
                dropped: count,
                work: search.work - before,
                kept: None,
            });
        }
        Ok(found)
    }

    /// Walks the regions of `rules`, which never decide, within `budget`:
    /// which rules decide in each one's place. Reads the candidates
    /// `live` says hold first somewhere.
    fn walks(
        &mut self,
        shared: &Shared<'_>,
        rules: &[usize],
        live: &[u64],
        budget: usize,
    ) -> Result<Vec<Walked>, OverBudget> {
        self.search.work = 0;
        self.search.budget = budget;
        let search = &mut self.search;
        let mut found = Vec::with_capacity(rules.len());
        for rule in rules {
            let before = search.work;
            let mut walk = Walk {
                owner: Some(RuleId(*rule as u32)),
                ..Walk::default()
            };
            for clause in shared.own.of(*rule) {
                // Past a candidate that holds on the whole region, none
                // decides there. Found exactly, so that the walk is the
                // same whatever the rules after it (a resumed search keeps
                // the walks of unchanged rules), and its work not counted:
                // a resumed search does not make it for the rules it keeps.
                let until = match shared.index.subsumer(search, *clause as usize, true) {
                    (Some(by), _) => by + 1,
                    (None, _) => *clause,
                };
                search.in_region(
                    shared.index,
                    (*clause, until),
                    live,
                    &mut self.lists,
                    |search, list| search.walk(list, &mut walk),
                )?;
            }
            walk.deciders.sort();
            found.push(Walked {
                deciders: walk.deciders,
                cut_short: walk.cut_short,
                work: search.work - before,
            });
        }
        Ok(found)
    }
}

/// The regions of facts no rule decides, as the tree's `find_gaps` gives
/// them; `None` past `budget` work.
/// None where `marking` and the policy's [`marked`] points say every
/// point is decided.
#[cfg(any(test, feature = "testing"))]
pub(super) fn gaps(policy: &CheckedPolicy, budget: usize, marking: bool) -> Option<FoundGaps> {
    let clauses = Clauses::of(policy);
    let marks = marking.then(|| marked(&clauses)).flatten();
    gaps_unless(&clauses, budget, None, marks.as_ref())
}

/// [`gaps`] of a loaded policy, within [`gaps_budget`] of the default tree
/// budget: as the report asks for them, or beside the search of the rules,
/// given up (`None`) as soon as another thread sets `abandoned`. None
/// where `marks` say every point is decided.
pub(super) fn loaded_gaps(
    clauses: &Clauses<'_>,
    abandoned: Option<&std::sync::atomic::AtomicBool>,
    marks: Option<&Marked>,
) -> Option<FoundGaps> {
    let budget = gaps_budget(clauses.policy, crate::limits::Limits::TREE_BUDGET);
    gaps_unless(clauses, budget, abandoned, marks)
}

/// [`gaps`], given up (`None`) as soon as another thread sets `abandoned`.
fn gaps_unless(
    clauses: &Clauses<'_>,
    budget: usize,
    abandoned: Option<&std::sync::atomic::AtomicBool>,
    marks: Option<&Marked>,
) -> Option<FoundGaps> {
    if !searched(clauses.policy) {
        return None;
    }
    if marks.is_some_and(|marks| !marks.left()) {
        return Some((Vec::new(), false));
    }
    let mut search = Search::new(clauses, budget);
    search.abandoned = abandoned;
    search.left = marks;
    let list: Vec<u32> = (0..search.clauses.candidates.len() as u32).collect();
    let mut gaps = Gaps::default();
    search.gaps(&list, &mut gaps).ok()?;
    Some((gaps.found, gaps.more))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::{Clauses, Fate, Marked, Searched};
    use crate::model::{CheckedPolicy, FactId};
    use crate::source::SourceMap;
    use crate::{check, syntax};

    /// [`super::fates_after`] over the policy's own clauses.
    fn fates_after(
        policy: &Arc<CheckedPolicy>,
        budget: usize,
        prior: Option<&Searched>,
        marks: Option<&Marked>,
    ) -> Option<(Vec<Fate>, Searched)> {
        super::fates_after(policy, &Clauses::of(policy), budget, prior, marks)
    }

    /// The policy's clauses marked on a map of its points.
    fn marked(policy: &CheckedPolicy) -> Option<Marked> {
        super::marked(&Clauses::of(policy))
    }

    /// A `first match` policy of `rules` overlapping rules over three
    /// facts, from fixed random choices; `last` is the last rule's value
    /// of `f`.
    fn overlapping(rules: usize, last: usize) -> Arc<CheckedPolicy> {
        let mut text = String::from("policy wide\nfirst match\n");
        text.push_str(&format!("fact f: {{{}}} at f\n", values("v", 20)));
        text.push_str(&format!("fact g: {{{}}} at g\n", values("w", 3)));
        text.push_str(&format!("fact h: {{{}}} at h\n", values("x", 4)));
        text.push_str("outcome o\noutcome p\noutcome q\n");
        let mut next = random(0x2545_F491_4F6C_DD1D);
        for _ in 1..rules {
            let f = format!("v{}", next(20));
            let g = format!("w{}", next(3));
            let h = format!("x{}", next(4));
            let outcome = ["o", "p", "q"][next(3) as usize];
            match next(3) {
                0 => text.push_str(&format!("{f} {h} -> {outcome}\n")),
                1 => text.push_str(&format!("{g} {h} -> {outcome}\n")),
                _ => text.push_str(&format!("{f} {g} -> {outcome}\n")),
            }
        }
        text.push_str(&format!("v{last} w1 x2 -> o\n"));
        policy_of(&text)
    }

    /// A `first match` policy of `rules` rules over four facts of 16
    /// values, each rule testing two or three of them, from fixed random
    /// choices: the shape of the scale bench, small enough for the search.
    fn four_facts(rules: usize) -> Arc<CheckedPolicy> {
        let mut text = String::from("policy four\nfirst match\n");
        for fact in 0..4 {
            text.push_str(&format!(
                "fact f{fact}: {{{}}} at f{fact}\n",
                values(&format!("f{fact}v"), 16)
            ));
        }
        text.push_str("outcome o\noutcome p\n");
        let mut next = random(0x2545_F491_4F6C_DD1D);
        for _ in 0..rules {
            let skip = next(4);
            let third = next(2) == 0;
            let mut line = String::new();
            for fact in (0..4)
                .filter(|f| *f != skip)
                .take(if third { 3 } else { 2 })
            {
                line.push_str(&format!("f{fact}v{} ", next(16)));
            }
            line.push_str(["-> o\n", "-> p\n"][next(2) as usize]);
            text.push_str(&line);
        }
        policy_of(&text)
    }

    /// Read off the marked points, which rules decide and which decide in
    /// a shadowed rule's place are what the search finds, and so are the
    /// gaps (none where the marks say every point is decided).
    #[test]
    fn marking_finds_what_the_search_does() {
        for policy in [
            overlapping(50, 3),
            overlapping(600, 7),
            four_facts(40),
            four_facts(1_500),
        ] {
            let marks = marked(&policy).expect("few enough points to mark");
            let (searched, _) = fates_after(&policy, usize::MAX, None, None).unwrap();
            let (by_marks, _) = fates_after(&policy, usize::MAX, None, Some(&marks)).unwrap();
            assert_eq!(by_marks, searched);
            assert!(searched.iter().any(|fate| fate.decides));
            assert_eq!(
                super::gaps(&policy, usize::MAX, true),
                super::gaps(&policy, usize::MAX, false)
            );
        }
        // Some have gaps and some do not.
        assert!(marked(&four_facts(40)).unwrap().left());
        assert!(!marked(&overlapping(600, 7)).unwrap().left());
    }

    /// A point the index finds outside every candidate before a clause is
    /// one the search finds too: where it says a clause holds first
    /// somewhere, the search agrees; and it finds most of those the
    /// search does where the index covers the facts.
    #[test]
    fn a_point_found_at_once_is_one_the_search_finds() {
        for policy in [overlapping(600, 7), four_facts(1_500), many_numbers(400, 7)] {
            let clauses = Clauses::of(&policy);
            let index = super::Index::new(&clauses);
            let mut search = super::Search::new(&clauses, usize::MAX);
            let live = vec![u64::MAX; clauses.candidates.len().div_ceil(64)];
            let mut lists = (Vec::new(), Vec::new());
            let (mut found, mut uncovered) = (0, 0);
            for clause in 0..clauses.candidates.len() as u32 {
                let (at_once, _) = index.uncovered_point(&search, clause as usize, &live);
                let searched = search
                    .in_region(
                        &index,
                        (clause, clause),
                        &live,
                        &mut lists,
                        super::Search::uncovered,
                    )
                    .unwrap();
                assert!(searched || !at_once, "clause {clause}");
                found += usize::from(at_once);
                uncovered += usize::from(searched);
            }
            assert!(found * 2 > uncovered, "{found} of {uncovered}");
        }
    }

    /// The clauses are checked a block of rules per thread, and the work
    /// each rule takes, so whether the search runs out, is the same on one
    /// thread as on several.
    #[test]
    fn the_search_counts_the_same_work_on_any_threads() {
        let policy = overlapping(900, 7);
        let (fates, searched) = fates_after(&policy, usize::MAX, None, None).unwrap();
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let (alone, searched_alone) =
            one.install(|| fates_after(&policy, usize::MAX, None, None).unwrap());
        assert_eq!(alone, fates);
        assert_eq!(searched_alone.work, searched.work);
        assert_eq!(searched_alone.dropped, searched.dropped);
        assert!(fates.iter().any(|fate| !fate.decides));
    }

    /// Fixed random choices from `seed` (xorshift): each call, a number
    /// below its argument.
    fn random(seed: u64) -> impl FnMut(u64) -> u64 {
        let mut state = seed;
        move |n| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        }
    }

    /// `n` words: the prefix and 0, 1, 2, ..., space-separated.
    fn values(prefix: &str, n: usize) -> String {
        (0..n)
            .map(|i| format!("{prefix}{i}"))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The checked policy of one file's text.
    fn policy_of(text: &str) -> Arc<CheckedPolicy> {
        let mut sources = SourceMap::new();
        // Cannot fail: the first file of an empty map.
        sources.add("test.policy", text.to_string()).unwrap();
        let files: Vec<_> = sources
            .files()
            .map(|(_, file)| syntax::parse(file).unwrap())
            .collect();
        let mut checked = check::check(&sources, &files, &crate::limits::Limits::default());
        assert!(checked.diagnostics.iter().all(|d| !d.is_error()));
        Arc::new(checked.policies.remove(0))
    }

    /// A rule whose region lies inside an earlier rule's is found covered
    /// by the index, by the first such rule, numbers included; one only
    /// partly inside is not.
    #[test]
    fn a_rule_inside_an_earlier_one_is_found_by_the_index() {
        let mut text = String::from("policy inside\nfirst match\n");
        text.push_str(&format!("fact f: {{{}}} at f\n", values("v", 8)));
        text.push_str(&format!("fact g: {{{}}} at g\n", values("w", 8)));
        text.push_str("fact n: number at n\n");
        text.push_str("outcome o\noutcome p\n");
        for rule in [
            "v1 w2 -> o",
            "v1 -> p",
            "v1 w2 n > 3 -> p",
            "v1 w3 -> o",
            "w2 -> o",
            "v2 w2 -> p",
            "n > 5 -> o",
            "v3 w4 n > 6 -> p",
        ] {
            text.push_str(rule);
            text.push('\n');
        }
        let policy = policy_of(&text);
        let clauses = Clauses::of(&policy);
        let search = super::Search::new(&clauses, usize::MAX);
        let index = super::Index::new(&clauses);
        assert!(index.narrows());
        let found: Vec<Option<u32>> = (0..8)
            .map(|c| index.subsumer(&search, c, false).0)
            .collect();
        assert_eq!(
            found,
            [None, None, Some(0), Some(1), None, Some(4), None, Some(6)]
        );
    }

    /// Past [`MAX_NAMED`](super::MAX_NAMED) rules that never decide, the
    /// rest are reported without the rules that decide in their place,
    /// alike whether the rules are searched or read off the tree.
    #[test]
    fn past_the_first_thousand_rules_that_never_decide_none_are_named() {
        let shadowed = super::MAX_NAMED + 3;
        let values: Vec<String> = (0..shadowed).map(|i| format!("w{i}")).collect();
        let mut text = String::from("policy many\nfirst match\nfact f: {a b} at f\n");
        text.push_str(&format!("fact g: {{{}}} at g\n", values.join(" ")));
        text.push_str("outcome o\noutcome p\na -> o\n");
        // Each inside the first rule, and none inside another.
        for value in &values {
            text.push_str(&format!("a {value} -> p\n"));
        }
        text.push_str("b -> o\n");
        let policy = policy_of(&text);
        let searched = super::fates(&policy, usize::MAX, false).unwrap();
        let (tree, _) = super::super::compile_shared(Arc::clone(&policy), usize::MAX);
        assert!(tree.scan.is_none());
        let built = super::super::analysis::fates_from_tree(&tree);
        for fates in [&searched, &built] {
            let named = fates.iter().filter(|f| !f.decides && !f.unnamed).count();
            assert_eq!(named, super::MAX_NAMED);
            for (rule, fate) in fates.iter().enumerate() {
                let shadowed = (1..=shadowed).contains(&rule);
                assert_eq!(fate.decides, !shadowed, "rule {rule}");
                assert_eq!(
                    fate.unnamed,
                    shadowed && rule > super::MAX_NAMED,
                    "rule {rule}"
                );
                let deciders = if shadowed && !fate.unnamed {
                    vec![crate::model::RuleId(0)]
                } else {
                    vec![]
                };
                assert_eq!(fate.deciders, deciders, "rule {rule}");
            }
        }
        let warnings = super::super::analysis::rules_that_never_matter(&policy, &searched);
        let unnamed: Vec<String> = warnings
            .iter()
            .filter_map(|w| match w {
                crate::diagnostics::CheckError::Shadowed { by, help, .. } if by.is_empty() => {
                    Some(help.clone())
                }
                _ => None,
            })
            .collect();
        assert_eq!(unnamed.len(), 3);
        assert!(
            unnamed[0].contains("named for the first 1000 rules"),
            "{}",
            unnamed[0]
        );
    }

    /// A search resumed after an edit that changes which facts the index
    /// holds (3,000 rules appended, each testing a fact the others do not,
    /// leave the others' facts below one candidate in 16) finds what a
    /// fresh search finds, the rules deciding in a shadowed rule's place
    /// included: the walk's end is found exactly, not by the index.
    #[test]
    fn a_search_resumed_after_the_index_changes_finds_what_a_fresh_one_does() {
        let mut text = String::from("policy resumed\nfirst match\n");
        text.push_str(&format!("fact f: {{{}}} at f\n", values("v", 4)));
        text.push_str(&format!("fact g: {{{}}} at g\n", values("w", 12)));
        text.push_str(&format!("fact h: {{{}}} at h\n", values("x", 12)));
        text.push_str(&format!("fact k: {{{}}} at k\n", values("k", 100)));
        text.push_str("outcome o\noutcome p\noutcome q\n");
        for i in 0..10 {
            text.push_str(&format!("v0 w0 x{i} -> o\n"));
        }
        for i in 1..=10 {
            text.push_str(&format!("v0 w{i} x0 -> o\n"));
        }
        text.push_str("v0 -> o\n");
        for i in 0..6 {
            text.push_str(&format!("x{i} -> q\n"));
        }
        text.push_str("v0 -> p\n");
        let before = policy_of(&text);
        for i in 0..3_000 {
            text.push_str(&format!("k{} -> o\n", i % 100));
        }
        let after = policy_of(&text);
        let (_, prior) = fates_after(&before, usize::MAX, None, None).unwrap();
        let (fresh, _) = fates_after(&after, usize::MAX, None, None).unwrap();
        let (resumed, _) = fates_after(&after, usize::MAX, Some(&prior), None).unwrap();
        let shadowed = &fresh[27];
        assert!(!shadowed.decides && shadowed.deciders.len() > super::MAX_SHOWN);
        assert_eq!(fresh, resumed);
    }

    /// Under `priority`, every rule that never decides has its deciders
    /// looked for, past [`MAX_NAMED`](super::MAX_NAMED) too: they tell
    /// whether it is outranked.
    #[test]
    fn under_priority_every_rule_that_never_decides_is_named() {
        let count = super::MAX_NAMED + 2;
        let values: Vec<String> = (0..count).map(|i| format!("w{i}")).collect();
        let mut text = String::from("policy ranked\npriority deny > allow\n");
        text.push_str("fact f: {a b} at f\n");
        text.push_str(&format!("fact g: {{{}}} at g\n", values.join(" ")));
        text.push_str("a -> deny\n");
        for value in &values {
            text.push_str(&format!("a {value} -> allow\n"));
        }
        let policy = policy_of(&text);
        let fates = super::fates(&policy, usize::MAX, false).unwrap();
        let (tree, _) = super::super::compile_shared(Arc::clone(&policy), usize::MAX);
        let built = super::super::analysis::fates_from_tree(&tree);
        for fates in [&fates, &built] {
            assert!(fates.iter().all(|f| !f.unnamed));
        }
        let warnings = super::super::analysis::rules_that_never_matter(&policy, &fates);
        let outranked = warnings
            .iter()
            .filter(|w| matches!(w, crate::diagnostics::CheckError::Outranked { .. }))
            .count();
        assert_eq!((outranked, warnings.len()), (count, count));
    }

    /// A `first match` policy over a number tested against 40 constants
    /// (81 atoms: more than a word holds, so its pieces are runs) and a
    /// three-valued enum, from fixed random choices: points, ranges and
    /// both, so that some rules are covered only by several before them.
    fn many_numbers(rules: usize, seed: u64) -> Arc<CheckedPolicy> {
        let mut text = String::from("policy numbers\nfirst match\nfact n: number at n\n");
        text.push_str(&format!("fact g: {{{}}} at g\n", values("w", 3)));
        text.push_str("outcome o\noutcome p\n");
        let mut next = random(seed);
        // Every constant appears, so that the number has all 81 atoms.
        for k in 0..40 {
            text.push_str(&format!("n = {k} w{} -> o\n", k % 3));
        }
        for _ in 40..rules {
            let (a, b) = (next(40), next(40));
            let (low, high) = (a.min(b), a.max(b));
            let g = format!("w{}", next(3));
            let outcome = ["o", "p"][next(2) as usize];
            match next(4) {
                0 => text.push_str(&format!("n = {a} -> {outcome}\n")),
                1 => text.push_str(&format!("n >= {low} n < {high} {g} -> {outcome}\n")),
                2 => text.push_str(&format!("n > {a} {g} -> {outcome}\n")),
                _ => text.push_str(&format!("n <= {a} -> {outcome}\n")),
            }
        }
        policy_of(&text)
    }

    /// Over a fact of many atoms the search splits a piece into runs and
    /// sorts the candidates into them by binary search (`distribute`):
    /// it finds the same rules deciding, the same rules in a shadowed
    /// rule's place and the same gaps as the tree.
    #[test]
    fn a_number_of_many_values_is_searched_as_the_tree_tells() {
        for seed in [0x2545_F491_4F6C_DD1D, 0x9E37_79B9_7F4A_7C15, 7] {
            let policy = many_numbers(160, seed);
            assert!(policy.facts[0].atom_count() > 64);
            let fates = super::fates(&policy, usize::MAX, false).unwrap();
            assert!(fates.iter().any(|f| !f.decides) && fates.iter().any(|f| f.decides));
            assert!(super::gaps(&policy, usize::MAX, false).is_some());
            let (tree, _) = super::super::compile_shared(Arc::clone(&policy), usize::MAX);
            assert!(tree.scan.is_none());
            super::super::searched_as_built(&tree, 1_000).unwrap();
        }
    }

    /// `facts` two-valued facts and a rule testing each in turn, then the
    /// rules of `more`: the shape where a split search would go as many
    /// splits deep as there are facts before it found where a rule decides.
    fn one_fact_each(facts: usize, more: &[&str]) -> Arc<CheckedPolicy> {
        let mut text = String::from("policy facts\nfirst match\n");
        for i in 0..facts {
            text.push_str(&format!("fact f{i}: {{f{i}a f{i}b}} at f{i}\n"));
        }
        text.push_str("outcome o\noutcome p\n");
        for i in 0..facts {
            text.push_str(&format!("f{i}a -> o\n"));
        }
        for rule in more {
            text.push_str(rule);
            text.push('\n');
        }
        policy_of(&text)
    }

    /// Narrowing finds where each of 600 rules on a fact of its own
    /// decides in one pass over the rules before it (each holds on all
    /// but its own fact, which it narrows to the other value); splitting
    /// alone would go 600 splits deep, deeper than a tree may be, and give
    /// up. The rules after them are told apart exactly: two that never
    /// decide, with the rules deciding in their place, and one deciding.
    #[test]
    fn narrowing_finds_where_rules_on_many_facts_decide() {
        let policy = one_fact_each(600, &["f7a f9b -> p", "f3b f2a -> p", "f599b -> p"]);
        let fates = super::fates(&policy, usize::MAX, false).expect("searched");
        let rule = |i: u32| crate::model::RuleId(i);
        for (i, fate) in fates.iter().enumerate().take(600) {
            assert!(fate.decides, "rule {i}");
        }
        let tail: Vec<(bool, Vec<crate::model::RuleId>)> = fates
            .get(600..)
            .unwrap()
            .iter()
            .map(|f| (f.decides, f.deciders.clone()))
            .collect();
        // Where `f7a f9b` holds, rules 0 to 6 decide wherever their fact
        // is `a`, and rule 7 everywhere else; where `f3b f2a` holds, rules
        // 0 and 1, then rule 2.
        assert_eq!(
            tail,
            [
                (false, (0..8).map(rule).collect()),
                (false, (0..3).map(rule).collect()),
                (true, vec![]),
            ]
        );
        // The same answers as the tree where it can be built.
        let small = one_fact_each(20, &["f7a f9b -> p", "f3b f2a -> p", "f19b -> p"]);
        let (tree, _) = super::super::compile_shared(Arc::clone(&small), usize::MAX);
        assert!(tree.scan.is_none());
        super::super::searched_as_built(&tree, 0).unwrap();
    }

    /// Narrowing takes atoms out of a fact of at most 64 atoms only. A
    /// number of many values is left whole for a split to sort the rules
    /// into its runs: narrowing it would cut a hole per rule (4,000 rules
    /// `n = k` before 40,000 on two enums made the search of every later
    /// rule rebuild and keep a piece of thousands of runs, 50 times slower
    /// than splitting, and none of it counted against the budget).
    #[test]
    fn only_facts_of_a_word_are_narrowed() {
        let mut text = String::from(
            "policy numbers
first match
fact n: number at n
",
        );
        text.push_str(
            "fact g: {w0 w1 w2} at g
outcome o
outcome p
",
        );
        for k in 0..40 {
            text.push_str(&format!(
                "n = {k} -> o
"
            ));
        }
        text.push_str(
            "w0 -> p
n > 50 w1 -> o
",
        );
        let policy = policy_of(&text);
        assert!(policy.facts[0].atom_count() > 64);
        let clauses = Clauses::of(&policy);
        let mut search = super::Search::new(&clauses, usize::MAX);
        let whole = search.region.clone();
        let list: Vec<u32> = (0..42).collect();
        let mut saved = Vec::new();
        assert!(!search.narrow(&list, &mut saved).unwrap());
        // `w0` narrows `g` to `w1 w2`; no `n = k` narrows `n`.
        assert_eq!(saved, [(1, 0b111)]);
        assert_eq!(search.region[0], whole[0]);
        assert_eq!(search.region[1], super::Atoms::Word(0b110));
        // Every rule but `w0` still meets the piece.
        let meeting: Vec<u32> = list.iter().copied().filter(|c| search.meets(*c)).collect();
        assert_eq!(meeting, (0..40).chain([41]).collect::<Vec<u32>>());
    }

    /// A split spends its work before it sorts the candidates into the
    /// classes: a number split into 2,001 runs, with 3,000 rules that do
    /// not test it and so go into every one, would take six million
    /// entries (48 MB; 3.8 GB for 4,000 values and 40,000 rules), so it
    /// runs out of a budget of a million without taking any.
    #[test]
    fn a_split_runs_out_of_budget_before_it_allocates() {
        let mut text = String::from(
            "policy numbers
first match
fact n: number at n
",
        );
        text.push_str(&format!(
            "fact g: {{{}}} at g
",
            values("w", 50)
        ));
        text.push_str(
            "outcome o
outcome p
",
        );
        for k in 0..1_000 {
            text.push_str(&format!(
                "n = {k} -> o
"
            ));
        }
        for k in 0..3_000 {
            text.push_str(&format!(
                "w{} -> p
",
                k % 50
            ));
        }
        let policy = policy_of(&text);
        let clauses = Clauses::of(&policy);
        let mut search = super::Search::new(&clauses, 1_000_000);
        let list: Vec<u32> = (0..4_000).collect();
        let mut pieces = 0;
        let split = search.split(FactId(0), &list, false, |_, _| {
            pieces += 1;
            Ok(true)
        });
        assert!(split.is_err());
        assert_eq!(pieces, 0);
        assert_eq!(search.hits.capacity(), 0);
        // Within budget, the same split sorts them all.
        let clauses = Clauses::of(&policy);
        let mut search = super::Search::new(&clauses, usize::MAX);
        let mut sizes = Vec::new();
        search
            .split(FactId(0), &list, false, |_, list| {
                sizes.push(list.len());
                Ok(true)
            })
            .unwrap();
        assert_eq!(sizes.len(), 2_001);
        // Between the values, and past them, only the 3,000; at each
        // value, its own rule too.
        assert!(sizes.iter().step_by(2).all(|size| *size == 3_000));
        assert!(sizes.iter().skip(1).step_by(2).all(|size| *size == 3_001));
    }

    /// A fact of no values (`{}`) is read by no rule: the search leaves it
    /// out as the tree does, and finds the same rules never deciding (over
    /// rows of words, its empty domain met no rule, and the third rule was
    /// missed); comparing the two at every point ends at once, there being
    /// none.
    #[test]
    fn a_fact_of_no_values_is_left_out() {
        let head = "policy p\nfirst match\noutcome o\noutcome q\nfact g: {} at g\n";
        for (rules, expected) in [
            (
                "fact h: {a b c} at h\nfact k: {x y} at k\na -> o\na x -> q\nb -> o\n",
                [true, false, true],
            ),
            (
                "fact h: {v0 v1 v2 v3 v4 v5 v6 v7 v8 v9 v10} at h\n\
                 {v0 v1 v2 v3 v4} -> o\n{v5 v6 v7 v8 v9} -> o\n\
                 {v0 v1 v2 v3 v4 v5 v6 v7 v8 v9} -> q\n",
                [true, true, false],
            ),
        ] {
            let policy = policy_of(&format!("{head}{rules}"));
            let fates = super::fates(&policy, usize::MAX, false).unwrap();
            let decides: Vec<bool> = fates.iter().map(|f| f.decides).collect();
            assert_eq!(decides, expected);
            let (tree, _) = super::super::compile_shared(policy, usize::MAX);
            super::super::searched_as_built(&tree, 1_000).unwrap();
        }
    }

    /// A gap search beside the rules' search stops once that search gives
    /// up (the tree is built then, and tells the gaps itself).
    #[test]
    fn an_abandoned_gap_search_stops() {
        let policy = many_numbers(160, 7);
        let abandoned = std::sync::atomic::AtomicBool::new(false);
        assert!(
            super::gaps_unless(&Clauses::of(&policy), usize::MAX, Some(&abandoned), None).is_some()
        );
        abandoned.store(true, std::sync::atomic::Ordering::Relaxed);
        assert!(
            super::gaps_unless(&Clauses::of(&policy), usize::MAX, Some(&abandoned), None).is_none()
        );
    }

    /// The search over [`super::Dense`] rows finds what the search over
    /// each candidate's conditions finds, with the same work rule by rule
    /// (which budgets and resumed searches depend on).
    #[test]
    fn rows_of_words_search_as_lists_of_conditions_do() {
        for (rules, last) in [(50, 1), (400, 3), (900, 7)] {
            let policy = overlapping(rules, last);
            let (rows, by_rows) = fates_after(&policy, usize::MAX, None, None).unwrap();
            let mut without_rows = Clauses::of(&policy);
            without_rows.dense = None;
            let (lists, by_lists) =
                super::fates_after(&policy, &without_rows, usize::MAX, None, None).unwrap();
            assert!(rows == lists, "{rules} rules");
            assert_eq!(by_rows.work, by_lists.work, "{rules} rules");
            assert_eq!(by_rows.dropped, by_lists.dropped, "{rules} rules");
            assert!(rows.iter().any(|fate| !fate.decides));
        }
    }

    /// A search resumed after an edit of the last rule (which leaves the
    /// index the search narrows with as it was) counts the work of
    /// the rules it takes from the search before, so that it runs out of
    /// budget exactly where a search from scratch does, the early give-up
    /// included, and tells the same where it does not.
    #[test]
    fn a_resumed_search_runs_out_where_a_fresh_one_does() {
        let before = overlapping(400, 3);
        let after = overlapping(400, 5);
        let (_, prior) = fates_after(&before, usize::MAX, None, None).unwrap();
        let (_, whole) = fates_after(&after, usize::MAX, None, None).unwrap();
        let total: usize = whole.work.iter().map(|(check, walk)| check + walk).sum();
        assert!(total > 10_000, "{total}");
        let mut outcomes = (0, 0);
        for budget in (1..=40).map(|k| total / 20 * k).chain([total - 1, total]) {
            let fresh = fates_after(&after, budget, None, None).map(|(fates, _)| fates);
            let resumed = fates_after(&after, budget, Some(&prior), None).map(|(fates, _)| fates);
            assert!(
                fresh == resumed,
                "budget {budget} of {total}: fresh finishes: {}, resumed: {}",
                fresh.is_some(),
                resumed.is_some()
            );
            if fresh.is_some() {
                outcomes.0 += 1;
            } else {
                outcomes.1 += 1;
            }
        }
        // Some budgets are enough and some are not.
        assert!(outcomes.0 > 0 && outcomes.1 > 0, "{outcomes:?}");
    }
}
