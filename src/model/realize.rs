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

use super::{insert_at, Atom, AtomSet, CheckedPolicy, Element, Fact, FactId, FactType, Presence};

/// How many assignments the search tries before it gives up (and the
/// region counts as empty: every region a policy of people has is decided
/// in far fewer).
const SEARCH_BUDGET: usize = 200_000;

/// The allowed atoms of every fact: the region's sets, and every atom for
/// a fact the region leaves out.
struct Allowed<'p> {
    policy: &'p CheckedPolicy,
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

    /// The first allowed atom of a fact.
    fn first(&self, fact: FactId) -> Option<Atom> {
        match self.set(fact) {
            Some(set) => set.first(),
            None => Some(0).filter(|_| self.policy.fact(fact).is_some()),
        }
    }
}

impl CheckedPolicy {
    /// Whether some rule relates two facts (`requester = owner`): only then
    /// can a region of atoms hold no facts at all.
    pub fn has_relations(&self) -> bool {
        self.facts
            .iter()
            .any(|f| matches!(f.ty, FactType::Relation(_)))
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

    /// [`realize`](Self::realize), keeping each fact's value in `near`
    /// where it falls in the region: the fewest changes to given facts.
    pub fn realize_near(
        &self,
        region: &[(FactId, AtomSet)],
        near: Option<&Value>,
    ) -> Option<Value> {
        if region.iter().any(|(_, set)| set.is_empty()) {
            return None;
        }
        let allowed = Allowed {
            policy: self,
            region,
        };
        // The relations the region constrains, and the facts they read.
        let relations: Vec<(FactId, &super::Relation)> = region
            .iter()
            .filter(|(_, set)| !set.is_full())
            .filter_map(|(id, _)| match &self.fact(*id)?.ty {
                FactType::Relation(relation) => Some((*id, relation)),
                _ => None,
            })
            .collect();
        let mut bases: Vec<FactId> = Vec::new();
        for (_, relation) in &relations {
            for base in [relation.left, relation.right] {
                if !bases.contains(&base) {
                    bases.push(base);
                }
            }
        }
        let mut root = Value::Object(serde_json::Map::new());
        if !bases.is_empty() {
            let values = self.search(&allowed, &relations, &bases, near)?;
            for (base, value) in bases.iter().zip(values) {
                if let (Some(fact), Some(value)) = (self.fact(*base), value) {
                    insert_at(&mut root, &fact.path, value);
                }
            }
        }
        // Every other fact the region names: a value of an allowed atom.
        for (id, _) in region {
            let Some(fact) = self.fact(*id) else { continue };
            if bases.contains(id) || matches!(fact.ty, FactType::Relation(_)) {
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
            let atom = allowed.first(*id)?;
            if let Some(value) = fact.representative(atom) {
                insert_at(&mut root, &fact.path, value);
            }
        }
        Some(root)
    }

    /// Values for `bases` (`None`: absent) that fall in their allowed atoms
    /// and satisfy every relation, by depth-first search over candidates.
    fn search(
        &self,
        allowed: &Allowed<'_>,
        relations: &[(FactId, &super::Relation)],
        bases: &[FactId],
        near: Option<&Value>,
    ) -> Option<Vec<Option<Value>>> {
        let pool = Pool::of(self, bases);
        let candidates: Vec<Vec<Option<Value>>> = bases
            .iter()
            .map(|id| {
                let mut options = self.candidates(allowed, *id, &pool);
                // The given values come first: the fact's own, then the
                // other facts' (to equal one of them changes one fact).
                let own = near.and_then(|near| value_at(near, &self.fact(*id)?.path));
                let others = bases
                    .iter()
                    .filter(|b| *b != id)
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
        let mut chosen: Vec<Option<Value>> = vec![None; bases.len()];
        let mut budget = SEARCH_BUDGET;
        let position = |id: FactId| bases.iter().position(|b| *b == id);
        // Whether every relation between assigned facts (those before `upto`) holds as allowed.
        let consistent = |chosen: &[Option<Value>], upto: usize| {
            relations.iter().all(|(id, relation)| {
                let (Some(l), Some(r)) = (position(relation.left), position(relation.right)) else {
                    return true;
                };
                if l >= upto || r >= upto {
                    return true;
                }
                let Some(fact) = self.fact(*id) else {
                    return true;
                };
                let atom = match (
                    chosen.get(l).cloned().flatten(),
                    chosen.get(r).cloned().flatten(),
                ) {
                    (Some(left), Some(right)) => Atom::from(relation.op.holds(&left, &right)),
                    _ => match fact.absent_atom() {
                        Some(absent) => absent,
                        // A required relation over an absent fact is unknown: never a witness.
                        None => return false,
                    },
                };
                allowed.contains(*id, atom)
            })
        };
        fn step(
            depth: usize,
            candidates: &[Vec<Option<Value>>],
            chosen: &mut Vec<Option<Value>>,
            budget: &mut usize,
            consistent: &dyn Fn(&[Option<Value>], usize) -> bool,
        ) -> bool {
            let Some(options) = candidates.get(depth) else {
                return true;
            };
            for option in options {
                if *budget == 0 {
                    return false;
                }
                *budget -= 1;
                if let Some(slot) = chosen.get_mut(depth) {
                    *slot = option.clone();
                }
                if consistent(chosen, depth + 1)
                    && step(depth + 1, candidates, chosen, budget, consistent)
                {
                    return true;
                }
            }
            false
        }
        step(0, &candidates, &mut chosen, &mut budget, &consistent).then_some(chosen)
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
                out.extend(pool.numbers.iter().filter(|v| fits(v)).cloned().map(Some));
            }
            FactType::Enum(_) | FactType::String(_) => {
                out.extend(pool.texts.iter().filter(|v| fits(v)).cloned().map(Some));
            }
            FactType::Has(..) | FactType::Relation(_) => {}
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
                (false, true) => required.push(value.clone()),
                (true, false) => forbidden.push(value.clone()),
                _ => {}
            }
        }
        let source = match element {
            Element::Number => &pool.numbers,
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

/// Candidate values for the facts relations read: for strings and enums,
/// every declared value and literal, each atom's values, and a few values
/// of each class that differ from each other; for numbers, every constant
/// and a few distinct values inside each interval; so that any pattern of
/// equal, different and ordered values among the facts can be met.
struct Pool {
    texts: Vec<Value>,
    numbers: Vec<Value>,
}

impl Pool {
    fn of(policy: &CheckedPolicy, bases: &[FactId]) -> Pool {
        let many = bases.len().max(2);
        let mut texts: Vec<Value> = Vec::new();
        let mut points: Vec<f64> = Vec::new();
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
                        None => domain.clone(),
                    });
                }
                FactType::Number(own) => points.extend(own),
                _ => {}
            }
        }
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
        points.sort_by(f64::total_cmp);
        points.dedup();
        let numbers = interval_values(&points, many);
        Pool { texts, numbers }
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
fn interval_values(points: &[f64], many: usize) -> Vec<Value> {
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
    values.into_iter().map(super::number_value).collect()
}
