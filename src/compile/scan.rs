//! The fallback for policies whose decision tree would be too large to
//! build: an index of rules by fact value, as bit sets. Evaluation ANDs, 64
//! rules at a time, the sets of rules each fact's value allows, and takes the
//! first rule left: the first match, as the tree would find it, in time
//! linear in the number of rules (with an early exit at the first match).

use crate::check::{AtomSet, CheckedPolicy, FactId, RuleId};

/// Rules indexed by fact value.
#[derive(Clone, Debug)]
pub struct RuleScan {
    /// The satisfiable rules, in order; bit `i` stands for `rules[i]`.
    pub rules: Vec<RuleId>,
    /// `allows[fact][atom][word]`: the rules that allow the atom (or do not
    /// test the fact).
    allows: Vec<Vec<Vec<u64>>>,
    /// `tests[fact][word]`: the rules that test the fact (not with a full set).
    tests: Vec<Vec<u64>>,
    words: usize,
}

impl RuleScan {
    pub fn new(policy: &CheckedPolicy) -> RuleScan {
        let rules: Vec<RuleId> = policy
            .rules
            .iter()
            .filter(|r| r.is_satisfiable())
            .map(|r| r.id)
            .collect();
        let words = rules.len().div_ceil(64).max(1);
        let mut allows = Vec::with_capacity(policy.facts.len());
        let mut tests = Vec::with_capacity(policy.facts.len());
        for (f, fact) in policy.facts.iter().enumerate() {
            let fact_id = FactId(f as u32);
            let atoms = fact.atom_count() as usize;
            let mut per_atom = vec![vec![0u64; words]; atoms];
            let mut tested = vec![0u64; words];
            for (bit, rule) in rules.iter().enumerate() {
                let (word, mask) = (bit / 64, 1u64 << (bit % 64));
                let set: Option<&AtomSet> = policy.rule(*rule).and_then(|r| r.condition(fact_id));
                let set = set.filter(|s| !s.is_full());
                if set.is_some() {
                    if let Some(w) = tested.get_mut(word) {
                        *w |= mask;
                    }
                }
                for (atom, row) in per_atom.iter_mut().enumerate() {
                    if set.is_none_or(|s| s.contains(atom as u32)) {
                        if let Some(w) = row.get_mut(word) {
                            *w |= mask;
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
            words,
        }
    }

    /// The first rule whose conditions on the known facts hold. `value`
    /// reads a fact on first need: `Some(atom)`, or `None` when unknown.
    /// Returns the rule's position in [`rules`](Self::rules).
    pub fn first_match(
        &self,
        mut value: impl FnMut(FactId) -> Option<u32>,
        after: Option<usize>,
    ) -> Option<usize> {
        let start = after.map_or(0, |a| a + 1);
        for word in (start / 64)..self.words {
            let mut mask = if word == start / 64 && start % 64 != 0 {
                u64::MAX << (start % 64)
            } else {
                u64::MAX
            };
            if word + 1 == self.words && self.rules.len() % 64 != 0 {
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
                    let allowed = self
                        .allows
                        .get(f)
                        .and_then(|per_atom| per_atom.get(atom as usize))
                        .and_then(|row| row.get(word))
                        .copied()
                        .unwrap_or(0);
                    mask &= allowed;
                }
            }
            if mask != 0 {
                return Some(word * 64 + mask.trailing_zeros() as usize);
            }
        }
        None
    }
}
