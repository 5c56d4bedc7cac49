//! verdict: a declarative policy language and engine.
//!
//! Policies are text files of terse rules over declared facts. verdict
//! parses them, checks them (unknown words, type errors, conflicting rules),
//! compiles each policy into a decision tree and evaluates the tree over JSON
//! facts. The pipeline is visible in the modules: [`syntax`] (parse) →
//! [`check`] → [`compile`] → [`eval`]; [`PolicySet`] runs it end to end.
//!
//! ```
//! use verdict::PolicySet;
//!
//! let policies = PolicySet::from_sources([(
//!     "doors.policy",
//!     r#"
//! policy doors
//! otherwise deny "nobody said yes"
//! fact role: {staff guest} at user.role
//! fact badge: bool at user.badge default false
//! staff badge can
//! guest cannot because "guests are let in at the front desk"
//! "#,
//! )])
//! .map_err(|report| report.render(80))?;
//!
//! let facts = serde_json::json!({ "user": { "role": "staff", "badge": true } });
//! let decisions = policies.evaluate(&facts).map_err(|report| report.render(80))?;
//! assert_eq!(decisions[0].decision, "allow");
//! assert_eq!(decisions[0].rule.as_deref(), Some("doors.policy:6"));
//! # Ok::<(), String>(())
//! ```

pub mod ast;
pub mod check;
pub mod compile;
pub mod diagnostics;
pub mod eval;
pub mod limits;
pub mod model;
pub mod source;
pub mod suite;
pub mod syntax;

mod builtin;

/// The README's Rust examples, run as doc tests so they cannot rot.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

/// The examples of `docs/embedding.md`, run as doc tests.
#[doc = include_str!("../docs/embedding.md")]
#[cfg(doctest)]
pub struct EmbeddingDoctests;

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::compile::DecisionTree;
pub use crate::diagnostics::{
    CheckError, FactsError, LoadError, Note, Problem, Report, SuiteError, SyntaxError,
};
pub use crate::limits::Limits;
use crate::model::{CheckedPolicy, RuleId};
use crate::source::SourceMap;

/// The decision of one policy for one facts object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// The policy's name.
    pub policy: String,
    /// `allow`, `deny`, an outcome's kebab-case name, or `none`.
    pub decision: String,
    /// The rule that decided, as `file:line`; `None` when no rule applies.
    pub rule: Option<String>,
    /// Why, in words a user is shown.
    pub reason: Option<String>,
    /// References for the decision.
    pub see: Vec<String>,
    /// The facts the decision read, in order, when a trace was asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<Vec<TraceStep>>,
}

/// One fact an evaluation read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceStep {
    /// The fact's declared name.
    pub fact: String,
    /// Its JSON path.
    pub path: String,
    /// The value found (`null` when absent).
    pub value: Value,
    /// The class of values it fell in, as the tree tells them apart.
    pub matched: String,
}

/// A decision that borrows its texts from the [`PolicySet`] that made it:
/// what [`PolicySet::decide`] returns, without copying a string. It
/// serializes as a [`Decision`] without a trace does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct DecisionRef<'a> {
    /// The policy's name.
    pub policy: &'a str,
    /// `allow`, `deny`, an outcome's kebab-case name, or `none`.
    pub decision: &'a str,
    /// The rule that decided, as `file:line`; `None` when no rule applies.
    pub rule: Option<&'a str>,
    /// Why, in words a user is shown.
    pub reason: Option<&'a str>,
    /// References for the decision.
    pub see: &'a [String],
}

impl DecisionRef<'_> {
    /// The decision with its own copies of the texts.
    pub fn to_owned(&self) -> Decision {
        Decision {
            policy: self.policy.to_string(),
            decision: self.decision.to_string(),
            rule: self.rule.map(String::from),
            reason: self.reason.map(String::from),
            see: self.see.to_vec(),
            trace: None,
        }
    }
}

