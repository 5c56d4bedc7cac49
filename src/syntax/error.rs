//! Syntax errors, reworded from pest's lists of grammar rules into words a
//! policy author knows.

use super::Rule;
use crate::diagnostics::{words, SyntaxError};
use crate::source::SourceFile;

/// Turns pest's error into ours: what was expected in words, and the token
/// that was found instead, labelled.
/// `base` is where in `text` the parse that failed started.
pub(super) fn from_pest(
    file: &SourceFile,
    text: &str,
    base: usize,
    err: &pest::error::Error<Rule>,
) -> SyntaxError {
    let pos = match err.location {
        pest::error::InputLocation::Pos(pos) => pos,
        pest::error::InputLocation::Span((start, _)) => start,
    };
    let pos = (base + pos).min(text.len());
    let rest = text.get(pos..).unwrap_or_default();
    let (found, len) = found_token(rest);

    // Say only the most telling of the expectations: pest lists every rule
    // it tried, most of which a person would never think of.
    let mut expected: Vec<(u8, &'static str)> = Vec::new();
    if let pest::error::ErrorVariant::ParsingError { positives, .. } = &err.variant {
        for expected_rule in positives {
            let described = describe(*expected_rule);
            if !expected.contains(&described) {
                expected.push(described);
            }
        }
    }
    let best = expected.iter().map(|(rank, _)| *rank).min().unwrap_or(0);
    let mut words: Vec<&str> = expected
        .iter()
        .filter(|(rank, _)| *rank == best)
        .map(|(_, words)| *words)
        .collect();
    if words.is_empty() {
        words.push("something else");
    }
    let span = file.span(pos, pos + len);
    if rest.starts_with('"')
        && !rest
            .lines()
            .next()
            .unwrap_or_default()
            .get(1..)
            .unwrap_or_default()
            .contains('"')
    {
        return SyntaxError::Unexpected {
            expected: String::from("a string closed on the same line"),
            found: String::from("an unclosed string"),
            span,
            label: String::from("this string is not closed"),
            help: Some(String::from("close it with `\"` on the same line; a long text continues on the next line with a new string")),
            unclosed: None,
        };
    }
    let before = text.get(..pos).unwrap_or_default();
    let line_before = before.rsplit('\n').next().unwrap_or_default();
    let open_paren = unclosed_paren(line_before).map(|at| before.len() - line_before.len() + at);
    // A verdict inside a group: pest tried it as a fact's name.
    let verdict_inside = open_paren.and_then(|at| {
        // Up to the end of the token found, which may be the verdict.
        let end = if rest.starts_with("->") {
            pos + 2
        } else {
            pos + len
        };
        let inside = text.get(at..end)?;
        let mut offset = 0;
        for word in inside.split(' ') {
            let bare = word.trim_matches(|c: char| c == '(' || c == ')' || c.is_whitespace());
            if matches!(bare, "can" | "cannot" | "->") {
                let start = at + offset + word.find(bare)?;
                return Some((bare, start));
            }
            offset += word.len() + 1;
        }
        None
    });
    if let (Some((verdict, start)), Some(at)) = (verdict_inside, open_paren) {
        // Without a `)` after it on the line, the group was never closed.
        let closed_later = text
            .get(start..)
            .and_then(|after| after.lines().next())
            .is_some_and(|line| line.contains(')'));
        return SyntaxError::Unexpected {
            expected: String::from("a condition"),
            found: format!("`{verdict}`"),
            span: file.span(start, start + verdict.len()),
            label: String::from("a verdict inside a group"),
            help: Some(String::from(if closed_later {
                "a group holds conditions only: put the verdict after the `)`, as in `(A or B) can`"
            } else {
                "close the group before the verdict, as in `(A or B) can`"
            })),
            unclosed: (!closed_later).then(|| file.span(at, at + 1)),
        };
    }
    if open_paren.is_some() && rest.starts_with(')') {
        return SyntaxError::Unexpected {
            expected: words::join_or(&words),
            found,
            span,
            label: String::from("unexpected here"),
            help: Some(String::from(
                "each alternative of a group has at least one condition: `(A or B C)`",
            )),
            unclosed: None,
        };
    }
    if let Some(at) = open_paren.filter(|_| !words.contains(&describe(Rule::rbrace).1)) {
        return SyntaxError::Unexpected {
            expected: String::from("`)`, `or` or another condition"),
            found,
            span,
            label: String::from("unexpected here"),
            help: Some(String::from(
                "a group is alternatives in parentheses on one line, `(A B or C)`: close it with `)`",
            )),
            unclosed: Some(file.span(at, at + 1)),
        };
    }
    if open_paren.is_none() && last_word(line_before) == Some("or") {
        let end = before.trim_end().len();
        return SyntaxError::Unexpected {
            expected: String::from("a condition or a verdict"),
            found: String::from("`or`"),
            span: file.span(end.saturating_sub(2), end),
            label: String::from("outside a group"),
            help: Some(String::from(
                "`or` joins the alternatives of a group, in parentheses: `(A or B)`; conditions outside one all hold",
            )),
            unclosed: None,
        };
    }
    // After a declaration's name only its optional description may follow:
    // pest names the string and not the end of the line it would also take.
    // After `policy NAME` only its optional description may follow: pest
    // names the string and not the end of the line it would also take.
    // (Other declarations fail as items on their own, in `recover`, whose
    // help for what follows them is per declaration.)
    let policy_line = line_before.split_whitespace().next() == Some("policy");
    if policy_line && words == [describe(Rule::string).1] {
        return SyntaxError::Unexpected {
            expected: String::from("a quoted description or the end of the line"),
            found,
            span,
            label: String::from("unexpected here"),
            help: Some(String::from(
                "a name is one word, and only a quoted description may follow the declaration, as in `policy doors \"who may open which door\"`",
            )),
            unclosed: None,
        };
    }
    let fallback = format!("write {} here", words::join_or(&words));
    // The last word of a rule without a verdict may be the outcome it
    // meant to decide, without its arrow.
    let outcome_without_arrow = last_word(line_before)
        .filter(|_| rest.starts_with(['\n', '\r']) || rest.is_empty())
        .filter(|word| {
            text.lines().any(|line| {
                let mut tokens = line.split_whitespace();
                tokens.next() == Some("outcome") && tokens.next() == Some(*word)
            })
        });
    let help = if let Some(outcome) = outcome_without_arrow {
        Some(format!(
            "`{outcome}` is an outcome: a rule decides it with an arrow, `-> {outcome}`"
        ))
    } else if words.contains(&describe(Rule::verdict).1) {
        Some(String::from(
            "a rule needs a verdict: `can` (allow), `cannot` (deny) or `-> OUTCOME`",
        ))
    } else if words.contains(&describe(Rule::rbrace).1) {
        Some(String::from(
            "every `{` of a `when` block or a value set needs its `}`",
        ))
    } else if words.contains(&describe(Rule::policy_decl).1) {
        Some(String::from(
            "start the file with `policy NAME`: only blank lines and comments come before it",
        ))
    } else {
        Some(fallback)
    };
    let unclosed = if words.contains(&describe(Rule::rbrace).1) {
        unclosed_brace(text.get(..pos).unwrap_or_default()).map(|at| file.span(at, at + 1))
    } else {
        None
    };
    SyntaxError::Unexpected {
        expected: words::join_or(&words),
        found,
        span,
        label: String::from("unexpected here"),
        help,
        unclosed,
    }
}

/// The offset of the innermost `{` that no `}` closes by the end of `text`,
/// skipping strings and comments.
fn unclosed_brace(text: &str) -> Option<usize> {
    let mut open = Vec::new();
    let mut in_string = false;
    let mut in_comment = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match c {
            '\n' => {
                in_string = false;
                in_comment = false;
            }
            _ if in_comment => {}
            '\\' if in_string => {
                escaped = !escaped;
                continue;
            }
            '"' if !escaped => in_string = !in_string,
            '#' if !in_string => in_comment = true,
            '{' if !in_string => open.push(i),
            '}' if !in_string => {
                open.pop();
            }
            _ => {}
        }
        escaped = false;
    }
    open.pop()
}

