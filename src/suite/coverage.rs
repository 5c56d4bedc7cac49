//! Coverage of a policy's tree by a suite: the leaves and branches no test
//! reaches, the rules no test sees decide, and for each gap a ready-to-paste
//! test whose facts follow the path to it.

use crate::compile::{DecisionTree, Node, NodeId};
use crate::eval;
use crate::model::{Atom, AtomSet, FactId};

/// How much of one policy's tree the tests reach. The items are the tree's
/// leaves and its branches (a test node with one of its distinct children).
#[derive(Clone, Debug)]
pub struct Coverage {
    /// The policy's name.
    pub policy: String,
    /// How many leaves and branches its tree has.
    pub total: usize,
    /// How many of them some test reaches.
    pub covered: usize,
    /// `file:line` of each rule that no test saw decide.
    pub rules_never_fired: Vec<String>,
    /// One entry per uncovered item (leaves first, then branches).
    pub gaps: Vec<Gap>,
    /// The policy has no decision tree (too large), so coverage is not measured.
    pub no_tree: bool,
}

/// A part of the tree no test reaches, and a test that would.
#[derive(Clone, Debug)]
pub struct Gap {
    /// What the test would reach that no test does: leaves (their decision
    /// and rule) and branches (`request.target = partner`).
    pub reaches: Vec<String>,
    /// A ready-to-paste test case in the test file format.
    pub test: String,
}

/// `name_policy`: the suggested tests must say which policy they test.
pub(super) fn coverage(tree: &DecisionTree, routes: &[Vec<NodeId>], name_policy: bool) -> Coverage {
    if tree.scan.is_some() {
        return Coverage {
            policy: tree.policy.name.clone(),
            total: 0,
            covered: 0,
            rules_never_fired: Vec::new(),
            gaps: Vec::new(),
            no_tree: true,
        };
    }
    let mut seen_nodes = vec![false; tree.nodes().len()];
    let mut seen_branches: Vec<(NodeId, NodeId)> = Vec::new();
    for route in routes {
        for node in route {
            if let Some(seen) = seen_nodes.get_mut(node.0 as usize) {
                *seen = true;
            }
        }
        for pair in route.windows(2) {
            if let [from, to] = pair {
                if !seen_branches.contains(&(*from, *to)) {
                    seen_branches.push((*from, *to));
                }
            }
        }
    }
    let mut total = 0;
    let mut covered = 0;
    let mut gaps = Vec::new();
    // Leaves first: a missing leaf is a decision no test checks.
    for (i, node) in tree.nodes().iter().enumerate() {
        if let Node::Leaf(rule) = node {
            total += 1;
            if seen_nodes.get(i).copied().unwrap_or(false) {
                covered += 1;
            } else {
                match path_to(tree, NodeId(i as u32), None) {
                    Reach::Path(path) => gaps.push(Gap {
                        reaches: vec![tree.leaf_label(*rule)],
                        test: test_for_gap(tree, &path, name_policy),
                    }),
                    // No facts reach it: nothing for a test to cover.
                    Reach::Never => total -= 1,
                    Reach::Unknown => {}
                }
            }
        }
    }
    for (i, node) in tree.nodes().iter().enumerate() {
        if let Node::Test { fact, edges } = node {
            for (child, label) in tree.grouped_edges(*fact, edges) {
                total += 1;
                let from = NodeId(i as u32);
                if seen_branches.contains(&(from, child)) {
                    covered += 1;
                } else {
                    match path_to(tree, from, Some(child)) {
                        Reach::Path(path) => {
                            let path_name = tree
                                .policy
                                .fact(*fact)
                                .map(|f| f.path_string())
                                .unwrap_or_default();
                            gaps.push(Gap {
                                reaches: vec![format!("{path_name} = {label}")],
                                test: test_for_gap(tree, &path, name_policy),
                            });
                        }
                        Reach::Never => total -= 1,
                        Reach::Unknown => {}
                    }
                }
            }
        }
    }
    let fired: Vec<&str> = routes
        .iter()
        .filter_map(|route| route.last())
        .filter_map(|leaf| match tree.node(*leaf) {
            Some(Node::Leaf(Some(rule))) => tree.policy.rule(*rule).map(|r| r.location.as_str()),
            _ => None,
        })
        .collect();
    let rules_never_fired = tree
        .policy
        .rules
        .iter()
        .filter(|r| r.is_satisfiable() && !fired.contains(&r.location.as_str()))
        .map(|r| r.location.clone())
        .collect();
    // One suggested test often closes several gaps (a leaf and the branch
    // into it): list it once, naming them all.
    let mut merged: Vec<Gap> = Vec::new();
    for gap in gaps {
        match merged.iter_mut().find(|g| g.test == gap.test) {
            Some(existing) => existing.reaches.extend(gap.reaches),
            None => merged.push(gap),
        }
    }
    Coverage {
        policy: tree.policy.name.clone(),
        total,
        covered,
        rules_never_fired,
        gaps: merged,
        no_tree: false,
    }
}

