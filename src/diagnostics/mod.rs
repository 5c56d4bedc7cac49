//! Every diagnostic verdict reports, as data, and their rendering. Each
//! stage has its enum here (`SyntaxError`, `CheckError`, `FactsError`,
//! `SuiteError`, `ExplainError`, `LoadError`, `SqlError`), with a stable code, labels on spans and a
//! help line per variant; the stages build them and nothing here knows
//! the stages. Every diagnostic is a [`Problem`]; a [`Report`] holds some
//! with the [`SourceMap`] their spans point into, and renders them as
//! miette reports.

mod check;
mod data;
mod explain;
mod facts;
mod kind;
mod load;
mod sql;
mod suite;
mod syntax;
pub mod words;

pub use check::CheckError;
pub use data::{ByteSpan, LabelData, ProblemData, ReportData, Severity, COLUMN_UNIT};
pub use explain::ExplainError;
pub use facts::FactsError;
pub(crate) use facts::DECIDING_CODES;
pub use kind::ErrorKind;
pub(crate) use load::io_reason;
pub use load::LoadError;
pub use sql::SqlError;
pub use suite::SuiteError;
pub use syntax::SyntaxError;

use std::sync::{Mutex, OnceLock, PoisonError};

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, SourceCode};
use thiserror::Error;

use crate::source::SourceMap;

/// Any diagnostic verdict can report. Each is a [`miette::Diagnostic`]
/// with a stable code (`verdict::...`, see `docs/diagnostics.md`), labels
/// on spans of the report's [`SourceMap`] and, where it helps, a help line.
///
/// ```
/// use miette::Diagnostic;
///
/// let report = verdict::PolicySet::from_sources([("p.policy", "policy p\nfact a: {x y} at a\nz can\n")])
///     .unwrap_err();
/// let problem = &report.problems()[0];
/// assert!(matches!(problem, verdict::Problem::Check(verdict::CheckError::UnknownWord { .. })));
/// assert_eq!(problem.code().map(|c| c.to_string()).as_deref(), Some("verdict::unknown_word"));
/// assert_eq!(problem.to_string(), "unknown word `z`");
/// ```
#[derive(Clone, Debug, Error, Diagnostic)]
#[non_exhaustive]
pub enum Problem {
    /// Reading files failed, or input is past a size limit.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Load(#[from] LoadError),
    /// The text of a policy file does not parse.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Syntax(#[from] SyntaxError),
    /// What the checker and the compiler find in a policy.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Check(#[from] CheckError),
    /// What is wrong with the facts of a decision.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Facts(#[from] FactsError),
    /// What is wrong in a test file.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Suite(#[from] SuiteError),
    /// A request to explain a decision that cannot be answered.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Explain(#[from] ExplainError),
    /// A policy that cannot be compiled to SQL.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Sql(#[from] SqlError),
}

impl Problem {
    /// Errors fail a run; warnings and notes do not.
    pub fn is_error(&self) -> bool {
        match self {
            Problem::Check(check) => check.is_error(),
            _ => true,
        }
    }
}

/// Problems with the sources their spans point into: what loading,
/// deciding or testing returns when something is wrong, and what
/// [`PolicySet::warnings`](crate::PolicySet::warnings) returns.
///
/// A report may be *deferred*: a refusal of facts from
/// [`PolicySet::decide_json`](crate::PolicySet::decide_json) knows that the
/// facts do not decide, and works out what is wrong with them (which facts,
/// where in the text, what would fit, what each would decide) the first
/// time anything but its [`kind`](Self::kind) or
/// [`has_errors`](Self::has_errors) is asked of the report. A service that
/// only needs to refuse a request does not pay for the help nobody reads;
/// everything asked of the report, from [`problems`](Self::problems) to
/// [`render`](Self::render), gives what it would have given built at once.
///
/// ```
/// let policies = verdict::PolicySet::builtin().map_err(|r| r.render(80))?;
/// let text = r#"{"partner": {"role": "resellr"}, "request": {"action": "invite"}}"#;
/// let refused = policies.decide_json("f.json", text).unwrap_err();
/// assert_eq!(refused.kind(), Some(verdict::ErrorKind::UndecidableFacts));
/// assert!(refused.is_deferred());
/// // Only now is the report worked out.
/// assert_eq!(refused.error_count(), 1);
/// assert!(!refused.is_deferred());
/// assert!(refused.render(80).contains("did you mean `reseller`?"));
/// # Ok::<(), String>(())
/// ```
pub struct Report {
    /// The problems and sources; for a deferred report, set when first
    /// asked for.
    built: OnceLock<Built>,
    /// How a deferred report is worked out.
    deferred: Option<Box<Deferred>>,
}

