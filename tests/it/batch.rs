//! Batch evaluation keeps every line: one output line per input line, in
//! input order, an error object for each bad line, across chunk boundaries
//! and threads; and each decision is the one a single evaluation gives.

use proptest::strategy::Strategy;
use serde_json::Value;
use verdict::PolicySet;

fn line(i: usize) -> String {
    let actions = verdict::testing::workloads::ACTIONS;
    // `MSDN` is no declared channel: those lines yield error objects.
    let channels = ["Direct", "Advisor", "CSP", "Syndication", "MSDN"];
    match i % 11 {
        3 => String::from("{not json"),
        7 => String::new(),
        9 => String::from("[]"),
        _ => format!(
            r#"{{"subscription":{{"billing":"{}","channel":"{}"}},"partner":{{"role":"reseller"}},"request":{{"action":"{}","target":"partner"}}}}"#,
            if i.is_multiple_of(2) {
                "license"
            } else {
                "usage"
            },
            channels[i % channels.len()],
            actions[i % actions.len()],
        ),
    }
}

#[test]
fn every_line_yields_one_output_line_in_order() {
    let set = PolicySet::builtin().unwrap();
    // More lines than a chunk, so that order must survive chunking.
    let count = verdict::testing::BATCH_BLOCK_BYTES * 2 / 100 + 123;
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
            .map(|facts| set.decide(&facts).map(verdict::Decisions::into_owned))
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
        "x".repeat(3 * verdict::testing::BATCH_BLOCK_BYTES)
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
        "x".repeat(verdict::testing::BATCH_BLOCK_BYTES + 17)
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

/// A line the property test below writes, and what its output must say.
#[derive(Clone, Debug)]
enum Kind {
    /// Decides `deny`; padded with this many bytes.
    Reseller(usize),
    Empty,
    NotJson,
}

impl Kind {
    fn text(&self) -> String {
        match self {
            Kind::Reseller(padding) => format!(
                r#"{{"partner":{{"role":"reseller"}},"request":{{"action":"invite"}},"padding":"{}"}}"#,
                "x".repeat(*padding)
            ),
            Kind::Empty => String::new(),
            Kind::NotJson => String::from("{\"partner\":"),
        }
    }
}

/// Lines of every kind; padded ones around `limit` bytes long too.
fn kind(limit: usize) -> impl proptest::strategy::Strategy<Value = Kind> {
    use proptest::prelude::*;
    let base = Kind::Reseller(0).text().len();
    let near = limit.saturating_sub(base);
    prop_oneof![
        4 => prop_oneof![
            Just(0usize),
            Just(near.saturating_sub(1)),
            Just(near),
            Just(near + 1),
            Just(600_000),
        ]
        .prop_map(Kind::Reseller),
        1 => Just(Kind::Empty),
        1 => Just(Kind::NotJson),
    ]
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(40))]

    /// Whatever the lines, the limit on a line's length, the line ends and
    /// the size of the reads: one output line per input line, numbered in
    /// order, each saying what that line alone says, and a line over the
    /// limit reported with its length, whether it was skipped or held.
    #[test]
    fn any_lines_limit_and_read_size(
        (limit, kinds) in proptest::prop_oneof![
            proptest::strategy::Just(150usize),
            proptest::strategy::Just(500),
            proptest::strategy::Just(2_000_000),
        ]
        .prop_flat_map(|limit| (
            proptest::strategy::Just(limit),
            proptest::collection::vec(kind(limit), 0..24),
        )),
        capacity in proptest::prop_oneof![1usize..40, 4096usize..200_000],
        crlf: bool,
        final_newline: bool,
    ) {
        let limits = verdict::Limits { max_facts_bytes: limit, ..verdict::Limits::default() };
        let set = PolicySet::builtin_with(&limits).unwrap();
        let end = if crlf { "\r\n" } else { "\n" };
        let texts: Vec<String> = kinds.iter().map(Kind::text).collect();
        let mut input = texts.join(end);
        if final_newline && !texts.is_empty() {
            input.push_str(end);
        }
        // A last line that is empty and unterminated is no line.
        let expected_lines = if !final_newline && texts.last().is_some_and(String::is_empty) {
            texts.len() - 1
        } else {
            texts.len()
        };
        // Tiny reads of a large input would only make the test slow.
        let capacity = if input.len() > 100_000 { capacity.max(4096) } else { capacity };
        let reader = std::io::BufReader::with_capacity(capacity, input.as_bytes());
        let mut output = Vec::new();
        let summary = verdict::batch::run(&set, reader, &mut output, |_| {}).unwrap();
        let output = String::from_utf8(output).unwrap();
        let lines: Vec<Value> = output.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        proptest::prop_assert_eq!(lines.len(), expected_lines);
        proptest::prop_assert_eq!(summary.lines, expected_lines as u64);
        for (i, (line, (kind, text))) in lines.iter().zip(kinds.iter().zip(&texts)).enumerate() {
            proptest::prop_assert_eq!(&line["line"], &Value::from(i as u64 + 1));
            let last = i + 1 == texts.len();
            let length = text.len() + usize::from(crlf && (final_newline || !last));
            let code = line["errors"][0]["code"].as_str();
            if length > limit {
                proptest::prop_assert_eq!(code, Some("verdict::io::too_large"), "line {}", i + 1);
                let message = line["errors"][0]["message"].as_str().unwrap();
                proptest::prop_assert!(message.contains(&format!(" {length} bytes")), "{}", message);
                continue;
            }
            match kind {
                Kind::Reseller(_) => {
                    proptest::prop_assert_eq!(&line["decisions"][0]["decision"], "deny", "line {}", i + 1)
                }
                Kind::Empty | Kind::NotJson => {
                    proptest::prop_assert_eq!(code, Some("verdict::facts::syntax"), "line {}", i + 1)
                }
            }
        }
    }
}
