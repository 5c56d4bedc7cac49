//! How a policy's facts are reached in a JSON object: the plan one
//! evaluation follows to look each parent object up once.

use crate::model::CheckedPolicy;

/// How facts are reached in a JSON object: each fact's path split into its
/// parent (an index into `parents`, the distinct parent paths) and its
/// last key, so that one evaluation looks each parent object up once.
///
/// Each key comes with a hint: its rank among the keys the policy declares
/// beside it, in sorted order. A JSON object holding just those keys (the
/// usual shape) has it at that position, so a lookup compares one key
/// instead of searching, which saves the cache misses of reading the
/// others.
#[derive(Clone, Debug, Default)]
pub struct ObjectPaths {
    /// The distinct parent paths, each key with its hint; the root's is empty.
    pub parents: Vec<Vec<(String, usize)>>,
    /// Per fact: its parent and its last key's hint (the key is the last
    /// of the fact's path, not stored twice).
    pub facts: Vec<(usize, usize)>,
}

impl ObjectPaths {
    /// The paths of `policy`'s facts.
    pub fn new(policy: &CheckedPolicy) -> ObjectPaths {
        // The keys declared under each path prefix, sorted as a JSON
        // object's keys are.
        let mut siblings: std::collections::BTreeMap<&[String], std::collections::BTreeSet<&str>> =
            std::collections::BTreeMap::new();
        for fact in &policy.facts {
            for depth in 0..fact.path.len() {
                if let (Some(prefix), Some(key)) = (fact.path.get(..depth), fact.path.get(depth)) {
                    siblings.entry(prefix).or_default().insert(key.as_str());
                }
            }
        }
        // Each key's rank among its siblings, found at once.
        let ranks: std::collections::BTreeMap<&[String], rustc_hash::FxHashMap<&str, usize>> =
            siblings
                .into_iter()
                .map(|(prefix, keys)| (prefix, keys.into_iter().zip(0..).collect()))
                .collect();
        let hinted = |path: &[String], depth: usize| -> Option<(String, usize)> {
            let key = path.get(depth)?;
            let rank = ranks
                .get(path.get(..depth)?)
                .and_then(|keys| keys.get(key.as_str()).copied())
                .unwrap_or(0);
            Some((key.clone(), rank))
        };
        let mut paths = ObjectPaths::default();
        let mut parents: rustc_hash::FxHashMap<Vec<(String, usize)>, usize> =
            rustc_hash::FxHashMap::default();
        for fact in &policy.facts {
            let path = &fact.path;
            let last = path.len().saturating_sub(1);
            let parent: Vec<(String, usize)> = (0..last).filter_map(|d| hinted(path, d)).collect();
            let rank = hinted(path, last).map_or(0, |(_, rank)| rank);
            let index = match parents.get(&parent) {
                Some(i) => *i,
                None => {
                    parents.insert(parent.clone(), paths.parents.len());
                    paths.parents.push(parent);
                    paths.parents.len() - 1
                }
            };
            paths.facts.push((index, rank));
        }
        // Held as long as the set: without the room the lists grew into.
        paths.facts.shrink_to_fit();
        paths.parents.shrink_to_fit();
        paths
    }
}
