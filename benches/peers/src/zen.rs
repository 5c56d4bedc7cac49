//! GoRules Zen, with zen-engine: a JDM graph input → decision table →
//! output, the table with hit policy `first`, compiled once
//! (`GraphContent::compile`: expressions and the table's column indexes)
//! before `Decision::evaluate`. The prepared input is a `Variable` (cloned
//! per call, a reference count, since `evaluate` takes it by value); from
//! JSON text deserializes a `Variable` with serde_json.
//!
//! The pack is one table row per row of the rules document, in order, one
//! input column per fact (`subscription.billing`, ...) and the outputs
//! `decision` and `row`; a set of values is a comma list (`"Direct",
//! "Advisor"`), an absent fact is `null`, so a row naming a target does not
//! apply without one, and `$ != true` is "designated_admin false or
//! absent". A generated rule set is one row per rule, in order, with the
//! output `rule`; no row matching is an empty result, "none". Outputs are
//! strings, read without a decimal type.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use serde_json::{json, Map, Value};
use verdict::testing::workloads::{value_name, PackDecision, PackOutcome, Scale, FACTS};
use zen_engine::model::GraphContent;
use zen_engine::{Decision, Variable};

use crate::Engine;

/// The pack's input columns: (column id, JSON path).
const PACK_INPUTS: [(&str, &str); 6] = [
    ("billing", "subscription.billing"),
    ("channel", "subscription.channel"),
    ("role", "partner.role"),
    ("designated_admin", "partner.designated_admin"),
    ("action", "request.action"),
    ("target", "request.target"),
];

const OTHER_CHANNELS: &str = r#""Direct", "Advisor", "Open", "EA", "ThirdParty""#;

/// One row of the pack's table.
struct Row {
    row: u8,
    decision: &'static str,
    /// (column id, unary test); the other columns are empty (any value).
    cells: &'static [(&'static str, &'static str)],
}

