//! Hover: what a word names, in Markdown: a fact's declaration (type, path,
//! doc), the fact a bare value belongs to, an outcome's text, a named set's
//! values, a rule, a policy, or what a keyword means.

use std::ops::Range;

use super::index::{Index, Symbol};
use super::lex;
use crate::source::SourceFile;

/// What hovering over a word shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hover {
    /// The word hovered, in the file's text.
    pub range: Range<usize>,
    /// What it is, in Markdown.
    pub markdown: String,
}

/// The keywords of policy files, with what each means.
const POLICY_KEYWORDS: &[(&str, &str)] = &[
    ("policy", "`policy NAME \"doc\"` opens a policy file; files with the same name are one policy."),
    ("otherwise", "`otherwise DECISION \"reason\"`: the decision when no rule applies."),
    ("first", "`first match`: the first rule that applies decides, in file order."),
    ("match", "`first match`: the first rule that applies decides, in file order."),
    ("strict", "`strict facts`: facts may hold no key the policy does not declare."),
    ("facts", "`strict facts`: facts may hold no key the policy does not declare."),
    ("priority", "`priority deny > allow`: where rules with different decisions both apply, the first listed wins."),
    ("fact", "`fact NAME: TYPE at PATH`: a fact the rules read, from a JSON path of the facts."),
    ("at", "`at PATH`: the JSON path a fact is read from."),
    ("optional", "`optional`: the fact may be missing; rules then read it as absent."),
    ("default", "`default VALUE`: the value taken when the fact is missing (`default now`: the evaluation time)."),
    ("sensitive", "`sensitive`: the fact's value is kept out of decision logs."),
    ("outcome", "`outcome NAME \"text\"`: a decision other than allow and deny, written `-> NAME`."),
    ("set", "`set NAME = {...}`: a named set of values, for `in NAME`; `set of TYPE`: a fact that is a JSON array."),
    ("when", "`when CONDITIONS { ... }`: the conditions hold for every rule in the block."),
    ("can", "`can`: the rule allows."),
    ("cannot", "`cannot`: the rule denies."),
    ("because", "`because \"...\"`: the reason given with the rule's decision."),
    ("see", "`see \"...\"`: a reference given with the rule's decision."),
    ("not", "`not CONDITION`: the condition does not hold."),
    ("and", "`and` opens a line that goes on with the conditions of the line before."),
    ("or", "`(A or B)`: one of the alternatives holds."),
    ("in", "`FACT in {...}` or `FACT in SET`: the fact is one of the values."),
    ("has", "`FACT has VALUE`, `has any of`, `has all of`, `has none of`: what a `set of` fact's array holds."),
    ("any", "`has any of {...}`: the array holds at least one of the values."),
    ("all", "`has all of {...}`: the array holds every one of the values."),
    ("none", "`none`: no decision; in `has none of {...}`, the array holds none of the values."),
    ("of", "part of `set of`, `has any of`, `time of day of`, `weekday of`, `within ... of`."),
    ("within", "`A within 2 hours of B`: two times at most that far apart."),
    ("starts", "`FACT starts with \"text\"`: a string fact's start."),
    ("ends", "`FACT ends with \"text\"`: a string fact's end."),
    ("with", "`starts with`, `ends with`."),
    ("before", "`A before B`: an earlier time (the same as `<`)."),
    ("after", "`A after B`: a later time (the same as `>`)."),
    ("bool", "the type `bool`: JSON `true` or `false`; a rule names a bool fact alone, or `not` it."),
    ("number", "the type `number`: a JSON number, compared with `=`, `!=`, `<`, `<=`, `>`, `>=`."),
    ("string", "the type `string`: a JSON string, compared with `=`, `in`, `starts with`, `ends with`."),
    ("date", "the type `date`: `\"2026-12-01\"` in the facts."),
    ("datetime", "the type `datetime`: `\"2026-12-01T10:30:00Z\"` in the facts, with an offset."),
    ("duration", "the type `duration`: `\"P14D\"`, `\"PT2H\"` in the facts; `14 days` in a policy."),
    ("time", "`time of day of FACT in \"Zone\"`: the local time of day of a date-time."),
    ("day", "`time of day of FACT in \"Zone\"`: the local time of day of a date-time."),
    ("weekday", "`weekday of FACT in \"Zone\"`: the local weekday of a date-time."),
    ("now", "`default now`: the evaluation time."),
    ("true", "the bool value `true`."),
    ("false", "the bool value `false`."),
    ("allow", "the decision `allow` (`can`; `-> allow`)."),
    ("deny", "the decision `deny` (`cannot`; `-> deny`)."),
];

