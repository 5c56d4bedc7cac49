//! Evaluation: a [`DecisionTree`] walked over JSON facts. The walk reads only
//! the facts its path tests, so a decision needs only the facts that matter.
//!
//! A fact that is missing (and required) or whose value does not fit its
//! declaration is *unknown*. The walk then follows every edge of the node
//! that tests it: if all of them reach the same rule, the fact did not matter
//! and that rule decides; otherwise the evaluation fails, naming the fact.
//! This makes the result independent of the order in which the tree tests
//! facts: it is what rule-by-rule evaluation over every possible value of the
//! unknown facts would agree on.

pub(crate) mod strict;
mod unknown;
mod walk;

use serde_json::Value;

pub use walk::walk;
pub(crate) use walk::{decides, route};

use crate::compile::flat::FlatTree;
use crate::compile::DecisionTree;
use crate::diagnostics::FactsError;
use crate::facts::{get, parent_object, ObjectPaths, Read, Slot, Unknown};
use crate::model::{Atom, CheckedPolicy, FactId, FactType, Presence, RuleId};
use walk::FactSource;

/// One fact the walk read: what it found and which edge it took.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub fact: FactId,
    /// The value found, `None` when absent.
    pub value: Option<Value>,
    pub atom: Atom,
}

/// What one walk found: the rule that decides (`None`: the policy's
/// `otherwise`), and the path taken when a trace was asked for.
#[derive(Clone, Debug, PartialEq)]
pub struct Walked {
    pub rule: Option<RuleId>,
    pub trace: Vec<Step>,
}

/// Decides for `facts`: the rule that applies, or `None` when no rule does.
/// On failure, one error per unknown fact the decision depends on.
pub fn decide(tree: &DecisionTree, facts: &Value) -> Result<Option<RuleId>, Vec<FactsError>> {
    walk(tree, facts, false).map(|walked| walked.rule)
}

/// Where the fast walk reads a fact's atom from: `None` when the fact is
/// unknown (missing without a default, or not fitting its declaration).
/// Named types rather than closures, so that the read is inlined into the
/// walk (`#[inline(always)]`), which is most of a decision's cost.
trait Atoms {
    fn atom(&mut self, fact: FactId) -> Option<Atom>;
}

/// The decision when every fact the evaluation reads is known: the fast
/// path, over the flat tree or the rule scan, reading each fact's atom from
/// `atoms`. `None` when a fact it reads is unknown; the full walk then
/// decides or says why not.
#[inline]
fn decide_known(tree: &DecisionTree, mut atoms: impl Atoms) -> Option<Option<RuleId>> {
    let Some(flat) = &tree.flat else {
        let scan = tree.scan.as_ref()?;
        let mut unknown = false;
        // The scan asks for a fact once per 64 rules: read each once.
        let mut read: Vec<Option<Option<Atom>>> = vec![None; tree.policy.facts.len()];
        let first = scan.first_match(
            |fact| {
                let slot = read.get_mut(fact.0 as usize)?;
                let value = *slot.get_or_insert_with(|| atoms.atom(fact));
                unknown |= value.is_none();
                value
            },
            None,
        );
        return (!unknown).then(|| first.and_then(|i| scan.rules.get(i).copied()));
    };
    let mut edge = flat.root;
    loop {
        if let Some(rule) = FlatTree::leaf(edge) {
            return Some(rule);
        }
        let (at, fact) = flat.test(edge)?;
        if flat.large {
            flat.touch(at);
        }
        let atom = atoms.atom(FactId(fact))?;
        edge = flat.next(at, atom)?;
    }
}

/// [`decide_known`] for a JSON object, looking each parent object up at
/// most once along `paths` (the tree's policy's [`ObjectPaths`]).
#[inline]
pub(crate) fn decide_value(
    tree: &DecisionTree,
    paths: &ObjectPaths,
    facts: &Value,
) -> Option<Option<RuleId>> {
    decide_known(
        tree,
        ValueAtoms {
            tree,
            paths,
            facts,
            parents: [None; ValueAtoms::CACHED],
        },
    )
}

/// Facts read from a JSON object, each parent object looked up once.
struct ValueAtoms<'a> {
    tree: &'a DecisionTree,
    paths: &'a ObjectPaths,
    facts: &'a Value,
    /// The parent objects found so far, by index in `paths.parents`.
    parents: [Option<&'a serde_json::Map<String, Value>>; ValueAtoms::CACHED],
}

impl ValueAtoms<'_> {
    /// Parents past this many are looked up each time.
    const CACHED: usize = 8;
}

impl Atoms for ValueAtoms<'_> {
    #[inline(always)]
    fn atom(&mut self, fact: FactId) -> Option<Atom> {
        let (parent, hint) = self.paths.facts.get(fact.0 as usize)?;
        let map = match self.parents.get_mut(*parent) {
            Some(Some(map)) => *map,
            slot => {
                let map = parent_object(self.facts, self.paths.parents.get(*parent)?)?;
                if let Some(slot) = slot {
                    *slot = Some(map);
                }
                map
            }
        };
        let declared = self.tree.policy.fact(fact)?;
        let key = declared.path.last().map_or("", String::as_str);
        match get(map, key, *hint) {
            Some(Value::Null) | None => match (&declared.presence, declared.absent_atom()) {
                (Presence::Default(atom), _) => Some(*atom),
                (_, absent) => absent,
            },
            Some(value) => declared.classify(value).ok(),
        }
    }
}

