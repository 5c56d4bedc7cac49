//! Explanations: why a policy decided what it did. The path through the
//! tree (each fact read, with its value), the facts never read, for every
//! other rule the first condition that ruled it out, and, on request, the
//! smallest changes to the facts that would reach another decision, read off
//! the tree's other branches.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::compile::{DecisionTree, Node, NodeId};
use crate::diagnostics::FactsError;
use crate::eval::{self, Step};
use crate::facts::{read, Read};
use crate::model::{insert_at, AtomSet, CheckedPolicy, FactId, FactType, HitPolicy, RuleId};
use crate::source::Span;

/// Why one policy decided as it did.
#[derive(Clone, Debug, Serialize)]
pub struct Explanation {
    /// The policy's name.
    pub policy: String,
    /// What it decided.
    pub decision: String,
    /// The deciding rule's location, `None` when no rule applies.
    pub rule: Option<String>,
    /// The deciding rule's name, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_name: Option<String>,
    /// Whether the policy has a decision tree (else its rules are scanned).
    pub tree: bool,
    /// The facts the walk read, in order.
    pub read: Vec<FactRead>,
    /// Paths of declared facts the decision did not need.
    pub unread: Vec<String>,
    /// Paths of keys beside the declared ones that no fact declares, which
    /// the policy ignores (a misspelt key, say); empty when it reads facts
    /// strictly, as it then fails on them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unknown_keys: Vec<String>,
    /// Every rule of the policy, in source order, with why it did or did not decide.
    pub rules: Vec<RuleStatus>,
    /// For `--why-not`: the smallest changes that reach the asked decision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why_not: Option<WhyNot>,
}

/// One fact a decision read: an explanation's path through the tree, and
/// a traced decision's steps.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FactRead {
    /// The fact's declared name.
    pub fact: String,
    /// Its JSON path.
    pub path: String,
    /// The value found; `null` when absent.
    pub value: Value,
    /// The class of values it fell in (`CSP`, `> 10`, `absent`).
    pub matched: String,
    /// The deciding rule's condition on the fact, as the rule writes it
    /// (`days <= 30`); `None` when the rule has none (the fact was read to
    /// rule out others).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// Where the value is in the facts text (`file:line:column`): in an
    /// explanation of facts given as text; `None` in a trace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// The fact is declared `sensitive`: a log keeps its value out (see
    /// [`FactRead::masked`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sensitive: bool,
}

impl FactRead {
    /// This read fit for a log: a `sensitive` fact's value, and the class
    /// and condition that would tell of it, replaced by `"[masked]"`.
    ///
    /// ```
    /// let text = "policy pay\nfact salary: number at person.salary sensitive\nsalary > 5000 cannot\n";
    /// let set = verdict::PolicySet::from_sources([("pay.policy", text)]).map_err(|r| r.render(80))?;
    /// let decisions = set.trace(&serde_json::json!({"person": {"salary": 7200}})).map_err(|r| r.render(80))?;
    /// let read = decisions[0].trace.as_ref().and_then(|t| t.first()).ok_or("no fact read")?;
    /// assert!(read.sensitive);
    /// assert_eq!(read.value, 7200);
    /// let masked = read.masked();
    /// assert_eq!((masked.value.as_str(), masked.matched.as_str()), (Some("[masked]"), "[masked]"));
    /// # Ok::<(), String>(())
    /// ```
    pub fn masked(&self) -> FactRead {
        if !self.sensitive {
            return self.clone();
        }
        let mask = String::from("[masked]");
        FactRead {
            value: Value::from(mask.as_str()),
            matched: mask.clone(),
            condition: self.condition.as_ref().map(|_| mask),
            ..self.clone()
        }
    }
}

/// What became of one rule.
#[derive(Clone, Debug, Serialize)]
pub struct RuleStatus {
    /// The rule's location (`file:line`).
    pub rule: String,
    /// What the rule decides when it applies.
    pub decision: String,
    /// `decided`, `ruled-out`, `also-matches` (an earlier rule decided),
    /// `outranked` (under `priority`, a rule of a decision ranked higher
    /// decided) or `undetermined`.
    pub status: &'static str,
    /// The condition that ruled it out, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// Why that condition does not hold, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub because: Option<String>,
    /// The rule, in the policy's sources.
    #[serde(skip)]
    pub span: Span,
    /// The condition that ruled it out, in the policy's sources.
    #[serde(skip)]
    pub condition_span: Option<Span>,
}