/// Whether some facts reach a node (or a branch).
enum Reach {
    /// These constraints, from the root to a leaf, lead there.
    Path(Vec<(FactId, AtomSet)>),
    /// No facts do: relations between facts rule out every path there.
    Never,
    /// The search for a path some facts take ran out of budget.
    Unknown,
}

/// How many paths [`path_to`] tries on a policy with relations before it
/// gives up.
const PATH_BUDGET: usize = 20_000;

/// The constraints on a path from the root through `target` (and then its
/// `child`, if given) down to a leaf, taking the first branch where free.
/// On a policy whose rules relate facts, only a path some facts take.
fn path_to(tree: &DecisionTree, target: NodeId, child: Option<NodeId>) -> Reach {
    if tree.policy.needs_realizing() {
        let mut search = Search {
            tree,
            target,
            child,
            budget: PATH_BUDGET,
        };
        let mut path = Vec::new();
        return match search.through_target(tree.root(), &mut path) {
            Some(true) => Reach::Path(path),
            Some(false) => Reach::Never,
            None => Reach::Unknown,
        };
    }
    let mut path = Vec::new();
    let mut dead = vec![false; tree.nodes().len()];
    if !descend(tree, tree.root(), target, &mut path, &mut dead) {
        return Reach::Never;
    }
    let mut node = target;
    if let Some(child) = child {
        let Some(Node::Test { fact, edges }) = tree.node(target) else {
            return Reach::Never;
        };
        path.push((*fact, atoms_to(edges, child)));
        node = child;
    }
    while let Some(Node::Test { fact, edges }) = tree.node(node) {
        let Some(first) = edges.first().copied() else {
            return Reach::Never;
        };
        path.push((*fact, atoms_to(edges, first)));
        node = first;
    }
    Reach::Path(path)
}

/// The search for a path that facts take, on a policy whose relations
/// between facts can rule paths out: depth first, each step kept only if
/// some facts still realize the constraints so far.
struct Search<'t> {
    tree: &'t DecisionTree,
    target: NodeId,
    child: Option<NodeId>,
    budget: usize,
}

impl Search<'_> {
    /// Extends `path` from `node` through the target; `Some(false)` when no
    /// realizable path does, `None` past the budget.
    fn through_target(&mut self, node: NodeId, path: &mut Vec<(FactId, AtomSet)>) -> Option<bool> {
        if node == self.target {
            return match self.child {
                None => self.down_to_leaf(node, path),
                Some(child) => {
                    let Some(Node::Test { fact, edges }) = self.tree.node(node) else {
                        return Some(false);
                    };
                    self.step(path, *fact, atoms_to(edges, child), |search, path| {
                        search.down_to_leaf(child, path)
                    })
                }
            };
        }
        // Children come before parents in the node list.
        if self.target.0 > node.0 {
            return Some(false);
        }
        self.each_branch(node, path, |search, next, path| {
            search.through_target(next, path)
        })
    }

    /// Extends `path` from `node` down to any leaf.
    fn down_to_leaf(&mut self, node: NodeId, path: &mut Vec<(FactId, AtomSet)>) -> Option<bool> {
        match self.tree.node(node) {
            Some(Node::Test { .. }) => self.each_branch(node, path, |search, next, path| {
                search.down_to_leaf(next, path)
            }),
            _ => Some(true),
        }
    }

    /// Tries each branch of the test at `node` in turn with `then`.
    fn each_branch(
        &mut self,
        node: NodeId,
        path: &mut Vec<(FactId, AtomSet)>,
        mut then: impl FnMut(&mut Self, NodeId, &mut Vec<(FactId, AtomSet)>) -> Option<bool>,
    ) -> Option<bool> {
        let Some(Node::Test { fact, edges }) = self.tree.node(node) else {
            return Some(false);
        };
        let mut tried: Vec<NodeId> = Vec::new();
        let mut unknown = false;
        for edge in edges.iter() {
            if tried.contains(edge) {
                continue;
            }
            tried.push(*edge);
            let next = *edge;
            match self.step(path, *fact, atoms_to(edges, next), |search, path| {
                then(search, next, path)
            }) {
                Some(true) => return Some(true),
                Some(false) => {}
                None => unknown = true,
            }
        }
        if unknown {
            None
        } else {
            Some(false)
        }
    }

    /// Adds a constraint to `path` and goes on with `then` if some facts
    /// still realize it; leaves `path` as it was unless that succeeds.
    fn step(
        &mut self,
        path: &mut Vec<(FactId, AtomSet)>,
        fact: FactId,
        atoms: AtomSet,
        then: impl FnOnce(&mut Self, &mut Vec<(FactId, AtomSet)>) -> Option<bool>,
    ) -> Option<bool> {
        if self.budget == 0 {
            return None;
        }
        self.budget -= 1;
        path.push((fact, atoms));
        let result = if self.tree.policy.realize(path).is_some() {
            then(self, path)
        } else {
            Some(false)
        };
        if result != Some(true) {
            path.pop();
        }
        result
    }
}

