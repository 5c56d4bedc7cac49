//! `verdict eval`: decide for one facts file.

use std::path::PathBuf;
use std::process::ExitCode;

use verdict::Decision;

use super::{load, print_report, Format};

#[derive(clap::Args)]
pub struct Args {
    /// A `.policy` file or a directory of them [default: the built-in multichannel pack]
    #[arg(long, value_name = "PATH")]
    policies: Option<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// Also show the facts each decision read
    #[arg(long)]
    trace: bool,
    /// The facts, a JSON object (`-` reads standard input)
    #[arg(value_name = "FACTS")]
    facts: String,
}

pub fn run(args: Args) -> ExitCode {
    let policies = match load(args.policies.as_ref()) {
        Ok(policies) => policies,
        Err(report) => {
            print_report(&report);
            return ExitCode::from(1);
        }
    };
    let text = match verdict::read_facts(&args.facts) {
        Ok(text) => text,
        Err(report) => {
            print_report(&report);
            return ExitCode::from(1);
        }
    };
    let name = if args.facts == "-" {
        "<stdin>"
    } else {
        &args.facts
    };
    match policies.evaluate_json(name, &text, args.trace) {
        Ok(decisions) => {
            match args.format {
                Format::Human => out!("{}", human(&decisions)),
                Format::Json => outln!("{}", json(&decisions)),
            }
            ExitCode::SUCCESS
        }
        Err(report) => {
            print_report(&report);
            ExitCode::from(1)
        }
    }
}

fn human(decisions: &[Decision]) -> String {
    let mut out = String::new();
    for d in decisions {
        out.push_str(&format!("{}: {}\n", d.policy, d.decision));
        if let Some(rule) = &d.rule {
            out.push_str(&format!("  rule    {rule}\n"));
        }
        if let Some(reason) = &d.reason {
            out.push_str(&format!("  reason  {reason}\n"));
        }
        for see in &d.see {
            out.push_str(&format!("  see     {see}\n"));
        }
        if let Some(trace) = &d.trace {
            out.push_str("  path\n");
            for step in trace {
                out.push_str(&format!(
                    "    {} = {}  ({}: {})\n",
                    step.path, step.value, step.fact, step.matched
                ));
            }
        }
    }
    out
}

/// `{"decisions":[...]}`, fields in the documented order.
fn json(decisions: &[Decision]) -> String {
    #[derive(serde::Serialize)]
    struct Output<'a> {
        decisions: &'a [Decision],
    }
    // Serializing plain structs of strings cannot fail.
    serde_json::to_string(&Output { decisions }).unwrap_or_default()
}