/// The answer to "why not DECISION?".
#[derive(Clone, Debug, Serialize)]
pub struct WhyNot {
    /// The decision asked for.
    pub decision: String,
    /// False when the policy has no decision tree to read alternatives off.
    pub available: bool,
    /// Alternatives with the fewest changed facts, at most a handful.
    pub alternatives: Vec<Alternative>,
}

/// One way to reach the asked decision.
#[derive(Clone, Debug, Serialize)]
pub struct Alternative {
    /// The rule that would decide.
    pub rule: Option<String>,
    /// The facts to change, each from what it is to a value that leads there.
    pub changes: Vec<Change>,
    /// The changed facts as a facts object, to merge into the original.
    pub facts: Value,
}

/// One fact to change.
#[derive(Clone, Debug, Serialize)]
pub struct Change {
    /// The fact's JSON path.
    pub path: String,
    /// The value now (`null` when absent).
    pub from: Value,
    /// A value that takes the other branch (`null` for "leave it out").
    pub to: Value,
    /// Every value that would do, in words.
    pub any_of: String,
}

/// How many alternatives `why_not` returns at most.
const MAX_ALTERNATIVES: usize = 3;
/// How many of the cheapest paths `why_not` weighs: more than it returns,
/// since a path whose changes contain another's is left out.
const CANDIDATES: usize = 8 * MAX_ALTERNATIVES;
/// How many leaves `why_not` visits at most, to bound its cost on huge trees.
const MAX_LEAVES_VISITED: usize = 100_000;

/// Explains the decision of `tree` for `facts`. Facts that are missing or
/// invalid where they matter make the explanation fail as deciding does.
pub(crate) fn explain(
    tree: &DecisionTree,
    facts: &Value,
    why_not: Option<&str>,
) -> Result<Explanation, Vec<FactsError>> {
    let walk = eval::walk(tree, facts, true)?;
    let policy = &tree.policy;
    let read_facts = facts_read(policy, &walk.trace, walk.rule);
    // Paths, each once: the values tested in one array share a path.
    let read_paths: Vec<&[String]> = walk
        .trace
        .iter()
        .filter_map(|s| policy.fact(s.fact))
        .map(|f| f.path.as_slice())
        .collect();
    let mut unread: Vec<String> = Vec::new();
    for fact in &policy.facts {
        let path = fact.path_string();
        if !read_paths.contains(&fact.path.as_slice()) && !unread.contains(&path) {
            unread.push(path);
        }
    }
    let rules = policy
        .rules
        .iter()
        .map(|rule| rule_status(tree, facts, rule, walk.rule))
        .collect();
    let decision = match walk.rule.and_then(|r| policy.rule(r)) {
        Some(rule) => rule.verdict.as_str().to_string(),
        None => policy.otherwise.as_str().to_string(),
    };
    Ok(Explanation {
        policy: policy.name.clone(),
        decision,
        rule: walk
            .rule
            .and_then(|r| policy.rule(r))
            .map(|r| r.location.clone()),
        rule_name: walk
            .rule
            .and_then(|r| policy.rule(r))
            .and_then(|r| r.name.clone()),
        tree: tree.scan.is_none(),
        read: read_facts,
        unread,
        unknown_keys: Vec::new(),
        rules,
        why_not: why_not.map(|wanted| search_why_not(tree, facts, wanted)),
    })
}

