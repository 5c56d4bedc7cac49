//! Which clauses hold first somewhere, found by marking points. Where a
//! policy's facts have few enough combinations of atoms (six enums of 16
//! values make 2^24), each combination is a bit of a map. The clauses, in
//! the order rules are tried, clear the bits they hold on: a clause holds
//! first somewhere exactly when it clears a bit, and the bits left at the
//! end are the facts no rule decides.
//!
//! Above the map, each level has a bit per word of the level below, set
//! where what lies below it has any, up to a single word. A clause reads
//! only the words it holds on that still have bits, and once most facts
//! are decided that is few; where it holds on all of a word's points, it
//! clears that word's bit in the level above and reads nothing below (a
//! clear bit is never read under again). The points are split in two by
//! one fact's atoms, and the halves are marked on two cores.
//!
//! This answers the question `cover` asks of every clause in a few word
//! operations, where `cover` searches each clause's region among the
//! clauses before it: it pays from some thousands of clauses on (filling
//! the map costs as much as searching fewer). Only the yes-or-no answers
//! come from here: which rules decide in a shadowed rule's place, and the
//! regions of the gaps, are still searched (the gaps' search skips the
//! pieces the map says are decided).

/// The bits of a number that pick a bit in a word.
const WORD_BITS: u32 = 6;

/// The most bits a point's number may take: 2^26 bits are 8 MiB of words.
const MAX_BITS: u32 = 26;

/// The fewest word operations marking may take whatever the policy's
/// size (a millisecond or two), and the most it may take for any.
const FLOOR_WORK: usize = 1 << 22;
const CEILING_WORK: usize = 1 << 26;

/// The word operations marking may take per clause between the two: the
/// search it replaces costs more than this per clause it looks at.
const WORK_PER_CLAUSE: usize = 1 << 12;

/// The most words of points per clause a map may have: a map of 2^24
/// points (six enums of 16 values) is marked for 4,096 clauses or more.
/// Below that, the clauses' search costs less than filling the map.
const WORDS_PER_CLAUSE_FILLED: usize = 64;

/// What marking found, per clause in the order rules are tried, and the
/// facts it left.
pub(super) struct Marked {
    /// Whether each clause holds first somewhere.
    first: Vec<bool>,
    /// The word operations each clause's marking took.
    work: Vec<u32>,
    /// The facts no clause holds on, in the parts they were marked in.
    left: Vec<Part>,
}

/// One map of a policy's points: all of them, or those with one fact's
/// atoms in a half of its domain (`split`), marked on a core each.
struct Part {
    map: Map,
    split: Option<Split>,
}

/// A half of one fact's atoms, renumbered from 0: atom `a` of the half
/// is atom `a + shift` of the fact.
#[derive(Clone, Copy)]
struct Split {
    fact: usize,
    shift: u32,
    atoms: u64,
}

impl Split {
    /// The piece (or row) with the fact's atoms narrowed to the half.
    fn apply(&self, piece: &[u64], into: &mut Vec<u64>) {
        into.clear();
        into.extend_from_slice(piece);
        if let Some(word) = into.get_mut(self.fact) {
            *word = (*word >> self.shift) & self.atoms;
        }
    }
}

impl Marked {
    /// Whether clause `clause` holds on some facts where no clause before
    /// it does.
    pub(super) fn holds_first(&self, clause: u32) -> bool {
        self.first.get(clause as usize).copied().unwrap_or(false)
    }

    /// The word operations marking clause `clause` took.
    pub(super) fn work(&self, clause: u32) -> usize {
        self.work.get(clause as usize).map_or(0, |w| *w as usize)
    }

    /// Whether some facts are left that no clause holds on.
    pub(super) fn left(&self) -> bool {
        self.left.iter().any(|part| {
            part.map
                .levels
                .last()
                .is_some_and(|top| top.iter().any(|word| *word != 0))
        })
    }

