//! Batch evaluation keeps every line: one output line per input line, in
//! input order, an error object for each bad line, across chunk boundaries
//! and threads; and each decision is the one a single evaluation gives.

// Test code fails loudly on purpose: unwrap, expect, panic and indexing are how it says so.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use serde_json::Value;
use verdict::PolicySet;

fn line(i: usize) -> String {
    let actions = [
        "support",
        "transfer",
        "migrate",
        "invite",
        "own_relationship",
        "delegated_admin",
    ];
    let channels = ["Direct", "Advisor", "CSP", "Syndication", "MSDN"];
    match i % 11 {
        3 => String::from("{not json"),
        7 => String::new(),
        9 => String::from("[]"),
        _ => format!(
            r#"{{"subscription":{{"billing":"{}","channel":"{}"}},"partner":{{"role":"reseller"}},"request":{{"action":"{}","target":"partner"}}}}"#,
            if i % 2 == 0 { "license" } else { "usage" },
            channels[i % channels.len()],
            actions[i % actions.len()],
        ),
    }
}

#[test]
fn every_line_yields_one_output_line_in_order() {
    let set = PolicySet::builtin().unwrap();
    // More lines than a chunk, so that order must survive chunking.
    let count = verdict::batch::CHUNK_BYTES * 2 / 100 + 123;
    let input: String = (0..count).map(|i| line(i) + "\n").collect();
    let mut output = Vec::new();
    let summary = verdict::batch::run(&set, input.as_bytes(), &mut output, |_| {}).unwrap();
    let output = String::from_utf8(output).unwrap();
    let lines: Vec<&str> = output.lines().collect();
    assert_eq!(lines.len(), count);
    assert_eq!(summary.lines, count as u64);
    let mut errors = 0;
    for (i, text) in lines.iter().enumerate() {
        let value: Value = serde_json::from_str(text).unwrap();
        assert_eq!(value["line"], (i + 1) as u64);
        // The same as deciding the line on its own.
        match serde_json::from_str::<Value>(&line(i))
            .ok()
            .map(|facts| set.evaluate(&facts))
        {
            Some(Ok(decisions)) => {
                let expected = serde_json::to_value(&decisions).unwrap();
                assert_eq!(value["decisions"], expected, "line {}", i + 1);
            }
            _ => {
                errors += 1;
                assert!(
                    value["errors"][0]["code"]
                        .as_str()
                        .unwrap()
                        .starts_with("verdict::"),
                    "{text}"
                );
            }
        }
    }
    assert_eq!(summary.errors, errors);
    let decided: u64 = summary.decisions.values().sum();
    assert_eq!(decided, count as u64 - errors);
}

#[test]
fn no_trailing_newline_and_crlf() {
    let set = PolicySet::builtin().unwrap();
    let input = "{\"partner\":{\"role\":\"reseller\"},\"request\":{\"action\":\"invite\"}}\r\n{\"partner\":{\"role\":\"reseller\"},\"request\":{\"action\":\"invite\"}}";
    let mut output = Vec::new();
    let summary = verdict::batch::run(&set, input.as_bytes(), &mut output, |_| {}).unwrap();
    assert_eq!(summary.lines, 2);
    assert_eq!(summary.errors, 0);
    assert_eq!(String::from_utf8(output).unwrap().lines().count(), 2);
}

#[test]
fn lines_past_the_limit_yield_an_error_object_and_the_batch_goes_on() {
    let limits = verdict::Limits {
        max_facts_bytes: 200,
        ..verdict::Limits::default()
    };
    let set = PolicySet::builtin_with(&limits).unwrap();
    let good = r#"{"partner":{"role":"reseller"},"request":{"action":"invite"}}"#;
    let long = format!(
        r#"{{"padding":"{}"}}"#,
        "x".repeat(3 * verdict::batch::CHUNK_BYTES)
    );
    let input = format!("{good}\n{long}\n{good}\n{long}");
    let mut output = Vec::new();
    let summary = verdict::batch::run(&set, input.as_bytes(), &mut output, |_| {}).unwrap();
    let output = String::from_utf8(output).unwrap();
    let lines: Vec<Value> = output
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(summary.lines, 4);
    assert_eq!(summary.errors, 2);
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(line["line"], i as u64 + 1);
        if i % 2 == 1 {
            assert_eq!(line["errors"][0]["code"], "verdict::io::too_large");
            let message = line["errors"][0]["message"].as_str().unwrap();
            assert!(message.contains(&long.len().to_string()), "{message}");
        } else {
            assert_eq!(line["decisions"][0]["decision"], "deny");
        }
    }
}

#[test]
fn long_lines_and_any_read_size_give_the_same_output() {
    let set = PolicySet::builtin().unwrap();
    // Lines longer than a block, among short ones, decided whole.
    let long = format!(
        r#"{{"partner":{{"role":"reseller"}},"request":{{"action":"invite"}},"padding":"{}"}}"#,
        "x".repeat(verdict::batch::CHUNK_BYTES + 17)
    );
    let mut input = String::new();
    for i in 0..3000 {
        input.push_str(&if i % 1000 == 500 {
            long.clone()
        } else {
            line(i)
        });
        input.push('\n');
    }
    let mut whole = Vec::new();
    let summary = verdict::batch::run(&set, input.as_bytes(), &mut whole, |_| {}).unwrap();
    assert_eq!(summary.lines, 3000);
    // The same input read a few bytes at a time, and through a common buffer.
    for capacity in [7, 8 * 1024] {
        let reader = std::io::BufReader::with_capacity(capacity, input.as_bytes());
        let mut output = Vec::new();
        verdict::batch::run(&set, reader, &mut output, |_| {}).unwrap();
        assert!(output == whole, "read {capacity} bytes at a time");
    }
    let output = String::from_utf8(whole).unwrap();
    let lines: Vec<Value> = output
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3000);
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(line["line"], i as u64 + 1);
        if i % 1000 == 500 {
            assert_eq!(line["decisions"][0]["decision"], "deny", "line {}", i + 1);
        }
    }
}
