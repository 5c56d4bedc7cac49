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

/// A declared fact of a set's policies, with values to try it with.
#[derive(Clone, Debug)]
pub struct FactSamples {
    /// The JSON keys of its path, outermost first.
    pub keys: Vec<String>,
    /// A value in each class of values the policy tells apart, then values
    /// the fact does not take where its type has them (an undeclared enum
    /// value, a list holding one): every value is of the fact's JSON type.
    pub values: Vec<serde_json::Value>,
}

/// Every declared fact of `set` (each path once), with [`FactSamples`]:
/// the differential tests of compiled SQL try every combination.
pub fn fact_samples(set: &crate::policy_set::PolicySet) -> Vec<FactSamples> {
    use crate::model::{Element, FactType};
    let mut out: Vec<FactSamples> = Vec::new();
    for tree in set.built_trees() {
        let policy = &tree.policy;
        for fact in policy.facts.iter().filter(|f| f.is_declared()) {
            if out.iter().any(|s| s.keys == fact.path) {
                continue;
            }
            let count = fact.ty.value_atoms();
            let mut values: Vec<serde_json::Value> =
                (0..count).filter_map(|a| fact.representative(a)).collect();
            // The values each `has` test of the policy looks for.
            let wanted: Vec<serde_json::Value> = policy
                .facts
                .iter()
                .filter(|f| f.path == fact.path)
                .filter_map(|f| match &f.ty {
                    FactType::Has(_, wanted) => Some(wanted.clone()),
                    _ => None,
                })
                .collect();
            match &fact.ty {
                FactType::Enum(_) => values.push(serde_json::json!("not-a-value")),
                FactType::Set(element) => {
                    values.push(serde_json::json!([]));
                    for (i, w) in wanted.iter().enumerate() {
                        values.push(serde_json::json!([w]));
                        if let Some(other) = wanted.get(i + 1) {
                            values.push(serde_json::json!([w, other]));
                        }
                    }
                    if let Element::Enum(all) = element {
                        values.push(serde_json::json!(all));
                        values.push(serde_json::json!(["not-a-value"]));
                    }
                }
                _ => {}
            }
            values.dedup();
            out.push(FactSamples {
                keys: fact.path.clone(),
                values,
            });
        }
    }
    out
}
