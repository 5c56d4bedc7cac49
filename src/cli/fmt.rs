//! `verdict fmt`: rewrite policy files in the canonical layout, or, with
//! `--check`, list the files that are not in it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use verdict::{LoadError, Problem, Report, SourceMap};

use super::print_report;
use super::rewrite::{digest, write_back};

#[derive(clap::Args)]
pub struct Args {
    /// `.policy` and `.tests` files, or directories of them [default: the current directory]
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// A `.policy` file or a directory of them, as every command names them
    /// (with the `PATH`s, if any)
    #[arg(long = "policies", value_name = "PATH")]
    policies: Vec<PathBuf>,
    /// Change nothing; list the files that would change and exit 1 if any
    #[arg(long)]
    check: bool,
}

pub fn run(args: Args) -> ExitCode {
    let mut paths = args.paths;
    paths.extend(args.policies);
    if paths.is_empty() {
        paths.push(PathBuf::from("."));
    }
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
    // `check` refuses sets past this size; `fmt` refuses files past it.
    let limit = verdict::Limits::default().max_policy_bytes;
    for path in files {
        let name = path.display().to_string();
        match read(&path, limit) {
            Ok(Loaded::Text(text)) => {
                let digest = digest(text.as_bytes());
                match sources.add(name.clone(), text) {
                    Some(id) => loaded.push((path, id, digest)),
                    None => problems.push(too_large(name, limit, limit)),
                }
            }
            Ok(Loaded::TooLarge(size)) => problems.push(too_large(name, size, limit)),
            Ok(Loaded::NotUtf8(offset)) => problems.push(
                LoadError::NotUtf8 {
                    path: name,
                    offset,
                    span: None,
                }
                .into(),
            ),
            Err(e) => problems.push(LoadError::io(name, &e).into()),
        }
    }
    let mut changed = Vec::new();
    for (path, id, digest) in &loaded {
        let Some(file) = sources.file(*id) else {
            continue;
        };
        let formatted = if path.extension().is_some_and(|e| e == "tests") {
            verdict::format::format_tests(file)
                .map_err(|errors| errors.into_iter().map(Problem::from).collect::<Vec<_>>())
        } else {
            verdict::format::format(file)
                .map_err(|errors| errors.into_iter().map(Problem::from).collect::<Vec<_>>())
        };
        match formatted {
            Ok(formatted) if formatted != file.text => {
                changed.push((path.clone(), *digest, formatted));
            }
            Ok(_) => {}
            Err(errors) => problems.extend(errors),
        }
    }
    let mut failed = !problems.is_empty();
    for (path, digest, formatted) in &changed {
        if args.check {
            outln!("{}", path.display());
            failed = true;
        } else if let Err(error) = write_back(path, *digest, formatted) {
            problems.push(error.into());
            failed = true;
        } else {
            errln!("formatted {}", path.display());
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

/// The `.policy` and `.tests` files a path names: itself, or those of a
/// directory.
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
        .filter(|p| p.extension().is_some_and(|e| e == "policy" || e == "tests") && p.is_file())
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(LoadError::NoPolicies {
            path: path.display().to_string(),
        });
    }
    Ok(files)
}

/// What reading a policy file gave.
enum Loaded {
    Text(String),
    /// Its size, past the limit: the file was not read.
    TooLarge(usize),
    /// The offset of its first byte that is not UTF-8.
    NotUtf8(usize),
}

/// Reads a policy file of at most `limit` bytes.
fn read(path: &Path, limit: usize) -> std::io::Result<Loaded> {
    use std::io::Read as _;
    let file = std::fs::File::open(path)?;
    let most = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    let mut bytes = Vec::new();
    file.take(most).read_to_end(&mut bytes)?;
    if bytes.len() > limit {
        let size = std::fs::metadata(path).map_or(bytes.len(), |m| m.len() as usize);
        return Ok(Loaded::TooLarge(size));
    }
    Ok(match String::from_utf8(bytes) {
        Ok(text) => Loaded::Text(text),
        Err(e) => Loaded::NotUtf8(e.utf8_error().valid_up_to()),
    })
}

fn too_large(path: String, size: usize, limit: usize) -> Problem {
    LoadError::TooLarge {
        path,
        size,
        limit,
        help: format!(
            "`verdict fmt` formats files of up to {limit} bytes, as `verdict check` checks sets of up to that"
        ),
    }
    .into()
}
