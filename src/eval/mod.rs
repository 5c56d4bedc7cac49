//! Evaluation: a [`DecisionTree`] walked over JSON facts. The walk reads only
//! the facts its path tests, so a decision needs only the facts that matter.
//!
//! A fact that is missing (and required) or whose value does not fit its
//! declaration is *unknown*. The walk then follows every edge of the node
//! that tests it: if all of them reach the same rule, the fact did not matter
//! and that rule decides; otherwise the evaluation fails, naming the fact.
//! This makes the result independent of the order in which the tree tests
//! facts: it is what rule-by-rule evaluation over every possible value of the
//! unknown facts would agree on.

mod explain;
mod locate;
pub(crate) use locate::label;
pub mod pick;

use std::collections::HashMap;

use serde_json::Value;

pub use crate::diagnostics::FactsError;
pub use explain::{Alternative, Change, Explanation, FactRead, RuleStatus, WhyNot};

/// The byte range of the value at `path` in facts text, if it is there.
pub fn locate(text: &str, path: &[String]) -> Option<(usize, usize)> {
    let found = locate::locate(text, path);
    (found.depth == path.len()).then_some(found.span).flatten()
}

use crate::compile::code::Code;
use crate::compile::{DecisionTree, Node, NodeId, RuleScan};
use crate::model::{Atom, CheckedPolicy, Fact, FactId, Misfit, Presence, RuleId};

/// One fact the walk read: what it found and which edge it took.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub fact: FactId,
    /// The value found, `None` when absent.
    pub value: Option<Value>,
    pub atom: Atom,
}

/// The outcome of one walk: the rule that decides (`None`: the policy's
/// `otherwise`), and the path taken when a trace was asked for.
#[derive(Clone, Debug, PartialEq)]
pub struct Walk {
    pub rule: Option<RuleId>,
    pub trace: Vec<Step>,
}

/// Why a fact is unknown.
#[derive(Clone, Debug)]
enum Unknown {
    Missing,
    /// An object on the way to the fact is something else: the keys of that object's path.
    NotObject(usize, Value),
    Misfit(Misfit, Value),
}

/// The value of a fact, read from the facts.
enum Read {
    Atom(Atom, Option<Value>),
    Unknown(Unknown),
}

impl DecisionTree {
    /// Decides for `facts`: the rule that applies, or `None` when no rule does.
    /// On failure, one error per unknown fact the decision depends on.
    pub fn evaluate(&self, facts: &Value) -> Result<Option<RuleId>, Vec<FactsError>> {
        self.walk(facts, false).map(|walk| walk.rule)
    }

    /// The decision when every fact the evaluation reads is known: the fast
    /// path, over [`code`](DecisionTree::code) or the rule scan, with
    /// `atom` reading a fact's atom (`None`: unknown). `None` when a fact
    /// it reads is unknown; the full walk then decides or says why not.
    #[inline]
    fn decide_known(&self, mut atom: impl FnMut(FactId) -> Option<Atom>) -> Option<Option<RuleId>> {
        let Some(code) = &self.code else {
            let scan = self.scan.as_ref()?;
            let mut unknown = false;
            // The scan asks for a fact once per 64 rules: read each once.
            let mut read: Vec<Option<Option<Atom>>> = vec![None; self.policy.facts.len()];
            let first = scan.first_match(
                |fact| {
                    let slot = read.get_mut(fact.0 as usize)?;
                    let value = *slot.get_or_insert_with(|| atom(fact));
                    unknown |= value.is_none();
                    value
                },
                None,
            );
            return (!unknown).then(|| first.and_then(|i| scan.rules.get(i).copied()));
        };
        let mut edge = code.root;
        loop {
            if let Some(rule) = Code::leaf(edge) {
                return Some(rule);
            }
            let (at, fact) = code.test(edge)?;
            if code.large {
                code.touch(at);
            }
            let atom = atom(FactId(fact))?;
            edge = code.next(at, atom)?;
        }
    }

