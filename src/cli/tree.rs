//! `verdict tree`: the compiled decision tree of each policy, as an outline,
//! as Graphviz DOT, or as its statistics in JSON.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;

use super::{load, print_report};

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum TreeFormat {
    /// An indented outline with statistics
    Text,
    /// Graphviz DOT (render with `dot -Tsvg`)
    Dot,
    /// Statistics per policy, as JSON
    Json,
}

#[derive(clap::Args)]
pub struct Args {
    /// A `.policy` file or a directory of them [default: the built-in multichannel pack]
    #[arg(value_name = "PATH")]
    path: Option<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value = "text")]
    format: TreeFormat,
}

pub fn run(args: Args) -> ExitCode {
    let policies = match load(args.path.as_ref()) {
        Ok(policies) => policies,
        Err(report) => {
            print_report(&report);
            return ExitCode::from(1);
        }
    };
    match args.format {
        TreeFormat::Text => {
            let outlines: Vec<String> = policies.policies().map(|p| p.outline()).collect();
            out!("{}", outlines.join("\n"));
        }
        TreeFormat::Dot => {
            for policy in policies.policies() {
                out!("{}", policy.dot());
            }
        }
        TreeFormat::Json => {
            let stats: Vec<serde_json::Value> = policies
                .policies()
                .map(|p| serde_json::json!({ "policy": p.name(), "stats": p.tree() }))
                .collect();
            outln!("{}", serde_json::json!({ "policies": stats }));
        }
    }
    ExitCode::SUCCESS
}
