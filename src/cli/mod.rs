//! The command line: argument parsing with clap, one file per subcommand,
//! each using only the library's public API. Exit codes: 0 when the command
//! did its job (a decision was made, whatever it is), 1 when policies or
//! facts are invalid, 2 when the command line is wrong.

/// `print!` to standard output that ends the process quietly when the
/// reader has gone away (`verdict ... | head`), instead of panicking.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::write_stdout(&format!($($arg)*))
    };
}

/// `println!` with the same care as [`out!`].
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::cli::write_stdout(&format!("{}\n", format!($($arg)*)))
    };
}

/// `eprintln!` that never panics and never stops the work: a diagnostic
/// that cannot be written (stderr a closed pipe or a full device) is lost,
/// and the command goes on and exits as it would have.
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::cli::write_stderr(&format!("{}\n", format!($($arg)*)))
    };
}

mod check;
mod diff;
mod eval;
mod explain;
mod fmt;
mod input;
mod lsp;
mod machine;
mod rewrite;
mod serve;
mod sql;
mod test;
mod tree;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
pub use machine::{diagnostics_json, sarif};
use verdict::{PolicySet, Report};

#[derive(Parser)]
#[command(name = "verdict", version, about = "Decide with terse, checked policies", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Decide for one facts file: the decision, the rule that made it, and why
    Eval(eval::Args),
    /// Check policies and print every diagnostic, warnings included
    Check(check::Args),
    /// Explain a decision: the facts read, what ruled out each other rule, and what would change it
    Explain(explain::Args),
    /// Rewrite policy files in the canonical layout (`--check` only lists them)
    Fmt(fmt::Args),
    /// Run the policy tests (`*.tests`) beside the policies, with coverage
    Test(test::Args),
    /// Show the compiled decision tree of each policy
    Tree(tree::Args),
    /// Show where two versions of a policy set decide differently (exit 1 if anywhere)
    Diff(diff::Args),
    /// Serve decisions over HTTP, reloading the policies when they change (`--watch`)
    Serve(serve::Args),
    /// Compile the policies to SQL that decides every row of a table as `eval` does
    Sql(sql::Args),
    /// Serve editors: a language server over stdio for `.policy` and `.tests` files
    Lsp(lsp::Args),
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
}

/// Width diagnostics are wrapped at.
pub const WIDTH: usize = 100;

pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // --help and --version are not errors.
            let code = if err.use_stderr() { 2 } else { 0 };
            let _ = err.print();
            return ExitCode::from(code);
        }
    };
    match cli.command {
        Command::Eval(args) => eval::run(args),
        Command::Check(args) => check::run(args),
        Command::Tree(args) => tree::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Test(args) => test::run(args),
        Command::Fmt(args) => fmt::run(args),
        Command::Diff(args) => diff::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Sql(args) => sql::run(args),
        Command::Lsp(args) => lsp::run(args),
    }
}

/// A command line that parses but asks `subcommand` for something it
/// cannot do: said as clap says its errors, with that command's usage,
/// exit 2.
fn usage_error(subcommand: &str, message: &str) -> ExitCode {
    use clap::CommandFactory as _;
    let mut command = Cli::command();
    command.build();
    let error = match command.find_subcommand_mut(subcommand) {
        Some(sub) => sub.error(clap::error::ErrorKind::ArgumentConflict, message),
        None => command.error(clap::error::ErrorKind::ArgumentConflict, message),
    };
    let _ = error.print();
    ExitCode::from(2)
}

/// The policies a command works on: the path the user named (`--policies
/// PATH`, or the command's own positional `PATH`); else the current folder
/// when it holds `*.policy` files; else the built-in pack (`None`). Unless
/// the user named them, a line on stderr says which were taken.
fn policies_path(named: Option<&PathBuf>) -> Option<PathBuf> {
    let (path, said) = policies_source(named);
    if let Some(said) = said {
        errln!("verdict: {said}");
    }
    path
}

/// [`policies_path`], with what to say about the choice (`None` when the
/// user named the policies) instead of saying it.
fn policies_source(named: Option<&PathBuf>) -> (Option<PathBuf>, Option<String>) {
    if let Some(path) = named {
        return (Some(path.clone()), None);
    }
    let here = policy_files_here();
    if here.is_empty() {
        let said = "no `*.policy` files in the current folder: using the built-in multichannel pack (`--policies PATH` names others)";
        return (None, Some(said.to_string()));
    }
    let shown: Vec<&str> = here.iter().take(3).map(String::as_str).collect();
    let more = match here.len().saturating_sub(shown.len()) {
        0 => String::new(),
        more => format!(" and {more} more"),
    };
    let said = format!(
        "using the policies of the current folder: {}{more} (`--policies PATH` names others)",
        shown.join(", ")
    );
    (Some(PathBuf::from(".")), Some(said))
}

