//! What an unknown fact does to a decision: the decisions it leaves
//! possible, and the diagnostics that name each unknown fact a decision
//! depends on, with what it would change.

use crate::compile::DecisionTree;
use crate::diagnostics::{words, FactsError};
use serde_json::Value;

use crate::facts::{json_kind, Unknown};
use crate::model::{
    CheckedPolicy, Element, Fact, FactId, FactType, Misfit, Presence, RuleId, TimeKind,
};

/// What the unknown facts below a node leave possible.
#[derive(Clone, Debug, Default)]
pub(crate) struct Possible {
    /// The distinct decisions, in the order first reached: the first
    /// [`MAX_POSSIBLE`] of them.
    pub(crate) results: Vec<Option<RuleId>>,
    /// Whether more decisions than `results` are possible.
    pub(crate) more: bool,
    /// The unknown facts that decide between them, outermost first.
    pub(crate) culprits: Vec<(FactId, Unknown)>,
    /// Whether the walk stopped at its budget
    /// ([`MAX_UNKNOWN_TESTS`](super::walk::MAX_UNKNOWN_TESTS)), so that
    /// other facts may matter too.
    pub(crate) cut_short: bool,
}

/// How many of the decisions unknown facts leave possible a report names.
/// All facts missing can leave every rule possible: listing a thousand
/// helps nobody, and collecting them at every node of a large tree cost
/// seconds.
pub(crate) const MAX_POSSIBLE: usize = 6;

impl Possible {
    /// Whether exactly one decision is possible.
    pub(crate) fn single(&self) -> Option<Option<RuleId>> {
        match self.results.as_slice() {
            [result] if !self.more => Some(*result),
            _ => None,
        }
    }
}

/// One error per unknown fact that the decision depends on; facts missing
/// from one object share one error.
pub(crate) fn unknown_errors(
    tree: &DecisionTree,
    possible: &Possible,
    facts: &Value,
) -> Vec<FactsError> {
    let policy = &tree.policy;
    if possible.culprits.is_empty() {
        // Edges cover every atom, so a walk always reaches a leaf.
        return vec![FactsError::NoDecision {
            policy: policy.name.clone(),
        }];
    }
    let outcomes = || describe_outcomes(policy, &possible.results, possible.more);
    let mut errors: Vec<FactsError> = possible
        .culprits
        .iter()
        .filter_map(|(fact_id, why)| {
            let fact = policy.fact(*fact_id)?;
            // A part of a date-time (`weekday of request.time in ...`) is
            // unknown because the date-time is: name that one, so that one
            // bad value is one error, at its path.
            let fact = match &fact.ty {
                FactType::Local(local) => policy.fact(local.base)?,
                _ => fact,
            };
            // What its value changes, said only where a help uses it.
            let consequence = || {
                // Other paths (the values tested in one array share a path).
                let mut others: Vec<String> = Vec::new();
                for other in possible
                    .culprits
                    .iter()
                    .filter_map(|(other, _)| policy.fact(*other))
                    .filter(|other| other.path != fact.path)
                {
                    let shown = format!("`{}`", other.path_string());
                    if !others.contains(&shown) {
                        others.push(shown);
                    }
                }
                let depending = if others.is_empty() {
                    String::from("depending on it")
                } else {
                    format!("depending on it and on {}", others.join(", "))
                };
                let mut said = format!("{depending}, the decision is {}", outcomes());
                if possible.cut_short {
                    said.push_str(&format!(" ({})", cut_short_note()));
                }
                said
            };
            Some(unknown_error(policy, fact, why, &consequence))
        })
        .collect();
    // Facts under one value that is not an object, and the values tested
    // in one array, share one error.
    let mut seen: Vec<(Option<String>, String)> = Vec::new();
    errors.retain(|error| {
        let key = (
            miette::Diagnostic::code(error).map(|c| c.to_string()),
            error.path().unwrap_or_default().to_string(),
        );
        let first = !seen.contains(&key);
        seen.push(key);
        first
    });
    let mut errors = merge_missing(policy, errors, facts);
    if possible.cut_short {
        // A merged error's help is the JSON to add: say there that the
        // list may not be whole.
        for error in &mut errors {
            if let FactsError::MissingSeveral { help, .. } = error {
                help.push_str(&format!("; {}", cut_short_note()));
            }
        }
    }
    errors
}

