//! Facts straight from a caller's `Serialize` value: a `serde::Serializer`
//! that walks the value as `serde_json::to_value` would, keeps what lands
//! at the declared paths and builds nothing else, so deciding from a typed
//! struct writes no JSON text and no `serde_json::Value`.
//!
//! Like the text scanner it is the fast path only, and it reads exactly
//! what `serde_json::to_value` would hold at each declared path. Whatever
//! it is not sure to read that way (an `f32` fact, whose `Value` depends on
//! serde_json's features; a float map key; an enum variant with fields on
//! the way to a fact; serde_json's own raw JSON values and arbitrary-
//! precision numbers; nesting past 127 levels) or that `to_value` refuses
//! (a 128-bit integer past 64 bits, a key that is not text, an error from
//! the value's own `Serialize`) makes it give up; the caller then builds
//! the `Value`, which decides or says why not. Any failure inside the
//! value makes it give up too, even where the value's `Serialize` goes on
//! past the error. Values off the declared paths are walked too, so that
//! one that `to_value` would refuse is refused here.

use std::fmt;

use serde::ser::{self, Serialize};

use super::text::{KeyNode, PathTrie, ShortStr, Slot, Slots, MAX_DEPTH};

/// Why the picker stopped: the caller takes the long way, which says why
/// if there is anything to say.
#[derive(Debug)]
pub struct GiveUp;

impl fmt::Display for GiveUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not picked")
    }
}

impl std::error::Error for GiveUp {}

impl ser::Error for GiveUp {
    fn custom<T: fmt::Display>(_: T) -> GiveUp {
        GiveUp
    }
}

impl PathTrie {
    /// Walks `facts`, keeping the declared values, and hands them to
    /// `decide`; `None` when the picker gives up (see the module
    /// documentation).
    #[inline]
    pub fn pick_serialize<T: Serialize + ?Sized, R>(
        &self,
        facts: &T,
        decide: impl FnOnce(&[Slot<'_>]) -> R,
    ) -> Option<R> {
        let mut slots = Slots::new(self.slots);
        let mut picked = Picked {
            slots: &mut slots,
            written: 0,
            depth: 0,
            failed: false,
        };
        facts
            .serialize(Picker {
                place: Place(&self.root),
                picked: &mut picked,
            })
            .ok()?;
        if picked.failed {
            return None;
        }
        Some(decide(&slots))
    }
}

/// The slots being filled (a slice, not [`Slots`], so that writing one
/// does not first ask where they are kept).
struct Picked<'p> {
    slots: &'p mut [Slot<'static>],
    /// The slots set to anything but absent, by bit (slot 63 and all past
    /// it share the last), so that an object seen for the first time has
    /// nothing to clear.
    written: u64,
    /// How many objects and arrays the value being serialized is inside:
    /// 0 for the facts themselves, which must be an object.
    depth: usize,
    /// Whether a value inside failed: a `Serialize` that goes on past an
    /// error of one of its fields (`let _ = map.serialize_entry(..)`)
    /// must not leave a slot unread and the picking looking whole.
    failed: bool,
}

/// Where a value sits among the declared paths: the node of its key,
/// which holds facts below it (an object on the way), is a fact (its
/// slot), or neither, off every declared path. A place is one pointer, so
/// that a [`Picker`] is two and goes in registers.
#[derive(Clone, Copy)]
struct Place<'p>(&'p KeyNode);

/// The node of every value off the declared paths: no keys, no slot.
static OFF: KeyNode = KeyNode::OFF;

impl<'p> Place<'p> {
    /// Off every declared path: walked only for what `to_value` refuses.
    const OFF: Place<'static> = Place(&OFF);