/// The names of the `*.policy` files of the current folder, in order.
fn policy_files_here() -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(".") else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.file_type().is_ok_and(|t| !t.is_dir()))
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|name| name.ends_with(".policy"))
        .collect();
    names.sort();
    names
}

/// The one positional path or `--policies PATH` a command was given: both
/// spell the same thing, so naming two different ones is a usage error.
fn named_path<'a>(
    command: &str,
    positional: Option<&'a PathBuf>,
    flag: Option<&'a PathBuf>,
) -> Result<Option<&'a PathBuf>, ExitCode> {
    match (positional, flag) {
        (Some(a), Some(b)) if a != b => Err(usage_error(
            command,
            "the policies are named twice: give `PATH` or `--policies PATH`, not both",
        )),
        (a, b) => Ok(a.or(b)),
    }
}

/// Loads the policies of a file or directory, or the built-in pack.
fn load(dir: Option<&PathBuf>) -> Result<PolicySet, Report> {
    load_building(dir, verdict::TreeBuild::AtLoad)
}

/// [`load`], building the decision trees when `tree_build` says.
fn load_building(
    dir: Option<&PathBuf>,
    tree_build: verdict::TreeBuild,
) -> Result<PolicySet, Report> {
    let limits = verdict::Limits {
        tree_build,
        ..verdict::Limits::default()
    };
    load_with(dir, &limits)
}

/// [`load_building`] through the policy cache in the user's cache
/// directory (the built-in pack, compiled into the binary, is loaded as
/// it is). A cache that cannot be written is a warning: the policies load
/// all the same.
fn load_cached(dir: Option<&PathBuf>, tree_build: verdict::TreeBuild) -> Result<PolicySet, Report> {
    let limits = verdict::Limits {
        tree_build,
        ..verdict::Limits::default()
    };
    let (Some(path), Some(cache)) = (dir, verdict::PolicyCache::in_user_cache_dir()) else {
        return load_with(dir, &limits);
    };
    let (loaded, how) = if path.as_os_str() == "." {
        cache.load_root(path, &limits)
    } else {
        cache.load_path(path, &limits)
    };
    if let verdict::CacheUse::NotStored(reason) = how {
        let warning = verdict::LoadError::Cache {
            dir: cache.dir().display().to_string(),
            reason,
        };
        print_report(&Report::new(
            verdict::SourceMap::new(),
            vec![verdict::Problem::Load(warning)],
        ));
    }
    loaded
}

/// [`load`], keeping every warning: `check` lists them all in its machine
/// output.
fn load_keeping_warnings(dir: Option<&PathBuf>) -> Result<PolicySet, Report> {
    let limits = verdict::Limits {
        warnings_per_code: usize::MAX,
        // Checking reports what a tree would, without deciding anything:
        // most policies are searched faster than their tree is built.
        tree_build: verdict::TreeBuild::IfNeeded,
        ..verdict::Limits::default()
    };
    load_with(dir, &limits)
}

fn load_with(dir: Option<&PathBuf>, limits: &verdict::Limits) -> Result<PolicySet, Report> {
    match dir {
        // The current folder's files are named as the user sees them there.
        Some(path) if path.as_os_str() == "." => PolicySet::from_root_with(path, limits),
        Some(path) => PolicySet::from_path_with(path, limits),
        None => PolicySet::builtin_with(limits),
    }
}

/// Prints a report's diagnostics to stderr, in colour on a terminal.
fn print_report(report: &Report) {
    let stderr = std::io::stderr();
    let text = if colour(stderr.is_terminal()) {
        report.render_with(miette::GraphicalTheme::unicode(), WIDTH)
    } else {
        report.render(WIDTH)
    };
    write_stderr(&text);
}

/// Writes to standard error, ignoring failure: see [`errln!`].
pub fn write_stderr(text: &str) {
    use std::io::Write as _;
    let mut stderr = std::io::stderr().lock();
    let _ = stderr
        .write_all(text.as_bytes())
        .and_then(|()| stderr.flush());
}

/// Writes to standard output. When the reader has gone away (a closed
/// pipe), nothing more can be said, so the process ends quietly; any other
/// write error is reported on standard error, with exit code 1.
pub fn write_stdout(text: &str) {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    if let Err(error) = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        errln!("verdict: cannot write to standard output: {error}");
        std::process::exit(1);
    }
}

/// Whether to colour output to a stream: only on a terminal, and never when
/// `NO_COLOR` is set to something (<https://no-color.org>).
pub fn colour(is_terminal: bool) -> bool {
    is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Parses `--now`: an RFC 3339 instant with an offset.
fn evaluation_time(text: &str) -> Result<verdict::Timestamp, String> {
    text.parse().map_err(|_| {
        String::from("expected an RFC 3339 date-time with an offset, such as 2026-12-01T10:30:00Z")
    })
}
