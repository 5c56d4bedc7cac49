//! `verdict diff`: where two versions of a policy set decide differently.
//! Exits 1 when anything changed, so CI can gate on it.

use std::path::PathBuf;
use std::process::ExitCode;

use verdict::diff::{ChangeKind, Diff, Outcome};

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
    /// The kinds of change that exit 1: another decision, the same decision
    /// for another reason (the text a customer reads), or by another rule
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        value_name = "KINDS",
        default_value = "decision,reason,rule"
    )]
    fail_on: Vec<Kind>,
}

/// A kind of change, as `--fail-on` names it.
#[derive(Clone, Copy, clap::ValueEnum)]
enum Kind {
    Decision,
    Reason,
    Rule,
}

impl From<Kind> for ChangeKind {
    fn from(kind: Kind) -> ChangeKind {
        match kind {
            Kind::Decision => ChangeKind::Decision,
            Kind::Reason => ChangeKind::Reason,
            Kind::Rule => ChangeKind::Rule,
        }
    }
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
    let gated: Vec<ChangeKind> = args.fail_on.into_iter().map(ChangeKind::from).collect();
    if diff.has(&gated) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn outcome(o: &Outcome) -> String {
    let decided = match (&o.rule, &o.name) {
        (Some(rule), Some(name)) => format!("{} (rule {name}, {rule})", o.decision),
        (Some(rule), None) => format!("{} (rule {rule})", o.decision),
        (None, _) if o.decision == "error" => {
            String::from("error (a fact it needs is missing or invalid)")
        }
        (None, _) => format!("{} (no rule applies)", o.decision),
    };
    match &o.reason {
        Some(reason) => format!("{decided}\n           because {reason:?}"),
        None => decided,
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
        for kind in ChangeKind::ALL {
            let changes: Vec<_> = diff
                .changes
                .iter()
                .filter(|c| c.policy == policy && c.kind == kind)
                .collect();
            if changes.is_empty() {
                continue;
            }
            let regions = if changes.len() == 1 {
                "1 region of facts"
            } else {
                &format!("{} regions of facts", changes.len())
            };
            let verb = if changes.len() == 1 {
                "decides"
            } else {
                "decide"
            };
            let what = match kind {
                ChangeKind::Decision => format!("{verb} differently"),
                ChangeKind::Reason => format!("{verb} the same for another reason"),
                ChangeKind::Rule => format!("{verb} the same, by another rule or an edited one"),
            };
            out.push_str(&format!("policy {policy}: {regions} {what}\n"));
            for change in changes {
                out.push_str(&format!("\n  when {}\n", change.when.join(", ")));
                out.push_str(&format!("    old  {}\n", outcome(&change.old)));
                out.push_str(&format!("    new  {}\n", outcome(&change.new)));
                out.push_str(&format!("    for example {}\n", change.example));
            }
            out.push('\n');
        }
    }
    if diff.is_empty() {
        out.push_str("no decision changes\n");
    }
    out
}
