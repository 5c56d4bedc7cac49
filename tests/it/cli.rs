//! The `verdict` binary, run for real: stdout, stderr and the exit code of
//! each command, snapshotted.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// Runs `verdict ARGS` from the crate root, feeding `stdin`; returns a
/// transcript of exit code, stdout and stderr.
fn run(args: &[&str], stdin: Option<&str>) -> (i32, String) {
    run_in(Path::new(env!("CARGO_MANIFEST_DIR")), args, stdin)
}

/// What verdict says when it takes the built-in pack because the current
/// folder (the crate's root, in these tests) has no policy files.
const BUILTIN_NOTE: &str = "verdict: no `*.policy` files in the current folder: using the built-in multichannel pack (`--policies PATH` names others)\n";

/// A transcript without [`BUILTIN_NOTE`], which it must have.
fn without_builtin_note(transcript: &str) -> String {
    assert!(transcript.contains(BUILTIN_NOTE), "{transcript}");
    transcript.replacen(BUILTIN_NOTE, "", 1)
}

/// [`run`] in the folder `dir`.
fn run_in(dir: &Path, args: &[&str], stdin: Option<&str>) -> (i32, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_verdict"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("NO_COLOR", "1")
        .spawn()
        .expect("the binary runs");
    {
        let mut input = child.stdin.take().expect("stdin is piped");
        // A command that refuses its arguments exits without reading its
        // input: the pipe may be closed before the input is written.
        match input.write_all(stdin.unwrap_or_default().as_bytes()) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
            written => written.expect("stdin takes the input"),
        }
    }
    let output = child.wait_with_output().expect("the binary finishes");
    let code = output.status.code().unwrap_or(-1);
    let transcript = format!(
        "exit: {code}\n--- stdout\n{}--- stderr\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (code, transcript)
}

#[test]
fn eval_human() {
    let (code, out) = run(&["eval", "examples/license-csp-transfer.json"], None);
    assert_eq!(code, 0);
    insta::assert_snapshot!(out);
}

#[test]
fn eval_json_has_the_documented_shape() {
    let (code, out) = run(
        &[
            "eval",
            "--format",
            "json",
            "examples/usage-advisor-migrate.json",
        ],
        None,
    );
    assert_eq!(code, 0);
    insta::assert_snapshot!(out);
    let stdout = stdout_of(&out);
    let value: serde_json::Value = serde_json::from_str(stdout).expect("stdout is JSON");
    let decision = &value["decisions"][0];
    let keys: Vec<&str> = decision
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys.len(), 5, "{keys:?}");
    for key in ["policy", "decision", "rule", "reason", "see"] {
        assert!(decision.get(key).is_some(), "missing {key}");
    }
    // It parses back into the library's Decision.
    let back: Vec<verdict::Decision> =
        serde_json::from_value(value["decisions"].clone()).expect("decisions deserialize");
    assert_eq!(back[0].decision, "manual-migrate");
}

#[test]
fn eval_none_in_json() {
    let (code, out) = run(
        &["eval", "--format", "json", "-"],
        Some(
            r#"{"subscription":{"billing":"license","channel":"Syndication"},"partner":{"role":"direct"},"request":{"action":"support"}}"#,
        ),
    );
    assert_eq!(code, 0);
    insta::assert_snapshot!(out);
}

#[test]
fn eval_trace() {
    let (code, out) = run(&["eval", "--trace", "examples/reseller-invite.json"], None);
    assert_eq!(code, 0);
    insta::assert_snapshot!(out);
}

