//! `verdict diff`: where two versions of a policy set decide differently.
//! Exits 1 when anything changed, so CI can gate on it.

use std::path::PathBuf;
use std::process::ExitCode;

use verdict::diff::{Diff, Outcome};

use super::{print_report, Format};

#[derive(clap::Args)]
pub struct Args {
    /// The old version: a `.policy` file or a directory of them
    #[arg(value_name = "OLD")]
    old: PathBuf,
    /// The new version
    #[arg(value_name = "NEW")]
    new: PathBuf,
    /// Output format
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
}

pub fn run(args: Args) -> ExitCode {
    let mut sets = Vec::new();
    for path in [&args.old, &args.new] {
        match verdict::PolicySet::from_path(path) {
            Ok(set) => sets.push(set),
            Err(report) => {
                print_report(&report);
                return ExitCode::from(1);
            }
        }
    }
    let [old, new] = sets.as_slice() else {
        return ExitCode::from(1);
    };
    let diff = verdict::diff::diff(old, new);
    match args.format {
        Format::Human => out!("{}", human(&diff)),
        Format::Json => outln!("{}", serde_json::to_string(&diff).unwrap_or_default()),
    }
    if diff.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn outcome(o: &Outcome) -> String {
    match &o.rule {
        Some(rule) => format!("{} (rule {rule})", o.decision),
        None if o.decision == "error" => {
            String::from("error (a fact it needs is missing or invalid)")
        }
        None => format!("{} (no rule applies)", o.decision),
    }
}

fn human(diff: &Diff) -> String {
    let mut out = String::new();
    for name in &diff.added {
        out.push_str(&format!("policy {name}: added\n"));
    }
    for name in &diff.removed {
        out.push_str(&format!("policy {name}: removed\n"));
    }
    for name in &diff.incomparable {
        out.push_str(&format!(
            "policy {name}: not compared: a version has no decision tree, the two trees have too many paths to compare, or a change between tied facts (`a = b`, a time of day) was found that no facts could be found to confirm\n"
        ));
    }
    let mut policies: Vec<&str> = diff.changes.iter().map(|c| c.policy.as_str()).collect();
    policies.dedup();
    for policy in policies {
        let changes: Vec<_> = diff.changes.iter().filter(|c| c.policy == policy).collect();
        let regions = if changes.len() == 1 {
            "region"
        } else {
            "regions"
        };
        out.push_str(&format!(
            "policy {policy}: {} {regions} of facts decide differently\n",
            changes.len()
        ));
        for change in changes {
            out.push_str(&format!("\n  when {}\n", change.when.join(", ")));
            out.push_str(&format!("    old  {}\n", outcome(&change.old)));
            out.push_str(&format!("    new  {}\n", outcome(&change.new)));
            out.push_str(&format!("    for example {}\n", change.example));
        }
    }
    if diff.is_empty() {
        out.push_str("no decision changes\n");
    }
    out
}
