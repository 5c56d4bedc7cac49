//! The editor's analysis (`verdict::ide`), in process, over the policy set
//! of `tests/fixtures/lsp/`: its two policy files are one policy, so a fact
//! declared in one is used in the other. Each answer is rendered as text
//! and snapshotted; `lsp` drives the same answers through the binary.

use std::fmt::Write as _;
use std::ops::Range;

use verdict::ide::Analysis;

const DIR: &str = "tests/fixtures/lsp";

fn read(name: &str) -> String {
    std::fs::read_to_string(format!("{DIR}/{name}")).unwrap()
}

/// The fixture set, as an editor would open it.
fn analysis() -> Analysis {
    let mut analysis = Analysis::new();
    for name in ["declarations.policy", "rules.policy", "returns.tests"] {
        analysis.set_file(name, read(name));
    }
    analysis
}

/// `file:line:column` (1-based, columns in characters) of an offset.
fn place(analysis: &Analysis, file: &str, offset: usize) -> String {
    let text = analysis.file_text(file).unwrap();
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap().chars().count() + 1;
    format!("{file}:{line}:{column}")
}

fn span(analysis: &Analysis, file: &str, range: &Range<usize>) -> String {
    let text = analysis.file_text(file).unwrap();
    format!(
        "{} `{}`",
        place(analysis, file, range.start),
        &text[range.clone()]
    )
}

/// The offset of the `nth` (0-based) occurrence of `needle` in `file`,
/// plus `into` bytes.
fn at(analysis: &Analysis, file: &str, needle: &str, into: usize) -> usize {
    let text = analysis.file_text(file).unwrap();
    text.find(needle)
        .unwrap_or_else(|| panic!("`{needle}` is not in {file}"))
        + into
}

#[test]
fn a_clean_set_has_only_its_note() {
    let mut analysis = analysis();
    let diagnostics = analysis.diagnostics().clone();
    let codes: Vec<(String, Vec<Option<String>>)> = diagnostics
        .into_iter()
        .map(|(file, list)| (file, list.into_iter().map(|d| d.code).collect()))
        .collect();
    assert_eq!(
        codes,
        [
            (
                String::from("declarations.policy"),
                vec![Some(String::from("verdict::gaps"))]
            ),
            (String::from("returns.tests"), vec![]),
            (String::from("rules.policy"), vec![]),
        ]
    );
}

#[test]
fn diagnostics_fall_in_their_files_with_fixes() {
    let mut analysis = analysis();
    let rules = read("rules.policy")
        .replace("  damaged -> inspect", "  damagd -> inspect")
        .replace("us cannot", "uss cannot");
    analysis.set_file("rules.policy", rules);
    let tests = read("returns.tests").replace("expect refund-now", "expect inspect");
    analysis.set_file("returns.tests", tests);
    let diagnostics = analysis.diagnostics().clone();
    let mut out = String::new();
    for (file, list) in &diagnostics {
        writeln!(out, "## {file}").unwrap();
        for d in list {
            writeln!(
                out,
                "{:?} {} at {}",
                d.severity,
                d.code.as_deref().unwrap_or("-"),
                span(&analysis, file, &d.range)
            )
            .unwrap();
            writeln!(out, "  {}", d.message).unwrap();
            if let Some(help) = &d.help {
                writeln!(out, "  help: {help}").unwrap();
            }
            for (other, message) in &d.related {
                writeln!(
                    out,
                    "  related {}: {message}",
                    span(&analysis, &other.file, &other.range)
                )
                .unwrap();
            }
            for fix in &d.fixes {
                writeln!(out, "  fix: {}", fix.title).unwrap();
            }
        }
    }
    insta::assert_snapshot!("ide_diagnostics", out);

    // Tests run once the set loads: a test that fails is an error on its
    // `expect` line.
    analysis.set_file("rules.policy", read("rules.policy"));
    let diagnostics = analysis.diagnostics()["returns.tests"].clone();
    let failed: Vec<String> = diagnostics
        .iter()
        .map(|d| {
            format!(
                "{} {}: {}",
                span(&analysis, "returns.tests", &d.range),
                d.code.as_deref().unwrap_or("-"),
                d.message
            )
        })
        .collect();
    assert_eq!(
        failed,
        ["returns.tests:3:3 `expect inspect rule light` verdict::tests::failed: test `a light parcel from the EU` failed: expected inspect (rule light), got refund-now (rule light, rules.policy:6)"]
    );

    // Fixing the test clears its diagnostic.
    analysis.set_file("returns.tests", read("returns.tests"));
    assert!(analysis.diagnostics()["rules.policy"].is_empty());
    assert!(analysis.diagnostics()["returns.tests"].is_empty());
}

