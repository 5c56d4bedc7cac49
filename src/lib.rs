//! verdict: a declarative policy language and engine.
//!
//! Policies are text files of terse rules over declared facts. verdict
//! parses them, checks them (unknown words, type errors, conflicting rules),
//! compiles each policy into a decision tree and evaluates the tree over JSON
//! facts. The pipeline is visible in the modules: [`syntax`] (parse) →
//! [`check`] → [`compile`] → [`eval`]; [`PolicySet`] runs it end to end.
//!
//! ```
//! use verdict::PolicySet;
//!
//! let policies = PolicySet::from_sources([(
//!     "doors.policy",
//!     r#"
//! policy doors
//! otherwise deny "nobody said yes"
//! fact role: {staff guest} at user.role
//! fact badge: bool at user.badge default false
//! staff badge can
//! guest cannot because "guests are let in at the front desk"
//! "#,
//! )])
//! .map_err(|report| report.render(80))?;
//!
//! let facts = serde_json::json!({ "user": { "role": "staff", "badge": true } });
//! let decisions = policies.evaluate(&facts).map_err(|report| report.render(80))?;
//! assert_eq!(decisions[0].decision, "allow");
//! assert_eq!(decisions[0].rule.as_deref(), Some("doors.policy:6"));
//! # Ok::<(), String>(())
//! ```

// The pipeline, in layers: each module imports only from those above it
// (`tests/it/layers.rs` checks this).
pub mod diagnostics;
pub mod limits;
pub mod source;

pub mod ast;
pub mod model;

pub mod syntax;

pub mod check;
pub mod format;

pub mod compile;
mod facts;

pub mod eval;

mod builtin;
pub mod explain;
mod files;

mod policy_set;

pub mod batch;
pub mod diff;
pub mod suite;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

#[cfg(doctest)]
mod doctests;

pub use crate::diagnostics::{
    CheckError, FactsError, LoadError, Note, Problem, Report, SuiteError, SyntaxError,
};
pub use crate::files::{io_reason, read_facts};
pub use crate::limits::Limits;
pub use crate::policy_set::{Decision, DecisionRef, Decisions, PolicySet, TraceStep};
