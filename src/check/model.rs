//! The checked policy: declarations resolved, every rule reduced to one set of
//! allowed *atoms* per fact. An atom is a class of values that no rule of the
//! policy tells apart (an enum value, a number interval between two constants
//! the rules mention, a string literal, "any other string", or "absent"), so
//! a policy's behaviour is fully described over finitely many atoms.

use serde_json::Value;

use crate::source::Span;

/// Index of a fact in [`CheckedPolicy::facts`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FactId(pub u32);

/// Index of a rule in [`CheckedPolicy::rules`] (source order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleId(pub u32);

/// Index of an atom within one fact's domain.
pub type Atom = u32;

/// How rules are combined.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HitPolicy {
    /// At most one decision can apply to any facts; overlaps that disagree are errors.
    Unique,
    /// The first rule in source order that matches decides.
    First,
}

/// What a rule, or a policy with no applicable rule, decides.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Verdict {
    Allow,
    Deny,
    /// A named outcome, by its kebab-case name.
    Outcome(String),
    /// No decision (only as a policy's `otherwise`).
    None,
}

impl Verdict {
    /// The decision as output shows it: `allow`, `deny`, an outcome's name, or `none`.
    pub fn as_str(&self) -> &str {
        match self {
            Verdict::Allow => "allow",
            Verdict::Deny => "deny",
            Verdict::Outcome(name) => name,
            Verdict::None => "none",
        }
    }
}

#[derive(Clone, Debug)]
pub struct CheckedPolicy {
    pub name: String,
    pub doc: Option<String>,
    pub span: Span,
    pub hit: HitPolicy,
    pub otherwise: Verdict,
    /// The reason shown when no rule applies.
    pub otherwise_reason: Option<String>,
    pub facts: Vec<Fact>,
    pub outcomes: Vec<Outcome>,
    pub rules: Vec<CheckedRule>,
}

impl CheckedPolicy {
    pub fn fact(&self, id: FactId) -> Option<&Fact> {
        self.facts.get(id.0 as usize)
    }

    pub fn rule(&self, id: RuleId) -> Option<&CheckedRule> {
        self.rules.get(id.0 as usize)
    }

    /// A facts object where each listed fact has a value in its atom (an
    /// absent atom leaves the fact out): witnesses, examples and gaps.
    pub fn facts_json(&self, assignment: &[(FactId, Atom)]) -> Value {
        let mut root = Value::Object(serde_json::Map::new());
        for (fact, atom) in assignment {
            let Some(fact) = self.fact(*fact) else {
                continue;
            };
            let Some(value) = fact.representative(*atom) else {
                continue;
            };
            insert_at(&mut root, &fact.path, value);
        }
        root
    }

