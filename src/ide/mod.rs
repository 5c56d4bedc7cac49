//! What an editor asks of a policy set, answered in byte offsets of each
//! file's text: the diagnostics of every file, hover, completion, go to
//! definition, references, rename, formatting, the outline, folding,
//! highlighting and quick fixes. [`Analysis`] holds the files of one set
//! (policies and their tests) as the editor has them, re-checks through a
//! [`Workspace`] (so an edit redoes only what it touched) and answers from
//! the last check; `verdict lsp` speaks the protocol over it.
//!
//! ```
//! use verdict::ide::Analysis;
//!
//! let mut analysis = Analysis::new();
//! analysis.set_file("doors.policy", "policy doors\nfact role: {staff guest} at user.role\nstaf can\n");
//! let diagnostics = analysis.diagnostics();
//! let problem = &diagnostics["doors.policy"][0];
//! assert_eq!(problem.code.as_deref(), Some("verdict::unknown_word"));
//! assert_eq!(problem.range, 51..55);
//! // The did-you-mean is a quick fix.
//! assert_eq!(problem.fixes[0].edits[0].new_text, "staff");
//!
//! // Hover on `role` in the declaration.
//! let hover = analysis.hover("doors.policy", 19).ok_or("a hover")?;
//! assert!(hover.markdown.contains("fact role: {staff guest} at user.role"));
//! # Ok::<(), String>(())
//! ```

mod complete;
mod hover;
mod index;
mod lex;

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

pub use complete::{Completion, CompletionKind};
pub use hover::Hover;
pub use index::{OutlineItem, OutlineKind, Symbol};

use crate::ast;
use crate::diagnostics::{words, Problem, Report, Severity};
use crate::limits::{Limits, TreeBuild};
use crate::policy_set::{PolicyInfo, PolicySet, Workspace};
use crate::source::SourceFile;
use crate::syntax;
use index::Index;
use lex::Lexeme;

/// A byte range in a file.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FileRange {
    /// The file's name, as it was set.
    pub file: String,
    /// Byte offsets into its text.
    pub range: Range<usize>,
}

/// An edit of a file: replace `range` with `new_text`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextEdit {
    /// The file's name.
    pub file: String,
    /// The bytes replaced.
    pub range: Range<usize>,
    /// What replaces them.
    pub new_text: String,
}

/// A quick fix: edits with a title.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    /// What it does, as a menu shows it: "Replace `staf` with `staff`".
    pub title: String,
    /// Its edits.
    pub edits: Vec<TextEdit>,
}

/// One problem, in the file it is about.
#[derive(Clone, Debug, PartialEq)]
pub struct FileDiagnostic {
    /// Where, in the file's text: the problem's primary label.
    pub range: Range<usize>,
    /// Error, warning or note.
    pub severity: Severity,
    /// The stable code (`verdict::unknown_word`).
    pub code: Option<String>,
    /// The message, as the CLI prints it.
    pub message: String,
    /// The help, as the CLI prints it.
    pub help: Option<String>,
    /// The problem's other places: the other rule of a conflict, a
    /// declaration, with what each label says.
    pub related: Vec<(FileRange, String)>,
    /// Quick fixes: each did-you-mean as a replacement.
    pub fixes: Vec<Fix>,
}

/// What a token is, for highlighting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Highlight {
    /// A keyword (`fact`, `can`, `when`).
    Keyword,
    /// A fact's name.
    Fact,
    /// A declared value.
    Value,
    /// An outcome's name.
    Outcome,
    /// A named set's name.
    Set,
    /// A rule's name.
    Rule,
    /// A policy's name.
    Policy,
    /// A quoted string.
    String,
    /// A number, date, time or duration.
    Number,
    /// A comment.
    Comment,
    /// `->`, `=`, `{`, and the like.
    Operator,
}

/// The files of one policy set as an editor has them, checked on demand.
///
/// Files ending in `.tests` are the set's tests; every other file is a
/// policy file. Every query re-checks first if a file changed since the
/// last check, and answers from that check: a file that does not parse is
/// read as far as it parses (the lines with errors left out), so hover and
/// completion keep working while an author types.
#[derive(Debug)]
pub struct Analysis {
    workspace: Workspace,
    tests: BTreeMap<String, String>,
    state: State,
    stale: bool,
}

