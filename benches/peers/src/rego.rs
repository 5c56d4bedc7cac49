//! Rego, with regorus: its tree-walking interpreter (`regorus::Engine`,
//! `set_input` + `eval_rule`) and its RVM, the Rego virtual machine
//! (`Compiler::compile_from_policy` to a program, `RegoVM::set_input` +
//! `execute`). The prepared input is a `regorus::Value` (cloned per call,
//! which is a reference count, since both take the input by value); from
//! JSON text parses it with `Value::from_json_str`.
//!
//! The pack is one complete rule `outcome` per row of the rules document,
//! `{"decision": ..., "row": ...}`, with a default for "none"; the rows do
//! not overlap, so at most one body holds. A generated rule set is one rule
//! `rule`, the index of the first match (`-1`: none): an ordered `else`
//! chain for the interpreter, the minimum of the set of matching indices
//! for the RVM (see [`FirstMatch`]).

use std::fmt::Debug;
use std::num::NonZeroUsize;

use regorus::languages::rego::compiler::Compiler;
use regorus::rvm::vm::RegoVM;
use regorus::{PolicyLengthConfig, Value as RegoValue};
use serde_json::Value;
use verdict::testing::workloads::{value_name, PackDecision, PackOutcome, Scale};

use crate::Engine;

const PACK: &str = r#"package multichannel

import rego.v1

# The channels rows 2 and 3 name: all but CSP and Syndication.
other_channels := {"Direct", "Advisor", "Open", "EA", "ThirdParty"}

default outcome := {"decision": "none", "row": 0}

outcome := {"decision": "deny", "row": 1} if {
	input.subscription.billing == "license"
	input.subscription.channel == "CSP"
	input.request.action == "transfer"
	input.request.target == "partner"
}

outcome := {"decision": "request-relationship", "row": 2} if {
	input.subscription.billing == "license"
	input.subscription.channel in other_channels
	input.request.action == "support"
}

outcome := {"decision": "manual-migrate", "row": 3} if {
	input.subscription.billing == "usage"
	input.subscription.channel in other_channels
	input.request.action in {"support", "migrate"}
}

outcome := {"decision": "allow", "row": 4} if {
	input.subscription.billing == "usage"
	input.subscription.channel == "CSP"
	input.request.action == "transfer"
	input.request.target == "partner"
}

outcome := {"decision": "allow", "row": 5} if {
	input.partner.role == "indirect_provider"
	input.request.action == "invite"
}

outcome := {"decision": "deny", "row": 6} if {
	input.partner.role == "reseller"
	input.request.action == "invite"
}

outcome := {"decision": "allow", "row": 7} if {
	input.partner.role == "indirect_provider"
	input.request.action == "own_relationship"
}

outcome := {"decision": "deny", "row": 8} if {
	input.partner.role == "reseller"
	input.request.action == "own_relationship"
}

outcome := {"decision": "allow", "row": 9} if {
	input.partner.role == "reseller"
	input.request.action == "delegated_admin"
	input.partner.designated_admin == true
}

# `not` holds when designated_admin is false or absent.
outcome := {"decision": "deny", "row": 10} if {
	input.partner.role == "reseller"
	input.request.action == "delegated_admin"
	not input.partner.designated_admin
}
"#;

const PACK_RULE: &str = "data.multichannel.outcome";
const SCALE_RULE: &str = "data.scale.rule";

/// How a generated rule set's first match is written in Rego.
#[derive(Clone, Copy)]
enum FirstMatch {
    /// `rule := 0 if {...} else := 1 if {...} ...`: the rules in order, up
    /// to the first that holds.
    ElseChain,
    /// `matching contains i if {...}` per rule and `rule := min(matching)`:
    /// every rule is evaluated. The RVM's compiler cannot take an `else`
    /// chain of more than a few dozen rules (32 rules of two tests each:
    /// "Register overflow: cannot allocate 1 register(s) at register 255
    /// within the 255-register window").
    SetMinimum,
}

/// The Rego text of a generated rule set: `rule` is the index of the first
/// rule whose tests all hold, -1 if none does.
fn scale_rego(scale: &Scale, form: FirstMatch) -> String {
    let mut text = String::from("package scale\n\nimport rego.v1\n\ndefault rule := -1\n\n");
    if let FirstMatch::SetMinimum = form {
        text.push_str("rule := min(matching) if count(matching) > 0\n\n");
    }
    for (i, tests) in scale.rules.iter().enumerate() {
        text.push_str(&match (form, i) {
            (FirstMatch::ElseChain, 0) => String::from("rule := 0 if {\n"),
            (FirstMatch::ElseChain, _) => format!("}} else := {i} if {{\n"),
            (FirstMatch::SetMinimum, _) => format!("matching contains {i} if {{\n"),
        });
        for (f, v) in tests {
            text.push_str(&format!("\tinput.f{f} == \"{}\"\n", value_name(*f, *v)));
        }
        if let FirstMatch::SetMinimum = form {
            text.push_str("}\n\n");
        }
    }
    if let FirstMatch::ElseChain = form {
        text.push_str("}\n");
    }
    text
}

