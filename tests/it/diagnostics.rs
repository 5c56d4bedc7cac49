//! One snapshot per diagnostic, from fixture files: syntax errors under
//! `fixtures/parse/err`, checker findings under `fixtures/check/err`, and
//! facts errors under `fixtures/facts/err` (evaluated against the built-in
//! pack). Each fixture's name starts with the code it shows; adding a case
//! is adding a file.

use crate::common;

use std::collections::BTreeSet;

#[test]
fn syntax_errors() {
    insta::glob!("../fixtures", "parse/err/*.policy", |path| {
        let report = common::load(path).expect_err("a syntax error fixture fails to load");
        assert!(report
            .problems
            .iter()
            .all(|p| matches!(p, verdict::Problem::Syntax(_))));
        insta::assert_snapshot!(report.render(common::WIDTH));
    });
}

#[test]
fn check_diagnostics() {
    insta::glob!("../fixtures", "check/err/*", |path| {
        let rendered = common::diagnostics(path);
        shows_the_code_it_is_named_after(path, "verdict::", &rendered);
        insta::assert_snapshot!(rendered);
    });
}

#[test]
fn valid_policies_load_without_diagnostics() {
    insta::glob!("../fixtures", "check/ok/*", |path| {
        let set = common::load(path).unwrap_or_else(|r| panic!("{}", r.render(common::WIDTH)));
        let warnings = set.warnings();
        assert_eq!(
            warnings.warning_count(),
            0,
            "{}",
            warnings.render(common::WIDTH)
        );
    });
}

#[test]
fn facts_errors() {
    let pack = common::pack();
    insta::glob!("../fixtures", "facts/err/*.json", |path| {
        let text = std::fs::read_to_string(path).expect("fixture is UTF-8");
        let report = pack
            .decide_json(&common::relative(path), &text)
            .map(verdict::Decisions::into_owned)
            .expect_err("an error fixture fails to evaluate");
        let rendered = report.render(common::WIDTH);
        shows_the_code_it_is_named_after(path, "verdict::facts::", &rendered);
        insta::assert_snapshot!(rendered);
    });
}

/// A fixture's name starts with the code it shows (after `prefix`), then a
/// dash and the case: `unknown_word-fact-as-value.policy`.
fn shows_the_code_it_is_named_after(path: &std::path::Path, prefix: &str, rendered: &str) {
    let name = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    let code = name.split('-').next().unwrap_or_default();
    assert!(
        rendered.contains(&format!("{prefix}{code}\n")),
        "{name} should report {prefix}{code}:\n{rendered}"
    );
}

/// Every code the library can report has an entry in docs/diagnostics.md.
#[test]
fn every_code_is_documented() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let docs = std::fs::read_to_string(root.join("docs/diagnostics.md"))
        .expect("docs/diagnostics.md exists");
    let mut codes = BTreeSet::new();
    for path in common::rust_files(&root.join("src")) {
        let text = std::fs::read_to_string(&path).expect("source is UTF-8");
        for part in text.split("code(verdict::").skip(1) {
            let code: String = part.chars().take_while(|c| *c != ')').collect();
            codes.insert(format!("verdict::{code}"));
        }
    }
    assert!(codes.len() > 20, "found only {codes:?}");
    let missing: Vec<_> = codes
        .iter()
        .filter(|code| !docs.contains(&format!("## `{code}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "codes without a `## `code`` entry in docs/diagnostics.md: {missing:?}"
    );
}

/// The rendered examples in docs/diagnostics.md are real: every line of a
/// block that starts with a diagnostic code appears in some snapshot (blocks
/// marked as trimmed with `…` excepted).
#[test]
fn documented_examples_match_the_snapshots() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let docs = std::fs::read_to_string(root.join("docs/diagnostics.md")).expect("docs exist");
    let mut snapshots = String::new();
    for entry in std::fs::read_dir(root.join("tests/it/snapshots")).expect("snapshots dir") {
        let path = entry.expect("entry").path();
        snapshots.push_str(&std::fs::read_to_string(path).expect("snapshot is UTF-8"));
    }
    let mut checked = 0;
    for block in docs.split("```text\n").skip(1) {
        let block = block.split("```").next().unwrap_or_default();
        let starts_with_code = block
            .lines()
            .next()
            .is_some_and(|l| l.starts_with("verdict::"));
        // Examples of codes without a fixture come from the command line.
        let from_fixture = block.contains("tests/fixtures/");
        if !starts_with_code || !from_fixture || block.contains('…') {
            continue;
        }
        for line in block.lines() {
            assert!(
                snapshots.contains(line),
                "docs/diagnostics.md shows a line no snapshot has:\n{line}"
            );
        }
        checked += 1;
    }
    assert!(checked > 20, "only {checked} documented examples checked");
}
