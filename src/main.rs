//! The `verdict` command line: see `verdict --help`.

mod cli;

fn main() -> std::process::ExitCode {
    // A write past the file-size limit (`ulimit -f`) raises SIGXFSZ, which
    // kills the process by default, leaving a half-written temporary file.
    // Caught, the write fails with "file too large" and is reported like
    // any other. If it cannot be caught, the default stands.
    #[cfg(unix)]
    let _ = signal_hook::flag::register(
        signal_hook::consts::SIGXFSZ,
        std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false)),
    );
    cli::run()
}
