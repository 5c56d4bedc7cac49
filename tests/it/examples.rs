//! The example packs under `policies/examples/`: they load without
//! warnings, in `verdict fmt`'s layout; the benchmark workload of the
//! document-access pack decides every request and reaches every rule; and
//! the evaluation time a caller gives decides where the facts leave the
//! time out.

use std::collections::BTreeSet;
use std::path::Path;

use verdict::testing::workloads;
use verdict::{PolicySet, Timestamp};

fn pack(name: &str) -> PolicySet {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/examples");
    PolicySet::from_path(root.join(name)).unwrap_or_else(|r| panic!("{name}:\n{}", r.render(100)))
}

#[test]
fn example_packs_load_without_warnings() {
    for name in ["refunds", "document-access"] {
        let set = pack(name);
        let warnings = set.diagnostics();
        assert_eq!(
            warnings.warning_count(),
            0,
            "{name}:\n{}",
            warnings.render(100)
        );
    }
}

#[test]
fn the_access_workload_reaches_every_rule() {
    let set = pack("document-access");
    let requests = workloads::access_requests(4_096);
    let mut rules = BTreeSet::new();
    let mut decisions = BTreeSet::new();
    for facts in &requests {
        let decided = set
            .decide(facts)
            .unwrap_or_else(|r| panic!("{facts}:\n{}", r.render(100)));
        decisions.insert(decided[0].decision.to_string());
        rules.insert(decided[0].rule.map(str::to_string));
        // From text, the same.
        let from_text = set.decide_json("facts.json", &facts.to_string()).unwrap();
        assert_eq!(from_text[0].rule, decided[0].rule, "{facts}");
    }
    assert_eq!(decisions, BTreeSet::from(["allow".into(), "deny".into()]));
    // Every rule, and the `otherwise`.
    let tree_rules = set.policies().next().unwrap().rules().count();
    assert_eq!(rules.len(), tree_rules + 1, "{rules:?}");
}

/// A request that does not say when it was made is decided as of the time
/// the caller gives: 10:00 in Berlin on a Monday reads the team's
/// confidential document, 21:00 does not.
#[test]
fn the_evaluation_time_decides_where_the_facts_leave_it_out() {
    let set = pack("document-access");
    let facts = serde_json::json!({
        "request": {"action": "read"},
        "user": {"id": "ann", "team": "legal"},
        "document": {"classification": "confidential", "owner": "bob", "teams": ["legal"]},
        "session": {"mfa": true},
    });
    let at = |time: &str| {
        let now: Timestamp = time.parse().unwrap();
        let decided = set
            .clone()
            .evaluated_at(now)
            .decide(&facts)
            .unwrap()
            .into_owned();
        (decided[0].decision.clone(), decided[0].rule_name.clone())
    };
    assert_eq!(at("2026-12-07T09:00:00Z").0, "allow");
    let (decision, rule) = at("2026-12-07T20:00:00Z");
    assert_eq!(decision, "deny");
    assert_eq!(rule.as_deref(), Some("after-hours"));
    // The facts' own time wins over the evaluation time.
    let mut given = facts.clone();
    given["request"]["time"] = "2026-12-07T20:00:00Z".into();
    let now: Timestamp = "2026-12-07T09:00:00Z".parse().unwrap();
    let at_nine = set.clone().evaluated_at(now);
    let decided = at_nine.decide(&given).unwrap();
    assert_eq!(decided[0].decision, "deny");
}
