//! What can go wrong with facts: malformed JSON, and values a decision needs
//! that are missing, of the wrong type, or outside their declared set.
//!
//! An error first holds the JSON path alone; when the facts came as text,
//! the policy set adds a label on the offending place in that text
//! (`facts::label`), next to the label on the policy's declaration.

use miette::Diagnostic;
use thiserror::Error;

use crate::source::Span;

/// What is wrong with the facts a decision was asked for.
#[derive(Clone, Debug, Error, Diagnostic)]
#[non_exhaustive]
pub enum FactsError {
    /// Facts text that is not valid JSON (or a value that does not serialize to JSON).
    #[error("facts are not valid JSON: {message}")]
    #[diagnostic(code(verdict::facts::syntax))]
    Syntax {
        /// serde_json's complaint, without its position.
        message: String,
        /// Where in the facts text, when the facts came as text.
        #[label("here")]
        span: Option<Span>,
        /// The likely fix.
        #[help]
        help: String,
    },

    /// A key given twice in one object, on the way to a declared fact.
    #[error("`{path}` is given twice")]
    #[diagnostic(
        code(verdict::facts::repeated_key),
        help("give each key once: JSON parsers disagree on which of the two counts, so the decision could differ from what the sender meant")
    )]
    RepeatedKey {
        /// The path of the key given twice.
        path: String,
        /// Its first place.
        #[label("first here")]
        first: Span,
        /// Its second place.
        #[label(primary, "and again here")]
        again: Span,
    },

    /// Facts nested deeper than the limit allows.
    #[error("facts nest deeper than {limit} levels of objects and arrays")]
    #[diagnostic(code(verdict::facts::too_deep))]
    TooDeep {
        /// The deepest nesting allowed.
        limit: usize,
        /// Where the first level too deep starts.
        #[label("level {} starts here", limit + 1)]
        span: Span,
        /// What to do about it.
        #[help]
        help: String,
    },

    /// Facts that are not a JSON object.
    #[error("facts must be a JSON object, found {found}")]
    #[diagnostic(
        code(verdict::facts::not_object),
        help("facts are one JSON object, such as {{\"request\": {{\"action\": \"invite\"}}}}")
    )]
    NotObject {
        /// What the facts are instead, in words.
        found: &'static str,
        /// The facts, when they came as text.
        #[label("not an object")]
        span: Option<Span>,
    },

    /// A decision the fast path could not make but the full walk could: a bug in verdict, reported as such.
    #[error("policy `{policy}` reached no decision")]
    #[diagnostic(
        code(verdict::internal),
        help("this is a bug in verdict: please report it with the policy and the facts")
    )]
    NoDecision {
        /// The policy's name.
        policy: String,
    },

    /// A fact a decision needs is missing.
    #[error("missing fact `{path}`: policy `{policy}` needs it to decide")]
    #[diagnostic(code(verdict::facts::missing))]
    Missing {
        /// The policy that needs the fact.
        policy: String,
        /// The fact's JSON path, as written in the policy.
        path: String,
        /// The path's keys (a key may itself contain a dot).
        keys: Vec<String>,
        /// The deepest object of the path that exists, when the facts came as text.
        #[label("`{key}` is missing here")]
        at: Option<Span>,
        /// The key missing from that object.
        key: String,
        /// A key of that object a typo away from the missing one: the
        /// likely mistake.
        #[label(primary, "did you mean `{key}`?")]
        misspelt: Option<Span>,
        /// The fact's declaration in the policy.
        #[label("`{fact}` is declared here")]
        declared: Span,
        /// The fact's name.
        fact: String,
        /// What to do about it.
        #[help]
        help: String,
    },

    /// Several facts a decision needs are missing from one object (or
    /// from the facts themselves): one error for them all, with the JSON
    /// to add.
    #[error("missing facts {paths}: policy `{policy}` needs them to decide")]
    #[diagnostic(code(verdict::facts::missing))]
    MissingSeveral {
        /// The policy that needs the facts.
        policy: String,
        /// The facts' JSON paths, listed in words.
        paths: String,
        /// The JSON path of the first key missing (`keys`, joined).
        path: String,
        /// The path to the object they are missing from, with the first
        /// key missing from it (the keys of the path, as in `Missing`).
        keys: Vec<String>,
        /// The deepest object of that path that exists, when the facts
        /// came as text.
        #[label("{absent} missing here")]
        at: Option<Span>,
        /// The keys missing from that object, in words ("`order` is").
        absent: String,
        /// A key of that object a typo away from a missing one.
        #[label(primary, "did you mean `{meant}`?")]
        misspelt: Option<Span>,
        /// The missing key the misspelt one is a typo of.
        meant: String,
        /// The keys missing from that object, each once.
        missing_keys: Vec<String>,
        /// The first fact's declaration in the policy.
        #[label("declared here")]
        declared: Span,
        /// What to do about it.
        #[help]
        help: String,
    },

    /// A fact, or an object on the way to one, of the wrong JSON type.
    #[error("`{path}` is {found}, expected {expected}")]
    #[diagnostic(code(verdict::facts::wrong_type))]
    WrongType {
        /// The JSON path of the value.
        path: String,
        /// The path's keys (a key may itself hold a dot).
        keys: Vec<String>,
        /// What the value is, in words.
        found: String,
        /// What the fact takes, in words.
        expected: &'static str,
        /// The value, when the facts came as text.
        #[label("expected {expected}")]
        at: Option<Span>,
        /// The fact's declaration in the policy.
        #[label("`{fact}` is declared here")]
        declared: Span,
        /// The fact's name.
        fact: String,
        /// What to do about it.
        #[help]
        help: Option<String>,
    },

    /// A fact's value outside its declared set.
    #[error("`{path}` is `{value}`, which is not one of {allowed}")]
    #[diagnostic(code(verdict::facts::not_in_set))]
    NotInSet {
        /// The fact's JSON path.
        path: String,
        /// The path's keys (a key may itself hold a dot).
        keys: Vec<String>,
        /// The value found (its start, when long).
        value: String,
        /// The declared values, listed.
        allowed: String,
        /// The value, when the facts came as text.
        #[label("not a declared value")]
        at: Option<Span>,
        /// The fact's declaration in the policy.
        #[label("`{fact}` is declared here")]
        declared: Span,
        /// The fact's name.
        fact: String,
        /// What to do about it.
        #[help]
        help: Option<String>,
    },

    /// Under strict facts, a key beside the declared paths that no fact
    /// declares: a typo, or data the policy silently ignores.
    #[error("`{path}` is not a declared fact: policy `{policy}` reads facts strictly")]
    #[diagnostic(code(verdict::facts::unknown_key))]
    UnknownKey {
        /// The policy that reads strictly.
        policy: String,
        /// The key's JSON path.
        path: String,
        /// The path's keys (a key may itself hold a dot).
        keys: Vec<String>,
        /// The key, when the facts came as text.
        #[label("no fact is read from here")]
        at: Option<Span>,
        /// What to do about it: the declared key it may be meant as.
        #[help]
        help: String,
    },

    /// A key beside the declared paths that no fact declares, which the
    /// policies ignore (a warning, shown by explain and traces).
    #[error("`{path}` is not a declared fact; the policies ignore it")]
    #[diagnostic(code(verdict::facts::unread_key), severity(Warning))]
    UnreadKey {
        /// The key's JSON path.
        path: String,
        /// The path's keys (a key may itself hold a dot).
        keys: Vec<String>,
        /// The key, when the facts came as text.
        #[label("no fact is read from here")]
        at: Option<Span>,
        /// What to do about it: the declared key it may be meant as.
        #[help]
        help: String,
    },
}

