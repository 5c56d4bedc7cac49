//! Syntax errors, reworded from pest's lists of grammar rules into words a
//! policy author knows.

use miette::Diagnostic;
use thiserror::Error;

use super::Rule;
use crate::source::{SourceFile, Span};

#[derive(Clone, Debug, Error, Diagnostic)]
pub enum SyntaxError {
    #[error("expected {expected}, found {found}")]
    #[diagnostic(code(verdict::syntax))]
    Unexpected {
        expected: String,
        found: String,
        #[label("{label}")]
        span: Span,
        label: String,
        #[help]
        help: Option<String>,
    },

    #[error("number `{text}` is too large")]
    #[diagnostic(
        code(verdict::syntax::number),
        help("numbers are 64-bit floating point; write a value below 1e308")
    )]
    BadNumber {
        text: String,
        #[label("not a finite number")]
        span: Span,
    },
}

impl SyntaxError {
    /// Where the error is, as a byte offset into `file`'s text.
    pub(super) fn offset_in(&self, file: &SourceFile) -> usize {
        let span = match self {
            SyntaxError::Unexpected { span, .. } | SyntaxError::BadNumber { span, .. } => *span,
        };
        span.start.saturating_sub(file.base()) as usize
    }

    pub fn span(&self) -> Span {
        match self {
            SyntaxError::Unexpected { span, .. } | SyntaxError::BadNumber { span, .. } => *span,
        }
    }
}

/// Turns pest's error into ours: what was expected in words, and the token
/// that was found instead, labelled.
pub(super) fn from_pest(file: &SourceFile, text: &str, err: &pest::error::Error<Rule>) -> SyntaxError {
    let pos = match err.location {
        pest::error::InputLocation::Pos(pos) => pos,
        pest::error::InputLocation::Span((start, _)) => start,
    };
    let pos = pos.min(text.len());
    let rest = text.get(pos..).unwrap_or_default();
    let (found, len) = found_token(rest);

    let mut expected: Vec<&'static str> = Vec::new();
    if let pest::error::ErrorVariant::ParsingError { positives, .. } = &err.variant {
        for expected_rule in positives {
            let words = describe(*expected_rule);
            if !expected.contains(&words) {
                expected.push(words);
            }
        }
    }
    if expected.is_empty() {
        expected.push("something else");
    }
    let help = help_for(&expected, rest);
    SyntaxError::Unexpected {
        expected: join_or(&expected),
        found,
        span: file.span(pos, pos + len),
        label: String::from("unexpected here"),
        help,
    }
}

/// Names the token at the start of `rest` and its length in bytes.
fn found_token(rest: &str) -> (String, usize) {
    let Some(first) = rest.chars().next() else {
        return (String::from("the end of the file"), 0);
    };
    if first == '\n' || first == '\r' {
        return (String::from("the end of the line"), 0);
    }
    let is_word = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
    let len = if is_word(first) {
        rest.find(|c: char| !is_word(c)).unwrap_or(rest.len())
    } else {
        first.len_utf8()
    };
    let token = rest.get(..len).unwrap_or_default();
    (format!("`{token}`"), len)
}

fn describe(grammar_rule: Rule) -> &'static str {
    match grammar_rule {
        Rule::EOI => "the end of the file",
        Rule::policy_decl | Rule::kw_policy => "`policy NAME` (every policy file starts with one)",
        Rule::ident => "a name",
        Rule::word | Rule::term | Rule::negated | Rule::comparison | Rule::in_test => {
            "a condition"
        }
        Rule::value_set => "a value set such as `{Advisor Open EA}`",
        Rule::verdict | Rule::kw_can | Rule::kw_cannot | Rule::arrow => {
            "a verdict (`can`, `cannot` or `-> OUTCOME`)"
        }
        Rule::fact_type | Rule::enum_type | Rule::kw_bool | Rule::kw_number | Rule::kw_string => {
            "a type (`{value ...}`, `bool`, `number` or `string`)"
        }
        Rule::kw_at => "`at` and the JSON path the fact is read from",
        Rule::path | Rule::path_key | Rule::key => "a JSON path such as `subscription.channel`",
        Rule::fact_option | Rule::kw_optional | Rule::kw_default | Rule::default_clause => {
            "`optional` or `default VALUE`"
        }
        Rule::string | Rule::text | Rule::string_inner => "a quoted string",
        Rule::literal | Rule::set_literal | Rule::number | Rule::kw_true | Rule::kw_false => "a value",
        Rule::compare_op => "a comparison (`=`, `!=`, `<`, `<=`, `>`, `>=`)",
        Rule::kw_in => "`in`",
        Rule::kw_match => "`match` (as in `first match`)",
        Rule::because | Rule::kw_because => "`because \"...\"`",
        Rule::see | Rule::kw_see => "`see \"...\"`",
        Rule::when_block | Rule::kw_when => "a `when` block",
        Rule::rule => "a rule",
        Rule::fact_decl | Rule::kw_fact => "a fact declaration",
        Rule::outcome_decl | Rule::kw_outcome => "an outcome declaration",
        Rule::otherwise_decl | Rule::kw_otherwise => "`otherwise DECISION`",
        Rule::first_match | Rule::kw_first => "`first match`",
        Rule::kw_not => "`not`",
        Rule::file => "a policy file",
        Rule::nl => "the end of the line",
        _ => "something else",
    }
}

fn help_for(expected: &[&str], rest: &str) -> Option<String> {
    let verdict = describe(Rule::verdict);
    if expected.contains(&verdict) {
        return Some(String::from(
            "a rule needs a verdict: `can` (allow), `cannot` (deny) or `-> OUTCOME`",
        ));
    }
    if rest.starts_with('"') {
        return Some(String::from("a string cannot span lines: close it with `\"` on the same line, and continue on the next line with a new string"));
    }
    None
}

fn join_or(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}