#[test]
fn hovers() {
    let mut analysis = analysis();
    let probes = [
        ("declarations.policy", "region: {", 1),
        ("rules.policy", "weight < 5", 2),
        ("rules.policy", "us cannot", 0),
        ("declarations.policy", "{eu uk}", 1),
        ("rules.policy", "refund now", 8),
        ("rules.policy", "nearby {", 3),
        ("rules.policy", "when region", 1),
        ("rules.policy", "has any of", 1),
        ("returns.tests", "rule light", 6),
        ("returns.tests", "refund-now", 2),
        ("declarations.policy", "policy returns", 9),
        ("declarations.policy", "# The facts", 4),
    ];
    let mut out = String::new();
    for (file, needle, into) in probes {
        let offset = at(&analysis, file, needle, into);
        let where_ = place(&analysis, file, offset);
        match analysis.hover(file, offset) {
            Some(hover) => writeln!(
                out,
                "## {where_} on {}\n{}\n",
                span(&analysis, file, &hover.range),
                hover.markdown
            )
            .unwrap(),
            None => writeln!(out, "## {where_}: nothing\n").unwrap(),
        }
    }
    insta::assert_snapshot!("ide_hovers", out);
}

#[test]
fn completions_in_context() {
    let mut analysis = analysis();
    // Each probe is a line added to the end of rules.policy, the cursor at
    // its end.
    let probes = [
        ("rules.policy", "eu damaged -> "),
        ("rules.policy", "eu damaged -> refund "),
        ("rules.policy", "region in "),
        ("rules.policy", "tags has any of "),
        ("rules.policy", "uk "),
        ("rules.policy", ""),
        ("rules.policy", "# a comment "),
        ("rules.policy", "uk cannot because \"it "),
        ("declarations.policy", "fact size: "),
        ("declarations.policy", "fact size: number at parcel.size "),
        ("returns.tests", "  expect "),
        ("returns.tests", "  expect deny rule "),
    ];
    let mut out = String::new();
    for (file, line) in probes {
        let mut text = read(file);
        text.push_str(line);
        analysis.set_file(file, text.clone());
        let items = analysis.completions(file, text.len());
        let shown: Vec<String> = items
            .iter()
            .map(|c| match &c.detail {
                Some(detail) => format!("{} ({:?}: {detail})", c.label, c.kind),
                None => format!("{} ({:?})", c.label, c.kind),
            })
            .collect();
        writeln!(out, "## {file}: `{line}|`").unwrap();
        for item in shown {
            writeln!(out, "- {item}").unwrap();
        }
        writeln!(out).unwrap();
        analysis.set_file(file, read(file));
    }
    insta::assert_snapshot!("ide_completions", out);
}