/// What the last check found.
#[derive(Debug, Default)]
struct State {
    /// Every file's text as checked.
    sources: BTreeMap<String, Arc<SourceFile>>,
    index: Index,
    diagnostics: BTreeMap<String, Vec<FileDiagnostic>>,
    /// The set, when it loaded.
    set: Option<PolicySet>,
}

impl Default for Analysis {
    fn default() -> Analysis {
        Analysis::new()
    }
}

impl Analysis {
    /// An empty set, checked as `verdict check` checks (the tree only
    /// where a finding needs it), holding at most [`Analysis::MAX_BYTES`]
    /// of policy text.
    pub fn new() -> Analysis {
        Analysis::with_limits(Limits {
            tree_build: TreeBuild::IfNeeded,
            max_policy_bytes: Analysis::MAX_BYTES,
            ..Limits::default()
        })
    }

    /// The most policy text [`Analysis::new`] holds, all files together:
    /// 16 MiB, over a hundred thousand rules. More is refused with
    /// `verdict::io::too_large` before it is read, so that an editor that
    /// opens a huge file by mistake stays responsive.
    pub const MAX_BYTES: usize = 16 << 20;

    /// An empty set checked within `limits`.
    pub fn with_limits(limits: Limits) -> Analysis {
        Analysis {
            workspace: Workspace::new(limits),
            tests: BTreeMap::new(),
            state: State::default(),
            stale: true,
        }
    }

    /// Sets a file's text, adding the file if it is new.
    pub fn set_file(&mut self, name: impl Into<String>, text: impl Into<String>) {
        let (name, text) = (name.into(), text.into());
        if is_tests(&name) {
            if self.tests.get(&name) != Some(&text) {
                self.tests.insert(name, text);
                self.stale = true;
            }
        } else if self.workspace.set_file(name, text) {
            self.stale = true;
        }
    }

    /// Removes a file.
    pub fn remove_file(&mut self, name: &str) {
        let removed = if is_tests(name) {
            self.tests.remove(name).is_some()
        } else {
            self.workspace.remove_file(name)
        };
        self.stale |= removed;
    }

    /// A file's text, if the set has it.
    pub fn file_text(&self, name: &str) -> Option<&str> {
        if is_tests(name) {
            self.tests.get(name).map(String::as_str)
        } else {
            self.workspace.file(name)
        }
    }

    /// The names of the set's files, policies first.
    pub fn file_names(&self) -> Vec<String> {
        self.workspace
            .file_names()
            .chain(self.tests.keys().map(String::as_str))
            .map(str::to_string)
            .collect()
    }

    /// Every file's diagnostics, by file name: a file without problems has
    /// an empty list, so that an editor clears what it showed.
    pub fn diagnostics(&mut self) -> &BTreeMap<String, Vec<FileDiagnostic>> {
        &self.refresh().diagnostics
    }

    /// Checks again if anything changed since the last check.
    fn refresh(&mut self) -> &State {
        if self.stale {
            self.state = self.check();
            self.stale = false;
        }
        &self.state
    }

    fn check(&mut self) -> State {
        let checked = self.workspace.check();
        let mut state = State::default();
        // Files that do not parse are read as far as they do.
        let mut partial: Vec<(Arc<SourceFile>, ast::File)> = Vec::new();
        let mut parsed: Vec<(Arc<SourceFile>, Option<&ast::File>)> = Vec::new();
        for (source, ast) in self.workspace.parses() {
            state
                .sources
                .insert(source.name.clone(), Arc::clone(source));
            if ast.is_none() {
                if let Some(ast) = syntax::parse_partial(source) {
                    partial.push((Arc::clone(source), ast));
                }
            }
            parsed.push((Arc::clone(source), ast));
        }
        let files = parsed
            .iter()
            .filter_map(|(s, a)| a.map(|a| (s.as_ref(), a)))
            .chain(partial.iter().map(|(s, a)| (s.as_ref(), a)));
        state.index = Index::build(files);
        for name in self.workspace.file_names() {
            state.diagnostics.insert(name.to_string(), Vec::new());
        }
        let report = match &checked {
            Ok(set) => {
                let (sources, mut problems) = set.diagnostics().into_parts();
                for policy in set.policies() {
                    let gaps = policy.gaps_listing(PolicyInfo::GAPS_SHOWN, false);
                    problems.extend(gaps.map(Problem::from));
                }
                Report::new(sources, problems)
            }
            Err(report) => report.clone(),
        };
        add_report(&mut state, &report);
        let tests_file = self.tests.keys().next().cloned();
        add_test_fixes(
            &mut state,
            tests_file.as_deref(),
            self.tests.get(tests_file.as_deref().unwrap_or_default()),
        );
        self.check_tests(&mut state, checked.as_ref().ok());
        state.set = checked.ok();
        state
    }

