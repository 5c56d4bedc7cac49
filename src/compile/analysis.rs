//! What the compiled tree tells about the rules: which never decide
//! (shadowed), which another rule makes redundant, and which combinations of
//! facts no rule decides (gaps).

use std::collections::HashMap;

use crate::diagnostics::CheckError;
use crate::model::{AtomSet, CheckedPolicy, CheckedRule, FactId, HitPolicy, RuleId, Verdict};

use super::{DecisionTree, Node, NodeId};

/// How many `covers` checks the search for redundant rules may make in
/// all: past it, the remaining rules are not looked at for redundancy (a
/// redundant rule under `first match` is still reported as shadowed).
const PAIR_BUDGET: usize = 20_000_000;

/// How many nodes the walk over one shadowed rule's region may visit: past
/// it, the rules found so far are the ones shown as deciding in its place.
const REGION_BUDGET: usize = 2_000;

/// How many of the rules that decide in a shadowed rule's place are
/// shown: the walk over its region stops when it has found one more.
pub(super) const MAX_SHOWN: usize = 8;

/// How many of a policy's rules that never decide have the rules deciding
/// in their place looked for, in rule order. Past them each is reported
/// without those rules: a policy with more rules that never decide is
/// mostly rules to delete, and finding who decides in each one's place
/// costs as much as finding it never decides (most of a check of 100,000
/// generated rules, 96,000 of them shadowed). Not under `priority`, where
/// the deciders tell whether the rule is outranked or only shadowed.
pub(super) const MAX_NAMED: usize = 1_000;

/// What the rules tried before a rule leave it: whether it decides some
/// facts, and if it never does, the rules that decide in its place.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Fate {
    pub decides: bool,
    /// Sorted by id; empty when the rule decides.
    pub deciders: Vec<RuleId>,
    /// Whether the search for deciders stopped before it saw them all.
    pub cut_short: bool,
    /// Whether the deciders were not looked for: the rule never decides,
    /// past the first [`MAX_NAMED`] that never do.
    pub unnamed: bool,
}

/// Each rule's fate read off the tree, indexed by rule id.
pub(super) fn fates_from_tree(tree: &DecisionTree) -> Vec<Fate> {
    let policy = &tree.policy;
    let mut fates: Vec<Fate> = (0..policy.rules.len()).map(|_| Fate::default()).collect();
    let reachable = reachable_leaves(tree);
    for (i, node) in tree.nodes().iter().enumerate() {
        if let Node::Leaf(Some(rule)) = node {
            if !reachable.get(i).copied().unwrap_or(true) {
                continue;
            }
            if let Some(fate) = fates.get_mut(rule.0 as usize) {
                fate.decides = true;
            }
        }
    }
    let mut region = Region::new(tree.nodes().len());
    let mut named = 0;
    for rule in policy.rules.iter().filter(|r| r.is_satisfiable()) {
        let Some(fate) = fates.get_mut(rule.id.0 as usize) else {
            continue;
        };
        if !fate.decides {
            if named == MAX_NAMED && policy.hit != HitPolicy::Priority {
                fate.unnamed = true;
                continue;
            }
            named += 1;
            fate.deciders = region.deciders(tree, rule, &reachable);
            fate.cut_short = region.cut_short;
        }
    }
    fates
}