#[test]
fn definitions_and_references_cross_files() {
    let mut analysis = analysis();
    // `weight` in rules.policy is declared in declarations.policy.
    let use_ = at(&analysis, "rules.policy", "weight < 5", 0);
    let found = analysis.definition("rules.policy", use_);
    assert_eq!(found.len(), 1);
    assert_eq!(
        span(&analysis, &found[0].file, &found[0].range),
        "declarations.policy:10:6 `weight`"
    );

    // The outcome `refund-now`: declared once, written `refund now` in a
    // rule and `refund-now` in a test.
    let outcome = at(&analysis, "declarations.policy", "refund-now", 0);
    let refs: Vec<String> = analysis
        .references("declarations.policy", outcome, true)
        .iter()
        .map(|r| span(&analysis, &r.file, &r.range))
        .collect();
    assert_eq!(
        refs,
        [
            "declarations.policy:16:9 `refund-now`",
            "returns.tests:3:10 `refund-now`",
            "rules.policy:6:24 `refund now`",
        ]
    );
    let without: Vec<_> = analysis.references("declarations.policy", outcome, false);
    assert_eq!(without.len(), 2);

    // A value: `eu` in the named set and in the test's facts is not a
    // word of the policy; in the declaration it is.
    let eu = at(&analysis, "declarations.policy", "{eu uk}", 1);
    let refs: Vec<String> = analysis
        .references("declarations.policy", eu, true)
        .iter()
        .map(|r| span(&analysis, &r.file, &r.range))
        .collect();
    assert_eq!(
        refs,
        [
            "declarations.policy:8:15 `eu`",
            "declarations.policy:18:15 `eu`"
        ]
    );

    // The rule a test names.
    let light = at(&analysis, "returns.tests", "rule light", 6);
    let found = analysis.definition("returns.tests", light);
    assert_eq!(
        span(&analysis, &found[0].file, &found[0].range),
        "rules.policy:6:3 `light`"
    );
}

#[test]
fn renames_reach_every_file_and_refuse_clashes() {
    let mut analysis = analysis();
    let outcome = at(&analysis, "rules.policy", "refund now", 0);
    assert_eq!(
        analysis.prepare_rename("rules.policy", outcome),
        Some(outcome..outcome + "refund now".len())
    );
    let mut edits = analysis
        .rename("rules.policy", outcome, "pay-back")
        .unwrap();
    edits.sort_by(|a, b| (&a.file, a.range.start).cmp(&(&b.file, b.range.start)));
    let shown: Vec<String> = edits
        .iter()
        .map(|e| format!("{} -> {}", span(&analysis, &e.file, &e.range), e.new_text))
        .collect();
    assert_eq!(
        shown,
        [
            "declarations.policy:16:9 `refund-now` -> pay-back",
            "returns.tests:3:10 `refund-now` -> pay-back",
            "rules.policy:6:24 `refund now` -> pay-back",
        ]
    );
    // Applying them leaves a set that checks as before.
    for file in ["declarations.policy", "rules.policy", "returns.tests"] {
        let mut text = analysis.file_text(file).unwrap().to_string();
        let mut mine: Vec<_> = edits.iter().filter(|e| e.file == file).collect();
        mine.sort_by_key(|e| std::cmp::Reverse(e.range.start));
        for edit in mine {
            text.replace_range(edit.range.clone(), &edit.new_text);
        }
        analysis.set_file(file, text);
    }
    let errors: usize = analysis
        .diagnostics()
        .values()
        .flatten()
        .filter(|d| d.severity == verdict::Severity::Error)
        .count();
    assert_eq!(errors, 0, "{:#?}", analysis.diagnostics());

    let mut analysis = self::analysis();
    let fact = at(&analysis, "rules.policy", "weight < 5", 0);
    assert!(analysis
        .rename("rules.policy", fact, "region")
        .unwrap_err()
        .contains("already has `region`"));
    assert!(analysis
        .rename("rules.policy", fact, "cannot")
        .unwrap_err()
        .contains("keyword"));
    assert!(analysis
        .rename("rules.policy", fact, "2kg")
        .unwrap_err()
        .contains("not a name"));
    let value = at(&analysis, "rules.policy", "us cannot", 0);
    assert_eq!(analysis.prepare_rename("rules.policy", value), None);
}

