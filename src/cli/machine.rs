//! Diagnostics for machines: a JSON form for editors and tools, and SARIF
//! 2.1.0 for code-scanning dashboards. Both carry, per diagnostic, the code,
//! the severity, the message, the help and every label with its file, line
//! and column.

use miette::Diagnostic;
use serde_json::{json, Value};
use verdict::Report;

fn severity(problem: &dyn Diagnostic) -> &'static str {
    match problem.severity() {
        Some(miette::Severity::Warning) => "warning",
        Some(miette::Severity::Advice) => "note",
        _ => "error",
    }
}

/// The labels of a diagnostic with their places.
fn labels(report: &Report, problem: &dyn Diagnostic) -> Vec<Value> {
    problem
        .labels()
        .into_iter()
        .flatten()
        .filter_map(|label| {
            let offset = u32::try_from(label.offset()).ok()?;
            let file = report.sources.file_at(offset)?;
            let (line, column) = file.line_col(offset);
            let (end_line, end_column) = file.line_col(offset + label.len() as u32);
            Some(json!({
                "file": file.name,
                "line": line,
                "column": column,
                "end_line": end_line,
                "end_column": end_column,
                "message": label.label(),
                "primary": label.primary(),
            }))
        })
        .collect()
}

/// One diagnostic, fields in this order.
#[derive(serde::Serialize)]
struct DiagnosticOut {
    code: Option<String>,
    severity: &'static str,
    message: String,
    help: Option<String>,
    labels: Vec<Value>,
}

/// All of a run's diagnostics and their counts.
#[derive(serde::Serialize)]
struct DiagnosticsOut {
    diagnostics: Vec<DiagnosticOut>,
    errors: usize,
    warnings: usize,
    notes: usize,
}

/// `{"diagnostics":[{"code","severity","message","help","labels":[...]}], "errors", "warnings", "notes"}`
pub fn diagnostics_json(report: &Report) -> String {
    let out = DiagnosticsOut {
        diagnostics: report
            .problems
            .iter()
            .map(|problem| DiagnosticOut {
                code: problem.code().map(|c| c.to_string()),
                severity: severity(problem),
                message: problem.to_string(),
                help: problem.help().map(|h| h.to_string()),
                labels: labels(report, problem),
            })
            .collect(),
        errors: report.error_count(),
        warnings: report.warning_count(),
        notes: report.advice_count(),
    };
    // Plain structs of strings and numbers always serialize.
    serde_json::to_string(&out).unwrap_or_default()
}

/// A SARIF 2.1.0 log with one run of verdict.
pub fn sarif(report: &Report) -> Value {
    let mut rules: Vec<String> = Vec::new();
    let results: Vec<Value> = report
        .problems
        .iter()
        .map(|problem| {
            let code = problem.code().map(|c| c.to_string()).unwrap_or_default();
            if !rules.contains(&code) {
                rules.push(code.clone());
            }
            let labels = labels(report, problem);
            let location = |label: &Value| {
                json!({
                    "physicalLocation": {
                        "artifactLocation": { "uri": label["file"] },
                        "region": {
                            "startLine": label["line"],
                            "startColumn": label["column"],
                            "endLine": label["end_line"],
                            "endColumn": label["end_column"],
                        }
                    },
                    "message": { "text": label["message"].as_str().unwrap_or_default() }
                })
            };
            let primary = labels
                .iter()
                .find(|l| l["primary"] == true)
                .or_else(|| labels.first());
            let mut message = problem.to_string();
            if let Some(help) = problem.help() {
                message.push_str(&format!("\nhelp: {help}"));
            }
            json!({
                "ruleId": code,
                "level": severity(problem),
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
