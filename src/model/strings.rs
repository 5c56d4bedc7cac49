//! The atoms of a string fact: the literals its rules compare with, and the
//! classes of all other strings by the longest declared prefix and the
//! longest declared suffix they have. Two strings in one class pass and
//! fail the same `=`, `in`, `starts with` and `ends with` tests, so the
//! classes are as fine as the rules need and no finer.

use super::Atom;

/// What the rules of a policy test a string fact with.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Strings {
    /// Strings compared with `=`, `!=` or `in`: atoms `0..literals.len()`.
    pub literals: Vec<String>,
    /// Prefixes tested with `starts with`, none empty, each once.
    pub prefixes: Vec<String>,
    /// Suffixes tested with `ends with`, none empty, each once.
    pub suffixes: Vec<String>,
}

/// A class of strings that are not literals: the index of the longest
/// prefix they start with and of the longest suffix they end with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Class {
    prefix: Option<usize>,
    suffix: Option<usize>,
}

impl Strings {
    /// How many atoms present strings fall into.
    pub fn atoms(&self) -> u32 {
        (self.literals.len() + (self.prefixes.len() + 1) * (self.suffixes.len() + 1)) as u32
    }

    /// The atom of a string that is none of the literals.
    #[inline]
    pub fn other_atom(&self, s: &[u8]) -> Atom {
        if self.prefixes.is_empty() && self.suffixes.is_empty() {
            return self.literals.len() as Atom;
        }
        self.atom_of_class(Class {
            prefix: longest(&self.prefixes, |p| s.starts_with(p.as_bytes())),
            suffix: longest(&self.suffixes, |x| s.ends_with(x.as_bytes())),
        })
    }

    fn atom_of_class(&self, class: Class) -> Atom {
        let p = class.prefix.map_or(0, |i| i + 1);
        let q = class.suffix.map_or(0, |i| i + 1);
        (self.literals.len() + p * (self.suffixes.len() + 1) + q) as Atom
    }

    fn class(&self, atom: Atom) -> Option<Class> {
        let i = (atom as usize).checked_sub(self.literals.len())?;
        let width = self.suffixes.len() + 1;
        let (p, q) = (i / width, i % width);
        (p <= self.prefixes.len()).then(|| Class {
            prefix: p.checked_sub(1),
            suffix: q.checked_sub(1),
        })
    }

    /// Whether every string of `atom` starts with `prefix`, which must be
    /// one of [`prefixes`](Self::prefixes) or empty.
    pub fn starts_with(&self, atom: Atom, prefix: &str) -> bool {
        match self.literals.get(atom as usize) {
            Some(literal) => literal.starts_with(prefix),
            // The longest prefix a string has starts with every shorter
            // one it has.
            None => {
                prefix.is_empty()
                    || self
                        .class(atom)
                        .and_then(|c| self.prefixes.get(c.prefix?))
                        .is_some_and(|longest| longest.starts_with(prefix))
            }
        }
    }

    /// Whether every string of `atom` ends with `suffix`, which must be one
    /// of [`suffixes`](Self::suffixes) or empty.
    pub fn ends_with(&self, atom: Atom, suffix: &str) -> bool {
        match self.literals.get(atom as usize) {
            Some(literal) => literal.ends_with(suffix),
            None => {
                suffix.is_empty()
                    || self
                        .class(atom)
                        .and_then(|c| self.suffixes.get(c.suffix?))
                        .is_some_and(|longest| longest.ends_with(suffix))
            }
        }
    }

    /// A string of `atom`: the literal, or the class's prefix and suffix
    /// around a filler that adds no longer prefix or suffix.
    pub fn representative(&self, atom: Atom) -> Option<String> {
        if let Some(literal) = self.literals.get(atom as usize) {
            return Some(literal.clone());
        }
        let class = self.class(atom)?;
        let prefix = class
            .prefix
            .and_then(|i| self.prefixes.get(i))
            .map_or("", String::as_str);
        let suffix = class
            .suffix
            .and_then(|i| self.suffixes.get(i))
            .map_or("", String::as_str);
        let fits = |s: &str| {
            !self.literals.iter().any(|l| l == s) && self.other_atom(s.as_bytes()) == atom
        };
        // "other" reads best where no prefix or suffix is wanted.
        let fillers: &[&str] = if prefix.is_empty() && suffix.is_empty() {
            &["other", "other_", "x", ""]
        } else {
            &["", "x", "other", "other_"]
        };
        let readable = fillers
            .iter()
            .map(|filler| format!("{prefix}{filler}{suffix}"))
            .find(|s| fits(s));
        // A character no literal, prefix or suffix holds always fits: no
        // longer prefix or suffix can match across it, and no literal
        // contains it.
        readable.or_else(|| {
            let fresh = ('x'..='z')
                .chain('a'..='w')
                .chain('\u{e0}'..='\u{17f}')
                .chain('\u{4e00}'..='\u{9fff}')
                .find(|c| {
                    !self
                        .literals
                        .iter()
                        .chain(&self.prefixes)
                        .chain(&self.suffixes)
                        .any(|s| s.contains(*c))
                })?;
            Some(format!("{prefix}{fresh}{suffix}"))
        })
    }