fn rule_status(
    tree: &DecisionTree,
    facts: &Value,
    rule: &crate::model::CheckedRule,
    decided: Option<RuleId>,
) -> RuleStatus {
    let policy = &tree.policy;
    let mut status = RuleStatus {
        rule: rule.location.clone(),
        decision: rule.verdict.as_str().to_string(),
        status: "also-matches",
        condition: None,
        because: None,
        span: rule.span,
        condition_span: None,
    };
    if decided == Some(rule.id) {
        status.status = "decided";
        return status;
    }
    // Each clause holds, is ruled out by its first failing condition (in
    // the order written), or waits on its first unknown fact.
    let mut ruled_out: Vec<(Span, &str, String)> = Vec::new();
    let mut undetermined = None;
    let mut holds = false;
    for clause in &rule.clauses {
        let mut conditions: Vec<(&FactId, &AtomSet, Span, &str)> = clause
            .conditions
            .iter()
            .zip(&clause.spans)
            .zip(&clause.texts)
            .map(|(((fact, set), span), text)| (fact, set, *span, text.as_str()))
            .collect();
        conditions.sort_by_key(|(_, _, span, _)| *span);
        let mut failed = None;
        let mut unknown = None;
        for (fact_id, set, span, text) in conditions {
            let Some(fact) = policy.fact(*fact_id) else {
                continue;
            };
            match read(policy, *fact_id, facts, true) {
                Read::Atom(atom, value) => {
                    if !set.contains(atom) {
                        let because = match value {
                            // A relation's value is the pair of its facts' values.
                            Some(Value::Array(pair))
                                if matches!(fact.ty, FactType::Relation(_)) && pair.len() == 2 =>
                            {
                                let shown: Vec<String> =
                                    pair.iter().map(Value::to_string).collect();
                                format!(
                                    "`{}` {} ({})",
                                    fact.path_string(),
                                    fact.describe_atom(atom),
                                    shown.join(" and ")
                                )
                            }
                            Some(value) => format!("`{}` is {value}", fact.path_string()),
                            None => {
                                format!("`{}` is {}", fact.path_string(), fact.describe_atom(atom))
                            }
                        };
                        failed = Some((span, text, because));
                        break;
                    }
                }
                Read::Unknown(_) => {
                    unknown.get_or_insert((span, text, fact.path_string()));
                }
            }
        }
        match (failed, unknown) {
            (Some(failed), _) => {
                if !ruled_out.contains(&failed) {
                    ruled_out.push(failed);
                }
            }
            (None, Some(unknown)) => {
                undetermined.get_or_insert(unknown);
            }
            (None, None) => holds = true,
        }
    }
    if let Some((span, text, path)) = undetermined.filter(|_| !holds) {
        status.status = "undetermined";
        status.condition = Some(text.to_string());
        status.condition_span = Some(span);
        status.because = Some(format!("`{path}` is missing or invalid"));
    } else if !holds {
        // Where clauses fail at different places, the label spans them all.
        let span = ruled_out
            .iter()
            .map(|(span, ..)| *span)
            .reduce(Span::to)
            .unwrap_or(rule.span);
        let mut because: Vec<&str> = Vec::new();
        let mut written: Vec<&str> = Vec::new();
        for (_, text, reason) in &ruled_out {
            if !because.contains(&reason.as_str()) {
                because.push(reason);
            }
            if !written.contains(text) {
                written.push(text);
            }
        }
        status.status = "ruled-out";
        status.condition = Some(written.join(" / "));
        status.condition_span = Some(span);
        status.because = Some(because.join("; "));
    } else if policy.hit == HitPolicy::Priority
        && decided
            .and_then(|r| policy.rule(r))
            .is_some_and(|d| d.verdict != rule.verdict)
    {
        status.status = "outranked";
    }
    status
}

/// The smallest changes to `facts` that reach `wanted`, from the tree's
/// paths to leaves that decide it.
fn search_why_not(tree: &DecisionTree, facts: &Value, wanted: &str) -> WhyNot {
    if tree.scan.is_some() {
        return WhyNot {
            decision: wanted.to_string(),
            available: false,
            alternatives: Vec::new(),
        };
    }
    let mut search = WhyNotSearch {
        tree,
        facts,
        wanted,
        best: Vec::new(),
        visited: 0,
    };
    search.visit(tree.root(), &mut Vec::new());
    let mut alternatives: Vec<Alternative> = search
        .best
        .into_iter()
        .filter_map(|(_, rule, path)| alternative(tree, facts, rule, &path))
        .collect();
    // Relations can make a path's change touch more facts, or fewer, than
    // it tests: fewest changes first.
    alternatives.sort_by_key(|a| a.changes.len());
    // Minimal changes only: one that changes every fact another changes,
    // and more, is the other with changes it does not need.
    let mut minimal: Vec<Alternative> = Vec::new();
    for alternative in alternatives {
        let paths: Vec<&str> = alternative
            .changes
            .iter()
            .map(|c| c.path.as_str())
            .collect();
        let contains_one = minimal.iter().any(|kept| {
            kept.changes
                .iter()
                .all(|change| paths.contains(&change.path.as_str()))
        });
        if !contains_one {
            minimal.push(alternative);
        }
    }
    minimal.truncate(MAX_ALTERNATIVES);
    let alternatives = minimal;
    WhyNot {
        decision: wanted.to_string(),
        available: true,
        alternatives,
    }
}

