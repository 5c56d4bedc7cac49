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
//! the `Value`, which decides or says why not. Values off the declared
//! paths are walked too, so that one that `to_value` would refuse is
//! refused here.

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
        let mut picked = Picked {
            slots: Slots::new(self.slots),
            written: 0,
        };
        facts
            .serialize(Picker {
                place: Place::Root(&self.root),
                picked: &mut picked,
                depth: 0,
            })
            .ok()?;
        Some(decide(&picked.slots))
    }
}

/// The slots being filled.
struct Picked {
    slots: Slots<'static>,
    /// The slots set to anything but absent, by bit (slot 63 and all past
    /// it share the last), so that an object seen for the first time has
    /// nothing to clear.
    written: u64,
}

/// The bits of [`Picked::written`] for the slots in `slots`.
#[inline]
fn written_bits(slots: std::ops::Range<usize>) -> u64 {
    if slots.start >= slots.end {
        return 0;
    }
    // Bits `low..high`, 1 to 64 of them, then the shared last bit.
    let (low, high) = (slots.start.min(63), slots.end.min(64));
    let mut bits = (u64::MAX >> (64 - (high - low))) << low;
    if slots.end > 63 {
        bits |= 1 << 63;
    }
    bits
}

/// Where a value sits among the declared paths.
#[derive(Clone, Copy)]
enum Place<'p> {
    /// The facts themselves: only an object will do.
    Root(&'p KeyNode),
    /// An object on the way to facts.
    Inner(&'p KeyNode),
    /// A fact's value, kept in this slot.
    Leaf(usize),
    /// Off every declared path: walked only for what `to_value` refuses.
    Off,
}

impl<'p> Place<'p> {
    /// The place of the value under `key` in an object at `self`.
    fn child(self, key: &str) -> Place<'p> {
        self.child_after(key, &mut 0)
    }

    /// [`child`](Self::child), trying first the declared key at `hint`,
    /// and leaving `hint` just past the key found: a struct's fields come
    /// in the same order every time, most often the order the policy
    /// declares its paths in, so each is found in one comparison.
    #[inline]
    fn child_after(self, key: &str, hint: &mut usize) -> Place<'p> {
        let node = match self {
            Place::Root(node) | Place::Inner(node) => node,
            Place::Leaf(_) | Place::Off => return Place::Off,
        };
        let found = match node.children.get(*hint) {
            Some((k, child)) if crate::model::same_bytes(k.as_bytes(), key.as_bytes()) => {
                Some((*hint, child))
            }
            _ => node.child(key.as_bytes()),
        };
        match found {
            Some((at, child)) => {
                *hint = at + 1;
                if child.children.is_empty() {
                    child.slot().map_or(Place::Off, Place::Leaf)
                } else {
                    Place::Inner(child)
                }
            }
            None => Place::Off,
        }
    }
}

/// The serializer of one value at one place.
struct Picker<'a, 'p> {
    place: Place<'p>,
    picked: &'a mut Picked,
    depth: usize,
}

impl<'a, 'p> Picker<'a, 'p> {
    /// Sets what a value that is not an object leaves at this place: the
    /// slot for a fact; every slot under an object on the way (absent for
    /// `null`, else not an object).
    #[inline]
    fn set(&mut self, slot: Slot<'static>) -> Result<(), GiveUp> {
        match self.place {
            Place::Root(_) => return Err(GiveUp),
            Place::Inner(node) => {
                let to = match slot {
                    Slot::Absent => Slot::Absent,
                    _ => Slot::Other,
                };
                self.clear(node, to);
            }
            Place::Leaf(at) => {
                if !matches!(slot, Slot::Absent) {
                    // Slot 63 and all past it share the last bit.
                    self.picked.written |= 1 << at.min(63);
                }
                if let Some(s) = self.picked.slots.get_mut(at) {
                    *s = slot;
                }
            }
            Place::Off => {}
        }
        Ok(())
    }

    /// Sets every slot under `node` to `to`.
    fn clear(&mut self, node: &KeyNode, to: Slot<'static>) {
        let under = node.under();
        let mask = written_bits(under.clone());
        if matches!(to, Slot::Absent) && self.picked.written & mask == 0 {
            return;
        }
        if !matches!(to, Slot::Absent) {
            self.picked.written |= mask;
        }
        if let Some(slots) = self.picked.slots.get_mut(under) {
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
        match self.place {
            Place::Leaf(_) => self.set(match ShortStr::new(s) {
                Some(short) => Slot::Short(short),
                None => Slot::Str(std::borrow::Cow::Owned(s.to_owned())),
            }),
            _ => self.set(Slot::Other),
        }
    }

    /// Gives up where facts lie below: a variant with fields is
    /// `{variant: ...}`, which is not read on the way to facts.
    fn no_facts_below(&self) -> Result<(), GiveUp> {
        match self.place {
            Place::Root(_) | Place::Inner(_) => Err(GiveUp),
            Place::Leaf(_) | Place::Off => Ok(()),
        }
    }

    /// An object here: its entries are then placed by key.
    fn object(mut self) -> Result<Object<'a, 'p>, GiveUp> {
        let depth = self.depth + 1;
        if depth > MAX_DEPTH {
            return Err(GiveUp);
        }
        let inner = match self.place {
            // A repeated key replaces the whole value, as in a `Value`.
            Place::Root(node) | Place::Inner(node) => {
                self.clear(node, Slot::Absent);
                self.place
            }
            Place::Leaf(_) => {
                self.set(Slot::Other)?;
                Place::Off
            }
            Place::Off => Place::Off,
        };
        Ok(Object {
            place: inner,
            picked: self.picked,
            depth,
            next: None,
            hint: 0,
        })
    }

    /// An array here: its items are off every path.
    fn array(mut self) -> Result<Array<'a>, GiveUp> {
        let depth = self.depth + 1;
        if depth > MAX_DEPTH {
            return Err(GiveUp);
        }
        self.set(Slot::Other)?;
        Ok(Array {
            picked: self.picked,
            depth,
        })
    }
}