/// Shadowed and redundant rules, as warnings, from each rule's fate
/// (indexed by rule id).
pub(super) fn rules_that_never_matter(policy: &CheckedPolicy, fates: &[Fate]) -> Vec<CheckError> {
    // Rules grouped by verdict: only a rule with the same verdict can make
    // another redundant.
    let mut by_verdict: HashMap<&Verdict, Vec<&CheckedRule>> = HashMap::new();
    for rule in policy.rules.iter().filter(|r| r.is_satisfiable()) {
        by_verdict.entry(&rule.verdict).or_default().push(rule);
    }
    let positions = policy.order_positions();
    let mut pairs = 0usize;
    let mut warnings = Vec::new();
    let none = Fate {
        decides: true,
        ..Fate::default()
    };
    for rule in policy.rules.iter().filter(|r| r.is_satisfiable()) {
        let fate = fates.get(rule.id.0 as usize).unwrap_or(&none);
        let decides = fate.decides;
        // Under `first match` or a priority, a rule another covers never
        // decides: only rules that never decide need a look.
        if decides && policy.hit != HitPolicy::Unique {
            continue;
        }
        let deciders = &fate.deciders;
        // A rule that never decides because rules of another decision win
        // is reported as such, whatever else covers it.
        let overruled = policy.hit == HitPolicy::Priority
            && deciders
                .iter()
                .filter_map(|id| policy.rule(*id))
                .any(|d| d.verdict != rule.verdict);
        let by = deciders
            .iter()
            .filter_map(|id| policy.rule(*id))
            .find(|d| redundant(policy, &positions, rule, d))
            .filter(|_| !overruled)
            .or_else(|| {
                if overruled {
                    return None;
                }
                // Once the budget is spent the loop stops at once: walking
                // the rest of each group only to count would itself be
                // quadratic (10^10 steps at 100,000 rules of one decision).
                let group = by_verdict.get(&rule.verdict)?;
                let left = PAIR_BUDGET.saturating_sub(pairs);
                let tried = group.len().min(left);
                let found = group
                    .iter()
                    .take(tried)
                    .position(|other| redundant(policy, &positions, rule, other));
                pairs += found.map_or(tried, |at| at + 1);
                found.and_then(|at| group.get(at).copied())
            });
        if let Some(by) = by {
            warnings.push(CheckError::Redundant {
                span: rule.span,
                by: by.span,
                verdict: by.verdict.as_str().to_string(),
                help: "delete it; the other rule already decides the same",
            });
            continue;
        }
        if decides {
            continue;
        }
        if fate.unnamed {
            warnings.push(CheckError::Shadowed {
                span: rule.span,
                by: Vec::new(),
                help: format!(
                    "earlier rules decide every case it matches: delete it, or move it above the \
                     rules that cover it (the rules that decide in its place are named for the first {MAX_NAMED} rules \
                     that never decide)"
                ),
            });
            continue;
        }
        let shown: Vec<&CheckedRule> = deciders
            .iter()
            .filter_map(|id| policy.rule(*id))
            .take(MAX_SHOWN)
            .collect();
        let by = shown
            .iter()
            .map(|earlier| {
                let how = if covers(earlier, rule) {
                    "covers it"
                } else {
                    "covers part of it"
                };
                miette::LabeledSpan::at(
                    earlier.span,
                    format!("{how}, deciding `{}`", earlier.verdict.as_str()),
                )
            })
            .collect();
        let outranked =
            policy.hit == HitPolicy::Priority && shown.iter().any(|e| e.verdict != rule.verdict);
        let mut help = if outranked {
            let line: Vec<&str> = policy.priority.iter().map(Verdict::as_str).collect();
            format!(
                "under `priority {}`, the rules that cover it win: narrow them, or delete it",
                line.join(" > ")
            )
        } else if shown.iter().any(|e| e.verdict != rule.verdict) {
            String::from("rule order decides here: move the rule above the rules that cover it, narrow them, or delete it")
        } else {
            String::from("earlier rules already decide the same for every case it matches: delete it, or narrow them")
        };
        if deciders.len() > shown.len() || fate.cut_short {
            help.push_str(&format!(
                " ({} of the rules that decide in its place are shown)",
                shown.len()
            ));
        }
        warnings.push(if outranked {
            CheckError::Outranked {
                span: rule.span,
                by,
                help,
            }
        } else {
            CheckError::Shadowed {
                span: rule.span,
                by,
                help,
            }
        });
    }
    warnings
}

/// How much work [`reachable_leaves`] does on a policy with relations
/// before it counts every leaf it has not reached as reachable: a node
/// visited counts one, and the search for facts that take a path the
/// steps it took (up to 200,000 for a path no facts take).
const REACH_BUDGET: usize = 20_000_000;

