//! `verdict fmt`: one canonical layout, idempotent, and meaning-preserving.
//! Formatting keeps every comment and never changes a policy's syntax tree.

use proptest::prelude::*;
use verdict::testing::{parses, same_syntax_tree};
use verdict::SourceMap;

/// Formats `text`, or returns the syntax errors.
fn format(name: &str, text: &str) -> Result<String, String> {
    let mut map = SourceMap::new();
    let id = map.add(name, text).unwrap();
    verdict::format::format(map.file(id).unwrap()).map_err(|e| format!("{e:?}"))
}

fn every_valid_policy() -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in [
        "policies/multichannel",
        "policies/examples/refunds",
        "policies/examples/document-access",
        "tests/fixtures/check/ok",
        "tests/fixtures/check/err",
        "tests/fixtures/format",
        "tests/fixtures/suite/failing",
    ] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "policy") {
                let text = std::fs::read_to_string(&path).unwrap();
                if parses(&text) {
                    files.push((path.display().to_string(), text));
                }
            }
        }
    }
    assert!(files.len() > 20, "only {} fixtures", files.len());
    files
}

#[test]
fn the_pack_is_formatted() {
    for (name, text) in every_valid_policy()
        .iter()
        .filter(|(n, _)| n.contains("policies/multichannel"))
    {
        assert_eq!(
            &format(name, text).unwrap(),
            text,
            "{name} is not in canonical layout"
        );
    }
}

#[test]
fn formatting_is_idempotent_and_keeps_meaning() {
    for (name, text) in every_valid_policy() {
        let once = format(&name, &text).unwrap();
        let twice = format(&name, &once).unwrap();
        assert_eq!(
            once, twice,
            "{name}: formatting the formatted text changed it"
        );
        assert!(
            same_syntax_tree(&once, &text),
            "{name}: formatting changed the syntax tree"
        );
        // Every comment survives.
        let comments = |t: &str| t.lines().filter(|l| l.contains('#')).count();
        assert_eq!(
            comments(&once),
            comments(&text),
            "{name}: a comment was lost"
        );
    }
}

#[test]
fn messy_policy() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/format/messy.policy"
    ))
    .unwrap();
    insta::assert_snapshot!(format("messy.policy", &text).unwrap());
}

/// Long rules, `when` headers and declarations are broken to fit in 100
/// columns, and lines broken where they need not be are joined.
#[test]
fn long_lines() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/format/long-lines.policy"
    ))
    .unwrap();
    let formatted = format("long-lines.policy", &text).unwrap();
    insta::assert_snapshot!(formatted);
    // Only a rule with its verdict first (it has nowhere to break) and a
    // string go past 100 columns.
    let long: Vec<&str> = formatted
        .lines()
        .filter(|line| line.chars().count() > 100)
        .collect();
    assert_eq!(long.len(), 1, "{long:#?}");
    assert!(long[0].starts_with("can "), "{long:#?}");
}

/// A `when` block's braces go on lines of their own, and the rules after
/// the block are indented as the block's own header.
#[test]
fn blocks_on_one_line() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/format/blocks-on-one-line.policy"
    ))
    .unwrap();
    insta::assert_snapshot!(format("blocks-on-one-line.policy", &text).unwrap());
}

/// Joins lines that continue a rule's conditions (`and ...`) onto the line
/// before, as an author might write them, unless that line ends in a comment.
fn join_continued_lines(text: &str, seed: &[u8]) -> String {
    let mut pick = seed.iter().cycle().copied();
    let mut out: Vec<String> = Vec::new();
    for line in text.lines() {
        let rest = line.trim_start().strip_prefix("and ");
        match (rest, out.last_mut()) {
            (Some(rest), Some(previous))
                if !previous.contains('#') && pick.next().unwrap_or(0) % 2 == 0 =>
            {
                previous.push(' ');
                previous.push_str(rest);
            }
            _ => out.push(line.to_string()),
        }
    }
    out.join("\n") + "\n"
}

#[test]
fn refuses_text_that_does_not_parse() {
    assert!(format("p.policy", "policy p\nfact a: {x} at a\nx open\n").is_err());
}

