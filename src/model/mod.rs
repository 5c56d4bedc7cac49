//! The checked model every stage after the checker shares: a policy with
//! its declarations resolved and every rule reduced to one set of allowed
//! *atoms* per fact. An atom is a class of values that no rule of the
//! policy tells apart (an enum value, a number interval between two
//! constants the rules mention, a string literal, "any other string", or
//! "absent"), so a policy's behaviour is fully described over finitely many
//! atoms. The checker builds it; the compiler, the evaluator and the tools
//! read it.

mod atoms;
mod fact;
mod realize;
mod strings;
mod time;
mod value_index;

pub use atoms::AtomSet;
pub use fact::{
    number_atom, number_value, path_text, Element, Fact, FactType, LocalFact, Misfit, Presence,
    Relation, RelationOp,
};
pub use strings::Strings;
pub use time::{
    duration_seconds, grammar, now_text, Local, LocalPart, TimeKind, DAY, LAST_SECOND, WEEKDAYS,
};
pub use value_index::{same_bytes, ValueIndex};

use serde_json::Value;

use crate::source::Span;

/// Index of a fact in [`CheckedPolicy::facts`].
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct FactId(pub u32);

/// Index of a rule in [`CheckedPolicy::rules`] (source order).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct RuleId(pub u32);

/// Index of an atom within one fact's domain.
pub type Atom = u32;

/// How rules are combined.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum HitPolicy {
    /// At most one decision can apply to any facts; overlaps that disagree are errors.
    Unique,
    /// The first rule in source order that matches decides.
    First,
    /// Of the rules that match, one whose decision comes first in the
    /// policy's `priority` decides (the first in source order among them).
    Priority,
}

/// What a rule, or a policy with no applicable rule, decides.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Verdict {
    Allow,
    Deny,
    /// A named outcome, by its kebab-case name.
    Outcome(String),
    /// No decision (only as a policy's `otherwise`).
    None,
}

impl Verdict {
    /// The decision as output shows it: `allow`, `deny`, an outcome's name, or `none`.
    pub fn as_str(&self) -> &str {
        match self {
            Verdict::Allow => "allow",
            Verdict::Deny => "deny",
            Verdict::Outcome(name) => name,
            Verdict::None => "none",
        }
    }
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct CheckedPolicy {
    pub name: String,
    pub doc: Option<String>,
    pub span: Span,
    pub hit: HitPolicy,
    /// `strict facts`: every declared fact present must fit its
    /// declaration, and keys beside declared paths must be declared.
    pub strict: bool,
    /// Under [`HitPolicy::Priority`], the decisions from the one that wins
    /// down; empty otherwise.
    pub priority: Vec<Verdict>,
    /// The rules in the order they are tried: the first that matches
    /// decides. Source order, but under a priority sorted (stably) by
    /// their decision's rank.
    pub order: Vec<RuleId>,
    pub otherwise: Verdict,
    /// The reason shown when no rule applies.
    pub otherwise_reason: Option<String>,
    pub facts: Vec<Fact>,
    pub outcomes: Vec<Outcome>,
    pub rules: Vec<CheckedRule>,
}

impl CheckedPolicy {
    /// Makes again what a policy read from the cache leaves out: each
    /// fact's index of its values, and the zone of each part of a date-time
    /// in a zone. `None` when a zone is not in the bundled database (the
    /// entry was made by another build of verdict).
    pub(crate) fn restore(&mut self) -> Option<()> {
        for fact in &mut self.facts {
            fact.index = ValueIndex::of(&fact.ty);
            if let FactType::Local(local) = &mut fact.ty {
                local.local.tz = time::Local::zone(&local.local.zone)?;
            }
        }
        Some(())
    }

    /// Gives back the room its lists grew into while they were built: a
    /// loaded policy is held as long as it decides, and a list grown by
    /// doubling holds up to twice what it needs.
    pub(crate) fn shrink_to_fit(&mut self) {
        self.facts.shrink_to_fit();
        for fact in &mut self.facts {
            // An enum's values are collected without knowing how many
            // are repeated: two values took room for four.
            if let FactType::Enum(values) = &mut fact.ty {
                values.shrink_to_fit();
            }
        }
        self.outcomes.shrink_to_fit();
        self.rules.shrink_to_fit();
        for rule in &mut self.rules {
            rule.clauses.shrink_to_fit();
            for clause in &mut rule.clauses {
                clause.conditions.shrink_to_fit();
                clause.spans.shrink_to_fit();
                clause.texts.shrink_to_fit();
            }
        }
    }