    /// Up to `many` different strings of `atom` (a literal atom has one).
    pub fn representatives(&self, atom: Atom, many: usize) -> Vec<String> {
        let Some(first) = self.representative(atom) else {
            return Vec::new();
        };
        if (atom as usize) < self.literals.len() {
            return vec![first];
        }
        let mut found = vec![first.clone()];
        let Some(class) = self.class(atom) else {
            return found;
        };
        let prefix = class
            .prefix
            .and_then(|i| self.prefixes.get(i))
            .map_or("", String::as_str);
        let suffix = class
            .suffix
            .and_then(|i| self.suffixes.get(i))
            .map_or("", String::as_str);
        for i in 0..many * 4 {
            if found.len() >= many {
                break;
            }
            let candidate = format!("{prefix}{first}{i}{suffix}");
            let fits = !self.literals.contains(&candidate)
                && self.other_atom(candidate.as_bytes()) == atom;
            if fits && !found.contains(&candidate) {
                found.push(candidate);
            }
        }
        found
    }

    /// Words for an atom: `"DE"`, `any other string`, `other strings
    /// starting with "D"`.
    pub fn describe(&self, atom: Atom) -> String {
        if let Some(literal) = self.literals.get(atom as usize) {
            return format!("{literal:?}");
        }
        let Some(class) = self.class(atom) else {
            return String::new();
        };
        let prefix = class.prefix.and_then(|i| self.prefixes.get(i));
        let suffix = class.suffix.and_then(|i| self.suffixes.get(i));
        let other = if self.literals.is_empty() {
            "strings"
        } else {
            "other strings"
        };
        match (prefix, suffix) {
            (None, None) if self.prefixes.is_empty() && self.suffixes.is_empty() => {
                String::from("any other string")
            }
            (None, None) => format!("{other} with none of the tested prefixes and suffixes"),
            (Some(p), None) => format!("{other} starting with {p:?}"),
            (None, Some(s)) => format!("{other} ending with {s:?}"),
            (Some(p), Some(s)) => format!("{other} starting with {p:?} and ending with {s:?}"),
        }
    }

    /// Words for the atoms of `set` that are present strings: literals
    /// quoted, and the classes, where a set holds every class of one
    /// prefix (or suffix), as that prefix alone.
    pub fn describe_atoms(&self, set: impl Iterator<Item = Atom>) -> Vec<String> {
        let mut items = Vec::new();
        let mut classes: Vec<Class> = Vec::new();
        for atom in set {
            match self.class(atom) {
                Some(class) => classes.push(class),
                None if (atom as usize) < self.literals.len() => items.push(self.describe(atom)),
                None => {}
            }
        }
        let prefixes = self.prefixes.len() + 1;
        let suffixes = self.suffixes.len() + 1;
        if classes.len() == prefixes * suffixes {
            items.push(String::from("any other string"));
            return items;
        }
        let other = if self.literals.is_empty() {
            "strings"
        } else {
            "other strings"
        };
        // Whole rows: every suffix with one longest prefix.
        for p in (0..self.prefixes.len()).map(Some) {
            let row = |c: &Class| c.prefix == p;
            if classes.iter().filter(|c| row(c)).count() == suffixes {
                if let Some(text) = p.and_then(|i| self.prefixes.get(i)) {
                    items.push(format!("{other} starting with {text:?}"));
                }
                classes.retain(|c| !row(c));
            }
        }
        for q in (0..self.suffixes.len()).map(Some) {
            let column = |c: &Class| c.suffix == q;
            if classes.iter().filter(|c| column(c)).count() == prefixes {
                if let Some(text) = q.and_then(|i| self.suffixes.get(i)) {
                    items.push(format!("{other} ending with {text:?}"));
                }
                classes.retain(|c| !column(c));
            }
        }
        items.extend(
            classes
                .into_iter()
                .map(|class| self.describe(self.atom_of_class(class))),
        );
        items
    }

