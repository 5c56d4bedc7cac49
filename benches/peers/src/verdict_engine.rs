//! verdict, through its public API only; every call into verdict in this
//! crate is in this file, so that a change to that API is made here alone.
//! The prepared input is a `serde_json::Value` (`PolicySet::decide`); from
//! JSON text is `PolicySet::decide_json`. Both return decisions that borrow
//! their texts from the set, as a service deciding per request would use.

use serde_json::Value;
use verdict::testing::workloads::{PackDecision, PackOutcome};
use verdict::{DecisionRef, Decisions, PolicySet};

use crate::Engine;

/// Rows 1 to 10 of the rules document, as the `file:line` of the rule that
/// verdict reports for each.
const PACK_ROWS: [&str; 10] = [
    "policies/multichannel/channels.policy:6",
    "policies/multichannel/channels.policy:10",
    "policies/multichannel/channels.policy:15",
    "policies/multichannel/channels.policy:22",
    "policies/multichannel/indirect.policy:7",
    "policies/multichannel/indirect.policy:10",
    "policies/multichannel/indirect.policy:14",
    "policies/multichannel/indirect.policy:16",
    "policies/multichannel/indirect.policy:20",
    "policies/multichannel/indirect.policy:23",
];

/// The single decision of a one-policy set.
fn only<'a>(decisions: Result<Decisions<'a>, verdict::Report>) -> Result<DecisionRef<'a>, String> {
    let decisions = decisions.map_err(|report| report.render(100))?;
    match *decisions {
        [decision] => Ok(decision),
        _ => Err(format!("expected one decision, got {}", decisions.len())),
    }
}

/// The built-in multichannel pack.
pub struct Pack {
    set: PolicySet,
    /// The row of each rule, by the address of its `file:line` text: a
    /// decision borrows that text from the set, so the address names the
    /// rule without comparing strings. Filled on first sight, checked
    /// against `PACK_ROWS` then; a scan of its ten pairs costs less than
    /// hashing the address.
    rows: Vec<(usize, u8)>,
}

impl Pack {
    pub fn load() -> Result<Pack, String> {
        let set = PolicySet::builtin().map_err(|report| report.render(100))?;
        Ok(Pack {
            set,
            rows: Vec::new(),
        })
    }

    fn outcome(
        rows: &mut Vec<(usize, u8)>,
        decision: DecisionRef<'_>,
    ) -> Result<PackOutcome, String> {
        let name = PackDecision::from_name(decision.decision)
            .ok_or_else(|| format!("unknown decision {:?}", decision.decision))?;
        let row = match decision.rule {
            None => 0,
            Some(rule) => match rows.iter().find(|(at, _)| *at == rule.as_ptr() as usize) {
                Some((_, row)) => *row,
                None => {
                    let row = PACK_ROWS
                        .iter()
                        .position(|row| *row == rule)
                        .map(|i| i as u8 + 1)
                        .ok_or_else(|| {
                            format!("rule {rule} is not a row of policies/multichannel/README.md")
                        })?;
                    rows.push((rule.as_ptr() as usize, row));
                    row
                }
            },
        };
        Ok(PackOutcome {
            decision: name,
            row,
        })
    }
}

impl Engine for Pack {
    type Input = Value;
    type Output = PackOutcome;

    fn prepare(&self, facts: &Value) -> Result<Value, String> {
        Ok(facts.clone())
    }

    fn decide(&mut self, facts: &Value) -> Result<PackOutcome, String> {
        Pack::outcome(&mut self.rows, only(self.set.decide(facts))?)
    }

    fn decide_text(&mut self, text: &str) -> Result<PackOutcome, String> {
        Pack::outcome(
            &mut self.rows,
            only(self.set.decide_json("facts.json", text))?,
        )
    }
}

/// A generated `first match` rule set, whose outcome `r{i}` names rule i.
pub struct Scale {
    set: PolicySet,
}

impl Scale {
    pub fn load(text: &str) -> Result<Scale, String> {
        let set = PolicySet::from_sources([("scale.policy", text)])
            .map_err(|report| report.render(100))?;
        Ok(Scale { set })
    }

    fn rule(decision: DecisionRef<'_>) -> Result<Option<usize>, String> {
        if decision.decision == "none" {
            return Ok(None);
        }
        decision
            .decision
            .strip_prefix('r')
            .and_then(|i| i.parse().ok())
            .map(Some)
            .ok_or_else(|| format!("unknown decision {:?}", decision.decision))
    }
}

impl Engine for Scale {
    type Input = Value;
    type Output = Option<usize>;

    fn prepare(&self, facts: &Value) -> Result<Value, String> {
        Ok(facts.clone())
    }

    fn decide(&mut self, facts: &Value) -> Result<Option<usize>, String> {
        Scale::rule(only(self.set.decide(facts))?)
    }

    fn decide_text(&mut self, text: &str) -> Result<Option<usize>, String> {
        Scale::rule(only(self.set.decide_json("facts.json", text))?)
    }
}
