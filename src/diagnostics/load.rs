//! What can go wrong reading policy, tests and facts files: the file
//! system's errors, text that is not UTF-8, and sizes past the limits.

use miette::Diagnostic;
use thiserror::Error;

/// Reading files failed.
#[derive(Clone, Debug, Error, Diagnostic)]
pub enum LoadError {
    #[error("cannot read `{path}`: {reason}")]
    #[diagnostic(code(verdict::io))]
    Io {
        path: String,
        reason: String,
        #[help]
        help: Option<String>,
    },

    #[error("`{path}` is not UTF-8 text: invalid byte at offset {offset}")]
    #[diagnostic(
        code(verdict::io::not_utf8),
        help("policy and facts files are UTF-8; convert this one from its encoding, e.g. `iconv -f LATIN1 -t UTF-8`")
    )]
    NotUtf8 { path: String, offset: usize },

    #[error("no test files in `{path}`")]
    #[diagnostic(
        code(verdict::no_tests),
        help("tests live beside the policies, in files ending in `.tests`")
    )]
    NoTests { path: String },

    #[error("no policy files in `{path}`")]
    #[diagnostic(
        code(verdict::no_policies),
        help("policy files end in `.policy`; pass the directory that holds them")
    )]
    NoPolicies { path: String },

    #[error("`{path}` is too large: {size} bytes, past the limit of {limit}")]
    #[diagnostic(code(verdict::io::too_large))]
    TooLarge {
        path: String,
        size: usize,
        limit: usize,
        #[help]
        help: String,
    },
}
