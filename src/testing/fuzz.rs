//! The bodies of the fuzz targets (`fuzz/`), here so that the corpus replay
//! test (`tests/it/fuzz_corpus.rs`) runs exactly what the fuzzer runs. Each
//! returns `Err` only when an invariant breaks (a bug in verdict); the fuzz
//! target and the replay test turn that into a failure. Any input is fine.

use serde_json::{json, Value};

use crate::diagnostics::Report;
use crate::policy_set::{Decision, PolicySet};

/// Arbitrary text as a policy: loads or gives diagnostics that render,
/// and the direct parser answers for it with pest's very tree or leaves
/// it to pest.
pub fn parse(data: &[u8]) -> Result<(), String> {
    let Ok(text) = std::str::from_utf8(data) else {
        return Ok(());
    };
    let mut map = crate::source::SourceMap::new();
    if let Some(file) = map.add("fuzz.policy", text).and_then(|id| map.file(id)) {
        crate::syntax::direct_agrees(file)?;
    }
    match PolicySet::from_sources([("fuzz.policy", text)]) {
        Ok(set) => {
            let _ = set.diagnostics().render(80);
            let _ = set
                .decide(&json!({}))
                .map(crate::policy_set::Decisions::into_owned);
        }
        Err(report) => {
            if !report.has_errors() {
                return Err(String::from("a failed load has no error"));
            }
            let _ = report.render(80);
        }
    }
    Ok(())
}

/// A reader of fuzzer bytes.
struct Bytes<'a>(&'a [u8], usize);

impl Bytes<'_> {
    fn next(&mut self) -> usize {
        let b = self.0.get(self.1).copied().unwrap_or(0);
        self.1 += 1;
        b as usize
    }

    /// One of `choices`, chosen by the next byte.
    fn pick<'c>(&mut self, choices: &[&'c str]) -> &'c str {
        let n = self.next() % choices.len().max(1);
        choices.get(n).copied().unwrap_or_default()
    }
}

