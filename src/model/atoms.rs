//! Sets of atoms of one fact: what a rule allows of a fact. A set is kept
//! as its runs of consecutive atoms, so that what rules usually say (one
//! value, all but one, an interval of numbers, a few values) takes a few
//! words however many atoms the fact has: a fact with 200,000 values or
//! 100,000 distinct number bounds costs each rule a run or two, not a bit
//! per atom.

use super::Atom;

/// A set of atoms of one fact, out of `0..len`: sorted, disjoint,
/// non-adjacent half-open runs `start..end`, none empty. The form is
/// canonical, so equal sets are equal values.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct AtomSet {
    runs: Vec<(Atom, Atom)>,
    len: u32,
}

impl AtomSet {
    /// The set of `atoms`, in any order; those past `len` are left out.
    pub fn from_atoms(len: u32, atoms: impl IntoIterator<Item = Atom>) -> AtomSet {
        let mut atoms: Vec<Atom> = atoms.into_iter().filter(|a| *a < len).collect();
        atoms.sort_unstable();
        atoms.dedup();
        let mut runs: Vec<(Atom, Atom)> = Vec::new();
        for atom in atoms {
            match runs.last_mut() {
                Some((_, end)) if *end == atom => *end = atom + 1,
                _ => runs.push((atom, atom + 1)),
            }
        }
        AtomSet { runs, len }
    }

    /// The set of the atoms whose bits `word` sets (atom `a` is bit `a`);
    /// those past `len` are left out.
    pub fn from_word(len: u32, word: u64) -> AtomSet {
        let mut word = match len {
            64.. => word,
            len => word & ((1u64 << len) - 1),
        };
        let mut runs = Vec::new();
        while word != 0 {
            let start = word.trailing_zeros();
            let end = start + (word >> start).trailing_ones();
            runs.push((start, end));
            word = word.checked_shr(end).map_or(0, |rest| rest << end);
        }
        AtomSet { runs, len }
    }

    /// The atoms `start..end` (clamped to the universe).
    pub fn range(len: u32, start: Atom, end: Atom) -> AtomSet {
        let end = end.min(len);
        AtomSet {
            runs: if start < end {
                vec![(start, end)]
            } else {
                Vec::new()
            },
            len,
        }
    }

    pub fn universe(&self) -> u32 {
        self.len
    }

    pub fn contains(&self, atom: Atom) -> bool {
        // The last run starting at or before `atom`.
        let at = self.runs.partition_point(|(start, _)| *start <= atom);
        at.checked_sub(1)
            .and_then(|i| self.runs.get(i))
            .is_some_and(|(_, end)| atom < *end)
    }

