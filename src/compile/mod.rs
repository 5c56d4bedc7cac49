//! Compiling: a [`CheckedPolicy`] in, a [`DecisionTree`] out. Each inner node
//! tests one fact and has one edge per atom of that fact's domain; each leaf
//! names the rule that decides (or none). Identical subtrees are built once
//! and shared, so the tree is a DAG. A fact is tested at most once on any
//! path, so an evaluation makes at most as many tests as the policy has facts.
//!
//! The compiler also reports rules that never decide because earlier rules
//! cover every case they match, and rules another rule makes redundant
//! (`analysis`).

mod analysis;
mod build;
pub mod flat;
mod render;
mod scan;

pub use render::TreeStats;
pub use scan::RuleScan;

use std::sync::Arc;

use crate::diagnostics::CheckError;
use crate::model::{AtomSet, CheckedPolicy, FactId, RuleId};

/// Index of a node in [`DecisionTree::nodes`].
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
    /// INVARIANT: every `NodeId` in `nodes` and `root` indexes into `nodes`,
    /// and children come before their parents.
    pub nodes: Vec<Node>,
    pub root: NodeId,
    /// Set when the tree would have been too large to build: then `nodes`
    /// is a single leaf and evaluation scans the rules instead.
    pub scan: Option<RuleScan>,
    /// The tree laid out for evaluation (`None` without a tree).
    pub flat: Option<flat::FlatTree>,
}

impl DecisionTree {
    pub fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes.get(id.0 as usize)
    }

    /// The most tests one evaluation can make.
    pub fn depth(&self) -> usize {
        // Children come before parents, so one pass in order suffices.
        let mut depth = vec![0usize; self.nodes.len()];
        for (i, node) in self.nodes.iter().enumerate() {
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
        depth.get(self.root.0 as usize).copied().unwrap_or(0)
    }
}

/// A policy evaluated by rule scan, without building its tree: what the
/// compiler falls back to for policies whose tree would be too large.
#[cfg(any(test, feature = "testing"))]
pub fn compile_without_tree(policy: &CheckedPolicy) -> DecisionTree {
    scan_shared(Arc::new(policy.clone()))
}

/// [`compile_without_tree`] for a policy already shared.
pub(crate) fn scan_shared(policy: Arc<CheckedPolicy>) -> DecisionTree {
    let scan = RuleScan::new(&policy);
    DecisionTree {
        policy,
        nodes: vec![Node::Leaf(None)],
        root: NodeId(0),
        scan: Some(scan),
        flat: None,
    }
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
    let Some((mut nodes, root)) = build::build_with(&policy, tree_budget, parallel_from) else {
        let note = CheckError::NoTree {
            name: policy.name.clone(),
            rules: policy.rules.len(),
            span: policy.span,
        };
        return (scan_shared(policy), vec![note]);
    };
    // Held as long as the policy decides: without the room it grew into.
    nodes.shrink_to_fit();
    let mut tree = DecisionTree {
        policy,
        flat: None,
        nodes,
        root,
        scan: None,
    };
    // The layout and the analysis read the tree and not each other: for a
    // large tree, on two threads.
    let layout = || flat::FlatTree::new(&tree.nodes, tree.root);
    let analyse = || analysis::rules_that_never_matter(&tree);
    let (flat, warnings) = if tree.nodes.len() >= PARALLEL_FINISH_FROM {
        rayon::join(layout, analyse)
    } else {
        (layout(), analyse())
    };
    tree.flat = flat;
    (tree, warnings)
}
