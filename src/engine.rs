//! The engine a service holds: a cheap-to-clone handle on the policy set it
//! decides with, loaded from a directory and reloaded from it (on request,
//! or watching its files with the `watch` feature). A new set is swapped in
//! only once it loads and checks without errors; a reload that fails keeps
//! the last good set serving and is kept in the engine's status. A reload
//! redoes only what changed (a [`Workspace`] keeps the rest).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::SystemTime;

use crate::diagnostics::Report;
use crate::limits::Limits;
use crate::policy_set::{read_policy_files, PolicySet, Workspace};

/// A policy set and the revision it was loaded at.
#[derive(Clone, Debug)]
pub struct Snapshot {
    /// The policies.
    pub policies: PolicySet,
    /// Their [`PolicySet::revision`], computed once.
    pub revision: String,
}

/// What one [`Engine::reload`] did.
#[derive(Clone, Debug)]
pub enum Reload {
    /// The files changed and loaded: the set at this revision now decides.
    Swapped {
        /// The revision now serving.
        revision: String,
    },
    /// The files load to the revision already serving: nothing changed.
    Unchanged,
    /// The files do not load: the last good set keeps serving.
    Failed(FailedReload),
}

/// A reload that failed, kept in the engine's status until one succeeds.
#[derive(Clone, Debug)]
pub struct FailedReload {
    /// Why the files do not load, their names relative to the root.
    pub report: Report,
    /// When it failed.
    pub at: SystemTime,
}

/// What an engine has done, for a status page or metrics.
#[derive(Clone, Debug)]
pub struct EngineStatus {
    /// The revision serving.
    pub revision: String,
    /// Reloads that swapped in a new set.
    pub reloads: u64,
    /// Reloads that failed.
    pub failed_reloads: u64,
    /// The last reload, if it failed (none once a later one succeeds).
    pub last_failure: Option<FailedReload>,
}

/// A handle on the policies a service decides with. Clones share one
/// engine: every clone sees a reload. Each decision is made with one
/// [`Snapshot`] (the set and its revision), so that a decision reports the
/// revision it was made under even when a reload lands meanwhile.
///
/// ```
/// let dir = std::env::temp_dir().join(format!("verdict-engine-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
/// let file = dir.join("doors.policy");
/// std::fs::write(&file, "policy doors\nfact role: {staff guest} at role\nstaff can\n").map_err(|e| e.to_string())?;
///
/// let engine = verdict::Engine::load(&dir, &verdict::Limits::default()).map_err(|r| r.render(80))?;
/// let facts = serde_json::json!({"role": "guest"});
/// let before = engine.snapshot();
/// assert_eq!(before.policies.decide(&facts).map_err(|r| r.render(80))?[0].decision, "none");
///
/// // A broken edit is refused; the last good set keeps deciding.
/// std::fs::write(&file, "policy doors\nfact role: {staff guest} at role\nstaf can\n").map_err(|e| e.to_string())?;
/// assert!(matches!(engine.reload(), verdict::Reload::Failed(_)));
/// assert_eq!(engine.revision(), before.revision);
/// assert!(engine.status().last_failure.is_some());
///
/// // A good edit is swapped in.
/// std::fs::write(&file, "policy doors\nfact role: {staff guest} at role\nstaff can\nguest can\n").map_err(|e| e.to_string())?;
/// assert!(matches!(engine.reload(), verdict::Reload::Swapped { .. }));
/// assert_eq!(engine.snapshot().policies.decide(&facts).map_err(|r| r.render(80))?[0].decision, "allow");
/// assert_eq!(engine.status().reloads, 1);
/// # std::fs::remove_dir_all(&dir).map_err(|e| e.to_string())?;
/// # Ok::<(), String>(())
/// ```
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    /// `None` for an engine made from a set (nothing to reload from).
    root: Option<PathBuf>,
    /// The root's files as last loaded: a reload parses only the files
    /// that changed, and checks and compiles only their policies.
    workspace: Option<Mutex<Workspace>>,
    limits: Limits,
    current: RwLock<Arc<Snapshot>>,
    status: Mutex<Counts>,
    /// Told about every reload that did something (swapped or failed).
    on_reload: RwLock<Option<ReloadHook>>,
}

type ReloadHook = Arc<dyn Fn(&Reload) + Send + Sync>;

