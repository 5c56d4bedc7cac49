//! verdict: a declarative policy language and engine.
//!
//! Policies are text files of terse rules over declared facts. verdict
//! parses them, checks them (unknown words, type errors, conflicting rules,
//! each a diagnostic that points at the place), compiles each policy into a
//! decision tree and walks the tree over JSON facts. A [`PolicySet`] runs
//! that pipeline end to end and decides; every problem on the way is a
//! [`Problem`] in a [`Report`].
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
//! let decisions = policies.decide(&facts).map_err(|report| report.render(80))?;
//! assert_eq!(decisions[0].decision, "allow");
//! assert_eq!(decisions[0].rule, Some("doors.policy:6"));
//! # Ok::<(), String>(())
//! ```
//!
//! Facts come in three forms, each with one way in:
//! [`decide`](PolicySet::decide) for a `serde_json::Value`,
//! [`decide_json`](PolicySet::decide_json) for JSON text and
//! [`decide_serialize`](PolicySet::decide_serialize) for any `Serialize`
//! value. Each returns [`Decisions`] that borrow their texts from the set;
//! [`Decisions::into_owned`] copies them. For people there are
//! [`trace`](PolicySet::trace) and [`explain_json`](PolicySet::explain_json).
//! The tools are modules: [`explain`], [`batch`] (NDJSON), [`diff`],
//! [`format`](mod@format) and [`suite`] (policy tests). `docs/embedding.md` shows them
//! in a service.

#![warn(missing_docs)]

// The pipeline, in layers, lowest first: each module imports only from the
// layers above it in this list (`tests/it/layers.rs` checks this).
// pest derives its parsers against `alloc` when built without its `std`
// feature (which probes the stack on every rule; nesting is bounded before
// parsing instead, see `syntax::too_deep`).
extern crate alloc;

mod limits;
mod source;

mod diagnostics;

mod ast;
mod model;

mod syntax;

mod check;
pub mod format;

mod compile;
mod facts;

mod eval;

mod builtin;
pub mod explain;
mod files;

mod policy_set;

pub mod batch;
pub mod diff;
mod engine;
pub mod sql;
pub mod suite;

pub mod ide;

#[cfg(feature = "testing")]
pub mod testing;

#[cfg(doctest)]
mod doctests;

pub use crate::compile::TreeStats;
pub use crate::diagnostics::{
    ByteSpan, CheckError, ErrorKind, ExplainError, FactsError, LabelData, LoadError, Note, Problem,
    ProblemData, Report, ReportData, Severity, SqlError, SuiteError, SyntaxError, COLUMN_UNIT,
};
#[cfg(feature = "watch")]
pub use crate::engine::Watching;
pub use crate::engine::{Engine, EngineStatus, FailedReload, Reload, Snapshot};
pub use crate::limits::{Limits, TreeBuild};
pub use crate::policy_set::{
    CacheUse, Decision, DecisionRef, Decisions, FactInfo, PolicyCache, PolicyInfo, PolicySet,
    Workspace,
};
pub use crate::source::{FileId, SourceFile, SourceMap, Span};
/// An instant, as [`PolicySet::evaluated_at`] takes the evaluation time
/// (jiff's: parse one from RFC 3339 text with `str::parse`).
pub use jiff::Timestamp;
