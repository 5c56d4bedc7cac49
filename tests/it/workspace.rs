//! A [`Workspace`] re-checks as files change and must tell exactly what
//! loading the same files from scratch tells: after every edit of a random
//! sequence (lines deleted, duplicated, words swapped, files replaced,
//! added and removed), its set or report renders as
//! `PolicySet::from_sources_with` renders for the files in name order.

use std::path::Path;

use proptest::prelude::*;
use verdict::{Limits, PolicySet, Report, TreeBuild, Workspace};

use crate::common;

/// Every policy file the tests read: the pack, the examples and every
/// fixture, good and broken.
fn corpus() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut texts = Vec::new();
    let mut dirs = vec![root.join("policies"), root.join("tests/fixtures")];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut paths: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
        paths.sort();
        for path in paths {
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "policy") {
                if let Ok(text) = std::fs::read_to_string(&path) {
                    texts.push(text);
                }
            }
        }
    }
    texts
}

/// What a check tells, rendered: the report, or the set's diagnostics,
/// each policy's outline (its tree) and the set's revision.
fn told(result: Result<PolicySet, Report>) -> String {
    match result {
        Err(report) => format!("error\n{}", report.render(common::WIDTH)),
        Ok(set) => {
            set.wait_for_trees();
            let mut told = format!("ok {}\n", set.revision());
            told.push_str(&set.diagnostics().render(common::WIDTH));
            for policy in set.policies() {
                told.push_str(&format!("{}: {}\n", policy.name(), policy.rules().len()));
                told.push_str(&policy.outline());
            }
            told
        }
    }
}

#[derive(Clone, Debug)]
enum Edit {
    /// Replace file `file` by corpus text `text`.
    Replace {
        file: usize,
        text: usize,
    },
    /// Delete a line of file `file`.
    DeleteLine {
        file: usize,
        line: usize,
    },
    /// Write a line of file `file` twice.
    DuplicateLine {
        file: usize,
        line: usize,
    },
    /// Put the `word`th word of the file in place of the `at`th.
    SwapWord {
        file: usize,
        at: usize,
        word: usize,
    },
    /// Add text at the end of the file: grows it past the room it has.
    Grow {
        file: usize,
        text: usize,
    },
    Remove {
        file: usize,
    },
}

const NAMES: [&str; 4] = ["a.policy", "b.policy", "c.policy", "d.policy"];

fn edit() -> impl Strategy<Value = Edit> {
    let file = 0..NAMES.len();
    prop_oneof![
        (file.clone(), any::<usize>()).prop_map(|(file, text)| Edit::Replace { file, text }),
        (file.clone(), any::<usize>()).prop_map(|(file, line)| Edit::DeleteLine { file, line }),
        (file.clone(), any::<usize>()).prop_map(|(file, line)| Edit::DuplicateLine { file, line }),
        (file.clone(), any::<usize>(), any::<usize>())
            .prop_map(|(file, at, word)| Edit::SwapWord { file, at, word }),
        (file.clone(), any::<usize>()).prop_map(|(file, text)| Edit::Grow { file, text }),
        file.prop_map(|file| Edit::Remove { file }),
    ]
}

/// The text of `file` after `edit`, or `None` to remove it.
fn apply(corpus: &[String], current: Option<&str>, edit: &Edit) -> Option<String> {
    let pick = |i: usize| corpus.get(i % corpus.len()).cloned().unwrap_or_default();
    let current = current.unwrap_or_default();
    let lines: Vec<&str> = current.split_inclusive('\n').collect();
    match edit {
        Edit::Replace { text, .. } => Some(pick(*text)),
        Edit::Remove { .. } => None,
        Edit::Grow { text, .. } => Some(format!("{current}\n{}", pick(*text))),
        Edit::DeleteLine { line, .. } | Edit::DuplicateLine { line, .. } if !lines.is_empty() => {
            let at = line % lines.len();
            let mut out = String::new();
            for (i, l) in lines.iter().enumerate() {
                let times = match (i == at, edit) {
                    (false, _) => 1,
                    (true, Edit::DeleteLine { .. }) => 0,
                    (true, _) => 2,
                };
                for _ in 0..times {
                    out.push_str(l);
                }
            }
            Some(out)
        }
        Edit::SwapWord { at, word, .. } => {
            // Words with their byte offsets. A separator may take more than
            // one byte (`→`, `—`), so the offsets come from `char_indices`.
            let is_word = |c: char| c.is_alphanumeric() || c == '_';
            let mut words: Vec<(usize, &str)> = Vec::new();
            let mut start = None;
            for (i, c) in current.char_indices().chain([(current.len(), ' ')]) {
                match (is_word(c), start) {
                    (true, None) => start = Some(i),
                    (false, Some(s)) => {
                        words.extend(current.get(s..i).map(|w| (s, w)));
                        start = None;
                    }
                    _ => {}
                }
            }
            if words.is_empty() {
                return Some(current.to_string());
            }
            let (start, old) = words.get(at % words.len()).copied().unwrap_or_default();
            let (_, new) = words.get(word % words.len()).copied().unwrap_or_default();
            let mut out = current.to_string();
            out.replace_range(start..start + old.len(), new);
            Some(out)
        }
        _ => Some(current.to_string()),
    }
}

/// A word swap finds words by characters, not bytes: a separator of more
/// than one byte (`→`) once put the swap off a character boundary and
/// panicked the test (CI, stop 36).
#[test]
fn a_word_swap_keeps_to_character_boundaries() {
    let text = "usage Advisor → manual migrate\nlicense CSP — transfer";
    let swapped = |at, word| apply(&[], Some(text), &Edit::SwapWord { file: 0, at, word });
    assert_eq!(
        swapped(2, 0).as_deref(),
        Some("usage Advisor → usage migrate\nlicense CSP — transfer")
    );
    assert_eq!(
        swapped(6, 1).as_deref(),
        Some("usage Advisor → manual migrate\nlicense CSP — Advisor")
    );
    assert_eq!(
        swapped(4, 6).as_deref(),
        Some("usage Advisor → manual migrate\ntransfer CSP — transfer")
    );
}