/// The changes that take `facts` down `path` (to `rule`); `None` when no
/// facts take it (relations between facts can rule a path out).
fn alternative(
    tree: &DecisionTree,
    facts: &Value,
    rule: Option<RuleId>,
    path: &[(FactId, AtomSet)],
) -> Option<Alternative> {
    let policy = &tree.policy;
    if policy.needs_realizing() {
        return related_alternative(tree, facts, rule, path);
    }
    let mut changes: Vec<Change> = Vec::new();
    // The JSON keys of each change, parallel to `changes`.
    let mut keys: Vec<&[String]> = Vec::new();
    for (fact_id, allowed) in path {
        let Some(fact) = policy.fact(*fact_id) else {
            continue;
        };
        let current = match read(policy, *fact_id, facts, true) {
            Read::Atom(atom, value) => {
                if allowed.contains(atom) {
                    continue;
                }
                value.unwrap_or(Value::Null)
            }
            Read::Unknown(_) => current_value(facts, &fact.path),
        };
        let Some(target) = allowed.first() else {
            continue;
        };
        let path = fact.path_string();
        let earlier = changes.iter().position(|c: &Change| c.path == path);
        match (&fact.ty, earlier) {
            // A value tested in an array: add it to (or take it from) the
            // array as it is, or as an earlier change left it.
            (FactType::Has(_, element), _) => {
                let base = earlier
                    .and_then(|i| changes.get(i))
                    .map_or(&current, |c| &c.to);
                let mut items = base.as_array().cloned().unwrap_or_default();
                if target == 1 {
                    if !items.contains(element) {
                        items.push(Value::clone(element));
                    }
                } else {
                    items.retain(|item| item != &**element);
                }
                let any_of = fact.describe_set(allowed);
                match earlier.and_then(|i| changes.get_mut(i)) {
                    Some(change) => {
                        change.to = Value::Array(items);
                        change.any_of = format!("{}, {any_of}", change.any_of);
                    }
                    None => {
                        changes.push(Change {
                            path,
                            from: current,
                            to: Value::Array(items),
                            any_of,
                        });
                        keys.push(&fact.path);
                    }
                }
            }
            _ => {
                changes.push(Change {
                    path,
                    from: current,
                    to: fact.representative(target).unwrap_or(Value::Null),
                    any_of: fact.describe_set(allowed),
                });
                keys.push(&fact.path);
            }
        }
    }
    // The facts as changed: each changed path with its new value.
    let mut changed = Value::Object(serde_json::Map::new());
    for (change, keys) in changes.iter().zip(&keys) {
        insert_at(&mut changed, keys, change.to.clone());
    }
    Some(Alternative {
        rule: rule
            .and_then(|r| policy.rule(r))
            .map(|r| r.location.clone()),
        changes,
        facts: changed,
    })
}

/// [`alternative`] for a policy that relates facts: facts that take
/// `path`, found keeping every given value that can stay, and the declared
/// facts whose values change.
fn related_alternative(
    tree: &DecisionTree,
    facts: &Value,
    rule: Option<RuleId>,
    path: &[(FactId, AtomSet)],
) -> Option<Alternative> {
    let policy = &tree.policy;
    let realized = policy.realize_near(path, Some(facts))?;
    let at = |root: &Value, keys: &[String]| {
        keys.iter()
            .try_fold(root, |node, key| node.get(key))
            .filter(|v| !v.is_null())
            .cloned()
    };
    let mut changes = Vec::new();
    let mut changed = Value::Object(serde_json::Map::new());
    let mut seen: Vec<&[String]> = Vec::new();
    for fact in policy.facts.iter().filter(|f| f.is_declared()) {
        if seen.contains(&fact.path.as_slice()) {
            continue;
        }
        seen.push(&fact.path);
        let Some(to) = at(&realized, &fact.path) else {
            continue;
        };
        let from = at(facts, &fact.path).unwrap_or(Value::Null);
        if from == to {
            continue;
        }
        // What the path asks of it, in words, where the path tests it.
        let any_of = path
            .iter()
            .filter(|(id, _)| policy.fact(*id).is_some_and(|f| f.path == fact.path))
            .filter_map(|(id, set)| Some(policy.fact(*id)?.describe_set(set)))
            .collect::<Vec<_>>()
            .join(", ");
        insert_at(&mut changed, &fact.path, to.clone());
        changes.push(Change {
            path: fact.path_string(),
            from,
            to,
            any_of,
        });
    }
    Some(Alternative {
        rule: rule
            .and_then(|r| policy.rule(r))
            .map(|r| r.location.clone()),
        changes,
        facts: changed,
    })
}

