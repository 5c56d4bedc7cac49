//! The formatter: one canonical layout for policy files (and one for test
//! files, `format_tests`, at the end). The language is
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
//! row; one newline at the end. Lines are broken to fit in 100
//! characters where the language lets them break (before a rule's
//! conditions, each new line opening with `and`, and inside a
//! declaration's value set), and joined again when they fit.

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
    let (out, text_start, _) = join_at(tokens);
    (out, text_start)
}

/// [`join`], and the byte offset in the joined line where each token starts.
fn join_at(tokens: &[Token<'_>]) -> (String, Option<usize>, Vec<usize>) {
    let mut out = String::new();
    let mut prev: Option<&Token<'_>> = None;
    let mut text_start = None;
    let mut starts = Vec::with_capacity(tokens.len());
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
        starts.push(out.len());
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
    (out, text_start, starts)
}

/// The width a policy line is wrapped to, in characters (a trailing
/// comment not counted: it cannot be wrapped).
const WIDTH: usize = 100;

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

/// The lines of a text, tokenized as far as the formatter has looked
/// ahead: memory stays a few lines' worth, whatever the file's size.
struct Lines<'a> {
    rest: std::str::Lines<'a>,
    ahead: std::collections::VecDeque<Vec<Token<'a>>>,
}

impl<'a> Lines<'a> {
    /// The line `at` lines ahead, tokenized.
    fn get(&mut self, at: usize) -> Option<&Vec<Token<'a>>> {
        while self.ahead.len() <= at {
            let line = self.rest.next()?;
            self.ahead.push_back(tokenize(line));
        }
        self.ahead.get(at)
    }
}

fn format_text(text: &str) -> String {
    let mut lines = Lines {
        rest: text.lines(),
        ahead: std::collections::VecDeque::new(),
    };
    let mut out: Vec<String> = Vec::new();
    let mut depth = 0usize;
    // The column where continuation strings line up, after a `because`.
    let mut text_column: Option<usize> = None;
    let mut last_kind = Kind::Blank;
    while lines.get(0).is_some() {
        split_block_braces(&mut lines.ahead);
        let Some(tokens) = lines.ahead.front() else {
            break;
        };
        let kind = match tokens.first() {
            None => Kind::Blank,
            Some(Token::Comment(_)) => Kind::Comment,
            Some(Token::Close) => Kind::Close,
            Some(Token::Word("because" | "see")) => Kind::Clause,
            Some(Token::Str(_)) => Kind::Text,
            _ => Kind::Item,
        };
        if kind == Kind::Blank {
            if out.last().is_some_and(|line| !line.is_empty()) {
                out.push(String::new());
            }
            last_kind = Kind::Blank;
            lines.ahead.pop_front();
            continue;
        }
        if kind == Kind::Close {
            depth = depth.saturating_sub(1);
        }
        let base = 2 * depth;
        if kind == Kind::Item {
            // An item with the lines it goes on over: a value set or an
            // enum spanning lines, conditions continued with `and`.
            let end = item_end(&mut lines);
            let item: Vec<Vec<Token<'_>>> = lines.ahead.drain(..end).collect();
            let (rendered, text_start) = layout_item(&item, base);
            let last_indent = rendered.last().map_or(base, |line| indent_of(line));
            text_column = text_start.map(|column| last_indent + column);
            out.extend(rendered);
            if opens_block(&item) {
                depth += 1;
            }
            last_kind = Kind::Item;
            continue;
        }
        let indent = match kind {
            Kind::Clause => base + 2,
            Kind::Text => text_column.unwrap_or(base + 2),
            // A comment between a rule and its clauses stays with them.
            Kind::Comment if matches!(last_kind, Kind::Clause | Kind::Text) => base + 2,
            _ => base,
        };
        let (line, text_start) = join(tokens);
        out.push(indented(indent, &line));
        // Strings continuing a `because` text line up under its first string.
        if kind == Kind::Clause {
            text_column = text_start.map(|column| indent + column);
        }
        if kind != Kind::Comment {
            last_kind = kind;
        }
        lines.ahead.pop_front();
    }
    while out.last().is_some_and(String::is_empty) {
        out.pop();
    }
    let mut formatted = out.join("\n");
    formatted.push('\n');
    formatted
}

