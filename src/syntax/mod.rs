//! Parsing: policy text in, [`ast::File`] out, and test
//! files in, [`ast::TestCase`]s out. pest lives here
//! and nowhere else (both grammars); `lower` turns pest's pairs into the
//! typed AST, `error` rewords pest's failures for people, and `tests_file`
//! is the test files' parser.
//!
//! A syntax error does not end the run: the parser blanks the line it failed
//! on and tries again, so one run reports the errors of many lines.

mod error;
mod lower;
mod recover;
mod tests_file;

pub use tests_file::parse_tests;

use pest::Parser as _;

use crate::ast;
use crate::diagnostics::SyntaxError;
use crate::limits::Limits;
use crate::source::SourceFile;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/verdict.pest"]
struct PolicyParser;

/// How many syntax errors one file reports before the parser gives up.
const MAX_ERRORS_PER_FILE: usize = 20;

/// Parses one policy file, reporting every syntax error it can find.
pub fn parse(file: &SourceFile) -> Result<ast::File, Vec<SyntaxError>> {
    parse_with(file, Limits::MAX_NESTING)
}

/// [`parse`], refusing nesting deeper than `max_nesting` (at most
/// [`Limits::MAX_NESTING`]: the parser and the lowering recurse once per
/// level, so this bounds their stack use).
pub fn parse_with(file: &SourceFile, max_nesting: usize) -> Result<ast::File, Vec<SyntaxError>> {
    if let Some(error) = too_deep(file, max_nesting.min(Limits::MAX_NESTING)) {
        return Err(vec![error]);
    }
    let mut text = file.text.clone();
    let mut errors = Vec::new();
    loop {
        match PolicyParser::parse(Rule::file, &text) {
            Ok(pairs) if errors.is_empty() => return lower::file(file, pairs).map_err(|e| vec![e]),
            Ok(_) => return Err(errors),
            Err(_)
                if errors.is_empty() && {
                    errors = recover::item_errors(file, &text, MAX_ERRORS_PER_FILE);
                    !errors.is_empty()
                } =>
            {
                return Err(errors);
            }
            Err(err) => {
                let error = error::from_pest(file, &text, 0, &err);
                let offset = error.offset_in(file);
                let fatal = error.is_missing_header();
                errors.push(error);
                // Recover by blanking the failing line, keeping every offset;
                // a file without its `policy` line is not worth reading on.
                if fatal || errors.len() >= MAX_ERRORS_PER_FILE || !blank_line(&mut text, offset) {
                    return Err(errors);
                }
            }
        }
    }
}

/// Replaces the line holding `offset` by spaces; false when there is nothing
/// left to blank there (so retrying would fail the same way).
fn blank_line(text: &mut String, offset: usize) -> bool {
    let offset = offset.min(text.len());
    let start = text
        .get(..offset)
        .and_then(|before| before.rfind('\n'))
        .map_or(0, |nl| nl + 1);
    let end = text
        .get(offset..)
        .and_then(|after| after.find('\n'))
        .map_or(text.len(), |nl| offset + nl);
    let Some(line) = text.get(start..end) else {
        return false;
    };
    if line.trim().is_empty() || line.trim_start().starts_with("policy") {
        return false;
    }
    // Multi-byte characters become as many spaces as they had bytes.
    let blank: String = line
        .chars()
        .flat_map(|c| {
            let n = if c == '\r' { 0 } else { c.len_utf8() };
            std::iter::repeat_n(' ', n).chain((c == '\r').then_some('\r'))
        })
        .collect();
    text.replace_range(start..end, &blank);
    true
}

/// Finds the first place nested deeper than `limit`: braces and
/// parentheses, with the `not`s in a row before them. Strings and comments
/// are skipped.
fn too_deep(file: &SourceFile, limit: usize) -> Option<SyntaxError> {
    let text = file.text.as_bytes();
    let mut depth = 0usize;
    let mut nots = 0usize;
    let mut i = 0;
    while let Some(&byte) = text.get(i) {
        let token_start = i;
        match byte {
            b'"' => {
                i += 1;
                while let Some(&b) = text.get(i) {
                    match b {
                        b'\\' => i += 1,
                        b'"' | b'\n' => break,
                        _ => {}
                    }
                    i += 1;
                }
            }
            b'#' => {
                while text.get(i).is_some_and(|b| *b != b'\n') {
                    i += 1;
                }
                continue;
            }
            // An opening brace or parenthesis nests inside the `not`s before it.
            b'{' | b'(' => depth += 1,
            b'}' | b')' => {
                depth = depth.saturating_sub(1);
                nots = 0;
            }
            // `not` followed by any blank counts, whatever separates them.
            b'n' if text.get(i..i + 3) == Some(b"not")
                && text
                    .get(i + 3)
                    .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
                && (i == 0
                    || !text
                        .get(i - 1)
                        .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')) =>
            {
                nots += 1;
                i += 3;
            }
            b' ' | b'\t' | b'\r' => {}
            _ if byte.is_ascii_alphanumeric() || byte == b'_' => {
                // A word other than `not` ends a run of `not`s.
                while text
                    .get(i)
                    .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-')
                {
                    i += 1;
                }
                nots = 0;
                continue;
            }
            _ => nots = 0,
        }
        if depth + nots > limit {
            return Some(SyntaxError::TooDeep {
                limit,
                span: file.span(token_start, (i + 1).min(text.len())),
            });
        }
        i += 1;
    }
    None
}
