//! Diagnostics as data: the serde form of a [`Report`] and of each of its
//! problems, which `check --format json`, `eval --format json`, the NDJSON
//! batch's error objects and SARIF are all written from. Places are given
//! as the file's name, 1-based lines and columns (columns count
//! characters, as editors do) and byte offsets into the file.

use miette::Diagnostic;
use serde::Serialize;

use super::Report;
use crate::source::SourceMap;

/// What [`ReportData::column_unit`] says columns count.
pub const COLUMN_UNIT: &str = "character";

/// A report as data: every problem, the counts, and the unit columns are
/// counted in.
///
/// ```
/// let report = verdict::PolicySet::from_sources([("p.policy", "policy p\nfact a: {x y} at a\nz can\n")])
///     .unwrap_err();
/// let data = report.data();
/// assert_eq!(data.errors, 1);
/// let problem = &data.diagnostics[0];
/// assert_eq!(problem.code.as_deref(), Some("verdict::unknown_word"));
/// assert_eq!((problem.labels[0].line, problem.labels[0].column), (3, 1));
/// let json = serde_json::to_value(&data).map_err(|e| e.to_string())?;
/// assert_eq!(json["column_unit"], "character");
/// # Ok::<(), String>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReportData {
    /// The problems, in the report's order.
    pub diagnostics: Vec<ProblemData>,
    /// How many are errors.
    pub errors: usize,
    /// How many are warnings.
    pub warnings: usize,
    /// How many are notes.
    pub notes: usize,
    /// What columns count: [`COLUMN_UNIT`], Unicode characters.
    pub column_unit: &'static str,
}

/// How serious a problem is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Fails the run.
    Error,
    /// Suspicious, but not wrong.
    Warning,
    /// Worth knowing.
    Note,
}

/// One problem as data. Fields serialize in this order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProblemData {
    /// The stable code (`verdict::...`), documented in `docs/diagnostics.md`.
    pub code: Option<String>,
    /// Error, warning or note.
    pub severity: Severity,
    /// The message, one line.
    pub message: String,
    /// What to do about it.
    pub help: Option<String>,
    /// The places the problem points at.
    pub labels: Vec<LabelData>,
}

/// A place a problem points at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LabelData {
    /// The file's name as it was loaded.
    pub file: String,
    /// The 1-based line of the start.
    pub line: usize,
    /// The 1-based column of the start, in characters.
    pub column: usize,
    /// The line of the end.
    pub end_line: usize,
    /// The column just past the end, in characters.
    pub end_column: usize,
    /// Byte offsets into the file, start and end.
    pub span: ByteSpan,
    /// What the label says, if anything.
    pub message: Option<String>,
    /// Whether this is the place the problem is about (others are context).
    pub primary: bool,
}

/// A range of bytes in a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ByteSpan {
    /// The first byte.
    pub start: usize,
    /// Just past the last byte.
    pub end: usize,
}

impl ProblemData {
    /// `problem` as data, its labels placed in `sources`.
    pub fn new(sources: &SourceMap, problem: &dyn Diagnostic) -> ProblemData {
        ProblemData {
            code: problem.code().map(|c| c.to_string()),
            severity: match problem.severity() {
                Some(miette::Severity::Warning) => Severity::Warning,
                Some(miette::Severity::Advice) => Severity::Note,
                _ => Severity::Error,
            },
            message: problem.to_string(),
            help: problem.help().map(|h| h.to_string()),
            labels: labels(sources, problem),
        }
    }
}

impl ProblemData {
    /// The problem on one line of plain text, for logs: its severity,
    /// code, message and the place it is about (the primary label, or the
    /// first): `error verdict::facts::missing: missing fact `x`: ...
    /// (facts.json:3:5)`. Line breaks in a message become spaces.
    pub fn log_line(&self) -> String {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        };
        let mut line = String::from(severity);
        if let Some(code) = &self.code {
            line.push(' ');
            line.push_str(code);
        }
        line.push_str(": ");
        line.push_str(&one_line(&self.message));
        let place = self
            .labels
            .iter()
            .find(|l| l.primary)
            .or_else(|| self.labels.first());
        if let Some(label) = place {
            line.push_str(&format!(
                " ({}:{}:{})",
                label.file, label.line, label.column
            ));
        }
        line
    }
}

impl ReportData {
    /// Every problem on one line of plain text, for logs: each as
    /// [`ProblemData::log_line`] says, separated by `; `.
    ///
    /// ```
    /// let report = verdict::PolicySet::from_sources([("p.policy", "policy p\nfact a: {x y} at a\nz can\nw can\n")])
    ///     .unwrap_err();
    /// assert_eq!(
    ///     report.data().log_line(),
    ///     "error verdict::unknown_word: unknown word `z` (p.policy:3:1); \
    ///      error verdict::unknown_word: unknown word `w` (p.policy:4:1)"
    /// );
    /// ```
    pub fn log_line(&self) -> String {
        let lines: Vec<String> = self.diagnostics.iter().map(ProblemData::log_line).collect();
        lines.join("; ")
    }
}

/// `text` with its line breaks (and the blanks around them) as one space.
fn one_line(text: &str) -> String {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let mut out = lines.next().unwrap_or_default().to_string();
    for line in lines {
        out.push(' ');
        out.push_str(line);
    }
    out
}

/// The labels of a diagnostic with their places; labels outside every
/// file are left out.
fn labels(sources: &SourceMap, problem: &dyn Diagnostic) -> Vec<LabelData> {
    problem
        .labels()
        .into_iter()
        .flatten()
        .filter_map(|label| {
            let offset = u32::try_from(label.offset()).ok()?;
            let end = offset.checked_add(u32::try_from(label.len()).ok()?)?;
            let file = sources.file_at(offset)?;
            let (line, column) = file.line_col(offset);
            let (end_line, end_column) = file.line_col(end);
            Some(LabelData {
                file: file.name.clone(),
                line,
                column,
                end_line,
                end_column,
                span: ByteSpan {
                    start: offset.saturating_sub(file.base()) as usize,
                    end: end.saturating_sub(file.base()) as usize,
                },
                message: label.label().map(str::to_string),
                primary: label.primary(),
            })
        })
        .collect()
}

impl Report {
    /// The report as data, to serialize (`serde_json::to_string(&report.data())`).
    pub fn data(&self) -> ReportData {
        ReportData {
            diagnostics: self
                .problems()
                .iter()
                .map(|problem| ProblemData::new(self.sources(), problem))
                .collect(),
            errors: self.error_count(),
            warnings: self.warning_count(),
            notes: self.advice_count(),
            column_unit: COLUMN_UNIT,
        }
    }
}