/// What a help adds when the walk over unknown facts stopped at its bound.
fn cut_short_note() -> String {
    format!(
        "verdict looked below the first {} tests of unknown facts only, so other facts may matter too",
        words::thousands(super::walk::MAX_UNKNOWN_TESTS)
    )
}

/// Merges the errors of facts missing from one object (an empty facts
/// object, say) into one, whose help is the JSON to add; the first such
/// error's place keeps the merged one.
pub(super) fn merge_missing(
    policy: &CheckedPolicy,
    errors: Vec<FactsError>,
    facts: &Value,
) -> Vec<FactsError> {
    // Where the evaluation time was filled in before the walk.
    let now_paths: Vec<&[String]> = policy
        .facts
        .iter()
        .filter(|f| matches!(f.presence, Presence::Now))
        .map(|f| f.path.as_slice())
        .collect();
    let mut groups: Vec<(&[String], Vec<usize>)> = Vec::new();
    for (i, error) in errors.iter().enumerate() {
        if let Some(object) = missing_from(error, facts, &now_paths) {
            match groups.iter_mut().find(|(o, _)| *o == object) {
                Some((_, members)) => members.push(i),
                None => groups.push((object, vec![i])),
            }
        }
    }
    let mut merged: Vec<(usize, FactsError)> = Vec::new();
    let mut gone: Vec<usize> = Vec::new();
    for (object, members) in groups.iter().filter(|(_, m)| m.len() > 1) {
        let mut paths = Vec::new();
        let mut missing_keys: Vec<String> = Vec::new();
        let mut example = JsonExample::default();
        let mut first_keys: Vec<String> = Vec::new();
        let mut declared = None;
        // The facts in the order they are declared, not the order the
        // tree happened to test them in.
        let mut missing: Vec<(&[String], &crate::model::Fact)> = members
            .iter()
            .filter_map(|i| match errors.get(*i) {
                Some(FactsError::Missing { keys, fact, .. }) => {
                    let fact = policy.facts.iter().find(|f| f.name == *fact)?;
                    Some((keys.as_slice(), fact))
                }
                _ => None,
            })
            .collect();
        missing.sort_by_key(|(_, fact)| fact.span.start);
        for (keys, fact) in missing {
            paths.push(format!("`{}`", fact.path_string()));
            let below = keys.get(object.len()..).unwrap_or_default();
            if let Some(key) = below.first() {
                if !missing_keys.contains(key) {
                    missing_keys.push(key.clone());
                }
            }
            example.insert(below, example_json(fact));
            if declared.is_none() {
                declared = Some(fact.span);
                first_keys = keys.get(..=object.len()).unwrap_or_default().to_vec();
            }
        }
        let Some(declared) = declared else {
            continue;
        };
        let quoted: Vec<String> = missing_keys.iter().map(|k| format!("`{k}`")).collect();
        let absent = if quoted.len() == 1 {
            format!("{} is", words::join_and(&quoted))
        } else {
            format!("{} are", words::join_and(&quoted))
        };
        let place = if object.is_empty() {
            String::from("the facts")
        } else {
            format!("`{}`", object.join("."))
        };
        gone.extend(members.iter().skip(1));
        if let Some(first) = members.first() {
            merged.push((
                *first,
                FactsError::MissingSeveral {
                    policy: policy.name.clone(),
                    paths: words::join_and(&paths),
                    path: first_keys.join("."),
                    keys: first_keys,
                    at: None,
                    absent,
                    misspelt: None,
                    meant: String::new(),
                    missing_keys,
                    declared,
                    help: format!("add them to {place}: `{}`", example.entries()),
                },
            ));
        }
    }
    errors
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !gone.contains(i))
        .map(
            |(i, error)| match merged.iter().position(|(at, _)| *at == i) {
                Some(m) => merged.swap_remove(m).1,
                None => error,
            },
        )
        .collect()
}

