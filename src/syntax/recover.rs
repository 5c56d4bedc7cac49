//! Error recovery: when a file does not parse, find the items that do not,
//! one at a time, and say for each what was likely meant.
//!
//! The file is walked item by item: a declaration, a rule with its
//! clauses, a `when` block's header, a `}`. Each is parsed on its own with
//! its grammar rule, so a mistake is reported once, in the item it is in,
//! and the walk goes on after that item: a typo inside a `when` block is
//! not also reported as a block that never closes. For an item that does
//! not parse, likely repairs are tried (a keyword's typo, `==` for `=`, a
//! missing `:`, a single-quoted string); the first one that makes the item
//! parse names the mistake and becomes its help.

use pest::Parser as _;

use super::{error, PolicyParser, Rule};
use crate::diagnostics::SyntaxError;
use crate::source::SourceFile;

/// Every item of `text` that does not parse, at most `max`. Empty when
/// every item parses on its own (the trouble is then elsewhere, and the
/// caller reports pest's own error). A file without its `policy` line gives
/// that one error.
pub(super) fn item_errors(file: &SourceFile, text: &str, max: usize) -> Vec<SyntaxError> {
    let mut walk = Walk {
        file,
        text,
        errors: Vec::new(),
        open: Vec::new(),
    };
    let mut at = skip_blank(text, 0);
    let mut first = true;
    while at < text.len() && walk.errors.len() < max {
        let next = walk.item(at, first);
        first = false;
        let Some(next) = next else {
            // Nothing sensible follows a file without its header.
            return walk.errors;
        };
        at = skip_blank(text, next.max(at + 1));
    }
    if walk.errors.len() < max {
        if let Some(&brace) = walk.open.last() {
            walk.errors.push(SyntaxError::Unexpected {
                expected: String::from("`}`"),
                found: String::from("the end of the file"),
                span: file.span(brace, brace + 1),
                label: String::from("this `{` is never closed"),
                help: Some(String::from(
                    "close the `when` block with a `}` on the line after its last rule",
                )),
                unclosed: None,
            });
        }
    }
    walk.errors
}

struct Walk<'a> {
    file: &'a SourceFile,
    text: &'a str,
    errors: Vec<SyntaxError>,
    /// The `{` of each `when` block open at this point of the walk.
    open: Vec<usize>,
}

impl Walk<'_> {
    /// Reads the item at `at` and returns where the walk goes on, or `None`
    /// when it cannot go on.
    fn item(&mut self, at: usize, first: bool) -> Option<usize> {
        let text = self.text;
        let rest = text.get(at..).unwrap_or_default();
        if !first && rest.starts_with('}') {
            if self.open.pop().is_none() {
                self.errors.push(SyntaxError::Unexpected {
                    expected: String::from("a rule or a declaration"),
                    found: String::from("`}`"),
                    span: self.file.span(at, at + 1),
                    label: String::from("closes no `when` block"),
                    help: Some(String::from(
                        "every `}` closes the `{` of a `when` block: remove this one, or open its block",
                    )),
                    unclosed: None,
                });
            }
            return Some(at + 1);
        }
        if !first && first_word(rest) == "and" {
            // A rule's conditions went on past a line that ends them: a
            // clause, a declaration, a blank line or a comment.
            let end = at + 3;
            self.errors.push(SyntaxError::Unexpected {
                expected: String::from("a rule or a declaration"),
                found: String::from("`and`"),
                span: self.file.span(at, end),
                label: String::from("continues no rule's conditions"),
                help: Some(String::from(
                    "`and` goes on with the conditions of the line right above it, before the rule's verdict and its `because`: move this line up under them, or drop `and` to start a rule",
                )),
                unclosed: None,
            });
            return Some(skip_continuations(text, line_end(text, at)));
        }
        let kind = item_rule(rest, first);
        let failure = match parse_item(text, at, kind) {
            Ok(end) => match junk_after(text, end, !self.open.is_empty()) {
                None => return Some(self.parsed(at, end, kind)),
                Some(junk) => Failure {
                    at: junk,
                    pest: None,
                },
            },
            Err(failure) => failure,
        };
        if let Some((repair, end, kind)) = repairs(text, at, failure.at, first)
            .into_iter()
            .find_map(|repair| {
                let (end, kind) = repair.applies(text, at, first, !self.open.is_empty())?;
                Some((repair, end, kind))
            })
        {
            self.errors.push(repair.error(self.file));
            return Some(self.parsed(at, end, kind));
        }
        if first && kind == Rule::policy_decl {
            if let Some(err) = failure.pest {
                self.errors
                    .push(error::from_pest(self.file, text, at, &err));
            }
            return None;
        }
        let error = if let Some(quote) = unclosed_string(text, failure.at) {
            SyntaxError::Unexpected {
                expected: String::from("a string closed on the same line"),
                found: String::from("an unclosed string"),
                span: self.file.span(quote, quote + 1),
                label: String::from("this string is not closed"),
                help: Some(String::from("close it with `\"` on the same line; a long text continues on the next line with a new string")),
                unclosed: None,
            }
        } else {
            match failure.pest {
                Some(err) => error::from_pest(self.file, text, at, &err),
                None => junk_error(self.file, text, failure.at),
            }
        };
        self.errors.push(error);
        Some(skip_continuations(text, line_end(text, failure.at)))
    }

    /// Accounts for an item that parsed from `at` to `end`.
    fn parsed(&mut self, at: usize, end: usize, kind: Rule) -> usize {
        if kind == Rule::when_open {
            self.open.push(end.saturating_sub(1));
        } else if is_declaration(kind) && !self.open.is_empty() {
            let first_line = line_end(self.text, at);
            self.errors.push(SyntaxError::Unexpected {
                expected: String::from("a rule or a `when` block"),
                found: String::from("a declaration"),
                span: self.file.span(at, first_line.max(at)),
                label: String::from("inside a `when` block"),
                help: Some(String::from(
                    "declare facts, outcomes and sets at the top level of the file, outside `when` blocks",
                )),
                unclosed: None,
            });
        }
        end
    }
}