/// Depth-first search from `node` to `target`, recording the constraints
/// (on a policy without relations, where every path is taken by some
/// facts). `dead` marks nodes already known not to lead there, so each node
/// is searched once.
fn descend(
    tree: &DecisionTree,
    node: NodeId,
    target: NodeId,
    path: &mut Vec<(FactId, AtomSet)>,
    dead: &mut [bool],
) -> bool {
    if node == target {
        return true;
    }
    // Children come before parents in the node list, so a target with a
    // larger index than `node` is not below it.
    if target.0 > node.0 || dead.get(node.0 as usize).copied().unwrap_or(true) {
        return false;
    }
    let Some(Node::Test { fact, edges }) = tree.node(node) else {
        return false;
    };
    let mut tried: Vec<NodeId> = Vec::new();
    for edge in edges.iter() {
        if tried.contains(edge) {
            continue;
        }
        tried.push(*edge);
        path.push((*fact, atoms_to(edges, *edge)));
        if descend(tree, *edge, target, path, dead) {
            return true;
        }
        path.pop();
    }
    if let Some(d) = dead.get_mut(node.0 as usize) {
        *d = true;
    }
    false
}

fn atoms_to(edges: &[NodeId], child: NodeId) -> AtomSet {
    AtomSet::from_atoms(
        edges.len() as u32,
        edges
            .iter()
            .enumerate()
            .filter(|(_, e)| **e == child)
            .map(|(a, _)| a as Atom),
    )
}

/// A test case, in the test file format, for facts that follow `path`.
fn test_for_gap(tree: &DecisionTree, path: &[(FactId, AtomSet)], name_policy: bool) -> String {
    let policy = &tree.policy;
    // Prefer a present value to "absent" where both would do.
    let assignment: Vec<(FactId, Atom)> = path
        .iter()
        .filter_map(|(fact, set)| {
            let absent = policy.fact(*fact).and_then(|f| f.absent_atom());
            let atom = set
                .iter()
                .find(|a| Some(*a) != absent)
                .or_else(|| set.first())?;
            Some((*fact, atom))
        })
        .collect();
    let narrowed: Vec<(FactId, AtomSet)> = assignment
        .iter()
        .filter_map(|(fact, atom)| {
            let count = policy.fact(*fact)?.atom_count();
            Some((*fact, AtomSet::from_atoms(count, [*atom])))
        })
        .collect();
    let facts = policy.example(&narrowed);
    let words: Vec<String> = assignment
        .iter()
        .filter_map(|(fact, atom)| {
            let fact = policy.fact(*fact)?;
            Some(format!("{} {}", fact.name, fact.describe_atom(*atom)))
        })
        .collect();
    let (decision, rule) = match eval::decide(tree, &facts) {
        Ok(Some(rule)) => match policy.rule(rule) {
            // A rule's name survives edits that move lines; its place is
            // the file name alone, which survives moving the directory.
            Some(r) => (
                r.verdict.as_str().to_string(),
                Some(r.name.clone().unwrap_or_else(|| {
                    r.location
                        .rsplit('/')
                        .next()
                        .unwrap_or(&r.location)
                        .to_string()
                })),
            ),
            None => (policy.otherwise.as_str().to_string(), None),
        },
        _ => (policy.otherwise.as_str().to_string(), None),
    };
    let expect = match rule {
        Some(rule) => format!("{decision} rule {rule}"),
        None => decision.clone(),
    };
    let policy_line = if name_policy {
        format!("  policy {}\n", policy.name)
    } else {
        String::new()
    };
    format!(
        "test \"{decision} when {}\"\n{policy_line}  facts {facts}\n  expect {expect}\n",
        words.join(", ").replace('"', "'")
    )
}