    /// [`decide_known`](Self::decide_known) for a JSON object, looking each
    /// parent object up at most once.
    #[inline]
    pub(crate) fn decide_known_value(&self, facts: &Value) -> Option<Option<RuleId>> {
        /// Parents past this many are looked up each time.
        const CACHED: usize = 8;
        let access = &self.access;
        let mut parents: [Option<&serde_json::Map<String, Value>>; CACHED] = [None; CACHED];
        self.decide_known(|fact| {
            let (parent, key, hint) = access.facts.get(fact.0 as usize)?;
            let map = match parents.get_mut(*parent) {
                Some(Some(map)) => *map,
                slot => {
                    let map = parent_object(facts, access.parents.get(*parent)?)?;
                    if let Some(slot) = slot {
                        *slot = Some(map);
                    }
                    map
                }
            };
            let declared = self.policy.fact(fact)?;
            match get(map, key, *hint) {
                Some(Value::Null) | None => match (&declared.presence, declared.absent_atom()) {
                    (Presence::Default(atom), _) => Some(*atom),
                    (_, absent) => absent,
                },
                Some(value) => declared.classify(value).ok(),
            }
        })
    }

    /// [`decide_known`](Self::decide_known) for values picked out of JSON
    /// text; `slot_of` maps this policy's facts to the picked slots.
    #[inline]
    pub(crate) fn decide_known_picked(
        &self,
        picked: &[pick::Slot<'_>],
        slot_of: &[usize],
    ) -> Option<Option<RuleId>> {
        self.decide_known(|fact| {
            let slot = picked.get(*slot_of.get(fact.0 as usize)?)?;
            slot.atom(self.policy.fact(fact)?)
        })
    }

    /// Evaluation without a tree: the first rule whose conditions on the
    /// known facts hold decides, if it does not depend on an unknown fact.
    fn scan_walk<S: FactSource + ?Sized>(
        &self,
        scan: &RuleScan,
        facts: &S,
        trace: bool,
    ) -> Result<Walk, Vec<FactsError>> {
        let policy = &self.policy;
        let mut known: Vec<Option<Result<Atom, Unknown>>> = vec![None; policy.facts.len()];
        let mut steps = Vec::new();
        let mut value = |fact: FactId| -> Option<Atom> {
            let slot = known.get_mut(fact.0 as usize)?;
            if slot.is_none() {
                *slot = Some(match read(policy, fact, facts, trace) {
                    Read::Atom(atom, value) => {
                        if trace {
                            steps.push(Step { fact, value, atom });
                        }
                        Ok(atom)
                    }
                    Read::Unknown(why) => Err(why),
                });
            }
            slot.as_ref().and_then(|r| r.as_ref().ok()).copied()
        };
        let Some(first) = scan.first_match(&mut value, None) else {
            return Ok(Walk {
                rule: None,
                trace: steps,
            });
        };
        let rule = scan.rules.get(first).copied();
        // Unknown facts the rule tests partly: their value decides.
        let culprits: Vec<(FactId, Unknown)> = rule
            .and_then(|r| policy.rule(r))
            .map(|r| {
                r.conditions
                    .iter()
                    .filter(|(_, set)| !set.is_full())
                    .filter_map(|(fact, _)| match known.get(fact.0 as usize) {
                        Some(Some(Err(why))) => Some((*fact, why.clone())),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        if culprits.is_empty() {
            return Ok(Walk { rule, trace: steps });
        }
        let next = {
            let known = &known;
            let value = |fact: FactId| -> Option<Atom> {
                known
                    .get(fact.0 as usize)
                    .and_then(|k| k.as_ref())
                    .and_then(|r| r.as_ref().ok())
                    .copied()
            };
            scan.first_match(value, Some(first))
                .and_then(|i| scan.rules.get(i).copied())
        };
        let possible = Possible {
            results: vec![rule, next],
            culprits,
        };
        Err(self.unknown_errors(&possible))
    }

    /// The nodes a walk over complete facts visits, root first and the leaf
    /// last; `None` when a fact the walk needs is unknown, or when the
    /// policy has no tree.
    pub fn route(&self, facts: &Value) -> Option<Vec<NodeId>> {
        if self.scan.is_some() {
            return None;
        }
        let mut route = vec![self.root];
        let mut node = self.root;
        while let Some(Node::Test { fact, edges }) = self.node(node) {
            match read(&self.policy, *fact, facts, false) {
                Read::Atom(atom, _) => node = *edges.get(atom as usize)?,
                Read::Unknown(_) => return None,
            }
            route.push(node);
        }
        Some(route)
    }

    /// Like [`evaluate`](Self::evaluate), also recording each fact read.
    pub fn walk(&self, facts: &Value, trace: bool) -> Result<Walk, Vec<FactsError>> {
        if !facts.is_object() {
            return Err(vec![FactsError::NotObject {
                found: json_kind(facts),
                span: None,
            }]);
        }
        self.walk_source(facts, trace)
    }

    /// The walk over any source of fact values (a JSON object, or the values
    /// picked out of JSON text while it was parsed).
    pub(crate) fn walk_source<S: FactSource + ?Sized>(
        &self,
        facts: &S,
        trace: bool,
    ) -> Result<Walk, Vec<FactsError>> {
        if let Some(scan) = &self.scan {
            return self.scan_walk(scan, facts, trace);
        }
        let mut steps = Vec::new();
        let mut node = self.root;
        loop {
            match self.node(node) {
                Some(Node::Test { fact, edges }) => match read(&self.policy, *fact, facts, trace) {
                    Read::Atom(atom, value) => {
                        if trace {
                            steps.push(Step {
                                fact: *fact,
                                value,
                                atom,
                            });
                        }
                        match edges.get(atom as usize) {
                            Some(next) => node = *next,
                            // Edges cover the domain; were one missing, the
                            // slow path reports that no decision was reached.
                            None => return self.unknown_walk(node, facts, steps),
                        }
                    }
                    Read::Unknown(_) => return self.unknown_walk(node, facts, steps),
                },
                Some(Node::Leaf(rule)) => {
                    return Ok(Walk {
                        rule: *rule,
                        trace: steps,
                    })
                }
                None => break,
            }
        }
        Ok(Walk {
            rule: None,
            trace: steps,
        })
    }

    /// The slow path: some fact below `node` is unknown.
    fn unknown_walk<S: FactSource + ?Sized>(
        &self,
        node: NodeId,
        facts: &S,
        steps: Vec<Step>,
    ) -> Result<Walk, Vec<FactsError>> {
        let mut memo = HashMap::new();
        let possible = self.possible(node, facts, &mut memo);
        match possible.results.as_slice() {
            [rule] => Ok(Walk {
                rule: *rule,
                trace: steps,
            }),
            _ => Err(self.unknown_errors(&possible)),
        }
    }

    /// Every decision reachable from `node` over all values of the unknown facts.
    fn possible<S: FactSource + ?Sized>(
        &self,
        node: NodeId,
        facts: &S,
        memo: &mut HashMap<NodeId, Possible>,
    ) -> Possible {
        if let Some(known) = memo.get(&node) {
            return known.clone();
        }
        let result = match self.node(node) {
            None => Possible::default(),
            Some(Node::Leaf(rule)) => Possible {
                results: vec![*rule],
                culprits: Vec::new(),
            },
            Some(Node::Test { fact, edges }) => match read(&self.policy, *fact, facts, false) {
                Read::Atom(atom, _) => match edges.get(atom as usize) {
                    Some(next) => self.possible(*next, facts, memo),
                    None => Possible::default(),
                },
                Read::Unknown(why) => {
                    let mut all = Possible::default();
                    let mut seen: Vec<NodeId> = Vec::new();
                    for edge in edges.iter() {
                        if seen.contains(edge) {
                            continue;
                        }
                        seen.push(*edge);
                        all.merge(self.possible(*edge, facts, memo));
                    }
                    if all.results.len() > 1 {
                        all.culprits.insert(0, (*fact, why));
                    }
                    all
                }
            },
        };
        memo.insert(node, result.clone());
        result
    }

    /// One error per unknown fact that the decision depends on.
    fn unknown_errors(&self, possible: &Possible) -> Vec<FactsError> {
        let policy = &self.policy;
        if possible.culprits.is_empty() {
            // Edges cover every atom, so a walk always reaches a leaf.
            return vec![FactsError::NoDecision {
                policy: policy.name.clone(),
            }];
        }
        let outcomes = describe_outcomes(policy, &possible.results);
        let mut errors: Vec<FactsError> = possible
            .culprits
            .iter()
            .filter_map(|(fact_id, why)| {
                let fact = policy.fact(*fact_id)?;
                let others: Vec<String> = possible
                    .culprits
                    .iter()
                    .filter(|(other, _)| other != fact_id)
                    .filter_map(|(other, _)| policy.fact(*other))
                    .map(|other| format!("`{}`", other.path_string()))
                    .collect();
                let depending = if others.is_empty() {
                    String::from("depending on it")
                } else {
                    format!("depending on it and on {}", others.join(", "))
                };
                Some(unknown_error(
                    policy,
                    fact,
                    why,
                    &format!("{depending}, the decision is {outcomes}"),
                ))
            })
            .collect();
        // Facts under one value that is not an object share one error.
        let mut seen: Vec<String> = Vec::new();
        errors.retain(|error| match error {
            FactsError::WrongType {
                path,
                expected: "an object",
                ..
            } => {
                let first = !seen.contains(path);
                seen.push(path.clone());
                first
            }
            _ => true,
        });
        errors
    }
}

/// The error for one unknown fact; `consequence` says what it changes.
fn unknown_error(
    policy: &CheckedPolicy,
    fact: &Fact,
    why: &Unknown,
    consequence: &str,
) -> FactsError {
    match why {
        Unknown::Missing => FactsError::Missing {
            policy: policy.name.clone(),
            path: fact.path_string(),
            keys: fact.path.clone(),
            at: None,
            key: fact.path.last().cloned().unwrap_or_default(),
            declared: fact.span,
            fact: fact.name.clone(),
            help: format!("add it ({}): {consequence}", example_value(fact)),
        },
        Unknown::NotObject(depth, value) => {
            let keys: Vec<String> = fact.path.iter().take(*depth).cloned().collect();
            FactsError::WrongType {
                path: keys.join("."),
                keys,
                found: json_kind(value).to_string(),
                expected: "an object",
                at: None,
                declared: fact.span,
                fact: fact.name.clone(),
                help: Some(format!("`{}` is read from inside it", fact.path_string())),
            }
        }
        Unknown::Misfit(Misfit::Type { expected }, value) => FactsError::WrongType {
            path: fact.path_string(),
            keys: fact.path.clone(),
            found: json_kind(value).to_string(),
            expected,
            at: None,
            declared: fact.span,
            fact: fact.name.clone(),
            help: Some(consequence.to_string()),
        },
        Unknown::Misfit(Misfit::NotInSet, value) => {
            let full = value.as_str().unwrap_or_default();
            // A huge value is shown by its start only.
            let text = if full.chars().count() > 60 {
                format!("{}...", full.chars().take(40).collect::<String>())
            } else {
                full.to_string()
            };
            let allowed = match &fact.ty {
                crate::model::FactType::Enum(values) => values.clone(),
                _ => Vec::new(),
            };
            let help =
                crate::diagnostics::words::did_you_mean(&text, allowed.iter().map(String::as_str))
                    .unwrap_or_else(|| consequence.to_string());
            FactsError::NotInSet {
                path: fact.path_string(),
                keys: fact.path.clone(),
                value: text,
                allowed: allowed_text(&allowed),
                at: None,
                declared: fact.span,
                fact: fact.name.clone(),
                help: Some(help),
            }
        }
    }
}

/// What the unknown facts below a node leave possible.
#[derive(Clone, Debug, Default)]
struct Possible {
    /// The distinct decisions, in the order first reached.
    results: Vec<Option<RuleId>>,
    /// The unknown facts that decide between them, outermost first.
    culprits: Vec<(FactId, Unknown)>,
}

impl Possible {
    fn merge(&mut self, other: Possible) {
        for r in other.results {
            if !self.results.contains(&r) {
                self.results.push(r);
            }
        }
        for c in other.culprits {
            if !self.culprits.iter().any(|(f, _)| *f == c.0) {
                self.culprits.push(c);
            }
        }
    }
}

/// Reads one fact. Values are cloned only when a trace wants them.
/// Where the value of a fact is found.
pub(crate) enum Lookup<'a> {
    Found(&'a Value),
    Absent,
    /// A value on the way that is not an object: how many keys deep, and it.
    NotObject(usize, &'a Value),
}

/// Something that holds fact values: a JSON object, or values picked out
/// of JSON text while parsing it.
pub(crate) trait FactSource {
    fn lookup(&self, id: FactId, fact: &Fact) -> Lookup<'_>;
}

impl FactSource for Value {
    fn lookup(&self, _: FactId, fact: &Fact) -> Lookup<'_> {
        let mut node = self;
        for (depth, key) in fact.path.iter().enumerate() {
            match node {
                Value::Object(map) => match map.get(key) {
                    Some(next) => node = next,
                    None => return Lookup::Absent,
                },
                Value::Null => return Lookup::Absent,
                other => return Lookup::NotObject(depth, other),
            }
        }
        Lookup::Found(node)
    }
}

fn read<S: FactSource + ?Sized>(policy: &CheckedPolicy, id: FactId, facts: &S, keep: bool) -> Read {
    let Some(fact) = policy.fact(id) else {
        return Read::Unknown(Unknown::Missing);
    };
    let node = match facts.lookup(id, fact) {
        Lookup::Found(node) => node,
        Lookup::Absent => return absent(fact),
        Lookup::NotObject(depth, other) => {
            return Read::Unknown(Unknown::NotObject(depth, other.clone()))
        }
    };
    if node.is_null() {
        return absent(fact);
    }
    match fact.classify(node) {
        Ok(atom) => Read::Atom(atom, keep.then(|| node.clone())),
        Err(misfit) => Read::Unknown(Unknown::Misfit(misfit, node.clone())),
    }
}

/// The value of `key` in `map`: for the few keys of a facts object, a scan
/// that compares lengths first and words inline beats the B-tree's search,
/// which calls `memcmp` for every key it passes.
#[inline(always)]
fn get<'v>(map: &'v serde_json::Map<String, Value>, key: &str, hint: usize) -> Option<&'v Value> {
    // The key is usually at its hint (see `Access`): one comparison. The
    // first and the last entries are reached without stepping through.
    let at_hint = match hint {
        0 => map.iter().next(),
        _ if hint + 1 == map.len() => map.iter().next_back(),
        _ => map.iter().nth(hint),
    };
    if let Some((k, v)) = at_hint {
        if crate::model::same_bytes(k.as_bytes(), key.as_bytes()) {
            return Some(v);
        }
    }
    if map.len() > 8 {
        return map.get(key);
    }
    map.iter()
        .find(|(k, _)| crate::model::same_bytes(k.as_bytes(), key.as_bytes()))
        .map(|(_, v)| v)
}

/// Starts loading the string values of `facts` and of the objects in it
/// (the first eight of each) before a walk reads them. A walk reads one
/// fact, then the tree says which to read next, so from facts that are not
/// in the cache (a batch of prepared `Value`s) its cache misses would come
/// one after the other, each behind the last; touched first, they overlap.
/// The loads are independent of each other and of the walk: with the facts
/// in the cache they cost about nothing, from memory they halve the time.
#[inline]
pub(crate) fn touch(facts: &Value) {
    let string = |value: &Value| {
        if let Value::String(s) = value {
            std::hint::black_box(s.as_bytes().first().copied());
        }
    };
    let Value::Object(root) = facts else { return };
    for value in root.values().take(8) {
        match value {
            Value::Object(map) => map.values().take(8).for_each(string),
            other => string(other),
        }
    }
}

/// The object at `path` in `facts`; `None` when a value on the way is not
/// an object (an absent or `null` one counts as empty).
#[inline]
fn parent_object<'v>(
    facts: &'v Value,
    path: &[(String, usize)],
) -> Option<&'v serde_json::Map<String, Value>> {
    static EMPTY: std::sync::OnceLock<serde_json::Map<String, Value>> = std::sync::OnceLock::new();
    let mut node = facts;
    for (key, hint) in path {
        match node {
            Value::Object(map) => match get(map, key, *hint) {
                Some(next) => node = next,
                None => return Some(EMPTY.get_or_init(serde_json::Map::new)),
            },
            Value::Null => return Some(EMPTY.get_or_init(serde_json::Map::new)),
            _ => return None,
        }
    }
    match node {
        Value::Object(map) => Some(map),
        Value::Null => Some(EMPTY.get_or_init(serde_json::Map::new)),
        _ => None,
    }
}

fn absent(fact: &Fact) -> Read {
    match (&fact.presence, fact.absent_atom()) {
        (Presence::Default(atom), _) => Read::Atom(*atom, None),
        (_, Some(atom)) => Read::Atom(atom, None),
        _ => Read::Unknown(Unknown::Missing),
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a bool",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn allowed_text(values: &[String]) -> String {
    let quoted: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
    quoted.join(", ")
}

/// "`allow` (rule a.policy:3) or `none`"
fn describe_outcomes(policy: &CheckedPolicy, results: &[Option<RuleId>]) -> String {
    let parts: Vec<String> = results
        .iter()
        .map(|result| match result.and_then(|r| policy.rule(r)) {
            Some(rule) => format!("`{}` (rule {})", rule.verdict.as_str(), rule.location),
            None => format!("`{}` (no rule applies)", policy.otherwise.as_str()),
        })
        .collect();
    crate::diagnostics::words::join_or(&parts)
}

fn example_value(fact: &Fact) -> String {
    match &fact.ty {
        crate::model::FactType::Enum(values) => format!("one of {}", allowed_text(values)),
        crate::model::FactType::Bool => String::from("`true` or `false`"),
        crate::model::FactType::Number(_) => String::from("a number"),
        crate::model::FactType::String(_) => String::from("a string"),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use crate::compile::code::Code;
    use crate::model::insert_at;
    use crate::PolicySet;

    /// Every combination of the pack's atoms as facts: each fact a
    /// representative of one of its atoms, or absent.
    fn combinations(set: &PolicySet) -> Vec<Value> {
        let mut all = vec![Value::Object(serde_json::Map::new())];
        for fact in &set.trees()[0].policy.facts {
            let mut next = Vec::new();
            for facts in &all {
                for atom in 0..fact.atom_count() {
                    let mut facts = facts.clone();
                    if let Some(value) = fact.representative(atom) {
                        insert_at(&mut facts, &fact.path, value);
                    }
                    next.push(facts);
                }
            }
            all = next;
        }
        all
    }

    /// A tree laid out with its facts in the tests only (as when the
    /// offsets leave no room for them in the edges), and walked as a large
    /// one is, decides as the usual layout does.
    #[test]
    fn every_layout_decides_alike() {
        let set = PolicySet::builtin().unwrap();
        let tree = &set.trees()[0];
        let usual = tree.code.as_ref().unwrap();
        assert!(usual.fact_bits > 0 && !usual.large);
        let mut other = tree.clone();
        let code = Code::with_limits(&tree.nodes, tree.root, 0, 0).unwrap();
        assert!(code.fact_bits == 0 && code.large);
        other.code = Some(code);
        let combinations = combinations(&set);
        assert!(combinations.len() > 1_000, "{}", combinations.len());
        let mut decided = 0;
        for facts in &combinations {
            let fast = tree.decide_known_value(facts);
            assert_eq!(other.decide_known_value(facts), fast, "{facts}");
            if let Some(rule) = fast {
                assert_eq!(Ok(rule), tree.evaluate(facts).map_err(|_| ()), "{facts}");
                decided += 1;
            }
        }
        assert!(decided > 1_000, "{decided}");
    }
}
