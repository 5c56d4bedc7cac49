//! Building the decision diagram top down. A subproblem is the list of rules
//! still possible on a path (in source order) and the facts already tested
//! on it; it is solved once (memoized) and equal nodes are stored once
//! (hash-consed), so the result is a DAG.
//!
//! Three things keep large policies tractable. A list ends at its first rule
//! whose conditions all hold on the path: no later rule can decide there. A
//! node is split in one pass over its rules, each put into the lists of the
//! atoms it allows, skipping lists that already ended. And the last test on
//! a path (every rule left holds or fails on one fact) is built directly,
//! without lists or memo: most nodes of a large diagram are such tests.
//!
//! A large root is split in two halves built on two threads, each by a
//! builder of its own, whose nodes are then interned into one diagram: the
//! same diagram, node for node, as one builder makes.

use std::hash::BuildHasher;

use hashbrown::HashTable;
use rustc_hash::{FxBuildHasher, FxHashMap};

use super::{Node, NodeId};
use crate::model::{AtomSet, CheckedPolicy, FactId, RuleId};

/// Root lists of at least this many rules have their subtrees built on
/// two threads (see [`Builder::split_in_two`]); smaller ones take less
/// time than starting the threads.
pub(super) const PARALLEL_FROM: usize = 500;

/// The most tests on one path of a diagram. Building, laying out and
/// walking a diagram recurse once per test on a path, so a deeper one (a
/// policy that tests hundreds of facts one after another) could overflow
/// the stack: it is evaluated by rule scan instead, which decides the same
/// as fast.
pub(super) const MAX_DEPTH: usize = 400;

/// The nodes and root of the diagram, or `None` when it would take more
/// than `budget` work. Work counts what costs time and memory: rules looked
/// at and put into lists, cells filled, memo keys and node edges stored.
/// A root list of at least `parallel_from` rules is split over two threads.
pub(super) fn build_with(
    policy: &CheckedPolicy,
    budget: usize,
    parallel_from: usize,
) -> Option<(Vec<Node>, NodeId)> {
    let builder = Builder::new(policy, budget, None);
    build_from(builder, parallel_from)
}

/// The diagram of one rule alone: its leaves are the rule and the
/// policy's `otherwise`. `verdict sql` decides a policy whose whole tree is
/// too large from these, rule by rule.
pub(super) fn build_rule(
    policy: &CheckedPolicy,
    rule: RuleId,
    budget: usize,
) -> Option<(Vec<Node>, NodeId)> {
    let builder = Builder::new(policy, budget, Some(rule));
    build_from(builder, usize::MAX)
}

fn build_from(mut builder: Builder<'_>, parallel_from: usize) -> Option<(Vec<Node>, NodeId)> {
    builder.parallel_from = parallel_from;
    // Rules are considered up to the first that always holds.
    let mut all = Vec::new();
    for (i, rule) in builder.rules.iter().enumerate() {
        all.push(i as u32);
        if rule.conditions.is_empty() {
            break;
        }
    }
    let root = builder.solve(&all, &vec![0; builder.words], 0)?;
    Some((builder.nodes, root))
}

/// One clause of a satisfiable rule: the rule's id and where the clause's
/// conditions are in [`Builder::conditions`].
struct Candidate {
    id: RuleId,
    conditions: std::ops::Range<usize>,
}

/// A condition that can fail (not a full set): a fact and its allowed atoms.
struct Condition<'p> {
    fact: FactId,
    atoms: Atoms<'p>,
}

/// Allowed atoms: as one word when the fact has at most 64 atoms, which
/// saves a pointer chase on the hottest loop of the build.
enum Atoms<'p> {
    Word(u64),
    Set(&'p AtomSet),
}

impl Atoms<'_> {
    fn count(&self) -> usize {
        match self {
            Atoms::Word(word) => word.count_ones() as usize,
            Atoms::Set(set) => set.count() as usize,
        }
    }

    fn for_each(&self, mut f: impl FnMut(usize)) {
        match self {
            Atoms::Word(word) => {
                let mut bits = *word;
                while bits != 0 {
                    f(bits.trailing_zeros() as usize);
                    bits &= bits - 1;
                }
            }
            Atoms::Set(set) => set.iter().for_each(|a| f(a as usize)),
        }
    }
}

