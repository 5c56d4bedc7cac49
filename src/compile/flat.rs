//! The decision tree laid out for evaluation: one array of `u32`s, each
//! test its fact followed by one edge per atom, so that a walk touches one
//! cache line per test and follows no pointer, with the tests breadth first
//! from the root. Leaves take no room: an edge with [`LEAF`] set names the
//! rule (its index plus one, zero for none). An edge to a test also names
//! the test's fact, so that the walk reads that fact while the test itself
//! is still on its way from memory.

use std::sync::Arc;

use super::{Graph, Node, NodeId};
use crate::model::{CheckedPolicy, FactId, RuleId};

/// Marks an edge that names a leaf rather than a test.
pub const LEAF: u32 = 1 << 31;

/// The tree as one array (see the module documentation).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FlatTree {
    pub words: Arc<[u32]>,
    /// Where the walk starts: an edge to the first test, or a leaf.
    pub root: u32,
    /// An edge to a test holds the test's fact in its low `fact_bits`
    /// bits, above them its offset, so that a walk knows which fact to read
    /// next before the test's words arrive from memory; zero when the
    /// offsets would not leave room (the fact is then read from the test).
    pub fact_bits: u32,
    /// Whether the tree is too large to stay in the cache, so that a walk
    /// should start loading each test's edges before reading its fact.
    pub large: bool,
}

/// Trees of more words than this (256 KiB) are [`FlatTree::large`].
const LARGE: usize = 1 << 16;

impl FlatTree {
    /// Lays out the tests reachable from `root` breadth first, so that the
    /// few nodes near the root, which every walk reads, sit together (and
    /// stay in the cache) and each level after them is contiguous; `None`
    /// when the array would not fit 31-bit offsets.
    pub fn new(nodes: &[Node], root: NodeId) -> Option<FlatTree> {
        FlatTree::with_limits(nodes, root, u64::from(!LEAF), LARGE)
    }

    /// [`new`](Self::new), with facts in the edges only if their offsets
    /// fit `room` that way, and [`large`](Self::large) past `large` words:
    /// tests lay out small trees as large ones are.
    pub(crate) fn with_limits(
        nodes: &[Node],
        root: NodeId,
        room: u64,
        large: usize,
    ) -> Option<FlatTree> {
        // Each node's place: a test's offset, or a leaf's encoding.
        let mut placed: Vec<Option<u32>> = vec![None; nodes.len()];
        let mut order: Vec<NodeId> = Vec::new();
        let mut size = 0usize;
        let mut queue = std::collections::VecDeque::from([root]);
        while let Some(id) = queue.pop_front() {
            let slot = placed.get_mut(id.0 as usize)?;
            if slot.is_some() {
                continue;
            }
            match nodes.get(id.0 as usize)? {
                Node::Leaf(rule) => *slot = Some(LEAF | rule.map_or(0, |r| r.0 + 1)),
                Node::Test { edges, .. } => {
                    *slot = Some(u32::try_from(size).ok().filter(|o| o & LEAF == 0)?);
                    size += 1 + edges.len();
                    order.push(id);
                    // Neighbouring edges often lead to one child: queue it once.
                    let mut previous = None;
                    for edge in edges.iter() {
                        if previous != Some(*edge)
                            && placed.get(edge.0 as usize).is_some_and(Option::is_none)
                        {
                            queue.push_back(*edge);
                        }
                        previous = Some(*edge);
                    }
                }
            }
        }
        // Room for the facts in the edges, if the offsets leave it.
        let facts = order
            .iter()
            .filter_map(|id| match nodes.get(id.0 as usize) {
                Some(Node::Test { fact, .. }) => Some(fact.0 + 1),
                _ => None,
            })
            .max()
            .unwrap_or(0);
        let mut fact_bits = u32::BITS - facts.saturating_sub(1).leading_zeros();
        if (size as u64) << fact_bits > room {
            fact_bits = 0;
        }
        let edge = |id: NodeId| -> Option<u32> {
            let place = placed.get(id.0 as usize).copied().flatten()?;
            Some(match nodes.get(id.0 as usize)? {
                Node::Test { fact, .. } if fact_bits > 0 => place << fact_bits | fact.0,
                _ => place,
            })
        };
        let mut words = Vec::with_capacity(size);
        for id in &order {
            if let Some(Node::Test { fact, edges }) = nodes.get(id.0 as usize) {
                words.push(fact.0);
                for child in edges.iter() {
                    words.push(edge(*child)?);
                }
            }
        }
        let root = edge(root)?;
        Some(FlatTree {
            large: words.len() > large,
            words: Arc::from(words),
            root,
            fact_bits,
        })
    }

