//! Parsing test files (`*.tests`, grammar in `grammar/tests.pest`): each
//! test's name, policy, facts (as JSON) and expectation, with its spans, and
//! pest's failures reworded for people.

use pest::Parser as _;
use serde_json::Value;

use crate::ast::{Expect, TestCase};
use crate::diagnostics::{words, SuiteError};
use crate::source::{SourceFile, SourceMap, Span};

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/tests.pest"]
struct TestsParser;

/// The first `{` nested deeper than a facts document may be
/// ([`Limits::MAX_FACTS_DEPTH`](crate::limits::Limits::MAX_FACTS_DEPTH)), outside
/// strings and comments, as an error. The grammar matches a JSON object by
/// recursing once per level: this bounds the recursion before parsing.
fn too_deep(file: &SourceFile) -> Option<SuiteError> {
    let text = file.text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(&byte) = text.get(i) {
        match byte {
            b'"' => i = super::string_end(text, i),
            b'#' if depth == 0 => {
                while text.get(i).is_some_and(|b| *b != b'\n') {
                    i += 1;
                }
                continue;
            }
            b'{' => {
                depth += 1;
                if depth > crate::limits::Limits::MAX_FACTS_DEPTH {
                    return Some(SuiteError::Syntax {
                        expected: format!(
                            "facts nested at most {} levels deep",
                            crate::limits::Limits::MAX_FACTS_DEPTH
                        ),
                        found: String::from("a deeper `{`"),
                        span: file.span(i, i + 1),
                    });
                }
            }
            b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

/// Parses one test file; `sources` holds it, for the tests' locations.
pub fn parse_tests(
    sources: &SourceMap,
    file: &SourceFile,
) -> Result<Vec<TestCase>, Vec<SuiteError>> {
    if let Some(error) = too_deep(file) {
        return Err(vec![error]);
    }
    let pairs = TestsParser::parse(Rule::tests_file, &file.text).map_err(|err| {
        let pos = match err.location {
            pest::error::InputLocation::Pos(pos) => pos,
            pest::error::InputLocation::Span((start, _)) => start,
        };
        let rest = file.text.get(pos..).unwrap_or_default();
        let found = match rest.chars().next() {
            None => String::from("the end of the file"),
            Some('\n' | '\r') => String::from("the end of the line"),
            Some(_) => {
                let token: String = rest
                    .chars()
                    .take_while(|c| !c.is_whitespace())
                    .take(24)
                    .collect();
                format!("`{token}`")
            }
        };
        let expected = match &err.variant {
            pest::error::ErrorVariant::ParsingError { positives, .. } => describe(positives),
            pest::error::ErrorVariant::CustomError { message } => message.clone(),
        };
        let len = match rest.find(char::is_whitespace) {
            Some(0) | None => rest.chars().next().map_or(0, char::len_utf8),
            Some(end) => end,
        };
        vec![SuiteError::Syntax {
            expected,
            found,
            span: file.span(pos, pos + len),
        }]
    })?;
    let mut tests = Vec::new();
    let mut errors = Vec::new();
    for pair in pairs.flatten().filter(|p| p.as_rule() == Rule::test) {
        match test_case(sources, file, pair) {
            Ok(test) => tests.push(test),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if errors.is_empty() {
        Ok(tests)
    } else {
        Err(errors)
    }
}

fn describe(positives: &[Rule]) -> String {
    let mut words: Vec<&str> = positives
        .iter()
        .map(|rule| match rule {
            Rule::kw_test | Rule::test => "`test \"NAME\"`",
            Rule::string | Rule::string_inner => "a quoted name",
            Rule::kw_facts | Rule::facts_clause => "`facts {...}`",
            Rule::kw_now | Rule::now_clause | Rule::instant => "`now TIME`",
            Rule::json_object => "a JSON object",
            Rule::kw_expect | Rule::expect_clause => "`expect ...`",
            Rule::kw_policy | Rule::policy_clause => "`policy NAME`",
            Rule::ident | Rule::expect_decision => "a decision",
            Rule::kw_error | Rule::expect_error => "`error CODE`",
            Rule::code => "a diagnostic code such as `verdict::facts::missing`",
            Rule::kw_rule => "`rule FILE:LINE` or `rule NAME`",
            Rule::location | Rule::rule_name => {
                "a rule's location such as `channels.policy:6`, or its name"
            }
            Rule::EOI => "the end of the file",
            _ => "something else",
        })
        .collect();
    words.dedup();
    if words.is_empty() {
        words.push("something else");
    }
    words::join_or(&words)
}

fn test_case(
    sources: &SourceMap,
    file: &SourceFile,
    pair: pest::iterators::Pair<'_, Rule>,
) -> Result<TestCase, Vec<SuiteError>> {
    let pest_span = pair.as_span();
    let mut name = String::new();
    let mut span = file.span(pest_span.start(), pest_span.end());
    let mut policy: Option<(String, Span)> = None;
    let mut facts: Option<(Result<Value, String>, Span)> = None;
    let mut expect: Option<(Expect, Span)> = None;
    let mut now: Option<(jiff::Timestamp, Span)> = None;
    // Where the expected decision (or code) and rule are written.
    let mut expect_value_span = None;
    let mut expect_rule_span = None;
    let mut errors = Vec::new();
    let to_span =
        |p: &pest::iterators::Pair<'_, Rule>| file.span(p.as_span().start(), p.as_span().end());
    for child in pair.into_inner() {
        let child_span = to_span(&child);
        match child.as_rule() {
            Rule::string => {
                name = child
                    .clone()
                    .into_inner()
                    .next()
                    .map(|inner| unescape(inner.as_str()))
                    .unwrap_or_default();
                span = span.start_only().to(child_span);
            }
            Rule::policy_clause => {
                let value = child.into_inner().find(|p| p.as_rule() == Rule::ident);
                if let Some(previous) = &policy {
                    errors.push(duplicate(&name, "policy", previous.1, child_span));
                }
                policy = value.map(|v| (v.as_str().to_string(), to_span(&v)));
            }
            Rule::facts_clause => {
                let json = child
                    .into_inner()
                    .find(|p| p.as_rule() == Rule::json_object);
                if let Some(previous) = &facts {
                    errors.push(duplicate(&name, "facts", previous.1, child_span));
                }
                if let Some(json) = json {
                    let parsed = serde_json::from_str::<Value>(json.as_str())
                        .map_err(|e| words::json_error(&e));
                    facts = Some((parsed, child_span));
                }
            }
            Rule::now_clause => {
                if let Some(previous) = &now {
                    errors.push(duplicate(&name, "now", previous.1, child_span));
                }
                let instant = child.into_inner().find(|p| p.as_rule() == Rule::instant);
                if let Some(instant) = instant {
                    match instant.as_str().parse::<jiff::Timestamp>() {
                        Ok(at) => now = Some((at, child_span)),
                        Err(_) => errors.push(SuiteError::BadNow {
                            text: instant.as_str().to_string(),
                            span: to_span(&instant),
                        }),
                    }
                }
            }
            Rule::expect_clause => {
                if let Some(previous) = &expect {
                    errors.push(duplicate(&name, "expect", previous.1, child_span));
                }
                let inner = child
                    .into_inner()
                    .find(|p| matches!(p.as_rule(), Rule::expect_error | Rule::expect_decision));
                let parsed = inner.map(|inner| match inner.as_rule() {
                    Rule::expect_error => {
                        let code = inner.into_inner().find(|p| p.as_rule() == Rule::code);
                        expect_value_span = code.as_ref().map(&to_span);
                        Expect::Error {
                            code: code.map(|p| p.as_str().to_string()).unwrap_or_default(),
                        }
                    }
                    _ => {
                        let mut decision = String::new();
                        let mut rule = None;
                        for part in inner.into_inner() {
                            match part.as_rule() {
                                Rule::ident => {
                                    expect_value_span = Some(to_span(&part));
                                    decision = part.as_str().to_string();
                                }
                                Rule::location | Rule::rule_name => {
                                    expect_rule_span = Some(to_span(&part));
                                    rule = Some(part.as_str().to_string());
                                }
                                _ => {}
                            }
                        }
                        Expect::Decision { decision, rule }
                    }
                });
                if let Some(parsed) = parsed {
                    expect = Some((parsed, child_span));
                }
            }
            _ => {}
        }
    }
    let location = sources.location(span);
    let Some((facts, facts_span)) = facts else {
        errors.push(SuiteError::Incomplete {
            name,
            clause: "facts",
            span,
            help: "add a line `facts {...}` with the facts as a JSON object",
        });
        return Err(errors);
    };
    let Some((expect, expect_span)) = expect else {
        errors.push(SuiteError::Incomplete {
            name,
            clause: "expect",
            span,
            help: "add a line `expect DECISION` or `expect error CODE`",
        });
        return Err(errors);
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(TestCase {
        name,
        span,
        location,
        policy,
        facts,
        facts_span,
        now: now.map(|(at, _)| at),
        expect,
        expect_span,
        expect_value_span: expect_value_span.unwrap_or(expect_span),
        expect_rule_span,
    })
}

fn duplicate(name: &str, clause: &'static str, first: Span, again: Span) -> SuiteError {
    SuiteError::DuplicateClause {
        name: name.to_string(),
        clause,
        first,
        again,
    }
}

fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match (c, c == '\\') {
            (_, true) => match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => {}
            },
            (c, false) => out.push(c),
        }
    }
    out
}