/// Changes the whitespace of a policy without changing its tokens or its
/// grouping: spaces become runs of spaces and tabs, spaces around
/// punctuation come and go, lines get random indentation and trailing
/// spaces, blank lines multiply (blank lines are kept, so none are added
/// where there were none).
fn jitter(text: &str, seed: &[u8]) -> String {
    let mut pick = seed.iter().cycle().copied();
    let mut next = move || pick.next().unwrap_or(0);
    let mut out = String::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() {
            out.push_str(&"\n".repeat((next() % 3) as usize));
        }
        out.push_str(
            &" \t  "
                .chars()
                .take((next() % 4) as usize)
                .collect::<String>(),
        );
        let mut in_string = false;
        let mut in_comment = false;
        let mut prev = ' ';
        for c in trimmed.chars() {
            if in_comment || (in_string && c != '"') {
                out.push(c);
            } else if c == '"' && prev != '\\' {
                in_string = !in_string;
                out.push(c);
            } else if c == '#' {
                in_comment = true;
                out.push(c);
            } else if c == ' ' {
                out.push_str(["  ", " ", "\t", " \t "][(next() % 4) as usize]);
            } else if matches!(c, ',' | '}' | ':')
                // The colons of a time (`09:30`) are part of it.
                && !(c == ':' && prev.is_ascii_digit())
                && next() % 2 == 0
            {
                out.push(' ');
                out.push(c);
            } else {
                out.push(c);
            }
            prev = c;
        }
        if next() % 5 == 0 && !in_comment {
            out.push_str("  ");
        }
        out.push('\n');
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn layout_does_not_depend_on_whitespace(file in 0usize..10_000, seed in prop::collection::vec(any::<u8>(), 1..64)) {
        let files = every_valid_policy();
        let (name, text) = &files[file % files.len()];
        let jittered = jitter(text, &seed);
        // Only whitespace changed, so the policy means the same.
        prop_assert!(same_syntax_tree(&jittered, text), "jitter changed the meaning of {}:\n{}", name, jittered);
        prop_assert_eq!(format(name, &jittered).unwrap(), format(name, text).unwrap(), "{}:\n{}", name, jittered);
    }

    /// Where an author broke a rule's lines does not change the layout.
    #[test]
    fn layout_does_not_depend_on_line_breaks(file in 0usize..10_000, seed in prop::collection::vec(any::<u8>(), 1..16)) {
        let files = every_valid_policy();
        let (name, text) = &files[file % files.len()];
        let formatted = format(name, text).unwrap();
        let joined = join_continued_lines(&formatted, &seed);
        prop_assert!(same_syntax_tree(&joined, text), "joining lines changed the meaning of {}:\n{}", name, joined);
        prop_assert_eq!(format(name, &joined).unwrap(), formatted, "{}:\n{}", name, joined);
    }
}

/// Every test file of the repository, but those that do not parse.
fn every_test_file() -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    let mut dirs = vec![root.join("policies"), root.join("tests/fixtures")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "tests") {
                let text = std::fs::read_to_string(&path).unwrap();
                if format_tests(&path.display().to_string(), &text).is_ok() {
                    files.push((path.display().to_string(), text));
                }
            }
        }
    }
    assert!(files.len() > 15, "only {} test files", files.len());
    files
}

fn format_tests(name: &str, text: &str) -> Result<String, String> {
    let mut map = SourceMap::new();
    let id = map.add(name, text).unwrap();
    verdict::format::format_tests(map.file(id).unwrap()).map_err(|e| format!("{e:?}"))
}

/// Changes the whitespace of a test file without changing a token: lines
/// get random indentation and trailing spaces, runs of blanks outside
/// strings grow, spaces after `:` and `,` inside the facts come and go,
/// blank lines multiply.
fn jitter_tests(text: &str, seed: &[u8]) -> String {
    let mut pick = seed.iter().cycle().copied();
    let mut next = move || pick.next().unwrap_or(0);
    let mut out = String::new();
    let mut depth = 0usize;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() {
            out.push_str(&"\n".repeat(1 + (next() % 2) as usize));
            continue;
        }
        let indent = if trimmed.starts_with("test ") || trimmed.starts_with('#') {
            // Whether a comment is inside a test is told by its indent.
            line.len() - trimmed.len()
        } else {
            1 + (next() % 6) as usize
        };
        out.push_str(&" ".repeat(indent));
        let (mut in_string, mut escaped, mut in_comment) = (false, false, false);
        for c in trimmed.chars() {
            if in_comment || (in_string && (c != '"' || escaped)) {
                escaped = in_string && c == '\\' && !escaped;
                out.push(c);
                continue;
            }
            match c {
                '"' => in_string = !in_string,
                '#' => in_comment = true,
                '{' | '[' => depth += 1,
                '}' | ']' => depth = depth.saturating_sub(1),
                _ => {}
            }
            if c == ' ' {
                if depth == 0 || next() % 2 == 0 {
                    out.push_str(["  ", " ", "\t", " \t "][(next() % 4) as usize]);
                }
                continue;
            }
            out.push(c);
            if matches!(c, ',' | ':') && depth > 0 && next() % 3 == 0 {
                out.push(' ');
            }
        }
        if next() % 4 == 0 && !in_comment {
            out.push_str("   ");
        }
        out.push('\n');
    }
    out
}

/// Test files have one canonical layout too: every test file of the
/// repository is in it, and any whitespace put into one is taken out
/// again (which also shows that formatting keeps every test: a layout that
/// changed one would leave the file as it was, unformatted).
#[test]
fn test_files_have_one_canonical_layout() {
    for (name, text) in every_test_file() {
        let formatted = format_tests(&name, &text).unwrap();
        assert_eq!(formatted, text, "{name} is not in the canonical layout");
        for seed in [
            &[1u8, 7, 3, 250, 9][..],
            &[0, 2, 4, 6],
            &[5, 11, 200, 13, 8, 1],
        ] {
            let messy = jitter_tests(&text, seed);
            assert_eq!(
                format_tests(&name, &messy).unwrap(),
                text,
                "{name}:\n{messy}"
            );
        }
    }
}

#[test]
fn messy_tests() {
    let messy = "# a comment\ntest   \"staff\"   # trailing\n    facts {\"user\":{\"role\" :\"staff\"} ,\"door\":{\"floor\":3}}\n\n\n expect   allow   rule doors.policy:3\n  # inside\ntest \"guest\"\n  facts {\"user\": {\"role\": \"guest\"}, \"door\": {\"floor\": 3, \"name\": \"a very long name that will not fit on one line at all\"}}\n  expect deny\n";
    insta::assert_snapshot!(format_tests("messy.tests", messy).unwrap());
}
