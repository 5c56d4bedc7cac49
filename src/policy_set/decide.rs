//! Deciding: facts as a `serde_json::Value`, as JSON text, or as any
//! `Serialize` value. Each way in tries the fast walk over the declared
//! values first and falls back to the full walk, which decides or says why
//! not; traces and explanations take the full walk.

use serde::Serialize;
use serde_json::Value;

use super::decision::{decision, decision_ref, Decision, Decisions};
use super::PolicySet;
use crate::compile::DecisionTree;
use crate::diagnostics::{words, ErrorKind, ExplainError, FactsError, Problem, Report};
use crate::eval;
use crate::explain::{self, Explanation};
use crate::facts::{self, Slot};
use crate::limits::Limits;
use crate::model::RuleId;
use crate::source::{SourceMap, MAX_TOTAL_SOURCE_BYTES};

impl PolicySet {
    /// Decides for facts given as a JSON object: one decision per policy,
    /// in the set's order, each borrowing its texts from the set (no
    /// allocation for a set of one policy; [`Decisions::into_owned`]
    /// copies them). When a policy cannot decide (a fact it needs is
    /// missing or does not fit its declaration), the report names every
    /// such fact.
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
        if let Some(decisions) = self.decide_unreported(facts) {
            return Ok(decisions);
        }
        // Some policy cannot decide the fast way: the full walk over the
        // trees decides, or gathers every error. (A rule scan gives up on
        // some unknown facts a tree still decides around.)
        let mut decisions = Decisions::with_capacity(self.loaded.trees().len());
        self.walk_all(facts, false, None, |tree, walk| {
            decisions.push(decision_ref(&tree.policy, walk.rule))
        })?;
        Ok(decisions)
    }

    /// [`decide`](Self::decide)'s decisions, or `None` when the facts do
    /// not decide (or strict reading finds a key no fact declares); no
    /// error is put in words on the way, so that the one full walk that
    /// says why is the only one.
    fn decide_unreported(&self, facts: &Value) -> Option<Decisions<'_>> {
        // The evaluation time, for the policies that read it, out of the
        // way of the others, which decide from the facts as given.
        let filled;
        let facts = if self.loaded.now_facts.is_empty() {
            facts
        } else {
            filled = self.with_now_cold(facts);
            &*filled
        };
        if !facts.is_object() {
            return None;
        }
        facts::prefetch_strings(facts);
        let mut decisions = Decisions::with_capacity(self.loaded.trees().len());
        for (tree, paths) in self.loaded.trees().iter().zip(&self.loaded.paths) {
            let rule = match eval::decide_value(tree, paths, facts) {
                Some(rule) => rule,
                None => eval::decides(tree, facts)?,
            };
            decisions.push(decision_ref(&tree.policy, rule));
        }
        if self.any_strict() && !self.strict_problems(facts, None).is_empty() {
            return None;
        }
        Some(decisions)
    }

    /// Decides for facts given as JSON text, as [`decide`](Self::decide)
    /// does for a `Value`. The values at the declared paths are picked out
    /// while the text is scanned; no `serde_json::Value` is built on the way
    /// to a decision (the text is parsed into one only when the scanner
    /// gives up on something unusual, or to say why the facts do not
    /// decide).
    /// Diagnostics point into the text, which they call `name`.
    ///
    /// ```
    /// let policies = verdict::PolicySet::builtin().map_err(|r| r.render(80))?;
    /// let text = r#"{"partner": {"role": "reseller"}, "request": {"action": "invite"}}"#;
    /// let decisions = policies.decide_json("request.json", text).map_err(|r| r.render(80))?;
    /// assert_eq!(decisions[0].decision, "deny");
    ///
    /// let report = policies.decide_json("typo.json", r#"{"partner": {"role": "resellr"}}"#).unwrap_err();
    /// assert!(report.render(80).contains("did you mean `reseller`?"));
    /// # Ok::<(), String>(())
    /// ```
    ///
    /// Facts that the scanner read whole and that do not decide are
    /// refused at once, with a [deferred](Report) report: what is wrong
    /// with them is worked out (from a copy of the text, with a clone of
    /// the set) the first time the report is asked anything.
    pub fn decide_json(&self, name: &str, text: &str) -> Result<Decisions<'_>, Report> {
        let stop = match self.decide_picked(text) {
            Ok(decisions) => return Ok(decisions),
            Err(stop) => stop,
        };
        // The scanner read the whole text (JSON, an object, within the
        // limits, no declared key twice) but could not decide: the facts
        // miss a fact, or hold a value that does not fit, or one it does
        // not classify (a time, an array, ...). Either the picked values
        // show that they leave more than one decision possible, or the
        // walk over the `Value` decides or finds so. Refused facts are
        // refused at once; why is worked out if anyone asks. (Strict
        // reading, which looks at every key, and the evaluation time never
        // get this far.) While trees are built in the background, the rule
        // scans decide; a scan may give up where the tree decides, so the
        // facts go the way that waits for the trees, as do facts the
        // sources could not hold beside the policies (then too large).
        let fits = self.loaded.sources.end().saturating_add(text.len()) < MAX_TOTAL_SOURCE_BYTES;
        if stop.scanned && !self.any_strict() && self.loaded.settled() && fits {
            if !stop.refused {
                let Ok(value) = serde_json::from_str::<Value>(text) else {
                    return self.decide_json_reported(name, text, true);
                };
                if let Some(decisions) = self.decide_unreported(&value) {
                    return Ok(decisions);
                }
            }
            let set = self.clone();
            let (name, text) = (name.to_owned(), text.to_owned());
            return Err(Report::deferred(ErrorKind::UndecidableFacts, move || {
                set.refusal(&name, &text)
            }));
        }
        self.decide_json_reported(name, text, stop.scanned)
    }

    /// What is wrong with facts the fast path refused: the report of the
    /// full walk.
    fn refusal(&self, name: &str, text: &str) -> Report {
        match self.decide_json_reported(name, text, true) {
            Err(report) => report,
            // The full walk decides where the walk over the same trees
            // refused (from the picked values, or the `Value`): a bug,
            // said as such, at the first policy the fast path stopped at.
            Ok(_) => {
                let mut decided = 0;
                let _ = self.decide_picked_each(text, |_, _, _| decided += 1);
                let policy = self
                    .loaded
                    .trees()
                    .get(decided)
                    .map(|tree| tree.policy.name.clone());
                Report::new(
                    self.loaded.sources.clone(),
                    vec![Problem::from(FactsError::NoDecision {
                        policy: policy.unwrap_or_default(),
                    })],
                )
            }
        }
    }

    /// [`decide_json`](Self::decide_json) past the fast path: the facts
    /// parsed into a `Value`, which decides or says why not. `scanned`:
    /// the scanner read the whole text.
    fn decide_json_reported(
        &self,
        name: &str,
        text: &str,
        scanned: bool,
    ) -> Result<Decisions<'_>, Report> {
        // A text the scanner read whole is JSON and gives no declared key
        // twice: only its values need saying what is wrong with them.
        let declared: &[Vec<String>] = if scanned { &[] } else { &self.loaded.declared };
        let facts = facts::parse(
            &self.loaded.sources,
            &self.loaded.limits,
            declared,
            name,
            text,
        )?;
        // Text the scanner did not take (a policy reading the evaluation
        // time, an exponent, ...) decides the fast way from the `Value`.
        if !scanned {
            if let Some(decisions) = self.decide_unreported(&facts.value) {
                return Ok(decisions);
            }
        }
        // One full walk decides, or says why not.
        let mut decisions = Decisions::with_capacity(self.loaded.trees().len());
        let walked = self.walk_all(
            &facts.value,
            false,
            Some((text, facts.base)),
            |tree, walk| decisions.push(decision_ref(&tree.policy, walk.rule)),
        );
        match walked {
            Ok(()) => Ok(decisions),
            Err(mut report) => {
                report.set_sources(facts.sources);
                Err(report)
            }
        }
    }

    /// The fast path from text: the declared values picked out while
    /// parsing; where it stops, how far it got (the caller then takes the
    /// path that decides or reports).
    fn decide_picked(&self, text: &str) -> Result<Decisions<'_>, PickStop> {
        let mut decisions = Decisions::with_capacity(self.loaded.trees().len());
        let mut stop = PickStop {
            ask: true,
            ..PickStop::default()
        };
        let decided = self.decide_picked_scanned(text, &mut stop, |_, tree, rule| {
            decisions.push(decision_ref(&tree.policy, rule))
        });
        decided.map(|()| decisions).ok_or(stop)
    }

    /// [`decide_picked`](Self::decide_picked), telling `each` every
    /// policy's index, tree and rule (`None`: its `otherwise`) in turn;
    /// `None` when anything is amiss, possibly after some calls.
    pub(crate) fn decide_picked_each<'s>(
        &'s self,
        text: &str,
        each: impl FnMut(usize, &'s DecisionTree, Option<RuleId>),
    ) -> Option<()> {
        self.decide_picked_scanned(text, &mut PickStop::default(), each)
    }

    /// [`decide_picked_each`](Self::decide_picked_each), saying in `stop`
    /// how far it got where it stops.
    fn decide_picked_scanned<'s>(
        &'s self,
        text: &str,
        stop: &mut PickStop,
        each: impl FnMut(usize, &'s DecisionTree, Option<RuleId>),
    ) -> Option<()> {
        // The evaluation time is filled into a `Value`: that way decides.
        if !self.loaded.now_facts.is_empty() {
            return None;
        }
        let within_limits = text.len() <= self.loaded.limits.max_facts_bytes
            && (self.loaded.limits.facts_depth() == Limits::MAX_FACTS_DEPTH
                || facts::deeper_than(text, self.loaded.limits.facts_depth()).is_none());
        let (table, _) = self.loaded.picker.as_ref().filter(|_| within_limits)?;
        let picked = table.pick(text)?;
        stop.scanned = true;
        let refused = stop.ask.then_some(&mut stop.refused);
        self.decide_slots_each(&picked, refused, each)
    }

    /// Decides from the values picked at the declared paths, telling
    /// `each` every policy's index, tree and rule in turn (see
    /// [`decide_picked_each`](Self::decide_picked_each)). Where a policy
    /// does not decide, `refused` (when given) says whether the values
    /// leave it more than one decision, as far as they tell
    /// ([`eval::picked_refuses`]).
    fn decide_slots_each<'s>(
        &'s self,
        picked: &[Slot<'_>],
        refused: Option<&mut bool>,
        mut each: impl FnMut(usize, &'s DecisionTree, Option<RuleId>),
    ) -> Option<()> {
        // Strict reading looks at every key: it takes the way through a `Value`.
        if self.any_strict() {
            return None;
        }
        let (_, slots) = self.loaded.picker.as_ref()?;
        for (index, (tree, slot_of)) in self.loaded.trees().iter().zip(slots).enumerate() {
            let Some(rule) = eval::decide_picked(tree, picked, slot_of) else {
                if let Some(refused) = refused {
                    *refused = self.loaded.exact_picks.get(index) == Some(&true)
                        && eval::picked_refuses(tree, picked, slot_of);
                }
                return None;
            };
            each(index, tree, rule);
        }
        Some(())
    }

    /// Decides for facts given as any serializable value (a struct of your
    /// own, say), as [`decide`](Self::decide) does for a `Value`. The
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
        let picker = self
            .loaded
            .picker
            .as_ref()
            .filter(|_| self.loaded.now_facts.is_empty());
        if let Some((table, _)) = picker {
            let decided = table.pick_serialize(facts, |picked| {
                let mut decisions = Decisions::with_capacity(self.loaded.trees().len());
                self.decide_slots_each(picked, None, |_, tree, rule| {
                    decisions.push(decision_ref(&tree.policy, rule))
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
                help: String::from("facts serialize to one JSON object: maps with string keys, and no non-finite numbers"),
            };
            Report::new(SourceMap::new(), vec![error.into()])
        })?;
        self.decide(&value)
    }

    /// Decides for facts given as a JSON object, as [`decide`](Self::decide)
    /// does, with the facts each decision read, in order, in
    /// [`Decision::trace`]: for people, as it takes the slower walk and
    /// copies the texts.
    ///
    /// ```
    /// let policies = verdict::PolicySet::builtin().map_err(|r| r.render(80))?;
    /// let facts = serde_json::json!({
    ///     "partner": { "role": "reseller" },
    ///     "request": { "action": "invite" },
    /// });
    /// let decisions = policies.trace(&facts).map_err(|r| r.render(80))?;
    /// let read = decisions[0].trace.as_deref().unwrap_or_default();
    /// assert_eq!(read[0].path, "request.action");
    /// # Ok::<(), String>(())
    /// ```
    pub fn trace(&self, facts: &Value) -> Result<Vec<Decision>, Report> {
        self.decide_walked(facts, true, None)
    }

    /// [`trace`](Self::trace) for facts given as JSON text; diagnostics
    /// point into the text, which they call `name`.
    pub fn trace_json(&self, name: &str, text: &str) -> Result<Vec<Decision>, Report> {
        let facts = self.parse_facts(name, text)?;
        self.decide_walked(&facts.value, true, Some((text, facts.base)))
            .map_err(|mut report| {
                report.set_sources(facts.sources);
                report
            })
    }

    /// Explains each policy's decision for facts given as a JSON object:
    /// the facts read, the facts not read, what became of every rule and,
    /// with `why_not`, the smallest changes that would reach that decision
    /// instead. A `why_not` that no policy of the set can decide is the
    /// error `verdict::explain::unknown_decision`.
    ///
    /// ```
    /// let policies = verdict::PolicySet::builtin().map_err(|r| r.render(80))?;
    /// let facts = serde_json::json!({ "partner": { "role": "reseller" }, "request": { "action": "invite" } });
    /// let explained = policies.explain(&facts, Some("allow")).map_err(|r| r.render(80))?;
    /// assert_eq!(explained[0].decision, "deny");
    /// let why_not = explained[0].why_not.as_ref().ok_or("asked for")?;
    /// assert_eq!(why_not.alternatives[0].changes[0].path, "partner.role");
    /// # Ok::<(), String>(())
    /// ```
    pub fn explain(
        &self,
        facts: &Value,
        why_not: Option<&str>,
    ) -> Result<Vec<Explanation>, Report> {
        if let Some(wanted) = why_not {
            self.can_decide(wanted)?;
        }
        let (explanations, problems) = self.explain_each(facts, why_not, None);
        if problems.is_empty() {
            Ok(explanations)
        } else {
            Err(Report::new(self.loaded.sources.clone(), problems))
        }
    }

    /// [`explain`](Self::explain) for facts given as JSON text: each fact
    /// read also says where it is in the text, and diagnostics point into
    /// the text, which they call `name`.
    pub fn explain_json(
        &self,
        name: &str,
        text: &str,
        why_not: Option<&str>,
    ) -> Result<Vec<Explanation>, Report> {
        if let Some(wanted) = why_not {
            self.can_decide(wanted)?;
        }
        let facts = self.parse_facts(name, text)?;
        let (explanations, problems) =
            self.explain_each(&facts.value, why_not, Some((name, text, facts.base)));
        if problems.is_empty() {
            Ok(explanations)
        } else {
            Err(Report::new(facts.sources, problems))
        }
    }

    /// Every policy's explanation, and the problems of those that cannot
    /// decide; with `text` (the facts' name, text, and where the text
    /// starts in the sources), each fact read and each error is placed in it.
    fn explain_each(
        &self,
        facts: &Value,
        why_not: Option<&str>,
        text: Option<(&str, &str, u32)>,
    ) -> (Vec<Explanation>, Vec<Problem>) {
        let facts = &*self.with_now(facts);
        let mut explanations = Vec::new();
        let mut problems = Vec::new();
        for tree in self.loaded.settled_trees() {
            match explain::explain(tree, facts, why_not) {
                Ok(mut explanation) => {
                    if !(self.strict() || tree.policy.strict) {
                        explanation.unknown_keys = eval::strict::problems(
                            &tree.policy,
                            &self.loaded.declared,
                            facts,
                            false,
                        )
                        .iter()
                        .filter_map(|e| e.path().map(String::from))
                        .collect();
                    }
                    if let Some((name, text, _)) = text {
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
                    }
                    explanations.push(explanation);
                }
                Err(errors) => {
                    for mut error in errors {
                        if let Some((_, text, base)) = text {
                            facts::label(&mut error, text, base);
                        }
                        problems.push(Problem::from(error));
                    }
                }
            }
        }
        self.add_strict_problems(
            &mut problems,
            facts,
            text.map(|(_, text, base)| (text, base)),
        );
        (explanations, problems)
    }

    /// Whether some policy of the set can decide `wanted`; the report says
    /// which decisions they can make when none can.
    fn can_decide(&self, wanted: &str) -> Result<(), Report> {
        let mut known: Vec<&str> = Vec::new();
        for policy in self.policies() {
            for decision in policy.decisions() {
                if !known.contains(&decision) {
                    known.push(decision);
                }
            }
        }
        if known.contains(&wanted) {
            return Ok(());
        }
        let help = words::did_you_mean(wanted, known.iter().copied()).unwrap_or_else(|| {
            match known.iter().find(|d| d.contains('-')) {
                Some(example) => format!(
                    "name one of these decisions; an outcome of several words is written with `-`, as `{example}`"
                ),
                None => String::from("name one of these decisions"),
            }
        });
        let error = ExplainError::UnknownDecision {
            decision: wanted.to_string(),
            known: known.join(", "),
            help,
        };
        Err(Report::new(self.loaded.sources.clone(), vec![error.into()]))
    }

    /// Every policy's decision from the full walk, owned, with the facts
    /// read when `trace` asks for them; with `text` (the facts as text and
    /// where it starts in the sources), errors are labelled in it.
    fn decide_walked(
        &self,
        facts: &Value,
        trace: bool,
        text: Option<(&str, u32)>,
    ) -> Result<Vec<Decision>, Report> {
        let mut decisions = Vec::with_capacity(self.loaded.trees().len());
        self.walk_all(facts, trace, text, |tree, walk| {
            decisions.push(decision(&tree.policy, walk, trace))
        })?;
        Ok(decisions)
    }

    /// The full walk of every policy's tree, telling `each` each tree and
    /// its walk when all decide; otherwise the report of every policy's
    /// errors (labelled in `text` when given) and strict reading's.
    fn walk_all<'s>(
        &'s self,
        facts: &Value,
        trace: bool,
        text: Option<(&str, u32)>,
        mut each: impl FnMut(&'s DecisionTree, eval::Walked),
    ) -> Result<(), Report> {
        let facts = &*self.with_now(facts);
        let mut problems = Vec::new();
        // Reports and traces come from the trees, whichever way the set
        // was deciding until now, so that they never depend on timing.
        for tree in self.loaded.settled_trees() {
            match eval::walk(tree, facts, trace) {
                Ok(walk) if problems.is_empty() => each(tree, walk),
                Ok(_) => {}
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
        self.add_strict_problems(&mut problems, facts, text);
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Report::new(self.loaded.sources.clone(), problems))
        }
    }

    /// Adds to a walk's problems what strict reading finds besides them
    /// (nothing after the facts were found not to be an object).
    fn add_strict_problems(
        &self,
        problems: &mut Vec<Problem>,
        facts: &Value,
        text: Option<(&str, u32)>,
    ) {
        if !self.any_strict()
            || problems
                .iter()
                .any(|p| matches!(p, Problem::Facts(FactsError::NotObject { .. })))
        {
            return;
        }
        let same = |a: &Problem, b: &Problem| {
            let code = |p: &Problem| miette::Diagnostic::code(p).map(|c| c.to_string());
            let path = |p: &Problem| match p {
                Problem::Facts(error) => error.path().map(String::from),
                _ => None,
            };
            code(a) == code(b) && path(a) == path(b)
        };
        for problem in self.strict_problems(facts, text) {
            if !problems.iter().any(|p| same(p, &problem)) {
                problems.push(problem);
            }
        }
    }

    /// What the policies that read strictly find wrong in `facts` (see
    /// [`strict_facts`](Self::strict_facts)), each problem once, labelled
    /// in `text` when the facts came as text.
    fn strict_problems(&self, facts: &Value, text: Option<(&str, u32)>) -> Vec<Problem> {
        let mut problems: Vec<Problem> = Vec::new();
        let mut seen: Vec<(Option<String>, String)> = Vec::new();
        for tree in self.loaded.trees() {
            if !(self.strict() || tree.policy.strict) {
                continue;
            }
            for mut error in
                eval::strict::problems(&tree.policy, &self.loaded.declared, facts, true)
            {
                let key = (
                    miette::Diagnostic::code(&error).map(|c| c.to_string()),
                    error.path().unwrap_or_default().to_string(),
                );
                if seen.contains(&key) {
                    continue;
                }
                seen.push(key);
                if let Some((text, base)) = text {
                    facts::label(&mut error, text, base);
                }
                problems.push(Problem::from(error));
            }
        }
        problems
    }

    /// What strict reading finds wrong in `facts` for the policy of `tree`,
    /// nothing when it does not read strictly: for tools that decide tree
    /// by tree.
    pub(crate) fn strict_errors(&self, tree: &DecisionTree, facts: &Value) -> Vec<FactsError> {
        if !(self.strict() || tree.policy.strict) {
            return Vec::new();
        }
        eval::strict::problems(&tree.policy, &self.loaded.declared, facts, true)
    }

    /// Keys beside the declared paths that no fact declares, for the
    /// policies that do not read strictly, as warnings
    /// (`verdict::facts::unread_key`): such a key (a misspelt one, say)
    /// is otherwise silently ignored. `explain` and traces show them.
    ///
    /// ```
    /// let policies = verdict::PolicySet::builtin().map_err(|r| r.render(80))?;
    /// let facts = serde_json::json!({
    ///     "partner": { "role": "reseller", "designatedAdmin": true },
    ///     "request": { "action": "invite" },
    /// });
    /// let warnings = policies.unread_keys(&facts);
    /// assert_eq!(warnings.warning_count(), 1);
    /// assert!(warnings.render(80).contains("did you mean `designated_admin`?"));
    /// # Ok::<(), String>(())
    /// ```
    pub fn unread_keys(&self, facts: &Value) -> Report {
        Report::new(
            self.loaded.sources.clone(),
            self.unread_key_problems(facts, None),
        )
    }

    /// Facts given as JSON text, called `name` in diagnostics: parsed, a
    /// key repeated on the way to a declared path refused.
    fn parse_facts(&self, name: &str, text: &str) -> Result<facts::ParsedFacts, Report> {
        let loaded = &*self.loaded;
        facts::parse(
            &loaded.sources,
            &loaded.limits,
            &loaded.declared,
            name,
            text,
        )
    }

    /// [`unread_keys`](Self::unread_keys) for facts given as JSON text,
    /// each key labelled in it; facts that do not parse are that error.
    pub fn unread_keys_json(&self, name: &str, text: &str) -> Report {
        match self.parse_facts(name, text) {
            Ok(facts) => {
                let problems = self.unread_key_problems(&facts.value, Some((text, facts.base)));
                Report::new(facts.sources, problems)
            }
            Err(report) => report,
        }
    }

    /// Whether `facts` fit what the set's policies declare, without
    /// deciding: every declared fact present is of its type (and one of
    /// its values), every required fact (neither `optional` nor with a
    /// `default`) is there, and with [strict facts](Self::strict_facts)
    /// no key beside the declared paths goes unread. These are the facts
    /// [`facts_schema`](Self::facts_schema) describes. Deciding asks less:
    /// only the facts a decision reads must be there and fit.
    ///
    /// ```
    /// let policies = verdict::PolicySet::builtin().map_err(|r| r.render(80))?;
    /// let facts = serde_json::json!({
    ///     "request": {"action": "transfer"},
    ///     "license": {"channel": "Direct"},
    ///     "partner": {"role": "reseller", "designated_admin": "yes"},
    /// });
    /// let report = policies.validate(&facts).unwrap_err();
    /// let codes: Vec<_> = report.data().diagnostics.into_iter().filter_map(|d| d.code).collect();
    /// assert!(codes.contains(&String::from("verdict::facts::wrong_type")));
    /// # Ok::<(), String>(())
    /// ```
    pub fn validate(&self, facts: &Value) -> Result<(), Report> {
        let problems = self.validation_problems(facts, None);
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Report::new(self.loaded.sources.clone(), problems))
        }
    }

    /// [`validate`](Self::validate) facts given as JSON text, each
    /// problem labelled in it; text that is not JSON is that error.
    pub fn validate_json(&self, name: &str, text: &str) -> Result<(), Report> {
        let facts = self.parse_facts(name, text)?;
        let problems = self.validation_problems(&facts.value, Some((text, facts.base)));
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Report::new(facts.sources, problems))
        }
    }

    /// What [`validate`](Self::validate) finds, each path once across the
    /// policies, labelled in `text` when given as `(text, base)`.
    fn validation_problems(&self, facts: &Value, text: Option<(&str, u32)>) -> Vec<Problem> {
        if !facts.is_object() {
            return vec![Problem::from(FactsError::NotObject {
                found: crate::facts::json_kind(facts),
                span: None,
            })];
        }
        self.each_path_once(text, |tree| {
            let strict = self.strict() || tree.policy.strict;
            eval::strict::validation(&tree.policy, &self.loaded.declared, facts, strict)
        })
    }

    /// The warnings of [`unread_keys`](Self::unread_keys), labelled in
    /// `text` when given as `(text, base)`.
    fn unread_key_problems(&self, facts: &Value, text: Option<(&str, u32)>) -> Vec<Problem> {
        self.each_path_once(text, |tree| {
            if self.strict() || tree.policy.strict {
                return Vec::new();
            }
            eval::strict::problems(&tree.policy, &self.loaded.declared, facts, false)
        })
    }

    /// What `found` finds for each policy, a path reported once across
    /// them, each labelled in `text` when given as `(text, base)`.
    fn each_path_once(
        &self,
        text: Option<(&str, u32)>,
        found: impl Fn(&DecisionTree) -> Vec<FactsError>,
    ) -> Vec<Problem> {
        let mut problems: Vec<Problem> = Vec::new();
        let mut seen: Vec<String> = Vec::new();
        for tree in self.loaded.trees() {
            for mut error in found(tree) {
                let path = error.path().unwrap_or_default().to_string();
                if seen.contains(&path) {
                    continue;
                }
                seen.push(path);
                if let Some((text, base)) = text {
                    facts::label(&mut error, text, base);
                }
                problems.push(Problem::from(error));
            }
        }
        problems
    }
}

/// Where the fast path from text stopped, and how far it got.
#[derive(Default)]
struct PickStop {
    /// The scanner read the whole text: it is JSON, an object, within the
    /// limits, with no declared key given twice.
    scanned: bool,
    /// Whether to find out `refused`, which costs a walk.
    ask: bool,
    /// The values picked leave a policy more than one decision, as the
    /// walk over their `Value` would find: the facts are refused.
    refused: bool,
}
