//! Finding a JSON path in facts text, to point a diagnostic or an
//! explanation at the exact value. serde_json's `Value` forgets where things
//! were; this small scanner walks the text again, along one path only. It
//! runs when an error is reported or an explanation is asked for, never
//! when a decision is made.

use crate::diagnostics::FactsError;
use crate::source::Span;

/// Adds to `error` the label in the facts text, given where that text
/// starts in the source map, next to the label on the policy's declaration.
pub(crate) fn label(error: &mut FactsError, text: &str, base: u32) {
    let to_span = |(start, end): (usize, usize)| Span::new(base + start as u32, base + end as u32);
    match error {
        FactsError::Missing {
            keys,
            at,
            key,
            misspelt,
            help,
            ..
        } => {
            let found = locate(text, keys);
            // Label the deepest object that exists, naming the key missing from it.
            if let Some(missing) = keys.get(found.depth) {
                *key = missing.clone();
            }
            *at = found.span.map(to_span);
            // A key of that object a typo away is the likely mistake.
            let typo = found.span.and_then(|(start, _)| {
                let mut scanner = Scanner { text, pos: start };
                let names = scanner.keys()?;
                let (name, span) = names.iter().find(|(name, _)| {
                    name != key
                        && crate::diagnostics::words::closest(key, [name.as_str()]).is_some()
                })?;
                Some((name.clone(), *span))
            });
            if let Some((name, span)) = typo {
                *misspelt = Some(to_span(span));
                *at = None;
                *help = format!("rename `{name}` to `{key}`; or {help}");
            }
        }
        FactsError::MissingSeveral {
            keys,
            at,
            misspelt,
            meant,
            missing_keys,
            help,
            ..
        } => {
            let found = locate(text, keys);
            *at = found.span.map(to_span);
            // A key of that object a typo away from a missing one.
            let typo = found.span.and_then(|(start, _)| {
                let mut scanner = Scanner { text, pos: start };
                let names = scanner.keys()?;
                names.iter().find_map(|(name, span)| {
                    let missing = missing_keys.iter().map(String::as_str);
                    let close = crate::diagnostics::words::closest(name, missing)?;
                    (close != name).then(|| (name.clone(), close.to_string(), *span))
                })
            });
            if let Some((name, close, span)) = typo {
                *misspelt = Some(to_span(span));
                *at = None;
                *help = format!("rename `{name}` to `{close}`; or {help}");
                *meant = close;
            }
        }
        FactsError::WrongType { keys, at, .. } | FactsError::NotInSet { keys, at, .. } => {
            *at = locate(text, keys).span.map(to_span);
        }
        FactsError::NotObject { span, .. } => {
            let start = text.len() - text.trim_start().len();
            let end = text.trim_end().len().max(start);
            *span = Some(to_span((start, end)));
        }
        FactsError::UnknownKey { keys, at, .. } | FactsError::UnreadKey { keys, at, .. } => {
            *at = key_span(text, keys).map(to_span);
        }
        FactsError::Syntax { .. }
        | FactsError::TooDeep { .. }
        | FactsError::NoDecision { .. }
        | FactsError::RepeatedKey { .. } => {}
    }
}

/// A key given twice in one object.
pub(crate) struct Repeated {
    /// The path to the key, the key included.
    pub(crate) path: Vec<String>,
    /// The key's spans (quoted names) in the text.
    pub(crate) first: (usize, usize),
    pub(crate) again: (usize, usize),
}

/// The first key given twice in one object of `text` (which serde_json
/// has accepted) on the way to one of the `declared` paths, or at one.
pub(crate) fn repeated_key(text: &str, declared: &[Vec<String>]) -> Option<Repeated> {
    if declared.is_empty() {
        return None;
    }
    let mut scanner = Scanner { text, pos: 0 };
    scanner.skip_ws();
    let mut objects = vec![(scanner.pos, Vec::new())];
    while let Some((start, path)) = objects.pop() {
        scanner.pos = start;
        let keys = scanner.keys()?;
        let mut seen: Vec<(&str, (usize, usize))> = Vec::new();
        for (name, span) in &keys {
            let mut here = path.clone();
            here.push(name.clone());
            let on_the_way = declared.iter().any(|d| d.starts_with(&here));
            if !on_the_way {
                continue;
            }
            if let Some((_, first)) = seen.iter().find(|(n, _)| n == name) {
                return Some(Repeated {
                    path: here,
                    first: *first,
                    again: *span,
                });
            }
            seen.push((name.as_str(), *span));
            // Look inside objects on the way to a declared path.
            if declared
                .iter()
                .any(|d| d.len() > here.len() && d.starts_with(&here))
            {
                let mut value = Scanner { text, pos: span.1 };
                value.skip_ws();
                if value.peek() == Some(b':') {
                    value.pos += 1;
                    value.skip_ws();
                    if value.peek() == Some(b'{') {
                        objects.push((value.pos, here));
                    }
                }
            }
        }
    }
    None
}