    /// Whether some facts of the piece (its allowed atoms of each fact, a
    /// word each) are left that no clause holds on.
    pub(super) fn left_in(&self, piece: &[u64], scratch: &mut Scratch) -> bool {
        self.left.iter().any(|part| match part.split {
            None => part.map.any(piece, scratch),
            Some(split) => {
                let mut narrowed = std::mem::take(&mut scratch.piece);
                split.apply(piece, &mut narrowed);
                let any = part.map.any(&narrowed, scratch);
                scratch.piece = narrowed;
                any
            }
        })
    }
}

/// Marks `rows` (each clause's allowed atoms of each of the `domains`'
/// facts, one word per fact, clause after clause) in order; `None` where
/// the facts make too many combinations, or marking would take more word
/// operations than the search it replaces.
///
/// The points are split in two by the atoms of the fact in their
/// numbers' highest bits, and each half is marked on a core of its own
/// where there are two: a clause holds first somewhere when it does in
/// either half. The answers and the work do not depend on the cores.
pub(super) fn mark(domains: &[u64], rows: &[u64]) -> Option<Marked> {
    let facts = domains.len();
    if facts == 0 || !rows.len().is_multiple_of(facts) {
        return None;
    }
    let clauses = rows.len() / facts;
    let allowed = WORK_PER_CLAUSE
        .saturating_mul(clauses)
        .clamp(FLOOR_WORK, CEILING_WORK);
    let layout = Map::layout(domains, rows)?;
    // Filling the map reads each of its words once: where the clauses
    // are few beside them, searching them is cheaper.
    let bits: u32 = layout.iter().map(|(_, _, width)| width).sum();
    let words = 1usize << bits.saturating_sub(WORD_BITS);
    if words > clauses.saturating_mul(WORDS_PER_CLAUSE_FILLED) {
        return None;
    }
    let halves = layout.last().and_then(|(fact, _, width)| {
        let domain = *domains.get(*fact)?;
        let shift = 1u32 << width.checked_sub(1)?;
        let low = (1u64 << shift) - 1;
        Some([
            Split {
                fact: *fact,
                shift: 0,
                atoms: domain & low,
            },
            Split {
                fact: *fact,
                shift,
                atoms: domain >> shift,
            },
        ])
    });
    let parts = match halves {
        Some([low, high]) => {
            let part = |split: Split| {
                let mut narrowed = Vec::new();
                split.apply(domains, &mut narrowed);
                let mut row = Vec::new();
                let mut split_rows = Vec::with_capacity(rows.len());
                for each in rows.chunks_exact(facts) {
                    split.apply(each, &mut row);
                    split_rows.extend_from_slice(&row);
                }
                mark_part(&narrowed, &split_rows, allowed, Some(split))
            };
            let (low, high) = if rayon::current_num_threads() >= 2 {
                rayon::join(|| part(low), || part(high))
            } else {
                (part(low), part(high))
            };
            vec![low?, high?]
        }
        None => vec![mark_part(domains, rows, allowed, None)?],
    };
    let mut first = vec![false; clauses];
    let mut work = vec![0u32; clauses];
    let mut spent = 0usize;
    let mut left = Vec::with_capacity(parts.len());
    for (part, part_first, part_work, part_spent) in parts {
        for (to, from) in first.iter_mut().zip(part_first) {
            *to |= from;
        }
        for (to, from) in work.iter_mut().zip(part_work) {
            *to = to.saturating_add(from);
        }
        spent = spent.saturating_add(part_spent);
        left.push(part);
    }
    if spent > allowed {
        return None;
    }
    Some(Marked { first, work, left })
}

