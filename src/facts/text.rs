//! Facts straight from JSON text: a scanner reads the text once, keeps the
//! values at the paths the policies declare (borrowed from the text when
//! they have no escapes) and checks and skips everything else, so deciding
//! from text builds no `serde_json::Value` and copies no string.
//!
//! The scanner is the fast path only. It accepts a text only if serde_json
//! would, and then reads exactly what the parsed `Value` would hold (tests
//! and the `eval` fuzz target check both). Anything unusual, which it is
//! not sure to read as serde_json does (an exponent, a surrogate escape,
//! nesting past 128 levels, invalid JSON), makes it give up; the caller
//! then parses the text with serde_json, which decides or reports.

use std::borrow::Cow;

use crate::model::{Atom, Fact, FactType, Presence};

/// The declared paths of a policy set, as a tree of keys.
#[derive(Clone, Debug, Default)]
pub struct PathTrie {
    pub(super) root: KeyNode,
    pub(super) slots: usize,
}

#[derive(Clone, Debug, Default)]
pub(super) struct KeyNode {
    pub(super) children: Vec<(String, KeyNode)>,
    /// The index of each child by its key, for a node with more children
    /// than [`SCAN_CHILDREN`]: a policy that declares thousands of facts
    /// side by side finds each key at once.
    /// It holds indices into `children`, hashed by their keys, so that a
    /// key is not stored twice.
    /// (Boxed: most nodes have none, and a node is held per declared key.)
    by_key: Option<Box<hashbrown::HashTable<usize>>>,
    slot: Option<u32>,
    /// The slots under this node (its own included), to reset them when
    /// a repeated key replaces the value.
    under: std::ops::Range<u32>,
    /// The same slots as bits, as a picker of `Serialize` values marks the
    /// slots it wrote (slot 63 and all past it share the last bit).
    under_bits: u64,
    /// A bit for each child's key (see [`key_bit`]): a key whose bit is
    /// not set is not a child, which a `Serialize` value's fields off the
    /// declared paths are told without looking.
    key_bits: u64,
}

/// The hash a key is found by in a [`KeyNode`]'s `by_key`.
#[inline]
fn key_hash(key: &[u8]) -> u64 {
    use std::hash::BuildHasher as _;
    rustc_hash::FxBuildHasher.hash_one(key)
}

/// The hash of the key of `children[index]`, for moving it in `by_key`.
fn child_hash(children: &[(String, KeyNode)], index: usize) -> u64 {
    children
        .get(index)
        .map_or(0, |(key, _)| key_hash(key.as_bytes()))
}

impl PathTrie {
    /// The table of `paths`, and the slot of each; `None` when a path is a
    /// prefix of another (the value there is both a fact and an object on
    /// the way), which picking does not handle.
    pub fn new<'a>(
        paths: impl IntoIterator<Item = &'a [String]>,
    ) -> Option<(PathTrie, Vec<usize>)> {
        let mut table = PathTrie::default();
        let mut keys: Vec<&[String]> = Vec::new();
        for path in paths {
            let mut node = &mut table.root;
            for key in path {
                let KeyNode {
                    children, by_key, ..
                } = node;
                let by_key = by_key.get_or_insert_default();
                let hash = key_hash(key.as_bytes());
                let found = by_key
                    .find(hash, |i| {
                        children
                            .get(*i)
                            .is_some_and(|(k, _)| k.as_bytes() == key.as_bytes())
                    })
                    .copied();
                let index = match found {
                    Some(i) => i,
                    None => {
                        let i = children.len();
                        children.push((key.clone(), KeyNode::default()));
                        by_key.insert_unique(hash, i, |j| child_hash(children, *j));
                        i
                    }
                };
                node = &mut children.get_mut(index)?.1;
            }
            if node.slot.is_none() {
                node.slot = Some(0);
            }
            keys.push(path);
        }
        if table.root.has_prefix_clash() {
            return None;
        }
        // Number the slots depth first, so the slots under a node are a range.
        let mut next = 0;
        table.root.number(&mut next);
        table.slots = next;
        let slots = keys
            .iter()
            .map(|path| table.root.find(path).and_then(KeyNode::slot))
            .collect::<Option<Vec<usize>>>()?;
        Some((table, slots))
    }

    /// Scans `text`, keeping the declared values; `None` when the scanner
    /// gives up (see the module documentation).
    pub fn pick<'t>(&self, text: &'t str) -> Option<Slots<'t>> {
        let mut scanner = Scanner {
            bytes: text.as_bytes(),
            text,
            at: 0,
        };
        let mut slots = Slots::new(self.slots);
        scanner.skip_ws();
        // Facts are one object: anything else is for the slow path to report.
        if scanner.peek() != Some(b'{') {
            return None;
        }
        scanner.value(Some(&self.root), &mut slots, 0)?;
        scanner.skip_ws();
        (scanner.at == scanner.bytes.len()).then_some(slots)
    }
}