    /// Parses the tests, indexes what they name and runs them against the
    /// set (when it loaded): a failed test is an error on its `expect`
    /// line.
    fn check_tests(&self, state: &mut State, set: Option<&PolicySet>) {
        if self.tests.is_empty() {
            return;
        }
        for name in self.tests.keys() {
            state.diagnostics.insert(name.clone(), Vec::new());
        }
        // Test files are held to the same cap as policies, each refused
        // unread past it.
        let (kept, huge): (Vec<_>, Vec<_>) = self
            .tests
            .iter()
            .partition(|(_, text)| text.len() <= Analysis::MAX_BYTES);
        if !huge.is_empty() {
            let problems = huge
                .iter()
                .map(|(name, text)| {
                    Problem::from(crate::diagnostics::LoadError::TooLarge {
                        path: (*name).clone(),
                        size: text.len(),
                        limit: Analysis::MAX_BYTES,
                        help: format!(
                            "an editor holds test files of at most {} bytes",
                            Analysis::MAX_BYTES
                        ),
                    })
                })
                .collect();
            add_report(
                state,
                &Report::new(crate::source::SourceMap::new(), problems),
            );
        }
        let kept = kept
            .into_iter()
            .map(|(name, text)| (name.clone(), text.clone()));
        let suite = match crate::suite::from_sources(kept) {
            Ok(suite) => suite,
            Err(report) => {
                for (_, file) in report.sources().files() {
                    let text = SourceFile::new(file.name.as_str(), file.text.as_str(), 0);
                    state.sources.insert(file.name.clone(), Arc::new(text));
                }
                add_report(state, &report);
                return;
            }
        };
        for (_, file) in suite.sources.files() {
            let tests: Vec<ast::TestCase> = suite
                .tests
                .iter()
                .filter(|t| {
                    suite.sources.file_at(t.span.start).map(|f| &f.name) == Some(&file.name)
                })
                .cloned()
                .collect();
            state.index.add_tests(file, &tests);
            let text = SourceFile::new(file.name.as_str(), file.text.as_str(), 0);
            state.sources.insert(file.name.clone(), Arc::new(text));
        }
        let Some(set) = set else { return };
        match crate::suite::run(set, &suite) {
            Err(report) => add_report(state, &report),
            Ok(result) => {
                for (test, outcome) in suite.tests.iter().zip(&result.results) {
                    if outcome.passed {
                        continue;
                    }
                    let Some(file) = suite.sources.file_at(test.expect_span.start) else {
                        continue;
                    };
                    let Some(range) = index::local(file, test.expect_span) else {
                        continue;
                    };
                    let diagnostic = FileDiagnostic {
                        range,
                        severity: Severity::Error,
                        code: Some(String::from("verdict::tests::failed")),
                        message: format!(
                            "test `{}` failed: expected {}, got {}",
                            test.name, outcome.expected, outcome.actual
                        ),
                        help: None,
                        related: Vec::new(),
                        fixes: Vec::new(),
                    };
                    state
                        .diagnostics
                        .entry(file.name.clone())
                        .or_default()
                        .push(diagnostic);
                }
            }
        }
    }

