//! When the decision trees are built (`Limits::tree_build`) changes how
//! long loading and each decision take, never what is decided or reported:
//! a set that decides by rule scan while its trees are built in the
//! background, or that never builds them, decides as one that built them
//! at load; its reports and traces are the trees' own; and once built, its
//! warnings are the same.

use miette::Diagnostic;
use serde_json::Value;
use verdict::testing::workloads::{self, Scale};
use verdict::{Limits, PolicySet, TreeBuild};

fn load(text: &str, tree_build: TreeBuild) -> PolicySet {
    let limits = Limits {
        tree_build,
        ..Limits::default()
    };
    PolicySet::from_sources_with([("scale.policy", text)], &limits)
        .unwrap_or_else(|r| panic!("{}", r.render(100)))
}

fn decisions(set: &PolicySet, facts: &Value) -> Vec<(String, Option<String>)> {
    let from_value = set.decide(facts).unwrap().into_owned();
    let from_text = set
        .decide_json("facts.json", &facts.to_string())
        .unwrap()
        .into_owned();
    assert_eq!(from_value, from_text);
    from_value
        .into_iter()
        .map(|d| (d.decision, d.rule))
        .collect()
}

/// A generated policy of 1,000 first-match rules, whose tree takes far
/// longer to build than its rules to scan: every one of its 10,000 inputs
/// is decided alike by a set still building its tree, one that never
/// does, and one that built it at load.
#[test]
fn every_way_of_building_decides_alike() {
    let scale = Scale::generate(1_000);
    let background = load(&scale.text, TreeBuild::InBackground);
    let never = load(&scale.text, TreeBuild::Never);
    let at_load = load(&scale.text, TreeBuild::AtLoad);
    assert!(never.trees_built() && at_load.trees_built());
    let mut decided_before_the_tree = 0;
    for input in &scale.inputs {
        let facts = workloads::scale_facts(input);
        if !background.trees_built() {
            decided_before_the_tree += 1;
        }
        let expected = decisions(&at_load, &facts);
        assert_eq!(decisions(&background, &facts), expected, "{facts}");
        assert_eq!(decisions(&never, &facts), expected, "{facts}");
    }
    background.wait_for_trees();
    assert!(background.trees_built());
    for input in scale.inputs.iter().take(500) {
        let facts = workloads::scale_facts(input);
        assert_eq!(decisions(&background, &facts), decisions(&at_load, &facts));
    }
    // Not a timing assertion: the count only says which path was taken.
    println!("{decided_before_the_tree} inputs decided before the tree was built");
}

/// Facts that do not decide get the trees' report, with every unknown fact
/// it names, even from a set still deciding by rule scan.
#[test]
fn reports_and_traces_are_the_trees() {
    let pack_text: Vec<(String, String)> = std::fs::read_dir(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/multichannel"),
    )
    .unwrap()
    .map(|e| e.unwrap().path())
    .filter(|p| p.extension().is_some_and(|x| x == "policy"))
    .map(|p| {
        (
            p.file_name().unwrap().to_string_lossy().into_owned(),
            std::fs::read_to_string(&p).unwrap(),
        )
    })
    .collect();
    let load_pack = |tree_build| {
        let limits = Limits {
            tree_build,
            ..Limits::default()
        };
        PolicySet::from_sources_with(pack_text.clone(), &limits).unwrap()
    };
    let at_load = load_pack(TreeBuild::AtLoad);
    // Every facts error fixture, each against a set that has just started
    // building its trees.
    let fixtures =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/facts/err");
    let mut compared = 0;
    for entry in std::fs::read_dir(fixtures).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let background = load_pack(TreeBuild::InBackground);
        let expected = at_load.decide_json("facts.json", &text).unwrap_err();
        let report = background.decide_json("facts.json", &text).unwrap_err();
        assert_eq!(
            report.render(100),
            expected.render(100),
            "{}",
            path.display()
        );
        compared += 1;
    }
    assert!(compared > 10);
    let valid: Value = serde_json::json!({
        "subscription": {"billing": "license", "channel": "CSP"},
        "partner": {"role": "direct"},
        "request": {"action": "transfer", "target": "partner"}
    });
    let background = load_pack(TreeBuild::InBackground);
    assert_eq!(
        background.trace(&valid).unwrap(),
        at_load.trace(&valid).unwrap()
    );
}

