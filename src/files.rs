//! Reading policy and tests files from disk: one file, or every file of a
//! kind in a directory (sorted by name), within the size limit, each
//! failure a diagnostic.

use std::path::Path;

use crate::diagnostics::{io_reason, LoadError};

/// The kinds of files verdict reads from directories.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileKind {
    Policy,
    Tests,
}

impl FileKind {
    fn extension(self) -> &'static str {
        match self {
            FileKind::Policy => "policy",
            FileKind::Tests => "tests",
        }
    }
}

/// The text of one file, or of the files of a kind in a directory, sorted
/// by name; every file that cannot be read is reported.
pub(crate) fn read_files(
    path: &Path,
    kind: FileKind,
    limit: usize,
) -> Result<Vec<(String, String)>, Vec<LoadError>> {
    read_files_named(path, kind, limit, false)
}

/// [`read_files`], each file named by its path (`relative` false) or by its
/// name alone (true: relative to the directory, or the file's own name), so
/// that nothing of the file system around it shows.
pub(crate) fn read_files_named(
    path: &Path,
    kind: FileKind,
    limit: usize,
    relative: bool,
) -> Result<Vec<(String, String)>, Vec<LoadError>> {
    let shown = path.display().to_string();
    let io = |reason: &std::io::Error, path: &str| LoadError::Io {
        path: path.to_string(),
        reason: io_reason(reason),
        help: None,
    };
    let paths = if path.is_file() {
        vec![path.to_path_buf()]
    } else {
        let entries = std::fs::read_dir(path).map_err(|e| {
            vec![LoadError::Io {
                path: shown.clone(),
                reason: io_reason(&e),
                help: Some(String::from(match kind {
                    FileKind::Policy => {
                        "pass a `.policy` file or a directory that holds `*.policy` files"
                    }
                    FileKind::Tests => {
                        "write the tests in a `.tests` file beside the policy, or pass a directory that holds `*.policy` and `*.tests` files"
                    }
                })),
            }]
        })?;
        let mut paths = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| vec![io(&e, &shown)])?;
            let path = entry.path();
            // `is_file` follows symbolic links; a dangling or looping link is skipped.
            if path.extension().is_some_and(|ext| ext == kind.extension()) && path.is_file() {
                paths.push(path);
            }
        }
        paths.sort();
        if paths.is_empty() {
            return Err(vec![match kind {
                FileKind::Policy => LoadError::NoPolicies { path: shown },
                FileKind::Tests => LoadError::NoTests { path: shown },
            }]);
        }
        paths
    };
    let mut files = Vec::new();
    let mut errors = Vec::new();
    let mut total = 0usize;
    for path in paths {
        let name = match path.file_name() {
            Some(file) if relative => file.to_string_lossy().into_owned(),
            _ => path.display().to_string(),
        };
        // The size is checked before reading, so a huge file costs nothing.
        let size = std::fs::metadata(&path).map_or(0, |m| m.len() as usize);
        total = total.saturating_add(size);
        if total > limit {
            errors.push(policy_too_large(name, total, limit));
            break;
        }
        match std::fs::read(&path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => files.push((name, text)),
                Err(e) => errors.push(LoadError::NotUtf8 {
                    path: name,
                    offset: e.utf8_error().valid_up_to(),
                    span: None,
                }),
            },
            Err(e) => errors.push(io(&e, &name)),
        }
    }
    if errors.is_empty() {
        Ok(files)
    } else {
        Err(errors)
    }
}

/// Policy files past [`Limits::max_policy_bytes`](crate::Limits::max_policy_bytes).
pub(crate) fn policy_too_large(path: String, size: usize, limit: usize) -> LoadError {
    LoadError::TooLarge {
        path,
        size,
        limit,
        help: format!(
            "the policy files of one set add up to at most {limit} bytes (`Limits::max_policy_bytes`); generated policies this large are better split"
        ),
    }
}
