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
            .problems()
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
        let warnings = set.diagnostics();
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

/// Every entry of docs/diagnostics.md shows a wrong example and a fixed one,
/// and a fixed one that verdict can read is right: a `policy` block (several
/// are files of one set) loads with no error and no diagnostic of the entry's
/// code; a `json` block is decided (strictly, against the entry's fixed policy
/// or else the built-in pack) with no error and no unread key; a `tests`
/// block runs against the fixed policy and passes. Commands (`sh` blocks)
/// are shown, not run.
#[test]
fn every_entry_has_a_wrong_and_a_fixed_example() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let docs = std::fs::read_to_string(root.join("docs/diagnostics.md")).expect("docs exist");
    let mut problems = Vec::new();
    let mut checked = 0;
    for entry in docs.split("\n## `").skip(1) {
        let code = entry.split('`').next().unwrap_or_default().to_string();
        if !entry.contains("**Example.**") {
            problems.push(format!("{code}: no **Example.**"));
        }
        let Some(fixed) = entry.split("**Fixed.**").nth(1) else {
            problems.push(format!("{code}: no **Fixed.**"));
            continue;
        };
        let blocks = fenced_blocks(fixed);
        if blocks.is_empty() {
            problems.push(format!("{code}: **Fixed.** has no example block"));
            continue;
        }
        let policies: Vec<(String, String)> = blocks
            .iter()
            .filter(|(kind, _)| kind == "policy")
            .enumerate()
            .map(|(i, (_, text))| (format!("fixed-{i}.policy"), text.clone()))
            .collect();
        let set = if policies.is_empty() {
            common::pack()
        } else {
            match verdict::PolicySet::from_sources(policies) {
                Ok(set) => set,
                Err(report) => {
                    problems.push(format!(
                        "{code}: fixed policy fails:\n{}",
                        report.render(100)
                    ));
                    continue;
                }
            }
        };
        let codes = |report: &verdict::Report| -> Vec<String> {
            report
                .data()
                .diagnostics
                .into_iter()
                .filter_map(|p| p.code)
                .collect()
        };
        let mut found = set.diagnostics();
        found.extend(
            set.policies()
                .filter_map(|p| p.gaps())
                .map(verdict::Problem::from),
        );
        if codes(&found).contains(&code) {
            problems.push(format!("{code}: the fixed policy still reports it"));
        }
        let strict = set.clone().strict_facts(true);
        for (kind, text) in &blocks {
            match kind.as_str() {
                "policy" | "sh" => {}
                "json" => {
                    if let Err(report) = strict.decide_json("fixed.json", text) {
                        problems.push(format!("{code}: fixed facts fail:\n{}", report.render(100)));
                    }
                    let unread = codes(&set.unread_keys_json("fixed.json", text));
                    if !unread.is_empty() {
                        problems.push(format!("{code}: fixed facts have unread keys"));
                    }
                }
                "tests" => {
                    let result = verdict::suite::from_sources([("fixed.tests", text.as_str())])
                        .and_then(|suite| verdict::suite::run(&set, &suite));
                    match result {
                        Ok(result) if result.failed() == 0 => {}
                        Ok(result) => {
                            problems.push(format!("{code}: {} fixed tests fail", result.failed()))
                        }
                        Err(report) => problems
                            .push(format!("{code}: fixed tests fail:\n{}", report.render(100))),
                    }
                }
                other => problems.push(format!("{code}: a fixed example in a `{other}` block")),
            }
        }
        checked += 1;
    }
    assert!(
        problems.is_empty(),
        "docs/diagnostics.md:\n{}",
        problems.join("\n")
    );
    assert!(checked > 60, "only {checked} entries checked");
}

/// The fenced blocks of a markdown text up to its next bold paragraph
/// heading: (language, content).
fn fenced_blocks(text: &str) -> Vec<(String, String)> {
    let text = text.split("\n**").next().unwrap_or_default();
    let mut blocks = Vec::new();
    let mut parts = text.split("```");
    parts.next();
    while let (Some(open), Some(_close)) = (parts.next(), parts.next()) {
        let (kind, content) = open.split_once('\n').unwrap_or((open, ""));
        blocks.push((kind.trim().to_string(), content.to_string()));
    }
    blocks
}

/// Columns count characters, as editors do: after an umlaut and after a
/// byte-order mark, in the data (`check --format json`) and in the header
/// of the rendered diagnostic alike.
#[test]
fn columns_count_characters() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for (fixture, line, column) in [
        ("syntax-after-umlaut.policy", 3, 41),
        ("syntax-after-bom.policy", 1, 14),
    ] {
        let path = root.join("tests/fixtures/parse/err").join(fixture);
        let report = common::load(&path).expect_err("the fixture has a syntax error");
        let data = report.data();
        assert_eq!(data.column_unit, "character");
        let label = &data.diagnostics[0].labels[0];
        assert_eq!((label.line, label.column), (line, column), "{fixture}");
        assert_eq!(label.end_column - label.column, "extra".len(), "{fixture}");
        let header = format!("{}:{line}:{column}]", common::relative(&path));
        assert!(
            report.render(common::WIDTH).contains(&header),
            "{fixture}: the header should say {header}"
        );
    }
}