/// Which nodes some facts reach: every node, unless the policy relates
/// facts, whose relations can rule paths out; then the nodes of paths some
/// facts take (all of them, past [`REACH_BUDGET`]).
pub(super) fn reachable_leaves(tree: &DecisionTree) -> Vec<bool> {
    if !tree.policy.needs_realizing() {
        return vec![true; tree.nodes().len()];
    }
    fn visit(
        tree: &DecisionTree,
        node: NodeId,
        path: &mut Vec<(FactId, AtomSet)>,
        reached: &mut [bool],
        budget: &mut usize,
    ) -> bool {
        if *budget == 0 {
            return false;
        }
        *budget -= 1;
        if let Some(seen) = reached.get_mut(node.0 as usize) {
            *seen = true;
        }
        if let Some(Node::Test { fact, edges }) = tree.node(node) {
            let mut tried: Vec<NodeId> = Vec::new();
            for child in edges.iter() {
                if tried.contains(child) {
                    continue;
                }
                tried.push(*child);
                let atoms = AtomSet::from_atoms(
                    edges.len() as u32,
                    edges
                        .iter()
                        .enumerate()
                        .filter(|(_, e)| *e == child)
                        .map(|(a, _)| a as u32),
                );
                path.push((*fact, atoms));
                let mut work = 0;
                let real = tree.policy.realize_counting(path, &mut work).is_some();
                *budget = budget.saturating_sub(work);
                if real && !visit(tree, *child, path, reached, budget) {
                    path.pop();
                    return false;
                }
                path.pop();
            }
        }
        true
    }
    let mut reached = vec![false; tree.nodes().len()];
    let mut budget = REACH_BUDGET;
    if visit(
        tree,
        tree.root(),
        &mut Vec::new(),
        &mut reached,
        &mut budget,
    ) {
        reached
    } else {
        vec![true; tree.nodes().len()]
    }
}

/// Whether `other` makes `rule` redundant: it has the same decision and
/// matches everything `rule` matches, so that deleting `rule` changes no
/// decision. Under `first match` or a priority only a rule tried earlier
/// qualifies (a later one could lose to rules in between); of two rules
/// that match exactly the same facts, the later one is the redundant one.
/// `positions` is each rule's place in the order rules are tried.
fn redundant(
    policy: &CheckedPolicy,
    positions: &[usize],
    rule: &CheckedRule,
    other: &CheckedRule,
) -> bool {
    let tried_before = |a: &CheckedRule, b: &CheckedRule| {
        positions.get(a.id.0 as usize) < positions.get(b.id.0 as usize)
    };
    other.id != rule.id
        && other.verdict == rule.verdict
        && covers(other, rule)
        && (tried_before(other, rule)
            || (policy.hit == HitPolicy::Unique
                && !covers(rule, other)
                // A rule that decides first with its own reason is not redundant.
                && rule.because == other.because
                && rule.see == other.see))
}

/// A walk over the part of the tree where a rule's conditions hold.
struct Region {
    /// The walk that last visited each node, so that visits need no clearing.
    visited: Vec<u32>,
    walk: u32,
    /// Whether the last walk stopped at [`REGION_BUDGET`].
    cut_short: bool,
}

impl Region {
    fn new(nodes: usize) -> Region {
        Region {
            visited: vec![0; nodes],
            walk: 0,
            cut_short: false,
        }
    }