/// Puts a `when` block's braces on lines of their own where the line at
/// `at` (the first of an item, or a `}`) shares one with a rule: what
/// follows a one-line header's `{`, and a `}` after a rule or after another
/// `}`, moves to a new line after it. A `}` that does not close a `{` of
/// its own line closes a block, since an item's lines start outside every
/// value set.
fn split_block_braces(lines: &mut std::collections::VecDeque<Vec<Token<'_>>>) {
    let Some(tokens) = lines.front() else { return };
    let is_code = |t: &Token<'_>| !matches!(t, Token::Comment(_));
    let mut split = None;
    if tokens.first() == Some(&Token::Close) {
        split = tokens.iter().skip(1).position(is_code).map(|p| p + 1);
    } else if tokens.first() == Some(&Token::Word("when")) {
        let (one, _, starts) = join_at(tokens);
        if let Some(end) = crate::syntax::when_header_end(&one) {
            split = starts
                .iter()
                .position(|&s| s >= end)
                .filter(|&i| tokens.get(i).is_some_and(is_code));
        }
    }
    if split.is_none() {
        let mut open = 0usize;
        for (i, token) in tokens.iter().enumerate() {
            match token {
                Token::Open => open += 1,
                Token::Close if open == 0 => {
                    split = Some(i).filter(|&i| i > 0);
                    break;
                }
                Token::Close => open -= 1,
                _ => {}
            }
        }
    }
    if let Some(i) = split {
        if let Some(line) = lines.front_mut() {
            let rest = line.split_off(i);
            lines.insert(1, rest);
        }
    }
}