/// Once the background build is done, the set's warnings are those of a
/// set that built its trees at load (the shadowed rules only a tree finds
/// among them).
#[test]
fn warnings_join_once_the_trees_are_built() {
    let text =
        "policy doors\nfact role: {staff guest} at user.role\nfact badge: bool at user.badge\n\
                first match\nstaff can\nstaff badge cannot\nguest cannot\n";
    let at_load = load(text, TreeBuild::AtLoad);
    let expected = at_load.diagnostics().render(100);
    assert!(expected.contains("verdict::shadowed"), "{expected}");
    let background = load(text, TreeBuild::InBackground);
    background.wait_for_trees();
    assert_eq!(background.diagnostics().render(100), expected);
    let never = load(text, TreeBuild::Never);
    assert!(!never
        .diagnostics()
        .render(100)
        .contains("verdict::shadowed"));
}

/// `TreeBuild::IfNeeded` (what `verdict check` loads with) builds no tree
/// for 1,000 generated first-match rules, and still reports every shadowed
/// rule and gap the tree shows, with the same rules deciding in each
/// shadowed rule's place, and decides alike.
#[test]
fn searching_the_rules_finds_what_the_tree_tells() {
    let scale = Scale::generate(1_000);
    let at_load = load(&scale.text, TreeBuild::AtLoad);
    verdict::testing::reference::searched_as_built(&at_load).unwrap();
    let if_needed = load(&scale.text, TreeBuild::IfNeeded);
    let searched = if_needed.policies().next().unwrap();
    assert!(searched.tree().is_none(), "no tree is built");
    // The same findings on the same rules, and the same rules shown deciding
    // in each shadowed rule's place wherever both show all of them (where
    // more than eight decide, or the tree's walk was cut short, eight or
    // fewer are shown).
    let findings = |set: &PolicySet| -> Vec<(String, bool, Vec<usize>, usize)> {
        set.diagnostics()
            .problems()
            .iter()
            .map(|p| {
                let all_shown = !p
                    .help()
                    .is_some_and(|h| h.to_string().contains("are shown"));
                let labels: Vec<_> = p.labels().into_iter().flatten().collect();
                let mut at: Vec<usize> = labels.iter().map(|l| l.offset()).collect();
                at.sort_unstable();
                let rule = labels
                    .iter()
                    .find(|l| l.primary() || l.label() == Some("never decides"))
                    .map_or(0, |l| l.offset());
                let code = p.code().map(|c| c.to_string()).unwrap_or_default();
                (code, all_shown, at, rule)
            })
            .collect()
    };
    let (searched, built) = (findings(&if_needed), findings(&at_load));
    assert_eq!(searched.len(), built.len());
    for (s, b) in searched.iter().zip(&built) {
        assert_eq!((&s.0, s.3), (&b.0, b.3));
        if s.1 && b.1 {
            assert_eq!(s.2, b.2, "{}", s.0);
        }
    }
    let gaps = |set: &PolicySet| set.policies().next().unwrap().gaps().map(|g| g.to_string());
    assert!(gaps(&if_needed).is_some() && gaps(&at_load).is_some());
    // Every gap, as machine output lists them (the first 1,000: which
    // those are follows the order of the search, not the tree's walk),
    // alike whether searched beside the rules as the policy loads, on a
    // second core, or when asked for (`TreeBuild::Never`).
    let listing = |set: &PolicySet| {
        let policy = set.policies().next().unwrap();
        format!("{:?}", policy.gaps_listing(usize::MAX, false))
    };
    let never = load(&scale.text, TreeBuild::Never);
    let (beside, asked) = (listing(&if_needed), listing(&never));
    assert!(beside.contains("only the first 1000 are listed"));
    assert!(
        beside == asked,
        "searched beside:\n{beside}\nasked for:\n{asked}"
    );
    for input in scale.inputs.iter().take(500) {
        let facts = workloads::scale_facts(input);
        assert_eq!(decisions(&if_needed, &facts), decisions(&at_load, &facts));
    }
}

/// Lines that do not decide wait for the trees to report, on every thread
/// of rayon's global pool at once, while the build (which joins work on
/// two threads for a root of 500 rules or more) runs: it has a pool of its
/// own, so the waiters do not starve it.
#[test]
fn waiting_for_the_trees_on_every_pool_thread_does_not_starve_the_build() {
    use rayon::prelude::*;
    let scale = Scale::generate(600);
    let at_load = load(&scale.text, TreeBuild::AtLoad);
    let expected = at_load
        .decide_json("facts.json", "{}")
        .unwrap_err()
        .render(100);
    let background = load(&scale.text, TreeBuild::InBackground);
    let reports: Vec<String> = (0..8)
        .into_par_iter()
        .map(|_| {
            background
                .decide_json("facts.json", "{}")
                .unwrap_err()
                .render(100)
        })
        .collect();
    assert!(reports.iter().all(|r| *r == expected), "{}", reports[0]);
}