    /// The rules that decide where `rule` matches (one walk per clause), in
    /// source order.
    fn deciders(
        &mut self,
        tree: &DecisionTree,
        rule: &CheckedRule,
        reachable: &[bool],
    ) -> Vec<RuleId> {
        self.cut_short = false;
        let mut found = Vec::new();
        let mut visits = 0usize;
        for clause in &rule.clauses {
            self.walk += 1;
            let mut stack = vec![tree.root()];
            while let Some(node) = stack.pop() {
                match self.visited.get_mut(node.0 as usize) {
                    Some(seen) if *seen == self.walk => continue,
                    Some(seen) => *seen = self.walk,
                    None => continue,
                }
                visits += 1;
                if visits > REGION_BUDGET || found.len() > MAX_SHOWN {
                    self.cut_short = visits > REGION_BUDGET;
                    found.sort();
                    return found;
                }
                match tree.node(node) {
                    Some(Node::Leaf(Some(by)))
                        if !found.contains(by)
                            && reachable.get(node.0 as usize).copied().unwrap_or(true) =>
                    {
                        found.push(*by)
                    }
                    Some(Node::Test { fact, edges }) => {
                        let allowed = clause.condition(*fact);
                        for (atom, child) in edges.iter().enumerate() {
                            if allowed.is_none_or(|set| set.contains(atom as u32)) {
                                stack.push(*child);
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        found.sort();
        found
    }
}

/// A walk over the tree for its gaps.
pub(super) struct GapWalk {
    has_gap: Vec<bool>,
    pub found: Vec<Vec<(FactId, AtomSet)>>,
    pub more: bool,
}

impl GapWalk {
    pub(super) fn new(tree: &DecisionTree) -> GapWalk {
        GapWalk {
            has_gap: tree.nodes_with_gaps(),
            found: Vec::new(),
            more: false,
        }
    }
}

/// Whether `wide` matches every facts object that `narrow` matches: each
/// clause of `narrow` lies within one clause of `wide`. (A clause covered
/// only by several of `wide`'s together does not count, so this can miss
/// a cover, never claim a false one.)
fn covers(wide: &CheckedRule, narrow: &CheckedRule) -> bool {
    narrow
        .clauses
        .iter()
        .all(|n| wide.clauses.iter().any(|w| w.covers(n)))
}

/// Regions of facts no rule decides, each as the facts it narrows with
/// their allowed atoms, and whether there were more than those.
pub type FoundGaps = (Vec<Vec<(FactId, AtomSet)>>, bool);

/// How many gap regions `find_gaps` lists at most.
pub const MAX_GAPS: usize = 1_000;

impl DecisionTree {
    /// The regions of facts no rule decides (they get the policy's
    /// `otherwise`), each as the set of allowed atoms of every fact it
    /// narrows. At most [`MAX_GAPS`] regions; the bool says whether there
    /// were more. Read off the tree, or without one found by searching the
    /// rules (`cover`), or past that search's budget off a tree built for
    /// the purpose; when the tree is too large to build, whether that was
    /// noted.
    fn find_gaps(&self) -> Result<std::borrow::Cow<'_, FoundGaps>, GapsUnknown> {
        use std::borrow::Cow;
        if self.scan.is_none() {
            let mut walk = GapWalk::new(self);
            self.collect_gaps(self.root(), &mut Vec::new(), &mut walk);
            return Ok(Cow::Owned((walk.found, walk.more)));
        }
        // A policy whose tree was too large to build is too costly to search.
        if self.too_large {
            return Err(GapsUnknown::NoTreeNoted);
        }
        // Searched beside the rules, they are read where they are kept.
        if let Some(Some(found)) = &self.searched_gaps {
            return Ok(Cow::Borrowed(found));
        }
        let searched = match &self.searched_gaps {
            Some(_) => None,
            None => {
                let clauses = super::cover::Clauses::of(&self.policy);
                let marks = super::cover::marked(&clauses);
                super::cover::loaded_gaps(&clauses, None, marks.as_ref())
            }
        };
        if let Some(found) = searched {
            return Ok(Cow::Owned(found));
        }
        let built = super::compile_shared(
            std::sync::Arc::clone(&self.policy),
            crate::limits::Limits::TREE_BUDGET,
        )
        .0;
        if built.scan.is_some() {
            return Err(GapsUnknown::NoTree);
        }
        built
            .find_gaps()
            .map(|found| Cow::Owned(found.into_owned()))
    }

    /// Per node, whether a leaf without a rule lies below it. Where
    /// relations rule paths out, whether one does depends on the path: every
    /// node counts then.
    fn nodes_with_gaps(&self) -> Vec<bool> {
        if self.policy.needs_realizing() {
            return vec![true; self.nodes().len()];
        }
        // Children come before parents: one pass in order.
        let mut has_gap = vec![false; self.nodes().len()];
        for (i, node) in self.nodes().iter().enumerate() {
            let gap = match node {
                Node::Leaf(rule) => rule.is_none(),
                Node::Test { edges, .. } => edges
                    .iter()
                    .any(|e| has_gap.get(e.0 as usize).copied().unwrap_or(true)),
            };
            if let Some(slot) = has_gap.get_mut(i) {
                *slot = gap;
            }
        }
        has_gap
    }

    pub(super) fn collect_gaps(
        &self,
        node: NodeId,
        path: &mut Vec<(FactId, AtomSet)>,
        walk: &mut GapWalk,
    ) {
        // Shared subtrees without a gap are not walked again on each path.
        if walk.more || !walk.has_gap.get(node.0 as usize).copied().unwrap_or(true) {
            return;
        }
        match self.node(node) {
            Some(Node::Leaf(None)) => {
                if walk.found.len() < MAX_GAPS {
                    walk.found.push(path.clone());
                } else {
                    walk.more = true;
                }
            }
            Some(Node::Test { fact, edges }) => {
                let groups = super::edges_by_child(edges);
                let related = self.policy.needs_realizing();
                for (child, set) in groups {
                    path.push((*fact, set));
                    // Where relations between facts rule a path out, no
                    // facts take it: no gap lies beyond.
                    if !related || self.policy.realize(path).is_some() {
                        self.collect_gaps(child, path, walk);
                    }
                    path.pop();
                }
            }
            _ => {}
        }
    }

    /// The gaps as one diagnostic: advice, or an error when `deny` is set.
    /// Where the rules were searched rather than built into a tree
    /// (`cover`) and the gaps could only be read off a tree too large to
    /// build, the note `verdict::no_tree` instead, as a compile that tried
    /// the tree first gives.
    pub fn gaps_diagnostic(&self, deny: bool, shown: usize) -> Option<CheckError> {
        let found = match self.find_gaps() {
            Ok(found) => found,
            Err(GapsUnknown::NoTree) => {
                return Some(super::no_tree_note(&self.policy, super::NoTreeFor::Gaps));
            }
            Err(GapsUnknown::NoTreeNoted) => return None,
        };
        let (gaps, more) = (&found.0, found.1);
        if gaps.is_empty() {
            return None;
        }
        let policy = &self.policy;
        let mut help = String::from("no rule decides facts like these:");
        for region in gaps.iter().take(shown) {
            // Where a whole set of values behaves alike, say so after the example.
            let alike: Vec<String> = region
                .iter()
                .filter(|(_, set)| set.count() > 1)
                .filter_map(|(fact, set)| {
                    let fact = policy.fact(*fact)?;
                    Some(format!("{} {}", fact.path_string(), fact.describe_set(set)))
                })
                .collect();
            help.push_str(&format!("\n- {}", inline_json(&policy.example(region))));
            if !alike.is_empty() {
                help.push_str(&format!("\n  (the same for {})", alike.join("; ")));
            }
        }
        let count = gaps.len();
        if count > shown {
            let plus = if more { "+" } else { "" };
            help.push_str(&format!(
                "\n- and {}{plus} more (`verdict check --format json` lists {})",
                count - shown,
                if more {
                    format!("the first {MAX_GAPS}")
                } else {
                    String::from("them all")
                },
            ));
        } else if more {
            help.push_str(&format!(
                "\n- and more: only the first {MAX_GAPS} are listed"
            ));
        }
        Some(if deny {
            CheckError::GapsDenied {
                name: policy.name.clone(),
                kinds: kinds(count),
                span: policy.span,
                help,
            }
        } else {
            CheckError::Gaps {
                name: policy.name.clone(),
                otherwise: policy.otherwise.as_str().to_string(),
                kinds: kinds(count),
                span: policy.span,
                help,
            }
        })
    }
}

/// Why [`DecisionTree::find_gaps`] found none.
enum GapsUnknown {
    /// The tree is too large to build, as the compile noted.
    NoTreeNoted,
    /// The rules were searched, and the tree the gaps needed is too large
    /// to build: nothing has said so yet.
    NoTree,
}

/// JSON on one line with a space after each `:` and `,`, so that long
/// objects wrap between values in a terminal.
pub fn inline_json(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Object(map) => {
            let fields: Vec<String> = map
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{}: {}",
                        serde_json::Value::String(k.clone()),
                        inline_json(v)
                    )
                })
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
        serde_json::Value::Array(items) => {
            let items: Vec<String> = items.iter().map(inline_json).collect();
            format!("[{}]", items.join(", "))
        }
        other => other.to_string(),
    }
}

/// "1 kind", "2 kinds".
fn kinds(count: usize) -> String {
    if count == 1 {
        String::from("1 kind")
    } else {
        format!("{count} kinds")
    }
}