fn limits(build: usize) -> Limits {
    let tree_build = match build % 3 {
        0 => TreeBuild::AtLoad,
        1 => TreeBuild::IfNeeded,
        _ => TreeBuild::Never,
    };
    Limits {
        tree_build,
        ..Limits::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn a_workspace_tells_what_loading_from_scratch_tells(
        start in proptest::collection::vec(any::<usize>(), 1..4),
        edits in proptest::collection::vec(edit(), 1..10),
        build in 0usize..3,
    ) {
        let corpus = corpus();
        let limits = limits(build);
        let mut workspace = Workspace::new(limits.clone());
        let mut files: std::collections::BTreeMap<&str, String> = Default::default();
        for (name, text) in NAMES.iter().zip(&start) {
            let text = corpus.get(text % corpus.len()).cloned().unwrap_or_default();
            workspace.set_file(*name, text.as_str());
            files.insert(name, text);
        }
        for edit in &edits {
            let (Edit::Replace { file, .. }
                | Edit::DeleteLine { file, .. }
                | Edit::DuplicateLine { file, .. }
                | Edit::SwapWord { file, .. }
                | Edit::Grow { file, .. }
                | Edit::Remove { file }) = edit;
            let name = NAMES[*file % NAMES.len()];
            match apply(&corpus, files.get(name).map(String::as_str), edit) {
                Some(text) => {
                    workspace.set_file(name, text.as_str());
                    files.insert(name, text);
                }
                None => {
                    workspace.remove_file(name);
                    files.remove(name);
                }
            }
            let fresh = PolicySet::from_sources_with(
                files.iter().map(|(n, t)| (*n, t.as_str())),
                &limits,
            );
            prop_assert_eq!(told(workspace.check()), told(fresh), "after {:?}", edit);
        }
    }
}

/// A `first match` policy of 20 rules on one fact's values, a rule that
/// all 20 make never decide (more deciders than a warning names, so their
/// search is cut short), and `extra` rules more, from `seed`: the shapes
/// whose search a re-check resumes after the rules an edit left alone.
fn resumable_policy(seed: u64, extra: usize) -> String {
    let mut text = String::from("policy wide\nfirst match\n");
    let words = |prefix: &str, n: usize| {
        (0..n)
            .map(|i| format!("{prefix}{i}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    text.push_str(&format!("fact f: {{{}}} at f\n", words("v", 20)));
    text.push_str(&format!("fact g: {{{}}} at g\n", words("w", 3)));
    text.push_str(&format!("fact h: {{{}}} at h\n", words("x", 4)));
    text.push_str("outcome o\noutcome p\noutcome q\n");
    for i in 0..20 {
        text.push_str(&format!("v{i} -> o\n"));
    }
    text.push_str("w0 -> p\n");
    let mut state = seed | 1;
    let mut next = |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    for _ in 0..extra {
        let mut rule = Vec::new();
        if next(2) == 0 {
            rule.push(format!("v{}", next(20)));
        }
        if next(2) == 0 {
            rule.push(format!("w{}", next(3)));
        }
        rule.push(format!("x{}", next(4)));
        let outcome = ["o", "p", "q"][next(3) as usize];
        text.push_str(&format!("{} -> {outcome}\n", rule.join(" ")));
    }
    text
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// After each edit of a `first match` policy, a re-check that resumes
    /// the search after the rules the edit left alone tells what a search
    /// from scratch tells, deciders cut short included.
    #[test]
    fn a_resumed_search_tells_what_a_fresh_one_tells(
        seed in any::<u64>(),
        edits in proptest::collection::vec((0usize..3, any::<usize>(), any::<usize>()), 1..6),
    ) {
        let limits = Limits {
            tree_build: TreeBuild::IfNeeded,
            ..Limits::default()
        };
        let mut text = resumable_policy(seed, 40);
        let mut workspace = Workspace::new(limits.clone());
        workspace.set_file("wide.policy", text.as_str());
        let first = told(workspace.check());
        prop_assert!(first.contains("verdict::shadowed") || first.contains("never decides"), "{}", first);
        for (kind, line, word) in &edits {
            let edit = match kind {
                0 => Edit::DeleteLine { file: 0, line: *line },
                1 => Edit::DuplicateLine { file: 0, line: *line },
                _ => Edit::SwapWord { file: 0, at: *line, word: *word },
            };
            text = apply(&[], Some(&text), &edit).unwrap_or_default();
            workspace.set_file("wide.policy", text.as_str());
            let fresh = PolicySet::from_sources_with([("wide.policy", text.as_str())], &limits);
            prop_assert_eq!(told(workspace.check()), told(fresh), "after {:?}", edit);
        }
    }
}

/// Checking again with nothing changed, or after a change to another
/// policy's file, tells the same as before.
#[test]
fn checking_again_tells_the_same() {
    let corpus = corpus();
    let mut workspace = Workspace::new(Limits::default());
    for (name, text) in NAMES.iter().zip(corpus.iter().step_by(7)) {
        workspace.set_file(*name, text.as_str());
    }
    let first = told(workspace.check());
    assert_eq!(told(workspace.check()), first);
    assert!(!workspace.set_file(
        NAMES[0],
        workspace.file(NAMES[0]).unwrap_or_default().to_string()
    ));
    assert_eq!(told(workspace.check()), first);
    assert_eq!(workspace.file_names().count(), NAMES.len());
}