#[test]
fn eval_reads_stdin() {
    let (code, out) = run(
        &["eval", "-"],
        Some(r#"{"partner":{"role":"indirect_provider"},"request":{"action":"invite"}}"#),
    );
    assert_eq!(code, 0);
    insta::assert_snapshot!(out);
}

#[test]
fn eval_bad_facts_exit_1() {
    let (code, out) = run(&["eval", "examples/typo-in-channel.json"], None);
    assert_eq!(code, 1);
    insta::assert_snapshot!(out);
}

#[test]
fn eval_missing_file_exit_1() {
    let (code, out) = run(&["eval", "no/such/facts.json"], None);
    assert_eq!(code, 1);
    insta::assert_snapshot!(out);
}

#[test]
fn eval_with_policies_dir() {
    let (code, out) = run(
        &[
            "eval",
            "--policies",
            "policies/multichannel",
            "examples/reseller-invite.json",
        ],
        None,
    );
    assert_eq!(code, 0);
    // The directory holds the same pack as the built-in one.
    let (_, builtin) = run(&["eval", "examples/reseller-invite.json"], None);
    assert_eq!(out, without_builtin_note(&builtin));
}

#[test]
fn eval_with_broken_policies_exit_1() {
    let (code, out) = run(
        &[
            "eval",
            "--policies",
            "tests/fixtures/check/err/duplicate-across-files",
            "examples/reseller-invite.json",
        ],
        None,
    );
    assert_eq!(code, 1);
    insta::assert_snapshot!(out);
}

#[test]
fn eval_policies_dir_without_policies_exit_1() {
    let (code, out) = run(
        &[
            "eval",
            "--policies",
            "examples",
            "examples/reseller-invite.json",
        ],
        None,
    );
    assert_eq!(code, 1);
    insta::assert_snapshot!(out);
}

#[test]
fn check_builtin_pack() {
    let (code, out) = run(&["check"], None);
    assert_eq!(code, 0);
    insta::assert_snapshot!(out);
}

#[test]
fn check_pack_directory() {
    let (code, out) = run(&["check", "policies/multichannel"], None);
    assert_eq!(code, 0);
    let (_, builtin) = run(&["check"], None);
    assert_eq!(out, without_builtin_note(&builtin));
    // `--policies` names them as the positional path does.
    let (_, flag) = run(&["check", "--policies", "policies/multichannel"], None);
    assert_eq!(out, flag);
}

#[test]
fn check_reports_warnings_and_succeeds() {
    let dir = tempdir("warnings");
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/check/err/shadowed.policy"
        ),
        dir.join("shadowed.policy"),
    )
    .expect("copy fixture");
    let (code, out) = run(&["check", dir.to_str().expect("utf-8 path")], None);
    assert_eq!(code, 0);
    assert!(out.contains("verdict::shadowed"), "{out}");
    assert!(out.contains("ok: 0 errors, 1 warning"), "{out}");
}

#[test]
fn check_errors_exit_1() {
    let (code, out) = run(
        &["check", "tests/fixtures/check/err/duplicate-across-files"],
        None,
    );
    assert_eq!(code, 1);
    insta::assert_snapshot!(out);
}

#[test]
fn misuse_exits_2() {
    let (code, out) = run(&["eval", "--trace", "--ndjson"], None);
    assert_eq!(code, 2);
    insta::assert_snapshot!(out);
    let (code, _) = run(&["eval", "--format", "yaml", "x.json"], None);
    assert_eq!(code, 2);
    let (code, _) = run(&["frobnicate"], None);
    assert_eq!(code, 2);
}

#[test]
fn help_exits_0() {
    let (code, out) = run(&["--help"], None);
    assert_eq!(code, 0);
    insta::assert_snapshot!(out);
}

