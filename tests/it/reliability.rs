//! The binary under hostile or unlucky use: standard error closed or full,
//! input that arrives slowly, odd arguments, and `fmt` on files it must not
//! lose, split or take over (links, read-only files, other owners, a
//! file-size limit).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn verdict() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_verdict"));
    command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1");
    command
}

/// A fresh directory of its own for one test.
fn tempdir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("reliability-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

const MESSY: &str = include_str!("../fixtures/format/messy.policy");

/// `n` unformatted policy files in a fresh directory.
fn messy_files(name: &str, n: usize) -> PathBuf {
    let dir = tempdir(name);
    for i in 0..n {
        std::fs::write(dir.join(format!("p{i:03}.policy")), MESSY).unwrap();
    }
    dir
}

fn formatted(text: &str) -> String {
    let mut sources = verdict::SourceMap::new();
    let id = sources.add("messy.policy", text.to_string()).unwrap();
    verdict::format::format(sources.file(id).unwrap()).unwrap()
}

/// Standard error as a pipe whose reading end is already closed: every
/// write to it fails with "broken pipe".
fn closed_pipe() -> Stdio {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    writer.into()
}

/// Standard error as a device that is always full.
fn full_device() -> Stdio {
    std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap()
        .into()
}

fn run_with_stderr(args: &[&str], stderr: Stdio) -> Output {
    verdict()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .output()
        .unwrap()
}

#[test]
fn fmt_formats_every_file_when_stderr_is_closed_or_full() {
    for (name, stderr) in [("closed", closed_pipe()), ("full", full_device())] {
        let dir = messy_files(&format!("stderr-{name}"), 40);
        let output = run_with_stderr(&["fmt", dir.to_str().unwrap()], stderr);
        assert_eq!(output.status.code(), Some(0), "stderr {name}");
        let expected = formatted(MESSY);
        for entry in std::fs::read_dir(&dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            assert_eq!(text, expected, "stderr {name}");
        }
    }
}

#[test]
fn check_and_eval_exit_as_usual_when_stderr_is_closed_or_full() {
    for stderr in [closed_pipe, full_device] {
        // An error to report: exit 1, not a panic's 101.
        let output = run_with_stderr(
            &[
                "check",
                "tests/fixtures/mistakes/policy/keyword-cannnot.policy",
            ],
            stderr(),
        );
        assert_eq!(output.status.code(), Some(1));
        let output = run_with_stderr(
            &["eval", "tests/fixtures/facts/err/missing-channel.json"],
            stderr(),
        );
        assert_eq!(output.status.code(), Some(1));
        // A batch whose summary cannot be written still answers every line.
        let output = run_with_stderr(
            &["eval", "--ndjson", "tests/fixtures/batch/mixed.ndjson"],
            stderr(),
        );
        assert_eq!(output.status.code(), Some(0));
        assert_eq!(String::from_utf8_lossy(&output.stdout).lines().count(), 10);
    }
}

/// Lines written one at a time, each only after the answer to the one
/// before arrived: without streaming, the first answer would wait for the
/// end of the input, which never comes. The deadline only turns a hang
/// into a failure.
#[test]
fn a_batch_answers_each_line_as_it_arrives() {
    let mut child = verdict()
        .args(["eval", "--ndjson", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let mut output = BufReader::new(child.stdout.take().unwrap());
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let conversation = std::thread::spawn(move || {
        let lines = [
            r#"{"partner":{"role":"reseller"},"request":{"action":"invite"}}"#,
            "not json",
            r#"{"partner":{"role":"indirect_provider"},"request":{"action":"own_relationship"}}"#,
        ];
        let mut answers = Vec::new();
        for line in lines {
            writeln!(input, "{line}").unwrap();
            input.flush().unwrap();
            let mut answer = String::new();
            output.read_line(&mut answer).unwrap();
            answers.push(answer);
        }
        drop(input);
        let _ = done_tx.send(());
        answers
    });
    if done_rx
        .recv_timeout(std::time::Duration::from_secs(120))
        .is_err()
    {
        let _ = child.kill();
        panic!("no answer before the end of the input");
    }
    let answers = conversation.join().unwrap();
    assert!(answers[0]
        .starts_with(r#"{"line":1,"decisions":[{"policy":"multichannel","decision":"deny""#));
    assert!(answers[1].starts_with(r#"{"line":2,"errors":[{"code":"verdict::facts::syntax""#));
    assert!(answers[2]
        .starts_with(r#"{"line":3,"decisions":[{"policy":"multichannel","decision":"allow""#));
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

fn transcript(output: &Output) -> String {
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn run(args: &[&str], stdin: &str) -> Output {
    let mut child = verdict()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let written = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    // A command that refuses its arguments exits without reading its input:
    // the pipe may be closed before the input is written.
    match written {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other.unwrap(),
    }
    child.wait_with_output().unwrap()
}

#[test]
fn a_batch_line_too_deep_is_too_deep() {
    let deep = format!("{}1{}\n", r#"{"a":"#.repeat(200), "}".repeat(200));
    let output = run(&["eval", "--ndjson", "-"], &deep);
    assert_eq!(output.status.code(), Some(0));
    let line: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&output.stdout).trim()).unwrap();
    assert_eq!(line["errors"][0]["code"], "verdict::facts::too_deep");
    // The same code as one document gets.
    let output = run(&["eval", "--format", "json", "-"], &deep);
    let document: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&output.stdout).trim()).unwrap();
    assert_eq!(
        document["diagnostics"][0]["code"],
        "verdict::facts::too_deep"
    );
}

#[test]
fn a_batch_refuses_human_output_and_directories() {
    let output = run(&["eval", "--ndjson", "--format", "human", "-"], "{}\n");
    insta::assert_snapshot!("batch_human_format", transcript(&output));
    let output = run(&["eval", "--ndjson", "tests/fixtures"], "");
    insta::assert_snapshot!("batch_directory", transcript(&output));
}

#[test]
fn eval_reads_standard_input_by_default() {
    let output = run(
        &["eval"],
        r#"{"partner":{"role":"reseller"},"request":{"action":"invite"}}"#,
    );
    insta::assert_snapshot!(transcript(&output));
}

#[test]
fn fmt_formats_the_target_of_a_symbolic_link_and_keeps_the_link() {
    let dir = tempdir("symlink");
    std::fs::write(dir.join("real.policy"), MESSY).unwrap();
    std::fs::create_dir(dir.join("links")).unwrap();
    std::os::unix::fs::symlink("../real.policy", dir.join("links/link.policy")).unwrap();
    let output = run(&["fmt", dir.join("links").to_str().unwrap()], "");
    assert_eq!(output.status.code(), Some(0), "{}", transcript(&output));
    let link = std::fs::symlink_metadata(dir.join("links/link.policy")).unwrap();
    assert!(link.file_type().is_symlink());
    assert_eq!(
        std::fs::read_to_string(dir.join("real.policy")).unwrap(),
        formatted(MESSY)
    );
    // Nothing else was left beside the target.
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 2);
}

#[test]
fn fmt_rewrites_a_file_with_hard_links_in_place() {
    let dir = tempdir("hard-links");
    std::fs::write(dir.join("one.policy"), MESSY).unwrap();
    std::fs::hard_link(dir.join("one.policy"), dir.join("other-name.txt")).unwrap();
    let output = run(&["fmt", dir.join("one.policy").to_str().unwrap()], "");
    assert_eq!(output.status.code(), Some(0), "{}", transcript(&output));
    // Both names still share the file, which is formatted.
    assert_eq!(
        std::fs::read_to_string(dir.join("other-name.txt")).unwrap(),
        formatted(MESSY)
    );
    use std::os::unix::fs::MetadataExt as _;
    assert_eq!(
        std::fs::metadata(dir.join("one.policy")).unwrap().nlink(),
        2
    );
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 2);
}

#[test]
fn fmt_leaves_read_only_files_alone() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempdir("read-only");
    let file = dir.join("locked.policy");
    std::fs::write(&file, MESSY).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o444)).unwrap();
    let output = verdict()
        .args(["fmt", "locked.policy"])
        .current_dir(&dir)
        .output()
        .unwrap();
    insta::assert_snapshot!(transcript(&output));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), MESSY);
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
}

/// The user id tests run as, from `id -u`.
fn user_id() -> Option<u32> {
    let output = Command::new("id").arg("-u").output().ok()?;
    String::from_utf8_lossy(&output.stdout).trim().parse().ok()
}

/// As the superuser, `fmt` keeps another user's file theirs; as another
/// user, it refuses a file it may not write, even in a directory where it
/// could replace it. (The second part runs only where `setpriv` can switch
/// to an unprivileged user.)
#[test]
fn fmt_never_changes_who_owns_a_file() {
    use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
    if user_id() != Some(0) {
        eprintln!("skipped: owners can be given away only by the superuser");
        return;
    }
    let dir = tempdir("owners");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let theirs = dir.join("theirs.policy");
    std::fs::write(&theirs, MESSY).unwrap();
    std::os::unix::fs::chown(&theirs, Some(4321), Some(4322)).unwrap();
    let output = run(&["fmt", theirs.to_str().unwrap()], "");
    assert_eq!(output.status.code(), Some(0), "{}", transcript(&output));
    let metadata = std::fs::metadata(&theirs).unwrap();
    assert_eq!((metadata.uid(), metadata.gid()), (4321, 4322));
    assert_eq!(std::fs::read_to_string(&theirs).unwrap(), formatted(MESSY));

    // Root's file, in a directory anyone may write.
    let roots = dir.join("roots.policy");
    std::fs::write(&roots, MESSY).unwrap();
    let Ok(output) = Command::new("setpriv")
        .args(["--reuid=4321", "--regid=4321", "--clear-groups"])
        .arg(env!("CARGO_BIN_EXE_verdict"))
        .args(["fmt", "roots.policy"])
        .current_dir(&dir)
        .env("NO_COLOR", "1")
        .output()
    else {
        eprintln!("skipped the unprivileged part: no setpriv");
        return;
    };
    if output.status.code() == Some(127) || output.status.code() == Some(126) {
        eprintln!("skipped the unprivileged part: {}", transcript(&output));
        return;
    }
    insta::assert_snapshot!("fmt_refuses_a_file_it_may_not_write", transcript(&output));
    let metadata = std::fs::metadata(&roots).unwrap();
    assert_eq!(metadata.uid(), 0);
    assert_eq!(std::fs::read_to_string(&roots).unwrap(), MESSY);
}

/// Under a file-size limit smaller than the formatted file, the write
/// fails: reported, the original kept, no temporary file left.
#[test]
fn fmt_past_a_file_size_limit_keeps_the_original() {
    let dir = tempdir("ulimit");
    let text = format!(
        "{MESSY}{}",
        (0..3000)
            .map(|i| format!("# comment {i}\n"))
            .collect::<String>()
    );
    std::fs::write(dir.join("big.policy"), &text).unwrap();
    let output = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "ulimit -f 8 && exec {} fmt big.policy",
            env!("CARGO_BIN_EXE_verdict")
        ))
        .current_dir(&dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    insta::assert_snapshot!(transcript(&output));
    assert_eq!(
        std::fs::read_to_string(dir.join("big.policy")).unwrap(),
        text
    );
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
}

