//! The full walk: over a `serde_json::Value`, recording the facts it reads
//! when a trace is asked for. A fact that is missing (and required) or
//! whose value does not fit its declaration is *unknown*; the walk then
//! explores every edge of the node that tests it and decides only if all
//! of them reach the same rule (see the module documentation of `eval`).

use serde_json::Value;

use super::unknown::{unknown_errors, Possible, MAX_POSSIBLE};
use super::{Step, Walked};
use crate::compile::{DecisionTree, Node, NodeId, RuleScan};
use crate::diagnostics::FactsError;
use crate::facts::{json_kind, read, Read, Unknown};
use crate::model::{Atom, CheckedPolicy, FactId, RuleId};

/// The rule that decides for `facts` (`None`: the policy's `otherwise`),
/// and with `trace` the facts read on the way; on failure, one error per
/// unknown fact the decision depends on.
pub fn walk(tree: &DecisionTree, facts: &Value, trace: bool) -> Result<Walked, Vec<FactsError>> {
    walk_or_undecided(tree, facts, trace).map_err(|undecided| match undecided {
        Undecided::NotObject(found) => vec![FactsError::NotObject { found, span: None }],
        Undecided::Unknown(possible) => unknown_errors(tree, &possible, facts),
    })
}

/// The rule that decides for `facts`, as [`walk`] finds it, or `None`
/// when the facts do not decide: no error is put in words, for callers
/// that only need to know (the full walk says why later).
pub(crate) fn decides(tree: &DecisionTree, facts: &Value) -> Option<Option<RuleId>> {
    walk_or_undecided(tree, facts, false)
        .ok()
        .map(|walked| walked.rule)
}

/// Why a walk reached no decision, before it is put in words.
enum Undecided {
    /// The facts are not an object (what they are instead).
    NotObject(&'static str),
    /// Unknown facts leave these decisions possible.
    Unknown(Possible),
}

fn walk_or_undecided(tree: &DecisionTree, facts: &Value, trace: bool) -> Result<Walked, Undecided> {
    if !facts.is_object() {
        return Err(Undecided::NotObject(json_kind(facts)));
    }
    if let Some(scan) = &tree.scan {
        return scan_walk(tree, scan, facts, trace);
    }
    let mut steps = Vec::new();
    let mut node = tree.root();
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

/// Where a walk reads facts: a `Value`, or the values the scanner picked
/// out of JSON text.
pub(crate) trait FactSource {
    /// The atom of `fact`, or why it has none.
    fn read(&self, policy: &CheckedPolicy, fact: FactId) -> Read;
}

impl FactSource for Value {
    fn read(&self, policy: &CheckedPolicy, fact: FactId) -> Read {
        read(policy, fact, self, false)
    }
}

/// Every decision reachable from the root of `tree` (which is not a rule
/// scan) over all values of the facts unknown in `facts`: what
/// [`walk`] finds, without the words.
pub(crate) fn possible<F: FactSource + ?Sized>(tree: &DecisionTree, facts: &F) -> Possible {
    PossibleWalk::new(tree, facts).answer(tree.root())
}

/// The slow path: some fact below `node` is unknown.
fn unknown_walk(
    tree: &DecisionTree,
    node: NodeId,
    facts: &Value,
    steps: Vec<Step>,
) -> Result<Walked, Undecided> {
    let possible = PossibleWalk::new(tree, facts).answer(node);
    match possible.single() {
        Some(rule) => Ok(Walked { rule, trace: steps }),
        None => Err(Undecided::Unknown(possible)),
    }
}

/// Every decision reachable from a node over all values of the unknown
/// facts. Each node is looked at once and each fact read once, and what a
/// node leaves possible is held without copies of the facts' values: with
/// every fact missing, the walk covers the whole tree (300,000 nodes for
/// 1,000 rules), which took 130 ms a request with a hash map of owned
/// answers.
struct PossibleWalk<'a, F: FactSource + ?Sized> {
    tree: &'a DecisionTree,
    facts: &'a F,
    /// Per node walked, its answer's index in `answers`: a map, since
    /// most walks look at a few nodes of a large tree.
    memo: rustc_hash::FxHashMap<u32, u32>,
    answers: Vec<Answer>,
    /// Per fact, its value once read.
    reads: Vec<Option<Read>>,
    /// How many more tests of unknown facts the walk may look below.
    budget: usize,
    /// Whether it ran out.
    cut_short: bool,
}

/// The most tests of unknown facts a walk looks below (a few ms of work):
/// with every fact missing, the walk would otherwise cover the whole
/// tree, 130 ms a request at 1,000 rules. Past it, what the remaining
/// tests leave possible is taken to be more than one decision, and the
/// facts they test are not looked for.
pub(crate) const MAX_UNKNOWN_TESTS: usize = 10_000;

/// What a node leaves possible, as [`Possible`] without the reasons,
/// which are the same for a fact wherever it is read.
#[derive(Clone, Default)]
struct Answer {
    results: [Option<RuleId>; MAX_POSSIBLE],
    len: u8,
    more: bool,
    culprits: Vec<FactId>,
}

impl Answer {
    fn only(result: Option<RuleId>) -> Answer {
        let mut answer = Answer::default();
        answer.push(result);
        answer
    }

