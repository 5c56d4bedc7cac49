//! Hostile input: each case gets a clear diagnostic or works, and never a
//! panic, a stack overflow or a hang.

use verdict::{Limits, PolicySet};

fn pack() -> PolicySet {
    PolicySet::builtin().unwrap()
}

fn codes(report: &verdict::Report) -> Vec<String> {
    use miette::Diagnostic;
    report
        .problems()
        .iter()
        .filter_map(|p| p.code().map(|c| c.to_string()))
        .collect()
}

#[test]
fn deeply_nested_facts() {
    let text = "[".repeat(100_000);
    let report = pack()
        .decide_json("deep.json", &text)
        .map(verdict::Decisions::into_owned)
        .unwrap_err();
    assert_eq!(codes(&report), ["verdict::facts::too_deep"]);
    // The line is too long to draw; the place is named instead.
    let rendered = report.render(80);
    assert!(
        rendered.contains("the line is too long to show"),
        "{rendered}"
    );
    assert!(rendered.contains("deeper than 127 levels"), "{rendered}");
}

#[test]
fn facts_deeper_than_a_configured_limit() {
    let limits = Limits {
        max_facts_depth: 4,
        ..Limits::default()
    };
    let set = PolicySet::builtin_with(&limits).unwrap();
    let text =
        r#"{"partner": {"role": "reseller", "x": [[{"y": 1}]]}, "request": {"action": "invite"}}"#;
    let report = set
        .decide_json("deep.json", text)
        .map(verdict::Decisions::into_owned)
        .unwrap_err();
    assert_eq!(codes(&report), ["verdict::facts::too_deep"]);
    let rendered = report.render(100);
    assert!(rendered.contains("level 5 starts here"), "{rendered}");
    // Four levels are fine, by either path to a decision.
    let text = r#"{"partner": {"role": "reseller", "x": [[1]]}, "request": {"action": "invite"}}"#;
    assert_eq!(
        set.decide_json("ok.json", text)
            .map(verdict::Decisions::into_owned)
            .unwrap()[0]
            .decision,
        "deny"
    );
}

#[test]
fn facts_larger_than_the_limit() {
    let limits = Limits {
        max_facts_bytes: 100,
        ..Limits::default()
    };
    let set = PolicySet::builtin_with(&limits).unwrap();
    let text = format!(
        r#"{{"request": {{"action": "invite"}}, "padding": "{}"}}"#,
        "x".repeat(100)
    );
    let report = set
        .decide_json("big.json", &text)
        .map(verdict::Decisions::into_owned)
        .unwrap_err();
    assert_eq!(codes(&report), ["verdict::io::too_large"]);
    assert!(report.render(100).contains("Limits::max_facts_bytes"));
}

#[test]
fn policies_larger_than_the_limit() {
    let limits = Limits {
        max_policy_bytes: 1_000,
        ..Limits::default()
    };
    let report = PolicySet::builtin_with(&limits).unwrap_err();
    assert_eq!(codes(&report), ["verdict::io::too_large"]);
}

