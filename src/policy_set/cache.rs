//! A cache of checked policies on disk, so that loading an unchanged
//! policy set parses and checks nothing: each entry holds the files it was
//! made from and their checked policies, and is found by a hash of the
//! files, the limits, verdict's version and the build of the program (its
//! executable's size and time).
//!
//! An entry is used only when the files it holds are, byte for byte, the
//! files being loaded, and its checksum and format are right; anything
//! else (a corrupt, truncated or foreign entry, a hash that collides) is
//! a miss, and the set is loaded afresh and the entry written again. An
//! entry is written to a file of its own and renamed into place, so a
//! reader sees a whole entry or none, whatever other processes write at
//! the same time. The cache keeps the
//! [`PolicyCache::MAX_ENTRIES`] entries used last.

use std::hash::{Hash, Hasher};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::load::{read_policy_files, Checked};
use super::PolicySet;
use crate::diagnostics::{io_reason, Report};
use crate::limits::Limits;
use crate::model::CheckedPolicy;

/// What an entry file begins with.
const MAGIC: &[u8; 8] = b"verdict\x00";

/// The layout of entries; a change makes every older entry a miss.
const FORMAT: u32 = 1;

/// The header: magic, format, checksum of the payload, the payload's length.
const HEADER: usize = 8 + 4 + 8 + 8;

/// A directory of checked policies (see the module documentation).
///
/// ```
/// let dir = std::env::temp_dir().join(format!("verdict-doc-cache-{}", std::process::id()));
/// let cache = verdict::PolicyCache::new(&dir);
/// let files = vec![(
///     "doors.policy".to_string(),
///     "policy doors\nfact role: {staff guest} at role\nstaff can\nguest cannot\n".to_string(),
/// )];
/// let limits = verdict::Limits::default();
/// let (first, how) = cache.load(files.clone(), &limits);
/// assert_eq!(how, verdict::CacheUse::Stored);
/// let (again, how) = cache.load(files, &limits);
/// assert_eq!(how, verdict::CacheUse::Hit);
/// let facts = serde_json::json!({"role": "guest"});
/// let decide = |set: verdict::PolicySet| set.decide(&facts).map(|d| d[0].decision.to_string());
/// assert_eq!(decide(first.map_err(|r| r.render(80))?).ok(), Some("deny".to_string()));
/// assert_eq!(decide(again.map_err(|r| r.render(80))?).ok(), Some("deny".to_string()));
/// # std::fs::remove_dir_all(&dir).ok();
/// # Ok::<(), String>(())
/// ```
#[derive(Clone, Debug)]
pub struct PolicyCache {
    dir: PathBuf,
}

/// How a load through a [`PolicyCache`] went.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CacheUse {
    /// The files' entry was read: nothing was parsed or checked.
    Hit,
    /// No entry could be used; the files were loaded and their entry written.
    Stored,
    /// No entry could be used, and none could be written: the reason, in
    /// words. The set loaded all the same.
    NotStored(String),
    /// The files did not load (the report says why): nothing is written.
    Failed,
}

/// What an entry holds. The files are kept whole, to tell them from any
/// others that hash alike.
#[derive(Deserialize)]
struct Entry {
    files: Vec<(String, String)>,
    policies: Vec<CheckedPolicy>,
}

/// [`Entry`], as it is written: borrowed.
#[derive(Serialize)]
struct EntryRef<'a> {
    files: &'a [(String, String)],
    policies: Vec<&'a CheckedPolicy>,
}

impl PolicyCache {
    /// The most entries a cache directory keeps: each edit of a policy set
    /// makes a new one, and the oldest go.
    pub const MAX_ENTRIES: usize = 16;

    /// The cache in `dir`, which is made when the first entry is written.
    pub fn new(dir: impl Into<PathBuf>) -> PolicyCache {
        PolicyCache { dir: dir.into() }
    }

    /// The cache in the user's cache directory: `$VERDICT_CACHE_DIR` when
    /// it is set, else `verdict/` in `$XDG_CACHE_HOME`, or in `~/.cache`
    /// (`~/Library/Caches` on macOS, `%LOCALAPPDATA%` on Windows). `None`
    /// when none of these is known.
    pub fn in_user_cache_dir() -> Option<PolicyCache> {
        let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        if let Some(dir) = var("VERDICT_CACHE_DIR") {
            return Some(PolicyCache::new(dir));
        }
        let base = if cfg!(windows) {
            PathBuf::from(var("LOCALAPPDATA")?)
        } else if cfg!(target_os = "macos") {
            PathBuf::from(var("HOME")?).join("Library").join("Caches")
        } else {
            match var("XDG_CACHE_HOME") {
                Some(dir) => PathBuf::from(dir),
                None => PathBuf::from(var("HOME")?).join(".cache"),
            }
        };
        Some(PolicyCache::new(base.join("verdict")))
    }