/// The keys of the object a missing fact is missing from (a key given as
/// `null` counts as missing); `None` for other errors.
///
/// An object that holds nothing but the evaluation time filled in for a
/// `default now` fact was not sent by the caller, and counts as missing.
fn missing_from<'e>(
    error: &'e FactsError,
    facts: &Value,
    now_paths: &[&[String]],
) -> Option<&'e [String]> {
    let FactsError::Missing { keys, .. } = error else {
        return None;
    };
    let mut value = facts;
    let mut depth = 0;
    for key in keys {
        let Some(next) = value.get(key).filter(|next| !next.is_null()) else {
            break;
        };
        let here = keys.get(..=depth).unwrap_or_default();
        let only_filled = next.as_object().is_some_and(|object| {
            !object.is_empty()
                && object.keys().all(|k| {
                    now_paths.iter().any(|path| {
                        path.len() > here.len()
                            && path.starts_with(here)
                            && path.get(here.len()) == Some(k)
                    })
                })
        });
        if only_filled {
            break;
        }
        value = next;
        depth += 1;
    }
    keys.get(..depth).filter(|_| depth < keys.len())
}

/// The JSON of an example: objects keep their keys in the order added.
#[derive(Default)]
struct JsonExample(Vec<(String, JsonNode)>);

enum JsonNode {
    Value(Value),
    Object(JsonExample),
}

impl JsonExample {
    fn insert(&mut self, keys: &[String], value: Value) {
        let Some((key, rest)) = keys.split_first() else {
            return;
        };
        let at = match self.0.iter().position(|(k, _)| k == key) {
            Some(at) => at,
            None => {
                let node = if rest.is_empty() {
                    JsonNode::Value(Value::Null)
                } else {
                    JsonNode::Object(JsonExample::default())
                };
                self.0.push((key.clone(), node));
                self.0.len() - 1
            }
        };
        if let Some((_, node)) = self.0.get_mut(at) {
            match node {
                JsonNode::Object(object) if !rest.is_empty() => object.insert(rest, value),
                _ if rest.is_empty() => *node = JsonNode::Value(value),
                _ => {}
            }
        }
    }

    /// `"a": 1, "b": {"c": true}`: the entries, as they go inside braces.
    fn entries(&self) -> String {
        let entries: Vec<String> = self
            .0
            .iter()
            .map(|(key, node)| {
                let value = match node {
                    JsonNode::Value(value) => value.to_string(),
                    JsonNode::Object(object) => format!("{{{}}}", object.entries()),
                };
                format!("{}: {value}", Value::from(key.as_str()))
            })
            .collect();
        entries.join(", ")
    }
}

/// A value of `fact`'s type, as JSON, for examples.
fn example_json(fact: &Fact) -> Value {
    let element = |element: &Element| match element {
        Element::Enum(values) => values
            .first()
            .map_or(Value::Null, |v| Value::from(v.as_str())),
        Element::Number => Value::from(0),
        Element::String => Value::from(""),
    };
    match &fact.ty {
        FactType::Enum(values) => values
            .first()
            .map_or(Value::Null, |v| Value::from(v.as_str())),
        FactType::Bool => Value::from(false),
        FactType::Number(_) => Value::from(0),
        FactType::String(_) => Value::from(""),
        FactType::Set(e) | FactType::Has(e, _) => Value::Array(vec![element(e)]),
        FactType::Relation(_) => Value::Null,
        FactType::Time(kind, _) => Value::from(kind.example()),
        FactType::Local(_) => Value::from(TimeKind::DateTime.example()),
    }
}

