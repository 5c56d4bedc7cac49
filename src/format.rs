//! The formatter: one canonical layout for policy files. The language is
//! line-based, so the formatter works line by line on tokens: it keeps every
//! token, string and comment as written and only decides the whitespace
//! between them, the indentation of each line and the blank lines. A file
//! must parse before it is formatted, and formatting never changes what it
//! means (the tests check that the syntax tree is unchanged).
//!
//! The layout: items start at the indentation of their `when` block (two
//! spaces per level); `because`, `see` and doc strings are indented two more;
//! a text's continuation strings line up under its first string; one space
//! between tokens, none inside braces and parentheses, after `.` in paths or before `:` and
//! `,`; two spaces before a trailing comment; at most one blank line in a
//! row; one newline at the end.

use crate::diagnostics::SyntaxError;
use crate::source::SourceFile;
use crate::syntax;

/// The file's text in canonical layout. Fails with the file's syntax errors.
///
/// ```
/// let mut sources = verdict::SourceMap::new();
/// let id = sources.add("doors.policy", "policy doors\nfact role:{staff guest}   at user.role\nstaff   can\n");
/// let file = id.and_then(|id| sources.file(id)).ok_or("too large")?;
/// let formatted = verdict::format::format(file).map_err(|errors| format!("{errors:?}"))?;
/// assert_eq!(formatted, "policy doors\nfact role: {staff guest} at user.role\nstaff can\n");
/// # Ok::<(), String>(())
/// ```
pub fn format(file: &SourceFile) -> Result<String, Vec<SyntaxError>> {
    syntax::validate(file)?;
    Ok(format_text(&file.text))
}

#[derive(Clone, Debug, PartialEq)]
enum Token<'a> {
    /// Words, numbers, paths (with quoted keys), operators.
    Word(&'a str),
    Str(&'a str),
    Open,
    Close,
    /// `(` and `)` around a group.
    OpenGroup,
    CloseGroup,
    Colon,
    Comma,
    Comment(&'a str),
}

/// Splits one line into tokens. Text the grammar would reject cannot reach
/// here (the file parsed), so anything else is kept as a word.
fn tokenize(line: &str) -> Vec<Token<'_>> {
    let bytes = line.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let start = i;
        match b {
            b' ' | b'\t' | b'\r' => {
                i += 1;
                continue;
            }
            b'#' => {
                tokens.push(Token::Comment(
                    line.get(start..).unwrap_or_default().trim_end(),
                ));
                break;
            }
            b'{' => {
                tokens.push(Token::Open);
                i += 1;
                continue;
            }
            b'}' => {
                tokens.push(Token::Close);
                i += 1;
                continue;
            }
            b'(' | b')' => {
                tokens.push(if b == b'(' {
                    Token::OpenGroup
                } else {
                    Token::CloseGroup
                });
                i += 1;
                continue;
            }
            b':' => {
                tokens.push(Token::Colon);
                i += 1;
                continue;
            }
            b',' => {
                tokens.push(Token::Comma);
                i += 1;
                continue;
            }
            b'"' => {
                let end = string_end(bytes, i);
                // A quoted key that starts a path glues to the keys after it.
                i = glue_path(bytes, end);
                let text = line.get(start..i).unwrap_or_default();
                tokens.push(if i == end {
                    Token::Str(text)
                } else {
                    Token::Word(text)
                });
                continue;
            }
            b'!' | b'=' | b'<' | b'>' => {
                // Comparison operators: `=`, `!=`, `<`, `<=`, `>`, `>=`.
                i += 1;
                if bytes.get(i) == Some(&b'=') {
                    i += 1;
                }
                tokens.push(Token::Word(line.get(start..i).unwrap_or_default()));
            }
            b'-' if bytes.get(i + 1) == Some(&b'>') => {
                i += 2;
                tokens.push(Token::Word("->"));
            }
            _ => {
                // Times keep their colons: `09:30`, `2026-12-01T10:30:00+01:00`.
                let number = b.is_ascii_digit();
                while let Some(&c) = bytes.get(i) {
                    let arrow = c == b'-' && bytes.get(i + 1) == Some(&b'>');
                    let time_colon =
                        number && c == b':' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit);
                    if time_colon {
                        i += 1;
                        continue;
                    }
                    if arrow
                        || matches!(
                            c,
                            b' ' | b'\t'
                                | b'\r'
                                | b'#'
                                | b'{'
                                | b'}'
                                | b'('
                                | b')'
                                | b','
                                | b'"'
                                | b':'
                                | b'!'
                                | b'='
                                | b'<'
                                | b'>'
                        )
                    {
                        break;
                    }
                    i += 1;
                }
                if i == start {
                    i += 1;
                }
                i = glue_path(bytes, i);
                tokens.push(Token::Word(line.get(start..i).unwrap_or_default()));
            }
        }
    }
    tokens
}

