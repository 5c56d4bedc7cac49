//! The built-in multichannel pack decides every row of
//! `policies/multichannel/README.md` as that table says: one facts file per row
//! under `fixtures/multichannel/`, plus the cases no rule covers.

use crate::common;

use std::path::Path;

/// (fixture, decision, rule location or None for no rule)
const CASES: &[(&str, &str, Option<&str>)] = &[
    (
        "row01-license-csp-transfer-partner",
        "deny",
        Some("channels.policy:6"),
    ),
    (
        "row02-license-advisor-support",
        "request-relationship",
        Some("channels.policy:10"),
    ),
    (
        "row02-license-thirdparty-support",
        "request-relationship",
        Some("channels.policy:10"),
    ),
    (
        "row03-usage-ea-migrate",
        "manual-migrate",
        Some("channels.policy:15"),
    ),
    (
        "row03-usage-direct-support",
        "manual-migrate",
        Some("channels.policy:15"),
    ),
    (
        "row04-usage-csp-transfer-partner",
        "allow",
        Some("channels.policy:22"),
    ),
    (
        "row05-indirect-provider-invite",
        "allow",
        Some("indirect.policy:7"),
    ),
    ("row06-reseller-invite", "deny", Some("indirect.policy:10")),
    (
        "row07-indirect-provider-own-relationship",
        "allow",
        Some("indirect.policy:14"),
    ),
    (
        "row08-reseller-own-relationship",
        "deny",
        Some("indirect.policy:16"),
    ),
    (
        "row09-designated-reseller-delegated-admin",
        "allow",
        Some("indirect.policy:20"),
    ),
    (
        "row10-reseller-delegated-admin-absent",
        "deny",
        Some("indirect.policy:23"),
    ),
    (
        "row10-reseller-delegated-admin-false",
        "deny",
        Some("indirect.policy:23"),
    ),
    ("none-syndication-support", "none", None),
    ("none-transfer-without-target", "none", None),
    ("none-license-csp-transfer-customer", "none", None),
    ("none-direct-partner-invite", "none", None),
];

fn facts(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("tests/fixtures/multichannel/{name}.json"));
    std::fs::read_to_string(path).expect("fixture exists")
}

#[test]
fn every_row_decides_as_specified() {
    let pack = common::pack();
    for (name, decision, rule) in CASES {
        let decisions = pack
            .decide_json(name, &facts(name))
            .map(verdict::Decisions::into_owned)
            .unwrap_or_else(|r| panic!("{name}: {}", r.render(common::WIDTH)));
        assert_eq!(decisions.len(), 1);
        let d = &decisions[0];
        assert_eq!(d.policy, "multichannel");
        assert_eq!(&d.decision, decision, "{name}");
        let expected_rule = rule.map(|r| format!("policies/multichannel/{r}"));
        assert_eq!(d.rule, expected_rule, "{name}");
        assert!(
            d.reason.as_deref().is_some_and(|r| !r.is_empty()),
            "{name} has a reason"
        );
    }
}

#[test]
fn every_fixture_is_in_the_table() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/multichannel");
    for entry in std::fs::read_dir(dir).expect("fixture dir") {
        let name = entry
            .expect("entry")
            .path()
            .file_stem()
            .expect("name")
            .to_string_lossy()
            .to_string();
        assert!(
            CASES.iter().any(|(n, _, _)| *n == name),
            "{name} has no expectation"
        );
    }
}

/// Every rule of the pack decides for at least one row fixture.
#[test]
fn every_rule_is_exercised() {
    let pack = common::pack();
    for rule in pack.policies().next().unwrap().rules() {
        let line = rule.rsplit('/').next().unwrap_or_default();
        assert!(
            CASES.iter().any(|(_, _, r)| *r == Some(line)),
            "rule {rule} has no fixture"
        );
    }
}

