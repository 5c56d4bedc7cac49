//! What can be wrong in the text of a policy file: a token where another
//! was expected (in words a policy author knows, never grammar rule names),
//! nesting past the limit, and numbers out of range.

use miette::Diagnostic;
use thiserror::Error;

use crate::source::{SourceFile, Span};

/// What is wrong in the text of a policy file.
#[derive(Clone, Debug, Error, Diagnostic)]
#[non_exhaustive]
pub enum SyntaxError {
    /// A token where another was expected.
    #[error("expected {expected}, found {found}")]
    #[diagnostic(code(verdict::syntax))]
    Unexpected {
        /// What was expected, in words a policy author knows.
        expected: String,
        /// What was found instead.
        found: String,
        /// The token found.
        #[label("{label}")]
        span: Span,
        /// What the label on it says.
        label: String,
        /// What to do about it.
        #[help]
        help: Option<String>,
        /// The `{` that no `}` closes, or the `(` that no `)` does, when
        /// that is the trouble.
        #[label("never closed")]
        unclosed: Option<Span>,
    },

    /// Nesting past the limit.
    #[error("nested more than {limit} levels deep")]
    #[diagnostic(
        code(verdict::syntax::too_deep),
        help(
            "`when` blocks, value sets, groups and `not`s nest at most {limit} levels; flatten the policy"
        )
    )]
    TooDeep {
        /// The deepest nesting allowed.
        limit: usize,
        /// Where the first level too deep starts.
        #[label("too deep here")]
        span: Span,
    },

    /// A number out of the range of 64-bit floating point.
    #[error("number `{text}` is out of range")]
    #[diagnostic(
        code(verdict::syntax::number),
        help("numbers are 64-bit floating point: they lie between about -1.8e308 and 1.8e308")
    )]
    BadNumber {
        /// The number as written.
        text: String,
        /// Where it is written.
        #[label("not a finite number")]
        span: Span,
    },
}

impl SyntaxError {
    /// Where the error is, as a byte offset into `file`'s text.
    pub(crate) fn offset_in(&self, file: &SourceFile) -> usize {
        let span = match self {
            SyntaxError::Unexpected { span, .. }
            | SyntaxError::BadNumber { span, .. }
            | SyntaxError::TooDeep { span, .. } => *span,
        };
        span.start.saturating_sub(file.base()) as usize
    }

    /// Whether the error is the file's missing `policy NAME` line.
    pub(crate) fn is_missing_header(&self) -> bool {
        matches!(self, SyntaxError::Unexpected { expected, .. } if expected.starts_with("`policy NAME`"))
    }

    /// Where the error is.
    pub fn span(&self) -> Span {
        match self {
            SyntaxError::Unexpected { span, .. }
            | SyntaxError::BadNumber { span, .. }
            | SyntaxError::TooDeep { span, .. } => *span,
        }
    }
}