    /// Decides for the JSON facts `text` (named `name` in diagnostics)
    /// with the set as it is now: each policy's decision, or the report
    /// rendered as `verdict eval` prints it (the set's own errors, if it
    /// does not load).
    pub fn decide(
        &mut self,
        name: &str,
        text: &str,
    ) -> Result<Vec<crate::policy_set::Decision>, String> {
        let state = self.refresh();
        let Some(set) = &state.set else {
            return Err(String::from(
                "the policies do not load: fix the errors the editor shows first",
            ));
        };
        set.decide_json(name, text)
            .map(|decisions| decisions.into_owned())
            .map_err(|report| report.render(100))
    }

    /// What the word at `offset` names, described.
    pub fn hover(&mut self, file: &str, offset: usize) -> Option<Hover> {
        let state = self.refresh();
        hover::hover(&state.index, state.sources.get(file)?, offset)
    }

    /// What may be written at `offset`.
    pub fn completions(&mut self, file: &str, offset: usize) -> Vec<Completion> {
        let state = self.refresh();
        let Some(source) = state.sources.get(file) else {
            return Vec::new();
        };
        complete::complete(&state.index, source, is_tests(file), offset)
    }

    /// Where the thing named at `offset` is declared.
    pub fn definition(&mut self, file: &str, offset: usize) -> Vec<FileRange> {
        self.places(file, offset, |o| o.definition)
    }

    /// Every place the thing named at `offset` is written, its declaration
    /// among them when `declaration` says so.
    pub fn references(&mut self, file: &str, offset: usize, declaration: bool) -> Vec<FileRange> {
        self.places(file, offset, |o| declaration || !o.definition)
    }

    /// The places of what `offset` names (each thing, for a value of
    /// several facts) that `keep` keeps, each once.
    fn places(
        &mut self,
        file: &str,
        offset: usize,
        keep: impl Fn(&index::Occurrence) -> bool,
    ) -> Vec<FileRange> {
        let state = self.refresh();
        let mut found: Vec<FileRange> = Vec::new();
        for at in state.index.at(file, offset) {
            for o in state.index.occurrences_of(&at.symbol).filter(|o| keep(o)) {
                let place = FileRange {
                    file: o.file.clone(),
                    range: o.range.clone(),
                };
                if !found.contains(&place) {
                    found.push(place);
                }
            }
        }
        found
    }

    /// The range of the fact, outcome or named set that `offset` names,
    /// if it can be renamed.
    pub fn prepare_rename(&mut self, file: &str, offset: usize) -> Option<Range<usize>> {
        let state = self.refresh();
        let at = state.index.at(file, offset);
        match at.as_slice() {
            [one] if renameable(&one.symbol) => Some(one.range.clone()),
            _ => None,
        }
    }

    /// The edits that rename the fact, outcome or named set at `offset` to
    /// `new_name` everywhere it is written, tests included; `Err` says why
    /// it cannot be.
    pub fn rename(
        &mut self,
        file: &str,
        offset: usize,
        new_name: &str,
    ) -> Result<Vec<TextEdit>, String> {
        let state = self.refresh();
        let at = state.index.at(file, offset);
        let symbol = match at.as_slice() {
            [one] if renameable(&one.symbol) => one.symbol.clone(),
            [] => return Err(String::from("no fact, outcome or named set is here")),
            [_, _, ..] => {
                return Err(String::from(
                    "this word is a value of several facts: rename the facts' values one at a time in their declarations",
                ))
            }
            _ => return Err(String::from("only facts, outcomes and named sets can be renamed")),
        };
        let (policy, what) = match &symbol {
            Symbol::Fact { policy, .. } => (policy, "fact"),
            Symbol::Outcome { policy, .. } => (policy, "outcome"),
            Symbol::Set { policy, .. } => (policy, "named set"),
            _ => {
                return Err(String::from(
                    "only facts, outcomes and named sets can be renamed",
                ))
            }
        };
        if !is_name(new_name) {
            return Err(format!(
                "`{new_name}` is not a name: a name starts with a letter or `_` and goes on with letters, digits, `_` and single `-`"
            ));
        }
        if crate::syntax::is_reserved(new_name) {
            return Err(format!("`{new_name}` is a keyword"));
        }
        if let Some(decls) = state.index.policies.get(policy) {
            let taken = decls.facts.contains_key(new_name)
                || decls.outcomes.contains_key(new_name)
                || decls.sets.contains_key(new_name)
                || decls.values.contains_key(new_name)
                || matches!(new_name, "allow" | "deny" | "none");
            if taken {
                return Err(format!(
                    "policy `{policy}` already has `{new_name}`: the renamed {what} would be read as that"
                ));
            }
        }
        Ok(state
            .index
            .occurrences_of(&symbol)
            .map(|o| TextEdit {
                file: o.file.clone(),
                range: o.range.clone(),
                new_text: new_name.to_string(),
            })
            .collect())
    }