    /// The directory of the cache.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Loads the policy files `files` (name and text, as
    /// [`PolicySet::from_sources_with`] takes them) within `limits`, from
    /// their entry when there is one, and says how.
    ///
    /// A set from the cache decides, explains and reports on facts exactly
    /// as a fresh one; it does not hold the warnings loading found (unused
    /// values, shadowed rules), which `verdict check` reports. A set whose
    /// loading found an error is never stored.
    pub fn load(
        &self,
        files: Vec<(String, String)>,
        limits: &Limits,
    ) -> (Result<PolicySet, Report>, CacheUse) {
        let Some(build) = build() else {
            // Without the build, an entry might be read by another build
            // of the same version, whose layout differs.
            let checked = Checked::from_sources(files, limits);
            let how = if checked.has_errors() || checked.nothing {
                CacheUse::Failed
            } else {
                CacheUse::NotStored(String::from(
                    "the program cannot tell which build of verdict it is",
                ))
            };
            return (checked.finish(limits), how);
        };
        let path = self.entry_path(&files, limits, build);
        if let Some(policies) = read_entry(&path, &files) {
            let (sources, problems) = Checked::place(files, limits);
            let checked = Checked {
                sources,
                problems,
                policies,
                nothing: false,
            };
            // Used: the entry is among the last to go.
            if let Ok(file) = std::fs::File::options().write(true).open(&path) {
                let _ = file.set_modified(std::time::SystemTime::now());
            }
            return (checked.finish(limits), CacheUse::Hit);
        }
        let checked = Checked::from_sources(files.iter().cloned(), limits);
        if checked.has_errors() || checked.nothing {
            return (checked.finish(limits), CacheUse::Failed);
        }
        let entry = EntryRef {
            files: &files,
            policies: checked.policies.iter().map(|p| &**p).collect(),
        };
        let how = match self.write_entry(&path, &entry) {
            Ok(()) => {
                self.evict();
                CacheUse::Stored
            }
            Err(reason) => CacheUse::NotStored(reason),
        };
        (checked.finish(limits), how)
    }

    /// [`load`](Self::load) for the policy files of `path` (a `.policy`
    /// file or a directory of them), named by their paths, as
    /// [`PolicySet::from_path_with`] names them.
    pub fn load_path(
        &self,
        path: impl AsRef<Path>,
        limits: &Limits,
    ) -> (Result<PolicySet, Report>, CacheUse) {
        self.load_read(path.as_ref(), limits, false)
    }

    /// [`load`](Self::load) for the policy files of `root`, named by their
    /// names alone, as [`PolicySet::from_root_with`] names them.
    pub fn load_root(
        &self,
        root: impl AsRef<Path>,
        limits: &Limits,
    ) -> (Result<PolicySet, Report>, CacheUse) {
        self.load_read(root.as_ref(), limits, true)
    }

    fn load_read(
        &self,
        path: &Path,
        limits: &Limits,
        relative: bool,
    ) -> (Result<PolicySet, Report>, CacheUse) {
        match read_policy_files(path, limits, relative) {
            Ok(files) => self.load(files, limits),
            Err(report) => (Err(report), CacheUse::Failed),
        }
    }

    /// Where the entry of `files` under `limits`, for this `build`, is.
    fn entry_path(&self, files: &[(String, String)], limits: &Limits, build: Build) -> PathBuf {
        // SipHash with fixed keys: the same files give the same name in
        // every process of this build. The name only finds the entry; the
        // files it holds are compared whole.
        let mut hasher = std::hash::DefaultHasher::new();
        (FORMAT, env!("CARGO_PKG_VERSION")).hash(&mut hasher);
        build.hash(&mut hasher);
        checking_limits(limits).hash(&mut hasher);
        files.hash(&mut hasher);
        self.dir.join(format!("{:016x}.entry", hasher.finish()))
    }