/// An engine with `rego` loaded, with room for generated policies of
/// 100,000 rules (the default limits are 1 MiB and 20,000 lines).
fn engine(rego: String) -> Result<regorus::Engine, String> {
    let mut engine = regorus::Engine::new();
    engine.set_policy_length_config(PolicyLengthConfig {
        max_file_bytes: NonZeroUsize::MAX,
        max_lines: NonZeroUsize::MAX,
        ..PolicyLengthConfig::default()
    });
    engine
        .add_policy("policy.rego".into(), rego)
        .map_err(|e| e.to_string())?;
    Ok(engine)
}

/// The pack's answer: `{"decision": ..., "row": ...}`.
fn pack_outcome(value: &RegoValue) -> Result<PackOutcome, String> {
    let mut decision = None;
    let mut row = None;
    for (key, field) in value.as_object().map_err(|e| e.to_string())? {
        match key.as_string().map(|key| key.as_ref()) {
            Ok("decision") => {
                decision = field
                    .as_string()
                    .ok()
                    .and_then(|d| PackDecision::from_name(d))
            }
            Ok("row") => row = field.as_u64().ok().and_then(|r| u8::try_from(r).ok()),
            _ => {}
        }
    }
    match (decision, row) {
        (Some(decision), Some(row)) => Ok(PackOutcome { decision, row }),
        _ => Err(format!("not an outcome: {value}")),
    }
}

/// A generated rule set's answer: the first matching rule, -1 for none.
fn scale_rule(value: &RegoValue) -> Result<Option<usize>, String> {
    let i = value.as_i64().map_err(|e| format!("{e}: {value}"))?;
    Ok(usize::try_from(i).ok())
}

/// The tree-walking interpreter.
pub struct Interpreter<O> {
    engine: regorus::Engine,
    rule: &'static str,
    answer: fn(&RegoValue) -> Result<O, String>,
}

impl Interpreter<PackOutcome> {
    pub fn pack() -> Result<Self, String> {
        Ok(Interpreter {
            engine: engine(PACK.into())?,
            rule: PACK_RULE,
            answer: pack_outcome,
        })
    }
}

impl Interpreter<Option<usize>> {
    pub fn scale(scale: &Scale) -> Result<Self, String> {
        Ok(Interpreter {
            engine: engine(scale_rego(scale, FirstMatch::ElseChain))?,
            rule: SCALE_RULE,
            answer: scale_rule,
        })
    }
}

impl<O: PartialEq + Debug> Interpreter<O> {
    fn eval(&mut self) -> Result<O, String> {
        let value = self
            .engine
            .eval_rule(self.rule.into())
            .map_err(|e| e.to_string())?;
        (self.answer)(&value)
    }
}

impl<O: PartialEq + Debug> Engine for Interpreter<O> {
    type Input = RegoValue;
    type Output = O;

    fn prepare(&self, facts: &Value) -> Result<RegoValue, String> {
        RegoValue::from_json_str(&facts.to_string()).map_err(|e| e.to_string())
    }

    fn decide(&mut self, input: &RegoValue) -> Result<O, String> {
        self.engine.set_input(input.clone());
        self.eval()
    }

    fn decide_text(&mut self, text: &str) -> Result<O, String> {
        self.engine
            .set_input_json(text)
            .map_err(|e| e.to_string())?;
        self.eval()
    }
}

/// The RVM: the policy compiled to a program for the Rego virtual machine.
pub struct Vm<O> {
    vm: RegoVM,
    answer: fn(&RegoValue) -> Result<O, String>,
}

/// A VM loaded with `rego` compiled for the entry point `rule`.
fn vm(rego: String, rule: &str) -> Result<RegoVM, String> {
    let compiled = engine(rego)?
        .compile_with_entrypoint(&rule.into())
        .map_err(|e| e.to_string())?;
    let program = Compiler::compile_from_policy(&compiled, &[rule]).map_err(|e| e.to_string())?;
    let mut vm = RegoVM::new();
    vm.load_program(program);
    Ok(vm)
}

impl Vm<PackOutcome> {
    pub fn pack() -> Result<Self, String> {
        Ok(Vm {
            vm: vm(PACK.into(), PACK_RULE)?,
            answer: pack_outcome,
        })
    }
}

impl Vm<Option<usize>> {
    pub fn scale(scale: &Scale) -> Result<Self, String> {
        Ok(Vm {
            vm: vm(scale_rego(scale, FirstMatch::SetMinimum), SCALE_RULE)?,
            answer: scale_rule,
        })
    }
}

impl<O: PartialEq + Debug> Vm<O> {
    fn execute(&mut self, input: RegoValue) -> Result<O, String> {
        self.vm.set_input(input);
        let value = self.vm.execute().map_err(|e| e.to_string())?;
        (self.answer)(&value)
    }
}

impl<O: PartialEq + Debug> Engine for Vm<O> {
    type Input = RegoValue;
    type Output = O;

    fn prepare(&self, facts: &Value) -> Result<RegoValue, String> {
        RegoValue::from_json_str(&facts.to_string()).map_err(|e| e.to_string())
    }

    fn decide(&mut self, input: &RegoValue) -> Result<O, String> {
        self.execute(input.clone())
    }

    fn decide_text(&mut self, text: &str) -> Result<O, String> {
        self.execute(RegoValue::from_json_str(text).map_err(|e| e.to_string())?)
    }
}
