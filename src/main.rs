//! The `verdict` command line: see `verdict --help`.

mod cli;

fn main() -> std::process::ExitCode {
    cli::run()
}