#[test]
fn outline_folds_and_highlights() {
    let mut analysis = analysis();
    let mut out = String::new();
    fn outline(
        out: &mut String,
        analysis: &Analysis,
        items: &[verdict::ide::OutlineItem],
        depth: usize,
    ) {
        for item in items {
            writeln!(
                out,
                "{}{:?} {} at {}",
                "  ".repeat(depth),
                item.kind,
                item.name,
                span(analysis, "rules.policy", &item.selection)
                    .split(' ')
                    .next()
                    .unwrap()
            )
            .unwrap();
            outline(out, analysis, &item.children, depth + 1);
        }
    }
    let items = analysis.outline("rules.policy");
    outline(&mut out, &analysis, &items, 0);
    writeln!(out, "\n## folds").unwrap();
    for fold in analysis.folds("rules.policy") {
        writeln!(
            out,
            "{} to {}",
            place(&analysis, "rules.policy", fold.start),
            place(&analysis, "rules.policy", fold.end)
        )
        .unwrap();
    }
    writeln!(out, "\n## highlights").unwrap();
    let text = analysis.file_text("rules.policy").unwrap().to_string();
    for (range, highlight) in analysis.highlights("rules.policy") {
        writeln!(out, "{:?} `{}`", highlight, &text[range]).unwrap();
    }
    insta::assert_snapshot!("ide_outline_folds_highlights", out);
}

#[test]
fn a_broken_file_is_read_as_far_as_it_parses() {
    let mut analysis = analysis();
    // A half-typed rule: the file does not parse, but the rest of it is
    // still there to hover and complete.
    let text = format!("{}uk damaged ->\nuk cannot cannot\n", read("rules.policy"));
    analysis.set_file("rules.policy", text.clone());
    assert!(analysis.diagnostics()["rules.policy"]
        .iter()
        .any(|d| d.code.as_deref() == Some("verdict::syntax")));
    let weight = at(&analysis, "rules.policy", "weight < 5", 0);
    let hover = analysis
        .hover("rules.policy", weight)
        .expect("a hover on `weight`");
    assert!(hover.markdown.contains("fact weight"), "{}", hover.markdown);
    let labels: Vec<String> = analysis
        .completions("rules.policy", text.find("->\nuk").unwrap() + 2)
        .into_iter()
        .map(|c| c.label)
        .collect();
    assert!(labels.contains(&String::from("refund-now")), "{labels:?}");
}

#[test]
fn formatting_is_fmt_s() {
    let mut analysis = analysis();
    let messy = read("rules.policy").replace("us cannot", "us    cannot");
    analysis.set_file("rules.policy", messy);
    assert_eq!(
        analysis.format("rules.policy").unwrap(),
        read("rules.policy")
    );
    analysis.set_file("rules.policy", "policy returns\nus cannot cannot\n");
    assert_eq!(analysis.format("rules.policy"), None);
}

#[test]
fn huge_and_binary_documents_stay_answerable() {
    let mut analysis = analysis();
    let binary: String = (0u8..=255).cycle().take(200_000).map(char::from).collect();
    analysis.set_file("rules.policy", binary);
    assert!(!analysis.diagnostics()["rules.policy"].is_empty());
    let _ = analysis.hover("rules.policy", 1000);
    let _ = analysis.completions("rules.policy", 1000);
    let _ = analysis.highlights("rules.policy");
    // Past the 16 MiB an editor's set holds: refused at once, unread.
    let huge = "# nothing but comments\n".repeat(800_000);
    analysis.set_file("rules.policy", huge);
    let codes: Vec<Option<String>> = analysis.diagnostics()["rules.policy"]
        .iter()
        .map(|d| d.code.clone())
        .collect();
    assert_eq!(codes, [Some(String::from("verdict::io::too_large"))]);
    // A test file too.
    let huge_tests = "# nothing but comments\n".repeat(800_000);
    analysis.set_file("returns.tests", huge_tests);
    let codes: Vec<Option<String>> = analysis.diagnostics()["returns.tests"]
        .iter()
        .map(|d| d.code.clone())
        .collect();
    assert_eq!(codes, [Some(String::from("verdict::io::too_large"))]);
}