    /// The node, where facts lie below this place.
    #[inline(always)]
    fn object(self) -> Option<&'p KeyNode> {
        (!self.0.children.is_empty()).then_some(self.0)
    }

    /// The slot, where a fact's value goes.
    #[inline(always)]
    fn leaf(self) -> Option<usize> {
        self.0.slot()
    }

    /// The place of the value under `key` in an object at `self`.
    fn child(self, key: &str) -> Place<'p> {
        self.child_after(key, &mut 0)
    }

    /// [`child`](Self::child), trying first the declared key at `hint`,
    /// and leaving `hint` just past the key found: a struct's fields come
    /// in the same order every time, most often the order the policy
    /// declares its paths in, so each is found in one comparison, inline;
    /// any other key is looked up out of line.
    #[inline(always)]
    fn child_after(self, key: &str, hint: &mut usize) -> Place<'p> {
        match self.0.children.get(*hint) {
            Some((k, child)) if crate::model::same_bytes(k.as_bytes(), key.as_bytes()) => {
                *hint += 1;
                Place(child)
            }
            // A leaf, and what is off the paths, have no keys (their bits
            // are 0); most keys off the paths are told by their bit.
            _ if !self.0.may_have(key.as_bytes()) => Place::OFF,
            _ => Place::looked_up(self.0, key, hint),
        }
    }

    /// The place of `key` in `node`, found by [`KeyNode::child`].
    #[inline(never)]
    fn looked_up(node: &'p KeyNode, key: &str, hint: &mut usize) -> Place<'p> {
        match node.child(key.as_bytes()) {
            Some((at, child)) => {
                *hint = at + 1;
                Place(child)
            }
            None => Place::OFF,
        }
    }
}

/// The serializer of one value at one place.
struct Picker<'a, 'p> {
    place: Place<'p>,
    picked: &'a mut Picked<'p>,
}

impl<'a, 'p> Picker<'a, 'p> {
    /// Sets what a value that is not an object leaves at this place: the
    /// slot for a fact; every slot under an object on the way (absent for
    /// `null`, else not an object).
    #[inline(always)]
    fn set(&mut self, slot: Slot<'static>) -> Result<(), GiveUp> {
        // The facts themselves must be an object, even where a fact's path
        // is empty (a policy's paths never are) and the root is a leaf.
        if self.picked.depth == 0 {
            return Err(GiveUp);
        }
        if let Some(at) = self.place.leaf() {
            if !matches!(slot, Slot::Absent) {
                // Slot 63 and all past it share the last bit.
                self.picked.written |= 1 << at.min(63);
            }
            if let Some(s) = self.picked.slots.get_mut(at) {
                *s = slot;
            }
            return Ok(());
        }
        if self.place.object().is_some() {
            return self.set_object(slot);
        }
        Ok(())
    }

    /// [`set`](Self::set) where an object was declared, out of line: a
    /// value that is not an object there is rare.
    #[inline(never)]
    fn set_object(&mut self, slot: Slot<'static>) -> Result<(), GiveUp> {
        let to = match slot {
            Slot::Absent => Slot::Absent,
            _ => Slot::Other,
        };
        self.clear(self.place.0, to);
        Ok(())
    }

    /// Sets every slot under `node` to `to`.
    #[inline(never)]
    fn clear(&mut self, node: &KeyNode, to: Slot<'static>) {
        let mask = node.under_bits();
        if matches!(to, Slot::Absent) && self.picked.written & mask == 0 {
            return;
        }
        if !matches!(to, Slot::Absent) {
            self.picked.written |= mask;
        }
        if let Some(slots) = self.picked.slots.get_mut(node.under()) {
            for slot in slots {
                *slot = to.clone();
            }
        }
    }

    fn number(mut self, x: f64) -> Result<(), GiveUp> {
        self.set(Slot::Number(x))
    }

    #[inline]
    fn string(mut self, s: &str) -> Result<(), GiveUp> {
        match self.place.leaf() {
            Some(_) => self.set(match ShortStr::new(s) {
                Some(short) => Slot::Short(short),
                None => Slot::Str(std::borrow::Cow::Owned(s.to_owned())),
            }),
            None => self.set(Slot::Other),
        }
    }

    /// Gives up where facts lie below: a variant with fields is
    /// `{variant: ...}`, which is not read on the way to facts.
    fn no_facts_below(&self) -> Result<(), GiveUp> {
        if self.place.object().is_some() || self.picked.depth == 0 {
            Err(GiveUp)
        } else {
            Ok(())
        }
    }