    fn results(&self) -> &[Option<RuleId>] {
        self.results.get(..self.len as usize).unwrap_or_default()
    }

    fn push(&mut self, result: Option<RuleId>) {
        if self.results().contains(&result) {
            return;
        }
        match self.results.get_mut(self.len as usize) {
            Some(slot) => {
                *slot = result;
                self.len += 1;
            }
            None => self.more = true,
        }
    }

    /// Adds what `other` leaves possible (a union, in the order first
    /// reached: merging an answer twice changes nothing).
    fn merge(&mut self, other: &Answer) {
        self.more |= other.more;
        for result in other.results() {
            self.push(*result);
        }
        for fact in &other.culprits {
            if !self.culprits.contains(fact) {
                self.culprits.push(*fact);
            }
        }
    }
}

impl<'a, F: FactSource + ?Sized> PossibleWalk<'a, F> {
    fn new(tree: &'a DecisionTree, facts: &'a F) -> PossibleWalk<'a, F> {
        PossibleWalk {
            tree,
            facts,
            memo: rustc_hash::FxHashMap::default(),
            answers: Vec::new(),
            reads: (0..tree.policy.facts.len()).map(|_| None).collect(),
            budget: MAX_UNKNOWN_TESTS,
            cut_short: false,
        }
    }

    /// What is possible from `node`.
    fn answer(mut self, node: NodeId) -> Possible {
        let at = self.walk(node);
        // `walk` returns the index of an answer it pushed.
        let answer = if at < self.answers.len() {
            self.answers.swap_remove(at)
        } else {
            Answer::default()
        };
        let culprits = answer
            .culprits
            .iter()
            .filter_map(|fact| match self.reads.get(fact.0 as usize) {
                Some(Some(Read::Unknown(why))) => Some((*fact, why.clone())),
                _ => None,
            })
            .collect();
        Possible {
            results: answer.results().to_vec(),
            more: answer.more,
            culprits,
            cut_short: self.cut_short,
        }
    }

    fn read(&mut self, fact: FactId) -> &Read {
        let (tree, facts) = (self.tree, self.facts);
        let slot = match self.reads.get_mut(fact.0 as usize) {
            Some(slot) => slot,
            // Every fact a node tests is declared; were one not, it reads
            // as missing.
            None => return &Read::Unknown(Unknown::Missing),
        };
        slot.get_or_insert_with(|| facts.read(&tree.policy, fact))
    }

    /// The index in `answers` of what is possible from `node`.
    fn walk(&mut self, node: NodeId) -> usize {
        if let Some(&known) = self.memo.get(&node.0) {
            return known as usize;
        }
        let tree = self.tree;
        let answer = match tree.node(node) {
            None => Answer::default(),
            Some(Node::Leaf(rule)) => Answer::only(*rule),
            Some(Node::Test { fact, edges }) => match self.read(*fact) {
                Read::Atom(atom, _) => match edges.get(*atom as usize) {
                    Some(next) => {
                        let at = self.walk(*next);
                        self.remember(node, at);
                        return at;
                    }
                    None => Answer::default(),
                },
                Read::Unknown(_) => {
                    if self.budget == 0 {
                        self.cut_short = true;
                        Answer {
                            more: true,
                            culprits: vec![*fact],
                            ..Answer::default()
                        }
                    } else {
                        self.budget -= 1;
                        self.unknown(*fact, edges)
                    }
                }
            },
        };
        self.answers.push(answer);
        let at = self.answers.len() - 1;
        self.remember(node, at);
        at
    }

    fn remember(&mut self, node: NodeId, at: usize) {
        self.memo.insert(node.0, at as u32);
    }

    /// Whether `fact` is unknown because its value does not fit.
    fn misfit(&self, fact: FactId) -> bool {
        matches!(self.reads.get(fact.0 as usize), Some(Some(Read::Unknown(why))) if is_misfit(why))
    }