/// A fresh directory under the target dir, for tests that need files.
fn tempdir(name: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn policies_may_be_one_file() {
    let (code, out) = run(
        &[
            "eval",
            "--policies",
            "tests/fixtures/check/ok/all-constructs.policy",
            "-",
        ],
        Some(r#"{"user":{"role":"staff","badge":true},"door":{"floor":1}}"#),
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("building: allow"), "{out}");
    let (code, out) = run(
        &["check", "tests/fixtures/check/ok/all-constructs.policy"],
        None,
    );
    assert_eq!(code, 0, "{out}");
}

#[test]
fn every_unreadable_policy_file_is_reported() {
    let dir = tempdir("unreadable");
    std::fs::write(dir.join("a.policy"), b"policy a\n\xff\xfe can\n").expect("write");
    std::fs::write(dir.join("b.policy"), b"policy b\n\xc0 can\n").expect("write");
    let (code, out) = run(&["check", dir.to_str().expect("utf-8 path")], None);
    assert_eq!(code, 1);
    assert_eq!(out.matches("verdict::io::not_utf8").count(), 2, "{out}");
    assert!(out.contains("invalid byte at offset 9"), "{out}");
}

#[test]
fn tree_text() {
    let (code, out) = run(&["tree"], None);
    assert_eq!(code, 0);
    insta::assert_snapshot!(out);
}

#[test]
fn tree_json_stats() {
    let (code, out) = run(&["tree", "--format", "json"], None);
    assert_eq!(code, 0);
    let stdout = stdout_of(&out);
    let value: serde_json::Value = serde_json::from_str(stdout).expect("JSON");
    let stats = &value["policies"][0]["stats"];
    assert_eq!(value["policies"][0]["policy"], "multichannel");
    for key in ["nodes", "tests", "leaves", "depth", "shared"] {
        assert!(stats[key].is_u64(), "{key} in {stats}");
    }
}

#[test]
fn tree_dot_renders() {
    let (code, out) = run(&["tree", "--format", "dot"], None);
    assert_eq!(code, 0);
    assert!(out.contains("digraph policy_multichannel"), "{out}");
}

#[test]
fn explain_human() {
    let (code, out) = run(&["explain", "examples/license-csp-transfer.json"], None);
    assert_eq!(code, 0);
    insta::assert_snapshot!(out);
}

#[test]
fn explain_why_not() {
    let (code, out) = run(
        &[
            "explain",
            "--why-not",
            "allow",
            "examples/reseller-invite.json",
        ],
        None,
    );
    assert_eq!(code, 0);
    insta::assert_snapshot!(out);
}

/// A decision no policy makes is a wrong command line (exit 2), said as a
/// diagnostic with the decisions there are and the closest one.
#[test]
fn explain_why_not_an_unknown_decision() {
    let (code, out) = run(
        &[
            "explain",
            "--why-not",
            "manual migrat",
            "examples/reseller-invite.json",
        ],
        None,
    );
    assert_eq!(code, 2);
    insta::assert_snapshot!(out);
}

/// Under `priority`, a rule that matches but loses to a higher-ranked
/// decision says so.
#[test]
fn explain_under_priority() {
    let (code, out) = run(
        &[
            "explain",
            "--policies",
            "tests/fixtures/check/err/outranked.policy",
            "-",
        ],
        Some(r#"{"user": {"role": "viewer"}, "document": {"class": "confidential"}}"#),
    );
    assert_eq!(code, 0);
    insta::assert_snapshot!(out);
}

#[test]
fn explain_json() {
    let (code, out) = run(
        &[
            "explain",
            "--format",
            "json",
            "--why-not",
            "manual-migrate",
            "examples/license-csp-transfer.json",
        ],
        None,
    );
    assert_eq!(code, 0);
    let stdout = stdout_of(&out);
    let value: serde_json::Value = serde_json::from_str(stdout).expect("JSON");
    let e = &value["explanations"][0];
    assert_eq!(e["decision"], "deny");
    assert_eq!(e["read"][0]["path"], "request.action");
    assert_eq!(
        e["read"][0]["at"],
        "examples/license-csp-transfer.json:4:26"
    );
    assert_eq!(
        e["unread"],
        serde_json::json!(["partner.role", "partner.designated_admin"])
    );
    assert_eq!(e["rules"].as_array().unwrap().len(), 10);
    assert_eq!(e["rules"][0]["status"], "decided");
    assert_eq!(e["rules"][1]["status"], "ruled-out");
    assert_eq!(
        e["rules"][1]["condition"],
        "{Direct Advisor Open EA ThirdParty}"
    );
    // The cheapest way to `manual-migrate`: usage, another channel, support or migrate.
    let best = &e["why_not"]["alternatives"][0];
    assert_eq!(best["rule"], "policies/multichannel/channels.policy:15");
    let paths: Vec<&str> = best["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "request.action",
            "subscription.billing",
            "subscription.channel"
        ]
    );
    // Applying the change reaches the decision.
    let mut facts: serde_json::Value =
        serde_json::from_str(include_str!("../../examples/license-csp-transfer.json")).unwrap();
    merge(&mut facts, &best["facts"]);
    let set = verdict::PolicySet::builtin().unwrap();
    assert_eq!(
        set.decide(&facts)
            .map(verdict::Decisions::into_owned)
            .unwrap()[0]
            .decision,
        "manual-migrate"
    );
}

fn merge(into: &mut serde_json::Value, from: &serde_json::Value) {
    match (into, from) {
        (serde_json::Value::Object(a), serde_json::Value::Object(b)) => {
            for (k, v) in b {
                merge(a.entry(k.clone()).or_insert(serde_json::Value::Null), v);
            }
        }
        (slot, value) => *slot = value.clone(),
    }
}

#[test]
fn test_pack_with_full_coverage() {
    let (code, out) = run(
        &["test", "policies/multichannel", "--min-coverage", "100"],
        None,
    );
    assert_eq!(code, 0, "{out}");
    insta::assert_snapshot!(out);
}

#[test]
fn test_builtin_pack() {
    let (code, out) = run(&["test"], None);
    assert_eq!(code, 0, "{out}");
    let (_, dir) = run(&["test", "policies/multichannel"], None);
    assert_eq!(without_builtin_note(&out), dir);
}

#[test]
fn test_failures_and_coverage() {
    let (code, out) = run(
        &["test", "tests/fixtures/suite/failing", "--coverage"],
        None,
    );
    assert_eq!(code, 1);
    insta::assert_snapshot!(out);
}

#[test]
fn test_min_coverage_fails_below() {
    let dir = tempdir("min-coverage");
    for name in ["building.policy", "building.tests"] {
        let from = format!(
            "{}/tests/fixtures/suite/failing/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::copy(from, dir.join(name)).expect("copy");
    }
    // Keep only the passing test.
    let tests = std::fs::read_to_string(dir.join("building.tests")).unwrap();
    let first: String = tests.split("\n\n").take(1).collect();
    std::fs::write(dir.join("building.tests"), first).unwrap();
    let (code, out) = run(
        &["test", dir.to_str().unwrap(), "--min-coverage", "50"],
        None,
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("1 passed, 0 failed"), "{out}");
    assert!(out.contains("is below the minimum of 50%"), "{out}");
}

#[test]
fn test_json() {
    let (code, out) = run(
        &[
            "test",
            "tests/fixtures/suite/failing",
            "--format",
            "json",
            "--coverage",
        ],
        None,
    );
    assert_eq!(code, 1);
    let stdout = stdout_of(&out);
    let value: serde_json::Value = serde_json::from_str(stdout).expect("JSON");
    assert_eq!(value["passed"], 2);
    assert_eq!(value["failed"], 2);
    assert_eq!(value["tests"][1]["name"], "an escorted guest on floor 2");
    assert_eq!(value["tests"][1]["passed"], false);
    assert!(value["coverage"]["percent"].as_f64().unwrap() < 100.0);
    let gap_test = value["coverage"]["policies"][0]["gaps"][0]["test"]
        .as_str()
        .unwrap();
    assert!(gap_test.starts_with("test \""), "{gap_test}");
}

#[test]
fn suggested_tests_pass_when_pasted() {
    let dir = tempdir("pasted");
    std::fs::copy(
        format!(
            "{}/tests/fixtures/suite/failing/building.policy",
            env!("CARGO_MANIFEST_DIR")
        ),
        dir.join("building.policy"),
    )
    .unwrap();
    std::fs::write(dir.join("building.tests"), "test \"one\"\n  facts {\"user\": {\"role\": \"staff\", \"badge\": true}}\n  expect allow\n").unwrap();
    let (_, out) = run(
        &[
            "test",
            dir.to_str().unwrap(),
            "--format",
            "json",
            "--coverage",
        ],
        None,
    );
    let stdout = stdout_of(&out);
    let value: serde_json::Value = serde_json::from_str(stdout).unwrap();
    let gaps: Vec<String> = value["coverage"]["policies"][0]["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["test"].as_str().unwrap().to_string())
        .collect();
    assert!(gaps.len() > 5);
    // Paste every suggestion: all pass, and coverage reaches 100%.
    let mut all = std::fs::read_to_string(dir.join("building.tests")).unwrap();
    for gap in &gaps {
        all.push('\n');
        all.push_str(gap);
    }
    std::fs::write(dir.join("building.tests"), all).unwrap();
    let (code, out) = run(
        &["test", dir.to_str().unwrap(), "--min-coverage", "100"],
        None,
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!("{} passed, 0 failed", gaps.len() + 1)),
        "{out}"
    );
}

#[test]
fn test_file_errors() {
    let (code, out) = run(&["test", "tests/fixtures/suite/err"], None);
    assert_eq!(code, 1);
    insta::assert_snapshot!(out);
    let (code, out) = run(&["test", "tests/fixtures/suite/syntax"], None);
    assert_eq!(code, 1);
    insta::assert_snapshot!("test_file_syntax_error", out);
    let (code, out) = run(&["test", "tests/fixtures/suite/unknown-policy"], None);
    assert_eq!(code, 1);
    insta::assert_snapshot!("test_file_unknown_policy", out);
    let (code, out) = run(&["test", "tests/fixtures/suite/which-policy"], None);
    assert_eq!(code, 1);
    insta::assert_snapshot!("test_file_which_policy", out);
    // What a test expects is checked against its policy before any test
    // runs: every mistake at once, each with a did-you-mean.
    let (code, out) = run(&["test", "tests/fixtures/suite/unknown-expectations"], None);
    assert_eq!(code, 1);
    insta::assert_snapshot!("test_file_unknown_expectations", out);
}

/// Named rules: decisions show the name beside `file:line` (human and
/// JSON), and tests expect a rule by its name.
#[test]
fn named_rules() {
    let facts = r#"{"user": {"role": "guest"}}"#;
    let (code, out) = run(
        &["eval", "--policies", "tests/fixtures/suite/named", "-"],
        Some(facts),
    );
    assert_eq!(code, 0);
    insta::assert_snapshot!("named_rules_eval", out);
    let (code, out) = run(
        &[
            "eval",
            "--format",
            "json",
            "--policies",
            "tests/fixtures/suite/named",
            "-",
        ],
        Some(facts),
    );
    assert_eq!(code, 0);
    let value: serde_json::Value = serde_json::from_str(stdout_of(&out)).unwrap();
    assert_eq!(value["decisions"][0]["rule_name"], "guests-wait");
    let (code, out) = run(
        &["explain", "--policies", "tests/fixtures/suite/named", "-"],
        Some(facts),
    );
    assert_eq!(code, 0);
    assert!(
        out.contains(
            "doors: ask-front-desk  (rule guests-wait, tests/fixtures/suite/named/doors.policy:12)"
        ),
        "{out}"
    );
    let (code, out) = run(&["test", "tests/fixtures/suite/named", "--coverage"], None);
    assert_eq!(code, 0, "{out}");
    insta::assert_snapshot!("named_rules_test", out);
}

#[test]
fn fmt_check_passes_on_the_pack() {
    let (code, out) = run(
        &[
            "fmt",
            "--check",
            "policies/multichannel",
            "tests/fixtures/check/ok",
        ],
        None,
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(out, "exit: 0\n--- stdout\n--- stderr\n");
}

#[test]
fn fmt_check_lists_files_that_would_change() {
    let (code, out) = run(&["fmt", "--check", "tests/fixtures/format"], None);
    assert_eq!(code, 1);
    insta::assert_snapshot!(out);
}

#[test]
fn fmt_rewrites_atomically_and_keeps_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempdir("fmt");
    let file = dir.join("messy.policy");
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/format/messy.policy"
        ),
        &file,
    )
    .unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
    let (code, out) = run(&["fmt", dir.to_str().unwrap()], None);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("formatted"), "{out}");
    let formatted = std::fs::read_to_string(&file).unwrap();
    let expected = include_str!("snapshots/it__format__messy_policy.snap");
    assert!(
        expected.ends_with(&formatted),
        "the file holds the formatted text"
    );
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o640
    );
    // No temporary file is left behind, and a second run changes nothing.
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(names, ["messy.policy"]);
    let (code, out) = run(&["fmt", "--check", dir.to_str().unwrap()], None);
    assert_eq!(code, 0, "{out}");
}