/// A policy built from bytes by a small grammar (so the fuzzer gets past the
/// parser), and facts built from bytes: the tree and the rule scan must
/// decide alike, and the formatter must keep the policy's meaning.
pub fn compile(data: &[u8]) -> Result<(), String> {
    let mut bytes = Bytes(data, 0);
    let facts = 1 + bytes.next() % 4;
    let mut text = String::from("policy f\n");
    match bytes.next() % 4 {
        0 | 2 => text.push_str("first match\n"),
        1 => text.push_str(bytes.pick(&[
            "priority deny > o > allow\n",
            "priority allow > deny > o\n",
            "priority o > allow > deny\n",
        ])),
        _ => {}
    }
    text.push_str("outcome o\n");
    let mut kinds = Vec::new();
    for f in 0..facts {
        let kind = bytes.next() % 6;
        let presence = bytes.pick(&["", " optional", ""]);
        match kind {
            0 => text.push_str(&format!(
                "fact f{f}: {{f{f}a f{f}b f{f}c}} at x.f{f}{presence}\n"
            )),
            1 => text.push_str(&format!("fact f{f}: bool at x.f{f}{presence}\n")),
            4 => text.push_str(&format!("fact f{f}: date at x.f{f}{presence}\n")),
            // A datetime and its time of day in a zone with daylight saving.
            5 => text.push_str(&format!(
                "fact f{f}: datetime at x.f{f}{presence}\nfact f{f}c: time of day of f{f} in \"Europe/Berlin\"\n"
            )),
            3 => text.push_str(&format!(
                "fact f{f}: set of {{f{f}a f{f}b f{f}c}} at x.f{f}{presence}\n"
            )),
            _ => text.push_str(&format!("fact f{f}: number at x.f{f}{presence}\n")),
        }
        kinds.push(kind);
    }
    let rules = 1 + bytes.next() % 8;
    for rule in 0..rules {
        let mut words = Vec::new();
        for _ in 0..bytes.next() % 4 {
            let f = bytes.next() % facts;
            let not = if bytes.next() % 4 == 0 { "not " } else { "" };
            let v = bytes.pick(&["a", "b", "c"]);
            words.push(match kinds.get(f).copied().unwrap_or(0) {
                0 if bytes.next() % 5 == 0 => format!("{not}f{f} starts with \"f{f}{v}\""),
                0 if bytes.next() % 2 == 0 => format!("{not}f{f}{v}"),
                0 => format!("{not}f{f} in {{f{f}{v} f{f}a}}"),
                1 => format!("{not}f{f}"),
                // A datetime compares with an instant around the night Berlin
                // moves its clocks; its time of day with a time.
                5 => {
                    let op = bytes.pick(&["<", ">=", "before", "after"]);
                    if bytes.next() % 2 == 0 {
                        format!("{not}f{f}c {op} 0{}:30", bytes.next() % 4)
                    } else {
                        format!("{not}f{f} {op} 2026-03-29T0{}:00:00Z", bytes.next() % 4)
                    }
                }
                // A date compares with a day, or with another date moved by days.
                4 => {
                    let op = bytes.pick(&["<", "<=", ">", ">=", "=", "!=", "before", "after"]);
                    let other = (0..facts)
                        .filter(|g| *g != f && kinds.get(*g) == Some(&4))
                        .nth(bytes.next() % 2);
                    match other {
                        Some(g) if bytes.next() % 4 == 0 => {
                            format!("{not}f{f} within {} days of f{g}", bytes.next() % 3)
                        }
                        Some(g) if bytes.next() % 2 == 0 => {
                            format!("{not}f{f} {op} f{g} + {} days", bytes.next() % 3)
                        }
                        _ => format!("{not}f{f} {op} 2026-01-0{}", 1 + bytes.next() % 4),
                    }
                }
                3 => format!(
                    "{not}f{f} has {}",
                    bytes.pick(&[
                        &format!("f{f}{v}"),
                        &format!("any of {{f{f}{v} f{f}a}}"),
                        &format!("all of {{f{f}{v} f{f}b}}"),
                        &format!("none of {{f{f}{v}}}")
                    ])
                ),
                // A number compares with a constant, or with another number fact.
                _ => {
                    let op = bytes.pick(&["<", "<=", ">", ">=", "=", "!="]);
                    let other = (0..facts)
                        .filter(|g| *g != f && kinds.get(*g) == Some(&2))
                        .nth(bytes.next() % 2);
                    match other {
                        Some(g) if bytes.next() % 3 == 0 => format!("{not}f{f} {op} f{g}"),
                        _ => format!("{not}f{f} {op} {}", bytes.next() % 5),
                    }
                }
            });
        }
        // Some rules join their last conditions in a group.
        let group = bytes.next() % 6;
        if group < 3 && words.len() >= 2 {
            let b = words.pop().unwrap_or_default();
            let a = words.pop().unwrap_or_default();
            words.push(match group {
                0 => format!("({a} or {b})"),
                1 => format!("not ({a} {b})"),
                _ => format!("({a} or not {b} or {b} {a})"),
            });
        }
        let verdict = bytes.pick(&["can", "cannot", "-> o"]);
        // Every other rule is named; a name changes nothing it decides.
        let name = if rule % 2 == 0 {
            format!("r{rule}: ")
        } else {
            String::new()
        };
        text.push_str(&format!("{name}{} {verdict}\n", words.join(" ")));
    }
    let Ok(set) = PolicySet::from_sources([("f.policy", text.as_str())]) else {
        return Ok(());
    };
    let Some(tree) = set.built_trees().first() else {
        return Ok(());
    };
    let scan = crate::compile::compile_without_tree(&tree.policy);
    for _ in 0..8 {
        let mut object = serde_json::Map::new();
        for (f, kind) in kinds.iter().enumerate() {
            let value = match (bytes.next() % 6, kind) {
                (0, _) => continue,
                (1, _) => json!("bogus"),
                (_, 0) => json!(format!("f{f}{}", bytes.pick(&["a", "b", "c"]))),
                (_, 1) => json!(bytes.next() % 2 == 0),
                (_, 4) => json!(format!("2026-01-0{}", 1 + bytes.next() % 5)),
                (_, 5) => json!(format!(
                    "2026-03-{}T0{}:30:00Z",
                    28 + bytes.next() % 2,
                    bytes.next() % 4
                )),
                (_, 3) => {
                    let bits = bytes.next();
                    let items: Vec<String> = ["a", "b", "c"]
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| bits >> i & 1 == 1)
                        .map(|(_, v)| format!("f{f}{v}"))
                        .collect();
                    json!(items)
                }
                _ => json!(bytes.next() % 7),
            };
            object.insert(format!("f{f}"), value);
        }
        let facts = json!({ "x": Value::Object(object) });
        let by_tree = crate::eval::decide(tree, &facts).map_err(|_| ());
        let by_scan = crate::eval::decide(&scan, &facts).map_err(|_| ());
        if by_tree != by_scan {
            return Err(format!("tree and scan differ on {facts} for\n{text}"));
        }
    }
    fmt_keeps_meaning(&text)
}

