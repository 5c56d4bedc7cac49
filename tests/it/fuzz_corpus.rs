//! The fuzz corpora (`fuzz/corpus/<target>/`), replayed as ordinary tests:
//! every input the fuzzer keeps, and every crash it found, runs on each CI
//! run without a fuzzer. Each file runs through the same function the fuzz
//! target calls (`verdict::testing::fuzz`).

use std::path::Path;

fn replay(target: &str, run: fn(&[u8]) -> Result<(), String>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            if let Err(broken) = run(&std::fs::read(&path).unwrap()) {
                panic!("{}: {broken}", path.display());
            }
            count += 1;
        }
    }
    assert!(count > 0, "no corpus in {}", dir.display());
}

#[test]
fn parse_corpus() {
    replay("parse", verdict::testing::fuzz::parse);
}

#[test]
fn compile_corpus() {
    replay("compile", verdict::testing::fuzz::compile);
}

#[test]
fn eval_corpus() {
    replay("eval", verdict::testing::fuzz::eval);
}

#[test]
fn fmt_corpus() {
    replay("fmt", verdict::testing::fuzz::fmt);
}