    pub fn fact(&self, id: FactId) -> Option<&Fact> {
        self.facts.get(id.0 as usize)
    }

    pub fn rule(&self, id: RuleId) -> Option<&CheckedRule> {
        self.rules.get(id.0 as usize)
    }

    /// Each rule's place in [`order`](Self::order), by rule id.
    pub fn order_positions(&self) -> Vec<usize> {
        let mut positions = vec![0; self.rules.len()];
        for (position, id) in self.order.iter().enumerate() {
            if let Some(slot) = positions.get_mut(id.0 as usize) {
                *slot = position;
            }
        }
        positions
    }

    /// The rules in the order they are tried (see [`order`](Self::order)).
    pub fn rules_in_order(&self) -> impl Iterator<Item = &CheckedRule> + '_ {
        self.order.iter().filter_map(|id| self.rule(*id))
    }

    /// Every decision the policy can name, each once: `allow`, `deny`, its
    /// `otherwise`, then its declared outcomes in declaration order.
    pub fn decisions(&self) -> Vec<&str> {
        let mut decisions = vec!["allow", "deny"];
        for decision in std::iter::once(self.otherwise.as_str())
            .chain(self.outcomes.iter().map(|o| o.name.as_str()))
        {
            if !decisions.contains(&decision) {
                decisions.push(decision);
            }
        }
        decisions
    }
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Outcome {
    pub name: String,
    pub doc: Option<String>,
    pub span: Span,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct CheckedRule {
    pub id: RuleId,
    /// The rule's line (its conditions and verdict).
    pub span: Span,
    /// `file:line`, as output shows it.
    pub location: String,
    /// The name the rule was given (`name: ...`), unique in its policy.
    pub name: Option<String>,
    pub verdict: Verdict,
    pub because: Option<String>,
    /// What a user is shown for the rule's decision: its `because`, or else
    /// the text of the outcome it decides.
    pub reason: Option<String>,
    pub see: Vec<String>,
    /// The ways the rule can match: it matches when one of its clauses
    /// does. A rule without groups has one clause; `(A or B) C` has two.
    /// Empty when the rule can never match.
    pub clauses: Vec<Clause>,
}

impl CheckedRule {
    /// False when the rule can never match.
    pub fn is_satisfiable(&self) -> bool {
        !self.clauses.is_empty()
    }
}

/// Conditions that all hold: one set of allowed atoms per constrained fact.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Clause {
    /// The allowed atoms per constrained fact, sorted by fact, none empty.
    /// A fact absent here is unconstrained.
    pub conditions: Vec<(FactId, AtomSet)>,
    /// Where each fact's condition was written (for labels), parallel to
    /// `conditions`.
    pub spans: Vec<Span>,
    /// Each fact's condition as the rule writes it (`days <= 30`, `not
    /// staff`, `country in eu or country = CH`), parallel to `conditions`.
    pub texts: Vec<String>,
}

impl Clause {
    /// The allowed atoms of `fact`, `None` when the clause does not constrain it.
    pub fn condition(&self, fact: FactId) -> Option<&AtomSet> {
        self.conditions
            .binary_search_by_key(&fact, |(f, _)| *f)
            .ok()
            .and_then(|i| self.conditions.get(i))
            .map(|(_, set)| set)
    }

    /// Whether every facts object `narrow` matches, this clause matches too.
    pub fn covers(&self, narrow: &Clause) -> bool {
        self.conditions.iter().all(|(fact, set)| {
            set.is_full()
                || narrow
                    .condition(*fact)
                    .is_some_and(|narrow_set| narrow_set.is_subset(set))
        })
    }
}

/// Puts `value` at `path` inside `root`, creating objects on the way; an
/// array where one already is adds its items to it.
pub fn insert_at(root: &mut Value, path: &[String], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut node = root;
    for key in parents {
        // A `null` object is an absent one.
        if node.is_null() {
            *node = Value::Object(serde_json::Map::new());
        }
        let Value::Object(map) = node else { return };
        node = map
            .entry(key.clone())
            .or_insert_with(|| Value::Object(serde_json::Map::new()));
    }
    if node.is_null() {
        *node = Value::Object(serde_json::Map::new());
    }
    if let Value::Object(map) = node {
        // Facts that read one array (what a set fact holds) add to it.
        match (map.get_mut(last), value) {
            (Some(Value::Array(items)), Value::Array(more)) => {
                for item in more {
                    if !items.contains(&item) {
                        items.push(item);
                    }
                }
            }
            (_, value) => {
                map.insert(last.clone(), value);
            }
        }
    }
}
