//! The language's constructs, each shown by a policy and its tests under
//! `tests/fixtures/language/<construct>/`: every directory there must load
//! without errors or warnings, be in `verdict fmt`'s layout, pass all its
//! tests and cover its decision tree fully. Adding a construct's cases is
//! adding files.

use std::path::Path;

use verdict::PolicySet;

#[test]
fn every_construct_decides_as_its_tests_say() {
    let dirs = crate::common::language_dirs();
    assert!(dirs.len() >= 2, "only {dirs:?}");
    for dir in dirs {
        let name = dir.display();
        let set =
            PolicySet::from_path(&dir).unwrap_or_else(|r| panic!("{name}:\n{}", r.render(100)));
        let warnings = set.diagnostics();
        assert_eq!(
            warnings.warning_count(),
            0,
            "{name}:\n{}",
            warnings.render(100)
        );
        // Each policy is written in the canonical layout `verdict fmt` keeps.
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "policy") {
                let text = std::fs::read_to_string(&path).unwrap();
                let mut sources = verdict::SourceMap::new();
                let id = sources
                    .add(path.display().to_string(), text.clone())
                    .unwrap();
                let formatted = verdict::format::format(sources.file(id).unwrap())
                    .unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
                assert_eq!(formatted, text, "{} is not formatted", path.display());
            }
        }
        let suite = verdict::suite::from_path(&dir)
            .unwrap_or_else(|r| panic!("{name}:\n{}", r.render(100)));
        let result = verdict::suite::run(&set, &suite)
            .unwrap_or_else(|r| panic!("{name}:\n{}", r.render(100)));
        let failed = crate::common::failed_tests(&result);
        assert!(failed.is_empty(), "{name}: {failed:#?}");
        assert_eq!(
            result.coverage_percent(),
            100.0,
            "{name}: {:?}",
            result.coverage
        );
    }
}

/// Traces and explanations show the deciding rule's conditions as the rule
/// writes them, not the classes of values verdict splits a fact into.
#[test]
fn traces_show_conditions_as_written() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/language");
    let set = PolicySet::from_path(root.join("ordered")).unwrap();
    let facts =
        serde_json::json!({"customer": {"tier": "silver"}, "order": {"days_since_delivery": 20}});
    let traced = set.trace(&facts).unwrap();
    let steps = traced[0].trace.as_deref().unwrap();
    let shown: Vec<(&str, Option<&str>, &str)> = steps
        .iter()
        .map(|s| (s.path.as_str(), s.condition.as_deref(), s.matched.as_str()))
        .collect();
    // `days` fell in the class "> 14 and < 30"; the rule said `days <= 30`.
    assert!(
        shown.contains(&(
            "order.days_since_delivery",
            Some("days <= 30"),
            "> 14 and < 30"
        )),
        "{shown:?}"
    );
    assert!(
        shown.contains(&("customer.tier", Some("tier > bronze"), "silver")),
        "{shown:?}"
    );

    // A rule ruled out by a condition inside a group names that condition.
    let set = PolicySet::from_path(root.join("groups")).unwrap();
    let facts =
        serde_json::json!({"user": {"role": "guest"}, "door": {"kind": "server", "floor": 1}});
    let explained = set.explain(&facts, None).unwrap();
    let server = explained[0]
        .rules
        .iter()
        .find(|r| r.rule.ends_with(":15"))
        .unwrap();
    assert_eq!(server.status, "ruled-out");
    assert_eq!(server.condition.as_deref(), Some("not guest"));
}

/// A rule over a datetime before a constant and its time of day in a zone
/// holds on the days before the constant too: Berlin moved its clocks
/// forward at 2026-03-29T01:00:00Z, and 00:00Z that night is 01:00 there,
/// before 02:30. (The witness search once looked only at the days after
/// the constant, found none, and called the rule never matching.)
#[test]
fn a_time_of_day_before_a_constant_is_found_on_earlier_days() {
    let text =
        "policy night\nfact t: datetime at t\nfact c: time of day of t in \"Europe/Berlin\"\n\
                t before 2026-03-29T02:00:00Z c before 02:30 can\n";
    let set = PolicySet::from_sources([("night.policy", text)]).unwrap();
    assert_eq!(
        set.diagnostics().warning_count(),
        0,
        "{}",
        set.diagnostics().render(100)
    );
    let decided = set
        .decide(&serde_json::json!({"t": "2026-03-29T00:00:00Z"}))
        .unwrap();
    assert_eq!(decided[0].decision, "allow");
    let gaps = set.policies().next().unwrap().gaps().unwrap();
    let verdict::CheckError::Gaps { help, .. } = gaps else {
        panic!("{gaps:?}")
    };
    // Every example of a case no rule decides really is one.
    for line in help.lines() {
        if let Some(start) = line.find('{') {
            let example: serde_json::Value = serde_json::from_str(&line[start..]).unwrap();
            assert_eq!(set.decide(&example).unwrap()[0].rule, None, "{example}");
        }
    }
}