#[test]
fn fmt_refuses_files_check_would_refuse() {
    let dir = tempdir("too-large");
    let file = std::fs::File::create(dir.join("huge.policy")).unwrap();
    // Sparse: no disk space is used.
    file.set_len(300 << 20).unwrap();
    let output = verdict()
        .args(["fmt", "huge.policy"])
        .current_dir(&dir)
        .output()
        .unwrap();
    insta::assert_snapshot!(transcript(&output));
}

/// Thousands of warnings of one kind (a generated policy's repeated rules)
/// would bury everything else and take seconds to render: the human output
/// shows 20 of each code and counts the rest; JSON lists every one.
#[test]
fn check_shows_twenty_warnings_of_a_kind_and_counts_the_rest() {
    let path = "tests/fixtures/scale/many-redundant.policy";
    let output = run(&["check", path], "");
    assert_eq!(output.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.matches("× ").count() + stderr.matches("⚠ ").count(),
        20
    );
    assert!(stderr.contains(
        "… and 4 more `verdict::redundant` not shown: `verdict check --format json` lists every one"
    ));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("ok: 0 errors, 24 warnings, 0 notes"),
        "{stdout}"
    );
    let output = run(&["check", "--format", "json", path], "");
    let json: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&output.stdout).trim()).unwrap();
    assert_eq!(json["diagnostics"].as_array().unwrap().len(), 24);
}

