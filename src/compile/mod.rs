//! Compiling: a [`CheckedPolicy`] in, a [`DecisionTree`] out. Each inner node
//! tests one fact and has one edge per atom of that fact's domain; each leaf
//! names the rule that decides (or none). Identical subtrees are built once
//! and shared, so the tree is a DAG. A fact is tested at most once on any
//! path, so an evaluation makes at most as many tests as the policy has facts.
//!
//! The compiler also reports rules that never decide because earlier rules
//! cover every case they match, and rules another rule makes redundant
//! (`analysis`), found by searching each rule's region (`cover`) without the
//! tree where that is cheaper, as it is for most policies.

mod analysis;
mod build;
mod cover;
pub mod flat;
mod points;
mod render;
mod scan;

pub(crate) use cover::Searched;
pub use render::TreeStats;
pub use scan::RuleScan;

use std::sync::Arc;

use crate::diagnostics::CheckError;
use crate::model::{AtomSet, CheckedPolicy, FactId, RuleId};

/// Index of a node in [`DecisionTree::nodes`](DecisionTree::nodes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NodeId(pub u32);

/// The edges of a test node grouped by child: each distinct child, in the
/// order it is first reached, with the atoms that lead to it. Linear in the
/// edges, however many children they share (a number fact tested against
/// thousands of constants has thousands of children).
pub(crate) fn edges_by_child(edges: &[NodeId]) -> Vec<(NodeId, AtomSet)> {
    let universe = edges.len() as u32;
    let mut groups: Vec<(NodeId, Vec<u32>)> = Vec::new();
    let mut index: rustc_hash::FxHashMap<NodeId, usize> = rustc_hash::FxHashMap::default();
    for (atom, child) in edges.iter().enumerate() {
        let at = *index.entry(*child).or_insert_with(|| {
            groups.push((*child, Vec::new()));
            groups.len() - 1
        });
        if let Some((_, atoms)) = groups.get_mut(at) {
            atoms.push(atom as u32);
        }
    }
    groups
        .into_iter()
        .map(|(child, atoms)| (child, AtomSet::from_atoms(universe, atoms)))
        .collect()
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Node {
    /// The decision: the rule that makes it, or `None` for the policy's `otherwise`.
    Leaf(Option<RuleId>),
    /// Reads `fact` and follows the edge of its atom.
    Test { fact: FactId, edges: Box<[NodeId]> },
}

/// A compiled policy: the decision tree and the policy it came from.
#[derive(Clone, Debug)]
pub struct DecisionTree {
    /// Shared: a policy decided by rule scan until its tree is built in
    /// the background holds one copy of the policy for both.
    pub policy: Arc<CheckedPolicy>,
    /// The nodes and the root, for the walks that explain, report and
    /// draw. A tree laid out for evaluation ([`flat`](Self::flat)) drops
    /// them once compiled, and makes them again from the layout when first
    /// asked for: deciding needs only the layout, and holding both took
    /// a third of what a large policy holds.
    graph: std::sync::OnceLock<Graph>,
    /// Set when the tree would have been too large to build: then the
    /// nodes are a single leaf and evaluation scans the rules instead.
    pub scan: Option<Arc<RuleScan>>,
    /// The tree laid out for evaluation: `None` without a tree, and for a
    /// tree built only to check the policy ([`TreeBuild::IfNeeded`](crate::TreeBuild::IfNeeded)),
    /// which decides by the full walk over its nodes.
    pub flat: Option<flat::FlatTree>,
    /// Whether the tree was tried and found too large (`scan` is set then).
    pub too_large: bool,
    /// For a policy whose rules were searched instead of built into a tree
    /// ([`TreeBuild::IfNeeded`](crate::TreeBuild::IfNeeded)): its gaps,
    /// searched beside the rules where a second core was free; `Some(None)`
    /// where that search ran out of budget. `None`: not searched yet.
    pub(crate) searched_gaps: Option<Option<analysis::FoundGaps>>,
}

/// A tree's nodes and its root.
#[derive(Clone, Debug)]
pub(crate) struct Graph {
    /// INVARIANT: every `NodeId` in `nodes` and `root` indexes into `nodes`,
    /// and children come before their parents.
    pub(crate) nodes: Arc<[Node]>,
    pub(crate) root: NodeId,
}

impl DecisionTree {
    /// A tree of `nodes` from `root`, not laid out for evaluation.
    fn of_nodes(policy: Arc<CheckedPolicy>, nodes: Arc<[Node]>, root: NodeId) -> DecisionTree {
        DecisionTree {
            policy,
            graph: std::sync::OnceLock::from(Graph { nodes, root }),
            scan: None,
            flat: None,
            too_large: false,
            searched_gaps: None,
        }
    }

    /// Every node, children before their parents.
    pub fn nodes(&self) -> &Arc<[Node]> {
        &self.graph().nodes
    }

    /// Where every walk starts.
    pub fn root(&self) -> NodeId {
        self.graph().root
    }

    pub fn node(&self, id: NodeId) -> Option<&Node> {
        self.graph().nodes.get(id.0 as usize)
    }

    fn graph(&self) -> &Graph {
        self.graph.get_or_init(|| match &self.flat {
            Some(flat) => flat.graph(&self.policy),
            // Every tree without a layout is made with its nodes; this is
            // the leaf of no rule, for completeness.
            None => Graph {
                nodes: Arc::from([Node::Leaf(None)]),
                root: NodeId(0),
            },
        })
    }

    /// The most tests one evaluation can make.
    pub fn depth(&self) -> usize {
        // Children come before parents, so one pass in order suffices.
        let nodes = self.nodes();
        let mut depth = vec![0usize; nodes.len()];
        for (i, node) in nodes.iter().enumerate() {
            if let Node::Test { edges, .. } = node {
                let below = edges
                    .iter()
                    .map(|e| depth.get(e.0 as usize).copied().unwrap_or(0))
                    .max()
                    .unwrap_or(0);
                if let Some(d) = depth.get_mut(i) {
                    *d = below + 1;
                }
            }
        }
        depth.get(self.root().0 as usize).copied().unwrap_or(0)
    }
}

/// A policy evaluated by rule scan, without building its tree: what the
/// compiler falls back to for policies whose tree would be too large.
#[cfg(any(test, feature = "testing"))]
pub fn compile_without_tree(policy: &CheckedPolicy) -> DecisionTree {
    scan_shared(Arc::new(policy.clone()))
}

/// Whether the nodes a tree makes again from its layout, once it has
/// dropped them ([`DecisionTree::nodes`]), are the nodes the builder made:
/// the same list in the same order, and the same root. `Err` says where
/// they differ.
#[cfg(any(test, feature = "testing"))]
pub fn nodes_as_built(tree: &DecisionTree) -> Result<(), String> {
    let Some(flat) = &tree.flat else {
        return Ok(());
    };
    let Some((built, root)) = build::build_with(&tree.policy, usize::MAX, usize::MAX) else {
        return Err(String::from("the tree does not build again"));
    };
    let made = flat.graph(&tree.policy);
    if made.root != root {
        return Err(format!("root {:?}, built {root:?}", made.root));
    }
    if made.nodes.len() != built.len() {
        return Err(format!(
            "{} nodes made from the layout, {} built",
            made.nodes.len(),
            built.len()
        ));
    }
    match made.nodes.iter().zip(&built).position(|(m, b)| m != b) {
        Some(at) => Err(format!(
            "node {at}: {:?} made from the layout, {:?} built",
            made.nodes.get(at),
            built.get(at)
        )),
        None => Ok(()),
    }
}

/// Whether searching the rules (`cover`) finds what the tree tells, on a
/// tree built at load: the same rules decide; a rule that never decides has
/// the same rules deciding in its place, where the tree's walk saw them all;
/// and the gaps hold the same facts (compared point by point where the
/// facts have at most `points` combinations of atoms). `Err` says where they
/// differ.
///
/// Policies whose facts are related (relations, dates) are not searched:
/// their answers are the tree's. Both ways of telling whether a rule holds
/// first somewhere are compared: searching, and marking points.
#[cfg(any(test, feature = "testing"))]
pub fn searched_as_built(tree: &DecisionTree, points: usize) -> Result<(), String> {
    searched_as_built_by(tree, points, false)?;
    searched_as_built_by(tree, points, true).map_err(|e| format!("{e} (marking points)"))
}

/// [`searched_as_built`], marking points where `marking`.
#[cfg(any(test, feature = "testing"))]
fn searched_as_built_by(tree: &DecisionTree, points: usize, marking: bool) -> Result<(), String> {
    if tree.scan.is_some() || tree.policy.needs_realizing() {
        return Ok(());
    }
    let policy = &tree.policy;
    let Some(searched) = cover::fates(policy, cover::COVER_BUDGET, marking) else {
        return Ok(());
    };
    let built = analysis::fates_from_tree(tree);
    for rule in policy.rules.iter().filter(|r| r.is_satisfiable()) {
        let (Some(s), Some(b)) = (
            searched.get(rule.id.0 as usize),
            built.get(rule.id.0 as usize),
        ) else {
            return Err(format!("no fate for rule {}", rule.location));
        };
        if s.decides != b.decides {
            return Err(format!(
                "rule {}: the search says it decides: {}, the tree: {}",
                rule.location, s.decides, b.decides
            ));
        }
        // Where either walk was cut short, which deciders it saw depends
        // on the order it took: only full walks are compared.
        let all_seen = !b.cut_short && !s.cut_short && b.deciders.len() <= analysis::MAX_SHOWN;
        if all_seen && s.deciders != b.deciders {
            return Err(format!(
                "rule {}: the search finds {:?} deciding in its place, the tree {:?}",
                rule.location, s.deciders, b.deciders
            ));
        }
    }
    let Some((searched_gaps, more)) = cover::gaps(policy, cover::COVER_BUDGET, marking) else {
        return Ok(());
    };
    let mut walk = analysis::GapWalk::new(tree);
    tree.collect_gaps(tree.root(), &mut Vec::new(), &mut walk);
    if more || walk.more {
        return Ok(());
    }
    let counts: Vec<u32> = policy.facts.iter().map(|f| f.atom_count()).collect();
    let total = counts
        .iter()
        .try_fold(1usize, |n, c| n.checked_mul(*c as usize));
    // Too many points to try, or none (a fact of no values).
    if total.is_none_or(|total| total > points || total == 0) {
        return Ok(());
    }
    let inside = |regions: &[Vec<(FactId, AtomSet)>], point: &[u32]| {
        regions.iter().any(|region| {
            region.iter().all(|(fact, set)| {
                point
                    .get(fact.0 as usize)
                    .is_some_and(|atom| set.contains(*atom))
            })
        })
    };
    let mut point = vec![0u32; counts.len()];
    loop {
        let (s, b) = (inside(&searched_gaps, &point), inside(&walk.found, &point));
        if s != b {
            let region: Vec<(FactId, AtomSet)> = point
                .iter()
                .zip(&counts)
                .enumerate()
                .map(|(f, (atom, count))| (FactId(f as u32), AtomSet::from_atoms(*count, [*atom])))
                .collect();
            return Err(format!(
                "the facts {} are a gap to the {}",
                policy.example(&region),
                if s { "search only" } else { "tree only" }
            ));
        }
        // The next point, as a counter over the facts' atoms.
        let mut carry = true;
        for (atom, count) in point.iter_mut().zip(&counts) {
            if !carry {
                break;
            }
            *atom += 1;
            carry = *atom == *count;
            if carry {
                *atom = 0;
            }
        }
        if carry {
            return Ok(());
        }
    }
}

/// [`compile_without_tree`] for a policy already shared.
pub(crate) fn scan_shared(policy: Arc<CheckedPolicy>) -> DecisionTree {
    let scan = RuleScan::new(&policy);
    let mut tree = DecisionTree::of_nodes(policy, Arc::from([Node::Leaf(None)]), NodeId(0));
    tree.scan = Some(Arc::new(scan));
    tree
}

/// Trees of at least this many nodes are laid out and analysed at once.
const PARALLEL_FINISH_FROM: usize = 20_000;

/// Compiles a checked policy within the default tree budget
/// ([`Limits::TREE_BUDGET`](crate::limits::Limits::TREE_BUDGET)); the warnings are
/// rules that never decide or are redundant.
#[cfg(test)]
pub fn compile(policy: &CheckedPolicy) -> (DecisionTree, Vec<CheckError>) {
    compile_with(policy, crate::limits::Limits::TREE_BUDGET)
}

/// Compiles a checked policy, building a tree only within `tree_budget`
/// work (see [`Limits::tree_budget`](crate::limits::Limits::tree_budget)):
/// past it, the policy is evaluated by rule scan, with the note
/// `verdict::no_tree`. The warnings are rules that never decide or are
/// redundant.
#[cfg(test)]
pub fn compile_with(policy: &CheckedPolicy, tree_budget: usize) -> (DecisionTree, Vec<CheckError>) {
    compile_shared(Arc::new(policy.clone()), tree_budget)
}

/// The decision diagram of the rule `rule` of `policy` alone (its leaves
/// are that rule and the policy's `otherwise`), within `tree_budget`
/// work; `None` past it. For compiling to SQL rule by rule a policy whose
/// whole tree is too large.
pub(crate) fn rule_tree(
    policy: &Arc<CheckedPolicy>,
    rule: RuleId,
    tree_budget: usize,
) -> Option<DecisionTree> {
    let (nodes, root) = build::build_rule(policy, rule, tree_budget)?;
    Some(DecisionTree::of_nodes(
        Arc::clone(policy),
        Arc::from(nodes),
        root,
    ))
}

/// `compile_with` for a policy already shared.
pub(crate) fn compile_shared(
    policy: Arc<CheckedPolicy>,
    tree_budget: usize,
) -> (DecisionTree, Vec<CheckError>) {
    compile_split_from(policy, tree_budget, build::PARALLEL_FROM)
}

/// `compile_with` the default budget, with the root always split in two
/// halves built on their own, as the roots of large policies are: tests check that it builds the
/// tree one builder does.
#[cfg(feature = "testing")]
pub fn compile_split_at_root(policy: &CheckedPolicy) -> DecisionTree {
    compile_split_from(
        Arc::new(policy.clone()),
        crate::limits::Limits::TREE_BUDGET,
        0,
    )
    .0
}

/// `compile_with`, splitting roots of at least `parallel_from` rules
/// in two halves (see `build::build_with`).
fn compile_split_from(
    policy: Arc<CheckedPolicy>,
    tree_budget: usize,
    parallel_from: usize,
) -> (DecisionTree, Vec<CheckError>) {
    compile_knowing(policy, tree_budget, parallel_from, Nodes::LaidOut)
}

/// What a built tree is held as.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Nodes {
    /// Laid out for deciding, the node list dropped and made again when
    /// first asked for: a set that decides reads only the layout.
    LaidOut,
    /// The node list alone: a check or an editor reads the nodes at once
    /// (gaps, reports) and decides seldom, by the full walk. Laying the
    /// tree out and making the nodes again from the layout took a third
    /// of checking 10,000 rules.
    NodesOnly,
}

