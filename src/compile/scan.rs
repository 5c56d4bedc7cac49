//! The fallback for policies whose decision tree would be too large to
//! build: an index of rules by fact value, as bit sets. Evaluation ANDs, 64
//! rules at a time, the sets of rules each fact's value allows, and takes the
//! first rule left: the first match, as the tree would find it, in time
//! linear in the number of rules (with an early exit at the first match).

use crate::model::{AtomSet, CheckedPolicy, FactId, RuleId};

/// The most words one fact's table may hold (32 MiB); a fact with more
/// atoms than that allows is checked rule by rule instead.
const MAX_TABLE_WORDS: usize = 4 << 20;

/// Rules indexed by fact value.
#[derive(Clone, Debug)]
pub struct RuleScan {
    /// The clauses of the satisfiable rules, in order (a rule with several
    /// clauses takes several bits in a row); bit `i` stands for a clause of
    /// `rules[i]`.
    pub rules: Vec<RuleId>,
    /// `allows[fact][atom][word]`: the rules that allow the atom (or do not
    /// test the fact). Empty for a fact whose table would be too large.
    allows: Vec<Vec<Vec<u64>>>,
    /// `tests[fact][word]`: the rules that test the fact (not with a full set).
    tests: Vec<Vec<u64>>,
    /// Each clause's allowed atoms per fact, sorted by fact.
    conditions: Vec<Vec<(FactId, AtomSet)>>,
    words: usize,
}

impl RuleScan {
    pub fn new(policy: &CheckedPolicy) -> RuleScan {
        let mut rules: Vec<RuleId> = Vec::new();
        let mut conditions: Vec<Vec<(FactId, AtomSet)>> = Vec::new();
        for rule in policy.rules_in_order() {
            for clause in &rule.clauses {
                rules.push(rule.id);
                conditions.push(clause.conditions.clone());
            }
        }
        let condition = |bit: usize, fact: FactId| {
            conditions.get(bit).and_then(|c| {
                c.binary_search_by_key(&fact, |(f, _)| *f)
                    .ok()
                    .and_then(|i| c.get(i))
                    .map(|(_, set)| set)
            })
        };
        let words = rules.len().div_ceil(64).max(1);
        let mut allows = Vec::with_capacity(policy.facts.len());
        let mut tests = Vec::with_capacity(policy.facts.len());
        for (f, fact) in policy.facts.iter().enumerate() {
            let fact_id = FactId(f as u32);
            let atoms = fact.atom_count() as usize;
            let mut tested = vec![0u64; words];
            for bit in 0..rules.len() {
                if condition(bit, fact_id).is_some_and(|s| !s.is_full()) {
                    if let Some(w) = tested.get_mut(bit / 64) {
                        *w |= 1u64 << (bit % 64);
                    }
                }
            }
            let mut per_atom = Vec::new();
            if atoms.saturating_mul(words) <= MAX_TABLE_WORDS {
                // Clauses that do not test the fact allow every atom.
                let untested: Vec<u64> = tested.iter().map(|w| !w).collect();
                per_atom = vec![untested; atoms];
                for bit in 0..rules.len() {
                    let Some(set) = condition(bit, fact_id) else {
                        continue;
                    };
                    if set.is_full() {
                        continue;
                    }
                    for atom in set.iter() {
                        if let Some(w) = per_atom
                            .get_mut(atom as usize)
                            .and_then(|row| row.get_mut(bit / 64))
                        {
                            *w |= 1u64 << (bit % 64);
                        }
                    }
                }
            }
            allows.push(per_atom);
            tests.push(tested);
        }
        RuleScan {
            rules,
            allows,
            tests,
            conditions,
            words,
        }
    }

    /// How many rules the scan tries (each once, whatever its clauses).
    pub fn rule_count(&self) -> usize {
        let mut count = 0;
        let mut last = None;
        for rule in &self.rules {
            if last != Some(rule) {
                count += 1;
                last = Some(rule);
            }
        }
        count
    }

    /// The facts the clause at `position` constrains, with their allowed atoms.
    pub fn clause(&self, position: usize) -> &[(FactId, AtomSet)] {
        self.conditions
            .get(position)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// The first clause whose conditions on the known facts hold. `value`
    /// reads a fact on first need: `Some(atom)`, or `None` when unknown.
    /// Returns the clause's position in [`rules`](Self::rules), after
    /// `after` when given.
    pub fn first_match(
        &self,
        mut value: impl FnMut(FactId) -> Option<u32>,
        after: Option<usize>,
    ) -> Option<usize> {
        let start = after.map_or(0, |a| a + 1);
        for word in (start / 64)..self.words {
            let mut mask = if word == start / 64 && !start.is_multiple_of(64) {
                u64::MAX << (start % 64)
            } else {
                u64::MAX
            };
            if word + 1 == self.words && !self.rules.len().is_multiple_of(64) {
                mask &= (1u64 << (self.rules.len() % 64)) - 1;
            }
            for (f, tested) in self.tests.iter().enumerate() {
                if mask == 0 {
                    break;
                }
                if tested.get(word).copied().unwrap_or(0) & mask == 0 {
                    continue;
                }
                if let Some(atom) = value(FactId(f as u32)) {
                    mask &= self.allowed(f, atom, word, tested.get(word).copied().unwrap_or(0));
                }
            }
            if mask != 0 {
                return Some(word * 64 + mask.trailing_zeros() as usize);
            }
        }
        None
    }

    /// The rules of `word` that allow `atom` of fact `f`: from the table, or
    /// rule by rule for a fact too large for one.
    fn allowed(&self, f: usize, atom: u32, word: usize, tested: u64) -> u64 {
        if let Some(per_atom) = self.allows.get(f).filter(|t| !t.is_empty()) {
            return per_atom
                .get(atom as usize)
                .and_then(|row| row.get(word))
                .copied()
                .unwrap_or(0);
        }
        let fact = FactId(f as u32);
        let mut allowed = !tested;
        let mut bits = tested;
        while bits != 0 {
            let bit = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            let allows = self
                .conditions
                .get(word * 64 + bit)
                .and_then(|c| c.iter().find(|(g, _)| *g == fact))
                .is_some_and(|(_, set)| set.contains(atom));
            if allows {
                allowed |= 1u64 << bit;
            }
        }
        allowed
    }
}
