//! Reading the facts a command decides for: a file, or standard input
//! for `-`, within the policy set's limits.

use verdict::{Limits, LoadError, Report, SourceMap};

/// Says, on a terminal, that the facts are read from standard input, so
/// that a command waiting for them does not look stuck.
pub fn hint_if_terminal(path: &str) {
    use std::io::IsTerminal;
    if path == "-" && std::io::stdin().is_terminal() {
        errln!("verdict: reading facts from standard input (end with Ctrl-D)");
    }
}

/// Opens a facts file for reading: a file, not a directory.
pub fn open_file(path: &str) -> Result<std::fs::File, Report> {
    let fail = |problem: LoadError| Report::new(SourceMap::new(), vec![problem.into()]);
    let file = std::fs::File::open(path).map_err(|e| {
        let error = LoadError::io(path, &e);
        fail(if e.kind() == std::io::ErrorKind::NotFound {
            error.with_help("pass the path of a JSON file, or `-` to read standard input")
        } else {
            error
        })
    })?;
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        return Err(fail(
            LoadError::Io {
                path: path.to_string(),
                reason: String::from("it is a directory"),
                help: None,
            }
            .with_help("pass the path of a JSON file, or `-` to read standard input"),
        ));
    }
    Ok(file)
}

/// Reads a facts file (`-` for standard input) as text, of at most
/// `limits.max_facts_bytes` bytes (more are not read).
pub fn read_facts(path: &str, limits: &Limits) -> Result<String, Report> {
    use std::io::Read;
    let mut bytes = Vec::new();
    let limit = limits.max_facts_bytes;
    let most = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    let fail = |problem: LoadError| Report::new(SourceMap::new(), vec![problem.into()]);
    let result = if path == "-" {
        std::io::stdin()
            .take(most)
            .read_to_end(&mut bytes)
            .map(|_| ())
    } else {
        open_file(path)?
            .take(most)
            .read_to_end(&mut bytes)
            .map(|_| ())
    };
    if bytes.len() > limit {
        let size = std::fs::metadata(path).map_or(bytes.len(), |m| m.len() as usize);
        return Err(fail(LoadError::facts_too_large(path, size, limit)));
    }
    result.map_err(|e| fail(LoadError::io(path, &e)))?;
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