    /// An object here: its entries are then placed by key.
    #[inline(always)]
    fn object(mut self) -> Result<Object<'a, 'p>, GiveUp> {
        let node = self.place.0;
        let inner = if self.place.object().is_some() || self.picked.depth == 0 {
            // A repeated key replaces the whole value, as in a `Value`
            // (nothing to clear the first time, nothing written yet). The
            // facts themselves are an object on the way, whatever their
            // node holds.
            if self.picked.written & node.under_bits() != 0 {
                self.clear(node, Slot::Absent);
            }
            self.place
        } else if self.place.leaf().is_some() {
            self.set(Slot::Other)?;
            Place::OFF
        } else {
            // Off the paths.
            self.place
        };
        self.picked.enter()?;
        Ok(Object {
            place: inner,
            picked: self.picked,
            next: None,
            hint: 0,
        })
    }

    /// An array here: its items are off every path.
    fn array(mut self) -> Result<Array<'a, 'p>, GiveUp> {
        self.set(Slot::Other)?;
        self.picked.enter()?;
        Ok(Array {
            picked: self.picked,
        })
    }
}

impl Picked<'_> {
    /// One object or array deeper; giving up past [`MAX_DEPTH`].
    #[inline(always)]
    fn enter(&mut self) -> Result<(), GiveUp> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(GiveUp);
        }
        Ok(())
    }

    /// Out of the object or array [`enter`](Self::enter) went into.
    #[inline(always)]
    fn leave(&mut self) -> Result<(), GiveUp> {
        self.depth = self.depth.saturating_sub(1);
        Ok(())
    }
}

/// The entries of an object being picked.
struct Object<'a, 'p> {
    place: Place<'p>,
    picked: &'a mut Picked<'p>,
    /// Where the value of the last key goes (`None` before a key).
    next: Option<Place<'p>>,
    /// The declared key to try first for the next field (see
    /// [`Place::child_after`]).
    hint: usize,
}

impl Object<'_, '_> {
    #[inline(always)]
    fn entry<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), GiveUp> {
        let place = self.place.child_after(key, &mut self.hint);
        let picked = value.serialize(Picker {
            place,
            picked: self.picked,
        });
        self.picked.failed |= picked.is_err();
        picked
    }
}

/// The items of an array: off every path.
struct Array<'a, 'p> {
    picked: &'a mut Picked<'p>,
}

impl Array<'_, '_> {
    fn item<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), GiveUp> {
        let picked = value.serialize(Picker {
            place: Place::OFF,
            picked: self.picked,
        });
        self.picked.failed |= picked.is_err();
        picked
    }
}

/// Integers that an `f64` holds exactly.
macro_rules! small_integers {
    ($($method:ident: $int:ty),*) => {$(
        fn $method(self, v: $int) -> Result<(), GiveUp> {
            self.number(f64::from(v))
        }
    )*};
}

impl<'a, 'p> ser::Serializer for Picker<'a, 'p> {
    type Ok = ();
    type Error = GiveUp;
    type SerializeSeq = Array<'a, 'p>;
    type SerializeTuple = Array<'a, 'p>;
    type SerializeTupleStruct = Array<'a, 'p>;
    type SerializeTupleVariant = Array<'a, 'p>;
    type SerializeMap = Object<'a, 'p>;
    type SerializeStruct = Object<'a, 'p>;
    type SerializeStructVariant = Object<'a, 'p>;

    #[inline(always)]
    fn serialize_bool(mut self, v: bool) -> Result<(), GiveUp> {
        self.set(Slot::Bool(v))
    }

    small_integers!(
        serialize_i8: i8,
        serialize_i16: i16,
        serialize_i32: i32,
        serialize_u8: u8,
        serialize_u16: u16,
        serialize_u32: u32
    );

    fn serialize_i64(self, v: i64) -> Result<(), GiveUp> {
        // As `serde_json::Number::as_f64` reads it: the nearest `f64`.
        self.number(v as f64)
    }

    fn serialize_u64(self, v: u64) -> Result<(), GiveUp> {
        self.number(v as f64)
    }

    fn serialize_i128(self, v: i128) -> Result<(), GiveUp> {
        // A `Value` holds only what fits 64 bits.
        match i64::try_from(v) {
            Ok(v) => self.serialize_i64(v),
            Err(_) => self.serialize_u128(u128::try_from(v).map_err(|_| GiveUp)?),
        }
    }

    fn serialize_u128(self, v: u128) -> Result<(), GiveUp> {
        self.serialize_u64(u64::try_from(v).map_err(|_| GiveUp)?)
    }