/// Calls `f` with each atom a condition allows (every one of `atoms` when
/// there is no condition), counting the work.
#[inline]
fn each_allowed(allowed: Option<&Atoms>, atoms: usize, work: &mut usize, f: impl FnMut(usize)) {
    match allowed {
        None => {
            *work += atoms;
            (0..atoms).for_each(f);
        }
        Some(set) => {
            *work += set.count() + 1;
            set.for_each(f);
        }
    }
}

/// The buffers one level of the recursion splits into, kept for reuse.
#[derive(Default)]
struct Scratch {
    lists: Vec<Vec<u32>>,
    ended: Vec<bool>,
    below: Vec<u64>,
}

struct Builder<'p> {
    policy: &'p CheckedPolicy,
    /// The satisfiable rules, in source order; lists hold their indices.
    rules: Vec<Candidate>,
    /// Every rule's conditions, rule after rule, each rule's sorted by fact.
    conditions: Vec<Condition<'p>>,
    /// The nodes built so far; a node's index is its id.
    nodes: Vec<Node>,
    /// Hash-consing: `nodes` by content (with each one's hash), so that
    /// each distinct node is stored once.
    interned: HashTable<(u64, NodeId)>,
    /// The leaf of each rule, by rule index + 1 (0: no rule applies).
    leaves: Vec<Option<NodeId>>,
    /// Subproblems already solved, keyed by the facts tested (as 32-bit
    /// halves of the bit set's words) followed by the list.
    memo: FxHashMap<Box<[u32]>, NodeId>,
    /// The key being looked up, built here to look up without allocating.
    key: Vec<u32>,
    /// The decisions and edges of the node [`last_test`](Self::last_test)
    /// and [`last_two_tests`](Self::last_two_tests) build.
    decided: Vec<Option<RuleId>>,
    undecided: Vec<u64>,
    edges: Vec<NodeId>,
    /// Buffers per recursion depth.
    pools: Vec<Scratch>,
    /// Words of a tested-facts bit set.
    words: usize,
    work: usize,
    budget: usize,
    /// Lists of at least this many rules at the root split over two
    /// threads; `usize::MAX` in the builders of the halves.
    parallel_from: usize,
}

/// Whether the list of `atom` is the one of the atom before it: neighbouring
/// atoms often share a list (values no rule names), and so a child.
fn same_as_previous(lists: &[Vec<u32>], atom: usize) -> bool {
    atom.checked_sub(1)
        .and_then(|p| lists.get(p))
        .is_some_and(|p| Some(p) == lists.get(atom))
}

fn is_set(bits: &[u64], fact: FactId) -> bool {
    bits.get(fact.0 as usize / 64)
        .is_some_and(|w| w & (1u64 << (fact.0 % 64)) != 0)
}

fn set_bit(bits: &mut [u64], fact: FactId) {
    if let Some(word) = bits.get_mut(fact.0 as usize / 64) {
        *word |= 1u64 << (fact.0 % 64);
    }
}