impl KeyNode {
    /// A node with no keys below it and no fact: what a value off every
    /// declared path is placed at.
    pub(super) const OFF: KeyNode = KeyNode {
        children: Vec::new(),
        by_key: None,
        slot: None,
        under: 0..0,
        under_bits: 0,
        key_bits: 0,
    };

    /// The slot of the fact at this node, if one is declared here.
    pub(super) fn slot(&self) -> Option<usize> {
        self.slot.map(|slot| slot as usize)
    }

    /// The slots under this node, its own included.
    pub(super) fn under(&self) -> std::ops::Range<usize> {
        self.under.start as usize..self.under.end as usize
    }

    /// Whether `key` may be a child's key: `false` only when it is not.
    #[inline(always)]
    pub(super) fn may_have(&self, key: &[u8]) -> bool {
        self.key_bits & key_bit(key) != 0
    }

    /// [`under`](Self::under) as bits (see [`slot_bits`]).
    #[inline]
    pub(super) fn under_bits(&self) -> u64 {
        self.under_bits
    }

    fn has_prefix_clash(&self) -> bool {
        (self.slot.is_some() && !self.children.is_empty())
            || self
                .children
                .iter()
                .any(|(_, child)| child.has_prefix_clash())
    }

    fn number(&mut self, next: &mut usize) {
        // A few keys are found faster by comparing them in turn.
        if self.children.len() <= SCAN_CHILDREN {
            self.by_key = None;
        }
        // Held as long as the set: without the room the lists grew into.
        self.children.shrink_to_fit();
        if let Some(by_key) = &mut self.by_key {
            let children = &self.children;
            by_key.shrink_to_fit(|j| child_hash(children, *j));
        }
        // Slots are counted in `u32`: a policy is far smaller than 4 GiB.
        let start = *next as u32;
        if self.slot.is_some() {
            self.slot = Some(*next as u32);
            *next += 1;
        }
        for (_, child) in &mut self.children {
            child.number(next);
        }
        self.under = start..*next as u32;
        self.under_bits = slot_bits(self.under());
        self.key_bits = self
            .children
            .iter()
            .fold(0, |bits, (key, _)| bits | key_bit(key.as_bytes()));
    }

    fn find(&self, path: &[String]) -> Option<&KeyNode> {
        match path.split_first() {
            None => Some(self),
            Some((key, rest)) => self
                .child(key.as_bytes())
                .and_then(|(_, child)| child.find(rest)),
        }
    }

    /// The child at `key`, with its index.
    #[inline]
    pub(super) fn child(&self, key: &[u8]) -> Option<(usize, &KeyNode)> {
        match &self.by_key {
            Some(by_key) => {
                let i = *by_key.find(key_hash(key), |i| {
                    self.children
                        .get(*i)
                        .is_some_and(|(k, _)| k.as_bytes() == key)
                })?;
                Some((i, &self.children.get(i)?.1))
            }
            None => self
                .children
                .iter()
                .enumerate()
                .find(|(_, (k, _))| crate::model::same_bytes(k.as_bytes(), key))
                .map(|(i, (_, child))| (i, child)),
        }
    }
}

/// One of 64 bits for `key`, from its length and its first and last
/// bytes: keys of different bits differ.
#[inline(always)]
fn key_bit(key: &[u8]) -> u64 {
    let (first, last) = (key.first().copied(), key.last().copied());
    let mixed = (key.len() as u32)
        .wrapping_mul(31)
        .wrapping_add(u32::from(first.unwrap_or(0)).wrapping_mul(7))
        .wrapping_add(u32::from(last.unwrap_or(0)));
    1 << (mixed % 64)
}