/// What a policy without a tree was found without one for.
#[derive(Clone, Copy)]
enum NoTreeFor {
    /// Deciding: the tree was built for the policy and given up, so the
    /// warnings only a tree gives (rules that never decide) are missing.
    Deciding,
    /// Listing the gaps: the rules were searched without a tree (their
    /// warnings found so), or were never meant to have one read off
    /// ([`TreeBuild::Never`](crate::TreeBuild::Never)), but the gaps can
    /// only be read off a tree, and it was given up.
    Gaps,
}

/// The note `verdict::no_tree` for `policy`, its help naming what the
/// missing tree leaves out.
fn no_tree_note(policy: &CheckedPolicy, missing_for: NoTreeFor) -> CheckError {
    let left_out = match missing_for {
        NoTreeFor::Deciding => {
            "the tools that read the tree (tree, coverage, diff, why-not, shadowed rules, gaps) do not apply"
        }
        NoTreeFor::Gaps => {
            "the facts no rule decides are not listed, as only the tree tells them; the other tools that read the tree (tree, coverage, diff, why-not) do not apply either"
        }
    };
    CheckError::NoTree {
        name: policy.name.clone(),
        rules: policy.rules.len(),
        span: policy.span,
        help: format!(
            "decisions are the same, but take time in proportion to the rules, and {left_out}; splitting the policy, or `when` blocks on its most common conditions, shrinks the tree"
        ),
    }
}