/// The problems of a report, with the files their spans point into.
#[derive(Clone, Debug, Default)]
struct Built {
    sources: SourceMap,
    problems: Vec<Problem>,
}

/// How a deferred report is worked out, and the kind of its first error,
/// known before.
struct Deferred {
    /// Taken by the one call that works the report out.
    build: Mutex<Option<Box<dyn FnOnce() -> Built + Send>>>,
    kind: ErrorKind,
}

impl Default for Report {
    fn default() -> Report {
        Report::new(SourceMap::default(), Vec::new())
    }
}

impl Clone for Report {
    fn clone(&self) -> Report {
        Report {
            built: OnceLock::from(self.built().clone()),
            deferred: None,
        }
    }
}

impl std::fmt::Debug for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let built = self.built();
        f.debug_struct("Report")
            .field("sources", &built.sources)
            .field("problems", &built.problems)
            .finish()
    }
}

impl Report {
    /// A report of `problems` whose spans point into `sources`.
    pub fn new(sources: SourceMap, problems: Vec<Problem>) -> Report {
        Report {
            built: OnceLock::from(Built { sources, problems }),
            deferred: None,
        }
    }

    /// A report with errors, the first of `kind`, that `build` works out
    /// the first time anything else is asked of it (on any thread; once).
    pub(crate) fn deferred(
        kind: ErrorKind,
        build: impl FnOnce() -> Report + Send + 'static,
    ) -> Report {
        let build = Box::new(move || build().into_built());
        Report {
            built: OnceLock::new(),
            deferred: Some(Box::new(Deferred {
                build: Mutex::new(Some(build)),
                kind,
            })),
        }
    }

    /// The problems and sources, worked out now if the report was deferred.
    fn built(&self) -> &Built {
        self.built.get_or_init(|| self.work_out())
    }

    /// Works a deferred report out (`OnceLock` makes sure this happens once).
    fn work_out(&self) -> Built {
        let Some(deferred) = &self.deferred else {
            return Built::default();
        };
        let build = deferred
            .build
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        // A build that panics is a bug in verdict: the report says so (an
        // error of kind `Internal`) rather than pass the panic on to
        // whoever asked, or be empty when asked again.
        let built = build
            .and_then(|build| std::panic::catch_unwind(std::panic::AssertUnwindSafe(build)).ok());
        built.unwrap_or_else(|| Built {
            sources: SourceMap::default(),
            problems: vec![Problem::Facts(FactsError::NoDecision {
                policy: String::from("(unknown)"),
            })],
        })
    }

    /// The report's problems and sources, taken out of it.
    fn into_built(mut self) -> Built {
        match self.built.take() {
            Some(built) => built,
            None => self.work_out(),
        }
    }

    /// The problems, in the order they were found (each stage's in source
    /// order).
    pub fn problems(&self) -> &[Problem] {
        &self.built().problems
    }

    /// The files the problems' spans point into (policies, and the facts
    /// text when there was one).
    pub fn sources(&self) -> &SourceMap {
        &self.built().sources
    }

    /// The sources and the problems, taken out of the report.
    pub fn into_parts(self) -> (SourceMap, Vec<Problem>) {
        let built = self.into_built();
        (built.sources, built.problems)
    }

