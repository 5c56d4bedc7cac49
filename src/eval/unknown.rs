//! What an unknown fact does to a decision: the decisions it leaves
//! possible, and the diagnostics that name each unknown fact a decision
//! depends on, with what it would change.

use crate::compile::DecisionTree;
use crate::diagnostics::{words, FactsError};
use crate::facts::{json_kind, Unknown};
use crate::model::{CheckedPolicy, Element, Fact, FactId, FactType, Misfit, RuleId, TimeKind};

/// What the unknown facts below a node leave possible.
#[derive(Clone, Debug, Default)]
pub(crate) struct Possible {
    /// The distinct decisions, in the order first reached.
    pub(crate) results: Vec<Option<RuleId>>,
    /// The unknown facts that decide between them, outermost first.
    pub(crate) culprits: Vec<(FactId, Unknown)>,
}

impl Possible {
    pub(crate) fn merge(&mut self, other: Possible) {
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

/// One error per unknown fact that the decision depends on.
pub(crate) fn unknown_errors(tree: &DecisionTree, possible: &Possible) -> Vec<FactsError> {
    let policy = &tree.policy;
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
            Some(unknown_error(
                policy,
                fact,
                why,
                &format!("{depending}, the decision is {outcomes}"),
            ))
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
    errors
}

/// The error for one unknown fact; `consequence` says what it changes.
pub(super) fn unknown_error(
    policy: &CheckedPolicy,
    fact: &Fact,
    why: &Unknown,
    consequence: &str,
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
