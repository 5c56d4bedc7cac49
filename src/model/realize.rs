//! Realizing a region: a facts object whose every fact falls in the atoms a
//! region allows, or the knowledge that none exists. Facts read from their
//! own paths are independent, so one value per atom does. Relations tie
//! facts together (`a = b`, `b = c` and `a != c` hold for no facts at all),
//! so the facts they read are searched, over a pool of candidate values
//! large enough to make any pattern of equalities and orders among them,
//! for values that satisfy every relation. Witnesses of conflicts, gaps,
//! tests for coverage and answers to "why not" all come from here, so each
//! is a facts object that really reaches what it claims.

use serde_json::Value;

use super::time::{TimeKind, DAY};
use super::{
    insert_at, number_value, Atom, AtomSet, CheckedPolicy, Element, Fact, FactId, FactType,
    Presence, Relation,
};

/// How many assignments the search tries before it gives up (and the
/// region counts as empty: every region a policy of people has is decided
/// in far fewer).
const SEARCH_BUDGET: usize = 200_000;

/// The allowed atoms of every fact: the region's sets, and every atom for
/// a fact the region leaves out.
struct Allowed<'p> {
    region: &'p [(FactId, AtomSet)],
}

impl Allowed<'_> {
    fn contains(&self, fact: FactId, atom: Atom) -> bool {
        self.region
            .iter()
            .find(|(f, _)| *f == fact)
            .is_none_or(|(_, set)| set.contains(atom))
    }

    fn set(&self, fact: FactId) -> Option<&AtomSet> {
        self.region
            .iter()
            .find(|(f, _)| *f == fact)
            .map(|(_, set)| set)
    }
}

impl CheckedPolicy {
    /// Whether some fact is tied to others: a relation between two facts,
    /// or a part (time of day, weekday) of a datetime.
    pub fn has_ties(&self) -> bool {
        self.facts
            .iter()
            .any(|f| matches!(f.ty, FactType::Relation(_) | FactType::Local(_)))
    }

    /// Whether a region of atoms can hold no facts at all: some rule
    /// relates two facts (`requester = owner`), takes a part of a datetime
    /// (its time of day and weekday are tied to it), or compares a date
    /// (between two days in a row there is no date). Only then do the
    /// analyses ask [`realize`](Self::realize) which regions are real.
    pub fn needs_realizing(&self) -> bool {
        self.facts.iter().any(|f| {
            matches!(
                f.ty,
                FactType::Relation(_) | FactType::Local(_) | FactType::Time(TimeKind::Date, _)
            )
        })
    }

    /// Facts in `region` that read well: each fact takes its first present
    /// value allowed (absent only where nothing else is) where that can be
    /// realized, else any facts of the region. An empty object when the
    /// region holds no facts (callers only ask of regions that do).
    pub fn example(&self, region: &[(FactId, AtomSet)]) -> Value {
        let narrowed: Vec<(FactId, AtomSet)> = region
            .iter()
            .filter_map(|(id, set)| {
                let absent = self.fact(*id).and_then(|f| f.absent_atom());
                let atom = set
                    .iter()
                    .find(|a| Some(*a) != absent)
                    .or_else(|| set.first())?;
                Some((*id, AtomSet::from_atoms(set.universe(), [atom])))
            })
            .collect();
        self.realize(&narrowed)
            .or_else(|| self.realize(region))
            .unwrap_or_else(|| Value::Object(serde_json::Map::new()))
    }

    /// A facts object in which every fact of `region` falls in its set of
    /// atoms (and every other fact in some atom), or `None` when no facts
    /// do: a set is empty, or the relations between facts rule the region
    /// out. Facts the region leaves out are left out where they can be.
    pub fn realize(&self, region: &[(FactId, AtomSet)]) -> Option<Value> {
        self.realize_near(region, None)
    }

    /// [`realize`](Self::realize), adding to `work` the steps the search
    /// among related facts took (at most 200,000 assignments, and the
    /// candidates it looked at), so that an analysis that realizes many
    /// regions can bound its whole cost, not only each search's.
    pub fn realize_counting(
        &self,
        region: &[(FactId, AtomSet)],
        work: &mut usize,
    ) -> Option<Value> {
        self.realize_inner(region, None, work)
    }

    /// [`realize`](Self::realize), keeping each fact's value in `near`
    /// where it falls in the region: the fewest changes to given facts.
    pub fn realize_near(
        &self,
        region: &[(FactId, AtomSet)],
        near: Option<&Value>,
    ) -> Option<Value> {
        self.realize_inner(region, near, &mut 0)
    }