/// The code of every error deciding can report: what a test may expect
/// (`expect error CODE`). A unit test holds it to the enum's variants.
pub(crate) const DECIDING_CODES: &[&str] = &[
    "verdict::facts::syntax",
    "verdict::facts::too_deep",
    "verdict::facts::repeated_key",
    "verdict::facts::not_object",
    "verdict::facts::missing",
    "verdict::facts::wrong_type",
    "verdict::facts::not_in_set",
    "verdict::facts::unknown_key",
    "verdict::internal",
];

impl FactsError {
    /// The JSON path the error is about, if any.
    pub fn path(&self) -> Option<&str> {
        match self {
            FactsError::Missing { path, .. }
            | FactsError::WrongType { path, .. }
            | FactsError::NotInSet { path, .. }
            | FactsError::UnknownKey { path, .. }
            | FactsError::UnreadKey { path, .. } => Some(path),
            FactsError::RepeatedKey { path, .. } => Some(path),
            FactsError::MissingSeveral { path, .. } => Some(path),
            FactsError::Syntax { .. }
            | FactsError::TooDeep { .. }
            | FactsError::NotObject { .. }
            | FactsError::NoDecision { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use miette::Diagnostic;

    use super::{FactsError, DECIDING_CODES};
    use crate::source::Span;

    /// Every variant's code is listed, and nothing else is.
    #[test]
    fn every_code_is_a_deciding_code() {
        let declared = Span::default();
        let all = [
            FactsError::Syntax {
                message: String::new(),
                span: None,
                help: String::new(),
            },
            FactsError::TooDeep {
                limit: 1,
                span: declared,
                help: String::new(),
            },
            FactsError::RepeatedKey {
                path: String::new(),
                first: declared,
                again: declared,
            },
            FactsError::NotObject {
                found: "",
                span: None,
            },
            FactsError::NoDecision {
                policy: String::new(),
            },
            FactsError::Missing {
                policy: String::new(),
                path: String::new(),
                keys: Vec::new(),
                at: None,
                key: String::new(),
                misspelt: None,
                declared,
                fact: String::new(),
                help: String::new(),
            },
            FactsError::MissingSeveral {
                policy: String::new(),
                paths: String::new(),
                path: String::new(),
                keys: Vec::new(),
                at: None,
                absent: String::new(),
                misspelt: None,
                meant: String::new(),
                missing_keys: Vec::new(),
                declared,
                help: String::new(),
            },
            FactsError::WrongType {
                path: String::new(),
                keys: Vec::new(),
                found: String::new(),
                expected: "",
                at: None,
                declared,
                fact: String::new(),
                help: None,
            },
            FactsError::NotInSet {
                path: String::new(),
                keys: Vec::new(),
                value: String::new(),
                allowed: String::new(),
                at: None,
                declared,
                fact: String::new(),
                help: None,
            },
            FactsError::UnknownKey {
                policy: String::new(),
                path: String::new(),
                keys: Vec::new(),
                at: None,
                help: String::new(),
            },
        ];
        // `UnreadKey` is a warning: deciding never fails with it.
        let mut codes: Vec<String> = all
            .iter()
            .filter_map(|e| e.code().map(|c| c.to_string()))
            .collect();
        codes.sort();
        // `Missing` and `MissingSeveral` share theirs.
        codes.dedup();
        let mut listed = DECIDING_CODES.to_vec();
        listed.sort_unstable();
        assert_eq!(codes, listed);
    }
}