/// The bits of `slots` in a set of slots held in a `u64`, where slot 63
/// and all past it share the last bit.
pub(super) fn slot_bits(slots: std::ops::Range<usize>) -> u64 {
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

/// Nodes with at most this many children find a key by comparing it with
/// each; larger ones look it up in a hash map.
const SCAN_CHILDREN: usize = 16;

/// How many slots are kept on the stack rather than allocated.
const INLINE: usize = 8;

/// The slots of one scan: on the stack for a few facts, which is most
/// policy sets, so that deciding from text allocates nothing.
#[derive(Clone)]
pub enum Slots<'t> {
    Inline([Slot<'t>; INLINE], usize),
    Heap(Vec<Slot<'t>>),
}

impl<'t> Slots<'t> {
    pub(super) fn new(count: usize) -> Slots<'t> {
        if count <= INLINE {
            Slots::Inline(std::array::from_fn(|_| Slot::Absent), count)
        } else {
            Slots::Heap(vec![Slot::Absent; count])
        }
    }
}

impl<'t> std::ops::Deref for Slots<'t> {
    type Target = [Slot<'t>];

    fn deref(&self) -> &[Slot<'t>] {
        match self {
            Slots::Inline(slots, count) => slots.get(..*count).unwrap_or_default(),
            Slots::Heap(slots) => slots,
        }
    }
}

impl<'t> std::ops::DerefMut for Slots<'t> {
    fn deref_mut(&mut self) -> &mut [Slot<'t>] {
        match self {
            Slots::Inline(slots, count) => slots.get_mut(..*count).unwrap_or_default(),
            Slots::Heap(slots) => slots,
        }
    }
}

/// What was found at one declared path.
#[derive(Clone, Debug, PartialEq)]
pub enum Slot<'t> {
    /// Absent, or `null`.
    Absent,
    Str(Cow<'t, str>),
    /// A string short enough to keep in the slot itself (a `Serialize`
    /// value's strings do not outlive its serialization).
    Short(ShortStr),
    Number(f64),
    Bool(bool),
    /// An object or an array, or under a value that is not an object: no
    /// fact's value (the slow path says why).
    Other,
}

impl Slot<'_> {
    /// The atom of `fact` this value falls in; `None` when it does not fit
    /// or is missing without a default (the slow path then reports it).
    #[inline(always)]
    pub fn atom(&self, fact: &Fact) -> Option<Atom> {
        match (self, &fact.ty) {
            (Slot::Absent, _) => match (&fact.presence, fact.absent_atom()) {
                (Presence::Default(atom), _) => Some(*atom),
                (_, absent) => absent,
            },
            (Slot::Str(s), FactType::Enum(_) | FactType::String(_)) => fact.classify_str(s).ok(),
            (Slot::Short(s), FactType::Enum(_) | FactType::String(_)) => {
                fact.classify_utf8(s.as_bytes()).ok()
            }
            (Slot::Bool(b), FactType::Bool) => Some(Atom::from(*b)),
            (Slot::Number(x), FactType::Number(points)) if x.is_finite() => {
                Some(crate::model::number_atom(points, *x))
            }
            _ => None,
        }
    }
}

/// A string of at most [`ShortStr::MAX`] bytes, held inline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShortStr {
    len: u8,
    bytes: [u8; ShortStr::MAX],
}

impl ShortStr {
    /// The longest string held inline: a slot stays the size of a `Cow`.
    pub const MAX: usize = 15;

    /// `s`, if it is short enough.
    #[inline]
    pub fn new(s: &str) -> Option<ShortStr> {
        if s.len() > ShortStr::MAX {
            return None;
        }
        // Overlapping copies of 8 or 4 bytes from each end, or the first,
        // middle and last of up to 3: for a few bytes, cheaper than a loop
        // or a call to `memcpy`. The bytes past the end stay 0, as
        // equality needs.
        let mut bytes = [0; ShortStr::MAX];
        let from = s.as_bytes();
        let n = from.len();
        match n {
            8.. => {
                copy_at::<8>(&mut bytes, from, 0);
                copy_at::<8>(&mut bytes, from, n - 8);
            }
            4.. => {
                copy_at::<4>(&mut bytes, from, 0);
                copy_at::<4>(&mut bytes, from, n - 4);
            }
            _ => {
                for at in [0, n / 2, n.saturating_sub(1)] {
                    copy_at::<1>(&mut bytes, from, at);
                }
            }
        }
        Some(ShortStr {
            len: s.len() as u8,
            bytes,
        })
    }

    /// The bytes of the string, which are UTF-8.
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or_default()
    }
}