/// The offset in `line` of the innermost `(` that no `)` closes by its
/// end, skipping strings and a comment.
fn unclosed_paren(line: &str) -> Option<usize> {
    let mut open = Vec::new();
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match c {
            '\\' if in_string => {
                escaped = !escaped;
                continue;
            }
            '"' if !escaped => in_string = !in_string,
            '#' if !in_string => break,
            '(' if !in_string => open.push(i),
            ')' if !in_string => {
                open.pop();
            }
            _ => {}
        }
        escaped = false;
    }
    open.pop()
}

/// The last word of `line`, if it ends with one (and blanks).
fn last_word(line: &str) -> Option<&str> {
    line.trim_end().rsplit(|c: char| c.is_whitespace()).next()
}

/// Names the token at the start of `rest` and its length in bytes.
pub(super) fn found_token(rest: &str) -> (String, usize) {
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
    (format!("`{}`", shorten(token)), len)
}

/// At most 24 characters of user text in a message.
pub(super) fn shorten(text: &str) -> String {
    if text.chars().count() <= 24 {
        return text.to_string();
    }
    let head: String = text.chars().take(20).collect();
    format!("{head}...")
}

/// What a grammar rule is in words, and how telling it is (0 most).
fn describe(grammar_rule: Rule) -> (u8, &'static str) {
    match grammar_rule {
        Rule::rbrace => (0, "`}`"),
        Rule::lbrace => (0, "`{`"),
        Rule::rparen => (0, "`)`"),
        Rule::lparen => (1, "`(`"),
        Rule::kw_or => (1, "`or` and another alternative"),
        Rule::colon => (0, "`:` and the fact's type"),
        Rule::verdict | Rule::kw_can | Rule::kw_cannot | Rule::arrow => {
            (0, "a verdict (`can`, `cannot` or `-> OUTCOME`)")
        }
        Rule::string | Rule::text | Rule::string_inner => (0, "a quoted string"),
        Rule::policy_decl | Rule::kw_policy => {
            (0, "`policy NAME` (every policy file starts with one)")
        }
        Rule::fact_type
        | Rule::enum_type
        | Rule::kw_bool
        | Rule::kw_number
        | Rule::kw_string
        | Rule::kw_date
        | Rule::kw_datetime
        | Rule::kw_duration
        | Rule::local_type
        | Rule::time_of_day
        | Rule::kw_weekday => (
            0,
            "a type (`{value ...}`, `bool`, `number`, `string`, `date`, `datetime` or `duration`)",
        ),
        Rule::kw_of => (0, "`of`"),
        Rule::duration | Rule::time_unit => (1, "a duration such as `14 days`"),
        Rule::offset | Rule::plus | Rule::minus => (2, "`+ DURATION` or `- DURATION`"),
        Rule::kw_at => (0, "`at` and the JSON path the fact is read from"),
        Rule::path | Rule::path_key | Rule::key => {
            (0, "a JSON path such as `subscription.channel`")
        }
        Rule::kw_match => (0, "`match` (as in `first match`)"),
        Rule::ident => (1, "a name"),
        Rule::literal
        | Rule::set_literal
        | Rule::number
        | Rule::kw_true
        | Rule::kw_false
        | Rule::date
        | Rule::datetime
        | Rule::clock => (1, "a value"),
        Rule::word
        | Rule::term
        | Rule::negated
        | Rule::comparison
        | Rule::within_test
        | Rule::in_test
        | Rule::group
        | Rule::alternative
        | Rule::value_set
        | Rule::set_open => (1, "a condition"),
        Rule::EOI => (2, "the end of the file"),
        Rule::nl => (2, "the end of the line"),
        Rule::fact_option
        | Rule::kw_optional
        | Rule::kw_default
        | Rule::default_clause
        | Rule::kw_sensitive => (2, "`optional`, `default VALUE` or `sensitive`"),
        Rule::compare_op | Rule::kw_before | Rule::kw_after => (
            2,
            "a comparison (`=`, `!=`, `<`, `<=`, `>`, `>=`, `before`, `after`)",
        ),
        // What may follow a fact's name in a test.
        Rule::test_opener => (
            2,
            "a comparison (`=`, `!=`, `<`, `<=`, `>`, `>=`, `before`, `after`), `not`, `in`, `has`, `starts with`, `ends with` or `within`",
        ),
        Rule::item_opener => (3, "a declaration"),
        Rule::kw_in => (2, "`in`"),
        Rule::because | Rule::kw_because => (2, "`because \"...\"`"),
        Rule::see | Rule::kw_see => (2, "`see \"...\"`"),
        Rule::when_block | Rule::kw_when => (2, "a `when` block"),
        Rule::rule => (2, "a rule"),
        Rule::fact_decl | Rule::kw_fact => (2, "a fact declaration"),
        Rule::outcome_decl | Rule::kw_outcome => (2, "an outcome declaration"),
        Rule::otherwise_decl | Rule::kw_otherwise => (2, "`otherwise DECISION`"),
        Rule::first_match | Rule::kw_first => (2, "`first match`"),
        Rule::set_decl | Rule::kw_set => (2, "a set declaration"),
        Rule::eq => (0, "`=` and the set's values"),
        Rule::set_name => (1, "a value set or a set's name"),
        Rule::priority_decl | Rule::kw_priority => (2, "`priority DECISION > DECISION`"),
        Rule::gt => (0, "`>` and the next decision"),
        Rule::kw_not => (2, "`not`"),
        _ => (3, "something else"),
    }
}
