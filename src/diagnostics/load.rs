//! What can go wrong reading policy, tests and facts files: the file
//! system's errors, text that is not UTF-8, and sizes past the limits.

use miette::Diagnostic;
use thiserror::Error;

/// Reading files failed, or input is past a size limit.
#[derive(Clone, Debug, Error, Diagnostic)]
#[non_exhaustive]
pub enum LoadError {
    /// A file or directory that cannot be read.
    #[error("cannot read `{path}`: {reason}")]
    #[diagnostic(code(verdict::io))]
    Io {
        /// The file or directory.
        path: String,
        /// Why, in words (without the operating system's error number).
        reason: String,
        /// What to do about it.
        #[help]
        help: Option<String>,
    },

    /// A file that cannot be written: a formatted policy file, or
    /// standard output.
    #[error("cannot write `{path}`: {reason}")]
    #[diagnostic(code(verdict::io::write))]
    Write {
        /// The file.
        path: String,
        /// Why, in words.
        reason: String,
        /// What to do about it, and what became of the file.
        #[help]
        help: Option<String>,
    },

    /// A file that changed on disk between being read and being written
    /// back, which is then left as it is.
    #[error("`{path}` changed while it was being formatted")]
    #[diagnostic(
        code(verdict::io::changed),
        help("something else wrote to it meanwhile; it was left as that wrote it: run `verdict fmt` again")
    )]
    Changed {
        /// The file.
        path: String,
    },

    /// A file that is not UTF-8 text.
    #[error("`{path}` is not UTF-8 text: invalid byte at offset {offset}")]
    #[diagnostic(
        code(verdict::io::not_utf8),
        help("policy and facts files are UTF-8; convert this one from its encoding, e.g. `iconv -f LATIN1 -t UTF-8`")
    )]
    NotUtf8 {
        /// The file.
        path: String,
        /// The byte offset of the first byte that is not UTF-8.
        offset: usize,
        /// That byte, in the text read with it replaced, when the report
        /// holds that text.
        #[label("not UTF-8")]
        span: Option<crate::source::Span>,
    },

    /// A directory without test files.
    #[error("no test files in `{path}`")]
    #[diagnostic(
        code(verdict::no_tests),
        help("tests live beside the policies, in files ending in `.tests`")
    )]
    NoTests {
        /// The directory.
        path: String,
    },

    /// A directory without policy files.
    #[error("no policy files in `{path}`")]
    #[diagnostic(
        code(verdict::no_policies),
        help("policy files end in `.policy`; pass the directory that holds them")
    )]
    NoPolicies {
        /// The directory.
        path: String,
    },

    /// The policy cache could not be written: the policies loaded, but
    /// the next load will parse and check them again.
    #[error("cannot write the policy cache in `{dir}`: {reason}")]
    #[diagnostic(
        code(verdict::io::cache),
        severity(Warning),
        help("the policies were loaded all the same; set `VERDICT_CACHE_DIR` to a directory you can write, or leave out `--cache`")
    )]
    Cache {
        /// The cache directory.
        dir: String,
        /// Why, in words.
        reason: String,
    },

    /// Input past a size limit.
    #[error("`{path}` is too large: {size} bytes, past the limit of {limit}")]
    #[diagnostic(code(verdict::io::too_large))]
    TooLarge {
        /// The file or directory.
        path: String,
        /// Its size in bytes (of all the files of a set, for policies).
        size: usize,
        /// The limit in bytes.
        limit: usize,
        /// What to do about it.
        #[help]
        help: String,
    },
}

impl LoadError {
    /// Reading `path` failed with `error`, said in words (without the
    /// operating system's error number).
    pub fn io(path: impl Into<String>, error: &std::io::Error) -> LoadError {
        LoadError::Io {
            path: path.into(),
            reason: io_reason(error),
            help: None,
        }
    }

    /// Writing `path` failed with `error`.
    pub fn write(path: impl Into<String>, error: &std::io::Error) -> LoadError {
        LoadError::Write {
            path: path.into(),
            reason: io_reason(error),
            help: None,
        }
    }

    /// A facts document of `size` bytes at `path`, past `limit` bytes
    /// ([`Limits::max_facts_bytes`](crate::Limits::max_facts_bytes)).
    pub fn facts_too_large(path: impl Into<String>, size: usize, limit: usize) -> LoadError {
        LoadError::TooLarge {
            path: path.into(),
            size,
            limit,
            help: format!(
                "a facts document has at most {limit} bytes (`Limits::max_facts_bytes`): pass only the facts the policies read"
            ),
        }
    }

    /// The same error with `help` as its help line (for the errors that
    /// have one: reading, writing and size).
    pub fn with_help(mut self, help: impl Into<String>) -> LoadError {
        match &mut self {
            LoadError::Io { help: line, .. } | LoadError::Write { help: line, .. } => {
                *line = Some(help.into());
            }
            LoadError::TooLarge { help: line, .. } => *line = help.into(),
            LoadError::NotUtf8 { .. }
            | LoadError::Changed { .. }
            | LoadError::NoTests { .. }
            | LoadError::NoPolicies { .. }
            | LoadError::Cache { .. } => {}
        }
        self
    }
}

/// An I/O error in words, without the operating system's error number.
pub(crate) fn io_reason(error: &std::io::Error) -> String {
    let text = error.to_string().to_lowercase();
    match text.split_once(" (os error") {
        Some((reason, _)) => reason.to_string(),
        None => text,
    }
}
