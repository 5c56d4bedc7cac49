//! One snapshot per diagnostic, from fixture files: syntax errors under
//! `fixtures/parse/err`, checker findings under `fixtures/check/err`, and
//! facts errors under `fixtures/multichannel/err-*` (evaluated against the
//! built-in pack). Adding a case is adding a file.

// Test code fails loudly on purpose: unwrap, expect, panic and indexing are how it says so.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::BTreeSet;

#[test]
fn syntax_errors() {
    insta::glob!("fixtures/parse/err/*.policy", |path| {
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
    insta::glob!("fixtures/check/err/*", |path| {
        let rendered = common::diagnostics(path);
        // The fixture's name starts with the code it shows.
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        let code = name.split('-').next().unwrap_or_default();
        assert!(
            rendered.contains(&format!("verdict::{code}")),
            "{name} should report verdict::{code}:\n{rendered}"
        );
        insta::assert_snapshot!(rendered);
    });
}

#[test]
fn valid_policies_load_without_diagnostics() {
    insta::glob!("fixtures/check/ok/*", |path| {
        let set = common::load(path).unwrap_or_else(|r| panic!("{}", r.render(common::WIDTH)));
        assert_eq!(set.warnings().render(common::WIDTH), "");
    });
}

#[test]
fn facts_errors() {
    let pack = common::pack();
    insta::glob!("fixtures/multichannel/err-*.json", |path| {
        let text = std::fs::read_to_string(path).expect("fixture is UTF-8");
        let report = pack
            .evaluate_json(&common::relative(path), &text, false)
            .expect_err("an error fixture fails to evaluate");
        insta::assert_snapshot!(report.render(common::WIDTH));
    });
}

/// Every code the library can report has an entry in docs/diagnostics.md.
#[test]
fn every_code_is_documented() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let docs = std::fs::read_to_string(root.join("docs/diagnostics.md"))
        .expect("docs/diagnostics.md exists");
    let mut codes = BTreeSet::new();
    for dir in ["src", "src/syntax", "src/check", "src/eval"] {
        for entry in std::fs::read_dir(root.join(dir)).expect("source dir") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("source is UTF-8");
                for part in text.split("code(verdict::").skip(1) {
                    let code: String = part.chars().take_while(|c| *c != ')').collect();
                    codes.insert(format!("verdict::{code}"));
                }
            }
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