/// Marks the rows on one map; per clause whether it holds first
/// somewhere and its work, and the work in all; `None` past `allowed`.
fn mark_part(
    domains: &[u64],
    rows: &[u64],
    allowed: usize,
    split: Option<Split>,
) -> Option<(Part, Vec<bool>, Vec<u32>, usize)> {
    let facts = domains.len();
    let clauses = rows.len() / facts.max(1);
    let mut map = Map::new(domains, rows)?;
    let mut scratch = Scratch::default();
    let (_, mut spent) = map.visit(domains, &mut scratch, Visit::Fill);
    let mut first = Vec::with_capacity(clauses);
    let mut work = Vec::with_capacity(clauses);
    for row in rows.chunks_exact(facts) {
        let (cleared, touched) = map.visit(row, &mut scratch, Visit::Clear);
        spent = spent.saturating_add(touched);
        if spent > allowed {
            return None;
        }
        first.push(cleared);
        work.push(u32::try_from(touched).unwrap_or(u32::MAX));
    }
    Some((Part { map, split }, first, work, spent))
}

/// Buffers for reading a map, kept for reuse.
#[derive(Default)]
pub(super) struct Scratch {
    /// A piece narrowed to a part's half.
    piece: Vec<u64>,
    /// A piece's allowed values of each fact's field at one level.
    row: Vec<u64>,
    /// Per value of the bits of the field crossing out of a level's
    /// word into its number, the bits of the word the piece allows.
    masks: Vec<u64>,
    /// Per level, the mask of each of the 64 words that one word of the
    /// level above stands for, by their low bits (the high ones of the
    /// field crossing into the word's number).
    tables: Vec<[u64; 64]>,
    /// Per level, its words' bits whose words below the piece holds
    /// whole ([`Map::full_below`]).
    full: Vec<u64>,
}

/// One value's bits in a number: `lo..lo + width`.
struct Field {
    /// Which value of a row the field numbers.
    slot: usize,
    lo: u32,
    width: u32,
    /// Per value of the field's bits inside a word, the word's bits that
    /// have it.
    patterns: Vec<u64>,
    /// The values most rows allow, and the bits of a word they have.
    usual: (u64, u64),
}

impl Field {
    /// How many of the field's bits are inside a word.
    fn inside(&self) -> u32 {
        WORD_BITS.saturating_sub(self.lo).min(self.width)
    }
}

/// How a number is made of values, each a field of bits: the low
/// [`WORD_BITS`] of the number pick a bit in a word, the rest the word.
/// One field may cross from the one to the other.
struct Grid {
    fields: Vec<Field>,
    bits: u32,
}

impl Grid {
    /// Fields of the given `(slot, width, usual values)`, lowest first.
    fn new(fields: impl IntoIterator<Item = (usize, u32, u64)>) -> Grid {
        let mut bits = 0;
        let mut laid = Vec::new();
        for (slot, width, usual) in fields {
            let inside = WORD_BITS.saturating_sub(bits).min(width);
            let patterns: Vec<u64> = (0..1u64 << inside)
                .map(|value| pattern(bits, inside, value))
                .collect();
            let mask = values(usual)
                .filter_map(|value| patterns.get((value & ((1 << inside) - 1)) as usize))
                .fold(0, |mask, pattern| mask | pattern);
            laid.push(Field {
                slot,
                lo: bits,
                width,
                patterns,
                usual: (usual, mask),
            });
            bits += width;
        }
        Grid { fields: laid, bits }
    }

    /// The words a map of this grid's numbers takes.
    fn words(&self) -> usize {
        1 << self.bits.saturating_sub(WORD_BITS)
    }

    /// The bits of a word that are numbers: all of them, unless the
    /// numbers are fewer than a word's bits.
    fn valid(&self) -> u64 {
        if self.bits >= WORD_BITS {
            u64::MAX
        } else {
            (1u64 << (1u32 << self.bits)) - 1
        }
    }