    /// The domain that tells apart every string either of two does: their
    /// literals, prefixes and suffixes together.
    pub fn joined(&self, other: &Strings) -> Strings {
        let union = |a: &[String], b: &[String]| {
            let mut all = a.to_vec();
            all.extend(b.iter().filter(|s| !a.contains(s)).cloned());
            all
        };
        Strings {
            literals: union(&self.literals, &other.literals),
            prefixes: union(&self.prefixes, &other.prefixes),
            suffixes: union(&self.suffixes, &other.suffixes),
        }
    }
}

/// The index of the longest of `texts` that `has` holds for.
fn longest(texts: &[String], has: impl Fn(&String) -> bool) -> Option<usize> {
    texts
        .iter()
        .enumerate()
        .filter(|(_, t)| has(t))
        .max_by_key(|(_, t)| t.len())
        .map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domain() -> Strings {
        Strings {
            literals: vec![String::from("DE"), String::from("Dx")],
            prefixes: vec![String::from("D"), String::from("DA")],
            suffixes: vec![String::from(".pdf")],
        }
    }

    #[test]
    fn every_atom_has_a_representative_that_falls_in_it() {
        let strings = domain();
        for atom in 0..strings.atoms() {
            let s = strings
                .representative(atom)
                .expect("every atom is realizable");
            let back = match strings.literals.iter().position(|l| *l == s) {
                Some(i) => i as Atom,
                None => strings.other_atom(s.as_bytes()),
            };
            assert_eq!(back, atom, "{s:?}");
        }
    }

    #[test]
    fn classes_know_their_prefixes_and_suffixes() {
        let strings = domain();
        let atom = strings.other_atom(b"DAB.pdf");
        assert!(strings.starts_with(atom, "D"));
        assert!(strings.starts_with(atom, "DA"));
        assert!(strings.ends_with(atom, ".pdf"));
        let atom = strings.other_atom(b"Dog");
        assert!(strings.starts_with(atom, "D"));
        assert!(!strings.starts_with(atom, "DA"));
        assert!(!strings.ends_with(atom, ".pdf"));
        assert!(strings.starts_with(0, "D"), "the literal DE starts with D");
        assert_eq!(
            strings.describe(strings.other_atom(b"DAB.pdf")),
            r#"other strings starting with "DA" and ending with ".pdf""#
        );
    }

    proptest::proptest! {
        /// A string's atom passes exactly the tests the string does, and
        /// each atom's representative falls back into it.
        #[test]
        fn atoms_decide_as_the_strings_do(
            literals in proptest::collection::vec("[ab.]{0,3}", 0..4),
            prefixes in proptest::collection::vec("[ab.]{1,3}", 0..4),
            suffixes in proptest::collection::vec("[ab.]{1,3}", 0..4),
            inputs in proptest::collection::vec("[ab.x]{0,5}", 1..16),
        ) {
            let dedup = |mut v: Vec<String>| { v.sort(); v.dedup(); v };
            let strings = Strings {
                literals: dedup(literals),
                prefixes: dedup(prefixes),
                suffixes: dedup(suffixes),
            };
            let atom_of = |s: &str| match strings.literals.iter().position(|l| l == s) {
                Some(i) => i as Atom,
                None => strings.other_atom(s.as_bytes()),
            };
            for input in &inputs {
                let atom = atom_of(input);
                proptest::prop_assert!(atom < strings.atoms());
                for prefix in &strings.prefixes {
                    proptest::prop_assert_eq!(strings.starts_with(atom, prefix), input.starts_with(prefix.as_str()), "{:?} {:?}", input, prefix);
                }
                for suffix in &strings.suffixes {
                    proptest::prop_assert_eq!(strings.ends_with(atom, suffix), input.ends_with(suffix.as_str()), "{:?} {:?}", input, suffix);
                }
            }
            for atom in 0..strings.atoms() {
                let s = strings.representative(atom);
                proptest::prop_assert!(s.is_some(), "atom {} has no representative", atom);
                proptest::prop_assert_eq!(atom_of(&s.unwrap_or_default()), atom);
            }
        }
    }

    #[test]
    fn a_crowded_alphabet_still_has_representatives() {
        // Prefixes made of every readable filler force the fresh character.
        let strings = Strings {
            literals: Vec::new(),
            prefixes: ('a'..='z').map(String::from).collect(),
            suffixes: Vec::new(),
        };
        for atom in 0..strings.atoms() {
            let s = strings.representative(atom).expect("realizable");
            assert_eq!(strings.other_atom(s.as_bytes()), atom, "{s:?}");
        }
    }
}
