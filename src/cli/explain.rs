//! `verdict explain`: why each policy decided what it did, and what would
//! change the decision.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use verdict::explain::Explanation;
use verdict::Note;
use verdict::PolicySet;

use super::{load, print_report, Format, WIDTH};

#[derive(clap::Args)]
pub struct Args {
    /// A `.policy` file or a directory of them [default: the current folder's
    /// `*.policy` files, or the built-in multichannel pack if it has none]
    #[arg(long, value_name = "PATH")]
    policies: Option<PathBuf>,
    /// Also show the smallest changes to the facts that reach this decision
    #[arg(long, value_name = "DECISION")]
    why_not: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// Read facts strictly: every declared fact present must fit, and keys
    /// beside declared paths must be declared
    #[arg(long)]
    strict_facts: bool,
    /// The evaluation time, RFC 3339 (`2026-12-01T10:30:00Z`): what facts
    /// declared `default now` take when the facts leave them out [default:
    /// the clock's time]
    #[arg(long, value_name = "TIME", value_parser = super::evaluation_time)]
    now: Option<verdict::Timestamp>,
    /// The facts, a JSON object (`-` reads standard input)
    #[arg(value_name = "FACTS")]
    facts: String,
}

pub fn run(args: Args) -> ExitCode {
    let policies = match load(super::policies_path(args.policies.as_ref()).as_ref()) {
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
    let text = match super::input::read_facts(&args.facts, policies.limits()) {
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
    // `--why-not manual migrate` names the outcome `manual-migrate`, as `->` does.
    let why_not = args
        .why_not
        .as_ref()
        .map(|d| d.split_whitespace().collect::<Vec<_>>().join("-"));
    match policies.explain_json(name, &text, why_not.as_deref()) {
        Ok(explanations) => {
            // Keys no fact declares: a typo the decision silently ignored.
            let unread = policies.unread_keys_json(name, &text);
            if unread.warning_count() > 0 {
                print_report(&unread);
            }
            match args.format {
                Format::Human => out!("{}", human(&policies, &explanations)),
                Format::Json => {
                    let value = serde_json::json!({ "explanations": explanations });
                    outln!("{value}");
                }
            }
            ExitCode::SUCCESS
        }
        Err(report) => {
            print_report(&report);
            // A decision no policy makes is a wrong command line.
            let misuse = report
                .problems()
                .iter()
                .any(|p| matches!(p, verdict::Problem::Explain(_)));
            ExitCode::from(if misuse { 2 } else { 1 })
        }
    }
}

fn human(policies: &PolicySet, explanations: &[Explanation]) -> String {
    let theme = if super::colour(std::io::stdout().is_terminal()) {
        miette::GraphicalTheme::unicode()
    } else {
        miette::GraphicalTheme::unicode_nocolor()
    };
    let mut out = String::new();
    for e in explanations {
        match (&e.rule, &e.rule_name) {
            (Some(rule), Some(name)) => out.push_str(&format!(
                "{}: {}  (rule {name}, {rule})\n",
                e.policy, e.decision
            )),
            (Some(rule), None) => {
                out.push_str(&format!("{}: {}  (rule {rule})\n", e.policy, e.decision))
            }
            (None, _) => out.push_str(&format!(
                "{}: {}  (no rule applies)\n",
                e.policy, e.decision
            )),
        }
        out.push_str(if e.tree {
            "\npath through the decision tree\n"
        } else {
            "\nfacts read (the policy has no decision tree; its rules are scanned)\n"
        });
        let rows: Vec<(String, String, String)> = e
            .read
            .iter()
            .map(|read| {
                let mut value = if read.value.is_null() {
                    String::from("absent")
                } else {
                    read.value.to_string()
                };
                // Say what it met: the deciding rule's condition as written,
                // or else the class it fell in, when that is not the value.
                let note = read.condition.as_ref().unwrap_or(&read.matched);
                if *note != value && format!("\"{note}\"") != value {
                    value.push_str(&format!(" ({note})"));
                }
                let at = read
                    .at
                    .as_ref()
                    .map(|at| format!("at {at}"))
                    .unwrap_or_default();
                (read.path.clone(), value, at)
            })
            .collect();
        let path_width = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
        let value_width = rows.iter().map(|r| r.1.chars().count()).max().unwrap_or(0);
        for (path, value, at) in rows {
            let line = format!("  {path:path_width$}  {value:value_width$}  {at}");
            out.push_str(line.trim_end());
            out.push('\n');
        }
        if e.read.is_empty() {
            out.push_str("  (no fact was needed)\n");
        }
        if !e.unread.is_empty() {
            out.push_str(&format!("not read: {}\n", e.unread.join(", ")));
        }
        out.push('\n');
        out.push_str(&rules_note(e).render(policies.sources(), theme.clone(), WIDTH));
        if let Some(why_not) = &e.why_not {
            out.push_str(&format!("\nwhy not `{}`\n", why_not.decision));
            if !why_not.available {
                out.push_str(&format!(
                    "  not available: policy {} has no decision tree to read alternatives off\n",
                    e.policy
                ));
            } else if why_not.alternatives.is_empty() {
                out.push_str(&format!(
                    "  no facts lead policy {} to `{}`\n",
                    e.policy, why_not.decision
                ));
            }
            for alt in &why_not.alternatives {
                let by = match &alt.rule {
                    Some(rule) => format!("rule {rule} decides"),
                    None => String::from("no rule applies, which decides"),
                };
                let changes = match alt.changes.len() {
                    0 => String::from("with no change"),
                    1 => String::from("change 1 fact"),
                    n => format!("change {n} facts"),
                };
                out.push_str(&format!("  {changes}, and {by} `{}`\n", why_not.decision));
                for change in &alt.changes {
                    let to = if change.to.is_null() {
                        String::from("(leave it out)")
                    } else {
                        change.to.to_string()
                    };
                    let from = if change.from.is_null() {
                        String::from("absent")
                    } else {
                        change.from.to_string()
                    };
                    out.push_str(&format!("    {}: {from} → {to}", change.path));
                    if change.any_of.starts_with('{') || change.any_of.contains(" or ") {
                        out.push_str(&format!("  (any of {})", change.any_of));
                    }
                    out.push('\n');
                }
                if !alt.changes.is_empty() {
                    out.push_str(&format!("    as facts: {}\n", alt.facts));
                }
            }
        }
        out.push('\n');
    }
    out
}

/// The rules of a policy, labelled with what became of each. Rules in one
/// `when` block ruled out by its shared condition get one label.
fn rules_note(e: &Explanation) -> Note {
    let mut labels: Vec<miette::LabeledSpan> = Vec::new();
    let mut counts: Vec<usize> = Vec::new();
    for label in e.rules.iter().map(|rule| match rule.status {
        "decided" => miette::LabeledSpan::new_primary_with_span(
            Some(format!("decides `{}`", rule.decision)),
            rule.span,
        ),
        "ruled-out" => miette::LabeledSpan::new_with_span(
            Some(format!(
                "rules it out: {}",
                rule.because.clone().unwrap_or_default()
            )),
            rule.condition_span.unwrap_or(rule.span),
        ),
        "undetermined" => miette::LabeledSpan::new_with_span(
            Some(format!(
                "unknown: {}",
                rule.because.clone().unwrap_or_default()
            )),
            rule.condition_span.unwrap_or(rule.span),
        ),
        "outranked" => miette::LabeledSpan::new_with_span(
            Some(format!(
                "matches too; `{}` ranks first in `priority`",
                e.decision
            )),
            rule.span,
        ),
        _ => miette::LabeledSpan::new_with_span(
            Some(format!(
                "matches too; an earlier rule decides `{}`",
                e.decision
            )),
            rule.span,
        ),
    }) {
        match labels
            .iter()
            .position(|l| l.inner() == label.inner() && l.label() == label.label())
        {
            Some(i) => {
                if let Some(n) = counts.get_mut(i) {
                    *n += 1;
                }
            }
            None => {
                labels.push(label);
                counts.push(1);
            }
        }
    }
    let labels = labels
        .into_iter()
        .zip(counts)
        .map(|(label, n)| match (n, label.label()) {
            (1, _) | (_, None) => label,
            (n, Some(text)) => miette::LabeledSpan::new_with_span(
                Some(text.replacen("rules it out", &format!("rules out {n} rules"), 1)),
                *label.inner(),
            ),
        })
        .collect::<Vec<_>>();
    // A policy of thousands of rules would be drawn whole: the deciding
    // rule, and the rules nearest before and after it, are enough.
    let total = labels.len();
    let help = (total > SHOWN_RULES).then(|| {
        format!(
            "{} more rules are not shown; `verdict explain --format json` lists what became of every rule",
            total - SHOWN_RULES
        )
    });
    let labels = if total > SHOWN_RULES {
        let primary = labels.iter().position(|l| l.primary()).unwrap_or(0);
        let start = primary
            .saturating_sub(SHOWN_RULES / 2)
            .min(total - SHOWN_RULES);
        labels.into_iter().skip(start).take(SHOWN_RULES).collect()
    } else {
        labels
    };
    Note {
        message: format!("the rules of policy `{}`", e.policy),
        labels,
        help,
    }
}

/// How many rules the human explanation labels at most.
const SHOWN_RULES: usize = 40;