    /// Into `masks`, per value of the bits of the field that crosses out
    /// of the word (the one value 0 where none does), the bits of a word
    /// whose numbers `row` allows; how many bits cross.
    fn masks(&self, row: &[u64], masks: &mut Vec<u64>) -> u32 {
        let mut inside = self.valid();
        let mut crossing = None;
        for field in &self.fields {
            let allowed = row.get(field.slot).copied().unwrap_or(0);
            if field.lo + field.width <= WORD_BITS {
                inside &= if allowed == field.usual.0 {
                    field.usual.1
                } else {
                    values(allowed)
                        .filter_map(|value| field.patterns.get(value as usize))
                        .fold(0, |mask, pattern| mask | pattern)
                };
            } else if field.lo < WORD_BITS {
                crossing = Some((field, allowed));
            }
        }
        masks.clear();
        let Some((field, allowed)) = crossing else {
            masks.push(inside);
            return 0;
        };
        let low = field.inside();
        let high = field.width - low;
        masks.resize(1 << high, 0);
        for value in values(allowed) {
            let pattern = field.patterns.get((value & ((1 << low) - 1)) as usize);
            if let (Some(mask), Some(pattern)) = (masks.get_mut((value >> low) as usize), pattern) {
                *mask |= pattern & inside;
            }
        }
        high
    }
}

/// The mask of the word of level `below` that is child `bit` of a word
/// of the level above, from a piece's `tables`.
fn child_mask(tables: &[[u64; 64]], below: usize, bit: usize) -> u64 {
    tables
        .get(below)
        .and_then(|table| table.get(bit))
        .copied()
        .unwrap_or(0)
}

/// Level `level`'s bits whose words below are held whole.
fn scratch_full(full: &[u64], level: usize) -> u64 {
    full.get(level).copied().unwrap_or(0)
}

/// Clears, in each word of `words` that `live` has a bit for, the bits
/// of its mask, and the bit of `summary` of each word left empty; the
/// bits that were set, and how many words were read.
#[inline]
fn clear_words(
    words: &mut [u64; 64],
    masks: &[u64; 64],
    summary: &mut u64,
    live: u64,
) -> (u64, usize) {
    let mut rest = live;
    let mut hit = 0;
    let mut count = 0;
    while rest != 0 {
        let bit = rest.trailing_zeros() as usize & 63;
        rest &= rest - 1;
        let (Some(word), Some(mask)) = (words.get_mut(bit), masks.get(bit)) else {
            continue;
        };
        hit |= *word & mask;
        *word &= !mask;
        *summary &= !(u64::from(*word == 0) << bit);
        count += 1;
    }
    (hit, count)
}

/// The bits of a word whose number has `value` in bits `lo..lo + width`.
fn pattern(lo: u32, width: u32, value: u64) -> u64 {
    (0..64u64)
        .filter(|bit| (bit >> lo) & ((1 << width) - 1) == value)
        .fold(0, |mask, bit| mask | 1 << bit)
}

/// The values of `set`, a bit each, lowest first.
fn values(set: u64) -> impl Iterator<Item = u64> {
    let mut rest = set;
    std::iter::from_fn(move || {
        (rest != 0).then(|| {
            let value = u64::from(rest.trailing_zeros());
            rest &= rest - 1;
            value
        })
    })
}

/// What [`Map::visit`] does to the bits of a piece.
#[derive(Clone, Copy, PartialEq)]
enum Visit {
    /// Sets them.
    Fill,
    /// Clears them, saying whether any was set.
    Clear,
}

/// A bit per point (a combination of the facts' atoms), and above it
/// levels of a bit per word of the level below, set exactly where the
/// points under it have any, up to one word. Under a clear bit the words
/// may keep bits that are no longer there: they are never read.
struct Map {
    /// The facts some row narrows, as fields of a point's number: those
    /// the fewest rows narrow lowest (a piece that allows every atom of
    /// the facts in a word's bits takes no more words). Each is `(fact,
    /// lo, width)`.
    facts: Vec<(usize, u32, u32)>,
    /// Each fact's atoms, as bits, in the order of `facts`.
    domains: Vec<u64>,
    /// Per level, how the numbers of its bits (a point's number shifted
    /// down by [`WORD_BITS`] a level) are made of the facts' fields: each
    /// field's slot is its place in `facts`.
    grids: Vec<Grid>,
    /// Per level, its words: the points' bits first.
    levels: Vec<Vec<u64>>,
}