const PACK_ROWS: [Row; 10] = [
    Row {
        row: 1,
        decision: "deny",
        cells: &[
            ("billing", r#""license""#),
            ("channel", r#""CSP""#),
            ("action", r#""transfer""#),
            ("target", r#""partner""#),
        ],
    },
    Row {
        row: 2,
        decision: "request-relationship",
        cells: &[
            ("billing", r#""license""#),
            ("channel", OTHER_CHANNELS),
            ("action", r#""support""#),
        ],
    },
    Row {
        row: 3,
        decision: "manual-migrate",
        cells: &[
            ("billing", r#""usage""#),
            ("channel", OTHER_CHANNELS),
            ("action", r#""support", "migrate""#),
        ],
    },
    Row {
        row: 4,
        decision: "allow",
        cells: &[
            ("billing", r#""usage""#),
            ("channel", r#""CSP""#),
            ("action", r#""transfer""#),
            ("target", r#""partner""#),
        ],
    },
    Row {
        row: 5,
        decision: "allow",
        cells: &[
            ("role", r#""indirect_provider""#),
            ("action", r#""invite""#),
        ],
    },
    Row {
        row: 6,
        decision: "deny",
        cells: &[("role", r#""reseller""#), ("action", r#""invite""#)],
    },
    Row {
        row: 7,
        decision: "allow",
        cells: &[
            ("role", r#""indirect_provider""#),
            ("action", r#""own_relationship""#),
        ],
    },
    Row {
        row: 8,
        decision: "deny",
        cells: &[
            ("role", r#""reseller""#),
            ("action", r#""own_relationship""#),
        ],
    },
    Row {
        row: 9,
        decision: "allow",
        cells: &[
            ("role", r#""reseller""#),
            ("action", r#""delegated_admin""#),
            ("designated_admin", "true"),
        ],
    },
    Row {
        row: 10,
        decision: "deny",
        cells: &[
            ("role", r#""reseller""#),
            ("action", r#""delegated_admin""#),
            ("designated_admin", "$ != true"),
        ],
    },
];

/// A JDM graph: input → the decision table → output.
pub(crate) fn graph(inputs: Vec<Value>, outputs: &[&str], rules: Vec<Value>) -> Value {
    let outputs: Vec<Value> = outputs
        .iter()
        .map(|field| json!({ "id": field, "name": field, "field": field }))
        .collect();
    json!({
        "nodes": [
            { "id": "input", "name": "input", "type": "inputNode", "content": {} },
            {
                "id": "table",
                "name": "table",
                "type": "decisionTableNode",
                "content": {
                    "hitPolicy": "first",
                    "inputs": inputs,
                    "outputs": outputs,
                    "rules": rules,
                },
            },
            { "id": "output", "name": "output", "type": "outputNode", "content": {} },
        ],
        "edges": [
            { "id": "in", "sourceId": "input", "targetId": "table" },
            { "id": "out", "sourceId": "table", "targetId": "output" },
        ],
    })
}

/// A JDM string literal: `"text"`.
fn literal(text: &str) -> String {
    format!("\"{text}\"")
}

fn pack_graph() -> Value {
    let inputs = PACK_INPUTS
        .iter()
        .map(|(id, path)| json!({ "id": id, "name": id, "field": path }))
        .collect();
    let rules = PACK_ROWS
        .iter()
        .map(|row| {
            let mut rule = Map::new();
            rule.insert("_id".into(), json!(row.row.to_string()));
            for (column, test) in row.cells {
                rule.insert((*column).into(), json!(test));
            }
            rule.insert("decision".into(), json!(literal(row.decision)));
            rule.insert("row".into(), json!(literal(&row.row.to_string())));
            Value::Object(rule)
        })
        .collect();
    graph(inputs, &["decision", "row"], rules)
}

fn scale_graph(scale: &Scale) -> Value {
    let inputs = (0..FACTS)
        .map(
            |f| json!({ "id": format!("f{f}"), "name": format!("f{f}"), "field": format!("f{f}") }),
        )
        .collect();
    let rules = scale
        .rules
        .iter()
        .enumerate()
        .map(|(i, tests)| {
            let mut rule = Map::new();
            rule.insert("_id".into(), json!(i.to_string()));
            for (f, v) in tests {
                rule.insert(format!("f{f}"), json!(literal(&value_name(*f, *v))));
            }
            rule.insert("rule".into(), json!(literal(&i.to_string())));
            Value::Object(rule)
        })
        .collect();
    graph(inputs, &["rule"], rules)
}

/// Drives a future on this thread: polls it with the no-op waker until it is
/// ready, yielding between polls. A decision table waits on nothing, so the
/// first poll completes; nothing is created per call.
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut context = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
        std::thread::yield_now();
    }
}

/// The string output `field` of a result, if the table decided.
fn output(result: &Variable, field: &str) -> Option<std::rc::Rc<str>> {
    result.dot(field).and_then(|value| value.as_rc_str())
}

fn pack_outcome(result: &Variable) -> Result<PackOutcome, String> {
    let (Some(decision), Some(row)) = (output(result, "decision"), output(result, "row")) else {
        return Ok(PackOutcome {
            decision: PackDecision::None,
            row: 0,
        });
    };
    match (PackDecision::from_name(&decision), row.parse()) {
        (Some(decision), Ok(row)) => Ok(PackOutcome { decision, row }),
        _ => Err(format!("not an outcome: {}", result.to_value())),
    }
}

fn scale_rule(result: &Variable) -> Result<Option<usize>, String> {
    output(result, "rule")
        .map(|rule| {
            rule.parse()
                .map_err(|_| format!("not a rule: {}", result.to_value()))
        })
        .transpose()
}

/// A compiled decision.
pub struct Zen<O> {
    decision: Decision,
    answer: fn(&Variable) -> Result<O, String>,
}

impl<O> Zen<O> {
    fn load(jdm: Value, answer: fn(&Variable) -> Result<O, String>) -> Result<Self, String> {
        let mut content: GraphContent = serde_json::from_value(jdm).map_err(|e| e.to_string())?;
        content.compile();
        Ok(Zen {
            decision: Decision::from(content),
            answer,
        })
    }

    fn evaluate(&self, input: Variable) -> Result<O, String> {
        let response = block_on(self.decision.evaluate(input)).map_err(|e| e.to_string())?;
        (self.answer)(&response.result)
    }
}

impl Zen<PackOutcome> {
    pub fn pack() -> Result<Self, String> {
        Zen::load(pack_graph(), pack_outcome)
    }
}

impl Zen<Option<usize>> {
    pub fn scale(scale: &Scale) -> Result<Self, String> {
        Zen::load(scale_graph(scale), scale_rule)
    }
}

impl<O: PartialEq + std::fmt::Debug> Engine for Zen<O> {
    type Input = Variable;
    type Output = O;

    fn prepare(&self, facts: &Value) -> Result<Variable, String> {
        Ok(Variable::from(facts.clone()))
    }

    fn decide(&mut self, input: &Variable) -> Result<O, String> {
        self.evaluate(input.clone())
    }

    fn decide_text(&mut self, text: &str) -> Result<O, String> {
        let facts: Variable = serde_json::from_str(text).map_err(|e| e.to_string())?;
        self.evaluate(facts)
    }
}
