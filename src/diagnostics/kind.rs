//! What kind of problem a diagnostic is, for callers that turn problems
//! into outcomes (an HTTP status, an exit code, whether to retry) without
//! matching code strings.

use serde::Serialize;

use super::{FactsError, LoadError, Problem, Report};

/// The kind of a [`Problem`]: who has to act on it, and how a service
/// answers it.
///
/// ```
/// use verdict::{ErrorKind, PolicySet};
///
/// let policies = PolicySet::builtin().map_err(|r| r.render(80))?;
/// let status = |text: &str| match policies.decide_json("request", text).err().and_then(|r| r.kind()) {
///     None => 200,
///     Some(ErrorKind::MalformedFacts | ErrorKind::Io) => 400,
///     Some(ErrorKind::TooLarge) => 413,
///     Some(ErrorKind::UndecidableFacts | ErrorKind::Request) => 422,
///     Some(_) => 500,
/// };
/// assert_eq!(status("{\"subscription\": "), 400);
/// assert_eq!(status("{}"), 422);
/// # Ok::<(), String>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// Facts verdict cannot read: not JSON, not an object, nested too
    /// deep, or a key on the way to a declared fact given twice. A
    /// malformed request: HTTP 400.
    MalformedFacts,
    /// Facts that are JSON but do not decide: a fact a decision needs is
    /// missing, of the wrong type or not a declared value, or (with strict
    /// facts) a key no policy reads. The caller must send other facts:
    /// HTTP 422.
    UndecidableFacts,
    /// Input past a size limit ([`Limits`](crate::Limits)): HTTP 413.
    TooLarge,
    /// A policy that does not parse or check, or a warning or note about
    /// one: for the policies' author, not for the caller of a decision.
    Policy,
    /// A test file that is wrong, or a test that cannot run.
    Tests,
    /// A question about a decision that cannot be answered (`explain
    /// --why-not` a decision the policy never makes): HTTP 422.
    Request,
    /// A file that cannot be read or written, or is not UTF-8 text.
    Io,
    /// A bug in verdict: please report it.
    Internal,
}

impl Problem {
    /// What kind of problem this is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Problem::Load(LoadError::TooLarge { .. }) => ErrorKind::TooLarge,
            Problem::Load(_) => ErrorKind::Io,
            Problem::Syntax(_) | Problem::Check(_) => ErrorKind::Policy,
            Problem::Facts(facts) => match facts {
                FactsError::Syntax { .. }
                | FactsError::RepeatedKey { .. }
                | FactsError::TooDeep { .. }
                | FactsError::NotObject { .. } => ErrorKind::MalformedFacts,
                FactsError::NoDecision { .. } => ErrorKind::Internal,
                _ => ErrorKind::UndecidableFacts,
            },
            Problem::Suite(_) => ErrorKind::Tests,
            Problem::Explain(_) => ErrorKind::Request,
            Problem::Sql(_) => ErrorKind::Policy,
        }
    }
}

impl Report {
    /// The kind of the report's first error, `None` when it has none (only
    /// warnings and notes). A [deferred](Report) refusal knows its kind
    /// without working out the rest.
    pub fn kind(&self) -> Option<ErrorKind> {
        if let Some(kind) = self.kind_before_built() {
            return Some(kind);
        }
        self.problems()
            .iter()
            .find(|p| p.is_error())
            .map(Problem::kind)
    }
}
