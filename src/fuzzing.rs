//! The bodies of the fuzz targets (`fuzz/`), here so that the corpus replay
//! test (`tests/fuzz_corpus.rs`) runs exactly what the fuzzer runs. Each
//! panics only when an invariant breaks; any input is otherwise fine.

#![doc(hidden)]
// A fuzz target reports a broken invariant by panicking: that is its job.
#![allow(clippy::panic, clippy::indexing_slicing)]

use serde_json::{json, Value};

use crate::PolicySet;

/// Arbitrary text as a policy: loads or gives diagnostics that render.
pub fn parse(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match PolicySet::from_sources([("fuzz.policy", text)]) {
        Ok(set) => {
            let _ = set.warnings().render(80);
            let _ = set.evaluate(&json!({}));
        }
        Err(report) => {
            assert!(report.has_errors(), "a failed load has an error");
            let _ = report.render(80);
        }
    }
}

/// A reader of fuzzer bytes.
struct Bytes<'a>(&'a [u8], usize);

impl Bytes<'_> {
    fn next(&mut self) -> usize {
        let b = self.0.get(self.1).copied().unwrap_or(0);
        self.1 += 1;
        b as usize
    }
}

/// A policy built from bytes by a small grammar (so the fuzzer gets past the
/// parser), and facts built from bytes: the tree and the rule scan must
/// decide alike, and the formatter must keep the policy's meaning.
pub fn compile(data: &[u8]) {
    let mut bytes = Bytes(data, 0);
    let facts = 1 + bytes.next() % 4;
    let mut text = String::from("policy f\n");
    if bytes.next() % 2 == 0 {
        text.push_str("first match\n");
    }
    text.push_str("outcome o\n");
    let mut kinds = Vec::new();
    for f in 0..facts {
        let kind = bytes.next() % 3;
        let presence = ["", " optional", ""][bytes.next() % 3];
        match kind {
            0 => text.push_str(&format!(
                "fact f{f}: {{f{f}a f{f}b f{f}c}} at x.f{f}{presence}\n"
            )),
            1 => text.push_str(&format!("fact f{f}: bool at x.f{f}{presence}\n")),
            _ => text.push_str(&format!("fact f{f}: number at x.f{f}{presence}\n")),
        }
        kinds.push(kind);
    }
    let rules = 1 + bytes.next() % 8;
    for _ in 0..rules {
        let mut words = Vec::new();
        for _ in 0..bytes.next() % 4 {
            let f = bytes.next() % facts;
            let not = if bytes.next() % 4 == 0 { "not " } else { "" };
            let v = ["a", "b", "c"][bytes.next() % 3];
            words.push(match kinds[f] {
                0 if bytes.next() % 2 == 0 => format!("{not}f{f}{v}"),
                0 => format!("{not}f{f} in {{f{f}{v} f{f}a}}"),
                1 => format!("{not}f{f}"),
                _ => format!(
                    "{not}f{f} {} {}",
                    ["<", "<=", ">", ">=", "=", "!="][bytes.next() % 6],
                    bytes.next() % 5
                ),
            });
        }
        let verdict = ["can", "cannot", "-> o"][bytes.next() % 3];
        text.push_str(&format!("{} {verdict}\n", words.join(" ")));
    }
    let Ok(set) = PolicySet::from_sources([("f.policy", text.as_str())]) else {
        return;
    };
    let tree = &set.trees()[0];
    let scan = crate::compile::compile_without_tree(&tree.policy);
    for _ in 0..8 {
        let mut object = serde_json::Map::new();
        for (f, kind) in kinds.iter().enumerate() {
            let value = match (bytes.next() % 6, kind) {
                (0, _) => continue,
                (1, _) => json!("bogus"),
                (_, 0) => json!(format!("f{f}{}", ["a", "b", "c"][bytes.next() % 3])),
                (_, 1) => json!(bytes.next() % 2 == 0),
                _ => json!(bytes.next() % 7),
            };
            object.insert(format!("f{f}"), value);
        }
        let facts = json!({ "x": Value::Object(object) });
        let by_tree = tree.evaluate(&facts).map_err(|_| ());
        let by_scan = scan.evaluate(&facts).map_err(|_| ());
        assert_eq!(
            by_tree, by_scan,
            "tree and scan differ on {facts} for\n{text}"
        );
    }
    fmt_keeps_meaning(&text);
}

/// Facts text against the built-in pack: decisions from text and from the
/// parsed value agree.
pub fn eval(data: &[u8]) {
    // Compiled once per process: a fuzzer calls this millions of times.
    static PACK: std::sync::OnceLock<Option<PolicySet>> = std::sync::OnceLock::new();
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Some(set) = PACK.get_or_init(|| PolicySet::builtin().ok()) else {
        return;
    };
    let from_text = set.evaluate_json("fuzz.json", text, false);
    if let Ok(value) = serde_json::from_str::<Value>(text) {
        let from_value = set.evaluate(&value);
        match (&from_text, &from_value) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "text and value decide differently: {text}"),
            (Ok(_), Err(_)) | (Err(_), Ok(_)) => {
                panic!("text and value disagree on failing: {text}")
            }
            (Err(_), Err(_)) => {}
        }
    }
    if let Err(report) = from_text {
        let _ = report.render(80);
    }
}

/// Arbitrary policy text that parses: formatting it keeps its syntax tree
/// and is idempotent.
pub fn fmt(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        fmt_keeps_meaning(text);
    }
}

fn fmt_keeps_meaning(text: &str) {
    let mut map = crate::source::SourceMap::new();
    let Some(id) = map.add("f.policy", text) else {
        return;
    };
    let Some(file) = map.file(id) else { return };
    let Ok(ast) = crate::syntax::parse(file) else {
        return;
    };
    let Ok(once) = crate::format::format(file) else {
        return;
    };
    let Some(id2) = map.add("g.policy", once.as_str()) else {
        return;
    };
    let Some(formatted) = map.file(id2) else {
        return;
    };
    let again = crate::syntax::parse(formatted)
        .unwrap_or_else(|e| panic!("formatted text does not parse: {e:?}\n{once}"));
    assert_eq!(ast, again, "formatting changed the syntax tree of\n{text}");
    let twice = crate::format::format(formatted).unwrap_or_default();
    assert_eq!(once, twice, "formatting is not idempotent for\n{text}");
}