    fn serialize_f32(mut self, v: f32) -> Result<(), GiveUp> {
        match self.place.leaf() {
            // Widened or written short, depending on serde_json's features.
            Some(_) => Err(GiveUp),
            None if v.is_finite() => self.set(Slot::Other),
            None => self.set(Slot::Absent),
        }
    }

    fn serialize_f64(mut self, v: f64) -> Result<(), GiveUp> {
        // `to_value` makes a float that is not finite `null`.
        if v.is_finite() {
            self.number(v)
        } else {
            self.set(Slot::Absent)
        }
    }

    fn serialize_char(self, v: char) -> Result<(), GiveUp> {
        self.string(v.encode_utf8(&mut [0; 4]))
    }

    #[inline(always)]
    fn serialize_str(self, v: &str) -> Result<(), GiveUp> {
        self.string(v)
    }

    fn serialize_bytes(mut self, _: &[u8]) -> Result<(), GiveUp> {
        // An array of numbers, one level deeper.
        self.set(Slot::Other)?;
        self.picked.enter()?;
        self.picked.leave()
    }

    #[inline(always)]
    fn serialize_none(mut self) -> Result<(), GiveUp> {
        self.set(Slot::Absent)
    }

    #[inline(always)]
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), GiveUp> {
        value.serialize(self)
    }

    fn serialize_unit(mut self) -> Result<(), GiveUp> {
        self.set(Slot::Absent)
    }

    fn serialize_unit_struct(mut self, _: &'static str) -> Result<(), GiveUp> {
        self.set(Slot::Absent)
    }

    #[inline(always)]
    fn serialize_unit_variant(
        mut self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), GiveUp> {
        // The name outlives the decision: borrowed, neither copied nor
        // allocated.
        match self.place.leaf() {
            Some(_) => self.set(Slot::Str(std::borrow::Cow::Borrowed(variant))),
            None => self.set(Slot::Other),
        }
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), GiveUp> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), GiveUp> {
        // `{variant: value}`.
        let mut object = self.object()?;
        object.entry(variant, value)?;
        object.picked.leave()
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Array<'a, 'p>, GiveUp> {
        self.array()
    }

    fn serialize_tuple(self, _: usize) -> Result<Array<'a, 'p>, GiveUp> {
        self.array()
    }

    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Array<'a, 'p>, GiveUp> {
        self.array()
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Array<'a, 'p>, GiveUp> {
        self.no_facts_below()?;
        self.array()
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Object<'a, 'p>, GiveUp> {
        self.object()
    }

    #[inline(always)]
    fn serialize_struct(self, name: &'static str, _: usize) -> Result<Object<'a, 'p>, GiveUp> {
        // serde_json's own tokens (a raw JSON value, an arbitrary-precision
        // number, with its features on) are values, not objects.
        if name.as_bytes().first() == Some(&b'$') && name.starts_with("$serde_json::") {
            return Err(GiveUp);
        }
        self.object()
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Object<'a, 'p>, GiveUp> {
        self.no_facts_below()?;
        self.object()
    }
}

/// The four kinds of sequence serde has are all arrays here.
macro_rules! array_items {
    ($($kind:ident::$item:ident),*) => {$(
        impl ser::$kind for Array<'_, '_> {
            type Ok = ();
            type Error = GiveUp;

            fn $item<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), GiveUp> {
                self.item(value)
            }

            fn end(self) -> Result<(), GiveUp> {
                self.picked.leave()
            }
        }
    )*};
}

array_items!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

impl ser::SerializeMap for Object<'_, '_> {
    type Ok = ();
    type Error = GiveUp;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), GiveUp> {
        let place = key.serialize(Key { place: self.place });
        self.picked.failed |= place.is_err();
        self.next = Some(place?);
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), GiveUp> {
        // A value with no key before it makes `to_value` panic: not ours.
        let Some(place) = self.next.take() else {
            self.picked.failed = true;
            return Err(GiveUp);
        };
        let picked = value.serialize(Picker {
            place,
            picked: self.picked,
        });
        self.picked.failed |= picked.is_err();
        picked
    }

    fn end(self) -> Result<(), GiveUp> {
        self.picked.leave()
    }
}

/// Structs, and the fields of struct variants, are objects with
/// `'static` keys.
macro_rules! struct_fields {
    ($($kind:ident),*) => {$(
        impl ser::$kind for Object<'_, '_> {
            type Ok = ();
            type Error = GiveUp;

            #[inline(always)]
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), GiveUp> {
                self.entry(key, value)
            }

            fn end(self) -> Result<(), GiveUp> {
                self.picked.leave()
            }
        }
    )*};
}

