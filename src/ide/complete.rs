//! Completion: what may be written at the cursor, read from the words
//! before it on its line: after `->` only outcomes, after `in` and `of`
//! named sets and the fact's values, in a fact's declaration its types and
//! options, at the start of a line the items and the words rules open with,
//! and in a rule facts, values, named sets and the rule keywords.

use super::index::{Index, PolicyDecls};
use super::lex;
use crate::source::SourceFile;

/// One thing that may be written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completion {
    /// What is written.
    pub label: String,
    /// What it is.
    pub kind: CompletionKind,
    /// One line on it: a fact's type and path, the fact a value is of.
    pub detail: Option<String>,
    /// Its doc string, if it has one.
    pub documentation: Option<String>,
}

/// What a completion is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CompletionKind {
    /// A keyword, or a built-in decision.
    Keyword,
    /// A declared fact.
    Fact,
    /// A declared value.
    Value,
    /// A declared outcome.
    Outcome,
    /// A named set.
    Set,
    /// A policy's name (in a test file).
    Policy,
    /// A fact's type.
    Type,
}

/// Items a policy file's line may open with.
const ITEM_KEYWORDS: &[&str] = &[
    "policy",
    "fact",
    "outcome",
    "set",
    "when",
    "otherwise",
    "first match",
    "strict facts",
    "priority",
    "and",
    "because",
    "see",
];

/// Words a rule may go on with.
const RULE_KEYWORDS: &[&str] = &[
    "can",
    "cannot",
    "->",
    "not",
    "or",
    "in",
    "not in",
    "has",
    "has any of",
    "has all of",
    "has none of",
    "within",
    "starts with",
    "ends with",
    "before",
    "after",
    "because",
    "see",
];

/// A fact's types.
const TYPES: &[&str] = &[
    "bool",
    "number",
    "string",
    "date",
    "datetime",
    "duration",
    "set of",
    "time of day of",
    "weekday of",
];

/// What may follow a fact's path.
const FACT_OPTIONS: &[&str] = &["optional", "default", "sensitive"];

/// The completions at `offset` of `source`.
pub fn complete(index: &Index, source: &SourceFile, tests: bool, offset: usize) -> Vec<Completion> {
    let text = &source.text;
    if offset > text.len()
        || !text.is_char_boundary(offset)
        || lex::in_comment_or_string(text, offset)
    {
        return Vec::new();
    }
    let line_start = text
        .get(..offset)
        .and_then(|before| before.rfind('\n'))
        .map_or(0, |nl| nl + 1);
    // The word being typed, and the words before it.
    let word_start = lex::word_at(text, offset).map_or(offset, |w| w.start.min(offset));
    let before = text.get(line_start..word_start).unwrap_or_default();
    let words: Vec<&str> = before.split_whitespace().collect();
    if tests {
        return complete_tests(index, &words);
    }
    let policy = policy_of(index, source);
    let mut out = Vec::new();
    match words.first().copied() {
        Some("fact") => {
            complete_declaration(before, &mut out);
            return out;
        }
        Some("outcome" | "set" | "policy") => return out,
        Some("otherwise") => {
            decisions(policy, true, &mut out);
            return out;
        }
        Some("priority") => {
            decisions(policy, false, &mut out);
            return out;
        }
        _ => {}
    }
    // After `->` and the words of an outcome so far: outcomes only, or
    // the rest of those the words typed begin (`-> refund |`: `now`).
    if let Some(arrow) = before.rfind("->") {
        let after = before.get(arrow + 2..).unwrap_or_default();
        if after
            .chars()
            .all(|c| c.is_whitespace() || c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
        {
            let typed: Vec<&str> = after.split_whitespace().collect();
            if typed.is_empty() {
                decisions(policy, false, &mut out);
            } else {
                outcome_rests(policy, &typed.join("-"), &mut out);
            }
            return out;
        }
    }
    let last = words.last().copied().unwrap_or_default();
    let previous = words
        .len()
        .checked_sub(2)
        .and_then(|i| words.get(i))
        .copied();
    match (previous, last) {
        // `FACT in`, `FACT has any of`: named sets and the fact's values.
        (Some(fact), "in") | (Some(fact), "has") => {
            sets(policy, &mut out);
            values_of(policy, fact, &mut out);
            return out;
        }
        (_, "of") if words.len() >= 3 => {
            // `FACT has any of`: the word before the quantifier's.
            let fact = words
                .iter()
                .rev()
                .skip(1)
                .find(|w| !matches!(**w, "any" | "all" | "none" | "has" | "not"))
                .copied()
                .unwrap_or_default();
            sets(policy, &mut out);
            values_of(policy, fact, &mut out);
            return out;
        }
        (_, "=" | "!=") => {
            if let Some(fact) = previous {
                values_of(policy, fact, &mut out);
                facts(policy, &mut out);
                return out;
            }
        }
        (_, "because" | "see") => return out,
        _ => {}
    }
    if words.is_empty() {
        keywords(ITEM_KEYWORDS, &mut out);
    } else {
        keywords(RULE_KEYWORDS, &mut out);
    }
    facts(policy, &mut out);
    all_values(policy, &mut out);
    out
}

/// The declarations of the policy `source` belongs to.
fn policy_of<'a>(index: &'a Index, source: &SourceFile) -> Option<&'a PolicyDecls> {
    let occurrences = index.occurrences.get(&source.name)?;
    let name = occurrences.iter().find_map(|o| match &o.symbol {
        super::Symbol::Policy(name) if o.definition => Some(name),
        _ => None,
    })?;
    index.policies.get(name)
}