impl Map {
    /// The facts `rows` narrow, as fields of a point's number: `(fact,
    /// lo, width)`, those the fewest rows narrow lowest; `None` past
    /// [`MAX_BITS`].
    fn layout(domains: &[u64], rows: &[u64]) -> Option<Vec<(usize, u32, u32)>> {
        let count = domains.len();
        let mut narrowing = vec![0usize; count];
        for row in rows.chunks_exact(count) {
            for ((narrowed, allowed), domain) in narrowing.iter_mut().zip(row).zip(domains) {
                *narrowed += usize::from(allowed != domain);
            }
        }
        let mut order: Vec<usize> = (0..count)
            .filter(|fact| narrowing.get(*fact).is_some_and(|n| *n > 0))
            .collect();
        order.sort_by_key(|fact| narrowing.get(*fact).copied());
        let mut facts = Vec::with_capacity(order.len());
        let mut bits = 0;
        for fact in order {
            let domain = *domains.get(fact)?;
            // The atoms are 0..n: the bits to number the last one.
            let width =
                u64::BITS - u64::from(domain.count_ones().saturating_sub(1)).leading_zeros();
            facts.push((fact, bits, width));
            bits += width;
            if bits > MAX_BITS {
                return None;
            }
        }
        Some(facts)
    }

    /// An empty map of the facts `rows` narrow; `None` past [`MAX_BITS`].
    fn new(domains: &[u64], rows: &[u64]) -> Option<Map> {
        let facts = Self::layout(domains, rows)?;
        let mut grids = Vec::new();
        let mut levels = Vec::new();
        let mut row = Vec::new();
        loop {
            let shift = WORD_BITS * grids.len() as u32;
            Self::project(&facts, domains, shift, &mut row);
            let grid = Grid::new(
                facts
                    .iter()
                    .zip(&row)
                    .enumerate()
                    .filter(|(_, ((_, lo, width), _))| lo + width > shift)
                    .map(|(slot, ((_, lo, width), usual))| {
                        (slot, lo + width - shift.max(*lo), *usual)
                    }),
            );
            // The points' words are at least 64, all of them zero past
            // the map's (see `clear`).
            let words = if levels.is_empty() {
                grid.words().max(64)
            } else {
                grid.words()
            };
            levels.push(vec![0; words]);
            let top = grid.words() == 1;
            grids.push(grid);
            if top {
                break;
            }
        }
        let domains = facts
            .iter()
            .map(|(fact, _, _)| domains.get(*fact).copied().unwrap_or(0))
            .collect();
        Some(Map {
            facts,
            domains,
            grids,
            levels,
        })
    }

    /// Into `row`, per fact's field, the values of its bits at or above
    /// bit `shift` of a point's number that some allowed atom of `piece`
    /// has (`piece` a word per fact).
    fn project(facts: &[(usize, u32, u32)], piece: &[u64], shift: u32, row: &mut Vec<u64>) {
        row.clear();
        row.extend(facts.iter().map(|(fact, lo, width)| {
            let allowed = piece.get(*fact).copied().unwrap_or(0);
            let low = shift.saturating_sub(*lo);
            if low == 0 {
                allowed
            } else if low < *width {
                values(allowed).fold(0, |set, value| set | 1 << (value >> low))
            } else {
                0
            }
        }));
    }

    /// Reads the piece's masks of each level into `scratch`.
    fn plan(&self, piece: &[u64], scratch: &mut Scratch) {
        scratch.tables.resize(self.grids.len(), [0; 64]);
        for (level, (grid, table)) in self.grids.iter().zip(scratch.tables.iter_mut()).enumerate() {
            Self::project(
                &self.facts,
                piece,
                WORD_BITS * level as u32,
                &mut scratch.row,
            );
            let crossing = grid.masks(&scratch.row, &mut scratch.masks);
            let low = (1usize << crossing) - 1;
            for (bit, mask) in table.iter_mut().enumerate() {
                *mask = scratch.masks.get(bit & low).copied().unwrap_or(0);
            }
        }
        scratch.full.clear();
        for level in 0..self.grids.len() {
            scratch.full.push(self.full_below(piece, level));
        }
    }