struct_fields!(SerializeStruct, SerializeStructVariant);

/// A map key: its text, as serde_json writes keys, finds the place of the
/// value that follows. Keys serde_json refuses, and float keys (which it
/// writes in a form of its own), give up.
struct Key<'p> {
    place: Place<'p>,
}

impl<'p> Key<'p> {
    fn text(self, key: &str) -> Result<Place<'p>, GiveUp> {
        Ok(self.place.child(key))
    }

    /// An integer key, written out only where keys are looked for.
    fn integer(self, key: impl fmt::Display) -> Result<Place<'p>, GiveUp> {
        match self.place.object() {
            None => Ok(Place::OFF),
            Some(_) => self.text(&key.to_string()),
        }
    }
}

/// Integer keys, which serde_json writes as their decimal text.
macro_rules! integer_keys {
    ($($method:ident: $int:ty),*) => {$(
        fn $method(self, v: $int) -> Result<Place<'p>, GiveUp> {
            self.integer(v)
        }
    )*};
}

impl<'p> ser::Serializer for Key<'p> {
    type Ok = Place<'p>;
    type Error = GiveUp;
    type SerializeSeq = ser::Impossible<Place<'p>, GiveUp>;
    type SerializeTuple = ser::Impossible<Place<'p>, GiveUp>;
    type SerializeTupleStruct = ser::Impossible<Place<'p>, GiveUp>;
    type SerializeTupleVariant = ser::Impossible<Place<'p>, GiveUp>;
    type SerializeMap = ser::Impossible<Place<'p>, GiveUp>;
    type SerializeStruct = ser::Impossible<Place<'p>, GiveUp>;
    type SerializeStructVariant = ser::Impossible<Place<'p>, GiveUp>;

