//! Deciding: facts as a `serde_json::Value`, as JSON text, or as any
//! `Serialize` value. Each way in tries the fast walk over the declared
//! values first and falls back to the full walk, which decides or says why
//! not; traces and explanations take the full walk.

use serde::Serialize;
use serde_json::Value;

use super::decision::{decision, decision_ref, internal_error, Decision, DecisionRef, Decisions};
use super::PolicySet;
use crate::compile::DecisionTree;
use crate::diagnostics::{FactsError, Problem, Report};
use crate::eval;
use crate::explain::{self, Explanation};
use crate::facts::{self, Slot};
use crate::limits::Limits;
use crate::model::RuleId;
use crate::source::SourceMap;

impl PolicySet {
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
            facts::prefetch_strings(facts);
            let mut decisions = Decisions::with_capacity(self.trees.len());
            for (tree, paths) in self.trees.iter().zip(&self.paths) {
                let rule = match eval::decide_value(tree, paths, facts) {
                    Some(rule) => rule,
                    None => match eval::walk(tree, facts, false) {
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
        let facts = facts::parse(&self.sources, &self.limits, name, text)?;
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
                || facts::deeper_than(text, self.limits.facts_depth()).is_none());
        let (table, _) = self.picker.as_ref().filter(|_| within_limits)?;
        let picked = table.pick(text)?;
        self.decide_slots_each(&picked, each)
    }

    /// Decides from the values picked at the declared paths, telling
    /// `each` every policy's index, tree and rule in turn (see
    /// [`decide_picked_each`](Self::decide_picked_each)).
    fn decide_slots_each<'s>(
        &'s self,
        picked: &[Slot<'_>],
        mut each: impl FnMut(usize, &'s DecisionTree, Option<RuleId>),
    ) -> Option<()> {
        let (_, slots) = self.picker.as_ref()?;
        for (index, (tree, slot_of)) in self.trees.iter().zip(slots).enumerate() {
            let rule = eval::decide_picked(tree, picked, slot_of)?;
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
            let error = FactsError::Syntax {
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
        let facts = facts::parse(&self.sources, &self.limits, name, text)?;
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
    ) -> Result<Vec<Explanation>, Report> {
        let facts = facts::parse(&self.sources, &self.limits, name, text)?;
        let mut explanations = Vec::new();
        let mut problems = Vec::new();
        for tree in &self.trees {
            match explain::explain(tree, &self.sources, &facts.value, why_not) {
                Ok(mut explanation) => {
                    for read in &mut explanation.read {
                        let keys = tree
                            .policy
                            .facts
                            .iter()
                            .find(|f| f.name == read.fact)
                            .map(|f| f.path.clone())
                            .unwrap_or_default();
                        read.at = facts::value_span(text, &keys).map(|(start, _)| {
                            let (line, column) = facts::line_col(text, start);
                            format!("{name}:{line}:{column}")
                        });
                    }
                    explanations.push(explanation);
                }
                Err(errors) => {
                    for mut error in errors {
                        facts::label(&mut error, text, facts.base);
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
    fn decide_owned(
        &self,
        facts: &Value,
        trace: bool,
        text: Option<(&str, u32)>,
    ) -> Result<Vec<Decision>, Report> {
        let mut decisions = Vec::with_capacity(self.trees.len());
        let mut problems = Vec::new();
        for tree in &self.trees {
            match eval::walk(tree, facts, trace) {
                Ok(walk) => decisions.push(decision(&tree.policy, walk, trace)),
                Err(errors) => {
                    for mut error in errors {
                        if let Some((text, base)) = text {
                            facts::label(&mut error, text, base);
                        }
                        problems.push(Problem::from(error));
                    }
                    // One error about the facts' shape is enough.
                    if matches!(
                        problems.last(),
                        Some(Problem::Facts(FactsError::NotObject { .. }))
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