/// The reasons are the texts of the rules table (`policies/multichannel/README.md`).
#[test]
fn reasons_match_the_rules_document() {
    let pack = common::pack();
    let reason = |name: &str| {
        pack.decide_json(name, &facts(name))
            .map(verdict::Decisions::into_owned)
            .expect("decides")[0]
            .reason
            .clone()
            .unwrap_or_default()
    };
    assert_eq!(
        reason("row01-license-csp-transfer-partner"),
        "License-based CSP subscriptions cannot move to another CSP partner: the customer waits until the end of the subscription term, or cancels."
    );
    assert_eq!(
        reason("row10-reseller-delegated-admin-absent"),
        "Only a reseller that its indirect provider designates receives delegated admin rights."
    );
    assert_eq!(
        reason("none-syndication-support"),
        "No multichannel rule covers the case."
    );
}

/// Every combination of declared values (and absent optional facts) either
/// decides or fails with a facts error; none panics, and invitations never
/// need a subscription.
#[test]
fn every_combination_decides() {
    let pack = common::pack();
    let mut count = 0;
    for facts in common::pack_combinations() {
        let decisions = pack
            .decide(&facts)
            .map(verdict::Decisions::into_owned)
            .expect("complete facts always decide");
        count += 1;
        let action = facts["request"]["action"].as_str().unwrap_or_default();
        if matches!(action, "invite" | "own_relationship" | "delegated_admin") {
            let mut without = facts.clone();
            without
                .as_object_mut()
                .expect("object")
                .remove("subscription");
            let again = pack
                .decide(&without)
                .map(verdict::Decisions::into_owned)
                .expect("no subscription needed");
            assert_eq!(again, decisions);
        }
    }
    assert_eq!(count, 2 * 7 * 3 * 6 * 4 * 3);
}

/// Every entry point decides every combination alike: a `Value`, its text,
/// and the same facts through `Serialize` (a `Value` is one), including
/// those without a subscription, which decide for some actions and fail
/// for the others with the same errors.
#[test]
fn every_entry_point_agrees_on_every_combination() {
    let pack = common::pack();
    for facts in common::pack_combinations() {
        let mut without = facts.clone();
        without
            .as_object_mut()
            .expect("object")
            .remove("subscription");
        for facts in [facts, without] {
            let text = facts.to_string();
            let by_value = pack.decide(&facts).map(|d| d.to_vec());
            let by_text = pack.decide_json("facts.json", &text).map(|d| d.to_vec());
            let by_serialize = pack.decide_serialize(&facts).map(|d| d.to_vec());
            match (by_value, by_text, by_serialize) {
                (Ok(a), Ok(b), Ok(c)) => {
                    assert_eq!(a, b, "{text}");
                    assert_eq!(a, c, "{text}");
                }
                (Err(a), Err(b), Err(c)) => {
                    let codes = |r: verdict::Report| -> Vec<String> {
                        use miette::Diagnostic;
                        r.problems()
                            .iter()
                            .map(|p| format!("{:?} {p}", p.code().map(|c| c.to_string())))
                            .collect()
                    };
                    let a = codes(a);
                    assert_eq!(a, codes(b), "{text}");
                    assert_eq!(a, codes(c), "{text}");
                }
                (a, b, c) => panic!(
                    "{text}: value {}, text {}, serialize {}",
                    a.is_ok(),
                    b.is_ok(),
                    c.is_ok()
                ),
            }
        }
    }
}

/// The benchmarks' typed facts, the pack's own enums (`floor::TypedFacts`)
/// and a service's request shape (`floor::CallerFacts`: options skipped
/// when `None`, a borrowed string, fields the policy does not read),
/// decide every combination as its `Value` does.
#[test]
fn typed_facts_decide_as_their_values_do() {
    use verdict::testing::floor::{CallerFacts, TypedFacts};
    let pack = common::pack();
    for facts in common::pack_combinations() {
        let text = facts.to_string();
        let by_value = pack.decide(&facts).map(|d| d.to_vec()).expect("decides");
        let typed: TypedFacts = serde_json::from_str(&text).expect("the pack's enums");
        let caller: CallerFacts<'_> = serde_json::from_str(&text).expect("a caller's shape");
        let by_typed = pack.decide_serialize(&typed).map(|d| d.to_vec());
        let by_caller = pack.decide_serialize(&caller).map(|d| d.to_vec());
        assert_eq!(by_typed.as_ref().ok(), Some(&by_value), "{text}");
        assert_eq!(by_caller.as_ref().ok(), Some(&by_value), "{text}");
    }
}
