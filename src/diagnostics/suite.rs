//! What can be wrong in a test file.

use miette::Diagnostic;
use thiserror::Error;

use crate::source::Span;

/// What is wrong in a test file, or with a test against its policies.
#[derive(Clone, Debug, Error, Diagnostic)]
#[non_exhaustive]
pub enum SuiteError {
    /// Test file text that does not parse.
    #[error("expected {expected}, found {found}")]
    #[diagnostic(
        code(verdict::tests::syntax),
        help("a test is `test \"name\"`, then `facts {{...}}` and `expect DECISION` (or `expect error CODE`) on lines of their own")
    )]
    Syntax {
        /// What was expected, in words.
        expected: String,
        /// What was found instead.
        found: String,
        /// Where.
        #[label("unexpected here")]
        span: Span,
    },

    /// A test without its `facts` or its `expect` line.
    #[error("test `{name}` has no `{clause}` line")]
    #[diagnostic(code(verdict::tests::incomplete))]
    Incomplete {
        /// The test's name.
        name: String,
        /// The missing line: `facts` or `expect`.
        clause: &'static str,
        /// The test.
        #[label("this test")]
        span: Span,
        /// What to do about it.
        #[help]
        help: &'static str,
    },

    /// A test's `now` that is not an RFC 3339 instant.
    #[error("`{text}` is not a date-time with an offset")]
    #[diagnostic(
        code(verdict::tests::bad_now),
        help("write the evaluation time in RFC 3339, with `Z` or an offset: `now 2026-12-07T10:00:00Z`")
    )]
    BadNow {
        /// The text after `now`.
        text: String,
        /// Where.
        #[label("not an instant")]
        span: Span,
    },

    /// A test with two lines of one kind.
    #[error("test `{name}` has two `{clause}` lines")]
    #[diagnostic(code(verdict::tests::duplicate_clause), help("keep one"))]
    DuplicateClause {
        /// The test's name.
        name: String,
        /// The line written twice: `policy`, `facts` or `expect`.
        clause: &'static str,
        /// The first such line.
        #[label("first here")]
        first: Span,
        /// The second.
        #[label(primary, "again here")]
        again: Span,
    },

    /// A test names a policy the set does not have.
    #[error("no policy named `{name}`")]
    #[diagnostic(code(verdict::tests::unknown_policy))]
    UnknownPolicy {
        /// The policy named.
        name: String,
        /// Where the test names it.
        #[label("not a policy of this set")]
        span: Span,
        /// What to do about it.
        #[help]
        help: String,
    },

    /// A test that does not say which of several policies it tests.
    #[error("test `{name}` does not say which of the {count} policies it tests")]
    #[diagnostic(
        code(verdict::tests::which_policy),
        help("add a line `policy NAME` to the test")
    )]
    WhichPolicy {
        /// The test's name.
        name: String,
        /// How many policies the set has.
        count: usize,
        /// The test.
        #[label("this test")]
        span: Span,
    },

    /// A test expects a decision its policy never makes.
    #[error("test `{name}` expects `{decision}`, which policy `{policy}` never decides")]
    #[diagnostic(code(verdict::tests::unknown_decision))]
    UnknownDecision {
        /// The test's name.
        name: String,
        /// The decision it expects.
        decision: String,
        /// The policy it tests.
        policy: String,
        /// Where the decision is written.
        #[label("not a decision of `{policy}`")]
        span: Span,
        /// The closest decision, or the decisions there are.
        #[help]
        help: String,
    },

    /// A test names a rule its policy does not have.
    #[error("test `{name}` expects rule `{rule}`, which policy `{policy}` does not have")]
    #[diagnostic(code(verdict::tests::unknown_rule))]
    UnknownRule {
        /// The test's name.
        name: String,
        /// The rule as the test names it.
        rule: String,
        /// The policy it tests.
        policy: String,
        /// Where the rule is named.
        #[label("no rule is placed or named so")]
        span: Span,
        /// The closest rule, or how rules are named.
        #[help]
        help: String,
    },

    /// A test expects an error code that deciding never reports.
    #[error("test `{name}` expects error `{code}`, which deciding never reports")]
    #[diagnostic(code(verdict::tests::unknown_code))]
    UnknownCode {
        /// The test's name.
        name: String,
        /// The code it expects.
        code: String,
        /// Where the code is written.
        #[label("not a code of deciding")]
        span: Span,
        /// The closest code, or the codes there are.
        #[help]
        help: String,
    },
}