    /// Whether the report is still deferred: nothing but its kind, or
    /// whether it has errors, has been asked of it.
    pub fn is_deferred(&self) -> bool {
        self.built.get().is_none()
    }

    /// The kind a deferred report was made with, while nothing else has
    /// been asked of it. (Once built, the kind is its first error's: the
    /// same, unless verdict has the bug that `verdict::internal` reports.)
    fn kind_before_built(&self) -> Option<ErrorKind> {
        match &self.deferred {
            Some(deferred) if self.is_deferred() => Some(deferred.kind),
            _ => None,
        }
    }

    /// Puts the problems' spans into `sources` instead.
    pub(crate) fn set_sources(&mut self, sources: SourceMap) {
        let built = std::mem::take(self).into_built();
        *self = Report::new(sources, built.problems);
    }

    /// Whether any problem is an error (not a warning or a note). A
    /// deferred report is a refusal: it has errors, and saying so does not
    /// work them out.
    pub fn has_errors(&self) -> bool {
        if self.deferred.is_some() {
            return true;
        }
        self.problems().iter().any(Problem::is_error)
    }

    /// How many problems are errors.
    pub fn error_count(&self) -> usize {
        self.problems().iter().filter(|p| p.is_error()).count()
    }

    /// Warnings: suspicious, but not wrong.
    pub fn warning_count(&self) -> usize {
        self.problems()
            .iter()
            .filter(|p| p.severity() == Some(miette::Severity::Warning))
            .count()
    }

    /// Notes: facts about the policy worth knowing (unused values, gaps).
    pub fn advice_count(&self) -> usize {
        self.problems()
            .iter()
            .filter(|p| p.severity() == Some(miette::Severity::Advice))
            .count()
    }

    /// Renders every problem as miette does, without colour, at `width` columns.
    pub fn render(&self, width: usize) -> String {
        self.render_with(GraphicalTheme::unicode_nocolor(), width)
    }

    /// Renders every problem with a theme of your choice.
    pub fn render_with(&self, theme: GraphicalTheme, width: usize) -> String {
        use rayon::prelude::*;
        let problems = self.problems();
        let render = |problem: &Problem| {
            let mut out = String::new();
            render_diagnostic(self.sources(), problem, theme.clone(), width, &mut out);
            out
        };
        // A snippet of a large file takes some tens of microseconds to
        // render: a report of many is rendered on every core, in order.
        if problems.len() < PARALLEL_RENDER_FROM {
            return problems.iter().map(render).collect();
        }
        problems
            .par_iter()
            .map(render)
            .collect::<Vec<String>>()
            .concat()
    }
}

/// How many problems a report holds before they are rendered on several
/// threads.
const PARALLEL_RENDER_FROM: usize = 8;

/// Renders one diagnostic whose spans point into `sources`.
pub(crate) fn render_diagnostic(
    sources: &SourceMap,
    diagnostic: &dyn Diagnostic,
    theme: GraphicalTheme,
    width: usize,
    out: &mut String,
) {
    // Never split words at hyphens or break long words: code, outcome
    // names and paths in help texts must stay copyable.
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(width)
        .with_break_words(false)
        .with_word_separator(textwrap::WordSeparator::AsciiSpace)
        .with_word_splitter(textwrap::WordSplitter::NoHyphenation);
    // Snippets of very long lines are unreadable, and miette cannot pad past
    // 65,535 columns: name the place instead.
    let far = diagnostic
        .labels()
        .into_iter()
        .flatten()
        .map(|label| label.offset() as u32)
        .find(|offset| {
            sources
                .file_at(*offset)
                .is_some_and(|file| file.line_length(*offset) > MAX_SNIPPET_LINE)
        });
    let attached = WithSource {
        inner: diagnostic,
        source: far.is_none().then_some(sources),
    };
    // Writing into a String cannot fail.
    let _ = handler.render_report(out, &attached);
    if let Some(offset) = far {
        let place = sources.file_at(offset).map(|file| {
            let (line, column) = file.line_col(offset);
            format!("{}:{line}:{column}", file.name)
        });
        out.push_str(&format!(
            "  at {} (the line is too long to show)\n",
            place.unwrap_or_default()
        ));
    }
}

