//! Diagnostics for machines: a JSON form for editors and tools, and SARIF
//! 2.1.0 for code-scanning dashboards. Both carry, per diagnostic, the code,
//! the severity, the message, the help and every label with its file, line
//! and column.

use serde_json::{json, Value};
use verdict::{LabelData, Report};

/// `{"diagnostics":[{"code","severity","message","help","labels":[...]}], "errors", "warnings", "notes", "column_unit"}`:
/// the library's [`Report::data`].
pub fn diagnostics_json(report: &Report) -> String {
    // Plain structs of strings and numbers always serialize.
    serde_json::to_string(&report.data()).unwrap_or_default()
}

/// A SARIF 2.1.0 log with one run of verdict.
pub fn sarif(report: &Report) -> Value {
    let mut rules: Vec<String> = Vec::new();
    let data = report.data();
    let results: Vec<Value> = data
        .diagnostics
        .iter()
        .map(|problem| {
            let code = problem.code.clone().unwrap_or_default();
            if !rules.contains(&code) {
                rules.push(code.clone());
            }
            let labels = &problem.labels;
            let location = |label: &LabelData| {
                json!({
                    "physicalLocation": {
                        "artifactLocation": { "uri": label.file },
                        "region": {
                            "startLine": label.line,
                            "startColumn": label.column,
                            "endLine": label.end_line,
                            "endColumn": label.end_column,
                        }
                    },
                    "message": { "text": label.message.as_deref().unwrap_or_default() }
                })
            };
            let primary = labels
                .iter()
                .find(|l| l.primary)
                .or_else(|| labels.first());
            let mut message = problem.message.clone();
            if let Some(help) = &problem.help {
                message.push_str(&format!("\nhelp: {help}"));
            }
            json!({
                "ruleId": code,
                "level": problem.severity,
                "message": { "text": message },
                "locations": primary.map(|l| vec![location(l)]).unwrap_or_default(),
                "relatedLocations": labels.iter().filter(|l| Some(*l) != primary).map(location).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "verdict",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules.iter().map(|code| json!({
                        "id": code,
                        "help": { "text": format!("see the entry `{code}` in docs/diagnostics.md") },
                    })).collect::<Vec<_>>(),
                }
            },
            "results": results,
        }]
    })
}