/// The keywords of test files.
const TEST_KEYWORDS: &[(&str, &str)] = &[
    ("test", "`test \"name\"` opens a test."),
    (
        "policy",
        "`policy NAME`: the policy the test decides with (needed when the set has several).",
    ),
    (
        "facts",
        "`facts {...}`: the JSON facts the test decides for.",
    ),
    (
        "now",
        "`now TIME`: the evaluation time the test decides at.",
    ),
    (
        "expect",
        "`expect DECISION [rule RULE]` or `expect error CODE`: what the test expects.",
    ),
    (
        "rule",
        "`rule NAME` or `rule file:line`: the rule expected to decide.",
    ),
    (
        "error",
        "`expect error CODE`: the facts are expected to be refused with this code.",
    ),
    ("allow", "the decision `allow`."),
    ("deny", "the decision `deny`."),
    ("none", "no decision (`otherwise none`)."),
];

/// Whether `word` is a keyword of its kind of file, for highlighting.
pub fn is_keyword(word: &str, tests: bool) -> bool {
    keyword_meaning(word, tests).is_some()
}

fn keyword_meaning(word: &str, tests: bool) -> Option<&'static str> {
    let table = if tests {
        TEST_KEYWORDS
    } else {
        POLICY_KEYWORDS
    };
    table.iter().find(|(k, _)| *k == word).map(|(_, m)| *m)
}

/// The hover at `offset` of `source`.
pub fn hover(index: &Index, source: &SourceFile, offset: usize) -> Option<Hover> {
    let tests = source.name.ends_with(".tests");
    let found = index.at(&source.name, offset);
    if let Some(first) = found.first() {
        let parts: Vec<String> = found
            .iter()
            .filter_map(|o| describe(index, &o.symbol))
            .collect();
        if !parts.is_empty() {
            return Some(Hover {
                range: first.range.clone(),
                markdown: parts.join("\n\n---\n\n"),
            });
        }
    }
    if lex::in_comment_or_string(&source.text, offset) {
        return None;
    }
    let range = lex::word_at(&source.text, offset)?;
    let word = source.text.get(range.clone())?;
    let meaning = keyword_meaning(word, tests)?;
    Some(Hover {
        range,
        markdown: format!("**{word}** (keyword): {meaning}"),
    })
}

fn block(text: &str) -> String {
    format!("```verdict\n{}\n```", text.trim_end())
}

fn describe(index: &Index, symbol: &Symbol) -> Option<String> {
    match symbol {
        Symbol::Policy(name) => {
            let decls = index.policies.get(name)?;
            let count = |n: usize, noun: &str| match n {
                1 => format!("1 {noun}"),
                n => format!("{n} {noun}s"),
            };
            let mut text = format!(
                "**policy {name}**: {}, {}",
                count(decls.facts.len(), "fact"),
                count(decls.outcomes.len(), "outcome"),
            );
            if let Some(doc) = &decls.doc {
                text.push_str(&format!("\n\n{doc}"));
            }
            Some(text)
        }
        Symbol::Fact { policy, name } => {
            let fact = index.policies.get(policy)?.facts.get(name)?;
            let mut text = format!(
                "**fact {name}**: {}, read from `{}`\n\n{}",
                fact.kind,
                fact.path,
                block(&fact.text)
            );
            if let Some(doc) = &fact.doc {
                text.push_str(&format!("\n\n{doc}"));
            }
            Some(text)
        }
        Symbol::Value {
            policy,
            fact,
            value,
        } => {
            let decl = index.policies.get(policy)?.facts.get(fact)?;
            let mut text = format!(
                "**{value}**: a value of the fact `{fact}`, read from `{}`\n\n{}",
                decl.path,
                block(&decl.text)
            );
            if let Some(doc) = &decl.doc {
                text.push_str(&format!("\n\n{doc}"));
            }
            Some(text)
        }
        Symbol::Outcome { policy, name } => {
            let outcome = index.policies.get(policy)?.outcomes.get(name)?;
            let mut text = format!("**outcome {name}**\n\n{}", block(&outcome.text));
            if let Some(doc) = &outcome.doc {
                text.push_str(&format!("\n\n{doc}"));
            }
            Some(text)
        }
        Symbol::Set { policy, name } => {
            let set = index.policies.get(policy)?.sets.get(name)?;
            let mut text = format!("**set {name}**\n\n{}", block(&format!("set {}", set.text)));
            if let Some(doc) = &set.doc {
                text.push_str(&format!("\n\n{doc}"));
            }
            Some(text)
        }
        Symbol::Rule { policy, name } => {
            let rule = index.policies.get(policy)?.rules.get(name)?;
            Some(format!("**rule {name}**\n\n{}", block(rule)))
        }
    }
}
