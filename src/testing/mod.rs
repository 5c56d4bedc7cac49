//! Helpers for tests, benches and fuzzers, behind the `testing` feature:
//! the bodies of the fuzz targets (so that the corpus replay runs exactly
//! what the fuzzer runs), the rule-by-rule reference every evaluator is
//! checked against, the benchmark workloads and the hand-written floor
//! they are measured against. Nothing here is part of the stable API.

use crate::ast;
use crate::source::SourceMap;
use crate::syntax;

pub mod floor;
pub mod fuzz;
pub mod reference;
pub mod workloads;

/// The size of the blocks a batch reads and decides at once, so that tests
/// can put lines across their boundaries.
pub const BATCH_BLOCK_BYTES: usize = crate::batch::CHUNK_BYTES;

/// The syntax tree of a policy's text, if it parses.
fn syntax_tree(text: &str) -> Option<ast::File> {
    let mut map = SourceMap::new();
    let file = map.add("p.policy", text).and_then(|id| map.file(id))?;
    syntax::parse(file).ok()
}

/// Whether `text` parses as a policy file.
pub fn parses(text: &str) -> bool {
    syntax_tree(text).is_some()
}

/// Whether two policy texts parse to the same syntax tree (spans aside):
/// they differ in layout only.
pub fn same_syntax_tree(a: &str, b: &str) -> bool {
    match (syntax_tree(a), syntax_tree(b)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}
