//! Strict reading of facts: beyond what a decision needs, every declared
//! fact that is present must fit its declaration, and every key beside the
//! declared paths (in an object a declared path goes through) must be
//! declared. Without strictness the keys are still found, as warnings for
//! explanations and traces: a misspelt key (`onSale` for `on_sale`) is
//! otherwise silently absent.

use serde_json::Value;

use super::unknown::{merge_missing, unknown_error};
use crate::diagnostics::{words, FactsError};
use crate::facts::{read, Read, Unknown};
use crate::model::{path_text, CheckedPolicy, FactId, Presence};

/// What strict reading finds wrong in `facts` for `policy`: facts present
/// that do not fit, then keys no fact declares. `declared` is every path
/// the set of policies reads. With `strict` false, only the keys, as
/// warnings.
pub(crate) fn problems(
    policy: &CheckedPolicy,
    declared: &[Vec<String>],
    facts: &Value,
    strict: bool,
) -> Vec<FactsError> {
    let mut found = Vec::new();
    if strict {
        let consequence = || {
            format!(
                "policy `{}` reads facts strictly: every declared fact present must fit",
                policy.name
            )
        };
        found = misfits(policy, facts, &consequence);
    }
    for (keys, candidates) in undeclared_keys(policy, declared, facts) {
        let key = keys.last().cloned().unwrap_or_default();
        let path = path_text(&keys);
        let help = match words::did_you_mean(&key, candidates.iter().map(String::as_str)) {
            Some(suggestion) => suggestion,
            None if strict => format!(
                "the facts read here are {}: remove the key, or declare a fact for it",
                quoted(&candidates)
            ),
            None => format!("the facts read here are {}", quoted(&candidates)),
        };
        found.push(if strict {
            FactsError::UnknownKey {
                policy: policy.name.clone(),
                path,
                keys,
                at: None,
                help,
            }
        } else {
            FactsError::UnreadKey {
                path,
                keys,
                at: None,
                help,
            }
        });
    }
    found
}

/// Every declared fact present in `facts` that does not fit its
/// declaration, each path once; `consequence` ends each help.
fn misfits(
    policy: &CheckedPolicy,
    facts: &Value,
    consequence: &dyn Fn() -> String,
) -> Vec<FactsError> {
    let mut found = Vec::new();
    // The values tested in a set fact's array read the array again: each
    // path once.
    let mut checked: Vec<&[String]> = Vec::new();
    for (i, fact) in policy.facts.iter().enumerate() {
        if checked.contains(&fact.path.as_slice()) {
            continue;
        }
        checked.push(&fact.path);
        match read(policy, FactId(i as u32), facts, false) {
            Read::Unknown(Unknown::Missing) | Read::Atom(..) => {}
            Read::Unknown(why) => found.push(unknown_error(policy, fact, &why, consequence)),
        }
    }
    found
}

/// What validating `facts` against `policy`'s declarations finds, without
/// deciding: facts present that do not fit, required facts (neither
/// `optional` nor with a default) that are missing, several missing from
/// one object merged into one error, and with `strict_keys` the keys no
/// fact declares.
pub(crate) fn validation(
    policy: &CheckedPolicy,
    declared: &[Vec<String>],
    facts: &Value,
    strict_keys: bool,
) -> Vec<FactsError> {
    let fit = || String::from("every declared fact present must fit its declaration");
    let mut found = misfits(policy, facts, &fit);
    if strict_keys {
        found.extend(
            problems(policy, declared, facts, true)
                .into_iter()
                .filter(|error| matches!(error, FactsError::UnknownKey { .. })),
        );
    }
    let consequence =
        || String::from("it is required: it is neither `optional` nor has a `default`");
    let mut missing = Vec::new();
    let mut checked: Vec<&[String]> = Vec::new();
    for (i, fact) in policy.facts.iter().enumerate() {
        if !matches!(fact.presence, Presence::Required) || checked.contains(&fact.path.as_slice()) {
            continue;
        }
        checked.push(&fact.path);
        if let Read::Unknown(why @ Unknown::Missing) = read(policy, FactId(i as u32), facts, false)
        {
            missing.push(unknown_error(policy, fact, &why, &consequence));
        }
    }
    found.extend(merge_missing(policy, missing, facts));
    found
}

/// Each key, in an object that one of `policy`'s paths goes through, that
/// starts no declared path: its path, and the declared keys beside it.
fn undeclared_keys(
    policy: &CheckedPolicy,
    declared: &[Vec<String>],
    facts: &Value,
) -> Vec<(Vec<String>, Vec<String>)> {
    let mut objects: Vec<&[String]> = Vec::new();
    for fact in &policy.facts {
        for depth in 0..fact.path.len() {
            let Some(prefix) = fact.path.get(..depth) else {
                continue;
            };
            if !objects.contains(&prefix) {
                objects.push(prefix);
            }
        }
    }
    let mut found = Vec::new();
    for prefix in objects {
        let Some(Value::Object(map)) = value_at(facts, prefix) else {
            continue;
        };
        // The keys declared paths take from this object.
        let mut candidates: Vec<String> = Vec::new();
        for path in declared {
            if let (true, Some(next)) = (path.starts_with(prefix), path.get(prefix.len())) {
                if !candidates.contains(next) {
                    candidates.push(next.clone());
                }
            }
        }
        for key in map.keys() {
            if !candidates.contains(key) {
                let mut keys = prefix.to_vec();
                keys.push(key.clone());
                found.push((keys, candidates.clone()));
            }
        }
    }
    found
}

/// The value at `keys` inside `facts`, if every key is there.
fn value_at<'v>(facts: &'v Value, keys: &[String]) -> Option<&'v Value> {
    keys.iter().try_fold(facts, |node, key| node.get(key))
}

/// `` `a`, `b` and `c` ``.
fn quoted(keys: &[String]) -> String {
    let quoted: Vec<String> = keys.iter().map(|k| format!("`{k}`")).collect();
    words::join_and(&quoted)
}
