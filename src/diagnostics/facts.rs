//! What can go wrong with facts: malformed JSON, and values a decision needs
//! that are missing, of the wrong type, or outside their declared set.
//!
//! An error first holds the JSON path alone; when the facts came as text,
//! evaluation adds a label on the offending place in that text, next to the
//! label on the policy's declaration.

use miette::Diagnostic;
use thiserror::Error;

use crate::source::Span;

#[derive(Clone, Debug, Error, Diagnostic)]
pub enum FactsError {
    #[error("facts are not valid JSON: {message}")]
    #[diagnostic(
        code(verdict::facts::syntax),
        help("facts are one JSON object, such as {{\"request\": {{\"action\": \"invite\"}}}}")
    )]
    Syntax {
        message: String,
        /// Where in the facts text, when the facts came as text.
        #[label("here")]
        span: Option<Span>,
    },

    #[error("facts nest deeper than {limit} levels of objects and arrays")]
    #[diagnostic(code(verdict::facts::too_deep))]
    TooDeep {
        limit: usize,
        #[label("level {} starts here", limit + 1)]
        span: Span,
        #[help]
        help: String,
    },

    #[error("facts must be a JSON object, found {found}")]
    #[diagnostic(
        code(verdict::facts::not_object),
        help("facts are one JSON object, such as {{\"request\": {{\"action\": \"invite\"}}}}")
    )]
    NotObject {
        found: &'static str,
        #[label("not an object")]
        span: Option<Span>,
    },

    #[error("policy `{policy}` reached no decision")]
    #[diagnostic(
        code(verdict::internal),
        help("this is a bug in verdict: please report it with the policy and the facts")
    )]
    NoDecision { policy: String },

    #[error("missing fact `{path}`: policy `{policy}` needs it to decide")]
    #[diagnostic(code(verdict::facts::missing))]
    Missing {
        policy: String,
        path: String,
        /// The path's keys (a key may itself contain a dot).
        keys: Vec<String>,
        #[label("`{key}` is missing here")]
        at: Option<Span>,
        key: String,
        #[label("`{fact}` is declared here")]
        declared: Span,
        fact: String,
        #[help]
        help: String,
    },

    #[error("`{path}` is {found}, expected {expected}")]
    #[diagnostic(code(verdict::facts::wrong_type))]
    WrongType {
        path: String,
        keys: Vec<String>,
        found: String,
        expected: &'static str,
        #[label("expected {expected}")]
        at: Option<Span>,
        #[label("`{fact}` is declared here")]
        declared: Span,
        fact: String,
        #[help]
        help: Option<String>,
    },

    #[error("`{path}` is `{value}`, which is not one of {allowed}")]
    #[diagnostic(code(verdict::facts::not_in_set))]
    NotInSet {
        path: String,
        keys: Vec<String>,
        value: String,
        allowed: String,
        #[label("not a declared value")]
        at: Option<Span>,
        #[label("`{fact}` is declared here")]
        declared: Span,
        fact: String,
        #[help]
        help: Option<String>,
    },
}

impl FactsError {
    /// The JSON path the error is about, if any.
    pub fn path(&self) -> Option<&str> {
        match self {
            FactsError::Missing { path, .. }
            | FactsError::WrongType { path, .. }
            | FactsError::NotInSet { path, .. } => Some(path),
            FactsError::Syntax { .. }
            | FactsError::TooDeep { .. }
            | FactsError::NotObject { .. }
            | FactsError::NoDecision { .. } => None,
        }
    }
}
