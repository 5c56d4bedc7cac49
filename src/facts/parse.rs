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
pub(crate) fn parse(
    policies: &SourceMap,
    limits: &Limits,
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
        Ok(value) => Ok(ParsedFacts {
            sources,
            value,
            base,
        }),
        Err(err) if err.to_string().starts_with("recursion limit exceeded") => {
            let offset = deeper_than(text, depth)
                .unwrap_or_else(|| offset_of(text, err.line(), err.column()));
            Err(too_deep_report(offset))
        }
        Err(err) => {
            let offset = offset_of(text, err.line(), err.column());
            let end = (offset + 1).min(text.len()).max(offset);
            let error = FactsError::Syntax {
                message: words::json_error(&err),
                span: Some(Span::new(base + offset as u32, base + end as u32)),
            };
            Err(Report::new(sources, vec![error.into()]))
        }
    }
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
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, byte) in bytes.iter().enumerate() {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return Some(i);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}