    /// What is possible below a test of the unknown `fact`, over all its
    /// edges.
    fn unknown(&mut self, fact: FactId, edges: &[NodeId]) -> Answer {
        // A value that is there but does not fit is the mistake: a missing
        // fact below it is blamed only if every value it could have been
        // needs that fact too (a fact only some of its values read is no
        // second mistake). Values below that do not fit are mistakes of
        // their own.
        let misfit = self.misfit(fact);
        let mut all = Answer::default();
        let mut common: Option<Vec<FactId>> = None;
        let mut previous = None;
        for edge in edges {
            // Edges to one child are mostly next to each other; merging a
            // child twice changes nothing.
            if previous == Some(*edge) {
                continue;
            }
            previous = Some(*edge);
            let at = self.walk(*edge);
            let Some(below) = self.answers.get(at) else {
                continue;
            };
            if misfit {
                common = Some(match common {
                    None => below.culprits.clone(),
                    Some(mut common) => {
                        common.retain(|f| below.culprits.contains(f));
                        common
                    }
                });
            }
            all.merge(below);
        }
        if let Some(common) = common {
            all.culprits
                .retain(|f| self.misfit(*f) || common.contains(f));
        }
        if all.len > 1 || all.more {
            all.culprits.insert(0, fact);
        }
        all
    }
}

/// Whether a fact is unknown because its value is there but does not fit
/// (rather than missing).
fn is_misfit(why: &Unknown) -> bool {
    match why {
        Unknown::Missing => false,
        Unknown::Of(_, why) => is_misfit(why),
        Unknown::NotObject(..) | Unknown::Misfit(..) => true,
    }
}

/// Evaluation without a tree: the first rule with a clause whose conditions
/// on the known facts hold decides, if no unknown fact could make another
/// rule decide.
fn scan_walk(
    tree: &DecisionTree,
    scan: &RuleScan,
    facts: &Value,
    trace: bool,
) -> Result<Walked, Undecided> {
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
    // The clauses of this rule that may match, from the first, and the
    // first clause of another rule that may: the rule decides unless the
    // unknown facts its clauses test can make all of them fail.
    let mut run = vec![first];
    let mut next = None;
    let mut after = first;
    while let Some(i) = scan.first_match(&mut value, Some(after)) {
        if scan.rules.get(i).copied() != rule {
            next = scan.rules.get(i).copied();
            break;
        }
        run.push(i);
        after = i;
    }
    let unknown = |fact: &FactId| match known.get(fact.0 as usize) {
        Some(Some(Err(why))) => Some(why.clone()),
        _ => None,
    };
    // Unknown facts the clauses test partly: their value decides.
    let mut culprits: Vec<(FactId, Unknown)> = Vec::new();
    for position in &run {
        for (fact, set) in scan.clause(&tree.policy, *position) {
            if set.is_full() || culprits.iter().any(|(f, _)| f == fact) {
                continue;
            }
            if let Some(why) = unknown(fact) {
                culprits.push((*fact, why));
            }
        }
    }
    if culprits.is_empty() || covers_unknowns(policy, scan, &run, &culprits) {
        return Ok(Walked { rule, trace: steps });
    }
    let possible = Possible {
        results: vec![rule, next],
        more: false,
        cut_short: false,
        culprits,
    };
    Err(Undecided::Unknown(possible))
}

/// The most combinations of unknown values [`covers_unknowns`] tries;
/// past it, the unknown facts are taken to decide.
const MAX_UNKNOWN_COMBINATIONS: usize = 4_096;

/// Whether, whatever values the `unknown` facts have, one of the clauses at
/// `run` holds (their conditions on known facts hold already).
fn covers_unknowns(
    policy: &crate::model::CheckedPolicy,
    scan: &RuleScan,
    run: &[usize],
    unknown: &[(FactId, Unknown)],
) -> bool {
    let counts: Vec<usize> = unknown
        .iter()
        .map(|(fact, _)| policy.fact(*fact).map_or(1, |f| f.atom_count() as usize))
        .collect();
    let total = counts
        .iter()
        .try_fold(1usize, |total, n| total.checked_mul(*n))
        .filter(|total| *total <= MAX_UNKNOWN_COMBINATIONS);
    let Some(total) = total else {
        return false;
    };
    let mut atoms = vec![0 as Atom; unknown.len()];
    (0..total).all(|mut combination| {
        for (atom, n) in atoms.iter_mut().zip(&counts) {
            *atom = (combination % n.max(&1)) as Atom;
            combination /= n.max(&1);
        }
        run.iter().any(|position| {
            scan.clause(policy, *position).iter().all(|(fact, set)| {
                match unknown.iter().position(|(f, _)| f == fact) {
                    Some(i) => atoms.get(i).is_some_and(|atom| set.contains(*atom)),
                    None => true,
                }
            })
        })
    })
}

/// The nodes a walk over complete facts visits, root first and the leaf
/// last; `None` when a fact the walk needs is unknown, or when the
/// policy has no tree.
pub(crate) fn route(tree: &DecisionTree, facts: &Value) -> Option<Vec<NodeId>> {
    if tree.scan.is_some() {
        return None;
    }
    let mut route = vec![tree.root()];
    let mut node = tree.root();
    while let Some(Node::Test { fact, edges }) = tree.node(node) {
        match read(&tree.policy, *fact, facts, false) {
            Read::Atom(atom, _) => node = *edges.get(atom as usize)?,
            Read::Unknown(_) => return None,
        }
        route.push(node);
    }
    Some(route)
}
