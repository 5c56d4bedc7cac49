//! What can be wrong in a request to explain a decision.

use miette::Diagnostic;
use thiserror::Error;

/// A request to explain a decision that cannot be answered.
#[derive(Clone, Debug, Error, Diagnostic)]
#[non_exhaustive]
pub enum ExplainError {
    /// "Why not" asks for a decision that no policy of the set can make.
    #[error("`{decision}` is not a decision of these policies: they decide {known}")]
    #[diagnostic(code(verdict::explain::unknown_decision))]
    UnknownDecision {
        /// The decision asked for.
        decision: String,
        /// The decisions the policies can make, listed.
        known: String,
        /// The closest decision, or how decisions are written.
        #[help]
        help: String,
    },
}
