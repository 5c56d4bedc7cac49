//! The language's constructs, each shown by a policy and its tests under
//! `tests/fixtures/language/<construct>/`: every directory there must load
//! without errors or warnings, pass all its tests and cover its decision
//! tree fully. Adding a construct's cases is adding files.

use std::path::Path;

use verdict::PolicySet;

#[test]
fn every_construct_decides_as_its_tests_say() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/language");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 2, "only {dirs:?}");
    for dir in dirs {
        let name = dir.display();
        let set =
            PolicySet::from_path(&dir).unwrap_or_else(|r| panic!("{name}:\n{}", r.render(100)));
        let warnings = set.warnings();
        assert_eq!(
            warnings.warning_count(),
            0,
            "{name}:\n{}",
            warnings.render(100)
        );
        let suite = verdict::suite::from_path(&dir)
            .unwrap_or_else(|r| panic!("{name}:\n{}", r.render(100)));
        let result = verdict::suite::run(&set, &suite)
            .unwrap_or_else(|r| panic!("{name}:\n{}", r.render(100)));
        let failed: Vec<String> = result
            .results
            .iter()
            .filter(|r| !r.passed)
            .map(|r| format!("{}: expected {}, got {}", r.name, r.expected, r.actual))
            .collect();
        assert!(failed.is_empty(), "{name}: {failed:#?}");
        assert_eq!(
            result.coverage_percent(),
            100.0,
            "{name}: {:?}",
            result.coverage
        );
    }
}
