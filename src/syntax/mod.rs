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
    if file.text.len() > 2 * PIECE_BYTES {
        if let Some(ast) = parse_in_pieces(file, PIECE_BYTES) {
            return Ok(ast);
        }
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

/// Whether `file` parses, exactly as [`parse`] decides, in memory bounded
/// by a piece of it rather than by the whole: a large file is parsed and
/// lowered in pieces of whole top-level items (about [`PIECE_BYTES`]
/// each), every piece after the first behind a stand-in `policy` line, and
/// each piece's tree dropped before the next. The formatter needs no tree,
/// so it uses this: parsing a whole file at once holds about 60 times its
/// size. When a piece fails, the whole file is parsed, for its errors in
/// their places.
pub fn validate(file: &SourceFile) -> Result<(), Vec<SyntaxError>> {
    validate_in_pieces(file, PIECE_BYTES)
}

/// Whether `word` is reserved: no declared value, fact or outcome may be
/// named so.
pub(crate) fn is_reserved(word: &str) -> bool {
    lower::RESERVED.contains(&word)
}

/// As much of `file` as parses, for an editor while the text is broken:
/// each line a syntax error is on is blanked (offsets stay put, so every
/// span is true for `file`) until the rest parses. `None` when nothing
/// does (no `policy` line, nesting past the limit, too many errors).
pub(crate) fn parse_partial(file: &SourceFile) -> Option<ast::File> {
    if too_deep(file, Limits::MAX_NESTING).is_some() {
        return None;
    }
    let mut text = file.text.clone();
    for _ in 0..MAX_ERRORS_PER_FILE * 4 {
        let error = match PolicyParser::parse(Rule::file, &text) {
            Ok(pairs) => {
                let blanked = SourceFile::new(file.name.as_str(), text.as_str(), file.base());
                match lower::file(&blanked, pairs) {
                    Ok(ast) => return Some(ast),
                    Err(error) => error,
                }
            }
            Err(err) => error::from_pest(file, &text, 0, &err),
        };
        if error.is_missing_header() || !blank_line(&mut text, error.offset_in(file)) {
            return None;
        }
    }
    None
}

/// Where the conditions before the verdict start in `line`, one rule (or,
/// with `when`, a `when` block's header through its `{`) written on one
/// line: byte offsets, the first condition's included. `None` when the
/// line is not one. The formatter breaks a long line there, each new line
/// opening with `and`.
pub(crate) fn condition_starts(line: &str, when: bool) -> Option<Vec<usize>> {
    let kind = if when { Rule::when_open } else { Rule::rule };
    let pair = PolicyParser::parse(kind, line).ok()?.next()?;
    if pair.as_span().end() != line.trim_end().len() {
        return None;
    }
    let mut starts = Vec::new();
    for child in pair.into_inner() {
        match child.as_rule() {
            Rule::verdict | Rule::lbrace => break,
            Rule::rule_name | Rule::kw_when => {}
            _ => starts.push(child.as_span().start()),
        }
    }
    Some(starts)
}

/// Where a `when` block's header that starts `line` ends, just past its
/// `{`; `None` when the line holds no whole header.
pub(crate) fn when_header_end(line: &str) -> Option<usize> {
    let pair = PolicyParser::parse(Rule::when_open, line).ok()?.next()?;
    Some(pair.as_span().end())
}

/// The file parsed in pieces of whole top-level items of about `size`
/// bytes, the items of each lowered with their spans in `file`; `None`
/// when a piece fails, so that the caller parses the whole file for its
/// errors in their places. pest keeps every token of a parse in one list
/// until it is lowered, and that list is many times the text: in pieces it
/// is never more than a piece's.
fn parse_in_pieces(file: &SourceFile, size: usize) -> Option<ast::File> {
    let mut pieces = Vec::new();
    each_piece(file, size, |piece| pieces.push(piece))?;
    let items = pieces.iter().map(|p| p.items.len()).sum();
    let mut pieces = pieces.into_iter();
    let first = pieces.next()?;
    let mut whole = ast::File {
        policy: first.policy,
        items: Vec::with_capacity(items),
    };
    whole.items.extend(first.items);
    for piece in pieces {
        whole.items.extend(piece.items);
    }
    Some(whole)
}

/// Parses and lowers `file` one piece at a time (see [`piece_starts`]),
/// handing each piece's tree to `each` before the next is parsed; `None`
/// at the first piece that fails. Every piece after the first opens with
/// [`PIECE_HEADER`], and its base puts the piece's own text where it is in
/// `file`, so every span is true for `file`.
fn each_piece(file: &SourceFile, size: usize, mut each: impl FnMut(ast::File)) -> Option<()> {
    let starts = piece_starts(&file.text, size);
    let ends = starts.iter().skip(1).copied().chain([file.text.len()]);
    for (i, (&start, end)) in starts.iter().zip(ends).enumerate() {
        let piece = file.text.get(start..end)?;
        let (text, base) = if i == 0 {
            (piece.to_string(), file.base())
        } else {
            let base = (file.base() as usize + start).checked_sub(PIECE_HEADER.len())?;
            (format!("{PIECE_HEADER}{piece}"), u32::try_from(base).ok()?)
        };
        let piece = SourceFile::new(file.name.as_str(), text, base);
        let pairs = PolicyParser::parse(Rule::file, &piece.text).ok()?;
        each(lower::file(&piece, pairs).ok()?);
    }
    Some(())
}

/// The line that opens every piece but the first in
/// [`parse_in_pieces`] and [`validate`].
const PIECE_HEADER: &str = "policy piece\n";

/// [`validate`], cutting pieces of about `size` bytes.
fn validate_in_pieces(file: &SourceFile, size: usize) -> Result<(), Vec<SyntaxError>> {
    if file.text.len() <= size {
        return parse(file).map(drop);
    }
    if let Some(error) = too_deep(file, Limits::MAX_NESTING) {
        return Err(vec![error]);
    }
    match each_piece(file, size, drop) {
        Some(()) => Ok(()),
        None => parse(file).map(drop),
    }
}

/// The size [`validate`] cuts a large file into, in bytes (a piece ends
/// at the first item that starts past it).
const PIECE_BYTES: usize = 64 * 1024;

/// Where the pieces of `text` start: 0, then the start of the first
/// top-level item at or past every `size` bytes. An item starts a line
/// outside every `{ }` (a `when` block, a value set or an enum spanning
/// lines), and is no continuation of the item before it: not a `because`
/// or `see` clause, not a line of conditions opening with `and`, and not a
/// string (a doc, or a text's next line).
/// Strings and comments are skipped when counting braces. A start that is
/// wrong only makes a piece fail, and [`validate`] then parses the whole.
fn piece_starts(text: &str, size: usize) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut starts = vec![0];
    let mut depth = 0usize;
    let mut header_seen = false;
    let mut line = 0;
    while line < bytes.len() {
        let end = text
            .get(line..)
            .and_then(|rest| rest.find('\n'))
            .map_or(bytes.len(), |nl| line + nl + 1);
        let past = starts.last().is_some_and(|&last| line >= last + size);
        if past && depth == 0 {
            let content = text.get(line..end).unwrap_or_default().trim_start();
            let word = content
                .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
                .next()
                .unwrap_or_default();
            let continues = content.starts_with('"') || matches!(word, "because" | "see" | "and");
            let blank = content.trim().is_empty() || content.starts_with('#');
            if !continues && !blank && header_seen {
                starts.push(line);
            }
        }
        // The `policy` line, after any comments, stays in the first piece.
        if !header_seen {
            let content = text.get(line..end).unwrap_or_default().trim_start();
            header_seen = !(content.trim().is_empty() || content.starts_with('#'));
        }
        let mut in_string = false;
        let mut i = line;
        while i < end {
            match bytes.get(i) {
                Some(b'\\') if in_string => i += 1,
                Some(b'"') => in_string = !in_string,
                Some(b'#') if !in_string => break,
                Some(b'{') if !in_string => depth += 1,
                Some(b'}') if !in_string => depth = depth.saturating_sub(1),
                _ => {}
            }
            i += 1;
        }
        line = end;
    }
    starts
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

/// The offset of the closing quote of the string opening at `start` (or
/// of the line end or text end that cuts it short), skipping escapes:
/// where the scans before parsing go on after a string.
fn string_end(text: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while let Some(&b) = text.get(i) {
        match b {
            b'\\' => i += 1,
            b'"' | b'\n' => break,
            _ => {}
        }
        i += 1;
    }
    i
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
            b'"' => i = string_end(text, i),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every policy file under `dir`, at any depth.
    fn policy_files(dir: &std::path::Path, found: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for path in entries.flatten().map(|e| e.path()) {
            if path.is_dir() {
                policy_files(&path, found);
            } else if path.extension().is_some_and(|e| e == "policy") {
                found.push(path);
            }
        }
    }

    /// Cut into pieces of one item each (the smallest size), every policy
    /// of the tests and of the packs, well-formed or not, is accepted by
    /// `validate` exactly when `parse` accepts it, and parsed in pieces to
    /// the very tree `parse` makes, every span in its place (the file sits
    /// after another in its map, so spans do not start at 0); each file is
    /// also tried with a `when` block and a spanning value set after it,
    /// and with a clause and a doc line that must stay with their items.
    #[test]
    fn pieces_accept_what_the_whole_accepts() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        policy_files(&root.join("tests/fixtures"), &mut files);
        policy_files(&root.join("policies"), &mut files);
        assert!(files.len() > 100, "{} policy files", files.len());
        let mut accepted = 0;
        let mut unpieced = Vec::new();
        for path in files {
            // Not every fixture is UTF-8 on purpose.
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let tail = "\nwhen {a b\n c} {\n  x -> y\n    because \"z\"\n}\nfact q: {r\n s} at q\n  \"doc\"\nx y\n  and z -> w\n";
            for text in [text.clone(), format!("{text}{tail}")] {
                let mut map = crate::source::SourceMap::new();
                map.add("before.policy", "policy before\n");
                let id = map.add(path.display().to_string(), text);
                let Some(file) = id.and_then(|id| map.file(id)) else {
                    continue;
                };
                let whole = parse(file).ok();
                assert_eq!(
                    validate_in_pieces(file, 1).is_ok(),
                    whole.is_some(),
                    "{}",
                    path.display()
                );
                // A piece that fails leaves the file to the whole parse.
                if let Some(pieces) = parse_in_pieces(file, 1) {
                    assert_eq!(Some(&pieces), whole.as_ref(), "{}", path.display());
                } else if whole.is_some() {
                    unpieced.push(path.display().to_string());
                }
                accepted += usize::from(whole.is_some());
            }
        }
        assert!(accepted > 50, "{accepted} files parse");
        assert!(unpieced.is_empty(), "parse whole only: {unpieced:?}");
    }

    #[test]
    fn pieces_start_at_top_level_items_only() {
        let text = "policy p\nfact a: {x\n y} at a\n  \"doc\"\nwhen x {\n  y -> z\n}\nx -> z\n  because \"{\"\n  see \"u\"\n# note\n\ny\n  and x -> z\n";
        let starts: Vec<&str> = piece_starts(text, 1)
            .into_iter()
            .map(|at| {
                text.get(at..)
                    .unwrap_or_default()
                    .lines()
                    .next()
                    .unwrap_or_default()
            })
            .collect();
        assert_eq!(
            starts,
            ["policy p", "fact a: {x", "when x {", "x -> z", "y"]
        );
    }
}