/// Explaining a decision of a policy of thousands of rules labels at most
/// 40 rules, around the deciding one (here no rule applies), not every rule (30,000 rules took
/// over 100 s and printed 30,000 lines).
#[test]
fn explain_labels_the_rules_around_the_decision_only() {
    let dir = tempdir("explain-many");
    let policy = dir.join("scale.policy");
    std::fs::write(
        &policy,
        verdict::testing::workloads::Shape::FirstMatch.policy(500),
    )
    .unwrap();
    let facts = r#"{"f0":"f0v1","f1":"f1v2","f2":"f2v3","f3":"f3v4","f4":"f4v5","f5":"f5v6"}"#;
    let output = run(
        &["explain", "--policies", policy.to_str().unwrap(), "-"],
        facts,
    );
    assert_eq!(output.status.code(), Some(0), "{}", transcript(&output));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let labels = text.matches("╰── ").count();
    assert!((1..=40).contains(&labels), "{labels} labels:\n{text}");
    assert!(text.contains("more rules are not shown"), "{text}");
}

/// Lines appended to a file while `verdict fmt` formats it are never lost:
/// `fmt` reads the file again before it renames the formatted copy over
/// it, and refuses (`verdict::io::changed`) when it changed. A writer
/// appends a numbered comment every 2 ms, each with its own open and
/// close, for as long as `fmt` runs; afterwards every comment must be in
/// the file. The check and the rename are two steps, so a line appended
/// between them is lost: at most one (two on a slow machine), where
/// without the check every line appended during the run was. The file is
/// reformatted until `fmt` has refused once, at most 10 times.
#[test]
fn fmt_never_loses_lines_appended_while_it_runs() {
    let dir = tempdir("append-during-fmt");
    let path = dir.join("big.policy");
    // About 150 KB: long enough a run for many appends.
    let rules: String = (0..3000)
        .map(|i| format!("x{}   y{}  ->  r{}\n", i % 7, i % 5, i % 3))
        .collect();
    let header = "policy big\nfirst match\nfact x: {x0 x1 x2 x3 x4 x5 x6} at x\nfact y: {y0 y1 y2 y3 y4} at y\n";
    std::fs::write(&path, format!("{header}{rules}")).unwrap();
    let mut refused = false;
    let mut marker = 0usize;
    for _ in 0..10 {
        let first = marker;
        let mut child = verdict()
            .args(["fmt", path.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        while child.try_wait().unwrap().is_none() {
            let mut file = std::fs::OpenOptions::new()
                .append(true)
                .open(&path)
                .unwrap();
            writeln!(file, "# appended {marker}").unwrap();
            drop(file);
            marker += 1;
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        let output = child.wait_with_output().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lost: Vec<usize> = (first..marker)
            .filter(|m| !text.contains(&format!("# appended {m}\n")))
            .collect();
        assert!(
            lost.len() <= 2,
            "{} of {} lines appended during the run were lost: {lost:?}",
            lost.len(),
            marker - first
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        if output.status.code() == Some(1) {
            assert!(stderr.contains("verdict::io::changed"), "{stderr}");
            refused = true;
            break;
        }
        assert_eq!(output.status.code(), Some(0), "{stderr}");
        // Formatted already: mess it up again for the next run.
        std::fs::write(&path, format!("{header}{rules}")).unwrap();
    }
    assert!(refused, "fmt never saw the file change under it in 10 runs");
}