/// The decisions of a set's policies, one per policy in order: a slice of
/// [`DecisionRef`]s, held without allocating for a set of one policy.
#[derive(Clone, Debug)]
pub struct Decisions<'a>(DecisionsInner<'a>);

#[derive(Clone, Debug)]
enum DecisionsInner<'a> {
    None,
    One([DecisionRef<'a>; 1]),
    Many(Vec<DecisionRef<'a>>),
}

impl<'a> Decisions<'a> {
    fn with_capacity(policies: usize) -> Decisions<'a> {
        Decisions(if policies > 1 {
            DecisionsInner::Many(Vec::with_capacity(policies))
        } else {
            DecisionsInner::None
        })
    }

    /// Adds a decision in place: moving the whole value out and back, as a
    /// `mem::replace` does, was an eighth of a one-policy decision.
    #[inline]
    fn push(&mut self, decision: DecisionRef<'a>) {
        match &mut self.0 {
            DecisionsInner::Many(all) => all.push(decision),
            DecisionsInner::One([first]) => self.0 = DecisionsInner::Many(vec![*first, decision]),
            DecisionsInner::None => self.0 = DecisionsInner::One([decision]),
        }
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

/// Compiled policies, ready to evaluate. Cheap to share between threads.
#[derive(Clone, Debug)]
pub struct PolicySet {
    sources: SourceMap,
    trees: Vec<DecisionTree>,
    warnings: Vec<Problem>,
    /// Every declared path, and each tree's fact → slot, for deciding from
    /// JSON text without building a whole `Value`. `None` when one path is a
    /// prefix of another.
    picker: Option<(eval::pick::PathTable, Vec<Vec<usize>>)>,
    limits: Limits,
}

impl PolicySet {
    /// The multichannel pack built into verdict.
    pub fn builtin() -> Result<PolicySet, Report> {
        PolicySet::builtin_with(&Limits::default())
    }

    /// The multichannel pack built into verdict, evaluated within `limits`.
    pub fn builtin_with(limits: &Limits) -> Result<PolicySet, Report> {
        PolicySet::from_sources_with(builtin::FILES.iter().copied(), limits)
    }

    /// Loads one `.policy` file, or every `*.policy` file of a directory
    /// (not of its subdirectories), in the order of their names.
    pub fn from_path(path: impl AsRef<Path>) -> Result<PolicySet, Report> {
        PolicySet::from_path_with(path, &Limits::default())
    }

    /// [`from_path`](Self::from_path) within `limits`.
    pub fn from_path_with(path: impl AsRef<Path>, limits: &Limits) -> Result<PolicySet, Report> {
        let files = read_files(path.as_ref(), FileKind::Policy, limits.policy_bytes()).map_err(
            |errors| {
                Report::new(
                    SourceMap::new(),
                    errors.into_iter().map(Problem::from).collect(),
                )
            },
        )?;
        PolicySet::from_sources_with(files, limits)
    }

    /// Compiles policy files given as (name, text) pairs.
    pub fn from_sources<N, T>(files: impl IntoIterator<Item = (N, T)>) -> Result<PolicySet, Report>
    where
        N: Into<String>,
        T: Into<String>,
    {
        PolicySet::from_sources_with(files, &Limits::default())
    }

    /// [`from_sources`](Self::from_sources) within `limits`.
    pub fn from_sources_with<N, T>(
        files: impl IntoIterator<Item = (N, T)>,
        limits: &Limits,
    ) -> Result<PolicySet, Report>
    where
        N: Into<String>,
        T: Into<String>,
    {
        let mut sources = SourceMap::new();
        let mut problems: Vec<Problem> = Vec::new();
        let mut total = 0usize;
        for (name, text) in files {
            let name = name.into();
            let text = text.into();
            total = total.saturating_add(text.len());
            if total > limits.policy_bytes() || sources.add(name.clone(), text).is_none() {
                problems.push(policy_too_large(name, total, limits.policy_bytes()).into());
                break;
            }
        }
        let mut parsed = Vec::new();
        for (_, file) in sources.files() {
            match syntax::parse_with(file, limits.nesting()) {
                Ok(ast) => parsed.push(ast),
                Err(errors) => problems.extend(errors.into_iter().map(Problem::from)),
            }
        }
        let checked = check::check(&sources, &parsed);
        problems.extend(checked.diagnostics.into_iter().map(Problem::from));
        let mut trees = Vec::new();
        for policy in &checked.policies {
            let (tree, warnings) = compile::compile_with(policy, limits.tree_budget);
            problems.extend(warnings.into_iter().map(Problem::from));
            trees.push(tree);
        }
        let report = Report::new(sources, problems);
        if report.has_errors()
            || (trees.is_empty() && parsed.is_empty() && report.problems.is_empty())
        {
            return Err(report);
        }
        let picker = picker(&trees);
        Ok(PolicySet {
            sources: report.sources,
            trees,
            warnings: report.problems,
            picker,
            limits: limits.clone(),
        })
    }

    /// The limits this set was loaded with, which also apply to the facts
    /// it evaluates.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The warnings found while loading (rules that never match or never decide).
    pub fn warnings(&self) -> Report {
        Report::new(self.sources.clone(), self.warnings.clone())
    }

    /// The compiled decision trees, one per policy.
    pub fn trees(&self) -> &[DecisionTree] {
        &self.trees
    }

    /// The policy files.
    pub fn sources(&self) -> &SourceMap {
        &self.sources
    }

    /// Decides for facts given as JSON: one decision per policy.
    pub fn evaluate(&self, facts: &Value) -> Result<Vec<Decision>, Report> {
        self.decide(facts)
            .map(|decisions| decisions.iter().map(DecisionRef::to_owned).collect())
    }

    /// Decides for facts given as JSON, like [`evaluate`](Self::evaluate),
    /// but borrows every text of the decisions from the set instead of
    /// copying it: the fast path, which allocates nothing for a set of one
    /// policy.
    ///
    /// ```
    /// let policies = verdict::PolicySet::builtin().map_err(|r| r.render(80))?;
    /// let facts = serde_json::json!({
    ///     "partner": { "role": "reseller" },
    ///     "request": { "action": "invite" },
    /// });
    /// let decisions = policies.decide(&facts).map_err(|r| r.render(80))?;
    /// assert_eq!(decisions[0].decision, "deny");
    /// assert_eq!(decisions[0].rule, Some("policies/multichannel/indirect.policy:10"));
    /// # Ok::<(), String>(())
    /// ```
    pub fn decide(&self, facts: &Value) -> Result<Decisions<'_>, Report> {
        if facts.is_object() {
            eval::touch(facts);
            let mut decisions = Decisions::with_capacity(self.trees.len());
            for tree in &self.trees {
                let rule = match tree.decide_known_value(facts) {
                    Some(rule) => rule,
                    None => match tree.walk(facts, false) {
                        Ok(walk) => walk.rule,
                        Err(_) => break,
                    },
                };
                decisions.push(decision_ref(tree, rule));
            }
            if decisions.len() == self.trees.len() {
                return Ok(decisions);
            }
        }
        // Some policy cannot decide: the owned path gathers every error.
        match self.decide_owned(facts, false, None) {
            Err(report) => Err(report),
            Ok(_) => Err(internal_error(&self.sources)),
        }
    }

    /// Decides for facts given as JSON text, like
    /// [`evaluate_json`](Self::evaluate_json) without a trace, but borrows
    /// the decisions' texts from the set (see [`decide`](Self::decide)).
    /// The values at the declared paths are picked out while the text is
    /// parsed; no `serde_json::Value` is built for it.
    pub fn decide_json(&self, name: &str, text: &str) -> Result<Decisions<'_>, Report> {
        if let Some(decisions) = self.decide_picked(text) {
            return Ok(decisions);
        }
        let facts = self.parse_facts(name, text)?;
        match self.decide(&facts.value) {
            Ok(decisions) => Ok(decisions),
            Err(_) => {
                let located = self.decide_owned(&facts.value, false, Some((text, facts.base)));
                Err(match located {
                    Err(mut report) => {
                        report.sources = facts.sources;
                        report
                    }
                    Ok(_) => internal_error(&facts.sources),
                })
            }
        }
    }

    /// The fast path from text: the declared values picked out while
    /// parsing; `None` when anything is amiss (the caller then takes the
    /// path that reports it).
    fn decide_picked(&self, text: &str) -> Option<Decisions<'_>> {
        let mut decisions = Decisions::with_capacity(self.trees.len());
        self.decide_picked_each(text, |_, tree, rule| {
            decisions.push(decision_ref(tree, rule))
        })?;
        Some(decisions)
    }

    /// [`decide_picked`](Self::decide_picked), telling `each` every
    /// policy's index, tree and rule (`None`: its `otherwise`) in turn;
    /// `None` when anything is amiss, possibly after some calls.
    pub(crate) fn decide_picked_each<'s>(
        &'s self,
        text: &str,
        each: impl FnMut(usize, &'s DecisionTree, Option<RuleId>),
    ) -> Option<()> {
        let within_limits = text.len() <= self.limits.max_facts_bytes
            && (self.limits.facts_depth() == Limits::MAX_FACTS_DEPTH
                || limits::too_deep_json(text, self.limits.facts_depth()).is_none());
        let (table, _) = self.picker.as_ref().filter(|_| within_limits)?;
        let picked = table.pick(text)?;
        self.decide_slots_each(&picked, each)
    }

    /// Decides from the values picked at the declared paths, telling
    /// `each` every policy's index, tree and rule in turn (see
    /// [`decide_picked_each`](Self::decide_picked_each)).
    fn decide_slots_each<'s>(
        &'s self,
        picked: &[eval::pick::Slot<'_>],
        mut each: impl FnMut(usize, &'s DecisionTree, Option<RuleId>),
    ) -> Option<()> {
        let (_, slots) = self.picker.as_ref()?;
        for (index, (tree, slot_of)) in self.trees.iter().zip(slots).enumerate() {
            let rule = tree.decide_known_picked(picked, slot_of)?;
            each(index, tree, rule);
        }
        Some(())
    }

    /// Decides for facts given as any serializable value (a struct of your
    /// own, for one), with owned decisions: [`decide_serialize`](Self::decide_serialize)
    /// with the texts copied.
    ///
    /// ```
    /// #[derive(serde::Serialize)]
    /// struct Partner { role: &'static str }
    /// #[derive(serde::Serialize)]
    /// struct Request { action: &'static str }
    /// #[derive(serde::Serialize)]
    /// struct Facts { partner: Partner, request: Request }
    ///
    /// let policies = verdict::PolicySet::builtin().map_err(|r| r.render(80))?;
    /// let facts = Facts { partner: Partner { role: "indirect_provider" }, request: Request { action: "invite" } };
    /// let decisions = policies.evaluate_serialize(&facts).map_err(|r| r.render(80))?;
    /// assert_eq!(decisions[0].decision, "allow");
    /// # Ok::<(), String>(())
    /// ```
    pub fn evaluate_serialize<T: Serialize + ?Sized>(
        &self,
        facts: &T,
    ) -> Result<Vec<Decision>, Report> {
        self.decide_serialize(facts)
            .map(|decisions| decisions.iter().map(DecisionRef::to_owned).collect())
    }

    /// Decides for facts given as any serializable value, borrowing the
    /// decisions' texts from the set (see [`decide`](Self::decide)). The
    /// values at the declared paths are picked out while the value is
    /// serialized, as [`decide_json`](Self::decide_json) picks them out of
    /// text: no JSON text and no `serde_json::Value` is made. Facts that
    /// the picker does not read exactly as `serde_json::to_value` would
    /// (an `f32` fact, a float map key, serde_json's raw values, ...) or
    /// that `to_value` refuses are turned into a `Value` instead (which
    /// decides, or says why not), and so are facts a policy cannot decide
    /// on, to say why.
    ///
    /// ```
    /// #[derive(serde::Serialize)]
    /// struct Partner { role: &'static str }
    /// #[derive(serde::Serialize)]
    /// struct Request { action: &'static str }
    /// #[derive(serde::Serialize)]
    /// struct Facts { partner: Partner, request: Request }
    ///
    /// let policies = verdict::PolicySet::builtin().map_err(|r| r.render(80))?;
    /// let facts = Facts { partner: Partner { role: "reseller" }, request: Request { action: "invite" } };
    /// let decisions = policies.decide_serialize(&facts).map_err(|r| r.render(80))?;
    /// assert_eq!(decisions[0].decision, "deny");
    /// # Ok::<(), String>(())
    /// ```
    pub fn decide_serialize<T: Serialize + ?Sized>(
        &self,
        facts: &T,
    ) -> Result<Decisions<'_>, Report> {
        if let Some((table, _)) = &self.picker {
            let decided = table.pick_serialize(facts, |picked| {
                let mut decisions = Decisions::with_capacity(self.trees.len());
                self.decide_slots_each(picked, |_, tree, rule| {
                    decisions.push(decision_ref(tree, rule))
                })
                .map(|()| decisions)
            });
            if let Some(Some(decisions)) = decided {
                return Ok(decisions);
            }
        }
        let value = serde_json::to_value(facts).map_err(|error| {
            let error = eval::FactsError::Syntax {
                message: format!("the facts do not serialize to JSON: {error}"),
                span: None,
            };
            Report::new(SourceMap::new(), vec![error.into()])
        })?;
        self.decide(&value)
    }

    /// Like [`evaluate`](Self::evaluate), with the facts each decision read.
    pub fn evaluate_traced(&self, facts: &Value) -> Result<Vec<Decision>, Report> {
        self.decide_owned(facts, true, None)
    }

    /// Decides for facts given as JSON text; errors point into that text,
    /// which is named `name` in diagnostics.
    pub fn evaluate_json(
        &self,
        name: &str,
        text: &str,
        trace: bool,
    ) -> Result<Vec<Decision>, Report> {
        if !trace {
            return self
                .decide_json(name, text)
                .map(|decisions| decisions.iter().map(DecisionRef::to_owned).collect());
        }
        let facts = self.parse_facts(name, text)?;
        self.decide_owned(&facts.value, trace, Some((text, facts.base)))
            .map_err(|mut report| {
                report.sources = facts.sources;
                report
            })
    }

    /// Explains each policy's decision for facts given as JSON text: the
    /// facts read (with their place in the text), the facts not read, what
    /// became of every rule and, with `why_not`, the smallest changes that
    /// would reach that decision instead.
    pub fn explain_json(
        &self,
        name: &str,
        text: &str,
        why_not: Option<&str>,
    ) -> Result<Vec<eval::Explanation>, Report> {
        let facts = self.parse_facts(name, text)?;
        let mut explanations = Vec::new();
        let mut problems = Vec::new();
        for tree in &self.trees {
            match tree.explain(&self.sources, &facts.value, why_not) {
                Ok(mut explanation) => {
                    for read in &mut explanation.read {
                        let keys = tree
                            .policy
                            .facts
                            .iter()
                            .find(|f| f.name == read.fact)
                            .map(|f| f.path.clone())
                            .unwrap_or_default();
                        read.at = eval::locate(text, &keys).map(|(start, _)| {
                            let (line, column) = line_col(text, start);
                            format!("{name}:{line}:{column}")
                        });
                    }
                    explanations.push(explanation);
                }
                Err(errors) => {
                    for mut error in errors {
                        eval::label(&mut error, text, facts.base);
                        problems.push(Problem::from(error));
                    }
                }
            }
        }
        if problems.is_empty() {
            Ok(explanations)
        } else {
            Err(Report::new(facts.sources, problems))
        }
    }

    /// Parses facts text, adding it to a copy of the policies' sources so
    /// that diagnostics can point into it.
    fn parse_facts(&self, name: &str, text: &str) -> Result<ParsedFacts, Report> {
        let mut sources = self.sources.clone();
        let limit = self.limits.max_facts_bytes;
        let added = (text.len() <= limit)
            .then(|| sources.add(name, text))
            .flatten();
        let Some(file) = added else {
            let error = facts_too_large(name, text.len(), limit);
            return Err(Report::new(sources, vec![error.into()]));
        };
        let base = sources.file(file).map_or(0, |f| f.base());
        // Parse the text as stored: a byte-order mark became blanks there.
        let text = sources.file(file).map_or(text, |f| f.text.as_str());
        let depth = self.limits.facts_depth();
        let too_deep = |offset: usize| {
            let span = source::Span::new(base + offset as u32, base + offset as u32 + 1);
            let help = if depth < Limits::MAX_FACTS_DEPTH {
                format!("facts are read a few levels deep, at the paths the policies declare: flatten the document, or raise `Limits::max_facts_depth` (at most {})", Limits::MAX_FACTS_DEPTH)
            } else {
                String::from("facts are read a few levels deep, at the paths the policies declare: flatten the document")
            };
            let error = eval::FactsError::TooDeep {
                limit: depth,
                span,
                help,
            };
            Report::new(sources.clone(), vec![error.into()])
        };
        if depth < Limits::MAX_FACTS_DEPTH {
            if let Some(offset) = limits::too_deep_json(text, depth) {
                return Err(too_deep(offset));
            }
        }
        match serde_json::from_str(text) {
            Ok(value) => Ok(ParsedFacts {
                sources,
                value,
                base,
            }),
            Err(err) if err.to_string().starts_with("recursion limit exceeded") => {
                let offset = limits::too_deep_json(text, depth)
                    .unwrap_or_else(|| offset_of(text, err.line(), err.column()));
                Err(too_deep(offset))
            }
            Err(err) => {
                let offset = offset_of(text, err.line(), err.column());
                let end = (offset + 1).min(text.len()).max(offset);
                let message = err.to_string();
                let message = message
                    .rsplit_once(" at line ")
                    .map_or(message.as_str(), |(m, _)| m)
                    .to_string();
                let error = eval::FactsError::Syntax {
                    message,
                    span: Some(source::Span::new(base + offset as u32, base + end as u32)),
                };
                Err(Report::new(sources, vec![error.into()]))
            }
        }
    }

    fn decide_owned(
        &self,
        facts: &Value,
        trace: bool,
        text: Option<(&str, u32)>,
    ) -> Result<Vec<Decision>, Report> {
        let mut decisions = Vec::with_capacity(self.trees.len());
        let mut problems = Vec::new();
        for tree in &self.trees {
            match tree.walk(facts, trace) {
                Ok(walk) => decisions.push(decision(&tree.policy, walk, trace)),
                Err(errors) => {
                    for mut error in errors {
                        if let Some((text, base)) = text {
                            eval::label(&mut error, text, base);
                        }
                        problems.push(Problem::from(error));
                    }
                    // One error about the facts' shape is enough.
                    if matches!(
                        problems.last(),
                        Some(Problem::Facts(eval::FactsError::NotObject { .. }))
                    ) {
                        break;
                    }
                }
            }
        }
        if problems.is_empty() {
            Ok(decisions)
        } else {
            Err(Report::new(self.sources.clone(), problems))
        }
    }
}