    fn serialize_bool(self, v: bool) -> Result<Place<'p>, GiveUp> {
        self.text(if v { "true" } else { "false" })
    }

    integer_keys!(
        serialize_i8: i8,
        serialize_i16: i16,
        serialize_i32: i32,
        serialize_i64: i64,
        serialize_i128: i128,
        serialize_u8: u8,
        serialize_u16: u16,
        serialize_u32: u32,
        serialize_u64: u64,
        serialize_u128: u128
    );

    fn serialize_f32(self, _: f32) -> Result<Place<'p>, GiveUp> {
        Err(GiveUp)
    }

    fn serialize_f64(self, _: f64) -> Result<Place<'p>, GiveUp> {
        Err(GiveUp)
    }

    fn serialize_char(self, v: char) -> Result<Place<'p>, GiveUp> {
        self.text(v.encode_utf8(&mut [0; 4]))
    }

    fn serialize_str(self, v: &str) -> Result<Place<'p>, GiveUp> {
        self.text(v)
    }

    fn serialize_bytes(self, _: &[u8]) -> Result<Place<'p>, GiveUp> {
        Err(GiveUp)
    }

    fn serialize_none(self) -> Result<Place<'p>, GiveUp> {
        Err(GiveUp)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<Place<'p>, GiveUp> {
        Err(GiveUp)
    }

    fn serialize_unit(self) -> Result<Place<'p>, GiveUp> {
        Err(GiveUp)
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<Place<'p>, GiveUp> {
        Err(GiveUp)
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Place<'p>, GiveUp> {
        self.text(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<Place<'p>, GiveUp> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Place<'p>, GiveUp> {
        Err(GiveUp)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, GiveUp> {
        Err(GiveUp)
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, GiveUp> {
        Err(GiveUp)
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, GiveUp> {
        Err(GiveUp)
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, GiveUp> {
        Err(GiveUp)
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, GiveUp> {
        Err(GiveUp)
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, GiveUp> {
        Err(GiveUp)
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, GiveUp> {
        Err(GiveUp)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Serialize;

    use super::super::text::{slot_bits, PathTrie, Slot};

    /// What a slot holds, whichever way it holds a string.
    fn held(slot: &Slot<'_>) -> String {
        match slot {
            Slot::Str(s) => format!("str {s}"),
            Slot::Short(s) => format!("str {}", String::from_utf8_lossy(s.as_bytes())),
            other => format!("{other:?}"),
        }
    }

    /// The slots picked from `value` while it is serialized, which must be
    /// picked (the picker does not give up on the shapes of a derive), and
    /// must be what the text scanner picks from its JSON text.
    fn picked_as_text_picks<T: Serialize>(paths: &[&str], value: &T) -> Vec<String> {
        let paths: Vec<Vec<&str>> = paths.iter().map(|p| p.split('.').collect()).collect();
        let paths: Vec<&[&str]> = paths.iter().map(Vec::as_slice).collect();
        let (serialized, scanned) = both(&paths, value);
        let serialized = serialized.expect("a derive's shapes are picked, not given up on");
        assert_eq!(
            Some(&serialized),
            scanned.as_ref(),
            "{:?}",
            serde_json::to_string(value)
        );
        serialized
    }

    /// What the picker and the text scanner make of `value`: `None` where
    /// each gives up.
    fn both<T: Serialize>(
        paths: &[&[&str]],
        value: &T,
    ) -> (Option<Vec<String>>, Option<Vec<String>>) {
        let paths: Vec<Vec<String>> = paths
            .iter()
            .map(|p| p.iter().map(|k| String::from(*k)).collect())
            .collect();
        let (trie, _) = PathTrie::new(paths.iter().map(Vec::as_slice)).expect("no prefix clash");
        let serialized =
            trie.pick_serialize(value, |slots| slots.iter().map(held).collect::<Vec<_>>());
        let text = serde_json::to_string(value).expect("serializes");
        let scanned = trie
            .pick(&text)
            .map(|slots| slots.iter().map(held).collect());
        (serialized, scanned)
    }

    #[derive(Serialize)]
    #[serde(rename_all = "snake_case")]
    enum Role {
        IndirectProvider,
        Reseller,
    }

    #[derive(Serialize)]
    struct Partner<'a> {
        role: Role,
        #[serde(skip_serializing_if = "Option::is_none")]
        tier: Option<u8>,
        name: &'a str,
        tags: Vec<&'a str>,
    }

    #[derive(Serialize)]
    enum Target {
        Customer { id: u32 },
        Partner(String),
    }

    #[derive(Serialize)]
    struct Facts<'a> {
        partner: Partner<'a>,
        seats: Option<u32>,
        target: Option<Target>,
        extra: BTreeMap<&'a str, Vec<u8>>,
        admin: bool,
    }

    /// The common shapes of a derive: unit-variant enums, options,
    /// skipped fields, borrowed strings, sequences and maps off the paths,
    /// enums with fields beside the paths; every value comes back out of
    /// its object and array as it went in.
    #[test]
    fn derive_shapes_are_picked_as_their_text_is() {
        let paths = [
            "partner.role",
            "partner.tier",
            "partner.name",
            "seats",
            "admin",
            "target",
        ];
        let facts = |role, tier, seats, target| Facts {
            partner: Partner {
                role,
                tier,
                name: "a name longer than fifteen bytes",
                tags: vec!["x", "y"],
            },
            seats,
            target,
            extra: BTreeMap::from([("k", vec![1, 2])]),
            admin: true,
        };
        let picked = picked_as_text_picks(
            &paths,
            &facts(
                Role::Reseller,
                Some(3),
                None,
                Some(Target::Partner("p".into())),
            ),
        );
        assert_eq!(picked[0], "str reseller");
        assert_eq!(picked[1], "Number(3.0)");
        assert_eq!(picked[3], "Absent");
        assert_eq!(picked[4], "Bool(true)");
        assert_eq!(picked[5], "Other");
        let picked = picked_as_text_picks(
            &paths,
            &facts(
                Role::IndirectProvider,
                None,
                Some(10),
                Some(Target::Customer { id: 1 }),
            ),
        );
        assert_eq!(picked[0], "str indirect_provider");
        assert_eq!(picked[1], "Absent");
        assert_eq!(picked[3], "Number(10.0)");
        picked_as_text_picks(&paths, &facts(Role::Reseller, None, None, None));
    }

    /// A path of no keys makes the facts' own node a fact: the facts must
    /// still be an object, and are read as one.
    #[test]
    fn the_facts_are_an_object_even_where_a_path_is_empty() {
        let empty: &[&str] = &[];
        assert_eq!(both(&[empty], &"x"), (None, None));
        assert_eq!(both(&[empty], &3), (None, None));
        let object = serde_json::json!({ "a": 1 });
        let (serialized, scanned) = both(&[empty], &object);
        assert_eq!(serialized, Some(vec![String::from("Absent")]));
        assert_eq!(serialized, scanned);
    }

    /// A `Serialize` that goes on past an error of one of its entries (one
    /// the picker gave up on) is not picked: the slot it left is unread.
    #[test]
    fn an_error_passed_over_is_still_given_up_on() {
        struct PassesOver;
        impl Serialize for PassesOver {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap;
                let mut map = serializer.serialize_map(None)?;
                let _ = map.serialize_entry("x", &0.5f32);
                map.serialize_entry("y", "v")?;
                map.end()
            }
        }
        let (serialized, _) = both(&[&["x"], &["y"]], &PassesOver);
        assert_eq!(serialized, None);
    }

    /// What lies at the bottom of a [`Nested`] value.
    #[derive(Clone, Copy, Debug)]
    enum Leaf {
        Number,
        /// `[[1]]`.
        Arrays,
        /// Bytes, written as an array of numbers.
        Bytes,
    }

    /// A value nested `depth` deep: an object of one key per level, then
    /// `leaf`.
    struct Nested {
        depth: usize,
        leaf: Leaf,
    }

    impl Serialize for Nested {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeMap;
            match (self.depth, self.leaf) {
                (0, Leaf::Number) => serializer.serialize_u8(1),
                (0, Leaf::Arrays) => [[1]].serialize(serializer),
                (0, Leaf::Bytes) => serializer.serialize_bytes(b"ab"),
                (depth, leaf) => {
                    let mut map = serializer.serialize_map(Some(1))?;
                    map.serialize_entry(
                        "d",
                        &Nested {
                            depth: depth - 1,
                            leaf,
                        },
                    )?;
                    map.end()
                }
            }
        }
    }

    /// The picker gives up at the depth the text scanner gives up at, for
    /// objects, arrays and bytes (an array of its own), and picks what it
    /// picks below it.
    #[test]
    fn nesting_is_given_up_on_where_the_text_is() {
        let max = super::MAX_DEPTH;
        for depth in [max - 2, max - 1, max, max + 1] {
            for leaf in [Leaf::Number, Leaf::Arrays, Leaf::Bytes] {
                let (serialized, scanned) = both(&[&["d"]], &Nested { depth, leaf });
                assert_eq!(serialized, scanned, "{leaf:?} {depth} deep");
            }
        }
        // Both read what lies below the limit.
        let below = Nested {
            depth: max - 1,
            leaf: Leaf::Bytes,
        };
        assert_eq!(both(&[&["d"]], &below).0, Some(vec![String::from("Other")]));
    }

    /// Objects nested to the deepest level the facts may have are picked,
    /// and a value at the facts' own level after them still is one.
    #[test]
    fn nesting_is_counted_in_and_out() {
        let mut deep = serde_json::json!(1);
        for _ in 0..(super::MAX_DEPTH - 2) {
            deep = serde_json::json!({ "d": deep });
        }
        let value = serde_json::json!({ "a": deep, "b": [[[]]], "c": "last" });
        // Slots are numbered in the order the paths are declared.
        let picked = picked_as_text_picks(&["c", "a.d"], &value);
        assert_eq!(picked[0], "str last");
    }

    /// The bits of every range of slots, as the shifts of 128-bit masks
    /// that `slot_bits` once was: bit `i` for slot `i`, and the last bit
    /// for every slot from 63 on.
    #[test]
    fn slot_bits_mark_each_slot_and_share_the_last() {
        for start in 0..130 {
            for end in 0..130 {
                let mut expected = 0u64;
                for slot in start..end {
                    expected |= 1 << slot.min(63);
                }
                assert_eq!(slot_bits(start..end), expected, "{start}..{end}");
            }
        }
    }
}
