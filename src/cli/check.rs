//! `verdict check`: compile policies and report every finding: errors,
//! warnings (rules that never match, never decide or are redundant, unused
//! facts) and notes (values no rule names, gaps no rule decides), with the
//! cost bound of each decision tree.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;
use verdict::Problem;

use super::{load, print_report};

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum CheckFormat {
    /// Diagnostics as miette reports, and a summary
    Human,
    /// One JSON object with every diagnostic, for editors and tools
    Json,
    /// SARIF 2.1.0, for code-scanning dashboards
    Sarif,
}

#[derive(clap::Args)]
pub struct Args {
    /// A `.policy` file or a directory of them [default: the built-in multichannel pack]
    #[arg(value_name = "PATH")]
    path: Option<PathBuf>,
    /// Make gaps (facts no rule decides) errors
    #[arg(long)]
    deny_gaps: bool,
    /// Output format
    #[arg(long, value_enum, default_value = "human")]
    format: CheckFormat,
}

pub fn run(args: Args) -> ExitCode {
    let (report, trees) = match load(args.path.as_ref()) {
        Ok(policies) => {
            let mut report = policies.warnings();
            for policy in policies.policies() {
                let gaps = if args.deny_gaps {
                    policy.gaps_as_error()
                } else {
                    policy.gaps()
                };
                report.problems.extend(gaps.map(Problem::from));
            }
            let trees: Vec<PolicySummary> = policies
                .policies()
                .map(|p| {
                    (
                        p.name().to_string(),
                        p.rules().len(),
                        p.facts().len(),
                        p.tree().map(|stats| (stats.nodes, stats.depth)),
                    )
                })
                .collect();
            (report, trees)
        }
        Err(report) => (report, Vec::new()),
    };
    match args.format {
        CheckFormat::Human => {
            print_report(&report);
            for (name, rules, facts, tree) in &trees {
                match tree {
                    Some((nodes, depth)) => outln!(
                        "policy {name}: {}, {}; decision tree of {}, at most {} per decision",
                        plural(*rules, "rule"),
                        plural(*facts, "fact"),
                        plural(*nodes, "node"),
                        plural(*depth, "test"),
                    ),
                    None => outln!(
                        "policy {name}: {}, {}; no decision tree, the rules are scanned in order",
                        plural(*rules, "rule"),
                        plural(*facts, "fact"),
                    ),
                }
            }
            let summary = format!(
                "{}, {}, {}",
                plural(report.error_count(), "error"),
                plural(report.warning_count(), "warning"),
                plural(report.advice_count(), "note"),
            );
            if report.has_errors() {
                errln!("failed: {summary}");
            } else {
                outln!("ok: {summary}");
            }
        }
        CheckFormat::Json => outln!("{}", super::diagnostics_json(&report)),
        CheckFormat::Sarif => outln!("{}", super::sarif(&report)),
    }
    if report.has_errors() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// "1 error", "2 errors".
fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("{n} {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// What the summary line says of a policy: its name, rules, facts, and its
/// tree's nodes and depth (`None` when it has no tree).
type PolicySummary = (String, usize, usize, Option<(usize, usize)>);