    fn realize_inner(
        &self,
        region: &[(FactId, AtomSet)],
        near: Option<&Value>,
        work: &mut usize,
    ) -> Option<Value> {
        if region.iter().any(|(_, set)| set.is_empty()) {
            return None;
        }
        let allowed = Allowed { region };
        // The relations and local parts the region constrains, and the
        // facts they read.
        let relations: Vec<(FactId, Tie<'_>)> = region
            .iter()
            .filter(|(_, set)| !set.is_full())
            .filter_map(|(id, _)| match &self.fact(*id)?.ty {
                FactType::Relation(relation) => Some((*id, Tie::Relation(relation))),
                FactType::Local(local) => Some((*id, Tie::Local(local.base))),
                _ => None,
            })
            .collect();
        let mut bases: Vec<FactId> = Vec::new();
        for (_, tie) in &relations {
            for base in tie.reads() {
                if !bases.contains(&base) {
                    bases.push(base);
                }
            }
        }
        let mut root = Value::Object(serde_json::Map::new());
        if !bases.is_empty() {
            let values = self.search(&allowed, &relations, &bases, near, work)?;
            for (base, value) in bases.iter().zip(values) {
                if let (Some(fact), Some(value)) = (self.fact(*base), value) {
                    insert_at(&mut root, &fact.path, value);
                }
            }
        }
        // Every other fact the region names: a value of an allowed atom.
        for (id, _) in region {
            let Some(fact) = self.fact(*id) else { continue };
            if bases.contains(id) || matches!(fact.ty, FactType::Relation(_) | FactType::Local(_)) {
                continue;
            }
            // A value tested in an array the search chose is in it already.
            if let FactType::Has(..) = fact.ty {
                if bases
                    .iter()
                    .any(|b| self.fact(*b).is_some_and(|f| f.path == fact.path))
                {
                    continue;
                }
            }
            // The given value, where it falls in the region.
            if let Some(value) = near.and_then(|near| value_at(near, &fact.path)) {
                if fact
                    .classify(value)
                    .is_ok_and(|atom| allowed.contains(*id, atom))
                {
                    insert_at(&mut root, &fact.path, value.clone());
                    continue;
                }
            }
            // The first allowed atom that holds a value (between two days
            // in a row is no date); absent where nothing else is allowed.
            let set = allowed.set(*id)?;
            let absent = fact.absent_atom();
            let value = set
                .iter()
                .filter(|atom| Some(*atom) != absent)
                .find_map(|atom| fact.representative(atom));
            match value {
                Some(value) => insert_at(&mut root, &fact.path, value),
                None if absent.is_some_and(|a| set.contains(a)) => {}
                None => match fact.presence {
                    // A default that the set allows: leave the fact out.
                    Presence::Default(atom) if set.contains(atom) => {}
                    _ => return None,
                },
            }
        }
        Some(root)
    }

    /// Values for `bases` (`None`: absent) that fall in their allowed atoms
    /// and satisfy every relation, by depth-first search over candidates.
    fn search(
        &self,
        allowed: &Allowed<'_>,
        relations: &[(FactId, Tie<'_>)],
        bases: &[FactId],
        near: Option<&Value>,
        work: &mut usize,
    ) -> Option<Vec<Option<Value>>> {
        let pool = Pool::of(self, bases, relations, near);
        let candidates: Vec<Vec<Option<Value>>> = bases
            .iter()
            .map(|id| {
                let mut options = self.candidates(allowed, *id, &pool);
                // The given values come first: the fact's own, then the
                // other facts' (to equal one of them changes one fact).
                let own = near.and_then(|near| value_at(near, &self.fact(*id)?.path));
                // Only values of facts of the same kind: a time is never a
                // good example of a name.
                let kind = |b: &FactId| self.fact(*b).map(|f| value_kind(&f.ty));
                let others = bases
                    .iter()
                    .filter(|b| *b != id && kind(b) == kind(id))
                    .filter_map(|b| near.and_then(|near| value_at(near, &self.fact(*b)?.path)));
                let given: Vec<&Value> = own.into_iter().chain(others).collect();
                for (rank, value) in given.into_iter().enumerate() {
                    let fits = self
                        .fact(*id)
                        .and_then(|f| f.classify(value).ok())
                        .is_some_and(|atom| allowed.contains(*id, atom));
                    if !fits {
                        continue;
                    }
                    options.retain(|o| o.as_ref() != Some(value));
                    options.insert(rank.min(options.len()), Some(value.clone()));
                }
                options
            })
            .collect();
        let checks = Checks::new(self, allowed, relations, bases, &candidates);
        let mut chosen: Vec<usize> = vec![0; bases.len()];
        let mut budget = SEARCH_BUDGET;
        /// Tries each candidate of the fact at `depth`, keeping those that
        /// the ties completed there allow, and goes deeper.
        fn step(
            depth: usize,
            candidates: &[Vec<Option<Value>>],
            checks: &Checks,
            chosen: &mut [usize],
            budget: &mut usize,
        ) -> bool {
            let Some(options) = candidates.get(depth) else {
                return true;
            };
            for option in 0..options.len() {
                if *budget == 0 {
                    return false;
                }
                *budget -= 1;
                if let Some(slot) = chosen.get_mut(depth) {
                    *slot = option;
                }
                if checks.hold_at(depth, candidates, chosen)
                    && step(depth + 1, candidates, checks, chosen, budget)
                {
                    return true;
                }
            }
            false
        }
        let found = step(0, &candidates, &checks, &mut chosen, &mut budget);
        *work = work
            .saturating_add(SEARCH_BUDGET - budget)
            .saturating_add(candidates.iter().map(Vec::len).sum());
        if !found {
            return None;
        }
        Some(
            candidates
                .iter()
                .zip(&chosen)
                .map(|(options, k)| options.get(*k).cloned().flatten())
                .collect(),
        )
    }

    /// The values `id` may take in the search: every pool value of its
    /// type that falls in an allowed atom, and absent when that is allowed.
    fn candidates(&self, allowed: &Allowed<'_>, id: FactId, pool: &Pool) -> Vec<Option<Value>> {
        let Some(fact) = self.fact(id) else {
            return Vec::new();
        };
        let mut out: Vec<Option<Value>> = Vec::new();
        let fits = |value: &Value| {
            fact.classify(value)
                .is_ok_and(|atom| allowed.contains(id, atom))
        };
        match &fact.ty {
            FactType::Set(element) => {
                for array in self.arrays(allowed, fact, element, pool) {
                    if fits(&array) {
                        out.push(Some(array));
                    }
                }
            }
            FactType::Bool => {
                out.extend(
                    [Value::Bool(false), Value::Bool(true)]
                        .into_iter()
                        .filter(fits)
                        .map(Some),
                );
            }
            FactType::Number(_) => {
                out.extend(
                    pool.numbers(None)
                        .iter()
                        .map(|x| number_value(*x))
                        .filter(|v| fits(v))
                        .map(Some),
                );
            }
            FactType::Time(kind, _) => {
                // Texts already taken: numbers apart can read alike.
                let mut seen: rustc_hash::FxHashSet<String> = rustc_hash::FxHashSet::default();
                for x in pool.numbers(Some(*kind)) {
                    let x = match kind {
                        TimeKind::Date => x.floor(),
                        _ => *x,
                    };
                    let Some(text) = kind.render(x) else {
                        continue;
                    };
                    if seen.contains(&text) {
                        continue;
                    }
                    let value = Value::String(text.clone());
                    seen.insert(text);
                    if fits(&value) {
                        out.push(Some(value));
                    }
                }
            }
            FactType::Enum(_) | FactType::String(_) => {
                out.extend(pool.texts.iter().filter(|v| fits(v)).cloned().map(Some));
            }
            FactType::Has(..) | FactType::Relation(_) | FactType::Local(_) => {}
        }
        let absent_allowed = match (&fact.presence, fact.absent_atom()) {
            (Presence::Optional, Some(absent)) => allowed.contains(id, absent),
            _ => false,
        };
        if absent_allowed {
            out.push(None);
        }
        out
    }

    /// Arrays a set fact may hold: the values its `Has` facts require,
    /// with any few of the pool's values of its element type besides,
    /// leaving out the values they forbid.
    fn arrays(
        &self,
        allowed: &Allowed<'_>,
        fact: &Fact,
        element: &Element,
        pool: &Pool,
    ) -> Vec<Value> {
        let mut required: Vec<Value> = Vec::new();
        let mut forbidden: Vec<Value> = Vec::new();
        for (i, other) in self.facts.iter().enumerate() {
            let FactType::Has(_, value) = &other.ty else {
                continue;
            };
            if other.path != fact.path {
                continue;
            }
            let Some(set) = allowed.set(FactId(i as u32)) else {
                continue;
            };
            match (set.contains(0), set.contains(1)) {
                (false, true) => required.push(Value::clone(value)),
                (true, false) => forbidden.push(Value::clone(value)),
                _ => {}
            }
        }
        let numbers: Vec<Value> = pool
            .numbers(None)
            .iter()
            .map(|x| number_value(*x))
            .collect();
        let source = match element {
            Element::Number => &numbers,
            Element::Enum(_) | Element::String => &pool.texts,
        };
        let extras: Vec<&Value> = source
            .iter()
            .filter(|v| !required.contains(v) && !forbidden.contains(v))
            .take(6)
            .collect();
        let mut arrays = Vec::new();
        for mask in 0u32..(1 << extras.len()) {
            let mut items = required.clone();
            items.extend(
                extras
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| mask >> i & 1 == 1)
                    .map(|(_, v)| (*v).clone()),
            );
            arrays.push(Value::Array(items));
        }
        arrays
    }
}

/// The ties of a search, each checked at the depth where the last fact it
/// reads is chosen, with what it reads of every candidate worked out once:
/// the number a relation compares (a time parsed), and whether a local
/// part's atom is allowed. A step of the search then parses, copies and
/// allocates nothing.
struct Checks<'p> {
    /// By depth, the ties completed there.
    at: Vec<Vec<Check<'p>>>,
}

enum Check<'p> {
    /// A local part of the base at `base`: whether each candidate's part
    /// falls in an allowed atom.
    Local { base: usize, allowed: Vec<bool> },
    /// A relation between the bases at `left` and `right`.
    Relation {
        relation: &'p Relation,
        left: usize,
        right: usize,
        /// The number the relation reads of each candidate on each side.
        left_numbers: Vec<Option<f64>>,
        right_numbers: Vec<Option<f64>>,
        /// Whether the relation's atoms for holding, not holding, and a
        /// side absent are allowed.
        holds: bool,
        fails: bool,
        absent: bool,
    },
}

