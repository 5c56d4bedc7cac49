//! The corpus of author mistakes under `tests/fixtures/mistakes/`: each file
//! holds one realistic mistake, and the diagnostics verdict gives for it are
//! scored the way an author judges them. A mistake is
//!
//! - **located** when the first error points at the line the mistake is on,
//! - **helpful** when every error it gives has a help line, and
//! - **single** when it gives exactly one error.
//!
//! Policy mistakes (`policy/`) open with `# line N: what is wrong`, naming
//! the line of that file the mistake is on; a directory is one policy of
//! several files, and its marked file is the one with that header. Facts
//! mistakes (`facts/`) are decided by `facts/shipping.policy`, and
//! `facts/mistakes.txt` names each file's line. Both run the `verdict`
//! binary with `--format json`, as an editor or a CI job would.

use std::path::{Path, PathBuf};
use std::process::Command;

/// One mistake and what verdict said about it.
struct Case {
    name: String,
    /// The file the mistake is in, as diagnostics name it, and its line.
    file: String,
    line: u64,
    /// The errors' diagnostics (warnings and notes are not scored).
    errors: Vec<serde_json::Value>,
}

impl Case {
    fn located(&self) -> bool {
        self.errors.first().is_some_and(|error| {
            let labels = error["labels"].as_array().cloned().unwrap_or_default();
            let primary = labels
                .iter()
                .find(|l| l["primary"] == true)
                .or_else(|| labels.first());
            primary.is_some_and(|label| {
                label["line"].as_u64() == Some(self.line)
                    && label["file"]
                        .as_str()
                        .is_some_and(|f| f.ends_with(&self.file))
            })
        })
    }

    fn helpful(&self) -> bool {
        !self.errors.is_empty() && self.errors.iter().all(|e| e["help"].is_string())
    }

    fn single(&self) -> bool {
        self.errors.len() == 1
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mistakes")
}

/// Runs the binary and reads the JSON diagnostics it prints on stdout.
fn errors_of(args: &[&str]) -> Vec<serde_json::Value> {
    let output = Command::new(env!("CARGO_BIN_EXE_verdict"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_default();
    json["diagnostics"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|d| d["severity"] == "error")
        .collect()
}

/// `# line N: ...` at the top of a policy mistake.
fn marked_line(text: &str) -> Option<u64> {
    let rest = text.strip_prefix("# line ")?;
    rest.split(':').next()?.parse().ok()
}

fn policy_cases() -> Vec<Case> {
    let dir = root().join("policy");
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("the corpus is readable")
        .map(|e| e.expect("corpus entry").path())
        .collect();
    entries.sort();
    entries
        .into_iter()
        .map(|path| {
            let files: Vec<PathBuf> = if path.is_dir() {
                let mut files: Vec<PathBuf> = std::fs::read_dir(&path)
                    .expect("corpus directory")
                    .map(|e| e.expect("corpus entry").path())
                    .collect();
                files.sort();
                files
            } else {
                vec![path.clone()]
            };
            let (file, line) = files
                .iter()
                .find_map(|file| {
                    let text = std::fs::read_to_string(file).ok()?;
                    let line = marked_line(&text)?;
                    let name = file.strip_prefix(&dir).ok()?.display().to_string();
                    Some((name, line))
                })
                .unwrap_or_else(|| panic!("{} has no `# line N:` header", path.display()));
            let name = path
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let errors = errors_of(&["check", &path.display().to_string(), "--format", "json"]);
            Case {
                name,
                file,
                line,
                errors,
            }
        })
        .collect()
}

fn facts_cases() -> Vec<Case> {
    let dir = root().join("facts");
    let index = std::fs::read_to_string(dir.join("mistakes.txt")).expect("the facts index");
    let policy = dir.join("shipping.policy").display().to_string();
    index
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|entry| {
            let mut words = entry.split_whitespace();
            let file = words.next().expect("a file name").to_string();
            let line = words
                .next()
                .and_then(|l| l.parse().ok())
                .expect("a line number");
            let path = dir.join(&file).display().to_string();
            let errors = errors_of(&["eval", "--policies", &policy, &path, "--format", "json"]);
            Case {
                name: format!("facts/{file}"),
                file,
                line,
                errors,
            }
        })
        .collect()
}

/// The share of cases with `property`, in percent, and the names of those
/// without it.
fn score(cases: &[Case], property: impl Fn(&Case) -> bool) -> (f64, Vec<&str>) {
    let missing: Vec<&str> = cases
        .iter()
        .filter(|c| !property(c))
        .map(|c| c.name.as_str())
        .collect();
    let share = 100.0 * (cases.len() - missing.len()) as f64 / cases.len().max(1) as f64;
    (share, missing)
}

#[test]
fn the_corpus_of_mistakes_is_located_helpful_and_single() {
    let mut cases = policy_cases();
    cases.extend(facts_cases());
    assert!(cases.len() >= 80, "the corpus has {} mistakes", cases.len());
    let (located, unlocated) = score(&cases, Case::located);
    let (helpful, unhelpful) = score(&cases, Case::helpful);
    let (single, multiple) = score(&cases, Case::single);
    let summary = format!(
        "{} mistakes: located {located:.0} %, helpful {helpful:.0} %, single {single:.0} %\n\
         not located: {unlocated:?}\nwithout help: {unhelpful:?}\nmore than one error: {multiple:?}",
        cases.len()
    );
    println!("{summary}");
    assert!(
        located >= 100.0 && helpful >= 90.0 && single >= 90.0,
        "{summary}"
    );
}

/// What an author sees for each policy mistake, reviewed line by line.
#[test]
fn each_policy_mistake_reads_well() {
    insta::glob!("../fixtures", "mistakes/policy/*", |path| {
        insta::assert_snapshot!(crate::common::diagnostics(path));
    });
}

/// What a caller sees for each facts mistake, as `verdict eval` prints it
/// (run from the crate root, so that paths are relative), reviewed line by
/// line.
#[test]
fn each_facts_mistake_reads_well() {
    insta::glob!("../fixtures", "mistakes/facts/*.json", |path| {
        let output = Command::new(env!("CARGO_BIN_EXE_verdict"))
            .args([
                "eval",
                "--policies",
                "tests/fixtures/mistakes/facts/shipping.policy",
                &crate::common::relative(path),
            ])
            .env("NO_COLOR", "1")
            .env("COLUMNS", crate::common::WIDTH.to_string())
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("the binary runs");
        assert_eq!(output.status.code(), Some(1), "{}", path.display());
        insta::assert_snapshot!(String::from_utf8_lossy(&output.stderr));
    });
}