/// `verdict fmt` breaks long lines and joins lines that fit, as the
/// library's layout does, and says which file it rewrote.
#[test]
fn fmt_breaks_long_lines() {
    let dir = tempdir("fmt-long");
    let file = dir.join("long-lines.policy");
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/format/long-lines.policy"
        ),
        &file,
    )
    .unwrap();
    let (code, out) = run(&["fmt", file.to_str().unwrap()], None);
    assert_eq!(code, 0, "{out}");
    let formatted = std::fs::read_to_string(&file).unwrap();
    insta::assert_snapshot!(format!(
        "{}\n---\n{formatted}",
        out.replace(dir.to_str().unwrap(), "DIR")
    ));
    let (code, out) = run(&["fmt", "--check", file.to_str().unwrap()], None);
    assert_eq!(code, 0, "a second run changes nothing: {out}");
}

/// `fmt` killed at any moment leaves the old file or the formatted one,
/// never a truncated or mixed one.
#[test]
fn fmt_killed_at_any_moment_leaves_the_old_or_the_new_file() {
    let dir = tempdir("fmt-kill");
    let mut messy = String::from("policy big\nfirst match\nfact a: number at a\n");
    for i in 0..10_000 {
        messy.push_str(&format!("a   =   {i}      can\n"));
    }
    // The formatted text, from a run that is not interrupted.
    let file = dir.join("big.policy");
    std::fs::write(&file, &messy).unwrap();
    let start = std::time::Instant::now();
    let (code, out) = run(&["fmt", file.to_str().unwrap()], None);
    let whole = start.elapsed();
    assert_eq!(code, 0, "{out}");
    let formatted = std::fs::read_to_string(&file).unwrap();
    assert_ne!(formatted, messy);
    for step in 0..10u32 {
        std::fs::write(&file, &messy).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_verdict"))
            .args(["fmt", file.to_str().unwrap()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(whole * step / 9);
        let _ = child.kill();
        child.wait().unwrap();
        let now = std::fs::read_to_string(&file).unwrap();
        assert!(
            now == messy || now == formatted,
            "killed after {:?}: the file holds {} bytes, neither version",
            whole * step / 9,
            now.len()
        );
    }
}

#[test]
fn fmt_leaves_files_with_syntax_errors_alone() {
    let dir = tempdir("fmt-broken");
    let file = dir.join("broken.policy");
    let text = "policy p\nfact a: {x y}   at a\nx   open the door\n";
    std::fs::write(&file, text).unwrap();
    let (code, out) = run(&["fmt", dir.to_str().unwrap()], None);
    assert_eq!(code, 1);
    assert!(out.contains("verdict::syntax"), "{out}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
}

#[test]
fn check_reports_gaps_as_notes() {
    let (code, out) = run(&["check", "tests/fixtures/check/gaps"], None);
    assert_eq!(code, 0);
    insta::assert_snapshot!(out);
}

/// A policy whose rules are searched without a tree, but whose gaps only
/// a tree too deep to build would list, says the gaps are not listed
/// rather than reporting none; `--deny-gaps` cannot fail it on gaps it
/// cannot see, and says the same.
#[test]
fn check_says_when_the_gaps_need_a_tree_too_large_to_build() {
    let fixture = "tests/fixtures/check/no_tree.policy";
    let (code, out) = run(&["check", fixture], None);
    assert_eq!(code, 0);
    assert!(!out.contains("verdict::gaps"), "{out}");
    insta::assert_snapshot!(out);
    let (code, denied) = run(&["check", "--deny-gaps", fixture], None);
    assert_eq!((code, denied.as_str()), (0, out.as_str()));
}

/// People see ten gaps and how to see the rest; machine output lists
/// every one.
#[test]
fn check_lists_every_gap_in_machine_output() {
    let (code, human) = run(&["check", "tests/fixtures/check/many_gaps.policy"], None);
    assert_eq!(code, 0);
    let listed = |help: &str| help.matches("\n- {").count();
    let (_, json) = run(
        &[
            "check",
            "--format",
            "json",
            "tests/fixtures/check/many_gaps.policy",
        ],
        None,
    );
    let data: serde_json::Value = serde_json::from_str(stdout_of(&json)).unwrap();
    let gaps = data["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "verdict::gaps")
        .unwrap();
    assert_eq!(listed(gaps["help"].as_str().unwrap()), 15);
    assert!(!gaps["help"].as_str().unwrap().contains("more"));
    let (_, sarif) = run(
        &[
            "check",
            "--format",
            "sarif",
            "tests/fixtures/check/many_gaps.policy",
        ],
        None,
    );
    assert_eq!(stdout_of(&sarif).matches("\\n- {").count(), 15, "{sarif}");
    insta::assert_snapshot!(human);
}

#[test]
fn check_deny_gaps_fails() {
    let (code, out) = run(&["check", "--deny-gaps", "tests/fixtures/check/gaps"], None);
    assert_eq!(code, 1);
    assert!(out.contains("gaps are errors here"), "{out}");
    // A policy whose rules decide every combination passes.
    let (code, out) = run(
        &[
            "check",
            "--deny-gaps",
            "tests/fixtures/check/ok/all-constructs.policy",
        ],
        None,
    );
    assert_eq!(code, 0, "{out}");
}

fn stdout_json(out: &str) -> serde_json::Value {
    serde_json::from_str(stdout_of(out)).expect("stdout is JSON")
}

#[test]
fn check_json() {
    let (code, out) = run(
        &[
            "check",
            "--format",
            "json",
            "tests/fixtures/check/err/conflict.policy",
        ],
        None,
    );
    assert_eq!(code, 1);
    let value = stdout_json(&out);
    assert_eq!(value["errors"], 1);
    let conflict = value["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "verdict::conflict")
        .expect("a conflict");
    assert_eq!(conflict["severity"], "error");
    assert_eq!(
        conflict["labels"][0]["file"],
        "tests/fixtures/check/err/conflict.policy"
    );
    assert_eq!(conflict["labels"][0]["line"], 6);
    assert_eq!(conflict["labels"][0]["message"], "decides `allow`");
    assert!(conflict["help"]
        .as_str()
        .unwrap()
        .contains("\"role\":\"guest\""));
}

#[test]
fn check_sarif() {
    let (code, out) = run(
        &[
            "check",
            "--format",
            "sarif",
            "tests/fixtures/check/err/shadowed.policy",
        ],
        None,
    );
    assert_eq!(code, 0);
    let value = stdout_json(&out);
    assert_eq!(value["version"], "2.1.0");
    let run = &value["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "verdict");
    let result = &run["results"][0];
    assert_eq!(result["ruleId"], "verdict::shadowed");
    assert_eq!(result["level"], "warning");
    let region = &result["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["startLine"], 8);
    assert_eq!(
        result["relatedLocations"][0]["physicalLocation"]["region"]["startLine"],
        6
    );
}

#[test]
fn diff_shows_changed_regions() {
    let (code, out) = run(
        &["diff", "tests/fixtures/diff/old", "tests/fixtures/diff/new"],
        None,
    );
    assert_eq!(code, 1);
    insta::assert_snapshot!(out);
}

/// A pack whose only change is a `because` text changes what customers
/// read: a reason change, which fails the diff unless `--fail-on` leaves
/// reasons out.
#[test]
fn diff_reports_a_changed_reason() {
    let (code, out) = run(
        &[
            "diff",
            "tests/fixtures/diff/old",
            "tests/fixtures/diff/reason",
        ],
        None,
    );
    assert_eq!(code, 1, "{out}");
    insta::assert_snapshot!(out);
    let (code, _) = run(
        &[
            "diff",
            "--fail-on",
            "decision,rule",
            "tests/fixtures/diff/old",
            "tests/fixtures/diff/reason",
        ],
        None,
    );
    assert_eq!(code, 0);
}

#[test]
fn diff_of_equal_sets_is_empty() {
    let (code, out) = run(
        &["diff", "policies/multichannel", "tests/fixtures/diff/old"],
        None,
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("no decision changes"), "{out}");
}

#[test]
fn diff_json_examples_reach_the_decisions() {
    let (code, out) = run(
        &[
            "diff",
            "--format",
            "json",
            "tests/fixtures/diff/old",
            "tests/fixtures/diff/new",
        ],
        None,
    );
    assert_eq!(code, 1);
    let value = stdout_json(&out);
    let old = verdict::PolicySet::from_path(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/diff/old"
    ))
    .unwrap();
    let new = verdict::PolicySet::from_path(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/diff/new"
    ))
    .unwrap();
    let changes = value["changes"].as_array().unwrap();
    let kinds: Vec<&str> = changes
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    // The edited rule still decides one region as before: a rule change.
    assert_eq!(kinds, ["decision", "decision", "rule"]);
    for change in changes {
        let example = &change["example"];
        assert_eq!(
            old.decide(example)
                .map(verdict::Decisions::into_owned)
                .unwrap()[0]
                .decision,
            change["old"]["decision"]
        );
        assert_eq!(
            new.decide(example)
                .map(verdict::Decisions::into_owned)
                .unwrap()[0]
                .decision,
            change["new"]["decision"]
        );
    }
}

#[test]
fn ndjson_batch_keeps_order_and_reports_bad_lines() {
    let (code, out) = run(
        &["eval", "--ndjson", "tests/fixtures/batch/mixed.ndjson"],
        None,
    );
    assert_eq!(code, 0);
    // The summary's timing varies: keep stdout and the counts only.
    let stdout = stdout_of(&out);
    let stderr = out.split("--- stderr\n").nth(1).unwrap();
    let stderr = without_builtin_note(stderr);
    assert!(
        stderr.starts_with("10 lines: allow 1, deny 4; 5 errors;"),
        "{stderr}"
    );
    insta::assert_snapshot!(stdout);
}

#[test]
fn ndjson_from_stdin() {
    let input = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/batch/mixed.ndjson"
    ))
    .unwrap_or_default();
    let (code, out) = run(&["eval", "--ndjson"], Some(&input.replace('\u{fffd}', "")));
    assert_eq!(code, 0);
    let stdout = stdout_of(&out);
    let numbers: Vec<u64> = stdout
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["line"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(numbers, (1..=numbers.len() as u64).collect::<Vec<_>>());
}

/// The stdout part of a transcript from `run`.
fn stdout_of(out: &str) -> &str {
    out.split("--- stdout\n")
        .nth(1)
        .and_then(|s| s.split("--- stderr").next())
        .unwrap_or_default()
}

/// A misspelt key changes nothing a decision reads, so by default it
/// decides; `--trace` warns about the key, and `--strict-facts` fails on
/// it, naming the declared key it is probably meant as.
#[test]
fn eval_misspelt_key_warns_in_traces_and_fails_strictly() {
    let (code, traced) = run(
        &[
            "eval",
            "--trace",
            "tests/fixtures/facts/strict/misspelt-key.json",
        ],
        None,
    );
    assert_eq!(code, 0);
    insta::assert_snapshot!("misspelt_key_traced", traced);
    let (code, strict) = run(
        &[
            "eval",
            "--strict-facts",
            "tests/fixtures/facts/strict/misspelt-key.json",
        ],
        None,
    );
    assert_eq!(code, 1);
    insta::assert_snapshot!("misspelt_key_strict", strict);
}

/// Strictly, a declared fact that is present must fit its declaration
/// even when the decision does not read it.
#[test]
fn eval_strict_checks_facts_the_decision_does_not_need() {
    let file = "tests/fixtures/facts/strict/unneeded-misfit.json";
    let (code, _) = run(&["eval", file], None);
    assert_eq!(code, 0);
    let (code, strict) = run(&["eval", "--strict-facts", file], None);
    assert_eq!(code, 1);
    insta::assert_snapshot!("unneeded_misfit_strict", strict);
    // A batch reads each line as strictly, one output per line.
    let lines = "{\"partner\": {\"role\": \"reseller\", \"designated_admin\": \"yes\"}, \"request\": {\"action\": \"invite\"}}\n{\"partner\": {\"role\": \"reseller\"}, \"request\": {\"action\": \"invite\"}}\n";
    let (code, batch) = run(&["eval", "--ndjson", "--strict-facts", "-"], Some(lines));
    assert_eq!(
        code, 0,
        "a line that fails is an output, not a failed run: {batch}"
    );
    let stdout = stdout_of(&batch);
    let outputs: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(outputs.len(), 2, "{batch}");
    assert_eq!(
        outputs[0]["errors"][0]["code"], "verdict::facts::wrong_type",
        "{batch}"
    );
    assert_eq!(outputs[1]["decisions"][0]["decision"], "deny", "{batch}");
}

#[test]
fn explain_lists_keys_no_fact_declares() {
    let (code, out) = run(
        &[
            "explain",
            "--format",
            "json",
            "tests/fixtures/facts/strict/misspelt-key.json",
        ],
        None,
    );
    assert_eq!(code, 0);
    let value: serde_json::Value = serde_json::from_str(stdout_of(&out)).expect("stdout is JSON");
    assert_eq!(
        value["explanations"][0]["unknown_keys"],
        serde_json::json!(["partner.designatedAdmin"])
    );
    assert!(out.contains("did you mean `designated_admin`?"), "{out}");
}

/// A fact declared `default now` that the facts leave out takes the
/// evaluation time `--now` gives: the same facts refund in time, and are
/// offered a repair a week later; its time of day and weekday in the zone
/// follow it. A `--now` that is not an RFC 3339 instant is refused.
#[test]
fn eval_takes_the_evaluation_time_from_now() {
    let policies = "tests/fixtures/language/time";
    let facts = "tests/fixtures/facts/time/late-return.json";
    let at = |now: &str| {
        run(
            &[
                "eval",
                "--policies",
                policies,
                "--now",
                now,
                "--trace",
                facts,
            ],
            None,
        )
    };
    let (code, in_time) = at("2026-12-01T10:00:00Z");
    assert_eq!(code, 0);
    insta::assert_snapshot!("now_in_time", in_time);
    let (code, later) = at("2026-12-08T10:00:00+01:00");
    assert_eq!(code, 0);
    insta::assert_snapshot!("now_a_week_later", later);
    // 06:00 in Berlin is before opening.
    let (code, early) = at("2026-12-08T05:00:00Z");
    assert_eq!(code, 0);
    assert!(early.contains("returns: deny"), "{early}");
    let (code, refused) = at("next tuesday");
    assert_ne!(code, 0);
    assert!(
        refused.contains("expected an RFC 3339 date-time"),
        "{refused}"
    );
}

/// Times that are not times of their fact's type are `wrong_type`, each
/// saying the form it expects.
#[test]
fn eval_bad_times() {
    let (code, output) = run(
        &[
            "eval",
            "--policies",
            "tests/fixtures/language/time",
            "tests/fixtures/facts/time/bad-times.json",
        ],
        None,
    );
    assert_eq!(code, 1);
    insta::assert_snapshot!("bad_times", output);
}

/// A date-time that the rules also read in a zone (`weekday of now in
/// ...`, `time of day of now in ...`) is one mistake: one error, naming
/// its path, not one per part read from it.
#[test]
fn eval_bad_datetime_read_in_a_zone() {
    let (code, output) = run(
        &[
            "eval",
            "--policies",
            "tests/fixtures/language/time",
            "tests/fixtures/facts/time/bad-request-time.json",
        ],
        None,
    );
    assert_eq!(code, 1);
    assert_eq!(
        output.matches("verdict::facts::wrong_type").count(),
        1,
        "{output}"
    );
    insta::assert_snapshot!("bad_datetime_read_in_a_zone", output);
}

/// In a folder of policy files, every command works on them by default and
/// says so; `--policies PATH` names policies the same way for every
/// command, and naming two different ones is a usage error.
#[test]
fn the_current_folder_s_policies_are_the_default() {
    let dir = std::env::temp_dir().join(format!("verdict-cli-here-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("doors.policy"),
        "policy doors\nfact role: {staff guest} at user.role\nstaff can\nguest cannot\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("doors.tests"),
        "test \"staff\"\n  facts {\"user\": {\"role\": \"staff\"}}\n  expect allow\n",
    )
    .unwrap();
    std::fs::write(dir.join("facts.json"), r#"{"user": {"role": "guest"}}"#).unwrap();
    let mut transcript = String::new();
    for args in [
        &["eval", "facts.json"][..],
        &["check"],
        &["test"],
        &["tree"],
        &["explain", "facts.json"],
        &["check", "--policies", "doors.policy"],
        &["check", "doors.policy", "--policies", "other.policy"],
        &["fmt", "--check", "--policies", "doors.policy"],
    ] {
        let (_, out) = run_in(&dir, args, None);
        transcript.push_str(&format!("$ verdict {}\n{out}\n", args.join(" ")));
    }
    std::fs::remove_dir_all(&dir).unwrap();
    insta::assert_snapshot!(transcript);
}
