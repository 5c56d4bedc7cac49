//! Helpers shared by the integration tests: the only callers of the library
//! in them, so that fixtures are loaded and rendered one way.

use std::path::Path;

use verdict::{PolicySet, Report};

/// The width diagnostics are rendered at in snapshots.
pub const WIDTH: usize = 100;

/// A path relative to the crate root, as snapshots show it.
pub fn relative(path: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Loads a policy fixture: one `.policy` file, or a directory of them.
pub fn load(path: &Path) -> Result<PolicySet, Report> {
    if path.is_dir() {
        let mut entries: Vec<_> = std::fs::read_dir(path)
            .expect("fixture directory is readable")
            .map(|e| e.expect("fixture entry is readable").path())
            .collect();
        entries.sort();
        PolicySet::from_sources(entries.iter().map(|p| {
            let text = std::fs::read_to_string(p).expect("fixture is UTF-8");
            (relative(p), text)
        }))
    } else {
        let text = std::fs::read_to_string(path).expect("fixture is UTF-8");
        PolicySet::from_sources([(relative(path), text)])
    }
}

/// Every diagnostic of loading a fixture, rendered, errors and warnings alike.
pub fn diagnostics(path: &Path) -> String {
    match load(path) {
        Ok(set) => set.diagnostics().render(WIDTH),
        Err(report) => report.render(WIDTH),
    }
}

/// The built-in pack.
pub fn pack() -> PolicySet {
    PolicySet::builtin().expect("the built-in pack compiles")
}

/// Every combination of the multichannel pack's declared values, with
/// `request.target` and `partner.designated_admin` also absent: 3,024
/// complete facts objects.
pub fn pack_combinations() -> Vec<serde_json::Value> {
    verdict::testing::workloads::pack_combinations()
}

/// Every `.rs` file under `dir`, at any depth, sorted.
pub fn rust_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("source directory is readable") {
            let path = entry.expect("directory entry is readable").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// A fresh directory of its own for one test, under cargo's temporary
/// directory for tests.
pub fn tempdir(name: &str) -> std::path::PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    dir
}

/// Writes a file in one step (a temporary, then a rename), as editors do.
pub fn write_replacing(path: &Path, text: &str) {
    let temporary = path.with_extension("tmp");
    std::fs::write(&temporary, text).expect("a writable temporary directory");
    std::fs::rename(&temporary, path).expect("a rename in the same directory");
}

/// Every construct's directory under `tests/fixtures/language`, sorted.
pub fn language_dirs() -> Vec<std::path::PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/language");
    let mut dirs: Vec<_> = std::fs::read_dir(root)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// The tests of a suite's run that failed, each as "name: expected X, got Y".
pub fn failed_tests(result: &verdict::suite::SuiteResult) -> Vec<String> {
    result
        .results
        .iter()
        .filter(|r| !r.passed)
        .map(|r| format!("{}: expected {}, got {}", r.name, r.expected, r.actual))
        .collect()
}
