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
    /// value, a list holding one or a `null`, a text that is no time):
    /// every value is of the fact's JSON type, or a list.
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
                    FactType::Has(_, wanted) => Some(serde_json::Value::clone(wanted)),
                    _ => None,
                })
                .collect();
            match &fact.ty {
                FactType::Enum(_) => values.push(serde_json::json!("not-a-value")),
                FactType::Set(element) => {
                    values.push(serde_json::json!([]));
                    // A `null` item makes no list of values.
                    values.push(serde_json::json!([null]));
                    if let Some(w) = wanted.first() {
                        values.push(serde_json::json!([w, null]));
                    }
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
                FactType::Time(kind, _) => {
                    let id = policy.facts.iter().position(|f| std::ptr::eq(f, fact));
                    let near = time_neighbours(policy, id, *kind);
                    values.extend(near.into_iter().map(serde_json::Value::String));
                    values.extend(
                        time_spellings(*kind)
                            .into_iter()
                            .map(|t| serde_json::json!(t)),
                    );
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

/// The times next to what the rules of `policy` compare the time fact
/// `id` with: for each relation it is the left side of, the right side's
/// sample times moved by the offset and a unit either way; for each local
/// time of day it has a part taken of, instants at each of the times of
/// day compared and a second either side, over the days of a week.
fn time_neighbours(
    policy: &crate::model::CheckedPolicy,
    id: Option<usize>,
    kind: crate::model::TimeKind,
) -> Vec<String> {
    use crate::model::{FactType, RelationOp};
    let Some(id) = id else {
        return Vec::new();
    };
    let samples = |fact: &crate::model::Fact| -> Vec<f64> {
        let mut out: Vec<f64> = (0..fact.ty.value_atoms())
            .filter_map(|a| fact.representative(a))
            .filter_map(|v| v.as_str().and_then(|t| kind.parse(t)))
            .collect();
        if out.is_empty() {
            out.push(kind.anchor());
        }
        out
    };
    // A unit of the kind: a day for dates, a second for the others.
    let step = 1.0;
    let mut numbers: Vec<f64> = Vec::new();
    for fact in &policy.facts {
        match &fact.ty {
            FactType::Relation(relation)
                if relation.time.is_some() && relation.left.0 as usize == id =>
            {
                let Some(right) = policy.facts.get(relation.right.0 as usize) else {
                    continue;
                };
                let offsets = match relation.op {
                    RelationOp::Within => vec![-relation.offset, relation.offset],
                    _ => vec![relation.offset],
                };
                for base in samples(right) {
                    for offset in &offsets {
                        for delta in [-step, 0.0, step] {
                            numbers.push(base + offset + delta);
                        }
                    }
                }
            }
            FactType::Local(local) if local.base.0 as usize == id => {
                let clocks: Vec<f64> = match &local.ty {
                    FactType::Time(_, points) => {
                        points.iter().flat_map(|p| [p - 1.0, *p, p + 1.0]).collect()
                    }
                    _ => vec![12.0 * 3600.0],
                };
                let near = policy.facts.get(id).map(samples).unwrap_or_default();
                numbers.extend(local.local.instants(&near, &clocks));
            }
            _ => {}
        }
    }
    let mut texts: Vec<String> = numbers.into_iter().filter_map(|x| kind.render(x)).collect();
    texts.sort();
    texts.dedup();
    texts
}

/// Texts that spell a time of `kind` in each form the grammar allows, and
/// near misses that are not times of it: the SQL must read each exactly as
/// verdict does.
fn time_spellings(kind: crate::model::TimeKind) -> Vec<&'static str> {
    use crate::model::TimeKind;
    match kind {
        TimeKind::Date => vec![
            "2024-02-29",
            "2026-02-30",
            "2026-12-7",
            "2026-12-07T10:00:00Z",
            "not-a-time",
        ],
        TimeKind::DateTime => vec![
            "2026-12-07t10:00:00z",
            "2026-12-07 11:00:00+01:00",
            "2026-12-07T04:30:00.5-05:30",
            "2026-12-07T10:00Z",
            "2026-12-07T23:59:60Z",
            "2026-12-07T10:00:00",
            "2026-12-07T24:00:00Z",
            "2026-02-30T10:00:00Z",
            "2026-12-07T10:00:00+0100",
            // Around the changes of daylight saving time in Europe.
            "2026-03-29T00:59:59Z",
            "2026-03-29T01:00:00Z",
            "2026-03-30T07:00:00Z",
            "2026-03-27T08:00:00Z",
            "2026-10-25T00:59:59Z",
            "2026-10-25T01:00:00Z",
            "2026-10-26T08:00:00Z",
            "not-a-time",
        ],
        TimeKind::Duration => vec![
            "P1W2D",
            "PT36H",
            "-P1D",
            "PT0.5S",
            "PT90M",
            "P1DT2H3M4,25S",
            "14 days",
            "P1Y",
            "PT1.5H",
            "P",
            "PT",
            "P1DT",
        ],
        TimeKind::Clock => Vec::new(),
    }
}