/// The decision of `rule` (or of none) in `tree`'s policy, borrowed.
#[inline]
pub(crate) fn decision_ref(tree: &DecisionTree, rule: Option<RuleId>) -> DecisionRef<'_> {
    let policy = &tree.policy;
    match rule.and_then(|r| policy.rule(r)) {
        Some(rule) => DecisionRef {
            policy: &policy.name,
            decision: rule.verdict.as_str(),
            rule: Some(&rule.location),
            reason: rule.reason.as_deref(),
            see: &rule.see,
        },
        None => DecisionRef {
            policy: &policy.name,
            decision: policy.otherwise.as_str(),
            rule: None,
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

/// The report of a decision that the fast path could not make but the
/// full walk could: a bug, reported as such rather than hidden.
fn internal_error(sources: &SourceMap) -> Report {
    let error = eval::FactsError::NoDecision {
        policy: String::from("(the set)"),
    };
    Report::new(sources.clone(), vec![error.into()])
}

fn decision(policy: &CheckedPolicy, walk: eval::Walk, trace: bool) -> Decision {
    let trace = trace.then(|| {
        walk.trace
            .iter()
            .filter_map(|step| {
                let fact = policy.fact(step.fact)?;
                Some(TraceStep {
                    fact: fact.name.clone(),
                    path: fact.path_string(),
                    value: step.value.clone().unwrap_or(Value::Null),
                    matched: fact.describe_atom(step.atom),
                })
            })
            .collect()
    });
    match walk.rule.and_then(|r: RuleId| policy.rule(r)) {
        Some(rule) => Decision {
            policy: policy.name.clone(),
            decision: rule.verdict.as_str().to_string(),
            rule: Some(rule.location.clone()),
            reason: rule.reason.clone(),
            see: rule.see.clone(),
            trace,
        },
        None => Decision {
            policy: policy.name.clone(),
            decision: policy.otherwise.as_str().to_string(),
            rule: None,
            reason: policy
                .otherwise_reason
                .clone()
                .or_else(|| Some(String::from("no rule applies"))),
            see: Vec::new(),
            trace,
        },
    }
}

/// The path table of a set's trees, if picking can serve them.
fn picker(trees: &[DecisionTree]) -> Option<(eval::pick::PathTable, Vec<Vec<usize>>)> {
    let paths = trees
        .iter()
        .flat_map(|t| t.policy.facts.iter().map(|f| f.path.as_slice()));
    let (table, flat) = eval::pick::PathTable::new(paths)?;
    let mut slots = Vec::new();
    let mut rest = flat.as_slice();
    for tree in trees {
        let (mine, others) = rest.split_at_checked(tree.policy.facts.len())?;
        slots.push(mine.to_vec());
        rest = others;
    }
    Some((table, slots))
}

/// Facts parsed from text, with the sources that now include that text.
struct ParsedFacts {
    sources: SourceMap,
    value: Value,
    /// Where the text starts in `sources`.
    base: u32,
}

/// The 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or_default();
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// The byte offset of a 1-based line and column (serde_json counts columns in bytes).
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    (line_start + column.saturating_sub(1)).min(text.len())
}

/// The kinds of files verdict reads from directories.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileKind {
    Policy,
    Tests,
}