fn is_declaration(kind: Rule) -> bool {
    matches!(
        kind,
        Rule::fact_decl
            | Rule::outcome_decl
            | Rule::set_decl
            | Rule::otherwise_decl
            | Rule::first_match
            | Rule::strict_facts
            | Rule::priority_decl
            | Rule::policy_decl
    )
}

/// Where an item failed: the offset, and pest's error when pest failed
/// (rather than something left after the item on its line).
struct Failure {
    at: usize,
    pest: Option<Box<pest::error::Error<Rule>>>,
}

/// The grammar rule for the item that starts `rest`, by its first word.
fn item_rule(rest: &str, first: bool) -> Rule {
    if first {
        return Rule::policy_decl;
    }
    if rest.starts_with('"') {
        return Rule::text;
    }
    match first_word(rest) {
        "policy" => Rule::policy_decl,
        "otherwise" => Rule::otherwise_decl,
        "first" => Rule::first_match,
        "strict" => Rule::strict_facts,
        "priority" => Rule::priority_decl,
        "fact" => Rule::fact_decl,
        "outcome" => Rule::outcome_decl,
        "set" => Rule::set_decl,
        "when" => Rule::when_open,
        "because" => Rule::because,
        "see" => Rule::see,
        _ => Rule::rule,
    }
}

/// Parses the item at `at` with `rule`: its end, or where it failed.
fn parse_item(text: &str, at: usize, kind: Rule) -> Result<usize, Failure> {
    let rest = text.get(at..).unwrap_or_default();
    match PolicyParser::parse(kind, rest) {
        // An item's text is never a stray clause or text: those parse, but
        // belong to the item before them.
        Ok(_) if matches!(kind, Rule::because | Rule::see | Rule::text) => {
            Err(Failure { at, pest: None })
        }
        Ok(mut pairs) => Ok(pairs.next().map_or(at, |pair| at + pair.as_span().end())),
        Err(err) => {
            let local = match err.location {
                pest::error::InputLocation::Pos(pos) => pos,
                pest::error::InputLocation::Span((start, _)) => start,
            };
            Err(Failure {
                at: at + local,
                pest: Some(Box::new(err)),
            })
        }
    }
}

/// Where something other than the end of the line follows an item that
/// ended at `end`, if it does. In a block, a `}` may close it on the line.
fn junk_after(text: &str, end: usize, in_block: bool) -> Option<usize> {
    let rest = text.get(end..).unwrap_or_default();
    let blank = rest.len() - rest.trim_start_matches([' ', '\t']).len();
    let at = end + blank;
    match text.get(at..).and_then(|r| r.chars().next()) {
        None | Some('\n' | '\r' | '#') => None,
        Some('}') if in_block => None,
        Some(_) => Some(at),
    }
}

