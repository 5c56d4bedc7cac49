//! The tokens of a policy file's text as an editor colours them: words,
//! strings, numbers, comments and operators, each with its byte range. It
//! reads any text, broken or not, a line at a time; it does not parse.

use std::ops::Range;

/// What a token is, before the index says what a word names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lexeme {
    /// A word (`CSP`, `manual-migrate`, `subscription.channel`).
    Word,
    /// A quoted string.
    String,
    /// A number, a date, a time of day, a date-time.
    Number,
    /// `# ...` to the end of the line.
    Comment,
    /// `->`, `=`, `<=`, `{`, `:`, ...
    Operator,
}

/// The tokens of `text`, in order.
pub fn tokens(text: &str) -> Vec<(Range<usize>, Lexeme)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        let start = i;
        let lexeme = match byte {
            b' ' | b'\t' | b'\r' | b'\n' => {
                i += 1;
                continue;
            }
            b'#' => {
                i = line_end(bytes, i);
                Lexeme::Comment
            }
            b'"' => {
                i = string_end(bytes, i);
                Lexeme::String
            }
            b'0'..=b'9' => {
                i += 1;
                while bytes.get(i).is_some_and(|b| {
                    b.is_ascii_alphanumeric() || matches!(b, b'.' | b':' | b'-' | b'+')
                }) {
                    i += 1;
                }
                Lexeme::Number
            }
            b'-' if bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                i += 1;
                while bytes
                    .get(i)
                    .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'.')
                {
                    i += 1;
                }
                Lexeme::Number
            }
            b if b.is_ascii_alphabetic() || b == b'_' => {
                i = word_end(bytes, i);
                Lexeme::Word
            }
            b'-' | b'<' | b'>' | b'!' | b'=' => {
                i += 1;
                if bytes.get(i).is_some_and(|b| matches!(b, b'>' | b'=')) {
                    i += 1;
                }
                Lexeme::Operator
            }
            b if b.is_ascii() => {
                i += 1;
                Lexeme::Operator
            }
            _ => {
                // A character outside ASCII belongs to no token: skip it whole.
                i += text
                    .get(i..)
                    .and_then(|rest| rest.chars().next())
                    .map_or(1, char::len_utf8);
                continue;
            }
        };
        out.push((start..i, lexeme));
    }
    out
}

/// Past the end of the word (with its dotted parts) starting at `i`.
fn word_end(bytes: &[u8], mut i: usize) -> usize {
    while let Some(&b) = bytes.get(i) {
        let continues = b.is_ascii_alphanumeric()
            || b == b'_'
            || (matches!(b, b'-' | b'.')
                && bytes
                    .get(i + 1)
                    .is_some_and(|n| n.is_ascii_alphanumeric() || *n == b'_'));
        if !continues {
            break;
        }
        i += 1;
    }
    i
}

fn line_end(bytes: &[u8], mut i: usize) -> usize {
    while bytes.get(i).is_some_and(|b| *b != b'\n') {
        i += 1;
    }
    i
}

/// Past the closing quote of the string opening at `i`, or the end of the
/// line when it is not closed.
fn string_end(bytes: &[u8], mut i: usize) -> usize {
    i += 1;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\\' => i += 2,
            b'"' => return i + 1,
            b'\n' => return i,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// The word at `offset` (or just before it), as a range, without its
/// dotted parts after the one under the cursor.
pub fn word_at(text: &str, offset: usize) -> Option<Range<usize>> {
    let bytes = text.as_bytes();
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
    let offset = offset.min(bytes.len());
    let mut start = offset;
    while start > 0 && bytes.get(start - 1).is_some_and(|b| is_word(*b)) {
        start -= 1;
    }
    let mut end = offset;
    while bytes.get(end).is_some_and(|b| is_word(*b)) {
        end += 1;
    }
    (start < end
        && bytes
            .get(start)
            .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_'))
    .then_some(start..end)
}

/// Whether `offset` is inside a comment or a string on its line.
pub fn in_comment_or_string(text: &str, offset: usize) -> bool {
    let line_start = text
        .get(..offset)
        .and_then(|before| before.rfind('\n'))
        .map_or(0, |nl| nl + 1);
    let line = text.get(line_start..offset).unwrap_or_default();
    tokens(line).iter().any(|(range, lexeme)| {
        matches!(lexeme, Lexeme::Comment | Lexeme::String)
            && range.start < line.len()
            && (range.end > line.len() || (range.end == line.len() && !closed(line, range)))
    })
}

/// Whether a string or comment token ends where it should (a comment never
/// does before its line ends).
fn closed(line: &str, range: &Range<usize>) -> bool {
    let token = line.get(range.clone()).unwrap_or_default();
    token.len() >= 2 && token.starts_with('"') && token.ends_with('"') && !token.ends_with("\\\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_line() {
        let text = "usage {Direct EA} -> manual migrate # why\n  because \"a \\\"b\\\"\"";
        let found: Vec<(&str, Lexeme)> = tokens(text)
            .into_iter()
            .map(|(r, l)| (&text[r], l))
            .collect();
        assert_eq!(
            found,
            [
                ("usage", Lexeme::Word),
                ("{", Lexeme::Operator),
                ("Direct", Lexeme::Word),
                ("EA", Lexeme::Word),
                ("}", Lexeme::Operator),
                ("->", Lexeme::Operator),
                ("manual", Lexeme::Word),
                ("migrate", Lexeme::Word),
                ("# why", Lexeme::Comment),
                ("because", Lexeme::Word),
                ("\"a \\\"b\\\"\"", Lexeme::String),
            ]
        );
    }

    #[test]
    fn numbers_times_and_paths() {
        let text = "fact a: date at order.placed default 2026-12-01\nx <= -2.5e3 09:30 14 days";
        let found: Vec<&str> = tokens(text).into_iter().map(|(r, _)| &text[r]).collect();
        assert_eq!(
            found,
            [
                "fact",
                "a",
                ":",
                "date",
                "at",
                "order.placed",
                "default",
                "2026-12-01",
                "x",
                "<=",
                "-2.5e3",
                "09:30",
                "14",
                "days"
            ]
        );
    }

    #[test]
    fn words_under_the_cursor() {
        let text = "license CSP cannot";
        assert_eq!(word_at(text, 9), Some(8..11));
        assert_eq!(word_at(text, 11), Some(8..11));
        assert_eq!(word_at(text, 0), Some(0..7));
        assert_eq!(word_at("a  b", 2), None);
        assert!(in_comment_or_string("x # note", 7));
        assert!(in_comment_or_string("x \"open", 6));
        assert!(!in_comment_or_string("x \"done\" y", 10));
    }
}