impl FileKind {
    fn extension(self) -> &'static str {
        match self {
            FileKind::Policy => "policy",
            FileKind::Tests => "tests",
        }
    }
}

/// The text of one file, or of the files of a kind in a directory, sorted
/// by name; every file that cannot be read is reported.
pub(crate) fn read_files(
    path: &Path,
    kind: FileKind,
    limit: usize,
) -> Result<Vec<(String, String)>, Vec<LoadError>> {
    let shown = path.display().to_string();
    let io = |reason: &std::io::Error, path: &str| LoadError::Io {
        path: path.to_string(),
        reason: io_reason(reason),
        help: None,
    };
    let paths = if path.is_file() {
        vec![path.to_path_buf()]
    } else {
        let entries = std::fs::read_dir(path).map_err(|e| {
            vec![LoadError::Io {
                path: shown.clone(),
                reason: io_reason(&e),
                help: Some(String::from(match kind {
                    FileKind::Policy => {
                        "pass a `.policy` file or a directory that holds `*.policy` files"
                    }
                    FileKind::Tests => {
                        "write the tests in a `.tests` file beside the policy, or pass a directory that holds `*.policy` and `*.tests` files"
                    }
                })),
            }]
        })?;
        let mut paths = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| vec![io(&e, &shown)])?;
            let path = entry.path();
            // `is_file` follows symbolic links; a dangling or looping link is skipped.
            if path.extension().is_some_and(|ext| ext == kind.extension()) && path.is_file() {
                paths.push(path);
            }
        }
        paths.sort();
        if paths.is_empty() {
            return Err(vec![match kind {
                FileKind::Policy => LoadError::NoPolicies { path: shown },
                FileKind::Tests => LoadError::NoTests { path: shown },
            }]);
        }
        paths
    };
    let mut files = Vec::new();
    let mut errors = Vec::new();
    let mut total = 0usize;
    for path in paths {
        let name = path.display().to_string();
        // The size is checked before reading, so a huge file costs nothing.
        let size = std::fs::metadata(&path).map_or(0, |m| m.len() as usize);
        total = total.saturating_add(size);
        if total > limit {
            errors.push(policy_too_large(name, total, limit));
            break;
        }
        match std::fs::read(&path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => files.push((name, text)),
                Err(e) => errors.push(LoadError::NotUtf8 {
                    path: name,
                    offset: e.utf8_error().valid_up_to(),
                }),
            },
            Err(e) => errors.push(io(&e, &name)),
        }
    }
    if errors.is_empty() {
        Ok(files)
    } else {
        Err(errors)
    }
}

