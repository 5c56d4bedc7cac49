//! Reading facts from a `serde_json::Value`: the object at a path, the
//! value of a key (with the hint of where it usually is), and one fact's
//! atom, or why it has none (missing, under a value that is not an object,
//! or not fitting its declaration).

use serde_json::Value;

use crate::model::{
    same_bytes, Atom, CheckedPolicy, Fact, FactId, FactType, Misfit, Presence, Relation,
};

/// Why a fact is unknown.
#[derive(Clone, Debug)]
pub(crate) enum Unknown {
    Missing,
    /// A fact a relation reads is unknown, so is the relation: that fact,
    /// and why.
    Of(FactId, Box<Unknown>),
    /// An object on the way to the fact is something else: the keys of that object's path.
    NotObject(usize, Value),
    Misfit(Misfit, Value),
}

/// The value of a fact, read from the facts.
pub(crate) enum Read {
    Atom(Atom, Option<Value>),
    Unknown(Unknown),
}

/// Where the value of a fact is found.
enum Lookup<'a> {
    Found(&'a Value),
    Absent,
    /// A value on the way that is not an object: how many keys deep, and it.
    NotObject(usize, &'a Value),
}

/// Where the value of `fact` is in `facts`.
fn lookup<'v>(facts: &'v Value, fact: &Fact) -> Lookup<'v> {
    let mut node = facts;
    for (depth, key) in fact.path.iter().enumerate() {
        match node {
            Value::Object(map) => match map.get(key) {
                Some(next) => node = next,
                None => return Lookup::Absent,
            },
            Value::Null => return Lookup::Absent,
            other => return Lookup::NotObject(depth, other),
        }
    }
    Lookup::Found(node)
}

/// Reads one fact's atom from `facts`; the value comes along only when
/// `keep` asks for it (a trace shows it), as it is cloned.
pub(crate) fn read(policy: &CheckedPolicy, id: FactId, facts: &Value, keep: bool) -> Read {
    let Some(fact) = policy.fact(id) else {
        return Read::Unknown(Unknown::Missing);
    };
    if let FactType::Relation(relation) = &fact.ty {
        return read_relation(policy, fact, relation, facts, keep);
    }
    let node = match lookup(facts, fact) {
        Lookup::Found(node) => node,
        Lookup::Absent => return absent(fact),
        Lookup::NotObject(depth, other) => {
            return Read::Unknown(Unknown::NotObject(depth, other.clone()))
        }
    };
    if node.is_null() {
        return absent(fact);
    }
    match fact.classify(node) {
        Ok(atom) => Read::Atom(atom, keep.then(|| node.clone())),
        Err(misfit) => Read::Unknown(Unknown::Misfit(misfit, node.clone())),
    }
}

/// Reads a relation from its two facts: unknown when either is, absent
/// when either is absent, else whether their values relate so. The value
/// kept for a trace is the pair of values.
fn read_relation(
    policy: &CheckedPolicy,
    fact: &Fact,
    relation: &Relation,
    facts: &Value,
    keep: bool,
) -> Read {
    // Each side's value, borrowed from the facts where it is there.
    let side = |id: FactId| -> Result<Option<std::borrow::Cow<'_, Value>>, Unknown> {
        use std::borrow::Cow;
        let base = policy.fact(id).ok_or(Unknown::Missing)?;
        let of = |why: Unknown| Unknown::Of(id, Box::new(why));
        match lookup(facts, base) {
            Lookup::Found(node) if !node.is_null() => match base.classify(node) {
                Ok(_) => Ok(Some(Cow::Borrowed(node))),
                Err(misfit) => Err(of(Unknown::Misfit(misfit, node.clone()))),
            },
            Lookup::NotObject(depth, other) => Err(of(Unknown::NotObject(depth, other.clone()))),
            _ => match absent(base) {
                Read::Unknown(why) => Err(of(why)),
                Read::Atom(atom, _) if Some(atom) == base.absent_atom() => Ok(None),
                // A default has no value in the facts: its atom's value is it.
                Read::Atom(atom, _) => Ok(base.representative(atom).map(Cow::Owned)),
            },
        }
    };
    let (left, right) = match (side(relation.left), side(relation.right)) {
        (Err(why), _) | (_, Err(why)) => return Read::Unknown(why),
        (Ok(left), Ok(right)) => (left, right),
    };
    match (left, right) {
        (Some(left), Some(right)) => {
            let holds = relation.holds(&left, &right);
            Read::Atom(
                Atom::from(holds),
                keep.then(|| Value::Array(vec![left.into_owned(), right.into_owned()])),
            )
        }
        _ => match fact.absent_atom() {
            Some(atom) => Read::Atom(atom, None),
            None => Read::Unknown(Unknown::Missing),
        },
    }
}