    /// The file in `verdict fmt`'s layout; `None` when it does not parse
    /// (or the set does not have it).
    pub fn format(&self, file: &str) -> Option<String> {
        let text = self.file_text(file)?;
        let source = SourceFile::new(file, text, 0);
        if is_tests(file) {
            crate::format::format_tests(&source).ok()
        } else {
            crate::format::format(&source).ok()
        }
    }

    /// The declarations, rules and `when` blocks of a policy file.
    pub fn outline(&mut self, file: &str) -> Vec<OutlineItem> {
        let state = self.refresh();
        state.index.outlines.get(file).cloned().unwrap_or_default()
    }

    /// The ranges an editor may fold: `when` blocks, items over several
    /// lines, and runs of comment lines.
    pub fn folds(&mut self, file: &str) -> Vec<Range<usize>> {
        let state = self.refresh();
        let mut folds = state.index.folds.get(file).cloned().unwrap_or_default();
        if let Some(source) = state.sources.get(file) {
            folds.extend(comment_runs(&source.text));
        }
        folds.sort_by_key(|r| (r.start, std::cmp::Reverse(r.end)));
        folds
    }

    /// Every token of a file, with what it is.
    pub fn highlights(&mut self, file: &str) -> Vec<(Range<usize>, Highlight)> {
        let state = self.refresh();
        let Some(source) = state.sources.get(file) else {
            return Vec::new();
        };
        let occurrences = state.index.occurrences.get(file);
        let tests = is_tests(file);
        let mut out = Vec::new();
        for (range, lexeme) in lex::tokens(&source.text) {
            let highlight = match lexeme {
                Lexeme::Comment => Highlight::Comment,
                Lexeme::String => Highlight::String,
                Lexeme::Number => Highlight::Number,
                Lexeme::Operator => Highlight::Operator,
                Lexeme::Word => {
                    let named = occurrences.and_then(|all| {
                        all.iter()
                            .find(|o| o.range.start <= range.start && range.end <= o.range.end)
                    });
                    let word = source.text.get(range.clone()).unwrap_or_default();
                    match named.map(|o| &o.symbol) {
                        Some(Symbol::Fact { .. }) => Highlight::Fact,
                        Some(Symbol::Value { .. }) => Highlight::Value,
                        Some(Symbol::Outcome { .. }) => Highlight::Outcome,
                        Some(Symbol::Set { .. }) => Highlight::Set,
                        Some(Symbol::Rule { .. }) => Highlight::Rule,
                        Some(Symbol::Policy(_)) => Highlight::Policy,
                        None if hover::is_keyword(word, tests) => Highlight::Keyword,
                        None => continue,
                    }
                }
            };
            out.push((range, highlight));
        }
        out
    }

    /// The quick fixes of the diagnostics that touch `range` of `file`.
    pub fn fixes(&mut self, file: &str, range: Range<usize>) -> Vec<Fix> {
        let state = self.refresh();
        let Some(diagnostics) = state.diagnostics.get(file) else {
            return Vec::new();
        };
        diagnostics
            .iter()
            .filter(|d| d.range.start <= range.end && range.start <= d.range.end)
            .flat_map(|d| d.fixes.iter().cloned())
            .collect()
    }
}

fn is_tests(name: &str) -> bool {
    name.ends_with(".tests")
}

fn renameable(symbol: &Symbol) -> bool {
    matches!(
        symbol,
        Symbol::Fact { .. } | Symbol::Outcome { .. } | Symbol::Set { .. }
    )
}

/// A word the grammar reads as a name.
fn is_name(word: &str) -> bool {
    let bytes = word.as_bytes();
    let Some(first) = bytes.first() else {
        return false;
    };
    (first.is_ascii_alphabetic() || *first == b'_')
        && !word.ends_with('-')
        && !word.contains("--")
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
}