/// The opening `"` of a string the line holding `at` does not close.
fn unclosed_string(text: &str, at: usize) -> Option<usize> {
    let start = text
        .get(..at.min(text.len()))?
        .rfind('\n')
        .map_or(0, |nl| nl + 1);
    let line = text.get(start..line_end(text, at))?;
    let mut open = None;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match c {
            '\\' if open.is_some() && !escaped => {
                escaped = true;
                continue;
            }
            '"' if !escaped => {
                open = if open.is_some() {
                    None
                } else {
                    Some(start + i)
                }
            }
            '#' if open.is_none() => break,
            _ => {}
        }
        escaped = false;
    }
    open
}

/// Something left on the line after an item.
fn junk_error(file: &SourceFile, text: &str, at: usize) -> SyntaxError {
    let rest = text.get(at..).unwrap_or_default();
    let (found, len) = error::found_token(rest);
    let word = rest.get(..len).unwrap_or_default();
    // The line's first word says what kind of item it is.
    let line_start = text
        .get(..at)
        .and_then(|t| t.rfind('\n'))
        .map_or(0, |i| i + 1);
    let line = text.get(line_start..at).unwrap_or_default();
    let mut words = line.split_whitespace();
    let declared = (words.next(), words.next(), words.next());
    let owned;
    let help = match (declared, word) {
        // `outcome manual review`: a name of several words.
        ((Some("outcome"), Some(name), None), _) if !word.is_empty() && !rest.starts_with('"') => {
            owned = format!(
                "an outcome's name is one word: `outcome {name}-{word}`; a description is quoted: `outcome {name} \"...\"`"
            );
            &owned
        }
        ((Some("otherwise" | "policy" | "set" | "outcome"), ..), _) => {
            "after a declaration's name (or a set's values) only a quoted description may follow, as in `otherwise deny \"nothing else is allowed\"`"
        }
        ((Some("fact"), ..), _) => {
            "after a fact's path only `optional`, `default VALUE` and a quoted description may follow"
        }
        (_, "can" | "cannot" | "-") => {
            "a rule has one verdict: keep one of `can`, `cannot` and `-> OUTCOME`"
        }
        (_, "because" | "see") => "`because` and `see` come after the rule's verdict, each once",
        _ if rest.starts_with('"') => {
            "a rule's reason is written `because \"...\"`, after its verdict"
        }
        _ => "an item ends at the end of its line: put what follows on a line of its own, or remove it",
    };
    SyntaxError::Unexpected {
        expected: String::from("the end of the line"),
        found,
        span: file.span(at, at + len),
        label: String::from("unexpected here"),
        help: Some(String::from(help)),
        unclosed: None,
    }
}

/// The first word of `rest` (letters, digits, `_` and `-`).
fn first_word(rest: &str) -> &str {
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(rest.len());
    rest.get(..end).unwrap_or_default()
}

/// The offset of the end of the line holding `at` (its `\n`, or the end).
fn line_end(text: &str, at: usize) -> usize {
    let at = at.min(text.len());
    text.get(at..)
        .and_then(|rest| rest.find('\n'))
        .map_or(text.len(), |nl| at + nl)
}

/// Skips blanks, line ends and comments.
fn skip_blank(text: &str, mut at: usize) -> usize {
    let bytes = text.as_bytes();
    while let Some(&byte) = bytes.get(at) {
        match byte {
            b' ' | b'\t' | b'\r' | b'\n' => at += 1,
            b'#' => at = line_end(text, at),
            _ => break,
        }
    }
    at
}

/// After a failed item, skips the lines that continue it (a `because`, a
/// `see` or a text), so that they are not reported again.
fn skip_continuations(text: &str, mut at: usize) -> usize {
    loop {
        let next = skip_blank(text, at);
        let rest = text.get(next..).unwrap_or_default();
        let word = first_word(rest);
        if next > at && (rest.starts_with('"') || matches!(word, "because" | "see" | "and")) {
            at = line_end(text, next);
        } else {
            return at;
        }
    }
}

// ---------------------------------------------------------------- repairs

/// A likely mistake: replacing `start..end` by `with` makes the item parse.
struct Repair {
    start: usize,
    end: usize,
    with: String,
    /// Where the label goes, when not on the replaced text.
    point: Option<(usize, usize)>,
    /// The `(` left open, when that is the trouble.
    unclosed: Option<usize>,
    expected: String,
    found: String,
    label: String,
    help: String,
}