#[test]
fn conflicts_and_gaps_offer_a_test_of_their_facts() {
    let mut analysis = analysis();
    // Without `first match`, the rules conflict.
    let declarations = read("declarations.policy").replace("first match\n", "");
    analysis.set_file("declarations.policy", declarations);
    let mut out = String::new();
    let diagnostics = analysis.diagnostics().clone();
    let conflict = diagnostics["rules.policy"]
        .iter()
        .find(|d| d.code.as_deref() == Some("verdict::conflict"))
        .expect("a conflict");
    writeln!(out, "## {}", conflict.message).unwrap();
    for fix in analysis.fixes("rules.policy", conflict.range.clone()) {
        writeln!(out, "### {}", fix.title).unwrap();
        for edit in &fix.edits {
            writeln!(out, "at {}:{:?}\n{}", edit.file, edit.range, edit.new_text).unwrap();
        }
    }
    // The gap of the fixed set, on its `policy` line; with no test file,
    // the test goes to a new one beside the policy.
    analysis.set_file("declarations.policy", read("declarations.policy"));
    analysis.remove_file("returns.tests");
    let diagnostics = analysis.diagnostics().clone();
    let gap = &diagnostics["declarations.policy"][0];
    writeln!(out, "## {}", gap.message).unwrap();
    for fix in &gap.fixes {
        writeln!(out, "### {}", fix.title).unwrap();
        for edit in &fix.edits {
            writeln!(out, "at {}:{:?}\n{}", edit.file, edit.range, edit.new_text).unwrap();
        }
    }
    insta::assert_snapshot!("ide_add_a_test", out);

    // The test a fix adds passes once the set has it.
    let fix = &gap.fixes[0];
    analysis.set_file(&fix.edits[0].file, fix.edits[0].new_text.clone());
    assert_eq!(analysis.diagnostics()["returns.tests"], vec![]);
}

#[test]
fn deciding_with_the_set_as_edited() {
    let mut analysis = analysis();
    let facts = r#"{"order": {"region": "eu"}, "parcel": {"weight": 2}}"#;
    let decisions = analysis.decide("light.json", facts).unwrap();
    assert_eq!(decisions[0].decision, "refund-now");
    assert_eq!(decisions[0].rule_name.as_deref(), Some("light"));
    // An edit in the editor decides at once, before any file is saved.
    let rules = read("rules.policy").replace("weight < 5", "weight < 1");
    analysis.set_file("rules.policy", rules);
    let decisions = analysis.decide("light.json", facts).unwrap();
    assert_eq!(decisions[0].decision, "deny");
    let error = analysis.decide("light.json", "{\"order\": 1}").unwrap_err();
    assert!(error.contains("verdict::facts::wrong_type"), "{error}");
}

#[test]
fn syntax_repairs_are_quick_fixes() {
    let mut analysis = analysis();
    for (wrong, title, right) in [
        (
            "region == us cannot",
            "Write `=` for `==`",
            "region = us cannot",
        ),
        ("us cannnot", "Replace `cannnot` with `cannot`", "us cannot"),
    ] {
        let text = read("rules.policy").replace("us cannot", wrong);
        analysis.set_file("rules.policy", text.clone());
        let diagnostics = analysis.diagnostics()["rules.policy"].clone();
        assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
        let fix = &diagnostics[0].fixes[0];
        assert_eq!(fix.title, title);
        let mut fixed = text;
        fixed.replace_range(fix.edits[0].range.clone(), &fix.edits[0].new_text);
        assert_eq!(fixed, read("rules.policy").replace("us cannot", right));
        analysis.set_file("rules.policy", fixed);
        assert!(analysis.diagnostics()["rules.policy"].is_empty());
    }
}