/// `compile_split_from`, the tree held as `keep` says.
fn compile_knowing(
    policy: Arc<CheckedPolicy>,
    tree_budget: usize,
    parallel_from: usize,
    keep: Nodes,
) -> (DecisionTree, Vec<CheckError>) {
    let Some((nodes, root)) = build::build_with(&policy, tree_budget, parallel_from) else {
        let note = no_tree_note(&policy, NoTreeFor::Deciding);
        let mut scanned = scan_shared(policy);
        scanned.too_large = true;
        return (scanned, vec![note]);
    };
    // Held as long as the policy decides, without the room it grew into,
    // and shared by the sets a workspace makes.
    let mut tree = DecisionTree::of_nodes(policy, Arc::from(nodes), root);
    // The layout and the analysis read the tree and not each other: for a
    // large tree, on two threads.
    let layout = || match keep {
        Nodes::LaidOut => flat::FlatTree::new(tree.nodes(), tree.root()),
        Nodes::NodesOnly => None,
    };
    let analyse = || {
        let fates = analysis::fates_from_tree(&tree);
        analysis::rules_that_never_matter(&tree.policy, &fates)
    };
    let (flat, warnings) = if tree.nodes().len() >= PARALLEL_FINISH_FROM {
        rayon::join(layout, analyse)
    } else {
        (layout(), analyse())
    };
    if flat.is_some() {
        // Deciding reads the layout; the nodes are made again from it when
        // a report asks for them (`DecisionTree::graph`).
        tree.graph = std::sync::OnceLock::new();
    }
    tree.flat = flat;
    (tree, warnings)
}