    pub fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }

    pub fn is_full(&self) -> bool {
        self.len == 0 || self.runs.as_slice() == [(0, self.len)]
    }

    pub fn count(&self) -> u32 {
        self.runs.iter().map(|(start, end)| end - start).sum()
    }

    pub fn intersect(&self, other: &AtomSet) -> AtomSet {
        let mut runs = Vec::new();
        let (mut a, mut b) = (self.runs.iter().peekable(), other.runs.iter().peekable());
        while let (Some(&&(a_start, a_end)), Some(&&(b_start, b_end))) = (a.peek(), b.peek()) {
            let (start, end) = (a_start.max(b_start), a_end.min(b_end));
            if start < end {
                runs.push((start, end));
            }
            // The run that ends first has nothing more in common.
            if a_end <= b_end {
                a.next();
            } else {
                b.next();
            }
        }
        AtomSet {
            runs,
            len: self.len,
        }
    }

    /// Whether the two sets share an atom (as `!intersect(other).is_empty()`,
    /// without building the intersection).
    pub fn intersects(&self, other: &AtomSet) -> bool {
        let (mut a, mut b) = (self.runs.iter().peekable(), other.runs.iter().peekable());
        while let (Some(&&(a_start, a_end)), Some(&&(b_start, b_end))) = (a.peek(), b.peek()) {
            if a_start.max(b_start) < a_end.min(b_end) {
                return true;
            }
            if a_end <= b_end {
                a.next();
            } else {
                b.next();
            }
        }
        false
    }

    pub fn union(&self, other: &AtomSet) -> AtomSet {
        let mut runs: Vec<(Atom, Atom)> = Vec::with_capacity(self.runs.len() + other.runs.len());
        let (mut a, mut b) = (self.runs.iter().peekable(), other.runs.iter().peekable());
        loop {
            // The run that starts first goes next.
            let next = match (a.peek(), b.peek()) {
                (Some(x), Some(y)) if x.0 <= y.0 => a.next(),
                (Some(_), Some(_)) => b.next(),
                (Some(_), None) => a.next(),
                (None, Some(_)) => b.next(),
                (None, None) => break,
            };
            let Some(&(start, end)) = next else { break };
            match runs.last_mut() {
                Some((_, last_end)) if start <= *last_end => *last_end = (*last_end).max(end),
                _ => runs.push((start, end)),
            }
        }
        AtomSet {
            runs,
            len: self.len.max(other.len),
        }
    }

    pub fn complement(&self) -> AtomSet {
        let mut runs = Vec::with_capacity(self.runs.len() + 1);
        let mut from = 0;
        for (start, end) in &self.runs {
            if from < *start {
                runs.push((from, *start));
            }
            from = *end;
        }
        if from < self.len {
            runs.push((from, self.len));
        }
        AtomSet {
            runs,
            len: self.len,
        }
    }

    pub fn is_subset(&self, other: &AtomSet) -> bool {
        // Every run lies within one of `other`'s (they are non-adjacent).
        let mut theirs = other.runs.iter().peekable();
        self.runs.iter().all(|(start, end)| {
            while theirs
                .peek()
                .is_some_and(|(_, their_end)| their_end <= start)
            {
                theirs.next();
            }
            theirs
                .peek()
                .is_some_and(|(their_start, their_end)| their_start <= start && end <= their_end)
        })
    }

    /// The runs of consecutive atoms, `start..end`, in order.
    pub fn runs(&self) -> impl Iterator<Item = (Atom, Atom)> + '_ {
        self.runs.iter().copied()
    }

    pub fn iter(&self) -> impl Iterator<Item = Atom> + '_ {
        self.runs.iter().flat_map(|(start, end)| *start..*end)
    }

    pub fn first(&self) -> Option<Atom> {
        self.runs.first().map(|(start, _)| *start)
    }
}

#[cfg(test)]
mod tests {
    use super::AtomSet;

    /// A set read off a word is the set of its bits' atoms.
    #[test]
    fn a_word_is_the_set_of_its_bits() {
        let words = [
            0,
            1,
            0b1011_0110,
            u64::MAX,
            1 << 63,
            u64::MAX - 1,
            0xF0F0_0000_0000_0F0F,
        ];
        for len in [0, 1, 5, 8, 63, 64] {
            for word in words {
                let atoms = (0..len).filter(|a| word >> a & 1 == 1);
                assert_eq!(
                    AtomSet::from_word(len, word),
                    AtomSet::from_atoms(len, atoms),
                    "{word:#x} of {len}"
                );
            }
        }
    }

    /// Each operation agrees with the same one on plain sets of atoms.
    #[test]
    fn runs_behave_as_sets() {
        let len = 70;
        let sets: Vec<Vec<u32>> = vec![
            vec![],
            vec![0],
            vec![69],
            (0..70).collect(),
            vec![1, 2, 3, 10, 11, 64, 65, 69],
            (0..70).filter(|a| a % 3 == 0).collect(),
            (5..60).collect(),
            vec![0, 2, 4, 63, 64],
        ];
        let set = |atoms: &Vec<u32>| AtomSet::from_atoms(len, atoms.iter().copied());
        let plain = |s: &AtomSet| s.iter().collect::<Vec<u32>>();
        for a in &sets {
            let x = set(a);
            assert_eq!(plain(&x), *a);
            assert_eq!(x.count() as usize, a.len());
            assert_eq!(x.is_empty(), a.is_empty());
            assert_eq!(x.is_full(), a.len() == 70);
            assert_eq!(x.first(), a.first().copied());
            let complement: Vec<u32> = (0..len).filter(|v| !a.contains(v)).collect();
            assert_eq!(plain(&x.complement()), complement);
            for atom in 0..len + 2 {
                assert_eq!(x.contains(atom), a.contains(&atom));
            }
            for b in &sets {
                let y = set(b);
                let both: Vec<u32> = a.iter().filter(|v| b.contains(v)).copied().collect();
                let mut either: Vec<u32> = a.iter().chain(b).copied().collect();
                either.sort_unstable();
                either.dedup();
                assert_eq!(plain(&x.intersect(&y)), both);
                assert_eq!(x.intersect(&y), set(&both));
                assert_eq!(x.union(&y), set(&either));
                assert_eq!(x.intersects(&y), !both.is_empty());
                assert_eq!(x.is_subset(&y), a.iter().all(|v| b.contains(v)));
            }
        }
    }
}