/// The value of `key` in `map`: for the few keys of a facts object, a scan
/// that compares lengths first and words inline beats the B-tree's search,
/// which calls `memcmp` for every key it passes.
#[inline(always)]
pub(crate) fn get<'v>(
    map: &'v serde_json::Map<String, Value>,
    key: &str,
    hint: usize,
) -> Option<&'v Value> {
    // The key is usually at its hint (see `ObjectPaths`): one comparison. The
    // first and the last entries are reached without stepping through.
    let at_hint = match hint {
        0 => map.iter().next(),
        _ if hint + 1 == map.len() => map.iter().next_back(),
        _ => map.iter().nth(hint),
    };
    if let Some((k, v)) = at_hint {
        if same_bytes(k.as_bytes(), key.as_bytes()) {
            return Some(v);
        }
    }
    if map.len() > 8 {
        return map.get(key);
    }
    map.iter()
        .find(|(k, _)| same_bytes(k.as_bytes(), key.as_bytes()))
        .map(|(_, v)| v)
}

/// Starts loading the string values of `facts` and of the objects in it
/// (the first eight of each) before a walk reads them. A walk reads one
/// fact, then the tree says which to read next, so from facts that are not
/// in the cache (a batch of prepared `Value`s) its cache misses would come
/// one after the other, each behind the last; touched first, they overlap.
/// The loads are independent of each other and of the walk: with the facts
/// in the cache they cost about nothing, from memory they halve the time.
#[inline]
pub(crate) fn prefetch_strings(facts: &Value) {
    let string = |value: &Value| {
        if let Value::String(s) = value {
            std::hint::black_box(s.as_bytes().first().copied());
        }
    };
    let Value::Object(root) = facts else { return };
    for value in root.values().take(8) {
        match value {
            Value::Object(map) => map.values().take(8).for_each(string),
            other => string(other),
        }
    }
}

/// The object at `path` in `facts`; `None` when a value on the way is not
/// an object (an absent or `null` one counts as empty).
#[inline]
pub(crate) fn parent_object<'v>(
    facts: &'v Value,
    path: &[(String, usize)],
) -> Option<&'v serde_json::Map<String, Value>> {
    static EMPTY: std::sync::OnceLock<serde_json::Map<String, Value>> = std::sync::OnceLock::new();
    let mut node = facts;
    for (key, hint) in path {
        match node {
            Value::Object(map) => match get(map, key, *hint) {
                Some(next) => node = next,
                None => return Some(EMPTY.get_or_init(serde_json::Map::new)),
            },
            Value::Null => return Some(EMPTY.get_or_init(serde_json::Map::new)),
            _ => return None,
        }
    }
    match node {
        Value::Object(map) => Some(map),
        Value::Null => Some(EMPTY.get_or_init(serde_json::Map::new)),
        _ => None,
    }
}

fn absent(fact: &Fact) -> Read {
    match (&fact.presence, fact.absent_atom()) {
        (Presence::Default(atom), _) => Read::Atom(*atom, None),
        (_, Some(atom)) => Read::Atom(atom, None),
        _ => Read::Unknown(Unknown::Missing),
    }
}

pub(crate) fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a bool",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