/// Facts missing from the facts object share one error, even where the
/// evaluation time was filled in under one of their objects (`request.time`
/// beside the missing `request.action`).
#[test]
fn facts_missing_beside_the_evaluation_time_share_one_error() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let set = verdict::PolicySet::from_path(root.join("policies/examples/document-access"))
        .unwrap_or_else(|r| panic!("{}", r.render(common::WIDTH)))
        .evaluated_at("2026-12-01T10:00:00Z".parse().unwrap());
    let report = set
        .decide_json("facts.json", "{}")
        .map(verdict::Decisions::into_owned)
        .expect_err("nothing decides from no facts");
    let data = report.data();
    assert_eq!(
        data.diagnostics.len(),
        1,
        "{}",
        report.render(common::WIDTH)
    );
    assert!(data.diagnostics[0].message.contains("`request.action`"));
    assert!(data.diagnostics[0].message.contains("`user.id`"));
}

/// A policy whose tree is past the budget is decided by rule scan, with
/// the note `verdict::no_tree` naming what the missing tree leaves out:
/// here the tree was tried as the policy loaded, so the rules that never
/// decide are not known either.
#[test]
fn a_policy_past_the_tree_budget_is_scanned_with_a_note() {
    let fixture = "tests/fixtures/language/continued-lines";
    let limits = verdict::Limits {
        tree_budget: 2,
        ..verdict::Limits::default()
    };
    let set = verdict::PolicySet::from_path_with(fixture, &limits).unwrap();
    let rendered = set.diagnostics().render(common::WIDTH);
    assert!(
        rendered.contains("shadowed rules, gaps) do not apply"),
        "{rendered}"
    );
    insta::assert_snapshot!(rendered);
    let policy = set.policies().next().unwrap();
    assert!(policy.tree().is_none());
    // The gaps are not listed, and not said again.
    assert!(policy.gaps().is_none());
}

/// A missing fact that leaves many decisions possible names the first six
/// reached, then says there are more: the help stays readable, and
/// collecting every possible decision of a large tree for each request
/// cost a service seconds.
#[test]
fn many_possible_decisions_are_named_six_and_counted_as_more() {
    let dir = "tests/fixtures/facts/many-decisions";
    let set = verdict::PolicySet::from_path(dir).unwrap();
    let path = format!("{dir}/missing-tier.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let report = set.decide_json(&path, &text).unwrap_err();
    let rendered = report.render(common::WIDTH);
    assert!(rendered.contains("or other decisions"), "{rendered}");
    assert!(!rendered.contains("tiers.policy:22"), "{rendered}");
    insta::assert_snapshot!(rendered);
}

/// Facts whose every value is wrong leave every rule of a large tree
/// possible: the walk that says which facts matter stops after
/// `MAX_UNKNOWN_TESTS` tests and says so, so that a bad request costs a
/// service milliseconds, not the whole tree.
#[test]
fn a_walk_over_unknown_facts_is_bounded_and_says_so() {
    let scale = verdict::testing::workloads::Scale::generate(300);
    let set = verdict::PolicySet::from_sources([("scale.policy", scale.text.as_str())]).unwrap();
    assert!(
        set.policies().next().unwrap().tree().unwrap().nodes > 20_000,
        "the tree is large enough to run out"
    );
    let facts = r#"{"f0": "x", "f1": "x", "f2": "x", "f3": "x", "f4": "x", "f5": "x"}"#;
    let report = set.decide_json("facts.json", facts).unwrap_err();
    // One error per fact, each saying the look was cut short.
    assert_eq!(report.problems().len(), 6, "{}", report.render(100));
    for problem in report.problems() {
        let help = miette::Diagnostic::help(problem).unwrap().to_string();
        assert!(
            help.contains("looked below the first 10,000 tests of unknown facts only"),
            "{help}"
        );
        assert!(help.contains("or other decisions"), "{help}");
    }
    // Every fact missing: one error, the JSON to add, and the same note.
    let report = set.decide_json("facts.json", "{}").unwrap_err();
    assert_eq!(report.problems().len(), 1, "{}", report.render(100));
    let help = miette::Diagnostic::help(&report.problems()[0])
        .unwrap()
        .to_string();
    assert!(help.starts_with("add them to the facts"), "{help}");
    assert!(
        help.contains("looked below the first 10,000 tests of unknown facts only"),
        "{help}"
    );
}