impl Repair {
    /// The item's end (in the original text) and its rule, if the repaired
    /// item parses to the end of its line and past the place it failed.
    fn applies(&self, text: &str, at: usize, first: bool, in_block: bool) -> Option<(usize, Rule)> {
        let mut repaired = String::with_capacity(text.len() + self.with.len());
        repaired.push_str(text.get(..self.start)?);
        repaired.push_str(&self.with);
        repaired.push_str(text.get(self.end..)?);
        let rest = repaired.get(at..)?;
        if rest.starts_with('#') {
            // The item was a comment written another way.
            return Some((line_end(text, at), Rule::COMMENT));
        }
        let kind = item_rule(rest, first);
        let end = if matches!(kind, Rule::because | Rule::see) {
            // A clause that lost its rule: it must parse on its own.
            let mut pairs = PolicyParser::parse(kind, rest).ok()?;
            at + pairs.next()?.as_span().end()
        } else {
            parse_item(&repaired, at, kind).ok()?
        };
        if junk_after(&repaired, end, in_block).is_some() {
            return None;
        }
        let grown = self.with.len() as isize - (self.end - self.start) as isize;
        let original_end = if end >= self.start + self.with.len() {
            usize::try_from(end as isize - grown).ok()?
        } else {
            end.min(self.start)
        };
        (original_end >= self.end).then_some((original_end, kind))
    }

    fn error(&self, file: &SourceFile) -> SyntaxError {
        // An insertion points at what follows it; a join of two lines at
        // the end of the first.
        let joins_lines = text_of(file, self.start, self.end).contains('\n');
        let end = if joins_lines {
            self.start
        } else if self.end == self.start {
            self.start + 1
        } else {
            self.end
        };
        let (start, end) = self.point.unwrap_or((self.start, end));
        SyntaxError::Unexpected {
            expected: self.expected.clone(),
            found: self.found.clone(),
            span: file.span(start, end),
            label: self.label.clone(),
            help: Some(self.help.clone()),
            unclosed: self.unclosed.map(|at| file.span(at, at + 1)),
        }
    }
}

/// The text of `file` from `start` to `end`.
fn text_of(file: &SourceFile, start: usize, end: usize) -> &str {
    file.text.get(start..end).unwrap_or_default()
}

/// Keywords, with what each is in words.
const KEYWORDS: &[(&str, &str)] = &[
    ("policy", "`policy NAME`"),
    ("otherwise", "`otherwise DECISION`"),
    ("first", "`first match`"),
    ("match", "`first match`"),
    ("strict", "`strict facts`"),
    ("facts", "`strict facts`"),
    ("priority", "`priority DECISION > DECISION`"),
    ("fact", "a fact declaration"),
    ("outcome", "an outcome declaration"),
    ("when", "a `when` block"),
    ("can", "a verdict"),
    ("cannot", "a verdict"),
    ("because", "`because \"...\"`"),
    ("see", "`see \"...\"`"),
    ("optional", "`optional` or `default VALUE`"),
    ("default", "`optional` or `default VALUE`"),
    ("not", "a condition"),
    ("within", "a condition"),
    ("before", "a comparison"),
    ("after", "a comparison"),
    ("starts", "a condition"),
    ("ends", "a condition"),
    ("with", "a condition"),
    ("has", "a condition"),
    ("bool", "a type"),
    ("number", "a type"),
    ("string", "a type"),
    ("date", "a type"),
    ("datetime", "a type"),
    ("duration", "a type"),
    ("weekday", "a type"),
    ("true", "a value"),
    ("false", "a value"),
];

/// Type names from other languages, and verdict's.
const TYPE_NAMES: &[(&str, &str)] = &[
    ("integer", "number"),
    ("int", "number"),
    ("float", "number"),
    ("decimal", "number"),
    ("double", "number"),
    ("boolean", "bool"),
    ("str", "string"),
    ("text", "string"),
    ("timestamp", "datetime"),
    ("enum", "{value ...}"),
];

/// A token of a failed item, for repairs.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Word,
    Number,
    String,
    Quoted,
    Punct,
    LineEnd,
}

#[derive(Clone, Copy, Debug)]
struct Token<'a> {
    kind: Kind,
    start: usize,
    text: &'a str,
}

impl Token<'_> {
    fn end(&self) -> usize {
        self.start + self.text.len()
    }
}