/// Facts text against the built-in pack: decisions from text, from the
/// parsed value and from that value serialized agree.
pub fn eval(data: &[u8]) -> Result<(), String> {
    // Compiled once per process: a fuzzer calls this millions of times.
    static PACK: std::sync::OnceLock<Option<PolicySet>> = std::sync::OnceLock::new();
    let Ok(text) = std::str::from_utf8(data) else {
        return Ok(());
    };
    let Some(set) = PACK.get_or_init(|| PolicySet::builtin().ok()) else {
        return Ok(());
    };
    let from_text = set
        .decide_json("fuzz.json", text)
        .map(crate::policy_set::Decisions::into_owned);
    if let Ok(value) = serde_json::from_str::<Value>(text) {
        let from_value = set
            .decide(&value)
            .map(crate::policy_set::Decisions::into_owned);
        agree("text", &from_text, &from_value, text)?;
        agree(
            "serialize",
            &set.decide_serialize(&value)
                .map(crate::policy_set::Decisions::into_owned),
            &from_value,
            text,
        )?;
    }
    if let Err(report) = from_text {
        let _ = report.render(80);
    }
    Ok(())
}

/// Whether a way in (`how`) decides as the parsed value does, or fails
/// when it fails.
fn agree(
    how: &str,
    got: &Result<Vec<Decision>, Report>,
    from_value: &Result<Vec<Decision>, Report>,
    text: &str,
) -> Result<(), String> {
    match (got, from_value) {
        (Ok(a), Ok(b)) if a != b => Err(format!("{how} and value decide differently: {text}")),
        (Ok(_), Err(_)) | (Err(_), Ok(_)) => {
            Err(format!("{how} and value disagree on failing: {text}"))
        }
        _ => Ok(()),
    }
}

/// Arbitrary policy text that parses: formatting it keeps its syntax tree
/// and is idempotent.
pub fn fmt(data: &[u8]) -> Result<(), String> {
    match std::str::from_utf8(data) {
        Ok(text) => fmt_keeps_meaning(text),
        Err(_) => Ok(()),
    }
}

fn fmt_keeps_meaning(text: &str) -> Result<(), String> {
    let mut map = crate::source::SourceMap::new();
    let Some(file) = map.add("f.policy", text).and_then(|id| map.file(id)) else {
        return Ok(());
    };
    let (Ok(ast), Ok(once)) = (crate::syntax::parse(file), crate::format::format(file)) else {
        return Ok(());
    };
    let mut formatted_map = crate::source::SourceMap::new();
    let Some(formatted) = formatted_map
        .add("g.policy", once.as_str())
        .and_then(|id| formatted_map.file(id))
    else {
        return Ok(());
    };
    let again = crate::syntax::parse(formatted)
        .map_err(|e| format!("formatted text does not parse: {e:?}\n{once}"))?;
    if ast != again {
        return Err(format!("formatting changed the syntax tree of\n{text}"));
    }
    if crate::format::format(formatted).ok().as_deref() != Some(once.as_str()) {
        return Err(format!("formatting is not idempotent for\n{text}"));
    }
    Ok(())
}