/// The error for one unknown fact; `consequence` says what it changes.
pub(super) fn unknown_error(
    policy: &CheckedPolicy,
    fact: &Fact,
    why: &Unknown,
    consequence: &dyn Fn() -> String,
) -> FactsError {
    match why {
        // A relation is unknown because one of its facts is: name that one.
        Unknown::Of(base, why) => match policy.fact(*base) {
            Some(base) => unknown_error(policy, base, why, consequence),
            None => FactsError::NoDecision {
                policy: policy.name.clone(),
            },
        },
        Unknown::Missing => FactsError::Missing {
            policy: policy.name.clone(),
            path: fact.path_string(),
            keys: fact.path.clone(),
            at: None,
            key: fact.path.last().cloned().unwrap_or_default(),
            misspelt: None,
            declared: fact.span,
            fact: fact.name.clone(),
            help: format!("add it ({}): {}", example_value(fact), consequence()),
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
            help: Some(match retyped(fact, value) {
                Some(fix) => format!("{fix}; {}", consequence()),
                None => consequence(),
            }),
        },
        Unknown::Misfit(Misfit::NotInSet, value) => {
            let allowed = match &fact.ty {
                FactType::Enum(values)
                | FactType::Set(Element::Enum(values))
                | FactType::Has(Element::Enum(values), _) => values.clone(),
                _ => Vec::new(),
            };
            // In an array, the first item that is not a declared value.
            let full = match value {
                serde_json::Value::Array(items) => items
                    .iter()
                    .filter_map(|item| item.as_str())
                    .find(|item| !allowed.iter().any(|v| v == item))
                    .unwrap_or_default(),
                _ => value.as_str().unwrap_or_default(),
            };
            // A huge value is shown by its start only.
            let text = if full.chars().count() > 60 {
                format!("{}...", full.chars().take(40).collect::<String>())
            } else {
                full.to_string()
            };
            let help = words::did_you_mean(&text, allowed.iter().map(String::as_str))
                .unwrap_or_else(consequence);
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

/// The fix for a value of the wrong JSON type that is the right value
/// written as another type: `"true"` for `true`, `"3"` for `3`, `3` for
/// `"3"`.
fn retyped(fact: &Fact, value: &Value) -> Option<String> {
    match (&fact.ty, value) {
        (FactType::Bool, Value::String(text)) => {
            let bool = text.trim().to_ascii_lowercase();
            matches!(bool.as_str(), "true" | "false")
                .then(|| format!("write `{bool}` without quotes: a bool in JSON is not a string"))
        }
        (FactType::Number(_), Value::String(text)) => {
            let number = text.trim();
            number.parse::<f64>().is_ok_and(f64::is_finite).then(|| {
                format!("write `{number}` without quotes: a number in JSON is not a string")
            })
        }
        (FactType::Time(kind, _), Value::String(text)) => {
            kind.likely_meant(text).map(|meant| match kind {
                TimeKind::DateTime => {
                    format!(
                        "write it as `\"{meant}\"` (or with the offset it was meant in, for `Z`)"
                    )
                }
                _ => format!("write it as `\"{meant}\"`"),
            })
        }
        (FactType::String(_), Value::Number(_) | Value::Bool(_)) => Some(format!(
            "quote it, as in `\"{value}\"`: this fact's values are strings"
        )),
        (FactType::Enum(values), Value::Number(_) | Value::Bool(_))
            if values.contains(&value.to_string()) =>
        {
            Some(format!(
                "quote it, as in `\"{value}\"`: this fact's values are strings"
            ))
        }
        _ => None,
    }
}

fn allowed_text(values: &[String]) -> String {
    let quoted: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
    quoted.join(", ")
}

/// The decisions as a help lists them, "`allow` (rule a.policy:3) or
/// `none` (no rule applies)"; with `more`, the list ends in "or other
/// decisions".
fn describe_outcomes(policy: &CheckedPolicy, results: &[Option<RuleId>], more: bool) -> String {
    let mut parts: Vec<String> = results
        .iter()
        .map(|result| match result.and_then(|r| policy.rule(r)) {
            Some(rule) => format!("`{}` (rule {})", rule.verdict.as_str(), rule.location),
            None => format!("`{}` (no rule applies)", policy.otherwise.as_str()),
        })
        .collect();
    if more {
        parts.push(String::from("other decisions"));
    }
    words::join_or(&parts)
}

fn example_value(fact: &Fact) -> String {
    match &fact.ty {
        FactType::Enum(values) => format!("one of {}", allowed_text(values)),
        FactType::Bool => String::from("`true` or `false`"),
        FactType::Number(_) => String::from("a number"),
        FactType::String(_) => String::from("a string"),
        FactType::Set(element) | FactType::Has(element, _) => match element {
            Element::Enum(values) => format!("an array of {}", allowed_text(values)),
            Element::Number => String::from("an array of numbers"),
            Element::String => String::from("an array of strings"),
        },
        FactType::Relation(_) => String::from("both facts"),
        FactType::Time(kind, _) => kind.expected().to_string(),
        FactType::Local(_) => TimeKind::DateTime.expected().to_string(),
    }
}