/// The index just past the string that starts at `start`.
fn string_end(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while let Some(&c) = bytes.get(i) {
        match c {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// Extends a path token over `."quoted key"` and `.key` parts that follow
/// it with no space, and over a quoted key right after a trailing `.`.
fn glue_path(bytes: &[u8], mut i: usize) -> usize {
    loop {
        let prev_dot = i > 0 && bytes.get(i - 1) == Some(&b'.');
        match bytes.get(i) {
            Some(b'"') if prev_dot => i = string_end(bytes, i),
            Some(b'.') => {
                i += 1;
                while let Some(&c) = bytes.get(i) {
                    if c.is_ascii_alphanumeric() || c == b'_' || c == b'-' {
                        i += 1;
                    } else {
                        break;
                    }
                }
            }
            _ => return i,
        }
    }
}

/// Joins a line's tokens with canonical spacing; also returns the column
/// (in characters) of the token after a `because`, where a text starts.
fn join(tokens: &[Token<'_>]) -> (String, Option<usize>) {
    let mut out = String::new();
    let mut prev: Option<&Token<'_>> = None;
    let mut text_start = None;
    for token in tokens {
        let space = match (prev, token) {
            (None, _) => "",
            (_, Token::Comment(_)) => "  ",
            (Some(Token::Open | Token::OpenGroup), _) => "",
            (_, Token::Close | Token::CloseGroup) => "",
            (_, Token::Colon | Token::Comma) => "",
            _ => " ",
        };
        out.push_str(space);
        if prev == Some(&Token::Word("because")) {
            text_start = Some(out.chars().count());
        }
        out.push_str(match token {
            Token::Word(w) | Token::Str(w) | Token::Comment(w) => w,
            Token::Open => "{",
            Token::Close => "}",
            Token::OpenGroup => "(",
            Token::CloseGroup => ")",
            Token::Colon => ":",
            Token::Comma => ",",
        });
        prev = Some(token);
    }
    (out, text_start)
}

/// What a line is, for indentation.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Blank,
    Comment,
    /// An item: a declaration, option, rule or `when` line.
    Item,
    /// `because ...` or `see ...`
    Clause,
    /// A line that starts with a string: a doc string or a text's continuation.
    Text,
    /// `}` closing a block.
    Close,
}

fn format_text(text: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut depth = 0usize;
    // Open braces of value sets or enum types that span lines.
    let mut set_depth = 0usize;
    // The column where continuation strings line up, after a `because`.
    let mut text_column: Option<usize> = None;
    let mut last_kind = Kind::Blank;
    for raw in text.lines() {
        let tokens = tokenize(raw);
        let kind = match tokens.first() {
            None => Kind::Blank,
            Some(Token::Comment(_)) => Kind::Comment,
            Some(Token::Close) if set_depth == 0 => Kind::Close,
            Some(Token::Word("because" | "see")) => Kind::Clause,
            Some(Token::Str(_)) => Kind::Text,
            _ => Kind::Item,
        };
        if kind == Kind::Blank {
            if out.last().is_some_and(|line| !line.is_empty()) {
                out.push(String::new());
            }
            last_kind = Kind::Blank;
            continue;
        }
        if kind == Kind::Close {
            depth = depth.saturating_sub(1);
        }
        let base = 2 * depth;
        let indent = if set_depth > 0 {
            base + 4
        } else {
            match kind {
                Kind::Clause => base + 2,
                Kind::Text => text_column.unwrap_or(base + 2),
                // A comment between a rule and its clauses stays with them.
                Kind::Comment if matches!(last_kind, Kind::Clause | Kind::Text) => base + 2,
                _ => base,
            }
        };
        let (line, text_start) = join(&tokens);
        out.push(format!("{}{line}", " ".repeat(indent)));

        // What this line opens or closes for the lines after it: strings
        // continuing a `because` text line up under its first string.
        match kind {
            Kind::Text | Kind::Comment => {}
            _ => text_column = text_start.map(|column| indent + column),
        }
        for token in &tokens {
            match token {
                Token::Open => set_depth += 1,
                Token::Close => set_depth = set_depth.saturating_sub(1),
                _ => {}
            }
        }
        // A `when` line's `{` is a block, not a set.
        let last_code = tokens
            .iter()
            .rev()
            .find(|t| !matches!(t, Token::Comment(_)));
        if tokens.first() == Some(&Token::Word("when")) && last_code == Some(&Token::Open) {
            set_depth = set_depth.saturating_sub(1);
            depth += 1;
        }
        if kind != Kind::Comment {
            last_kind = kind;
        }
    }
    while out.last().is_some_and(String::is_empty) {
        out.pop();
    }
    let mut formatted = out.join("\n");
    formatted.push('\n');
    formatted
}
