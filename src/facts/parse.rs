//! Facts text into a `serde_json::Value`, within the limits, with a
//! diagnostic that points into the text for what cannot be read: text past
//! the size limit, nesting past the depth limit, and invalid JSON.

use serde_json::Value;

use crate::diagnostics::{words, FactsError, LoadError, Report};
use crate::limits::Limits;
use crate::source::{SourceMap, Span};

/// Facts parsed from text, with the sources that now include that text.
pub(crate) struct ParsedFacts {
    pub(crate) sources: SourceMap,
    pub(crate) value: Value,
    /// Where the text starts in `sources`.
    pub(crate) base: u32,
}

/// Parses facts text, adding it to a copy of the policies' sources so
/// that diagnostics can point into it.
///
/// A key given twice in one object, where a declared path goes, is an
/// error: serde_json keeps the last, another parser in the caller's path
/// may keep the first, and the two would then decide different requests.
pub(crate) fn parse(
    policies: &SourceMap,
    limits: &Limits,
    declared: &[Vec<String>],
    name: &str,
    text: &str,
) -> Result<ParsedFacts, Report> {
    let mut sources = policies.clone();
    let limit = limits.max_facts_bytes;
    let added = (text.len() <= limit)
        .then(|| sources.add(name, text))
        .flatten();
    let Some(file) = added else {
        let error = LoadError::facts_too_large(name, text.len(), limit);
        return Err(Report::new(sources, vec![error.into()]));
    };
    let base = sources.file(file).map_or(0, |f| f.base());
    // Parse the text as stored: a byte-order mark became blanks there.
    let text = sources.file(file).map_or(text, |f| f.text.as_str());
    let depth = limits.facts_depth();
    let too_deep_report = |offset: usize| {
        let span = Span::new(base + offset as u32, base + offset as u32 + 1);
        let help = if depth < Limits::MAX_FACTS_DEPTH {
            format!("facts are read a few levels deep, at the paths the policies declare: flatten the document, or raise `Limits::max_facts_depth` (at most {})", Limits::MAX_FACTS_DEPTH)
        } else {
            String::from("facts are read a few levels deep, at the paths the policies declare: flatten the document")
        };
        let error = FactsError::TooDeep {
            limit: depth,
            span,
            help,
        };
        Report::new(sources.clone(), vec![error.into()])
    };
    if depth < Limits::MAX_FACTS_DEPTH {
        if let Some(offset) = deeper_than(text, depth) {
            return Err(too_deep_report(offset));
        }
    }
    match serde_json::from_str(text) {
        Ok(value) => {
            if let Some(twice) = super::locate::repeated_key(text, declared) {
                let to_span = |(start, end): (usize, usize)| {
                    Span::new(base + start as u32, base + end as u32)
                };
                let error = FactsError::RepeatedKey {
                    path: twice.path.join("."),
                    first: to_span(twice.first),
                    again: to_span(twice.again),
                };
                return Err(Report::new(sources, vec![error.into()]));
            }
            Ok(ParsedFacts {
                sources,
                value,
                base,
            })
        }
        Err(err) if err.to_string().starts_with("recursion limit exceeded") => {
            let offset = deeper_than(text, depth)
                .unwrap_or_else(|| offset_of(text, err.line(), err.column()));
            Err(too_deep_report(offset))
        }
        Err(err) => {
            let offset = offset_of(text, err.line(), err.column());
            let message = words::json_error(&err);
            let (offset, help) = syntax_help(text, offset, &message);
            let end = text
                .get(offset..)
                .and_then(|rest| rest.chars().next())
                .map_or(offset, |c| offset + c.len_utf8());
            let error = FactsError::Syntax {
                message,
                span: Some(Span::new(base + offset as u32, base + end as u32)),
                help,
            };
            Err(Report::new(sources, vec![error.into()]))
        }
    }
}

/// Where a JSON syntax error is best shown, and what likely fixes it:
/// serde_json stops after the mistake (a trailing comma is found at the
/// `}`), and says nothing of what was meant.
fn syntax_help(text: &str, offset: usize, message: &str) -> (usize, String) {
    let before = text.get(..offset).unwrap_or_default();
    let rest = text.get(offset..).unwrap_or_default();
    let last_token = before.trim_end();
    if message.starts_with("trailing comma") {
        if let Some(comma) = last_token.strip_suffix(',') {
            return (
                comma.len(),
                String::from("JSON allows no comma after the last member of an object or an array: remove it"),
            );
        }
    }
    if rest.starts_with("//") || rest.starts_with("/*") {
        return (
            offset,
            String::from("JSON has no comments: remove it, or move what it says into a value"),
        );
    }
    if rest.starts_with('\'') {
        return (
            offset,
            String::from("JSON strings and keys are in double quotes: write \"...\""),
        );
    }
    if message.starts_with("EOF while parsing") {
        let open = last_open_bracket(text);
        let at = last_token.len().saturating_sub(1);
        let help = match open {
            Some((bracket, line)) => format!(
                "the `{}` on line {line} is never closed: add a `{}` after its last member",
                bracket as char,
                if bracket == b'{' { '}' } else { ']' }
            ),
            None => String::from("the text ends before the JSON does: close every `{` and `[`"),
        };
        return (at, help);
    }
    if let Some(word) = rest.split(|c: char| !c.is_ascii_alphabetic()).next() {
        let fix = match word {
            "True" | "TRUE" => Some("true"),
            "False" | "FALSE" => Some("false"),
            "None" | "NULL" | "Null" | "nil" | "undefined" => Some("null"),
            _ => None,
        };
        if let Some(fix) = fix {
            return (offset, format!("JSON writes this `{fix}`"));
        }
        if !word.is_empty() && message.starts_with("expected value") {
            return (offset, format!("a string is quoted in JSON: \"{word}\""));
        }
    }
    (
        offset,
        String::from("facts are one JSON object, such as {\"request\": {\"action\": \"invite\"}}"),
    )
}

/// The innermost `{` or `[` no bracket closes by the end of the text, and
/// its 1-based line.
fn last_open_bracket(text: &str) -> Option<(u8, usize)> {
    let mut open: Vec<usize> = Vec::new();
    for (at, byte) in brackets(text) {
        match byte {
            b'{' | b'[' => open.push(at),
            _ => {
                open.pop();
            }
        }
    }
    let at = open.pop()?;
    let line = text
        .get(..at)
        .map_or(0, |before| before.matches('\n').count())
        + 1;
    Some((*text.as_bytes().get(at)?, line))
}

/// The brackets of JSON text outside strings, with their offsets.
fn brackets(text: &str) -> impl Iterator<Item = (usize, u8)> + '_ {
    let mut in_string = false;
    let mut escaped = false;
    text.bytes().enumerate().filter(move |(_, byte)| {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            return false;
        }
        match byte {
            b'"' => {
                in_string = true;
                false
            }
            b'{' | b'[' | b'}' | b']' => true,
            _ => false,
        }
    })
}

/// The byte offset of a 1-based line and column (serde_json counts columns in bytes).
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    (line_start + column.saturating_sub(1)).min(text.len())
}

/// The byte offset of the first bracket nested deeper than `limit` in JSON
/// text (strings skipped), if there is one.
pub(crate) fn deeper_than(text: &str, limit: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (at, byte) in brackets(text) {
        if matches!(byte, b'{' | b'[') {
            depth += 1;
            if depth > limit {
                return Some(at);
            }
        } else {
            depth = depth.saturating_sub(1);
        }
    }
    None
}