#[derive(Default)]
struct Counts {
    reloads: u64,
    failed_reloads: u64,
    last_failure: Option<FailedReload>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("root", &self.inner.root)
            .field("revision", &self.revision())
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// Loads the policies of `root` (a `.policy` file or a directory of
    /// them) as [`PolicySet::from_root_with`] does: files named relative
    /// to the root, so that nothing of the machine's file system reaches a
    /// client. Fails as loading does.
    pub fn load(root: impl AsRef<Path>, limits: &Limits) -> Result<Engine, Report> {
        let root = root.as_ref().to_path_buf();
        let mut workspace = Workspace::new(limits.clone());
        workspace.set_files(read_policy_files(&root, limits, true)?);
        let policies = workspace.check()?;
        Ok(Engine::with(Some((root, workspace)), limits, policies))
    }

    /// An engine that decides with `policies` and never reloads (a
    /// [`reload`](Self::reload) changes nothing): for the built-in pack, or
    /// policies loaded some other way.
    pub fn from_policies(policies: PolicySet) -> Engine {
        let limits = policies.limits().clone();
        Engine::with(None, &limits, policies)
    }

    /// An engine deciding with `policies`, reloading from `root` through
    /// its workspace when it has one.
    fn with(root: Option<(PathBuf, Workspace)>, limits: &Limits, policies: PolicySet) -> Engine {
        let revision = policies.revision();
        let (root, workspace) = match root {
            Some((root, workspace)) => (Some(root), Some(Mutex::new(workspace))),
            None => (None, None),
        };
        Engine {
            inner: Arc::new(Inner {
                root,
                workspace,
                limits: limits.clone(),
                current: RwLock::new(Arc::new(Snapshot { policies, revision })),
                status: Mutex::new(Counts::default()),
                on_reload: RwLock::new(None),
            }),
        }
    }