    /// Of the 64 words of level `level - 1` that one word of level
    /// `level` stands for, by their low bits, those whose every point
    /// the piece holds (every fact whose field is below the words' bits
    /// allowed whole, and the field crossing into their numbers allowed
    /// whole for the value of its high bits): as bits. None at level 0.
    fn full_below(&self, piece: &[u64], level: usize) -> u64 {
        let Some(boundary) = (level as u32).checked_mul(WORD_BITS).filter(|b| *b > 0) else {
            return 0;
        };
        let mut crossing = None;
        for ((fact, lo, width), domain) in self.facts.iter().zip(&self.domains) {
            let allowed = piece.get(*fact).copied().unwrap_or(0);
            if lo + width <= boundary {
                if domain & !allowed != 0 {
                    return 0;
                }
            } else if *lo < boundary {
                crossing = Some((boundary - lo, lo + width - boundary, allowed, *domain));
            }
        }
        let Some((shift, high, allowed, domain)) = crossing else {
            return u64::MAX;
        };
        // Per value of the crossing field's high bits, whether every atom
        // with them is allowed; repeated over the 64 low bits of a number.
        let period = 1u32 << high;
        let mut pattern = 0u64;
        for value in 0..u64::from(period) {
            let group = values(domain)
                .filter(|atom| atom >> shift == value)
                .fold(0u64, |set, atom| set | 1 << atom);
            pattern |= u64::from(group & !allowed == 0) << value;
        }
        let mut full = pattern;
        let mut filled = period;
        while filled < 64 {
            full |= full << filled;
            filled *= 2;
        }
        full
    }

    /// Does `visit` to the bits of the piece (its allowed atoms of each
    /// fact); whether any of them was set (always `false` for
    /// [`Visit::Fill`]), and the words it read.
    fn visit(&mut self, piece: &[u64], scratch: &mut Scratch, visit: Visit) -> (bool, usize) {
        // A piece that allows no atom of some fact (of the other half of
        // a split one) has no points.
        if piece.contains(&0) {
            return (false, 1);
        }
        self.plan(piece, scratch);
        let top = self.levels.len().saturating_sub(1);
        let mask = scratch.tables.get(top).map_or(0, |table| table[0]);
        let tables = scratch.tables.as_slice();
        match visit {
            Visit::Fill => (false, self.fill(top, 0, mask, tables)),
            Visit::Clear => {
                let (_, hit, work) = self.clear(top, 0, mask, (tables, &scratch.full));
                (hit != 0, work)
            }
        }
    }

    /// Sets the bits of `mask` in word `at` of level `level`, and below
    /// them what `tables` (each level's masks, by a word's low bits)
    /// allow; the words it set.
    fn fill(&mut self, level: usize, at: usize, mask: u64, tables: &[[u64; 64]]) -> usize {
        if let Some(word) = self
            .levels
            .get_mut(level)
            .and_then(|words| words.get_mut(at))
        {
            *word |= mask;
        }
        let Some(below) = level.checked_sub(1) else {
            return 1;
        };
        let mut work = 1;
        let mut live = mask;
        while live != 0 {
            let bit = live.trailing_zeros() as usize & 63;
            live &= live - 1;
            let mask = child_mask(tables, below, bit);
            work += self.fill(below, at << WORD_BITS | bit, mask, tables);
        }
        work
    }