/// The byte range of the value at `path` in facts text, if it is there.
pub(crate) fn value_span(text: &str, path: &[String]) -> Option<(usize, usize)> {
    let found = locate(text, path);
    (found.depth == path.len()).then_some(found.span).flatten()
}

/// The byte range of the last key of `path` (its quoted name) in facts
/// text, if it is there.
fn key_span(text: &str, path: &[String]) -> Option<(usize, usize)> {
    let (key, parents) = path.split_last()?;
    let found = locate(text, parents);
    if found.depth != parents.len() {
        return None;
    }
    let (start, _) = found.span?;
    let mut scanner = Scanner { text, pos: start };
    scanner.find_key(key).map(|(key, _)| key)
}

/// The 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or_default();
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// The result of looking up a path.
struct Located {
    /// How many keys of the path were found.
    depth: usize,
    /// The span of the value at the deepest key found (the whole document
    /// when none was).
    span: Option<(usize, usize)>,
}

/// Locates `path` in `text`, which serde_json has already accepted.
fn locate(text: &str, path: &[String]) -> Located {
    let mut scanner = Scanner { text, pos: 0 };
    scanner.skip_ws();
    let mut span = scanner.value_span();
    let mut depth = 0;
    for key in path {
        let Some((start, _)) = span else { break };
        scanner.pos = start;
        match scanner.find_key(key) {
            Some((_, value)) => {
                span = Some(value);
                depth += 1;
            }
            None => break,
        }
    }
    Located { depth, span }
}

struct Scanner<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    /// The span of the value starting at `pos` (after whitespace); moves past it.
    fn value_span(&mut self) -> Option<(usize, usize)> {
        self.skip_ws();
        let start = self.pos;
        self.skip_value()?;
        Some((start, self.pos))
    }

    /// Skips one value without recursion, so nesting depth costs no stack.
    fn skip_value(&mut self) -> Option<()> {
        let mut depth = 0usize;
        loop {
            self.skip_ws();
            match self.peek()? {
                b'{' | b'[' => {
                    depth += 1;
                    self.pos += 1;
                }
                b'}' | b']' => {
                    depth = depth.checked_sub(1)?;
                    self.pos += 1;
                }
                b'"' => {
                    self.skip_string()?;
                }
                b',' | b':' => self.pos += 1,
                _ => {
                    while !matches!(
                        self.peek(),
                        None | Some(b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
                    ) {
                        self.pos += 1;
                    }
                }
            }
            if depth == 0 {
                return Some(());
            }
        }
    }

    /// Reads a string starting at `pos`, returning its decoded text.
    fn string(&mut self) -> Option<std::borrow::Cow<'a, str>> {
        let start = self.pos;
        self.skip_string()?;
        let quoted = self.text.get(start..self.pos)?;
        let inner = quoted.get(1..quoted.len().saturating_sub(1))?;
        if !inner.contains('\\') {
            return Some(std::borrow::Cow::Borrowed(inner));
        }
        serde_json::from_str(quoted)
            .ok()
            .map(std::borrow::Cow::Owned)
    }

    /// Moves past the string at `pos` without reading it.
    fn skip_string(&mut self) -> Option<()> {
        self.pos += 1;
        loop {
            match self.peek()? {
                b'\\' => self.pos += 2,
                b'"' => {
                    self.pos += 1;
                    return Some(());
                }
                _ => self.pos += 1,
            }
        }
    }

    /// The keys of the object at `pos`, with their spans.
    fn keys(&mut self) -> Option<Vec<(String, (usize, usize))>> {
        self.skip_ws();
        if self.peek()? != b'{' {
            return None;
        }
        self.pos += 1;
        let mut keys = Vec::new();
        loop {
            self.skip_ws();
            match self.peek()? {
                b'}' => return Some(keys),
                b',' => self.pos += 1,
                b'"' => {
                    let key_start = self.pos;
                    let name = self.string()?.into_owned();
                    keys.push((name, (key_start, self.pos)));
                    self.skip_ws();
                    if self.peek()? != b':' {
                        return Some(keys);
                    }
                    self.pos += 1;
                    self.value_span()?;
                }
                _ => return Some(keys),
            }
        }
    }

    /// In the object at `pos`, the spans of `key` and of its value (the
    /// last one if the key repeats, as serde_json keeps the last).
    fn find_key(&mut self, key: &str) -> Option<((usize, usize), (usize, usize))> {
        self.skip_ws();
        if self.peek()? != b'{' {
            return None;
        }
        self.pos += 1;
        let mut found = None;
        loop {
            self.skip_ws();
            match self.peek()? {
                b'}' => return found,
                b',' => self.pos += 1,
                b'"' => {
                    let key_start = self.pos;
                    let name = self.string()?;
                    let key_span = (key_start, self.pos);
                    self.skip_ws();
                    if self.peek()? != b':' {
                        return found;
                    }
                    self.pos += 1;
                    let value = self.value_span()?;
                    if name == key {
                        found = Some((key_span, value));
                    }
                }
                _ => return found,
            }
        }
    }
}