/// The entries of an object being picked.
struct Object<'a, 'p> {
    place: Place<'p>,
    picked: &'a mut Picked,
    depth: usize,
    /// Where the value of the last key goes (`None` before a key).
    next: Option<Place<'p>>,
    /// The declared key to try first for the next field (see
    /// [`Place::child_after`]).
    hint: usize,
}

impl Object<'_, '_> {
    fn entry<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), GiveUp> {
        let place = self.place.child_after(key, &mut self.hint);
        value.serialize(Picker {
            place,
            picked: self.picked,
            depth: self.depth,
        })
    }
}

/// The items of an array: off every path.
struct Array<'a> {
    picked: &'a mut Picked,
    depth: usize,
}

impl Array<'_> {
    fn item<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), GiveUp> {
        value.serialize(Picker {
            place: Place::Off,
            picked: self.picked,
            depth: self.depth,
        })
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
    type SerializeSeq = Array<'a>;
    type SerializeTuple = Array<'a>;
    type SerializeTupleStruct = Array<'a>;
    type SerializeTupleVariant = Array<'a>;
    type SerializeMap = Object<'a, 'p>;
    type SerializeStruct = Object<'a, 'p>;
    type SerializeStructVariant = Object<'a, 'p>;

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
        match self.place {
            // Widened or written short, depending on serde_json's features.
            Place::Leaf(_) => Err(GiveUp),
            _ if v.is_finite() => self.set(Slot::Other),
            _ => self.set(Slot::Absent),
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

    fn serialize_str(self, v: &str) -> Result<(), GiveUp> {
        self.string(v)
    }

    fn serialize_bytes(mut self, _: &[u8]) -> Result<(), GiveUp> {
        // An array of numbers.
        self.set(Slot::Other)
    }

    fn serialize_none(mut self) -> Result<(), GiveUp> {
        self.set(Slot::Absent)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), GiveUp> {
        value.serialize(self)
    }

    fn serialize_unit(mut self) -> Result<(), GiveUp> {
        self.set(Slot::Absent)
    }

    fn serialize_unit_struct(mut self, _: &'static str) -> Result<(), GiveUp> {
        self.set(Slot::Absent)
    }

    fn serialize_unit_variant(
        mut self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), GiveUp> {
        // The name outlives the decision: borrowed, neither copied nor
        // allocated.
        match self.place {
            Place::Leaf(_) => self.set(Slot::Str(std::borrow::Cow::Borrowed(variant))),
            _ => self.set(Slot::Other),
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
        object.entry(variant, value)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Array<'a>, GiveUp> {
        self.array()
    }

    fn serialize_tuple(self, _: usize) -> Result<Array<'a>, GiveUp> {
        self.array()
    }

    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Array<'a>, GiveUp> {
        self.array()
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Array<'a>, GiveUp> {
        self.no_facts_below()?;
        self.array()
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Object<'a, 'p>, GiveUp> {
        self.object()
    }

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
        impl ser::$kind for Array<'_> {
            type Ok = ();
            type Error = GiveUp;

            fn $item<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), GiveUp> {
                self.item(value)
            }

            fn end(self) -> Result<(), GiveUp> {
                Ok(())
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
        self.next = Some(key.serialize(Key { place: self.place })?);
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), GiveUp> {
        // A value with no key before it makes `to_value` panic: not ours.
        value.serialize(Picker {
            place: self.next.take().ok_or(GiveUp)?,
            picked: self.picked,
            depth: self.depth,
        })
    }

    fn end(self) -> Result<(), GiveUp> {
        Ok(())
    }
}

/// Structs, and the fields of struct variants, are objects with
/// `'static` keys.
macro_rules! struct_fields {
    ($($kind:ident),*) => {$(
        impl ser::$kind for Object<'_, '_> {
            type Ok = ();
            type Error = GiveUp;

            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), GiveUp> {
                self.entry(key, value)
            }

            fn end(self) -> Result<(), GiveUp> {
                Ok(())
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
        match self.place {
            Place::Leaf(_) | Place::Off => Ok(Place::Off),
            Place::Root(_) | Place::Inner(_) => self.text(&key.to_string()),
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
    use super::written_bits;

    /// The bits of every range of slots, as the shifts of 128-bit masks
    /// that `written_bits` once was: bit `i` for slot `i`, and the last bit
    /// for every slot from 63 on.
    #[test]
    fn written_bits_mark_each_slot_and_share_the_last() {
        for start in 0..130 {
            for end in 0..130 {
                let mut expected = 0u64;
                for slot in start..end {
                    expected |= 1 << slot.min(63);
                }
                assert_eq!(written_bits(start..end), expected, "{start}..{end}");
            }
        }
    }
}