/// A rule scan gives up on more than 4,096 combinations of missing values;
/// a tree can see that every one decides alike. A set still building its
/// trees decides what the trees decide, not an error.
#[test]
fn a_tree_decides_where_the_scan_gives_up() {
    let values: Vec<String> = (0..65).map(|i| format!("v{i}")).collect();
    let small = format!(
        "policy wide\nfact a: {{{0}}} at a\nfact b: {{{0}}} at b\n(a = v0 b = v0 or a != v0 or b != v0) -> yes\noutcome yes\n",
        values.join(" ")
    );
    let large = Scale::generate(600).text;
    let files = |tree_build| {
        let limits = Limits {
            tree_build,
            ..Limits::default()
        };
        PolicySet::from_sources_with(
            [
                ("large.policy", large.as_str()),
                ("wide.policy", small.as_str()),
            ],
            &limits,
        )
        .unwrap_or_else(|r| panic!("{}", r.render(100)))
    };
    let facts = serde_json::json!({
        "f0": "f0v0", "f1": "f1v0", "f2": "f2v0", "f3": "f3v0", "f4": "f4v0", "f5": "f5v0"
    });
    let at_load = files(TreeBuild::AtLoad)
        .decide(&facts)
        .unwrap()
        .into_owned();
    assert_eq!(at_load[1].decision, "yes");
    let background = files(TreeBuild::InBackground);
    assert_eq!(background.decide(&facts).unwrap().into_owned(), at_load);
}

/// Where `TreeBuild::IfNeeded` builds the tree after all (facts that are
/// related, times), it keeps the nodes and does not lay them out for
/// deciding: every language construct still passes its tests, so the full
/// walk over the nodes decides as the laid-out tree does.
#[test]
fn a_tree_built_only_to_check_decides_as_a_laid_out_one() {
    let limits = Limits {
        tree_build: TreeBuild::IfNeeded,
        ..Limits::default()
    };
    let mut built = 0;
    for dir in crate::common::language_dirs() {
        let set = PolicySet::from_path_with(&dir, &limits).unwrap();
        built += set.policies().filter(|p| p.tree().is_some()).count();
        let suite = verdict::suite::from_path(&dir).unwrap();
        let result = verdict::suite::run(&set, &suite).unwrap();
        let failed = crate::common::failed_tests(&result);
        assert!(failed.is_empty(), "{}: {failed:#?}", dir.display());
    }
    assert!(built >= 2, "only {built} policies built a tree");
}

/// Facts with four facts unknown that the first rule decides whatever
/// their values: its clauses tile the values of `a` and `b` as a pinwheel
/// (five boxes, no two of which merge into one), and two more test `c` and
/// `d`. The tree decides; the rule scan, which tries the combinations of
/// the unknown facts its clauses test partly, gives up past 4,096 (here
/// 65,536). While the tree is being built in the background, the scan
/// decides; `decide_json` must not refuse such facts then, but wait for
/// the tree, as reports do.
#[test]
fn text_decides_what_the_tree_decides_while_the_tree_is_built() {
    let span = |from: usize, to: usize| {
        (from..to)
            .map(|v| format!("v{v}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let all = span(0, 16);
    let (g0, g01, g1, g12, g2) = (
        span(0, 5),
        span(0, 10),
        span(5, 10),
        span(5, 16),
        span(10, 16),
    );
    let mut text = String::from("policy cover\nfirst match\noutcome x\noutcome y\n");
    for fact in ["a", "b", "c", "d"] {
        text.push_str(&format!("fact {fact}: {{{all}}} at {fact}\n"));
    }
    text.push_str(&format!(
        "(a in {{{g01}}} b in {{{g0}}} or a in {{{g2}}} b in {{{g01}}} or a in {{{g12}}} b in {{{g2}}} \
         or a in {{{g0}}} b in {{{g12}}} or a in {{{g1}}} b in {{{g1}}} or c in {{{g0}}} or d in {{{g0}}}) -> x\n"
    ));
    text.push_str("-> y\n");
    let facts = "{}";
    let decided = load(&text, TreeBuild::AtLoad)
        .decide_json("f.json", facts)
        .map(|d| d.into_owned())
        .expect("the tree decides");
    assert_eq!(decided[0].decision, "x");
    // The scan alone gives up: that is the case this test is about.
    let scanning = load(&text, TreeBuild::Never);
    assert!(scanning.decide_json("f.json", facts).is_err());
    // Asked at once after loading, mostly before the tree is built (it
    // passes either way; before the fix it failed whenever it was first).
    for _ in 0..20 {
        let background = load(&text, TreeBuild::InBackground);
        let got = background
            .decide_json("f.json", facts)
            .map(|d| d.into_owned())
            .map_err(|report| report.render(100));
        assert_eq!(got, Ok(decided.clone()));
    }
}
