//! `verdict check`: compile policies and report every diagnostic.

use std::path::PathBuf;
use std::process::ExitCode;

use super::{load, print_report};

#[derive(clap::Args)]
pub struct Args {
    /// Directory of `*.policy` files [default: the built-in multichannel pack]
    #[arg(value_name = "DIR")]
    dir: Option<PathBuf>,
}

pub fn run(args: Args) -> ExitCode {
    match load(args.dir.as_ref()) {
        Ok(policies) => {
            let warnings = policies.warnings();
            print_report(&warnings);
            for tree in policies.trees() {
                println!(
                    "policy {}: {} rules, {} facts; decision tree of {} nodes, at most {} tests per decision",
                    tree.policy.name,
                    tree.policy.rules.len(),
                    tree.policy.facts.len(),
                    tree.nodes.len(),
                    tree.depth()
                );
            }
            println!("ok: 0 errors, {} warnings", warnings.warning_count());
            ExitCode::SUCCESS
        }
        Err(report) => {
            print_report(&report);
            eprintln!(
                "failed: {} errors, {} warnings",
                report.error_count(),
                report.warning_count()
            );
            ExitCode::from(1)
        }
    }
}