/// The analyses of [`compile_shared`] without the tree where the rules can
/// be searched instead (`cover`): then the policy is decided by rule scan.
/// Past the search's budget the tree is built as `compile_shared` builds it.
pub(crate) fn analyse_shared(
    policy: Arc<CheckedPolicy>,
    tree_budget: usize,
) -> (DecisionTree, Vec<CheckError>) {
    let (tree, warnings, _) = analyse_after(policy, tree_budget, None);
    (tree, warnings)
}

/// [`analyse_shared`] after an edit: the search starts after the rules
/// the edit left as `prior`, the search before it, found them (see
/// [`Searched`]); with the search to keep for the next edit, when there
/// was one.
pub(crate) fn analyse_after(
    policy: Arc<CheckedPolicy>,
    tree_budget: usize,
    prior: Option<&Searched>,
) -> (DecisionTree, Vec<CheckError>, Option<Searched>) {
    // Set once the rules' search gives up: the tree is built then, which
    // tells the gaps itself, so the gap search beside it stops.
    let abandoned = std::sync::atomic::AtomicBool::new(false);
    // Where the policy's points fit a map, marking them answers which
    // clauses hold first somewhere, and whether any facts are left to no
    // rule, in a few milliseconds.
    let clauses = cover::Clauses::of(&policy);
    let marks = cover::marked(&clauses);
    let analyse = |policy: Arc<CheckedPolicy>| {
        // The scan that decides in place of a tree is made beside the
        // search, on a thread it leaves idle, and dropped if the search
        // gives up.
        let (fated, scan) = rayon::join(
            || {
                cover::fates_after(
                    &policy,
                    &clauses,
                    cover::budget(&policy, tree_budget),
                    prior,
                    marks.as_ref(),
                )
            },
            || scan_shared(Arc::clone(&policy)),
        );
        match fated {
            Some((fates, searched)) => {
                let warnings = analysis::rules_that_never_matter(&policy, &fates);
                (scan, warnings, Some(searched))
            }
            None => {
                abandoned.store(true, std::sync::atomic::Ordering::Relaxed);
                let (tree, warnings) =
                    compile_knowing(policy, tree_budget, build::PARALLEL_FROM, Nodes::NodesOnly);
                (tree, warnings, None)
            }
        }
    };
    // Whoever analyses asks for the gaps next (`verdict check`, the
    // editor). Where the rules are searched and a second core is free,
    // the gaps are searched beside them, as `find_gaps` would search them
    // later: a fifth of checking 10,000 `first match` rules. Their answer
    // is kept only where no tree was built (a tree tells them itself).
    // Where the marks say no facts are left to no rule, there are no gaps
    // to search.
    let (mut analysed, gaps) = if marks.as_ref().is_some_and(|marks| !marks.left()) {
        (analyse(Arc::clone(&policy)), Some((Vec::new(), false)))
    } else if rayon::current_num_threads() < 2 || !cover::searched(&policy) {
        return analyse(Arc::clone(&policy));
    } else {
        rayon::join(
            || analyse(Arc::clone(&policy)),
            || cover::loaded_gaps(&clauses, Some(&abandoned), marks.as_ref()),
        )
    };
    if analysed.0.scan.is_some() && !analysed.0.too_large {
        analysed.0.searched_gaps = Some(gaps);
    }
    analysed
}