/// [`decide_known`] for values picked out of JSON text or a `Serialize`
/// value; `slot_of` maps this policy's facts to the picked slots.
#[inline]
pub(crate) fn decide_picked(
    tree: &DecisionTree,
    picked: &[Slot<'_>],
    slot_of: &[usize],
) -> Option<Option<RuleId>> {
    decide_known(
        tree,
        PickedAtoms {
            tree,
            picked,
            slot_of,
        },
    )
}

/// Whether a value picked out of text has an atom exactly where the
/// value's `Value` would (and the same one) for every fact of `policy`,
/// and no atom exactly where it would be unknown: true when every fact is
/// read from one path as a JSON scalar (not a time, a set, a relation or a
/// local part, which the picker leaves to the `Value`).
pub(crate) fn picks_exactly(policy: &CheckedPolicy) -> bool {
    policy.facts.iter().all(|fact| {
        matches!(
            fact.ty,
            FactType::Enum(_) | FactType::Bool | FactType::Number(_) | FactType::String(_)
        )
    })
}

/// Whether values picked out of text, on which [`decide_picked`] stopped,
/// leave more than one decision possible, as the full walk over their
/// `Value` would find (so that the facts are refused, without parsing them
/// again). Only for a policy that [`picks_exactly`] and has its tree (not
/// the rule scan); `false` otherwise, which promises nothing.
pub(crate) fn picked_refuses(tree: &DecisionTree, picked: &[Slot<'_>], slot_of: &[usize]) -> bool {
    if tree.scan.is_some() {
        return false;
    }
    walk::possible(tree, &PickedFacts { picked, slot_of })
        .single()
        .is_none()
}

/// Values picked out of text, read as the full walk reads a `Value`: an
/// atom, or unknown (why is not known here, and does not change what is
/// possible).
struct PickedFacts<'a, 't> {
    picked: &'a [Slot<'t>],
    slot_of: &'a [usize],
}

impl FactSource for PickedFacts<'_, '_> {
    fn read(&self, policy: &CheckedPolicy, fact: FactId) -> Read {
        let atom = self
            .slot_of
            .get(fact.0 as usize)
            .and_then(|slot| self.picked.get(*slot))
            .zip(policy.fact(fact))
            .and_then(|(slot, fact)| slot.atom(fact));
        match atom {
            Some(atom) => Read::Atom(atom, None),
            None => Read::Unknown(Unknown::Missing),
        }
    }
}

/// Facts picked at the declared paths.
struct PickedAtoms<'a, 't> {
    tree: &'a DecisionTree,
    picked: &'a [Slot<'t>],
    slot_of: &'a [usize],
}

impl Atoms for PickedAtoms<'_, '_> {
    #[inline(always)]
    fn atom(&mut self, fact: FactId) -> Option<Atom> {
        let slot = self.picked.get(*self.slot_of.get(fact.0 as usize)?)?;
        slot.atom(self.tree.policy.fact(fact)?)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use crate::compile::flat::FlatTree;
    use crate::compile::{self, DecisionTree};
    use crate::facts::ObjectPaths;
    use crate::model::{insert_at, CheckedPolicy};
    use crate::source::SourceMap;
    use crate::{check, syntax};

    /// The multichannel pack, compiled with the stages below this one.
    fn pack() -> DecisionTree {
        let mut sources = SourceMap::new();
        for (name, text) in [
            (
                "channels.policy",
                include_str!("../../policies/multichannel/channels.policy"),
            ),
            (
                "indirect.policy",
                include_str!("../../policies/multichannel/indirect.policy"),
            ),
            (
                "multichannel.policy",
                include_str!("../../policies/multichannel/multichannel.policy"),
            ),
        ] {
            sources.add(name, text).unwrap();
        }
        let files: Vec<_> = sources
            .files()
            .map(|(_, file)| syntax::parse(file).unwrap())
            .collect();
        let checked = check::check(&sources, &files, &crate::limits::Limits::default());
        assert!(checked.diagnostics.iter().all(|d| !d.is_error()));
        compile::compile(&checked.policies[0]).0
    }

    /// Every combination of a policy's atoms as facts: each fact a
    /// representative of one of its atoms, or absent.
    fn combinations(policy: &CheckedPolicy) -> Vec<Value> {
        let mut all = vec![Value::Object(serde_json::Map::new())];
        for fact in &policy.facts {
            let mut next = Vec::new();
            for facts in &all {
                for atom in 0..fact.atom_count() {
                    let mut facts = facts.clone();
                    if let Some(value) = fact.representative(atom) {
                        insert_at(&mut facts, &fact.path, value);
                    }
                    next.push(facts);
                }
            }
            all = next;
        }
        all
    }

    /// A tree laid out with its facts in the tests only (as when the
    /// offsets leave no room for them in the edges), and walked as a large
    /// one is, decides as the usual layout does.
    #[test]
    fn every_layout_decides_alike() {
        let tree = pack();
        let paths = ObjectPaths::new(&tree.policy);
        let usual = tree.flat.as_ref().unwrap();
        assert!(usual.fact_bits > 0 && !usual.large);
        let mut other = tree.clone();
        let flat = FlatTree::with_limits(tree.nodes(), tree.root(), 0, 0).unwrap();
        assert!(flat.fact_bits == 0 && flat.large);
        other.flat = Some(flat);
        let combinations = combinations(&tree.policy);
        assert!(combinations.len() > 1_000, "{}", combinations.len());
        let mut decided = 0;
        for facts in &combinations {
            let fast = super::decide_value(&tree, &paths, facts);
            assert_eq!(super::decide_value(&other, &paths, facts), fast, "{facts}");
            if let Some(rule) = fast {
                assert_eq!(
                    Ok(rule),
                    super::decide(&tree, facts).map_err(|_| ()),
                    "{facts}"
                );
                decided += 1;
            }
        }
        assert!(decided > 1_000, "{decided}");
    }
}
