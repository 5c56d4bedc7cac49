//! Sets of atoms of one fact, as bit sets: what a rule allows of a fact.

use super::Atom;

/// A set of atoms of one fact, as a bit set.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AtomSet {
    words: Vec<u64>,
    len: u32,
}

impl AtomSet {
    pub fn empty(len: u32) -> AtomSet {
        AtomSet {
            words: vec![0; (len as usize).div_ceil(64)],
            len,
        }
    }

    pub fn from_atoms(len: u32, atoms: impl IntoIterator<Item = Atom>) -> AtomSet {
        let mut set = AtomSet::empty(len);
        for atom in atoms {
            set.insert(atom);
        }
        set
    }

    pub fn universe(&self) -> u32 {
        self.len
    }

    pub fn insert(&mut self, atom: Atom) {
        if atom < self.len {
            if let Some(word) = self.words.get_mut(atom as usize / 64) {
                *word |= 1 << (atom % 64);
            }
        }
    }

    pub fn contains(&self, atom: Atom) -> bool {
        self.words
            .get(atom as usize / 64)
            .is_some_and(|word| word & (1 << (atom % 64)) != 0)
    }

    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|w| *w == 0)
    }

    pub fn is_full(&self) -> bool {
        self.count() == self.len
    }

    pub fn count(&self) -> u32 {
        self.words.iter().map(|w| w.count_ones()).sum()
    }

    pub fn intersect(&self, other: &AtomSet) -> AtomSet {
        AtomSet {
            words: self
                .words
                .iter()
                .zip(&other.words)
                .map(|(a, b)| a & b)
                .collect(),
            len: self.len,
        }
    }

    pub fn union(&self, other: &AtomSet) -> AtomSet {
        AtomSet {
            words: self
                .words
                .iter()
                .zip(&other.words)
                .map(|(a, b)| a | b)
                .collect(),
            len: self.len,
        }
    }

    pub fn complement(&self) -> AtomSet {
        AtomSet::from_atoms(self.len, (0..self.len).filter(|a| !self.contains(*a)))
    }

    pub fn is_subset(&self, other: &AtomSet) -> bool {
        self.words
            .iter()
            .zip(&other.words)
            .all(|(a, b)| a & !b == 0)
    }

    pub fn iter(&self) -> impl Iterator<Item = Atom> + '_ {
        self.words.iter().enumerate().flat_map(|(i, word)| {
            let mut bits = *word;
            std::iter::from_fn(move || {
                (bits != 0).then(|| {
                    let bit = bits.trailing_zeros();
                    bits &= bits - 1;
                    i as Atom * 64 + bit
                })
            })
        })
    }

    pub fn first(&self) -> Option<Atom> {
        self.iter().next()
    }
}