impl<'p> Builder<'p> {
    /// A builder of the policy's diagram, or of the rule `only`'s alone.
    fn new(policy: &'p CheckedPolicy, budget: usize, only: Option<RuleId>) -> Builder<'p> {
        let mut rules = Vec::new();
        let mut conditions = Vec::new();
        // A rule with several clauses is a candidate per clause, in order:
        // where one of them holds, the rule decides.
        for rule in policy
            .rules_in_order()
            .filter(|rule| only.is_none_or(|id| rule.id == id))
        {
            for clause in &rule.clauses {
                let start = conditions.len();
                for (fact, set) in clause.conditions.iter().filter(|(_, set)| !set.is_full()) {
                    let atoms = if set.universe() <= 64 {
                        let mut word = 0u64;
                        set.iter().for_each(|a| word |= 1u64 << a);
                        Atoms::Word(word)
                    } else {
                        Atoms::Set(set)
                    };
                    conditions.push(Condition { fact: *fact, atoms });
                }
                rules.push(Candidate {
                    id: rule.id,
                    conditions: start..conditions.len(),
                });
            }
        }
        Builder {
            policy,
            rules,
            conditions,
            nodes: Vec::new(),
            interned: HashTable::new(),
            leaves: Vec::new(),
            memo: FxHashMap::default(),
            key: Vec::new(),
            decided: Vec::new(),
            undecided: Vec::new(),
            edges: Vec::new(),
            pools: Vec::new(),
            words: policy.facts.len().div_ceil(64).max(1),
            work: 0,
            budget,
            parallel_from: usize::MAX,
        }
    }

    /// The conditions of the rule at `index` in [`rules`](Self::rules).
    fn conditions_of(&self, index: u32) -> &[Condition<'p>] {
        self.rules
            .get(index as usize)
            .and_then(|r| self.conditions.get(r.conditions.clone()))
            .unwrap_or_default()
    }

    /// How many atoms `fact` has.
    fn atom_count(&self, fact: FactId) -> usize {
        self.policy.fact(fact).map_or(0, |f| f.atom_count()) as usize
    }

    fn rule_id(&self, index: u32) -> Option<RuleId> {
        self.rules.get(index as usize).map(|r| r.id)
    }

    /// Whether every condition of the rule at `index` is on a tested fact.
    fn holds(&self, index: u32, tested: &[u64]) -> bool {
        self.conditions_of(index)
            .iter()
            .all(|c| is_set(tested, c.fact))
    }

    /// The node deciding among `list` (indices into `rules`, in source
    /// order, ending at the first rule that holds) given the facts
    /// `tested`; `depth` is the recursion depth, at most the number of facts.
    fn solve(&mut self, list: &[u32], tested: &[u64], depth: usize) -> Option<NodeId> {
        if depth > MAX_DEPTH {
            return None;
        }
        // Leaves need no memo: a list that is empty, or whose first rule holds.
        let Some(&first) = list.first() else {
            return Some(self.leaf(None));
        };
        if self.holds(first, tested) {
            return Some(self.leaf(self.rule_id(first)));
        }
        // Nor does the last test on a path: it is cheap to build, and equal
        // nodes are shared by interning.
        match self.last_test(list, tested) {
            Ok(Some(id)) => return Some(id),
            Ok(None) => {}
            Err(()) => return None,
        }
        self.key.clear();
        for word in tested {
            self.key.push(*word as u32);
            self.key.push((*word >> 32) as u32);
        }
        self.key.extend_from_slice(list);
        if let Some(id) = self.memo.get(self.key.as_slice()) {
            return Some(*id);
        }
        let key: Box<[u32]> = self.key.as_slice().into();
        // A split costs more than its lists: the fact is chosen, the key
        // kept, buffers fetched and children solved; 256 is what one costs
        // on top, measured against the rest.
        self.work += 256 + 2 * list.len() + key.len();
        let fact = self.choose_fact(first, list, tested);
        match self.last_two_tests(fact, list, tested) {
            Ok(Some(id)) => {
                self.memo.insert(key, id);
                return Some(id);
            }
            Ok(None) => {}
            Err(()) => return None,
        }
        if self.pools.len() <= depth {
            self.pools.resize_with(depth + 1, Scratch::default);
        }
        let mut scratch = self
            .pools
            .get_mut(depth)
            .map(std::mem::take)
            .unwrap_or_default();
        let id = if depth == 0 && list.len() >= self.parallel_from {
            self.split_in_two(fact, list, tested, &mut scratch)
        } else {
            self.split(fact, list, tested, depth, &mut scratch)
        };
        if let Some(slot) = self.pools.get_mut(depth) {
            *slot = scratch;
        }
        let id = id?;
        self.memo.insert(key, id);
        Some(id)
    }

    /// Splits `list` on `fact`, using `scratch` for the lists per atom.
    fn split(
        &mut self,
        fact: FactId,
        list: &[u32],
        tested: &[u64],
        depth: usize,
        scratch: &mut Scratch,
    ) -> Option<NodeId> {
        let atoms = self.distribute(fact, list, tested, scratch)?;
        let Scratch { lists, below, .. } = scratch;
        let mut edges: Vec<NodeId> = Vec::with_capacity(atoms);
        for (atom, l) in lists.iter().take(atoms).enumerate() {
            let child = match edges.last() {
                Some(previous) if same_as_previous(lists, atom) => *previous,
                _ => self.solve(l, below, depth + 1)?,
            };
            edges.push(child);
        }
        Some(self.test(fact, &edges))
    }

    /// [`split`](Self::split) at the root of a large list, its children
    /// solved in two halves at once, each by a builder of its own, whose
    /// nodes are then interned here. A half knows nothing of the other's
    /// memo, so a subproblem both meet is solved twice; the nodes, interned
    /// by content, come out the same as one builder's. The halves are
    /// fixed (not by the number of threads), so the work counted, and with
    /// it whether the budget suffices, does not depend on the machine.
    fn split_in_two(
        &mut self,
        fact: FactId,
        list: &[u32],
        tested: &[u64],
        scratch: &mut Scratch,
    ) -> Option<NodeId> {
        let atoms = self.distribute(fact, list, tested, scratch)?;
        let Scratch { lists, below, .. } = scratch;
        // The distinct children, dealt to the halves longest list first,
        // each to the half with the shorter lists so far.
        let mut children: Vec<usize> = (0..atoms)
            .filter(|atom| !same_as_previous(lists, *atom))
            .collect();
        children.sort_by_key(|atom| std::cmp::Reverse(lists.get(*atom).map_or(0, Vec::len)));
        let mut halves: [(Vec<usize>, usize); 2] = Default::default();
        for atom in children {
            let length = lists.get(atom).map_or(0, Vec::len);
            let [first, second] = &mut halves;
            let half = if first.1 <= second.1 { first } else { second };
            half.0.push(atom);
            half.1 += length;
        }
        let budget = self.budget.saturating_sub(self.work);
        let (policy, lists, below) = (self.policy, &*lists, &*below);
        let solve_half = |atoms: &[usize]| {
            let mut half = Builder::new(policy, budget, None);
            let roots: Option<Vec<NodeId>> = atoms
                .iter()
                .map(|atom| half.solve(lists.get(*atom)?, below, 1))
                .collect();
            roots.map(|roots| (half, roots))
        };
        let [(first, _), (second, _)] = &halves;
        let (first_half, second_half) = rayon::join(|| solve_half(first), || solve_half(second));
        // Both halves' nodes interned here, in a fixed order.
        let mut child: Vec<Option<NodeId>> = vec![None; atoms];
        for (half, atoms) in [(first_half?, first), (second_half?, second)] {
            let (builder, roots) = half;
            self.work += builder.work;
            if self.work > self.budget {
                return None;
            }
            // Interning counts as work too.
            let ids = self.adopt(builder)?;
            if self.work > self.budget {
                return None;
            }
            for (atom, root) in atoms.iter().zip(roots) {
                if let Some(slot) = child.get_mut(*atom) {
                    *slot = ids.get(root.0 as usize).copied();
                }
            }
        }
        let mut edges: Vec<NodeId> = Vec::with_capacity(atoms);
        for (atom, id) in child.iter().enumerate() {
            let id = match (id, edges.last()) {
                (Some(id), _) => *id,
                (None, Some(previous)) if same_as_previous(lists, atom) => *previous,
                _ => return None,
            };
            edges.push(id);
        }
        Some(self.test(fact, &edges))
    }

    /// Takes another builder's nodes (children before parents, as builders
    /// store them), storing each one not here yet; their ids here, by their
    /// ids there. When this builder has no node yet, it takes the other's
    /// nodes and their interning as they are.
    fn adopt(&mut self, other: Builder<'_>) -> Option<Vec<NodeId>> {
        if self.nodes.is_empty() {
            let ids = (0..other.nodes.len() as u32).map(NodeId).collect();
            self.nodes = other.nodes;
            self.interned = other.interned;
            self.leaves = other.leaves;
            return Some(ids);
        }
        let mut ids: Vec<NodeId> = Vec::with_capacity(other.nodes.len());
        for node in other.nodes {
            let id = match node {
                Node::Leaf(rule) => self.leaf(rule),
                Node::Test { fact, mut edges } => {
                    for edge in edges.iter_mut() {
                        *edge = *ids.get(edge.0 as usize)?;
                    }
                    self.test_boxed(fact, edges)
                }
            };
            ids.push(id);
        }
        Some(ids)
    }

    /// Puts each rule of `list` into the list of every atom of `fact` it
    /// allows, in one pass, a list ending at its first rule that holds;
    /// the lists and the facts tested below are left in `scratch`. The
    /// number of atoms, or `None` past the budget.
    fn distribute(
        &mut self,
        fact: FactId,
        list: &[u32],
        tested: &[u64],
        scratch: &mut Scratch,
    ) -> Option<usize> {
        let atoms = self.atom_count(fact);
        let Scratch {
            lists,
            ended,
            below,
        } = scratch;
        below.clear();
        below.extend_from_slice(tested);
        below.resize(self.words, 0);
        set_bit(below, fact);
        lists.resize_with(atoms.max(lists.len()), Vec::new);
        lists.iter_mut().for_each(Vec::clear);
        ended.clear();
        ended.resize(atoms, false);
        let mut open = atoms;
        let mut work = self.work;
        for &index in list {
            if open == 0 {
                break;
            }
            let conditions = self.conditions_of(index);
            let holds = conditions.iter().all(|c| is_set(below, c.fact));
            let put = |atom: usize| {
                if ended.get(atom).copied().unwrap_or(true) {
                    return;
                }
                if let Some(l) = lists.get_mut(atom) {
                    l.push(index);
                }
                if holds {
                    if let Some(e) = ended.get_mut(atom) {
                        *e = true;
                    }
                    open -= 1;
                }
            };
            let allowed = conditions.iter().find(|c| c.fact == fact).map(|c| &c.atoms);
            each_allowed(allowed, atoms, &mut work, put);
            if work > self.budget {
                return None;
            }
        }
        self.work = work;
        Some(atoms)
    }

    /// The last test on a path: when the rules of `list` that can be
    /// reached all test one fact (and no other untested one), the test of
    /// that fact whose every atom leads to the leaf of the first rule that
    /// allows it. `Ok(None)` when the rules test more than one fact; `Err`
    /// past the budget.
    fn last_test(&mut self, list: &[u32], tested: &[u64]) -> Result<Option<NodeId>, ()> {
        let mut decided = std::mem::take(&mut self.decided);
        decided.clear();
        let mut only: Option<(FactId, usize)> = None;
        let mut left = 0;
        let mut work = self.work;
        for &index in list {
            work += 1;
            let id = self.rule_id(index);
            let mut allowed: Option<&Atoms> = None;
            for condition in self.conditions_of(index) {
                if is_set(tested, condition.fact) {
                    continue;
                }
                match only {
                    Some((fact, _)) if fact != condition.fact => {
                        self.decided = decided;
                        self.work = work;
                        return Ok(None);
                    }
                    Some(_) => {}
                    None => {
                        let atoms = self.atom_count(condition.fact);
                        decided.resize(atoms, None);
                        left = atoms;
                        only = Some((condition.fact, atoms));
                    }
                }
                allowed = Some(&condition.atoms);
            }
            let Some((_, atoms)) = only else {
                // The first rule holds: not a test (`solve` makes it a leaf).
                self.decided = decided;
                return Ok(None);
            };
            let take = |atom: usize| {
                if let Some(slot @ None) = decided.get_mut(atom) {
                    *slot = id;
                    left -= 1;
                }
            };
            each_allowed(allowed, atoms, &mut work, take);
            // Every atom has its rule: the rules after are never reached.
            if left == 0 {
                break;
            }
        }
        self.work = work;
        let Some((fact, _)) = only else {
            self.decided = decided;
            return Ok(None);
        };
        let mut edges = std::mem::take(&mut self.edges);
        edges.clear();
        for rule in &decided {
            edges.push(self.leaf(*rule));
        }
        let id = self.test(fact, &edges);
        self.decided = decided;
        self.edges = edges;
        if self.work > self.budget {
            return Err(());
        }
        Ok(Some(id))
    }

    /// The last two tests on a path: when the rules of `list` that can be
    /// reached test `first` and one other fact only, and that fact has at
    /// most 64 atoms, the test of `first` whose edges are
    /// [`last_test`](Self::last_test)s of the other, built in one pass over
    /// `list` instead of one list per edge. `Ok(None)` when the rules test
    /// other facts too; `Err` past the budget.
    fn last_two_tests(
        &mut self,
        first: FactId,
        list: &[u32],
        tested: &[u64],
    ) -> Result<Option<NodeId>, ()> {
        let rows = self.atom_count(first);
        let mut undecided = std::mem::take(&mut self.undecided);
        undecided.clear();
        undecided.resize(rows, u64::MAX);
        let mut cells = std::mem::take(&mut self.decided);
        let result = self.fill_cells(first, rows, list, tested, &mut undecided, &mut cells);
        self.undecided = undecided;
        self.decided = cells;
        result
    }

    /// The body of [`last_two_tests`](Self::last_two_tests), with its
    /// buffers: a cell is read only if a rule wrote it in this call.
    fn fill_cells(
        &mut self,
        first: FactId,
        rows: usize,
        list: &[u32],
        tested: &[u64],
        undecided: &mut [u64],
        cells: &mut Vec<Option<RuleId>>,
    ) -> Result<Option<NodeId>, ()> {
        cells.resize(cells.len().max(rows * 64), None);
        // The second fact and its atoms, once a rule names it.
        let mut second: Option<(FactId, usize)> = None;
        // `undecided[a]`: the second fact's atoms not decided yet when the
        // first fact is `a` (all 64 bits until the second fact is known,
        // when rows are either wholly decided or not at all);
        // `cells[a * 64 + x]`: the rule decided.
        let mut open_rows = rows;
        let mut work = self.work;
        for &index in list {
            work += 1;
            let mut on_first: Option<&Atoms> = None;
            let mut on_second: Option<&Atoms> = None;
            for condition in self.conditions_of(index) {
                if is_set(tested, condition.fact) {
                    continue;
                }
                if condition.fact == first {
                    on_first = Some(&condition.atoms);
                    continue;
                }
                match second {
                    Some((fact, _)) if fact != condition.fact => {
                        self.work = work;
                        return Ok(None);
                    }
                    Some(_) => {}
                    None => {
                        let atoms = self.atom_count(condition.fact);
                        if atoms > 64 {
                            return Ok(None);
                        }
                        let all = u64::MAX.checked_shr(64 - atoms as u32).unwrap_or(0);
                        undecided.iter_mut().for_each(|row| *row &= all);
                        second = Some((condition.fact, atoms));
                    }
                }
                on_second = Some(&condition.atoms);
            }
            let allowed = match on_second {
                Some(Atoms::Word(word)) => *word,
                Some(Atoms::Set(_)) => return Ok(None),
                None => u64::MAX,
            };
            let id = self.rule_id(index);
            let fill = |row: usize| {
                let Some(left) = undecided.get_mut(row) else {
                    return;
                };
                let mut newly = *left & allowed;
                if newly == 0 {
                    return;
                }
                *left &= !newly;
                if *left == 0 {
                    open_rows -= 1;
                }
                while newly != 0 {
                    if let Some(cell) = cells.get_mut(row * 64 + newly.trailing_zeros() as usize) {
                        *cell = id;
                    }
                    newly &= newly - 1;
                }
            };
            each_allowed(on_first, rows, &mut work, fill);
            if open_rows == 0 {
                break;
            }
        }
        self.work = work;
        if self.work > self.budget {
            return Err(());
        }
        let Some((second, atoms)) = second else {
            return Ok(None);
        };
        let mut edges = Vec::with_capacity(rows);
        let mut row_edges = std::mem::take(&mut self.edges);
        for row in 0..rows {
            row_edges.clear();
            for x in 0..atoms {
                // A cell no rule reached holds a stale value: no rule decides.
                let reached = undecided
                    .get(row)
                    .is_some_and(|left| left & (1u64 << x) == 0);
                let rule = cells
                    .get(row * 64 + x)
                    .copied()
                    .flatten()
                    .filter(|_| reached);
                row_edges.push(self.leaf(rule));
            }
            edges.push(self.test(second, &row_edges));
        }
        self.edges = row_edges;
        Ok(Some(self.test(first, &edges)))
    }

    /// The fact to test: of the first rule's untested facts, the one that
    /// most of the rules test, so that the first rule is settled soon and
    /// the split narrows the most lists.
    fn choose_fact(&self, first: u32, list: &[u32], tested: &[u64]) -> FactId {
        let open: Vec<FactId> = self
            .conditions_of(first)
            .iter()
            .map(|c| c.fact)
            .filter(|f| !is_set(tested, *f))
            .collect();
        if let [only] = open.as_slice() {
            return *only;
        }
        let mut uses = vec![0usize; open.len()];
        for index in list {
            for condition in self.conditions_of(*index) {
                if let Some(i) = open.iter().position(|f| *f == condition.fact) {
                    if let Some(n) = uses.get_mut(i) {
                        *n += 1;
                    }
                }
            }
        }
        open.iter()
            .zip(&uses)
            .max_by_key(|(f, n)| (**n, std::cmp::Reverse(**f)))
            .map_or(FactId(0), |(f, _)| *f)
    }

    /// The test of `fact` with these edges, or their one node if all agree.
    fn test(&mut self, fact: FactId, edges: &[NodeId]) -> NodeId {
        match self.existing(fact, edges) {
            Ok(id) => id,
            Err(hash) => self.store(
                hash,
                Node::Test {
                    fact,
                    edges: edges.into(),
                },
            ),
        }
    }

    /// [`test`](Self::test) with edges already boxed, stored as they are.
    fn test_boxed(&mut self, fact: FactId, edges: Box<[NodeId]>) -> NodeId {
        match self.existing(fact, &edges) {
            Ok(id) => id,
            Err(hash) => self.store(hash, Node::Test { fact, edges }),
        }
    }

    /// The node that a test of `fact` with these edges is already: their
    /// one node if all agree, or the stored equal test. Otherwise the hash
    /// to store the new test under.
    fn existing(&self, fact: FactId, edges: &[NodeId]) -> Result<NodeId, u64> {
        if let Some(&only) = edges.first() {
            if edges.iter().all(|e| *e == only) {
                return Ok(only);
            }
        }
        let hash = FxBuildHasher.hash_one((fact, edges));
        let nodes = &self.nodes;
        self.interned
            .find(hash, |(_, id)| {
                matches!(
                    nodes.get(id.0 as usize),
                    Some(Node::Test { fact: f, edges: e }) if *f == fact && **e == *edges
                )
            })
            .map(|(_, id)| *id)
            .ok_or(hash)
    }

    /// The leaf of `rule` (`None`: no rule applies), stored once.
    #[inline]
    fn leaf(&mut self, rule: Option<RuleId>) -> NodeId {
        let slot = rule.map_or(0, |r| r.0 as usize + 1);
        match self.leaves.get(slot) {
            Some(Some(id)) => *id,
            _ => self.new_leaf(rule, slot),
        }
    }

    #[cold]
    fn new_leaf(&mut self, rule: Option<RuleId>, slot: usize) -> NodeId {
        let id = self.store(FxBuildHasher.hash_one(rule), Node::Leaf(rule));
        if self.leaves.len() <= slot {
            self.leaves.resize(slot + 1, None);
        }
        if let Some(entry) = self.leaves.get_mut(slot) {
            *entry = Some(id);
        }
        id
    }

    fn store(&mut self, hash: u64, node: Node) -> NodeId {
        if let Node::Test { edges, .. } = &node {
            self.work += edges.len() + 8;
        }
        let id = NodeId(self.nodes.len() as u32);
        self.nodes.push(node);
        self.interned.insert_unique(hash, (hash, id), |(h, _)| *h);
        id
    }
}