/// A remark that is not a problem: a message with labels, shown like a
/// diagnostic (explanations use it to point at rules).
#[derive(Clone, Debug)]
pub struct Note {
    /// The message, on the first line.
    pub message: String,
    /// Labels on spans of the sources the note is rendered with.
    pub labels: Vec<miette::LabeledSpan>,
    /// A help line.
    pub help: Option<String>,
}

impl Note {
    /// Renders the note as miette does, its labels pointing into `sources`.
    pub fn render(&self, sources: &SourceMap, theme: GraphicalTheme, width: usize) -> String {
        let mut out = String::new();
        render_diagnostic(sources, self, theme, width, &mut out);
        out
    }
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Note {}

impl Diagnostic for Note {
    fn severity(&self) -> Option<miette::Severity> {
        Some(miette::Severity::Advice)
    }
    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }
}

/// Lines longer than this (in bytes) are not shown in a snippet.
const MAX_SNIPPET_LINE: usize = 1_000;

/// More problems, whose spans point into the report's sources.
impl Extend<Problem> for Report {
    fn extend<T: IntoIterator<Item = Problem>>(&mut self, problems: T) {
        let mut built = std::mem::take(self).into_built();
        built.problems.extend(problems);
        *self = Report::new(built.sources, built.problems);
    }
}

/// A report of one problem displays as its message; of several, as the
/// counts and then each problem's severity, code and message on a line of
/// its own. [`Report::render`] shows where; [`ReportData::log_line`] puts
/// it all on one line.
///
/// ```
/// let report = verdict::PolicySet::from_sources([("p.policy", "policy p\nfact a: {x y} at a\nz can\nw can\n")])
///     .unwrap_err();
/// assert_eq!(
///     report.to_string(),
///     "2 errors\nerror[verdict::unknown_word]: unknown word `z`\nerror[verdict::unknown_word]: unknown word `w`"
/// );
/// ```
impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let [one] = self.problems() {
            return write!(f, "{one}");
        }
        let counts = [
            (self.error_count(), "error", "errors"),
            (self.warning_count(), "warning", "warnings"),
            (self.advice_count(), "note", "notes"),
        ];
        let counts: Vec<String> = counts
            .iter()
            .filter(|(n, ..)| *n > 0)
            .map(|&(n, one, many)| format!("{n} {}", if n == 1 { one } else { many }))
            .collect();
        if counts.is_empty() {
            return write!(f, "no problems");
        }
        write!(f, "{}", counts.join(", "))?;
        for problem in self.problems() {
            let severity = match problem.severity() {
                Some(miette::Severity::Warning) => "warning",
                Some(miette::Severity::Advice) => "note",
                _ => "error",
            };
            match problem.code() {
                Some(code) => write!(f, "\n{severity}[{code}]: {problem}")?,
                None => write!(f, "\n{severity}: {problem}")?,
            }
        }
        Ok(())
    }
}

impl std::error::Error for Report {}

impl Diagnostic for Report {
    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(self.sources())
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        Some(Box::new(
            self.problems().iter().map(|p| p as &dyn Diagnostic),
        ))
    }
}

/// A diagnostic with the source code its spans point into.
#[derive(Debug)]
struct WithSource<'a> {
    inner: &'a dyn Diagnostic,
    source: Option<&'a SourceMap>,
}

impl std::fmt::Display for WithSource<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self.inner, f)
    }
}

impl std::error::Error for WithSource<'_> {}

impl Diagnostic for WithSource<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.inner.code()
    }
    fn severity(&self) -> Option<miette::Severity> {
        self.inner.severity()
    }
    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.inner.help()
    }
    fn url<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.inner.url()
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.map(|s| s as &dyn SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        self.inner.labels()
    }
}
