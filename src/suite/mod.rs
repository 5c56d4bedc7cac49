//! Policy tests: `*.tests` files beside the policies (see
//! `grammar/tests.pest`), run against a [`PolicySet`](crate::PolicySet), with coverage of the
//! compiled decision tree: which leaves and branches no test reaches, which
//! rules never decide, and a ready-to-paste test for each gap.

mod coverage;
mod run;

pub use coverage::{Coverage, Gap};
pub use run::{run, Actual, SuiteResult, TestResult};

pub use crate::ast::{Expect, TestCase};

use crate::diagnostics::{LoadError, Problem, Report, SuiteError};
use crate::limits::Limits;
use crate::source::SourceMap;
use crate::syntax;

/// The tests of one or more files.
#[derive(Clone, Debug, Default)]
pub struct Suite {
    /// The tests, in the order of the files and of the tests in each.
    pub tests: Vec<TestCase>,
    /// The test files, which the tests' spans point into.
    pub sources: SourceMap,
}

/// Reads and parses the tests of a `.tests` file, of the `*.tests` files of a
/// directory, or, for a `.policy` file, of the `.tests` file beside it.
pub fn from_path(path: impl AsRef<std::path::Path>) -> Result<Suite, Report> {
    let path = path.as_ref();
    let tests_path = if path.extension().is_some_and(|e| e == "policy") {
        path.with_extension("tests")
    } else {
        path.to_path_buf()
    };
    let files = crate::files::read_files(
        &tests_path,
        crate::files::FileKind::Tests,
        Limits::MAX_POLICY_BYTES,
    )
    .map_err(|errors| {
        Report::new(
            SourceMap::new(),
            errors.into_iter().map(Problem::from).collect(),
        )
    })?;
    from_sources(files)
}

/// The tests of the built-in multichannel pack.
pub fn builtin() -> Result<Suite, Report> {
    from_sources(crate::builtin::TESTS.iter().copied())
}

/// Parses test files given as (name, text) pairs.
pub fn from_sources<N: Into<String>, T: Into<String>>(
    files: impl IntoIterator<Item = (N, T)>,
) -> Result<Suite, Report> {
    let mut sources = SourceMap::new();
    let mut problems: Vec<Problem> = Vec::new();
    for (name, text) in files {
        let (name, text) = (name.into(), text.into());
        let size = text.len();
        if size > Limits::MAX_POLICY_BYTES || sources.add(name.clone(), text).is_none() {
            let limit = Limits::MAX_POLICY_BYTES;
            problems.push(
                LoadError::TooLarge {
                    path: name,
                    size,
                    limit,
                    help: format!("test files add up to at most {limit} bytes"),
                }
                .into(),
            );
        }
    }
    if !problems.is_empty() {
        return Err(Report::new(sources, problems));
    }
    match parse(&sources) {
        Ok(tests) => Ok(Suite { tests, sources }),
        Err(errors) => Err(Report::new(
            sources,
            errors.into_iter().map(Problem::from).collect(),
        )),
    }
}

/// Parses the test files in `sources` (every file of the map is a test file).
fn parse(sources: &SourceMap) -> Result<Vec<TestCase>, Vec<SuiteError>> {
    let mut tests = Vec::new();
    let mut errors = Vec::new();
    for (_, file) in sources.files() {
        match syntax::parse_tests(sources, file) {
            Ok(file_tests) => tests.extend(file_tests),
            Err(mut file_errors) => errors.append(&mut file_errors),
        }
    }
    if errors.is_empty() {
        Ok(tests)
    } else {
        Err(errors)
    }
}
