//! Pictures of a decision tree: an indented text outline, Graphviz DOT, and
//! the numbers that bound an evaluation's cost.

use std::fmt::Write as _;

use super::{DecisionTree, Node, NodeId};
use crate::model::FactId;

/// Sizes of a compiled tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TreeStats {
    /// All nodes, tests and leaves.
    pub nodes: usize,
    /// Nodes that test a fact.
    pub tests: usize,
    /// Nodes that decide: one per rule that decides for some facts, and
    /// one for the policy's `otherwise` when some facts reach no rule.
    pub leaves: usize,
    /// The most tests one evaluation can make.
    pub depth: usize,
    /// Tests reached from more than one parent: subtrees built once, used often.
    pub shared: usize,
}

impl DecisionTree {
    pub fn stats(&self) -> TreeStats {
        let tests = self
            .nodes()
            .iter()
            .filter(|n| matches!(n, Node::Test { .. }))
            .count();
        TreeStats {
            nodes: self.nodes().len(),
            tests,
            leaves: self.nodes().len() - tests,
            depth: self.depth(),
            shared: self
                .parents()
                .iter()
                .zip(self.nodes().iter())
                .filter(|(p, n)| **p > 1 && matches!(n, Node::Test { .. }))
                .count(),
        }
    }

    /// How many distinct parents each node has, in one pass over the
    /// edges: a child counts a parent the first time that parent's edges
    /// reach it.
    fn parents(&self) -> Vec<usize> {
        let mut parents = vec![0usize; self.nodes().len()];
        let mut counted_for = vec![usize::MAX; self.nodes().len()];
        for (parent, node) in self.nodes().iter().enumerate() {
            if let Node::Test { edges, .. } = node {
                for child in edges.iter() {
                    let child = child.0 as usize;
                    if let (Some(count), Some(last)) =
                        (parents.get_mut(child), counted_for.get_mut(child))
                    {
                        if *last != parent {
                            *last = parent;
                            *count += 1;
                        }
                    }
                }
            }
        }
        parents
    }

    /// The edges of a test node, grouped: each distinct child with the atoms
    /// that lead to it, in words, in atom order.
    pub fn grouped_edges(&self, fact: FactId, edges: &[NodeId]) -> Vec<(NodeId, String)> {
        super::edges_by_child(edges)
            .into_iter()
            .map(|(child, atoms)| {
                let label = self
                    .policy
                    .fact(fact)
                    .map(|f| f.describe_set(&atoms))
                    .unwrap_or_default();
                (child, label)
            })
            .collect()
    }

    /// What a leaf decides, for pictures: `deny  channels.policy:6`.
    pub fn leaf_label(&self, rule: Option<crate::model::RuleId>) -> String {
        match rule.and_then(|r| self.policy.rule(r)) {
            Some(rule) => format!("{}  {}", rule.verdict.as_str(), rule.location),
            None => format!("{}  (no rule applies)", self.policy.otherwise.as_str()),
        }
    }

    fn test_label(&self, fact: FactId) -> String {
        self.policy
            .fact(fact)
            .map(|f| f.path_string())
            .unwrap_or_default()
    }

    /// An indented outline. A subtree reached from several parents is drawn
    /// once, named `[nN]`, and referred to by that name afterwards (leaves,
    /// one line each, are always drawn).
    pub fn to_text(&self) -> String {
        if let Some(scan) = &self.scan {
            return format!(
                "policy {}: no decision tree (it would be too large); {} rules are scanned in order\n",
                self.policy.name,
                scan.rule_count()
            );
        }
        let stats = self.stats();
        let count = |n: usize, noun: &str| {
            if n == 1 {
                format!("1 {noun}")
            } else {
                format!("{n} {noun}s")
            }
        };
        let mut out = format!(
            "policy {}: {} ({}, {}), depth {}, {} shared\n",
            self.policy.name,
            count(stats.nodes, "node"),
            count(stats.tests, "test"),
            count(stats.leaves, "leaf").replace("leafs", "leaves"),
            stats.depth,
            stats.shared
        );
        let parents = self.parents();
        let mut drawn = vec![false; self.nodes().len()];
        self.outline(self.root(), "", &parents, &mut drawn, &mut out);
        out
    }

