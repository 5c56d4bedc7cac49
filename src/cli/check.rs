//! `verdict check`: compile policies and report every finding: errors,
//! warnings (rules that never match, never decide or are redundant, unused
//! facts) and notes (values no rule names, gaps no rule decides), with the
//! cost bound of each decision tree.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;
use verdict::Problem;

use super::{load_keeping_warnings, print_report};

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
    /// A `.policy` file or a directory of them [default: the current folder's
    /// `*.policy` files, or the built-in multichannel pack if it has none]
    #[arg(value_name = "PATH")]
    path: Option<PathBuf>,
    /// The same as `PATH`, spelt as every command spells it
    #[arg(long = "policies", value_name = "PATH")]
    policies: Option<PathBuf>,
    /// Make gaps (facts no rule decides) errors
    #[arg(long)]
    deny_gaps: bool,
    /// Output format
    #[arg(long, value_enum, default_value = "human")]
    format: CheckFormat,
}

pub fn run(args: Args) -> ExitCode {
    let named = match super::named_path("check", args.path.as_ref(), args.policies.as_ref()) {
        Ok(named) => named,
        Err(code) => return code,
    };
    let path = super::policies_path(named);
    let (report, trees) = match load_keeping_warnings(path.as_ref()) {
        Ok(policies) => {
            let mut report = policies.diagnostics();
            for policy in policies.policies() {
                // Machine output lists every gap; people get the first ten
                // and how to see the rest.
                let shown = match args.format {
                    CheckFormat::Human => verdict::PolicyInfo::GAPS_SHOWN,
                    CheckFormat::Json | CheckFormat::Sarif => usize::MAX,
                };
                let gaps = policy.gaps_listing(shown, args.deny_gaps);
                report.extend(gaps.map(Problem::from));
            }
            let trees: Vec<PolicySummary> = policies
                .policies()
                .map(|p| (p.name().to_string(), p.rules().len(), p.facts().len()))
                .collect();
            // The process ends once the report is out, which frees it all
            // at once: freeing every rule of a large policy one by one took
            // 2 % of checking 10,000 rules.
            std::mem::forget(policies);
            (report, trees)
        }
        Err(report) => (report, Vec::new()),
    };
    match args.format {
        CheckFormat::Human => {
            print_capped(&report);
            for (name, rules, facts) in &trees {
                outln!(
                    "policy {name}: {}, {}",
                    plural(*rules, "rule"),
                    plural(*facts, "fact")
                );
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

/// What the summary line says of a policy: its name, rules and facts.
type PolicySummary = (String, usize, usize);

/// How many warnings or notes of one code the human output shows; the
/// rest are counted. A generated policy can have thousands of the same
/// warning, and rendering each costs time and buries the errors.
const SHOWN_PER_CODE: usize = 20;

/// Prints the report as [`print_report`] does, every error but only the
/// first [`SHOWN_PER_CODE`] warnings and notes of each code, then how many
/// of each were left out and how to see them.
fn print_capped(report: &verdict::Report) {
    use miette::Diagnostic as _;
    let mut shown: Vec<(String, usize)> = Vec::new();
    let mut kept = Vec::new();
    for problem in report.problems() {
        if problem.is_error() {
            kept.push(problem.clone());
            continue;
        }
        let code = problem.code().map(|c| c.to_string()).unwrap_or_default();
        let count = match shown.iter_mut().find(|(c, _)| *c == code) {
            Some((_, n)) => n,
            None => {
                shown.push((code, 0));
                match shown.last_mut() {
                    Some((_, n)) => n,
                    None => continue,
                }
            }
        };
        *count += 1;
        if *count <= SHOWN_PER_CODE {
            kept.push(problem.clone());
        }
    }
    print_report(&verdict::Report::new(report.sources().clone(), kept));
    for (code, count) in shown {
        if count > SHOWN_PER_CODE {
            errln!(
                "… and {} more `{code}` not shown: `verdict check --format json` lists every one",
                count - SHOWN_PER_CODE
            );
        }
    }
}
