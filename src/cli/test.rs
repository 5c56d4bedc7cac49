//! `verdict test`: run the policy tests beside the policies, with coverage
//! of the compiled decision trees.

use std::path::PathBuf;
use std::process::ExitCode;

use verdict::suite::{self, SuiteResult};

use super::{load, print_report, Format};

#[derive(clap::Args)]
pub struct Args {
    /// A directory of `*.policy` and `*.tests` files, or one `.policy` file
    /// with its `.tests` file beside it [default: the current folder, if it
    /// has `*.policy` files, or the built-in multichannel pack]
    #[arg(value_name = "PATH")]
    path: Option<PathBuf>,
    /// The same as `PATH`, spelt as every command spells it
    #[arg(long = "policies", value_name = "PATH")]
    policies: Option<PathBuf>,
    /// Report which branches and leaves of the tree no test reaches, with a test to paste for each
    #[arg(long)]
    coverage: bool,
    /// Fail when coverage is below this percentage, 0 to 100 (implies --coverage)
    #[arg(long, value_name = "PERCENT", value_parser = percent)]
    min_coverage: Option<f64>,
    /// Output format
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// Decide every test's facts strictly, as `eval --strict-facts` does
    #[arg(long)]
    strict_facts: bool,
    /// The evaluation time, RFC 3339 (`2026-12-01T10:30:00Z`): what facts
    /// declared `default now` take when a test's facts leave them out [default:
    /// the clock's time]
    #[arg(long, value_name = "TIME", value_parser = super::evaluation_time)]
    now: Option<verdict::Timestamp>,
}

pub fn run(args: Args) -> ExitCode {
    let named = match super::named_path("test", args.path.as_ref(), args.policies.as_ref()) {
        Ok(named) => named,
        Err(code) => return code,
    };
    let path = super::policies_path(named);
    let policies = match load(path.as_ref()) {
        Ok(policies) => {
            let policies = policies.strict_facts(args.strict_facts);
            match args.now {
                Some(now) => policies.evaluated_at(now),
                None => policies,
            }
        }
        Err(report) => {
            print_report(&report);
            return ExitCode::from(1);
        }
    };
    let loaded = match &path {
        Some(path) => suite::from_path(path),
        None => suite::builtin(),
    };
    let tests = match loaded {
        Ok(tests) => tests,
        Err(report) => {
            print_report(&report);
            return ExitCode::from(1);
        }
    };
    let result = match suite::run(&policies, &tests) {
        Ok(result) => result,
        Err(report) => {
            print_report(&report);
            return ExitCode::from(1);
        }
    };
    let show_coverage = args.coverage || args.min_coverage.is_some();
    match args.format {
        Format::Human => out!("{}", human(&result, show_coverage)),
        Format::Json => outln!("{}", json(&result, show_coverage)),
    }
    let mut ok = result.failed() == 0;
    if let Some(min) = args.min_coverage {
        let percent = result.coverage_percent();
        if percent < min {
            errln!("coverage {percent:.1}% is below the minimum of {min}%");
            ok = false;
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn human(result: &SuiteResult, show_coverage: bool) -> String {
    let mut out = String::new();
    for r in result.results.iter().filter(|r| !r.passed) {
        out.push_str(&format!("FAIL {}  {}\n", r.location, r.name));
        out.push_str(&format!("  expected  {}\n", r.expected));
        out.push_str(&format!("  got       {}\n\n", r.actual));
    }
    if show_coverage {
        for c in &result.coverage {
            if c.no_tree {
                out.push_str(&format!(
                    "coverage of policy {}: not measured: it has no decision tree (it would be too large)\n",
                    c.policy
                ));
                continue;
            }
            let percent = if c.total == 0 {
                100.0
            } else {
                100.0 * c.covered as f64 / c.total as f64
            };
            out.push_str(&format!(
                "coverage of policy {}: {percent:.1}% ({} of {} branches and leaves)\n",
                c.policy, c.covered, c.total
            ));
            for rule in &c.rules_never_fired {
                out.push_str(&format!("  rule {rule} never decides in a test\n"));
            }
            if !c.gaps.is_empty() {
                out.push_str("  not reached, with a test to paste for each:\n");
            }
            for gap in &c.gaps {
                out.push('\n');
                for reach in &gap.reaches {
                    out.push_str(&format!("  - {reach}\n"));
                }
                for line in gap.test.lines() {
                    out.push_str(&format!("    {line}\n"));
                }
            }
        }
        if result.coverage.len() > 1 {
            out.push_str(&format!("coverage: {:.1}%\n", result.coverage_percent()));
        }
        out.push('\n');
    }
    out.push_str(&format!(
        "{} passed, {} failed\n",
        result.passed(),
        result.failed()
    ));
    out
}

fn json(result: &SuiteResult, show_coverage: bool) -> serde_json::Value {
    let tests: Vec<serde_json::Value> = result
        .results
        .iter()
        .map(|r| {
            serde_json::json!({
                "name": r.name,
                "location": r.location,
                "passed": r.passed,
                "expected": r.expected.to_string(),
                "got": r.actual.to_string(),
            })
        })
        .collect();
    let mut value = serde_json::json!({
        "tests": tests,
        "passed": result.passed(),
        "failed": result.failed(),
    });
    if show_coverage {
        let coverage: Vec<serde_json::Value> = result
            .coverage
            .iter()
            .map(|c| {
                serde_json::json!({
                    "policy": c.policy,
                    "covered": c.covered,
                    "total": c.total,
                    "rules_never_fired": c.rules_never_fired,
                    "gaps": c.gaps.iter().map(|g| serde_json::json!({ "reaches": g.reaches, "test": g.test })).collect::<Vec<_>>(),
                })
            })
            .collect();
        if let Some(object) = value.as_object_mut() {
            object.insert(
                String::from("coverage"),
                serde_json::json!({
                    "percent": result.coverage_percent(),
                    "policies": coverage,
                }),
            );
        }
    }
    value
}

/// A percentage from 0 to 100.
fn percent(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(p) if (0.0..=100.0).contains(&p) => Ok(p),
        _ => Err(String::from("expected a percentage from 0 to 100")),
    }
}
