//! Re-checking as an editor does, with divan: a [`Workspace`] holding a
//! generated `first match` policy of N rules (`verdict::testing::workloads`)
//! beside the built-in pack, and one line of the large policy edited before
//! each check, the edit and its undo in turn. Beside it, the same files
//! loaded from scratch each time, which is what a check without a workspace
//! costs (the same two texts in turn), and the edit as `verdict lsp` answers
//! it (`verdict::ide::Analysis`). All load as `verdict check` does
//! (`TreeBuild::IfNeeded`). Run
//! with `cargo bench --bench workspace`; the editor issue reuses it.

// A benchmark reports; it may unwrap what it prepared itself.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::hint::black_box;

use divan::Bencher;
use verdict::testing::workloads::Scale;
use verdict::{Limits, PolicySet, TreeBuild, Workspace};

const SIZES: [usize; 3] = [100, 1_000, 10_000];

fn main() {
    divan::main();
}

fn limits() -> Limits {
    Limits {
        tree_build: TreeBuild::IfNeeded,
        ..Limits::default()
    }
}

/// The pack's files and a generated policy of `n` rules, and the policy
/// with one line edited: a rule halfway down the rules decides another
/// outcome.
fn files(n: usize) -> (Vec<(String, String)>, String) {
    let scale = Scale::generate(n);
    let pack = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/multichannel");
    let mut files: Vec<(String, String)> = std::fs::read_dir(pack)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "policy"))
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&path).unwrap())
        })
        .collect();
    files.sort();
    let lines: Vec<&str> = scale.text.lines().collect();
    let middle = (lines.len() * 3 / 4..lines.len())
        .find(|i| lines[*i].contains("->"))
        .unwrap();
    let edited: Vec<String> = lines
        .iter()
        .enumerate()
        .map(|(i, line)| match (i == middle, line.split_once("->")) {
            (true, Some((when, _))) => format!("{when}-> r0"),
            _ => (*line).to_string(),
        })
        .collect();
    assert_ne!(edited.join("\n") + "\n", scale.text);
    files.push((String::from("scale.policy"), scale.text.clone()));
    (files, edited.join("\n") + "\n")
}

#[divan::bench(args = SIZES, sample_count = 20)]
fn recheck_after_one_line_edit(bencher: Bencher, n: usize) {
    let (files, edited) = files(n);
    let original = files.last().map(|(_, text)| text.clone()).unwrap();
    let mut workspace = Workspace::new(limits());
    for (name, text) in &files {
        workspace.set_file(name.as_str(), text.as_str());
    }
    workspace.check().unwrap();
    let mut turn = false;
    bencher.bench_local(|| {
        turn = !turn;
        let text = if turn { &edited } else { &original };
        workspace.set_file("scale.policy", text.as_str());
        black_box(workspace.check().unwrap());
    });
}

#[divan::bench(args = SIZES, sample_count = 20)]
fn recheck_after_edit_elsewhere(bencher: Bencher, n: usize) {
    let (files, _) = files(n);
    let mut workspace = Workspace::new(limits());
    for (name, text) in &files {
        workspace.set_file(name.as_str(), text.as_str());
    }
    workspace.check().unwrap();
    let (name, text) = files.first().unwrap();
    let edited = format!("{text}\n# an edit\n");
    let mut turn = false;
    bencher.bench_local(|| {
        turn = !turn;
        workspace.set_file(
            name.as_str(),
            if turn { edited.as_str() } else { text.as_str() },
        );
        black_box(workspace.check().unwrap());
    });
}

#[divan::bench(args = SIZES, sample_count = 20)]
fn load_from_scratch(bencher: Bencher, n: usize) {
    let (files, edited) = files(n);
    let mut edited_files = files.clone();
    if let Some((_, text)) = edited_files.last_mut() {
        *text = edited;
    }
    let limits = limits();
    let mut turn = false;
    bencher.bench_local(|| {
        turn = !turn;
        let files = if turn { &edited_files } else { &files };
        black_box(PolicySet::from_sources_with(files.iter().cloned(), &limits).unwrap());
    });
}

/// What `verdict lsp` does after each keystroke in the large policy: the
/// edit, then every file's diagnostics through `verdict::ide::Analysis`
/// (the check above, plus the index hover and completion read and the
/// gap notes), and one hover, as an editor asks right after.
#[divan::bench(args = SIZES, sample_count = 20)]
fn editor_after_one_line_edit(bencher: Bencher, n: usize) {
    let (files, edited) = files(n);
    let original = files.last().map(|(_, text)| text.clone()).unwrap();
    let mut analysis = verdict::ide::Analysis::new();
    for (name, text) in &files {
        analysis.set_file(name.as_str(), text.as_str());
    }
    assert!(!analysis.diagnostics().is_empty());
    let hovered = original.find("->").unwrap() - 3;
    let mut turn = false;
    bencher.bench_local(|| {
        turn = !turn;
        let text = if turn { &edited } else { &original };
        analysis.set_file("scale.policy", text.as_str());
        black_box(analysis.diagnostics());
        black_box(analysis.hover("scale.policy", hovered));
    });
}
