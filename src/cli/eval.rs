//! `verdict eval`: decide for one facts file.

use std::path::PathBuf;
use std::process::ExitCode;

use verdict::Decision;

use super::{load_building, print_report, Format};

#[derive(clap::Args)]
pub struct Args {
    /// A `.policy` file or a directory of them [default: the current folder's
    /// `*.policy` files, or the built-in multichannel pack if it has none]
    #[arg(long, value_name = "PATH")]
    policies: Option<PathBuf>,
    /// Output format [default: human; with `--ndjson`, JSON lines]
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Also show the facts each decision read
    #[arg(long, conflicts_with = "ndjson")]
    trace: bool,
    /// Read one facts object per line and write one decision object per line, in order
    #[arg(long)]
    ndjson: bool,
    /// Read facts strictly: every declared fact present must fit, and keys
    /// beside declared paths must be declared
    #[arg(long)]
    strict_facts: bool,
    /// The evaluation time, RFC 3339 (`2026-12-01T10:30:00Z`): what facts
    /// declared `default now` take when the facts leave them out [default:
    /// the clock's time]
    #[arg(long, value_name = "TIME", value_parser = super::evaluation_time)]
    now: Option<verdict::Timestamp>,
    /// Keep the checked policies in the user's cache directory
    /// (`$VERDICT_CACHE_DIR`, else `verdict/` in `$XDG_CACHE_HOME` or
    /// `~/.cache`), so that the next `eval` of the same files reads them
    /// back instead of parsing and checking them
    #[arg(long)]
    cache: bool,
    /// The facts, a JSON object (`-` reads standard input); with `--ndjson`,
    /// a file of JSON lines
    #[arg(value_name = "FACTS", default_value = "-")]
    facts: String,
}

pub fn run(args: Args) -> ExitCode {
    if args.ndjson && args.format == Some(Format::Human) {
        return super::usage_error(
            "eval",
            "`--ndjson` writes one JSON object per line; `--format human` does not apply to it",
        );
    }
    let format = args.format.unwrap_or(Format::Human);
    // Deciding starts by rule scan while the trees are built: one decision
    // is made long before a large policy's tree would be, and a batch
    // takes the trees as soon as they are. Errors and traces wait for the
    // trees, so the output is the same either way.
    let path = super::policies_path(args.policies.as_ref());
    let loaded = if args.cache {
        super::load_cached(path.as_ref(), verdict::TreeBuild::InBackground)
    } else {
        load_building(path.as_ref(), verdict::TreeBuild::InBackground)
    };
    let policies = match loaded {
        Ok(policies) => {
            let policies = policies.strict_facts(args.strict_facts);
            match args.now {
                Some(now) => policies.evaluated_at(now),
                None => policies,
            }
        }
        Err(report) => return fail(&report, format),
    };
    let facts = args.facts;
    if args.ndjson {
        return batch(&policies, &facts);
    }
    super::input::hint_if_terminal(&facts);
    let text = match super::input::read_facts(&facts, policies.limits()) {
        Ok(text) => text,
        Err(report) => return fail(&report, format),
    };
    let name = if facts == "-" { "<stdin>" } else { &facts };
    let decided = if args.trace {
        policies.trace_json(name, &text)
    } else {
        policies
            .decide_json(name, &text)
            .map(verdict::Decisions::into_owned)
    };
    match decided {
        Ok(decisions) => {
            if args.trace {
                // Keys no fact declares: a typo the decision silently ignored.
                let unread = policies.unread_keys_json(name, &text);
                if unread.warning_count() > 0 {
                    print_report(&unread);
                }
            }
            match format {
                Format::Human => out!("{}", human(&decisions)),
                Format::Json => outln!("{}", json(&decisions)),
            }
            ExitCode::SUCCESS
        }
        Err(report) => fail(&report, format),
    }
}

/// Exit 1 with the report: as miette renders it on stderr, or with
/// `--format json` as the diagnostics document `check --format json`
/// prints, on stdout.
fn fail(report: &verdict::Report, format: Format) -> ExitCode {
    match format {
        Format::Human => print_report(report),
        Format::Json => outln!("{}", super::machine::diagnostics_json(report)),
    }
    ExitCode::from(1)
}

fn human(decisions: &[Decision]) -> String {
    let mut out = String::new();
    for d in decisions {
        out.push_str(&format!("{}: {}\n", d.policy, d.decision));
        match (&d.rule, &d.rule_name) {
            (Some(rule), Some(name)) => out.push_str(&format!("  rule    {name} ({rule})\n")),
            (Some(rule), None) => out.push_str(&format!("  rule    {rule}\n")),
            (None, _) => {}
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
                // The deciding rule's condition as written, or else the
                // class the value fell in.
                let note = match &step.condition {
                    Some(condition) => condition.clone(),
                    None => format!("{}: {}", step.fact, step.matched),
                };
                out.push_str(&format!("    {} = {}  ({note})\n", step.path, step.value));
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

/// `--ndjson`: a batch, streamed. The summary goes to stderr, with a
/// progress bar when stderr is a terminal and the input a file.
fn batch(policies: &verdict::PolicySet, path: &str) -> ExitCode {
    use std::io::{BufReader, IsTerminal};
    let output = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout());
    let name = if path == "-" { "<stdin>" } else { path };
    let result = if path == "-" {
        super::input::hint_if_terminal(path);
        let input = BufReader::with_capacity(1 << 16, std::io::stdin());
        verdict::batch::run(policies, input, output, |_| {})
    } else {
        let file = match super::input::open_file(path) {
            Ok(file) => file,
            Err(report) => {
                print_report(&report);
                return ExitCode::from(1);
            }
        };
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(size);
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            ) {
                bar.set_style(style);
            }
            bar
        });
        let result = verdict::batch::run(
            policies,
            BufReader::with_capacity(1 << 16, file),
            output,
            |read| {
                if let Some(bar) = &bar {
                    bar.set_position(read);
                }
            },
        );
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        result
    };
    match result {
        Ok(summary) => {
            errln!("{summary}");
            ExitCode::SUCCESS
        }
        Err(verdict::batch::Failure::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            ExitCode::SUCCESS
        }
        Err(failure) => {
            let error = match &failure {
                verdict::batch::Failure::Input(e) => verdict::LoadError::io(name, e),
                verdict::batch::Failure::Output(e) => verdict::LoadError::write("<stdout>", e),
            };
            print_report(&verdict::Report::new(
                verdict::SourceMap::new(),
                vec![error.into()],
            ));
            ExitCode::from(1)
        }
    }
}