    /// The nodes this layout was made from: each test and each leaf once,
    /// children before their parents, in the order a walk from the root
    /// finishes them (which is the order the builder made them in, but
    /// for a root split in halves built apart). `policy` says how many
    /// edges each test has: one per atom of its fact.
    pub(crate) fn graph(&self, policy: &CheckedPolicy) -> Graph {
        let mut nodes: Vec<Node> = Vec::new();
        // Each edge word made into a node: the word names its target, a
        // test by its place or a leaf by its rule.
        let mut made: rustc_hash::FxHashMap<u32, NodeId> = rustc_hash::FxHashMap::default();
        let children = |edge: u32| -> (u32, &[u32]) {
            let Some((at, fact)) = self.test(edge) else {
                return (0, &[]);
            };
            let count = policy.fact(FactId(fact)).map_or(0, |f| f.atom_count()) as usize;
            let start = at as usize + 1;
            let edges = self.words.get(start..start + count).unwrap_or_default();
            (fact, edges)
        };
        // The edges being made, each with how many of its children are.
        let mut stack: Vec<(u32, usize)> = vec![(self.root, 0)];
        while let Some(&(edge, next)) = stack.last() {
            if made.contains_key(&edge) {
                stack.pop();
                continue;
            }
            let node = match Self::leaf(edge) {
                Some(rule) => Node::Leaf(rule),
                None => {
                    let (fact, edges) = children(edge);
                    if let Some(child) = edges.get(next) {
                        if let Some(top) = stack.last_mut() {
                            top.1 += 1;
                        }
                        if !made.contains_key(child) {
                            stack.push((*child, 0));
                        }
                        continue;
                    }
                    // Every child is made: each edge has its node.
                    let edges = edges.iter().filter_map(|c| made.get(c).copied()).collect();
                    Node::Test {
                        fact: FactId(fact),
                        edges,
                    }
                }
            };
            made.insert(edge, NodeId(nodes.len() as u32));
            nodes.push(node);
            stack.pop();
        }
        let root = made.get(&self.root).copied().unwrap_or(NodeId(0));
        if nodes.is_empty() {
            nodes.push(Node::Leaf(None));
        }
        Graph {
            nodes: Arc::from(nodes),
            root,
        }
    }

    /// The rule an edge names, if it names a leaf: `Some(None)` is the leaf
    /// of no rule.
    #[inline]
    pub fn leaf(edge: u32) -> Option<Option<RuleId>> {
        (edge & LEAF != 0).then(|| (edge & !LEAF).checked_sub(1).map(RuleId))
    }

    /// The test an edge (not a leaf) leads to: its offset and its fact.
    #[inline]
    pub fn test(&self, edge: u32) -> Option<(u32, u32)> {
        if self.fact_bits == 0 {
            return Some((edge, *self.words.get(edge as usize)?));
        }
        Some((edge >> self.fact_bits, edge & ((1 << self.fact_bits) - 1)))
    }

    /// Starts loading the edges of the test at `at`, so that they arrive
    /// while its fact is read (the edge it then takes is on one of the
    /// lines of its first and its sixteenth edge).
    #[inline]
    pub fn touch(&self, at: u32) {
        let at = at as usize;
        let word = |at: usize| self.words.get(at).copied();
        std::hint::black_box((word(at + 1), word(at + 16)));
    }

    /// Where the test at `at` leads for `atom`.
    #[inline]
    pub fn next(&self, at: u32, atom: u32) -> Option<u32> {
        self.words.get(at as usize + 1 + atom as usize).copied()
    }
}
