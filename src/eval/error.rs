//! What can go wrong with facts: malformed JSON, and values a decision needs
//! that are missing, of the wrong type, or outside their declared set.
//!
//! An error first holds the JSON path alone; when the facts came as text,
//! [`EvalError::locate`] adds a label on the offending place in that text,
//! next to the label on the policy's declaration.

use miette::Diagnostic;
use thiserror::Error;

use crate::source::Span;

#[derive(Clone, Debug, Error, Diagnostic)]
pub enum EvalError {
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

impl EvalError {
    /// The JSON path the error is about, if any.
    pub fn path(&self) -> Option<&str> {
        match self {
            EvalError::Missing { path, .. }
            | EvalError::WrongType { path, .. }
            | EvalError::NotInSet { path, .. } => Some(path),
            EvalError::Syntax { .. }
            | EvalError::TooDeep { .. }
            | EvalError::NotObject { .. }
            | EvalError::NoDecision { .. } => None,
        }
    }

    /// Adds the label in the facts text, given where that text starts in the source map.
    pub fn locate(&mut self, text: &str, base: u32) {
        let to_span =
            |(start, end): (usize, usize)| Span::new(base + start as u32, base + end as u32);
        match self {
            EvalError::Missing { keys, at, key, .. } => {
                let found = super::locate::locate(text, keys);
                // Label the deepest object that exists, naming the key missing from it.
                if let Some(missing) = keys.get(found.depth) {
                    *key = missing.clone();
                }
                *at = found.span.map(to_span);
            }
            EvalError::WrongType { keys, at, .. } | EvalError::NotInSet { keys, at, .. } => {
                *at = super::locate::locate(text, keys).span.map(to_span);
            }
            EvalError::NotObject { span, .. } => {
                let start = text.len() - text.trim_start().len();
                let end = text.trim_end().len().max(start);
                *span = Some(to_span((start, end)));
            }
            EvalError::Syntax { .. } | EvalError::TooDeep { .. } | EvalError::NoDecision { .. } => {
            }
        }
    }
}