/// The facts a walk read, in words, in order (without their place in a
/// text, which only the caller knows), each with the deciding rule's
/// condition on it as written, where it has one.
pub(crate) fn facts_read(
    policy: &CheckedPolicy,
    trace: &[Step],
    rule: Option<RuleId>,
) -> Vec<FactRead> {
    // The clause that matched: the first whose conditions on the facts
    // read all hold.
    let clause = rule.and_then(|r| policy.rule(r)).and_then(|rule| {
        rule.clauses.iter().find(|clause| {
            clause.conditions.iter().all(|(fact, set)| {
                trace
                    .iter()
                    .find(|step| step.fact == *fact)
                    .map_or(set.is_full(), |step| set.contains(step.atom))
            })
        })
    });
    trace
        .iter()
        .filter_map(|step| {
            let fact = policy.fact(step.fact)?;
            let condition = clause.and_then(|clause| {
                let i = clause
                    .conditions
                    .iter()
                    .position(|(f, set)| *f == step.fact && !set.is_full())?;
                clause.texts.get(i).cloned()
            });
            Some(FactRead {
                fact: fact.name.clone(),
                path: fact.path_string(),
                value: step.value.clone().unwrap_or(Value::Null),
                matched: fact.describe_atom(step.atom),
                condition,
                at: None,
                sensitive: fact.sensitive,
            })
        })
        .collect()
}

/// A leaf deciding the wanted decision: (how many facts differ, its rule,
/// the constraints on the path to it).
type Candidate = (usize, Option<RuleId>, Vec<(FactId, AtomSet)>);

/// A depth-first search for the leaves deciding `wanted` that differ from
/// the facts in the fewest facts.
struct WhyNotSearch<'a> {
    tree: &'a DecisionTree,
    facts: &'a Value,
    wanted: &'a str,
    best: Vec<Candidate>,
    visited: usize,
}

impl WhyNotSearch<'_> {
    fn visit(&mut self, node: NodeId, path: &mut Vec<(FactId, AtomSet)>) {
        if self.visited >= MAX_LEAVES_VISITED {
            return;
        }
        let policy = &self.tree.policy;
        match self.tree.node(node) {
            None => {}
            Some(Node::Leaf(rule)) => {
                self.visited += 1;
                let decision = rule
                    .and_then(|r| policy.rule(r))
                    .map_or(policy.otherwise.as_str(), |r| r.verdict.as_str());
                if decision != self.wanted {
                    return;
                }
                let cost = path
                    .iter()
                    .filter(
                        |(fact, allowed)| match read(policy, *fact, self.facts, false) {
                            Read::Atom(atom, _) => !allowed.contains(atom),
                            Read::Unknown(_) => true,
                        },
                    )
                    .count();
                let worst = self
                    .best
                    .iter()
                    .map(|(c, _, _)| *c)
                    .max()
                    .unwrap_or(usize::MAX);
                if self.best.len() < CANDIDATES || cost < worst {
                    self.best.push((cost, *rule, path.clone()));
                    self.best.sort_by_key(|(c, _, _)| *c);
                    self.best.truncate(CANDIDATES);
                }
            }
            Some(Node::Test { fact, edges }) => {
                for (child, set) in crate::compile::edges_by_child(edges) {
                    path.push((*fact, set));
                    self.visit(child, path);
                    path.pop();
                }
            }
        }
    }
}

/// The raw JSON at `path`, `null` when absent.
fn current_value(facts: &Value, path: &[String]) -> Value {
    let mut node = facts;
    for key in path {
        match node.get(key) {
            Some(next) => node = next,
            None => return Value::Null,
        }
    }
    node.clone()
}
