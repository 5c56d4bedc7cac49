//! What a set decides for one facts object: per policy, the decision, the
//! rule that made it and the reason, owned ([`Decision`]) or borrowed from
//! the set ([`DecisionRef`], [`Decisions`]). The one place a rule becomes a
//! decision.

use serde::{Deserialize, Serialize};

use crate::eval::Walked;
use crate::explain::{self, FactRead};
use crate::model::{CheckedPolicy, RuleId};

/// The decision of one policy for one facts object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// The policy's name.
    pub policy: String,
    /// `allow`, `deny`, an outcome's kebab-case name, or `none`.
    pub decision: String,
    /// The rule that decided, as `file:line`; `None` when no rule applies.
    pub rule: Option<String>,
    /// The deciding rule's name, when it has one (`name: ...` in the policy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_name: Option<String>,
    /// Why, in words a user is shown.
    pub reason: Option<String>,
    /// References for the decision.
    pub see: Vec<String>,
    /// The facts the decision read, in order, when a trace was asked for
    /// ([`PolicySet::trace`](crate::PolicySet::trace)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<Vec<FactRead>>,
}

/// A decision that borrows its texts from the [`PolicySet`](crate::PolicySet) that made it:
/// what [`PolicySet::decide`](crate::PolicySet::decide) returns, without copying a string. It
/// serializes as a [`Decision`] without a trace does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct DecisionRef<'a> {
    /// The policy's name.
    pub policy: &'a str,
    /// `allow`, `deny`, an outcome's kebab-case name, or `none`.
    pub decision: &'a str,
    /// The rule that decided, as `file:line`; `None` when no rule applies.
    pub rule: Option<&'a str>,
    /// The deciding rule's name, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_name: Option<&'a str>,
    /// Why, in words a user is shown.
    pub reason: Option<&'a str>,
    /// References for the decision.
    pub see: &'a [String],
}

impl DecisionRef<'_> {
    /// The decision with its own copies of the texts.
    pub fn into_owned(self) -> Decision {
        Decision {
            policy: self.policy.to_string(),
            decision: self.decision.to_string(),
            rule: self.rule.map(String::from),
            rule_name: self.rule_name.map(String::from),
            reason: self.reason.map(String::from),
            see: self.see.to_vec(),
            trace: None,
        }
    }
}

/// The decisions of a set's policies, one per policy in order: a slice of
/// [`DecisionRef`]s, held without allocating for a set of one policy. It
/// serializes as a sequence of decisions, as `Vec<Decision>` does.
///
/// ```
/// let policies = verdict::PolicySet::builtin().map_err(|r| r.render(80))?;
/// let facts = serde_json::json!({ "partner": { "role": "reseller" }, "request": { "action": "invite" } });
/// let decisions = policies.decide(&facts).map_err(|r| r.render(80))?;
/// for decision in &decisions {
///     assert_eq!(decision.decision, "deny");
/// }
/// let json = serde_json::to_value(&decisions).map_err(|e| e.to_string())?;
/// assert_eq!(json[0]["rule"], "policies/multichannel/indirect.policy:10");
/// # Ok::<(), String>(())
/// ```
#[derive(Clone, Debug)]
pub struct Decisions<'a>(DecisionsInner<'a>);

#[derive(Clone, Debug)]
enum DecisionsInner<'a> {
    None,
    One([DecisionRef<'a>; 1]),
    Many(Vec<DecisionRef<'a>>),
}

impl<'a> Decisions<'a> {
    pub(crate) fn with_capacity(policies: usize) -> Decisions<'a> {
        Decisions(if policies > 1 {
            DecisionsInner::Many(Vec::with_capacity(policies))
        } else {
            DecisionsInner::None
        })
    }

    /// Adds a decision in place: moving the whole value out and back, as a
    /// `mem::replace` does, was an eighth of a one-policy decision.
    #[inline]
    pub(crate) fn push(&mut self, decision: DecisionRef<'a>) {
        match &mut self.0 {
            DecisionsInner::Many(all) => all.push(decision),
            DecisionsInner::One([first]) => self.0 = DecisionsInner::Many(vec![*first, decision]),
            DecisionsInner::None => self.0 = DecisionsInner::One([decision]),
        }
    }
}

impl Decisions<'_> {
    /// The decisions with their own copies of the texts, to keep past the
    /// set or to send elsewhere.
    pub fn into_owned(self) -> Vec<Decision> {
        self.iter().map(|decision| decision.into_owned()).collect()
    }
}

impl<'a> std::ops::Deref for Decisions<'a> {
    type Target = [DecisionRef<'a>];

    fn deref(&self) -> &[DecisionRef<'a>] {
        match &self.0 {
            DecisionsInner::None => &[],
            DecisionsInner::One(one) => one,
            DecisionsInner::Many(all) => all,
        }
    }
}

impl<'s, 'a> IntoIterator for &'s Decisions<'a> {
    type Item = &'s DecisionRef<'a>;
    type IntoIter = std::slice::Iter<'s, DecisionRef<'a>>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl Serialize for Decisions<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

/// The decision of `rule` (or of none) in `policy`, borrowed: the one
/// place a rule becomes a decision.
#[inline]
pub(crate) fn decision_ref(policy: &CheckedPolicy, rule: Option<RuleId>) -> DecisionRef<'_> {
    match rule.and_then(|r| policy.rule(r)) {
        Some(rule) => DecisionRef {
            policy: &policy.name,
            decision: rule.verdict.as_str(),
            rule: Some(&rule.location),
            rule_name: rule.name.as_deref(),
            reason: rule.reason.as_deref(),
            see: &rule.see,
        },
        None => DecisionRef {
            policy: &policy.name,
            decision: policy.otherwise.as_str(),
            rule: None,
            rule_name: None,
            reason: Some(
                policy
                    .otherwise_reason
                    .as_deref()
                    .unwrap_or("no rule applies"),
            ),
            see: &[],
        },
    }
}

/// The owned decision of a full walk, with the facts it read when `trace`
/// asks for them.
pub(crate) fn decision(policy: &CheckedPolicy, walk: Walked, trace: bool) -> Decision {
    Decision {
        trace: trace.then(|| explain::facts_read(policy, &walk.trace, walk.rule)),
        ..decision_ref(policy, walk.rule).into_owned()
    }
}
