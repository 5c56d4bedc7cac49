//! Reading the facts a command decides for: a file, or standard input
//! for `-`, within the policy set's limits.

use verdict::{Limits, LoadError, Report, SourceMap};

/// Reads a facts file (`-` for standard input) as text, of at most
/// `limits.max_facts_bytes` bytes (more are not read).
pub fn read_facts(path: &str, limits: &Limits) -> Result<String, Report> {
    use std::io::Read;
    let mut bytes = Vec::new();
    let limit = limits.max_facts_bytes;
    let most = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    let result = if path == "-" {
        std::io::stdin()
            .take(most)
            .read_to_end(&mut bytes)
            .map(|_| ())
    } else {
        std::fs::File::open(path).and_then(|f| f.take(most).read_to_end(&mut bytes).map(|_| ()))
    };
    let fail = |problem: LoadError| Report::new(SourceMap::new(), vec![problem.into()]);
    if bytes.len() > limit {
        let size = std::fs::metadata(path).map_or(bytes.len(), |m| m.len() as usize);
        return Err(fail(LoadError::facts_too_large(path, size, limit)));
    }
    result.map_err(|e| {
        let error = LoadError::io(path, &e);
        fail(if e.kind() == std::io::ErrorKind::NotFound {
            error.with_help("pass the path of a JSON file, or `-` to read standard input")
        } else {
            error
        })
    })?;
    String::from_utf8(bytes).map_err(|e| {
        // Show the text around the byte, read with it replaced.
        let offset = e.utf8_error().valid_up_to();
        let mut sources = SourceMap::new();
        let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
        let span = sources
            .add(path, text)
            .and_then(|id| sources.file(id))
            .map(|file| file.span(offset, offset + '\u{FFFD}'.len_utf8()));
        let error = LoadError::NotUtf8 {
            path: path.to_string(),
            offset,
            span,
        };
        Report::new(sources, vec![error.into()])
    })
}
