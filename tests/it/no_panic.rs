//! No input panics the engine: mangled policy text and mangled facts always
//! come back as decisions or diagnostics, and rendering them never panics.

use proptest::prelude::*;
use verdict::PolicySet;

const PACK: &[&str] = &[
    include_str!("../../policies/multichannel/multichannel.policy"),
    include_str!("../../policies/multichannel/channels.policy"),
    include_str!("../../policies/multichannel/indirect.policy"),
];

/// Pieces of the language, to splice into text.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "\"",
    "\n",
    "not ",
    "\n  and ",
    "can ",
    "cannot ",
    "-> ",
    "when x {",
    "=",
    "!=",
    "<",
    ">=",
    " in ",
    "fact ",
    "policy ",
    "outcome ",
    "otherwise ",
    "first match\n",
    "because \"x\"",
    "see \"y\"",
    "#",
    "\\",
    "1e9",
    "-1",
    "99999999999999999999999999999999999999999999",
    "é",
    "\t",
    "\r\n",
    "{}",
    "license",
    "CSP",
    "reseller",
    "designated_admin",
    ".",
    ":",
    ",",
    "at ",
    "bool",
    "number",
    "string",
    "optional",
    "default ",
    "true",
    "false",
    "none",
];

#[derive(Clone, Debug)]
enum Edit {
    Delete(usize, usize),
    Insert(usize, usize),
    DuplicateLine(usize),
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let edit = prop_oneof![
        (any::<usize>(), 0usize..40).prop_map(|(at, n)| Edit::Delete(at, n)),
        (any::<usize>(), any::<usize>()).prop_map(|(at, t)| Edit::Insert(at, t)),
        any::<usize>().prop_map(Edit::DuplicateLine),
    ];
    prop::collection::vec(edit, 1..6)
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut text = text.to_string();
    for edit in edits {
        let boundary = |at: usize, text: &str| {
            let mut at = at % (text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            at
        };
        match edit {
            Edit::Delete(at, n) => {
                let start = boundary(*at, &text);
                let end = boundary((start + n).min(text.len()), &text);
                text.replace_range(start..end, "");
            }
            Edit::Insert(at, token) => {
                let at = boundary(*at, &text);
                text.insert_str(at, TOKENS[token % TOKENS.len()]);
            }
            Edit::DuplicateLine(line) => {
                let lines: Vec<&str> = text.lines().collect();
                if !lines.is_empty() {
                    let pick = lines[line % lines.len()].to_string();
                    text.push('\n');
                    text.push_str(&pick);
                }
            }
        }
    }
    text
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 2000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn mangled_policies_give_diagnostics(file in 0usize..3, edits in edits()) {
        let mut files: Vec<(String, String)> = PACK
            .iter()
            .enumerate()
            .map(|(i, text)| (format!("p{i}.policy"), text.to_string()))
            .collect();
        files[file].1 = apply(&files[file].1, &edits);
        match PolicySet::from_sources(files) {
            Ok(set) => {
                let _ = set.diagnostics().render(80);
                let facts = serde_json::json!({
                    "subscription": { "billing": "license", "channel": "CSP" },
                    "partner": { "role": "reseller" },
                    "request": { "action": "invite" },
                });
                if let Err(report) = set.decide(&facts).map(verdict::Decisions::into_owned) {
                    prop_assert!(report.has_errors());
                    let _ = report.render(80);
                }
            }
            Err(report) => {
                prop_assert!(report.has_errors());
                prop_assert!(!report.render(80).is_empty());
            }
        }
    }

    #[test]
    fn mangled_facts_give_decisions_or_diagnostics(edits in edits()) {
        let set = PolicySet::builtin().unwrap();
        let facts = include_str!("../../examples/license-csp-transfer.json");
        let text = apply(facts, &edits);
        // Deciding from text (values picked while parsing) and from the
        // parsed `Value` agree, decisions and failures alike.
        let from_value = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .map(|value| set.decide(&value).map(verdict::Decisions::into_owned).map_err(|r| r.error_count()));
        let from_text = set.decide_json("facts.json", &text).map(verdict::Decisions::into_owned);
        match (&from_text, &from_value) {
            (Ok(a), Some(Ok(b))) => prop_assert_eq!(a, b),
            (Ok(_), _) => prop_assert!(false, "text decided, the value did not: {}", text),
            // A key given twice is refused from text (`repeated_key`):
            // the parsed `Value` has already kept one of the two.
            (Err(report), Some(Ok(_))) => prop_assert!(
                report.render(80).contains("verdict::facts::repeated_key"),
                "the value decided, the text did not: {}",
                text
            ),
            (Err(_), _) => {}
        }
        match set.trace_json("facts.json", &text) {
            Ok(decisions) => prop_assert_eq!(decisions.len(), 1),
            Err(report) => {
                prop_assert!(report.has_errors());
                prop_assert!(!report.render(80).is_empty());
            }
        }
    }
}
