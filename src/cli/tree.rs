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
    /// A `.policy` file or a directory of them [default: the current folder's
    /// `*.policy` files, or the built-in multichannel pack if it has none]
    #[arg(value_name = "PATH")]
    path: Option<PathBuf>,
    /// The same as `PATH`, spelt as every command spells it
    #[arg(long = "policies", value_name = "PATH")]
    policies: Option<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value = "text")]
    format: TreeFormat,
}

pub fn run(args: Args) -> ExitCode {
    let named = match super::named_path("tree", args.path.as_ref(), args.policies.as_ref()) {
        Ok(named) => named,
        Err(code) => return code,
    };
    let policies = match load(super::policies_path(named).as_ref()) {
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
