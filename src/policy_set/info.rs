//! What a tool may read of one loaded policy: its name, rules, facts and
//! decisions, its decision tree's size and pictures of it, and the facts no
//! rule decides.

use crate::compile::{DecisionTree, TreeStats};
use crate::diagnostics::CheckError;

/// One policy of a [`PolicySet`](crate::PolicySet), as
/// [`PolicySet::policies`](crate::PolicySet::policies) yields it.
///
/// ```
/// let policies = verdict::PolicySet::builtin().map_err(|r| r.render(80))?;
/// let pack = policies.policies().next().ok_or("no policy")?;
/// assert_eq!(pack.name(), "multichannel");
/// assert!(pack.decisions().contains(&"manual-migrate"));
/// let stats = pack.tree().ok_or("no tree")?;
/// assert!(stats.depth <= pack.facts().len());
/// # Ok::<(), String>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct PolicyInfo<'a> {
    tree: &'a DecisionTree,
}

impl<'a> PolicyInfo<'a> {
    pub(super) fn new(tree: &'a DecisionTree) -> PolicyInfo<'a> {
        PolicyInfo { tree }
    }

    /// The policy's name, as its files' `policy NAME` line says.
    pub fn name(&self) -> &'a str {
        &self.tree.policy.name
    }

    /// The policy's description, from its `policy NAME "..."` line.
    pub fn doc(&self) -> Option<&'a str> {
        self.tree.policy.doc.as_deref()
    }

    /// Each rule's location (`file:line`), in source order: what decisions
    /// name as their `rule`.
    pub fn rules(&self) -> impl ExactSizeIterator<Item = &'a str> {
        self.tree.policy.rules.iter().map(|r| r.location.as_str())
    }

    /// The declared facts' names, in declaration order.
    pub fn facts(&self) -> Vec<&'a str> {
        self.tree
            .policy
            .facts
            .iter()
            .filter(|f| f.is_declared())
            .map(|f| f.name.as_str())
            .collect()
    }

    /// The facts declared `sensitive`, by name: their values stay out of
    /// decision logs.
    pub fn sensitive_facts(&self) -> Vec<&'a str> {
        self.tree
            .policy
            .facts
            .iter()
            .filter(|f| f.is_declared() && f.sensitive)
            .map(|f| f.name.as_str())
            .collect()
    }

    /// Every decision the policy can name, each once: `allow`, `deny`, its
    /// `otherwise`, then its declared outcomes in declaration order.
    pub fn decisions(&self) -> Vec<&'a str> {
        self.tree.policy.decisions()
    }

    /// The decision tree's size and depth (the most tests one decision
    /// makes); `None` when the tree would have been too large and the rules
    /// are scanned instead.
    pub fn tree(&self) -> Option<TreeStats> {
        self.tree.scan.is_none().then(|| self.tree.stats())
    }

    /// The decision tree as an indented outline, with its statistics.
    pub fn outline(&self) -> String {
        self.tree.to_text()
    }

    /// The decision tree as Graphviz DOT (`dot -Tsvg` draws it).
    pub fn dot(&self) -> String {
        self.tree.to_dot()
    }

    /// The kinds of facts no rule decides (they get the policy's
    /// `otherwise`), with an example of each, as the note
    /// `verdict::gaps`; `None` when every case is decided by a rule or the
    /// policy has no tree to read them off.
    pub fn gaps(&self) -> Option<CheckError> {
        self.tree.gaps_diagnostic(false)
    }

    /// [`gaps`](Self::gaps) as an error, for checks where every case must
    /// be decided by a rule (`verdict check --deny-gaps`).
    pub fn gaps_as_error(&self) -> Option<CheckError> {
        self.tree.gaps_diagnostic(true)
    }
}