impl<'p> Checks<'p> {
    fn new(
        policy: &CheckedPolicy,
        allowed: &Allowed<'_>,
        ties: &[(FactId, Tie<'p>)],
        bases: &[FactId],
        candidates: &[Vec<Option<Value>>],
    ) -> Checks<'p> {
        let position = |id: FactId| bases.iter().position(|b| *b == id);
        let mut at: Vec<Vec<Check<'p>>> = (0..bases.len()).map(|_| Vec::new()).collect();
        for (id, tie) in ties {
            let Some(fact) = policy.fact(*id) else {
                continue;
            };
            let fits = |atom: Option<Atom>| atom.is_some_and(|atom| allowed.contains(*id, atom));
            let (depth, check) = match tie {
                Tie::Relation(relation) => {
                    let (Some(left), Some(right)) =
                        (position(relation.left), position(relation.right))
                    else {
                        continue;
                    };
                    let numbers = |side: usize| -> Vec<Option<f64>> {
                        candidates.get(side).map_or_else(Vec::new, |options| {
                            options
                                .iter()
                                .map(|o| o.as_ref().and_then(|v| relation.number(v)))
                                .collect()
                        })
                    };
                    let check = Check::Relation {
                        relation,
                        left,
                        right,
                        left_numbers: numbers(left),
                        right_numbers: numbers(right),
                        holds: fits(Some(Atom::from(true))),
                        fails: fits(Some(Atom::from(false))),
                        // Unknown (a required fact absent) is never a
                        // witness.
                        absent: fits(fact.absent_atom()),
                    };
                    (left.max(right), check)
                }
                Tie::Local(base) => {
                    let Some(b) = position(*base) else { continue };
                    let allowed = candidates.get(b).map_or_else(Vec::new, |options| {
                        options
                            .iter()
                            .map(|o| match o {
                                Some(value) => fits(fact.classify(value).ok()),
                                None => fits(fact.absent_atom()),
                            })
                            .collect()
                    });
                    (b, Check::Local { base: b, allowed })
                }
            };
            if let Some(list) = at.get_mut(depth) {
                list.push(check);
            }
        }
        Checks { at }
    }

    /// Whether every tie completed at `depth` holds as allowed for the
    /// candidates `chosen` names.
    fn hold_at(&self, depth: usize, candidates: &[Vec<Option<Value>>], chosen: &[usize]) -> bool {
        let Some(checks) = self.at.get(depth) else {
            return true;
        };
        checks.iter().all(|check| match check {
            Check::Local { base, allowed } => chosen
                .get(*base)
                .and_then(|k| allowed.get(*k))
                .copied()
                .unwrap_or(false),
            Check::Relation {
                relation,
                left,
                right,
                left_numbers,
                right_numbers,
                holds,
                fails,
                absent,
            } => {
                let side = |at: usize, numbers: &[Option<f64>]| {
                    let k = *chosen.get(at)?;
                    let value = candidates.get(at)?.get(k)?.as_ref()?;
                    Some((value, numbers.get(k).copied().flatten()))
                };
                match (side(*left, left_numbers), side(*right, right_numbers)) {
                    (Some(l), Some(r)) => {
                        if relation.holds_read(l, r) {
                            *holds
                        } else {
                            *fails
                        }
                    }
                    _ => *absent,
                }
            }
        })
    }
}

/// Candidate values for the facts relations read: for strings and enums,
/// every declared value and literal, each atom's values, and a few values
/// of each class that differ from each other; for numbers, every constant
/// and a few distinct values inside each interval; so that any pattern of
/// equal, different and ordered values among the facts can be met.
struct Pool {
    texts: Vec<Value>,
    /// Numbers for number facts (`None`), and for time facts of each kind
    /// in its unit.
    numbers: Vec<(Option<TimeKind>, Vec<f64>)>,
}

/// What ties a fact to others: a relation reads two facts, a local part
/// (time of day, weekday) reads its datetime.
#[derive(Clone, Copy)]
enum Tie<'p> {
    Relation(&'p Relation),
    Local(FactId),
}

impl Tie<'_> {
    fn reads(self) -> Vec<FactId> {
        match self {
            Tie::Relation(relation) => vec![relation.left, relation.right],
            Tie::Local(base) => vec![base],
        }
    }
}

