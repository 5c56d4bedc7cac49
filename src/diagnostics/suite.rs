//! What can be wrong in a test file.

use miette::Diagnostic;
use thiserror::Error;

use crate::source::Span;

#[derive(Clone, Debug, Error, Diagnostic)]
pub enum SuiteError {
    #[error("expected {expected}, found {found}")]
    #[diagnostic(
        code(verdict::tests::syntax),
        help("a test is `test \"name\"`, then `facts {{...}}` and `expect DECISION` (or `expect error CODE`) on lines of their own")
    )]
    Syntax {
        expected: String,
        found: String,
        #[label("unexpected here")]
        span: Span,
    },

    #[error("test `{name}` has no `{clause}` line")]
    #[diagnostic(code(verdict::tests::incomplete))]
    Incomplete {
        name: String,
        clause: &'static str,
        #[label("this test")]
        span: Span,
        #[help]
        help: &'static str,
    },

    #[error("test `{name}` has two `{clause}` lines")]
    #[diagnostic(code(verdict::tests::duplicate_clause), help("keep one"))]
    DuplicateClause {
        name: String,
        clause: &'static str,
        #[label("first here")]
        first: Span,
        #[label(primary, "again here")]
        again: Span,
    },

    #[error("no policy named `{name}`")]
    #[diagnostic(code(verdict::tests::unknown_policy))]
    UnknownPolicy {
        name: String,
        #[label("not a policy of this set")]
        span: Span,
        #[help]
        help: String,
    },

    #[error("test `{name}` does not say which of the {count} policies it tests")]
    #[diagnostic(
        code(verdict::tests::which_policy),
        help("add a line `policy NAME` to the test")
    )]
    WhichPolicy {
        name: String,
        count: usize,
        #[label("this test")]
        span: Span,
    },
}