    /// Clears the bits of `mask` in word `at` of level `level`, and below
    /// them what `tables` allow; the word as it is left, some bits that
    /// were set (none exactly where none was), and the words it read. A
    /// bit whose words below the piece holds whole (`full`) is cleared
    /// here alone: nothing under a clear bit is read again.
    fn clear(
        &mut self,
        level: usize,
        at: usize,
        mask: u64,
        (tables, full): (&[[u64; 64]], &[u64]),
    ) -> (u64, u64, usize) {
        let Some(word) = self
            .levels
            .get(level)
            .and_then(|words| words.get(at))
            .copied()
        else {
            return (0, 0, 0);
        };
        let mut live = word & mask;
        let mut now = word;
        // The words below that the piece holds whole are cleared by
        // clearing their bits here: below a clear bit nothing is read.
        let whole = live & scratch_full(full, level);
        now &= !whole;
        live &= !whole;
        let (hit, work) = match level {
            0 => {
                now &= !mask;
                (live, 1)
            }
            1 => {
                // The words of points below, read in one loop: most of
                // the words read are these. The points' words are at
                // least 64 (`new`), so a word above has all of its own.
                let start = at << WORD_BITS;
                let points = self
                    .levels
                    .first_mut()
                    .and_then(|points| points.get_mut(start..start + 64))
                    .and_then(|points| <&mut [u64; 64]>::try_from(points).ok());
                match (points, tables.first()) {
                    (Some(points), Some(masks)) => clear_words(points, masks, &mut now, live),
                    _ => (0, 0),
                }
            }
            _ => {
                let below = level - 1;
                let (mut hit, mut work) = (0, 1);
                let mut rest = live;
                while rest != 0 {
                    let bit = rest.trailing_zeros() as usize & 63;
                    rest &= rest - 1;
                    let mask = child_mask(tables, below, bit);
                    let (left, cleared, read) =
                        self.clear(below, at << WORD_BITS | bit, mask, (tables, full));
                    hit |= cleared;
                    work += read;
                    now &= !(u64::from(left == 0) << bit);
                }
                (hit, work)
            }
        };
        if let Some(word) = self
            .levels
            .get_mut(level)
            .and_then(|words| words.get_mut(at))
        {
            *word = now;
        }
        (now, hit | whole, work + 1)
    }

    /// Whether any bit of the piece is set.
    fn any(&self, piece: &[u64], scratch: &mut Scratch) -> bool {
        if piece.contains(&0) {
            return false;
        }
        self.plan(piece, scratch);
        let top = self.levels.len().saturating_sub(1);
        let mask = scratch.tables.get(top).map_or(0, |table| table[0]);
        self.any_in(top, 0, mask, &scratch.tables)
    }