/// Runs of two or more comment lines.
fn comment_runs(text: &str) -> Vec<Range<usize>> {
    let mut runs = Vec::new();
    let mut run: Option<(usize, usize, usize)> = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        if content.trim_start().starts_with('#') {
            let end = offset + content.len();
            run = Some(match run {
                Some((start, _, n)) => (start, end, n + 1),
                None => (offset, end, 1),
            });
        } else if let Some((start, end, n)) = run.take() {
            if n > 1 {
                runs.push(start..end);
            }
        }
        offset += line.len();
    }
    if let Some((start, end, n)) = run {
        if n > 1 {
            runs.push(start..end);
        }
    }
    runs
}

/// Adds a report's problems to the files they are about.
fn add_report(state: &mut State, report: &Report) {
    let data = report.data();
    for problem in data.diagnostics {
        let primary = problem
            .labels
            .iter()
            .find(|l| l.primary && state.diagnostics.contains_key(&l.file))
            .or_else(|| {
                problem
                    .labels
                    .iter()
                    .find(|l| state.diagnostics.contains_key(&l.file))
            });
        let (file, range) = match primary {
            Some(label) => (label.file.clone(), label.span.start..label.span.end),
            // A problem about no place in a file (a file too large, no
            // policy at all) is shown at the start of the file it names,
            // else of the first file.
            None => {
                let named = state
                    .diagnostics
                    .keys()
                    .find(|f| problem.message.contains(&format!("`{f}`")));
                match named.or_else(|| state.diagnostics.keys().next()) {
                    Some(file) => (file.clone(), 0..0),
                    None => continue,
                }
            }
        };
        let related = problem
            .labels
            .iter()
            .filter(|l| Some(*l) != primary)
            .map(|l| {
                (
                    FileRange {
                        file: l.file.clone(),
                        range: l.span.start..l.span.end,
                    },
                    l.message.clone().unwrap_or_else(|| String::from("here")),
                )
            })
            .collect();
        let label = primary.and_then(|l| l.message.as_deref());
        let fixes = state
            .sources
            .get(&file)
            .and_then(|source| {
                did_you_mean_fix(source, &range, problem.help.as_deref())
                    .or_else(|| label_fix(source, &range, label))
            })
            .into_iter()
            .collect();
        let diagnostic = FileDiagnostic {
            range,
            severity: problem.severity,
            code: problem.code,
            message: problem.message,
            help: problem.help,
            related,
            fixes,
        };
        let list = state.diagnostics.entry(file).or_default();
        if !list.contains(&diagnostic) {
            list.push(diagnostic);
        }
    }
}

