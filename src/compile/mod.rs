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
mod render;
mod scan;

use std::collections::HashMap;

pub use render::TreeStats;
pub use scan::RuleScan;

use crate::check::{AtomSet, CheckError, CheckedPolicy, FactId, RuleId};

/// Index of a node in [`DecisionTree::nodes`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NodeId(pub u32);

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
    pub policy: CheckedPolicy,
    /// INVARIANT: every `NodeId` in `nodes` and `root` indexes into `nodes`,
    /// and children come before their parents.
    pub nodes: Vec<Node>,
    pub root: NodeId,
    /// Set when the tree would have been too large to build: then `nodes`
    /// is a single leaf and evaluation scans the rules instead.
    pub scan: Option<RuleScan>,
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

/// Compiles a checked policy; the warnings are rules that never decide.
/// A policy evaluated by rule scan, without building its tree: what the
/// compiler falls back to for policies whose tree would be too large.
pub fn compile_without_tree(policy: &CheckedPolicy) -> DecisionTree {
    DecisionTree {
        policy: policy.clone(),
        nodes: vec![Node::Leaf(None)],
        root: NodeId(0),
        scan: Some(RuleScan::new(policy)),
    }
}

/// How much work (candidate rules considered, summed over subproblems) the
/// tree may take before the compiler falls back to a rule scan: about a
/// second. It bounds compile time and memory whatever the policy.
pub const TREE_BUDGET: usize = 3_000_000;

pub fn compile(policy: &CheckedPolicy) -> (DecisionTree, Vec<CheckError>) {
    let mut builder = Builder {
        policy,
        nodes: Vec::new(),
        interned: HashMap::new(),
        memo: HashMap::new(),
        work: 0,
    };
    let candidates: Vec<RuleId> = policy
        .rules
        .iter()
        .filter(|r| r.is_satisfiable())
        .map(|r| r.id)
        .collect();
    let tested = vec![false; policy.facts.len()];
    let root = builder.build(&candidates, &tested);
    if builder.work > TREE_BUDGET {
        let tree = compile_without_tree(policy);
        let note = CheckError::NoTree {
            name: policy.name.clone(),
            rules: policy.rules.len(),
            span: policy.span,
        };
        return (tree, vec![note]);
    }
    let tree = DecisionTree {
        policy: policy.clone(),
        nodes: builder.nodes,
        root,
        scan: None,
    };
    let warnings = analysis::rules_that_never_matter(&tree);
    (tree, warnings)
}

struct Builder<'p> {
    policy: &'p CheckedPolicy,
    nodes: Vec<Node>,
    /// Hash-consing: each distinct node is stored once.
    interned: HashMap<Node, NodeId>,
    /// Subproblems already solved: (candidates, facts tested on the path).
    memo: HashMap<(Vec<RuleId>, Vec<bool>), NodeId>,
    /// Candidate rules considered so far; past [`TREE_BUDGET`] the build stops.
    work: usize,
}

impl Builder<'_> {
    fn intern(&mut self, node: Node) -> NodeId {
        if let Some(id) = self.interned.get(&node) {
            return *id;
        }
        let id = NodeId(self.nodes.len() as u32);
        self.nodes.push(node.clone());
        self.interned.insert(node, id);
        id
    }

    /// The conditions of a rule that are still open on this path.
    fn open<'r>(
        &'r self,
        rule: RuleId,
        tested: &'r [bool],
    ) -> impl Iterator<Item = (FactId, &'r AtomSet)> + 'r {
        self.policy
            .rule(rule)
            .into_iter()
            .flat_map(|r| r.conditions.iter())
            .filter(move |(fact, set)| {
                !tested.get(fact.0 as usize).copied().unwrap_or(true) && !set.is_full()
            })
            .map(|(fact, set)| (*fact, set))
    }

    /// `candidates` are the rules still possible on this path, in source
    /// order; `tested[f]` says whether fact `f` was tested on it.
    fn build(&mut self, candidates: &[RuleId], tested: &[bool]) -> NodeId {
        if self.work > TREE_BUDGET {
            return NodeId(0);
        }
        self.work += candidates.len() + 1;
        let key = (candidates.to_vec(), tested.to_vec());
        if let Some(id) = self.memo.get(&key) {
            return *id;
        }
        let id = self.build_uncached(candidates, tested);
        self.memo.insert(key, id);
        id
    }

    fn build_uncached(&mut self, candidates: &[RuleId], tested: &[bool]) -> NodeId {
        let Some(&first) = candidates.first() else {
            return self.intern(Node::Leaf(None));
        };
        let first_open: Vec<FactId> = self.open(first, tested).map(|(f, _)| f).collect();
        if first_open.is_empty() {
            return self.intern(Node::Leaf(Some(first)));
        }
        // Test the first rule's open fact that most candidates depend on.
        let mut uses = vec![0usize; self.policy.facts.len()];
        for rule in candidates {
            for (fact, _) in self.open(*rule, tested) {
                if let Some(n) = uses.get_mut(fact.0 as usize) {
                    *n += 1;
                }
            }
        }
        let fact = first_open
            .iter()
            .copied()
            .max_by_key(|f| {
                (
                    uses.get(f.0 as usize).copied().unwrap_or(0),
                    std::cmp::Reverse(*f),
                )
            })
            .unwrap_or(FactId(0));
        let atoms = self.policy.fact(fact).map_or(0, |f| f.atom_count());
        let mut below = tested.to_vec();
        if let Some(t) = below.get_mut(fact.0 as usize) {
            *t = true;
        }
        let mut edges = Vec::with_capacity(atoms as usize);
        let mut by_candidates: HashMap<Vec<RuleId>, NodeId> = HashMap::new();
        for atom in 0..atoms {
            // Splitting costs one look at every candidate per atom.
            self.work += candidates.len();
            if self.work > TREE_BUDGET {
                return NodeId(0);
            }
            let next: Vec<RuleId> = candidates
                .iter()
                .copied()
                .filter(|rule| {
                    self.policy
                        .rule(*rule)
                        .and_then(|r| r.condition(fact))
                        .is_none_or(|set| set.contains(atom))
                })
                .collect();
            let child = match by_candidates.get(&next) {
                Some(child) => *child,
                None => {
                    let child = self.build(&next, &below);
                    by_candidates.insert(next, child);
                    child
                }
            };
            edges.push(child);
        }
        if let Some(&only) = edges.first() {
            if edges.iter().all(|e| *e == only) {
                return only;
            }
        }
        self.intern(Node::Test {
            fact,
            edges: edges.into_boxed_slice(),
        })
    }
}
