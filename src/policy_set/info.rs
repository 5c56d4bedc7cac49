//! What a tool may read of one loaded policy: its name, rules, facts and
//! decisions, its decision tree's size and pictures of it, and the facts no
//! rule decides.

use serde::Serialize;
use serde_json::Value;

use crate::compile::{DecisionTree, TreeStats};
use crate::diagnostics::CheckError;
use crate::model::{Element, Fact, FactType, LocalPart, Presence, TimeKind};

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

    /// Each declared fact as data, in declaration order: what a client
    /// sends and a tool shows (the set's
    /// [`facts_schema`](crate::PolicySet::facts_schema) says the same as
    /// a JSON Schema).
    ///
    /// ```
    /// let text = "policy shop\nfact tier: {basic pro} at customer.tier default basic \"the plan\"\nfact total: number at order.total\npro can\ntotal > 100 can\n";
    /// let policies = verdict::PolicySet::from_sources([("shop.policy", text)]).map_err(|r| r.render(80))?;
    /// let shop = policies.policies().next().ok_or("no policy")?;
    /// let facts = serde_json::to_value(shop.fact_details()).map_err(|e| e.to_string())?;
    /// assert_eq!(facts, serde_json::json!([
    ///     {"name": "tier", "path": "customer.tier", "type": "enum", "values": ["basic", "pro"],
    ///      "required": false, "default": "basic", "doc": "the plan"},
    ///     {"name": "total", "path": "order.total", "type": "number", "required": true},
    /// ]));
    /// # Ok::<(), String>(())
    /// ```
    pub fn fact_details(&self) -> Vec<FactInfo> {
        self.tree
            .policy
            .facts
            .iter()
            .filter(|f| f.is_declared())
            .map(FactInfo::of)
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
    /// `verdict::gaps`. Ten kinds are listed, then how many more there
    /// are. `None` when every case is decided by a rule, or when the
    /// policy's tree was found too large as it loaded (the note
    /// `verdict::no_tree` among the set's warnings says so).
    ///
    /// A policy decided by rule scan without having tried its tree
    /// ([`TreeBuild::IfNeeded`](crate::TreeBuild::IfNeeded) where its
    /// rules were searched instead, [`TreeBuild::Never`](crate::TreeBuild::Never),
    /// or [`TreeBuild::InBackground`](crate::TreeBuild::InBackground)
    /// before the build is done) has its gaps searched the same way; where
    /// that search gives up and the tree is too large to build, the note
    /// is `verdict::no_tree`, saying that the gaps are not listed. A set
    /// building in the background may give that note again among its
    /// warnings when its own build gives up.
    pub fn gaps(&self) -> Option<CheckError> {
        self.gaps_listing(Self::GAPS_SHOWN, false)
    }

    /// [`gaps`](Self::gaps) as an error, for checks where every case must
    /// be decided by a rule (`verdict check --deny-gaps`).
    pub fn gaps_as_error(&self) -> Option<CheckError> {
        self.gaps_listing(Self::GAPS_SHOWN, true)
    }

    /// How many kinds of gaps [`gaps`](Self::gaps) lists.
    pub const GAPS_SHOWN: usize = 10;

    /// [`gaps`](Self::gaps), listing up to `shown` kinds (`usize::MAX`:
    /// every kind found, up to 1,000), as an error when `as_error`. For
    /// machine output, which lists them all.
    pub fn gaps_listing(&self, shown: usize, as_error: bool) -> Option<CheckError> {
        self.tree.gaps_diagnostic(as_error, shown)
    }
}

/// A declared fact as data ([`PolicyInfo::fact_details`]).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct FactInfo {
    /// The fact's name in the policy.
    pub name: String,
    /// Its JSON path as the policy writes it (`subscription.channel`), or
    /// for a part of a date-time, what it is taken from (`weekday of
    /// request.time in Europe/Berlin`).
    pub path: String,
    /// Its type in words: `enum`, `bool`, `number`, `string`, `date`,
    /// `datetime`, `duration`, `time of day`, `weekday`, or `set of` an
    /// `enum`, `number` or `string`.
    #[serde(rename = "type")]
    pub ty: String,
    /// The declared values of an enum (or of a set of them), in order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<String>>,
    /// Whether a decision that reads it cannot be made without it: it is
    /// neither `optional` nor has a default.
    pub required: bool,
    /// The declared default, as the JSON a client would send.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    /// The declaration's doc string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
    /// Declared `sensitive`: kept out of decision logs.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub sensitive: bool,
}

impl FactInfo {
    fn of(fact: &Fact) -> FactInfo {
        let (ty, values) = type_words(&fact.ty);
        FactInfo {
            name: fact.name.clone(),
            path: fact.path_string(),
            ty,
            values,
            required: matches!(fact.presence, Presence::Required),
            default: fact.default.as_deref().cloned(),
            doc: fact.doc.clone(),
            sensitive: fact.sensitive,
        }
    }
}

/// A declared type in words, with its values when it has them.
fn type_words(ty: &FactType) -> (String, Option<Vec<String>>) {
    let time = |kind: &TimeKind| match kind {
        TimeKind::Date => "date",
        TimeKind::DateTime => "datetime",
        TimeKind::Duration => "duration",
        TimeKind::Clock => "time of day",
    };
    match ty {
        FactType::Enum(values) => (String::from("enum"), Some(values.clone())),
        FactType::Bool => (String::from("bool"), None),
        FactType::Number(_) => (String::from("number"), None),
        FactType::String(_) => (String::from("string"), None),
        FactType::Time(kind, _) => (time(kind).to_string(), None),
        FactType::Set(element) | FactType::Has(element, _) => match element {
            Element::Enum(values) => (String::from("set of enum"), Some(values.clone())),
            Element::Number => (String::from("set of number"), None),
            Element::String => (String::from("set of string"), None),
        },
        FactType::Local(local) => match local.local.part {
            LocalPart::Clock => (String::from("time of day"), None),
            LocalPart::Weekday => (String::from("weekday"), None),
        },
        FactType::Relation(_) => (String::from("relation"), None),
    }
}