    fn outline(
        &self,
        id: NodeId,
        indent: &str,
        parents: &[usize],
        drawn: &mut [bool],
        out: &mut String,
    ) {
        let shared = parents.get(id.0 as usize).copied().unwrap_or(0) > 1
            && matches!(self.node(id), Some(Node::Test { .. }));
        let name = if shared {
            format!("[n{}] ", id.0)
        } else {
            String::new()
        };
        if shared && drawn.get(id.0 as usize).copied().unwrap_or(false) {
            let _ = writeln!(out, "see [n{}]", id.0);
            return;
        }
        if let Some(d) = drawn.get_mut(id.0 as usize) {
            *d = true;
        }
        match self.node(id) {
            None => {
                let _ = writeln!(out, "?");
            }
            Some(Node::Leaf(rule)) => {
                let _ = writeln!(out, "{name}{}", self.leaf_label(*rule));
            }
            Some(Node::Test { fact, edges }) => {
                let _ = writeln!(out, "{name}{}", self.test_label(*fact));
                let groups = self.grouped_edges(*fact, edges);
                let count = groups.len();
                for (i, (child, label)) in groups.into_iter().enumerate() {
                    let last = i + 1 == count;
                    let (branch, more) = if last {
                        ("└─ ", "   ")
                    } else {
                        ("├─ ", "│  ")
                    };
                    let _ = write!(out, "{indent}{branch}{label} → ");
                    self.outline(child, &format!("{indent}{more}"), parents, drawn, out);
                }
            }
        }
    }

    /// Graphviz DOT: a node per fact test, edges labelled by values, leaves
    /// by decision and rule. Render with `dot -Tsvg`.
    pub fn to_dot(&self) -> String {
        let mut out = String::new();
        if self.scan.is_some() {
            out.push_str(&format!(
                "// policy {}: no decision tree (it would be too large)\ndigraph {} {{}}\n",
                self.policy.name,
                dot_id(&self.policy.name)
            ));
            return out;
        }
        let _ = writeln!(out, "digraph {} {{", dot_id(&self.policy.name));
        let _ = writeln!(
            out,
            "  label={};",
            dot_string(&format!("policy {}", self.policy.name))
        );
        let _ = writeln!(out, "  labelloc=t;");
        // Left to right: a tree is deeper than it is wide far less often
        // than it is wider than a screen.
        let _ = writeln!(out, "  rankdir=LR;");
        let _ = writeln!(out, "  node [fontname=\"Helvetica\"];");
        let _ = writeln!(out, "  edge [fontname=\"Helvetica\", fontsize=10];");
        // "No rule applies" is drawn once per edge that reaches it: one
        // shared node would pull edges from all over the picture.
        let no_rule = |id: NodeId| matches!(self.node(id), Some(Node::Leaf(None)));
        let no_rule_leaf = |out: &mut String, id: &str| {
            let decision = self.policy.otherwise.as_str();
            let _ = writeln!(
                out,
                "  {id} [shape=box, style=\"rounded,filled\", fillcolor=\"{}\", label={}];",
                leaf_colour(decision),
                dot_string(&format!("{decision}\nno rule applies"))
            );
        };
        for (i, node) in self.nodes().iter().enumerate() {
            match node {
                Node::Leaf(None) if self.root().0 as usize == i => {
                    no_rule_leaf(&mut out, &format!("n{i}"));
                }
                Node::Leaf(None) => {}
                Node::Leaf(Some(rule)) => {
                    let Some(rule) = self.policy.rule(*rule) else {
                        continue;
                    };
                    let decision = rule.verdict.as_str();
                    let label = match &rule.name {
                        Some(name) => format!("{decision}\n{name}\n{}", rule.location),
                        None => format!("{decision}\n{}", rule.location),
                    };
                    let _ = writeln!(
                        out,
                        "  n{i} [shape=box, style=\"rounded,filled\", fillcolor=\"{}\", label={}];",
                        leaf_colour(decision),
                        dot_string(&label)
                    );
                }
                Node::Test { fact, edges } => {
                    let _ = writeln!(
                        out,
                        "  n{i} [shape=ellipse, label={}];",
                        dot_string(&self.test_label(*fact))
                    );
                    for (child, label) in self.grouped_edges(*fact, edges) {
                        let target = if no_rule(child) {
                            let id = format!("n{i}_none");
                            no_rule_leaf(&mut out, &id);
                            id
                        } else {
                            format!("n{}", child.0)
                        };
                        let _ = writeln!(out, "  n{i} -> {target} [label={}];", dot_string(&label));
                    }
                }
            }
        }
        out.push_str("}\n");
        out
    }
}

fn leaf_colour(decision: &str) -> &'static str {
    match decision {
        "allow" => "#d4f4d4",
        "deny" => "#f8d4d4",
        "none" => "#eeeeee",
        _ => "#d8e4f8",
    }
}

/// A DOT identifier: letters, digits and `_` only.
fn dot_id(name: &str) -> String {
    let id: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("policy_{id}")
}

/// A quoted DOT string.
fn dot_string(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n");
    format!("\"{escaped}\"")
}