    /// The set deciding now, with its revision: decide with it, and report
    /// its revision beside the decision. Cheap (two reference counts).
    pub fn snapshot(&self) -> Arc<Snapshot> {
        match self.inner.current.read() {
            Ok(current) => Arc::clone(&current),
            // A panic while swapping left the last value in place.
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// The set deciding now.
    pub fn policies(&self) -> PolicySet {
        self.snapshot().policies.clone()
    }

    /// The revision deciding now.
    pub fn revision(&self) -> String {
        self.snapshot().revision.clone()
    }

    /// The root the policies are loaded from (`None` for an engine made
    /// [`from_policies`](Self::from_policies)).
    pub fn root(&self) -> Option<&Path> {
        self.inner.root.as_deref()
    }

    /// Loads the root's files again and swaps the new set in if it loads
    /// without errors; otherwise the last good set keeps deciding and the
    /// failure is kept in [`status`](Self::status) until a reload
    /// succeeds. The reload hook, if any, hears of a swap or a failure.
    pub fn reload(&self) -> Reload {
        let Some(root) = &self.inner.root else {
            return Reload::Unchanged;
        };
        let loaded = match &self.inner.workspace {
            Some(workspace) => {
                let mut workspace = match workspace.lock() {
                    Ok(workspace) => workspace,
                    // A panic in a check left the files as they were read:
                    // the next check reads them again.
                    Err(poisoned) => poisoned.into_inner(),
                };
                read_policy_files(root, &self.inner.limits, true).and_then(|files| {
                    workspace.set_files(files);
                    workspace.check()
                })
            }
            None => PolicySet::from_root_with(root, &self.inner.limits),
        };
        let reload = match loaded {
            Ok(policies) => {
                let revision = policies.revision();
                if revision == self.revision() {
                    Reload::Unchanged
                } else {
                    let snapshot = Arc::new(Snapshot {
                        policies,
                        revision: revision.clone(),
                    });
                    match self.inner.current.write() {
                        Ok(mut current) => *current = snapshot,
                        Err(poisoned) => *poisoned.into_inner() = snapshot,
                    }
                    Reload::Swapped { revision }
                }
            }
            Err(report) => Reload::Failed(FailedReload {
                report,
                at: SystemTime::now(),
            }),
        };
        {
            let mut counts = match self.inner.status.lock() {
                Ok(counts) => counts,
                Err(poisoned) => poisoned.into_inner(),
            };
            match &reload {
                Reload::Swapped { .. } => {
                    counts.reloads += 1;
                    counts.last_failure = None;
                }
                Reload::Unchanged => counts.last_failure = None,
                Reload::Failed(failed) => {
                    counts.failed_reloads += 1;
                    counts.last_failure = Some(failed.clone());
                }
            }
        }
        if !matches!(reload, Reload::Unchanged) {
            let hook = match self.inner.on_reload.read() {
                Ok(hook) => hook.clone(),
                Err(poisoned) => poisoned.into_inner().clone(),
            };
            if let Some(hook) = hook {
                hook(&reload);
            }
        }
        reload
    }

    /// What the engine has done: the revision serving, the reloads and
    /// the last failed one.
    pub fn status(&self) -> EngineStatus {
        let revision = self.revision();
        let counts = match self.inner.status.lock() {
            Ok(counts) => counts,
            Err(poisoned) => poisoned.into_inner(),
        };
        EngineStatus {
            revision,
            reloads: counts.reloads,
            failed_reloads: counts.failed_reloads,
            last_failure: counts.last_failure.clone(),
        }
    }

    /// Calls `hook` after every reload that swapped a set in or failed
    /// (on the thread that reloaded), replacing any hook set before: to
    /// log, or count for metrics.
    pub fn on_reload(&self, hook: impl Fn(&Reload) + Send + Sync + 'static) {
        let hook: ReloadHook = Arc::new(hook);
        match self.inner.on_reload.write() {
            Ok(mut slot) => *slot = Some(hook),
            Err(poisoned) => *poisoned.into_inner() = Some(hook),
        }
    }

    /// Watches the root's files and reloads once edits settle (no change
    /// for `debounce`; 200 ms suits editors, which write a file in several
    /// steps). Watching stops when the returned [`Watching`] is dropped. A
    /// file root is watched through its directory, so that an editor that
    /// replaces the file (write a copy, rename it over) is seen. Fails when
    /// the platform's watcher cannot start, as `verdict::io`.
    #[cfg(feature = "watch")]
    pub fn watch(&self, debounce: std::time::Duration) -> Result<Watching, Report> {
        use notify::Watcher as _;
        let root = self.inner.root.clone().unwrap_or_default();
        let failed = |e: notify::Error| {
            let error = crate::diagnostics::LoadError::Io {
                path: root.display().to_string(),
                reason: e.to_string(),
                help: Some(String::from(
                    "the policies load, but their files cannot be watched: reload on request instead",
                )),
            };
            Report::new(crate::source::SourceMap::new(), vec![error.into()])
        };
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let mut watcher =
            notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
                if event.is_ok_and(|e| !e.kind.is_access()) {
                    let _ = tx.send(());
                }
            })
            .map_err(failed)?;
        if self.inner.root.is_none() {
            return Err(failed(notify::Error::generic(
                "the engine was made from a set, not loaded from files",
            )));
        }
        let watched = if root.is_file() {
            root.parent()
                .filter(|p| !p.as_os_str().is_empty())
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
        } else {
            root.clone()
        };
        watcher
            .watch(&watched, notify::RecursiveMode::NonRecursive)
            .map_err(failed)?;
        // The thread holds a weak handle: an engine dropped meanwhile stops it.
        let engine = Arc::downgrade(&self.inner);
        let thread = std::thread::Builder::new()
            .name(String::from("verdict-watch"))
            .spawn(move || {
                // Ends when the watcher, which holds the sender, is dropped.
                while rx.recv().is_ok() {
                    loop {
                        match rx.recv_timeout(debounce) {
                            Ok(()) => continue,
                            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => break,
                            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return,
                        }
                    }
                    let Some(inner) = engine.upgrade() else {
                        return;
                    };
                    Engine { inner }.reload();
                }
            })
            .map_err(|e| failed(notify::Error::io(e)))?;
        Ok(Watching {
            watcher: Some(watcher),
            thread: Some(thread),
        })
    }
}

/// Watching an engine's files (see [`Engine::watch`]); dropping it stops
/// the watch and waits for a reload in progress to end.
#[cfg(feature = "watch")]
pub struct Watching {
    watcher: Option<notify::RecommendedWatcher>,
    thread: Option<std::thread::JoinHandle<()>>,
}

#[cfg(feature = "watch")]
impl std::fmt::Debug for Watching {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watching").finish_non_exhaustive()
    }
}

#[cfg(feature = "watch")]
impl Drop for Watching {
    fn drop(&mut self) {
        // Dropping the watcher drops the sender, which ends the thread.
        drop(self.watcher.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
