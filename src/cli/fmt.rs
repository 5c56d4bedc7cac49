//! `verdict fmt`: rewrite policy files in the canonical layout, or, with
//! `--check`, list the files that are not in it.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use verdict::{LoadError, Problem, Report, SourceMap};

use super::print_report;

#[derive(clap::Args)]
pub struct Args {
    /// `.policy` files, or directories of them [default: the current directory]
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Change nothing; list the files that would change and exit 1 if any
    #[arg(long)]
    check: bool,
}

pub fn run(args: Args) -> ExitCode {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths
    };
    let mut files = Vec::new();
    let mut problems: Vec<Problem> = Vec::new();
    for path in &paths {
        match policy_files(path) {
            Ok(mut found) => files.append(&mut found),
            Err(error) => problems.push(error.into()),
        }
    }
    let mut sources = SourceMap::new();
    let mut loaded = Vec::new();
    for path in files {
        let name = path.display().to_string();
        match std::fs::read(&path).map(String::from_utf8) {
            Ok(Ok(text)) => {
                let size = text.len();
                let limit = verdict::Limits::MAX_POLICY_BYTES;
                match (size <= limit)
                    .then(|| sources.add(name.clone(), text))
                    .flatten()
                {
                    Some(id) => loaded.push((path, id)),
                    None => problems.push(
                        LoadError::TooLarge {
                            path: name,
                            size,
                            limit,
                            help: format!("`verdict fmt` formats at most {limit} bytes in one run"),
                        }
                        .into(),
                    ),
                }
            }
            Ok(Err(e)) => problems.push(
                LoadError::NotUtf8 {
                    path: name,
                    offset: e.utf8_error().valid_up_to(),
                    span: None,
                }
                .into(),
            ),
            Err(e) => problems.push(LoadError::io(name, &e).into()),
        }
    }
    let mut changed = Vec::new();
    for (path, id) in &loaded {
        let Some(file) = sources.file(*id) else {
            continue;
        };
        match verdict::format::format(file) {
            Ok(formatted) if formatted != file.text => changed.push((path.clone(), formatted)),
            Ok(_) => {}
            Err(errors) => problems.extend(errors.into_iter().map(Problem::from)),
        }
    }
    let mut failed = !problems.is_empty();
    for (path, formatted) in &changed {
        if args.check {
            outln!("{}", path.display());
            failed = true;
        } else if let Err(e) = write_atomically(path, formatted) {
            problems.push(LoadError::write(path.display().to_string(), &e).into());
            failed = true;
        } else {
            eprintln!("formatted {}", path.display());
        }
    }
    if !problems.is_empty() {
        print_report(&Report::new(sources, problems));
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// The `.policy` files a path names: itself, or those of a directory.
fn policy_files(path: &Path) -> Result<Vec<PathBuf>, LoadError> {
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let entries = std::fs::read_dir(path).map_err(|e| {
        LoadError::io(path.display().to_string(), &e)
            .with_help("pass `.policy` files or directories of them")
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|p| p.extension().is_some_and(|e| e == "policy") && p.is_file())
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(LoadError::NoPolicies {
            path: path.display().to_string(),
        });
    }
    Ok(files)
}

/// Replaces a file's contents so that a crash, a full disk or a kill leaves
/// either the old file or the new one, never a mix: the new text goes to a
/// temporary file beside it (same permissions), is flushed to disk, and then
/// renamed over the original.
fn write_atomically(path: &Path, contents: &str) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let temp = dir.join(format!(".{name}.{}.verdict-fmt", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(contents.as_bytes())?;
        file.sync_all()?;
        let permissions = std::fs::metadata(path)?.permissions();
        std::fs::set_permissions(&temp, permissions)?;
        std::fs::rename(&temp, path)?;
        // The rename is durable once the directory is flushed too; where a
        // directory cannot be opened or flushed, the rename still stands.
        if let Ok(dir) = std::fs::File::open(dir) {
            let _ = dir.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}
