//! Finding a string among a fact's values with one hash and one
//! comparison: the lookup on the evaluation's hot path.

use super::{Atom, FactType};

/// How many values a fact may have and be found by comparing each in turn.
const LINEAR_VALUES: usize = 4;

/// The values of an enum fact (or the literals of a string fact) by hash:
/// open addressing over a table at least twice their number. Each slot
/// holds its value's [`Fingerprint`], which is the whole value when it has
/// at most 16 bytes (as a fact's values usually do), so that a lookup
/// compares two words and follows no pointer.
#[derive(Clone, Debug, Default)]
pub struct ValueIndex {
    slots: Vec<Slot>,
}

/// A slot of a [`ValueIndex`]: a value's fingerprint and its atom plus one
/// (zero: empty).
#[derive(Clone, Copy, Debug, Default)]
struct Slot {
    print: Fingerprint,
    atom: u32,
}

impl ValueIndex {
    /// The index of a fact type's values (empty for bools and numbers).
    pub fn of(ty: &FactType) -> ValueIndex {
        let values = match ty {
            FactType::Enum(values) => values,
            FactType::String(strings) => &strings.literals,
            FactType::Bool
            | FactType::Number(_)
            | FactType::Set(_)
            | FactType::Has(..)
            | FactType::Relation(_)
            | FactType::Time(..)
            | FactType::Local(_) => return ValueIndex::default(),
        };
        // A few values are compared in turn, as fast as a hash and without
        // a table: in a policy of many small enums the tables were a tenth
        // of what a loaded set holds.
        if values.len() <= LINEAR_VALUES {
            return ValueIndex::default();
        }
        let size = (values.len() * 2).next_power_of_two().max(4);
        let mut slots = vec![Slot::default(); size];
        for (atom, value) in values.iter().enumerate() {
            let print = Fingerprint::of(value.as_bytes());
            let mut at = print.hash() & (size - 1);
            // INVARIANT: the table has more slots than values, so a free
            // slot is found; a repeated value keeps its first atom.
            while let Some(slot) = slots.get_mut(at) {
                if slot.atom == 0 {
                    *slot = Slot {
                        print,
                        atom: atom as u32 + 1,
                    };
                    break;
                }
                if values.get(slot.atom as usize - 1) == Some(value) {
                    break;
                }
                at = (at + 1) & (size - 1);
            }
        }
        ValueIndex { slots }
    }

    /// The atom of `s` among `values` (those the index was built from).
    #[inline(always)]
    pub fn get(&self, values: &[String], s: &[u8]) -> Option<Atom> {
        let size = self.slots.len();
        if size == 0 {
            return values
                .iter()
                .position(|v| same_bytes(v.as_bytes(), s))
                .map(|i| i as Atom);
        }
        let print = Fingerprint::of(s);
        let mut at = print.hash() & (size - 1);
        loop {
            let slot = self.slots.get(at)?;
            let atom = slot.atom.checked_sub(1)?;
            if slot.print == print
                && (s.len() <= Fingerprint::WHOLE
                    || values.get(atom as usize).is_some_and(|v| v.as_bytes() == s))
            {
                return Some(atom);
            }
            at = (at + 1) & (size - 1);
        }
    }
}

/// Whether two byte strings are equal: inline for the short strings facts
/// are made of (two overlapping word reads instead of a call to `memcmp`).
#[inline]
pub fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    match n {
        0 => true,
        1..=3 => a.first() == b.first() && a.get(n / 2) == b.get(n / 2) && a.last() == b.last(),
        4..=7 => {
            a.first_chunk::<4>() == b.first_chunk::<4>()
                && a.last_chunk::<4>() == b.last_chunk::<4>()
        }
        8..=16 => {
            a.first_chunk::<8>() == b.first_chunk::<8>()
                && a.last_chunk::<8>() == b.last_chunk::<8>()
        }
        _ => a == b,
    }
}

/// A string's length with its first and last eight bytes (overlapping for
/// short strings, all of them for up to [`WHOLE`](Self::WHOLE) bytes):
/// equal fingerprints of strings that short mean equal strings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Fingerprint {
    head: u64,
    tail: u64,
    len: usize,
}

impl Fingerprint {
    /// Strings up to this long are wholly in their fingerprint.
    const WHOLE: usize = 16;

    #[inline(always)]
    fn of(bytes: &[u8]) -> Fingerprint {
        let n = bytes.len();
        let word8 = |chunk: Option<&[u8; 8]>| chunk.map_or(0, |b| u64::from_le_bytes(*b));
        let word4 =
            |chunk: Option<&[u8; 4]>| chunk.map_or(0, |b| u64::from(u32::from_le_bytes(*b)));
        let (head, tail) = if n >= 8 {
            (word8(bytes.first_chunk()), word8(bytes.last_chunk()))
        } else if n >= 4 {
            (
                word4(bytes.first_chunk()) | word4(bytes.last_chunk()) << 32,
                0,
            )
        } else {
            // Up to three bytes: the first, the middle and the last are all.
            let byte = |i: usize| u64::from(bytes.get(i).copied().unwrap_or(0));
            (
                byte(0) | byte(n / 2) << 8 | byte(n.saturating_sub(1)) << 16,
                0,
            )
        };
        Fingerprint { head, tail, len: n }
    }

    /// A hash, enough to spread a fact's values (the table resolves
    /// collisions).
    #[inline(always)]
    fn hash(&self) -> usize {
        let mixed = self.head.wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ self
                .tail
                .rotate_left(29)
                .wrapping_mul(0xC2B2_AE3D_27D4_EB4F)
            ^ self.len as u64;
        (mixed.wrapping_mul(0x1656_67B1_9E37_79F9) >> 32) as usize
    }
}