impl Pool {
    fn of(
        policy: &CheckedPolicy,
        bases: &[FactId],
        ties: &[(FactId, Tie<'_>)],
        near: Option<&Value>,
    ) -> Pool {
        // The given datetimes: the instants nearest them come first, so
        // that an answer to "why not" moves a time as little as it can.
        let given: Vec<f64> = bases
            .iter()
            .filter_map(|id| {
                let fact = policy.fact(*id)?;
                let FactType::Time(TimeKind::DateTime, _) = fact.ty else {
                    return None;
                };
                match value_at(near?, &fact.path)? {
                    Value::String(text) => TimeKind::DateTime.parse(text),
                    _ => None,
                }
            })
            .collect();
        let many = bases.len().max(2);
        let mut texts: Vec<Value> = Vec::new();
        // Constants by unit: plain numbers, and each kind of time.
        let mut points: Vec<(Option<TimeKind>, Vec<f64>)> = Vec::new();
        let mut add_points =
            |kind: Option<TimeKind>, own: &[f64]| match points.iter_mut().find(|(k, _)| *k == kind)
            {
                Some((_, list)) => list.extend(own),
                None => points.push((kind, own.to_vec())),
            };
        let mut strings: Option<super::Strings> = None;
        let push = |list: &mut Vec<Value>, value: Value| {
            if !list.contains(&value) {
                list.push(value);
            }
        };
        for base in bases {
            let Some(fact) = policy.fact(*base) else {
                continue;
            };
            match &fact.ty {
                FactType::Enum(values) | FactType::Set(Element::Enum(values)) => {
                    for v in values {
                        push(&mut texts, Value::String(v.clone()));
                    }
                }
                FactType::String(domain) => {
                    strings = Some(match strings {
                        Some(joint) => joint.joined(domain),
                        None => super::Strings::clone(domain),
                    });
                }
                FactType::Number(own) => add_points(None, own),
                FactType::Set(Element::Number) => add_points(None, &[]),
                FactType::Time(kind, own) => {
                    add_points(Some(*kind), own);
                    // Times of now rather than of 1970.
                    if own.is_empty() {
                        add_points(Some(*kind), &[kind.anchor()]);
                    }
                }
                _ => {}
            }
        }
        // Times of day the local parts compare with.
        let mut clock_points: Vec<f64> = Vec::new();
        for (id, tie) in ties {
            if let (Tie::Local(_), Some(fact)) = (tie, policy.fact(*id)) {
                if let Some((own, _)) = fact.ty.points() {
                    clock_points.extend(own);
                }
            }
        }
        clock_points.sort_by(f64::total_cmp);
        clock_points.dedup();
        let clocks: Vec<f64> = interval_numbers(&clock_points, 1)
            .into_iter()
            .filter(|x| (0.0..DAY).contains(x))
            .collect();
        // The strings every string fact tells apart, jointly: values of
        // each joint class, and the literals (which enum values may equal).
        let strings = strings.unwrap_or_default();
        for atom in 0..strings.atoms() {
            for s in strings.representatives(atom, many) {
                push(&mut texts, Value::String(s));
            }
        }
        for i in 0..many {
            push(&mut texts, Value::String(format!("item{i}")));
        }
        // Relations that move a fact (`a <= b + 14 days`, `within`) are met
        // at, just inside and just outside the offset.
        let mut numbers = Vec::new();
        for (kind, mut own) in points {
            own.sort_by(f64::total_cmp);
            own.dedup();
            let mut values = interval_numbers(&own, many);
            // Instants whose local parts take every time of day and
            // weekday, for every datetime (one may equal another's).
            if kind == Some(TimeKind::DateTime) {
                let near: Vec<f64> = given.iter().chain(values.iter().take(3)).copied().collect();
                let mut local_instants = Vec::new();
                for fact in &policy.facts {
                    if let FactType::Local(local) = &fact.ty {
                        if bases.contains(&local.base) {
                            let clocks = if clocks.is_empty() {
                                vec![12.0 * 3600.0]
                            } else {
                                clocks.clone()
                            };
                            for x in local.local.instants(&near, &clocks) {
                                if !values.contains(&x) && !local_instants.contains(&x) {
                                    local_instants.push(x);
                                }
                            }
                        }
                    }
                }
                if given.is_empty() {
                    values.extend(local_instants);
                } else {
                    local_instants.extend(values);
                    values = local_instants;
                }
            }
            let offsets = ties.iter().filter_map(|(_, tie)| match tie {
                Tie::Relation(relation) if relation.offset != 0.0 && relation.time == kind => {
                    Some(relation.offset)
                }
                _ => None,
            });
            let base = values.clone();
            for offset in offsets {
                for x in &base {
                    for moved in [x + offset, x - offset] {
                        for near in [moved - 1.0, moved, moved + 1.0] {
                            if !values.contains(&near) {
                                values.push(near);
                            }
                        }
                    }
                }
            }
            numbers.push((kind, values));
        }
        Pool { texts, numbers }
    }

    /// The candidate numbers of one unit: plain numbers (`None`) or a kind
    /// of time.
    fn numbers(&self, kind: Option<TimeKind>) -> &[f64] {
        self.numbers
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or(&[], |(_, values)| values.as_slice())
    }
}

/// What kind of JSON value a fact holds, so that a value given for one
/// fact is tried for another only when it could fit.
fn value_kind(ty: &FactType) -> u8 {
    match ty {
        FactType::Enum(_) | FactType::String(_) => 0,
        FactType::Number(_) => 1,
        FactType::Bool => 2,
        FactType::Time(TimeKind::Date, _) => 3,
        FactType::Time(TimeKind::DateTime, _) => 4,
        FactType::Time(..) => 5,
        FactType::Set(_) | FactType::Has(..) => 6,
        FactType::Relation(_) | FactType::Local(_) => 7,
    }
}

/// The value at `path` in `facts`, if present and not `null`.
fn value_at<'v>(facts: &'v Value, path: &[String]) -> Option<&'v Value> {
    path.iter()
        .try_fold(facts, |node, key| node.get(key))
        .filter(|v| !v.is_null())
}

/// The constants, and `many` distinct values inside each interval between
/// them (and below and above them all).
fn interval_numbers(points: &[f64], many: usize) -> Vec<f64> {
    let mut values = Vec::new();
    let spread = |lo: f64, hi: f64| -> Vec<f64> {
        (1..=many)
            .map(|j| lo + (hi - lo) * j as f64 / (many as f64 + 1.0))
            .filter(|x| *x > lo && *x < hi)
            .collect()
    };
    match (points.first(), points.last()) {
        (Some(first), Some(last)) => {
            values.extend((1..=many).map(|j| first - j as f64));
            for pair in points.windows(2) {
                if let [lo, hi] = pair {
                    values.extend(spread(*lo, *hi));
                }
            }
            values.extend(points.iter().copied());
            values.extend((1..=many).map(|j| last + j as f64));
        }
        _ => values.extend((0..many).map(|j| j as f64)),
    }
    values
}
