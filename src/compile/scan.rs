//! The fallback for policies whose decision tree would be too large to
//! build: an index of rules by fact value, as bit sets. Rules are taken 64
//! at a time (a block); for each fact the block's rules test, the atoms of
//! the fact are cut into segments where the same rules allow the value,
//! each with the bit set of those rules. Evaluation ANDs, block by block,
//! the sets the facts' values fall in, and takes the first rule left: the
//! first match, as the tree would find it, in time linear in the rules'
//! conditions (with an early exit at the first match), and in memory linear
//! in them too, however many facts, atoms or rules the policy has.

use crate::model::{AtomSet, CheckedPolicy, FactId, RuleId};

/// Rules indexed by fact value.
#[derive(Clone, Debug)]
pub struct RuleScan {
    /// The clauses of the satisfiable rules, in order (a rule with several
    /// clauses takes several bits in a row); bit `i` stands for a clause of
    /// `rules[i]`.
    pub rules: Vec<RuleId>,
    /// Per block of 64 clauses, the facts they test, by fact.
    blocks: Vec<Vec<Tested>>,
    /// Each clause's index among its rule's clauses: its conditions are
    /// the policy's, not copied here.
    clauses: Vec<u32>,
}

/// One fact that some clauses of a block test.
#[derive(Clone, Debug)]
struct Tested {
    fact: FactId,
    /// The clauses of the block that test it (not with a full set).
    tests: u64,
    /// Where each segment of the fact's atoms starts, the first at 0.
    starts: Vec<u32>,
    /// Per segment, the clauses of the block that allow its atoms (those
    /// that do not test the fact included).
    allows: Vec<u64>,
}

impl Tested {
    /// The clauses of the block that allow `atom`.
    fn allows(&self, atom: u32) -> u64 {
        let segment = self
            .starts
            .partition_point(|start| *start <= atom)
            .saturating_sub(1);
        self.allows.get(segment).copied().unwrap_or(!self.tests)
    }
}

impl RuleScan {
    pub fn new(policy: &CheckedPolicy) -> RuleScan {
        let mut rules: Vec<RuleId> = Vec::new();
        let mut clauses: Vec<u32> = Vec::new();
        let mut conditions: Vec<&[(FactId, AtomSet)]> = Vec::new();
        for rule in policy.rules_in_order() {
            for (index, clause) in rule.clauses.iter().enumerate() {
                rules.push(rule.id);
                clauses.push(index as u32);
                conditions.push(&clause.conditions);
            }
        }
        // Held as long as the policy: without the room they grew into.
        rules.shrink_to_fit();
        clauses.shrink_to_fit();
        let blocks = conditions
            .chunks(64)
            .map(|block| {
                // The conditions of the block, by fact: (fact, bit, atoms).
                let mut by_fact: Vec<(FactId, usize, &AtomSet)> = block
                    .iter()
                    .enumerate()
                    .flat_map(|(bit, clause)| {
                        clause
                            .iter()
                            .filter(|(_, set)| !set.is_full())
                            .map(move |(fact, set)| (*fact, bit, set))
                    })
                    .collect();
                by_fact.sort_by_key(|(fact, bit, _)| (*fact, *bit));
                by_fact
                    .chunk_by(|a, b| a.0 == b.0)
                    .map(|same| {
                        let fact = same.first().map_or(FactId(0), |c| c.0);
                        let tests = same.iter().fold(0u64, |w, (_, bit, _)| w | 1 << bit);
                        // Segments start where any of the sets starts or ends.
                        let mut starts: Vec<u32> = vec![0];
                        for (_, _, set) in same {
                            for (start, end) in set.runs() {
                                starts.push(start);
                                starts.push(end);
                            }
                        }
                        starts.sort_unstable();
                        starts.dedup();
                        let allows = starts
                            .iter()
                            .map(|atom| {
                                same.iter()
                                    .filter(|(_, _, set)| set.contains(*atom))
                                    .fold(!tests, |w, (_, bit, _)| w | 1 << bit)
                            })
                            .collect();
                        Tested {
                            fact,
                            tests,
                            starts,
                            allows,
                        }
                    })
                    .collect()
            })
            .collect();
        RuleScan {
            rules,
            blocks,
            clauses,
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

    /// The facts the clause at `position` constrains, with their allowed
    /// atoms, in `policy` (the one the scan was made for).
    pub fn clause<'p>(
        &self,
        policy: &'p CheckedPolicy,
        position: usize,
    ) -> &'p [(FactId, AtomSet)] {
        let rule = self.rules.get(position).and_then(|id| policy.rule(*id));
        let index = self.clauses.get(position).map(|i| *i as usize);
        rule.zip(index)
            .and_then(|(rule, index)| rule.clauses.get(index))
            .map(|clause| clause.conditions.as_slice())
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
        let last = self.rules.len();
        for (word, block) in self.blocks.iter().enumerate().skip(start / 64) {
            let mut mask = if word == start / 64 && !start.is_multiple_of(64) {
                u64::MAX << (start % 64)
            } else {
                u64::MAX
            };
            if word + 1 == self.blocks.len() && !last.is_multiple_of(64) {
                mask &= (1u64 << (last % 64)) - 1;
            }
            for tested in block {
                if mask == 0 {
                    break;
                }
                if tested.tests & mask == 0 {
                    continue;
                }
                if let Some(atom) = value(tested.fact) {
                    mask &= tested.allows(atom);
                }
            }
            if mask != 0 {
                return Some(word * 64 + mask.trailing_zeros() as usize);
            }
        }
        None
    }
}