    /// Writes `entry` to `path` by way of a file of its own, renamed into
    /// place; the reason in words when it cannot.
    fn write_entry(&self, path: &Path, entry: &EntryRef<'_>) -> Result<(), String> {
        let payload = postcard::to_stdvec(entry).map_err(|e| e.to_string())?;
        let most = most_entry_bytes(entry.files);
        if HEADER + payload.len() > most {
            // It would never be read.
            return Err(format!(
                "the entry would take {} bytes, more than the {most} an entry of these files may",
                HEADER + payload.len()
            ));
        }
        let mut bytes = Vec::with_capacity(HEADER + payload.len());
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&FORMAT.to_le_bytes());
        bytes.extend_from_slice(&checksum(&payload).to_le_bytes());
        bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        bytes.extend_from_slice(&payload);
        let words = |e: std::io::Error| io_reason(&e);
        if self.dir.exists() && !self.dir.is_dir() {
            return Err(String::from("it is a file, not a directory"));
        }
        std::fs::create_dir_all(&self.dir).map_err(words)?;
        let temporary = self.dir.join(format!(
            ".{}.{}.{}.tmp",
            path.file_stem().and_then(|s| s.to_str()).unwrap_or("entry"),
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        ));
        let written = std::fs::File::options()
            .write(true)
            .create_new(true)
            .open(&temporary)
            .and_then(|mut file| file.write_all(&bytes))
            .and_then(|()| std::fs::rename(&temporary, path));
        if let Err(error) = written {
            let _ = std::fs::remove_file(&temporary);
            return Err(words(error));
        }
        Ok(())
    }

    /// Removes the entries past the [`MAX_ENTRIES`](Self::MAX_ENTRIES)
    /// used last, and temporary files a writer that was killed left
    /// behind (those an hour old: a writer takes far less).
    fn evict(&self) {
        let Ok(listing) = std::fs::read_dir(&self.dir) else {
            return;
        };
        let hour_ago = std::time::SystemTime::now()
            .checked_sub(std::time::Duration::from_secs(3600))
            .unwrap_or(std::time::UNIX_EPOCH);
        let mut entries: Vec<(std::time::SystemTime, PathBuf)> = Vec::new();
        for found in listing.filter_map(Result::ok) {
            let path = found.path();
            let Some(modified) = found.metadata().ok().and_then(|m| m.modified().ok()) else {
                continue;
            };
            match path.extension().and_then(|x| x.to_str()) {
                Some("entry") => entries.push((modified, path)),
                Some("tmp") if modified < hour_ago => {
                    let _ = std::fs::remove_file(&path);
                }
                _ => {}
            }
        }
        if entries.len() <= Self::MAX_ENTRIES {
            return;
        }
        entries.sort_by_key(|e| std::cmp::Reverse(e.0));
        for (_, path) in entries.iter().skip(Self::MAX_ENTRIES) {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// The size and time of an executable.
type Build = (u64, std::time::SystemTime);

/// The build of the program that reads and writes entries: the size and
/// time of its executable. Entries are in the layout of the policies of
/// one build, which a build of the same version may change (as one in
/// development does), so each build has entries of its own.
fn build() -> Option<Build> {
    let metadata = std::fs::metadata(std::env::current_exe().ok()?).ok()?;
    Some((metadata.len(), metadata.modified().ok()?))
}

/// The limits that change what checking finds, and so an entry.
fn checking_limits(limits: &Limits) -> (usize, usize, usize, usize) {
    (
        limits.nesting(),
        limits.conflict_budget,
        limits.relations_budget,
        limits.policy_bytes(),
    )
}

/// The most bytes an entry of `files` may take. An entry is a few times
/// its files (16 MB for 4 MB of generated rules): anything far larger is
/// not one, and is neither read nor written.
fn most_entry_bytes(files: &[(String, String)]) -> usize {
    let text: usize = files
        .iter()
        .map(|(name, text)| name.len() + text.len())
        .sum();
    text.saturating_mul(32).saturating_add(1 << 20)
}

/// The checksum of an entry's payload.
fn checksum(payload: &[u8]) -> u64 {
    let mut hasher = std::hash::DefaultHasher::new();
    payload.hash(&mut hasher);
    hasher.finish()
}

/// The policies of the entry at `path`, if it is whole, of this format,
/// and made from exactly `files`.
fn read_entry(path: &Path, files: &[(String, String)]) -> Option<Vec<Arc<CheckedPolicy>>> {
    let most = most_entry_bytes(files);
    let size = std::fs::metadata(path).ok()?.len();
    if usize::try_from(size).map_or(true, |size| size > most) {
        return None;
    }
    let bytes = std::fs::read(path).ok()?;
    let (header, payload) = bytes.split_at_checked(HEADER)?;
    let word = |at: usize| -> Option<u64> {
        Some(u64::from_le_bytes(header.get(at..at + 8)?.try_into().ok()?))
    };
    let format = u32::from_le_bytes(header.get(8..12)?.try_into().ok()?);
    if header.get(..8)? != MAGIC
        || format != FORMAT
        || word(20)? != payload.len() as u64
        || word(12)? != checksum(payload)
    {
        return None;
    }
    let entry: Entry = postcard::from_bytes(payload).ok()?;
    if entry.files != files {
        return None;
    }
    entry
        .policies
        .into_iter()
        .map(|mut policy| {
            policy.restore()?;
            Some(Arc::new(policy))
        })
        .collect()
}
