//! `verdict diff` finds exactly the facts whose decision or reason changes:
//! checked
//! against evaluating both versions on every combination of values.

use crate::common;

use proptest::prelude::*;
use serde_json::Value;
use verdict::diff::ChangeKind;
use verdict::PolicySet;

const PACK: [(&str, &str); 3] = [
    (
        "multichannel.policy",
        include_str!("../../policies/multichannel/multichannel.policy"),
    ),
    (
        "channels.policy",
        include_str!("../../policies/multichannel/channels.policy"),
    ),
    (
        "indirect.policy",
        include_str!("../../policies/multichannel/indirect.policy"),
    ),
];

/// Edits to the pack's rules that keep it valid: verdicts swapped, rows dropped.
fn edited(edits: &[(usize, u8)]) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = PACK
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect();
    for (line, kind) in edits {
        let (_, text) = &mut files[1 + line % 2];
        let lines: Vec<&str> = text.lines().collect();
        let rules: Vec<usize> = (0..lines.len())
            .filter(|i| {
                let l = lines[*i];
                !l.starts_with(' ')
                    && (l.contains(" can") || l.contains(" cannot") || l.contains("->"))
            })
            .collect();
        let target = rules[*line % rules.len()];
        let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        if kind % 4 == 3 {
            // Another reason: the `because` text on the rule's next line.
            if let Some(next) = out.get_mut(target + 1) {
                *next = next.replacen("because \"", "because \"Now: ", 1);
            }
            *text = out.join("\n") + "\n";
            continue;
        }
        out[target] = match kind % 3 {
            0 => out[target]
                .replace(" cannot", " CAN_")
                .replace(" can", " cannot")
                .replace(" CAN_", " can"),
            1 => format!("# {}", out[target]),
            _ => out[target]
                .replace(" can ", " -> deny ")
                .replace(" cannot ", " -> allow "),
        };
        *text = out.join("\n") + "\n";
    }
    files
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn diff_is_exact(edits in prop::collection::vec((any::<usize>(), any::<u8>()), 1..3)) {
        let old = PolicySet::builtin().unwrap();
        let Ok(new) = PolicySet::from_sources(edited(&edits)) else { return Ok(()) };
        let diff = verdict::diff::diff(&old, &new);
        let (mut differing, mut reasons) = (0, 0);
        for facts in common::pack_combinations() {
            let a = old.decide(&facts).map(verdict::Decisions::into_owned).unwrap();
            let b = new.decide(&facts).map(verdict::Decisions::into_owned).unwrap();
            if a[0].decision != b[0].decision {
                differing += 1;
            } else if a[0].reason != b[0].reason {
                reasons += 1;
            }
        }
        // Complete facts differ exactly when a region where both decide
        // changes: in decision, or in reason.
        let complete = |kind: ChangeKind| {
            diff.changes
                .iter()
                .filter(|c| c.kind == kind && c.old.decision != "error" && c.new.decision != "error")
                .count()
        };
        prop_assert_eq!(complete(ChangeKind::Decision) == 0, differing == 0);
        prop_assert_eq!(complete(ChangeKind::Reason) == 0, reasons == 0);
        // Each region's example gets the stated decisions (`error` where a
        // version cannot decide without a fact the example leaves out).
        let decide = |set: &PolicySet, facts: &Value| match set.decide(facts).map(verdict::Decisions::into_owned) {
            Ok(d) => d[0].decision.clone(),
            Err(_) => String::from("error"),
        };
        for change in &diff.changes {
            prop_assert_eq!(decide(&old, &change.example), change.old.decision.clone());
            prop_assert_eq!(decide(&new, &change.example), change.new.decision.clone());
        }
    }
}

#[test]
fn a_set_does_not_differ_from_itself() {
    let pack = PolicySet::builtin().unwrap();
    assert!(verdict::diff::diff(&pack, &pack).is_empty());
}