/// Copies the `W` bytes of `from` at `at` to the same place in `to`,
/// where both have them.
#[inline(always)]
fn copy_at<const W: usize>(to: &mut [u8], from: &[u8], at: usize) {
    let to = to.get_mut(at..).and_then(<[u8]>::first_chunk_mut::<W>);
    let from = from.get(at..).and_then(<[u8]>::first_chunk::<W>);
    if let (Some(to), Some(from)) = (to, from) {
        *to = *from;
    }
}

/// The index of the first byte from `at` that ends a run of plain string
/// content: a quote, a backslash or a control character (the length of
/// `bytes` when there is none). Eight bytes at a time: each of the three
/// tests flags its lowest matching byte exactly, so the lowest flag of all
/// three is the first special byte.
#[inline]
fn special(bytes: &[u8], mut at: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    while let Some(chunk) = bytes
        .get(at..at + 8)
        .and_then(|c| <[u8; 8]>::try_from(c).ok())
    {
        let w = u64::from_le_bytes(chunk);
        let found = zero_byte(w ^ (ONES * u64::from(b'"')))
            | zero_byte(w ^ (ONES * u64::from(b'\\')))
            | (w.wrapping_sub(ONES * 0x20) & !w & HIGHS);
        if found != 0 {
            return at + (found.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    while let Some(&b) = bytes.get(at) {
        if b == b'"' || b == b'\\' || b < 0x20 {
            return at;
        }
        at += 1;
    }
    at
}

/// What [`Scanner::mark`] sets slots to.
#[derive(Clone, Copy)]
enum Mark {
    Absent,
    Other,
}

/// How deeply the scanner follows objects and arrays: serde_json's own
/// limit, past which it fails.
pub(super) const MAX_DEPTH: usize = crate::limits::Limits::MAX_FACTS_DEPTH;

struct Scanner<'t> {
    bytes: &'t [u8],
    text: &'t str,
    at: usize,
}

impl<'t> Scanner<'t> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    #[inline]
    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\n' | b'\r' | b'\t')) {
            self.at += 1;
        }
    }

    #[inline]
    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.peek() == Some(byte)).then(|| self.at += 1)
    }

    /// Reads one value. With `node`, the value sits where the table expects
    /// keys (an object on the way to facts); `depth` counts the objects and
    /// arrays around it.
    fn value(
        &mut self,
        node: Option<&KeyNode>,
        slots: &mut [Slot<'t>],
        depth: usize,
    ) -> Option<()> {
        match self.peek()? {
            b'{' => self.object(node, slots, depth + 1),
            b'[' => {
                self.mark(node, slots, Mark::Other);
                self.array(slots, depth + 1)
            }
            b'"' => {
                self.string()?;
                self.mark(node, slots, Mark::Other);
                Some(())
            }
            b't' => self.literal(b"true", node, slots, Mark::Other),
            b'f' => self.literal(b"false", node, slots, Mark::Other),
            b'n' => self.literal(b"null", node, slots, Mark::Absent),
            _ => {
                self.number()?;
                self.mark(node, slots, Mark::Other);
                Some(())
            }
        }
    }

    /// Sets every slot under `node` (a value that holds no fact: absent for
    /// `null`, otherwise not an object on the way).
    #[inline]
    fn mark(&self, node: Option<&KeyNode>, slots: &mut [Slot<'t>], to: Mark) {
        if let Some(under) = node.and_then(|n| slots.get_mut(n.under())) {
            for slot in under {
                *slot = match to {
                    Mark::Absent => Slot::Absent,
                    Mark::Other => Slot::Other,
                };
            }
        }
    }

    fn literal(
        &mut self,
        word: &[u8],
        node: Option<&KeyNode>,
        slots: &mut [Slot<'t>],
        to: Mark,
    ) -> Option<()> {
        let end = self.at + word.len();
        (self.bytes.get(self.at..end)? == word).then_some(())?;
        self.at = end;
        self.mark(node, slots, to);
        Some(())
    }

    fn object(
        &mut self,
        node: Option<&KeyNode>,
        slots: &mut [Slot<'t>],
        depth: usize,
    ) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        // A repeated key replaces the whole value, as in a parsed `Value`.
        self.mark(node, slots, Mark::Absent);
        self.eat(b'{')?;
        self.skip_ws();
        if self.eat(b'}').is_some() {
            return Some(());
        }
        // The declared keys seen in this object: one seen again makes the
        // facts ambiguous, which the slow path reports.
        let mut seen: u64 = 0;
        // Past 64 declared keys in one object, a list (empty, and so not
        // allocated, for the usual policies).
        let mut seen_far: Vec<u64> = Vec::new();
        loop {
            self.skip_ws();
            let key = self.string()?;
            self.skip_ws();
            self.eat(b':')?;
            self.skip_ws();
            let found = node.and_then(|n| n.child(key.as_bytes()));
            let child = match found {
                Some((i, child)) => {
                    let (word, bit) = if i < 64 {
                        (&mut seen, 1u64 << i)
                    } else {
                        let at = i / 64 - 1;
                        if seen_far.len() <= at {
                            seen_far.resize(at + 1, 0);
                        }
                        (seen_far.get_mut(at)?, 1u64 << (i % 64))
                    };
                    if *word & bit != 0 {
                        return None;
                    }
                    *word |= bit;
                    Some(child)
                }
                None => None,
            };
            match child {
                Some(leaf) if leaf.children.is_empty() => {
                    let slot = self.fact_value(depth)?;
                    if let Some(s) = leaf.slot().and_then(|i| slots.get_mut(i)) {
                        *s = slot;
                    }
                }
                Some(inner) => self.value(Some(inner), slots, depth)?,
                None => self.value(None, slots, depth)?,
            }
            self.skip_ws();
            match self.peek()? {
                b',' => self.at += 1,
                b'}' => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// Reads the value of a fact.
    fn fact_value(&mut self, depth: usize) -> Option<Slot<'t>> {
        Some(match self.peek()? {
            b'"' => Slot::Str(self.string()?),
            b't' => {
                self.literal(b"true", None, &mut [], Mark::Other)?;
                Slot::Bool(true)
            }
            b'f' => {
                self.literal(b"false", None, &mut [], Mark::Other)?;
                Slot::Bool(false)
            }
            b'n' => {
                self.literal(b"null", None, &mut [], Mark::Other)?;
                Slot::Absent
            }
            b'{' | b'[' => {
                self.value(None, &mut [], depth)?;
                Slot::Other
            }
            _ => Slot::Number(self.number()?),
        })
    }

    fn array(&mut self, slots: &mut [Slot<'t>], depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.eat(b'[')?;
        self.skip_ws();
        if self.eat(b']').is_some() {
            return Some(());
        }
        loop {
            self.skip_ws();
            self.value(None, slots, depth)?;
            self.skip_ws();
            match self.peek()? {
                b',' => self.at += 1,
                b']' => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// Reads a string, borrowed when it has no escapes.
    fn string(&mut self) -> Option<Cow<'t, str>> {
        self.eat(b'"')?;
        let start = self.at;
        self.at = special(self.bytes, self.at);
        match self.peek()? {
            b'"' => {
                let s = self.text.get(start..self.at)?;
                self.at += 1;
                Some(Cow::Borrowed(s))
            }
            b'\\' => self.escaped(start),
            _ => None,
        }
    }

    /// The rest of a string that has escapes, from its start.
    fn escaped(&mut self, start: usize) -> Option<Cow<'t, str>> {
        let mut out = String::from(self.text.get(start..self.at)?);
        loop {
            match self.peek()? {
                b'"' => {
                    self.at += 1;
                    return Some(Cow::Owned(out));
                }
                b'\\' => {
                    self.at += 1;
                    let escape = self.peek()?;
                    self.at += 1;
                    out.push(match escape {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hex = self.text.get(self.at..self.at + 4)?;
                            let code = u32::from_str_radix(hex, 16).ok()?;
                            // Only plain hex digits, no sign.
                            if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                                return None;
                            }
                            self.at += 4;
                            // Surrogates (pairs or lone ones) are for serde_json.
                            char::from_u32(code)?
                        }
                        _ => return None,
                    });
                }
                0..=0x1f => return None,
                _ => {
                    // Copy the run up to the next quote or backslash.
                    let run = self.at;
                    while matches!(self.peek(), Some(b) if b != b'"' && b != b'\\' && b >= 0x20) {
                        self.at += 1;
                    }
                    out.push_str(self.text.get(run..self.at)?);
                }
            }
        }
    }

    /// Reads a number: `-? (0 | [1-9][0-9]*) (. [0-9]+)?`. One with an
    /// exponent, or longer than 300 characters, is left to serde_json,
    /// which may find it out of range.
    fn number(&mut self) -> Option<f64> {
        let start = self.at;
        self.eat(b'-');
        match self.peek()? {
            b'0' => self.at += 1,
            b'1'..=b'9' => {
                while matches!(self.peek(), Some(b'0'..=b'9')) {
                    self.at += 1;
                }
            }
            _ => return None,
        }
        if self.eat(b'.').is_some() {
            let digits = self.at;
            while matches!(self.peek(), Some(b'0'..=b'9')) {
                self.at += 1;
            }
            if self.at == digits {
                return None;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) || self.at - start > 300 {
            return None;
        }
        let text = self.text.get(start..self.at)?;
        // Correctly rounded, as serde_json reads a `Value` (with its
        // `float_roundtrip` feature) and as the policy's numbers are read.
        text.parse::<f64>().ok()
    }
}

#[cfg(test)]
mod tests {
    /// A slot holding a short string stays the size of a `Cow<str>`: a
    /// larger one made deciding from text a sixth slower (the slots are
    /// made and moved once per decision).
    #[test]
    fn a_slot_is_the_size_of_a_cow() {
        assert_eq!(
            std::mem::size_of::<super::Slot<'static>>(),
            std::mem::size_of::<std::borrow::Cow<'static, str>>()
        );
    }

    /// A short string holds every byte of its text at every length, and
    /// zeros past it (equality compares all of them).
    #[test]
    fn a_short_string_holds_its_bytes_and_zeros_after() {
        let text = "abcdefghijklmnopq";
        let wide = "é→üßa";
        let texts = (0..=text.len())
            .filter_map(|n| text.get(..n))
            .chain((0..=wide.len()).filter_map(|n| wide.get(..n)));
        for s in texts {
            let n = s.len();
            let short = super::ShortStr::new(s);
            if n > super::ShortStr::MAX {
                assert!(short.is_none());
                continue;
            }
            let short = short.unwrap_or_else(|| panic!("{n} bytes fit"));
            assert_eq!(short.as_bytes(), s.as_bytes());
            let mut expected = [0; super::ShortStr::MAX];
            expected
                .iter_mut()
                .zip(s.bytes())
                .for_each(|(to, b)| *to = b);
            assert_eq!(short.bytes, expected, "{n}");
        }
    }

    /// A key's bit is set in its node's bits: a declared key is never
    /// taken for one off the paths.
    #[test]
    fn a_node_may_have_each_of_its_keys() {
        // Past 16 keys a node finds a key by hash; nested nodes have bits
        // of their own.
        let wide = (0..40).map(|i| format!("wide.k{i}"));
        let keys: Vec<Vec<String>> = ["a", "ab", "tenant", "partner", "request", "x.y", "x.z", "é"]
            .into_iter()
            .map(String::from)
            .chain(wide)
            .map(|k| k.split('.').map(String::from).collect())
            .collect();
        let (trie, _) = super::PathTrie::new(keys.iter().map(Vec::as_slice))
            .unwrap_or_else(|| panic!("no clash"));
        let mut nodes = vec![&trie.root];
        let mut seen = 0;
        while let Some(node) = nodes.pop() {
            for (key, child) in &node.children {
                assert!(node.may_have(key.as_bytes()), "{key}");
                seen += 1;
                nodes.push(child);
            }
        }
        assert_eq!(seen, 50);
        assert!(!super::KeyNode::OFF.may_have(b"a"));
    }
}