/// The tokens from `at` to the end of the line after `until`'s.
fn tokens(text: &str, at: usize, until: usize) -> Vec<Token<'_>> {
    let end = line_end(text, line_end(text, until) + 1);
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = at;
    while i < end {
        let Some(&byte) = bytes.get(i) else { break };
        let start = i;
        let kind = match byte {
            b' ' | b'\t' | b'\r' => {
                i += 1;
                continue;
            }
            b'\n' => {
                i += 1;
                Kind::LineEnd
            }
            b'#' => {
                i = line_end(text, i);
                continue;
            }
            b'"' | b'\'' => {
                i += 1;
                while let Some(&b) = bytes.get(i) {
                    i += 1;
                    if b == byte || b == b'\n' {
                        break;
                    }
                }
                if byte == b'"' {
                    Kind::String
                } else {
                    Kind::Quoted
                }
            }
            b'0'..=b'9' => {
                while bytes
                    .get(i)
                    .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b',' | b'_'))
                {
                    i += 1;
                }
                Kind::Number
            }
            _ if byte.is_ascii_alphabetic() || byte == b'_' => {
                while bytes
                    .get(i)
                    .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
                {
                    i += 1;
                }
                Kind::Word
            }
            b'{' | b'}' | b'(' | b')' | b'[' | b']' | b',' | b':' => {
                i += 1;
                Kind::Punct
            }
            _ if byte.is_ascii_punctuation() => {
                while bytes.get(i).is_some_and(|b| {
                    matches!(
                        b,
                        b'=' | b'!' | b'<' | b'>' | b'/' | b'-' | b'&' | b'|' | b'.'
                    )
                }) {
                    i += 1;
                }
                i = i.max(start + 1);
                Kind::Punct
            }
            _ => {
                // A character of another script: one token, whole.
                i += text
                    .get(i..)
                    .and_then(|r| r.chars().next())
                    .map_or(1, char::len_utf8);
                Kind::Word
            }
        };
        if let Some(token) = text.get(start..i) {
            out.push(Token {
                kind,
                start,
                text: token,
            });
        }
    }
    out
}

/// Edit distance, small for short words: a typo's budget.
fn typo_of(word: &str, keyword: &str) -> bool {
    let len = word.chars().count();
    if len < 3 || word == keyword {
        return false;
    }
    let budget = if len <= 4 { 1 } else { 2 };
    strsim::damerau_levenshtein(word, keyword) <= budget
}