/// For a conflict or a gap, "add a test for these facts": a test of the
/// facts its help gives, appended to the set's first test file (or to a
/// new `POLICY.tests` beside the policy), expecting each decision the
/// conflict is between, or the one the gap gets.
fn add_test_fixes(state: &mut State, tests_file: Option<&str>, tests_text: Option<&String>) {
    for (file, list) in state.diagnostics.iter_mut() {
        for diagnostic in list.iter_mut() {
            let code = diagnostic.code.as_deref().unwrap_or_default();
            if !matches!(code, "verdict::conflict" | "verdict::gaps") {
                continue;
            }
            let Some(facts) = diagnostic.help.as_deref().and_then(first_json_object) else {
                continue;
            };
            let decisions = backticked(&diagnostic.message);
            let decisions: Vec<&str> = match code {
                // "one decides `inspect`, another `refund-now`"
                "verdict::conflict" => decisions,
                // "policy `returns` decides `deny` because no rule applies"
                _ => decisions.into_iter().skip(1).take(1).collect(),
            };
            let (target, end, lead) = match (tests_file, tests_text) {
                (Some(name), Some(text)) => {
                    let lead = if text.is_empty() || text.ends_with("\n\n") {
                        ""
                    } else if text.ends_with('\n') {
                        "\n"
                    } else {
                        "\n\n"
                    };
                    (name.to_string(), text.len(), lead)
                }
                _ => {
                    let policy = state
                        .index
                        .occurrences
                        .get(file)
                        .and_then(|all| {
                            all.iter().find_map(|o| match &o.symbol {
                                Symbol::Policy(name) if o.definition => Some(name.clone()),
                                _ => None,
                            })
                        })
                        .unwrap_or_else(|| String::from("policy"));
                    let sibling = match file.rfind('/').and_then(|slash| file.get(..slash)) {
                        Some(folder) => format!("{folder}/{policy}.tests"),
                        None => format!("{policy}.tests"),
                    };
                    (sibling, 0, "")
                }
            };
            // The test is named after where the finding is: a gap's
            // policy line, or the rules a conflict is between.
            let line_of = |file: &str, offset: usize| {
                let line = state
                    .sources
                    .get(file)
                    .and_then(|s| s.text.get(..offset))
                    .map_or(1, |before| before.matches('\n').count() + 1);
                format!("{}:{line}", file.rsplit('/').next().unwrap_or(file))
            };
            let mut places = vec![(file.clone(), diagnostic.range.start)];
            if code == "verdict::conflict" {
                places.extend(
                    diagnostic
                        .related
                        .iter()
                        .map(|(place, _)| (place.file.clone(), place.range.start)),
                );
            }
            places.sort();
            places.dedup();
            let shown: Vec<String> = places.iter().map(|(f, o)| line_of(f, *o)).collect();
            let name = if code == "verdict::conflict" {
                format!("the rules at {} conflict", words::join_and(&shown))
            } else {
                format!("the gap of the policy at {}", words::join_and(&shown))
            };
            for decision in decisions {
                let test = format!(
                    "{lead}test \"{name}: {decision}\"\n  facts {facts}\n  expect {decision}\n"
                );
                diagnostic.fixes.push(Fix {
                    title: format!("Add a test of these facts expecting `{decision}`"),
                    edits: vec![TextEdit {
                        file: target.clone(),
                        range: end..end,
                        new_text: test,
                    }],
                });
            }
        }
    }
}

/// The words a message quotes in backticks, in order.
fn backticked(message: &str) -> Vec<&str> {
    message.split('`').skip(1).step_by(2).collect()
}

/// The first JSON object in a text, as compact JSON.
fn first_json_object(text: &str) -> Option<String> {
    let start = text.find('{')?;
    let rest = text.get(start..)?;
    let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<serde_json::Value>();
    match stream.next()? {
        Ok(value) if value.is_object() => Some(value.to_string()),
        _ => None,
    }
}

/// A syntax repair's label, "write `X`" or "not needed", as the edit it
/// says: the labelled text replaced by `X`, or removed.
fn label_fix(source: &SourceFile, range: &Range<usize>, label: Option<&str>) -> Option<Fix> {
    let written = source.text.get(range.clone())?;
    if written.is_empty() || written.contains('\n') {
        return None;
    }
    let (title, new_text) = match label? {
        "not needed" => (format!("Remove `{written}`"), String::new()),
        label => {
            let meant = label.strip_prefix("write `")?.strip_suffix('`')?;
            if meant.contains("...") || meant.contains('`') || meant == written {
                return None;
            }
            (
                format!("Write `{meant}` for `{written}`"),
                meant.to_string(),
            )
        }
    };
    Some(Fix {
        title,
        edits: vec![TextEdit {
            file: source.name.clone(),
            range: range.clone(),
            new_text,
        }],
    })
}

/// A help's "did you mean `X`?" as a replacement of the word the problem
/// points at.
fn did_you_mean_fix(source: &SourceFile, range: &Range<usize>, help: Option<&str>) -> Option<Fix> {
    let help = help?;
    let (_, after) = help.split_once("did you mean ")?;
    // "did you mean the fact `weight`?" names what it is before the word.
    let (_, rest) = after.split_once('`')?;
    let (meant, _) = rest.split_once('`')?;
    let written = source.text.get(range.clone())?;
    let one_token = |s: &str| !s.is_empty() && !s.contains(char::is_whitespace);
    if !one_token(written) || !one_token(meant) || written == meant {
        return None;
    }
    Some(Fix {
        title: format!("Replace `{written}` with `{meant}`"),
        edits: vec![TextEdit {
            file: source.name.clone(),
            range: range.clone(),
            new_text: meant.to_string(),
        }],
    })
}
