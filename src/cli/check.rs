//! `verdict check`: compile policies and report every diagnostic.

use std::path::PathBuf;
use std::process::ExitCode;

use super::{load, print_report};

#[derive(clap::Args)]
pub struct Args {
    /// A `.policy` file or a directory of them [default: the built-in multichannel pack]
    #[arg(value_name = "PATH")]
    dir: Option<PathBuf>,
}

pub fn run(args: Args) -> ExitCode {
    match load(args.dir.as_ref()) {
        Ok(policies) => {
            let warnings = policies.warnings();
            print_report(&warnings);
            for tree in policies.trees() {
                println!(
                    "policy {}: {}, {}; decision tree of {}, at most {} per decision",
                    tree.policy.name,
                    plural(tree.policy.rules.len(), "rule"),
                    plural(tree.policy.facts.len(), "fact"),
                    plural(tree.nodes.len(), "node"),
                    plural(tree.depth(), "test"),
                );
            }
            println!(
                "ok: 0 errors, {}",
                plural(warnings.warning_count(), "warning")
            );
            ExitCode::SUCCESS
        }
        Err(report) => {
            print_report(&report);
            eprintln!(
                "failed: {}, {}",
                plural(report.error_count(), "error"),
                plural(report.warning_count(), "warning")
            );
            ExitCode::from(1)
        }
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