/// `line` after `indent` spaces.
fn indented(indent: usize, line: &str) -> String {
    format!("{}{line}", " ".repeat(indent))
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// Whether an item is a `when` block's header (its last code token is the
/// block's `{`).
fn opens_block(item: &[Vec<Token<'_>>]) -> bool {
    let is_when = item
        .first()
        .is_some_and(|tokens| tokens.first() == Some(&Token::Word("when")));
    let last_code = item
        .iter()
        .flatten()
        .rev()
        .find(|t| !matches!(t, Token::Comment(_)));
    is_when && last_code == Some(&Token::Open)
}

/// How many lines the item starting at the first line ahead has: its
/// braces balance (a `when` header's own `{` aside) and the next line does
/// not continue its conditions with `and`.
fn item_end(lines: &mut Lines<'_>) -> usize {
    let when = lines
        .get(0)
        .is_some_and(|tokens| tokens.first() == Some(&Token::Word("when")));
    let mut open = 0usize;
    let mut end = 0;
    while let Some(tokens) = lines.get(end) {
        for token in tokens {
            match token {
                Token::Open => open += 1,
                Token::Close => open = open.saturating_sub(1),
                _ => {}
            }
        }
        end += 1;
        let last_code = tokens
            .iter()
            .rev()
            .find(|t| !matches!(t, Token::Comment(_)));
        if when && open == 1 && last_code == Some(&Token::Open) {
            return end;
        }
        let continues = lines
            .get(end)
            .is_some_and(|next| next.first() == Some(&Token::Word("and")));
        if open == 0 && !continues {
            return end;
        }
    }
    end
}

/// An item's lines in canonical layout at indentation `base`, and the
/// column of a `because` text on its last line. The item is written on
/// one line when it fits in [`WIDTH`]; a longer rule or `when` header is
/// broken before its conditions (each new line opening with `and`,
/// indented two more for a rule and four more for a header, whose rules
/// are indented two), a clause written on the rule's line moves to a line
/// of its own, and a longer declaration lays out its value set over lines
/// of their own. An item with a comment inside (not at its end) keeps its
/// line breaks.
fn layout_item(item: &[Vec<Token<'_>>], base: usize) -> (Vec<String>, Option<usize>) {
    let inner_comment = item
        .iter()
        .rev()
        .skip(1)
        .any(|tokens| tokens.iter().any(|t| matches!(t, Token::Comment(_))));
    if inner_comment {
        return (keep_lines(item, base), None);
    }
    let mut tokens: Vec<Token<'_>> = Vec::new();
    for (i, line) in item.iter().enumerate() {
        let skip = usize::from(i > 0 && line.first() == Some(&Token::Word("and")));
        tokens.extend(line.iter().skip(skip).cloned());
    }
    let comment = match tokens.last() {
        Some(Token::Comment(c)) => {
            let c = *c;
            tokens.pop();
            Some(c)
        }
        _ => None,
    };
    let with_comment = |mut line: String| {
        if let Some(c) = comment {
            line.push_str("  ");
            line.push_str(c);
        }
        line
    };
    let fits = |indent: usize, line: &str| indent + line.chars().count() <= WIDTH;

    let (one, text_start) = join(&tokens);
    if fits(base, &one) {
        return (vec![with_comment(indented(base, &one))], text_start);
    }
    let when = tokens.first() == Some(&Token::Word("when"));
    let declaration = matches!(
        tokens.first(),
        Some(Token::Word(
            "fact" | "set" | "outcome" | "otherwise" | "priority" | "policy" | "first" | "strict"
        ))
    );
    if declaration {
        let lines = layout_set(&tokens, base).unwrap_or_else(|| vec![indented(base, &one)]);
        return (with_last(lines, with_comment), None);
    }
    // A clause on the rule's line moves to a line of its own.
    let clause_at = tokens
        .iter()
        .position(|t| matches!(t, Token::Word("because" | "see")))
        .filter(|_| !when);
    let (conditions, clauses) = tokens.split_at(clause_at.unwrap_or(tokens.len()));
    let mut lines = break_conditions(conditions, base, when);
    let mut text_start = None;
    let mut rest = clauses;
    while !rest.is_empty() {
        let next = rest
            .iter()
            .skip(1)
            .position(|t| matches!(t, Token::Word("because" | "see")))
            .map_or(rest.len(), |p| p + 1);
        let (clause, after) = rest.split_at(next);
        let (line, start) = join(clause);
        text_start = start;
        lines.push(indented(base + 2, &line));
        rest = after;
    }
    (with_last(lines, with_comment), text_start)
}

/// `lines` with `f` applied to the last one.
fn with_last(mut lines: Vec<String>, f: impl Fn(String) -> String) -> Vec<String> {
    if let Some(last) = lines.pop() {
        lines.push(f(last));
    }
    lines
}

/// A rule's conditions (through its verdict and what follows it), or a
/// `when` header, filled into lines of at most [`WIDTH`]: a break goes
/// before a condition ahead of the verdict, and the lines after the first
/// open with `and`. A rule whose conditions cannot be told apart stays on
/// one line.
fn break_conditions(tokens: &[Token<'_>], base: usize, when: bool) -> Vec<String> {
    let (one, _, starts) = join_at(tokens);
    let Some(conditions) = crate::syntax::condition_starts(&one, when) else {
        return vec![indented(base, &one)];
    };
    // Token indices where a line may break: every condition but the first.
    let breaks: Vec<usize> = conditions
        .iter()
        .skip(1)
        .filter_map(|at| starts.iter().position(|s| s == at))
        .collect();
    let continued = base + if when { 4 } else { 2 };
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut indent = base;
    let mut from = 0;
    for to in breaks.iter().copied().chain([tokens.len()]) {
        let (piece, _) = join(tokens.get(from..to).unwrap_or_default());
        from = to;
        let joined = if line.is_empty() {
            piece.clone()
        } else {
            format!("{line} {piece}")
        };
        if line.is_empty() || indent + joined.chars().count() <= WIDTH {
            line = joined;
            continue;
        }
        lines.push(indented(indent, &line));
        indent = continued;
        line = format!("and {piece}");
    }
    lines.push(indented(indent, &line));
    lines
}

/// A declaration whose value set is too long for one line: the text up to
/// the set's `{` on the first line, the values filled into lines indented
/// two more, and the `}` with what follows it on the last line. `None`
/// when it has no set of more than one value.
fn layout_set(tokens: &[Token<'_>], base: usize) -> Option<Vec<String>> {
    let open = tokens.iter().position(|t| *t == Token::Open)?;
    let close = open + tokens.iter().skip(open).position(|t| *t == Token::Close)?;
    let values = tokens.get(open + 1..close)?;
    // Each value with the comma after it, if any.
    let mut pieces: Vec<String> = Vec::new();
    for token in values {
        let (text, _) = join(std::slice::from_ref(token));
        match (token, pieces.last_mut()) {
            (Token::Comma, Some(last)) => last.push(','),
            _ => pieces.push(text),
        }
    }
    if pieces.len() < 2 {
        return None;
    }
    let (head, _) = join(tokens.get(..=open)?);
    let (tail, _) = join(tokens.get(close..)?);
    let mut lines = vec![indented(base, &head)];
    let mut line = String::new();
    for piece in pieces {
        let joined = if line.is_empty() {
            piece.clone()
        } else {
            format!("{line} {piece}")
        };
        if line.is_empty() || base + 2 + joined.chars().count() <= WIDTH {
            line = joined;
        } else {
            lines.push(indented(base + 2, &line));
            line = piece;
        }
    }
    lines.push(indented(base + 2, &line));
    lines.push(indented(base, &tail));
    Some(lines)
}

/// An item with a comment inside it, line by line as written: a line that
/// continues conditions indented two more (four in a `when` header), a
/// line inside a value set two more per open set, a line that closes the
/// last open set as the item.
fn keep_lines(item: &[Vec<Token<'_>>], base: usize) -> Vec<String> {
    let when = item
        .first()
        .is_some_and(|tokens| tokens.first() == Some(&Token::Word("when")));
    let mut open = 0usize;
    let mut out = Vec::new();
    for (i, tokens) in item.iter().enumerate() {
        let indent = if i == 0 {
            base
        } else if open > 0 {
            if tokens.first() == Some(&Token::Close) {
                base + 2 * (open - 1)
            } else {
                base + 2 * open
            }
        } else {
            base + if when { 4 } else { 2 }
        };
        let (line, _) = join(tokens);
        out.push(indented(indent, &line));
        for token in tokens {
            match token {
                Token::Open => open += 1,
                Token::Close => open = open.saturating_sub(1),
                _ => {}
            }
        }
    }
    out
}

/// The test file's text in canonical layout. Fails with the file's syntax
/// errors; formatting never changes a test (the tests are parsed again and
/// compared, and the original is kept if they differ).
///
/// The layout: `test "name"` at the start of a line, one blank line before
/// each test (comments just above a test stay with it); its clauses
/// (`policy`, `now`, `facts`, `expect`) indented two spaces, with no blank
/// line between them, one space between words, two before a trailing
/// comment; the facts on one line
/// when they fit in 100 columns, else one top-level key per line, lined up
/// under the first; inside the facts, `": "` and `", "` between values and
/// nothing inside brackets; at most one blank line in a row; one newline
/// at the end.
///
/// ```
/// let mut sources = verdict::SourceMap::new();
/// let text = "test   \"staff\"\n    facts {\"role\":\"staff\" }\n expect   allow\n";
/// let id = sources.add("doors.tests", text);
/// let file = id.and_then(|id| sources.file(id)).ok_or("too large")?;
/// let formatted = verdict::format::format_tests(file).map_err(|errors| format!("{errors:?}"))?;
/// assert_eq!(formatted, "test \"staff\"\n  facts {\"role\": \"staff\"}\n  expect allow\n");
/// # Ok::<(), String>(())
/// ```
pub fn format_tests(file: &SourceFile) -> Result<String, Vec<crate::diagnostics::SuiteError>> {
    use crate::source::SourceMap;
    let before = syntax::parse_tests(&SourceMap::new(), file)?;
    let formatted = format_tests_text(&file.text);
    // What the tests say must not change: if the layout would change it (a
    // case this formatter does not know), the text is kept as it is.
    let mut again = SourceMap::new();
    let same = again
        .add(file.name.as_str(), formatted.as_str())
        .and_then(|id| again.file(id))
        .and_then(|after| syntax::parse_tests(&again, after).ok())
        .is_some_and(|after| same_tests(&before, &after));
    Ok(if same { formatted } else { file.text.clone() })
}

/// Whether two parses of a test file hold the same tests.
fn same_tests(a: &[crate::ast::TestCase], b: &[crate::ast::TestCase]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(a, b)| {
            a.name == b.name
                && a.policy.as_ref().map(|p| &p.0) == b.policy.as_ref().map(|p| &p.0)
                && a.facts == b.facts
                && a.now == b.now
                && a.expect == b.expect
        })
}

/// The widest line [`format_tests`] writes facts on before it breaks them.
const TESTS_WIDTH: usize = 100;

fn format_tests_text(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    // Blank lines seen since the last line written.
    let mut blank = false;
    // Comments waiting for what follows them: above a test they stay with
    // it, after the blank line that goes before the test. Each says
    // whether it was indented (inside a test) or not.
    let mut comments: Vec<(bool, String)> = Vec::new();
    let mut in_test = false;
    while let Some(line) = lines.next() {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            if comments.is_empty() {
                blank = true;
            } else {
                // A blank line after comments: they stand on their own.
                flush(&mut out, &mut comments, &mut blank, in_test);
                blank = true;
            }
            continue;
        }
        if trimmed.starts_with('#') {
            let indented = line.starts_with([' ', '\t']);
            comments.push((indented, trimmed.trim_end().to_string()));
            continue;
        }
        let (code, comment) = split_comment(trimmed);
        let mut words = code.split_whitespace();
        let keyword = words.next().unwrap_or_default();
        if keyword == "test" {
            // One blank line before each test but the first thing in the file.
            if !out.is_empty() {
                out.push('\n');
            }
            blank = false;
            for (_, comment) in comments.drain(..) {
                out.push_str(&comment);
                out.push('\n');
            }
            in_test = true;
            let name = code["test".len()..].trim();
            push_line(&mut out, &format!("test {name}"), comment);
            continue;
        }
        flush(&mut out, &mut comments, &mut blank, in_test);
        if keyword == "facts" {
            // The object may run over several lines: take lines until its
            // braces close.
            let mut json = code["facts".len()..].trim().to_string();
            let mut comment = comment;
            while !balanced(&json) {
                let Some(next) = lines.next() else { break };
                let (more, more_comment) = split_comment(next.trim());
                json.push(' ');
                json.push_str(more);
                comment = more_comment;
            }
            let facts = layout_json(&json, "  facts ".len());
            push_line(&mut out, &format!("  facts {facts}"), comment);
            continue;
        }
        let rest: Vec<&str> = words.collect();
        let line = if rest.is_empty() {
            format!("  {keyword}")
        } else {
            format!("  {keyword} {}", rest.join(" "))
        };
        push_line(&mut out, &line, comment);
    }
    flush(&mut out, &mut comments, &mut blank, in_test);
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// Writes the waiting comments, after a blank line if one came before them
/// and they stand between tests (a test has no blank lines inside):
/// indented inside a test when they were indented, else at the start of
/// the line.
fn flush(out: &mut String, comments: &mut Vec<(bool, String)>, blank: &mut bool, in_test: bool) {
    let between_tests = !in_test || comments.first().is_some_and(|(indented, _)| !indented);
    if *blank && !out.is_empty() && between_tests {
        out.push('\n');
    }
    *blank = false;
    for (indented, comment) in comments.drain(..) {
        if in_test && indented {
            out.push_str("  ");
        }
        out.push_str(&comment);
        out.push('\n');
    }
}

fn push_line(out: &mut String, code: &str, comment: Option<&str>) {
    out.push_str(code);
    if let Some(comment) = comment {
        out.push_str("  ");
        out.push_str(comment.trim_end());
    }
    out.push('\n');
}

/// A line's code and its trailing comment: a `#` outside strings.
fn split_comment(line: &str) -> (&str, Option<&str>) {
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            '#' if !in_string => {
                let (code, comment) = line.split_at(i);
                return (code.trim_end(), Some(comment));
            }
            _ => {}
        }
    }
    (line.trim_end(), None)
}

/// Whether every `{` and `[` of the JSON text, outside strings, is closed.
fn balanced(json: &str) -> bool {
    json_tokens(json)
        .iter()
        .fold(0i64, |depth, token| match *token {
            "{" | "[" => depth + 1,
            "}" | "]" => depth - 1,
            _ => depth,
        })
        <= 0
}

/// The tokens of JSON text: strings as written, punctuation, and the
/// literals between them.
fn json_tokens(json: &str) -> Vec<&str> {
    let mut tokens = Vec::new();
    let bytes = json.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'{' | b'}' | b'[' | b']' | b',' | b':' => {
                tokens.push(json.get(i..i + 1).unwrap_or_default());
                i += 1;
            }
            b'"' => {
                let start = i;
                i += 1;
                while let Some(&c) = bytes.get(i) {
                    i += 1;
                    match c {
                        b'\\' => i += 1,
                        b'"' => break,
                        _ => {}
                    }
                }
                tokens.push(json.get(start..i.min(json.len())).unwrap_or_default());
            }
            _ => {
                let start = i;
                while bytes
                    .get(i)
                    .is_some_and(|c| !b" \t\r\n{}[],:\"".contains(c))
                {
                    i += 1;
                }
                tokens.push(json.get(start..i).unwrap_or_default());
            }
        }
    }
    tokens
}

/// JSON text laid out: on one line if it fits after `column` columns, else
/// one top-level member per line, each after the first lined up under it.
fn layout_json(json: &str, column: usize) -> String {
    let tokens = json_tokens(json);
    // Each top-level member's text, on one line.
    let mut members: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut depth = 0usize;
    let mut whole = String::new();
    for (i, token) in tokens.iter().enumerate() {
        let next = tokens.get(i + 1).copied();
        let text = match *token {
            ":" => String::from(": "),
            "," => String::from(", "),
            t => t.to_string(),
        };
        whole.push_str(&text);
        match *token {
            "{" | "[" => {
                depth += 1;
                if depth > 1 {
                    current.push_str(token);
                }
            }
            "}" | "]" => {
                depth = depth.saturating_sub(1);
                if depth > 0 {
                    current.push_str(token);
                }
            }
            "," if depth == 1 => members.push(std::mem::take(&mut current)),
            _ if depth >= 1 => current.push_str(&text),
            _ => {}
        }
        // A member ends at the closing brace of the object too.
        if depth == 0 && matches!(*token, "}" | "]") && next.is_none() && !current.is_empty() {
            members.push(std::mem::take(&mut current));
        }
    }
    let whole = whole.trim_end().to_string();
    let outer_is_object = tokens.first() == Some(&"{");
    if column + whole.chars().count() <= TESTS_WIDTH || !outer_is_object || members.len() < 2 {
        return whole;
    }
    let indent = " ".repeat(column + 1);
    let mut out = String::from("{");
    for (i, member) in members.iter().enumerate() {
        if i > 0 {
            out.push_str(",\n");
            out.push_str(&indent);
        }
        out.push_str(member.trim_end());
    }
    out.push('}');
    out
}