fn keywords(words: &[&str], out: &mut Vec<Completion>) {
    out.extend(words.iter().map(|k| Completion {
        label: (*k).to_string(),
        kind: CompletionKind::Keyword,
        detail: None,
        documentation: None,
    }));
}

/// Within `fact NAME: ...`: the types after the `:`, the options after the
/// path.
fn complete_declaration(before: &str, out: &mut Vec<Completion>) {
    let Some((_, after_colon)) = before.split_once(':') else {
        return;
    };
    let words: Vec<&str> = after_colon.split_whitespace().collect();
    match words.iter().position(|w| *w == "at") {
        None if words.is_empty() || words == ["set", "of"] => {
            out.extend(TYPES.iter().map(|t| Completion {
                label: (*t).to_string(),
                kind: CompletionKind::Type,
                detail: None,
                documentation: None,
            }));
        }
        None if !after_colon.contains('{') || after_colon.contains('}') => {
            keywords(&["at"], out);
        }
        Some(at) if words.len() > at + 1 => keywords(FACT_OPTIONS, out),
        _ => {}
    }
}

/// The decisions: `allow`, `deny` (and `none` where `otherwise` or a test
/// names it) and the outcomes.
fn decisions(policy: Option<&PolicyDecls>, none: bool, out: &mut Vec<Completion>) {
    let builtins: &[&str] = if none {
        &["allow", "deny", "none"]
    } else {
        &["allow", "deny"]
    };
    for builtin in builtins {
        out.push(Completion {
            label: builtin.to_string(),
            kind: CompletionKind::Keyword,
            detail: Some(String::from("a built-in decision")),
            documentation: None,
        });
    }
    let Some(policy) = policy else { return };
    out.extend(policy.outcomes.values().map(|o| Completion {
        label: o.name.clone(),
        kind: CompletionKind::Outcome,
        detail: Some(String::from("outcome")),
        documentation: o.doc.clone(),
    }));
}

/// The rest of each outcome whose name begins with the words typed after
/// `->` (joined by `-`, as the checker joins them).
fn outcome_rests(policy: Option<&PolicyDecls>, typed: &str, out: &mut Vec<Completion>) {
    let Some(policy) = policy else { return };
    let prefix = format!("{typed}-");
    for outcome in policy.outcomes.values() {
        if let Some(rest) = outcome.name.strip_prefix(&prefix) {
            out.push(Completion {
                label: rest.replace('-', " "),
                kind: CompletionKind::Outcome,
                detail: Some(format!("outcome {}", outcome.name)),
                documentation: outcome.doc.clone(),
            });
        }
    }
}

fn sets(policy: Option<&PolicyDecls>, out: &mut Vec<Completion>) {
    let Some(policy) = policy else { return };
    out.extend(policy.sets.values().map(|s| Completion {
        label: s.name.clone(),
        kind: CompletionKind::Set,
        detail: Some(format!("set {}", s.text)),
        documentation: s.doc.clone(),
    }));
}

fn facts(policy: Option<&PolicyDecls>, out: &mut Vec<Completion>) {
    let Some(policy) = policy else { return };
    out.extend(policy.facts.values().map(|f| Completion {
        label: f.name.clone(),
        kind: CompletionKind::Fact,
        detail: Some(format!("{} at {}", f.kind, f.path)),
        documentation: f.doc.clone(),
    }));
}

fn values_of(policy: Option<&PolicyDecls>, fact: &str, out: &mut Vec<Completion>) {
    let Some(decl) = policy.and_then(|p| p.facts.get(fact)) else {
        return;
    };
    out.extend(decl.values.iter().map(|v| Completion {
        label: v.clone(),
        kind: CompletionKind::Value,
        detail: Some(format!("a value of `{fact}`")),
        documentation: None,
    }));
}

fn all_values(policy: Option<&PolicyDecls>, out: &mut Vec<Completion>) {
    let Some(policy) = policy else { return };
    for (value, facts) in &policy.values {
        let quoted: Vec<String> = facts.iter().map(|f| format!("`{f}`")).collect();
        out.push(Completion {
            label: value.clone(),
            kind: CompletionKind::Value,
            detail: Some(format!("a value of {}", quoted.join(" and "))),
            documentation: None,
        });
    }
}

/// In a test file: decisions after `expect`, policies after `policy`,
/// otherwise the clauses of a test.
fn complete_tests(index: &Index, words: &[&str]) -> Vec<Completion> {
    let mut out = Vec::new();
    match words {
        ["expect"] => {
            let mut seen = Vec::new();
            for policy in index.policies.values() {
                for outcome in policy.outcomes.keys() {
                    if !seen.contains(outcome) {
                        seen.push(outcome.clone());
                    }
                }
            }
            decisions(None, true, &mut out);
            out.extend(seen.into_iter().map(|name| Completion {
                label: name,
                kind: CompletionKind::Outcome,
                detail: Some(String::from("outcome")),
                documentation: None,
            }));
            keywords(&["error"], &mut out);
        }
        ["policy"] => out.extend(index.policies.keys().map(|name| Completion {
            label: name.clone(),
            kind: CompletionKind::Policy,
            detail: None,
            documentation: None,
        })),
        ["expect", _, "rule"] => {
            for policy in index.policies.values() {
                out.extend(policy.rules.keys().map(|name| Completion {
                    label: name.clone(),
                    kind: CompletionKind::Keyword,
                    detail: Some(String::from("rule")),
                    documentation: None,
                }));
            }
        }
        [] => keywords(&["test", "policy", "facts", "now", "expect"], &mut out),
        [_, ..] if words.first() == Some(&"expect") => keywords(&["rule"], &mut out),
        _ => {}
    }
    out
}
