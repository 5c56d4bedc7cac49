//! Facts straight from JSON text: while serde_json parses the text, the
//! values at the paths the policies declare are kept and everything else is
//! checked and skipped, so deciding from text builds no `Value` for the
//! whole document. The result reads exactly as the parsed `Value` would:
//! the same values, absences and non-objects on the way (a test checks it).

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::{FactSource, Lookup};
use crate::check::{Fact, FactId};

/// The declared paths of a policy set, as a tree of keys.
#[derive(Clone, Debug, Default)]
pub struct PathTable {
    root: KeyNode,
    slots: usize,
}

#[derive(Clone, Debug, Default)]
struct KeyNode {
    children: Vec<(String, KeyNode)>,
    slot: Option<usize>,
}

impl PathTable {
    /// The table of `paths`, and the slot of each; `None` when a path is a
    /// prefix of another (the value there is both a fact and an object on
    /// the way), which picking does not handle.
    pub fn new<'a>(
        paths: impl IntoIterator<Item = &'a [String]>,
    ) -> Option<(PathTable, Vec<usize>)> {
        let mut table = PathTable::default();
        let mut slots = Vec::new();
        for path in paths {
            let mut node = &mut table.root;
            for key in path {
                let index = match node.children.iter().position(|(k, _)| k == key) {
                    Some(i) => i,
                    None => {
                        node.children.push((key.clone(), KeyNode::default()));
                        node.children.len() - 1
                    }
                };
                node = &mut node.children.get_mut(index)?.1;
            }
            let slot = match node.slot {
                Some(slot) => slot,
                None => {
                    node.slot = Some(table.slots);
                    table.slots += 1;
                    table.slots - 1
                }
            };
            slots.push(slot);
        }
        table
            .root
            .has_prefix_clash()
            .then_some(())
            .map_or(Some((table, slots)), |()| None)
    }

    /// Parses `text`, keeping the declared values.
    pub fn pick(&self, text: &str) -> Result<Picked, serde_json::Error> {
        let mut picked = Picked {
            values: vec![Slot::Absent; self.slots],
            not_object: None,
        };
        let mut deserializer = serde_json::Deserializer::from_str(text);
        Pick {
            node: &self.root,
            depth: 0,
            out: &mut picked,
        }
        .deserialize(&mut deserializer)?;
        deserializer.end()?;
        Ok(picked)
    }
}

impl KeyNode {
    fn has_prefix_clash(&self) -> bool {
        (self.slot.is_some() && !self.children.is_empty())
            || self
                .children
                .iter()
                .any(|(_, child)| child.has_prefix_clash())
    }

    fn slots(&self, out: &mut Vec<usize>) {
        out.extend(self.slot);
        for (_, child) in &self.children {
            child.slots(out);
        }
    }
}

/// What was found at one declared path.
#[derive(Clone, Debug, PartialEq)]
pub enum Slot {
    Absent,
    Found(Value),
    /// A value on the way that is not an object: how many keys deep, and it.
    NotObject(usize, Value),
}

/// The values picked out of one facts text.
#[derive(Clone, Debug)]
pub struct Picked {
    values: Vec<Slot>,
    /// Set when the text is not a JSON object at all: what it is instead.
    pub not_object: Option<&'static str>,
}

/// A policy's view of picked values: its facts' slots.
pub struct PickedFacts<'a> {
    pub picked: &'a Picked,
    pub slot_of: &'a [usize],
}

impl FactSource for PickedFacts<'_> {
    fn lookup(&self, id: FactId, _: &Fact) -> Lookup<'_> {
        match self
            .slot_of
            .get(id.0 as usize)
            .and_then(|slot| self.picked.values.get(*slot))
        {
            Some(Slot::Found(value)) => Lookup::Found(value),
            Some(Slot::NotObject(depth, value)) => Lookup::NotObject(*depth, value),
            _ => Lookup::Absent,
        }
    }
}

/// Visits a value where `node`'s keys are expected.
struct Pick<'t, 'o> {
    node: &'t KeyNode,
    depth: usize,
    out: &'o mut Picked,
}

impl Pick<'_, '_> {
    /// Everything under this node is `slot`: a non-object, or absent.
    fn fill(&mut self, slot: Slot, kind: &'static str) {
        if self.depth == 0 {
            self.out.not_object = Some(kind);
            return;
        }
        let mut slots = Vec::new();
        self.node.slots(&mut slots);
        for index in slots {
            if let Some(s) = self.out.values.get_mut(index) {
                *s = slot.clone();
            }
        }
    }

    fn scalar<E>(mut self, value: Value, kind: &'static str) -> Result<(), E> {
        let depth = self.depth;
        self.fill(Slot::NotObject(depth, value), kind);
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for Pick<'_, '_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Pick<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        // A repeated key replaces what came before, as in a parsed `Value`.
        if self.depth > 0 {
            self.fill(Slot::Absent, "an object");
        }
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            match self.node.children.iter().find(|(k, _)| *k == *key) {
                Some((_, child)) if child.children.is_empty() => {
                    let value: Value = map.next_value()?;
                    if let Some(slot) = child.slot.and_then(|s| self.out.values.get_mut(s)) {
                        *slot = if value.is_null() {
                            Slot::Absent
                        } else {
                            Slot::Found(value)
                        };
                    }
                }
                Some((_, child)) => map.next_value_seed(Pick {
                    node: child,
                    depth: self.depth + 1,
                    out: &mut *self.out,
                })?,
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        self.scalar(Value::Array(Vec::new()), "an array")
    }

    fn visit_unit<E>(mut self) -> Result<(), E> {
        self.fill(Slot::Absent, "null");
        Ok(())
    }

    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.scalar(Value::Bool(v), "a bool")
    }

    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        self.scalar(Value::from(v), "a number")
    }

    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        self.scalar(Value::from(v), "a number")
    }

    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        self.scalar(
            serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number),
            "a number",
        )
    }

    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.scalar(Value::String(v.to_string()), "a string")
    }
}

/// An object key, borrowed from the text when it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}
