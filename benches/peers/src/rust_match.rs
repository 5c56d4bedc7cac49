//! The floor: the rules written by hand in Rust. The pack is one `match`
//! over a typed struct (`verdict::testing::floor`, shared with the main
//! crate's benches); a generated rule set is a linear scan over its rules,
//! first match, on the inputs' value indices. "From JSON text" is
//! serde_json into that typed form, then the same code.

use serde::Deserialize;
use serde_json::Value;
use verdict::testing::floor::{decide_pack, TypedFacts};
use verdict::testing::workloads::{PackOutcome, Scale, FACTS, VALUES};

use crate::Engine;

/// The pack, as a `match`.
pub struct Pack;

impl Engine for Pack {
    type Input = TypedFacts;
    type Output = PackOutcome;

    fn prepare(&self, facts: &Value) -> Result<TypedFacts, String> {
        TypedFacts::deserialize(facts).map_err(|e| e.to_string())
    }

    fn decide(&mut self, facts: &TypedFacts) -> Result<PackOutcome, String> {
        Ok(decide_pack(facts))
    }

    fn decide_text(&mut self, text: &str) -> Result<PackOutcome, String> {
        let facts: TypedFacts = serde_json::from_str(text).map_err(|e| e.to_string())?;
        Ok(decide_pack(&facts))
    }
}

/// A generated rule set, as a list of rules scanned in order.
pub struct ScaleScan {
    rules: Vec<Vec<(usize, usize)>>,
}

impl ScaleScan {
    pub fn new(scale: &Scale) -> ScaleScan {
        ScaleScan {
            rules: scale.rules.clone(),
        }
    }

    fn first_match(&self, values: &[u8; FACTS]) -> Option<usize> {
        self.rules
            .iter()
            .position(|tests| tests.iter().all(|&(f, v)| usize::from(values[f]) == v))
    }
}

/// A scaling input as JSON: `{"f0": "f0v3", ...}`.
#[derive(Deserialize)]
struct ScaleFacts<'a> {
    #[serde(borrow)]
    f0: &'a str,
    f1: &'a str,
    f2: &'a str,
    f3: &'a str,
    f4: &'a str,
    f5: &'a str,
}

impl ScaleFacts<'_> {
    /// The value indices, checking each value is `f{f}v{0..16}`.
    fn indices(&self) -> Result<[u8; FACTS], String> {
        let mut values = [0; FACTS];
        let names = [self.f0, self.f1, self.f2, self.f3, self.f4, self.f5];
        for (f, (value, name)) in values.iter_mut().zip(names).enumerate() {
            *value = value_index(f, name).ok_or_else(|| format!("f{f}: bad value {name:?}"))?;
        }
        Ok(values)
    }
}

/// `v` for the value `f{f}v{v}` of fact `f`.
fn value_index(f: usize, name: &str) -> Option<u8> {
    let rest = name.strip_prefix('f')?;
    let (fact, value) = rest.split_once('v')?;
    let v: u8 = value.parse().ok()?;
    (fact.parse::<usize>().ok()? == f && usize::from(v) < VALUES).then_some(v)
}

impl Engine for ScaleScan {
    type Input = [u8; FACTS];
    type Output = Option<usize>;

    fn prepare(&self, facts: &Value) -> Result<[u8; FACTS], String> {
        ScaleFacts::deserialize(facts)
            .map_err(|e| e.to_string())?
            .indices()
    }

    fn decide(&mut self, values: &[u8; FACTS]) -> Result<Option<usize>, String> {
        Ok(self.first_match(values))
    }

    fn decide_text(&mut self, text: &str) -> Result<Option<usize>, String> {
        let facts: ScaleFacts = serde_json::from_str(text).map_err(|e| e.to_string())?;
        Ok(self.first_match(&facts.indices()?))
    }
}
