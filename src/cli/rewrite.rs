//! Replacing a file's text so that nothing is lost and nothing changes
//! that the command does not own: what `verdict fmt` writes with. Links,
//! owners, permissions and concurrent writers are kept as
//! [`write_back`] says; every failure leaves the file as it was.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use verdict::LoadError;

/// A digest of a file's bytes, to tell whether it changed since it was read.
pub fn digest(bytes: &[u8]) -> (usize, u64) {
    use std::hash::{Hash as _, Hasher as _};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut hasher);
    (bytes.len(), hasher.finish())
}

/// Writes `contents` over the policy file at `path`, whose bytes were
/// `read` when it was read, so that nothing is lost:
///
/// - through a symbolic link, the file it points to is rewritten and the
///   link kept;
/// - a read-only file, or one this user may not write, is refused;
/// - a file that changed since it was read is left as it is now;
/// - the new text goes to a temporary file beside the original, with its
///   permissions and owner (refused if the owner cannot be kept), flushed
///   to disk and renamed over it, so that a crash, a full disk, a file-size
///   limit or a kill leaves the old file or the new one, never a mix, and
///   no temporary file after a failure;
/// - a file with other hard links is rewritten in place, so that every
///   link sees the new text, after a copy of the old text is flushed to
///   disk beside it, which is removed once the new text is written.
pub fn write_back(path: &Path, read: (usize, u64), contents: &str) -> Result<(), LoadError> {
    let name = path.display().to_string();
    let fail = |e: &std::io::Error| LoadError::write(name.clone(), e);
    let target = std::fs::canonicalize(path).map_err(|e| fail(&e))?;
    let metadata = std::fs::metadata(&target).map_err(|e| fail(&e))?;
    let refuse = |reason: &str, help: &str| LoadError::Write {
        path: name.clone(),
        reason: reason.to_string(),
        help: Some(help.to_string()),
    };
    if metadata.permissions().readonly() {
        return Err(refuse(
            "the file is read-only",
            "`verdict fmt` leaves read-only files as they are: make it writable (`chmod u+w`) to format it",
        ));
    }
    // Opening to write changes nothing, and fails where this user may not
    // write the file (even if the directory would let it be replaced).
    if let Err(e) = std::fs::OpenOptions::new().write(true).open(&target) {
        return Err(fail(&e).with_help(
            "`verdict fmt` rewrites only files this user may write; the file is unchanged",
        ));
    }
    // The file as it is now, if it is still as it was read.
    let unchanged = || -> Result<Vec<u8>, LoadError> {
        let now = std::fs::read(&target).map_err(|e| fail(&e))?;
        if digest(&now) == read {
            Ok(now)
        } else {
            Err(LoadError::Changed { path: name.clone() })
        }
    };
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file_name = target
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let unchanged_help = "the file is unchanged";
    if links(&metadata) > 1 {
        // Other links share the file: rewrite it in place, the old text
        // kept beside it until the new one is on disk.
        let old = unchanged()?;
        let (backup, mut file) =
            temporary(dir, &file_name).map_err(|e| fail(&e).with_help(unchanged_help))?;
        let kept = file.write_all(&old).and_then(|()| file.sync_all());
        drop(file);
        if let Err(e) = kept {
            let _ = std::fs::remove_file(&backup);
            return Err(fail(&e).with_help(unchanged_help));
        }
        let written = std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(&target)
            .and_then(|mut file| {
                file.write_all(contents.as_bytes())?;
                file.sync_all()
            });
        return match written {
            Ok(()) => {
                let _ = std::fs::remove_file(&backup);
                Ok(())
            }
            Err(e) => Err(fail(&e).with_help(format!(
                "the file has other hard links, so it was rewritten in place, and that failed: its old text is in `{}`",
                backup.display()
            ))),
        };
    }
    let (temp, mut file) =
        temporary(dir, &file_name).map_err(|e| fail(&e).with_help(unchanged_help))?;
    let result = (|| {
        file.write_all(contents.as_bytes()).map_err(|e| fail(&e))?;
        file.set_permissions(metadata.permissions())
            .map_err(|e| fail(&e))?;
        keep_owner(&file, &metadata).map_err(|_| {
            refuse(
                "its owner cannot be kept",
                "the file belongs to another user, and a formatted copy would belong to this one: run `verdict fmt` as its owner",
            )
        })?;
        file.sync_all().map_err(|e| fail(&e))?;
        unchanged()?;
        std::fs::rename(&temp, &target).map_err(|e| fail(&e))?;
        Ok(())
    })();
    drop(file);
    match result {
        Ok(()) => {
            // The rename is durable once the directory is flushed too; where
            // a directory cannot be opened or flushed, the rename still stands.
            if let Ok(dir) = std::fs::File::open(dir) {
                let _ = dir.sync_all();
            }
            Ok(())
        }
        Err(error) => {
            let _ = std::fs::remove_file(&temp);
            Err(match error {
                LoadError::Write { help: None, .. } => error.with_help(unchanged_help),
                other => other,
            })
        }
    }
}

/// How many names the file has.
#[cfg(unix)]
fn links(metadata: &std::fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::nlink(metadata)
}

#[cfg(not(unix))]
fn links(_: &std::fs::Metadata) -> u64 {
    1
}

/// Gives a new file the owner and group of the one it replaces, where
/// they differ (only the superuser, or a member of the group for the
/// group, may).
#[cfg(unix)]
fn keep_owner(file: &std::fs::File, original: &std::fs::Metadata) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt as _;
    let made = file.metadata()?;
    if (made.uid(), made.gid()) == (original.uid(), original.gid()) {
        return Ok(());
    }
    std::os::unix::fs::fchown(file, Some(original.uid()), Some(original.gid()))
}

#[cfg(not(unix))]
fn keep_owner(_: &std::fs::File, _: &std::fs::Metadata) -> std::io::Result<()> {
    Ok(())
}

/// A new temporary file beside `name` in `dir`, made for this run only.
fn temporary(dir: &Path, name: &str) -> std::io::Result<(PathBuf, std::fs::File)> {
    let mut attempt = 0;
    loop {
        let temp = dir.join(format!(
            ".{name}.{}.{attempt}.verdict-fmt",
            std::process::id()
        ));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
        {
            Ok(file) => return Ok((temp, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 => {
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    // A test fails loudly on purpose.
    #![allow(clippy::unwrap_used)]

    use super::{digest, write_back};

    /// A file that changed between being read and being written back (a
    /// line appended meanwhile) is refused and left as it is now.
    #[test]
    fn a_file_changed_since_it_was_read_is_left_alone() {
        let dir = std::env::temp_dir().join(format!("verdict-fmt-changed-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("p.policy");
        let read = "policy p\notherwise none\n";
        std::fs::write(&path, format!("{read}# appended meanwhile\n")).unwrap();
        let error = write_back(
            &path,
            digest(read.as_bytes()),
            "policy p\n\notherwise none\n",
        )
        .unwrap_err();
        assert!(
            matches!(error, verdict::LoadError::Changed { .. }),
            "{error:?}"
        );
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            format!("{read}# appended meanwhile\n")
        );
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    }
}