/// A comparison too large to finish never claims that nothing changed.
#[test]
fn an_unfinished_comparison_is_not_a_clean_one() {
    let policy = |verdict: &str| {
        let mut text = String::from("policy big\nfirst match\notherwise deny\n");
        for i in 0..16 {
            text.push_str(&format!(
                "fact a{i}: bool at a{i}\nfact b{i}: bool at b{i}\n"
            ));
        }
        for i in 0..16 {
            let v = if i == 1 { verdict } else { "can" };
            text.push_str(&format!("a{i} b{i} {v}\n"));
        }
        text
    };
    let old = PolicySet::from_sources([("p.policy", policy("can"))]).unwrap();
    let new = PolicySet::from_sources([("p.policy", policy("cannot"))]).unwrap();
    let diff = verdict::diff::diff(&old, &new);
    assert!(!diff.is_empty());
}

/// The document-access example with rules edited: verdicts swapped, rules
/// dropped, business hours moved.
fn access_edited(edits: &[(usize, u8)]) -> String {
    let text = include_str!("../../policies/examples/document-access/document-access.policy");
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let rules: Vec<usize> = (0..lines.len())
        .filter(|i| lines[*i].ends_with(" can") || lines[*i].ends_with(" cannot"))
        .collect();
    for (line, kind) in edits {
        let target = rules[*line % rules.len()];
        lines[target] = match kind % 4 {
            0 if lines[target].ends_with(" cannot") => lines[target].replace(" cannot", " can"),
            0 => lines[target].replace(" can", " cannot"),
            1 => format!("# {}", lines[target]),
            2 => lines[target]
                .replace("08:00", "07:30")
                .replace("20:00", "21:00"),
            _ => lines[target].replace("requester = owner", "requester != owner"),
        };
    }
    lines.join("\n") + "\n"
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    /// Where facts are tied (relations, the local time of day and weekday),
    /// every change diff shows has an example both versions decide as it
    /// says, and when requests decide differently, diff does not say the
    /// versions are the same.
    #[test]
    fn diff_of_tied_facts_is_sound(edits in prop::collection::vec((any::<usize>(), any::<u8>()), 1..3)) {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let old = PolicySet::from_path(root.join("policies/examples/document-access")).unwrap();
        let Ok(new) = PolicySet::from_sources([("document-access.policy", access_edited(&edits))]) else {
            return Ok(());
        };
        let diff = verdict::diff::diff(&old, &new);
        let decide = |set: &PolicySet, facts: &Value| match set.decide(facts).map(verdict::Decisions::into_owned) {
            Ok(d) => d[0].decision.clone(),
            Err(_) => String::from("error"),
        };
        for change in &diff.changes {
            prop_assert_eq!(decide(&old, &change.example), change.old.decision.clone(), "{}", change.example);
            prop_assert_eq!(decide(&new, &change.example), change.new.decision.clone(), "{}", change.example);
        }
        let differing = verdict::testing::workloads::access_requests(2_000)
            .iter()
            .filter(|facts| decide(&old, facts) != decide(&new, facts))
            .count();
        if differing > 0 {
            prop_assert!(!diff.changes.is_empty() || !diff.incomparable.is_empty());
        }
    }
}

/// A fact with a default reads absent as that value in both versions: a
/// region says `false`, not `{false absent}`.
#[test]
fn a_default_is_not_shown_as_absent_too() {
    let old = "policy ship\nfirst match\nfact express: bool at order.express default false\nfact region: {eu us} at order.region\neu express can\nus cannot\n";
    let new = "policy ship\nfirst match\nfact express: bool at order.express default false\nfact region: {eu us} at order.region\neu express can\nus not express can\n";
    let old = PolicySet::from_sources([("p.policy", old)]).unwrap();
    let new = PolicySet::from_sources([("p.policy", new)]).unwrap();
    let diff = verdict::diff::diff(&old, &new);
    let whens: Vec<String> = diff.changes.iter().map(|c| c.when.join(", ")).collect();
    assert_eq!(
        whens,
        [
            "order.express false, order.region us",
            "order.express true, order.region us"
        ]
    );
}