    /// The text a user is shown for a verdict reached without a `because`.
    pub fn outcome_doc(&self, verdict: &Verdict) -> Option<&str> {
        match verdict {
            Verdict::Outcome(name) => self
                .outcomes
                .iter()
                .find(|o| &o.name == name)
                .and_then(|o| o.doc.as_deref()),
            _ => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Outcome {
    pub name: String,
    pub doc: Option<String>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Fact {
    pub name: String,
    /// The JSON keys the value is read from, outermost first.
    pub path: Vec<String>,
    pub doc: Option<String>,
    /// The declaration, from the name to the path.
    pub span: Span,
    pub ty: FactType,
    /// What a missing value means.
    pub presence: Presence,
    /// For enum and string facts: the values (or literals) by hash, so a
    /// value's atom is found with one hash and one comparison.
    pub index: ValueIndex,
}

impl Fact {
    /// The path as written: `subscription.channel`, with keys that are not
    /// plain words quoted (`door."kind of door"`).
    pub fn path_string(&self) -> String {
        let keys: Vec<String> = self
            .path
            .iter()
            .map(|key| {
                let plain = !key.is_empty()
                    && key
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                if plain {
                    key.clone()
                } else {
                    serde_json::Value::String(key.clone()).to_string()
                }
            })
            .collect();
        keys.join(".")
    }

    /// How many atoms this fact's domain has.
    pub fn atom_count(&self) -> u32 {
        self.ty.value_atoms() + u32::from(self.presence == Presence::Optional)
    }

    /// The atom "absent", for optional facts.
    pub fn absent_atom(&self) -> Option<Atom> {
        (self.presence == Presence::Optional).then(|| self.ty.value_atoms())
    }

    /// The atom a JSON value falls in; `Err` says why the value does not fit.
    #[inline]
    pub fn classify(&self, value: &Value) -> Result<Atom, Misfit> {
        match value {
            Value::String(s) => self.classify_str(s),
            _ => self.ty.classify(value),
        }
    }

    /// [`classify`](Self::classify) for a string.
    #[inline(always)]
    pub fn classify_str(&self, s: &str) -> Result<Atom, Misfit> {
        self.classify_utf8(s.as_bytes())
    }

    /// [`classify_str`](Self::classify_str) for the bytes of a string.
    #[inline(always)]
    pub fn classify_utf8(&self, s: &[u8]) -> Result<Atom, Misfit> {
        match &self.ty {
            FactType::Enum(values) => self.index.get(values, s).ok_or(Misfit::NotInSet),
            FactType::String(literals) => Ok(self
                .index
                .get(literals, s)
                .unwrap_or(literals.len() as Atom)),
            FactType::Bool => Err(Misfit::Type {
                expected: "`true` or `false`",
            }),
            FactType::Number(_) => Err(Misfit::Type {
                expected: "a number",
            }),
        }
    }

    /// A JSON value inside `atom` (`None` for "absent"): witnesses and examples.
    pub fn representative(&self, atom: Atom) -> Option<Value> {
        self.ty.representative(atom)
    }

    /// Words for a set of atoms: `CSP`, `{Direct Advisor}`, `< 0 or >= 3`.
    /// Runs of neighbouring number atoms read as one interval.
    pub fn describe_set(&self, set: &AtomSet) -> String {
        let mut items: Vec<String> = Vec::new();
        let absent = self.absent_atom();
        if let FactType::Number(points) = &self.ty {
            let mut atoms = set.iter().filter(|a| Some(*a) != absent).peekable();
            while let Some(first) = atoms.next() {
                let mut last = first;
                while atoms.peek() == Some(&(last + 1)) {
                    last += 1;
                    atoms.next();
                }
                items.push(interval(points, first, last));
            }
            if absent.is_some_and(|a| set.contains(a)) {
                items.push(String::from("absent"));
            }
            return items.join(" or ");
        }
        items.extend(set.iter().map(|a| self.describe_atom(a)));
        match items.as_slice() {
            [one] => one.clone(),
            _ => format!("{{{}}}", items.join(" ")),
        }
    }

    /// Words for an atom, for trees and traces: `CSP`, `> 10`, `absent`.
    pub fn describe_atom(&self, atom: Atom) -> String {
        if Some(atom) == self.absent_atom() {
            return String::from("absent");
        }
        self.ty.describe_atom(atom)
    }
}

/// What a missing value means.
#[derive(Clone, Debug, PartialEq)]
pub enum Presence {
    /// A decision that depends on it cannot be made without it.
    Required,
    /// Absent is a value of its own: conditions on the fact do not hold,
    /// negated ones do.
    Optional,
    /// Absent means this atom.
    Default(Atom),
}

#[derive(Clone, Debug)]
pub enum FactType {
    /// Atoms are the values, in declaration order.
    Enum(Vec<String>),
    /// Atom 0 is `false`, 1 is `true`.
    Bool,
    /// The constants the policy compares with, sorted. Atoms alternate
    /// between open intervals and the constants: `(-inf, t0)`, `t0`,
    /// `(t0, t1)`, ..., `(tn, inf)`.
    Number(Vec<f64>),
    /// The literals the policy mentions; the atom after them is "any other string".
    String(Vec<String>),
}

/// Why a JSON value does not fit a fact.
#[derive(Clone, Debug, PartialEq)]
pub enum Misfit {
    /// The JSON type is wrong: what was expected, in words.
    Type { expected: &'static str },
    /// An enum value outside the declared set.
    NotInSet,
}

impl FactType {
    pub fn name(&self) -> &'static str {
        match self {
            FactType::Enum(_) => "one of a set of values",
            FactType::Bool => "bool",
            FactType::Number(_) => "number",
            FactType::String(_) => "string",
        }
    }

    /// Atoms for present values.
    pub fn value_atoms(&self) -> u32 {
        match self {
            FactType::Enum(values) => values.len() as u32,
            FactType::Bool => 2,
            FactType::Number(points) => 2 * points.len() as u32 + 1,
            FactType::String(literals) => literals.len() as u32 + 1,
        }
    }

    pub fn classify(&self, value: &Value) -> Result<Atom, Misfit> {
        match (self, value) {
            (FactType::Enum(values), Value::String(s)) => values
                .iter()
                .position(|v| v == s)
                .map(|i| i as Atom)
                .ok_or(Misfit::NotInSet),
            (FactType::Enum(_), _) => Err(Misfit::Type {
                expected: "a string",
            }),
            (FactType::Bool, Value::Bool(b)) => Ok(Atom::from(*b)),
            (FactType::Bool, _) => Err(Misfit::Type {
                expected: "`true` or `false`",
            }),
            (FactType::Number(points), Value::Number(n)) => match n.as_f64() {
                Some(x) if x.is_finite() => Ok(number_atom(points, x)),
                _ => Err(Misfit::Type {
                    expected: "a finite number",
                }),
            },
            (FactType::Number(_), _) => Err(Misfit::Type {
                expected: "a number",
            }),
            (FactType::String(literals), Value::String(s)) => Ok(literals
                .iter()
                .position(|l| l == s)
                .unwrap_or(literals.len())
                as Atom),
            (FactType::String(_), _) => Err(Misfit::Type {
                expected: "a string",
            }),
        }
    }

    fn representative(&self, atom: Atom) -> Option<Value> {
        let i = atom as usize;
        match self {
            FactType::Enum(values) => values.get(i).map(|v| Value::String(v.clone())),
            FactType::Bool => (atom < 2).then_some(Value::Bool(atom == 1)),
            FactType::Number(points) => {
                if atom >= self.value_atoms() {
                    return None;
                }
                let x = number_representative(points, atom);
                Some(number_value(x))
            }
            FactType::String(literals) => match literals.get(i) {
                Some(l) => Some(Value::String(l.clone())),
                None if i == literals.len() => Some(Value::String(other_string(literals))),
                None => None,
            },
        }
    }

    fn describe_atom(&self, atom: Atom) -> String {
        let i = atom as usize;
        match self {
            FactType::Enum(values) => values.get(i).cloned().unwrap_or_default(),
            FactType::Bool => (atom == 1).to_string(),
            FactType::Number(points) => {
                let below = |k: usize| points.get(k).map(|p| number_value(*p).to_string());
                if i % 2 == 1 {
                    below(i / 2).unwrap_or_default()
                } else {
                    match (
                        i.checked_div(2)
                            .and_then(|k| k.checked_sub(1))
                            .and_then(below),
                        below(i / 2),
                    ) {
                        (None, None) => String::from("any number"),
                        (None, Some(hi)) => format!("< {hi}"),
                        (Some(lo), None) => format!("> {lo}"),
                        (Some(lo), Some(hi)) => format!("> {lo} and < {hi}"),
                    }
                }
            }
            FactType::String(literals) => match literals.get(i) {
                Some(l) => format!("{l:?}"),
                None => String::from("any other string"),
            },
        }
    }
}

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
            FactType::Enum(values) | FactType::String(values) => values,
            FactType::Bool | FactType::Number(_) => return ValueIndex::default(),
        };
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
                .position(|v| v.as_bytes() == s)
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

    #[inline]
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
    #[inline]
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

/// Puts `value` at `path` inside `root`, creating objects on the way.
pub fn insert_at(root: &mut Value, path: &[String], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut node = root;
    for key in parents {
        let Value::Object(map) = node else { return };
        node = map
            .entry(key.clone())
            .or_insert_with(|| Value::Object(serde_json::Map::new()));
    }
    if let Value::Object(map) = node {
        map.insert(last.clone(), value);
    }
}

/// The numbers of the atoms `first..=last`, as an interval in words.
fn interval(points: &[f64], first: Atom, last: Atom) -> String {
    let show = |k: usize| {
        points
            .get(k)
            .map(|p| number_value(*p).to_string())
            .unwrap_or_default()
    };
    let (first, last) = (first as usize, last as usize);
    if first == last && first % 2 == 1 {
        return show(first / 2);
    }
    // An even atom 2k lies above point k-1; an odd atom 2k+1 is point k.
    let lower = if first % 2 == 1 {
        Some(format!(">= {}", show(first / 2)))
    } else {
        (first / 2).checked_sub(1).map(|k| format!("> {}", show(k)))
    };
    let upper = if last % 2 == 1 {
        Some(format!("<= {}", show(last / 2)))
    } else {
        (last / 2 < points.len()).then(|| format!("< {}", show(last / 2)))
    };
    match (lower, upper) {
        (None, None) => String::from("any number"),
        (Some(l), None) => l,
        (None, Some(u)) => u,
        (Some(l), Some(u)) => format!("{l} and {u}"),
    }
}

/// The atom of a number: intervals at even indices, the constants at odd ones.
pub fn number_atom(points: &[f64], x: f64) -> Atom {
    let below = points.partition_point(|p| *p < x);
    let is_point = points.get(below).is_some_and(|p| *p == x);
    (2 * below + usize::from(is_point)) as Atom
}

fn number_representative(points: &[f64], atom: Atom) -> f64 {
    let i = atom as usize;
    let k = i / 2;
    if i % 2 == 1 {
        return points.get(k).copied().unwrap_or(0.0);
    }
    // Prefer a whole number strictly inside the interval, for readable
    // witnesses; past 2^53 whole numbers are too sparse, so fall back to the
    // next representable value, which is inside whenever the interval is not
    // empty.
    match (k.checked_sub(1).and_then(|j| points.get(j)), points.get(k)) {
        (None, None) => 0.0,
        (None, Some(hi)) => Some((hi - 1.0).floor())
            .filter(|x| x < hi)
            .unwrap_or(hi.next_down()),
        (Some(lo), None) => Some((lo + 1.0).floor())
            .filter(|x| x > lo)
            .unwrap_or(lo.next_up()),
        (Some(lo), Some(hi)) => {
            let whole = lo.floor() + 1.0;
            let middle = lo + (hi - lo) / 2.0;
            if whole > *lo && whole < *hi {
                whole
            } else if middle > *lo && middle < *hi {
                middle
            } else {
                lo.next_up()
            }
        }
    }
}

/// A JSON number, written as an integer when it is one.
pub fn number_value(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        Value::from(x as i64)
    } else {
        serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
    }
}

/// A string that is none of `literals`.
fn other_string(literals: &[String]) -> String {
    let mut candidate = String::from("other");
    while literals.contains(&candidate) {
        candidate.push('_');
    }
    candidate
}

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

    pub fn full(len: u32) -> AtomSet {
        let mut set = AtomSet::empty(len);
        for atom in 0..len {
            set.insert(atom);
        }
        set
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

#[derive(Clone, Debug)]
pub struct CheckedRule {
    pub id: RuleId,
    /// The rule's line (its conditions and verdict).
    pub span: Span,
    /// `file:line`, as output shows it.
    pub location: String,
    pub verdict: Verdict,
    pub because: Option<String>,
    pub see: Vec<String>,
    /// The allowed atoms per constrained fact, sorted by fact. A fact absent
    /// here is unconstrained. An empty set means the rule can never match.
    pub conditions: Vec<(FactId, AtomSet)>,
    /// Where each fact's condition was written (for labels), parallel to `conditions`.
    pub condition_spans: Vec<Span>,
}

impl CheckedRule {
    /// The allowed atoms of `fact`, `None` when the rule does not constrain it.
    pub fn condition(&self, fact: FactId) -> Option<&AtomSet> {
        self.conditions
            .binary_search_by_key(&fact, |(f, _)| *f)
            .ok()
            .and_then(|i| self.conditions.get(i))
            .map(|(_, set)| set)
    }

    /// False when some condition can never hold.
    pub fn is_satisfiable(&self) -> bool {
        self.conditions.iter().all(|(_, set)| !set.is_empty())
    }

    /// Whether the rule matches facts given as one atom per fact.
    pub fn matches(&self, atoms: &[Atom]) -> bool {
        self.conditions.iter().all(|(fact, set)| {
            atoms
                .get(fact.0 as usize)
                .is_some_and(|atom| set.contains(*atom))
        })
    }
}