/// Likely repairs of the item at `at` that failed at `failed`, most
/// telling first.
fn repairs(text: &str, at: usize, failed: usize, first: bool) -> Vec<Repair> {
    let tokens = tokens(text, at, failed);
    let mut out = Vec::new();
    let replace =
        |token: &Token, with: &str, expected: String, label: String, help: String| Repair {
            point: None,
            unclosed: None,
            start: token.start,
            end: token.end(),
            with: with.to_string(),
            expected,
            found: format!("`{}`", error::shorten(token.text)),
            label,
            help,
        };
    for (i, token) in tokens.iter().enumerate() {
        let next = tokens.get(i + 1);
        let previous = i.checked_sub(1).and_then(|j| tokens.get(j));
        match token.kind {
            Kind::Word => {
                let word = token.text;
                let lower = word.to_lowercase();
                if let Some((keyword, role)) =
                    KEYWORDS.iter().find(|(k, _)| *k == lower && *k != word)
                {
                    out.push(replace(
                        token,
                        keyword,
                        role.to_string(),
                        format!("did you mean `{keyword}`?"),
                        format!("keywords are lower case: write `{keyword}`"),
                    ));
                }
                if word.contains('-')
                    && word
                        .split('-')
                        .all(|part| KEYWORDS.iter().any(|(k, _)| *k == part))
                {
                    let spaced = word.replace('-', " ");
                    out.push(replace(
                        token,
                        &spaced,
                        format!("`{spaced}`"),
                        format!("did you mean `{spaced}`?"),
                        format!("`{spaced}` is written as words: `{spaced}`"),
                    ));
                }
                for (keyword, role) in KEYWORDS {
                    if typo_of(&lower, keyword) {
                        out.push(replace(
                            token,
                            keyword,
                            role.to_string(),
                            format!("did you mean `{keyword}`?"),
                            format!("`{word}` is not a keyword: did you mean `{keyword}`?"),
                        ));
                    }
                }
                if first {
                    continue;
                }
                if let Some((_, ours)) = TYPE_NAMES.iter().find(|(other, _)| *other == lower) {
                    out.push(replace(
                        token,
                        ours,
                        String::from("a type"),
                        format!("write `{ours}`"),
                        format!(
                            "`{word}` is not a type here: the types are `{{value ...}}`, `bool`, `number`, `string`, `date`, `datetime` and `duration`; write `{ours}`"
                        ),
                    ));
                }
                match lower.as_str() {
                    // Every `and` between conditions on this line goes, at
                    // once: the first one removed alone would leave the rest.
                    "and" if !previous.is_some_and(|p| p.kind == Kind::LineEnd || p.text == "and") => {
                        let line = line_end(text, token.start);
                        let ands: Vec<&Token<'_>> = tokens
                            .iter()
                            .skip(i)
                            .take_while(|t| t.start < line)
                            .filter(|t| t.kind == Kind::Word && t.text.eq_ignore_ascii_case("and"))
                            .collect();
                        let last = ands.last().map_or(token.end(), |t| t.end());
                        let end = tokens
                            .iter()
                            .find(|t| t.start >= last)
                            .map_or(last, |t| t.start.min(line));
                        let mut with = String::new();
                        let mut from = token.start;
                        for and in &ands {
                            with.push_str(text.get(from..and.start).unwrap_or_default());
                            from = tokens.iter().find(|t| t.start >= and.end()).map_or(and.end(), |t| t.start.min(line));
                        }
                        with.push_str(text.get(from..end).unwrap_or_default());
                        out.push(Repair {
                            point: Some((token.start, token.end())),
                            unclosed: None,
                            start: token.start,
                            end,
                            with,
                            expected: String::from("a condition or a verdict"),
                            found: String::from("`and`"),
                            label: String::from("not needed"),
                            help: String::from(
                                "the conditions of a rule all hold, without `and`: write them one after another, as in `eu weight <= 30 can`; `and` only starts a line that continues the conditions of the line above",
                            ),
                        });
                    }
                    "is" | "equals" => out.push(replace(
                        token,
                        "=",
                        String::from("a comparison"),
                        String::from("write `=`"),
                        format!("compare with `=`: `FACT = VALUE`, or name the value alone; `{word}` is not a keyword"),
                    )),
                    "between" => {
                        if let (Some(fact), Some(low), Some(and), Some(high)) =
                            (previous, next, tokens.get(i + 2), tokens.get(i + 3))
                        {
                            if and.text == "and" {
                                let with = format!(">= {} {} <= {}", low.text, fact.text, high.text);
                                out.push(Repair {
                                    point: None,
                                    unclosed: None,
                                    start: token.start,
                                    end: high.end(),
                                    with: with.clone(),
                                    expected: String::from("a comparison"),
                                    found: String::from("`between`"),
                                    label: String::from("not a keyword"),
                                    help: format!(
                                        "write two comparisons: `{} {with}`",
                                        fact.text
                                    ),
                                });
                            }
                        }
                    }
                    "because" | "see" => {
                        // Its text without quotes, or on the next line.
                        match next {
                            Some(n) if n.kind == Kind::LineEnd => {
                                if let Some(after) = tokens.get(i + 2).filter(|t| t.kind == Kind::String) {
                                    out.push(Repair {
                                        point: None,
                                        unclosed: None,
                                        start: token.end(),
                                        end: after.start,
                                        with: String::from(" "),
                                        expected: String::from("a quoted string"),
                                        found: String::from("the end of the line"),
                                        label: format!("`{word}` needs its text here"),
                                        help: format!(
                                            "the text starts on `{word}`'s line: `{word} \"...\"`; it may go on in more strings on the following lines"
                                        ),
                                    });
                                }
                            }
                            Some(n) if matches!(n.kind, Kind::Word | Kind::Number | Kind::Punct) => {
                                let end = line_end(text, n.start);
                                let body = text.get(n.start..end).unwrap_or_default().trim_end();
                                                let quoted = format!("\"{}\"", body.replace('\\', "\\\\").replace('"', "\\\""));
                                out.push(Repair {
                                    point: None,
                                    unclosed: None,
                                    start: n.start,
                                    end: n.start + text.get(n.start..end).unwrap_or_default().trim_end().len(),
                                    with: quoted.clone(),
                                    expected: String::from("a quoted string"),
                                    found: format!("`{}`", error::shorten(n.text)),
                                    label: String::from("not quoted"),
                                    help: format!("put the text in double quotes: `{word} {}`", error::shorten(&quoted)),
                                });
                            }
                            _ => {}
                        }
                    }
                    "when" => {
                        // Its `{` on the next line.
                        if let Some(brace_line) = tokens.iter().skip(i).position(|t| t.kind == Kind::LineEnd) {
                            let newline = tokens.get(i + brace_line);
                            let brace = tokens.get(i + brace_line + 1);
                            if let (Some(newline), Some(brace)) = (newline, brace) {
                                if brace.text == "{" {
                                    out.push(Repair {
                                        point: None,
                                        unclosed: None,
                                        start: newline.start,
                                        end: brace.start,
                                        with: String::from(" "),
                                        expected: String::from("`{`"),
                                        found: String::from("the end of the line"),
                                        label: String::from("the block opens here"),
                                        help: String::from(
                                            "a `when` block's `{` ends its header line: `when CONDITIONS {`",
                                        ),
                                    });
                                }
                            }
                        }
                    }
                    _ => {}
                }
                // A block's header with another first word than `when`.
                let header_end = tokens
                    .iter()
                    .skip(i)
                    .take_while(|t| t.kind != Kind::LineEnd)
                    .last();
                if i == 0 && word != "when" && header_end.is_some_and(|t| t.text == "{") {
                    if typo_of(&lower, "when") || lower.starts_with("whe") {
                        out.push(replace(
                            token,
                            "when",
                            String::from("a rule or a `when` block"),
                            String::from("did you mean `when`?"),
                            format!("a block of rules opens with `when CONDITIONS {{`; `{word}` is not a keyword"),
                        ));
                    } else {
                        out.push(Repair {
                            point: None,
                            unclosed: None,
                            start: token.start,
                            end: token.start,
                            with: String::from("when "),
                            expected: String::from("a rule or a `when` block"),
                            found: format!("`{}`", error::shorten(word)),
                            label: String::from("`when` missing before the conditions"),
                            help: String::from("a block of rules opens with `when CONDITIONS {`"),
                        });
                    }
                }
                // A rule's name with a blank before its `:`.
                if i == 0 && next.is_some_and(|n| n.text == ":" && n.start > token.end()) {
                    if let Some(colon) = next {
                        out.push(Repair {
                            point: None,
                            unclosed: None,
                            start: token.end(),
                            end: colon.start,
                            with: String::new(),
                            expected: String::from("`:` right after the rule's name"),
                            found: String::from("a blank"),
                            label: String::from("remove this blank"),
                            help: format!(
                                "a rule's name ends with `:` and no blank: `{}:`",
                                token.text
                            ),
                        });
                    }
                }
            }
            Kind::Quoted => {
                let inner = token.text.trim_matches('\'');
                let with = format!("\"{}\"", inner.replace('"', "\\\""));
                out.push(replace(
                    token,
                    &with,
                    String::from("a string in double quotes"),
                    String::from("single quotes"),
                    format!("strings are written in double quotes: {with}"),
                ));
            }
            Kind::Number => {
                let digits: String = token
                    .text
                    .chars()
                    .filter(|c| *c != ',' && *c != '_')
                    .collect();
                if digits != token.text {
                    out.push(replace(
                        token,
                        &digits,
                        String::from("a number"),
                        String::from("no separators in numbers"),
                        format!("write numbers as JSON does, without separators: `{digits}`"),
                    ));
                }
                let number: String = token
                    .text
                    .chars()
                    .take_while(|c| c.is_ascii_digit() || *c == '.')
                    .collect();
                if number.len() < token.text.len() && !number.is_empty() {
                    out.push(replace(
                        token,
                        &number,
                        String::from("a number"),
                        String::from("numbers have no unit"),
                        format!(
                            "write the number alone, `{number}`, and say the unit in the fact's description"
                        ),
                    ));
                }
            }
            Kind::Punct => {
                let fix = match token.text {
                    "==" => Some(("=", "equality is one `=`: `FACT = VALUE`")),
                    "=>" => Some(("->", "an outcome follows `->`: `-> OUTCOME`")),
                    "<>" => Some(("!=", "inequality is `!=`")),
                    "&&" => Some(("", "the conditions of a rule all hold: remove `&&`")),
                    "//" => Some(("#", "comments start with `#`")),
                    "[" => Some(("{", "a set of values is written in braces: `{a b c}`")),
                    "]" => Some(("}", "a set of values is written in braces: `{a b c}`")),
                    "!" => Some(("not ", "negation is `not`: `not CONDITION`")),
                    ".." => Some((".", "a path's keys are joined by one `.`")),
                    _ => None,
                };
                if let Some((with, help)) = fix {
                    out.push(replace(
                        token,
                        with,
                        if with.is_empty() {
                            String::from("a condition or a verdict")
                        } else {
                            format!("`{}`", with.trim())
                        },
                        if with.is_empty() {
                            String::from("not needed")
                        } else {
                            format!("write `{}`", with.trim())
                        },
                        String::from(help),
                    ));
                    // `[a b]`: both brackets.
                    if token.text == "[" {
                        if let Some(close) = tokens.iter().skip(i).find(|t| t.text == "]") {
                            out.push(Repair {
                                point: None,
                                unclosed: None,
                                start: token.start,
                                end: close.end(),
                                with: format!(
                                    "{{{}}}",
                                    text.get(token.end()..close.start).unwrap_or_default()
                                ),
                                expected: String::from("`{`"),
                                found: String::from("`[`"),
                                label: String::from("write `{...}`"),
                                help: String::from(help),
                            });
                        }
                    }
                }
            }
            Kind::String | Kind::LineEnd => {}
        }
        // A fact declaration without its `:`, or without `at`.
        if i == 1
            && tokens.first().is_some_and(|t| t.text == "fact")
            && token.kind == Kind::Word
            && next.is_some_and(|n| n.text != ":")
        {
            out.push(Repair {
                point: None,
                unclosed: None,
                start: token.end(),
                end: token.end(),
                with: String::from(":"),
                expected: String::from("`:` and the fact's type"),
                found: next.map_or_else(String::new, |n| format!("`{}`", error::shorten(n.text))),
                label: String::from("`:` missing here"),
                help: format!(
                    "a fact's name is followed by `:` and its type: `fact {}: TYPE at PATH`",
                    token.text
                ),
            });
        }
        if i >= 3
            && tokens.first().is_some_and(|t| t.text == "fact")
            && token.kind == Kind::Word
            && previous.is_some_and(|p| p.text != "at")
            && !tokens
                .iter()
                .take_while(|t| t.kind != Kind::LineEnd)
                .any(|t| t.text == "at")
        {
            out.push(Repair {
                point: None,
                unclosed: None,
                start: token.start,
                end: token.start,
                with: String::from("at "),
                expected: String::from("`at` and the JSON path the fact is read from"),
                found: format!("`{}`", error::shorten(token.text)),
                label: String::from("`at` missing before the path"),
                help: format!(
                    "a fact says where it is read from with `at`: `at {}`",
                    text.get(token.start..)
                        .and_then(|rest| rest.split_whitespace().next())
                        .unwrap_or(token.text)
                ),
            });
        }
    }
    // Two verdicts: remove the later one.
    let verdicts: Vec<usize> = tokens
        .iter()
        .enumerate()
        .filter(|(_, t)| matches!(t.text, "can" | "cannot" | "->"))
        .map(|(i, _)| i)
        .collect();
    if let [_, later, ..] = verdicts.as_slice() {
        if let Some(token) = tokens.get(*later) {
            let end = if token.text == "->" {
                tokens.get(later + 1).map_or(token.end(), Token::end)
            } else {
                token.end()
            };
            out.push(Repair {
                point: None,
                unclosed: None,
                start: token.start,
                end,
                with: String::new(),
                expected: String::from("the end of the line"),
                found: String::from("a second verdict"),
                label: String::from("a second verdict"),
                help: String::from(
                    "a rule has one verdict: keep one of `can`, `cannot` and `-> OUTCOME`, and write a rule for each",
                ),
            });
        }
    }
    // A group not closed before the verdict.
    if let Some(open) = tokens.iter().position(|t| t.text == "(") {
        if !tokens.iter().any(|t| t.text == ")") {
            if let Some(verdict) = verdicts.first().and_then(|v| tokens.get(*v)) {
                if let Some(before) = tokens
                    .get(open..)
                    .and_then(|rest| rest.iter().take_while(|t| t.start < verdict.start).last())
                {
                    let paren = tokens.get(open).map(|t| t.start);
                    out.push(Repair {
                        point: Some((verdict.start, verdict.end())),
                        unclosed: paren,
                        start: before.end(),
                        end: before.end(),
                        with: String::from(")"),
                        expected: String::from("`)`"),
                        found: format!("`{}`", verdict.text),
                        label: String::from("a verdict inside a group"),
                        help: String::from(
                            "close the group with `)` before the verdict: `(A or B) can`",
                        ),
                    });
                }
            }
        }
    }
    // `A or B` outside a group: put the two in parentheses.
    if !tokens.iter().any(|t| t.text == "(") {
        for (i, token) in tokens.iter().enumerate() {
            if token.text != "or" {
                continue;
            }
            let (Some(left), Some(right)) = (
                i.checked_sub(1).and_then(|j| tokens.get(j)),
                tokens.get(i + 1),
            ) else {
                continue;
            };
            let inner = text.get(left.start..right.end()).unwrap_or_default();
            out.push(Repair {
                point: Some((token.start, token.end())),
                unclosed: None,
                start: left.start,
                end: right.end(),
                with: format!("({inner})"),
                expected: String::from("a condition or a verdict"),
                found: String::from("`or`"),
                label: String::from("outside a group"),
                help: format!(
                    "`or` joins the alternatives of a group, in parentheses: `({inner})`; conditions outside a group all hold"
                ),
            });
        }
    }
    out
}
