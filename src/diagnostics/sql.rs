//! What keeps a policy from being compiled to SQL (`verdict sql`).

use miette::Diagnostic;
use thiserror::Error;

use crate::source::Span;

/// A policy that `verdict sql` cannot compile: the query would decide
/// differently from `verdict eval`, so none is written.
#[derive(Clone, Debug, Error, Diagnostic)]
#[non_exhaustive]
pub enum SqlError {
    /// A rule tests a fact the SQL cannot read, or the policy uses an
    /// option it cannot keep.
    #[error("policy `{policy}` cannot be decided in {dialect} SQL: it reads {construct}")]
    #[diagnostic(code(verdict::sql::unsupported))]
    Unsupported {
        /// The policy's name.
        policy: String,
        /// The engine asked for.
        dialect: String,
        /// What the SQL cannot express, in words.
        construct: String,
        /// The rule that tests it (or the declaration).
        #[label("{label}")]
        span: Span,
        /// What the span shows.
        label: String,
        /// What to do about it.
        #[help]
        help: String,
    },

    /// The policy's decision tree was too large to build, and the SQL is
    /// written from the tree.
    #[error("policy `{policy}` has no decision tree to compile to SQL")]
    #[diagnostic(code(verdict::sql::no_tree))]
    NoTree {
        /// The policy's name.
        policy: String,
        /// Its `policy` line.
        #[label("its tree is past the tree budget")]
        span: Span,
        /// What to do about it.
        #[help]
        help: String,
    },

    /// The query would be too large for an engine to parse in good time.
    #[error(
        "policy `{policy}` would compile to about {size} of SQL, past the {limit} verdict writes"
    )]
    #[diagnostic(code(verdict::sql::too_large))]
    TooLarge {
        /// The policy's name.
        policy: String,
        /// The query's size, about: `741 MB`.
        size: String,
        /// The most verdict writes: `64 MB`.
        limit: String,
        /// How many nodes its trees have, in words.
        label: String,
        /// Its `policy` line.
        #[label("{label}")]
        span: Span,
        /// What to do about it.
        #[help]
        help: String,
    },
}