#[test]
fn a_huge_policy_file_is_not_read() {
    // A sparse file of 2 GiB: were it read, the test would take seconds
    // and gigabytes; its size alone refuses it.
    let dir = std::env::temp_dir().join(format!("verdict-huge-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("huge.policy");
    std::fs::File::create(&path)
        .unwrap()
        .set_len(2 << 30)
        .unwrap();
    let report = PolicySet::from_path(&dir).unwrap_err();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(codes(&report), ["verdict::io::too_large"]);
}

#[test]
fn nesting_deeper_than_a_configured_limit() {
    let limits = Limits {
        max_nesting: 2,
        ..Limits::default()
    };
    let policy = "policy p\nfact a: bool at a\nnot not not a can\n";
    let report = PolicySet::from_sources_with([("p.policy", policy)], &limits).unwrap_err();
    assert_eq!(codes(&report), ["verdict::syntax::too_deep"]);
    // The ceiling holds whatever is asked for.
    let limits = Limits {
        max_nesting: 1_000_000,
        ..Limits::default()
    };
    let policy = format!("policy p\nfact a: bool at a\n{}a can\n", "not ".repeat(100));
    let report = PolicySet::from_sources_with([("p.policy", policy)], &limits).unwrap_err();
    assert_eq!(codes(&report), ["verdict::syntax::too_deep"]);
}

#[test]
fn groups_nested_past_the_limit() {
    // Parentheses and `not`s before them count together: 40 of each is 80
    // levels, past the 64 the parser allows.
    let deep = format!(
        "policy p\nfact a: bool at a\n{}a{} can\n",
        "not (".repeat(40),
        ")".repeat(40)
    );
    let report = PolicySet::from_sources([("p.policy", deep)]).unwrap_err();
    assert_eq!(codes(&report), ["verdict::syntax::too_deep"]);
    // Within it, they parse and decide: 30 `not`s cancel out.
    let fine = format!(
        "policy p\nfact a: bool at a\n{}a{} can\n",
        "not (".repeat(30),
        ")".repeat(30)
    );
    let set = PolicySet::from_sources([("p.policy", fine)])
        .map_err(|r| r.render(100))
        .unwrap();
    let decisions = set.decide(&serde_json::json!({"a": true})).unwrap();
    assert_eq!(decisions[0].decision, "allow");
    // Deep nesting never overflows the stack, whatever the limit asked for.
    let limits = Limits {
        max_nesting: 1_000_000,
        ..Limits::default()
    };
    let hostile = format!(
        "policy p\nfact a: bool at a\n{}a can\n",
        "(".repeat(100_000)
    );
    let report = PolicySet::from_sources_with([("p.policy", hostile)], &limits).unwrap_err();
    assert_eq!(codes(&report), ["verdict::syntax::too_deep"]);
}

#[test]
fn huge_numbers_in_facts() {
    let text = r#"{"partner": {"role": "reseller", "designated_admin": 1e400}, "request": {"action": "delegated_admin"}}"#;
    let report = pack()
        .decide_json("huge.json", text)
        .map(verdict::Decisions::into_owned)
        .unwrap_err();
    assert_eq!(codes(&report), ["verdict::facts::syntax"]);
}

#[test]
fn huge_numbers_in_policies() {
    let digits = "9".repeat(400);
    let policy = format!("policy p\nfact n: number at n\nn > {digits} can\n");
    let report = PolicySet::from_sources([("p.policy", policy)]).unwrap_err();
    assert_eq!(codes(&report), ["verdict::syntax::number"]);
}

#[test]
fn very_long_strings() {
    let long = "x".repeat(10_000_000);
    let text = format!(r#"{{"partner": {{"role": "{long}"}}, "request": {{"action": "invite"}}}}"#);
    let report = pack()
        .decide_json("long.json", &text)
        .map(verdict::Decisions::into_owned)
        .unwrap_err();
    assert_eq!(codes(&report), ["verdict::facts::not_in_set"]);
    let rendered = report.render(80);
    assert!(rendered.len() < 10_000, "the value is not printed whole");
}

#[test]
fn many_rules() {
    let mut policy =
        String::from("policy big\nfirst match\nfact a: number at a\nfact b: number at b\n");
    for i in 0..20_000 {
        policy.push_str(&format!("a = {i} b > {} can\n", i % 7));
    }
    let set = PolicySet::from_sources([("big.policy", policy)]).unwrap();
    let decided = set
        .decide(&serde_json::json!({ "a": 19_999, "b": 100 }))
        .map(verdict::Decisions::into_owned)
        .unwrap();
    assert_eq!(decided[0].rule.as_deref(), Some("big.policy:20004"));
}

#[test]
fn a_word_repeated_in_a_value_set() {
    let words = "staff ".repeat(10_000);
    let policy =
        format!("policy p\nfact role: {{staff guest}} at role\n{{{words}}} can\nguest cannot\n");
    let set = PolicySet::from_sources([("p.policy", policy)]).unwrap();
    let decided = set
        .decide(&serde_json::json!({ "role": "staff" }))
        .map(verdict::Decisions::into_owned)
        .unwrap();
    assert_eq!(decided[0].decision, "allow");
}

#[test]
fn deep_nesting_in_policies() {
    let nots = format!(
        "policy p\nfact a: {{x y}} at a\n{}x can\n",
        "not ".repeat(100_000)
    );
    let report = PolicySet::from_sources([("p.policy", nots)]).unwrap_err();
    assert_eq!(codes(&report), ["verdict::syntax::too_deep"]);
    let blocks = format!(
        "policy p\nfact a: {{x y}} at a\n{}can\n{}",
        "when x {\n".repeat(10_000),
        "}\n".repeat(10_000)
    );
    let report = PolicySet::from_sources([("p.policy", blocks)]).unwrap_err();
    assert_eq!(codes(&report), ["verdict::syntax::too_deep"]);
}

#[test]
fn a_symlink_loop_in_a_policy_directory() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("symlink-loop");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("ok.policy"),
        "policy p\nfact a: {x y} at a\nx can\ny cannot\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(dir.join("loop.policy"), dir.join("loop.policy")).unwrap();
    std::os::unix::fs::symlink(&dir, dir.join("self.policy")).unwrap();
    let set = PolicySet::from_path(&dir).unwrap();
    assert_eq!(set.policies().len(), 1);
}

#[test]
fn policy_text_that_is_binary_noise() {
    let noise: String = (0..5_000u32)
        .filter_map(|i| char::from_u32((i * 7919) % 0x2FFF))
        .collect();
    let report = PolicySet::from_sources([("noise.policy", noise)]).unwrap_err();
    assert!(report.has_errors());
    let _ = report.render(80);
}

/// Constants past 2^53, where whole numbers are sparse (nanosecond timestamps).
#[test]
fn huge_number_constants_decide_correctly() {
    let policy = "policy n\notherwise deny\nfact ts: number at ts\nts > 1700000000000000000 can\nts < 100000000000000000 can\n";
    let set = PolicySet::from_sources([("n.policy", policy)]).unwrap();
    assert_eq!(
        set.diagnostics().warning_count(),
        0,
        "{}",
        set.diagnostics().render(80)
    );
    for (ts, decision) in [
        (1_800_000_000_000_000_000u64, "allow"),
        (5, "allow"),
        (1_000_000_000_000_000_000, "deny"),
    ] {
        let decided = set
            .decide(&serde_json::json!({ "ts": ts }))
            .map(verdict::Decisions::into_owned)
            .unwrap();
        assert_eq!(decided[0].decision, decision, "ts = {ts}");
    }
}

#[test]
fn nots_separated_by_tabs_are_counted() {
    let policy = format!(
        "policy p\nfact a: bool at a\n{}a can\n",
        "not\t".repeat(1_000)
    );
    let report = PolicySet::from_sources([("p.policy", policy)]).unwrap_err();
    assert_eq!(codes(&report), ["verdict::syntax::too_deep"]);
}

#[test]
fn words_that_start_with_a_keyword() {
    let policy = "policy h\nfact status: {in-progress done not-started} at s\nfact answer: {true false unknown} at a\noutcome in-review\nnot-started cannot\nin-progress -> in-review\ndone answer = true can\ndone answer != true cannot\n";
    let set = PolicySet::from_sources([("h.policy", policy)]).unwrap();
    let decide = |facts: serde_json::Value| {
        set.decide(&facts)
            .map(verdict::Decisions::into_owned)
            .unwrap()[0]
            .decision
            .clone()
    };
    assert_eq!(
        decide(serde_json::json!({ "s": "in-progress" })),
        "in-review"
    );
    assert_eq!(decide(serde_json::json!({ "s": "not-started" })), "deny");
    assert_eq!(
        decide(serde_json::json!({ "s": "done", "a": "true" })),
        "allow"
    );
}

#[test]
fn byte_order_marks_are_skipped() {
    let set = PolicySet::from_sources([(
        "p.policy",
        "\u{feff}policy p\nfact a: {x y} at a\nx can\ny cannot\n",
    )])
    .unwrap();
    let decided = set
        .decide_json("f.json", "\u{feff}{\"a\": \"x\"}")
        .map(verdict::Decisions::into_owned)
        .unwrap();
    assert_eq!(decided[0].decision, "allow");
}

/// A test file whose facts nest far deeper than a facts document may is
/// refused before it is parsed: the parser recurses once per level, and a
/// million levels would overflow the stack.
#[test]
fn test_facts_nested_past_the_limit() {
    let deep = |levels: usize| {
        format!(
            "test \"deep\"\n  facts {}1{}\n  expect allow\n",
            "{\"a\":".repeat(levels),
            "}".repeat(levels)
        )
    };
    let report = verdict::suite::from_sources([("deep.tests", deep(1_000_000))])
        .expect_err("too deep to read");
    assert_eq!(codes(&report), ["verdict::tests::syntax"]);
    assert!(
        report
            .render(100)
            .contains("facts nested at most 127 levels deep"),
        "{}",
        report.render(100)
    );
    // At the limit, the file is read (and its facts then refused as
    // facts, when the test runs).
    assert!(verdict::suite::from_sources([("deep.tests", deep(127))]).is_ok());
}