/// Reads a facts file (`-` for standard input) as text, of at most
/// `limits.max_facts_bytes` bytes (more are not read).
pub fn read_facts(path: &str, limits: &Limits) -> Result<String, Report> {
    use std::io::Read;
    let mut bytes = Vec::new();
    let limit = limits.max_facts_bytes;
    let most = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    let result = if path == "-" {
        std::io::stdin()
            .take(most)
            .read_to_end(&mut bytes)
            .map(|_| ())
    } else {
        std::fs::File::open(path).and_then(|f| f.take(most).read_to_end(&mut bytes).map(|_| ()))
    };
    let fail = |problem: LoadError| Report::new(SourceMap::new(), vec![problem.into()]);
    if bytes.len() > limit {
        let size = std::fs::metadata(path).map_or(bytes.len(), |m| m.len() as usize);
        return Err(fail(facts_too_large(path, size, limit)));
    }
    result.map_err(|e| {
        fail(LoadError::Io {
            path: path.to_string(),
            reason: io_reason(&e),
            help: (e.kind() == std::io::ErrorKind::NotFound).then(|| {
                String::from("pass the path of a JSON file, or `-` to read standard input")
            }),
        })
    })?;
    String::from_utf8(bytes).map_err(|e| {
        fail(LoadError::NotUtf8 {
            path: path.to_string(),
            offset: e.utf8_error().valid_up_to(),
        })
    })
}

/// Policy files past [`Limits::max_policy_bytes`].
fn policy_too_large(path: String, size: usize, limit: usize) -> LoadError {
    LoadError::TooLarge {
        path,
        size,
        limit,
        help: format!(
            "the policy files of one set add up to at most {limit} bytes (`Limits::max_policy_bytes`); generated policies this large are better split"
        ),
    }
}

/// A facts document past [`Limits::max_facts_bytes`].
pub(crate) fn facts_too_large(path: &str, size: usize, limit: usize) -> LoadError {
    LoadError::TooLarge {
        path: path.to_string(),
        size,
        limit,
        help: format!(
            "a facts document has at most {limit} bytes (`Limits::max_facts_bytes`): pass only the facts the policies read"
        ),
    }
}

/// An I/O error in words, without the OS error number.
pub fn io_reason(err: &std::io::Error) -> String {
    let text = err.to_string().to_lowercase();
    match text.split_once(" (os error") {
        Some((reason, _)) => reason.to_string(),
        None => text,
    }
}
pub mod batch;
pub mod diff;
pub mod format;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