    /// [`any`](Self::any) among the bits of `mask` in word `at` of level
    /// `level`, and below them.
    fn any_in(&self, level: usize, at: usize, mask: u64, tables: &[[u64; 64]]) -> bool {
        let word = self
            .levels
            .get(level)
            .and_then(|words| words.get(at))
            .map_or(0, |word| word & mask);
        let Some(below) = level.checked_sub(1) else {
            return word != 0;
        };
        let mut live = word;
        while live != 0 {
            let bit = live.trailing_zeros() as usize & 63;
            live &= live - 1;
            let mask = child_mask(tables, below, bit);
            if self.any_in(below, at << WORD_BITS | bit, mask, tables) {
                return true;
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::{mark, values, Scratch};

    /// A small random generator (xorshift), so the tests need no crate.
    struct Random(u64);

    impl Random {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    /// Every point of the domains, as one atom per fact.
    fn points(sizes: &[u32]) -> Vec<Vec<u32>> {
        let mut all = vec![Vec::new()];
        for size in sizes {
            all = all
                .into_iter()
                .flat_map(|point| {
                    (0..*size).map(move |atom| {
                        let mut next = point.clone();
                        next.push(atom);
                        next
                    })
                })
                .collect();
        }
        all
    }

    /// The atoms of a fact of `size` atoms, as bits.
    fn domain(size: u32) -> u64 {
        u64::MAX >> (64 - size)
    }

    fn holds(row: &[u64], point: &[u32]) -> bool {
        row.iter()
            .zip(point)
            .all(|(allowed, atom)| allowed >> atom & 1 == 1)
    }

    /// `count` random clauses over facts of `sizes` atoms: each fact
    /// left whole, narrowed to one atom, or to a random set.
    fn clauses(random: &mut Random, sizes: &[u32], count: usize) -> Vec<u64> {
        let mut rows = Vec::new();
        for _ in 0..count {
            for size in sizes {
                let domain = domain(*size);
                let allowed = match random.below(4) {
                    0 | 1 => domain,
                    2 => 1 << random.below(u64::from(*size)),
                    _ => (random.next() & domain).max(1),
                };
                rows.push(allowed);
            }
        }
        rows
    }

    /// Marking says of each clause what trying every point says, for
    /// random clauses over facts whose numbers cross words and levels
    /// and whose domains are not powers of two.
    #[test]
    fn marking_agrees_with_every_point() {
        let shapes: [&[u32]; 5] = [
            &[2, 3],
            &[16, 16, 16],
            &[5, 7, 3, 9],
            &[64, 3, 17],
            &[10, 10, 10, 10],
        ];
        let mut random = Random(0x9e37_79b9_7f4a_7c15);
        let mut marked_clauses = 0;
        for sizes in shapes {
            let domains: Vec<u64> = sizes.iter().map(|size| domain(*size)).collect();
            let every = points(sizes);
            for count in [1, 20, 200, 2_000] {
                let rows = clauses(&mut random, sizes, count);
                let Some(marked) = mark(&domains, &rows) else {
                    // Fewer clauses than the map would take to fill.
                    assert!(
                        count < 2_000 || sizes.iter().sum::<u32>() > 20,
                        "{sizes:?} {count}"
                    );
                    continue;
                };
                marked_clauses += count;
                let mut covered = vec![false; every.len()];
                for (clause, row) in rows.chunks_exact(sizes.len()).enumerate() {
                    let mut first = false;
                    for (point, done) in every.iter().zip(covered.iter_mut()) {
                        if !*done && holds(row, point) {
                            first = true;
                            *done = true;
                        }
                    }
                    assert_eq!(
                        marked.holds_first(clause as u32),
                        first,
                        "{sizes:?} {count} clause {clause}"
                    );
                }
                let left = covered.iter().any(|done| !done);
                assert_eq!(marked.left(), left, "{sizes:?} {count}");
                // A piece has facts left exactly where some point of it is.
                let mut scratch = Scratch::default();
                for piece in rows.chunks_exact(sizes.len()).take(50) {
                    let expected = every
                        .iter()
                        .zip(&covered)
                        .any(|(point, done)| !done && holds(piece, point));
                    assert_eq!(
                        marked.left_in(piece, &mut scratch),
                        expected,
                        "{sizes:?} {piece:?}"
                    );
                }
            }
        }
        // Every shape was marked at every count.
        assert_eq!(marked_clauses, 5 * 2_221);
    }

    #[test]
    fn values_are_the_set_bits_lowest_first() {
        assert_eq!(values(0b1010_0110).collect::<Vec<_>>(), [1, 2, 5, 7]);
        assert_eq!(values(0).count(), 0);
        assert_eq!(values(1 << 63).collect::<Vec<_>>(), [63]);
    }

    /// A map no larger than the fill allows for its clauses, and no more
    /// bits than a point may take, is marked; past either it is not.
    #[test]
    fn large_maps_and_few_clauses_are_left_to_the_search() {
        // Six facts of 16 atoms: 2^24 points, 2^18 words of them.
        let domains = [u64::from(u16::MAX); 6];
        let mut random = Random(7);
        let few = clauses(&mut random, &[16; 6], 1_000);
        assert!(mark(&domains, &few).is_none());
        let many = clauses(&mut random, &[16; 6], 4_096);
        assert!(mark(&domains, &many).is_some());
        // Seven facts of 16 atoms: 28 bits.
        let domains = [u64::from(u16::MAX); 7];
        let rows = clauses(&mut random, &[16; 7], 100_000);
        assert!(mark(&domains, &rows).is_none());
    }
}
